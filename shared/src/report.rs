//! The annual report: generated from the records for a period, in Spanish
//! or English, and rendered as one standalone HTML document (inline CSS, no
//! scripts, no external resources) that is both the page people print and
//! the file they download.
//!
//! # What each section holds
//! Dates are `YYYY-MM-DD` strings, compared as text; a period runs from
//! `start` to `end`, both included. Deleted records never appear.
//! - **Presidency**: the terms whose dates overlap the period; the
//!   **technical secretariat** is the organisation in `meta`.
//! - **Members**: organisations with membership `member` whose
//!   `member_since`/`member_until` (each optional) overlap the period,
//!   grouped by kind in the schema's order.
//! - **Meetings held**: meetings dated in the period, with attendance
//!   counts (attended, apologised, listed) and decisions.
//! - **Activities per work-plan line**: activities dated in the period,
//!   under each line they are on (twice if on two lines); those on no line
//!   under their own heading.
//! - **Alliances**: *new* ones started (`start`) in the period, whatever
//!   their status; *signed* ones, at status `signed`, and *active* ones, at
//!   status `active`, that started on or before the period's end (or have no
//!   start date). Statuses are read at the report's version, so an issued
//!   report keeps what was true when it was issued.
//! - **Government collaborations**: those whose `start`–`end` overlaps the
//!   period (no end: still running); with no start date, those in progress.
//!   Each with its results.
//! - **Action items**: of meetings held on or before the period's end (or
//!   of no meeting), those *completed* in it (status `done`, `completed_on`
//!   in the period) and those *open at its end* (status open or in
//!   progress, or done after the period); an open one whose due date is
//!   before the period's end is *overdue*. Cancelled items are in neither.
//!
//! # Pinned to heads
//! [`issue`] stores the document's heads just before the issuing change
//! (`issued_heads`) and the issue date; [`for_record`] then reads the whole
//! workspace, and the report record itself, at those heads ([`At`]), so an
//! issued report renders byte for byte the same however the records change
//! later. A draft renders from the document as it is. Output is
//! deterministic: everything is sorted, and no clock is read.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use automerge::transaction::Transactable as _;
use automerge::{Automerge, AutomergeError, ChangeHash, ObjType};

use crate::language::{Bilingual, Language, fold};
use crate::model::{At, Authorship, DocRead, ModelError, workspace_name};
use crate::records::{self, Record, commit, record_object};
use crate::schema::{
    ACTIVITY_KINDS, ALLIANCE_STATUSES, CLOSED_ACTION_STATUSES, COLLABORATION_STATUSES, Choice, Collection,
    MEETING_KINDS, ORGANISATION_KINDS, choice_label,
};
use crate::validation::is_date;

/// The dates a report covers, both included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub start: String,
    pub end: String,
}

impl Period {
    /// A period from two `YYYY-MM-DD` dates, the first not after the second.
    pub fn new(start: &str, end: &str) -> Result<Self, ReportError> {
        let (start, end) = (start.trim(), end.trim());
        if !is_date(start) || !is_date(end) || end < start {
            return Err(ReportError::BadPeriod {
                start: start.to_owned(),
                end: end.to_owned(),
            });
        }
        Ok(Self {
            start: start.to_owned(),
            end: end.to_owned(),
        })
    }

    /// A calendar year.
    pub fn year(year: u16) -> Self {
        Self {
            start: format!("{year:04}-01-01"),
            end: format!("{year:04}-12-31"),
        }
    }

    /// Whether a valid date falls in the period.
    pub fn contains(&self, date: &str) -> bool {
        is_date(date) && self.start.as_str() <= date && date <= self.end.as_str()
    }

    /// Whether `[from, to]` overlaps the period; an empty `from` or `to` is open-ended.
    fn overlaps(&self, from: &str, to: &str) -> bool {
        (from.is_empty() || from <= self.end.as_str()) && (to.is_empty() || to >= self.start.as_str())
    }

    /// How the period is written in `language` (`1 July 2020 – 30 June 2021`).
    pub fn label(&self, language: Language) -> String {
        format!(
            "{} – {}",
            format_date(&self.start, language),
            format_date(&self.end, language)
        )
    }

    /// The years it spans, for titles (`2020–2021`, `2021`).
    pub fn years_label(&self) -> String {
        self.years().replace('-', "–")
    }

    /// The years it spans, for file names (`2020-2021`, `2021`).
    pub fn years(&self) -> String {
        let (from, to) = (&self.start[..4], &self.end[..4]);
        if from == to {
            from.to_owned()
        } else {
            format!("{from}-{to}")
        }
    }
}

/// A presidency term as a period a report can cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermPeriod {
    pub term_id: String,
    /// `Embajada de España · 2020–2021`
    pub label: String,
    pub period: Period,
}

/// The presidency terms with valid dates, newest first, as report periods;
/// `organisation_name` names a term's organisation.
pub fn presidency_periods<'a>(
    terms: impl IntoIterator<Item = &'a Record>,
    organisation_name: impl Fn(&str) -> String,
) -> Vec<TermPeriod> {
    let mut periods: Vec<TermPeriod> = terms
        .into_iter()
        .filter(|term| !term.deleted)
        .filter_map(|term| {
            let period = Period::new(term.text("start"), term.text("end")).ok()?;
            Some(TermPeriod {
                term_id: term.id.clone(),
                label: format!(
                    "{} · {}",
                    organisation_name(term.text("organisation")),
                    period.years_label()
                ),
                period,
            })
        })
        .collect();
    periods.sort_by(|left, right| {
        (&right.period.start, &right.term_id).cmp(&(&left.period.start, &left.term_id))
    });
    periods
}

/// A new report's title: `Informe anual 2020–2021`, `Annual report 2021`.
pub fn default_title(period: &Period, language: Language) -> String {
    format!("{} {}", words::ANNUAL_REPORT.get(language), period.years_label())
}

