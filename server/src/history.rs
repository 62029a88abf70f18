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
