//! `enlace backup` and `enlace restore`: every table, copied row by row
//! from one read transaction into a checksummed file, and back into a new
//! data directory in one write transaction.
//!
//! The file (`enlace-backup/1`, also described in `docs/operations.md`):
//!
//! ```text
//! "ENLACEBK"                         8 bytes, the magic
//! header length                      u32, big-endian
//! header                             JSON: {"format":"enlace-backup/1","created_at_ms":…,
//!                                           "tables":[{"name":"workspaces","rows":1},…]}
//! rows, table after table in the header's order, each:
//!     key length (u32 BE), key bytes, value length (u32 BE), value bytes
//!                                    (redb's own encoding of the key and value)
//! SHA-256 of every byte above        32 bytes
//! ```
//!
//! Tables are those of [`super::tables::visit_every_table`], in its order, so
//! a new table is in every backup from the day it is defined. The checksum
//! catches a truncated or damaged file; it is not a signature: whoever can
//! edit the file can recompute it, so a backup is trusted (and protected) like
//! the data directory itself.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use redb::{Key, ReadableTable, ReadableTableMetadata, TableDefinition, TableHandle, Value};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::tables::{self, TableVisitor};
use super::{DATABASE_FILE, Storage, StorageError, database_error};

/// The first bytes of every backup.
const MAGIC: &[u8; 8] = b"ENLACEBK";
/// The format this code writes and reads.
pub const BACKUP_FORMAT: &str = "enlace-backup/1";
/// A header larger than this is not one this code wrote.
const MAX_HEADER_BYTES: u32 = 1024 * 1024;
const CHECKSUM_BYTES: u64 = 32;

/// Errors of a backup or a restore, each naming the file or directory.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("{}: {error}", path.display())]
    File { path: PathBuf, error: std::io::Error },
    #[error("{}: not an Enlace backup; nothing was restored", .0.display())]
    NotABackup(PathBuf),
    #[error(
        "{}: damaged or truncated (its SHA-256 does not match its content); nothing was restored",
        .0.display()
    )]
    Damaged(PathBuf),
    #[error("{}: {reason}; nothing was restored", path.display())]
    Format { path: PathBuf, reason: String },
    #[error(
        "{} already holds an Enlace database; restore into a new, empty data directory",
        .0.display()
    )]
    TargetExists(PathBuf),
}

/// The header at the start of a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupHeader {
    pub format: String,
    pub created_at_ms: i64,
    pub tables: Vec<TableCount>,
}

/// A table's name and how many rows of it the file holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableCount {
    pub name: String,
    pub rows: u64,
}

/// What a backup holds, or a restore restored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSummary {
    pub header: BackupHeader,
    /// The file's size.
    pub bytes: u64,
}

impl BackupSummary {
    /// Rows of the table `name` (0 for a table the file does not hold).
    pub fn rows(&self, name: &str) -> u64 {
        self.header
            .tables
            .iter()
            .find(|table| table.name == name)
            .map_or(0, |table| table.rows)
    }
}

impl std::fmt::Display for BackupSummary {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "{} workspaces, {} stored changes, {} receipts, {} people, {} bytes",
            self.rows("workspaces"),
            self.rows("changes"),
            self.rows("receipts"),
            self.rows("users"),
            self.bytes
        )
    }
}

fn file_error(path: &Path) -> impl Fn(std::io::Error) -> BackupError + '_ {
    move |error| BackupError::File {
        path: path.to_owned(),
        error,
    }
}

/// A writer that hashes what passes through it.
struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    written: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let count = self.inner.write(bytes)?;
        self.hasher.update(&bytes[..count]);
        self.written += count as u64;
        Ok(count)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A reader that hashes what passes through it.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let count = self.inner.read(buffer)?;
        self.hasher.update(&buffer[..count]);
        Ok(count)
    }
}

