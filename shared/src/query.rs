//! The questions the interface asks of the whole document rather than of
//! its current records: comparing two moments, planning a revert or an
//! import, generating a report at the heads it was issued at. Each is a
//! [`Query`] answered by [`Query::answer`] wherever the document is held,
//! the way [`crate::intent`] describes edits. Queries and answers are
//! serde types: the document may be held by another thread (a worker).

use automerge::{Automerge, ChangeHash};

use crate::api::HistoryEntry;
use crate::csv_io::{self, Column, ImportPlan, Table};
use crate::image::WorkspaceImage;
use crate::language::Language;
use crate::model::At;
use crate::records;
use crate::report::{self, ReportError};
use crate::schema::Collection;
use crate::timetravel::{self, RecordDiff, RevertStep};

/// One question about the document.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Query {
    /// The workspace at `before` compared with it at `after` (now if `None`).
    Compare {
        before: Vec<ChangeHash>,
        after: Option<Vec<ChangeHash>>,
    },
    /// What reverting these history entries would write.
    RevertPlan { entries: Vec<HistoryEntry> },
    /// What importing `table` into `collection` would write.
    PlanImport {
        table: Table,
        mapping: Vec<Option<Column>>,
        collection: Collection,
    },
    /// Report `id` in `language`, as issued (or as it would be now).
    Report { id: String, language: Language },
    /// Every record as it was at `heads` (viewing the workspace as of a moment).
    Workspace { heads: Vec<ChangeHash> },
}

/// A report rendered: its standalone HTML (what is downloaded and
/// printed) and the name of its file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RenderedReport {
    pub html: String,
    pub file_name: String,
}

/// Why a report could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReportProblem {
    /// What to tell the person, in the query's language.
    pub message: String,
    /// The report, or the version it was issued at, has not reached this
    /// copy yet: asking again after the next change may succeed.
    pub not_synced: bool,
}

impl ReportProblem {
    fn new(error: &ReportError, language: Language) -> Self {
        Self {
            message: error.message(language),
            not_synced: matches!(error, ReportError::UnknownHead(_) | ReportError::MissingReport(_)),
        }
    }
}

/// The answer to a [`Query`], in the query's own variant.
#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Answer {
    /// `None`: the document has not synced up to one of the moments yet.
    Compare(Option<Vec<RecordDiff>>),
    RevertPlan(Vec<RevertStep>),
    PlanImport(ImportPlan),
    Report(Result<RenderedReport, ReportProblem>),
    /// `None`: the document has not synced up to those heads yet.
    Workspace(Option<WorkspaceImage>),
}

impl Query {
    pub fn answer(&self, document: &Automerge) -> Answer {
        match self {
            Self::Compare { before, after } => Answer::Compare(compare(document, before, after.as_deref())),
            Self::RevertPlan { entries } => Answer::RevertPlan(timetravel::revert_plan(document, entries)),
            Self::PlanImport {
                table,
                mapping,
                collection,
            } => Answer::PlanImport(csv_io::plan_import(document, table, mapping, *collection)),
            Self::Report { id, language } => Answer::Report(
                report::for_record(document, id, *language)
                    .map(|report| RenderedReport {
                        html: report::render_html(&report),
                        file_name: report::file_name(&report.period, *language),
                    })
                    .map_err(|error| ReportProblem::new(&error, *language)),
            ),
            Self::Workspace { heads } => Answer::Workspace(workspace_at(document, heads)),
        }
    }
}

/// Whether the document holds every change of `heads`.
fn known(document: &Automerge, heads: &[ChangeHash]) -> bool {
    heads
        .iter()
        .all(|hash| document.get_change_meta_by_hash(hash).is_some())
}

fn workspace_at(document: &Automerge, heads: &[ChangeHash]) -> Option<WorkspaceImage> {
    if !known(document, heads) {
        return None;
    }
    let at = At { document, heads };
    Some(WorkspaceImage {
        heads: heads.to_vec(),
        secretariat: records::technical_secretariat(&at),
        records: Collection::ALL
            .into_iter()
            .flat_map(|collection| records::read_all(&at, collection).unwrap_or_default())
            .collect(),
    })
}

fn compare(
    document: &Automerge,
    before: &[ChangeHash],
    after: Option<&[ChangeHash]>,
) -> Option<Vec<RecordDiff>> {
    if !known(document, before) || !after.is_none_or(|after| known(document, after)) {
        return None;
    }
    let before = At {
        document,
        heads: before,
    };
    Some(match after {
        Some(heads) => timetravel::compare(&before, &At { document, heads }),
        None => timetravel::compare(&before, document),
    })
}
