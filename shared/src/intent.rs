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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRef {
    pub collection: Collection,
    pub id: String,
}

/// One item of a record's items field (an agenda item, a decision).
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
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
            | Self::SetFlag { record, .. }
            | Self::AddToList { record, .. }
            | Self::RemoveFromList { record, .. }
            | Self::SetDeleted { record, .. }
            | Self::RestoreField { record, .. }
            | Self::RestoreRecord { record, .. } => record.collection.edit_capability(),
            Self::AddItem { item, .. }
            | Self::SetItemText { item, .. }
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
