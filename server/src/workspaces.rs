//! Creating a workspace: a fresh document with its root collections (and,
//! on request, the demo roundtable), stored with its first changes in one
//! transaction. The server alone creates the root, so no two writers ever
//! make competing collection maps.
//!
//! The actor that makes those first changes is bound, in the same
//! transaction, to the system principal ([`SYSTEM_USER_ID`]), which no
//! account can be: a client that reuses it is refused as a foreign actor, and
//! the seeded records are "added by" the system, never by whoever came first.

use automerge::Automerge;
use enlace_shared::api::SYSTEM_USER_ID;
use enlace_shared::history as timeline;
use enlace_shared::model::{self, ModelError};
use enlace_shared::policy;
use enlace_shared::roles::Role;
use enlace_shared::{DocumentId, demo, ids};

use crate::hub::{OpenError, Principal, load_document, receipt, touched_records};
use crate::storage::{AppendRequest, Storage, StorageError, WorkspaceRecord};
use crate::system::{NoRandomness, random_bytes};

/// The name the system principal's receipts carry.
pub const SYSTEM_NAME: &str = "Enlace";

/// Why a workspace could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Random(#[from] NoRandomness),
    #[error("cannot build the workspace document: {0}")]
    Document(Box<ModelError>),
    #[error("cannot seed the demo roundtable: {0}")]
    Demo(Box<ModelError>),
}

/// Creates and stores a workspace named `name`; with `demo`, filled with the
/// demo roundtable. Returns its fresh random id.
pub fn create_workspace(
    storage: &Storage,
    name: &str,
    now_ms: i64,
    demo: bool,
) -> Result<DocumentId, CreateError> {
    let document_id = DocumentId::from_bytes(random_bytes()?);
    let mut document = Automerge::new();
    model::create_workspace(&mut document, name, now_ms)
        .map_err(|error| CreateError::Document(Box::new(error)))?;
    if demo {
        seed_demo(&mut document, now_ms)?;
    }
    store(storage, document_id, name, now_ms, &document)?;
    Ok(document_id)
}

/// The system principal, who makes the server's own changes.
fn system_principal() -> Principal {
    Principal {
        user_id: SYSTEM_USER_ID.to_owned(),
        display_name: SYSTEM_NAME.to_owned(),
        organisation_id: None,
        role: Role::Secretariat,
    }
}

/// Stores `document`, which the server itself made, as the new workspace
/// `document_id`: each change of its history separately, every actor in it
/// bound to the system principal, and a system receipt per change (with the
/// records it touched) and its timeline entry, in one transaction.
pub fn store(
    storage: &Storage,
    document_id: DocumentId,
    name: &str,
    created_at_ms: i64,
    document: &Automerge,
) -> Result<(), StorageError> {
    let history = document.get_changes(&[]);
    let system = system_principal();
    let mut bindings: Vec<(Vec<u8>, String)> = Vec::new();
    for change in &history {
        let actor = change.actor_id().to_bytes();
        if !bindings.iter().any(|(bound, _)| bound.as_slice() == actor) {
            bindings.push((actor.to_vec(), SYSTEM_USER_ID.to_owned()));
        }
    }
    let mut heads = Vec::new();
    let (receipts, effects) = history
        .iter()
        .map(|change| {
            let edits = policy::edits_in_change(document, change, &|_| true);
            let touched = touched_records(&edits);
            timeline::advance_heads(&mut heads, change);
            let effects = timeline::effects_at(document, change, &touched, &heads);
            (receipt(change, &system, created_at_ms, touched), effects)
        })
        .unzip();
    let initial = AppendRequest {
        document_id,
        changes: history.iter().map(|change| change.raw_bytes().to_vec()).collect(),
        bindings,
        receipts,
        effects,
        refused: Vec::new(),
    };
    let record = WorkspaceRecord {
        id: None,
        name: name.to_owned(),
        created_at_ms,
    };
    storage.create_workspace_with(&record, &initial)
}

