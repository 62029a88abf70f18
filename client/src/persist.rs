//! The open workspace's local copy kept in step with the document: what to
//! write after each change, in order, and how many of this browser's
//! changes the server has not acknowledged yet. Plain logic (tested
//! natively); [`crate::local_copy`] does the IndexedDB writes and
//! [`crate::sync::SyncHandle`] drives both.

use std::collections::VecDeque;

use automerge::{ActorId, Automerge, AutomergeError, ChangeHash};
use enlace_shared::roles::Role;

use crate::local_copy::{self, COMPACT_AFTER, CopyKey, LocalError, Meta, Stored};

/// A chunk larger than this is written as a snapshot instead.
pub const LARGEST_CHUNK: usize = 256 * 1024;

/// One write to the local copy, with the meta as of that write.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    Snapshot(Meta, Vec<u8>),
    Chunk(Meta, u32, Vec<u8>),
    Meta(Meta),
    /// The workspace's image (encoded), beside the copy.
    Image(Vec<u8>),
}

impl Write {
    /// Performs the write.
    pub async fn perform(self, key: &CopyKey) -> Result<(), LocalError> {
        match self {
            Self::Snapshot(meta, bytes) => local_copy::write_snapshot(key, &meta, &bytes).await,
            Self::Chunk(meta, n, bytes) => local_copy::write_chunk(key, &meta, n, &bytes).await,
            Self::Meta(meta) => local_copy::write_meta(key, &meta).await,
            Self::Image(bytes) => local_copy::write_image(key, &bytes).await,
        }
    }
}

/// The local copy of the open workspace.
#[derive(Debug)]
pub struct LocalState {
    pub key: CopyKey,
    pub meta: Meta,
    /// Whether this tab writes the copy: the person's leading tab does;
    /// the others follow it with actors of their own and write nothing
    /// (their changes reach the copy through the leader).
    pub owns: bool,
    /// The document's heads as last written.
    persisted: Vec<ChangeHash>,
    queue: VecDeque<Write>,
    /// A write is under way (the next one waits for it).
    pub writing: bool,
}

impl LocalState {
    /// A copy for a document that has none yet: its actor is the
    /// document's, and the first write is the whole document.
    pub fn fresh(
        key: CopyKey,
        document: &mut Automerge,
        workspace_name: &str,
        role: Option<Role>,
        owns: bool,
    ) -> Self {
        let meta = Meta {
            actor: document.get_actor().to_hex_string(),
            workspace_name: workspace_name.to_owned(),
            role,
            server_heads: Vec::new(),
            next_chunk: 0,
            first_chunk: 0,
        };
        let mut state = Self {
            key,
            meta,
            owns,
            persisted: document.get_heads(),
            queue: VecDeque::new(),
            writing: false,
        };
        if owns {
            state
                .queue
                .push_back(Write::Snapshot(state.meta.clone(), document.save()));
        }
        state
    }

    /// The document a stored copy holds, editing with the copy's actor if
    /// this tab owns the copy, else with a new one (two tabs must never
    /// write with one actor).
    pub fn restored(key: CopyKey, stored: Stored, owns: bool) -> Result<(Self, Automerge), AutomergeError> {
        let mut document = Automerge::load(&stored.snapshot)?;
        // All chunks in one call: applied as one batch, 200 chunks cost
        // about what one does (one by one, each a pass over the document).
        if !stored.chunks.is_empty() {
            document.load_incremental(&stored.chunks.concat())?;
        }
        let actor = if owns {
            ActorId::try_from(stored.meta.actor.as_str()).unwrap_or_else(|_| ActorId::random())
        } else {
            ActorId::random()
        };
        document.set_actor(actor);
        let state = Self {
            key,
            meta: stored.meta,
            owns,
            persisted: document.get_heads(),
            queue: VecDeque::new(),
            writing: false,
        };
        Ok((state, document))
    }

