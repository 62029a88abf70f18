//! Edits as data: each intent asks for the capability its collection
//! needs and makes the change the interface expects, as one change.

use automerge::{ActorId, Automerge};
use enlace_shared::followup::NewActionItem;
use enlace_shared::intent::{Intent, ItemRef, Outcome, RecordRef};
use enlace_shared::model::{self, Authorship, ModelError};
use enlace_shared::records::{self, FieldValue, Initial, Record};
use enlace_shared::roles::Capability;
use enlace_shared::schema::Collection;

const ANA: Authorship<'static> = Authorship {
    now_ms: 1_700_000_000_000,
    author: "Ana",
};

fn workspace() -> Automerge {
    let mut document = Automerge::new().with_actor(ActorId::from(vec![5u8; 16]));
    model::create_workspace(&mut document, "MCIG", 1).expect("workspace");
    document
}

/// Applies `intent`, counting the changes it made.
fn apply(document: &mut Automerge, intent: &Intent) -> (Result<Outcome, ModelError>, usize) {
    let before = document.get_changes(&[]).len();
    let mut next = 0;
    let result = intent.apply(document, &ANA, &mut || {
        next += 1;
        format!("new-{next}")
    });
    (result, document.get_changes(&[]).len() - before)
}

fn applied(document: &mut Automerge, intent: &Intent) -> Outcome {
    let (result, changes) = apply(document, intent);
    let outcome = result.unwrap_or_else(|error| panic!("{intent:?} failed: {error}"));
    assert_eq!(changes, 1, "{intent:?} is one change");
    outcome
}

fn record(document: &Automerge, collection: Collection, id: &str) -> Record {
    records::read_one(document, collection, id).expect("the record exists")
}

/// Meeting `m1`, a plenary.
fn create_plenary(document: &mut Automerge) {
    applied(
        document,
        &Intent::CreateRecord {
            collection: Collection::Meetings,
            id: "m1".into(),
            fields: vec![
                ("title".into(), text("Plenaria")),
                ("kind".into(), text("plenary")),
            ],
        },
    );
}

fn organisation(id: &str) -> RecordRef {
    RecordRef {
        collection: Collection::Organisations,
        id: id.to_owned(),
    }
}

fn text(value: &str) -> Initial {
    Initial::Text(value.to_owned())
}

#[test]
fn record_intents_write_what_they_name() {
    let mut document = workspace();
    let create = Intent::CreateRecord {
        collection: Collection::Organisations,
        id: "giz".into(),
        fields: vec![
            ("name".into(), text("GIZ")),
            ("kind".into(), text("cooperation_agency")),
        ],
    };
    assert_eq!(create.capability(), Collection::Organisations.edit_capability());
    assert_eq!(applied(&mut document, &create), Outcome::Done);
    applied(
        &mut document,
        &Intent::SetText {
            record: organisation("giz"),
            key: "acronym".into(),
            value: "GIZ MX".into(),
        },
    );
    for tag in ["género", "empleo"] {
        applied(
            &mut document,
            &Intent::AddToList {
                record: organisation("giz"),
                key: "tags".into(),
                item: tag.into(),
            },
        );
    }
    applied(
        &mut document,
        &Intent::RemoveFromList {
            record: organisation("giz"),
            key: "tags".into(),
            item: "género".into(),
        },
    );
    let giz = record(&document, Collection::Organisations, "giz");
    assert_eq!(giz.title(), "GIZ");
    assert_eq!(giz.text("acronym"), "GIZ MX");
    assert_eq!(giz.list("tags"), ["empleo"]);
    applied(
        &mut document,
        &Intent::SetDeleted {
            record: organisation("giz"),
            deleted: true,
        },
    );
    assert!(record(&document, Collection::Organisations, "giz").deleted);
    // A record nobody created is refused, and nothing is written.
    let (result, changes) = apply(
        &mut document,
        &Intent::SetText {
            record: organisation("nobody"),
            key: "name".into(),
            value: "X".into(),
        },
    );
    assert!(
        matches!(result, Err(ModelError::MissingRecord { .. })),
        "{result:?}"
    );
    assert_eq!(changes, 0);
}

