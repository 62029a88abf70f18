//! Every redb table, typed, in one place.

use redb::{Key, TableDefinition, TableHandle, Value};

/// Workspace id → JSON of [`super::WorkspaceRecord`].
pub const WORKSPACES: TableDefinition<'_, &[u8; 16], &str> = TableDefinition::new("workspaces");

/// (document id, sequence number) → one raw automerge change.
pub const CHANGES: TableDefinition<'_, (&[u8; 16], u64), &[u8]> = TableDefinition::new("changes");

/// Document id → compacted snapshot (`Automerge::save`).
pub const SNAPSHOTS: TableDefinition<'_, &[u8; 16], &[u8]> = TableDefinition::new("snapshots");

/// Document id → the first sequence number *not* contained in its snapshot.
pub const SNAPSHOT_NEXT_SEQ: TableDefinition<'_, &[u8; 16], u64> = TableDefinition::new("snapshot_next_seq");

/// User id → JSON of [`super::accounts::UserRecord`].
pub const USERS: TableDefinition<'_, &str, &str> = TableDefinition::new("users");

/// Lower-cased email → user id.
pub const USERS_BY_EMAIL: TableDefinition<'_, &str, &str> = TableDefinition::new("users_by_email");

/// SHA-256 (hex) of a credential (session cookie or bearer token) → JSON of
/// [`super::accounts::CredentialRecord`]. The credential itself is never stored.
pub const CREDENTIALS: TableDefinition<'_, &str, &str> = TableDefinition::new("credentials");

/// Automerge actor id → the user it is bound to.
pub const ACTORS: TableDefinition<'_, &[u8], &str> = TableDefinition::new("actors");

/// (document id, receipt sequence number) → JSON of [`super::accounts::Receipt`].
pub const RECEIPTS: TableDefinition<'_, (&[u8; 16], u64), &str> = TableDefinition::new("receipts");

/// Singleton settings (e.g. the pending first-start setup token) → JSON.
pub const SETTINGS: TableDefinition<'_, &str, &str> = TableDefinition::new("settings");

/// (document id, collection key, record id) → JSON of
/// [`enlace_shared::api::RecordAuthorship`]: who added the record and who
/// last edited it, kept up to date from the receipts in each commit.
pub const RECORD_AUTHORSHIP: TableDefinition<'_, (&[u8; 16], &str, &str), &str> =
    TableDefinition::new("record_authorship");

/// (document id, receipt sequence number) → JSON of
/// [`enlace_shared::history::Effects`]: what the change of that receipt did
/// to each record, and the document's heads after it. Joined with
/// [`RECEIPTS`] (same key) to make a timeline entry.
pub const HISTORY: TableDefinition<'_, (&[u8; 16], u64), &str> = TableDefinition::new("history");

/// (document id, received at (ms), receipt seq) → (): the timeline by time,
/// to turn a date range into a range of sequence numbers.
pub const HISTORY_BY_TIME: TableDefinition<'_, (&[u8; 16], i64, u64), ()> =
    TableDefinition::new("history_by_time");

/// (document id, user id, receipt seq) → (): each person's entries.
pub const HISTORY_BY_PERSON: TableDefinition<'_, (&[u8; 16], &str, u64), ()> =
    TableDefinition::new("history_by_person");

/// (document id, organisation id at the time, receipt seq) → ().
pub const HISTORY_BY_ORGANISATION: TableDefinition<'_, (&[u8; 16], &str, u64), ()> =
    TableDefinition::new("history_by_organisation");

/// (document id, collection key, receipt seq) → (): entries that touched
/// a record of the collection (one row per collection an entry touched).
pub const HISTORY_BY_COLLECTION: TableDefinition<'_, (&[u8; 16], &str, u64), ()> =
    TableDefinition::new("history_by_collection");

/// (document id, collection key, record id, receipt seq) → (): one record's history.
pub const HISTORY_BY_RECORD: TableDefinition<'_, (&[u8; 16], &str, &str, u64), ()> =
    TableDefinition::new("history_by_record");

