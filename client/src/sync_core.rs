//! The sync engine: the client's one connection to the server, and the
//! only module that touches the WebSocket or the document. It runs in a
//! dedicated worker ([`crate::engine_worker`]), so loading a large
//! workspace never holds the page; the page mirrors what it publishes
//! ([`crate::sync::SyncHandle`]).
//!
//! [`SyncCore`] owns the socket and the sans-IO [`PeerSession`] (which owns
//! the automerge document). It feeds socket events into the session, sends
//! whatever the session asks for, and publishes what the UI needs as signals:
//! the connection state, the workspace, the person's role there, the
//! document's revision and the presence board (who else is here, fed by the
//! relayed `ephemeral` messages; [`crate::presence`] decides what to send).
//! Nothing else touches the document: the page gets the workspace's records
//! from [`SyncCore::snapshot`], asks the whole document questions through
//! [`SyncCore::ask`] ([`enlace_shared::query::Query`]) and changes it only
//! through [`SyncCore::edit`] ([`enlace_shared::intent::Intent`]).
//!
//! Lifecycle: nothing happens until [`SyncCore::start`] (after sign-in).
//! Each connection attempt fetches `/api/workspaces` through [`crate::http`]
//! (which refreshes the person's role), opens the first workspace's document
//! the first time (empty; the server fills it in), then opens `/sync`. When the socket
//! closes, the session forgets its sync states and a reconnect is scheduled
//! with exponential backoff (0.5 s doubling to 10 s). The document survives
//! reconnects, so edits made offline are sent once the socket is back.
//!
//! Tabs: only the leading tab of the person has the socket and writes the
//! local copy; the others follow it over a `BroadcastChannel` and never
//! connect (see [`crate::tab_link`] and [`SyncCore::start`]).
//!
//! Signed out: `/api/workspaces` answering 401 (which is also how a socket
//! refused before the upgrade shows up, on the next attempt) or the server
//! closing with [`close::SIGNED_OUT`] stops everything and calls the
//! `on_signed_out` callback; [`SyncCore::stop`] does the same on sign-out
//! without the callback. Stopping drops the document, so the next person to
//! sign in on this page starts from the server's copy.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use automerge::{Automerge, AutomergeError, ChangeHash};
use enlace_shared::api::{PersonView, WorkspaceSummary, close};
use enlace_shared::ids::{self, DocumentId, PeerId};
use enlace_shared::image::WorkspaceImage;
use enlace_shared::intent::{Intent, Outcome};
use enlace_shared::model::{self, Authorship, ModelError};
use enlace_shared::presence::{Presence, PresenceBoard};
use enlace_shared::protocol::Message;
use enlace_shared::query::{Answer, Query};
use enlace_shared::records::Record;
use enlace_shared::refusal::Refusal;
use enlace_shared::roles::{self, Role};
use enlace_shared::sync::{Input, Output, PeerSession, SessionEvent};
use enlace_shared::timetravel;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{BinaryType, CloseEvent, MessageEvent, WebSocket};

use crate::browser;
use crate::collections::Snapshot;
use crate::connection_state::ConnectionState;
use crate::engine_messages::{EditError, LocalFigures, Rejection, TabRole};
use crate::http::{self, HttpError};
use crate::local_copy::{self, CopyKey, LastSignIn};
use crate::persist::{self, LocalState, Write};
use crate::tab_channel::TabChannel;
use crate::tab_link::{Followers, LeaderLink, Status, TabMessage};
use crate::tab_lock;

/// How long the workspace's heads must stay unchanged before its image is kept.
const IMAGE_AFTER: Duration = Duration::from_secs(2);

/// How long after a change the waiting changes are counted.
const WAITING_COUNT_DELAY_MS: u64 = 250;

/// How long a new tab waits to learn whether it leads: for the copy's lock
/// (a reload's new page asks while the old page may still hold it for a
/// moment) or for a leading tab to answer its hello.
const TAB_PATIENCE_MS: u32 = 2_000;
const TAB_POLL_MS: u32 = 10;

/// The engine's side of [`TabRole`], with its sync states.
enum TabPart {
    /// Before the decision: the last status a leader sent, if any.
    Deciding(Option<Status>),
    Leader(Followers),
    Follower(LeaderLink),
}

/// The copy lock this page asked for: for whom, and whether it has it.
struct LockRequest {
    person_id: String,
    granted: std::rc::Rc<std::cell::Cell<bool>>,
}

/// The first delay before reconnecting, and the cap it doubles up to.
pub const FIRST_RETRY_DELAY_MS: u32 = 500;
pub const MAX_RETRY_DELAY_MS: u32 = 10_000;

/// The delay before the next reconnection attempt, given the previous one.
pub fn next_retry_delay_ms(previous: Option<u32>) -> u32 {
    match previous {
        None => FIRST_RETRY_DELAY_MS,
        Some(delay) => delay
            .saturating_mul(2)
            .clamp(FIRST_RETRY_DELAY_MS, MAX_RETRY_DELAY_MS),
    }
}

/// The sync endpoint on the page's own origin: `ws:` for `http:`, `wss:` for `https:`.
pub fn socket_url(page_protocol: &str, page_host: &str) -> String {
    let scheme = if page_protocol == "https:" { "wss" } else { "ws" };
    format!("{scheme}://{page_host}/sync")
}

/// The workspace this page works on, from a `/api/workspaces` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChosenWorkspace {
    pub id: DocumentId,
    pub name: String,
    pub role: Role,
}

/// Why no workspace could be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoWorkspace {
    /// The person has no workspace on this server.
    NoneShared,
    /// The workspace this page has open is no longer shared with the person.
    NoLongerShared(DocumentId),
}

impl fmt::Display for NoWorkspace {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoneShared => formatter.write_str("you have no workspace on this server"),
            Self::NoLongerShared(id) => write!(formatter, "workspace {id} is no longer shared with you"),
        }
    }
}

/// The workspace to open: `current` if the page already has one (its role
/// may have changed), otherwise the first one listed.
pub fn choose_workspace(
    workspaces: Vec<WorkspaceSummary>,
    current: Option<DocumentId>,
) -> Result<ChosenWorkspace, NoWorkspace> {
    let mut parsed = workspaces.into_iter().filter_map(|summary| {
        let id = DocumentId::parse(&summary.id).ok()?;
        Some(ChosenWorkspace {
            id,
            name: summary.name,
            role: summary.role,
        })
    });
    match current {
        None => parsed.next().ok_or(NoWorkspace::NoneShared),
        Some(current) => parsed
            .find(|workspace| workspace.id == current)
            .ok_or(NoWorkspace::NoLongerShared(current)),
    }
}

