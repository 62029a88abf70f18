//! The signed audit export: one JSON file holding every change of a
//! workspace as automerge stores it, every receipt and every actor binding,
//! signed with the server's own ed25519 key, which anyone can check with
//! `enlace audit verify` and no server or account.
//!
//! - [`export`]: the server's signing key (made on first need, kept in the
//!   data directory) and writing a workspace's export.
//! - [`verify`]: checking a file: signature, change hashes and
//!   dependencies up to the signed heads, one receipt per change, each
//!   receipt's person bound to its change's actor; and the summary.
//!
//! The file (`docs/protocol.md` has the field table):
//!
//! ```text
//! {"format": "enlace-audit/1", "public_key": <hex>, "signature": <hex>,
//!  "signed": {"format": "enlace-audit/1", "workspace": {...}, "exported_at_ms": ...,
//!             "heads": [...], "changes": [<base64>...], "receipts": [...], "bindings": [...]}}
//! ```
//!
//! The signature covers the bytes of `signed` exactly as they stand in the
//! file (it is read as a [`RawValue`], never re-serialised), so what a
//! verifier checks is what the server wrote.

pub mod export;
pub mod verify;

use std::borrow::Cow;

use enlace_shared::api::Receipt;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// The format tag of the file and of its signed part.
pub const FORMAT: &str = "enlace-audit/1";

/// The whole file: the signed part as written, and who signed it.
#[derive(Debug, Serialize, Deserialize)]
pub struct AuditFile<'a> {
    pub format: Cow<'a, str>,
    /// The ed25519 public key that signed, as 64 hex digits (what `enlace
    /// audit key` prints).
    pub public_key: Cow<'a, str>,
    /// The ed25519 signature of the bytes of `signed`, as 128 hex digits.
    pub signature: Cow<'a, str>,
    #[serde(borrow)]
    pub signed: &'a RawValue,
}

/// What the signature covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignedExport<'a> {
    pub format: Cow<'a, str>,
    pub workspace: ExportedWorkspace,
    /// When the server wrote the export (its clock, ms since the epoch).
    pub exported_at_ms: i64,
    /// The heads of the document as exported (change hashes, hex), sorted.
    pub heads: Vec<String>,
    /// Every change, base64 of automerge's bytes for it, in causal order
    /// (`Automerge::get_changes(&[])`).
    #[serde(borrow)]
    pub changes: Vec<Cow<'a, str>>,
    /// Every receipt of the workspace, oldest first.
    pub receipts: Vec<ExportedReceipt>,
    /// Every actor the receipts name and the person it is bound to.
    pub bindings: Vec<ActorBinding>,
}

/// The workspace an export is of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedWorkspace {
    /// The document id (bs58check, as in `automerge:` URLs).
    pub id: String,
    pub name: String,
}

/// A receipt as stored, with its sequence number in the workspace's trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedReceipt {
    pub receipt_seq: u64,
    pub receipt: Receipt,
}

/// An actor id (hex) and the person the server bound it to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActorBinding {
    pub actor: String,
    pub user_id: String,
    /// The person's display name when exported (for the summary).
    pub user_name: String,
}
