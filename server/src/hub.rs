//! One task per open document: the only code that changes a document.
//!
//! A hub drains every command queued for its document, applies the sync
//! messages through [`DocumentHub`], hands the new changes to the group-commit
//! writer, and only after the commit sends anyone a sync message. Since sync
//! messages carry the hub's heads, a peer sees its change acknowledged only
//! once it is durable.
//!
//! The work of a round (applying, judging, which reads redb, saving,
//! generating sync messages) runs on the blocking pool with the hub's state
//! moved in and out, so that a heavy message stalls neither the async
//! workers nor other documents. A hub whose storage fails beyond repair, or
//! that panics, closes its peers (1011) and is opened afresh on next use.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use automerge::Automerge;
use enlace_shared::api::{Receipt, RefusedAttempt, TouchedRecord, close};
use enlace_shared::history::{self, Effects};
use enlace_shared::model::{self, MAX_CHANGE_MESSAGE_BYTES};
use enlace_shared::policy;
use enlace_shared::protocol::{EphemeralSender, Message};
use enlace_shared::refusal::Refusal;
use enlace_shared::roles::Role;
use enlace_shared::schema::Collection;
use enlace_shared::sync::{ConnectionKey, DocumentHub, HubError, InboundLimits, Incoming};
use enlace_shared::{DocumentId, PeerId};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::task::JoinSet;

use crate::outbox::{NotQueued, Outbox, ToConnection};
use crate::storage::{AppendRequest, Storage, StorageError, StorageWriter, WriteReceipt};

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
/// The most change hashes and messages a refused attempt keeps (a message
/// may carry thousands of changes; the audit needs to know who and why).
const REFUSED_HASHES_KEPT: usize = 16;
const REFUSED_MESSAGES_KEPT: usize = 3;
/// Per-hub command queue length; senders wait when it is full (backpressure).
/// The queue is also bounded by bytes (`--max-hub-queue-bytes`).
const COMMAND_QUEUE: usize = 1024;

/// The person behind a connection, as of the message being handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: String,
    pub display_name: String,
    pub organisation_id: Option<String>,
    pub role: Role,
}

/// What a connection tells a hub.
#[derive(Debug)]
pub enum HubCommand {
    Join {
        connection: ConnectionKey,
        peer_id: PeerId,
        outbox: Outbox,
    },
    Sync {
        connection: ConnectionKey,
        data: Vec<u8>,
        principal: Principal,
    },
    /// Presence to relay to the document's other peers, from the joined
    /// `connection` (the relayed sender id is its peer id) and the person
    /// `sender` (from the connection's credential).
    Ephemeral {
        connection: ConnectionKey,
        message: Message,
        sender: EphemeralSender,
    },
    Leave {
        connection: ConnectionKey,
    },
    /// Unit tests only: the hub panics, as a bug would make it.
    #[cfg(test)]
    Crash,
    /// Unit tests only: handling takes until the sender lets go, as a
    /// heavy message would.
    #[cfg(test)]
    Block(std::sync::mpsc::Receiver<()>),
}

impl HubCommand {
    /// The bytes this command holds while it waits in the queue.
    fn bytes(&self) -> usize {
        match self {
            Self::Sync { data, .. } => data.len(),
            Self::Ephemeral {
                message: Message::Ephemeral { data, .. },
                ..
            } => data.len(),
            _ => 0,
        }
    }
}

/// A queued command and the share of the hub's byte budget it holds until
/// it is handled.
#[derive(Debug)]
struct Queued {
    command: HubCommand,
    _bytes: Option<OwnedSemaphorePermit>,
}

/// The way into one document's hub; cheap to clone.
#[derive(Debug, Clone)]
pub struct HubHandle {
    sender: mpsc::Sender<Queued>,
    bytes: Arc<Semaphore>,
    max_bytes: usize,
}

/// The hub has stopped (its document failed, or the server is stopping).
#[derive(Debug, thiserror::Error)]
#[error("the document's hub has stopped")]
pub struct HubGone;

