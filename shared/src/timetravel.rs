//! Time travel over a workspace's history, with no IO: word-level diffs of
//! long texts, the timeline's grouping of quick successive edits, the
//! comparison of two moments, and the restores and reverts that put earlier
//! values back.
//!
//! Restores and reverts never rewrite history: each is one new change by
//! the person restoring, whose message starts with `restore ` (the server
//! files such changes under the timeline kind `restored`). Earlier values
//! are read from the document itself at earlier heads ([`At`]), typed and
//! whole, never from the timeline's (possibly cut) [`HistoryValue`]s, and
//! written back with the same care as an edit ([`records`]): long text by
//! splices, lists item by item, items by id, so that whatever someone
//! else types meanwhile survives.

use std::collections::{BTreeMap, HashMap};

use automerge::{Automerge, AutomergeError, ChangeHash};

use crate::api::{EntryKind, FieldChange, HistoryEntry, HistoryValue, RecordChange};
use crate::history::history_value;
use crate::model::{At, Authorship, DocRead, ModelError};
use crate::records::{self, FieldValue, Record};
use crate::schema::{Collection, FieldSpec};

// ---------------------------------------------------------------------------
// Word diff

/// One piece of a [`word_diff`]: text both sides share, or text only the
/// new side (`Added`) or only the old side (`Removed`) has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffPiece {
    Same(String),
    Added(String),
    Removed(String),
}

/// Above this many words and spaces (both texts together, once their
/// common beginning and end are set aside) [`word_diff`] stops looking for
/// common words inside the changed middle and reports it as one removal and
/// one addition: Myers' diff costs up to the product of the two lengths,
/// and texts come from any account. 4,000 tokens is about 2,000 words
/// changed at once; a small edit to a text of any length is diffed word by
/// word.
pub const MAX_WORD_DIFF_TOKENS: usize = 4_000;

/// Words and the runs of whitespace between them, each its own token.
fn tokens(text: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let mut start = 0;
    let mut previous_is_space = None;
    for (index, character) in text.char_indices() {
        let is_space = character.is_whitespace();
        if previous_is_space.is_some_and(|previous| previous != is_space) {
            tokens.push(&text[start..index]);
            start = index;
        }
        previous_is_space = Some(is_space);
    }
    if start < text.len() {
        tokens.push(&text[start..]);
    }
    tokens
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Same,
    Added,
    Removed,
}

/// Appends `text` as a piece of `side`, merged into the last piece if that
/// is of the same side.
fn push_piece(pieces: &mut Vec<(Side, String)>, side: Side, text: &str) {
    if text.is_empty() {
        return;
    }
    match pieces.last_mut() {
        Some((last_side, last_text)) if *last_side == side => last_text.push_str(text),
        _ => pieces.push((side, text.to_owned())),
    }
}

/// Word-level diff (whitespace kept with the words), for long texts.
///
/// The texts are cut into words and runs of whitespace and diffed with
/// Myers' algorithm (`similar`); a space between two changed words goes
/// into the change on both sides, so "a b c" → "a x y c" reads as
/// `Same("a ")`, `Removed("b")`, `Added("x y")`, `Same(" c")` rather than a
/// mosaic. The `Same` and `Removed` pieces always spell `before` and the
/// `Same` and `Added` pieces `after`.
pub fn word_diff(before: &str, after: &str) -> Vec<DiffPiece> {
    let old = tokens(before);
    let new = tokens(after);
    let prefix = old
        .iter()
        .zip(&new)
        .take_while(|(left, right)| left == right)
        .count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(left, right)| left == right)
        .count();
    let (old_middle, new_middle) = (&old[prefix..old.len() - suffix], &new[prefix..new.len() - suffix]);
    let mut raw: Vec<(Side, String)> = Vec::new();
    push_piece(&mut raw, Side::Same, &old[..prefix].concat());
    if old_middle.len() + new_middle.len() > MAX_WORD_DIFF_TOKENS {
        push_piece(&mut raw, Side::Removed, &old_middle.concat());
        push_piece(&mut raw, Side::Added, &new_middle.concat());
    } else {
        let old_words: Vec<Option<&str>> = old_middle.iter().copied().map(Some).collect();
        let new_words: Vec<Option<&str>> = new_middle.iter().copied().map(Some).collect();
        for operation in records::sequence_diff(&old_words, &new_words) {
            let (side, text) = match operation {
                similar::DiffOp::Equal { old_index, len, .. } => {
                    (Side::Same, old_middle[old_index..old_index + len].concat())
                }
                similar::DiffOp::Delete {
                    old_index, old_len, ..
                } => (Side::Removed, old_middle[old_index..old_index + old_len].concat()),
                similar::DiffOp::Insert {
                    new_index, new_len, ..
                } => (Side::Added, new_middle[new_index..new_index + new_len].concat()),
                similar::DiffOp::Replace {
                    old_index,
                    old_len,
                    new_index,
                    new_len,
                } => {
                    push_piece(
                        &mut raw,
                        Side::Removed,
                        &old_middle[old_index..old_index + old_len].concat(),
                    );
                    (Side::Added, new_middle[new_index..new_index + new_len].concat())
                }
            };
            push_piece(&mut raw, side, &text);
        }
    }
    push_piece(&mut raw, Side::Same, &old[old.len() - suffix..].concat());
    merge_changes_across_spaces(&raw)
}