/// An open (or opening) socket and the callbacks attached to it. The
/// callbacks must live as long as the socket may call them.
struct Connection {
    socket: WebSocket,
    /// Whether `open` fired: a socket that never opened was refused or unreachable.
    opened: bool,
    _on_open: Closure<dyn FnMut()>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl Connection {
    /// Stops the socket from calling back into callbacks about to be dropped.
    fn detach(&self) {
        self.socket.set_onopen(None);
        self.socket.set_onmessage(None);
        self.socket.set_onclose(None);
        // A normal close: the server just forgets this connection.
        let _ = self.socket.close_with_code(close::NORMAL);
    }
}

/// Everything mutable behind the handle; browser-only, so kept in local storage.
struct Engine {
    session: PeerSession,
    document_id: Option<DocumentId>,
    author: String,
    role: Option<Role>,
    connection: Option<Connection>,
    /// Increments per socket so events from an abandoned socket are ignored.
    generation: u64,
    /// Increments on every start and stop, so a fetch or timer from an
    /// earlier sign-in does nothing.
    epoch: u64,
    /// Between `start` and `stop`.
    active: bool,
    retry_delay_ms: Option<u32>,
    /// `performance.now()` when the last frame that changed the document
    /// arrived (for the map's in-page figure `data-remote-ms`).
    remote_change_at: Option<f64>,
    /// The signed-in person (whose local copy this tab reads and writes).
    person: Option<PersonView>,
    /// This page's name among the person's tabs (fixed for its life).
    tab_id: String,
    /// Leading, following or deciding (see [`crate::tab_link`]).
    tab: TabPart,
    /// The channel to the person's other tabs, while signed in.
    channel: Option<TabChannel>,
    /// The copy lock asked for (kept for the life of the page once granted).
    lock: Option<LockRequest>,
    /// The open workspace's local copy.
    local: Option<LocalState>,
    /// A count of waiting changes is scheduled.
    waiting_scheduled: bool,
    /// The records as they were before the server's refusal being handled
    /// (to show the person what was dropped).
    before_refusal: Option<Vec<Record>>,
    /// The workspace's image from the local copy, shown while the copy's
    /// document is being loaded.
    image: Option<WorkspaceImage>,
    /// The local copy is being read and loaded: nothing else may open a
    /// document meanwhile (a connection would start an empty one over it).
    opening: bool,
    /// Edits and questions that came while the copy was opening, run in
    /// order once it is open.
    deferred: Vec<Box<dyn FnOnce()>>,
    /// A test's pause between showing the image and loading the document,
    /// to watch the page meanwhile (0: none; see [`SyncCore::start`]).
    hold_load_ms: u32,
    /// The heads of the image last kept (the same is not kept twice).
    image_heads: Vec<ChangeHash>,
}

impl Engine {
    fn send_all(&self, messages: Vec<Message>) {
        let Some(connection) = &self.connection else {
            return;
        };
        if connection.socket.ready_state() != WebSocket::OPEN {
            // The session resends whatever is missing after the next `join`.
            return;
        }
        for message in messages {
            if let Err(error) = connection.socket.send_with_u8_array(&message.encode()) {
                log(&format!("could not send {}: {error:?}", message.kind()));
            }
        }
    }

    fn document(&self) -> Option<&Automerge> {
        self.session.document(self.document_id.as_ref()?)
    }

    fn leads(&self) -> bool {
        matches!(self.tab, TabPart::Leader(_))
    }

    fn follows(&self) -> bool {
        matches!(self.tab, TabPart::Follower(_))
    }

    /// Sends an encoded presence over this tab's socket, if it has one.
    fn send_presence(&mut self, data: Vec<u8>) {
        let Some(document_id) = self.document_id else {
            return;
        };
        if let Some(message) = self.session.ephemeral(document_id, data) {
            self.send_all(vec![message]);
        }
    }

    fn tell_tabs(&self, message: &TabMessage) {
        if let Some(channel) = &self.channel {
            channel.post(message);
        }
    }

    /// Introduces this tab: a leader starts a fresh sync state for it and
    /// announces itself.
    fn say_hello(&self) {
        self.tell_tabs(&TabMessage::Hello {
            tab: self.tab_id.clone(),
        });
    }

    /// Sends each tab the sync message it is due: a leader to every
    /// follower, a follower to its leader.
    fn sync_tabs(&mut self) {
        let Self {
            session,
            document_id,
            tab,
            channel,
            tab_id,
            ..
        } = self;
        let (Some(channel), Some(document)) =
            (channel.as_ref(), document_id.and_then(|id| session.document(&id)))
        else {
            return;
        };
        let outgoing = match tab {
            TabPart::Leader(followers) => followers.outgoing(document),
            TabPart::Follower(link) => link.outgoing(document).into_iter().collect(),
            TabPart::Deciding(_) => Vec::new(),
        };
        for (to, message) in outgoing {
            channel.post(&TabMessage::Sync {
                from: tab_id.clone(),
                to,
                message,
            });
        }
    }

    /// Closes the socket and forgets the document and the person.
    fn reset(&mut self) {
        if let Some(previous) = self.connection.take() {
            previous.detach();
        }
        self.session = PeerSession::new(fresh_peer_id());
        self.document_id = None;
        self.role = None;
        self.author.clear();
        self.person = None;
        self.local = None;
        self.image = None;
        self.opening = false;
        self.deferred.clear();
        self.image_heads.clear();
        self.tab = TabPart::Deciding(None);
        self.channel = None;
        self.generation += 1;
        self.epoch += 1;
        self.retry_delay_ms = None;
    }
}

fn fresh_peer_id() -> PeerId {
    PeerId::new(format!(
        "enlace-browser-{}",
        ids::record_id(browser::random_bytes())
    ))
}

/// The sync engine, run in the worker ([`crate::engine_worker`]). Cheap to copy.
#[derive(Clone, Copy)]
pub struct SyncCore {
    connection: RwSignal<ConnectionState>,
    rejection: RwSignal<Option<Rejection>>,
    workspace_name: RwSignal<Option<String>>,
    workspace_id: RwSignal<Option<DocumentId>>,
    role: RwSignal<Option<Role>>,
    /// Bumped whenever the document changes (or is dropped), so the
    /// snapshot is read once per change.
    revision: RwSignal<u64>,
    /// Everyone else's presence; notifies only when who or where changes,
    /// not on every heartbeat.
    presence: RwSignal<PresenceBoard>,
    /// This browser's changes the server has not acknowledged yet.
    waiting: RwSignal<usize>,
    /// The workspace shown was opened from this browser's copy (before or
    /// without the network).
    from_local_copy: RwSignal<bool>,
    local_figures: RwSignal<LocalFigures>,
    /// Leading or following the person's other tabs.
    tab_role: RwSignal<TabRole>,
    /// Every record, read once per revision.
    snapshot: Memo<Arc<Snapshot>>,
    engine: StoredValue<Engine, LocalStorage>,
    /// Called when the server says the session is over.
    on_signed_out: Callback<()>,
    /// Called once the workspace's image from the local copy is the
    /// snapshot, before the copy's document is loaded (which holds this
    /// thread for a while): the worker sends it to the page then.
    on_image: Callback<()>,
}

impl SyncCore {
    /// Creates the handle, idle until [`Self::start`]. Call once, at the
    /// app's root; `on_signed_out` runs when the server ends the session.
    pub fn new(on_signed_out: Callback<()>, on_image: Callback<()>) -> Self {
        let session = PeerSession::new(fresh_peer_id());
        let presence = RwSignal::new(PresenceBoard::new(session.peer_id().clone()));
        let revision = RwSignal::new(0);
        let engine = StoredValue::new_local(Engine {
            session,
            document_id: None,
            author: String::new(),
            role: None,
            connection: None,
            generation: 0,
            epoch: 0,
            active: false,
            retry_delay_ms: None,
            remote_change_at: None,
            person: None,
            tab_id: ids::record_id(browser::random_bytes()),
            tab: TabPart::Deciding(None),
            channel: None,
            lock: None,
            local: None,
            waiting_scheduled: false,
            before_refusal: None,
            image: None,
            opening: false,
            deferred: Vec::new(),
            hold_load_ms: 0,
            image_heads: Vec::new(),
        });
        Self {
            presence,
            connection: RwSignal::new(ConnectionState::SignedOut),
            rejection: RwSignal::new(None),
            workspace_name: RwSignal::new(None),
            workspace_id: RwSignal::new(None),
            role: RwSignal::new(None),
            revision,
            snapshot: present_snapshot(revision, engine),
            engine,
            waiting: RwSignal::new(0),
            from_local_copy: RwSignal::new(false),
            local_figures: RwSignal::new(LocalFigures::default()),
            tab_role: RwSignal::new(TabRole::Deciding),
            on_signed_out,
            on_image,
        }
        .announcing()
        .keeping_images()
    }

