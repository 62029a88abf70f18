//! The timeline, kept from the receipts, and the refused attempts.
//!
//! Every commit that stores receipts also stores, per receipt, what its
//! change did to each record and the heads after it (`tables::HISTORY`,
//! computed by the hub with `enlace_shared::history`), and one row per
//! filter value in the indexes: by time, person, organisation, collection,
//! record and kind. A page of the timeline is then a range read of one
//! index, newest first, never a walk of the document or of the whole
//! history:
//!
//! - a date range becomes a range of sequence numbers through the time
//!   index (receipt times never go backwards within a workspace: the hub
//!   keeps them monotonic);
//! - the most selective filter given drives the read (record, then
//!   person, organisation, collection, kind; none: the entries themselves);
//! - every other filter is a point read of its index per candidate entry.
//!
//! A combination of filters can still examine many candidates that the
//! other filters reject (a person's entries of one rare kind): a page
//! examines at most [`SCAN_BUDGET`] candidates, and returns what it found
//! with `next_before` where it stopped, so no request reads more than that
//! whatever the history's length.

use enlace_shared::DocumentId;
use enlace_shared::api::{EntryKind, HistoryEntry, HistoryQuery, Receipt, RefusedAttempt};
use enlace_shared::history::Effects;
use redb::{ReadableTable, WriteTransaction};

use super::tables::{
    HISTORY, HISTORY_BY_COLLECTION, HISTORY_BY_KIND, HISTORY_BY_ORGANISATION, HISTORY_BY_PERSON,
    HISTORY_BY_RECORD, HISTORY_BY_TIME, RECEIPTS, REFUSED_ATTEMPTS,
};
use super::{Storage, StorageError, database_error};

/// The most refused attempts kept per document; each new one past it drops
/// the oldest, so an account sending refused changes cannot fill the disk.
pub const MAX_REFUSED_PER_DOCUMENT: u64 = 100_000;

/// The most index rows one page of the timeline examines.
pub const SCAN_BUDGET: usize = 10_000;

fn corrupt(error: impl std::fmt::Display) -> StorageError {
    StorageError::CorruptRecord(error.to_string())
}

/// A page of the timeline as stored (no emails: the HTTP layer adds them
/// for the secretariat).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistorySlice {
    pub entries: Vec<HistoryEntry>,
    /// Where the next (older) page starts; `None` when nothing older matches.
    pub next_before: Option<u64>,
}

