//! Who added each record and who last edited it, kept from the receipts.
//!
//! Every commit that stores receipts also updates one row per record its
//! changes touched (`tables::RECORD_AUTHORSHIP`), so "added by" and "last
//! edited by" are one point read, at any history length. Nothing here comes
//! from what a client wrote into the document: the records a change touched
//! are placed by the hub's judge, the person is the receipt's.

use enlace_shared::DocumentId;
use enlace_shared::api::{Receipt, RecordAuthor, RecordAuthorship};
use redb::ReadableTable;

use super::tables::RECORD_AUTHORSHIP;
use super::{Storage, StorageError, database_error};

fn corrupt(error: impl std::fmt::Display) -> StorageError {
    StorageError::CorruptRecord(error.to_string())
}

impl Storage {
    /// Who added and who last edited `record_id` of `collection`, as far as
    /// receipts say (both `None` for a record no receipt names).
    pub fn record_authorship(
        &self,
        document_id: &DocumentId,
        collection: &str,
        record_id: &str,
    ) -> Result<RecordAuthorship, StorageError> {
        let transaction = self.begin_read()?;
        let table = transaction
            .open_table(RECORD_AUTHORSHIP)
            .map_err(database_error)?;
        table
            .get((document_id.as_bytes(), collection, record_id))
            .map_err(database_error)?
            .map_or(Ok(RecordAuthorship::default()), |json| {
                serde_json::from_str(json.value()).map_err(corrupt)
            })
    }
}

/// Updates the authorship of every record `receipts` (in commit order)
/// touched, inside the commit that stores them: the first receipt that
/// created a record stays its creator; the latest receipt is its last editor.
pub(super) fn record_authorship(
    transaction: &redb::WriteTransaction,
    document_id: &DocumentId,
    receipts: &[Receipt],
) -> Result<(), StorageError> {
    if receipts.iter().all(|receipt| receipt.records.is_empty()) {
        return Ok(());
    }
    let mut table = transaction
        .open_table(RECORD_AUTHORSHIP)
        .map_err(database_error)?;
    for receipt in receipts {
        let author = RecordAuthor {
            user_id: receipt.user_id.clone(),
            user_name: receipt.user_name.clone(),
            organisation_id: receipt.organisation_id.clone(),
            at_ms: receipt.received_at_ms,
        };
        for touched in &receipt.records {
            let key = (
                document_id.as_bytes(),
                touched.collection.as_str(),
                touched.record_id.as_str(),
            );
            let mut authorship: RecordAuthorship = match table.get(key).map_err(database_error)? {
                Some(json) => serde_json::from_str(json.value()).map_err(corrupt)?,
                None => RecordAuthorship::default(),
            };
            if touched.created && authorship.created.is_none() {
                authorship.created = Some(author.clone());
            }
            authorship.last_edited = Some(author.clone());
            let json = serde_json::to_string(&authorship).map_err(corrupt)?;
            table.insert(key, json.as_str()).map_err(database_error)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use enlace_shared::api::TouchedRecord;
    use enlace_shared::roles::Role;

    use super::*;
    use crate::storage::AppendRequest;

    fn receipt(user: &str, at_ms: i64, records: &[(&str, bool)]) -> Receipt {
        Receipt {
            hash: format!("h{at_ms}"),
            actor: "a".into(),
            seq: 1,
            client_time_ms: 0,
            message: None,
            user_id: user.into(),
            user_name: user.to_uppercase(),
            organisation_id: Some(format!("org-of-{user}")),
            role: Role::Member,
            received_at_ms: at_ms,
            records: records
                .iter()
                .map(|(record_id, created)| TouchedRecord {
                    collection: "organisations".into(),
                    record_id: (*record_id).into(),
                    created: *created,
                })
                .collect(),
        }
    }

    fn append(document_id: DocumentId, receipts: Vec<Receipt>) -> AppendRequest {
        AppendRequest {
            document_id,
            changes: vec![vec![0]; receipts.len()],
            bindings: Vec::new(),
            receipts,
            effects: Vec::new(),
            refused: Vec::new(),
        }
    }

    #[test]
    fn the_first_creator_stays_and_the_latest_editor_replaces_the_last() {
        let directory = tempfile::tempdir().expect("tempdir");
        let storage = Storage::open(directory.path()).expect("open");
        let document_id = DocumentId::from_bytes([1; 16]);
        storage
            .append_changes(&[append(
                document_id,
                vec![
                    receipt("ana", 10, &[("r1", true)]),
                    receipt("ben", 20, &[("r1", false)]),
                ],
            )])
            .expect("append");
        // A later "creation" of the same key (a replaced record) does not
        // take the record over.
        storage
            .append_changes(&[append(
                document_id,
                vec![receipt("eve", 30, &[("r1", true), ("r2", false)])],
            )])
            .expect("append");
        let r1 = storage
            .record_authorship(&document_id, "organisations", "r1")
            .expect("read");
        let created = r1.created.expect("a creator");
        assert_eq!((created.user_id.as_str(), created.at_ms), ("ana", 10));
        assert_eq!(created.organisation_id.as_deref(), Some("org-of-ana"));
        assert_eq!(r1.last_edited.expect("an editor").user_name, "EVE");
        let r2 = storage
            .record_authorship(&document_id, "organisations", "r2")
            .expect("read");
        assert_eq!(r2.created, None);
        assert_eq!(
            r2.last_edited.map(|author| author.user_id).as_deref(),
            Some("eve")
        );
        let other_document = storage
            .record_authorship(&DocumentId::from_bytes([2; 16]), "organisations", "r1")
            .expect("read");
        assert_eq!(other_document, RecordAuthorship::default());
    }
}