impl HubHandle {
    /// Queues a command, waiting while the hub's queue is full by count or
    /// by bytes (a command larger than the whole budget waits for all of it).
    pub async fn send(&self, command: HubCommand) -> Result<(), HubGone> {
        let bytes = command.bytes().min(self.max_bytes);
        let permit = if bytes == 0 {
            None
        } else {
            let permits = u32::try_from(bytes).unwrap_or(u32::MAX);
            Some(
                Arc::clone(&self.bytes)
                    .acquire_many_owned(permits)
                    .await
                    .map_err(|_| HubGone)?,
            )
        };
        self.sender
            .send(Queued {
                command,
                _bytes: permit,
            })
            .await
            .map_err(|_| HubGone)
    }

    fn is_stopped(&self) -> bool {
        self.sender.is_closed()
    }
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

/// Documents whose hub stopped because storage failed, and why.
type FailedDocuments = Arc<Mutex<BTreeMap<DocumentId, String>>>;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every map guarded here stays valid even if a holder panicked.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
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
    max_queue_bytes: usize,
    inbound: InboundLimits,
    open: Mutex<HashMap<DocumentId, HubHandle>>,
    tasks: Mutex<JoinSet<()>>,
    failed: FailedDocuments,
}

/// What a hub lets one document's traffic cost.
#[derive(Debug, Clone, Copy)]
pub struct HubLimits {
    /// Bytes of sync and presence data that may wait in one hub's queue.
    pub max_queue_bytes: usize,
    /// What one sync message may cost before automerge reads it.
    pub inbound: InboundLimits,
}

impl Hubs {
    pub fn new(storage: Storage, writer: StorageWriter, server_peer_id: PeerId, limits: HubLimits) -> Self {
        Self {
            inner: Arc::new(HubsInner {
                storage,
                writer,
                server_peer_id,
                // The semaphore counts in u32 chunks and must hold at least one byte.
                max_queue_bytes: limits.max_queue_bytes.clamp(1, u32::MAX as usize),
                inbound: limits.inbound,
                open: Mutex::new(HashMap::new()),
                tasks: Mutex::new(JoinSet::new()),
                failed: Arc::default(),
            }),
        }
    }

    pub fn server_peer_id(&self) -> &PeerId {
        &self.inner.server_peer_id
    }

    pub fn storage(&self) -> &Storage {
        &self.inner.storage
    }

    /// Documents whose hub stopped because storage failed and could not be
    /// reloaded, with the error; empty when all is well. A document leaves
    /// the list once it opens again.
    pub fn failed_documents(&self) -> Vec<(DocumentId, String)> {
        lock(&self.inner.failed)
            .iter()
            .map(|(id, error)| (*id, error.clone()))
            .collect()
    }

