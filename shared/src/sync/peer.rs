//! The client side: one peer talking to one server.

use std::collections::BTreeMap;

use automerge::sync::{self, SyncDoc};
use automerge::{Automerge, ChangeHash};

use crate::ids::{DocumentId, PeerId};
use crate::protocol::{ENLACE_EXTENSION_VERSION, Message, PROTOCOL_VERSION, PeerMetadata};
use crate::refusal::Refusal;

/// Something that happened to the session, besides messages and document changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEvent {
    /// The server answered `join`.
    Joined { server_id: PeerId },
    /// The server does not have (or will not share) this document.
    DocumentUnavailable(DocumentId),
    /// The server reported an error and is about to close the connection.
    ServerError(String),
    /// The server refused some of our changes; they and every local change
    /// built on them were dropped from the document.
    Rejected {
        document_id: DocumentId,
        dropped: usize,
        /// The server's English sentence.
        reason: String,
        /// Why, to say in the person's language.
        refusal: Option<Refusal>,
    },
}

/// One input to [`PeerSession::handle`].
#[derive(Debug, Clone)]
pub enum Input {
    /// The transport is open: the session introduces itself.
    Connected,
    /// The transport closed: sync states are dropped, the server forgets them too.
    Disconnected,
    /// A frame arrived and decoded to this message.
    Received(Message),
    /// The caller changed this document locally and wants it sent.
    LocalChange(DocumentId),
}

/// What the caller must do after [`PeerSession::handle`].
#[derive(Debug, Default)]
pub struct Output {
    /// Messages to send, in order.
    pub send: Vec<Message>,
    /// Documents whose content changed because of remote changes.
    pub changed: Vec<DocumentId>,
    pub events: Vec<SessionEvent>,
    /// `ephemeral` messages (presence) that arrived for documents this
    /// session follows, as the server relayed them (with its `enlaceSender`
    /// stamp), for the caller to read; the session itself keeps nothing.
    pub ephemeral: Vec<Message>,
}

/// Why a message from the server could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("sync data for {document_id} is not an automerge sync message: {reason}")]
    BadSyncMessage { document_id: DocumentId, reason: String },
    #[error("could not apply changes to {document_id}: {reason}")]
    Apply { document_id: DocumentId, reason: String },
}

#[derive(Debug)]
struct TrackedDocument {
    document: Automerge,
    state: sync::State,
    /// True once the server has sent anything for this document on this connection.
    answered: bool,
    unavailable: bool,
}

/// A client's sync session with one server.
#[derive(Debug)]
pub struct PeerSession {
    peer_id: PeerId,
    server_id: Option<PeerId>,
    connected: bool,
    documents: BTreeMap<DocumentId, TrackedDocument>,
    last_heard_ms: Option<u64>,
    /// Whether `join` announces Enlace's protocol extension.
    announce_extension: bool,
    /// `count` of the last `ephemeral` message sent (automerge-repo numbers
    /// them per session so receivers can drop duplicates).
    ephemeral_count: u64,
}

impl PeerSession {
    pub fn new(peer_id: PeerId) -> Self {
        Self {
            peer_id,
            server_id: None,
            connected: false,
            documents: BTreeMap::new(),
            last_heard_ms: None,
            announce_extension: true,
            ephemeral_count: 0,
        }
    }

    /// A session that joins like a stock automerge-repo client, without
    /// Enlace's extension (the server then disconnects it on a refused change).
    pub fn without_extension(mut self) -> Self {
        self.announce_extension = false;
        self
    }

    pub fn peer_id(&self) -> &PeerId {
        &self.peer_id
    }

    /// The server's peer id, once it has answered `join`.
    pub fn server_id(&self) -> Option<&PeerId> {
        self.server_id.as_ref()
    }

    /// When a message from the server last arrived (the caller's clock).
    pub fn last_heard_ms(&self) -> Option<u64> {
        self.last_heard_ms
    }

    /// Starts following a document, starting from `document` (empty if new to us).
    /// Returns the messages to send now (none until the server has answered `join`).
    pub fn open(&mut self, document_id: DocumentId, document: Automerge) -> Vec<Message> {
        self.documents.insert(
            document_id,
            TrackedDocument {
                document,
                state: sync::State::new(),
                answered: false,
                unavailable: false,
            },
        );
        let mut send = Vec::new();
        self.sync_document(document_id, &mut send);
        send
    }

