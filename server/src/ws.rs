//! One WebSocket connection speaking the automerge-repo protocol.
//!
//! The handler is generic over a `Stream`/`Sink` of axum WebSocket messages so
//! tests can drive it through channels. It decodes frames, answers the
//! handshake, routes document messages to hubs and writes what hubs send back.
//! Bad input closes this connection only, with a close code and a reason.
//!
//! What a connection may cost is bounded by [`crate::limits::ConnectionLimits`]:
//! its outbox (bytes), its presence (size, rate), its refusals, its peer id.
//! Read access is checked again whenever the person's roles change and before
//! every message for a document goes out.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message as WsMessage};
use enlace_shared::api::close;
use enlace_shared::protocol::{EphemeralSender, Message, PROTOCOL_VERSION, PeerMetadata};
use enlace_shared::sync::ConnectionKey;
use enlace_shared::{DocumentId, PeerId};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use tokio::sync::watch;

use crate::auth::LiveUser;
use crate::hub::{HubCommand, HubHandle, Hubs, Principal};
use crate::limits::{ConnectionLimits, RefusalCount, TokenBucket};
use crate::outbox::{CloseOrders, Outbox, ToConnection, outbox};

/// How long the goodbye (an `error` message and the close frame) may take to
/// reach a peer before the socket is dropped without it.
const GOODBYE_GRACE: Duration = Duration::from_secs(5);

/// How long a socket refused for an oversized frame stays open after its
/// close frame. The rest of the frame is never read, so closing the socket
/// makes the kernel reset the connection; waiting a moment lets the peer
/// read the close frame (and its 1009) before the reset discards it.
const OVERSIZED_LINGER: Duration = Duration::from_millis(500);

static NEXT_CONNECTION: AtomicU64 = AtomicU64::new(1);

/// Limits applied to every connection.
#[derive(Debug, Clone, Copy)]
pub struct SocketLimits {
    pub max_frame_bytes: usize,
    pub connection: ConnectionLimits,
}

/// Why a connection ends; becomes its close frame.
struct Closing {
    code: u16,
    reason: String,
}

impl Closing {
    fn new(code: u16, reason: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.into(),
        }
    }
}

/// True if a transport error is tungstenite refusing a frame or message over
/// the size configured on the upgrade (it reads only the frame's header).
fn is_too_big(error: &str) -> bool {
    error.contains("Message too long") || error.contains("Space limit exceeded")
}

/// Closes a freshly upgraded socket at once, with `code` and `reason`.
pub async fn refuse_connection<S>(socket: S, code: u16, reason: &str)
where
    S: Sink<WsMessage> + Unpin,
{
    let mut socket = socket;
    let _ = tokio::time::timeout(GOODBYE_GRACE, send_close(&mut socket, code, reason)).await;
}

/// Sends the close frame (`code`, `reason` cut to fit) and closes the sink;
/// a peer that is gone makes both no-ops.
async fn send_close<S>(socket: &mut S, code: u16, reason: &str)
where
    S: Sink<WsMessage> + Unpin,
{
    let _ = socket
        .send(WsMessage::Close(Some(CloseFrame {
            code,
            reason: truncate_reason(reason).into(),
        })))
        .await;
    let _ = socket.close().await;
}

