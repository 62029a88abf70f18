//! Every edit the interface makes to a workspace, as data: what to change,
//! the capability it needs, and [`Intent::apply`], which makes it one change
//! of the document with the functions of [`crate::records`] and the
//! modules above it.
//!
//! The client's components describe an edit as an [`Intent`] instead of
//! reaching into the document themselves, so whoever holds the document
//! (the page today) is the only code that writes to it.

use std::collections::BTreeMap;

use automerge::{Automerge, AutomergeError, ChangeHash, ReadDoc as _};

use crate::csv_io::{self, Column, DuplicateChoice, ImportPlan, ImportSummary, Table};
use crate::followup::{self, NewActionItem};
use crate::graph::MapFilter;
use crate::layout::Point;
use crate::map_view;
use crate::model::{Authorship, ModelError};
use crate::records::{self, Initial, ItemAt};
use crate::report::{self, ReportError};
use crate::roles::Capability;
use crate::schema::Collection;
use crate::timetravel::{self, RevertStep};

/// One record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecordRef {
    pub collection: Collection,
    pub id: String,
}

/// One item of a record's items field (an agenda item, a decision).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ItemRef {
    pub collection: Collection,
    pub record_id: String,
    pub field: String,
    pub item_id: String,
}

impl ItemRef {
    fn at(&self) -> ItemAt<'_> {
        ItemAt {
            collection: self.collection,
            record_id: &self.record_id,
            field: &self.field,
            item_id: &self.item_id,
        }
    }
}

/// One edit, as the interface asks for it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Intent {
    CreateRecord {
        collection: Collection,
        id: String,
        fields: Vec<(String, Initial)>,
    },
    SetText {
        record: RecordRef,
        key: String,
        value: String,
    },
    /// A keystroke in a live text field: the field showed `before` and
    /// now shows `after`. Made on the text as it is now, which may have
    /// moved on meanwhile (someone else typing): see [`rebase_text`].
    SpliceText {
        record: RecordRef,
        key: String,
        before: String,
        after: String,
    },
    SetFlag {
        record: RecordRef,
        key: String,
        value: bool,
    },
    AddToList {
        record: RecordRef,
        key: String,
        item: String,
    },
    RemoveFromList {
        record: RecordRef,
        key: String,
        item: String,
    },
    SetDeleted {
        record: RecordRef,
        deleted: bool,
    },
    AddItem {
        item: ItemRef,
        fields: Vec<(String, Initial)>,
    },
    SetItemText {
        item: ItemRef,
        key: String,
        value: String,
    },
    /// [`Intent::SpliceText`] for an item's long text sub-field.
    SpliceItemText {
        item: ItemRef,
        key: String,
        before: String,
        after: String,
    },
    SetItemFlag {
        item: ItemRef,
        key: String,
        value: bool,
    },
    AddToItemList {
        item: ItemRef,
        key: String,
        entry: String,
    },
    RemoveFromItemList {
        item: ItemRef,
        key: String,
        entry: String,
    },
    MoveItem {
        item: ItemRef,
        to: usize,
    },
    RemoveItem {
        item: ItemRef,
    },
    /// `today` is the person's date (`YYYY-MM-DD`): `done` records it.
    SetActionStatus {
        id: String,
        status: String,
        today: String,
    },
    CreateActionItem {
        id: String,
        meeting: String,
        item: NewActionItem,
    },
    IssueReport {
        id: String,
        today: String,
    },
    SaveMapView {
        id: String,
        name: String,
        filter: MapFilter,
        pins: Vec<(String, Point)>,
    },
    /// The field's value as it was just before change `before`.
    RestoreField {
        record: RecordRef,
        key: String,
        before: ChangeHash,
        label: String,
    },
    RestoreRecord {
        record: RecordRef,
        heads: Vec<ChangeHash>,
        label: String,
    },
    Revert {
        steps: Vec<RevertStep>,
        include_conflicts: bool,
        label: String,
    },
    /// Imports `table` as `expected` planned it, unless the workspace has
    /// changed what the plan would be (then nothing is written and the
    /// fresh plan is the outcome, to be shown and confirmed again).
    Import {
        table: Table,
        mapping: Vec<Option<Column>>,
        expected: ImportPlan,
        choices: BTreeMap<usize, DuplicateChoice>,
    },
}

/// What an applied intent reports back, beyond success.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Outcome {
    Done,
    /// A restore: whether it changed anything (the value may already be
    /// what it restores).
    Changed(bool),
    /// A revert: how many steps it wrote.
    Reverted(usize),
    Imported(ImportSummary),
    /// An import whose plan changed since it was shown: nothing written.
    PlanChanged(ImportPlan),
}

