//! Checking an audit export with nothing but the file and, optionally, the
//! public key to trust. Pure: bytes in, a [`Summary`] or the first
//! [`VerifyError`] out.
//!
//! The checks, in order (the first failure is the answer):
//! 1. the file parses and is `enlace-audit/1`; if a key is given, the file
//!    names that key;
//! 2. every change decodes, the checksum in its header matches its
//!    contents, and its hash is recomputed from its bytes; no change twice;
//! 3. every dependency of every change is in the file, and the heads of the
//!    set (the changes nothing depends on) are exactly the signed heads;
//! 4. every receipt names a change of the file with that change's actor and
//!    seq, no change has two receipts or none, and each change's actor is
//!    bound to the person its receipt names;
//! 5. the signature verifies over the signed bytes.
//!
//! The structural checks run before the signature so that a tampered file
//! is named by what was done to it (a change removed, a binding changed);
//! any change to the signed part that they do not catch, the signature does.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use automerge::{Change, ChangeHash};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, VerifyingKey};
use enlace_shared::ids;

use super::{ActorBinding, AuditFile, ExportedWorkspace, FORMAT, SignedExport};
use crate::system::iso8601_utc;

/// Why a file is not an intact audit export.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("not an audit export: {0}")]
    Malformed(String),
    #[error("unknown format `{0}` (this enlace reads {FORMAT})")]
    UnknownFormat(String),
    #[error("`{0}` is not an ed25519 public key (64 hex digits)")]
    BadPublicKey(String),
    #[error("the signature is not 128 hex digits")]
    MalformedSignature,
    #[error("the file is signed by key {embedded}, not by the key given with --key ({given})")]
    OtherKey { given: String, embedded: String },
    #[error("change #{index} is not base64")]
    ChangeNotBase64 { index: usize },
    #[error("change #{index} is not an automerge change: {reason}")]
    UndecodableChange { index: usize, reason: String },
    #[error("change #{index} ({hash}) was altered: the checksum in its header does not match its bytes")]
    ChecksumMismatch { index: usize, hash: String },
    #[error("change {hash} appears twice")]
    DuplicateChange { hash: String },
    #[error(
        "change {change} depends on {dependency}, which is not in the file: a change was removed or altered"
    )]
    MissingDependency { change: String, dependency: String },
    #[error("the changes end in heads {computed:?}, but the signed heads are {signed:?}")]
    HeadsMismatch {
        computed: Vec<String>,
        signed: Vec<String>,
    },
    #[error("receipt {receipt_seq} names `{hash}`, which is not a change in the file")]
    ReceiptWithoutChange { receipt_seq: u64, hash: String },
    #[error("change {hash} has two receipts ({first} and {second})")]
    DuplicateReceipt { hash: String, first: u64, second: u64 },
    #[error(
        "receipt {receipt_seq} says change {hash} is actor {receipt_actor} seq {receipt_change_seq}, but the change is actor {actor} seq {seq}"
    )]
    ReceiptDisagrees {
        receipt_seq: u64,
        hash: String,
        receipt_actor: String,
        receipt_change_seq: u64,
        actor: String,
        seq: u64,
    },
    #[error("change {hash} has no receipt")]
    ChangeWithoutReceipt { hash: String },
    #[error("actor {actor} is bound twice")]
    DuplicateBinding { actor: String },
    #[error("actor {actor} of change {hash} is bound to no one")]
    UnboundActor { actor: String, hash: String },
    #[error(
        "change {hash}: its receipt names person {receipt_user}, but its actor {actor} is bound to {bound_user}"
    )]
    AttributionMismatch {
        hash: String,
        actor: String,
        receipt_user: String,
        bound_user: String,
    },
    #[error(
        "the signature by key {key} does not match the signed part: the file was changed after it was signed"
    )]
    BadSignature { key: String },
}

/// Which key the signature was checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyUsed {
    /// The key the verifier gave (`--key`): the file comes from its holder.
    Given,
    /// The key the file names: shows only that the file is intact relative
    /// to that key, which anyone could have made.
    Embedded,
}

/// One person in an intact export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub user_id: String,
    pub name: String,
    pub changes: usize,
}

/// What an intact export holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub workspace: ExportedWorkspace,
    pub exported_at_ms: i64,
    /// The key that signed (hex).
    pub public_key: String,
    pub key_used: KeyUsed,
    pub changes: usize,
    /// Everyone with a receipt, by name.
    pub people: Vec<Person>,
    /// The earliest and latest receipt time (the server's clock), if any.
    pub first_received_ms: Option<i64>,
    pub last_received_ms: Option<i64>,
    /// The signed heads (hex), sorted.
    pub heads: Vec<String>,
}