    /// After the document changed: queues what changed since the last
    /// write (its own bytes), or the whole document every
    /// [`COMPACT_AFTER`] chunks. True when something was queued.
    pub fn changed(&mut self, document: &Automerge) -> bool {
        if !self.owns {
            return false;
        }
        let heads = document.get_heads();
        if heads == self.persisted {
            return false;
        }
        let n = self.meta.next_chunk;
        self.meta.next_chunk += 1;
        let bytes = (n.saturating_sub(self.meta.first_chunk) < COMPACT_AFTER)
            .then(|| document.save_after(&self.persisted))
            .filter(|bytes| bytes.len() <= LARGEST_CHUNK);
        match bytes {
            Some(bytes) => self.queue.push_back(Write::Chunk(self.meta.clone(), n, bytes)),
            None => {
                // Every so many chunks, or after a large change (the first
                // sync of a workspace): the whole document, compressed,
                // which loads faster than the same changes one by one.
                self.meta.first_chunk = self.meta.next_chunk;
                // The snapshot covers every chunk still queued.
                self.queue.retain(|write| !matches!(write, Write::Chunk(..)));
                self.queue
                    .push_back(Write::Snapshot(self.meta.clone(), document.save()));
            }
        }
        self.persisted = heads;
        true
    }

    /// Writes queued or under way.
    pub fn pending(&self) -> usize {
        self.queue.len() + usize::from(self.writing)
    }

    /// The document was rebuilt (changes the server refused were dropped):
    /// the copy is rewritten whole, since its chunks hold the dropped ones.
    pub fn replaced(&mut self, document: &Automerge) {
        if !self.owns {
            return;
        }
        self.meta.first_chunk = self.meta.next_chunk;
        self.queue.retain(|write| !matches!(write, Write::Chunk(..)));
        self.queue
            .push_back(Write::Snapshot(self.meta.clone(), document.save()));
        self.persisted = document.get_heads();
    }

    /// The server acknowledged `heads`: kept, so that after a reload the
    /// changes beyond them still count as waiting.
    pub fn acknowledged(&mut self, heads: &[ChangeHash]) {
        let heads: Vec<String> = heads.iter().map(ToString::to_string).collect();
        if !self.owns || heads.is_empty() || heads == self.meta.server_heads {
            return;
        }
        self.meta.server_heads = heads;
        self.queue.push_back(Write::Meta(self.meta.clone()));
    }

    /// The workspace's name and the person's role, as the server says now.
    pub fn heard(&mut self, workspace_name: &str, role: Role) {
        if !self.owns || (self.meta.workspace_name == workspace_name && self.meta.role == Some(role)) {
            return;
        }
        workspace_name.clone_into(&mut self.meta.workspace_name);
        self.meta.role = Some(role);
        self.queue.push_back(Write::Meta(self.meta.clone()));
    }

    /// Queues the workspace's image (encoded); a newer one replaces any
    /// still queued. Only the tab that writes the copy keeps one.
    pub fn keep_image(&mut self, image: Vec<u8>) -> bool {
        if !self.owns {
            return false;
        }
        self.queue.retain(|write| !matches!(write, Write::Image(_)));
        self.queue.push_back(Write::Image(image));
        true
    }

    /// The next write to perform, if any; marks a write under way.
    pub fn next_write(&mut self) -> Option<Write> {
        let write = self.queue.pop_front();
        self.writing = write.is_some();
        write
    }

    /// The heads the server has, as the session knows them, else as kept.
    pub fn server_heads(&self, acknowledged: Vec<ChangeHash>) -> Vec<ChangeHash> {
        if !acknowledged.is_empty() {
            return acknowledged;
        }
        self.meta
            .server_heads
            .iter()
            .filter_map(|head| head.parse().ok())
            .collect()
    }
}