    /// The hub of a document, starting it if needed (again, if it stopped).
    /// `Ok(None)` if no such workspace exists.
    pub async fn get(&self, document_id: DocumentId) -> Result<Option<HubHandle>, OpenError> {
        if let Some(handle) = lock(&self.inner.open).get(&document_id)
            && !handle.is_stopped()
        {
            return Ok(Some(handle.clone()));
        }
        let storage = self.inner.storage.clone();
        let loaded = tokio::task::spawn_blocking(move || load_document(&storage, document_id))
            .await
            .map_err(|error| OpenError::Interrupted(document_id, error))??;
        let Some(loaded) = loaded else {
            return Ok(None);
        };
        let mut open = lock(&self.inner.open);
        // Another connection may have opened it while we were loading.
        if let Some(handle) = open.get(&document_id)
            && !handle.is_stopped()
        {
            return Ok(Some(handle.clone()));
        }
        let (sender, receiver) = mpsc::channel(COMMAND_QUEUE);
        let peers = Peers::default();
        let hub = HubTask {
            document_id,
            core: DocumentHub::with_limits(loaded.document, self.inner.inbound),
            peers: peers.clone(),
            storage: self.inner.storage.clone(),
            writer: self.inner.writer.clone(),
            server_peer_id: self.inner.server_peer_id.clone(),
            next_seq: loaded.next_seq,
            snapshot_next_seq: loaded.snapshot_next_seq,
            last_received_at_ms: loaded.last_received_at_ms,
            bindings: ActorBindings::new(self.inner.storage.clone()),
            pending_receipts: Vec::new(),
            pending_effects: Vec::new(),
            pending_refused: Vec::new(),
            committing_changes: false,
            failed: Arc::clone(&self.inner.failed),
        };
        let run = tokio::spawn(hub.run(receiver));
        lock(&self.inner.tasks).spawn(async move {
            if let Err(error) = run.await {
                // The hub's state is gone; its peers would wait forever.
                tracing::error!(document = %document_id, %error, "hub ended abnormally; closing its peers");
                for outbox in peers.take_all().into_values() {
                    outbox.close(
                        close::INTERNAL_ERROR,
                        "the document failed on the server; reconnect",
                    );
                }
            }
        });
        let handle = HubHandle {
            sender,
            bytes: Arc::new(Semaphore::new(self.inner.max_queue_bytes)),
            max_bytes: self.inner.max_queue_bytes,
        };
        open.insert(document_id, handle.clone());
        lock(&self.inner.failed).remove(&document_id);
        Ok(Some(handle))
    }

    /// Stops accepting work: hubs finish what is queued, commit, and end once
    /// their last connection has let go. Resolves when every hub has ended.
    pub async fn shut_down(&self) {
        lock(&self.inner.open).clear();
        let mut tasks = std::mem::take(&mut *lock(&self.inner.tasks));
        while tasks.join_next().await.is_some() {}
    }
}

/// The outboxes of a hub's connections. Shared with the task that watches
/// the hub, which closes them if the hub panics.
#[derive(Clone, Default)]
struct Peers(Arc<Mutex<HashMap<ConnectionKey, Outbox>>>);

impl Peers {
    fn insert(&self, connection: ConnectionKey, outbox: Outbox) {
        lock(&self.0).insert(connection, outbox);
    }

    fn remove(&self, connection: ConnectionKey) -> Option<Outbox> {
        lock(&self.0).remove(&connection)
    }

    fn get(&self, connection: ConnectionKey) -> Option<Outbox> {
        lock(&self.0).get(&connection).cloned()
    }

    fn take_all(&self) -> HashMap<ConnectionKey, Outbox> {
        std::mem::take(&mut *lock(&self.0))
    }

    fn connections(&self) -> Vec<ConnectionKey> {
        lock(&self.0).keys().copied().collect()
    }
}

/// A document as storage holds it, ready for a hub.
pub(crate) struct LoadedDocument {
    pub(crate) document: Automerge,
    /// The sequence number the next committed change will get.
    next_seq: u64,
    /// The first sequence number not covered by the stored snapshot.
    snapshot_next_seq: u64,
    /// The newest receipt's time (`i64::MIN` if none).
    pub(crate) last_received_at_ms: i64,
}

/// Loads a document from storage: `None` if no such workspace.
pub(crate) fn load_document(
    storage: &Storage,
    document_id: DocumentId,
) -> Result<Option<LoadedDocument>, OpenError> {
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
        last_received_at_ms: storage.last_received_at(&document_id)?.unwrap_or(i64::MIN),
    }))
}

/// Runs `work` on the blocking pool. A panic in it continues in the caller
/// (the hub's watcher then closes its peers); `None` if the runtime is
/// shutting down and dropped it.
async fn off_the_workers<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => Some(value),
        Err(error) => match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(_) => None,
        },
    }
}

/// How a round ended.
enum RoundEnd {
    /// Carry on; `fanned_out` when the round committed changes and sent them.
    Continue { fanned_out: bool },
    /// Storage failed and the document could not be reloaded: the hub stops.
    Stop(StorageError),
}

