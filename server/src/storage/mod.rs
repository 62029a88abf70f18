//! The only module that touches redb.
//!
//! A document is stored as an optional compacted snapshot plus the
//! incremental changes committed after it. Loading a document is loading the
//! snapshot and applying the changes that follow it. Table definitions live
//! in [`tables`]; the group-committing writer in [`writer`].

mod accounts;
mod audit;
mod authorship;
mod backup;
mod history;
mod tables;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use enlace_shared::DocumentId;
use enlace_shared::api::{Receipt, RefusedAttempt};
use enlace_shared::history::Effects;
use redb::{Database, ReadableDatabase, ReadableTable};
use serde::{Deserialize, Serialize};

pub use accounts::{AccountError, CredentialKind, CredentialRecord, UserRecord};
pub use audit::{AuditRecords, BoundActor};
pub use backup::{
    BACKUP_FORMAT, BackupError, BackupHeader, BackupSummary, TableCount, restore, verify as verify_backup,
    write_atomically,
};
pub use history::{HistorySlice, MAX_REFUSED_PER_DOCUMENT, SCAN_BUDGET};
use tables::{CHANGES, SNAPSHOT_NEXT_SEQ, SNAPSHOTS, WORKSPACES};
pub use writer::{StorageWriter, WriteReceipt};

/// The file inside the data directory that holds everything.
pub const DATABASE_FILE: &str = "enlace.redb";

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("cannot create data directory {path}: {source}")]
    DataDirectory { path: PathBuf, source: std::io::Error },
    #[error(
        "the data directory {0} is in use by a running Enlace server; stop it first, or use what works while it runs: the web interface (people, tokens), the audit export's endpoint (GET /api/workspaces/{{id}}/audit-export), `enlace backup` (the server makes the backup)"
    )]
    InUse(PathBuf),
    #[error("no Enlace database in {0} (nothing to read: is --data right?)")]
    NoDatabase(PathBuf),
    #[error("this data directory was opened read-only")]
    ReadOnly,
    #[error("database error: {0}")]
    Database(#[from] redb::Error),
    #[error("stored workspace record is corrupt: {0}")]
    CorruptRecord(String),
    #[error("commit failed: {0}")]
    CommitFailed(String),
    #[error("the storage writer has stopped")]
    WriterStopped,
}

/// Every open uses redb's default `ExclusiveWriter` mode: the process that
/// writes (the server, or a CLI command on a stopped server) has the file to
/// itself; read-only handles share it only while nobody writes. redb's
/// `SingleWriter` mode would let readers open beside the server, but it made
/// every commit 3–7× slower here (Criterion `durable_changes`: one appender
/// 0.74 → 5.6 ms, 256 appenders 15 → 46 µs per change), so a running
/// server's backup goes through its admin socket instead
/// (`crate::admin_socket`).
fn builder() -> redb::Builder {
    redb::Builder::new()
}

fn open_error(error: redb::DatabaseError, data_dir: &Path) -> StorageError {
    match error {
        redb::DatabaseError::DatabaseAlreadyOpen => StorageError::InUse(data_dir.to_owned()),
        other => database_error(other),
    }
}

/// Opens (so creates) every table in a write transaction.
struct CreateTables<'a>(&'a redb::WriteTransaction);

impl tables::TableVisitor for CreateTables<'_> {
    type Error = StorageError;
    fn visit<K: redb::Key + 'static, V: redb::Value + 'static>(
        &mut self,
        table: redb::TableDefinition<'static, K, V>,
    ) -> Result<(), StorageError> {
        self.0.open_table(table).map_err(database_error)?;
        Ok(())
    }
}

/// The database, opened to write (the one writer) or to read.
enum Handle {
    Writer(Database),
    Reader(redb::ReadOnlyDatabase),
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(match self {
            Self::Writer(_) => "Handle::Writer",
            Self::Reader(_) => "Handle::Reader",
        })
    }
}

fn database_error(error: impl Into<redb::Error>) -> StorageError {
    StorageError::Database(error.into())
}

/// A workspace as listed by the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceRecord {
    #[serde(skip)]
    pub id: Option<DocumentId>,
    pub name: String,
    pub created_at_ms: i64,
}