/// How many changes this browser holds that the server does not have
/// (beyond `server_heads`; every one when it has told us nothing): this
/// tab's and, in the leading tab, its followers' (each with an actor of
/// its own). Everyone else's came from the server, under its heads.
pub fn waiting(document: &Automerge, server_heads: &[ChangeHash]) -> usize {
    let known = server_heads
        .iter()
        .all(|head| document.get_change_meta_by_hash(head).is_some());
    if !known {
        // Heads from a copy the document no longer descends from: nothing to count against.
        return 0;
    }
    document.get_changes(server_heads).len()
}

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable as _;
    use automerge::{ROOT, ReadDoc as _};
    use enlace_shared::ids::DocumentId;

    use super::*;

    fn key() -> CopyKey {
        CopyKey::new("p-ana", DocumentId::from_bytes([1; 16]))
    }

    fn edit(document: &mut Automerge, value: &str) {
        let mut transaction = document.transaction();
        transaction.put(ROOT, "note", value).expect("put");
        transaction.commit();
    }

    /// Plays the queued writes into a stored copy, as IndexedDB would hold it.
    fn play(state: &mut LocalState, stored: &mut Option<Stored>) {
        while let Some(write) = state.next_write() {
            match write {
                Write::Snapshot(meta, bytes) => {
                    let image = stored.as_mut().and_then(|stored| stored.image.take());
                    *stored = Some(Stored {
                        meta,
                        snapshot: bytes,
                        chunks: Vec::new(),
                        image,
                    });
                }
                Write::Chunk(meta, _, bytes) => {
                    let copy = stored.as_mut().expect("a snapshot first");
                    copy.meta = meta;
                    copy.chunks.push(bytes);
                }
                Write::Meta(meta) => stored.as_mut().expect("a snapshot first").meta = meta,
                Write::Image(bytes) => stored.as_mut().expect("a snapshot first").image = Some(bytes),
            }
        }
    }

    #[test]
    fn a_copy_written_chunk_by_chunk_reads_back_with_its_actor() {
        let mut document = Automerge::new();
        let mut state = LocalState::fresh(key(), &mut document, "Mesa", Some(Role::Member), true);
        let mut stored = None;
        play(&mut state, &mut stored);
        for value in ["uno", "dos", "tres"] {
            edit(&mut document, value);
            state.changed(&document);
        }
        // One chunk per change, each only its own bytes.
        assert_eq!(state.queue.len(), 3);
        assert!(matches!(&state.queue[0], Write::Chunk(_, 0, bytes) if bytes.len() < 200));
        play(&mut state, &mut stored);
        let (restored, copy) = LocalState::restored(key(), stored.expect("stored"), true).expect("loads");
        assert_eq!(copy.get_heads(), document.get_heads());
        assert_eq!(copy.get_actor(), document.get_actor());
        assert_eq!(restored.meta.next_chunk, 3);
        let (_, other_tab) =
            LocalState::restored(key(), restored_copy(&document, &restored.meta), false).expect("loads");
        assert_ne!(
            other_tab.get_actor(),
            document.get_actor(),
            "a second tab edits with its own actor"
        );
        assert_eq!(
            copy.get(ROOT, "note")
                .expect("reads")
                .map(|(value, _)| value.to_string()),
            Some("\"tres\"".to_owned())
        );
    }

    fn restored_copy(document: &Automerge, meta: &Meta) -> Stored {
        Stored {
            meta: meta.clone(),
            snapshot: document.save(),
            chunks: Vec::new(),
            image: None,
        }
    }

    #[test]
    fn only_the_owner_keeps_an_image_and_the_newest_replaces_one_still_queued() {
        let mut document = Automerge::new();
        let mut follower = LocalState::fresh(key(), &mut document, "Mesa", None, false);
        assert!(!follower.keep_image(vec![1]));
        assert_eq!(follower.pending(), 0);
        let mut state = LocalState::fresh(key(), &mut document, "Mesa", None, true);
        let mut stored = None;
        play(&mut state, &mut stored);
        assert!(state.keep_image(vec![1]));
        edit(&mut document, "uno");
        state.changed(&document);
        assert!(state.keep_image(vec![2]));
        assert_eq!(state.pending(), 2, "the chunk, then only the newer image");
        play(&mut state, &mut stored);
        let stored = stored.expect("stored");
        assert_eq!(stored.image, Some(vec![2]));
        assert_eq!(stored.chunks.len(), 1);
    }

    #[test]
    fn every_so_many_chunks_the_snapshot_is_rewritten() {
        let mut document = Automerge::new();
        let mut state = LocalState::fresh(key(), &mut document, "Mesa", None, true);
        let mut stored = None;
        play(&mut state, &mut stored);
        for index in 0..=COMPACT_AFTER {
            edit(&mut document, &index.to_string());
            state.changed(&document);
        }
        // The last change made a snapshot, which dropped the queued chunks.
        assert!(matches!(state.queue.back(), Some(Write::Snapshot(..))));
        assert_eq!(state.queue.len(), 1);
        play(&mut state, &mut stored);
        let stored = stored.expect("stored");
        assert!(stored.chunks.is_empty());
        let copy = Automerge::load(&stored.snapshot).expect("loads");
        assert_eq!(copy.get_heads(), document.get_heads());
    }

    #[test]
    fn a_rebuilt_document_rewrites_the_whole_copy() {
        let mut document = Automerge::new();
        let mut state = LocalState::fresh(key(), &mut document, "Mesa", None, true);
        let mut stored = None;
        play(&mut state, &mut stored);
        edit(&mut document, "kept");
        state.changed(&document);
        let kept = document.fork();
        edit(&mut document, "refused");
        state.changed(&document);
        play(&mut state, &mut stored);
        // The session drops the refused change: the copy follows.
        let mut rebuilt = kept.fork();
        state.replaced(&rebuilt);
        play(&mut state, &mut stored);
        let stored = stored.expect("stored");
        assert!(stored.chunks.is_empty());
        let (_, copy) = LocalState::restored(key(), stored, true).expect("loads");
        assert_eq!(copy.get_heads(), kept.get_heads());
        // And later changes are chunks after that snapshot again.
        edit(&mut rebuilt, "after");
        state.changed(&rebuilt);
        assert!(matches!(state.next_write(), Some(Write::Chunk(..))));
    }

    #[test]
    fn a_large_change_is_written_as_a_snapshot() {
        let mut document = Automerge::new();
        let mut state = LocalState::fresh(key(), &mut document, "Mesa", None, true);
        let mut stored = None;
        play(&mut state, &mut stored);
        // The first sync brings the whole workspace at once.
        let mut server = Automerge::new();
        edit(&mut server, &"x".repeat(LARGEST_CHUNK + 1));
        document.merge(&mut server).expect("merges");
        state.changed(&document);
        assert!(matches!(state.queue.back(), Some(Write::Snapshot(..))));
        play(&mut state, &mut stored);
        assert!(stored.expect("stored").chunks.is_empty());
    }

    #[test]
    fn a_tab_that_does_not_own_the_copy_writes_nothing() {
        let mut document = Automerge::new();
        let mut state = LocalState::fresh(key(), &mut document, "Mesa", None, false);
        edit(&mut document, "x");
        state.changed(&document);
        state.acknowledged(&document.get_heads());
        state.heard("Mesa nueva", Role::Member);
        assert_eq!(state.next_write(), None);
    }

    #[test]
    fn waiting_counts_our_changes_beyond_the_servers_heads() {
        let mut server = Automerge::new();
        edit(&mut server, "from the server");
        let mut document = server.fork();
        assert_eq!(waiting(&document, &server.get_heads()), 0);
        edit(&mut document, "mine, offline");
        edit(&mut document, "mine again");
        assert_eq!(waiting(&document, &server.get_heads()), 2);
        // Someone else's change, under the server's heads, is not waiting.
        edit(&mut server, "theirs");
        document.merge(&mut server.fork()).expect("merges");
        assert_eq!(waiting(&document, &server.get_heads()), 2);
        assert_eq!(waiting(&document, &document.get_heads()), 0);
        // Heads kept by a state survive a reload and still count.
        let mut state = LocalState::fresh(key(), &mut document, "Mesa", None, true);
        state.acknowledged(&server.get_heads());
        assert_eq!(state.server_heads(Vec::new()), server.get_heads());
        assert!(matches!(state.queue.back(), Some(Write::Meta(meta)) if meta.server_heads.len() == 1));
    }
}
