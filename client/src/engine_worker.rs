//! The sync engine's dedicated worker: [`crate::sync_core::SyncCore`] runs
//! here, with the document, the socket, the local copy (IndexedDB) and the
//! coordination with the person's other tabs, so that loading a large
//! workspace (a second for 10 MB) never holds the page. `client/worker.js`
//! loads the same wasm module and calls [`worker_start`].
//!
//! The page ([`crate::sync::SyncHandle`]) sends [`ToEngine`] messages; the
//! worker answers edits and questions, and sends what the interface shows
//! whenever it changes: the status, the figures, the presence board, a
//! refusal, and the records that changed since the last ones it sent.

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use enlace_shared::presence::Presence;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::{Closure, JsValue, wasm_bindgen};

use crate::browser;
use crate::collections::Snapshot;
use crate::engine_messages::{self, Records, Status, ToEngine, ToPage};
use crate::sync_core::SyncCore;

/// What the page was last sent of the records.
#[derive(Default)]
struct Sent {
    /// The snapshot the page has.
    snapshot: Option<Arc<Snapshot>>,
    /// Read from the image rather than the document.
    from_image: bool,
    actor: Option<String>,
    /// The last remote change the page heard of.
    remote_at: Option<f64>,
}

thread_local! {
    static CORE: Cell<Option<SyncCore>> = const { Cell::new(None) };
    static SENT: RefCell<Sent> = RefCell::default();
}

/// Starts the engine in this worker; `queued` holds the page's messages
/// that arrived while the module was loading, in order.
#[wasm_bindgen]
pub fn worker_start(queued: &js_sys::Array) {
    let _ = any_spawner::Executor::init_wasm_bindgen();
    // The worker's reactive owner lives as long as the worker.
    let owner = Owner::new();
    owner.set();
    std::mem::forget(owner);
    let core = SyncCore::new(
        Callback::new(|()| post(&ToPage::SignedOut)),
        Callback::new(|()| send_records()),
    );
    CORE.set(Some(core));
    post(&ToPage::Ready {
        time_origin: browser::time_origin(),
    });
    mirror(core);
    let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(|event: web_sys::MessageEvent| {
        receive(&event.data());
    });
    let _ = js_sys::Reflect::set(
        &js_sys::global(),
        &"onmessage".into(),
        on_message.as_ref().unchecked_ref(),
    );
    on_message.forget();
    for event in queued.iter() {
        if let Ok(event) = event.dyn_into::<web_sys::MessageEvent>() {
            receive(&event.data());
        }
    }
}

/// Sends the page whatever it mirrors, whenever it changes.
fn mirror(core: SyncCore) {
    let (connection, role, workspace_id, workspace_name) = (
        core.connection(),
        core.role(),
        core.workspace_id(),
        core.workspace_name(),
    );
    let (waiting, from_local_copy, tab_role) = (core.waiting(), core.from_local_copy(), core.tab_role());
    Effect::new(move || {
        post(&ToPage::Status(Status {
            connection: connection.get(),
            role: role.get(),
            workspace_id: workspace_id.get(),
            workspace_name: workspace_name.get(),
            waiting: waiting.get(),
            from_local_copy: from_local_copy.get(),
            tab_role: tab_role.get(),
        }));
    });
    let figures = core.local_figures();
    Effect::new(move || post(&ToPage::Figures(Box::new(figures.get()))));
    let presence = core.presence_board();
    Effect::new(move || presence.with(|board| post(&ToPage::Presence(board.clone()))));
    let rejection = core.rejection();
    Effect::new(move || post(&ToPage::Rejection(rejection.get())));
    let snapshot = core.snapshot();
    Effect::new(move || {
        snapshot.track();
        send_records();
    });
}