/// Serves one upgraded socket of an authenticated person until it closes,
/// their credential is revoked, or the server shuts down.
pub async fn serve_connection<S, E>(
    socket: S,
    hubs: Hubs,
    limits: SocketLimits,
    mut shutdown: watch::Receiver<bool>,
    mut live_user: LiveUser,
) where
    S: Stream<Item = Result<WsMessage, E>> + Sink<WsMessage> + Unpin + Send + 'static,
    E: std::fmt::Display,
{
    let connection = NEXT_CONNECTION.fetch_add(1, Ordering::Relaxed);
    let (mut sink, mut stream) = socket.split();
    let (outbox, mut outbox_receiver, mut close_orders) = outbox(limits.connection.max_outbox_bytes);
    let now = Instant::now();
    let mut state = ConnectionState {
        connection,
        hubs,
        limits,
        peer_id: None,
        enlace_peer: false,
        documents: HashMap::new(),
        outbox,
        live_user: live_user.clone(),
        presence: TokenBucket::new(
            limits.connection.presence_per_second,
            limits.connection.presence_burst,
            now,
        ),
        refusals: RefusalCount::new(
            limits.connection.max_refusals,
            Duration::from_secs(limits.connection.refusal_window_seconds),
        ),
    };
    tracing::debug!(connection, "connection opened");

    let closing: Closing = loop {
        tokio::select! {
            biased;
            _ = shutdown.changed() => break Closing::new(close::GOING_AWAY, "server shutting down"),
            order = close_orders.closed() => break Closing::new(order.code, order.reason),
            changed = live_user.changed() => {
                if changed.is_err() || live_user.borrow().is_none() {
                    break Closing::new(close::SIGNED_OUT, "signed out or account disabled");
                }
                if let Some(lost) = state.lost_document() {
                    break Closing::new(close::ACCESS_REMOVED, format!("no longer has access to {lost}"));
                }
            },
            outgoing = outbox_receiver.recv() => match outgoing {
                Some(ToConnection::Send(message)) => {
                    // Roles may have changed since the hub queued this.
                    if let Some(document_id) = document_of(&message)
                        && state.documents.contains_key(&document_id)
                        && state.principal(&document_id).is_none()
                    {
                        break Closing::new(close::ACCESS_REMOVED, format!("no longer has access to {document_id}"));
                    }
                    let frame = WsMessage::Binary(message.encode().into());
                    if let Err(closing) = send_unless_closed(&mut sink, frame, &mut close_orders).await {
                        break closing;
                    }
                }
                Some(ToConnection::Rejected { document_id, change_hashes, reason, refusal }) => {
                    if !state.enlace_peer {
                        // A stock client cannot drop refused changes; it would
                        // resend them forever. Disconnect it instead.
                        break Closing::new(close::POLICY_VIOLATION, format!("change refused: {reason}"));
                    }
                    if state.refusals.record(Instant::now()) {
                        break Closing::new(
                            close::TOO_MANY_REFUSALS,
                            format!(
                                "more than {} refused messages within {} s",
                                limits.connection.max_refusals, limits.connection.refusal_window_seconds
                            ),
                        );
                    }
                    let Some(peer_id) = state.peer_id.clone() else { continue };
                    let rejected = Message::Rejected {
                        sender_id: state.hubs.server_peer_id().clone(),
                        target_id: peer_id,
                        document_id,
                        change_hashes,
                        message: reason,
                        refusal,
                    };
                    let frame = WsMessage::Binary(rejected.encode().into());
                    if let Err(closing) = send_unless_closed(&mut sink, frame, &mut close_orders).await {
                        break closing;
                    }
                }
                // Invariant: `state.outbox` keeps the channel open while we loop.
                None => break Closing::new(close::INTERNAL_ERROR, "outbox closed"),
            },
            incoming = stream.next() => match incoming {
                None => break Closing::new(close::NORMAL, "closed by peer"),
                Some(Err(error)) => {
                    let error = error.to_string();
                    if is_too_big(&error) {
                        break Closing::new(
                            close::MESSAGE_TOO_BIG,
                            format!("frame exceeds the limit of {} bytes", limits.max_frame_bytes),
                        );
                    }
                    break Closing::new(close::PROTOCOL_ERROR, format!("transport error: {error}"));
                }
                Some(Ok(frame)) => match state.handle_frame(frame, &mut sink).await {
                    Ok(()) => {}
                    Err(closing) => break closing,
                },
            },
        }
    };
    state.leave_all().await;
    if closing.code != close::NORMAL {
        tracing::info!(connection, code = closing.code, reason = %closing.reason, "closing connection");
    }
    // A peer that stopped reading gets a few seconds to take the goodbye.
    let goodbye = async {
        if closing.code != close::NORMAL
            && let Some(peer_id) = &state.peer_id
        {
            let error = Message::Error {
                sender_id: state.hubs.server_peer_id().clone(),
                target_id: Some(peer_id.clone()),
                message: closing.reason.clone(),
            };
            let _ = sink.send(WsMessage::Binary(error.encode().into())).await;
        }
        send_close(&mut sink, closing.code, &closing.reason).await;
    };
    let _ = tokio::time::timeout(GOODBYE_GRACE, goodbye).await;
    if closing.code == close::MESSAGE_TOO_BIG {
        tokio::time::sleep(OVERSIZED_LINGER).await;
    }
    tracing::debug!(connection, "connection closed");
}

/// Sends one frame, unless the connection is ordered closed meanwhile (a
/// peer that stopped reading blocks the send; the hub's order must still win).
async fn send_unless_closed<K>(
    sink: &mut K,
    frame: WsMessage,
    orders: &mut CloseOrders,
) -> Result<(), Closing>
where
    K: Sink<WsMessage> + Unpin,
{
    tokio::select! {
        biased;
        order = orders.closed() => Err(Closing::new(order.code, order.reason)),
        sent = sink.send(frame) => sent.map_err(|_| Closing::new(close::GOING_AWAY, "send failed")),
    }
}