/// Folds each run of changes, with the whitespace-only `Same` pieces between
/// them, into one `Removed` and one `Added` piece, when the run both removes
/// and adds words (otherwise the spaces really are shared and stay `Same`).
fn merge_changes_across_spaces(raw: &[(Side, String)]) -> Vec<DiffPiece> {
    let is_space = |text: &str| text.chars().all(char::is_whitespace);
    let mut pieces = Vec::with_capacity(raw.len());
    let mut index = 0;
    while index < raw.len() {
        if raw[index].0 == Side::Same {
            pieces.push(DiffPiece::Same(raw[index].1.clone()));
            index += 1;
            continue;
        }
        // The run: changes, and spaces that have a change on both sides.
        let mut end = index;
        while end < raw.len() {
            let (side, text) = &raw[end];
            let bridges = *side == Side::Same
                && is_space(text)
                && raw.get(end + 1).is_some_and(|(next, _)| *next != Side::Same);
            if *side != Side::Same || bridges {
                end += 1;
            } else {
                break;
            }
        }
        let run = &raw[index..end];
        let removes = run.iter().any(|(side, _)| *side == Side::Removed);
        let adds = run.iter().any(|(side, _)| *side == Side::Added);
        if removes && adds {
            let mut removed = String::new();
            let mut added = String::new();
            for (side, text) in run {
                if *side != Side::Added {
                    removed.push_str(text);
                }
                if *side != Side::Removed {
                    added.push_str(text);
                }
            }
            pieces.push(DiffPiece::Removed(removed));
            pieces.push(DiffPiece::Added(added));
        } else {
            pieces.extend(run.iter().map(|(side, text)| match side {
                Side::Same => DiffPiece::Same(text.clone()),
                Side::Added => DiffPiece::Added(text.clone()),
                Side::Removed => DiffPiece::Removed(text.clone()),
            }));
        }
        index = end;
    }
    pieces
}

// ---------------------------------------------------------------------------
// Grouping the timeline

/// Consecutive timeline entries by one person on one record, shown as one
/// entry that expands. Never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryGroup {
    /// Newest first, as the timeline lists them.
    pub entries: Vec<HistoryEntry>,
}

/// How close in time (server receipt time) successive edits must be to
/// group: five minutes.
pub const GROUP_WINDOW_MS: i64 = 5 * 60 * 1000;

impl EntryGroup {
    /// The most recent entry. Panics on an empty group, which
    /// [`group_entries`] never makes.
    pub fn newest(&self) -> &HistoryEntry {
        &self.entries[0]
    }

    /// The earliest entry (panics on an empty group, as [`Self::newest`]).
    pub fn oldest(&self) -> &HistoryEntry {
        &self.entries[self.entries.len() - 1]
    }

    /// The one record every entry of the group touched (the newest entry's
    /// view of it), if the group is about one record.
    pub fn record(&self) -> Option<&RecordChange> {
        match self.newest().records.as_slice() {
            [record] => Some(record),
            _ => None,
        }
    }