/// Why a report could not be generated or issued.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("`{start}` – `{end}` is not a period (two dates YYYY-MM-DD, the first not after the second)")]
    BadPeriod { start: String, end: String },
    #[error("no report `{0}`")]
    MissingReport(String),
    #[error("the report's issued version holds `{0}`, which is not a change hash")]
    BadHead(String),
    #[error("the report's issued version {0} is not in this copy of the workspace (it may still be syncing)")]
    UnknownHead(String),
    #[error("the report did not exist at its issued version")]
    NotAtVersion,
    #[error(transparent)]
    Model(#[from] ModelError),
}

impl ReportError {
    /// The message shown to people.
    pub fn message(&self, language: Language) -> String {
        let words = |es: &str, en: &str| pick(language, es, en).to_owned();
        match self {
            Self::BadPeriod { .. } => words(
                "El periodo no es válido: dos fechas AAAA-MM-DD, la primera no posterior a la segunda.",
                "Not a valid period: two dates YYYY-MM-DD, the first not after the second.",
            ),
            Self::MissingReport(_) => words("Este informe no existe.", "This report does not exist."),
            Self::BadHead(_) | Self::NotAtVersion => words(
                "La versión emitida de este informe no es válida; vuelva a emitirlo.",
                "This report's issued version is not valid; issue it again.",
            ),
            Self::UnknownHead(_) => words(
                "Esta copia aún no tiene la versión emitida del informe; espere a que termine la sincronización.",
                "This copy does not have the report's issued version yet; wait for syncing to finish.",
            ),
            Self::Model(error) => error.to_string(),
        }
    }
}

fn pick<'a>(language: Language, es: &'a str, en: &'a str) -> &'a str {
    match language {
        Language::Spanish => es,
        Language::English => en,
    }
}

/// A presidency term overlapping the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresidencyEntry {
    pub organisation: String,
    pub start: String,
    pub end: String,
    pub extended: bool,
}

/// The members of one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberGroup {
    pub kind: &'static str,
    pub kind_label: String,
    /// Display names (`name (acronym)`), sorted.
    pub members: Vec<String>,
}

/// A meeting held in the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingEntry {
    pub date: String,
    pub kind: String,
    pub kind_label: String,
    pub title: String,
    pub working_group: Option<String>,
    pub attended: usize,
    pub apologised: usize,
    /// Everyone on the attendance list, whatever their status.
    pub listed: usize,
    pub decisions: Vec<String>,
}

/// An activity dated in the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityEntry {
    pub date: String,
    pub kind_label: String,
    pub title: String,
    pub organisers: Vec<String>,
}

/// A work-plan line and its activities in the period (`title` is empty
/// for the activities on no line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineActivities {
    pub title: String,
    pub activities: Vec<ActivityEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllianceEntry {
    pub title: String,
    pub partner: String,
    pub status_label: String,
    pub start: String,
}

/// The three views of the alliances (see the module's documentation).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Alliances {
    pub new: Vec<AllianceEntry>,
    pub signed: Vec<AllianceEntry>,
    pub active: Vec<AllianceEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollaborationEntry {
    pub programme: String,
    pub institution: String,
    pub status_label: String,
    pub start: String,
    pub end: String,
    pub results: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionEntry {
    pub title: String,
    pub owner: String,
    pub due: String,
    pub completed_on: String,
    /// Open at the period's end with a due date before it.
    pub overdue: bool,
}

/// An annual report, every section typed; [`render_html`] writes it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub language: Language,
    pub roundtable: String,
    pub title: String,
    pub period: Period,
    /// `None` for a draft.
    pub issued_on: Option<String>,
    /// The first 8 hex digits of each head the report was read at, sorted.
    pub version: String,
    pub introduction: String,
    pub closing: String,
    pub presidencies: Vec<PresidencyEntry>,
    pub secretariat: Option<String>,
    pub members: Vec<MemberGroup>,
    pub meetings: Vec<MeetingEntry>,
    pub lines: Vec<LineActivities>,
    pub alliances: Alliances,
    pub collaborations: Vec<CollaborationEntry>,
    pub actions_completed: Vec<ActionEntry>,
    pub actions_open: Vec<ActionEntry>,
}

/// `2020-07-01` as `1 de julio de 2020` or `1 July 2020` (anything else as given).
pub fn format_date(date: &str, language: Language) -> String {
    const MONTHS: [Bilingual; 12] = [
        Bilingual::new("enero", "January"),
        Bilingual::new("febrero", "February"),
        Bilingual::new("marzo", "March"),
        Bilingual::new("abril", "April"),
        Bilingual::new("mayo", "May"),
        Bilingual::new("junio", "June"),
        Bilingual::new("julio", "July"),
        Bilingual::new("agosto", "August"),
        Bilingual::new("septiembre", "September"),
        Bilingual::new("octubre", "October"),
        Bilingual::new("noviembre", "November"),
        Bilingual::new("diciembre", "December"),
    ];
    if !is_date(date) {
        return date.to_owned();
    }
    let (year, month, day) = (&date[..4], &date[5..7], &date[8..10]);
    let month = MONTHS[month.parse::<usize>().unwrap_or(1).clamp(1, 12) - 1].get(language);
    let day = day.trim_start_matches('0');
    match language {
        Language::Spanish => format!("{day} de {month} de {year}"),
        Language::English => format!("{day} {month} {year}"),
    }
}

/// The short form of a version: the first 8 hex digits of each head, sorted.
pub fn short_version(heads: &[ChangeHash]) -> String {
    let mut short: Vec<String> = heads
        .iter()
        .map(|head| head.to_string()[..8].to_owned())
        .collect();
    short.sort();
    short.join(" ")
}

