//! The client's one connection to the server, and the only module that
//! touches the WebSocket.
//!
//! [`SyncHandle`] owns the socket and the sans-IO [`PeerSession`] (which owns
//! the automerge document). It feeds socket events into the session, sends
//! whatever the session asks for, and publishes what the UI needs as signals:
//! the connection state, the workspace name and the organisations. Components
//! change the document only through [`SyncHandle::add_organisation`] and
//! [`SyncHandle::edit_organisation`].
//!
//! Lifecycle: fetch `/api/workspaces` and open the first workspace's document
//! (empty; the server fills it in), then open `/sync`. When the socket closes,
//! the session forgets its sync states and a reconnect is scheduled with
//! exponential backoff (0.5 s doubling to 10 s). The document survives
//! reconnects, so edits made offline are sent once the socket is back.

use std::time::Duration;

use automerge::Automerge;
use enlace_shared::ids::{DocumentId, PeerId};
use enlace_shared::model::{self, Authorship, ModelError, NewOrganisation, Organisation, OrganisationField};
use enlace_shared::protocol::Message;
use enlace_shared::sync::{Input, Output, PeerSession, SessionEvent};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen_futures::JsFuture;
use web_sys::{BinaryType, CloseEvent, MessageEvent, WebSocket};

use crate::browser;

/// The first delay before reconnecting, and the cap it doubles up to.
pub const FIRST_RETRY_DELAY_MS: u32 = 500;
pub const MAX_RETRY_DELAY_MS: u32 = 10_000;

/// What the connection indicator shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionState {
    /// Fetching the workspace, opening the socket or waiting for the server's `peer`.
    Connecting,
    /// The server answered `join`: edits flow both ways.
    Live,
    /// The socket closed or could not open; a retry is scheduled.
    Offline,
}

impl ConnectionState {
    /// The value of the indicator's `data-state` attribute.
    pub fn as_attribute(self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::Live => "live",
            Self::Offline => "offline",
        }
    }
}

/// Why a local edit was not made.
#[derive(Debug)]
pub enum EditError {
    /// The workspace document has not arrived from the server yet.
    NotLoaded,
    /// The model refused the edit (an empty name, a record that vanished, ...).
    Model(ModelError),
}

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

/// One entry of `GET /api/workspaces`.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct WorkspaceSummary {
    pub id: String,
    pub name: String,
}

/// The first workspace of a `/api/workspaces` answer, with its parsed id.
pub fn first_workspace(body: &str) -> Result<(DocumentId, String), String> {
    let workspaces: Vec<WorkspaceSummary> =
        serde_json::from_str(body).map_err(|error| format!("bad /api/workspaces answer: {error}"))?;
    let first = workspaces
        .into_iter()
        .next()
        .ok_or_else(|| "the server has no workspace".to_owned())?;
    let id = DocumentId::parse(&first.id).map_err(|error| error.to_string())?;
    Ok((id, first.name))
}

/// An open (or opening) socket and the callbacks attached to it. The
/// callbacks must live as long as the socket may call them.
struct Connection {
    socket: WebSocket,
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
        let _ = self.socket.close();
    }
}

/// Everything mutable behind the handle; browser-only, so kept in local storage.
struct Engine {
    session: PeerSession,
    document_id: Option<DocumentId>,
    author: String,
    connection: Option<Connection>,
    /// Increments per socket so events from an abandoned socket are ignored.
    generation: u64,
    retry_delay_ms: Option<u32>,
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
}

/// The server refused local changes, which the session then dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub dropped: usize,
    pub reason: String,
}

/// The handle components get from context. Cheap to copy.
#[derive(Clone, Copy)]
pub struct SyncHandle {
    connection: RwSignal<ConnectionState>,
    rejection: RwSignal<Option<Rejection>>,
    workspace_name: RwSignal<Option<String>>,
    organisations: RwSignal<Vec<Organisation>>,
    engine: StoredValue<Engine, LocalStorage>,
}

