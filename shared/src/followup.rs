//! Following up the year: the open action items across all meetings, each
//! work-plan line with everything that names it and a progress summary, the
//! overview of a period's lines, and a working group's meetings and action
//! items. Plain reads over records ([`RecordSource`]): the client passes
//! its per-revision snapshot, anything else reads a document with
//! [`AllRecords::read`] (now or at past heads, through [`DocRead`]).
//!
//! Deleted records never count: a deleted action item, meeting, activity,
//! alliance, collaboration or working group is left out of every list and
//! figure here. Dates are `YYYY-MM-DD` strings, which compare as dates;
//! "today" is an argument (this crate has no clock).
//!
//! Also the two writes the follow-up screens make: an action item created
//! from a meeting ([`create_action_item`]) and an item's status changed from
//! a list ([`set_action_status`]), each one change.

use std::collections::{BTreeMap, HashMap};

use automerge::Automerge;
use automerge::transaction::Transactable as _;

use crate::language::fold;
use crate::model::{Authorship, DocRead, ModelError};
use crate::records::{self, Initial, Record};
use crate::schema::{
    ACTION_STATUSES, ALLIANCE_STATUSES, CLOSED_ACTION_STATUSES, COLLABORATION_STATUSES, Choice, Collection,
};

/// Where the follow-up reads records from: every record of a collection,
/// deleted ones included (they are skipped here).
pub trait RecordSource {
    fn records(&self, collection: Collection) -> &[Record];
}

/// Every collection read from a document with [`records::read_all`].
#[derive(Debug, Default, Clone)]
pub struct AllRecords(BTreeMap<Collection, Vec<Record>>);

impl AllRecords {
    /// Reads the collections the follow-up needs (all of them but reports
    /// and contacts) from `document`, as it is now or at past heads.
    pub fn read<R: DocRead + ?Sized>(document: &R) -> Result<Self, ModelError> {
        let mut all = BTreeMap::new();
        for collection in NEEDED {
            all.insert(collection, records::read_all(document, collection)?);
        }
        Ok(Self(all))
    }
}

const NEEDED: [Collection; 8] = [
    Collection::Organisations,
    Collection::WorkplanLines,
    Collection::Alliances,
    Collection::Collaborations,
    Collection::Activities,
    Collection::WorkingGroups,
    Collection::Meetings,
    Collection::ActionItems,
];

impl RecordSource for AllRecords {
    fn records(&self, collection: Collection) -> &[Record] {
        self.0.get(&collection).map_or(&[], Vec::as_slice)
    }
}

/// Which action items the open items view shows. Empty strings set nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionFilter {
    /// The owner organisation's id.
    pub owner: String,
    /// The work-plan line's id.
    pub workplan_line: String,
    /// Due on or after this date; an item with no due date is then left out.
    pub due_from: String,
    /// Due on or before this date; an item with no due date is then left out.
    pub due_to: String,
    /// Also show done and cancelled items.
    pub include_closed: bool,
}

/// One action item as the follow-up lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OpenItem {
    pub id: String,
    pub title: String,
    /// A slug of [`ACTION_STATUSES`] (as stored: a newer client's slug passes through).
    pub status: String,
    /// `YYYY-MM-DD` or empty.
    pub due: String,
    /// Due before today and not closed.
    pub overdue: bool,
    /// Done or cancelled ([`CLOSED_ACTION_STATUSES`]).
    pub closed: bool,
    pub owner_id: String,
    /// The owner organisation's name (its id if it has none or is missing).
    pub owner_name: String,
    pub meeting_id: String,
    /// The meeting's title and date, empty when the item has no meeting.
    pub meeting_title: String,
    pub meeting_date: String,
    pub workplan_line_id: String,
    pub workplan_line_title: String,
    pub completed_on: String,
    /// Invented demo data.
    pub example: bool,
}

/// Whether an action item's status closes it.
pub fn is_closed(status: &str) -> bool {
    CLOSED_ACTION_STATUSES.contains(&status)
}

/// Titles of the records of one collection by id, deleted ones included
/// (a reference to a deleted owner still shows a name).
fn titles(source: &impl RecordSource, collection: Collection) -> HashMap<&str, &Record> {
    source
        .records(collection)
        .iter()
        .map(|record| (record.id.as_str(), record))
        .collect()
}