    pub fn document(&self, document_id: &DocumentId) -> Option<&Automerge> {
        self.documents.get(document_id).map(|tracked| &tracked.document)
    }

    /// Mutable access for local edits; follow with [`Input::LocalChange`].
    pub fn document_mut(&mut self, document_id: &DocumentId) -> Option<&mut Automerge> {
        self.documents
            .get_mut(document_id)
            .map(|tracked| &mut tracked.document)
    }

    /// True when the server has answered for this document and we have
    /// nothing unsent and nothing unacknowledged: our heads equal the heads
    /// the server last told us it has.
    pub fn is_in_sync(&self, document_id: &DocumentId) -> bool {
        self.documents.get(document_id).is_some_and(|tracked| {
            tracked.answered
                && tracked
                    .state
                    .their_heads
                    .as_deref()
                    .is_some_and(|heads| sorted(heads.to_vec()) == sorted(tracked.document.get_heads()))
        })
    }

    /// The heads the server has acknowledged for this document.
    pub fn acknowledged_heads(&self, document_id: &DocumentId) -> Vec<ChangeHash> {
        self.documents
            .get(document_id)
            .and_then(|tracked| tracked.state.their_heads.clone())
            .unwrap_or_default()
    }

    /// An `ephemeral` message carrying `data` for `document_id`, addressed
    /// to the server (which relays it to the document's other readers), as
    /// automerge-repo sends it. `None` while not joined, or for a document
    /// this session does not follow or the server does not share: presence
    /// is best effort and never queued.
    pub fn ephemeral(&mut self, document_id: DocumentId, data: Vec<u8>) -> Option<Message> {
        let server_id = self.server_id.clone().filter(|_| self.connected)?;
        let tracked = self.documents.get(&document_id)?;
        if tracked.unavailable {
            return None;
        }
        self.ephemeral_count += 1;
        Some(Message::Ephemeral {
            sender_id: self.peer_id.clone(),
            target_id: server_id,
            count: self.ephemeral_count,
            // One session per peer id: a tab's peer id is fresh on every load.
            session_id: self.peer_id.as_str().to_owned(),
            document_id,
            data,
            enlace_sender: None,
        })
    }

    pub fn handle(&mut self, now_ms: u64, input: Input) -> Result<Output, SyncError> {
        let mut output = Output::default();
        match input {
            Input::Connected => {
                self.connected = true;
                self.server_id = None;
                output.send.push(Message::Join {
                    sender_id: self.peer_id.clone(),
                    supported_protocol_versions: vec![PROTOCOL_VERSION.to_owned()],
                    peer_metadata: PeerMetadata {
                        storage_id: None,
                        is_ephemeral: Some(true),
                        enlace: self.announce_extension.then_some(ENLACE_EXTENSION_VERSION),
                    },
                });
            }
            Input::Disconnected => {
                self.connected = false;
                self.server_id = None;
                for tracked in self.documents.values_mut() {
                    tracked.state = sync::State::new();
                    tracked.answered = false;
                }
            }
            Input::LocalChange(document_id) => self.sync_document(document_id, &mut output.send),
            Input::Received(message) => {
                self.last_heard_ms = Some(now_ms);
                self.receive(message, &mut output)?;
            }
        }
        Ok(output)
    }