impl Intent {
    /// The capability the person's role must have for this edit.
    pub fn capability(&self) -> Capability {
        match self {
            Self::CreateRecord { collection, .. } => collection.edit_capability(),
            Self::SetText { record, .. }
            | Self::SpliceText { record, .. }
            | Self::SetFlag { record, .. }
            | Self::AddToList { record, .. }
            | Self::RemoveFromList { record, .. }
            | Self::SetDeleted { record, .. }
            | Self::RestoreField { record, .. }
            | Self::RestoreRecord { record, .. } => record.collection.edit_capability(),
            Self::AddItem { item, .. }
            | Self::SetItemText { item, .. }
            | Self::SpliceItemText { item, .. }
            | Self::SetItemFlag { item, .. }
            | Self::AddToItemList { item, .. }
            | Self::RemoveFromItemList { item, .. }
            | Self::MoveItem { item, .. }
            | Self::RemoveItem { item } => item.collection.edit_capability(),
            Self::SetActionStatus { .. } | Self::CreateActionItem { .. } => {
                Collection::ActionItems.edit_capability()
            }
            Self::IssueReport { .. } => Collection::Reports.edit_capability(),
            Self::SaveMapView { .. } => Collection::MapViews.edit_capability(),
            Self::Revert { .. } => Capability::EditRecords,
            Self::Import { expected, .. } => expected.collection.edit_capability(),
        }
    }

    /// Makes the edit as one change of `document`. `new_id` supplies fresh
    /// ids for what the edit creates beyond the ids it names (a map view's
    /// pins, an import's new records).
    pub fn apply(
        &self,
        document: &mut Automerge,
        authorship: &Authorship<'_>,
        new_id: &mut dyn FnMut() -> String,
    ) -> Result<Outcome, ModelError> {
        let done = |result: Result<(), ModelError>| result.map(|()| Outcome::Done);
        match self {
            Self::CreateRecord {
                collection,
                id,
                fields,
            } => done(records::create_record(
                document,
                *collection,
                id,
                &borrowed(fields),
                authorship,
            )),
            Self::SetText { record, key, value } => done(records::set_text(
                document,
                record.collection,
                &record.id,
                key,
                value,
                authorship,
            )),
            Self::SpliceText {
                record,
                key,
                before,
                after,
            } => {
                let now = records::read_one(&*document, record.collection, &record.id)
                    .map(|current| current.text(key).to_owned())
                    .unwrap_or_default();
                done(records::set_text(
                    document,
                    record.collection,
                    &record.id,
                    key,
                    &rebase_text(before, after, &now),
                    authorship,
                ))
            }
            Self::SetFlag { record, key, value } => done(records::set_flag(
                document,
                record.collection,
                &record.id,
                key,
                *value,
                authorship,
            )),
            Self::AddToList { record, key, item } => done(records::add_to_list(
                document,
                record.collection,
                &record.id,
                key,
                item,
                authorship,
            )),
            Self::RemoveFromList { record, key, item } => done(records::remove_from_list(
                document,
                record.collection,
                &record.id,
                key,
                item,
                authorship,
            )),
            Self::SetDeleted { record, deleted } => done(records::set_deleted(
                document,
                record.collection,
                &record.id,
                *deleted,
                authorship,
            )),
            Self::AddItem { item, fields } => done(records::add_item(
                document,
                item.at(),
                None,
                &borrowed(fields),
                authorship,
            )),
            Self::SetItemText { item, key, value } => done(records::set_item_field(
                document,
                item.at(),
                key,
                value,
                authorship,
            )),
            Self::SpliceItemText {
                item,
                key,
                before,
                after,
            } => {
                let now = records::read_one(&*document, item.collection, &item.record_id)
                    .and_then(|record| match record.fields.get(item.field.as_str()) {
                        Some(records::FieldValue::Items(items)) => items
                            .iter()
                            .find(|candidate| candidate.id == item.item_id)
                            .map(|found| found.text(key).to_owned()),
                        _ => None,
                    })
                    .unwrap_or_default();
                done(records::set_item_field(
                    document,
                    item.at(),
                    key,
                    &rebase_text(before, after, &now),
                    authorship,
                ))
            }
            Self::SetItemFlag { item, key, value } => done(records::set_item_flag(
                document,
                item.at(),
                key,
                *value,
                authorship,
            )),
            Self::AddToItemList { item, key, entry } => done(records::add_to_item_list(
                document,
                item.at(),
                key,
                entry,
                authorship,
            )),
            Self::RemoveFromItemList { item, key, entry } => done(records::remove_from_item_list(
                document,
                item.at(),
                key,
                entry,
                authorship,
            )),
            Self::MoveItem { item, to } => done(records::move_item(document, item.at(), *to, authorship)),
            Self::RemoveItem { item } => done(records::remove_item(document, item.at(), authorship)),
            Self::SetActionStatus { id, status, today } => done(followup::set_action_status(
                document, id, status, today, authorship,
            )),
            Self::CreateActionItem { id, meeting, item } => done(followup::create_action_item(
                document, id, meeting, item, authorship,
            )),
            Self::IssueReport { id, today } => report::issue(document, id, today, authorship)
                .map(|_heads| Outcome::Done)
                .map_err(report_model_error),
            Self::SaveMapView {
                id,
                name,
                filter,
                pins,
            } => done(map_view::save_view(
                document,
                (id, name),
                filter,
                pins,
                new_id,
                authorship,
            )),
            Self::RestoreField {
                record,
                key,
                before,
                label,
            } => {
                let heads = document
                    .get_change_by_hash(before)
                    .map(|change| change.deps().to_vec())
                    .ok_or(ModelError::Automerge(AutomergeError::MissingHash(*before)))?;
                timetravel::restore_field(
                    document,
                    record.collection,
                    &record.id,
                    key,
                    &heads,
                    label,
                    authorship,
                )
                .map(Outcome::Changed)
            }
            Self::RestoreRecord { record, heads, label } => {
                timetravel::restore_record(document, record.collection, &record.id, heads, label, authorship)
                    .map(Outcome::Changed)
            }
            Self::Revert {
                steps,
                include_conflicts,
                label,
            } => timetravel::apply_revert(document, steps, *include_conflicts, label, authorship)
                .map(Outcome::Reverted),
            Self::Import {
                table,
                mapping,
                expected,
                choices,
            } => {
                let fresh = csv_io::plan_import(&*document, table, mapping, expected.collection);
                if fresh != *expected {
                    return Ok(Outcome::PlanChanged(fresh));
                }
                csv_io::apply_import(document, &fresh, choices, authorship, new_id).map(Outcome::Imported)
            }
        }
    }
}

