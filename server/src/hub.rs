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
use enlace_shared::model;
use enlace_shared::policy::{self, Role};
use enlace_shared::protocol::Message;
use enlace_shared::sync::{ConnectionKey, DocumentHub, HubError};
use enlace_shared::{DocumentId, PeerId};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::storage::{AppendRequest, Receipt, Storage, StorageError, StorageWriter, WorkspaceRecord};

/// How many changes may pile up after a snapshot before the hub compacts.
const COMPACT_AFTER_CHANGES: u64 = 1000;
/// The most queued commands a hub folds into one group.
const MAX_COMMANDS_PER_ROUND: usize = 4096;

/// The shortest time from one fan-out of changes to the next round. A quiet
/// hub answers at once; a busy one gathers 10 ms of messages per round.
/// Without it, every incoming change made a round of its own that sent a
/// sync message to every peer: measured at 20 peers × 5 edits/s, a 10 ms
/// interval cut the server's CPU from 59% to 26% and the p99 from 159 ms to
/// 45 ms (docs/performance.md).
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
        reason: String,
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

/// Close codes (RFC 6455) used by the server.
pub mod close_code {
    pub const GOING_AWAY: u16 = 1001;
    pub const PROTOCOL_ERROR: u16 = 1002;
    pub const UNSUPPORTED_DATA: u16 = 1003;
    pub const INVALID_PAYLOAD: u16 = 1007;
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    pub const INTERNAL_ERROR: u16 = 1011;
    pub const SERVICE_RESTART: u16 = 1012;
    pub const TRY_AGAIN_LATER: u16 = 1013;
    pub const POLICY_VIOLATION: u16 = 1008;
    /// Application code: the credential was revoked or the account disabled.
    pub const SIGNED_OUT: u16 = 4001;
}