/// What is stored for one document.
#[derive(Debug, Default)]
pub struct StoredDocument {
    pub snapshot: Option<Vec<u8>>,
    /// Changes after the snapshot, in commit order.
    pub changes: Vec<Vec<u8>>,
    /// The sequence number the next committed change will get.
    pub next_seq: u64,
    /// The sequence number at which the snapshot stops (changes from here on are separate).
    pub snapshot_next_seq: u64,
}

/// A handle on the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Storage {
    database: Arc<Handle>,
    /// Unit tests only: make commits or loads fail, as a full or broken disk would.
    #[cfg(test)]
    faults: Arc<Faults>,
}

/// Failures a unit test can switch on (compiled only in tests).
#[cfg(test)]
#[derive(Debug, Default)]
pub(crate) struct Faults {
    pub(crate) fail_commits: std::sync::atomic::AtomicBool,
    pub(crate) fail_loads: std::sync::atomic::AtomicBool,
}

#[cfg(test)]
impl Storage {
    pub(crate) fn faults(&self) -> &Faults {
        &self.faults
    }

    fn injected(flag: &std::sync::atomic::AtomicBool, what: &str) -> Result<(), StorageError> {
        if flag.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(StorageError::CommitFailed(format!("injected fault: {what}")));
        }
        Ok(())
    }
}

impl Storage {
    /// Opens (creating if needed) `<data_dir>/enlace.redb` and its tables,
    /// for writing. Only one process may: a second writer or reader (a CLI
    /// command on a running server's directory) gets [`StorageError::InUse`].
    pub fn open(data_dir: &Path) -> Result<Self, StorageError> {
        std::fs::create_dir_all(data_dir).map_err(|source| StorageError::DataDirectory {
            path: data_dir.to_owned(),
            source,
        })?;
        let database = builder()
            .create(data_dir.join(DATABASE_FILE))
            .map_err(|error| open_error(error, data_dir))?;
        let transaction = database.begin_write().map_err(database_error)?;
        tables::visit_every_table(&mut CreateTables(&transaction))?;
        transaction.commit().map_err(database_error)?;
        Ok(Self::from_handle(Handle::Writer(database)))
    }

    /// Opens an existing `<data_dir>/enlace.redb` to read, while no server
    /// runs on it (else [`StorageError::InUse`]): each read transaction sees
    /// one consistent commit. Writing through it fails with
    /// [`StorageError::ReadOnly`].
    pub fn open_read_only(data_dir: &Path) -> Result<Self, StorageError> {
        let path = data_dir.join(DATABASE_FILE);
        if !path.is_file() {
            return Err(StorageError::NoDatabase(data_dir.to_owned()));
        }
        let database = builder()
            .open_read_only(&path)
            .map_err(|error| open_error(error, data_dir))?;
        Ok(Self::from_handle(Handle::Reader(database)))
    }

    fn from_handle(handle: Handle) -> Self {
        Self {
            database: Arc::new(handle),
            #[cfg(test)]
            faults: Arc::default(),
        }
    }

    fn begin_read(&self) -> Result<redb::ReadTransaction, StorageError> {
        match &*self.database {
            Handle::Writer(database) => database.begin_read(),
            Handle::Reader(database) => database.begin_read(),
        }
        .map_err(database_error)
    }

    /// True for a handle from [`Self::open_read_only`].
    pub fn is_read_only(&self) -> bool {
        matches!(*self.database, Handle::Reader(_))
    }

    fn begin_write(&self) -> Result<redb::WriteTransaction, StorageError> {
        match &*self.database {
            Handle::Writer(database) => database.begin_write().map_err(database_error),
            Handle::Reader(_) => Err(StorageError::ReadOnly),
        }
    }

    /// Every workspace, oldest first.
    pub fn workspaces(&self) -> Result<Vec<WorkspaceRecord>, StorageError> {
        let transaction = self.begin_read()?;
        let table = transaction.open_table(WORKSPACES).map_err(database_error)?;
        let mut records = Vec::new();
        for entry in table.iter().map_err(database_error)? {
            let (key, value) = entry.map_err(database_error)?;
            let mut record: WorkspaceRecord = serde_json::from_str(value.value())
                .map_err(|error| StorageError::CorruptRecord(error.to_string()))?;
            record.id = Some(DocumentId::from_bytes(*key.value()));
            records.push(record);
        }
        records.sort_by_key(|record| record.created_at_ms);
        Ok(records)
    }