#[test]
fn item_intents_add_edit_move_and_remove_by_id() {
    let mut document = workspace();
    applied(
        &mut document,
        &Intent::CreateRecord {
            collection: Collection::Alliances,
            id: "a1".into(),
            fields: vec![("title".into(), text("Pacto"))],
        },
    );
    let item = |id: &str| ItemRef {
        collection: Collection::Alliances,
        record_id: "a1".into(),
        field: "commitments".into(),
        item_id: id.into(),
    };
    for (id, what) in [("c1", "Uno"), ("c2", "Dos")] {
        let add = Intent::AddItem {
            item: item(id),
            fields: vec![("text".into(), text(what))],
        };
        assert_eq!(add.capability(), Collection::Alliances.edit_capability());
        applied(&mut document, &add);
    }
    applied(
        &mut document,
        &Intent::SetItemText {
            item: item("c1"),
            key: "due".into(),
            value: "2021-06-30".into(),
        },
    );
    applied(
        &mut document,
        &Intent::SetItemFlag {
            item: item("c2"),
            key: "done".into(),
            value: true,
        },
    );
    applied(
        &mut document,
        &Intent::MoveItem {
            item: item("c2"),
            to: 0,
        },
    );
    let commitments = record(&document, Collection::Alliances, "a1")
        .items("commitments")
        .to_vec();
    let ids: Vec<&str> = commitments.iter().map(|item| item.id.as_str()).collect();
    assert_eq!(ids, ["c2", "c1"]);
    assert_eq!(commitments[1].text("due"), "2021-06-30");
    assert_eq!(commitments[0].fields.get("done"), Some(&FieldValue::Flag(true)));
    applied(&mut document, &Intent::RemoveItem { item: item("c2") });
    assert_eq!(
        record(&document, Collection::Alliances, "a1")
            .items("commitments")
            .len(),
        1
    );
}

#[test]
fn follow_up_intents_need_the_action_items_capability() {
    let mut document = workspace();
    create_plenary(&mut document);
    let create = Intent::CreateActionItem {
        id: "t1".into(),
        meeting: "m1".into(),
        item: NewActionItem {
            title: "Enviar el acta".into(),
            owner: "giz".into(),
            ..NewActionItem::default()
        },
    };
    let done = Intent::SetActionStatus {
        id: "t1".into(),
        status: "done".into(),
        today: "2021-03-11".into(),
    };
    for intent in [&create, &done] {
        assert_eq!(intent.capability(), Collection::ActionItems.edit_capability());
        applied(&mut document, intent);
    }
    let item = record(&document, Collection::ActionItems, "t1");
    assert_eq!(item.text("meeting"), "m1");
    assert_eq!(item.text("completed_on"), "2021-03-11");
}

#[test]
fn a_restore_reports_whether_it_changed_anything() {
    let mut document = workspace();
    applied(
        &mut document,
        &Intent::CreateRecord {
            collection: Collection::Organisations,
            id: "giz".into(),
            fields: vec![("name".into(), text("GIZ"))],
        },
    );
    applied(
        &mut document,
        &Intent::SetText {
            record: organisation("giz"),
            key: "name".into(),
            value: "Cooperación alemana".into(),
        },
    );
    let rename = document.get_heads()[0];
    let restore = Intent::RestoreField {
        record: organisation("giz"),
        key: "name".into(),
        before: rename,
        label: "before the rename".into(),
    };
    assert_eq!(applied(&mut document, &restore), Outcome::Changed(true));
    assert_eq!(record(&document, Collection::Organisations, "giz").title(), "GIZ");
    let (again, changes) = apply(&mut document, &restore);
    assert_eq!(again.expect("restores"), Outcome::Changed(false));
    assert_eq!(changes, 0, "nothing to restore writes nothing");
}

#[test]
fn the_secretariats_and_presidencys_intents_ask_for_their_capabilities() {
    let revert = Intent::Revert {
        steps: Vec::new(),
        include_conflicts: false,
        label: String::new(),
    };
    assert_eq!(revert.capability(), Capability::EditRecords);
    let issue = Intent::IssueReport {
        id: "r1".into(),
        today: "2021-12-01".into(),
    };
    assert_eq!(issue.capability(), Capability::WriteReports);
    let view = Intent::SaveMapView {
        id: "v1".into(),
        name: "Cámaras".into(),
        filter: Default::default(),
        pins: Vec::new(),
    };
    assert_eq!(view.capability(), Capability::EditPresidencyAndWorkplan);
    let mut document = workspace();
    applied(&mut document, &view);
    assert_eq!(record(&document, Collection::MapViews, "v1").title(), "Cámaras");
    // Issuing a report that does not exist is the model's refusal.
    let (result, changes) = apply(&mut document, &issue);
    assert!(result.is_err());
    assert_eq!(changes, 0);
}