/// Every record of the workspace, read once, by collection and id.
struct Records {
    by_collection: BTreeMap<Collection, Vec<Record>>,
}

impl Records {
    fn read<R: DocRead + ?Sized>(document: &R) -> Result<Self, ModelError> {
        let mut by_collection = BTreeMap::new();
        for collection in Collection::ALL {
            by_collection.insert(collection, records::read_all(document, collection)?);
        }
        Ok(Self { by_collection })
    }

    /// The records of a collection that are not deleted.
    fn live(&self, collection: Collection) -> impl Iterator<Item = &Record> {
        self.by_collection
            .get(&collection)
            .into_iter()
            .flatten()
            .filter(|record| !record.deleted)
    }

    fn get(&self, collection: Collection, id: &str) -> Option<&Record> {
        self.by_collection
            .get(&collection)?
            .iter()
            .find(|record| record.id == id)
    }

    /// An organisation's display name, `name (acronym)`; the id itself if
    /// it names no organisation (deleted ones keep their name).
    fn organisation(&self, id: &str) -> String {
        let Some(organisation) = self.get(Collection::Organisations, id) else {
            return id.to_owned();
        };
        let (name, acronym) = (
            organisation.text("name").trim(),
            organisation.text("acronym").trim(),
        );
        if acronym.is_empty() || fold(acronym) == fold(name) {
            name.to_owned()
        } else {
            format!("{name} ({acronym})")
        }
    }
}

fn sorted_by_name(mut names: Vec<String>) -> Vec<String> {
    names.sort_by(|left, right| fold(left).cmp(&fold(right)).then_with(|| left.cmp(right)));
    names
}