/// The name a reference shows: the record's title, or the id itself.
fn title_of(records: &HashMap<&str, &Record>, id: &str) -> String {
    records
        .get(id)
        .map(|record| record.title().trim())
        .filter(|title| !title.is_empty())
        .unwrap_or(id)
        .to_owned()
}

/// Reads action items into [`OpenItem`]s, with the lookups done once.
struct ItemReader<'a> {
    organisations: HashMap<&'a str, &'a Record>,
    meetings: HashMap<&'a str, &'a Record>,
    lines: HashMap<&'a str, &'a Record>,
    today: &'a str,
}

impl<'a> ItemReader<'a> {
    fn new(source: &'a impl RecordSource, today: &'a str) -> Self {
        Self {
            organisations: titles(source, Collection::Organisations),
            meetings: titles(source, Collection::Meetings),
            lines: titles(source, Collection::WorkplanLines),
            today,
        }
    }

    fn read(&self, record: &Record) -> OpenItem {
        let (status, due) = (record.text("status"), record.text("due"));
        let closed = is_closed(status);
        let (meeting_id, line_id) = (record.text("meeting"), record.text("workplan_line"));
        let meeting = self.meetings.get(meeting_id);
        OpenItem {
            id: record.id.clone(),
            title: record.title().to_owned(),
            status: status.to_owned(),
            due: due.to_owned(),
            overdue: !closed && !due.is_empty() && due < self.today,
            closed,
            owner_id: record.text("owner").to_owned(),
            owner_name: if record.text("owner").is_empty() {
                String::new()
            } else {
                title_of(&self.organisations, record.text("owner"))
            },
            meeting_id: meeting_id.to_owned(),
            meeting_title: if meeting_id.is_empty() {
                String::new()
            } else {
                title_of(&self.meetings, meeting_id)
            },
            meeting_date: meeting
                .map(|meeting| meeting.text("date").to_owned())
                .unwrap_or_default(),
            workplan_line_id: line_id.to_owned(),
            workplan_line_title: if line_id.is_empty() {
                String::new()
            } else {
                title_of(&self.lines, line_id)
            },
            completed_on: record.text("completed_on").to_owned(),
            example: record.example,
        }
    }
}

/// By due date, earliest first, undated last; then by title and id.
fn sort_items(items: &mut [OpenItem]) {
    items.sort_by(|left, right| {
        (left.due.is_empty(), &left.due, fold(&left.title), &left.id).cmp(&(
            right.due.is_empty(),
            &right.due,
            fold(&right.title),
            &right.id,
        ))
    });
}

/// The action items `filter` selects across all meetings, sorted by due
/// date (undated last), each marked overdue if due before `today` and
/// still open. Closed items only with [`ActionFilter::include_closed`].
pub fn open_action_items(source: &impl RecordSource, filter: &ActionFilter, today: &str) -> Vec<OpenItem> {
    let reader = ItemReader::new(source, today);
    let mut items: Vec<OpenItem> = source
        .records(Collection::ActionItems)
        .iter()
        .filter(|record| !record.deleted)
        .filter(|record| filter.owner.is_empty() || record.text("owner") == filter.owner)
        .filter(|record| {
            filter.workplan_line.is_empty() || record.text("workplan_line") == filter.workplan_line
        })
        .filter(|record| {
            let due = record.text("due");
            (filter.due_from.is_empty() || (!due.is_empty() && due >= filter.due_from.as_str()))
                && (filter.due_to.is_empty() || (!due.is_empty() && due <= filter.due_to.as_str()))
        })
        .map(|record| reader.read(record))
        .filter(|item| filter.include_closed || !item.closed)
        .collect();
    sort_items(&mut items);
    items
}

/// Every action item of one meeting, closed ones included, in the order of
/// [`open_action_items`].
pub fn meeting_action_items(source: &impl RecordSource, meeting_id: &str, today: &str) -> Vec<OpenItem> {
    let reader = ItemReader::new(source, today);
    let mut items: Vec<OpenItem> = source
        .records(Collection::ActionItems)
        .iter()
        .filter(|record| !record.deleted && record.text("meeting") == meeting_id)
        .map(|record| reader.read(record))
        .collect();
    sort_items(&mut items);
    items
}

