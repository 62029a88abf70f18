//! The server side of one document: many connections, one document.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::convert::Infallible;

use automerge::sync::{self, SyncDoc};
use automerge::{Automerge, Change, ChangeHash, ReadDoc as _, SaveOptions};

use super::inbound::{self, ChunkKind, InboundError, InboundLimits, Inspection};
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

/// What a judge sees of one sync message (see [`DocumentHub::receive_judged`]).
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    /// The document as the message found it.
    pub before: &'a Automerge,
    /// The document with the message's changes applied (a fork).
    pub fork: &'a Automerge,
    /// The changes the message adds, in causal order.
    pub added: &'a [Change],
}

/// Why the hub refused a peer's message. The document is untouched.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// The message is malformed or asks for more than the hub's
    /// [`InboundLimits`] allow; automerge never saw its changes.
    #[error("{0}")]
    BadSyncMessage(#[from] InboundError),
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
    /// The messages we sent most recently, oldest first: the heads each
    /// carried and its number (see [`Link::acknowledge`]).
    recent_sends: VecDeque<SentHeads>,
    /// How many messages we have sent on this link.
    sends: u64,
    /// For each hash in `state.sent_hashes`, the number of the send after
    /// which it was first there.
    sent_in: BTreeMap<ChangeHash, u64>,
    /// The peer's changes we accepted most recently: hash and dependencies.
    accepted: VecDeque<(ChangeHash, Vec<ChangeHash>)>,
    /// The peer's changes that wait for dependencies the document lacks
    /// (see [`DocumentHub::receive_checked`]).
    waiting: Waiting,
    /// The peer's changes refused most recently (at most `RECENT_REFUSED`):
    /// a change built on one of them can never apply.
    refused: VecDeque<ChangeHash>,
    /// Changes of the peer's dropped because they were built on a refused
    /// change, not yet reported to the owner.
    built_on_refused: Vec<ChangeHash>,
}

/// Changes held outside the document until their dependencies arrive.
#[derive(Debug, Default)]
struct Waiting {
    changes: Vec<Change>,
    /// Their bytes in total.
    bytes: usize,
    /// Their dependencies that neither the document nor they themselves
    /// held when they were stored: what the hub asks the peer for, and
    /// what must arrive before any of them can apply.
    missing: Vec<ChangeHash>,
}

/// What one outgoing message told a peer.
#[derive(Debug)]
struct SentHeads {
    heads: Vec<ChangeHash>,
    number: u64,
}

/// How many recent sends a link remembers: enough for the acknowledgements
/// in flight on a busy document.
const RECENT_SENDS: usize = 64;
/// How many refused change hashes a link remembers.
const RECENT_REFUSED: usize = 4096;

/// One document and the sync state of every connection that follows it.
///
/// The owner calls [`DocumentHub::receive`] for each incoming sync message,
/// persists [`DocumentHub::take_new_changes`], and only then sends
/// [`DocumentHub::outgoing`]: since outgoing messages carry the hub's heads,
/// that order is what makes an acknowledgement mean "stored".
#[derive(Debug)]
pub struct DocumentHub {
    document: Automerge,
    limits: InboundLimits,
    links: BTreeMap<ConnectionKey, Link>,
    persisted_heads: Vec<ChangeHash>,
    /// Acknowledgements settled by [`Link::acknowledge`] without the walk.
    shortcut_acknowledgements: u64,
}

impl DocumentHub {
    /// Wraps a document whose every change is already persisted, with the
    /// default [`InboundLimits`].
    pub fn new(document: Automerge) -> Self {
        Self::with_limits(document, InboundLimits::default())
    }

    /// Wraps a document whose every change is already persisted. Changes
    /// the document holds without their dependencies (a snapshot saved by
    /// an earlier version keeps them) are dropped: the hub's document never
    /// holds such changes, so neither do its forks and snapshots.
    pub fn with_limits(document: Automerge, limits: InboundLimits) -> Self {
        let document = without_waiting_changes(document);
        let persisted_heads = document.get_heads();
        Self {
            document,
            limits,
            links: BTreeMap::new(),
            persisted_heads,
            shortcut_acknowledgements: 0,
        }
    }

