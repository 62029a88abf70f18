//! One task per open document: the only code that changes a document.
//!
//! A hub drains every command queued for its document, applies the sync
//! messages through [`DocumentHub`], hands the new changes to the group-commit
//! writer, and only after the commit sends anyone a sync message. Since sync
//! messages carry the hub's heads, a peer sees its change acknowledged only
//! once it is durable.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use automerge::Automerge;
use enlace_shared::api::{Receipt, TouchedRecord, close};
use enlace_shared::model::MAX_CHANGE_MESSAGE_BYTES;
use enlace_shared::policy;
use enlace_shared::protocol::Message;
use enlace_shared::refusal::Refusal;
use enlace_shared::roles::Role;
use enlace_shared::schema::Collection;
use enlace_shared::sync::{ConnectionKey, DocumentHub, HubError};
use enlace_shared::{DocumentId, PeerId};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::storage::{AppendRequest, Storage, StorageError, StorageWriter};

/// How many changes may pile up after a snapshot before the hub compacts.
const COMPACT_AFTER_CHANGES: u64 = 1000;
/// The most queued commands a hub folds into one group.
const MAX_COMMANDS_PER_ROUND: usize = 4096;

/// The shortest time from one fan-out of changes to the next round. A quiet
/// hub answers at once; a busy one gathers 10 ms of messages per round, so
/// that one fan-out carries many changes to each peer instead of one sync
/// message per peer for every incoming change (docs/performance.md has the
/// measurements).
const MIN_ROUND_INTERVAL: std::time::Duration = std::time::Duration::from_millis(10);
/// Per-hub command queue length; senders wait when it is full (backpressure).
const COMMAND_QUEUE: usize = 1024;

/// The person behind a connection, as of the message being handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: String,
    pub display_name: String,
    pub organisation_id: Option<String>,
    pub role: Role,
}

/// What a hub tells a connection.
#[derive(Debug)]
pub enum ToConnection {
    Send(Message),
    /// These changes were refused and never applied; tell the peer.
    Rejected {
        document_id: DocumentId,
        change_hashes: Vec<String>,
        /// An English sentence: which edit, and why.
        reason: String,
        /// Why, for the client to say in the person's language; `None` when
        /// the server could not decide (a storage failure).
        refusal: Option<Refusal>,
    },
    /// Send an `error` message, then close with this code and reason.
    Close {
        code: u16,
        reason: String,
    },
}

/// What a connection tells a hub.
#[derive(Debug)]
pub enum HubCommand {
    Join {
        connection: ConnectionKey,
        peer_id: PeerId,
        outbox: mpsc::Sender<ToConnection>,
    },
    Sync {
        connection: ConnectionKey,
        data: Vec<u8>,
        principal: Principal,
    },
    Ephemeral {
        connection: ConnectionKey,
        message: Message,
    },
    Leave {
        connection: ConnectionKey,
    },
}

/// Errors opening a document.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("stored document {0} does not load: {1}")]
    Corrupt(DocumentId, String),
    #[error("loading document {0} did not finish: {1}")]
    Interrupted(DocumentId, tokio::task::JoinError),
}

/// The open documents and their hub tasks.
#[derive(Clone)]
pub struct Hubs {
    inner: Arc<HubsInner>,
}

struct HubsInner {
    storage: Storage,
    writer: StorageWriter,
    server_peer_id: PeerId,
    open: Mutex<HashMap<DocumentId, mpsc::Sender<HubCommand>>>,
    tasks: Mutex<JoinSet<()>>,
}

impl Hubs {
    pub fn new(storage: Storage, writer: StorageWriter, server_peer_id: PeerId) -> Self {
        Self {
            inner: Arc::new(HubsInner {
                storage,
                writer,
                server_peer_id,
                open: Mutex::new(HashMap::new()),
                tasks: Mutex::new(JoinSet::new()),
            }),
        }
    }

    pub fn server_peer_id(&self) -> &PeerId {
        &self.inner.server_peer_id
    }

    pub fn storage(&self) -> &Storage {
        &self.inner.storage
    }