/// A record listed in a follow-up section: its title, its date (the
/// collection's date field: a meeting's or activity's date, an alliance's,
/// collaboration's or working group's start) and its status slug, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Linked {
    pub collection: Collection,
    pub id: String,
    pub title: String,
    pub date: String,
    pub status: String,
    pub example: bool,
}

fn linked(record: &Record) -> Linked {
    Linked {
        collection: record.collection,
        id: record.id.clone(),
        title: record.title().to_owned(),
        date: record
            .collection
            .spec()
            .sort_date
            .map(|key| record.text(key))
            .unwrap_or_default()
            .to_owned(),
        status: record.text("status").to_owned(),
        example: record.example,
    }
}

/// Dated first, by date, then undated; then by title and id.
fn sort_linked(list: &mut [Linked]) {
    list.sort_by(|left, right| {
        (left.date.is_empty(), &left.date, fold(&left.title), &left.id).cmp(&(
            right.date.is_empty(),
            &right.date,
            fold(&right.title),
            &right.id,
        ))
    });
}

/// The live records of `collection` whose `field` (a reference or a list of
/// references) names `id`, sorted.
fn naming(source: &impl RecordSource, collection: Collection, field: &str, id: &str) -> Vec<Linked> {
    let mut list: Vec<Linked> = source
        .records(collection)
        .iter()
        .filter(|record| !record.deleted)
        .filter(|record| record.text(field) == id || record.list(field).iter().any(|item| item == id))
        .map(linked)
        .collect();
    sort_linked(&mut list);
    list
}

/// How many records have each status: one `(slug, count)` per choice, in
/// the choices' order (zeros included), then any unknown slug in order of
/// appearance.
pub fn counts_by_status(list: &[Linked], choices: &[Choice]) -> Vec<(String, usize)> {
    let mut counts: Vec<(String, usize)> = choices.iter().map(|choice| (choice.slug.to_owned(), 0)).collect();
    for record in list {
        match counts.iter_mut().find(|(slug, _)| *slug == record.status) {
            Some((_, count)) => *count += 1,
            None => counts.push((record.status.clone(), 1)),
        }
    }
    counts
}

/// A work-plan line's action items in figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ActionCounts {
    /// Not closed (open or in progress), overdue ones included.
    pub open: usize,
    /// Open and due before today.
    pub overdue: usize,
    pub done: usize,
    pub cancelled: usize,
}

/// A line's progress in figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// `(slug, count)` per alliance pipeline status.
    pub alliances: Vec<(String, usize)>,
    /// `(slug, count)` per collaboration status.
    pub collaborations: Vec<(String, usize)>,
    pub action_items: ActionCounts,
    /// Activities dated today or before, of all the line's activities.
    pub activities_held: usize,
    /// Meetings dated today or before, of all the line's meetings.
    pub meetings_held: usize,
    /// The work done, of the work undertaken: action items done plus
    /// collaborations completed. See [`Progress::percent`].
    pub accomplished: usize,
    /// Action items not cancelled plus collaborations (any status).
    pub undertaken: usize,
}

impl Progress {
    /// The line's single progress figure: the share (0–100, rounded down) of
    /// what it undertook that is accomplished — its action items done and
    /// its government collaborations completed, of its action items not
    /// cancelled and all its collaborations (a suspended one is unfinished
    /// work, a cancelled action is not work any more). Alliances, activities
    /// and meetings have no end state that means "done" for the line, so
    /// they are counted beside it, not in it. `None` when the line
    /// undertook nothing yet: no figure rather than a misleading 0 %.
    pub fn percent(&self) -> Option<usize> {
        (self.undertaken > 0).then(|| self.accomplished * 100 / self.undertaken)
    }
}

/// A work-plan line with everything that names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineSummary {
    pub id: String,
    pub title: String,
    pub period: String,
    pub deleted: bool,
    pub example: bool,
    pub activities: Vec<Linked>,
    pub alliances: Vec<Linked>,
    pub collaborations: Vec<Linked>,
    pub meetings: Vec<Linked>,
    pub working_groups: Vec<Linked>,
    /// Every action item on the line, closed ones included.
    pub action_items: Vec<OpenItem>,
    pub progress: Progress,
}

