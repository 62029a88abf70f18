//! Rebuilding a workspace's timeline from what storage holds: every
//! accepted change, in receipt order, through the same computation the hub
//! runs when it commits (`enlace_shared::history`). Used at start for data
//! directories whose receipts have no timeline entries yet, and by the
//! tests that check the stored indexes against a full replay.

use std::collections::HashMap;

use automerge::{Change, ChangeHash};
use enlace_shared::DocumentId;
use enlace_shared::history::{self as timeline, Effects};
use enlace_shared::policy;

use crate::hub::{OpenError, load_document, touched_records};
use crate::storage::{Storage, StorageError};

/// Why a timeline could not be rebuilt.
#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Open(#[from] OpenError),
}

/// Recomputes every timeline entry of `document_id` from its stored
/// changes and receipts and replaces the stored timeline with them.
/// Receipts written before they named the records a change touched have
/// them placed again from the change. A receipt whose change the document
/// lacks gets no entry. Returns how many entries were written.
pub fn rebuild(storage: &Storage, document_id: DocumentId) -> Result<usize, RebuildError> {
    let entries = replay(storage, document_id)?;
    storage.replace_history(&document_id, &entries)?;
    Ok(entries.len())
}

/// The timeline entries a full replay of the stored document gives, by
/// receipt sequence number.
pub fn replay(storage: &Storage, document_id: DocumentId) -> Result<Vec<(u64, Effects)>, RebuildError> {
    let Some(loaded) = load_document(storage, document_id)? else {
        return Ok(Vec::new());
    };
    let document = loaded.document;
    let changes: HashMap<ChangeHash, Change> = document
        .get_changes(&[])
        .into_iter()
        .map(|change| (change.hash(), change))
        .collect();
    let mut heads = Vec::new();
    let mut entries = Vec::new();
    for (seq, receipt) in storage.all_receipts(&document_id)? {
        let Some(change) = receipt
            .hash
            .parse::<ChangeHash>()
            .ok()
            .and_then(|hash| changes.get(&hash))
        else {
            tracing::warn!(document = %document_id, seq, hash = %receipt.hash, "a receipt without its change; no timeline entry");
            continue;
        };
        let touched = if receipt.records.is_empty() {
            touched_records(&policy::edits_in_change(&document, change, &|_| true))
        } else {
            receipt.records
        };
        timeline::advance_heads(&mut heads, change);
        entries.push((seq, timeline::effects_at(&document, change, &touched, &heads)));
    }
    Ok(entries)
}

