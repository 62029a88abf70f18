//! One WebSocket connection speaking the automerge-repo protocol.
//!
//! The handler is generic over a `Stream`/`Sink` of axum WebSocket messages so
//! tests can drive it through channels. It decodes frames, answers the
//! handshake, routes document messages to hubs and writes what hubs send back.
//! Bad input closes this connection only, with a close code and a reason.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::ws::{CloseFrame, Message as WsMessage};
use enlace_shared::api::close;
use enlace_shared::protocol::{Message, PROTOCOL_VERSION, PeerMetadata};
use enlace_shared::sync::ConnectionKey;
use enlace_shared::{DocumentId, PeerId};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use tokio::sync::{mpsc, watch};

use crate::auth::LiveUser;
use crate::hub::{HubCommand, Hubs, Principal, ToConnection};

/// How many messages may wait for a slow client before hubs wait for it.
const OUTBOX_LENGTH: usize = 256;

static NEXT_CONNECTION: AtomicU64 = AtomicU64::new(1);

/// Limits applied to every connection.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    pub max_frame_bytes: usize,
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

/// Serves one upgraded socket of an authenticated person until it closes,
/// their credential is revoked, or the server shuts down.
pub async fn serve_connection<S, E>(
    socket: S,
    hubs: Hubs,
    limits: ConnectionLimits,
    mut shutdown: watch::Receiver<bool>,
    mut live_user: LiveUser,
) where
    S: Stream<Item = Result<WsMessage, E>> + Sink<WsMessage> + Unpin + Send + 'static,
    E: std::fmt::Display,
{
    let connection = NEXT_CONNECTION.fetch_add(1, Ordering::Relaxed);
    let (mut sink, mut stream) = socket.split();
    let (outbox, mut outbox_receiver) = mpsc::channel::<ToConnection>(OUTBOX_LENGTH);
    let mut state = ConnectionState {
        connection,
        hubs,
        limits,
        peer_id: None,
        enlace_peer: false,
        documents: HashMap::new(),
        outbox,
        live_user: live_user.clone(),
    };
    tracing::debug!(connection, "connection opened");

    let closing: Closing = loop {
        tokio::select! {
            biased;
            _ = shutdown.changed() => break Closing::new(close::GOING_AWAY, "server shutting down"),
            changed = live_user.changed() => {
                if changed.is_err() || live_user.borrow().is_none() {
                    break Closing::new(close::SIGNED_OUT, "signed out or account disabled");
                }
            },
            outgoing = outbox_receiver.recv() => match outgoing {
                Some(ToConnection::Send(message)) => {
                    if sink.send(WsMessage::Binary(message.encode().into())).await.is_err() {
                        break Closing::new(close::GOING_AWAY, "send failed");
                    }
                }
                Some(ToConnection::Close { code, reason }) => break Closing::new(code, reason),
                Some(ToConnection::Rejected { document_id, change_hashes, reason, refusal }) => {
                    if !state.enlace_peer {
                        // A stock client cannot drop refused changes; it would
                        // resend them forever. Disconnect it instead.
                        break Closing::new(close::POLICY_VIOLATION, format!("change refused: {reason}"));
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
                    if sink.send(WsMessage::Binary(rejected.encode().into())).await.is_err() {
                        break Closing::new(close::GOING_AWAY, "send failed");
                    }
                }
                // Invariant: `state.outbox` keeps the channel open while we loop.
                None => break Closing::new(close::INTERNAL_ERROR, "outbox closed"),
            },
            incoming = stream.next() => match incoming {
                None => break Closing::new(close::NORMAL, "closed by peer"),
                Some(Err(error)) => break Closing::new(close::PROTOCOL_ERROR, format!("transport error: {error}")),
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
        if let Some(peer_id) = &state.peer_id {
            let error = Message::Error {
                sender_id: state.hubs.server_peer_id().clone(),
                target_id: Some(peer_id.clone()),
                message: closing.reason.clone(),
            };
            let _ = sink.send(WsMessage::Binary(error.encode().into())).await;
        }
    }
    let reason = truncate_reason(&closing.reason);
    let _ = sink
        .send(WsMessage::Close(Some(CloseFrame {
            code: closing.code,
            reason: reason.into(),
        })))
        .await;
    let _ = sink.close().await;
    tracing::debug!(connection, "connection closed");
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
    limits: ConnectionLimits,
    peer_id: Option<PeerId>,
    /// The peer announced Enlace's protocol extension (understands `enlace-rejected`).
    enlace_peer: bool,
    documents: HashMap<DocumentId, mpsc::Sender<HubCommand>>,
    outbox: mpsc::Sender<ToConnection>,
    live_user: LiveUser,
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
                    let _ = self.outbox.send(ToConnection::Send(unavailable)).await;
                    return Ok(());
                };
                let principal = self.principal(&document_id).ok_or_else(|| {
                    Closing::new(close::SIGNED_OUT, "no longer has access to this workspace")
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
                if let Some(hub) = self.hub_for(document_id, &peer_id).await? {
                    let _ = hub
                        .send(HubCommand::Ephemeral {
                            connection: self.connection,
                            message,
                        })
                        .await;
                }
                Ok(())
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

    async fn hub_for(
        &mut self,
        document_id: DocumentId,
        peer_id: &PeerId,
    ) -> Result<Option<mpsc::Sender<HubCommand>>, Closing> {
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