    /// The command queue of a document's hub, starting the hub if needed.
    /// `Ok(None)` if no such workspace exists.
    pub async fn get(&self, document_id: DocumentId) -> Result<Option<mpsc::Sender<HubCommand>>, OpenError> {
        if let Some(sender) = self.lock_open().get(&document_id) {
            return Ok(Some(sender.clone()));
        }
        let storage = self.inner.storage.clone();
        let loaded = tokio::task::spawn_blocking(move || load_document(&storage, document_id))
            .await
            .map_err(|error| OpenError::Interrupted(document_id, error))??;
        let Some(loaded) = loaded else {
            return Ok(None);
        };
        let mut open = self.lock_open();
        // Another connection may have opened it while we were loading.
        if let Some(sender) = open.get(&document_id) {
            return Ok(Some(sender.clone()));
        }
        let (sender, receiver) = mpsc::channel(COMMAND_QUEUE);
        let hub = HubTask {
            document_id,
            core: DocumentHub::new(loaded.document),
            outboxes: HashMap::new(),
            storage: self.inner.storage.clone(),
            writer: self.inner.writer.clone(),
            server_peer_id: self.inner.server_peer_id.clone(),
            next_seq: loaded.next_seq,
            snapshot_next_seq: loaded.snapshot_next_seq,
            bindings: ActorBindings::new(self.inner.storage.clone()),
            pending_receipts: Vec::new(),
        };
        self.lock_tasks().spawn(hub.run(receiver));
        open.insert(document_id, sender.clone());
        Ok(Some(sender))
    }

    /// Stops accepting work: hubs finish what is queued, commit, and end once
    /// their last connection has let go. Resolves when every hub has ended.
    pub async fn shut_down(&self) {
        self.lock_open().clear();
        let mut tasks = std::mem::take(&mut *self.lock_tasks());
        while tasks.join_next().await.is_some() {}
    }

    fn lock_open(&self) -> std::sync::MutexGuard<'_, HashMap<DocumentId, mpsc::Sender<HubCommand>>> {
        // A poisoned lock means a panic while inserting into a map; the map is still valid.
        self.inner
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn lock_tasks(&self) -> std::sync::MutexGuard<'_, JoinSet<()>> {
        self.inner
            .tasks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A document as storage holds it, ready for a hub.
struct LoadedDocument {
    document: Automerge,
    /// The sequence number the next committed change will get.
    next_seq: u64,
    /// The first sequence number not covered by the stored snapshot.
    snapshot_next_seq: u64,
}

/// Loads a document from storage: `None` if no such workspace.
fn load_document(storage: &Storage, document_id: DocumentId) -> Result<Option<LoadedDocument>, OpenError> {
    if !storage.has_workspace(&document_id)? {
        return Ok(None);
    }
    let stored = storage.load_document(&document_id)?;
    let mut document = match &stored.snapshot {
        Some(snapshot) => {
            Automerge::load(snapshot).map_err(|error| OpenError::Corrupt(document_id, error.to_string()))?
        }
        None => Automerge::new(),
    };
    let joined: Vec<u8> = stored.changes.concat();
    document
        .load_incremental(&joined)
        .map_err(|error| OpenError::Corrupt(document_id, error.to_string()))?;
    Ok(Some(LoadedDocument {
        document,
        next_seq: stored.next_seq,
        snapshot_next_seq: stored.snapshot_next_seq,
    }))
}

struct HubTask {
    document_id: DocumentId,
    core: DocumentHub,
    outboxes: HashMap<ConnectionKey, mpsc::Sender<ToConnection>>,
    storage: Storage,
    writer: StorageWriter,
    server_peer_id: PeerId,
    next_seq: u64,
    snapshot_next_seq: u64,
    bindings: ActorBindings,
    /// Receipts of the changes accepted this round, committed with them.
    pending_receipts: Vec<Receipt>,
}

impl HubTask {
    async fn run(mut self, mut commands: mpsc::Receiver<HubCommand>) {
        tracing::debug!(document = %self.document_id, "hub started");
        let mut round = Vec::with_capacity(64);
        let mut last_fan_out: Option<tokio::time::Instant> = None;
        while commands.recv_many(&mut round, MAX_COMMANDS_PER_ROUND).await > 0 {
            // Under load, wait out the round interval and take everything
            // that arrived meanwhile into this round: one fan-out then
            // carries many changes to each peer instead of one each. Only a
            // round that fanned out changes starts the interval; rounds of
            // acknowledgements alone do not delay the next change.
            if let Some(last) = last_fan_out {
                tokio::time::sleep_until(last + MIN_ROUND_INTERVAL).await;
                while round.len() < MAX_COMMANDS_PER_ROUND {
                    match commands.try_recv() {
                        Ok(command) => round.push(command),
                        Err(_) => break,
                    }
                }
            }
            for command in round.drain(..) {
                self.handle(command);
            }
            if self.commit_and_fan_out().await {
                last_fan_out = Some(tokio::time::Instant::now());
            }
        }
        tracing::debug!(
            document = %self.document_id,
            acknowledgements_without_walk = self.core.shortcut_acknowledgements(),
            "hub stopped"
        );
    }