fn borrowed(fields: &[(String, Initial)]) -> Vec<(&str, Initial)> {
    fields
        .iter()
        .map(|(key, value)| (key.as_str(), value.clone()))
        .collect()
}

/// A report's own refusals (a bad period, an unknown language) said as the
/// model's, which is what an edit reports.
fn report_model_error(error: ReportError) -> ModelError {
    match error {
        ReportError::Model(error) => error,
        other => ModelError::WrongFieldKind(other.to_string()),
    }
}

/// Where `before` and `after` differ: the length of their common prefix,
/// and where the differing part ends in each (their common suffix left
/// out), in characters.
fn changed_region(before: &[char], after: &[char]) -> (usize, usize, usize) {
    let prefix = before
        .iter()
        .zip(after)
        .take_while(|(left, right)| left == right)
        .count();
    let room = before.len().min(after.len()) - prefix;
    let suffix = before
        .iter()
        .rev()
        .zip(after.iter().rev())
        .take(room)
        .take_while(|(left, right)| left == right)
        .count();
    (prefix, before.len() - suffix, after.len() - suffix)
}

/// A keystroke made on `before` (giving `after`), made instead on `now`,
/// the text as it is by the time the keystroke is applied (someone else's
/// typing may have arrived in between). The keystroke replaces one region
/// of `before`; so does what arrived. A keystroke wholly before or after
/// what arrived is made at its place in `now`; one that overlaps it only
/// adds its new characters just after it (nothing that arrived is deleted
/// by a keystroke that never saw it).
pub fn rebase_text(before: &str, after: &str, now: &str) -> String {
    if now == before {
        return after.to_owned();
    }
    if after == before {
        return now.to_owned();
    }
    let (before, after, now): (Vec<char>, Vec<char>, Vec<char>) = (
        before.chars().collect(),
        after.chars().collect(),
        now.chars().collect(),
    );
    let (typed_at, typed_end, typed_new_end) = changed_region(&before, &after);
    let (came_at, came_end, came_new_end) = changed_region(&before, &now);
    let inserted = &after[typed_at..typed_new_end];
    let (start, end) = if typed_end <= came_at && !(typed_at == came_at && typed_end == came_end) {
        (typed_at, typed_end)
    } else if typed_at >= came_end {
        let shift = |at: usize| at + came_new_end - came_end;
        (shift(typed_at), shift(typed_end))
    } else {
        (came_new_end, came_new_end)
    };
    now[..start].iter().chain(inserted).chain(&now[end..]).collect()
}
