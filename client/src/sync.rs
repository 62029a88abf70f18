//! The page's side of the sync engine. The engine itself
//! ([`crate::sync_core::SyncCore`]: the document, the socket, the local
//! copy, the other tabs) runs in a dedicated worker
//! ([`crate::engine_worker`], started from `worker.js`), so loading a large
//! workspace from this browser's copy never holds the page: the records
//! kept beside the copy are drawn at once and the page answers clicks and
//! typing while the worker loads the document.
//!
//! [`SyncHandle`] mirrors what the engine publishes as signals (the
//! connection, the workspace, the role, the waiting count, presence, a
//! refusal, the local copy's figures) and keeps the workspace's records as
//! a [`Snapshot`] patched with the records the engine says changed.
//! Components never touch the document: they read [`SyncHandle::snapshot`],
//! ask questions of the whole document with [`SyncHandle::ask`]
//! ([`enlace_shared::query::Query`]) and edit with [`SyncHandle::edit`]
//! ([`enlace_shared::intent::Intent`]); both answer when the worker has.
//! Edits made while the worker is still loading wait in its queue and are
//! applied, in order, once the document is there.

use std::collections::HashMap;
use std::sync::Arc;

use enlace_shared::api::PersonView;
use enlace_shared::ids::DocumentId;
use enlace_shared::image::WorkspaceImage;
use enlace_shared::intent::{Intent, Outcome};
use enlace_shared::presence::{Presence, PresenceBoard};
use enlace_shared::query::{Answer, Query};
use enlace_shared::roles::Role;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{MessageEvent, Worker, WorkerOptions, WorkerType};

use crate::browser;
use crate::collections::Snapshot;
pub use crate::connection_state::ConnectionState;
use crate::engine_messages::{self, Records, Status, ToEngine, ToPage};
pub use crate::engine_messages::{EditError, LocalFigures, Rejection, TabRole};

/// The worker's script, beside the page's (see `client/worker.js`).
const WORKER_SCRIPT: &str = "/worker.js";

type EditDone = Box<dyn FnOnce(Result<Outcome, EditError>)>;
type Answered = Box<dyn FnOnce(Option<Answer>)>;

/// What the page keeps of the engine besides signals.
struct Link {
    worker: Option<Worker>,
    _on_message: Option<Closure<dyn FnMut(MessageEvent)>>,
    next_id: u64,
    edits: HashMap<u64, EditDone>,
    /// What waits for the engine to have stopped (wiping the copy).
    after_stop: Vec<Box<dyn FnOnce()>>,
    questions: HashMap<u64, Answered>,
    /// The worker's `performance.timeOrigin` minus the page's.
    clock_offset: f64,
    /// `performance.now()` when records changed by the server arrived.
    remote_change_at: Option<f64>,
    actor: Option<String>,
    /// The engine has sent records read from the document (not the image).
    from_document: bool,
    /// The newest records, held back while edits are on their way (and
    /// whether they were read from the image).
    held: Option<(Arc<Snapshot>, bool)>,
    /// The figures measured here rather than in the worker.
    started_at_ms: Option<f64>,
    image_ms: Option<f64>,
    open_ms: Option<f64>,
    edit_post_ms: Option<f64>,
    /// The worker's last figures.
    engine_figures: LocalFigures,
}

/// The handle components get from context. Cheap to copy.
#[derive(Clone, Copy)]
pub struct SyncHandle {
    connection: RwSignal<ConnectionState>,
    rejection: RwSignal<Option<Rejection>>,
    workspace_name: RwSignal<Option<String>>,
    workspace_id: RwSignal<Option<DocumentId>>,
    role: RwSignal<Option<Role>>,
    /// Bumped whenever the records change (or are dropped).
    revision: RwSignal<u64>,
    presence: RwSignal<PresenceBoard>,
    waiting: RwSignal<usize>,
    from_local_copy: RwSignal<bool>,
    local_figures: RwSignal<LocalFigures>,
    tab_role: RwSignal<TabRole>,
    records: RwSignal<Arc<Snapshot>>,
    snapshot: Memo<Arc<Snapshot>>,
    link: StoredValue<Link, LocalStorage>,
    on_signed_out: Callback<()>,
}

