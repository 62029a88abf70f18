//! The follow-up of the year (`enlace_shared::followup`) on a small
//! roundtable written through `records`: the open action items (overdue,
//! closed, deleted, undated, every filter), each work-plan line's records
//! and progress, the period overview, a working group's meetings and items,
//! and the two writes the screens make.

use automerge::{ActorId, Automerge};
use enlace_shared::followup::{
    self, ActionCounts, ActionFilter, AllRecords, NewActionItem, OpenItem, counts_by_status, period_key,
};
use enlace_shared::model::{self, At, Authorship, ModelError};
use enlace_shared::records::{self, Initial};
use enlace_shared::schema::{ALLIANCE_STATUSES, Collection};

const TODAY: &str = "2021-03-15";

fn by() -> Authorship<'static> {
    Authorship {
        now_ms: 1_700_000_000_000,
        author: "Secretaría",
    }
}

fn text(value: &str) -> Initial {
    Initial::Text(value.to_owned())
}

fn list(values: &[&str]) -> Initial {
    Initial::List(values.iter().map(|value| (*value).to_owned()).collect())
}

fn add(document: &mut Automerge, collection: Collection, id: &str, fields: &[(&str, Initial)]) {
    records::create_record(document, collection, id, fields, &by()).expect("create");
}

fn delete(document: &mut Automerge, collection: Collection, id: &str) {
    records::set_deleted(document, collection, id, true, &by()).expect("delete");
}

fn action(document: &mut Automerge, id: &str, fields: &[(&str, &str)]) {
    let fields: Vec<(&str, Initial)> = fields.iter().map(|(key, value)| (*key, text(value))).collect();
    add(document, Collection::ActionItems, id, &fields);
}

/// Two organisations, two lines of 2020–2021 and one of 2018–2019, a
/// working group, three meetings (one deleted) and action items of every
/// kind: overdue, due later, undated, done, cancelled, deleted.
fn roundtable() -> Automerge {
    let mut document = Automerge::new().with_actor(ActorId::from(vec![1u8; 16]));
    model::create_workspace(&mut document, "MCIG", 1).expect("workspace");
    let d = &mut document;
    add(
        d,
        Collection::Organisations,
        "aecid",
        &[("name", text("AECID")), ("kind", text("cooperation_agency"))],
    );
    add(
        d,
        Collection::Organisations,
        "giz",
        &[("name", text("GIZ")), ("kind", text("cooperation_agency"))],
    );
    add(
        d,
        Collection::WorkplanLines,
        "dialogue",
        &[("title", text("Diálogo político")), ("period", text("2020–2021"))],
    );
    add(
        d,
        Collection::WorkplanLines,
        "peace",
        &[
            ("title", text("Mujeres constructoras de paz")),
            ("period", text("2020 - 2021")),
        ],
    );
    add(
        d,
        Collection::WorkplanLines,
        "old",
        &[("title", text("Línea anterior")), ("period", text("2018–2019"))],
    );
    add(
        d,
        Collection::WorkingGroups,
        "wg",
        &[
            ("name", text("Grupo de comunicación")),
            ("workplan_lines", list(&["dialogue", "gone"])),
        ],
    );
    add(
        d,
        Collection::Meetings,
        "plenary",
        &[
            ("title", text("Plenaria de marzo")),
            ("kind", text("plenary")),
            ("date", text("2021-03-01")),
            ("workplan_lines", list(&["dialogue"])),
        ],
    );
    add(
        d,
        Collection::Meetings,
        "wg-meeting",
        &[
            ("title", text("Reunión del grupo")),
            ("kind", text("working_group")),
            ("date", text("2021-04-20")),
            ("working_group", text("wg")),
            ("workplan_lines", list(&["dialogue"])),
        ],
    );
    add(
        d,
        Collection::Meetings,
        "deleted-meeting",
        &[
            ("title", text("Reunión borrada")),
            ("kind", text("bilateral")),
            ("date", text("2021-01-10")),
            ("working_group", text("wg")),
            ("workplan_lines", list(&["dialogue"])),
        ],
    );
    delete(d, Collection::Meetings, "deleted-meeting");
    action(
        d,
        "overdue",
        &[
            ("title", "Enviar minuta"),
            ("meeting", "plenary"),
            ("owner", "aecid"),
            ("due", "2021-03-10"),
            ("status", "open"),
            ("workplan_line", "dialogue"),
        ],
    );
    action(
        d,
        "later",
        &[
            ("title", "Preparar ficha"),
            ("meeting", "wg-meeting"),
            ("owner", "giz"),
            ("due", "2021-05-01"),
            ("status", "in_progress"),
            ("workplan_line", "dialogue"),
        ],
    );
    action(
        d,
        "undated",
        &[
            ("title", "Buscar sede"),
            ("meeting", "plenary"),
            ("owner", "giz"),
            ("status", "open"),
            ("workplan_line", "peace"),
        ],
    );
    action(
        d,
        "done",
        &[
            ("title", "Circular agenda"),
            ("meeting", "plenary"),
            ("owner", "aecid"),
            ("due", "2021-02-01"),
            ("status", "done"),
            ("workplan_line", "dialogue"),
            ("completed_on", "2021-01-30"),
        ],
    );
    action(
        d,
        "cancelled",
        &[
            ("title", "Reservar sala"),
            ("meeting", "wg-meeting"),
            ("owner", "aecid"),
            ("due", "2021-01-01"),
            ("status", "cancelled"),
            ("workplan_line", "dialogue"),
        ],
    );
    action(
        d,
        "deleted",
        &[
            ("title", "Acción borrada"),
            ("meeting", "plenary"),
            ("owner", "aecid"),
            ("due", "2021-01-01"),
            ("status", "open"),
            ("workplan_line", "dialogue"),
        ],
    );
    delete(d, Collection::ActionItems, "deleted");
    action(
        d,
        "orphan",
        &[
            ("title", "Sin reunión"),
            ("owner", "missing-org"),
            ("due", "2021-03-15"),
            ("status", "open"),
        ],
    );
    action(
        d,
        "due-today",
        &[
            ("title", "Hoy"),
            ("meeting", "deleted-meeting"),
            ("owner", "giz"),
            ("due", "2021-03-15"),
            ("status", "open"),
        ],
    );
    document
}