    /// The group's net field changes: per field, the oldest entry's `before`
    /// and the newest's `after`; fields that ended where they started are
    /// dropped. In the collection's field order. (A group of a single entry
    /// that touched several records lists the fields of each in turn.)
    pub fn net_fields(&self) -> Vec<FieldChange> {
        let mut net: Vec<FieldChange> = Vec::new();
        for entry in self.entries.iter().rev() {
            for record in &entry.records {
                for change in &record.fields {
                    match net.iter_mut().find(|known| known.field == change.field) {
                        Some(known) if self.entries.len() > 1 => known.after.clone_from(&change.after),
                        _ => net.push(change.clone()),
                    }
                }
            }
        }
        net.retain(|change| change.before != change.after);
        if let Some(collection) = self
            .record()
            .and_then(|record| Collection::from_key(&record.collection))
        {
            let position = |field: &str| {
                collection
                    .fields()
                    .iter()
                    .position(|spec| spec.key == field)
                    .unwrap_or(usize::MAX)
            };
            net.sort_by_key(|change| position(&change.field));
        }
        net
    }
}

/// Whether `older` continues the group whose oldest entry so far is `newer`.
fn continues(newer: &HistoryEntry, older: &HistoryEntry, window_ms: i64) -> bool {
    let one_same_record = match (newer.records.as_slice(), older.records.as_slice()) {
        ([left], [right]) => left.collection == right.collection && left.record_id == right.record_id,
        _ => false,
    };
    one_same_record
        && newer.receipt.user_id == older.receipt.user_id
        && newer
            .receipt
            .received_at_ms
            .abs_diff(older.receipt.received_at_ms)
            <= window_ms.unsigned_abs()
}

/// Timeline entries (newest first, as the API returns them) folded into
/// groups: consecutive entries by the same person (user id) that each touch
/// exactly one record, the same one, each received within `window_ms` of
/// the previous one. An entry touching several records is a group of its own.
pub fn group_entries(entries: &[HistoryEntry], window_ms: i64) -> Vec<EntryGroup> {
    let mut groups: Vec<EntryGroup> = Vec::new();
    for entry in entries {
        match groups.last_mut() {
            Some(group) if continues(group.oldest(), entry, window_ms) => group.entries.push(entry.clone()),
            _ => groups.push(EntryGroup {
                entries: vec![entry.clone()],
            }),
        }
    }
    groups
}

// ---------------------------------------------------------------------------
// Comparing two moments

/// What happened to a record between two moments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum RecordStatus {
    /// Absent at the first moment, live at the second.
    Added,
    /// Live at the first moment, tombstoned (or absent) at the second.
    Removed,
    /// Tombstoned at the first moment, live at the second.
    Restored,
    /// Live at both, with fields that differ.
    Edited,
}

/// One record that differs between two moments.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecordDiff {
    pub collection: Collection,
    pub record_id: String,
    /// The record's title at the second moment (at the first if it is gone
    /// at the second); its id if the title is empty.
    pub title: String,
    pub status: RecordStatus,
    /// The fields whose values differ, in the collection's field order. An
    /// empty value (empty text or list, `false`) counts as absent (`None`).
    pub fields: Vec<FieldChange>,
}

/// A field's value, `None` when absent or blank.
fn meaningful(value: Option<&FieldValue>) -> Option<&FieldValue> {
    value.filter(|value| !value.is_blank())
}

fn same_value(left: Option<&FieldValue>, right: Option<&FieldValue>) -> bool {
    meaningful(left) == meaningful(right)
}

fn field_of<'a>(record: Option<&'a Record>, key: &str) -> Option<&'a FieldValue> {
    record.and_then(|record| record.fields.get(key))
}

/// A record's title, or its id when the title is empty.
fn title_of(record: &Record) -> String {
    match record.title() {
        "" => record.id.clone(),
        title => title.to_owned(),
    }
}

fn field_changes(
    collection: Collection,
    before: Option<&Record>,
    after: Option<&Record>,
) -> Vec<FieldChange> {
    collection
        .fields()
        .iter()
        .filter_map(|spec| {
            let old = meaningful(field_of(before, spec.key));
            let new = meaningful(field_of(after, spec.key));
            (old != new).then(|| FieldChange {
                field: spec.key.to_owned(),
                before: old.map(|value| history_value(spec, value)),
                after: new.map(|value| history_value(spec, value)),
            })
        })
        .collect()
}