#[test]
fn an_import_is_planned_again_and_writes_nothing_if_the_plan_changed() {
    use enlace_shared::csv_io;
    use std::collections::BTreeMap;

    let mut document = workspace();
    let table = csv_io::parse("name,kind,country\nCámara de Comercio,private_sector_chamber,México\n")
        .expect("parse");
    let mapping = csv_io::suggest_mapping(&table.headers, Collection::Organisations);
    let shown = csv_io::plan_import(&document, &table, &mapping, Collection::Organisations);
    let import = |expected: &csv_io::ImportPlan| Intent::Import {
        table: table.clone(),
        mapping: mapping.clone(),
        expected: expected.clone(),
        choices: BTreeMap::new(),
    };
    assert_eq!(
        import(&shown).capability(),
        Collection::Organisations.edit_capability()
    );
    // Someone creates the same organisation before the import is confirmed:
    // the row now has a likely duplicate, so the shown plan is stale.
    applied(
        &mut document,
        &Intent::CreateRecord {
            collection: Collection::Organisations,
            id: "canaco".into(),
            fields: vec![("name".into(), text("Cámara de Comercio"))],
        },
    );
    let (result, changes) = apply(&mut document, &import(&shown));
    let Ok(Outcome::PlanChanged(fresh)) = result else {
        panic!("expected the fresh plan, got {result:?}");
    };
    assert_eq!(changes, 0, "a stale plan writes nothing");
    assert!(!fresh.rows[0].duplicates.is_empty());
    // Confirmed again, the fresh plan is imported (the duplicate handled
    // as the default choice says).
    let (result, _) = apply(&mut document, &import(&fresh));
    let Ok(Outcome::Imported(summary)) = result else {
        panic!("expected an import, got {result:?}");
    };
    assert_eq!(summary.created + summary.skipped_duplicates + summary.merged, 1);
}

#[test]
fn a_keystroke_lands_where_it_was_typed_whatever_arrived_first() {
    use enlace_shared::intent::rebase_text;
    // Nothing arrived meanwhile: the keystroke as typed.
    assert_eq!(rebase_text("Ana", "Ana ", "Ana"), "Ana ");
    // Ana types at the end while Beto's letters arrived at the start.
    assert_eq!(rebase_text("\nAna", "\nAna!", "Be\nAna"), "Be\nAna!");
    // Beto types at the start while Ana's arrived at the end.
    assert_eq!(rebase_text("Be\nAna", "Bet\nAna", "Be\nAna!"), "Bet\nAna!");
    // A deletion before what arrived, and one after it.
    assert_eq!(rebase_text("abc xyz", "ac xyz", "abc xyz!"), "ac xyz!");
    assert_eq!(rebase_text("abc xyz", "abc xz", "Xabc xyz"), "Xabc xz");
    // Both inserted at the same place: both kept.
    assert_eq!(rebase_text("ab", "aXb", "aYb"), "aYXb");
    // A keystroke over what arrived deletes nothing it never saw.
    assert_eq!(rebase_text("abcdef", "aZf", "abQQef"), "abQQZef");
    // Characters, not bytes.
    assert_eq!(rebase_text("día", "días", "¡día"), "¡días");
}

#[test]
fn a_splice_is_made_on_the_text_as_it_is_now() {
    let mut document = workspace();
    create_plenary(&mut document);
    let meeting = RecordRef {
        collection: Collection::Meetings,
        id: "m1".into(),
    };
    let splice = |before: &str, after: &str| Intent::SpliceText {
        record: meeting.clone(),
        key: "minutes".into(),
        before: before.into(),
        after: after.into(),
    };
    applied(&mut document, &splice("", "Ana"));
    // Beto's "Hoy: " reached the document before Ana's next keystroke.
    applied(&mut document, &splice("Ana", "Hoy: Ana"));
    applied(&mut document, &splice("Ana", "Ana."));
    assert_eq!(
        record(&document, Collection::Meetings, "m1").text("minutes"),
        "Hoy: Ana."
    );
}