    /// Once the workspace's heads have not changed for [`IMAGE_AFTER`], its
    /// records are kept beside the local copy, to be drawn first at the
    /// next opening. (The revision also moves for the connection's comings
    /// and goings, which change no record.)
    fn keeping_images(self) -> Self {
        let snapshot = self.snapshot;
        Effect::new(move || {
            let heads = snapshot.with(|snapshot| snapshot.heads().to_vec());
            browser::after(IMAGE_AFTER, move || {
                if let Some(settled) = snapshot
                    .try_get_untracked()
                    .filter(|snapshot| snapshot.heads() == heads.as_slice())
                {
                    self.keep_image(&settled);
                }
            });
        });
        self
    }

    /// A leading tab tells its followers whenever what their indicator
    /// shows changes.
    fn announcing(self) -> Self {
        Effect::new(move |_| {
            self.connection.track();
            self.role.track();
            self.waiting.track();
            self.workspace_name.track();
            self.workspace_id.track();
            self.tab_role.track();
            self.announce();
        });
        self
    }

    /// A leading tab's status, to its followers.
    fn announce(&self) {
        let (Some(Some(workspace)), Some(TabRole::Leader)) = (
            self.workspace_id.try_get_untracked(),
            self.tab_role.try_get_untracked(),
        ) else {
            return;
        };
        self.engine.with_value(|engine| {
            engine.tell_tabs(&TabMessage::Status(Status {
                leader: engine.tab_id.clone(),
                workspace,
                workspace_name: self.workspace_name.get_untracked().unwrap_or_default(),
                role: self.role.get_untracked(),
                connection: self.connection.get_untracked(),
                waiting: self.waiting.get_untracked(),
            }));
        });
    }

    /// Starts syncing as `person`, whose display name `author` is written
    /// into every change. Restarts from scratch if already running. The
    /// person's local copy of their last workspace, if this browser has
    /// one, is opened first, before the network. `hold_load_ms` (0 but in
    /// tests) pauses between drawing the copy's image and loading its
    /// document, as a large workspace's load would.
    pub fn start(&self, author: &str, person: PersonView, hold_load_ms: u32) {
        self.stop();
        let Some(epoch) = self.engine.try_update_value(|engine| {
            engine.author = author.to_owned();
            engine.person = Some(person);
            engine.hold_load_ms = hold_load_ms;
            engine.active = true;
            engine.epoch
        }) else {
            return;
        };
        let this = *self;
        spawn_local(async move {
            let leads = this.take_part(epoch).await;
            this.open_local_copy(epoch, leads).await;
            if leads {
                this.connect(epoch);
            } else {
                this.follow(epoch);
            }
        });
    }

    /// Opens the channel to the person's other tabs and decides whether
    /// this tab leads: it does if it gets the copy's lock within
    /// [`TAB_PATIENCE_MS`]; it follows as soon as a leader answers its
    /// hello, or when the patience runs out. A follower's lock request
    /// stays queued: granted later, this tab takes over ([`Self::promote`]).
    async fn take_part(self, epoch: u64) -> bool {
        let Some(person_id) = self
            .engine
            .try_with_value(|engine| engine.person.as_ref().map(|person| person.id.clone()))
            .flatten()
        else {
            return true;
        };
        let channel = TabChannel::open(&person_id, move |message| self.on_tab_message(message));
        let Some(channel) = channel else {
            // No way to coordinate: lead alone, as if the only tab.
            self.set_tab(TabPart::Leader(Followers::default()));
            return true;
        };
        let granted = self.engine.try_update_value(|engine| {
            engine.channel = Some(channel);
            engine.say_hello();
            match &engine.lock {
                Some(lock) if lock.person_id == person_id => Some(lock.granted.clone()),
                _ => None,
            }
        });
        let Some(granted) = granted else {
            return true;
        };
        let granted = match granted {
            Some(granted) => granted,
            None => {
                let granted = std::rc::Rc::new(std::cell::Cell::new(false));
                let flag = granted.clone();
                let person = person_id.clone();
                let asked = tab_lock::request(&person_id, move || {
                    flag.set(true);
                    self.lock_granted(&person);
                });
                if !asked {
                    self.engine.update_value(|engine| engine.channel = None);
                    self.set_tab(TabPart::Leader(Followers::default()));
                    return true;
                }
                self.engine.update_value(|engine| {
                    engine.lock = Some(LockRequest {
                        person_id: person_id.clone(),
                        granted: granted.clone(),
                    });
                });
                granted
            }
        };
        let mut waited = 0;
        loop {
            if granted.get() {
                break;
            }
            let heard = self
                .engine
                .try_with_value(|engine| matches!(engine.tab, TabPart::Deciding(Some(_))))
                .unwrap_or(false);
            if heard || waited >= TAB_PATIENCE_MS {
                break;
            }
            browser::sleep_ms(TAB_POLL_MS).await;
            waited += TAB_POLL_MS;
        }
        if !self.is_epoch(epoch) {
            return false;
        }
        let leads = granted.get();
        if leads {
            self.set_tab(TabPart::Leader(Followers::default()));
        }
        leads
    }

    fn set_tab(&self, part: TabPart) {
        let role = match part {
            TabPart::Deciding(_) => TabRole::Deciding,
            TabPart::Leader(_) => TabRole::Leader,
            TabPart::Follower(_) => TabRole::Follower,
        };
        self.engine.update_value(|engine| engine.tab = part);
        self.tab_role.set(role);
    }

    /// The copy's lock came to this page. A follower takes over; a tab
    /// still deciding sees the flag.
    fn lock_granted(self, person_id: &str) {
        let Some((true, epoch)) = self.engine.try_with_value(|engine| {
            let same_person = engine
                .person
                .as_ref()
                .is_some_and(|person| person.id == person_id);
            (same_person && engine.active && engine.follows(), engine.epoch)
        }) else {
            return;
        };
        spawn_local(async move { self.promote(epoch).await });
    }

    /// Follows the leading tab: no socket; the document comes and goes
    /// through the leader.
    fn follow(self, epoch: u64) {
        if !self.is_epoch(epoch) {
            return;
        }
        let heard = self
            .engine
            .try_update_value(|engine| match &mut engine.tab {
                TabPart::Deciding(heard) => heard.take(),
                _ => None,
            })
            .flatten();
        self.set_tab(TabPart::Follower(LeaderLink::default()));
        self.connection.set(ConnectionState::Connecting);
        match heard {
            // Says hello again to this leader, now with a document to sync.
            Some(status) => self.follow_status(status),
            // Asks the leader (still opening, perhaps) to announce itself.
            None => self.engine.with_value(Engine::say_hello),
        }
    }