/// The report for `period` from the records as `document` reads them, with
/// no introduction or closing yet; a draft at the document's heads.
pub fn generate<R: DocRead + ?Sized>(
    document: &R,
    period: &Period,
    language: Language,
) -> Result<Report, ReportError> {
    let all = Records::read(document)?;
    let label = |choices: &[Choice], slug: &str| choice_label(choices, slug, language);

    let mut presidencies: Vec<(&str, PresidencyEntry)> = all
        .live(Collection::PresidencyTerms)
        .filter(|term| {
            let (start, end) = (term.text("start"), term.text("end"));
            is_date(start) && is_date(end) && period.overlaps(start, end)
        })
        .map(|term| {
            (
                term.id.as_str(),
                PresidencyEntry {
                    organisation: all.organisation(term.text("organisation")),
                    start: term.text("start").to_owned(),
                    end: term.text("end").to_owned(),
                    extended: term.flag("extended"),
                },
            )
        })
        .collect();
    presidencies
        .sort_by(|(left_id, left), (right_id, right)| (&left.start, left_id).cmp(&(&right.start, right_id)));

    let members = ORGANISATION_KINDS
        .iter()
        .filter_map(|kind| {
            let names: Vec<String> = all
                .live(Collection::Organisations)
                .filter(|organisation| {
                    organisation.text("kind") == kind.slug
                        && organisation.text("membership") == "member"
                        && period.overlaps(
                            organisation.text("member_since"),
                            organisation.text("member_until"),
                        )
                })
                .map(|organisation| all.organisation(&organisation.id))
                .collect();
            (!names.is_empty()).then(|| MemberGroup {
                kind: kind.slug,
                kind_label: kind.label(language).to_owned(),
                members: sorted_by_name(names),
            })
        })
        .collect();

    let mut meetings: Vec<(String, MeetingEntry)> = all
        .live(Collection::Meetings)
        .filter(|meeting| period.contains(meeting.text("date")))
        .map(|meeting| {
            let attendance = meeting.items("attendance");
            let count = |status: &str| {
                attendance
                    .iter()
                    .filter(|item| item.text("status") == status)
                    .count()
            };
            let key = format!(
                "{} {} {} {}",
                meeting.text("date"),
                meeting.text("time"),
                fold(meeting.title()),
                meeting.id
            );
            let working_group = Some(meeting.text("working_group"))
                .filter(|id| !id.is_empty())
                .map(|id| {
                    all.get(Collection::WorkingGroups, id)
                        .map_or_else(|| id.to_owned(), |group| group.title().to_owned())
                });
            let entry = MeetingEntry {
                date: meeting.text("date").to_owned(),
                kind: meeting.text("kind").to_owned(),
                kind_label: label(MEETING_KINDS, meeting.text("kind")),
                title: meeting.title().to_owned(),
                working_group,
                attended: count("attended"),
                apologised: count("apologised"),
                listed: attendance.len(),
                decisions: meeting
                    .items("decisions")
                    .iter()
                    .map(|decision| decision.text("text").trim().to_owned())
                    .filter(|text| !text.is_empty())
                    .collect(),
            };
            (key, entry)
        })
        .collect();
    meetings.sort_by(|left, right| left.0.cmp(&right.0));

    let mut activities: Vec<(String, &Record)> = all
        .live(Collection::Activities)
        .filter(|activity| period.contains(activity.text("date")))
        .map(|activity| {
            (
                format!(
                    "{} {} {}",
                    activity.text("date"),
                    fold(activity.title()),
                    activity.id
                ),
                activity,
            )
        })
        .collect();
    activities.sort_by(|left, right| left.0.cmp(&right.0));
    let activity_entry = |activity: &Record| ActivityEntry {
        date: activity.text("date").to_owned(),
        kind_label: label(ACTIVITY_KINDS, activity.text("kind")),
        title: activity.title().to_owned(),
        organisers: sorted_by_name(
            activity
                .list("organisers")
                .iter()
                .map(|id| all.organisation(id))
                .collect(),
        ),
    };
    let mut line_records: Vec<&Record> = all.live(Collection::WorkplanLines).collect();
    line_records.sort_by(|left, right| {
        fold(left.title())
            .cmp(&fold(right.title()))
            .then_with(|| left.id.cmp(&right.id))
    });
    let mut lines: Vec<LineActivities> = line_records
        .iter()
        .map(|line| LineActivities {
            title: line.title().to_owned(),
            activities: activities
                .iter()
                .filter(|(_, activity)| activity.list("workplan_lines").contains(&line.id))
                .map(|(_, activity)| activity_entry(activity))
                .collect(),
        })
        .collect();
    let on_no_line: Vec<ActivityEntry> = activities
        .iter()
        .filter(|(_, activity)| {
            !activity
                .list("workplan_lines")
                .iter()
                .any(|id| line_records.iter().any(|line| &line.id == id))
        })
        .map(|(_, activity)| activity_entry(activity))
        .collect();
    if !on_no_line.is_empty() {
        lines.push(LineActivities {
            title: String::new(),
            activities: on_no_line,
        });
    }

    let mut alliance_records: Vec<&Record> = all.live(Collection::Alliances).collect();
    alliance_records.sort_by(|left, right| {
        (left.text("start"), fold(left.title()), &left.id).cmp(&(
            right.text("start"),
            fold(right.title()),
            &right.id,
        ))
    });
    let alliance_entry = |alliance: &&Record| AllianceEntry {
        title: alliance.title().to_owned(),
        partner: all.organisation(alliance.text("partner")),
        status_label: label(ALLIANCE_STATUSES, alliance.text("status")),
        start: alliance.text("start").to_owned(),
    };
    let started_by_end = |alliance: &&&Record| {
        alliance.text("start").is_empty() || alliance.text("start") <= period.end.as_str()
    };
    let alliances = Alliances {
        new: alliance_records
            .iter()
            .filter(|alliance| period.contains(alliance.text("start")))
            .map(alliance_entry)
            .collect(),
        signed: alliance_records
            .iter()
            .filter(|alliance| alliance.text("status") == "signed")
            .filter(started_by_end)
            .map(alliance_entry)
            .collect(),
        active: alliance_records
            .iter()
            .filter(|alliance| alliance.text("status") == "active")
            .filter(started_by_end)
            .map(alliance_entry)
            .collect(),
    };

    let mut collaborations: Vec<(String, CollaborationEntry)> = all
        .live(Collection::Collaborations)
        .filter(|collaboration| {
            let (start, end) = (collaboration.text("start"), collaboration.text("end"));
            if start.is_empty() {
                collaboration.text("status") == "in_progress"
            } else {
                period.overlaps(start, end)
            }
        })
        .map(|collaboration| {
            (
                format!(
                    "{} {} {}",
                    collaboration.text("start"),
                    fold(collaboration.title()),
                    collaboration.id
                ),
                CollaborationEntry {
                    programme: collaboration.title().to_owned(),
                    institution: all.organisation(collaboration.text("institution")),
                    status_label: label(COLLABORATION_STATUSES, collaboration.text("status")),
                    start: collaboration.text("start").to_owned(),
                    end: collaboration.text("end").to_owned(),
                    results: collaboration.text("results").trim().to_owned(),
                },
            )
        })
        .collect();
    collaborations.sort_by(|left, right| left.0.cmp(&right.0));

    let mut actions: Vec<&Record> = all
        .live(Collection::ActionItems)
        .filter(|action| {
            let meeting = action.text("meeting");
            meeting.is_empty()
                || all
                    .get(Collection::Meetings, meeting)
                    .is_none_or(|meeting| meeting.text("date") <= period.end.as_str())
        })
        .collect();
    actions.sort_by(|left, right| {
        (left.text("due"), fold(left.title()), &left.id).cmp(&(
            right.text("due"),
            fold(right.title()),
            &right.id,
        ))
    });
    let open_at_end = |action: &&&Record| {
        let status = action.text("status");
        let completed_on = action.text("completed_on");
        (!CLOSED_ACTION_STATUSES.contains(&status))
            || (status == "done" && is_date(completed_on) && completed_on > period.end.as_str())
    };
    let action_entry = |action: &Record, open: bool| ActionEntry {
        title: action.title().to_owned(),
        owner: all.organisation(action.text("owner")),
        due: action.text("due").to_owned(),
        completed_on: if open {
            String::new()
        } else {
            action.text("completed_on").to_owned()
        },
        overdue: open && is_date(action.text("due")) && action.text("due") < period.end.as_str(),
    };
    let actions_completed = actions
        .iter()
        .filter(|action| action.text("status") == "done" && period.contains(action.text("completed_on")))
        .map(|action| action_entry(action, false))
        .collect();
    let actions_open = actions
        .iter()
        .filter(open_at_end)
        .map(|action| action_entry(action, true))
        .collect();

    Ok(Report {
        language,
        roundtable: workspace_name(document).unwrap_or_default(),
        title: String::new(),
        period: period.clone(),
        issued_on: None,
        version: short_version(&document.view_heads()),
        introduction: String::new(),
        closing: String::new(),
        presidencies: presidencies.into_iter().map(|(_, entry)| entry).collect(),
        secretariat: records::technical_secretariat(document).map(|id| all.organisation(&id)),
        members,
        meetings: meetings.into_iter().map(|(_, entry)| entry).collect(),
        lines,
        alliances,
        collaborations: collaborations.into_iter().map(|(_, entry)| entry).collect(),
        actions_completed,
        actions_open,
    })
}

/// The heads a report was issued at, each checked to be a change this
/// copy of the document holds (empty: a draft).
pub fn issued_heads(document: &Automerge, report: &Record) -> Result<Vec<ChangeHash>, ReportError> {
    report
        .list("issued_heads")
        .iter()
        .map(|text| {
            let head: ChangeHash = text
                .trim()
                .parse()
                .map_err(|_| ReportError::BadHead(text.chars().take(80).collect()))?;
            if document.get_change_meta_by_hash(&head).is_none() {
                return Err(ReportError::UnknownHead(head.to_string()));
            }
            Ok(head)
        })
        .collect()
}