/// Errors opening a document.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("stored document {0} does not load: {1}")]
    Corrupt(DocumentId, String),
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
            .map_err(|error| OpenError::Corrupt(document_id, error.to_string()))??;
        let Some((document, next_seq, snapshot_next_seq)) = loaded else {
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
            core: DocumentHub::new(document),
            outboxes: HashMap::new(),
            storage: self.inner.storage.clone(),
            writer: self.inner.writer.clone(),
            server_peer_id: self.inner.server_peer_id.clone(),
            next_seq,
            snapshot_next_seq,
            actor_owners: HashMap::new(),
            pending_bindings: Vec::new(),
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

/// Loads a document from storage: `None` if no such workspace.
fn load_document(
    storage: &Storage,
    document_id: DocumentId,
) -> Result<Option<(Automerge, u64, u64)>, OpenError> {
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
    Ok(Some((document, stored.next_seq, stored.snapshot_next_seq)))
}

/// Creates the first workspace of an empty data directory.
pub fn create_workspace(
    storage: &Storage,
    name: &str,
    now_ms: i64,
    random: [u8; 16],
    demo: bool,
) -> Result<DocumentId, OpenError> {
    let document_id = DocumentId::from_bytes(random);
    let mut document = Automerge::new();
    model::create_workspace(&mut document, name, now_ms)
        .map_err(|error| OpenError::Corrupt(document_id, error.to_string()))?;
    if demo {
        let mut failure = None;
        let mut new_id = || match crate::auth::random_bytes::<16>() {
            Ok(bytes) => model::record_id(bytes),
            Err(error) => {
                failure = Some(error.to_string());
                String::new()
            }
        };
        enlace_shared::demo::seed(&mut document, now_ms, &mut new_id)
            .map_err(|error| OpenError::Corrupt(document_id, error.to_string()))?;
        if let Some(error) = failure {
            return Err(OpenError::Corrupt(document_id, error));
        }
    }
    let changes: Vec<Vec<u8>> = document
        .get_changes(&[])
        .iter()
        .map(|change| change.raw_bytes().to_vec())
        .collect();
    let record = WorkspaceRecord {
        id: None,
        name: name.to_owned(),
        created_at_ms: now_ms,
    };
    storage.create_workspace(document_id, &record, &changes)?;
    Ok(document_id)
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
    /// Actor id → bound user, as far as this hub has looked them up.
    actor_owners: HashMap<Vec<u8>, String>,
    /// Actors bound in this round, committed with its changes.
    pending_bindings: Vec<(Vec<u8>, String)>,
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
                let received_at_ms = crate::now_ms();
                let mut accepted = Vec::new();
                let outcome = {
                    let owners = &mut self.actor_owners;
                    let storage = &self.storage;
                    let bindings = &mut self.pending_bindings;
                    self.core.receive_checked(connection, &data, |fork, added| {
                        judge(fork, added, &principal, owners, storage, bindings)?;
                        accepted = added
                            .iter()
                            .map(|change| receipt(change, &principal, received_at_ms))
                            .collect();
                        Ok::<(), String>(())
                    })
                };
                tracing::debug!(document = %self.document_id, connection, accepted = accepted.len(), ok = matches!(outcome, Ok(Ok(()))), "sync message");
                match outcome {
                    Ok(Ok(())) => self.pending_receipts.extend(accepted),
                    Ok(Err((hashes, reason))) => self.reject(connection, &hashes, reason),
                    Err(HubError::UnknownConnection(_)) => {}
                    Err(error @ (HubError::BadSyncMessage(_) | HubError::Rejected(_))) => {
                        self.close(connection, close_code::INVALID_PAYLOAD, error.to_string());
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

    fn reject(&mut self, connection: ConnectionKey, hashes: &[automerge::ChangeHash], reason: String) {
        tracing::info!(document = %self.document_id, connection, changes = hashes.len(), %reason, "rejected changes");
        if let Some(outbox) = self.outboxes.get(&connection) {
            let _ = outbox.try_send(ToConnection::Rejected {
                document_id: self.document_id,
                change_hashes: hashes.iter().map(ToString::to_string).collect(),
                reason,
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
            Ok(Ok(Some((document, next_seq, snapshot_next_seq)))) => {
                self.actor_owners.clear();
                self.pending_bindings.clear();
                self.pending_receipts.clear();
                self.core.reset(document);
                self.next_seq = next_seq;
                self.snapshot_next_seq = snapshot_next_seq;
            }
            other => {
                tracing::error!(document = %self.document_id, ?other, "reload after a rejected change failed");
            }
        }
        let connections: Vec<ConnectionKey> = self.outboxes.keys().copied().collect();
        for connection in connections {
            self.close(
                connection,
                close_code::SERVICE_RESTART,
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
                bindings: std::mem::take(&mut self.pending_bindings),
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
                close_code::TRY_AGAIN_LATER,
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

/// Decides whether `principal` may add `added` (already applied to `fork`):
/// every change's actor must be theirs (binding unseen actors to them), and
/// every operation must pass the policy for their role.
fn judge(
    fork: &Automerge,
    added: &[automerge::Change],
    principal: &Principal,
    owners: &mut HashMap<Vec<u8>, String>,
    storage: &Storage,
    bindings: &mut Vec<(Vec<u8>, String)>,
) -> Result<(), String> {
    let mut new_bindings = Vec::new();
    for change in added {
        let actor = change.actor_id().to_bytes().to_vec();
        let owner = match owners.get(&actor) {
            Some(owner) => Some(owner.clone()),
            None => storage
                .actor_owner(&actor)
                .map_err(|error| format!("cannot check authorship: {error}"))?,
        };
        match owner {
            Some(owner) if owner != principal.user_id => {
                return Err(format!(
                    "change {} is signed by actor {} which belongs to another person",
                    change.hash(),
                    change.actor_id()
                ));
            }
            Some(owner) => {
                owners.insert(actor, owner);
            }
            None => new_bindings.push(actor),
        }
    }
    let is_own = |actor: &automerge::ActorId| {
        let bytes = actor.to_bytes();
        new_bindings.iter().any(|bound| bound.as_slice() == bytes)
            || owners.get(bytes).is_some_and(|owner| *owner == principal.user_id)
            || storage
                .actor_owner(bytes)
                .ok()
                .flatten()
                .is_some_and(|owner| owner == principal.user_id)
    };
    for change in added {
        for edit in policy::edits_in_change(fork, change, &is_own) {
            policy::check(principal.role, &edit)
                .map_err(|denial| format!("{}: {denial}", describe(&edit)))?;
        }
    }
    for actor in new_bindings {
        owners.insert(actor.clone(), principal.user_id.clone());
        bindings.push((actor, principal.user_id.clone()));
    }
    Ok(())
}

fn describe(edit: &policy::Edit) -> String {
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

fn receipt(change: &automerge::Change, principal: &Principal, received_at_ms: i64) -> Receipt {
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
    }
}