    pub fn document(&self) -> &Automerge {
        &self.document
    }

    pub fn limits(&self) -> &InboundLimits {
        &self.limits
    }

    /// The document saved whole (deflated), without any change that waits
    /// for missing dependencies; what a compaction should store.
    pub fn snapshot(&self) -> Vec<u8> {
        snapshot(&self.document)
    }

    /// Changes of `connection`'s peer that the hub dropped since the last call
    /// because they were built on a change it refused: they can never apply,
    /// so they are not held. The owner reports them as refused too (an
    /// honest peer drops them itself once told of the refusal; one that
    /// keeps building on refused changes keeps collecting refusals).
    pub fn take_built_on_refused(&mut self, connection: ConnectionKey) -> Vec<ChangeHash> {
        self.links
            .get_mut(&connection)
            .map(|link| std::mem::take(&mut link.built_on_refused))
            .unwrap_or_default()
    }

    /// Bytes of changes held for `connection` until their dependencies arrive.
    pub fn waiting_bytes(&self, connection: ConnectionKey) -> usize {
        self.links.get(&connection).map_or(0, |link| link.waiting.bytes)
    }

    /// How many incoming messages were acknowledgements settled without
    /// walking the change graph (see `Link::acknowledge`).
    pub fn shortcut_acknowledgements(&self) -> u64 {
        self.shortcut_acknowledgements
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
            recent_sends: VecDeque::new(),
            sends: 0,
            sent_in: BTreeMap::new(),
            accepted: VecDeque::new(),
            waiting: Waiting::default(),
            refused: VecDeque::new(),
            built_on_refused: Vec::new(),
        });
    }

    pub fn leave(&mut self, connection: ConnectionKey) {
        self.links.remove(&connection);
    }

    /// Applies one sync message from `connection`, accepting every change
    /// (the checks of [`DocumentHub::receive_checked`] without a judge).
    pub fn receive(&mut self, connection: ConnectionKey, data: &[u8]) -> Result<(), HubError> {
        match self.receive_checked(connection, data, |_, _| Ok::<(), Infallible>(()))? {
            Ok(()) => Ok(()),
            Err((_, never)) => match never {},
        }
    }

    /// Applies one sync message from `connection` only if `check` accepts the
    /// changes it would add. The message is applied to a fork of the document
    /// first; `check` sees the fork and the new changes (in causal order). On
    /// acceptance the fork becomes the document; on refusal the document is
    /// untouched, the connection's sync state starts afresh (its peer is told
    /// to drop the refused changes), and the refused change hashes are returned.
    ///
    /// Before any of that, the message must keep within the hub's
    /// [`InboundLimits`] ([`inbound::inspect`] reads its chunks without
    /// trusting them); if not, the document is untouched and the error says
    /// which limit.
    ///
    /// Changes whose dependencies the hub lacks never enter the document
    /// (automerge would queue them in it for good, copy them into every fork
    /// and save them into every snapshot). They wait in the connection's link,
    /// up to `max_waiting_bytes`, while the hub's next messages to the peer
    /// ask for the missing dependencies by hash; they are judged and applied
    /// with the first message after their dependencies arrive (they are not
    /// looked at again before). Honest peers send such changes:
    /// automerge's bloom filter sometimes tells a peer the hub has a change
    /// it lacks (about one time in a hundred), and the peer then sends that
    /// change's descendants without it, and the change itself only when asked.
    pub fn receive_checked<E>(
        &mut self,
        connection: ConnectionKey,
        data: &[u8],
        check: impl FnOnce(&Automerge, &[Change]) -> Result<(), E>,
    ) -> Result<Result<(), (Vec<ChangeHash>, E)>, HubError> {
        self.receive_judged(connection, data, |incoming| check(incoming.fork, incoming.added))
    }

    /// [`DocumentHub::receive_checked`] with a judge that also sees the
    /// document as the message found it (to compare a record before and
    /// after the message without reading the fork at past heads).
    pub fn receive_judged<E>(
        &mut self,
        connection: ConnectionKey,
        data: &[u8],
        check: impl FnOnce(Incoming<'_>) -> Result<(), E>,
    ) -> Result<Result<(), (Vec<ChangeHash>, E)>, HubError> {
        inbound::check_size(data, &self.limits)?;
        let message =
            sync::Message::decode(data).map_err(|error| InboundError::Malformed(error.to_string()))?;
        inbound::check_summaries(&message)?;
        let link = self
            .links
            .get_mut(&connection)
            .ok_or(HubError::UnknownConnection(connection))?;
        let unblocked = link.waiting.unblocked(&self.document);
        if message.changes.is_empty() && !unblocked {
            // Nothing to judge: heads, needs and bloom filters only.
            #[cfg(debug_assertions)]
            let automerge_would = (link.state.clone(), message.clone());
            let Some(message) = link.acknowledge(message, &self.document) else {
                #[cfg(debug_assertions)]
                {
                    let (mut state, message) = automerge_would;
                    // A message without changes leaves the document as it is.
                    self.document
                        .receive_sync_message(&mut state, message)
                        .map_err(|error| HubError::Rejected(error.to_string()))?;
                    link.check_against(&state);
                }
                self.shortcut_acknowledgements += 1;
                return Ok(Ok(()));
            };
            return self
                .document
                .receive_sync_message(&mut link.state, message)
                .map(Ok)
                .map_err(|error| HubError::Rejected(error.to_string()));
        }
        let inspection = inbound::inspect(&message, &self.limits)?;
        let mut fork = self.document.fork();
        let mut state = link.state.clone();
        fork.receive_sync_message(&mut state, message)
            .map_err(|error| HubError::Rejected(error.to_string()))?;
        // Changes automerge queued in the fork join the link's waiting ones.
        let queued = !fork.get_missing_deps(&[]).is_empty();
        let mut waiting: Vec<Change> = Vec::new();
        if queued {
            // The message was consumed; decoding it again is cheaper than
            // copying every message's changes for this rare case.
            let message =
                sync::Message::decode(data).map_err(|error| InboundError::Malformed(error.to_string()))?;
            waiting = queued_changes(&message.changes, &inspection, &fork)?;
        }
        let mut waiting_changed = queued;
        if unblocked || link.waiting.unblocked(&fork) {
            let mut candidates = link.waiting.changes.clone();
            candidates.append(&mut waiting);
            let ready = ready_in_order(&candidates, &fork);
            fork.apply_changes(ready.into_iter().map(|index| candidates[index].clone()))
                .map_err(|error| HubError::Rejected(error.to_string()))?;
            candidates.retain(|change| fork.get_change_meta_by_hash(&change.hash()).is_none());
            waiting = candidates;
            waiting_changed = true;
        } else if waiting_changed {
            let mut candidates = link.waiting.changes.clone();
            candidates.append(&mut waiting);
            waiting = candidates;
        }
        if queued {
            // The fork holds the queued changes for good: the document
            // takes a fork with only the complete ones instead.
            let mut complete = self.document.fork();
            complete
                .apply_changes(fork.get_changes(&self.document.get_heads()))
                .map_err(|error| HubError::Rejected(error.to_string()))?;
            fork = complete;
        }
        let waiting = if waiting_changed {
            let waiting = link.drop_built_on_refused(waiting);
            let waiting = Waiting::new(waiting, &fork);
            if waiting.bytes > self.limits.max_waiting_bytes {
                return Err(InboundError::TooMuchWaiting {
                    limit: self.limits.max_waiting_bytes,
                }
                .into());
            }
            if waiting.missing.len() > self.limits.max_missing_dependencies {
                return Err(InboundError::TooManyMissing {
                    limit: self.limits.max_missing_dependencies,
                }
                .into());
            }
            Some(waiting)
        } else {
            None
        };
        let added = fork.get_changes(&self.document.get_heads());
        match check(Incoming {
            before: &self.document,
            fork: &fork,
            added: &added,
        }) {
            Ok(()) => {
                self.document = fork;
                link.state = state;
                link.owes_acknowledgement = true;
                if let Some(waiting) = waiting {
                    link.waiting = waiting;
                }
                for change in &added {
                    if link.accepted.len() == RECENT_SENDS {
                        link.accepted.pop_front();
                    }
                    link.accepted.push_back((change.hash(), change.deps().to_vec()));
                }
                Ok(Ok(()))
            }
            Err(reason) => {
                // The peer starts afresh and resends whatever we still lack,
                // waiting changes included.
                link.state = sync::State::new();
                link.recent_sends.clear();
                link.sent_in.clear();
                link.waiting = Waiting::default();
                let refused: Vec<ChangeHash> = added.iter().map(Change::hash).collect();
                link.remember_refused(&refused);
                Ok(Err((refused, reason)))
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
        let document = without_waiting_changes(document);
        self.persisted_heads = document.get_heads();
        self.document = document;
        for link in self.links.values_mut() {
            link.state = sync::State::new();
            link.recent_sends.clear();
            link.sent_in.clear();
            link.accepted.clear();
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
                let mut message = document.generate_sync_message(&mut link.state)?;
                // Ask for what the link's waiting changes lack; automerge
                // only asks for the peer's heads, which the peer already
                // counts as sent. Hash lists travel sorted.
                if !link.waiting.missing.is_empty() {
                    message.need.extend(
                        link.waiting
                            .missing
                            .iter()
                            .filter(|hash| document.get_change_meta_by_hash(hash).is_none()),
                    );
                    message.need.sort_unstable();
                    message.need.dedup();
                }
                link.remember_send();
                Some(Outgoing {
                    connection: *connection,
                    peer_id: link.peer_id.clone(),
                    data: message.encode(),
                })
            })
            .collect()
    }
}

/// The document saved whole and deflated, without changes that wait for
/// missing dependencies.
fn snapshot(document: &Automerge) -> Vec<u8> {
    document.save_with_options(SaveOptions {
        deflate: true,
        retain_orphans: false,
    })
}

/// `document` without the changes automerge queued for missing dependencies.
fn without_waiting_changes(document: Automerge) -> Automerge {
    if document.get_missing_deps(&[]).is_empty() {
        return document;
    }
    match Automerge::load(&snapshot(&document)) {
        Ok(loaded) => loaded.with_actor(document.get_actor().clone()),
        // A document automerge saved loads again; if it ever did not, the
        // queued changes are kept rather than the document lost.
        Err(_) => document,
    }
}

/// The change chunks of a message that `fork` queued instead of applying.
fn queued_changes(
    chunks: &sync::ChunkList,
    inspection: &Inspection,
    fork: &Automerge,
) -> Result<Vec<Change>, InboundError> {
    let entries: Vec<&[u8]> = chunks.iter().collect();
    let mut queued: Vec<Change> = Vec::new();
    let mut seen: HashSet<ChangeHash> = HashSet::new();
    for chunk in &inspection.chunks {
        if chunk.kind == ChunkKind::Document {
            // A document holds every dependency of its changes.
            continue;
        }
        let bytes = entries
            .get(chunk.entry)
            .and_then(|entry| entry.get(chunk.bytes.clone()))
            .ok_or_else(|| InboundError::Malformed("a chunk outside its message".into()))?;
        // Bounded: `inspect` has checked the chunk's size and operations.
        let change = Change::try_from(bytes)
            .map_err(|error| InboundError::Malformed(format!("bad change: {error}")))?;
        let hash = change.hash();
        // The checksum automerge verifies before loading a chunk: one that
        // fails it was skipped, not queued.
        if bytes.get(4..8) != Some(&hash.0[..4]) {
            return Err(InboundError::Malformed("a change with a bad checksum".into()));
        }
        if fork.get_change_meta_by_hash(&hash).is_none() && seen.insert(hash) {
            queued.push(change);
        }
    }
    Ok(queued)
}

/// Which of `changes` can apply to `document`, in an order that puts every
/// change after its dependencies among them; the rest lack a dependency.
fn ready_in_order(changes: &[Change], document: &Automerge) -> Vec<usize> {
    let positions: HashMap<ChangeHash, usize> = changes
        .iter()
        .enumerate()
        .map(|(position, change)| (change.hash(), position))
        .collect();
    let mut blocked = vec![false; changes.len()];
    let mut unmet = vec![0usize; changes.len()];
    let mut dependents: HashMap<usize, Vec<usize>> = HashMap::new();
    for (position, change) in changes.iter().enumerate() {
        for dependency in change.deps() {
            if let Some(&other) = positions.get(dependency) {
                unmet[position] += 1;
                dependents.entry(other).or_default().push(position);
            } else if document.get_change_meta_by_hash(dependency).is_none() {
                blocked[position] = true;
            }
        }
    }
    let mut ready: Vec<usize> = (0..changes.len())
        .filter(|&position| unmet[position] == 0 && !blocked[position])
        .collect();
    let mut next = 0;
    while let Some(&position) = ready.get(next) {
        next += 1;
        for &dependent in dependents.get(&position).into_iter().flatten() {
            unmet[dependent] -= 1;
            if unmet[dependent] == 0 && !blocked[dependent] {
                ready.push(dependent);
            }
        }
    }
    ready
}

impl Waiting {
    /// Holds `changes` (none of them in `document`).
    fn new(changes: Vec<Change>, document: &Automerge) -> Self {
        let held: HashSet<ChangeHash> = changes.iter().map(Change::hash).collect();
        let mut missing: Vec<ChangeHash> = changes
            .iter()
            .flat_map(|change| change.deps().iter().copied())
            .filter(|hash| !held.contains(hash) && document.get_change_meta_by_hash(hash).is_none())
            .collect();
        missing.sort_unstable();
        missing.dedup();
        Self {
            bytes: changes.iter().map(|change| change.raw_bytes().len()).sum(),
            changes,
            missing,
        }
    }

    /// Whether a dependency the waiting changes lacked is now in `document`,
    /// so some of them may apply.
    fn unblocked(&self, document: &Automerge) -> bool {
        self.missing
            .iter()
            .any(|hash| document.get_change_meta_by_hash(hash).is_some())
    }
}

impl Link {
    fn remember_refused(&mut self, hashes: &[ChangeHash]) {
        for hash in hashes {
            if self.refused.len() == RECENT_REFUSED {
                self.refused.pop_front();
            }
            self.refused.push_back(*hash);
        }
    }

    /// The waiting changes minus those built, directly or through other
    /// waiting changes, on a change this link's peer had refused; those are
    /// remembered as refused and kept for the owner to report.
    fn drop_built_on_refused(&mut self, waiting: Vec<Change>) -> Vec<Change> {
        if self.refused.is_empty() {
            return waiting;
        }
        let mut poisoned: Vec<ChangeHash> = Vec::new();
        let mut kept = waiting;
        loop {
            let before = kept.len();
            let (dropped, rest): (Vec<Change>, Vec<Change>) = kept.into_iter().partition(|change| {
                change
                    .deps()
                    .iter()
                    .any(|dependency| self.refused.contains(dependency) || poisoned.contains(dependency))
            });
            kept = rest;
            poisoned.extend(dropped.iter().map(Change::hash));
            if kept.len() == before {
                break;
            }
        }
        self.remember_refused(&poisoned);
        self.built_on_refused.extend(poisoned);
        kept
    }
    fn remember_send(&mut self) {
        if self.recent_sends.len() == RECENT_SENDS {
            self.recent_sends.pop_front();
        }
        self.sends += 1;
        let number = self.sends;
        let sent = &self.state.sent_hashes;
        // Forget hashes automerge has since dropped, then number the new ones.
        self.sent_in.retain(|hash, _| sent.contains(hash));
        for hash in sent {
            self.sent_in.entry(*hash).or_insert(number);
        }
        self.recent_sends.push_back(SentHeads {
            heads: self.state.last_sent_heads.clone(),
            number,
        });
    }

    /// Takes the commonest message a hub receives without walking the
    /// document's history: a peer acknowledging, with no changes, heads we
    /// recently sent it (plus, perhaps, heads of changes of its own). Returns
    /// the message when it is anything else.
    ///
    /// automerge 0.12's `receive_sync_message` walks the whole change graph
    /// below the message's heads on every message, to drop acknowledged
    /// hashes from `sent_hashes`; each acknowledgement then costs time in
    /// proportion to the document's history, and under load that walk was
    /// most of the server's CPU. The answer is known without the walk:
    /// every hash in `sent_hashes` after a send went out with, or before, a
    /// message whose heads were ours then, so each is an ancestor of those
    /// heads. A peer whose heads include those heads has every such change. The
    /// rest mirrors what automerge does with a change-less message whose
    /// heads we all know. The one difference: a hash first sent *after* the
    /// acknowledged message that is also an ancestor of its heads (a resend
    /// the peer asked for) stays in `sent_hashes` until a later
    /// acknowledgement; the peer has it, so it is never wrongly withheld.
    /// Debug builds compare every shortcut with automerge's own handling.
    fn acknowledge(&mut self, message: sync::Message, document: &Automerge) -> Option<sync::Message> {
        let resets = message
            .flags
            .is_some_and(|flags| flags.contains(sync::MessageFlags::SYNC_RESET));
        if !message.changes.is_empty() || resets || message.heads.is_empty() {
            return Some(message);
        }
        // Every head must be one we know (automerge treats unknown heads
        // differently): one we sent, or a change of the peer's we accepted.
        let known = |head: &ChangeHash| {
            self.recent_sends.iter().any(|sent| sent.heads.contains(head))
                || self.accepted.iter().any(|(hash, _)| hash == head)
        };
        if !message.heads.iter().all(known) {
            return Some(message);
        }
        // The peer has its heads and their ancestors: at least its heads and
        // the dependencies of those that are changes of its own we accepted
        // (it made them on top of what we had sent it).
        let mut covered: Vec<ChangeHash> = message.heads.clone();
        for (hash, dependencies) in &self.accepted {
            if message.heads.contains(hash) {
                covered.extend(dependencies.iter().copied());
            }
        }
        // The newest send whose heads are all covered.
        let Some(position) = self
            .recent_sends
            .iter()
            .rposition(|sent| !sent.heads.is_empty() && sent.heads.iter().all(|head| covered.contains(head)))
        else {
            return Some(message);
        };
        // Older sends are covered by this one.
        self.recent_sends.drain(..position);
        let acknowledged = self.recent_sends[0].number;
        let state = &mut self.state;
        // Every hash that was in `sent_hashes` after the acknowledged send.
        self.sent_in.retain(|hash, number| {
            if *number <= acknowledged {
                state.sent_hashes.remove(hash);
                false
            } else {
                true
            }
        });
        state.in_flight = false;
        if let Some(flags) = message.flags {
            let mut capabilities = vec![sync::Capability::MessageV2];
            if flags.contains(sync::MessageFlags::SUPPORTS_SYNC_RESET) {
                capabilities.push(sync::Capability::SyncReset);
            }
            state.their_capabilities = Some(capabilities);
            state.peer_read_only = flags.contains(sync::MessageFlags::READ_ONLY);
        }
        if message.heads == document.get_heads() {
            state.last_sent_heads.clone_from(&message.heads);
        }
        state.shared_heads.clone_from(&message.heads);
        state.their_have = Some(message.have);
        state.their_need = Some(message.need);
        state.their_heads = Some(message.heads);
        None
    }

    /// Debug builds: the shortcut left the state automerge would have, except
    /// for hashes sent after the acknowledged message (see [`Link::acknowledge`]).
    #[cfg(debug_assertions)]
    fn check_against(&self, automerge: &sync::State) {
        let mut ours = self.state.clone();
        let acknowledged = self.recent_sends[0].number;
        let sent_since: std::collections::BTreeSet<ChangeHash> = self
            .sent_in
            .iter()
            .filter(|(_, number)| **number > acknowledged)
            .map(|(hash, _)| *hash)
            .collect();
        assert!(
            automerge.sent_hashes.is_subset(&ours.sent_hashes),
            "the acknowledgement shortcut forgot a hash automerge keeps"
        );
        assert!(
            ours.sent_hashes
                .difference(&automerge.sent_hashes)
                .all(|hash| sent_since.contains(hash)),
            "the acknowledgement shortcut kept a hash sent before the acknowledged message"
        );
        ours.sent_hashes.clone_from(&automerge.sent_hashes);
        assert_eq!(
            &ours, automerge,
            "the acknowledgement shortcut diverged from automerge"
        );
    }
}