/// The index that drives a read, in the order they are preferred.
enum Driver<'q> {
    Record(&'q str, &'q str),
    Person(&'q str),
    Organisation(&'q str),
    Collection(&'q str),
    Kind(&'static str),
    Everything,
}

/// The read tables of the timeline.
struct Tables {
    history: redb::ReadOnlyTable<(&'static [u8; 16], u64), &'static str>,
    receipts: redb::ReadOnlyTable<(&'static [u8; 16], u64), &'static str>,
    by_time: redb::ReadOnlyTable<(&'static [u8; 16], i64, u64), ()>,
    by_person: redb::ReadOnlyTable<(&'static [u8; 16], &'static str, u64), ()>,
    by_organisation: redb::ReadOnlyTable<(&'static [u8; 16], &'static str, u64), ()>,
    by_collection: redb::ReadOnlyTable<(&'static [u8; 16], &'static str, u64), ()>,
    by_record: redb::ReadOnlyTable<(&'static [u8; 16], &'static str, &'static str, u64), ()>,
    by_kind: redb::ReadOnlyTable<(&'static [u8; 16], &'static str, u64), ()>,
}

type Seqs<'t> = Box<dyn Iterator<Item = Result<u64, StorageError>> + 't>;

impl Tables {
    fn open(storage: &Storage) -> Result<Self, StorageError> {
        let transaction = storage.begin_read()?;
        Ok(Self {
            history: transaction.open_table(HISTORY).map_err(database_error)?,
            receipts: transaction.open_table(RECEIPTS).map_err(database_error)?,
            by_time: transaction.open_table(HISTORY_BY_TIME).map_err(database_error)?,
            by_person: transaction
                .open_table(HISTORY_BY_PERSON)
                .map_err(database_error)?,
            by_organisation: transaction
                .open_table(HISTORY_BY_ORGANISATION)
                .map_err(database_error)?,
            by_collection: transaction
                .open_table(HISTORY_BY_COLLECTION)
                .map_err(database_error)?,
            by_record: transaction
                .open_table(HISTORY_BY_RECORD)
                .map_err(database_error)?,
            by_kind: transaction.open_table(HISTORY_BY_KIND).map_err(database_error)?,
        })
    }

    /// Sequence numbers in `lo..hi` of the driving index, newest first.
    fn seqs<'t>(
        &'t self,
        id: &'t [u8; 16],
        driver: &Driver<'t>,
        lo: u64,
        hi: u64,
    ) -> Result<Seqs<'t>, StorageError> {
        Ok(match *driver {
            Driver::Record(collection, record) => Box::new(
                self.by_record
                    .range((id, collection, record, lo)..(id, collection, record, hi))
                    .map_err(database_error)?
                    .rev()
                    .map(|row| row.map(|(key, _)| key.value().3).map_err(database_error)),
            ),
            Driver::Person(value) => by_value(&self.by_person, id, value, lo, hi)?,
            Driver::Organisation(value) => by_value(&self.by_organisation, id, value, lo, hi)?,
            Driver::Collection(value) => by_value(&self.by_collection, id, value, lo, hi)?,
            Driver::Kind(value) => by_value(&self.by_kind, id, value, lo, hi)?,
            Driver::Everything => Box::new(
                self.history
                    .range((id, lo)..(id, hi))
                    .map_err(database_error)?
                    .rev()
                    .map(|row| row.map(|(key, _)| key.value().1).map_err(database_error)),
            ),
        })
    }

    /// Whether entry `seq` passes `driver`'s filter (a point read).
    fn passes(&self, id: &[u8; 16], driver: &Driver<'_>, seq: u64) -> Result<bool, StorageError> {
        let found = match *driver {
            Driver::Record(collection, record) => self.by_record.get((id, collection, record, seq)),
            Driver::Person(value) => self.by_person.get((id, value, seq)),
            Driver::Organisation(value) => self.by_organisation.get((id, value, seq)),
            Driver::Collection(value) => self.by_collection.get((id, value, seq)),
            Driver::Kind(value) => self.by_kind.get((id, value, seq)),
            Driver::Everything => return Ok(true),
        };
        Ok(found.map_err(database_error)?.is_some())
    }

    fn entry(&self, id: &[u8; 16], seq: u64) -> Result<Option<HistoryEntry>, StorageError> {
        let Some(effects) = self.history.get((id, seq)).map_err(database_error)? else {
            return Ok(None);
        };
        let Some(receipt) = self.receipts.get((id, seq)).map_err(database_error)? else {
            return Ok(None);
        };
        let effects: Effects = serde_json::from_str(effects.value()).map_err(corrupt)?;
        let receipt: Receipt = serde_json::from_str(receipt.value()).map_err(corrupt)?;
        Ok(Some(HistoryEntry {
            seq,
            receipt,
            user_email: None,
            records: effects.records,
            heads_after: effects.heads_after,
        }))
    }

    /// The sequence number of the last entry received at or before `at_ms`.
    fn last_at_or_before(&self, id: &[u8; 16], at_ms: i64) -> Result<Option<u64>, StorageError> {
        self.by_time
            .range((id, i64::MIN, 0u64)..=(id, at_ms, u64::MAX))
            .map_err(database_error)?
            .next_back()
            .transpose()
            .map_err(database_error)
            .map(|row| row.map(|(key, _)| key.value().2))
    }

    /// The sequence number of the first entry received at or after `at_ms`.
    fn first_at_or_after(&self, id: &[u8; 16], at_ms: i64) -> Result<Option<u64>, StorageError> {
        self.by_time
            .range((id, at_ms, 0u64)..=(id, i64::MAX, u64::MAX))
            .map_err(database_error)?
            .next()
            .transpose()
            .map_err(database_error)
            .map(|row| row.map(|(key, _)| key.value().2))
    }
}

fn by_value<'t>(
    table: &'t redb::ReadOnlyTable<(&'static [u8; 16], &'static str, u64), ()>,
    id: &'t [u8; 16],
    value: &'t str,
    lo: u64,
    hi: u64,
) -> Result<Seqs<'t>, StorageError> {
    Ok(Box::new(
        table
            .range((id, value, lo)..(id, value, hi))
            .map_err(database_error)?
            .rev()
            .map(|row| row.map(|(key, _)| key.value().2).map_err(database_error)),
    ))
}

/// The filters of `query` as indexes, most selective first. A record
/// filter without its collection matches nothing (the HTTP layer refuses it).
fn drivers(query: &HistoryQuery) -> Option<Vec<Driver<'_>>> {
    let mut drivers = Vec::new();
    match (&query.collection, &query.record) {
        (Some(collection), Some(record)) => drivers.push(Driver::Record(collection, record)),
        (None, Some(_)) => return None,
        _ => {}
    }
    if let Some(person) = &query.person {
        drivers.push(Driver::Person(person));
    }
    if let Some(organisation) = &query.organisation {
        drivers.push(Driver::Organisation(organisation));
    }
    if let (Some(collection), None) = (&query.collection, &query.record) {
        drivers.push(Driver::Collection(collection));
    }
    if let Some(kind) = query.kind {
        drivers.push(Driver::Kind(kind.code()));
    }
    if drivers.is_empty() {
        drivers.push(Driver::Everything);
    }
    Some(drivers)
}

impl Storage {
    /// A page of a document's timeline, newest first: at most `limit`
    /// entries matching `query` (its `limit` is ignored) with a sequence
    /// number below `query.before`. Examines at most [`SCAN_BUDGET`] index
    /// rows; a page cut short by it has `next_before` set.
    pub fn history_page(
        &self,
        document_id: &DocumentId,
        query: &HistoryQuery,
        limit: usize,
    ) -> Result<HistorySlice, StorageError> {
        let empty = HistorySlice {
            entries: Vec::new(),
            next_before: None,
        };
        let Some(drivers) = drivers(query) else {
            return Ok(empty);
        };
        let tables = Tables::open(self)?;
        let id = document_id.as_bytes();
        let mut lo = 0u64;
        let mut hi = query.before.unwrap_or(u64::MAX);
        if let Some(to_ms) = query.to_ms {
            match tables.last_at_or_before(id, to_ms)? {
                Some(seq) => hi = hi.min(seq.saturating_add(1)),
                None => return Ok(empty),
            }
        }
        if let Some(from_ms) = query.from_ms {
            match tables.first_at_or_after(id, from_ms)? {
                Some(seq) => lo = seq,
                None => return Ok(empty),
            }
        }
        if lo >= hi || limit == 0 {
            return Ok(empty);
        }
        let (driver, others) = drivers.split_first().unwrap_or((&Driver::Everything, &[]));
        let mut entries = Vec::new();
        let mut examined = 0usize;
        for seq in tables.seqs(id, driver, lo, hi)? {
            let seq = seq?;
            examined += 1;
            let mut passes = true;
            for other in others {
                if !tables.passes(id, other, seq)? {
                    passes = false;
                    break;
                }
            }
            if passes && let Some(entry) = tables.entry(id, seq)? {
                // Times are checked too: an entry stored before times were
                // kept monotonic may sit inside the window out of order.
                let at = entry.receipt.received_at_ms;
                if query.from_ms.is_none_or(|from| at >= from) && query.to_ms.is_none_or(|to| at <= to) {
                    entries.push(entry);
                }
            }
            if entries.len() == limit || examined == SCAN_BUDGET {
                return Ok(HistorySlice {
                    entries,
                    next_before: (seq > lo).then_some(seq),
                });
            }
        }
        Ok(HistorySlice {
            entries,
            next_before: None,
        })
    }

    /// The entry of receipt `seq`, if stored.
    pub fn history_entry(
        &self,
        document_id: &DocumentId,
        seq: u64,
    ) -> Result<Option<HistoryEntry>, StorageError> {
        Tables::open(self)?.entry(document_id.as_bytes(), seq)
    }

    /// The last entry received at or before `at_ms`, if any.
    pub fn history_at(
        &self,
        document_id: &DocumentId,
        at_ms: i64,
    ) -> Result<Option<HistoryEntry>, StorageError> {
        let tables = Tables::open(self)?;
        let id = document_id.as_bytes();
        match tables.last_at_or_before(id, at_ms)? {
            Some(seq) => tables.entry(id, seq),
            None => Ok(None),
        }
    }

    /// The receipt time of the document's newest entry (the hub keeps new
    /// receipt times from going below it).
    pub fn last_received_at(&self, document_id: &DocumentId) -> Result<Option<i64>, StorageError> {
        let tables = Tables::open(self)?;
        let id = document_id.as_bytes();
        tables
            .by_time
            .range((id, i64::MIN, 0u64)..=(id, i64::MAX, u64::MAX))
            .map_err(database_error)?
            .next_back()
            .transpose()
            .map_err(database_error)
            .map(|row| row.map(|(key, _)| key.value().1))
    }

    /// Whether the document has receipts whose entries are not stored (a
    /// data directory from before the timeline, or one whose last commit
    /// stored receipts without entries): its history needs a rebuild.
    pub fn history_incomplete(&self, document_id: &DocumentId) -> Result<bool, StorageError> {
        let tables = Tables::open(self)?;
        let id = document_id.as_bytes();
        let last_receipt = tables
            .receipts
            .range((id, 0u64)..=(id, u64::MAX))
            .map_err(database_error)?
            .next_back()
            .transpose()
            .map_err(database_error)?
            .map(|(key, _)| key.value().1);
        match last_receipt {
            None => Ok(false),
            Some(seq) => Ok(tables.history.get((id, seq)).map_err(database_error)?.is_none()),
        }
    }

    /// Every receipt of a document, oldest first (for a rebuild).
    pub fn all_receipts(&self, document_id: &DocumentId) -> Result<Vec<(u64, Receipt)>, StorageError> {
        let tables = Tables::open(self)?;
        let id = document_id.as_bytes();
        let mut receipts = Vec::new();
        for row in tables
            .receipts
            .range((id, 0u64)..=(id, u64::MAX))
            .map_err(database_error)?
        {
            let (key, json) = row.map_err(database_error)?;
            receipts.push((
                key.value().1,
                serde_json::from_str(json.value()).map_err(corrupt)?,
            ));
        }
        Ok(receipts)
    }

    /// Replaces a document's whole timeline (entries and indexes) with
    /// `entries` (receipt seq → effects), in one transaction: the rebuild.
    pub fn replace_history(
        &self,
        document_id: &DocumentId,
        entries: &[(u64, Effects)],
    ) -> Result<(), StorageError> {
        let transaction = self.begin_write()?;
        let id = document_id.as_bytes();
        {
            let mut history = transaction.open_table(HISTORY).map_err(database_error)?;
            history
                .retain_in((id, 0u64)..=(id, u64::MAX), |_, _| false)
                .map_err(database_error)?;
            let mut by_time = transaction.open_table(HISTORY_BY_TIME).map_err(database_error)?;
            by_time
                .retain_in((id, i64::MIN, 0u64)..=(id, i64::MAX, u64::MAX), |_, _| false)
                .map_err(database_error)?;
            let mut by_record = transaction
                .open_table(HISTORY_BY_RECORD)
                .map_err(database_error)?;
            by_record.retain(|key, ()| key.0 != id).map_err(database_error)?;
            for table in [
                HISTORY_BY_PERSON,
                HISTORY_BY_ORGANISATION,
                HISTORY_BY_COLLECTION,
                HISTORY_BY_KIND,
            ] {
                let mut table = transaction.open_table(table).map_err(database_error)?;
                table.retain(|key, ()| key.0 != id).map_err(database_error)?;
            }
        }
        let receipts = transaction.open_table(RECEIPTS).map_err(database_error)?;
        let mut written = Vec::with_capacity(entries.len());
        for (seq, _) in entries {
            let receipt: Receipt = match receipts.get((id, *seq)).map_err(database_error)? {
                Some(json) => serde_json::from_str(json.value()).map_err(corrupt)?,
                None => return Err(corrupt(format!("no receipt {seq} for a history entry"))),
            };
            written.push((*seq, receipt));
        }
        drop(receipts);
        let mut writer = EntryWriter::open(&transaction)?;
        for ((seq, receipt), (_, effects)) in written.iter().zip(entries) {
            writer.insert(id, *seq, receipt, effects)?;
        }
        drop(writer);
        transaction.commit().map_err(database_error)?;
        Ok(())
    }

    /// Refused attempts on a document, newest first: at most `limit` with a
    /// sequence number below `before`.
    pub fn refused_attempts(
        &self,
        document_id: &DocumentId,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<RefusedAttempt>, StorageError> {
        let transaction = self.begin_read()?;
        let table = transaction.open_table(REFUSED_ATTEMPTS).map_err(database_error)?;
        let id = document_id.as_bytes();
        let mut attempts = Vec::new();
        for row in table
            .range((id, 0u64)..(id, before.unwrap_or(u64::MAX)))
            .map_err(database_error)?
            .rev()
            .take(limit)
        {
            let (_, json) = row.map_err(database_error)?;
            attempts.push(serde_json::from_str(json.value()).map_err(corrupt)?);
        }
        Ok(attempts)
    }

    /// Every stored row of a document's timeline, entries and indexes, in
    /// key order, as text: what a rebuild must reproduce.
    #[cfg(test)]
    pub(crate) fn history_rows(&self, document_id: &DocumentId) -> Result<Vec<String>, StorageError> {
        let tables = Tables::open(self)?;
        let id = document_id.as_bytes();
        let mut rows = Vec::new();
        for row in tables
            .history
            .range((id, 0u64)..=(id, u64::MAX))
            .map_err(database_error)?
        {
            let (key, value) = row.map_err(database_error)?;
            rows.push(format!("entry {} {}", key.value().1, value.value()));
        }
        for row in tables
            .by_time
            .range((id, i64::MIN, 0u64)..=(id, i64::MAX, u64::MAX))
            .map_err(database_error)?
        {
            let (key, _) = row.map_err(database_error)?;
            let (_, at, seq) = key.value();
            rows.push(format!("time {at} {seq}"));
        }
        for (name, table) in [
            ("person", &tables.by_person),
            ("organisation", &tables.by_organisation),
            ("collection", &tables.by_collection),
            ("kind", &tables.by_kind),
        ] {
            for row in table.iter().map_err(database_error)? {
                let (key, _) = row.map_err(database_error)?;
                let (document, value, seq) = key.value();
                if document == id {
                    rows.push(format!("{name} {value} {seq}"));
                }
            }
        }
        for row in tables.by_record.iter().map_err(database_error)? {
            let (key, _) = row.map_err(database_error)?;
            let (document, collection, record, seq) = key.value();
            if document == id {
                rows.push(format!("record {collection}/{record} {seq}"));
            }
        }
        Ok(rows)
    }
}

/// The timeline's tables, open for writing inside one transaction.
struct EntryWriter<'t> {
    history: redb::Table<'t, (&'static [u8; 16], u64), &'static str>,
    by_time: redb::Table<'t, (&'static [u8; 16], i64, u64), ()>,
    by_person: redb::Table<'t, (&'static [u8; 16], &'static str, u64), ()>,
    by_organisation: redb::Table<'t, (&'static [u8; 16], &'static str, u64), ()>,
    by_collection: redb::Table<'t, (&'static [u8; 16], &'static str, u64), ()>,
    by_record: redb::Table<'t, (&'static [u8; 16], &'static str, &'static str, u64), ()>,
    by_kind: redb::Table<'t, (&'static [u8; 16], &'static str, u64), ()>,
}