impl SyncHandle {
    /// Creates the handle and starts the engine's worker (idle until
    /// [`Self::start`]). Call once, at the app's root; `on_signed_out`
    /// runs when the server ends the session.
    pub fn new(on_signed_out: Callback<()>) -> Self {
        let records = RwSignal::new(Arc::new(Snapshot::empty(0)));
        let handle = Self {
            connection: RwSignal::new(ConnectionState::SignedOut),
            rejection: RwSignal::new(None),
            workspace_name: RwSignal::new(None),
            workspace_id: RwSignal::new(None),
            role: RwSignal::new(None),
            revision: RwSignal::new(0),
            presence: RwSignal::new(PresenceBoard::default()),
            waiting: RwSignal::new(0),
            from_local_copy: RwSignal::new(false),
            local_figures: RwSignal::new(LocalFigures::default()),
            tab_role: RwSignal::new(TabRole::Deciding),
            records,
            snapshot: Memo::new(move |_| records.get()),
            link: StoredValue::new_local(Link {
                worker: None,
                _on_message: None,
                next_id: 0,
                edits: HashMap::new(),
                after_stop: Vec::new(),
                questions: HashMap::new(),
                clock_offset: 0.0,
                remote_change_at: None,
                actor: None,
                from_document: false,
                held: None,
                started_at_ms: Some(browser::performance_now()),
                image_ms: None,
                open_ms: None,
                edit_post_ms: None,
                engine_figures: LocalFigures::default(),
            }),
            on_signed_out,
        };
        handle.spawn_worker();
        handle.show_figures();
        handle
    }

    fn spawn_worker(self) {
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Module);
        let worker = match Worker::new_with_options(WORKER_SCRIPT, &options) {
            Ok(worker) => worker,
            Err(error) => {
                web_sys::console::error_2(&"enlace: the sync worker did not start".into(), &error);
                return;
            }
        };
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let bytes = js_sys::Uint8Array::new(&event.data()).to_vec();
            match engine_messages::decode::<ToPage>(&bytes) {
                Ok(message) => self.receive(message),
                Err(error) => log(&format!("an undecodable message from the worker: {error}")),
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        self.link.update_value(|link| {
            link.worker = Some(worker);
            link._on_message = Some(on_message);
        });
    }

    /// Posts `message` to the worker (which queues it while it loads).
    fn send(&self, message: &ToEngine) {
        self.link.with_value(|link| {
            let Some(worker) = &link.worker else {
                return;
            };
            let bytes = js_sys::Uint8Array::from(engine_messages::encode(message).as_slice());
            let transfer = js_sys::Array::of1(&bytes.buffer());
            if let Err(error) = worker.post_message_with_transfer(&bytes, &transfer) {
                web_sys::console::warn_2(&"enlace: could not post to the sync worker".into(), &error);
            }
        });
    }

