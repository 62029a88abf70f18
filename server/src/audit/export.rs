//! The server's audit signing key, and writing a workspace's signed export.
//!
//! The key is an ed25519 key whose 32-byte seed comes from
//! [`random_bytes`] the first time anything needs it (an export, or `enlace
//! audit key`) and is kept in the data directory (the settings table). It
//! signs nothing but audit exports.

use std::borrow::Cow;

use automerge::Automerge;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signer as _, SigningKey};
use enlace_shared::api::SYSTEM_USER_ID;
use enlace_shared::{DocumentId, ids};
use serde_json::value::RawValue;

use super::{ActorBinding, AuditFile, ExportedReceipt, ExportedWorkspace, FORMAT, SignedExport};
use crate::storage::{Storage, StorageError, StoredDocument};
use crate::system::{NoRandomness, random_bytes};
use crate::workspaces::SYSTEM_NAME;

/// Why an export could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Random(#[from] NoRandomness),
    #[error("no workspace {0}")]
    NoSuchWorkspace(DocumentId),
    #[error("the stored document of workspace {0} does not load: {1}")]
    Document(DocumentId, Box<automerge::AutomergeError>),
    #[error("cannot write the export: {0}")]
    Encode(#[from] serde_json::Error),
}

/// The server's signing key, made and stored on first need.
pub fn signing_key(storage: &Storage) -> Result<SigningKey, ExportError> {
    let seed = storage.audit_signing_seed(random_bytes::<32>()?)?;
    Ok(SigningKey::from_bytes(&seed))
}

/// The public half of `key` as 64 hex digits: what `enlace audit key`
/// prints and `enlace audit verify --key` reads.
pub fn public_key_hex(key: &SigningKey) -> String {
    ids::hex(key.verifying_key().as_bytes())
}

/// The signed export of workspace `id` as the file's bytes. Changes,
/// receipts and bindings come from one read transaction, so the export of
/// a running server is consistent; loading the document and signing
/// cost seconds for a long history, so callers run this off async threads.
pub fn export_workspace(
    storage: &Storage,
    id: &DocumentId,
    key: &SigningKey,
    exported_at_ms: i64,
) -> Result<Vec<u8>, ExportError> {
    let records = storage
        .audit_records(id)?
        .ok_or(ExportError::NoSuchWorkspace(*id))?;
    let document = load(&records.document).map_err(|error| ExportError::Document(*id, Box::new(error)))?;
    let mut heads: Vec<String> = document.get_heads().iter().map(ToString::to_string).collect();
    heads.sort_unstable();
    let changes = document
        .get_changes(&[])
        .iter()
        .map(|change| Cow::Owned(BASE64.encode(change.raw_bytes())))
        .collect();
    let signed = SignedExport {
        format: FORMAT.into(),
        workspace: ExportedWorkspace {
            id: id.to_string(),
            name: records.workspace.name,
        },
        exported_at_ms,
        heads,
        changes,
        receipts: records
            .receipts
            .into_iter()
            .map(|(receipt_seq, receipt)| ExportedReceipt { receipt_seq, receipt })
            .collect(),
        bindings: records
            .bindings
            .into_iter()
            .map(|bound| ActorBinding {
                user_name: bound.display_name.unwrap_or_else(|| {
                    if bound.user_id == SYSTEM_USER_ID {
                        SYSTEM_NAME.to_owned()
                    } else {
                        bound.user_id.clone()
                    }
                }),
                actor: bound.actor,
                user_id: bound.user_id,
            })
            .collect(),
    };
    sign(&signed, key)
}

/// The file for `signed`: serialised once, and signed over exactly those bytes.
pub fn sign(signed: &SignedExport<'_>, key: &SigningKey) -> Result<Vec<u8>, ExportError> {
    let signed_json = serde_json::to_string(signed)?;
    let signature = key.sign(signed_json.as_bytes());
    let raw = RawValue::from_string(signed_json)?;
    let file = AuditFile {
        format: FORMAT.into(),
        public_key: public_key_hex(key).into(),
        signature: ids::hex(&signature.to_bytes()).into(),
        signed: &raw,
    };
    Ok(serde_json::to_vec(&file)?)
}

/// The document as stored: its snapshot, then the changes after it.
fn load(stored: &StoredDocument) -> Result<Automerge, automerge::AutomergeError> {
    let mut document = match &stored.snapshot {
        Some(snapshot) => Automerge::load(snapshot)?,
        None => Automerge::new(),
    };
    document.load_incremental(&stored.changes.concat())?;
    Ok(document)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::verify::{KeyUsed, verify};
    use crate::workspaces::create_workspace;

    #[test]
    fn a_stored_workspace_exports_to_a_file_that_verifies_before_and_after_compaction() {
        let directory = tempfile::tempdir().expect("tempdir");
        let storage = Storage::open(directory.path()).expect("open");
        let id = create_workspace(&storage, "MCIG", 1_700_000_000_000, true).expect("create");
        let key = signing_key(&storage).expect("key");
        assert_eq!(
            public_key_hex(&signing_key(&storage).expect("key")),
            public_key_hex(&key),
            "the key is made once"
        );

        let file = export_workspace(&storage, &id, &key, 1_700_000_100_000).expect("export");
        let summary = verify(&file, Some(&key.verifying_key())).expect("verifies");
        assert_eq!(summary.key_used, KeyUsed::Given);
        assert_eq!(summary.workspace.name, "MCIG");
        assert_eq!(summary.workspace.id, id.to_string());
        let stored = storage.load_document(&id).expect("load");
        assert_eq!(summary.changes, stored.changes.len());
        assert!(summary.changes > 1, "the demo has a history");
        let people: Vec<&str> = summary.people.iter().map(|person| person.name.as_str()).collect();
        assert_eq!(people, vec![SYSTEM_NAME]);

        // A compacted document exports the same history: automerge rebuilds
        // each change from the snapshot with the bytes its hash was made of.
        let document = load(&stored).expect("loads");
        storage
            .compact(&id, &document.save(), stored.next_seq)
            .expect("compact");
        assert!(storage.load_document(&id).expect("load").changes.is_empty());
        let compacted = export_workspace(&storage, &id, &key, 1_700_000_100_000).expect("export");
        let after = verify(&compacted, Some(&key.verifying_key())).expect("verifies");
        assert_eq!((after.changes, &after.heads), (summary.changes, &summary.heads));
    }

    #[test]
    fn no_workspace_no_export() {
        let directory = tempfile::tempdir().expect("tempdir");
        let storage = Storage::open(directory.path()).expect("open");
        let key = signing_key(&storage).expect("key");
        let missing = DocumentId::from_bytes([3; 16]);
        assert!(matches!(
            export_workspace(&storage, &missing, &key, 0),
            Err(ExportError::NoSuchWorkspace(id)) if id == missing
        ));
    }
}
