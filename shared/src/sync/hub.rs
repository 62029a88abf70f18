//! The server side of one document: many connections, one document.

use std::collections::BTreeMap;

use automerge::sync::{self, SyncDoc};
use automerge::{Automerge, Change, ChangeHash};

use crate::ids::PeerId;

/// The hub's name for one connection (the server numbers them).
pub type ConnectionKey = u64;

/// A sync message the hub's owner must send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub connection: ConnectionKey,
    pub peer_id: PeerId,
    /// An encoded automerge sync message.
    pub data: Vec<u8>,
}

/// Why the hub refused a peer's message. The document is untouched.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("not an automerge sync message: {0}")]
    BadSyncMessage(String),
    #[error("automerge rejected the changes: {0}")]
    Rejected(String),
    #[error("connection {0} has not joined this document")]
    UnknownConnection(ConnectionKey),
}

#[derive(Debug)]
struct Link {
    peer_id: PeerId,
    state: sync::State,
    /// The peer sent changes we accepted and has not yet been sent our heads
    /// since. Automerge may see no need to answer (when the peer's next
    /// message already shows our heads), but the peer counts a change as
    /// acknowledged only when our heads come back to it.
    owes_acknowledgement: bool,
}

/// One document and the sync state of every connection that follows it.
///
/// The owner calls [`DocumentHub::receive`] for each incoming sync message,
/// persists [`DocumentHub::take_new_changes`], and only then sends
/// [`DocumentHub::outgoing`]: since outgoing messages carry the hub's heads,
/// that order is what makes an acknowledgement mean "stored".
#[derive(Debug)]
pub struct DocumentHub {
    document: Automerge,
    links: BTreeMap<ConnectionKey, Link>,
    persisted_heads: Vec<ChangeHash>,
}

impl DocumentHub {
    /// Wraps a document whose every change is already persisted.
    pub fn new(document: Automerge) -> Self {
        let persisted_heads = document.get_heads();
        Self {
            document,
            links: BTreeMap::new(),
            persisted_heads,
        }
    }

    pub fn document(&self) -> &Automerge {
        &self.document
    }

    pub fn connections(&self) -> impl Iterator<Item = (ConnectionKey, &PeerId)> {
        self.links.iter().map(|(key, link)| (*key, &link.peer_id))
    }

    pub fn is_joined(&self, connection: ConnectionKey) -> bool {
        self.links.contains_key(&connection)
    }

    /// Starts following `connection` with a fresh sync state.
    pub fn join(&mut self, connection: ConnectionKey, peer_id: PeerId) {
        self.links.entry(connection).or_insert_with(|| Link {
            peer_id,
            state: sync::State::new(),
            owes_acknowledgement: false,
        });
    }

    pub fn leave(&mut self, connection: ConnectionKey) {
        self.links.remove(&connection);
    }

    /// Applies one sync message from `connection`.
    ///
    /// The message is decoded and its changes parsed before anything touches
    /// the document, so malformed data leaves the document as it was.
    pub fn receive(&mut self, connection: ConnectionKey, data: &[u8]) -> Result<(), HubError> {
        let message =
            sync::Message::decode(data).map_err(|error| HubError::BadSyncMessage(error.to_string()))?;
        // Chunks are single changes (v1 messages) or a compressed document
        // chunk (v2); parsing them into a scratch document checks both kinds
        // without touching ours. Missing dependencies are not an error here.
        for chunk in message.changes.iter() {
            Automerge::new()
                .load_incremental(chunk)
                .map_err(|error| HubError::BadSyncMessage(format!("bad change data: {error}")))?;
        }
        let link = self
            .links
            .get_mut(&connection)
            .ok_or(HubError::UnknownConnection(connection))?;
        link.owes_acknowledgement |= !message.changes.is_empty();
        self.document
            .receive_sync_message(&mut link.state, message)
            .map_err(|error| HubError::Rejected(error.to_string()))
    }

    /// Applies one sync message from `connection` only if `check` accepts the
    /// changes it would add. The message is applied to a fork of the document
    /// first; `check` sees the fork and the new changes (in causal order). On
    /// acceptance the fork becomes the document; on refusal the document is
    /// untouched, the connection's sync state starts afresh (its peer is told
    /// to drop the refused changes), and the refused change hashes are returned.
    pub fn receive_checked<E>(
        &mut self,
        connection: ConnectionKey,
        data: &[u8],
        check: impl FnOnce(&Automerge, &[Change]) -> Result<(), E>,
    ) -> Result<Result<(), (Vec<ChangeHash>, E)>, HubError> {
        let message =
            sync::Message::decode(data).map_err(|error| HubError::BadSyncMessage(error.to_string()))?;
        // No scratch parse here: changes go to a fork, so bad change data
        // fails there and leaves the document untouched.
        let link = self
            .links
            .get_mut(&connection)
            .ok_or(HubError::UnknownConnection(connection))?;
        if message.changes.is_empty() {
            // Nothing to judge: heads, needs and bloom filters only.
            return self
                .document
                .receive_sync_message(&mut link.state, message)
                .map(Ok)
                .map_err(|error| HubError::Rejected(error.to_string()));
        }
        let mut fork = self.document.fork();
        let mut state = link.state.clone();
        fork.receive_sync_message(&mut state, message)
            .map_err(|error| HubError::Rejected(error.to_string()))?;
        let added = fork.get_changes(&self.document.get_heads());
        match check(&fork, &added) {
            Ok(()) => {
                self.document = fork;
                link.state = state;
                link.owes_acknowledgement = true;
                Ok(Ok(()))
            }
            Err(reason) => {
                link.state = sync::State::new();
                Ok(Err((added.iter().map(Change::hash).collect(), reason)))
            }
        }
    }

    /// Changes applied since the last call, in causal order, for the owner to persist.
    pub fn take_new_changes(&mut self) -> Vec<Change> {
        let heads = self.document.get_heads();
        if heads == self.persisted_heads {
            return Vec::new();
        }
        let changes = self.document.get_changes(&self.persisted_heads);
        self.persisted_heads = heads;
        changes
    }

    /// Replaces the document (after a failed commit, from what storage holds)
    /// and forgets every sync state so that peers resend what is missing.
    pub fn reset(&mut self, document: Automerge) {
        self.persisted_heads = document.get_heads();
        self.document = document;
        for link in self.links.values_mut() {
            link.state = sync::State::new();
        }
    }

    /// Applies a change made by the server itself (already persisted by the caller).
    pub fn apply_local(&mut self, changes: Vec<Change>) -> Result<(), HubError> {
        self.document
            .apply_changes(changes)
            .map_err(|error| HubError::Rejected(error.to_string()))?;
        self.persisted_heads = self.document.get_heads();
        Ok(())
    }

    /// Sync messages every connection needs now.
    pub fn outgoing(&mut self) -> Vec<Outgoing> {
        let document = &self.document;
        self.links
            .iter_mut()
            .filter_map(|(connection, link)| {
                if std::mem::take(&mut link.owes_acknowledgement) {
                    // Forget what we last told this peer, so automerge sends
                    // our heads (the acknowledgement) even if it thinks the
                    // peer can infer them.
                    link.state.last_sent_heads.clear();
                }
                document
                    .generate_sync_message(&mut link.state)
                    .map(|message| Outgoing {
                        connection: *connection,
                        peer_id: link.peer_id.clone(),
                        data: message.encode(),
                    })
            })
            .collect()
    }
}