/// The report record `report_id` as a [`Report`]: an issued one read
/// entirely at its issued heads (the records and the report's own title,
/// period, introduction and closing), a draft from the document as it is.
pub fn for_record(document: &Automerge, report_id: &str, language: Language) -> Result<Report, ReportError> {
    let current = records::read_one(document, Collection::Reports, report_id)
        .ok_or_else(|| ReportError::MissingReport(report_id.to_owned()))?;
    let heads = issued_heads(document, &current)?;
    if heads.is_empty() {
        return from_record(document, &current, None, language);
    }
    let at = At {
        document,
        heads: &heads,
    };
    let then = records::read_one(&at, Collection::Reports, report_id).ok_or(ReportError::NotAtVersion)?;
    // The issue date is written by the issuing change itself, after the heads it pins.
    let issued_on = Some(current.text("issued_on").to_owned());
    from_record(&at, &then, issued_on, language)
}

fn from_record<R: DocRead + ?Sized>(
    document: &R,
    record: &Record,
    issued_on: Option<String>,
    language: Language,
) -> Result<Report, ReportError> {
    let period = Period::new(record.text("period_start"), record.text("period_end"))?;
    let mut report = generate(document, &period, language)?;
    report.title = record.title().trim().to_owned();
    report.introduction = record.text("introduction").to_owned();
    report.closing = record.text("closing").to_owned();
    report.issued_on = issued_on;
    Ok(report)
}

/// Issues the report: stores the document's heads just before this change
/// (`issued_heads`, hex) and `issued_on`, in one change. Issuing again
/// pins the new heads. Returns the pinned heads.
pub fn issue(
    document: &mut Automerge,
    report_id: &str,
    issued_on: &str,
    authorship: &Authorship<'_>,
) -> Result<Vec<ChangeHash>, ReportError> {
    if !is_date(issued_on) {
        return Err(ReportError::BadPeriod {
            start: issued_on.to_owned(),
            end: issued_on.to_owned(),
        });
    }
    let record = record_object(document, Collection::Reports, report_id)?;
    let title = records::read_one(document, Collection::Reports, report_id)
        .map(|report| report.title().to_owned())
        .unwrap_or_default();
    let mut heads = document.get_heads();
    heads.sort();
    let hex: Vec<String> = heads.iter().map(ChangeHash::to_string).collect();
    commit(
        document,
        authorship,
        format!("issue report {title}"),
        |transaction| -> Result<(), AutomergeError> {
            let list = transaction.put_object(&record, "issued_heads", ObjType::List)?;
            for (index, head) in hex.iter().enumerate() {
                transaction.insert(&list, index, head.as_str())?;
            }
            transaction.put(&record, "issued_on", issued_on)?;
            Ok(())
        },
    )?;
    Ok(heads)
}

/// The file name of the downloaded report (`informe-anual-2020-2021.html`).
pub fn file_name(period: &Period, language: Language) -> String {
    format!(
        "{}-{}.html",
        pick(language, "informe-anual", "annual-report"),
        period.years()
    )
}

/// Text from a record made safe for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// The report's own words (domain labels come from the schema).
mod words {
    use crate::language::Bilingual;

    pub const ANNUAL_REPORT: Bilingual = Bilingual::new("Informe anual", "Annual report");
    pub const PERIOD: Bilingual = Bilingual::new("Periodo", "Period");
    pub const ISSUED_ON: Bilingual = Bilingual::new("Emitido el", "Issued on");
    pub const DRAFT: Bilingual = Bilingual::new("Borrador (no emitido)", "Draft (not issued)");
    pub const GENERATED_AT: Bilingual = Bilingual::new(
        "Generado a partir de los registros en la versión",
        "Generated from the records at version",
    );
    pub const CONTENTS: Bilingual = Bilingual::new("Contenido", "Contents");
    pub const INTRODUCTION: Bilingual = Bilingual::new("Introducción", "Introduction");
    pub const PRESIDENCY: Bilingual = Bilingual::new(
        "Presidencia y secretaría técnica",
        "Presidency and technical secretariat",
    );
    pub const PRESIDENCY_TERMS: Bilingual = Bilingual::new("Presidencia", "Presidency");
    pub const SECRETARIAT: Bilingual = Bilingual::new("Secretaría técnica", "Technical secretariat");
    pub const EXTENDED: Bilingual = Bilingual::new("prorrogada", "extended");
    pub const MEMBERS: Bilingual = Bilingual::new("Miembros", "Members");
    pub const MEMBERS_TOTAL: Bilingual = Bilingual::new("miembros en total", "members in all");
    pub const MEETINGS: Bilingual = Bilingual::new("Reuniones celebradas", "Meetings held");
    pub const DATE: Bilingual = Bilingual::new("Fecha", "Date");
    pub const KIND: Bilingual = Bilingual::new("Tipo", "Kind");
    pub const TITLE: Bilingual = Bilingual::new("Título", "Title");
    pub const ATTENDED: Bilingual = Bilingual::new("Asistieron", "Attended");
    pub const APOLOGISED: Bilingual = Bilingual::new("Se excusaron", "Apologised");
    pub const LISTED: Bilingual = Bilingual::new("Convocadas", "Invited");
    pub const WORKING_GROUP: Bilingual = Bilingual::new("Grupo de trabajo", "Working group");
    pub const DECISIONS: Bilingual = Bilingual::new("Acuerdos", "Decisions");
    pub const ACTIVITIES: Bilingual = Bilingual::new(
        "Actividades por línea del plan de trabajo",
        "Activities by work-plan line",
    );
    pub const NO_LINE: Bilingual = Bilingual::new("Sin línea del plan de trabajo", "On no work-plan line");
    pub const ORGANISERS: Bilingual = Bilingual::new("Organizan", "Organisers");
    pub const ALLIANCES: Bilingual =
        Bilingual::new("Alianzas con el sector privado", "Private-sector alliances");
    pub const NEW_ALLIANCES: Bilingual = Bilingual::new("Nuevas en el periodo", "New in the period");
    pub const SIGNED_ALLIANCES: Bilingual = Bilingual::new("Firmadas", "Signed");
    pub const ACTIVE_ALLIANCES: Bilingual = Bilingual::new("Activas", "Active");
    pub const PARTNER: Bilingual = Bilingual::new("Cámara o empresa", "Chamber or company");
    pub const STATUS: Bilingual = Bilingual::new("Estado", "Status");
    pub const START: Bilingual = Bilingual::new("Inicio", "Start");
    pub const END: Bilingual = Bilingual::new("Fin", "End");
    pub const COLLABORATIONS: Bilingual = Bilingual::new(
        "Colaboraciones con instituciones de gobierno",
        "Collaborations with government institutions",
    );
    pub const INSTITUTION: Bilingual = Bilingual::new("Institución", "Institution");
    pub const RESULTS: Bilingual = Bilingual::new("Resultados", "Results");
    pub const ACTIONS: Bilingual = Bilingual::new("Acciones de seguimiento", "Action items");
    pub const ACTIONS_COMPLETED: Bilingual =
        Bilingual::new("Cumplidas en el periodo", "Completed in the period");
    pub const ACTIONS_OPEN: Bilingual =
        Bilingual::new("Abiertas al cierre del periodo", "Open at the end of the period");
    pub const OWNER: Bilingual = Bilingual::new("Responsable", "Owner");
    pub const DUE: Bilingual = Bilingual::new("Fecha límite", "Due");
    pub const COMPLETED_ON: Bilingual = Bilingual::new("Cumplida el", "Completed on");
    pub const OVERDUE: Bilingual = Bilingual::new("vencida", "overdue");
    pub const CLOSING: Bilingual = Bilingual::new("Cierre", "Closing");
    pub const NONE: Bilingual = Bilingual::new("Ninguna en el periodo.", "None in the period.");
    pub const NO_TEXT: Bilingual = Bilingual::new("(sin texto)", "(no text)");
}