fn write_bytes(out: &mut impl Write, bytes: &[u8]) -> std::io::Result<()> {
    let length = u32::try_from(bytes.len())
        .map_err(|_| std::io::Error::other("a row larger than 4 GiB cannot be backed up"))?;
    out.write_all(&length.to_be_bytes())?;
    out.write_all(bytes)
}

/// Reads one length-prefixed byte string; never allocates more than the file holds.
fn read_bytes(input: &mut impl Read) -> std::io::Result<Vec<u8>> {
    let mut length = [0u8; 4];
    input.read_exact(&mut length)?;
    let length = u64::from(u32::from_be_bytes(length));
    let mut bytes = Vec::new();
    input.by_ref().take(length).read_to_end(&mut bytes)?;
    if bytes.len() as u64 != length {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    Ok(bytes)
}

impl Storage {
    /// Writes a backup of every table, as one read transaction sees it, to
    /// `out` (a file, or the admin socket of a running server); returns its
    /// header and size. `path` only names the destination in errors.
    pub fn backup_into(
        &self,
        out: impl Write,
        path: &Path,
        created_at_ms: i64,
    ) -> Result<BackupSummary, BackupError> {
        let transaction = self.begin_read()?;
        let mut counts = CountRows {
            transaction: &transaction,
            tables: Vec::new(),
        };
        tables::visit_every_table(&mut counts)?;
        let header = BackupHeader {
            format: BACKUP_FORMAT.to_owned(),
            created_at_ms,
            tables: counts.tables,
        };
        let header_json =
            serde_json::to_vec(&header).map_err(|error| StorageError::CorruptRecord(error.to_string()))?;
        let io = file_error(path);
        let mut writer = HashingWriter {
            inner: BufWriter::new(out),
            hasher: Sha256::new(),
            written: 0,
        };
        writer.write_all(MAGIC).map_err(&io)?;
        write_bytes(&mut writer, &header_json).map_err(&io)?;
        tables::visit_every_table(&mut DumpRows {
            transaction: &transaction,
            out: &mut writer,
            path,
        })?;
        let checksum = writer.hasher.finalize();
        writer.inner.write_all(&checksum).map_err(&io)?;
        writer.inner.flush().map_err(&io)?;
        Ok(BackupSummary {
            header,
            bytes: writer.written + CHECKSUM_BYTES,
        })
    }

    /// Writes every table, as one read transaction sees it, to the file
    /// `out` (through `out.tmp`, synced, then renamed: a crash leaves the
    /// previous backup or the new one, never half of one).
    pub fn backup_to(&self, out: &Path, created_at_ms: i64) -> Result<BackupSummary, BackupError> {
        write_atomically(out, |file, temporary| {
            self.backup_into(file, temporary, created_at_ms)
        })
    }
}

/// Runs `write` on `out.tmp`, syncs it, renames it to `out` and syncs the
/// directory; removes the temporary file if anything fails.
pub fn write_atomically<T>(
    out: &Path,
    write: impl FnOnce(&mut File, &Path) -> Result<T, BackupError>,
) -> Result<T, BackupError> {
    let mut temporary_name = out.file_name().unwrap_or_default().to_owned();
    temporary_name.push(".tmp");
    let temporary = out.with_file_name(temporary_name);
    let written = (|| -> Result<T, BackupError> {
        let mut file = File::create(&temporary).map_err(file_error(&temporary))?;
        let written = write(&mut file, &temporary)?;
        file.sync_all().map_err(file_error(&temporary))?;
        Ok(written)
    })();
    let written = match written {
        Ok(written) => written,
        Err(error) => {
            let _ = std::fs::remove_file(&temporary);
            return Err(error);
        }
    };
    std::fs::rename(&temporary, out).map_err(file_error(out))?;
    sync_directory_of(out)?;
    Ok(written)
}

/// Makes a rename durable: syncs the directory holding `path`.
fn sync_directory_of(path: &Path) -> Result<(), BackupError> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    File::open(&directory)
        .and_then(|handle| handle.sync_all())
        .map_err(file_error(&directory))
}