/// A public key as `enlace audit key` prints it (64 hex digits).
pub fn parse_public_key(text: &str) -> Result<VerifyingKey, VerifyError> {
    let bad = || VerifyError::BadPublicKey(text.to_owned());
    let bytes: [u8; 32] = ids::from_hex(text.trim())
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(bad)?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| bad())
}

/// Checks `file` (see the module's list); against `trusted_key` if given,
/// else against the key the file names.
pub fn verify(file: &[u8], trusted_key: Option<&VerifyingKey>) -> Result<Summary, VerifyError> {
    let outer: AuditFile<'_> =
        serde_json::from_slice(file).map_err(|error| VerifyError::Malformed(error.to_string()))?;
    if outer.format != FORMAT {
        return Err(VerifyError::UnknownFormat(outer.format.into_owned()));
    }
    let embedded = parse_public_key(&outer.public_key)?;
    if let Some(given) = trusted_key
        && given != &embedded
    {
        return Err(VerifyError::OtherKey {
            given: ids::hex(given.as_bytes()),
            embedded: ids::hex(embedded.as_bytes()),
        });
    }
    let signature: [u8; 64] = ids::from_hex(&outer.signature)
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or(VerifyError::MalformedSignature)?;
    let signed: SignedExport<'_> = serde_json::from_str(outer.signed.get())
        .map_err(|error| VerifyError::Malformed(error.to_string()))?;
    if signed.format != FORMAT {
        return Err(VerifyError::UnknownFormat(signed.format.into_owned()));
    }

    let changes = decode_changes(&signed)?;
    check_graph(&changes, &signed.heads)?;
    let people = check_attribution(&changes, &signed)?;

    let key = ids::hex(embedded.as_bytes());
    embedded
        .verify_strict(outer.signed.get().as_bytes(), &Signature::from_bytes(&signature))
        .map_err(|_| VerifyError::BadSignature { key: key.clone() })?;

    let times = signed.receipts.iter().map(|entry| entry.receipt.received_at_ms);
    let mut heads = signed.heads.clone();
    heads.sort_unstable();
    Ok(Summary {
        workspace: signed.workspace.clone(),
        exported_at_ms: signed.exported_at_ms,
        public_key: key,
        key_used: if trusted_key.is_some() {
            KeyUsed::Given
        } else {
            KeyUsed::Embedded
        },
        changes: changes.list.len(),
        people,
        first_received_ms: times.clone().min(),
        last_received_ms: times.max(),
        heads,
    })
}

/// A change as the checks need it.
struct DecodedChange {
    hash: ChangeHash,
    actor: String,
    seq: u64,
    deps: Vec<ChangeHash>,
}

/// The file's changes, and where each hash is in the list.
struct Changes {
    list: Vec<DecodedChange>,
    index: HashMap<ChangeHash, usize>,
}

/// Decodes every change, recomputing its hash from its bytes (automerge
/// hashes the chunk it parses) and checking the checksum in its header.
fn decode_changes(signed: &SignedExport<'_>) -> Result<Changes, VerifyError> {
    let mut changes = Changes {
        list: Vec::with_capacity(signed.changes.len()),
        index: HashMap::with_capacity(signed.changes.len()),
    };
    for (index, text) in signed.changes.iter().enumerate() {
        let bytes = BASE64
            .decode(text.as_bytes())
            .map_err(|_| VerifyError::ChangeNotBase64 { index })?;
        let change = Change::try_from(bytes.as_slice()).map_err(|error| VerifyError::UndecodableChange {
            index,
            reason: error.to_string(),
        })?;
        let hash = change.hash();
        // The chunk header: 4 magic bytes, then the first 4 bytes of the hash
        // of what follows. automerge does not check it when it parses one change.
        if bytes.get(4..8) != Some(&hash.0[..4]) {
            return Err(VerifyError::ChecksumMismatch {
                index,
                hash: hash.to_string(),
            });
        }
        if changes.index.insert(hash, index).is_some() {
            return Err(VerifyError::DuplicateChange {
                hash: hash.to_string(),
            });
        }
        changes.list.push(DecodedChange {
            hash,
            actor: change.actor_id().to_hex_string(),
            seq: change.seq(),
            deps: change.deps().to_vec(),
        });
    }
    Ok(changes)
}

/// Every dependency is present, and the changes nothing depends on are the
/// signed heads.
fn check_graph(changes: &Changes, signed_heads: &[String]) -> Result<(), VerifyError> {
    let mut depended_on: HashSet<ChangeHash> = HashSet::with_capacity(changes.list.len());
    for change in &changes.list {
        for dependency in &change.deps {
            if !changes.index.contains_key(dependency) {
                return Err(VerifyError::MissingDependency {
                    change: change.hash.to_string(),
                    dependency: dependency.to_string(),
                });
            }
            depended_on.insert(*dependency);
        }
    }
    let mut computed: Vec<String> = changes
        .list
        .iter()
        .filter(|change| !depended_on.contains(&change.hash))
        .map(|change| change.hash.to_string())
        .collect();
    computed.sort_unstable();
    let mut signed: Vec<String> = signed_heads.to_vec();
    signed.sort_unstable();
    if computed != signed {
        return Err(VerifyError::HeadsMismatch { computed, signed });
    }
    Ok(())
}