    /// Handles one command. Incoming changes are applied to a fork first
    /// (`DocumentHub::receive_checked`), so no failure here leaves the
    /// document half-changed.
    fn handle(&mut self, command: HubCommand) {
        match command {
            HubCommand::Join {
                connection,
                peer_id,
                outbox,
            } => {
                self.core.join(connection, peer_id);
                self.outboxes.insert(connection, outbox);
            }
            HubCommand::Sync {
                connection,
                data,
                principal,
            } => {
                let received_at_ms = crate::system::now_ms();
                let mut accepted = Vec::new();
                let bindings = &mut self.bindings;
                let outcome = self.core.receive_checked(connection, &data, |fork, added| {
                    let judged = judge(
                        fork,
                        added,
                        Judging {
                            principal: &principal,
                            bindings,
                        },
                    )?;
                    accepted = added
                        .iter()
                        .zip(judged.records)
                        .map(|(change, records)| receipt(change, &principal, received_at_ms, records))
                        .collect();
                    Ok::<(), NotAccepted>(())
                });
                tracing::debug!(document = %self.document_id, connection, accepted = accepted.len(), ok = matches!(outcome, Ok(Ok(()))), "sync message");
                match outcome {
                    Ok(Ok(())) => self.pending_receipts.extend(accepted),
                    Ok(Err((hashes, not_accepted))) => self.reject(connection, &hashes, &not_accepted),
                    Err(HubError::UnknownConnection(_)) => {}
                    Err(error @ (HubError::BadSyncMessage(_) | HubError::Rejected(_))) => {
                        self.close(connection, close::INVALID_PAYLOAD, error.to_string());
                    }
                }
            }
            HubCommand::Ephemeral { connection, message } => self.relay_ephemeral(connection, &message),
            HubCommand::Leave { connection } => {
                self.core.leave(connection);
                self.outboxes.remove(&connection);
            }
        }
    }

    fn relay_ephemeral(&self, from: ConnectionKey, message: &Message) {
        let Message::Ephemeral {
            sender_id,
            count,
            session_id,
            document_id,
            data,
            ..
        } = message
        else {
            return;
        };
        for (connection, peer_id) in self.core.connections() {
            if connection == from {
                continue;
            }
            if let Some(outbox) = self.outboxes.get(&connection) {
                // Presence is best effort: a full outbox drops it rather than stall the hub.
                let _ = outbox.try_send(ToConnection::Send(Message::Ephemeral {
                    sender_id: sender_id.clone(),
                    target_id: peer_id.clone(),
                    count: *count,
                    session_id: session_id.clone(),
                    document_id: *document_id,
                    data: data.clone(),
                }));
            }
        }
    }

    fn reject(&mut self, connection: ConnectionKey, hashes: &[automerge::ChangeHash], why: &NotAccepted) {
        let reason = why.to_string();
        tracing::info!(document = %self.document_id, connection, changes = hashes.len(), %reason, "rejected changes");
        if let Some(outbox) = self.outboxes.get(&connection) {
            let _ = outbox.try_send(ToConnection::Rejected {
                document_id: self.document_id,
                change_hashes: hashes.iter().map(ToString::to_string).collect(),
                reason,
                refusal: why.refusal(),
            });
        }
    }

    fn close(&mut self, connection: ConnectionKey, code: u16, reason: String) {
        tracing::warn!(document = %self.document_id, connection, code, %reason, "closing connection");
        self.core.leave(connection);
        if let Some(outbox) = self.outboxes.remove(&connection) {
            let _ = outbox.try_send(ToConnection::Close { code, reason });
        }
    }