fn ids(items: &[OpenItem]) -> Vec<&str> {
    items.iter().map(|item| item.id.as_str()).collect()
}

fn open(filter: &ActionFilter) -> Vec<OpenItem> {
    let all = AllRecords::read(&roundtable()).expect("read");
    followup::open_action_items(&all, filter, TODAY)
}

#[test]
fn the_open_items_are_sorted_by_due_date_undated_last_without_closed_or_deleted_ones() {
    let items = open(&ActionFilter::default());
    assert_eq!(
        ids(&items),
        ["overdue", "due-today", "orphan", "later", "undated"]
    );
    let overdue = &items[0];
    assert!(overdue.overdue && !overdue.closed);
    assert_eq!(overdue.owner_name, "AECID");
    assert_eq!(
        (overdue.meeting_title.as_str(), overdue.meeting_date.as_str()),
        ("Plenaria de marzo", "2021-03-01")
    );
    assert_eq!(overdue.workplan_line_title, "Diálogo político");
    // Due today is not overdue yet; due later or undated never is.
    assert!(items[1..].iter().all(|item| !item.overdue), "{items:#?}");
    // A reference to nothing shows its id rather than vanishing.
    let orphan = &items[2];
    assert_eq!(
        (
            orphan.owner_name.as_str(),
            orphan.meeting_title.as_str(),
            orphan.meeting_date.as_str()
        ),
        ("missing-org", "", "")
    );
}

#[test]
fn closed_items_show_only_when_asked_for_and_are_never_overdue() {
    let items = open(&ActionFilter {
        include_closed: true,
        ..ActionFilter::default()
    });
    assert_eq!(
        ids(&items),
        [
            "cancelled",
            "done",
            "overdue",
            "due-today",
            "orphan",
            "later",
            "undated"
        ]
    );
    for closed in &items[..2] {
        assert!(closed.closed && !closed.overdue, "{closed:?}");
    }
    assert_eq!(items[1].completed_on, "2021-01-30");
    assert!(followup::is_closed("done") && followup::is_closed("cancelled"));
    assert!(!followup::is_closed("in_progress") && !followup::is_closed("open"));
}