    /// One message from the engine.
    fn receive(self, message: ToPage) {
        match message {
            ToPage::Ready { time_origin } => {
                let offset = time_origin - browser::time_origin();
                self.link.update_value(|link| link.clock_offset = offset);
            }
            ToPage::Status(status) => self.take_status(status),
            ToPage::Figures(figures) => {
                self.link.update_value(|link| link.engine_figures = *figures);
                self.show_figures();
            }
            ToPage::Records(records) => self.take_records(records),
            ToPage::Presence(board) => self.presence.set(board),
            ToPage::Rejection(rejection) => set_changed(self.rejection, rejection),
            ToPage::Edited { id, result } => {
                let Some((done, last)) = self.link.try_update_value(|link| {
                    let done = link.edits.remove(&id);
                    (done, link.edits.is_empty())
                }) else {
                    return;
                };
                // The records the edit wrote came first: shown now, unless
                // another edit is still on its way.
                if last {
                    self.show_held_records();
                }
                if let Some(done) = done {
                    done(result);
                }
            }
            ToPage::Answered { id, answer } => {
                if let Some(answered) = self
                    .link
                    .try_update_value(|link| link.questions.remove(&id))
                    .flatten()
                {
                    answered(answer);
                }
            }
            ToPage::SignedOut => {
                self.forget();
                self.on_signed_out.run(());
            }
            ToPage::Stopped => {
                let waiting = self
                    .link
                    .try_update_value(|link| std::mem::take(&mut link.after_stop))
                    .unwrap_or_default();
                for then in waiting {
                    then();
                }
            }
        }
    }

    fn take_status(&self, status: Status) {
        set_changed(self.connection, status.connection);
        set_changed(self.role, status.role);
        set_changed(self.workspace_id, status.workspace_id);
        set_changed(self.workspace_name, status.workspace_name);
        set_changed(self.waiting, status.waiting);
        set_changed(self.from_local_copy, status.from_local_copy);
        set_changed(self.tab_role, status.tab_role);
    }

    /// Patches the snapshot with the records the engine says changed. While
    /// edits of this page are on their way, the new snapshot is held back
    /// and shown once the last of them is answered: a control never goes
    /// back to a value older than what the person already typed.
    fn take_records(self, message: Records) {
        let arrived = browser::performance_now();
        let Records {
            whole,
            from_image,
            remote,
            heads,
            secretariat,
            records,
            removed,
            actor,
        } = message;
        let Some(base) = self
            .link
            .try_with_value(|link| link.held.as_ref().map(|(held, _)| Arc::clone(held)))
        else {
            return;
        };
        let base = base.unwrap_or_else(|| self.records.get_untracked());
        let revision = base.revision.max(self.revision.get_untracked()) + 1;
        let started = browser::performance_now();
        let snapshot = if whole {
            Snapshot::from_image(
                WorkspaceImage {
                    heads,
                    secretariat,
                    records,
                },
                revision,
            )
        } else {
            Snapshot::patched(&base, records, &removed, secretariat, heads, revision)
        };
        let elapsed = browser::performance_now() - started;
        if elapsed > 50.0 {
            web_sys::console::info_1(
                &format!("enlace: took the workspace's records in {elapsed:.0} ms").into(),
            );
        }
        let snapshot = Arc::new(snapshot);
        let held = self
            .link
            .try_update_value(|link| {
                if remote {
                    link.remote_change_at = Some(arrived);
                }
                link.actor = actor;
                let hold = !link.edits.is_empty();
                if hold {
                    link.held = Some((Arc::clone(&snapshot), from_image));
                }
                hold
            })
            .unwrap_or(true);
        if !held {
            self.show_records(snapshot, from_image);
        }
    }

    /// Shows the snapshot held back while edits were on their way.
    fn show_held_records(self) {
        if let Some(Some((snapshot, from_image))) = self.link.try_update_value(|link| link.held.take()) {
            self.show_records(snapshot, from_image);
        }
    }

    fn show_records(self, snapshot: Arc<Snapshot>, from_image: bool) {
        let first_document = self
            .link
            .try_update_value(|link| {
                let first = !from_image && !link.from_document && !snapshot.heads().is_empty();
                link.from_document |= first;
                first
            })
            .unwrap_or(false);
        let revision = snapshot.revision;
        self.records.set(snapshot);
        self.revision.set(revision);
        if from_image {
            self.after_drawn(|link, at| link.image_ms = Some(at));
        } else if first_document {
            self.after_drawn(|link, at| link.open_ms = Some(at));
        }
    }