    fn receive(&mut self, message: Message, output: &mut Output) -> Result<(), SyncError> {
        match message {
            Message::Peer { sender_id, .. } => {
                self.server_id = Some(sender_id.clone());
                output.events.push(SessionEvent::Joined { server_id: sender_id });
                let ids: Vec<DocumentId> = self.documents.keys().copied().collect();
                for document_id in ids {
                    self.sync_document(document_id, &mut output.send);
                }
            }
            Message::Sync {
                document_id, data, ..
            }
            | Message::Request {
                document_id, data, ..
            } => {
                let Some(tracked) = self.documents.get_mut(&document_id) else {
                    // Not a document we follow: ignore it, as automerge-repo's
                    // share policy would for a document nobody asked for.
                    return Ok(());
                };
                let sync_message =
                    sync::Message::decode(&data).map_err(|error| SyncError::BadSyncMessage {
                        document_id,
                        reason: error.to_string(),
                    })?;
                let before = tracked.document.get_heads();
                tracked
                    .document
                    .receive_sync_message(&mut tracked.state, sync_message)
                    .map_err(|error| SyncError::Apply {
                        document_id,
                        reason: error.to_string(),
                    })?;
                tracked.answered = true;
                tracked.unavailable = false;
                if tracked.document.get_heads() != before {
                    output.changed.push(document_id);
                }
                self.sync_document(document_id, &mut output.send);
            }
            Message::DocUnavailable { document_id, .. } => {
                if let Some(tracked) = self.documents.get_mut(&document_id) {
                    tracked.unavailable = true;
                    tracked.answered = true;
                }
                output.events.push(SessionEvent::DocumentUnavailable(document_id));
            }
            Message::Error { message, .. } => {
                output.events.push(SessionEvent::ServerError(message));
            }
            Message::Rejected {
                document_id,
                change_hashes,
                message,
                refusal,
                ..
            } => {
                let Some(tracked) = self.documents.get_mut(&document_id) else {
                    return Ok(());
                };
                let refused: Vec<ChangeHash> = change_hashes
                    .iter()
                    .filter_map(|hash| hash.parse().ok())
                    .collect();
                let (document, dropped) = drop_refused(&tracked.document, &refused);
                tracked.document = document;
                // The server forgot its sync state for us; so do we.
                tracked.state = sync::State::new();
                output.changed.push(document_id);
                output.events.push(SessionEvent::Rejected {
                    document_id,
                    dropped,
                    reason: message,
                    refusal,
                });
                self.sync_document(document_id, &mut output.send);
            }
            message @ Message::Ephemeral { document_id, .. } => {
                if self.documents.contains_key(&document_id) {
                    output.ephemeral.push(message);
                }
            }
            // Subscriptions and remote heads carry nothing this session needs.
            Message::RemoteSubscriptionChange { .. }
            | Message::RemoteHeadsChanged { .. }
            | Message::Join { .. }
            | Message::Leave { .. } => {}
        }
        Ok(())
    }

    fn sync_document(&mut self, document_id: DocumentId, send: &mut Vec<Message>) {
        let (Some(server_id), true) = (self.server_id.clone(), self.connected) else {
            return;
        };
        let Some(tracked) = self.documents.get_mut(&document_id) else {
            return;
        };
        if tracked.unavailable {
            return;
        }
        // automerge's sync protocol keeps at most one message in flight per
        // peer; generate_sync_message returns None while waiting.
        if let Some(sync_message) = tracked.document.generate_sync_message(&mut tracked.state) {
            let data = sync_message.encode();
            let message = if tracked.answered {
                Message::Sync {
                    sender_id: self.peer_id.clone(),
                    target_id: server_id,
                    document_id,
                    data,
                }
            } else {
                Message::Request {
                    sender_id: self.peer_id.clone(),
                    target_id: server_id,
                    document_id,
                    data,
                }
            };
            send.push(message);
        }
    }
}

/// The document without the refused changes and every change that depends
/// on them (directly or transitively); returns it and how many were dropped.
fn drop_refused(document: &Automerge, refused: &[ChangeHash]) -> (Automerge, usize) {
    use std::collections::HashSet;
    let all = document.get_changes(&[]);
    let total = all.len();
    let mut poisoned: HashSet<ChangeHash> = refused.iter().copied().collect();
    let mut kept = Vec::with_capacity(all.len());
    // get_changes returns changes in causal order, so dependencies come first.
    for change in all {
        if poisoned.contains(&change.hash()) || change.deps().iter().any(|dep| poisoned.contains(dep)) {
            poisoned.insert(change.hash());
        } else {
            kept.push(change);
        }
    }
    let dropped = total - kept.len();
    let mut rebuilt = Automerge::new().with_actor(document.get_actor().clone());
    // Invariant: every kept change's dependencies are kept too (causal order above).
    let _ = rebuilt.apply_changes(kept);
    (rebuilt, dropped)
}

fn sorted(mut heads: Vec<ChangeHash>) -> Vec<ChangeHash> {
    heads.sort();
    heads
}