    /// The leading tab closed and its lock came here: read the copy as its
    /// owner, keep what this tab holds besides, connect, and lead.
    async fn promote(self, epoch: u64) {
        let Some((Some(person), workspace)) = self
            .engine
            .try_with_value(|engine| (engine.person.clone(), engine.document_id))
        else {
            return;
        };
        self.set_tab(TabPart::Leader(Followers::default()));
        // Live was the old leader's connection; this tab's is not open yet.
        self.connection.set(ConnectionState::Connecting);
        let Some(workspace) = workspace else {
            // No leader ever told this tab its workspace: start as a leader would.
            self.open_local_copy(epoch, true).await;
            return self.connect(epoch);
        };
        let key = CopyKey::new(&person.id, workspace);
        let stored = match local_copy::load(&key).await {
            Ok(stored) => stored,
            Err(error) => {
                log(&error.to_string());
                None
            }
        };
        if !self.is_epoch(epoch) {
            return;
        }
        self.engine.update_value(|engine| {
            // Taken, not copied: `open` below replaces it.
            let Some(mut held) = engine.session.document_mut(&workspace).map(std::mem::take) else {
                return;
            };
            let name = model::workspace_name(&held).unwrap_or_default();
            let restored = stored.and_then(|stored| match LocalState::restored(key.clone(), stored, true) {
                Ok(restored) => Some(restored),
                Err(error) => {
                    log(&format!("the local copy does not load: {error}"));
                    None
                }
            });
            let (state, document) = match restored {
                Some((mut state, mut document)) => {
                    if let Err(error) = document.merge(&mut held) {
                        log(&format!(
                            "could not keep this tab's changes with the copy: {error}"
                        ));
                    }
                    state.replaced(&document);
                    (state, document)
                }
                None => {
                    let state = LocalState::fresh(key, &mut held, &name, engine.role, true);
                    (state, held)
                }
            };
            // Nothing to send: the socket is not open yet.
            let _ = engine.session.open(workspace, document);
            engine.local = Some(state);
        });
        self.write_local_copy();
        self.publish();
        self.connect(epoch);
    }

    /// What another tab of the person said.
    fn on_tab_message(self, message: TabMessage) {
        match message {
            TabMessage::Hello { tab } => {
                let leads = self
                    .engine
                    .try_update_value(|engine| match &mut engine.tab {
                        TabPart::Leader(followers) => {
                            followers.hello(&tab);
                            true
                        }
                        _ => false,
                    })
                    .unwrap_or(false);
                if leads {
                    self.announce();
                    self.engine.update_value(Engine::sync_tabs);
                }
            }
            TabMessage::Status(status) => {
                let deciding = self
                    .engine
                    .try_update_value(|engine| match &mut engine.tab {
                        TabPart::Deciding(heard) => {
                            *heard = Some(status.clone());
                            true
                        }
                        _ => false,
                    })
                    .unwrap_or(false);
                if !deciding {
                    self.follow_status(status);
                }
            }
            TabMessage::Sync { from, to, message } => self.tab_sync(&from, &to, &message),
            TabMessage::Replaced {
                leader,
                snapshot,
                dropped,
                reason,
                refusal,
            } => self.take_leaders_document(&leader, &snapshot, dropped, reason, refusal.as_deref()),
            TabMessage::Presence { frame } => {
                let Some(true) = self.engine.try_with_value(Engine::follows) else {
                    return;
                };
                if let Ok(message) = Message::decode(&frame) {
                    let now = now();
                    self.presence
                        .maybe_update(|board| board.receive_message(&message, now));
                }
            }
            TabMessage::FollowerPresence { presence } => {
                // Only what a follower may say: a well-formed presence that
                // names its tab (the server stamps the person).
                let named = Presence::decode(&presence).is_ok_and(|presence| presence.tab.is_some());
                if named {
                    self.engine.update_value(|engine| {
                        if engine.leads() {
                            engine.send_presence(presence);
                        }
                    });
                }
            }
            TabMessage::SignedOut => {
                // Not from inside the channel's own callback, which `stop` drops.
                spawn_local(async move { self.signed_out() });
            }
        }
    }

    /// A follower takes the leader's status: the leader to sync with, the
    /// workspace (opened empty if this tab had no copy of it), the role
    /// and what the indicator shows.
    fn follow_status(self, status: Status) {
        let Some(Some(fresh_leader)) = self.engine.try_update_value(|engine| {
            let TabPart::Follower(link) = &mut engine.tab else {
                return None;
            };
            let fresh = link.follow(&status.leader);
            match engine.document_id {
                None => {
                    engine.document_id = Some(status.workspace);
                    let _ = engine.session.open(status.workspace, Automerge::new());
                }
                Some(current) if current != status.workspace => {
                    log("the leading tab has another workspace open");
                    return None;
                }
                Some(_) => {}
            }
            engine.role = status.role;
            Some(fresh)
        }) else {
            return;
        };
        if fresh_leader {
            self.engine.with_value(Engine::say_hello);
        }
        set_changed(self.connection, status.connection);
        set_changed(self.role, status.role);
        set_changed(self.waiting, status.waiting);
        set_changed(self.workspace_id, Some(status.workspace));
        if !status.workspace_name.is_empty() {
            set_changed(self.workspace_name, Some(status.workspace_name));
        }
        self.engine.update_value(Engine::sync_tabs);
    }

    /// A sync message between this tab and another: applied, then answered.
    fn tab_sync(self, from: &str, to: &str, message: &[u8]) {
        let Some(Some(changed)) = self.engine.try_update_value(|engine| {
            if to != engine.tab_id {
                return None;
            }
            let document_id = engine.document_id?;
            let document = engine.session.document_mut(&document_id)?;
            let received = match &mut engine.tab {
                TabPart::Leader(followers) => followers.receive(document, from, message),
                TabPart::Follower(link) if link.leader() == Some(from) => link.receive(document, message),
                _ => return None,
            };
            match received {
                Ok(changed) => Some(changed),
                Err(error) => {
                    log(&error);
                    Some(false)
                }
            }
        }) else {
            return;
        };
        if !changed {
            self.engine.update_value(Engine::sync_tabs);
            return;
        }
        // A follower's edit reached the leader: on to the server.
        let output = self.engine.try_update_value(|engine| {
            let document_id = engine.document_id?;
            engine
                .leads()
                .then(|| engine.session.handle(now(), Input::LocalChange(document_id)))
        });
        if let Some(Some(output)) = output {
            self.after_output(output_or_log(output));
        }
        self.publish();
    }

    /// The server refused changes and the leader dropped them: a follower
    /// takes the leader's document and shows what this tab loses by it.
    fn take_leaders_document(
        self,
        leader: &str,
        snapshot: &[u8],
        dropped: usize,
        reason: String,
        refusal: Option<&str>,
    ) {
        let lost = self.engine.try_update_value(|engine| {
            let TabPart::Follower(link) = &mut engine.tab else {
                return None;
            };
            if link.leader() != Some(leader) {
                return None;
            }
            let document_id = engine.document_id?;
            let current = engine.session.document(&document_id)?;
            let before = timetravel::read_workspace(current);
            let actor = current.get_actor().clone();
            let document = match Automerge::load(snapshot) {
                Ok(document) => document.with_actor(actor),
                Err(error) => {
                    log(&format!("the leading tab's document does not load: {error}"));
                    return None;
                }
            };
            let lost = timetravel::compare_records(&timetravel::read_workspace(&document), &before);
            let _ = engine.session.open(document_id, document);
            link.reset();
            Some(lost)
        });
        let Some(Some(lost)) = lost else {
            return;
        };
        if !lost.is_empty() {
            self.rejection.set(Some(Rejection {
                dropped,
                lost,
                reason,
                refusal: refusal.and_then(Refusal::from_code),
            }));
        }
        self.publish();
    }

    /// Opens the local copy of the person's last workspace, if any.
    /// Only the leading tab (`owns`) writes it; a follower reads it and
    /// edits with an actor of its own. Meanwhile no connection opens a
    /// document (it would start an empty one over the copy); the callers
    /// connect once it is done.
    async fn open_local_copy(self, epoch: u64, owns: bool) {
        self.engine.update_value(|engine| engine.opening = true);
        self.read_local_copy(epoch, owns).await;
        if !self.is_epoch(epoch) {
            return;
        }
        let deferred = self
            .engine
            .try_update_value(|engine| {
                engine.opening = false;
                std::mem::take(&mut engine.deferred)
            })
            .unwrap_or_default();
        for run in deferred {
            run();
        }
    }