/// Rebuilds the timeline of every workspace whose receipts lack entries
/// (a data directory from before the timeline); the others are untouched.
pub fn rebuild_incomplete(storage: &Storage) -> Result<(), RebuildError> {
    for workspace in storage.workspaces()? {
        let Some(document_id) = workspace.id else {
            continue;
        };
        if storage.history_incomplete(&document_id)? {
            let started = std::time::Instant::now();
            let written = rebuild(storage, document_id)?;
            tracing::info!(document = %document_id, entries = written, elapsed_ms = started.elapsed().as_millis() as u64, "rebuilt the timeline");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use automerge::{ActorId, Automerge};
    use enlace_shared::api::{EntryKind, HistoryQuery, HistoryValue};
    use enlace_shared::model::{self, Authorship};
    use enlace_shared::records::{self, Initial};
    use enlace_shared::roles::Role;
    use enlace_shared::schema::Collection;

    use super::*;
    use crate::hub::{Principal, receipt};
    use crate::storage::{AppendRequest, WorkspaceRecord};

    fn by(now_ms: i64) -> Authorship<'static> {
        Authorship {
            now_ms,
            author: "test",
        }
    }

    /// A data directory written before the timeline existed: receipts that
    /// name no records and no timeline entries. Opening it rebuilds the
    /// timeline, which then answers like one written at commit.
    #[test]
    fn a_data_directory_from_before_the_timeline_gets_it_rebuilt() {
        let directory = tempfile::tempdir().expect("tempdir");
        let storage = Storage::open(directory.path()).expect("open");
        let mut document = Automerge::new().with_actor(ActorId::from([1u8; 16]));
        model::create_workspace(&mut document, "MCIG", 1).expect("workspace");
        records::create_record(
            &mut document,
            Collection::Organisations,
            "org-1",
            &[
                ("name", Initial::Text("AECID".into())),
                ("kind", Initial::Text("agency".into())),
            ],
            &by(2),
        )
        .expect("create");
        let mut ana = document.fork().with_actor(ActorId::from([2u8; 16]));
        records::set_text(
            &mut ana,
            Collection::Organisations,
            "org-1",
            "name",
            "GIZ",
            &by(3),
        )
        .expect("edit");
        document.merge(&mut ana).expect("merge");

        let ana_principal = Principal {
            user_id: "ana".into(),
            display_name: "Ana".into(),
            organisation_id: Some("org-1".into()),
            role: Role::Member,
        };
        let system = Principal {
            user_id: enlace_shared::api::SYSTEM_USER_ID.into(),
            ..ana_principal.clone()
        };
        let changes = document.get_changes(&[]);
        let receipts = changes
            .iter()
            .enumerate()
            .map(|(index, change)| {
                let who = if change.actor_id() == &ActorId::from([2u8; 16]) {
                    &ana_principal
                } else {
                    &system
                };
                // Old receipts named no records.
                receipt(change, who, 100 + index as i64, Vec::new())
            })
            .collect::<Vec<_>>();
        let record = WorkspaceRecord {
            id: None,
            name: "MCIG".into(),
            created_at_ms: 1,
        };
        let document_id = enlace_shared::DocumentId::from_bytes([7; 16]);
        storage
            .create_workspace_with(
                &record,
                &AppendRequest {
                    document_id,
                    changes: changes.iter().map(|change| change.raw_bytes().to_vec()).collect(),
                    bindings: vec![
                        (vec![1u8; 16], system.user_id),
                        (vec![2u8; 16], "ana".into()),
                    ],
                    receipts,
                    effects: Vec::new(),
                    refused: Vec::new(),
                },
            )
            .expect("store");
        assert!(storage.history_incomplete(&document_id).expect("read"));
        assert!(
            storage
                .history_page(&document_id, &HistoryQuery::default(), 50)
                .expect("page")
                .entries
                .is_empty()
        );

        rebuild_incomplete(&storage).expect("rebuild");

        assert!(!storage.history_incomplete(&document_id).expect("read"));
        let page = storage
            .history_page(&document_id, &HistoryQuery::default(), 50)
            .expect("page");
        assert_eq!(page.entries.len(), changes.len());
        let newest = &page.entries[0];
        assert_eq!(newest.receipt.user_id, "ana");
        assert_eq!(newest.records.len(), 1);
        let edit = &newest.records[0];
        assert_eq!((edit.record_id.as_str(), edit.kind), ("org-1", EntryKind::Edited));
        assert_eq!(edit.fields.len(), 1);
        assert_eq!(edit.fields[0].field, "name");
        let text = |value: &Option<HistoryValue>| match value {
            Some(HistoryValue::Text { text, .. }) => text.clone(),
            other => panic!("a text, not {other:?}"),
        };
        assert_eq!(
            (text(&edit.fields[0].before), text(&edit.fields[0].after)),
            ("AECID".into(), "GIZ".into())
        );
        assert_eq!(newest.heads_after, vec![document.get_heads()[0].to_string()]);
        assert!(
            page.entries[1]
                .records
                .iter()
                .any(|change| change.record_id == "org-1" && change.kind == EntryKind::Created)
        );
        // Asked by record, the rebuilt index answers too.
        let by_record = storage
            .history_page(
                &document_id,
                &HistoryQuery {
                    collection: Some("organisations".into()),
                    record: Some("org-1".into()),
                    ..HistoryQuery::default()
                },
                50,
            )
            .expect("page");
        assert_eq!(by_record.entries.len(), 2);
    }
}