    /// After a failed commit the in-memory document holds changes storage does
    /// not, and nobody was told they are stored. Reload what storage holds and
    /// make every peer resync from scratch (they still have their changes).
    async fn recover(&mut self) {
        let storage = self.storage.clone();
        let document_id = self.document_id;
        match tokio::task::spawn_blocking(move || load_document(&storage, document_id)).await {
            Ok(Ok(Some(loaded))) => {
                self.bindings.forget();
                self.pending_receipts.clear();
                self.core.reset(loaded.document);
                self.next_seq = loaded.next_seq;
                self.snapshot_next_seq = loaded.snapshot_next_seq;
            }
            Ok(Ok(None)) => {
                tracing::error!(document = %self.document_id, "reload after a failed commit found no workspace");
            }
            Ok(Err(error)) => {
                tracing::error!(document = %self.document_id, %error, "reload after a failed commit failed");
            }
            Err(error) => {
                tracing::error!(document = %self.document_id, %error, "reload after a failed commit did not finish");
            }
        }
        let connections: Vec<ConnectionKey> = self.outboxes.keys().copied().collect();
        for connection in connections {
            self.close(
                connection,
                close::SERVICE_RESTART,
                "document reloaded; reconnect".into(),
            );
        }
    }

    /// Commits what the round accepted, then sends every peer what it needs.
    /// True when the round had changes to commit and fan out.
    async fn commit_and_fan_out(&mut self) -> bool {
        let changes = self.core.take_new_changes();
        let committed = !changes.is_empty();
        if committed {
            let raw: Vec<Vec<u8>> = changes.iter().map(|change| change.raw_bytes().to_vec()).collect();
            let append = AppendRequest {
                document_id: self.document_id,
                changes: raw,
                bindings: self.bindings.take_pending(),
                receipts: std::mem::take(&mut self.pending_receipts),
            };
            match self.writer.append_with(append).await {
                Ok(receipt) => {
                    self.next_seq = receipt.next_seq;
                    tracing::trace!(document = %self.document_id, changes = changes.len(), group = receipt.group_size, "committed");
                }
                Err(error) => {
                    tracing::error!(document = %self.document_id, %error, "commit failed; nothing acknowledged");
                    self.recover().await;
                    return false;
                }
            }
            self.maybe_compact().await;
        }
        let mut too_slow = Vec::new();
        for outgoing in self.core.outgoing() {
            tracing::debug!(document = %self.document_id, connection = outgoing.connection, bytes = outgoing.data.len(), "outgoing");
            let Some(outbox) = self.outboxes.get(&outgoing.connection) else {
                continue;
            };
            let message = Message::Sync {
                sender_id: self.server_peer_id.clone(),
                target_id: outgoing.peer_id,
                document_id: self.document_id,
                data: outgoing.data,
            };
            // Never wait on a connection: it may itself be waiting on this hub.
            // The sync protocol keeps one message in flight per peer, so a full
            // outbox means the peer stopped reading.
            match outbox.try_send(ToConnection::Send(message)) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(_)) => too_slow.push(outgoing.connection),
                // The connection is gone; its Leave command is on its way.
                Err(mpsc::error::TrySendError::Closed(_)) => {}
            }
        }
        for connection in too_slow {
            self.close(
                connection,
                close::TRY_AGAIN_LATER,
                "peer is not reading its messages".into(),
            );
        }
        committed
    }

    async fn maybe_compact(&mut self) {
        if self.next_seq.saturating_sub(self.snapshot_next_seq) < COMPACT_AFTER_CHANGES {
            return;
        }
        let snapshot = self.core.document().save();
        let storage = self.storage.clone();
        let document_id = self.document_id;
        let next_seq = self.next_seq;
        match tokio::task::spawn_blocking(move || storage.compact(&document_id, &snapshot, next_seq)).await {
            Ok(Ok(())) => {
                tracing::info!(document = %self.document_id, next_seq, "compacted");
                self.snapshot_next_seq = next_seq;
            }
            other => tracing::warn!(document = %self.document_id, ?other, "compaction failed; changes kept"),
        }
    }
}

/// Which person each actor id belongs to, as far as this hub has looked,
/// and the bindings its accepted changes made since the last commit.
struct ActorBindings {
    /// Where bindings this hub has not seen yet are read: a redb point read
    /// made on the hub's task, while it judges a message.
    storage: Storage,
    /// Actor id → the user it is bound to.
    known: HashMap<Vec<u8>, String>,
    /// Actors first bound since the last commit; written with its changes.
    pending: Vec<(Vec<u8>, String)>,
}

impl ActorBindings {
    fn new(storage: Storage) -> Self {
        Self {
            storage,
            known: HashMap::new(),
            pending: Vec::new(),
        }
    }

    /// The user `actor` is bound to, if any (remembered once read).
    fn owner(&mut self, actor: &[u8]) -> Result<Option<String>, StorageError> {
        if let Some(owner) = self.known.get(actor) {
            return Ok(Some(owner.clone()));
        }
        let owner = self.storage.actor_owner(actor)?;
        if let Some(owner) = &owner {
            self.known.insert(actor.to_vec(), owner.clone());
        }
        Ok(owner)
    }