    /// Keeps `run` for when the local copy is open (while it opens, the
    /// document would answer as not loaded yet).
    fn after_opening(&self, run: impl FnOnce() + 'static) {
        self.engine
            .update_value(|engine| engine.deferred.push(Box::new(run)));
    }

    /// The local copy is being read and loaded.
    fn opening(&self) -> bool {
        self.engine
            .try_with_value(|engine| engine.opening)
            .unwrap_or(false)
    }

    async fn read_local_copy(self, epoch: u64, owns: bool) {
        let Some(person) = self
            .engine
            .try_with_value(|engine| engine.person.clone())
            .flatten()
        else {
            return;
        };
        let last = match local_copy::last_sign_in().await {
            Ok(last) => last,
            Err(error) => return log(&error.to_string()),
        };
        let Some(workspace) = last
            .filter(|last| last.person.id == person.id)
            .and_then(|last| last.workspace)
        else {
            return;
        };
        let key = CopyKey::new(&person.id, workspace);
        let read_started = browser::performance_now();
        let stored = match local_copy::load(&key).await {
            Ok(Some(stored)) => stored,
            Ok(None) => return,
            Err(error) => return log(&error.to_string()),
        };
        let read = browser::performance_now();
        if !self.is_epoch(epoch) {
            return;
        }
        let (name, role) = (stored.meta.workspace_name.clone(), stored.meta.role);
        if let Some(image) = stored.image.as_deref() {
            self.show_image(image, &name, role);
            let hold = self
                .engine
                .try_with_value(|engine| engine.hold_load_ms)
                .unwrap_or_default();
            if hold > 0 {
                browser::sleep_ms(hold).await;
                if !self.is_epoch(epoch) {
                    return;
                }
            }
        }
        let load_started = browser::performance_now();
        let restored = LocalState::restored(key, stored, owns);
        self.engine.update_value(|engine| engine.image = None);
        let (state, document) = match restored {
            Ok(restored) => restored,
            Err(error) => {
                self.revision.update(|revision| *revision += 1);
                return log(&format!("the local copy does not load: {error}"));
            }
        };
        let loaded = browser::performance_now();
        self.local_figures.update(|figures| {
            figures.read_at_ms = Some(read_started);
            figures.read_ms = Some(read - read_started);
            figures.load_ms = Some(loaded - load_started);
        });
        self.engine.update_value(|engine| {
            engine.document_id = Some(workspace);
            engine.role = role;
            // Nothing to send: the socket is not open yet.
            let _ = engine.session.open(workspace, document);
            engine.local = Some(state);
        });
        self.role.set(role);
        self.workspace_id.set(Some(workspace));
        self.workspace_name.set(Some(name));
        self.from_local_copy.set(true);
        self.publish();
    }

    /// Shows the workspace's image kept beside the copy (the records as
    /// this browser last showed them) before the copy's document is
    /// loaded, which holds this thread for a while. An image that does not
    /// decode is skipped: the document follows anyway.
    fn show_image(self, bytes: &[u8], name: &str, role: Option<Role>) {
        let started = browser::performance_now();
        let image = match WorkspaceImage::decode(bytes) {
            Ok(image) => image,
            Err(error) => return log(&error.to_string()),
        };
        let decoded = browser::performance_now();
        self.engine.update_value(|engine| engine.image = Some(image));
        self.local_figures
            .update(|figures| figures.image_read_ms = Some(decoded - started));
        self.role.set(role);
        self.workspace_name.set(Some(name.to_owned()));
        self.revision.update(|revision| *revision += 1);
        self.on_image.run(());
    }

    /// Closes the socket, cancels retries and forgets the document (on sign-out).
    pub fn stop(&self) {
        self.engine.update_value(|engine| {
            engine.active = false;
            engine.reset();
        });
        self.connection.set(ConnectionState::SignedOut);
        self.tab_role.set(TabRole::Deciding);
        self.waiting.set(0);
        self.from_local_copy.set(false);
        self.rejection.set(None);
        self.workspace_name.set(None);
        self.workspace_id.set(None);
        self.role.set(None);
        self.revision.update(|revision| *revision += 1);
        if let Some(own_peer) = self
            .engine
            .try_with_value(|engine| engine.session.peer_id().clone())
        {
            self.presence.set(PresenceBoard::new(own_peer));
        }
    }

    /// The person signs out in this tab: every other tab of theirs stops
    /// too (then the app wipes the copy).
    pub fn sign_out(&self) {
        self.engine
            .with_value(|engine| engine.tell_tabs(&TabMessage::SignedOut));
        self.stop();
    }