    /// Creates a workspace and stores its first changes, in one transaction
    /// (without provenance: tests and benchmarks).
    pub fn create_workspace(
        &self,
        id: DocumentId,
        record: &WorkspaceRecord,
        initial_changes: &[Vec<u8>],
    ) -> Result<(), StorageError> {
        self.create_workspace_with(record, &AppendRequest::changes_only(id, initial_changes.to_vec()))
    }

    /// Creates the workspace `initial.document_id` and stores its first
    /// changes with their actor bindings, receipts and record authorship, in
    /// one transaction.
    pub fn create_workspace_with(
        &self,
        record: &WorkspaceRecord,
        initial: &AppendRequest,
    ) -> Result<(), StorageError> {
        let id = initial.document_id;
        let json =
            serde_json::to_string(record).map_err(|error| StorageError::CorruptRecord(error.to_string()))?;
        let transaction = self.begin_write()?;
        {
            let mut workspaces = transaction.open_table(WORKSPACES).map_err(database_error)?;
            workspaces
                .insert(id.as_bytes(), json.as_str())
                .map_err(database_error)?;
            let mut changes = transaction.open_table(CHANGES).map_err(database_error)?;
            for (seq, change) in (0u64..).zip(&initial.changes) {
                changes
                    .insert((id.as_bytes(), seq), change.as_slice())
                    .map_err(database_error)?;
            }
        }
        let first_receipt =
            accounts::record_provenance(&transaction, &id, &initial.bindings, &initial.receipts)?;
        authorship::record_authorship(&transaction, &id, &initial.receipts)?;
        history::record_history(
            &transaction,
            &id,
            first_receipt,
            &initial.receipts,
            &initial.effects,
        )?;
        transaction.commit().map_err(database_error)?;
        Ok(())
    }

    /// True if a workspace with this id exists.
    pub fn has_workspace(&self, id: &DocumentId) -> Result<bool, StorageError> {
        let transaction = self.begin_read()?;
        let table = transaction.open_table(WORKSPACES).map_err(database_error)?;
        Ok(table.get(id.as_bytes()).map_err(database_error)?.is_some())
    }

    /// The snapshot and subsequent changes of a document.
    pub fn load_document(&self, id: &DocumentId) -> Result<StoredDocument, StorageError> {
        #[cfg(test)]
        Self::injected(&self.faults.fail_loads, "cannot read")?;
        let transaction = self.begin_read()?;
        read_document(&transaction, id)
    }

    /// Replaces a document's snapshot with `snapshot`, which must contain every
    /// change with a sequence number below `next_seq`, and drops those changes.
    pub fn compact(&self, id: &DocumentId, snapshot: &[u8], next_seq: u64) -> Result<(), StorageError> {
        let transaction = self.begin_write()?;
        {
            let mut snapshots = transaction.open_table(SNAPSHOTS).map_err(database_error)?;
            snapshots
                .insert(id.as_bytes(), snapshot)
                .map_err(database_error)?;
            let mut seqs = transaction
                .open_table(SNAPSHOT_NEXT_SEQ)
                .map_err(database_error)?;
            seqs.insert(id.as_bytes(), next_seq).map_err(database_error)?;
            let mut changes = transaction.open_table(CHANGES).map_err(database_error)?;
            changes
                .retain_in((id.as_bytes(), 0u64)..(id.as_bytes(), next_seq), |_, _| false)
                .map_err(database_error)?;
        }
        transaction.commit().map_err(database_error)?;
        Ok(())
    }

