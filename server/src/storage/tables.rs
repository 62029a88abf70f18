//! Every redb table, typed, in one place.

use redb::TableDefinition;

/// Workspace id → JSON of [`super::WorkspaceRecord`].
pub const WORKSPACES: TableDefinition<'_, &[u8; 16], &str> = TableDefinition::new("workspaces");

/// (document id, sequence number) → one raw automerge change.
pub const CHANGES: TableDefinition<'_, (&[u8; 16], u64), &[u8]> = TableDefinition::new("changes");

/// Document id → compacted snapshot (`Automerge::save`).
pub const SNAPSHOTS: TableDefinition<'_, &[u8; 16], &[u8]> = TableDefinition::new("snapshots");

/// Document id → the first sequence number *not* contained in its snapshot.
pub const SNAPSHOT_NEXT_SEQ: TableDefinition<'_, &[u8; 16], u64> = TableDefinition::new("snapshot_next_seq");