    /// The session ended (the server said so, or another tab signed out):
    /// stop, then tell the app. A leading tab tells its followers, which
    /// have no socket to hear it.
    fn signed_out(self) {
        let was_active = self
            .engine
            .try_with_value(|engine| {
                if engine.leads() {
                    engine.tell_tabs(&TabMessage::SignedOut);
                }
                engine.active
            })
            .unwrap_or(false);
        self.stop();
        if was_active {
            self.on_signed_out.run(());
        }
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

    /// Sends this tab's presence as an `ephemeral` message for the open
    /// workspace; does nothing while not connected (presence is best
    /// effort: the next heartbeat after reconnecting says it again). A
    /// follower names its tab and sends it through its leader's socket, so
    /// the others see it as a place of its own.
    pub fn send_presence(&self, mut presence: Presence) {
        self.engine.update_value(|engine| {
            if engine.follows() {
                presence.tab = Some(engine.tab_id.clone());
                engine.tell_tabs(&TabMessage::FollowerPresence {
                    presence: presence.encode(),
                });
            } else {
                engine.send_presence(presence.encode());
            }
        });
    }

    /// Forgets the tabs not heard from for the presence timeout.
    pub fn expire_presence(&self) {
        let now = now();
        self.presence.maybe_update(|board| board.expire(now));
    }

    /// `performance.now()` when the last frame from the server that changed
    /// the document arrived (not tracked).
    pub fn remote_change_at(&self) -> Option<f64> {
        self.engine
            .try_with_value(|engine| engine.remote_change_at)
            .flatten()
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
        let Some((epoch, down)) = self.engine.try_update_value(|engine| {
            let down = engine.connection.as_ref().is_none_or(|connection| {
                let state = connection.socket.ready_state();
                state != WebSocket::OPEN && state != WebSocket::CONNECTING
            });
            if down {
                engine.retry_delay_ms = None;
            }
            (engine.epoch, down && engine.active)
        }) else {
            return;
        };
        if down {
            self.connect(epoch);
        }
    }

    /// The browser says the network is gone (its `offline` event): drops
    /// the socket now rather than waiting for it to time out, and keeps
    /// retrying with backoff until the `online` event or a retry gets through.
    pub fn went_offline(&self) {
        let epoch = self
            .engine
            .try_update_value(|engine| {
                let connection = engine.connection.take()?;
                connection.detach();
                // Disconnected never fails and never asks to send anything.
                let _ = engine.session.handle(now(), Input::Disconnected);
                engine.generation += 1;
                engine.active.then_some(engine.epoch)
            })
            .flatten();
        let Some(epoch) = epoch else {
            return;
        };
        self.presence.maybe_update(|board| {
            let had_anyone = !board.people().is_empty();
            board.clear();
            had_anyone
        });
        self.retry_later(epoch);
    }

    /// The document's revision: it changes whenever the document does.
    pub fn revision(&self) -> Signal<u64> {
        self.revision.into()
    }

    /// Every record of the workspace, read once per revision: from the
    /// document, or from the workspace's image while the local copy's
    /// document is being loaded (see [`crate::local_copy`]).
    pub fn snapshot(&self) -> Memo<Arc<Snapshot>> {
        self.snapshot
    }

    /// Keeps `snapshot` as the workspace's image beside the local copy,
    /// for the next opening, if this tab writes the copy, the snapshot shows
    /// the document as it is now and that image is not kept yet. Nothing is
    /// copied or encoded otherwise.
    fn keep_image(&self, snapshot: &Snapshot) {
        let started = browser::performance_now();
        let kept = self.engine.try_update_value(|engine| {
            let heads = snapshot.heads();
            let current = engine
                .document()
                .is_some_and(|document| document.get_heads() == heads);
            let owns = engine.local.as_ref().is_some_and(|local| local.owns);
            if !current || !owns || engine.image_heads == heads {
                return false;
            }
            let Some(image) = snapshot.image() else {
                return false;
            };
            let queued = engine
                .local
                .as_mut()
                .is_some_and(|local| local.keep_image(image.encode()));
            if queued {
                engine.image_heads = image.heads;
            }
            queued
        });
        if kept != Some(true) {
            return;
        }
        let took = browser::performance_now() - started;
        self.local_figures.update(|figures| {
            figures.image_encode_ms = Some(took);
            figures.images_kept += 1;
            figures.image_current = true;
        });
        self.write_local_copy();
    }

    /// Answers `query` from the document; `answered` hears the answer
    /// (`None` before the document is loaded). Components never read the
    /// document otherwise, apart from the workspace's snapshot.
    pub fn ask(&self, query: Query, answered: impl FnOnce(Option<Answer>) + 'static) {
        if self.opening() {
            let this = *self;
            self.after_opening(move || this.ask(query, answered));
            return;
        }
        let answer = self
            .engine
            .try_with_value(move |engine| engine.document().map(|document| query.answer(document)))
            .flatten();
        answered(answer);
    }

    /// Whether the document is loaded (not only its image shown).
    pub fn has_document(&self) -> bool {
        self.engine
            .try_with_value(|engine| engine.document().is_some())
            .unwrap_or(false)
    }

    /// The actor this tab edits with, in hex (`None` before the document
    /// is loaded). Tracks [`Self::revision`].
    pub fn actor(&self) -> Option<String> {
        self.revision.track();
        self.engine
            .try_with_value(|engine| {
                engine
                    .document()
                    .map(|document| document.get_actor().to_hex_string())
            })
            .flatten()
    }

    /// Makes `intent` one change of the document if the person's role
    /// allows it, hands it to the session to send, and republishes; `done`
    /// hears how it went. Components never write to the document otherwise.
    pub fn edit(&self, intent: Intent, done: impl FnOnce(Result<Outcome, EditError>) + 'static) {
        if self.opening() {
            let this = *self;
            self.after_opening(move || this.edit(intent, done));
            return;
        }
        let result =
            self.engine
                .try_update_value(move |engine| {
                    let document_id = engine.document_id.ok_or(EditError::NotLoaded)?;
                    let role = engine.role.ok_or(EditError::NotLoaded)?;
                    if let Some(refusal) = roles::reason(role, intent.capability()) {
                        return Err(EditError::Forbidden(refusal));
                    }
                    let authorship = Authorship {
                        now_ms: browser::now_ms(),
                        author: &engine.author,
                    };
                    let document = engine
                        .session
                        .document_mut(&document_id)
                        .ok_or(EditError::NotLoaded)?;
                    let mut new_id = || ids::record_id(browser::random_bytes());
                    let outcome = intent
                        .apply(document, &authorship, &mut new_id)
                        .map_err(|error| match error {
                            // The workspace, or a change a restore names, has
                            // not reached this copy yet.
                            ModelError::MissingCollection(_)
                            | ModelError::Automerge(AutomergeError::MissingHash(_)) => EditError::NotLoaded,
                            ModelError::Required(_) => EditError::Required,
                            other => EditError::Failed(other.to_string()),
                        })?;
                    let output = engine.session.handle(now(), Input::LocalChange(document_id));
                    Ok((outcome, output))
                })
                .unwrap_or(Err(EditError::NotLoaded));
        match result {
            Ok((outcome, output)) => {
                self.after_output(output_or_log(output));
                self.publish();
                done(Ok(outcome));
            }
            Err(error) => done(Err(error)),
        }
    }

    /// Re-reads the person's role in the open workspace from `/api/workspaces`.
    fn refresh_role(self) {
        let Some((epoch, Some(current))) = self
            .engine
            .try_with_value(|engine| (engine.epoch, engine.document_id))
        else {
            return;
        };
        spawn_local(async move {
            let Ok(workspaces) = http::workspaces().await else {
                return;
            };
            if !self.is_epoch(epoch) {
                return;
            }
            if let Ok(workspace) = choose_workspace(workspaces, Some(current)) {
                self.engine
                    .update_value(|engine| engine.role = Some(workspace.role));
                self.role.set(Some(workspace.role));
            }
        });
    }

    /// Whether `epoch` is still the current sign-in.
    fn is_epoch(&self, epoch: u64) -> bool {
        self.engine
            .try_with_value(|engine| engine.active && engine.epoch == epoch)
            .unwrap_or(false)
    }

    /// Fetches the workspace list (the role, and the document the first
    /// time), then opens the socket.
    fn connect(self, epoch: u64) {
        // Only the leading tab has a socket, once its copy is open.
        if !self.is_epoch(epoch)
            || self
                .engine
                .try_with_value(|engine| engine.follows() || engine.opening)
                .unwrap_or(true)
        {
            return;
        }
        self.connection.set(ConnectionState::Connecting);
        spawn_local(async move {
            let answer = http::workspaces().await;
            if !self.is_epoch(epoch) {
                return;
            }
            let workspaces = match answer {
                Ok(workspaces) => workspaces,
                Err(HttpError::SignedOut) => return self.signed_out(),
                Err(error) => {
                    log(&error.to_string());
                    return self.retry_later(epoch);
                }
            };
            let current = self.engine.try_with_value(|engine| engine.document_id).flatten();
            match choose_workspace(workspaces, current) {
                Ok(workspace) => {
                    let last = self.engine.try_update_value(|engine| {
                        engine.role = Some(workspace.role);
                        if engine.document_id.is_none() {
                            engine.document_id = Some(workspace.id);
                            let mut document = Automerge::new();
                            if let Some(person) = &engine.person {
                                engine.local = Some(LocalState::fresh(
                                    CopyKey::new(&person.id, workspace.id),
                                    &mut document,
                                    &workspace.name,
                                    Some(workspace.role),
                                    engine.leads(),
                                ));
                            }
                            // Nothing to send: the socket is not open yet.
                            let _ = engine.session.open(workspace.id, document);
                        }
                        if let Some(local) = &mut engine.local {
                            local.heard(&workspace.name, workspace.role);
                        }
                        engine.person.clone().map(|person| LastSignIn {
                            person,
                            workspace: Some(workspace.id),
                        })
                    });
                    if let Some(Some(last)) = last {
                        spawn_local(async move {
                            if let Err(error) = local_copy::remember_sign_in(&last).await {
                                log(&error.to_string());
                            }
                        });
                    }
                    self.write_local_copy();
                    self.role.set(Some(workspace.role));
                    set_changed(self.workspace_id, Some(workspace.id));
                    if self.workspace_name.get_untracked().is_none() {
                        self.workspace_name.set(Some(workspace.name));
                    }
                    self.open_socket(epoch);
                }
                Err(error) => {
                    log(&error.to_string());
                    self.role.set(None);
                    self.engine.update_value(|engine| engine.role = None);
                    self.retry_later(epoch);
                }
            }
        });
    }

    fn open_socket(self, epoch: u64) {
        let Some(url) = page_socket_url() else {
            log("no window.location to connect to");
            return self.retry_later(epoch);
        };
        let socket = match WebSocket::new(&url) {
            Ok(socket) => socket,
            Err(error) => {
                log(&format!("could not open {url}: {error:?}"));
                return self.retry_later(epoch);
            }
        };
        socket.set_binary_type(BinaryType::Arraybuffer);
        let Some(generation) = self.engine.try_update_value(|engine| {
            engine.generation += 1;
            engine.generation
        }) else {
            return;
        };
        let on_open = Closure::<dyn FnMut()>::new(move || self.on_open(generation));
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            self.on_message(generation, &event);
        });
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| {
            self.on_close(generation, epoch, event.code());
        });
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        let connection = Connection {
            socket,
            opened: false,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        };
        // The previous connection's callbacks are not running now: this runs
        // from a timer or a fetch, never from a socket event.
        self.engine.update_value(|engine| {
            if let Some(previous) = engine.connection.replace(connection) {
                previous.detach();
            }
        });
    }

    fn is_current(&self, generation: u64) -> bool {
        self.engine
            .try_with_value(|engine| engine.generation == generation)
            .unwrap_or(false)
    }

    fn on_open(self, generation: u64) {
        if !self.is_current(generation) {
            return;
        }
        let output = self.engine.try_update_value(|engine| {
            if let Some(connection) = &mut engine.connection {
                connection.opened = true;
            }
            engine.session.handle(now(), Input::Connected)
        });
        self.after_output(output.and_then(output_or_log));
    }

    fn on_message(self, generation: u64, event: &MessageEvent) {
        if !self.is_current(generation) {
            return;
        }
        let Ok(buffer) = event.data().dyn_into::<js_sys::ArrayBuffer>() else {
            log("ignoring a text frame: the protocol uses binary frames");
            return;
        };
        let frame = js_sys::Uint8Array::new(&buffer).to_vec();
        let message = match Message::decode(&frame) {
            Ok(message) => message,
            Err(error) => return log(&format!("ignoring an undecodable frame: {error}")),
        };
        let arrived = browser::performance_now();
        if matches!(message, Message::Rejected { .. }) {
            self.engine.update_value(|engine| {
                engine.before_refusal = engine.document().map(timetravel::read_workspace);
            });
        }
        let output = self.engine.try_update_value(|engine| {
            let output = engine.session.handle(now(), Input::Received(message));
            if output.as_ref().is_ok_and(|output| !output.changed.is_empty()) {
                engine.remote_change_at = Some(arrived);
            }
            output
        });
        self.after_output(output.and_then(output_or_log));
    }

    fn on_close(self, generation: u64, epoch: u64, code: u16) {
        if !self.is_current(generation) {
            return;
        }
        let opened = self
            .engine
            .try_update_value(|engine| {
                // Disconnected never fails and never asks to send anything.
                let _ = engine.session.handle(now(), Input::Disconnected);
                engine
                    .connection
                    .as_ref()
                    .is_some_and(|connection| connection.opened)
            })
            .unwrap_or(false);
        // Nobody's presence can be confirmed without the socket.
        self.presence.maybe_update(|board| {
            let had_anyone = !board.people().is_empty();
            board.clear();
            had_anyone
        });
        if code == close::SIGNED_OUT {
            // Not from inside this socket's own callback, which `stop` drops.
            spawn_local(async move { self.signed_out() });
            return;
        }
        if !opened {
            // Refused before the upgrade (401 when the session is gone) or
            // unreachable: the next attempt's `/api/workspaces` tells which.
            log("the sync socket did not open");
        }
        self.retry_later(epoch);
    }

    fn retry_later(self, epoch: u64) {
        if !self.is_epoch(epoch) {
            return;
        }
        self.connection.set(ConnectionState::Offline);
        let Some(delay) = self.engine.try_update_value(|engine| {
            let delay = next_retry_delay_ms(engine.retry_delay_ms);
            engine.retry_delay_ms = Some(delay);
            delay
        }) else {
            return;
        };
        browser::after(Duration::from_millis(u64::from(delay)), move || {
            self.connect(epoch);
        });
    }

    /// Sends what the session produced and reacts to its events.
    fn after_output(&self, output: Option<Output>) {
        let Some(output) = output else {
            return;
        };
        let Output {
            send,
            changed,
            events,
            ephemeral,
        } = output;
        self.engine.with_value(|engine| {
            engine.send_all(send);
            if engine.leads() {
                for message in &ephemeral {
                    engine.tell_tabs(&TabMessage::Presence {
                        frame: message.encode(),
                    });
                }
            }
        });
        if !ephemeral.is_empty() {
            let now = now();
            self.presence.maybe_update(|board| {
                let mut changed = false;
                for message in &ephemeral {
                    changed |= board.receive_message(message, now);
                }
                changed
            });
        }
        for event in events {
            match event {
                SessionEvent::Joined { .. } => {
                    self.engine.update_value(|engine| engine.retry_delay_ms = None);
                    self.connection.set(ConnectionState::Live);
                }
                SessionEvent::DocumentUnavailable(document_id) => {
                    log(&format!("the server does not share {document_id}"));
                }
                SessionEvent::ServerError(message) => log(&format!("server error: {message}")),
                SessionEvent::Rejected {
                    dropped,
                    reason,
                    refusal,
                    ..
                } => {
                    log(&format!("the server refused {dropped} change(s): {reason}"));
                    let lost = self
                        .engine
                        .try_update_value(|engine| {
                            let before = engine.before_refusal.take()?;
                            let document_id = engine.document_id?;
                            let document = engine.session.document(&document_id)?;
                            // The copy still holds the dropped changes: it is
                            // rewritten whole, or they would come back at the
                            // next reload.
                            if let Some(local) = &mut engine.local {
                                local.replaced(document);
                            }
                            // The followers drop them too, taking this document.
                            if let TabPart::Leader(followers) = &mut engine.tab {
                                followers.reset();
                                if let (false, Some(channel)) = (followers.is_empty(), &engine.channel) {
                                    channel.post(&TabMessage::Replaced {
                                        leader: engine.tab_id.clone(),
                                        snapshot: document.save(),
                                        dropped,
                                        reason: reason.clone(),
                                        refusal: refusal.map(|refusal| refusal.code().to_owned()),
                                    });
                                }
                            }
                            Some(timetravel::compare_records(
                                &timetravel::read_workspace(document),
                                &before,
                            ))
                        })
                        .flatten()
                        .unwrap_or_default();
                    self.rejection.set(Some(Rejection {
                        dropped,
                        lost,
                        reason,
                        refusal,
                    }));
                    // The role may have been lowered while the socket stayed open.
                    self.refresh_role();
                }
            }
        }
        if !changed.is_empty() {
            self.publish();
        } else {
            self.note_acknowledgements();
        }
    }

    /// The server's heads may have moved: keep them with the copy and
    /// count what is still waiting.
    fn note_acknowledgements(&self) {
        self.engine.update_value(|engine| {
            let Some(document_id) = engine.document_id else {
                return;
            };
            let heads = engine.session.acknowledged_heads(&document_id);
            if let Some(local) = &mut engine.local {
                local.acknowledged(&heads);
            }
        });
        self.write_local_copy();
        self.count_waiting_soon();
    }

    /// Counts the waiting changes a little later (a burst of edits or of
    /// acknowledgements costs one count).
    fn count_waiting_soon(&self) {
        // A follower shows the leader's count (see `follow_status`).
        let Some(false) = self.engine.try_update_value(|engine| {
            if engine.follows() {
                return true;
            }
            let scheduled = engine.waiting_scheduled;
            engine.waiting_scheduled = true;
            scheduled
        }) else {
            return;
        };
        let this = *self;
        browser::after(Duration::from_millis(WAITING_COUNT_DELAY_MS), move || {
            let Some(count) = this.engine.try_update_value(|engine| {
                engine.waiting_scheduled = false;
                // Became a follower meanwhile: the leader counts.
                if engine.follows() {
                    return None;
                }
                let document_id = engine.document_id?;
                if engine.session.is_in_sync(&document_id) {
                    return Some(0);
                }
                let acknowledged = engine.session.acknowledged_heads(&document_id);
                let heads = match &engine.local {
                    Some(local) => local.server_heads(acknowledged),
                    None => acknowledged,
                };
                Some(persist::waiting(engine.document()?, &heads))
            }) else {
                return;
            };
            let Some(count) = count else {
                return;
            };
            set_changed(this.waiting, count);
        });
    }

    /// Queues what changed for the local copy and starts the writer if idle.
    fn write_local_copy(&self) {
        let Some(Some(epoch)) = self.engine.try_update_value(|engine| {
            let local = engine.local.as_mut()?;
            if local.writing {
                return None;
            }
            Some(engine.epoch)
        }) else {
            return;
        };
        let this = *self;
        spawn_local(async move {
            loop {
                let Some(Some((key, write, pending))) = this.engine.try_update_value(|engine| {
                    if engine.epoch != epoch {
                        return None;
                    }
                    let local = engine.local.as_mut()?;
                    let write = local.next_write();
                    Some((local.key.clone(), write, local.pending()))
                }) else {
                    return;
                };
                let _ = this.local_figures.try_update(|figures| figures.pending = pending);
                let Some(write) = write else {
                    return;
                };
                // The figure is an edit's write; an image is no edit.
                let image = matches!(write, Write::Image(_));
                let started = browser::performance_now();
                if let Err(error) = write.perform(&key).await {
                    log(&error.to_string());
                }
                let took = browser::performance_now() - started;
                if !image {
                    let _ = this
                        .local_figures
                        .try_update(|figures| figures.write_ms = Some(took));
                }
            }
        });
    }

    /// Republishes the document's contents to the UI's signals.
    fn publish(&self) {
        let Some(name) = self
            .engine
            .try_with_value(|engine| engine.document().map(model::workspace_name))
            .flatten()
        else {
            return;
        };
        let started = browser::performance_now();
        let persisted = self.engine.try_update_value(|engine| {
            let document_id = engine.document_id;
            if let (Some(local), Some(document)) = (
                engine.local.as_mut(),
                document_id.and_then(|id| engine.session.document(&id)),
            ) {
                local.changed(document)
            } else {
                false
            }
        });
        let image_current = self
            .engine
            .try_with_value(|engine| {
                !engine.image_heads.is_empty()
                    && engine
                        .document()
                        .is_some_and(|document| document.get_heads() == engine.image_heads)
            })
            .unwrap_or(false);
        if self.local_figures.with_untracked(|figures| figures.image_current) != image_current {
            self.local_figures
                .update(|figures| figures.image_current = image_current);
        }
        if persisted == Some(true) {
            let took = browser::performance_now() - started;
            self.local_figures.update(|figures| {
                figures.persist_ms = Some(took);
                figures.persisted += 1;
            });
        }
        self.write_local_copy();
        self.engine.update_value(Engine::sync_tabs);
        self.count_waiting_soon();
        self.revision.update(|revision| *revision += 1);
        if name.is_some() && name != self.workspace_name.get_untracked() {
            self.workspace_name.set(name);
        }
    }
}