impl<'t> EntryWriter<'t> {
    fn open(transaction: &'t WriteTransaction) -> Result<Self, StorageError> {
        Ok(Self {
            history: transaction.open_table(HISTORY).map_err(database_error)?,
            by_time: transaction.open_table(HISTORY_BY_TIME).map_err(database_error)?,
            by_person: transaction
                .open_table(HISTORY_BY_PERSON)
                .map_err(database_error)?,
            by_organisation: transaction
                .open_table(HISTORY_BY_ORGANISATION)
                .map_err(database_error)?,
            by_collection: transaction
                .open_table(HISTORY_BY_COLLECTION)
                .map_err(database_error)?,
            by_record: transaction
                .open_table(HISTORY_BY_RECORD)
                .map_err(database_error)?,
            by_kind: transaction.open_table(HISTORY_BY_KIND).map_err(database_error)?,
        })
    }

    fn insert(
        &mut self,
        id: &[u8; 16],
        seq: u64,
        receipt: &Receipt,
        effects: &Effects,
    ) -> Result<(), StorageError> {
        let json = serde_json::to_string(effects).map_err(corrupt)?;
        self.history
            .insert((id, seq), json.as_str())
            .map_err(database_error)?;
        self.by_time
            .insert((id, receipt.received_at_ms, seq), ())
            .map_err(database_error)?;
        self.by_person
            .insert((id, receipt.user_id.as_str(), seq), ())
            .map_err(database_error)?;
        if let Some(organisation) = &receipt.organisation_id {
            self.by_organisation
                .insert((id, organisation.as_str(), seq), ())
                .map_err(database_error)?;
        }
        let mut kinds: Vec<EntryKind> = Vec::new();
        for record in &effects.records {
            self.by_collection
                .insert((id, record.collection.as_str(), seq), ())
                .map_err(database_error)?;
            self.by_record
                .insert(
                    (id, record.collection.as_str(), record.record_id.as_str(), seq),
                    (),
                )
                .map_err(database_error)?;
            if !kinds.contains(&record.kind) {
                kinds.push(record.kind);
            }
        }
        for kind in kinds {
            self.by_kind
                .insert((id, kind.code(), seq), ())
                .map_err(database_error)?;
        }
        Ok(())
    }
}