/// The document a message going out is about, if any.
fn document_of(message: &Message) -> Option<DocumentId> {
    match message {
        Message::Request { document_id, .. }
        | Message::Sync { document_id, .. }
        | Message::DocUnavailable { document_id, .. }
        | Message::Ephemeral { document_id, .. }
        | Message::RemoteHeadsChanged { document_id, .. }
        | Message::Rejected { document_id, .. } => Some(*document_id),
        _ => None,
    }
}

/// Close-frame reasons are limited to 123 bytes.
fn truncate_reason(reason: &str) -> String {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    reason[..end].to_owned()
}

struct ConnectionState {
    connection: ConnectionKey,
    hubs: Hubs,
    limits: SocketLimits,
    peer_id: Option<PeerId>,
    /// The peer announced Enlace's protocol extension (understands `enlace-rejected`).
    enlace_peer: bool,
    documents: HashMap<DocumentId, HubHandle>,
    outbox: Outbox,
    live_user: LiveUser,
    /// Presence this connection may still send.
    presence: TokenBucket,
    /// Refused sync messages, within the refusal window.
    refusals: RefusalCount,
}

impl ConnectionState {
    async fn handle_frame<K>(&mut self, frame: WsMessage, sink: &mut K) -> Result<(), Closing>
    where
        K: Sink<WsMessage> + Unpin,
    {
        let bytes = match frame {
            WsMessage::Binary(bytes) => bytes,
            WsMessage::Text(_) => {
                return Err(Closing::new(
                    close::UNSUPPORTED_DATA,
                    "text frames are not part of the protocol; send CBOR in binary frames",
                ));
            }
            WsMessage::Close(_) => return Err(Closing::new(close::NORMAL, "closed by peer")),
            WsMessage::Ping(_) | WsMessage::Pong(_) => return Ok(()),
        };
        if bytes.len() > self.limits.max_frame_bytes {
            return Err(Closing::new(
                close::MESSAGE_TOO_BIG,
                format!(
                    "frame of {} bytes exceeds the limit of {} bytes",
                    bytes.len(),
                    self.limits.max_frame_bytes
                ),
            ));
        }
        let message = Message::decode(&bytes)
            .map_err(|error| Closing::new(close::INVALID_PAYLOAD, format!("malformed frame: {error}")))?;
        let Some(peer_id) = self.peer_id.clone() else {
            return self.handshake(message, sink).await;
        };
        match message {
            Message::Request {
                document_id, data, ..
            }
            | Message::Sync {
                document_id, data, ..
            } => {
                let Some(hub) = self.hub_for(document_id, &peer_id).await? else {
                    let unavailable = Message::DocUnavailable {
                        sender_id: self.hubs.server_peer_id().clone(),
                        target_id: peer_id,
                        document_id,
                    };
                    // Never wait on our own outbox: this task is what drains it.
                    let _ = self.outbox.try_send(ToConnection::Send(unavailable));
                    return Ok(());
                };
                let principal = self.principal(&document_id).ok_or_else(|| {
                    Closing::new(
                        close::ACCESS_REMOVED,
                        format!("no longer has access to {document_id}"),
                    )
                })?;
                hub.send(HubCommand::Sync {
                    connection: self.connection,
                    data,
                    principal,
                })
                .await
                .map_err(|_| Closing::new(close::GOING_AWAY, "document closed"))
            }
            message @ Message::Ephemeral { document_id, .. } => {
                self.presence(document_id, &peer_id, message).await
            }
            Message::Leave { .. } => Err(Closing::new(close::NORMAL, "peer left")),
            Message::Error { message, .. } => {
                tracing::info!(connection = self.connection, %message, "peer reported an error");
                Ok(())
            }
            Message::Join { .. } => Err(Closing::new(close::PROTOCOL_ERROR, "join sent twice")),
            // Only the server sends rejections.
            Message::Rejected { .. } => Ok(()),
            // A server never receives these from a client; peers relay them
            // between storage servers, which Enlace does not do.
            Message::Peer { .. }
            | Message::DocUnavailable { .. }
            | Message::RemoteSubscriptionChange { .. }
            | Message::RemoteHeadsChanged { .. } => Ok(()),
        }
    }

    /// Relays presence if the person may read the document, the payload is
    /// within the size limit and the connection within its rate; otherwise
    /// drops it (presence is best effort).
    async fn presence(
        &mut self,
        document_id: DocumentId,
        peer_id: &PeerId,
        message: Message,
    ) -> Result<(), Closing> {
        let Message::Ephemeral { data, .. } = &message else {
            return Ok(());
        };
        if data.len() > self.limits.connection.max_presence_bytes || !self.presence.take(Instant::now()) {
            tracing::debug!(
                connection = self.connection,
                bytes = data.len(),
                "presence dropped"
            );
            return Ok(());
        }
        let Some(sender) = self.ephemeral_sender(&document_id) else {
            return Ok(());
        };
        if let Some(hub) = self.hub_for(document_id, peer_id).await? {
            hub.send(HubCommand::Ephemeral {
                connection: self.connection,
                message,
                sender,
            })
            .await
            .map_err(|_| Closing::new(close::GOING_AWAY, "document closed"))?;
        }
        Ok(())
    }