#[test]
fn the_filters_select_by_owner_line_and_due_range() {
    let owner = open(&ActionFilter {
        owner: "giz".into(),
        ..ActionFilter::default()
    });
    assert_eq!(ids(&owner), ["due-today", "later", "undated"]);
    let line = open(&ActionFilter {
        workplan_line: "dialogue".into(),
        ..ActionFilter::default()
    });
    assert_eq!(ids(&line), ["overdue", "later"]);
    let both = open(&ActionFilter {
        owner: "giz".into(),
        workplan_line: "dialogue".into(),
        ..ActionFilter::default()
    });
    assert_eq!(ids(&both), ["later"]);
    // The range is inclusive at both ends; an undated item is outside any range.
    let range = open(&ActionFilter {
        due_from: "2021-03-10".into(),
        due_to: "2021-03-15".into(),
        ..ActionFilter::default()
    });
    assert_eq!(ids(&range), ["overdue", "due-today", "orphan"]);
    let from = open(&ActionFilter {
        due_from: "2021-03-16".into(),
        ..ActionFilter::default()
    });
    assert_eq!(ids(&from), ["later"]);
    let to = open(&ActionFilter {
        due_to: "2021-03-09".into(),
        include_closed: true,
        ..ActionFilter::default()
    });
    assert_eq!(ids(&to), ["cancelled", "done"]);
    let nobody = open(&ActionFilter {
        owner: "nobody".into(),
        ..ActionFilter::default()
    });
    assert!(nobody.is_empty());
}

#[test]
fn a_meeting_lists_all_its_live_items_closed_ones_included() {
    let all = AllRecords::read(&roundtable()).expect("read");
    let items = followup::meeting_action_items(&all, "plenary", TODAY);
    assert_eq!(ids(&items), ["done", "overdue", "undated"]);
    assert!(followup::meeting_action_items(&all, "nothing", TODAY).is_empty());
}

#[test]
fn a_line_gathers_everything_that_names_it_with_its_progress() {
    let mut document = roundtable();
    let d = &mut document;
    add(
        d,
        Collection::Activities,
        "held",
        &[
            ("kind", text("dialogue_space")),
            ("title", text("Diálogo")),
            ("date", text("2020-11-01")),
            ("workplan_lines", list(&["dialogue"])),
        ],
    );
    add(
        d,
        Collection::Activities,
        "coming",
        &[
            ("kind", text("expert_event")),
            ("title", text("Evento")),
            ("date", text("2021-06-01")),
            ("workplan_lines", list(&["dialogue"])),
        ],
    );
    add(
        d,
        Collection::Activities,
        "undated-activity",
        &[
            ("kind", text("fact_sheet")),
            ("title", text("Ficha")),
            ("workplan_lines", list(&["dialogue", "peace"])),
        ],
    );
    add(
        d,
        Collection::Activities,
        "deleted-activity",
        &[
            ("kind", text("fact_sheet")),
            ("title", text("Borrada")),
            ("date", text("2020-01-01")),
            ("workplan_lines", list(&["dialogue"])),
        ],
    );
    delete(d, Collection::Activities, "deleted-activity");
    add(
        d,
        Collection::Alliances,
        "pact",
        &[
            ("title", text("Pacto")),
            ("partner", text("x")),
            ("status", text("signed")),
            ("workplan_lines", list(&["dialogue"])),
        ],
    );
    add(
        d,
        Collection::Alliances,
        "talks",
        &[
            ("title", text("Diálogo con cámara")),
            ("partner", text("x")),
            ("status", text("in_dialogue")),
            ("workplan_lines", list(&["dialogue"])),
        ],
    );
    add(
        d,
        Collection::Alliances,
        "other-line",
        &[
            ("title", text("Otra")),
            ("partner", text("x")),
            ("status", text("active")),
            ("workplan_lines", list(&["peace"])),
        ],
    );
    add(
        d,
        Collection::Collaborations,
        "completed",
        &[
            ("institution", text("x")),
            ("programme", text("Programa A")),
            ("status", text("completed")),
            ("workplan_lines", list(&["dialogue"])),
        ],
    );
    add(
        d,
        Collection::Collaborations,
        "suspended",
        &[
            ("institution", text("x")),
            ("programme", text("Programa B")),
            ("status", text("suspended")),
            ("workplan_lines", list(&["dialogue"])),
        ],
    );
    let all = AllRecords::read(&document).expect("read");

    let line = followup::line_summary(&all, "dialogue", TODAY).expect("line");
    assert_eq!(
        (line.title.as_str(), line.period.as_str(), line.deleted),
        ("Diálogo político", "2020–2021", false)
    );
    let titles = |list: &[followup::Linked]| list.iter().map(|record| record.id.clone()).collect::<Vec<_>>();
    // Dated first by date, undated last; the deleted activity and meeting are gone.
    assert_eq!(titles(&line.activities), ["held", "coming", "undated-activity"]);
    assert_eq!(titles(&line.meetings), ["plenary", "wg-meeting"]);
    assert_eq!(line.meetings[0].date, "2021-03-01");
    assert_eq!(titles(&line.alliances), ["talks", "pact"]);
    assert_eq!(titles(&line.collaborations), ["completed", "suspended"]);
    assert_eq!(titles(&line.working_groups), ["wg"]);
    assert_eq!(ids(&line.action_items), ["cancelled", "done", "overdue", "later"]);

    let progress = &line.progress;
    assert_eq!(
        progress.action_items,
        ActionCounts {
            open: 2,
            overdue: 1,
            done: 1,
            cancelled: 1
        }
    );
    assert_eq!((progress.activities_held, progress.meetings_held), (1, 1));
    let count =
        |counts: &[(String, usize)], slug: &str| counts.iter().find(|(s, _)| s == slug).map(|(_, n)| *n);
    assert_eq!(count(&progress.alliances, "signed"), Some(1));
    assert_eq!(count(&progress.alliances, "in_dialogue"), Some(1));
    assert_eq!(count(&progress.alliances, "active"), Some(0));
    assert_eq!(progress.alliances.len(), ALLIANCE_STATUSES.len());
    assert_eq!(count(&progress.collaborations, "completed"), Some(1));
    // Done: 1 action item + 1 collaboration, of 3 live items not cancelled + 2 collaborations.
    assert_eq!((progress.accomplished, progress.undertaken), (2, 5));
    assert_eq!(progress.percent(), Some(40));

    let old = followup::line_summary(&all, "old", TODAY).expect("line");
    assert!(old.activities.is_empty() && old.action_items.is_empty());
    assert_eq!(old.progress.percent(), None, "nothing undertaken has no figure");
    assert!(followup::line_summary(&all, "missing", TODAY).is_none());
}