/// One message from the page.
fn receive(data: &JsValue) {
    let Some(core) = CORE.get() else {
        return;
    };
    let bytes = js_sys::Uint8Array::new(data).to_vec();
    let message = match engine_messages::decode::<ToEngine>(&bytes) {
        Ok(message) => message,
        Err(error) => return log(&format!("an undecodable message from the page: {error}")),
    };
    match message {
        ToEngine::Start {
            author,
            person,
            hold_load_ms,
        } => core.start(&author, person, hold_load_ms),
        ToEngine::Stop { tell_tabs } => {
            if tell_tabs {
                core.sign_out();
            } else {
                core.stop();
            }
            post(&ToPage::Stopped);
        }
        ToEngine::Edit { id, intent } => core.edit(intent, move |result| {
            // The page sees the change before it hears the edit is done.
            send_records();
            post(&ToPage::Edited { id, result });
        }),
        ToEngine::Ask { id, query } => core.ask(query, move |answer| post(&ToPage::Answered { id, answer })),
        ToEngine::Presence(bytes) => match Presence::decode(&bytes) {
            Ok(presence) => core.send_presence(presence),
            Err(error) => log(&format!("an undecodable presence from the page: {error}")),
        },
        ToEngine::ExpirePresence => core.expire_presence(),
        ToEngine::ReconnectNow => core.reconnect_now(),
        ToEngine::WentOffline => core.went_offline(),
        ToEngine::DismissRejection => core.dismiss_rejection(),
    }
}

/// Sends the page the records that changed since the last ones it got,
/// if the snapshot moved.
fn send_records() {
    let Some(core) = CORE.get() else {
        return;
    };
    let Some(snapshot) = core.snapshot().try_get_untracked() else {
        return;
    };
    let from_image = !core.has_document() && !snapshot.heads().is_empty();
    let (actor, remote_at) = (core.actor(), core.remote_change_at());
    let message = SENT.with_borrow_mut(|sent| {
        let previous = sent.snapshot.replace(Arc::clone(&snapshot));
        if previous
            .as_ref()
            .is_some_and(|previous| Arc::ptr_eq(previous, &snapshot) || **previous == *snapshot)
        {
            return None;
        }
        let remote = remote_at.is_some() && remote_at != sent.remote_at;
        sent.remote_at = remote_at;
        let (whole, (records, removed)) = match &previous {
            Some(previous) if !previous.heads().is_empty() && !snapshot.heads().is_empty() => {
                (false, snapshot.changes_since(previous))
            }
            _ => (true, (snapshot.all_records().cloned().collect(), Vec::new())),
        };
        // A new revision that changed nothing the page shows (the
        // connection came or went) is not sent.
        let unchanged = !whole
            && records.is_empty()
            && removed.is_empty()
            && previous.as_ref().is_some_and(|previous| {
                previous.heads() == snapshot.heads() && previous.secretariat == snapshot.secretariat
            })
            && (sent.from_image, &sent.actor) == (from_image, &actor);
        if unchanged {
            return None;
        }
        sent.from_image = from_image;
        sent.actor.clone_from(&actor);
        Some(Records {
            whole,
            from_image,
            remote,
            heads: snapshot.heads().to_vec(),
            secretariat: snapshot.secretariat.clone(),
            records,
            removed,
            actor,
        })
    });
    if let Some(records) = message {
        post(&ToPage::Records(records));
    }
}

/// Posts `message` to the page (its bytes' buffer is transferred).
fn post(message: &ToPage) {
    let bytes = js_sys::Uint8Array::from(engine_messages::encode(message).as_slice());
    let Some(post) =
        browser::global_property("postMessage").and_then(|post| post.dyn_into::<js_sys::Function>().ok())
    else {
        return;
    };
    let transfer = js_sys::Array::of1(&bytes.buffer());
    if let Err(error) = post.call2(&js_sys::global(), &bytes, &transfer) {
        web_sys::console::warn_2(&"enlace worker: could not post".into(), &error);
    }
}

fn log(text: &str) {
    web_sys::console::warn_1(&format!("enlace worker: {text}").into());
}