    async fn handshake<K>(&mut self, message: Message, sink: &mut K) -> Result<(), Closing>
    where
        K: Sink<WsMessage> + Unpin,
    {
        let Message::Join {
            sender_id,
            supported_protocol_versions,
            peer_metadata,
        } = message
        else {
            return Err(Closing::new(
                close::PROTOCOL_ERROR,
                format!("expected `join` first, got `{}`", message.kind()),
            ));
        };
        let max_peer_id = self.limits.connection.max_peer_id_bytes;
        if sender_id.as_str().len() > max_peer_id || sender_id.as_str().is_empty() {
            return Err(Closing::new(
                close::PROTOCOL_ERROR,
                format!(
                    "peer id of {} bytes; it must have 1 to {max_peer_id}",
                    sender_id.as_str().len()
                ),
            ));
        }
        if !supported_protocol_versions
            .iter()
            .any(|version| version == PROTOCOL_VERSION)
        {
            return Err(Closing::new(
                close::PROTOCOL_ERROR,
                format!(
                    "unsupported protocol versions {supported_protocol_versions:?}; this server speaks \"1\""
                ),
            ));
        }
        let peer = Message::Peer {
            sender_id: self.hubs.server_peer_id().clone(),
            target_id: sender_id.clone(),
            selected_protocol_version: PROTOCOL_VERSION.to_owned(),
            peer_metadata: PeerMetadata {
                storage_id: None,
                is_ephemeral: Some(false),
                enlace: Some(enlace_shared::protocol::ENLACE_EXTENSION_VERSION),
            },
        };
        sink.send(WsMessage::Binary(peer.encode().into()))
            .await
            .map_err(|_| Closing::new(close::GOING_AWAY, "send failed"))?;
        tracing::debug!(connection = self.connection, peer = %sender_id, "peer joined");
        self.peer_id = Some(sender_id);
        self.enlace_peer = peer_metadata.enlace.is_some();
        Ok(())
    }

    /// Who is acting on `document_id` right now (roles can change while connected).
    fn principal(&self, document_id: &DocumentId) -> Option<Principal> {
        let user = self.live_user.borrow();
        let user = user.as_ref()?;
        Some(Principal {
            user_id: user.id.clone(),
            display_name: user.display_name.clone(),
            organisation_id: user.organisation_id.clone(),
            role: user.role_in(document_id)?,
        })
    }

    /// The person presence on `document_id` comes from, if they may read it.
    fn ephemeral_sender(&self, document_id: &DocumentId) -> Option<EphemeralSender> {
        let principal = self.principal(document_id)?;
        Some(EphemeralSender {
            person_id: principal.user_id,
            display_name: principal.display_name,
            organisation_id: principal.organisation_id,
        })
    }

    /// A document this connection follows that its person may no longer read.
    fn lost_document(&self) -> Option<DocumentId> {
        self.documents
            .keys()
            .find(|document_id| self.principal(document_id).is_none())
            .copied()
    }

    async fn hub_for(
        &mut self,
        document_id: DocumentId,
        peer_id: &PeerId,
    ) -> Result<Option<HubHandle>, Closing> {
        if let Some(hub) = self.documents.get(&document_id) {
            return Ok(Some(hub.clone()));
        }
        if self.principal(&document_id).is_none() {
            // Not shared with this person: indistinguishable from absent.
            return Ok(None);
        }
        let hub = self.hubs.get(document_id).await.map_err(|error| {
            tracing::error!(%error, "cannot open document");
            Closing::new(close::INTERNAL_ERROR, "document cannot be opened")
        })?;
        let Some(hub) = hub else { return Ok(None) };
        hub.send(HubCommand::Join {
            connection: self.connection,
            peer_id: peer_id.clone(),
            outbox: self.outbox.clone(),
        })
        .await
        .map_err(|_| Closing::new(close::GOING_AWAY, "document closed"))?;
        self.documents.insert(document_id, hub.clone());
        Ok(Some(hub))
    }

    async fn leave_all(&mut self) {
        for (_, hub) in self.documents.drain() {
            let _ = hub
                .send(HubCommand::Leave {
                    connection: self.connection,
                })
                .await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tungstenites_size_refusals_are_recognised() {
        assert!(is_too_big(
            "Space limit exceeded: Message too long: 70000 > 65536"
        ));
        assert!(!is_too_big("IO error: connection reset"));
    }
}