/// The workspace's records now, re-reading only what each revision changed
/// (or the image kept beside the copy, while the copy's document loads).
fn present_snapshot(
    revision: RwSignal<u64>,
    engine: StoredValue<Engine, LocalStorage>,
) -> Memo<Arc<Snapshot>> {
    Memo::new(move |previous: Option<&Arc<Snapshot>>| {
        let revision = revision.get();
        let started = browser::performance_now();
        let snapshot = engine
            .try_with_value(|engine| match engine.document() {
                Some(document) => Some(match previous {
                    Some(previous) => Snapshot::advance(previous, document, revision),
                    None => Snapshot::read(document, revision),
                }),
                None => engine
                    .image
                    .as_ref()
                    .map(|image| Snapshot::from_image(image.clone(), revision)),
            })
            .flatten()
            .unwrap_or_else(|| Snapshot::empty(revision));
        let elapsed = browser::performance_now() - started;
        if elapsed > 50.0 {
            web_sys::console::info_1(&format!("enlace: read the workspace in {elapsed:.0} ms").into());
        }
        Arc::new(snapshot)
    })
}

/// Sets `signal` only when `value` differs, so nothing reruns for a value
/// it already had.
fn set_changed<T: PartialEq + Send + Sync + 'static>(signal: RwSignal<T>, value: T) {
    if signal.with_untracked(|current| *current != value) {
        signal.set(value);
    }
}