/// The print stylesheet: A4 pages numbered `n / N` in the bottom-right
/// margin box, none on the cover, the cover and the contents on pages of
/// their own, each main section from a new page, and no row or heading
/// split across pages.
const STYLE: &str = r#"
@page { size: A4; margin: 22mm 20mm 24mm 20mm;
  @bottom-right { content: counter(page) " / " counter(pages); font: 9pt Helvetica, Arial, sans-serif; color: #444; } }
@page :first { @bottom-right { content: none; } }
html { font: 11pt/1.45 Georgia, "Times New Roman", serif; color: #1a1a1a; }
body { margin: 0 auto; max-width: 46em; padding: 1.5em; }
h1, h2, h3, th, .cover, nav { font-family: Helvetica, Arial, sans-serif; }
h2 { font-size: 17pt; color: #3b2a6b; border-bottom: 2px solid #3b2a6b; padding-bottom: .2em; }
h3 { font-size: 12.5pt; margin: 1.2em 0 .4em; }
h2, h3 { break-after: avoid; break-inside: avoid; }
table { width: 100%; border-collapse: collapse; margin: .4em 0 1em; font-size: 10pt; }
th, td { text-align: left; vertical-align: top; padding: .3em .4em; border-bottom: 1px solid #ccc; }
th { background: #eeeaf6; }
tr, li, .meeting { break-inside: avoid; }
.cover { min-height: 230mm; display: flex; flex-direction: column; justify-content: center; break-after: page; }
.cover .kicker { font-size: 13pt; letter-spacing: .08em; text-transform: uppercase; color: #3b2a6b; }
.cover h1 { font-size: 28pt; margin: .3em 0; }
.cover .period { font-size: 15pt; }
.cover .issued, .cover .version { font-size: 10pt; color: #444; }
nav.toc { break-after: page; }
nav.toc ol { font-size: 12pt; line-height: 2; }
nav.toc a { color: inherit; text-decoration: none; }
section.chapter { break-before: page; }
.overdue { color: #a01010; font-weight: bold; }
.empty { color: #666; font-style: italic; }
@media screen { html { background: #f4f4f4; } body { background: #fff; } section.chapter, nav.toc { margin-top: 3em; } }
"#;

/// The report as one standalone HTML5 document: every text that comes from
/// a record is escaped; the only markup is ours.
pub fn render_html(report: &Report) -> String {
    let language = report.language;
    let say = |words: Bilingual| words.get(language);
    let date = |value: &str| escape(&format_date(value, language));
    let mut html = String::with_capacity(16 * 1024);
    let title = if report.title.trim().is_empty() {
        default_title(&report.period, language)
    } else {
        report.title.clone()
    };
    // `write!` into a String cannot fail; the results are ignored below.
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        language.code(),
        escape(&title),
    );
    let _ = write!(
        html,
        "<section class=\"cover\" id=\"cover\">\n<p class=\"kicker\">{}</p>\n<h1>{}</h1>\n<p class=\"roundtable\">{}</p>\n<p class=\"period\">{}: {}</p>\n<p class=\"issued\">{}</p>\n<p class=\"version\">{} {}</p>\n</section>\n",
        say(words::ANNUAL_REPORT),
        escape(&title),
        escape(&report.roundtable),
        say(words::PERIOD),
        escape(&report.period.label(language)),
        match &report.issued_on {
            Some(issued_on) => format!("{} {}", say(words::ISSUED_ON), date(issued_on)),
            None => say(words::DRAFT).to_owned(),
        },
        say(words::GENERATED_AT),
        escape(&report.version),
    );
    let sections: [(&str, Bilingual); 9] = [
        ("introduction", words::INTRODUCTION),
        ("presidency", words::PRESIDENCY),
        ("members", words::MEMBERS),
        ("meetings", words::MEETINGS),
        ("activities", words::ACTIVITIES),
        ("alliances", words::ALLIANCES),
        ("collaborations", words::COLLABORATIONS),
        ("action-items", words::ACTIONS),
        ("closing", words::CLOSING),
    ];
    let _ = write!(
        html,
        "<nav class=\"toc\" id=\"contents\">\n<h2>{}</h2>\n<ol>\n",
        say(words::CONTENTS)
    );
    for (id, heading) in &sections {
        let _ = writeln!(html, "<li><a href=\"#{id}\">{}</a></li>", say(*heading));
    }
    html.push_str("</ol>\n</nav>\n");
    let open = |html: &mut String, index: usize| {
        let (id, heading) = sections[index];
        let _ = write!(
            html,
            "<section class=\"chapter\" id=\"{id}\">\n<h2>{}</h2>\n",
            say(heading)
        );
    };
    let none = |html: &mut String| {
        let _ = writeln!(html, "<p class=\"empty\">{}</p>", say(words::NONE));
    };

    open(&mut html, 0);
    paragraphs(&mut html, &report.introduction, say(words::NO_TEXT));
    html.push_str("</section>\n");

    open(&mut html, 1);
    let _ = writeln!(html, "<h3>{}</h3>", say(words::PRESIDENCY_TERMS));
    if report.presidencies.is_empty() {
        none(&mut html);
    } else {
        html.push_str("<ul>\n");
        for term in &report.presidencies {
            let _ = writeln!(
                html,
                "<li>{}: {} – {}{}</li>",
                escape(&term.organisation),
                date(&term.start),
                date(&term.end),
                if term.extended {
                    format!(" ({})", say(words::EXTENDED))
                } else {
                    String::new()
                }
            );
        }
        html.push_str("</ul>\n");
    }
    let _ = writeln!(html, "<h3>{}</h3>", say(words::SECRETARIAT));
    match &report.secretariat {
        Some(secretariat) => {
            let _ = writeln!(html, "<p>{}</p>", escape(secretariat));
        }
        None => none(&mut html),
    }
    html.push_str("</section>\n");

    open(&mut html, 2);
    let total: usize = report.members.iter().map(|group| group.members.len()).sum();
    let _ = writeln!(html, "<p>{total} {}</p>", say(words::MEMBERS_TOTAL));
    for group in &report.members {
        let _ = write!(
            html,
            "<h3>{} ({})</h3>\n<ul>\n",
            escape(&group.kind_label),
            group.members.len()
        );
        for member in &group.members {
            let _ = writeln!(html, "<li>{}</li>", escape(member));
        }
        html.push_str("</ul>\n");
    }
    html.push_str("</section>\n");

    open(&mut html, 3);
    if report.meetings.is_empty() {
        none(&mut html);
    }
    for meeting in &report.meetings {
        let _ = write!(
            html,
            "<div class=\"meeting\">\n<h3>{} — {}</h3>\n<p>{}: {}{}</p>\n<p>{}: {} · {}: {} · {}: {}</p>\n",
            date(&meeting.date),
            escape(&meeting.title),
            say(words::KIND),
            escape(&meeting.kind_label),
            match &meeting.working_group {
                Some(group) => format!(" · {}: {}", say(words::WORKING_GROUP), escape(group)),
                None => String::new(),
            },
            say(words::ATTENDED),
            meeting.attended,
            say(words::APOLOGISED),
            meeting.apologised,
            say(words::LISTED),
            meeting.listed,
        );
        if !meeting.decisions.is_empty() {
            let _ = write!(html, "<p>{}:</p>\n<ol>\n", say(words::DECISIONS));
            for decision in &meeting.decisions {
                let _ = writeln!(html, "<li>{}</li>", escape(decision));
            }
            html.push_str("</ol>\n");
        }
        html.push_str("</div>\n");
    }
    html.push_str("</section>\n");

    open(&mut html, 4);
    for line in &report.lines {
        let heading = if line.title.is_empty() {
            say(words::NO_LINE).to_owned()
        } else {
            escape(&line.title)
        };
        let _ = writeln!(html, "<h3>{heading}</h3>");
        if line.activities.is_empty() {
            none(&mut html);
            continue;
        }
        let _ = writeln!(
            html,
            "<table>\n<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            say(words::DATE),
            say(words::KIND),
            say(words::TITLE),
            say(words::ORGANISERS)
        );
        for activity in &line.activities {
            let _ = writeln!(
                html,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                date(&activity.date),
                escape(&activity.kind_label),
                escape(&activity.title),
                escape(&activity.organisers.join(", "))
            );
        }
        html.push_str("</table>\n");
    }
    html.push_str("</section>\n");

    open(&mut html, 5);
    for (heading, entries) in [
        (words::NEW_ALLIANCES, &report.alliances.new),
        (words::SIGNED_ALLIANCES, &report.alliances.signed),
        (words::ACTIVE_ALLIANCES, &report.alliances.active),
    ] {
        let _ = writeln!(html, "<h3>{} ({})</h3>", say(heading), entries.len());
        if entries.is_empty() {
            none(&mut html);
            continue;
        }
        let _ = writeln!(
            html,
            "<table>\n<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            say(words::TITLE),
            say(words::PARTNER),
            say(words::STATUS),
            say(words::START)
        );
        for alliance in entries {
            let _ = writeln!(
                html,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&alliance.title),
                escape(&alliance.partner),
                escape(&alliance.status_label),
                date(&alliance.start)
            );
        }
        html.push_str("</table>\n");
    }
    html.push_str("</section>\n");

    open(&mut html, 6);
    if report.collaborations.is_empty() {
        none(&mut html);
    }
    for collaboration in &report.collaborations {
        let _ = write!(
            html,
            "<div class=\"meeting\">\n<h3>{}</h3>\n<p>{}: {} · {}: {} · {}: {}{}</p>\n",
            escape(&collaboration.programme),
            say(words::INSTITUTION),
            escape(&collaboration.institution),
            say(words::STATUS),
            escape(&collaboration.status_label),
            say(words::START),
            date(&collaboration.start),
            if collaboration.end.is_empty() {
                String::new()
            } else {
                format!(" · {}: {}", say(words::END), date(&collaboration.end))
            }
        );
        if !collaboration.results.is_empty() {
            let _ = writeln!(html, "<p><strong>{}:</strong></p>", say(words::RESULTS));
            paragraphs(&mut html, &collaboration.results, "");
        }
        html.push_str("</div>\n");
    }
    html.push_str("</section>\n");

    open(&mut html, 7);
    for (heading, entries, completed) in [
        (words::ACTIONS_COMPLETED, &report.actions_completed, true),
        (words::ACTIONS_OPEN, &report.actions_open, false),
    ] {
        let _ = writeln!(html, "<h3>{} ({})</h3>", say(heading), entries.len());
        if entries.is_empty() {
            none(&mut html);
            continue;
        }
        let last = if completed {
            words::COMPLETED_ON
        } else {
            words::STATUS
        };
        let _ = writeln!(
            html,
            "<table>\n<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            say(words::TITLE),
            say(words::OWNER),
            say(words::DUE),
            say(last)
        );
        for action in entries {
            let last = if completed {
                date(&action.completed_on)
            } else if action.overdue {
                format!("<span class=\"overdue\">{}</span>", say(words::OVERDUE))
            } else {
                String::new()
            };
            let _ = writeln!(
                html,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{last}</td></tr>",
                escape(&action.title),
                escape(&action.owner),
                date(&action.due)
            );
        }
        html.push_str("</table>\n");
    }
    html.push_str("</section>\n");

    open(&mut html, 8);
    paragraphs(&mut html, &report.closing, say(words::NO_TEXT));
    html.push_str("</section>\n</body>\n</html>\n");
    html
}

/// Free text as paragraphs (blank lines) and line breaks, escaped; `empty`
/// (ours, not escaped) when there is no text.
fn paragraphs(html: &mut String, text: &str, empty: &str) {
    let text = text.replace("\r\n", "\n");
    let mut any = false;
    for paragraph in text
        .split("\n\n")
        .map(str::trim)
        .filter(|paragraph| !paragraph.is_empty())
    {
        any = true;
        let lines: Vec<String> = paragraph.lines().map(escape).collect();
        let _ = writeln!(html, "<p>{}</p>", lines.join("<br>\n"));
    }
    if !any && !empty.is_empty() {
        let _ = writeln!(html, "<p class=\"empty\">{empty}</p>");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_per_language() {
        assert_eq!(format_date("2020-07-01", Language::Spanish), "1 de julio de 2020");
        assert_eq!(format_date("2021-06-30", Language::English), "30 June 2021");
        assert_eq!(format_date("not a date", Language::English), "not a date");
        assert_eq!(
            Period::new("2020-07-01", "2021-06-30")
                .expect("period")
                .label(Language::English),
            "1 July 2020 – 30 June 2021"
        );
    }

    #[test]
    fn a_period_needs_two_dates_in_order() {
        assert!(Period::new("2021-01-01", "2020-12-31").is_err());
        assert!(Period::new("2021-02-30", "2021-12-31").is_err());
        assert!(Period::new("", "2021-12-31").is_err());
        let year = Period::year(2021);
        assert!(year.contains("2021-12-31") && !year.contains("2022-01-01") && !year.contains(""));
        assert_eq!(year.years(), "2021");
        assert_eq!(
            file_name(
                &Period::new("2020-07-01", "2021-06-30").expect("period"),
                Language::Spanish
            ),
            "informe-anual-2020-2021.html"
        );
    }

    #[test]
    fn presidency_terms_become_periods_newest_first() {
        let term = |id: &str, organisation: &str, start: &str, end: &str| Record {
            id: id.to_owned(),
            collection: Collection::PresidencyTerms,
            fields: [
                ("organisation", records::FieldValue::Text(organisation.to_owned())),
                ("start", records::FieldValue::Text(start.to_owned())),
                ("end", records::FieldValue::Text(end.to_owned())),
            ]
            .into_iter()
            .collect(),
            created_at: 0,
            deleted: false,
            example: false,
        };
        let terms = [
            term("t1", "fr", "2018-07-01", "2019-06-30"),
            term("t3", "es", "2020-07-01", "2021-06-30"),
            term("bad", "ie", "2019-07-01", ""),
        ];
        let periods = presidency_periods(&terms, |id| format!("Embajada {id}"));
        let labels: Vec<&str> = periods.iter().map(|period| period.label.as_str()).collect();
        assert_eq!(labels, ["Embajada es · 2020–2021", "Embajada fr · 2018–2019"]);
        assert_eq!(periods[0].term_id, "t3");
        assert_eq!(
            default_title(&periods[0].period, Language::Spanish),
            "Informe anual 2020–2021"
        );
        assert_eq!(
            default_title(&Period::year(2021), Language::English),
            "Annual report 2021"
        );
    }

    #[test]
    fn escaping_leaves_no_markup() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        let mut html = String::new();
        paragraphs(&mut html, "a <b>\nc\n\nd", "none");
        assert_eq!(html, "<p>a &lt;b&gt;<br>\nc</p>\n<p>d</p>\n");
    }
}