#[test]
fn a_deleted_line_still_summarises_but_leaves_the_overview_and_the_periods() {
    let mut document = roundtable();
    delete(&mut document, Collection::WorkplanLines, "old");
    let all = AllRecords::read(&document).expect("read");
    assert!(followup::line_summary(&all, "old", TODAY).expect("line").deleted);
    assert_eq!(followup::periods(&all), ["2020–2021"]);
    assert!(followup::overview(&all, "2018-2019", TODAY).is_empty());
}

#[test]
fn the_overview_takes_the_lines_of_one_period_however_its_dash_is_written() {
    let all = AllRecords::read(&roundtable()).expect("read");
    assert_eq!(followup::periods(&all), ["2020–2021", "2018–2019"]);
    let lines: Vec<String> = followup::overview(&all, "2020-2021", TODAY)
        .into_iter()
        .map(|line| line.id)
        .collect();
    assert_eq!(lines, ["dialogue", "peace"]);
    let peace = followup::overview(&all, "2020–2021", TODAY).remove(1);
    assert_eq!(ids(&peace.action_items), ["undated"]);
    assert_eq!(peace.progress.percent(), Some(0));
    assert_eq!(
        followup::overview(&all, "", TODAY).len(),
        3,
        "no period: every line"
    );
    assert_eq!(period_key(" 2020 — 2021 "), "2020–2021");
}

#[test]
fn a_working_group_has_its_live_meetings_their_items_and_its_live_lines() {
    let all = AllRecords::read(&roundtable()).expect("read");
    let group = followup::working_group_summary(&all, "wg", TODAY).expect("group");
    let meetings: Vec<&str> = group.meetings.iter().map(|meeting| meeting.id.as_str()).collect();
    assert_eq!(meetings, ["wg-meeting"], "the deleted meeting is left out");
    // Items of the deleted meeting ("due-today") are left out with it.
    assert_eq!(ids(&group.action_items), ["cancelled", "later"]);
    let lines: Vec<&str> = group.lines.iter().map(|line| line.title.as_str()).collect();
    assert_eq!(
        lines,
        ["Diálogo político"],
        "a line that does not exist is skipped"
    );
    assert!(followup::working_group_summary(&all, "nothing", TODAY).is_none());
}

#[test]
fn counts_by_status_keep_the_choices_order_and_unknown_slugs() {
    let linked = |status: &str| followup::Linked {
        collection: Collection::Alliances,
        id: status.into(),
        title: String::new(),
        date: String::new(),
        status: status.into(),
        example: false,
    };
    let counts = counts_by_status(
        &[linked("active"), linked("future"), linked("active")],
        ALLIANCE_STATUSES,
    );
    assert_eq!(counts[0], ("identified".to_owned(), 0));
    assert_eq!(counts[4], ("active".to_owned(), 2));
    assert_eq!(counts.last(), Some(&("future".to_owned(), 1)));
}