fn record_diff(before: Option<&Record>, after: Option<&Record>) -> Option<RecordDiff> {
    let shown = after.or(before)?;
    let live_before = before.is_some_and(|record| !record.deleted);
    let live_after = after.is_some_and(|record| !record.deleted);
    let status = match (live_before, live_after) {
        (false, true) if before.is_some() => RecordStatus::Restored,
        (false, true) => RecordStatus::Added,
        (true, false) => RecordStatus::Removed,
        (true, true) => RecordStatus::Edited,
        (false, false) => return None,
    };
    let fields = field_changes(shown.collection, before, after);
    if status == RecordStatus::Edited && fields.is_empty() {
        return None;
    }
    Some(RecordDiff {
        collection: shown.collection,
        record_id: shown.id.clone(),
        title: title_of(shown),
        status,
        fields,
    })
}

fn collection_position(collection: Collection) -> usize {
    Collection::ALL
        .iter()
        .position(|known| *known == collection)
        .unwrap_or(usize::MAX)
}

/// Every record of every collection (deleted ones included), as of the
/// view's moment: what [`compare_records`] compares and what a client keeps
/// per moment.
pub fn read_workspace<R: DocRead + ?Sized>(document: &R) -> Vec<Record> {
    Collection::ALL
        .into_iter()
        .flat_map(|collection| records::read_all(document, collection).unwrap_or_default())
        .collect()
}

/// Two moments of the workspace compared, record by record (for instance
/// `At` two heads, or `At` some heads and the document now). Sorted by
/// collection order, then title.
pub fn compare<B: DocRead + ?Sized, A: DocRead + ?Sized>(before: &B, after: &A) -> Vec<RecordDiff> {
    compare_records(&read_workspace(before), &read_workspace(after))
}

/// Same as [`compare`], over records already read (any collections, any
/// order): the client holds per-moment snapshots.
pub fn compare_records(before: &[Record], after: &[Record]) -> Vec<RecordDiff> {
    let earlier: HashMap<(Collection, &str), &Record> = before
        .iter()
        .map(|record| ((record.collection, record.id.as_str()), record))
        .collect();
    let later: HashMap<(Collection, &str), &Record> = after
        .iter()
        .map(|record| ((record.collection, record.id.as_str()), record))
        .collect();
    let mut diffs: Vec<RecordDiff> = after
        .iter()
        .filter_map(|record| {
            record_diff(
                earlier.get(&(record.collection, record.id.as_str())).copied(),
                Some(record),
            )
        })
        .chain(
            before
                .iter()
                .filter(|record| !later.contains_key(&(record.collection, record.id.as_str())))
                .filter_map(|record| record_diff(Some(record), None)),
        )
        .collect();
    diffs.sort_by(|left, right| {
        collection_position(left.collection)
            .cmp(&collection_position(right.collection))
            .then_with(|| left.title.to_lowercase().cmp(&right.title.to_lowercase()))
            .then_with(|| left.record_id.cmp(&right.record_id))
    });
    diffs
}

// ---------------------------------------------------------------------------
// Restoring

/// `heads` must all be changes of `document`: automerge would read unknown
/// heads as an earlier moment without a word.
fn check_heads(document: &Automerge, heads: &[ChangeHash]) -> Result<(), ModelError> {
    match heads
        .iter()
        .find(|hash| document.get_change_meta_by_hash(hash).is_none())
    {
        Some(missing) => Err(ModelError::Automerge(AutomergeError::MissingHash(*missing))),
        None => Ok(()),
    }
}

fn field_spec(collection: Collection, field: &str) -> Result<&'static FieldSpec, ModelError> {
    collection.field(field).ok_or_else(|| ModelError::UnknownField {
        collection: collection.key(),
        field: field.to_owned(),
    })
}

fn current_record(document: &Automerge, collection: Collection, id: &str) -> Result<Record, ModelError> {
    records::read_one(document, collection, id).ok_or_else(|| ModelError::MissingRecord {
        collection: collection.key(),
        id: id.to_owned(),
    })
}

/// Restores one field of a record to its value at `heads`, as a new change
/// by the local person with the message
/// `restore <noun> <title>: <field> from <label>` (`label` names the moment,
/// e.g. "3 May 2025 10:04"). Long text by splices, lists item by item,
/// items by id. A record that did not exist at `heads` has the
/// field emptied. `Ok(false)` when nothing differs (no change made).
pub fn restore_field(
    document: &mut Automerge,
    collection: Collection,
    id: &str,
    field: &str,
    heads: &[ChangeHash],
    label: &str,
    authorship: &Authorship<'_>,
) -> Result<bool, ModelError> {
    let spec = field_spec(collection, field)?;
    check_heads(document, heads)?;
    let record = records::record_object(&*document, collection, id)?;
    let current = current_record(document, collection, id)?;
    let past = records::read_one(&At { document, heads }, collection, id);
    let value = field_of(past.as_ref(), field).cloned();
    if same_value(current.fields.get(field), value.as_ref()) {
        return Ok(false);
    }
    let message = format!(
        "restore {} {}: {field} from {label}",
        collection.noun(),
        title_of(&current)
    );
    records::commit(document, authorship, message, |transaction| {
        records::restore_value(transaction, &record, spec, value.as_ref())
    })
}

