//! What an audit export reads, in one read transaction, and the key that
//! signs it.

use enlace_shared::DocumentId;
use enlace_shared::api::Receipt;
use enlace_shared::ids;
use redb::ReadableTable;

use super::accounts::UserRecord;
use super::tables::{ACTORS, RECEIPTS, SETTINGS, USERS, WORKSPACES};
use super::{Storage, StorageError, StoredDocument, WorkspaceRecord, database_error, read_document};

/// The settings entry holding the audit signing key's 32-byte seed (hex).
const AUDIT_SIGNING_KEY: &str = "audit_signing_key";

/// Everything an audit export of one workspace holds, as one read
/// transaction saw it: a change committed meanwhile is either in all of it
/// (change, receipt, binding) or in none.
#[derive(Debug)]
pub struct AuditRecords {
    pub workspace: WorkspaceRecord,
    pub document: StoredDocument,
    /// Every receipt of the workspace with its receipt sequence number, oldest first.
    pub receipts: Vec<(u64, Receipt)>,
    /// The binding of every actor the receipts name, in the order first named.
    pub bindings: Vec<BoundActor>,
}

/// An actor id and the person it is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundActor {
    /// The actor id as its receipts write it (hex).
    pub actor: String,
    pub user_id: String,
    /// The person's current display name; `None` for an id with no account
    /// (the system principal).
    pub display_name: Option<String>,
}

impl Storage {
    /// A workspace's record, its stored document, every receipt and every
    /// binding of the actors those receipts name, from one read transaction;
    /// `None` if there is no such workspace.
    pub fn audit_records(&self, id: &DocumentId) -> Result<Option<AuditRecords>, StorageError> {
        let transaction = self.begin_read()?;
        let workspaces = transaction.open_table(WORKSPACES).map_err(database_error)?;
        let Some(json) = workspaces.get(id.as_bytes()).map_err(database_error)? else {
            return Ok(None);
        };
        let mut workspace: WorkspaceRecord = serde_json::from_str(json.value())
            .map_err(|error| StorageError::CorruptRecord(error.to_string()))?;
        workspace.id = Some(*id);
        let document = read_document(&transaction, id)?;

        let receipt_table = transaction.open_table(RECEIPTS).map_err(database_error)?;
        let mut receipts = Vec::new();
        for entry in receipt_table
            .range((id.as_bytes(), 0u64)..=(id.as_bytes(), u64::MAX))
            .map_err(database_error)?
        {
            let (key, json) = entry.map_err(database_error)?;
            let receipt: Receipt = serde_json::from_str(json.value())
                .map_err(|error| StorageError::CorruptRecord(error.to_string()))?;
            receipts.push((key.value().1, receipt));
        }

        let actors = transaction.open_table(ACTORS).map_err(database_error)?;
        let users = transaction.open_table(USERS).map_err(database_error)?;
        let mut bindings: Vec<BoundActor> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (_, receipt) in &receipts {
            if !seen.insert(receipt.actor.as_str()) {
                continue;
            }
            // A receipt whose actor is not hex names no binding; the export
            // carries the receipt as stored and verifying it says what is wrong.
            let Some(actor_bytes) = ids::from_hex(&receipt.actor) else {
                continue;
            };
            let Some(user_id) = actors
                .get(actor_bytes.as_slice())
                .map_err(database_error)?
                .map(|user| user.value().to_owned())
            else {
                continue;
            };
            let display_name = users
                .get(user_id.as_str())
                .map_err(database_error)?
                .map(|json| serde_json::from_str::<UserRecord>(json.value()))
                .transpose()
                .map_err(|error| StorageError::CorruptRecord(error.to_string()))?
                .map(|user| user.display_name);
            bindings.push(BoundActor {
                actor: receipt.actor.clone(),
                user_id,
                display_name,
            });
        }
        Ok(Some(AuditRecords {
            workspace,
            document,
            receipts,
            bindings,
        }))
    }