struct CountRows<'a> {
    transaction: &'a redb::ReadTransaction,
    tables: Vec<TableCount>,
}

impl TableVisitor for CountRows<'_> {
    type Error = StorageError;
    fn visit<K: Key + 'static, V: Value + 'static>(
        &mut self,
        definition: TableDefinition<'static, K, V>,
    ) -> Result<(), StorageError> {
        let table = self.transaction.open_table(definition).map_err(database_error)?;
        self.tables.push(TableCount {
            name: definition.name().to_owned(),
            rows: table.len().map_err(database_error)?,
        });
        Ok(())
    }
}

struct DumpRows<'a, W> {
    transaction: &'a redb::ReadTransaction,
    out: &'a mut W,
    path: &'a Path,
}

impl<W: Write> TableVisitor for DumpRows<'_, W> {
    type Error = BackupError;
    fn visit<K: Key + 'static, V: Value + 'static>(
        &mut self,
        definition: TableDefinition<'static, K, V>,
    ) -> Result<(), BackupError> {
        let table = self.transaction.open_table(definition).map_err(database_error)?;
        for entry in table.iter().map_err(database_error)? {
            let (key, value) = entry.map_err(database_error)?;
            let key = key.value();
            let value = value.value();
            write_bytes(self.out, K::as_bytes(&key).as_ref()).map_err(file_error(self.path))?;
            write_bytes(self.out, V::as_bytes(&value).as_ref()).map_err(file_error(self.path))?;
        }
        Ok(())
    }
}

/// Restores the backup `input` into `data_dir`, which must hold no
/// database. The whole file is checked (magic, checksum, format, table
/// names) before anything is written; the rows go in one write transaction
/// into a temporary database file, renamed into place only once complete.
pub fn restore(input: &Path, data_dir: &Path) -> Result<BackupSummary, BackupError> {
    let target = data_dir.join(DATABASE_FILE);
    if target.exists() {
        return Err(BackupError::TargetExists(data_dir.to_owned()));
    }
    let (header, bytes) = verify(input)?;

    std::fs::create_dir_all(data_dir).map_err(file_error(data_dir))?;
    let partial = data_dir.join(format!("{DATABASE_FILE}.restoring"));
    let _ = std::fs::remove_file(&partial);
    let mut cleanup = RemoveOnDrop(Some(partial.clone()));
    {
        let database = super::builder().create(&partial).map_err(database_error)?;
        let transaction = database.begin_write().map_err(database_error)?;
        let file = File::open(input).map_err(file_error(input))?;
        let mut reader = HashingReader {
            inner: BufReader::new(file),
            hasher: Sha256::new(),
        };
        let mut magic = [0u8; 8];
        reader.read_exact(&mut magic).map_err(file_error(input))?;
        read_bytes(&mut reader).map_err(file_error(input))?;
        let mut load = LoadRows {
            transaction: &transaction,
            input: &mut reader,
            path: input,
            tables: header.tables.iter().peekable(),
        };
        tables::visit_every_table(&mut load)?;
        // The file was checked before; check the bytes actually read again,
        // in case it changed since, before committing anything.
        let computed = reader.hasher.clone().finalize();
        let mut stored = [0u8; 32];
        reader
            .inner
            .read_exact(&mut stored)
            .map_err(|_| BackupError::Damaged(input.to_owned()))?;
        let mut rest = [0u8; 1];
        if computed.as_slice() != stored || reader.inner.read(&mut rest).map_err(file_error(input))? != 0 {
            return Err(BackupError::Damaged(input.to_owned()));
        }
        transaction.commit().map_err(database_error)?;
    }
    File::open(&partial)
        .and_then(|file| file.sync_all())
        .map_err(file_error(&partial))?;
    std::fs::rename(&partial, &target).map_err(file_error(&target))?;
    cleanup.0 = None;
    sync_directory_of(&target)?;
    Ok(BackupSummary { header, bytes })
}