/// Every field (and the tombstone) of a record back to its state at
/// `heads`, in one change `restore <noun> <title> from <label>`. A record
/// that did not exist at `heads` is tombstoned. `Ok(false)` when nothing
/// differs.
pub fn restore_record(
    document: &mut Automerge,
    collection: Collection,
    id: &str,
    heads: &[ChangeHash],
    label: &str,
    authorship: &Authorship<'_>,
) -> Result<bool, ModelError> {
    check_heads(document, heads)?;
    let record = records::record_object(&*document, collection, id)?;
    let current = current_record(document, collection, id)?;
    let past = records::read_one(&At { document, heads }, collection, id);
    let fields: Vec<(&'static FieldSpec, Option<FieldValue>)> = match &past {
        Some(past) => collection
            .fields()
            .iter()
            .filter(|spec| !same_value(current.fields.get(spec.key), past.fields.get(spec.key)))
            .map(|spec| (spec, past.fields.get(spec.key).cloned()))
            .collect(),
        None => Vec::new(),
    };
    let deleted = past.as_ref().is_none_or(|past| past.deleted);
    if fields.is_empty() && deleted == current.deleted {
        return Ok(false);
    }
    let message = format!(
        "restore {} {} from {label}",
        collection.noun(),
        title_of(&current)
    );
    records::commit(document, authorship, message, |transaction| {
        let mut wrote = records::restore_deleted(transaction, &record, deleted)?;
        for (spec, value) in &fields {
            wrote |= records::restore_value(transaction, &record, spec, value.as_ref())?;
        }
        Ok(wrote)
    })
}

/// Clears a record's tombstone, in one change `restore <noun> <title>`
/// ([`records::set_deleted`]). A record that is not deleted is left as it is.
pub fn undelete(
    document: &mut Automerge,
    collection: Collection,
    id: &str,
    authorship: &Authorship<'_>,
) -> Result<(), ModelError> {
    if !current_record(document, collection, id)?.deleted {
        return Ok(());
    }
    records::set_deleted(document, collection, id, false, authorship)
}

// ---------------------------------------------------------------------------
// Reverting one person's edits

/// What one step of a revert does.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RevertAction {
    /// Puts the field back to its value before the person's first change
    /// to it in the range (`to`, as the timeline shows it; `None`: empty).
    SetField { field: String, to: Option<HistoryValue> },
    /// Tombstones the record: the person created it in the range (or
    /// undeleted it there).
    Tombstone,
    /// Clears the tombstone: the person deleted the record in the range.
    Undelete,
}

/// One step of the secretariat's revert of one person's edits in a range.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RevertStep {
    pub collection: Collection,
    pub record_id: String,
    /// The record's title now (its id if empty).
    pub title: String,
    pub action: RevertAction,
    /// Someone else changed this field (or record) after the person's last
    /// change to it in the range: shown in the preview, skipped unless
    /// `include_conflicts`.
    pub conflict: bool,
    /// The field's value now (`None`: empty; always `None` for the
    /// record-level actions).
    pub current: Option<HistoryValue>,
    /// Where [`apply_revert`] reads the value to write back: the
    /// dependencies of the person's first change to this field (or record)
    /// in the range.
    pub source_heads: Vec<ChangeHash>,
    /// The reverted person's name, as the receipts give it, for the message.
    pub person_name: String,
}

/// One of the person's changes to one record.
struct Touch<'a> {
    hash: ChangeHash,
    change: &'a RecordChange,
}

/// Record reads at past heads for one record, each moment read once.
struct PastReads<'a> {
    document: &'a Automerge,
    collection: Collection,
    id: &'a str,
    cache: HashMap<Vec<ChangeHash>, Option<Record>>,
}

impl PastReads<'_> {
    fn at(&mut self, heads: &[ChangeHash]) -> Option<&Record> {
        let (document, collection, id) = (self.document, self.collection, self.id);
        self.cache
            .entry(heads.to_vec())
            .or_insert_with(|| records::read_one(&At { document, heads }, collection, id))
            .as_ref()
    }
}