fn output_or_log<E: std::fmt::Display>(result: Result<Output, E>) -> Option<Output> {
    result.map_err(|error| log(&format!("sync error: {error}"))).ok()
}

/// The session's clock: milliseconds, never negative.
fn now() -> u64 {
    u64::try_from(browser::now_ms()).unwrap_or_default()
}

/// The socket's address, from the global scope's location (the page's, or
/// a worker's, which has the same origin).
fn page_socket_url() -> Option<String> {
    let location = browser::global_property("location")?;
    let part = |name: &str| js_sys::Reflect::get(&location, &name.into()).ok()?.as_string();
    Some(socket_url(&part("protocol")?, &part("host")?))
}

fn log(text: &str) {
    web_sys::console::warn_1(&format!("enlace sync: {text}").into());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_half_a_second_to_ten() {
        let mut delay = None;
        let mut delays = Vec::new();
        for _ in 0..8 {
            let next = next_retry_delay_ms(delay);
            delays.push(next);
            delay = Some(next);
        }
        assert_eq!(delays, [500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
    }

    #[test]
    fn socket_url_follows_the_page_scheme() {
        assert_eq!(socket_url("http:", "localhost:8080"), "ws://localhost:8080/sync");
        assert_eq!(
            socket_url("https:", "enlace.example"),
            "wss://enlace.example/sync"
        );
    }

    #[test]
    fn the_first_workspace_is_taken_then_kept() {
        let id = DocumentId::from_bytes([9; 16]);
        let other = DocumentId::from_bytes([7; 16]);
        let body = format!(
            r#"[{{"id":"{id}","name":"MCIG","url":"{}","role":"observer"}},
                {{"id":"{other}","name":"other","url":"","role":"member"}}]"#,
            id.url()
        );
        let listed = || serde_json::from_str::<Vec<WorkspaceSummary>>(&body).expect("parses");
        assert_eq!(
            choose_workspace(listed(), None),
            Ok(ChosenWorkspace {
                id,
                name: "MCIG".to_owned(),
                role: Role::Observer
            })
        );
        let kept = choose_workspace(listed(), Some(other)).expect("listed");
        assert_eq!((kept.id, kept.role), (other, Role::Member));
        let gone = DocumentId::from_bytes([1; 16]);
        assert_eq!(
            choose_workspace(listed(), Some(gone)),
            Err(NoWorkspace::NoLongerShared(gone))
        );
        assert_eq!(choose_workspace(Vec::new(), None), Err(NoWorkspace::NoneShared));
    }

    #[test]
    fn states_have_the_attribute_values_the_tests_expect() {
        assert_eq!(ConnectionState::Connecting.as_attribute(), "connecting");
        assert_eq!(ConnectionState::Live.as_attribute(), "live");
        assert_eq!(ConnectionState::Offline.as_attribute(), "offline");
        assert_eq!(ConnectionState::SignedOut.as_attribute(), "signed-out");
    }
}