impl SyncHandle {
    /// Creates the handle and starts connecting. Call once, at the app's root.
    pub fn start() -> Self {
        let peer_id = PeerId::new(format!(
            "enlace-browser-{}",
            model::record_id(browser::random_bytes())
        ));
        let handle = Self {
            connection: RwSignal::new(ConnectionState::Connecting),
            rejection: RwSignal::new(None),
            workspace_name: RwSignal::new(None),
            organisations: RwSignal::new(Vec::new()),
            engine: StoredValue::new_local(Engine {
                session: PeerSession::new(peer_id),
                document_id: None,
                author: browser::guest_name(),
                connection: None,
                generation: 0,
                retry_delay_ms: None,
            }),
        };
        handle.connect();
        handle
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

    /// Every organisation in the document, deleted ones included, sorted by name.
    pub fn organisations(&self) -> Signal<Vec<Organisation>> {
        self.organisations.into()
    }

    pub fn add_organisation(&self, fields: &NewOrganisation) -> Result<(), EditError> {
        let id = model::record_id(browser::random_bytes());
        self.edit(|document, authorship| model::create_organisation(document, &id, fields, authorship))
    }

    pub fn edit_organisation(
        &self,
        id: &str,
        field: OrganisationField,
        value: &str,
    ) -> Result<(), EditError> {
        self.edit(|document, authorship| {
            model::set_organisation_field(document, id, field, value, authorship)
        })
    }

    /// Applies a local edit, hands it to the session to send, and republishes.
    fn edit(
        &self,
        change: impl FnOnce(&mut Automerge, &Authorship<'_>) -> Result<(), ModelError>,
    ) -> Result<(), EditError> {
        let result = self
            .engine
            .try_update_value(|engine| {
                let document_id = engine.document_id.ok_or(EditError::NotLoaded)?;
                let authorship = Authorship {
                    now_ms: browser::now_ms(),
                    author: &engine.author,
                };
                let document = engine
                    .session
                    .document_mut(&document_id)
                    .ok_or(EditError::NotLoaded)?;
                change(document, &authorship).map_err(|error| match error {
                    ModelError::MissingCollection(_) => EditError::NotLoaded,
                    other => EditError::Model(other),
                })?;
                let output = engine.session.handle(now(), Input::LocalChange(document_id));
                Ok(output)
            })
            .unwrap_or(Err(EditError::NotLoaded))?;
        self.after_output(output_or_log(result));
        self.publish();
        Ok(())
    }

    /// Fetches the workspace if we have none yet, then opens the socket.
    fn connect(self) {
        self.connection.set(ConnectionState::Connecting);
        let has_document = self
            .engine
            .try_with_value(|engine| engine.document_id.is_some())
            .unwrap_or(false);
        if has_document {
            self.open_socket();
            return;
        }
        spawn_local(async move {
            match fetch_workspaces().await.and_then(|body| first_workspace(&body)) {
                Ok((document_id, name)) => {
                    self.engine.update_value(|engine| {
                        engine.document_id = Some(document_id);
                        // Nothing to send: the socket is not open yet.
                        let _ = engine.session.open(document_id, Automerge::new());
                    });
                    self.workspace_name.set(Some(name));
                    self.open_socket();
                }
                Err(error) => {
                    log(&error);
                    self.retry_later();
                }
            }
        });
    }

    fn open_socket(self) {
        let Some(url) = page_socket_url() else {
            log("no window.location to connect to");
            return self.retry_later();
        };
        let socket = match WebSocket::new(&url) {
            Ok(socket) => socket,
            Err(error) => {
                log(&format!("could not open {url}: {error:?}"));
                return self.retry_later();
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
        let on_close =
            Closure::<dyn FnMut(CloseEvent)>::new(move |_event: CloseEvent| self.on_close(generation));
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        let connection = Connection {
            socket,
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
        let output = self
            .engine
            .try_update_value(|engine| engine.session.handle(now(), Input::Connected));
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
        let output = self
            .engine
            .try_update_value(|engine| engine.session.handle(now(), Input::Received(message)));
        self.after_output(output.and_then(output_or_log));
    }

    fn on_close(self, generation: u64) {
        if !self.is_current(generation) {
            return;
        }
        self.engine.update_value(|engine| {
            // Disconnected never fails and never asks to send anything.
            let _ = engine.session.handle(now(), Input::Disconnected);
        });
        self.retry_later();
    }

    fn retry_later(self) {
        self.connection.set(ConnectionState::Offline);
        let Some(delay) = self.engine.try_update_value(|engine| {
            let delay = next_retry_delay_ms(engine.retry_delay_ms);
            engine.retry_delay_ms = Some(delay);
            delay
        }) else {
            return;
        };
        set_timeout(move || self.connect(), Duration::from_millis(u64::from(delay)));
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
        } = output;
        self.engine.with_value(|engine| engine.send_all(send));
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
                SessionEvent::Rejected { dropped, reason, .. } => {
                    log(&format!("the server refused {dropped} change(s): {reason}"));
                    self.rejection.set(Some(Rejection { dropped, reason }));
                }
            }
        }
        if !changed.is_empty() {
            self.publish();
        }
    }

    /// Republishes the document's contents to the UI's signals.
    fn publish(&self) {
        let Some((organisations, name)) = self
            .engine
            .try_with_value(|engine| {
                engine.document().map(|document| {
                    (
                        // A document not yet received has no collections: show nothing.
                        model::organisations(document).unwrap_or_default(),
                        model::workspace_name(document),
                    )
                })
            })
            .flatten()
        else {
            return;
        };
        self.organisations.set(organisations);
        if name.is_some() && name != self.workspace_name.get_untracked() {
            self.workspace_name.set(name);
        }
    }
}

fn output_or_log<E: std::fmt::Display>(result: Result<Output, E>) -> Option<Output> {
    result.map_err(|error| log(&format!("sync error: {error}"))).ok()
}

/// The session's clock: milliseconds, never negative.
fn now() -> u64 {
    u64::try_from(browser::now_ms()).unwrap_or_default()
}

fn page_socket_url() -> Option<String> {
    let location = web_sys::window()?.location();
    Some(socket_url(&location.protocol().ok()?, &location.host().ok()?))
}

async fn fetch_workspaces() -> Result<String, String> {
    let window = web_sys::window().ok_or("no window")?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str("/api/workspaces"))
        .await
        .map_err(|error| format!("could not fetch /api/workspaces: {error:?}"))?
        .dyn_into()
        .map_err(|_| "fetch did not return a Response".to_owned())?;
    if !response.ok() {
        return Err(format!("/api/workspaces answered {}", response.status()));
    }
    let text = response
        .text()
        .map_err(|error| format!("could not read /api/workspaces: {error:?}"))?;
    JsFuture::from(text)
        .await
        .map_err(|error| format!("could not read /api/workspaces: {error:?}"))?
        .as_string()
        .ok_or_else(|| "/api/workspaces body is not text".to_owned())
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
    fn first_workspace_is_taken() {
        let id = DocumentId::from_bytes([9; 16]);
        let body = format!(
            r#"[{{"id":"{id}","name":"MCIG","url":"{}"}},{{"id":"x","name":"other","url":""}}]"#,
            id.url()
        );
        assert_eq!(first_workspace(&body), Ok((id, "MCIG".to_owned())));
        assert!(first_workspace("[]").is_err());
        assert!(first_workspace("{").is_err());
    }

    #[test]
    fn states_have_the_attribute_values_the_tests_expect() {
        assert_eq!(ConnectionState::Connecting.as_attribute(), "connecting");
        assert_eq!(ConnectionState::Live.as_attribute(), "live");
        assert_eq!(ConnectionState::Offline.as_attribute(), "offline");
    }
}