    /// Appends changes of several documents, with their actor bindings and
    /// receipts, in one durable transaction and returns, per document, the
    /// sequence number the next change will get.
    pub(crate) fn append_changes(&self, batch: &[AppendRequest]) -> Result<Vec<u64>, StorageError> {
        #[cfg(test)]
        Self::injected(&self.faults.fail_commits, "disk full")?;
        let transaction = self.begin_write()?;
        let mut next_seqs = Vec::with_capacity(batch.len());
        {
            let mut changes = transaction.open_table(CHANGES).map_err(database_error)?;
            let seqs = transaction
                .open_table(SNAPSHOT_NEXT_SEQ)
                .map_err(database_error)?;
            for request in batch {
                let id = &request.document_id;
                let after_snapshot = seqs
                    .get(id.as_bytes())
                    .map_err(database_error)?
                    .map_or(0, |guard| guard.value());
                let after_last = changes
                    .range((id.as_bytes(), 0u64)..=(id.as_bytes(), u64::MAX))
                    .map_err(database_error)?
                    .next_back()
                    .transpose()
                    .map_err(database_error)?
                    .map_or(0, |(key, _)| key.value().1 + 1);
                let mut seq = after_snapshot.max(after_last);
                for change in &request.changes {
                    changes
                        .insert((id.as_bytes(), seq), change.as_slice())
                        .map_err(database_error)?;
                    seq += 1;
                }
                next_seqs.push(seq);
            }
        }
        for request in batch {
            let first_receipt = accounts::record_provenance(
                &transaction,
                &request.document_id,
                &request.bindings,
                &request.receipts,
            )?;
            authorship::record_authorship(&transaction, &request.document_id, &request.receipts)?;
            history::record_history(
                &transaction,
                &request.document_id,
                first_receipt,
                &request.receipts,
                &request.effects,
            )?;
            history::record_refused(&transaction, &request.document_id, &request.refused)?;
        }
        // Durability::Immediate is redb's default: commit returns after fsync.
        transaction.commit().map_err(database_error)?;
        Ok(next_seqs)
    }
}

/// The snapshot and subsequent changes of a document, as `transaction` sees them.
fn read_document(
    transaction: &redb::ReadTransaction,
    id: &DocumentId,
) -> Result<StoredDocument, StorageError> {
    let snapshots = transaction.open_table(SNAPSHOTS).map_err(database_error)?;
    let snapshot_seqs = transaction
        .open_table(SNAPSHOT_NEXT_SEQ)
        .map_err(database_error)?;
    let changes = transaction.open_table(CHANGES).map_err(database_error)?;
    let snapshot = snapshots
        .get(id.as_bytes())
        .map_err(database_error)?
        .map(|guard| guard.value().to_vec());
    let snapshot_next_seq = snapshot_seqs
        .get(id.as_bytes())
        .map_err(database_error)?
        .map_or(0, |guard| guard.value());
    let mut stored = StoredDocument {
        snapshot,
        changes: Vec::new(),
        next_seq: snapshot_next_seq,
        snapshot_next_seq,
    };
    for entry in changes
        .range((id.as_bytes(), snapshot_next_seq)..=(id.as_bytes(), u64::MAX))
        .map_err(database_error)?
    {
        let (key, value) = entry.map_err(database_error)?;
        stored.next_seq = key.value().1 + 1;
        stored.changes.push(value.value().to_vec());
    }
    Ok(stored)
}

/// One document's share of a group commit.
#[derive(Debug, Clone)]
pub struct AppendRequest {
    pub document_id: DocumentId,
    /// Raw changes, in causal order.
    pub changes: Vec<Vec<u8>>,
    /// Actor ids seen for the first time, and the user each is bound to.
    pub bindings: Vec<(Vec<u8>, String)>,
    /// One receipt per change.
    pub receipts: Vec<Receipt>,
    /// What each receipt's change did (one per receipt), for the timeline;
    /// empty to store no timeline (tests and benchmarks that store bare changes).
    pub effects: Vec<Effects>,
    /// Sync messages refused since the last commit (their `seq` is assigned here).
    pub refused: Vec<RefusedAttempt>,
}