    /// Notes when the next frame is painted, as one of this page's figures.
    fn after_drawn(self, note: impl FnOnce(&mut Link, f64) + 'static) {
        leptos::task::spawn_local(async move {
            let drawn = browser::after_next_frame().await;
            if self.link.try_update_value(|link| note(link, drawn)).is_some() {
                self.show_figures();
            }
        });
    }

    /// The engine's figures with the page's own, on the page's clock.
    fn show_figures(&self) {
        let Some(figures) = self.link.try_with_value(|link| {
            let engine = link.engine_figures;
            LocalFigures {
                started_at_ms: link.started_at_ms,
                read_at_ms: engine.read_at_ms.map(|at| at + link.clock_offset),
                image_ms: link.image_ms,
                open_ms: link.open_ms,
                edit_post_ms: link.edit_post_ms,
                ..engine
            }
        }) else {
            return;
        };
        set_changed(self.local_figures, figures);
    }

    /// Starts syncing as `person`, whose display name `author` is written
    /// into every change. The person's local copy of their last workspace,
    /// if this browser has one, is opened first, before the network.
    pub fn start(&self, author: &str, person: PersonView) {
        self.forget();
        let query_string = web_sys::window()
            .and_then(|window| window.location().search().ok())
            .unwrap_or_default();
        self.send(&ToEngine::Start {
            author: author.to_owned(),
            person,
            hold_load_ms: engine_messages::hold_load_ms(&query_string),
        });
    }

    /// Closes the socket, cancels retries and forgets the document (on sign-out).
    pub fn stop(&self) {
        self.send(&ToEngine::Stop { tell_tabs: false });
        self.forget();
    }

    /// The person signs out in this tab: every other tab of theirs stops
    /// too. `then` runs once the engine has stopped and writes nothing
    /// more to the copy (the app then wipes it).
    pub fn sign_out(&self, then: impl FnOnce() + 'static) {
        // Without a worker nothing writes the copy: `then` runs at once.
        let without_worker = self
            .link
            .try_update_value(|link| {
                if link.worker.is_some() {
                    link.after_stop.push(Box::new(then));
                    None
                } else {
                    Some(then)
                }
            })
            .flatten();
        if let Some(then) = without_worker {
            then();
            return;
        }
        self.send(&ToEngine::Stop { tell_tabs: true });
        self.forget();
    }

    /// Forgets the mirror of the engine (its answers to come are dropped).
    fn forget(&self) {
        self.link.update_value(|link| {
            link.edits.clear();
            link.questions.clear();
            link.actor = None;
            link.from_document = false;
            link.held = None;
            link.remote_change_at = None;
        });
        self.connection.set(ConnectionState::SignedOut);
        self.tab_role.set(TabRole::Deciding);
        self.waiting.set(0);
        self.from_local_copy.set(false);
        self.rejection.set(None);
        self.workspace_name.set(None);
        self.workspace_id.set(None);
        self.role.set(None);
        self.presence.set(PresenceBoard::default());
        let revision = self.revision.get_untracked() + 1;
        self.records.set(Arc::new(Snapshot::empty(revision)));
        self.revision.set(revision);
    }

    /// The signed-in person's role in the open workspace (`None` until known).
    pub fn role(&self) -> Signal<Option<Role>> {
        self.role.into()
    }

    pub fn connection(&self) -> Signal<ConnectionState> {
        self.connection.into()
    }

    /// The last refusal from the server, until [`Self::dismiss_rejection`].
    pub fn rejection(&self) -> Signal<Option<Rejection>> {
        self.rejection.into()
    }

    pub fn dismiss_rejection(&self) {
        self.rejection.set(None);
        self.send(&ToEngine::DismissRejection);
    }

    pub fn workspace_name(&self) -> Signal<Option<String>> {
        self.workspace_name.into()
    }

    /// The open workspace's id (`None` until the workspace list arrives).
    pub fn workspace_id(&self) -> Signal<Option<DocumentId>> {
        self.workspace_id.into()
    }