/// Adds to every stored workspace the collection maps its root lacks (a
/// workspace created before those collections existed), as one change by
/// a fresh actor bound to the system principal, with its receipt and
/// timeline entry, and sets `meta.schema_version`. Nobody else may create
/// a collection map (the policy refuses it), so this runs at start, before
/// any hub has the document. Returns how many workspaces were upgraded.
pub fn add_missing_collections(storage: &Storage, now_ms: i64) -> Result<usize, UpgradeError> {
    let mut upgraded = 0;
    for workspace in storage.workspaces()? {
        let Some(document_id) = workspace.id else {
            continue;
        };
        let Some(loaded) = load_document(storage, document_id)? else {
            continue;
        };
        let mut document = loaded.document;
        let missing = model::missing_collections(&document);
        if missing.is_empty() {
            continue;
        }
        let actor = automerge::ActorId::from(random_bytes::<16>()?.to_vec());
        document.set_actor(actor.clone());
        // Receipt times never go backwards within a workspace.
        let received_at_ms = now_ms.max(loaded.last_received_at_ms);
        model::add_collections(&mut document, &missing, received_at_ms)
            .map_err(|error| UpgradeError::Document(Box::new(error)))?;
        let change = document
            .get_last_local_change()
            .ok_or_else(|| UpgradeError::Document(Box::new(ModelError::MissingCollection("meta"))))?;
        let edits = policy::edits_in_change(&document, &change, &|_| true);
        let touched = touched_records(&edits);
        let heads = document.get_heads();
        let effects = timeline::effects_at(&document, &change, &touched, &heads);
        storage.append_changes(&[AppendRequest {
            document_id,
            changes: vec![change.raw_bytes().to_vec()],
            bindings: vec![(actor.to_bytes().to_vec(), SYSTEM_USER_ID.to_owned())],
            receipts: vec![receipt(&change, &system_principal(), received_at_ms, touched)],
            effects: vec![effects],
            refused: Vec::new(),
        }])?;
        tracing::info!(workspace = %document_id.url(), collections = ?missing, "added the collections the workspace lacked");
        upgraded += 1;
    }
    Ok(upgraded)
}

/// Why the stored workspaces could not be brought up to the schema.
#[derive(Debug, thiserror::Error)]
pub enum UpgradeError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error(transparent)]
    Random(#[from] NoRandomness),
    #[error("cannot add the missing collections: {0}")]
    Document(Box<ModelError>),
}

/// Fills `document` with the demo roundtable, each record under a fresh random id.
fn seed_demo(document: &mut Automerge, now_ms: i64) -> Result<(), CreateError> {
    // `demo::seed` takes an infallible id source (shared does no IO), so a
    // failure of the generator is kept here and reported after seeding.
    let mut no_randomness = None;
    let mut new_id = || match random_bytes::<16>() {
        Ok(bytes) => ids::record_id(bytes),
        Err(error) => {
            no_randomness = Some(error);
            String::new()
        }
    };
    let seeded = demo::seed(document, now_ms, &mut new_id);
    if let Some(error) = no_randomness {
        return Err(error.into());
    }
    seeded.map_err(|error| CreateError::Demo(Box::new(error)))
}

#[cfg(test)]
mod tests {
    use enlace_shared::records;
    use enlace_shared::schema::Collection;

    use super::*;

    fn load(storage: &Storage, id: &DocumentId) -> Automerge {
        let stored = storage.load_document(id).expect("load");
        let mut document = Automerge::new();
        document
            .load_incremental(&stored.changes.concat())
            .expect("changes apply");
        document
    }

    #[test]
    fn a_new_workspace_is_stored_with_its_name_and_collections() {
        let directory = tempfile::tempdir().expect("tempdir");
        let storage = Storage::open(directory.path()).expect("open");
        let id = create_workspace(&storage, "MCIG", 7, false).expect("create");
        let listed = storage.workspaces().expect("list");
        assert_eq!(listed.len(), 1);
        assert_eq!((listed[0].id, listed[0].name.as_str()), (Some(id), "MCIG"));
        let document = load(&storage, &id);
        assert_eq!(model::workspace_name(&document).as_deref(), Some("MCIG"));
        assert!(
            records::read_all(&document, Collection::Organisations)
                .expect("organisations")
                .is_empty()
        );
    }

