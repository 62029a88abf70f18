//! The audit export at scale: a synthetic workspace with many small changes
//! by a few people (each with a receipt and a bound actor, compacted as a
//! hub would), exported with the server's own function, then verified the
//! way `enlace audit verify` does. Reports times and the file's size;
//! asserts none.

use std::time::{Duration, Instant};

use automerge::transaction::{CommitOptions, Transactable as _};
use automerge::{ActorId, Automerge, ROOT};
use enlace_server::audit::{export, verify};
use enlace_server::storage::{AppendRequest, Storage, UserRecord, WorkspaceRecord};
use enlace_shared::DocumentId;
use enlace_shared::api::Receipt;
use enlace_shared::roles::Role;

/// What one run measured.
#[derive(Debug, Clone)]
pub struct AuditFigures {
    pub changes: usize,
    pub people: usize,
    /// Building the synthetic history and storing it (not part of the figure).
    pub prepare: Duration,
    /// `export_workspace`: reading, loading the document, encoding, signing.
    pub export: Duration,
    pub file_bytes: usize,
    /// Each verify run, in order.
    pub verify_runs: Vec<Duration>,
}

/// Stores a workspace of `changes` small changes, round-robin among
/// `people` people, each change with its receipt and each actor bound.
/// Returns the workspace's id.
pub fn prepare_workspace(storage: &Storage, changes: usize, people: usize) -> anyhow::Result<DocumentId> {
    let document_id = DocumentId::from_bytes([7; 16]);
    let actors: Vec<ActorId> = (0..people)
        .map(|person| ActorId::from(format!("person-{person:04}").into_bytes()))
        .collect();
    let mut document = Automerge::new();
    for index in 0..changes {
        document.set_actor(actors[index % people].clone());
        let mut transaction = document.transaction();
        transaction.put(ROOT, format!("field-{}", index % 100), index as i64)?;
        transaction.commit_with(
            CommitOptions::default()
                .with_message(format!("edit {index}"))
                .with_time(1_700_000_000_000 + index as i64),
        );
    }
    let history = document.get_changes(&[]);
    let receipts = history
        .iter()
        .enumerate()
        .map(|(index, change)| {
            let person = index % people;
            Receipt {
                hash: change.hash().to_string(),
                actor: change.actor_id().to_hex_string(),
                seq: change.seq(),
                client_time_ms: change.timestamp(),
                message: change.message().map(str::to_owned),
                user_id: format!("user-{person}"),
                user_name: format!("Person {person}"),
                organisation_id: None,
                role: Role::Member,
                received_at_ms: 1_700_000_000_000 + index as i64,
                records: Vec::new(),
            }
        })
        .collect();
    for person in 0..people {
        storage.create_user(&UserRecord {
            id: format!("user-{person}"),
            email: format!("person{person}@bench.test"),
            display_name: format!("Person {person}"),
            organisation_id: None,
            roles: Default::default(),
            disabled: false,
            password_hash: None,
            created_at_ms: 0,
        })?;
    }
    let record = WorkspaceRecord {
        id: None,
        name: "Audit benchmark".into(),
        created_at_ms: 0,
    };
    storage.create_workspace_with(
        &record,
        &AppendRequest {
            document_id,
            changes: history.iter().map(|change| change.raw_bytes().to_vec()).collect(),
            bindings: actors
                .iter()
                .enumerate()
                .map(|(person, actor)| (actor.to_bytes().to_vec(), format!("user-{person}")))
                .collect(),
            receipts,
            effects: Vec::new(),
            refused: Vec::new(),
        },
    )?;
    // A hub compacts every 1,000 changes, so a long history is a snapshot.
    storage.compact(&document_id, &document.save(), changes as u64)?;
    Ok(document_id)
}

/// Prepares a workspace in a temporary data directory, exports it once and
/// verifies the file `verify_runs` times.
pub fn run(changes: usize, people: usize, verify_runs: usize) -> anyhow::Result<AuditFigures> {
    let directory = tempfile::tempdir()?;
    let storage = Storage::open(directory.path())?;
    let started = Instant::now();
    let id = prepare_workspace(&storage, changes, people)?;
    let prepare = started.elapsed();

    let key = export::signing_key(&storage)?;
    let started = Instant::now();
    let file = export::export_workspace(&storage, &id, &key, 1_800_000_000_000)?;
    let export = started.elapsed();

    let mut runs = Vec::with_capacity(verify_runs);
    for _ in 0..verify_runs {
        let started = Instant::now();
        let summary = verify::verify(&file, Some(&key.verifying_key()))?;
        runs.push(started.elapsed());
        anyhow::ensure!(
            summary.changes == changes && summary.people.len() == people,
            "the export verified with {} changes by {} people",
            summary.changes,
            summary.people.len()
        );
    }
    Ok(AuditFigures {
        changes,
        people,
        prepare,
        export,
        file_bytes: file.len(),
        verify_runs: runs,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_small_run_exports_and_verifies() {
        let figures = super::run(50, 3, 1).expect("runs");
        assert_eq!((figures.changes, figures.verify_runs.len()), (50, 1));
        assert!(figures.file_bytes > 0);
    }
}