/// The secretariat's revert of everything one person changed in a time
/// range, planned for a preview. `entries`: that person's timeline entries
/// in the range (any order); `document`: the current document. Each field
/// the person changed goes back to its value before their first change to
/// it in the range (read at that change's dependencies); records they
/// created are tombstoned, records they deleted undeleted. A step whose
/// field (or record) someone else changed after the person's last change to
/// it is marked `conflict`. Fields already back at their earlier value need
/// no step. Sorted by collection order, then title; a record's own step
/// before its fields'.
pub fn revert_plan(document: &Automerge, entries: &[HistoryEntry]) -> Vec<RevertStep> {
    let mut ordered: Vec<&HistoryEntry> = entries.iter().collect();
    ordered.sort_by_key(|entry| entry.seq);
    let person_name = ordered
        .first()
        .map(|entry| entry.receipt.user_name.clone())
        .unwrap_or_default();
    let mut deps: HashMap<ChangeHash, Vec<ChangeHash>> = HashMap::new();
    let mut touched: BTreeMap<(usize, Collection, String), Vec<Touch<'_>>> = BTreeMap::new();
    for entry in ordered {
        let Ok(hash) = entry.receipt.hash.parse::<ChangeHash>() else {
            continue;
        };
        let Some(meta) = document.get_change_meta_by_hash(&hash) else {
            continue;
        };
        deps.insert(hash, meta.deps);
        for change in &entry.records {
            let Some(collection) = Collection::from_key(&change.collection) else {
                continue;
            };
            touched
                .entry((
                    collection_position(collection),
                    collection,
                    change.record_id.clone(),
                ))
                .or_default()
                .push(Touch { hash, change });
        }
    }
    let mut steps = Vec::new();
    for ((_, collection, id), touches) in &touched {
        let Some(current) = records::read_one(document, *collection, id) else {
            continue;
        };
        let mut past = PastReads {
            document,
            collection: *collection,
            id,
            cache: HashMap::new(),
        };
        let title = title_of(&current);
        let step = |action, conflict, current, source: &ChangeHash| RevertStep {
            collection: *collection,
            record_id: id.clone(),
            title: title.clone(),
            action,
            conflict,
            current,
            source_heads: deps.get(source).cloned().unwrap_or_default(),
            person_name: person_name.clone(),
        };
        let (Some(first), Some(last)) = (touches.first(), touches.last()) else {
            continue;
        };
        if touches
            .iter()
            .any(|touch| touch.change.kind == EntryKind::Created)
        {
            // Their record goes; a conflict if anyone changed it since.
            if !current.deleted {
                let conflict = past
                    .at(&[last.hash])
                    .is_none_or(|then| !same_record(then, &current));
                steps.push(step(RevertAction::Tombstone, conflict, None, &first.hash));
            }
            continue;
        }
        // The person's changes that set or cleared the tombstone (a
        // `restored` entry may also be a restore of fields only).
        let mut tombstone_touches: Vec<&Touch<'_>> = Vec::new();
        for touch in touches {
            if !matches!(touch.change.kind, EntryKind::Deleted | EntryKind::Restored) {
                continue;
            }
            let source = deps.get(&touch.hash).cloned().unwrap_or_default();
            let before = past.at(&source).map(|record| record.deleted);
            let after = past.at(&[touch.hash]).map(|record| record.deleted);
            if before != after {
                tombstone_touches.push(touch);
            }
        }
        if let (Some(first), Some(last)) = (tombstone_touches.first(), tombstone_touches.last()) {
            let source = deps.get(&first.hash).cloned().unwrap_or_default();
            let was_deleted = past.at(&source).map(|record| record.deleted);
            let then_deleted = past.at(&[last.hash]).map(|record| record.deleted);
            if let Some(was_deleted) = was_deleted
                && was_deleted != current.deleted
            {
                let action = if was_deleted {
                    RevertAction::Tombstone
                } else {
                    RevertAction::Undelete
                };
                let conflict = then_deleted != Some(current.deleted);
                steps.push(step(action, conflict, None, &first.hash));
            }
        }
        for spec in collection.fields() {
            let mut field_touches = touches
                .iter()
                .filter(|touch| touch.change.fields.iter().any(|field| field.field == spec.key));
            let Some(first) = field_touches.next() else {
                continue;
            };
            let last = field_touches.next_back().unwrap_or(first);
            let source = deps.get(&first.hash).cloned().unwrap_or_default();
            let was = field_of(past.at(&source), spec.key).cloned();
            let now = current.fields.get(spec.key);
            if same_value(was.as_ref(), now) {
                continue;
            }
            let then = field_of(past.at(&[last.hash]), spec.key);
            let conflict = !same_value(then, now);
            steps.push(step(
                RevertAction::SetField {
                    field: spec.key.to_owned(),
                    to: meaningful(was.as_ref()).map(|value| history_value(spec, value)),
                },
                conflict,
                meaningful(now).map(|value| history_value(spec, value)),
                &first.hash,
            ));
        }
    }
    steps.sort_by(|left, right| {
        collection_position(left.collection)
            .cmp(&collection_position(right.collection))
            .then_with(|| left.title.to_lowercase().cmp(&right.title.to_lowercase()))
            .then_with(|| left.record_id.cmp(&right.record_id))
    });
    steps
}