    #[test]
    fn the_demo_workspace_holds_the_roundtable() {
        let directory = tempfile::tempdir().expect("tempdir");
        let storage = Storage::open(directory.path()).expect("open");
        let id = create_workspace(&storage, "MCIG", 7, true).expect("create");
        let document = load(&storage, &id);
        let organisations = records::read_all(&document, Collection::Organisations).expect("organisations");
        let secretariat = records::technical_secretariat(&document).expect("a technical secretariat");
        let holder = organisations
            .iter()
            .find(|organisation| organisation.id == secretariat)
            .expect("the secretariat is a listed organisation");
        assert_eq!(holder.text("name"), "ONU Mujeres");
        let mut ids: Vec<&str> = organisations
            .iter()
            .map(|organisation| organisation.id.as_str())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), organisations.len(), "fresh random ids");
        assert!(ids.iter().all(|id| id.len() == 32));
    }

    #[test]
    fn the_first_changes_are_the_system_principals() {
        let directory = tempfile::tempdir().expect("tempdir");
        let storage = Storage::open(directory.path()).expect("open");
        let id = create_workspace(&storage, "MCIG", 7, true).expect("create");
        let document = load(&storage, &id);
        let history = document.get_changes(&[]);
        for change in &history {
            assert_eq!(
                storage
                    .actor_owner(change.actor_id().to_bytes())
                    .expect("read")
                    .as_deref(),
                Some(SYSTEM_USER_ID)
            );
        }
        let receipts = storage.receipts(&id, None, usize::MAX).expect("receipts");
        assert_eq!(receipts.len(), history.len());
        assert!(
            receipts
                .iter()
                .all(|(_, receipt)| receipt.user_id == SYSTEM_USER_ID)
        );
        let organisation =
            &records::read_all(&document, Collection::Organisations).expect("organisations")[0];
        let authorship = storage
            .record_authorship(&id, "organisations", &organisation.id)
            .expect("authorship");
        let created = authorship.created.expect("seeded records have a creator");
        assert_eq!(
            (created.user_id.as_str(), created.user_name.as_str()),
            (SYSTEM_USER_ID, SYSTEM_NAME)
        );
        assert_eq!(created.at_ms, 7);
    }

    #[test]
    fn no_account_can_have_the_system_principals_id() {
        // Account ids are 32 hex digits from random bytes; the system id is not hex.
        let account_id = crate::auth::new_user_id().expect("randomness");
        assert!(account_id.len() == 32 && account_id.bytes().all(|byte| byte.is_ascii_hexdigit()));
        assert!(!SYSTEM_USER_ID.bytes().all(|byte| byte.is_ascii_hexdigit()));
    }

    /// A workspace as schema 1 made it: `meta` and the first seven collections.
    fn schema_one_workspace() -> Automerge {
        use automerge::transaction::Transactable as _;
        let mut document = Automerge::new();
        let mut transaction = document.transaction();
        let meta = transaction
            .put_object(automerge::ROOT, "meta", automerge::ObjType::Map)
            .expect("meta");
        transaction.put(&meta, "name", "MCIG").expect("name");
        transaction.put(&meta, "schema_version", 1_u64).expect("version");
        for key in [
            "organisations",
            "contacts",
            "presidency_terms",
            "workplan_lines",
            "alliances",
            "collaborations",
            "activities",
        ] {
            transaction
                .put_object(automerge::ROOT, key, automerge::ObjType::Map)
                .expect("collection");
        }
        transaction.commit();
        document
    }

    #[test]
    fn an_older_workspace_gets_the_collections_it_lacks_once_by_the_system() {
        let directory = tempfile::tempdir().expect("tempdir");
        let storage = Storage::open(directory.path()).expect("open");
        let id = DocumentId::from_bytes([7; 16]);
        store(&storage, id, "MCIG", 5, &schema_one_workspace()).expect("store");
        assert_eq!(
            model::missing_collections(&load(&storage, &id)),
            [
                Collection::WorkingGroups,
                Collection::Meetings,
                Collection::ActionItems,
                Collection::Reports,
                Collection::MapViews
            ]
        );
        // A newer workspace needs nothing.
        create_workspace(&storage, "Otra", 6, false).expect("create");

        assert_eq!(add_missing_collections(&storage, 10).expect("upgrade"), 1);
        let document = load(&storage, &id);
        assert!(model::missing_collections(&document).is_empty());
        for collection in Collection::ALL {
            records::read_all(&document, collection).expect("every collection reads");
        }
        let (_, meta) = automerge::ReadDoc::get(&document, automerge::ROOT, "meta")
            .expect("read")
            .expect("meta");
        assert_eq!(
            automerge::ReadDoc::get(&document, &meta, "schema_version")
                .expect("read")
                .map(|(value, _)| value.as_u64()),
            Some(Some(model::SCHEMA_VERSION))
        );
        let receipts = storage.receipts(&id, None, usize::MAX).expect("receipts");
        let last = &receipts.iter().max_by_key(|(seq, _)| *seq).expect("a receipt").1;
        assert_eq!(last.user_id, SYSTEM_USER_ID);
        assert_eq!(last.received_at_ms, 10);
        let newest = document.get_changes(&[]).last().cloned().expect("a change");
        assert_eq!(
            storage
                .actor_owner(newest.actor_id().to_bytes())
                .expect("read")
                .as_deref(),
            Some(SYSTEM_USER_ID)
        );
        assert!(
            newest
                .message()
                .is_some_and(|message| message.starts_with("add collections working_groups")),
            "{:?}",
            newest.message()
        );

        // Run again: nothing more to do, nothing written.
        assert_eq!(add_missing_collections(&storage, 11).expect("again"), 0);
        assert_eq!(
            storage.receipts(&id, None, usize::MAX).expect("receipts").len(),
            receipts.len()
        );
    }
}