    /// Whether `actor` is bound to `user_id` (a failed read counts as no).
    fn is_bound_to(&self, actor: &[u8], user_id: &str) -> bool {
        match self.known.get(actor) {
            Some(owner) => owner == user_id,
            None => self
                .storage
                .actor_owner(actor)
                .ok()
                .flatten()
                .is_some_and(|owner| owner == user_id),
        }
    }

    fn bind(&mut self, actor: Vec<u8>, user_id: &str) {
        self.known.insert(actor.clone(), user_id.to_owned());
        self.pending.push((actor, user_id.to_owned()));
    }

    fn take_pending(&mut self) -> Vec<(Vec<u8>, String)> {
        std::mem::take(&mut self.pending)
    }

    /// Drops everything learnt, after storage was reloaded.
    fn forget(&mut self) {
        self.known.clear();
        self.pending.clear();
    }
}

/// What `judge` decides with besides the changes: who sent them, and the
/// actor bindings to check them against.
struct Judging<'a> {
    principal: &'a Principal,
    /// Reads redb, on the hub's task, for actors this hub has not seen yet.
    bindings: &'a mut ActorBindings,
}

/// An edit the sender's role may not make: where it lands, and why not.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{place}: {refusal}")]
struct Refused {
    /// The edit's place (`organisations/<id>/name`) or the refused change.
    place: String,
    refusal: Refusal,
}