/// Writes the entries of `receipts` (stored from `first_seq` on) inside the
/// group-commit transaction. `effects` is empty (changes stored without a
/// timeline: tests, benchmarks) or one per receipt.
pub(super) fn record_history(
    transaction: &WriteTransaction,
    document_id: &DocumentId,
    first_seq: u64,
    receipts: &[Receipt],
    effects: &[Effects],
) -> Result<(), StorageError> {
    if effects.is_empty() {
        return Ok(());
    }
    if effects.len() != receipts.len() {
        return Err(corrupt(format!(
            "{} history entries for {} receipts",
            effects.len(),
            receipts.len()
        )));
    }
    let mut writer = EntryWriter::open(transaction)?;
    for ((seq, receipt), effects) in (first_seq..).zip(receipts).zip(effects) {
        writer.insert(document_id.as_bytes(), seq, receipt, effects)?;
    }
    Ok(())
}

/// Stores refused attempts inside the group-commit transaction, numbering
/// them on from the document's last, and drops the oldest beyond
/// [`MAX_REFUSED_PER_DOCUMENT`].
pub(super) fn record_refused(
    transaction: &WriteTransaction,
    document_id: &DocumentId,
    attempts: &[RefusedAttempt],
) -> Result<(), StorageError> {
    if attempts.is_empty() {
        return Ok(());
    }
    let id = document_id.as_bytes();
    let mut table = transaction.open_table(REFUSED_ATTEMPTS).map_err(database_error)?;
    let first = table
        .range((id, 0u64)..=(id, u64::MAX))
        .map_err(database_error)?
        .next_back()
        .transpose()
        .map_err(database_error)?
        .map_or(0, |(key, _)| key.value().1 + 1);
    for (seq, attempt) in (first..).zip(attempts) {
        let mut attempt = attempt.clone();
        attempt.seq = seq;
        attempt.user_email = None;
        let json = serde_json::to_string(&attempt).map_err(corrupt)?;
        table.insert((id, seq), json.as_str()).map_err(database_error)?;
        if let Some(oldest) = seq.checked_sub(MAX_REFUSED_PER_DOCUMENT) {
            table.remove((id, oldest)).map_err(database_error)?;
        }
    }
    Ok(())
}