/// What handling a round's commands left to do.
enum Handled {
    /// These changes must be committed before the round can fan out.
    Commit(AppendRequest),
    /// Nothing to commit: the round is over.
    Ended(RoundEnd),
}

struct HubTask {
    document_id: DocumentId,
    core: DocumentHub,
    peers: Peers,
    storage: Storage,
    writer: StorageWriter,
    server_peer_id: PeerId,
    next_seq: u64,
    snapshot_next_seq: u64,
    /// The newest receipt's time: a receipt is never dated before it, so
    /// that the timeline's order by sequence number is also its order by
    /// time (a clock stepped back repeats the last time instead).
    last_received_at_ms: i64,
    bindings: ActorBindings,
    /// Receipts of the changes accepted this round, committed with them.
    pending_receipts: Vec<Receipt>,
    /// What each of those changes did, for the timeline (one per receipt).
    pending_effects: Vec<Effects>,
    /// Sync messages refused this round, for the secretariat's audit.
    pending_refused: Vec<RefusedAttempt>,
    /// Whether the commit under way holds changes (else only refused
    /// attempts, whose failure leaves the document as storage has it).
    committing_changes: bool,
    failed: FailedDocuments,
}

impl HubTask {
    async fn run(self, mut commands: mpsc::Receiver<Queued>) {
        tracing::debug!(document = %self.document_id, "hub started");
        let mut task = self;
        let mut round: Vec<Queued> = Vec::with_capacity(64);
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
            // A round with nothing to commit is handled and answered in one
            // trip to the blocking pool; one with changes goes back there
            // after the commit to fan out.
            let handled = off_the_workers(move || {
                let mut task = task;
                let mut round = round;
                for queued in round.drain(..) {
                    task.handle(queued.command);
                }
                let next = match task.prepare_commit() {
                    Some(append) => Handled::Commit(append),
                    None => Handled::Ended(task.finish_round(None)),
                };
                (task, round, next)
            })
            .await;
            let Some((handled_task, emptied, next)) = handled else {
                return;
            };
            task = handled_task;
            round = emptied;
            let end = match next {
                Handled::Commit(append) => {
                    let committed = task.writer.append_with(append).await;
                    let Some((finished_task, end)) = off_the_workers(move || {
                        let mut task = task;
                        let end = task.finish_round(Some(committed));
                        (task, end)
                    })
                    .await
                    else {
                        return;
                    };
                    task = finished_task;
                    end
                }
                Handled::Ended(end) => end,
            };
            match end {
                RoundEnd::Continue { fanned_out: true } => last_fan_out = Some(tokio::time::Instant::now()),
                RoundEnd::Continue { fanned_out: false } => {}
                RoundEnd::Stop(error) => {
                    // Refuse new work first, so that no connection joins a
                    // hub that is going away, then close the peers.
                    commands.close();
                    task.stop_failed(&error);
                    break;
                }
            }
        }
        tracing::debug!(
            document = %task.document_id,
            acknowledgements_without_walk = task.core.shortcut_acknowledgements(),
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
                self.peers.insert(connection, outbox);
            }
            HubCommand::Sync {
                connection,
                data,
                principal,
            } => {
                let received_at_ms = crate::system::now_ms().max(self.last_received_at_ms);
                let mut accepted = Vec::new();
                let mut refused_messages = Vec::new();
                let bindings = &mut self.bindings;
                let outcome = self.core.receive_judged(connection, &data, |incoming| {
                    let judging = Judging {
                        principal: &principal,
                        bindings,
                    };
                    let judged = judge(incoming.fork, incoming.added, judging).inspect_err(|_| {
                        refused_messages = kept_messages(incoming.added);
                    })?;
                    accepted = timeline_entries(incoming, &principal, received_at_ms, judged.records);
                    Ok::<(), NotAccepted>(())
                });
                tracing::debug!(document = %self.document_id, connection, accepted = accepted.len(), ok = matches!(outcome, Ok(Ok(()))), "sync message");
                let built_on_refused = self.core.take_built_on_refused(connection);
                if !built_on_refused.is_empty() {
                    let refused = NotAccepted::Refused(Refused {
                        place: format!("{} changes built on a refused change", built_on_refused.len()),
                        refusal: Refusal::BuiltOnRefused,
                    });
                    self.reject(connection, &built_on_refused, &refused);
                    self.remember_refused(&principal, &built_on_refused, &refused, Vec::new());
                }
                match outcome {
                    Ok(Ok(())) => {
                        if !accepted.is_empty() {
                            self.last_received_at_ms = received_at_ms;
                        }
                        for (receipt, effects) in accepted {
                            self.pending_receipts.push(receipt);
                            self.pending_effects.push(effects);
                        }
                    }
                    Ok(Err((hashes, not_accepted))) => {
                        self.reject(connection, &hashes, &not_accepted);
                        self.remember_refused(&principal, &hashes, &not_accepted, refused_messages);
                    }
                    Err(HubError::UnknownConnection(_)) => {}
                    Err(HubError::BadSyncMessage(error)) if error.exceeds_limit() => {
                        self.close(connection, close::MESSAGE_TOO_BIG, error.to_string());
                    }
                    Err(error @ (HubError::BadSyncMessage(_) | HubError::Rejected(_))) => {
                        self.close(connection, close::INVALID_PAYLOAD, error.to_string());
                    }
                }
            }
            HubCommand::Ephemeral {
                connection,
                message,
                sender,
            } => self.relay_ephemeral(connection, &message, &sender),
            HubCommand::Leave { connection } => {
                self.core.leave(connection);
                self.peers.remove(connection);
            }
            #[cfg(test)]
            HubCommand::Crash => panic!("a test asked the hub to crash"),
            #[cfg(test)]
            HubCommand::Block(until) => {
                let _ = until.recv();
            }
        }
    }

    /// Relays presence to every other peer of the document, best effort: a
    /// full outbox drops it rather than stall the hub. The sender id is the
    /// connection's own peer id and `sender` the person behind it, whatever
    /// the message claimed.
    fn relay_ephemeral(&self, from: ConnectionKey, message: &Message, sender: &EphemeralSender) {
        let Message::Ephemeral {
            count,
            session_id,
            data,
            ..
        } = message
        else {
            return;
        };
        let Some(sender_id) = self
            .core
            .connections()
            .find(|(connection, _)| *connection == from)
            .map(|(_, peer_id)| peer_id.clone())
        else {
            return;
        };
        for (connection, peer_id) in self.core.connections() {
            if connection == from {
                continue;
            }
            if let Some(outbox) = self.peers.get(connection) {
                let _ = outbox.try_send(ToConnection::Send(Message::Ephemeral {
                    sender_id: sender_id.clone(),
                    target_id: peer_id.clone(),
                    count: *count,
                    session_id: session_id.clone(),
                    document_id: self.document_id,
                    data: data.clone(),
                    enlace_sender: Some(sender.clone()),
                }));
            }
        }
    }

    fn reject(&mut self, connection: ConnectionKey, hashes: &[automerge::ChangeHash], why: &NotAccepted) {
        let reason = why.to_string();
        tracing::info!(document = %self.document_id, connection, changes = hashes.len(), %reason, "rejected changes");
        if let Some(outbox) = self.peers.get(connection) {
            let _ = outbox.try_send(ToConnection::Rejected {
                document_id: self.document_id,
                change_hashes: hashes.iter().map(ToString::to_string).collect(),
                reason,
                refusal: why.refusal(),
            });
        }
    }

    /// Keeps a refused attempt for the secretariat's audit, committed with
    /// the round (bounded per document by storage).
    fn remember_refused(
        &mut self,
        principal: &Principal,
        hashes: &[automerge::ChangeHash],
        why: &NotAccepted,
        messages: Vec<String>,
    ) {
        let place = match why {
            NotAccepted::Refused(refused) => refused.place.clone(),
            NotAccepted::Authorship(_) => "the server could not check authorship (storage failed)".to_owned(),
        };
        self.pending_refused.push(RefusedAttempt {
            seq: 0,
            at_ms: crate::system::now_ms(),
            user_id: principal.user_id.clone(),
            user_name: principal.display_name.clone(),
            user_email: None,
            organisation_id: principal.organisation_id.clone(),
            role: principal.role,
            refusal: why.refusal().map(|refusal| refusal.code().to_owned()),
            place: model::change_message(place),
            change_hashes: hashes
                .iter()
                .take(REFUSED_HASHES_KEPT)
                .map(ToString::to_string)
                .collect(),
            messages,
        });
    }

    /// Forgets a connection and closes it at once, ahead of its queue.
    fn close(&mut self, connection: ConnectionKey, code: u16, reason: impl Into<String>) {
        let reason = reason.into();
        tracing::warn!(document = %self.document_id, connection, code, %reason, "closing connection");
        self.core.leave(connection);
        if let Some(outbox) = self.peers.remove(connection) {
            outbox.close(code, reason);
        }
    }

    fn close_all(&mut self, code: u16, reason: &str) {
        for connection in self.peers.connections() {
            self.close(connection, code, reason);
        }
    }

    /// The changes of this round, with their bindings and receipts, for the
    /// writer. They reach nobody until the commit succeeds (`finish_round`).
    fn prepare_commit(&mut self) -> Option<AppendRequest> {
        let changes = self.core.take_new_changes();
        if changes.is_empty() && self.pending_refused.is_empty() {
            return None;
        }
        self.committing_changes = !changes.is_empty();
        Some(AppendRequest {
            document_id: self.document_id,
            changes: changes.iter().map(|change| change.raw_bytes().to_vec()).collect(),
            bindings: self.bindings.take_pending(),
            receipts: std::mem::take(&mut self.pending_receipts),
            effects: std::mem::take(&mut self.pending_effects),
            refused: std::mem::take(&mut self.pending_refused),
        })
    }

    /// After the commit (if any): compacts, then sends every peer what it
    /// needs. A failed commit sends nothing; the hub reloads what storage
    /// holds, or stops if it cannot.
    fn finish_round(&mut self, committed: Option<Result<WriteReceipt, StorageError>>) -> RoundEnd {
        let fanned_out = match committed {
            None => false,
            Some(Ok(receipt)) => {
                self.next_seq = receipt.next_seq;
                tracing::trace!(document = %self.document_id, group = receipt.group_size, "committed");
                self.maybe_compact();
                self.committing_changes
            }
            Some(Err(error)) if !self.committing_changes => {
                // Only refused attempts were lost; the document is as stored.
                tracing::warn!(document = %self.document_id, %error, "refused attempts not stored");
                false
            }
            Some(Err(error)) => {
                tracing::error!(document = %self.document_id, %error, "commit failed; nothing acknowledged");
                return if self.recover() {
                    RoundEnd::Continue { fanned_out: false }
                } else {
                    RoundEnd::Stop(error)
                };
            }
        };
        self.fan_out();
        RoundEnd::Continue { fanned_out }
    }

    /// After a failed commit the in-memory document holds changes storage does
    /// not, and nobody was told they are stored. Reload what storage holds and
    /// make every peer resync from scratch (they still have their changes).
    /// False when the document cannot be reloaded.
    fn recover(&mut self) -> bool {
        match load_document(&self.storage, self.document_id) {
            Ok(Some(loaded)) => {
                self.bindings.forget();
                self.pending_receipts.clear();
                self.pending_effects.clear();
                self.core.reset(loaded.document);
                self.next_seq = loaded.next_seq;
                self.snapshot_next_seq = loaded.snapshot_next_seq;
                self.last_received_at_ms = loaded.last_received_at_ms;
                self.close_all(close::SERVICE_RESTART, "document reloaded; reconnect");
                true
            }
            Ok(None) => {
                tracing::error!(document = %self.document_id, "reload after a failed commit found no workspace");
                false
            }
            Err(error) => {
                tracing::error!(document = %self.document_id, %error, "reload after a failed commit failed");
                false
            }
        }
    }

    /// The document in memory holds changes storage does not, and storage
    /// cannot give the stored state back: stop serving it. Its peers are
    /// closed (1011), `/healthz` names it, and the next connection that asks
    /// for it loads it afresh.
    fn stop_failed(&mut self, error: &StorageError) {
        tracing::error!(document = %self.document_id, %error, "storage failed and the document cannot be reloaded; its hub stops");
        lock(&self.failed).insert(self.document_id, error.to_string());
        self.close_all(
            close::INTERNAL_ERROR,
            "the server cannot store this document; reconnect later",
        );
    }

    /// Sends every peer the sync message it needs now.
    fn fan_out(&mut self) {
        let mut too_slow = Vec::new();
        for outgoing in self.core.outgoing() {
            tracing::debug!(document = %self.document_id, connection = outgoing.connection, bytes = outgoing.data.len(), "outgoing");
            let Some(outbox) = self.peers.get(outgoing.connection) else {
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
                Err(NotQueued::Full) => too_slow.push(outgoing.connection),
                // The connection is gone; its Leave command is on its way.
                Err(NotQueued::Closed) => {}
            }
        }
        for connection in too_slow {
            self.close(
                connection,
                close::TRY_AGAIN_LATER,
                "peer is not reading its messages",
            );
        }
    }

    fn maybe_compact(&mut self) {
        if self.next_seq.saturating_sub(self.snapshot_next_seq) < COMPACT_AFTER_CHANGES {
            return;
        }
        // Without orphans: changes waiting for dependencies never reach the
        // document, and a snapshot must not carry any it was loaded with.
        let snapshot = self.core.snapshot();
        match self.storage.compact(&self.document_id, &snapshot, self.next_seq) {
            Ok(()) => {
                tracing::info!(document = %self.document_id, next_seq = self.next_seq, "compacted");
                self.snapshot_next_seq = self.next_seq;
            }
            Err(error) => {
                tracing::warn!(document = %self.document_id, %error, "compaction failed; changes kept");
            }
        }
    }
}