/// One work-plan line: its activities, alliances, collaborations, meetings
/// and working groups (those whose `workplan_lines` name it) and action
/// items (whose `workplan_line` is it), with its [`Progress`] as of
/// `today`. `None` if there is no such line.
pub fn line_summary(source: &impl RecordSource, line_id: &str, today: &str) -> Option<LineSummary> {
    let line = source
        .records(Collection::WorkplanLines)
        .iter()
        .find(|record| record.id == line_id)?;
    Some(summarise_line(source, line, &ItemReader::new(source, today)))
}

fn summarise_line(source: &impl RecordSource, line: &Record, reader: &ItemReader<'_>) -> LineSummary {
    let named_by = |collection| naming(source, collection, "workplan_lines", &line.id);
    let (activities, alliances, collaborations) = (
        named_by(Collection::Activities),
        named_by(Collection::Alliances),
        named_by(Collection::Collaborations),
    );
    let (meetings, working_groups) = (
        named_by(Collection::Meetings),
        named_by(Collection::WorkingGroups),
    );
    let mut action_items: Vec<OpenItem> = source
        .records(Collection::ActionItems)
        .iter()
        .filter(|record| !record.deleted && record.text("workplan_line") == line.id)
        .map(|record| reader.read(record))
        .collect();
    sort_items(&mut action_items);

    let mut counts = ActionCounts::default();
    for item in &action_items {
        match item.status.as_str() {
            "done" => counts.done += 1,
            "cancelled" => counts.cancelled += 1,
            _ => {
                counts.open += 1;
                counts.overdue += usize::from(item.overdue);
            }
        }
    }
    let held = |list: &[Linked]| {
        list.iter()
            .filter(|record| !record.date.is_empty() && record.date.as_str() <= reader.today)
            .count()
    };
    let completed = collaborations
        .iter()
        .filter(|record| record.status == "completed")
        .count();
    let progress = Progress {
        alliances: counts_by_status(&alliances, ALLIANCE_STATUSES),
        collaborations: counts_by_status(&collaborations, COLLABORATION_STATUSES),
        action_items: counts,
        activities_held: held(&activities),
        meetings_held: held(&meetings),
        accomplished: counts.done + completed,
        undertaken: action_items.len() - counts.cancelled + collaborations.len(),
    };
    LineSummary {
        id: line.id.clone(),
        title: line.title().to_owned(),
        period: line.text("period").to_owned(),
        deleted: line.deleted,
        example: line.example,
        activities,
        alliances,
        collaborations,
        meetings,
        working_groups,
        action_items,
        progress,
    }
}

/// A period as the picker compares it: spaces gone, any dash an en dash
/// (`2020-2021`, `2020 – 2021` and `2020–2021` are one period).
pub fn period_key(period: &str) -> String {
    period
        .chars()
        .filter(|character| !character.is_whitespace())
        .map(|character| match character {
            '-' | '—' | '‒' | '−' => '–',
            other => other,
        })
        .collect()
}

/// The periods of the live work-plan lines (as [`period_key`] writes them),
/// latest first; the work plan's period picker offers these.
pub fn periods(source: &impl RecordSource) -> Vec<String> {
    let mut periods: Vec<String> = source
        .records(Collection::WorkplanLines)
        .iter()
        .filter(|line| !line.deleted)
        .map(|line| period_key(line.text("period")))
        .filter(|period| !period.is_empty())
        .collect();
    periods.sort_unstable_by(|left, right| right.cmp(left));
    periods.dedup();
    periods
}

/// Every live work-plan line of `period` (all of them if `period` is
/// empty), summarised as [`line_summary`] does, by title.
pub fn overview(source: &impl RecordSource, period: &str, today: &str) -> Vec<LineSummary> {
    let reader = ItemReader::new(source, today);
    let wanted = period_key(period);
    let mut lines: Vec<&Record> = source
        .records(Collection::WorkplanLines)
        .iter()
        .filter(|line| !line.deleted)
        .filter(|line| wanted.is_empty() || period_key(line.text("period")) == wanted)
        .collect();
    lines.sort_by_key(|line| (fold(line.title()), line.id.clone()));
    lines
        .into_iter()
        .map(|line| summarise_line(source, line, &reader))
        .collect()
}

