//! Creating a workspace: a fresh document with its root collections (and,
//! on request, the demo roundtable), stored with its first changes in one
//! transaction. The server alone creates the root, so no two writers ever
//! make competing collection maps.

use automerge::Automerge;
use enlace_shared::model::{self, ModelError};
use enlace_shared::{DocumentId, demo, ids};

use crate::storage::{Storage, StorageError, WorkspaceRecord};
use crate::system::{NoRandomness, random_bytes};

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

/// Stores `document` as the new workspace `document_id`, each change of
/// its history separately, in one transaction.
pub fn store(
    storage: &Storage,
    document_id: DocumentId,
    name: &str,
    created_at_ms: i64,
    document: &Automerge,
) -> Result<(), StorageError> {
    let changes: Vec<Vec<u8>> = document
        .get_changes(&[])
        .iter()
        .map(|change| change.raw_bytes().to_vec())
        .collect();
    let record = WorkspaceRecord {
        id: None,
        name: name.to_owned(),
        created_at_ms,
    };
    storage.create_workspace(document_id, &record, &changes)
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
}