    /// The seed of the server's audit signing key: the stored one, or else
    /// `fresh`, stored now. One write transaction, so two first exports at
    /// once agree on one key.
    pub fn audit_signing_seed(&self, fresh: [u8; 32]) -> Result<[u8; 32], StorageError> {
        let transaction = self.begin_write()?;
        let seed = {
            let mut settings = transaction.open_table(SETTINGS).map_err(database_error)?;
            let stored = settings
                .get(AUDIT_SIGNING_KEY)
                .map_err(database_error)?
                .map(|value| value.value().to_owned());
            match stored {
                Some(hex) => parse_seed(&hex)?,
                None => {
                    settings
                        .insert(AUDIT_SIGNING_KEY, ids::hex(&fresh).as_str())
                        .map_err(database_error)?;
                    fresh
                }
            }
        };
        transaction.commit().map_err(database_error)?;
        Ok(seed)
    }
}

fn parse_seed(hex: &str) -> Result<[u8; 32], StorageError> {
    ids::from_hex(hex)
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .ok_or_else(|| StorageError::CorruptRecord("the audit signing key is not 32 bytes of hex".into()))
}

#[cfg(test)]
mod tests {
    use enlace_shared::roles::Role;

    use super::super::AppendRequest;
    use super::*;

    fn receipt(hash: &str, actor: &str, user_id: &str) -> Receipt {
        Receipt {
            hash: hash.into(),
            actor: actor.into(),
            seq: 1,
            client_time_ms: 0,
            message: None,
            user_id: user_id.into(),
            user_name: user_id.into(),
            organisation_id: None,
            role: Role::Member,
            received_at_ms: 5,
            records: Vec::new(),
        }
    }

    #[test]
    fn the_records_of_one_workspace_come_with_the_bindings_their_receipts_name() {
        let directory = tempfile::tempdir().expect("tempdir");
        let storage = Storage::open(directory.path()).expect("open");
        let ours = DocumentId::from_bytes([1; 16]);
        let theirs = DocumentId::from_bytes([2; 16]);
        let record = WorkspaceRecord {
            id: None,
            name: "MCIG".into(),
            created_at_ms: 1,
        };
        storage
            .create_workspace_with(
                &record,
                &AppendRequest {
                    document_id: ours,
                    changes: vec![vec![1], vec![2]],
                    bindings: vec![(vec![0xaa], "ana".into()), (vec![0xbb], "system".into())],
                    receipts: vec![receipt("01", "aa", "ana"), receipt("02", "bb", "system")],
                    effects: Vec::new(),
                    refused: Vec::new(),
                },
            )
            .expect("create");
        storage
            .create_workspace_with(
                &record,
                &AppendRequest {
                    document_id: theirs,
                    changes: vec![vec![3]],
                    bindings: vec![(vec![0xcc], "luis".into())],
                    receipts: vec![receipt("03", "cc", "luis")],
                    effects: Vec::new(),
                    refused: Vec::new(),
                },
            )
            .expect("create");

        let records = storage.audit_records(&ours).expect("read").expect("exists");
        assert_eq!(records.workspace.name, "MCIG");
        assert_eq!(records.workspace.id, Some(ours));
        assert_eq!(records.document.changes, vec![vec![1], vec![2]]);
        let seqs: Vec<u64> = records.receipts.iter().map(|(seq, _)| *seq).collect();
        assert_eq!(seqs, vec![0, 1]);
        let bound: Vec<(&str, &str)> = records
            .bindings
            .iter()
            .map(|binding| (binding.actor.as_str(), binding.user_id.as_str()))
            .collect();
        assert_eq!(bound, vec![("aa", "ana"), ("bb", "system")]);
        assert!(
            records
                .bindings
                .iter()
                .all(|binding| binding.display_name.is_none())
        );
        assert!(
            storage
                .audit_records(&DocumentId::from_bytes([9; 16]))
                .expect("read")
                .is_none()
        );
    }

    #[test]
    fn the_signing_seed_is_made_once_and_kept() {
        let directory = tempfile::tempdir().expect("tempdir");
        let first = {
            let storage = Storage::open(directory.path()).expect("open");
            storage.audit_signing_seed([7; 32]).expect("seed")
        };
        assert_eq!(first, [7; 32]);
        let storage = Storage::open(directory.path()).expect("reopen");
        assert_eq!(storage.audit_signing_seed([8; 32]).expect("seed"), [7; 32]);
    }
}