    /// Who else is in the workspace, as heard (see [`crate::presence`]).
    pub fn presence_board(&self) -> ReadSignal<PresenceBoard> {
        self.presence.read_only()
    }

    /// Sends this tab's presence (best effort: nothing while not
    /// connected; the next heartbeat says it again).
    pub fn send_presence(&self, presence: &Presence) {
        self.send(&ToEngine::Presence(presence.encode()));
    }

    /// Forgets the tabs not heard from for the presence timeout.
    pub fn expire_presence(&self) {
        self.send(&ToEngine::ExpirePresence);
    }

    /// `performance.now()` when the last records changed by the server
    /// arrived (not tracked).
    pub fn remote_change_at(&self) -> Option<f64> {
        self.link.try_with_value(|link| link.remote_change_at).flatten()
    }

    /// This browser's changes the server has not acknowledged yet.
    pub fn waiting(&self) -> Signal<usize> {
        self.waiting.into()
    }

    /// The local copy's own figures.
    pub fn local_figures(&self) -> Signal<LocalFigures> {
        self.local_figures.into()
    }

    /// Whether this tab leads the person's tabs or follows the one that does.
    pub fn tab_role(&self) -> Signal<TabRole> {
        self.tab_role.into()
    }

    /// Whether the workspace shown came from this browser's copy.
    pub fn from_local_copy(&self) -> Signal<bool> {
        self.from_local_copy.into()
    }

    /// Reconnects now if the socket is down (the browser's `online` event).
    pub fn reconnect_now(&self) {
        self.send(&ToEngine::ReconnectNow);
    }

    /// The browser says the network is gone (its `offline` event).
    pub fn went_offline(&self) {
        self.send(&ToEngine::WentOffline);
    }

    /// The records' revision: it changes whenever they do.
    pub fn revision(&self) -> Signal<u64> {
        self.revision.into()
    }

    /// Every record of the workspace, as the engine last sent them (from
    /// the workspace's image while the local copy's document is loading).
    pub fn snapshot(&self) -> Memo<Arc<Snapshot>> {
        self.snapshot
    }

    /// Asks `query` of the document; `answered` hears the answer once the
    /// worker has it (`None` before the document is loaded).
    pub fn ask(&self, query: Query, answered: impl FnOnce(Option<Answer>) + 'static) {
        let Some(id) = self.link.try_update_value(|link| {
            link.next_id += 1;
            link.questions.insert(link.next_id, Box::new(answered));
            link.next_id
        }) else {
            return;
        };
        self.send(&ToEngine::Ask { id, query });
    }

    /// The actor this tab edits with, in hex (`None` before the document
    /// is loaded). Tracks [`Self::revision`].
    pub fn actor(&self) -> Option<String> {
        self.revision.track();
        self.link.try_with_value(|link| link.actor.clone()).flatten()
    }

    /// Sends `intent` to the engine, which makes it one change of the
    /// document if the person's role allows it; `done` hears how it went,
    /// after the records show it. While the worker loads the local copy,
    /// the edit waits for it.
    pub fn edit(&self, intent: Intent, done: impl FnOnce(Result<Outcome, EditError>) + 'static) {
        let started = browser::performance_now();
        let Some(id) = self.link.try_update_value(|link| {
            link.next_id += 1;
            link.edits.insert(link.next_id, Box::new(done));
            link.next_id
        }) else {
            return;
        };
        self.send(&ToEngine::Edit { id, intent });
        let took = browser::performance_now() - started;
        self.link.update_value(|link| link.edit_post_ms = Some(took));
        self.show_figures();
    }
}

/// Sets `signal` only when `value` differs, so nothing reruns for a value
/// it already had.
fn set_changed<T: PartialEq + Send + Sync + 'static>(signal: RwSignal<T>, value: T) {
    if signal.with_untracked(|current| *current != value) {
        signal.set(value);
    }
}

fn log(text: &str) {
    web_sys::console::warn_1(&format!("enlace sync: {text}").into());
}