/// Why the changes of a sync message were not accepted.
#[derive(Debug, thiserror::Error)]
enum NotAccepted {
    #[error(transparent)]
    Refused(#[from] Refused),
    #[error("cannot check authorship: {0}")]
    Authorship(#[from] StorageError),
}

impl NotAccepted {
    fn refusal(&self) -> Option<Refusal> {
        match self {
            Self::Refused(refused) => Some(refused.refusal),
            Self::Authorship(_) => None,
        }
    }
}

/// What `judge` learnt from changes it accepted, for their receipts.
#[must_use]
struct Judged {
    /// For each change, in the order given: the records it touched.
    records: Vec<Vec<TouchedRecord>>,
}

/// Decides whether the sender may add `added` (already applied to `fork`):
/// their role must write at all (a change with no operations still lands in
/// the history and its message in a receipt), every message must fit
/// [`MAX_CHANGE_MESSAGE_BYTES`], every change's actor must be theirs (a new
/// actor is bound to them if the message is accepted; an unbound one with
/// earlier changes is nobody's), and every operation must pass the policy for
/// their role. Accepted, it returns the records each
/// change touched, so that authorship is recorded with the receipts.
fn judge(fork: &Automerge, added: &[automerge::Change], judging: Judging<'_>) -> Result<Judged, NotAccepted> {
    let Judging { principal, bindings } = judging;
    for change in added {
        if change
            .message()
            .is_some_and(|message| message.len() > MAX_CHANGE_MESSAGE_BYTES)
        {
            return Err(Refused {
                place: format!("the message of change {}", change.hash()),
                refusal: Refusal::MessageTooLong,
            }
            .into());
        }
    }
    let mut unbound: Vec<Vec<u8>> = Vec::new();
    let arriving: std::collections::HashSet<(&[u8], u64)> = added
        .iter()
        .map(|change| (change.actor_id().to_bytes(), change.seq()))
        .collect();
    for change in added {
        let actor = change.actor_id().to_bytes();
        let owner = bindings.owner(actor)?;
        let foreign = match &owner {
            Some(owner) => *owner != principal.user_id,
            // An actor bound to nobody is the sender's to claim only if it is
            // new: one with earlier changes in the document that did not come
            // with this message wrote them without a binding, which only the
            // server does (workspaces created before their actor was bound
            // to the system principal at creation).
            None => change.seq() > 1 && !arriving.contains(&(actor, change.seq() - 1)),
        };
        if foreign {
            return Err(Refused {
                place: format!("change {} by actor {}", change.hash(), change.actor_id()),
                refusal: Refusal::ForeignActor,
            }
            .into());
        }
        if owner.is_none() && !unbound.iter().any(|seen| seen.as_slice() == actor) {
            unbound.push(actor.to_vec());
        }
    }
    let is_own = |actor: &automerge::ActorId| {
        let bytes = actor.to_bytes();
        unbound.iter().any(|seen| seen.as_slice() == bytes) || bindings.is_bound_to(bytes, &principal.user_id)
    };
    let mut records = Vec::with_capacity(added.len());
    for change in added {
        let edits = policy::edits_in_change(fork, change, &is_own);
        // The policy refuses every operation of a role that cannot write; a
        // change without operations gives it none to refuse, yet it would
        // land in the history and its message in a receipt.
        if edits.is_empty() && !principal.role.may_write() {
            return Err(Refused {
                place: format!("change {}", change.hash()),
                refusal: Refusal::ReadOnlyRole,
            }
            .into());
        }
        for edit in &edits {
            policy::check(principal.role, edit).map_err(|refusal| Refused {
                place: place(edit),
                refusal,
            })?;
        }
        records.push(touched_records(&edits));
    }
    for actor in unbound {
        bindings.bind(actor, &principal.user_id);
    }
    Ok(Judged { records })
}

/// The records of the schema's collections that `edits` (one change's)
/// write into, each once; `created` when the change wrote the record's own
/// key in its collection.
pub(crate) fn touched_records(edits: &[policy::Edit]) -> Vec<TouchedRecord> {
    let mut touched: std::collections::BTreeMap<(&str, &str), bool> = std::collections::BTreeMap::new();
    for edit in edits {
        let (collection, record_id, created) = match &edit.location {
            policy::Location::Collection {
                collection,
                record_id,
            } => (collection, record_id, edit.kind == policy::EditKind::Write),
            policy::Location::Record {
                collection,
                record_id,
                ..
            } => (collection, record_id, false),
            _ => continue,
        };
        if Collection::from_key(collection).is_none() {
            continue;
        }
        *touched.entry((collection, record_id)).or_default() |= created;
    }
    touched
        .into_iter()
        .map(|((collection, record_id), created)| TouchedRecord {
            collection: collection.to_owned(),
            record_id: record_id.to_owned(),
            created,
        })
        .collect()
}

/// Where an edit lands, as a refusal names it.
fn place(edit: &policy::Edit) -> String {
    match &edit.location {
        policy::Location::Root { key } => format!("root key `{key}`"),
        policy::Location::Settings => "workspace settings".into(),
        policy::Location::Collection {
            collection,
            record_id,
        } => format!("{collection}/{record_id}"),
        policy::Location::Record {
            collection,
            record_id,
            field,
        } => format!("{collection}/{record_id}/{field}"),
        policy::Location::Unknown => "an unreachable object".into(),
    }
}

/// The server's receipt of `change`, accepted from `principal`.
pub(crate) fn receipt(
    change: &automerge::Change,
    principal: &Principal,
    received_at_ms: i64,
    records: Vec<TouchedRecord>,
) -> Receipt {
    Receipt {
        hash: change.hash().to_string(),
        actor: change.actor_id().to_hex_string(),
        seq: change.seq(),
        client_time_ms: change.timestamp(),
        message: change.message().map(str::to_owned),
        user_id: principal.user_id.clone(),
        user_name: principal.display_name.clone(),
        organisation_id: principal.organisation_id.clone(),
        role: principal.role,
        received_at_ms,
        records,
    }
}

#[cfg(test)]
mod tests {
    use automerge::ActorId;
    use automerge::transaction::CommitOptions;
    use enlace_shared::model::{self, Authorship};
    use enlace_shared::records::{self, Initial};
    use enlace_shared::schema::Collection;

    use super::*;

    fn principal(user_id: &str, role: Role) -> Principal {
        Principal {
            user_id: user_id.to_owned(),
            display_name: user_id.to_owned(),
            organisation_id: None,
            role,
        }
    }

    fn actor(byte: u8) -> ActorId {
        ActorId::from([byte; 16])
    }

    /// A fork of a fresh workspace with one organisation added by `by`, and
    /// the changes that added it.
    fn organisation_added_by(by: &ActorId) -> (Automerge, Vec<automerge::Change>) {
        let mut document = Automerge::new();
        model::create_workspace(&mut document, "MCIG", 1).expect("workspace");
        let mut fork = document.fork().with_actor(by.clone());
        let authorship = Authorship {
            now_ms: 2,
            author: "test",
        };
        let name = [("name", Initial::Text("GIZ".into()))];
        records::create_record(&mut fork, Collection::Organisations, "org-1", &name, &authorship)
            .expect("record");
        let added = fork.get_changes(&document.get_heads());
        (fork, added)
    }

    fn empty_bindings() -> (tempfile::TempDir, ActorBindings) {
        let directory = tempfile::tempdir().expect("tempdir");
        let storage = Storage::open(directory.path()).expect("open");
        (directory, ActorBindings::new(storage))
    }

    fn judged(
        fork: &Automerge,
        added: &[automerge::Change],
        principal: &Principal,
        bindings: &mut ActorBindings,
    ) -> Result<Judged, NotAccepted> {
        judge(fork, added, Judging { principal, bindings })
    }

    /// A fork of a fresh workspace with one change by `by` that has no
    /// operations, only `message`, and that change.
    fn empty_change_by(by: &ActorId, message: &str) -> (Automerge, Vec<automerge::Change>) {
        let mut document = Automerge::new();
        model::create_workspace(&mut document, "MCIG", 1).expect("workspace");
        let mut fork = document.fork().with_actor(by.clone());
        fork.empty_commit(CommitOptions::default().with_message(message.to_owned()));
        let added = fork.get_changes(&document.get_heads());
        assert_eq!(added.len(), 1);
        (fork, added)
    }

    fn organisation(record_id: &str, created: bool) -> TouchedRecord {
        TouchedRecord {
            collection: "organisations".into(),
            record_id: record_id.into(),
            created,
        }
    }

    #[test]
    fn an_observers_change_without_operations_is_refused() {
        let (_directory, mut bindings) = empty_bindings();
        let (fork, added) = empty_change_by(&actor(1), "hello from an observer");
        let refused = judged(&fork, &added, &principal("olga", Role::Observer), &mut bindings)
            .err()
            .expect("observers write nothing, not even an empty change");
        assert_eq!(refused.refusal(), Some(Refusal::ReadOnlyRole));
        assert!(
            refused.to_string().contains(&added[0].hash().to_string()),
            "{refused}"
        );
        assert!(bindings.take_pending().is_empty());
        // A change with operations is refused by the policy, at its first edit.
        let (fork, added) = organisation_added_by(&actor(2));
        let refused = judged(&fork, &added, &principal("olga", Role::Observer), &mut bindings)
            .err()
            .expect("observers write nothing");
        assert_eq!(
            refused.to_string(),
            format!("organisations/org-1: {}", Refusal::ReadOnlyRole)
        );
    }

    #[test]
    fn a_member_may_send_a_change_with_a_normal_message() {
        let (_directory, mut bindings) = empty_bindings();
        let (fork, added) = empty_change_by(&actor(1), "edit organisation GIZ: name");
        let judged = judged(&fork, &added, &principal("ana", Role::Member), &mut bindings).expect("accepted");
        assert_eq!(judged.records, vec![Vec::new()]);
        let exact = "a".repeat(MAX_CHANGE_MESSAGE_BYTES);
        let (fork, added) = empty_change_by(&actor(2), &exact);
        let _ = judged_ok(&fork, &added, &principal("ana", Role::Member), &mut bindings);
    }

    fn judged_ok(
        fork: &Automerge,
        added: &[automerge::Change],
        principal: &Principal,
        bindings: &mut ActorBindings,
    ) -> Judged {
        judged(fork, added, principal, bindings).expect("accepted")
    }

    #[test]
    fn a_message_over_the_limit_is_refused_for_every_role() {
        let long = "a".repeat(MAX_CHANGE_MESSAGE_BYTES + 1);
        for role in [Role::Secretariat, Role::Member] {
            let (_directory, mut bindings) = empty_bindings();
            let (fork, added) = empty_change_by(&actor(1), &long);
            let refused = judged(&fork, &added, &principal("ana", role), &mut bindings)
                .err()
                .expect("too long");
            assert_eq!(refused.refusal(), Some(Refusal::MessageTooLong), "{role}");
            assert!(bindings.take_pending().is_empty());
        }
    }

    #[test]
    fn accepted_changes_name_the_records_they_create_and_edit() {
        let (_directory, mut bindings) = empty_bindings();
        let (mut fork, added) = organisation_added_by(&actor(1));
        let ana = principal("ana", Role::Member);
        let judged = judged_ok(&fork, &added, &ana, &mut bindings);
        assert_eq!(judged.records, vec![vec![organisation("org-1", true)]]);
        let before = fork.get_heads();
        let authorship = Authorship {
            now_ms: 3,
            author: "test",
        };
        records::set_text(
            &mut fork,
            Collection::Organisations,
            "org-1",
            "acronym",
            "GIZ",
            &authorship,
        )
        .expect("edit");
        let edit = fork.get_changes(&before);
        let judged = judged_ok(&fork, &edit, &ana, &mut bindings);
        assert_eq!(judged.records, vec![vec![organisation("org-1", false)]]);
        let stamped = receipt(
            &edit[0],
            &ana,
            4,
            judged.records.into_iter().next().unwrap_or_default(),
        );
        assert_eq!(stamped.records, vec![organisation("org-1", false)]);
    }

    #[test]
    fn an_accepted_change_binds_its_new_actor_to_the_sender() {
        let (_directory, mut bindings) = empty_bindings();
        let (fork, added) = organisation_added_by(&actor(1));
        let _ = judged_ok(&fork, &added, &principal("ana", Role::Member), &mut bindings);
        assert_eq!(
            bindings.take_pending(),
            vec![(actor(1).to_bytes().to_vec(), "ana".to_owned())]
        );
        assert!(bindings.is_bound_to(actor(1).to_bytes(), "ana"));
    }

    #[test]
    fn a_role_refusal_names_the_place_and_binds_nothing() {
        let (_directory, mut bindings) = empty_bindings();
        let mut document = Automerge::new();
        model::create_workspace(&mut document, "MCIG", 1).expect("workspace");
        let mut fork = document.fork().with_actor(actor(1));
        let authorship = Authorship {
            now_ms: 2,
            author: "test",
        };
        records::create_record(&mut fork, Collection::PresidencyTerms, "term-1", &[], &authorship)
            .expect("record");
        let added = fork.get_changes(&document.get_heads());
        let refused = judged(&fork, &added, &principal("ana", Role::Member), &mut bindings)
            .err()
            .expect("presidency terms are not a member's");
        assert_eq!(refused.refusal(), Some(Refusal::PresidencyAndWorkplan));
        assert_eq!(
            refused.to_string(),
            format!("presidency_terms/term-1: {}", Refusal::PresidencyAndWorkplan)
        );
        assert!(bindings.take_pending().is_empty());
    }

    #[test]
    fn an_unbound_actor_with_earlier_changes_is_nobodys_to_claim() {
        // A workspace stored before its creating actor was bound: the actor
        // has history but no binding.
        let (_directory, mut bindings) = empty_bindings();
        let mut document = Automerge::new().with_actor(actor(9));
        model::create_workspace(&mut document, "MCIG", 1).expect("workspace");
        let (fork, added) = {
            let mut fork = document.fork().with_actor(actor(9));
            let authorship = Authorship {
                now_ms: 2,
                author: "test",
            };
            let name = [("name", Initial::Text("GIZ".into()))];
            records::create_record(&mut fork, Collection::Organisations, "org-1", &name, &authorship)
                .expect("record");
            let added = fork.get_changes(&document.get_heads());
            (fork, added)
        };
        assert_eq!(added[0].seq(), 2);
        let refused = judged(&fork, &added, &principal("ana", Role::Member), &mut bindings)
            .err()
            .expect("the creating actor is not Ana's");
        assert_eq!(refused.refusal(), Some(Refusal::ForeignActor));
        assert!(bindings.take_pending().is_empty());
        // A new actor's first changes, all in one message, are claimed.
        let (mut fork, mut added) = organisation_added_by(&actor(3));
        let before = fork.get_heads();
        records::set_deleted(
            &mut fork,
            Collection::Organisations,
            "org-1",
            true,
            &Authorship {
                now_ms: 3,
                author: "test",
            },
        )
        .expect("edit");
        added.extend(fork.get_changes(&before));
        assert_eq!(
            added.iter().map(automerge::Change::seq).collect::<Vec<_>>(),
            [1, 2]
        );
        let _ = judged_ok(&fork, &added, &principal("ana", Role::Member), &mut bindings);
    }

    #[test]
    fn a_change_signed_with_another_persons_actor_is_a_foreign_actor() {
        let (_directory, mut bindings) = empty_bindings();
        bindings.bind(actor(1).to_bytes().to_vec(), "ana");
        bindings.take_pending();
        let (fork, added) = organisation_added_by(&actor(1));
        let refused = judged(&fork, &added, &principal("ben", Role::Secretariat), &mut bindings)
            .err()
            .expect("the actor is Ana's");
        assert_eq!(refused.refusal(), Some(Refusal::ForeignActor));
        assert!(refused.to_string().contains(&actor(1).to_string()), "{refused}");
        assert!(bindings.take_pending().is_empty());
    }
}