/// One receipt per change that agrees with it, and each change's actor
/// bound to its receipt's person; returns the people, by name.
fn check_attribution(changes: &Changes, signed: &SignedExport<'_>) -> Result<Vec<Person>, VerifyError> {
    let mut bindings: HashMap<&str, &ActorBinding> = HashMap::with_capacity(signed.bindings.len());
    for binding in &signed.bindings {
        if bindings.insert(binding.actor.as_str(), binding).is_some() {
            return Err(VerifyError::DuplicateBinding {
                actor: binding.actor.clone(),
            });
        }
    }
    let mut receipt_of: Vec<Option<u64>> = vec![None; changes.list.len()];
    let mut people: BTreeMap<&str, Person> = BTreeMap::new();
    for entry in &signed.receipts {
        let receipt = &entry.receipt;
        let not_in_file = || VerifyError::ReceiptWithoutChange {
            receipt_seq: entry.receipt_seq,
            hash: receipt.hash.clone(),
        };
        let hash: ChangeHash = receipt.hash.parse().map_err(|_| not_in_file())?;
        let index = *changes.index.get(&hash).ok_or_else(not_in_file)?;
        let change = &changes.list[index];
        if let Some(first) = receipt_of[index].replace(entry.receipt_seq) {
            return Err(VerifyError::DuplicateReceipt {
                hash: receipt.hash.clone(),
                first,
                second: entry.receipt_seq,
            });
        }
        if receipt.actor != change.actor || receipt.seq != change.seq {
            return Err(VerifyError::ReceiptDisagrees {
                receipt_seq: entry.receipt_seq,
                hash: receipt.hash.clone(),
                receipt_actor: receipt.actor.clone(),
                receipt_change_seq: receipt.seq,
                actor: change.actor.clone(),
                seq: change.seq,
            });
        }
        let binding = bindings
            .get(change.actor.as_str())
            .ok_or_else(|| VerifyError::UnboundActor {
                actor: change.actor.clone(),
                hash: receipt.hash.clone(),
            })?;
        if binding.user_id != receipt.user_id {
            return Err(VerifyError::AttributionMismatch {
                hash: receipt.hash.clone(),
                actor: change.actor.clone(),
                receipt_user: receipt.user_id.clone(),
                bound_user: binding.user_id.clone(),
            });
        }
        people
            .entry(receipt.user_id.as_str())
            .or_insert_with(|| Person {
                user_id: receipt.user_id.clone(),
                name: binding.user_name.clone(),
                changes: 0,
            })
            .changes += 1;
    }
    if let Some(index) = receipt_of.iter().position(Option::is_none) {
        return Err(VerifyError::ChangeWithoutReceipt {
            hash: changes.list[index].hash.to_string(),
        });
    }
    let mut people: Vec<Person> = people.into_values().collect();
    people.sort_by(|left, right| left.name.cmp(&right.name).then(left.user_id.cmp(&right.user_id)));
    Ok(people)
}

impl fmt::Display for Summary {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.key_used {
            KeyUsed::Given => writeln!(
                formatter,
                "signature: valid, by the key given with --key ({})",
                self.public_key
            )?,
            KeyUsed::Embedded => {
                writeln!(
                    formatter,
                    "signature: valid, by the key the file names ({})",
                    self.public_key
                )?;
                writeln!(
                    formatter,
                    "  without --key this shows only that the file is intact relative to that key;\n  compare it with the key the secretariat publishes (`enlace audit key`), or pass it with --key"
                )?;
            }
        }
        writeln!(
            formatter,
            "workspace: {} ({})",
            self.workspace.name, self.workspace.id
        )?;
        writeln!(formatter, "exported at: {}", iso8601_utc(self.exported_at_ms))?;
        writeln!(
            formatter,
            "changes: {} (each hash recomputed from its bytes, every dependency present, one receipt each, its person bound to its actor)",
            self.changes
        )?;
        writeln!(formatter, "people: {}", self.people.len())?;
        for person in &self.people {
            let noun = if person.changes == 1 { "change" } else { "changes" };
            writeln!(
                formatter,
                "  {} ({}): {} {noun}",
                person.name, person.user_id, person.changes
            )?;
        }
        let time = |ms: Option<i64>| ms.map_or_else(|| "-".to_owned(), iso8601_utc);
        writeln!(
            formatter,
            "first change received: {}",
            time(self.first_received_ms)
        )?;
        writeln!(formatter, "last change received: {}", time(self.last_received_ms))?;
        write!(formatter, "heads: {}", self.heads.join(" "))
    }
}

#[cfg(test)]
mod tests;