/// Deletes a half-restored database file unless disarmed.
struct RemoveOnDrop(Option<PathBuf>);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Checks a backup without writing anything: its magic, its checksum over
/// every byte, its format and its tables (known, in order). Returns its
/// header and size.
pub fn verify(input: &Path) -> Result<(BackupHeader, u64), BackupError> {
    let file = File::open(input).map_err(file_error(input))?;
    let size = file.metadata().map_err(file_error(input))?.len();
    let mut reader = BufReader::new(file);
    let mut magic = [0u8; 8];
    if size < MAGIC.len() as u64 + 4 + CHECKSUM_BYTES {
        return Err(if reader.read_exact(&mut magic).is_ok() && &magic == MAGIC {
            BackupError::Damaged(input.to_owned())
        } else {
            BackupError::NotABackup(input.to_owned())
        });
    }
    reader.read_exact(&mut magic).map_err(file_error(input))?;
    if &magic != MAGIC {
        return Err(BackupError::NotABackup(input.to_owned()));
    }
    let mut hasher = Sha256::new();
    hasher.update(magic);
    let mut body = HashingReader {
        inner: reader.by_ref().take(size - MAGIC.len() as u64 - CHECKSUM_BYTES),
        hasher,
    };
    std::io::copy(&mut body, &mut std::io::sink()).map_err(file_error(input))?;
    let computed = body.hasher.finalize();
    let mut stored = [0u8; 32];
    reader.read_exact(&mut stored).map_err(file_error(input))?;
    if computed.as_slice() != stored {
        return Err(BackupError::Damaged(input.to_owned()));
    }

    let format_error = |reason: String| BackupError::Format {
        path: input.to_owned(),
        reason,
    };
    let mut reader = BufReader::new(File::open(input).map_err(file_error(input))?);
    reader.read_exact(&mut magic).map_err(file_error(input))?;
    let mut length = [0u8; 4];
    reader.read_exact(&mut length).map_err(file_error(input))?;
    let length = u32::from_be_bytes(length);
    if length > MAX_HEADER_BYTES {
        return Err(format_error(format!("a header of {length} bytes")));
    }
    let mut header = vec![0u8; length as usize];
    reader.read_exact(&mut header).map_err(file_error(input))?;
    let header: BackupHeader =
        serde_json::from_slice(&header).map_err(|error| format_error(format!("its header: {error}")))?;
    if header.format != BACKUP_FORMAT {
        return Err(format_error(format!(
            "format {:?}, this version reads {BACKUP_FORMAT:?}",
            header.format
        )));
    }
    // The file's tables must be known and in the order tables are visited
    // (a table it lacks is restored empty).
    let known = tables::every_table_name();
    let mut position = 0;
    for table in &header.tables {
        match known[position..].iter().position(|name| *name == table.name) {
            Some(offset) => position += offset + 1,
            None => {
                return Err(format_error(format!(
                    "table {:?} is unknown to this version or out of order",
                    table.name
                )));
            }
        }
    }
    Ok((header, size))
}

/// Whether `bytes` decode as a `T` and encode back to themselves. redb's
/// decoders trust their input and panic on malformed bytes (a key of the
/// wrong length, a string that is not UTF-8); a backup's checksum catches
/// damage, not a crafted file, so every row is checked before redb sees it.
fn decodes_exactly<T: Value + 'static>(bytes: &[u8]) -> bool {
    if T::fixed_width().is_some_and(|width| width != bytes.len()) {
        return false;
    }
    std::panic::catch_unwind(|| T::as_bytes(&T::from_bytes(bytes)).as_ref() == bytes).unwrap_or(false)
}

struct LoadRows<'a, R, I: Iterator<Item = &'a TableCount>> {
    transaction: &'a redb::WriteTransaction,
    input: &'a mut R,
    path: &'a Path,
    tables: std::iter::Peekable<I>,
}