/// Two readings of one record show the same thing (every field, the tombstone).
fn same_record(left: &Record, right: &Record) -> bool {
    left.deleted == right.deleted
        && left
            .collection
            .fields()
            .iter()
            .all(|spec| same_value(left.fields.get(spec.key), right.fields.get(spec.key)))
}

/// What one record of a revert gets written.
enum PendingWrite {
    Field(&'static FieldSpec, Option<FieldValue>),
    Deleted(bool),
}

/// Applies a [`revert_plan`] (its conflicting steps only with
/// `include_conflicts`) as ONE change by the local person:
/// `restore <n> records: revert of <name>'s edits <label>` (`label` names
/// the range, e.g. "from 3 May 10:00 to 11:00"). The values written are
/// read, typed and whole, from the document at each step's
/// `source_heads`, never from the plan's (possibly cut) timeline values;
/// steps already matching the document (someone reverted them meanwhile)
/// are skipped. Returns the number of records touched (0: no change made).
pub fn apply_revert(
    document: &mut Automerge,
    plan: &[RevertStep],
    include_conflicts: bool,
    label: &str,
    authorship: &Authorship<'_>,
) -> Result<usize, ModelError> {
    let mut writes: Vec<(automerge::ObjId, PendingWrite)> = Vec::new();
    let mut records_touched: Vec<(Collection, &str)> = Vec::new();
    for step in plan.iter().filter(|step| include_conflicts || !step.conflict) {
        let Ok(record) = records::record_object(&*document, step.collection, &step.record_id) else {
            continue;
        };
        let Some(current) = records::read_one(&*document, step.collection, &step.record_id) else {
            continue;
        };
        let write = match &step.action {
            RevertAction::SetField { field, .. } => {
                let spec = field_spec(step.collection, field)?;
                check_heads(document, &step.source_heads)?;
                let past = records::read_one(
                    &At {
                        document,
                        heads: &step.source_heads,
                    },
                    step.collection,
                    &step.record_id,
                );
                let value = field_of(past.as_ref(), field).cloned();
                if same_value(current.fields.get(field.as_str()), value.as_ref()) {
                    continue;
                }
                PendingWrite::Field(spec, value)
            }
            RevertAction::Tombstone if !current.deleted => PendingWrite::Deleted(true),
            RevertAction::Undelete if current.deleted => PendingWrite::Deleted(false),
            RevertAction::Tombstone | RevertAction::Undelete => continue,
        };
        writes.push((record, write));
        let key = (step.collection, step.record_id.as_str());
        if !records_touched.contains(&key) {
            records_touched.push(key);
        }
    }
    let count = records_touched.len();
    if count == 0 {
        return Ok(0);
    }
    let person_name = plan.first().map_or("", |step| step.person_name.as_str());
    let noun = if count == 1 { "record" } else { "records" };
    let message = format!("restore {count} {noun}: revert of {person_name}'s edits {label}");
    records::commit(document, authorship, message, |transaction| {
        for (record, write) in &writes {
            match write {
                PendingWrite::Field(spec, value) => {
                    records::restore_value(transaction, record, spec, value.as_ref())?;
                }
                PendingWrite::Deleted(deleted) => {
                    records::restore_deleted(transaction, record, *deleted)?;
                }
            }
        }
        Ok(())
    })?;
    Ok(count)
}