#[cfg(test)]
#[path = "hub_failures.rs"]
mod failure_tests;

#[cfg(test)]
#[path = "hub_history.rs"]
mod history_tests;

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

/// The receipts and timeline entries of the changes of one accepted
/// message, in the order applied. Most messages carry one change built on
/// the document's current heads: then the record before it is read from the
/// document the message found and after it from the fork, with plain reads.
/// Otherwise (several changes, or one built on older heads) each change is
/// read at its dependencies and at itself in the fork.
fn timeline_entries(
    incoming: Incoming<'_>,
    principal: &Principal,
    received_at_ms: i64,
    touched: Vec<Vec<TouchedRecord>>,
) -> Vec<(Receipt, Effects)> {
    let mut heads = incoming.before.get_heads();
    let on_current_heads = match incoming.added {
        [change] => {
            let mut deps = change.deps().to_vec();
            deps.sort_unstable();
            deps == heads
        }
        _ => false,
    };
    incoming
        .added
        .iter()
        .zip(touched)
        .map(|(change, touched)| {
            history::advance_heads(&mut heads, change);
            let effects = if on_current_heads {
                history::effects(incoming.before, incoming.fork, change, &touched, &heads)
            } else {
                history::effects_at(incoming.fork, change, &touched, &heads)
            };
            (receipt(change, principal, received_at_ms, touched), effects)
        })
        .collect()
}

/// The messages of refused changes a refused attempt keeps: the first few,
/// each cut to the change-message limit.
fn kept_messages(changes: &[automerge::Change]) -> Vec<String> {
    changes
        .iter()
        .filter_map(automerge::Change::message)
        .take(REFUSED_MESSAGES_KEPT)
        .map(|message| model::change_message(message.to_owned()))
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