impl AppendRequest {
    /// Changes without provenance (the server's own changes, benchmarks).
    pub fn changes_only(document_id: DocumentId, changes: Vec<Vec<u8>>) -> Self {
        Self {
            document_id,
            changes,
            bindings: Vec::new(),
            receipts: Vec::new(),
            effects: Vec::new(),
            refused: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(byte: u8) -> DocumentId {
        DocumentId::from_bytes([byte; 16])
    }

    fn append(document_id: DocumentId, changes: Vec<Vec<u8>>) -> AppendRequest {
        AppendRequest::changes_only(document_id, changes)
    }

    fn record(name: &str, created_at_ms: i64) -> WorkspaceRecord {
        WorkspaceRecord {
            id: None,
            name: name.into(),
            created_at_ms,
        }
    }

    #[test]
    fn workspaces_and_changes_survive_reopening() {
        let directory = tempfile::tempdir().expect("tempdir");
        {
            let storage = Storage::open(directory.path()).expect("open");
            storage
                .create_workspace(id(1), &record("MCIG", 5), &[vec![1], vec![2]])
                .expect("create");
            storage
                .create_workspace(id(2), &record("Otra", 9), &[])
                .expect("create");
            let next = storage
                .append_changes(&[
                    append(id(1), vec![vec![3]]),
                    append(id(2), vec![vec![9], vec![10]]),
                ])
                .expect("append");
            assert_eq!(next, vec![3, 2]);
        }
        let storage = Storage::open(directory.path()).expect("reopen");
        let listed = storage.workspaces().expect("list");
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0].name, "MCIG");
        assert_eq!(listed[0].id, Some(id(1)));
        let stored = storage.load_document(&id(1)).expect("load");
        assert_eq!(stored.changes, vec![vec![1], vec![2], vec![3]]);
        assert_eq!(stored.next_seq, 3);
        assert!(storage.has_workspace(&id(2)).expect("has"));
        assert!(!storage.has_workspace(&id(3)).expect("has"));
    }

    #[test]
    fn compaction_replaces_covered_changes_with_the_snapshot() {
        let directory = tempfile::tempdir().expect("tempdir");
        let storage = Storage::open(directory.path()).expect("open");
        storage
            .create_workspace(id(1), &record("MCIG", 1), &[vec![1], vec![2], vec![3]])
            .expect("create");
        storage.compact(&id(1), b"snapshot", 2).expect("compact");
        let stored = storage.load_document(&id(1)).expect("load");
        assert_eq!(stored.snapshot.as_deref(), Some(&b"snapshot"[..]));
        assert_eq!(stored.changes, vec![vec![3]]);
        assert_eq!(stored.snapshot_next_seq, 2);
        // Sequence numbers keep growing even when every change was compacted.
        storage.compact(&id(1), b"snapshot2", 3).expect("compact");
        assert_eq!(
            storage
                .append_changes(&[append(id(1), vec![vec![4]])])
                .expect("append"),
            vec![4]
        );
        let stored = storage.load_document(&id(1)).expect("load");
        assert_eq!(stored.changes, vec![vec![4]]);
    }

    #[test]
    fn a_second_writer_or_a_reader_is_refused_as_in_use_while_one_writes() {
        let directory = tempfile::tempdir().expect("tempdir");
        let missing = Storage::open_read_only(directory.path()).expect_err("no database yet");
        assert!(matches!(missing, StorageError::NoDatabase(_)), "{missing}");

        let writer = Storage::open(directory.path()).expect("open");
        writer
            .create_workspace(id(1), &record("MCIG", 1), &[vec![1]])
            .expect("create");
        let second = Storage::open(directory.path()).expect_err("a second writer");
        assert!(matches!(second, StorageError::InUse(_)), "{second}");
        assert!(second.to_string().contains("in use by a running Enlace server"));
        let reader = Storage::open_read_only(directory.path()).expect_err("a reader beside the writer");
        assert!(matches!(reader, StorageError::InUse(_)), "{reader}");

        // Once the writer is gone, readers share the file, and write nothing.
        drop(writer);
        let reader = Storage::open_read_only(directory.path()).expect("a reader");
        let other_reader = Storage::open_read_only(directory.path()).expect("a second reader");
        assert_eq!(reader.workspaces().expect("list").len(), 1);
        assert_eq!(
            other_reader.load_document(&id(1)).expect("load").changes,
            vec![vec![1]]
        );
        let refused = reader
            .create_workspace(id(2), &record("Otra", 2), &[])
            .expect_err("read-only");
        assert!(matches!(refused, StorageError::ReadOnly), "{refused}");
        assert!(reader.is_read_only());
        drop((reader, other_reader));
        let again = Storage::open(directory.path()).expect("reopen");
        assert!(!again.is_read_only());
    }
}