/// (document id, entry kind code, receipt seq) → (): one row per kind an
/// entry's records had (`created`, `edited`, `deleted`, `restored`).
pub const HISTORY_BY_KIND: TableDefinition<'_, (&[u8; 16], &str, u64), ()> =
    TableDefinition::new("history_by_kind");

/// (document id, attempt seq) → JSON of [`enlace_shared::api::RefusedAttempt`]
/// (without email): sync messages the hub refused, at most
/// `storage::history::MAX_REFUSED_PER_DOCUMENT` per document (oldest dropped).
pub const REFUSED_ATTEMPTS: TableDefinition<'_, (&[u8; 16], u64), &str> =
    TableDefinition::new("refused_attempts");

/// Something done to every table: creating them, copying them into a
/// backup, restoring them. [`visit_every_table`] is the one list of tables.
pub trait TableVisitor {
    type Error;
    fn visit<K: Key + 'static, V: Value + 'static>(
        &mut self,
        table: TableDefinition<'static, K, V>,
    ) -> Result<(), Self::Error>;
}

/// Visits every table above, in this order. A table added above and not
/// here fails `every_table_defined_is_visited`.
pub fn visit_every_table<T: TableVisitor>(visitor: &mut T) -> Result<(), T::Error> {
    visitor.visit(WORKSPACES)?;
    visitor.visit(CHANGES)?;
    visitor.visit(SNAPSHOTS)?;
    visitor.visit(SNAPSHOT_NEXT_SEQ)?;
    visitor.visit(USERS)?;
    visitor.visit(USERS_BY_EMAIL)?;
    visitor.visit(CREDENTIALS)?;
    visitor.visit(ACTORS)?;
    visitor.visit(RECEIPTS)?;
    visitor.visit(SETTINGS)?;
    visitor.visit(RECORD_AUTHORSHIP)?;
    visitor.visit(HISTORY)?;
    visitor.visit(HISTORY_BY_TIME)?;
    visitor.visit(HISTORY_BY_PERSON)?;
    visitor.visit(HISTORY_BY_ORGANISATION)?;
    visitor.visit(HISTORY_BY_COLLECTION)?;
    visitor.visit(HISTORY_BY_RECORD)?;
    visitor.visit(HISTORY_BY_KIND)?;
    visitor.visit(REFUSED_ATTEMPTS)?;
    Ok(())
}

/// The names of every table, in [`visit_every_table`]'s order.
pub fn every_table_name() -> Vec<String> {
    struct Names(Vec<String>);
    impl TableVisitor for Names {
        type Error = std::convert::Infallible;
        fn visit<K: Key + 'static, V: Value + 'static>(
            &mut self,
            table: TableDefinition<'static, K, V>,
        ) -> Result<(), Self::Error> {
            self.0.push(table.name().to_owned());
            Ok(())
        }
    }
    let mut names = Names(Vec::new());
    match visit_every_table(&mut names) {
        Ok(()) => names.0,
        Err(never) => match never {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every table definition in this file's source, read as text,
    /// so a table defined and forgotten in `visit_every_table` (and so in
    /// backups) fails here.
    #[test]
    fn every_table_defined_is_visited() {
        let source = include_str!("tables.rs");
        let (source, _tests) = source
            .split_once(concat!("#[cfg", "(test)]"))
            .expect("this file has a test module");
        let marker = concat!("TableDefinition::new", "(\"");
        let mut defined: Vec<String> = source
            .split(marker)
            .skip(1)
            .filter_map(|rest| rest.split('"').next().map(str::to_owned))
            .collect();
        defined.sort();
        let mut visited = every_table_name();
        let count = visited.len();
        visited.sort();
        visited.dedup();
        assert_eq!(visited.len(), count, "a table is visited twice");
        assert!(defined.len() >= 19, "the source scan found {defined:?}");
        assert_eq!(visited, defined);
    }
}