#[test]
fn an_item_created_from_a_meeting_is_open_on_its_meeting_in_one_change() {
    let mut document = roundtable();
    let before = document.get_changes(&[]).len();
    let item = NewActionItem {
        title: " Redactar nota ".into(),
        owner: "giz".into(),
        due: "2021-03-01".into(),
        workplan_line: "peace".into(),
    };
    followup::create_action_item(&mut document, "new", "plenary", &item, &by()).expect("create");
    assert_eq!(document.get_changes(&[]).len(), before + 1);
    let record = records::read_one(&document, Collection::ActionItems, "new").expect("record");
    assert_eq!(record.title(), "Redactar nota");
    for (key, value) in [
        ("meeting", "plenary"),
        ("owner", "giz"),
        ("status", "open"),
        ("due", "2021-03-01"),
        ("workplan_line", "peace"),
    ] {
        assert_eq!(record.text(key), value, "{key}");
    }
    let all = AllRecords::read(&document).expect("read");
    let listed = followup::open_action_items(&all, &ActionFilter::default(), TODAY);
    assert_eq!(listed[0].id, "new");
    assert!(listed[0].overdue);

    for (missing, item) in [
        (
            "title",
            NewActionItem {
                owner: "giz".into(),
                ..NewActionItem::default()
            },
        ),
        (
            "owner",
            NewActionItem {
                title: "x".into(),
                ..NewActionItem::default()
            },
        ),
    ] {
        let error =
            followup::create_action_item(&mut document, "bad", "plenary", &item, &by()).expect_err("refused");
        assert!(
            matches!(error, ModelError::Required(key) if key == missing),
            "{error}"
        );
    }
    assert!(records::read_one(&document, Collection::ActionItems, "bad").is_none());
}

#[test]
fn a_status_change_is_one_change_and_keeps_completed_on_in_step() {
    let mut document = roundtable();
    let status = |document: &Automerge, id: &str| {
        let record = records::read_one(document, Collection::ActionItems, id).expect("record");
        (
            record.text("status").to_owned(),
            record.text("completed_on").to_owned(),
        )
    };
    let before = document.get_changes(&[]).len();
    followup::set_action_status(&mut document, "overdue", "done", TODAY, &by()).expect("done");
    assert_eq!(document.get_changes(&[]).len(), before + 1);
    assert_eq!(
        status(&document, "overdue"),
        ("done".to_owned(), TODAY.to_owned())
    );
    let change = document.get_last_local_change().expect("change");
    assert_eq!(
        change.message().map(ToString::to_string).as_deref(),
        Some("edit action item Enviar minuta: status")
    );
    // Done again later keeps the first date; reopening clears it.
    followup::set_action_status(&mut document, "overdue", "done", "2021-04-01", &by()).expect("done");
    assert_eq!(status(&document, "overdue").1, TODAY);
    followup::set_action_status(&mut document, "overdue", "in_progress", TODAY, &by()).expect("reopen");
    assert_eq!(
        status(&document, "overdue"),
        ("in_progress".to_owned(), String::new())
    );
    let all = AllRecords::read(&document).expect("read");
    assert!(
        followup::open_action_items(&all, &ActionFilter::default(), TODAY)
            .iter()
            .any(|item| item.id == "overdue")
    );

    assert!(followup::set_action_status(&mut document, "overdue", "finished", TODAY, &by()).is_err());
    assert!(matches!(
        followup::set_action_status(&mut document, "nothing", "done", TODAY, &by()),
        Err(ModelError::MissingRecord { .. })
    ));
}

#[test]
fn the_follow_up_reads_the_past_too() {
    let mut document = roundtable();
    let heads = document.get_heads();
    followup::set_action_status(&mut document, "overdue", "done", TODAY, &by()).expect("done");
    let now = AllRecords::read(&document).expect("now");
    let then = AllRecords::read(&At {
        document: &document,
        heads: &heads,
    })
    .expect("then");
    let open_now = followup::open_action_items(&now, &ActionFilter::default(), TODAY);
    let open_then = followup::open_action_items(&then, &ActionFilter::default(), TODAY);
    assert!(!open_now.iter().any(|item| item.id == "overdue"));
    assert!(open_then.iter().any(|item| item.id == "overdue" && item.overdue));
}