/// A working group's follow-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingGroupSummary {
    /// Its meetings (whose `working_group` is it), by date.
    pub meetings: Vec<Linked>,
    /// The action items of those meetings, closed ones included.
    pub action_items: Vec<OpenItem>,
    /// The live work-plan lines it works on (its `workplan_lines`, in order).
    pub lines: Vec<Linked>,
}

/// A working group's meetings, their action items and its work-plan lines;
/// `None` if there is no such group.
pub fn working_group_summary(
    source: &impl RecordSource,
    group_id: &str,
    today: &str,
) -> Option<WorkingGroupSummary> {
    let group = source
        .records(Collection::WorkingGroups)
        .iter()
        .find(|record| record.id == group_id)?;
    let meetings = naming(source, Collection::Meetings, "working_group", group_id);
    let reader = ItemReader::new(source, today);
    let mut action_items: Vec<OpenItem> = source
        .records(Collection::ActionItems)
        .iter()
        .filter(|record| !record.deleted)
        .filter(|record| {
            meetings
                .iter()
                .any(|meeting| meeting.id == record.text("meeting"))
        })
        .map(|record| reader.read(record))
        .collect();
    sort_items(&mut action_items);
    let lines = group
        .list("workplan_lines")
        .iter()
        .filter_map(|id| reader.lines.get(id.as_str()).copied())
        .filter(|line| !line.deleted)
        .map(linked)
        .collect();
    Some(WorkingGroupSummary {
        meetings,
        action_items,
        lines,
    })
}

/// An action item agreed at a meeting, as the meeting page's form gives it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NewActionItem {
    pub title: String,
    /// The owner organisation's id (required).
    pub owner: String,
    /// `YYYY-MM-DD` or empty.
    pub due: String,
    /// A work-plan line's id or empty.
    pub workplan_line: String,
}

/// Creates action item `id` for `meeting_id`, status open, as one change
/// (`add action item <title>`). Title and owner are required.
pub fn create_action_item(
    document: &mut Automerge,
    id: &str,
    meeting_id: &str,
    item: &NewActionItem,
    authorship: &Authorship<'_>,
) -> Result<(), ModelError> {
    if item.title.trim().is_empty() {
        return Err(ModelError::Required("title"));
    }
    if item.owner.trim().is_empty() {
        return Err(ModelError::Required("owner"));
    }
    let text = |value: &str| Initial::Text(value.trim().to_owned());
    let mut initial = vec![
        ("title", text(&item.title)),
        ("meeting", text(meeting_id)),
        ("owner", text(&item.owner)),
        ("status", text("open")),
    ];
    if !item.due.trim().is_empty() {
        initial.push(("due", text(&item.due)));
    }
    if !item.workplan_line.trim().is_empty() {
        initial.push(("workplan_line", text(&item.workplan_line)));
    }
    records::create_record(document, Collection::ActionItems, id, &initial, authorship)
}

/// Changes an action item's status as one change (`edit action item
/// <title>: status`): `done` also records `completed_on` (today, unless
/// already set); any other status clears it, since the item is not
/// completed any more.
pub fn set_action_status(
    document: &mut Automerge,
    id: &str,
    status: &str,
    today: &str,
    authorship: &Authorship<'_>,
) -> Result<(), ModelError> {
    if !ACTION_STATUSES.iter().any(|choice| choice.slug == status) {
        return Err(ModelError::WrongFieldKind(format!("status = {status}")));
    }
    let current = records::read_one(document, Collection::ActionItems, id).ok_or_else(|| {
        ModelError::MissingRecord {
            collection: Collection::ActionItems.key(),
            id: id.to_owned(),
        }
    })?;
    let record = records::record_object(document, Collection::ActionItems, id)?;
    let completed_on = match (status, current.text("completed_on")) {
        ("done", "") => Some(today),
        ("done", _) => None,
        (_, "") => None,
        _ => Some(""),
    };
    let title = match current.title().trim() {
        "" => id,
        title => title,
    };
    let message = format!("edit {} {title}: status", Collection::ActionItems.noun());
    records::commit(document, authorship, message, |transaction| {
        transaction.put(&record, "status", status)?;
        if let Some(date) = completed_on {
            transaction.put(&record, "completed_on", date)?;
        }
        Ok(())
    })
}