impl<'a, R: Read, I: Iterator<Item = &'a TableCount>> TableVisitor for LoadRows<'a, R, I> {
    type Error = BackupError;
    fn visit<K: Key + 'static, V: Value + 'static>(
        &mut self,
        definition: TableDefinition<'static, K, V>,
    ) -> Result<(), BackupError> {
        let mut table = self.transaction.open_table(definition).map_err(database_error)?;
        let Some(count) = self.tables.next_if(|table| table.name == definition.name()) else {
            return Ok(());
        };
        for row in 0..count.rows {
            let truncated = |_| BackupError::Damaged(self.path.to_owned());
            let key = read_bytes(self.input).map_err(truncated)?;
            let value = read_bytes(self.input).map_err(truncated)?;
            if !decodes_exactly::<K>(&key) || !decodes_exactly::<V>(&value) {
                return Err(BackupError::Format {
                    path: self.path.to_owned(),
                    reason: format!(
                        "row {row} of table `{}` is not a valid row of that table",
                        definition.name()
                    ),
                });
            }
            table
                .insert(K::from_bytes(&key), V::from_bytes(&value))
                .map_err(database_error)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::WorkspaceRecord;
    use super::super::tables::*;
    use super::*;

    type Rows = Vec<(Vec<u8>, Vec<u8>)>;

    /// Every table's rows as bytes, through the same visitor list.
    fn dump_all(storage: &Storage) -> Vec<(String, Rows)> {
        struct Dump<'a>(&'a redb::ReadTransaction, Vec<(String, Rows)>);
        impl TableVisitor for Dump<'_> {
            type Error = StorageError;
            fn visit<K: Key + 'static, V: Value + 'static>(
                &mut self,
                definition: TableDefinition<'static, K, V>,
            ) -> Result<(), StorageError> {
                let table = self.0.open_table(definition).map_err(database_error)?;
                let mut rows = Vec::new();
                for entry in table.iter().map_err(database_error)? {
                    let (key, value) = entry.map_err(database_error)?;
                    rows.push((
                        K::as_bytes(&key.value()).as_ref().to_vec(),
                        V::as_bytes(&value.value()).as_ref().to_vec(),
                    ));
                }
                self.1.push((definition.name().to_owned(), rows));
                Ok(())
            }
        }
        let transaction = storage.begin_read().expect("read");
        let mut dump = Dump(&transaction, Vec::new());
        tables::visit_every_table(&mut dump).expect("dump");
        dump.1
    }

    /// A storage with rows in every table (two in some).
    fn filled(directory: &Path) -> Storage {
        let storage = Storage::open(directory).expect("open");
        let record = WorkspaceRecord {
            id: None,
            name: "MCIG".into(),
            created_at_ms: 5,
        };
        let id = enlace_shared::DocumentId::from_bytes([7; 16]);
        storage
            .create_workspace(id, &record, &[vec![1, 2, 3], vec![4]])
            .expect("create");
        let transaction = storage.begin_write().expect("write");
        {
            let key = [7u8; 16];
            let mut table = transaction.open_table(SNAPSHOTS).expect("table");
            table.insert(&key, &b"snapshot"[..]).expect("insert");
            let mut table = transaction.open_table(SNAPSHOT_NEXT_SEQ).expect("table");
            table.insert(&key, 1u64).expect("insert");
            let mut table = transaction.open_table(USERS).expect("table");
            table.insert("u1", "{\"json\":1}").expect("insert");
            let mut table = transaction.open_table(USERS_BY_EMAIL).expect("table");
            table.insert("ana@example.org", "u1").expect("insert");
            let mut table = transaction.open_table(CREDENTIALS).expect("table");
            table.insert("abc", "{}").expect("insert");
            let mut table = transaction.open_table(ACTORS).expect("table");
            table.insert(&[9u8, 9][..], "u1").expect("insert");
            let mut table = transaction.open_table(RECEIPTS).expect("table");
            table.insert((&key, 0u64), "{\"receipt\":0}").expect("insert");
            table.insert((&key, 1u64), "{\"receipt\":1}").expect("insert");
            let mut table = transaction.open_table(SETTINGS).expect("table");
            table.insert("audit_signing_key", "00").expect("insert");
            let mut table = transaction.open_table(RECORD_AUTHORSHIP).expect("table");
            table.insert((&key, "organisations", "o1"), "{}").expect("insert");
            let mut table = transaction.open_table(HISTORY).expect("table");
            table.insert((&key, 0u64), "{}").expect("insert");
            let mut table = transaction.open_table(HISTORY_BY_TIME).expect("table");
            table.insert((&key, -3i64, 0u64), ()).expect("insert");
            let mut table = transaction.open_table(HISTORY_BY_PERSON).expect("table");
            table.insert((&key, "u1", 0u64), ()).expect("insert");
            let mut table = transaction.open_table(HISTORY_BY_ORGANISATION).expect("table");
            table.insert((&key, "o1", 0u64), ()).expect("insert");
            let mut table = transaction.open_table(HISTORY_BY_COLLECTION).expect("table");
            table.insert((&key, "organisations", 0u64), ()).expect("insert");
            let mut table = transaction.open_table(HISTORY_BY_RECORD).expect("table");
            table
                .insert((&key, "organisations", "o1", 0u64), ())
                .expect("insert");
            let mut table = transaction.open_table(HISTORY_BY_KIND).expect("table");
            table.insert((&key, "created", 0u64), ()).expect("insert");
            let mut table = transaction.open_table(REFUSED_ATTEMPTS).expect("table");
            table.insert((&key, 0u64), "{}").expect("insert");
        }
        transaction.commit().expect("commit");
        storage
    }

    #[test]
    fn every_table_round_trips_through_a_backup() {
        let source = tempfile::tempdir().expect("tempdir");
        let storage = filled(source.path());
        let original = dump_all(&storage);
        for (name, rows) in &original {
            assert!(!rows.is_empty(), "the fixture leaves table {name} empty");
        }
        let file = source.path().join("backup.enlace");
        let written = storage.backup_to(&file, 1234).expect("backup");
        assert_eq!(written.rows("receipts"), 2);
        assert_eq!(written.rows("changes"), 2);
        assert_eq!(written.bytes, std::fs::metadata(&file).expect("file").len());
        assert!(!file.with_file_name("backup.enlace.tmp").exists());

        let target = tempfile::tempdir().expect("tempdir");
        let restored_dir = target.path().join("restored");
        let restored = restore(&file, &restored_dir).expect("restore");
        assert_eq!(restored.header.created_at_ms, 1234);
        assert_eq!(restored, written);
        let copy = Storage::open(&restored_dir).expect("open the copy");
        assert_eq!(dump_all(&copy), original);
        assert!(!restored_dir.join("enlace.redb.restoring").exists());
    }

    #[test]
    fn restore_refuses_a_directory_that_holds_a_database() {
        let source = tempfile::tempdir().expect("tempdir");
        let storage = filled(source.path());
        let file = source.path().join("backup.enlace");
        storage.backup_to(&file, 1).expect("backup");
        let error = restore(&file, source.path()).expect_err("refused");
        assert!(matches!(error, BackupError::TargetExists(_)), "{error}");
    }

    #[test]
    fn a_truncated_or_edited_backup_is_refused_and_nothing_is_written() {
        let source = tempfile::tempdir().expect("tempdir");
        let storage = filled(source.path());
        let file = source.path().join("backup.enlace");
        storage.backup_to(&file, 1).expect("backup");
        let bytes = std::fs::read(&file).expect("read");

        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("truncated", bytes[..bytes.len() - 40].to_vec()),
            ("without its checksum", bytes[..bytes.len() - 32].to_vec()),
            ("with a row edited", {
                let mut edited = bytes.clone();
                let at = edited.len() - 40;
                edited[at] ^= 1;
                edited
            }),
            ("with its checksum edited", {
                let mut edited = bytes.clone();
                let last = edited.len() - 1;
                edited[last] ^= 1;
                edited
            }),
            ("with bytes appended", {
                let mut longer = bytes.clone();
                longer.push(0);
                longer
            }),
        ];
        for (what, content) in cases {
            let damaged = source.path().join("damaged.enlace");
            std::fs::write(&damaged, &content).expect("write");
            let target = tempfile::tempdir().expect("tempdir");
            let restored_dir = target.path().join("restored");
            let error = restore(&damaged, &restored_dir).expect_err(what);
            assert!(matches!(error, BackupError::Damaged(_)), "{what}: {error}");
            assert!(!restored_dir.exists(), "{what}: the restore wrote something");
        }

        let not_a_backup = source.path().join("other.txt");
        std::fs::write(&not_a_backup, b"hello, this is not a backup file at all, no").expect("write");
        let error = restore(&not_a_backup, &source.path().join("x")).expect_err("not a backup");
        assert!(matches!(error, BackupError::NotABackup(_)), "{error}");
    }

    #[test]
    fn a_backup_of_another_format_is_refused() {
        let source = tempfile::tempdir().expect("tempdir");
        let header = serde_json::to_vec(&BackupHeader {
            format: "enlace-backup/99".into(),
            created_at_ms: 0,
            tables: Vec::new(),
        })
        .expect("json");
        let mut bytes = MAGIC.to_vec();
        write_bytes(&mut bytes, &header).expect("write");
        let checksum = Sha256::digest(&bytes);
        bytes.extend_from_slice(&checksum);
        let file = source.path().join("future.enlace");
        std::fs::write(&file, &bytes).expect("write");
        let error = restore(&file, &source.path().join("restored")).expect_err("refused");
        assert!(error.to_string().contains("enlace-backup/99"), "{error}");
        assert!(!source.path().join("restored").exists());
    }

    /// A file whose checksum is right (anyone can recompute it) but whose
    /// rows are not what their tables hold: refused with a clear error, not
    /// a panic inside redb, and nothing is left on disk.
    #[test]
    fn a_crafted_backup_with_malformed_rows_is_refused() {
        let source = tempfile::tempdir().expect("tempdir");
        let crafted = |table: &str, key: &[u8], value: &[u8]| {
            let header = serde_json::to_vec(&BackupHeader {
                format: BACKUP_FORMAT.into(),
                created_at_ms: 0,
                tables: vec![TableCount {
                    name: table.into(),
                    rows: 1,
                }],
            })
            .expect("json");
            let mut bytes = MAGIC.to_vec();
            write_bytes(&mut bytes, &header).expect("write");
            write_bytes(&mut bytes, key).expect("write");
            write_bytes(&mut bytes, value).expect("write");
            let checksum = Sha256::digest(&bytes);
            bytes.extend_from_slice(&checksum);
            bytes
        };
        let cases = [
            (
                "a user id that is not UTF-8",
                crafted("users", &[0xff, 0xfe], b"{}"),
            ),
            (
                "a workspace id of 3 bytes",
                crafted("workspaces", &[1, 2, 3], b"{}"),
            ),
            (
                "a sequence number of 2 bytes",
                crafted("snapshot_next_seq", &[7; 16], &[1, 2]),
            ),
        ];
        for (what, bytes) in cases {
            let file = source.path().join("crafted.enlace");
            std::fs::write(&file, &bytes).expect("write");
            let target = source.path().join("restored");
            let error = restore(&file, &target).expect_err(what);
            assert!(
                error.to_string().contains("is not a valid row"),
                "{what}: {error}"
            );
            assert!(!target.join(DATABASE_FILE).exists(), "{what}: nothing restored");
        }
    }
}
