//! CSV in and out: every collection of the demo roundtable round-trips,
//! the validation report names each problem, likely duplicates are found,
//! an import is one change a member may make, and 2,000 organisations come
//! back out exactly as they went in.

use std::collections::{BTreeMap, HashMap};

use automerge::{ActorId, Automerge};
use enlace_shared::Language;
use enlace_shared::csv_io::{
    self, Column, DuplicateChoice, DuplicateOf, ImportPlan, ImportProblem, RowAction, Table,
};
use enlace_shared::demo;
use enlace_shared::model::{self, Authorship};
use enlace_shared::policy::{self, edits_in_change};
use enlace_shared::records::{self, Initial, ItemAt, Record};
use enlace_shared::roles::Role;
use enlace_shared::schema::Collection;
use enlace_shared::validation::Problem;

fn by() -> Authorship<'static> {
    Authorship {
        now_ms: 1_700_000_000_000,
        author: "Ana",
    }
}

fn workspace(actor: u8) -> Automerge {
    let mut document = Automerge::new().with_actor(ActorId::from(vec![actor; 16]));
    model::create_workspace(&mut document, "MCIG", 1).expect("workspace");
    document
}

/// Fixed-width ids with a prefix, so one never appears inside another.
fn ids(prefix: &'static str) -> impl FnMut() -> String {
    let mut next = 0u32;
    move || {
        next += 1;
        format!("{prefix}{next:05}")
    }
}

fn text(value: &str) -> Initial {
    Initial::Text(value.to_owned())
}

fn everything(document: &Automerge) -> Vec<Record> {
    Collection::ALL
        .into_iter()
        .flat_map(|collection| records::read_all(document, collection).expect("read"))
        .collect()
}

fn export(document: &Automerge, collection: Collection, language: Language) -> String {
    let all = everything(document);
    let records = records::read_all(document, collection).expect("read");
    csv_io::export(&records, collection, &all, language, false)
}

fn plan(document: &Automerge, csv: &str, collection: Collection) -> ImportPlan {
    let table = csv_io::parse(csv).expect("parse");
    let mapping = csv_io::suggest_mapping(&table.headers, collection);
    csv_io::plan_import(document, &table, &mapping, collection)
}

/// The demo roundtable plus a contact, an activity, alliance commitments,
/// a working group, a meeting (time, agenda with presenters and links,
/// attendance, minutes, decisions), an action item and a report, so every
/// collection and field kind has something.
fn demo_roundtable() -> Automerge {
    let mut document = workspace(0);
    let mut new_id = ids("a");
    demo::seed(&mut document, 1_600_000_000_000, &mut new_id).expect("seed");
    let all = everything(&document);
    let id_of = |collection: Collection, title: &str| {
        all.iter()
            .find(|record| record.collection == collection && record.title().starts_with(title))
            .map(|record| record.id.clone())
            .expect(title)
    };
    let un_women = id_of(Collection::Organisations, "ONU Mujeres");
    let line = id_of(Collection::WorkplanLines, "Mujeres constructoras");
    let alliance = id_of(Collection::Alliances, "Pacto");
    records::create_record(
        &mut document,
        Collection::Contacts,
        "c00001",
        &[
            ("name", text("María Pérez (ejemplo)")),
            ("organisation", text(&un_women)),
            ("email", text("maria@example.org")),
            ("languages", Initial::List(vec!["es".into(), "en".into()])),
            ("focal_point_for", Initial::List(vec![line.clone()])),
            ("notes", text("Primera línea\nsegunda línea, con \"comillas\"")),
        ],
        &by(),
    )
    .expect("contact");
    records::create_record(
        &mut document,
        Collection::Activities,
        "c00002",
        &[
            ("kind", text("plenary")),
            ("title", text("Plenaria de ejemplo (ejemplo)")),
            ("date", text("2021-03-08")),
            ("organisers", Initial::List(vec![un_women])),
            ("workplan_lines", Initial::List(vec![line])),
            ("links", Initial::List(vec!["https://example.org/a".into()])),
        ],
        &by(),
    )
    .expect("activity");
    for (id, title, due, done) in [
        ("k1", "Publicar el informe; revisar | ajustar", "2021-06-30", true),
        ("k2", "Segunda reunión", "", false),
    ] {
        records::add_item(
            &mut document,
            ItemAt {
                collection: Collection::Alliances,
                record_id: &alliance,
                field: "commitments",
                item_id: id,
            },
            None,
            &[
                ("text", text(title)),
                ("due", text(due)),
                ("done", Initial::Flag(done)),
            ],
            &by(),
        )
        .expect("commitment");
    }
    meeting_records(&mut document, &all);
    document
}

/// A working group, a plenary with every kind of item, an action item
/// and a report, referring to the demo's records.
fn meeting_records(document: &mut Automerge, all: &[Record]) {
    let id_of = |collection: Collection, title: &str| {
        all.iter()
            .find(|record| record.collection == collection && record.title().starts_with(title))
            .map(|record| record.id.clone())
            .expect(title)
    };
    let un_women = id_of(Collection::Organisations, "ONU Mujeres");
    let spain = id_of(Collection::Organisations, "Embajada de España");
    let line = id_of(Collection::WorkplanLines, "Mujeres constructoras");
    let alliance = id_of(Collection::Alliances, "Pacto");
    records::create_record(
        document,
        Collection::WorkingGroups,
        "c00003",
        &[
            ("name", text("Grupo de paz (ejemplo)")),
            ("workplan_lines", Initial::List(vec![line.clone()])),
            ("leads", Initial::List(vec![spain.clone()])),
            ("members", Initial::List(vec![spain.clone(), un_women.clone()])),
            ("contacts", Initial::List(vec!["c00001".into()])),
            ("start", text("2020-09-01")),
        ],
        &by(),
    )
    .expect("working group");
    records::create_record(
        document,
        Collection::Meetings,
        "c00004",
        &[
            ("title", text("Plenaria de marzo (ejemplo)")),
            ("kind", text("plenary")),
            ("date", text("2021-03-10")),
            ("time", text("09:30")),
            ("online_link", text("https://example.org/sala")),
            ("convened_by", Initial::List(vec![un_women.clone()])),
            ("working_group", text("c00003")),
            ("workplan_lines", Initial::List(vec![line.clone()])),
            (
                "minutes",
                text("Se abre la sesión.\nSe aprueba el orden del día | sin cambios."),
            ),
        ],
        &by(),
    )
    .expect("meeting");
    let in_meeting = |field, item_id| ItemAt {
        collection: Collection::Meetings,
        record_id: "c00004",
        field,
        item_id,
    };
    let list = |items: &[&str]| Initial::List(items.iter().map(|item| (*item).to_owned()).collect());
    let agenda: [(&str, &[(&str, Initial)]); 3] = [
        ("g1", &[("title", text("Bienvenida"))]),
        (
            "g2",
            &[
                ("title", text("Informe del grupo de paz")),
                ("presenter", text(&spain)),
                ("presenter_contact", text("c00001")),
                (
                    "records",
                    list(&[
                        &format!("alliances/{alliance}"),
                        "working_groups/c00003",
                        "activities/c00002",
                    ]),
                ),
            ],
        ),
        (
            "g3",
            &[("title", text("Varios: cierre")), ("presenter", text(&un_women))],
        ),
    ];
    for (id, values) in agenda {
        records::add_item(document, in_meeting("agenda", id), None, values, &by()).expect("agenda item");
    }
    for (id, organisation, status) in [("t1", &un_women, "attended"), ("t2", &spain, "apologised")] {
        records::add_item(
            document,
            in_meeting("attendance", id),
            None,
            &[("organisation", text(organisation)), ("status", text(status))],
            &by(),
        )
        .expect("attendee");
    }
    records::set_item_field(
        document,
        in_meeting("attendance", "t1"),
        "contact",
        "c00001",
        &by(),
    )
    .expect("contact");
    records::add_item(
        document,
        in_meeting("decisions", "d1"),
        None,
        &[
            ("text", text("Publicar la ficha\nen dos idiomas | ES y EN")),
            ("workplan_lines", list(&[&line])),
        ],
        &by(),
    )
    .expect("decision");
    records::create_record(
        document,
        Collection::ActionItems,
        "c00005",
        &[
            ("title", text("Traducir la ficha (ejemplo)")),
            ("meeting", text("c00004")),
            ("owner", text(&spain)),
            ("owner_contact", text("c00001")),
            ("due", text("2021-04-30")),
            ("status", text("done")),
            ("workplan_line", text(&line)),
            ("completed_on", text("2021-04-20")),
            ("notes", text("Hecho.")),
        ],
        &by(),
    )
    .expect("action item");
    let term = all
        .iter()
        .find(|record| {
            record.collection == Collection::PresidencyTerms && record.text("start").starts_with("2020")
        })
        .map(|record| record.id.clone())
        .expect("the 2020 presidency");
    records::create_record(
        document,
        Collection::Reports,
        "c00006",
        &[
            ("title", text("Informe anual 2020-2021 (ejemplo)")),
            ("period_start", text("2020-07-01")),
            ("period_end", text("2021-06-30")),
            ("presidency_term", text(&term)),
            ("introduction", text("Un año de trabajo.")),
            ("issued_heads", list(&["abc123"])),
            ("issued_on", text("2021-07-15")),
        ],
        &by(),
    )
    .expect("report");
}

/// Collections in an order where every reference points at one imported before.
const IMPORT_ORDER: [Collection; 11] = [
    Collection::Organisations,
    Collection::WorkplanLines,
    Collection::Contacts,
    Collection::PresidencyTerms,
    Collection::Alliances,
    Collection::Collaborations,
    Collection::Activities,
    Collection::WorkingGroups,
    Collection::Meetings,
    Collection::ActionItems,
    Collection::Reports,
];

/// A table's rows, sorted, with every id replaced through `renamed`
/// (wherever it appears: in links `<collection>/<id>` too; ids are of
/// fixed width, so one never appears inside another).
fn rows_renamed(csv: &str, renamed: &HashMap<String, String>) -> Table {
    let mut table = csv_io::parse(csv).expect("parse");
    for row in &mut table.rows {
        for cell in row.iter_mut() {
            for (old, new) in renamed {
                if cell.contains(old.as_str()) {
                    *cell = cell.replace(old.as_str(), new);
                }
            }
        }
    }
    table.rows.sort();
    table
}

#[test]
fn every_collection_round_trips_into_a_fresh_workspace() {
    for language in Language::ALL {
        let source = demo_roundtable();
        let mut target = workspace(9);
        let mut new_id = ids("b");
        let mut renamed: HashMap<String, String> = HashMap::new();
        let mut exported = Vec::new();
        for collection in IMPORT_ORDER {
            let csv = export(&source, collection, language);
            assert!(csv.starts_with('\u{feff}'), "{collection:?}: BOM");
            let plan = plan(&target, &csv, collection);
            assert!(!plan.rows.is_empty(), "{collection:?}: the demo has some");
            for row in &plan.rows {
                assert_eq!(row.problems, Vec::new(), "{collection:?} line {}", row.line);
                assert_eq!(row.duplicates, Vec::new(), "{collection:?} line {}", row.line);
                assert_eq!(row.action, RowAction::Create);
            }
            let summary = csv_io::apply_import(&mut target, &plan, &BTreeMap::new(), &by(), &mut new_id)
                .expect("import");
            assert_eq!(summary.created, plan.rows.len(), "{collection:?}");
            let table = csv_io::parse(&csv).expect("parse");
            for (row, new) in table.rows.iter().zip(&summary.record_ids) {
                renamed.insert(row[0].clone(), new.clone().expect("created"));
            }
            exported.push((collection, csv));
        }
        for (collection, csv) in exported {
            let again = export(&target, collection, language);
            let before = rows_renamed(&csv, &renamed);
            let after = rows_renamed(&again, &HashMap::new());
            assert_eq!(before.headers, after.headers, "{collection:?}");
            assert_eq!(before.rows, after.rows, "{collection:?} in {language:?}");
            // Ids were really translated, not just both sides empty.
            assert!(
                after.rows.iter().all(|row| row[0].starts_with('b')),
                "{collection:?}"
            );
        }
    }
}

#[test]
fn importing_an_export_into_its_own_workspace_changes_nothing() {
    let mut document = demo_roundtable();
    let heads = document.get_heads();
    for collection in Collection::ALL {
        let csv = export(&document, collection, Language::Spanish);
        let plan = plan(&document, &csv, collection);
        assert!(
            plan.rows
                .iter()
                .all(|row| matches!(row.action, RowAction::Update { .. }))
        );
        assert!(
            plan.rows.iter().all(|row| row.problems.is_empty()),
            "{collection:?}: {plan:?}"
        );
        let summary = csv_io::apply_import(&mut document, &plan, &BTreeMap::new(), &by(), &mut ids("z"))
            .expect("import");
        assert_eq!(summary.unchanged, plan.rows.len(), "{collection:?}");
        assert_eq!((summary.created, summary.updated), (0, 0), "{collection:?}");
    }
    assert_eq!(document.get_heads(), heads, "no change was committed");
}

#[test]
fn a_title_holding_the_list_separator_still_resolves_by_id() {
    let mut document = demo_roundtable();
    let line = records::read_all(&document, Collection::WorkplanLines)
        .expect("read")
        .into_iter()
        .find(|line| line.title().starts_with("Mujeres constructoras"))
        .expect("the line the example activity is on");
    records::set_text(
        &mut document,
        Collection::WorkplanLines,
        &line.id,
        "title",
        "Paz; seguridad",
        &by(),
    )
    .expect("rename");
    let csv = export(&document, Collection::Activities, Language::Spanish);
    assert!(csv.contains("Paz; seguridad"));
    let plan = plan(&document, &csv, Collection::Activities);
    assert!(plan.rows.iter().all(|row| row.problems.is_empty()), "{plan:?}");
    let heads = document.get_heads();
    let summary =
        csv_io::apply_import(&mut document, &plan, &BTreeMap::new(), &by(), &mut ids("z")).expect("import");
    assert_eq!(summary.unchanged, plan.rows.len());
    assert_eq!(document.get_heads(), heads);
}

#[test]
fn an_edited_cell_updates_the_record_with_that_id() {
    let mut document = demo_roundtable();
    let csv = export(&document, Collection::Organisations, Language::English);
    let edited = csv.replace("Deutsche Gesellschaft", "Deutsche Gesellschaft (GIZ)");
    let plan = plan(&document, &edited, Collection::Organisations);
    let summary =
        csv_io::apply_import(&mut document, &plan, &BTreeMap::new(), &by(), &mut ids("z")).expect("import");
    assert_eq!((summary.updated, summary.created), (1, 0));
    let names: Vec<String> = records::read_all(&document, Collection::Organisations)
        .expect("read")
        .iter()
        .map(|record| record.title().to_owned())
        .collect();
    assert!(
        names
            .iter()
            .any(|name| name.starts_with("Deutsche Gesellschaft (GIZ)"))
    );
    let change = document.get_last_local_change().expect("change");
    assert_eq!(change.message(), Some("import 1 organisation from CSV"));
}

fn problems_of(plan: &ImportPlan, row: usize) -> Vec<(&'static str, ImportProblem)> {
    plan.rows[row]
        .problems
        .iter()
        .map(|problem| (problem.field, problem.problem.clone()))
        .collect()
}

#[test]
fn the_validation_report_names_each_problem() {
    let mut document = demo_roundtable();
    // Two organisations with one name make that name ambiguous.
    for id in ["twin1", "twin2"] {
        records::create_record(
            &mut document,
            Collection::Organisations,
            id,
            &[("name", text("Gemela")), ("kind", text("company"))],
            &by(),
        )
        .expect("twin");
    }
    let organisations = "\u{feff}Nombre,Tipo,Desde,Hasta\n\
        ,Empresa,,\n\
        Fecha mala,Empresa,2020-13-01,\n\
        Tipo raro,Planeta,,\n\
        Al revés,academia,2021-01-01,2020-01-01\n\
        Bien,ACADEMIA,2020-01-01,2021-01-01\n";
    let plan = plan(&document, organisations, Collection::Organisations);
    assert_eq!(
        problems_of(&plan, 0),
        vec![("name", ImportProblem::Invalid(Problem::Required))]
    );
    assert_eq!(
        problems_of(&plan, 1),
        vec![("member_since", ImportProblem::Invalid(Problem::BadDate))]
    );
    assert_eq!(
        problems_of(&plan, 2),
        vec![(
            "kind",
            ImportProblem::UnknownChoice {
                text: "Planeta".into()
            }
        )]
    );
    assert_eq!(
        problems_of(&plan, 3),
        vec![(
            "member_until",
            ImportProblem::Invalid(Problem::DateOrder {
                earlier_field: "member_since"
            })
        )]
    );
    assert_eq!(problems_of(&plan, 4), Vec::new());
    assert_eq!(
        plan.rows[4].values[1],
        ("kind", records::FieldValue::Text("academia".into()))
    );
    assert_eq!(plan.rows[1].line, 3);
    let counts = plan.counts();
    assert_eq!((counts.rows, counts.with_problems, counts.creates), (5, 4, 1));
    for row in &plan.rows {
        for problem in &row.problems {
            for language in Language::ALL {
                let message = problem.message(Collection::Organisations, language);
                assert!(message.len() > 10, "{message}");
            }
        }
    }

    let contacts = "Name,Organisation,Organisation (id)\n\
        Nadie,Organización fantasma,\n\
        Doble,gemela,\n\
        Por id,,twin2\n\
        Id falso con nombre,ONU Mujeres,no-such-id\n\
        Por siglas,oit,\n";
    let plan = self::plan(&document, contacts, Collection::Contacts);
    assert_eq!(
        problems_of(&plan, 0),
        vec![(
            "organisation",
            ImportProblem::ReferenceNotFound {
                text: "Organización fantasma".into()
            }
        )]
    );
    match &problems_of(&plan, 1)[..] {
        [("organisation", ImportProblem::AmbiguousReference { text, ids })] => {
            assert_eq!(text, "gemela");
            let mut ids = ids.clone();
            ids.sort();
            assert_eq!(ids, ["twin1", "twin2"]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(problems_of(&plan, 2), Vec::new());
    assert_eq!(
        plan.rows[2].values[1],
        ("organisation", records::FieldValue::Text("twin2".into()))
    );
    // An id that names nothing falls back to the title.
    assert_eq!(problems_of(&plan, 3), Vec::new());
    // An organisation no title matches is found by its acronym.
    assert_eq!(problems_of(&plan, 4), Vec::new());
    let oit = records::read_all(&document, Collection::Organisations)
        .expect("read")
        .into_iter()
        .find(|record| record.text("acronym") == "OIT")
        .expect("OIT");
    assert_eq!(
        plan.rows[4].values[1],
        ("organisation", records::FieldValue::Text(oit.id))
    );

    let terms = "Organización,Inicio,Fin,Prorrogada un segundo año\n\
        Gemela (no),2030-01-01,2030-12-31,quizá\n";
    let plan = self::plan(&document, terms, Collection::PresidencyTerms);
    let problems = problems_of(&plan, 0);
    assert!(problems.contains(&(
        "extended",
        ImportProblem::BadFlag {
            text: "quizá".into()
        }
    )));
    assert!(problems.contains(&(
        "organisation",
        ImportProblem::ReferenceNotFound {
            text: "Gemela (no)".into()
        }
    )));

    let terms = "Organización,Inicio,Fin\n\
        Embajada de Francia,2030-01-01,2030-12-31\n\
        Embajada de Francia,2030-06-01,2031-05-31\n\
        Embajada de Francia,2031-06-01,2032-05-31\n";
    let plan = self::plan(&document, terms, Collection::PresidencyTerms);
    assert_eq!(problems_of(&plan, 0), Vec::new());
    assert_eq!(
        problems_of(&plan, 1),
        vec![("start", ImportProblem::OverlapsRow { index: 0 })]
    );
    assert_eq!(problems_of(&plan, 2), Vec::new());

    let alliances = "Título,Cámara o empresa,Estado,Compromisos\n\
        Pacto nuevo,Gemela,Activa,sin separadores\n";
    let plan = self::plan(&document, alliances, Collection::Alliances);
    let problems = problems_of(&plan, 0);
    assert!(problems.contains(&(
        "commitments",
        ImportProblem::BadItem {
            text: "sin separadores".into()
        }
    )));
    let bad_item = plan.rows[0]
        .problems
        .iter()
        .find(|problem| problem.field == "commitments")
        .expect("the commitments problem");
    assert_eq!(
        bad_item.message(Collection::Alliances, Language::English),
        "Commitments: “sin separadores” is not “Commitment | Due | Done”."
    );

    // Meetings: a time of day, agenda items whose presenter does not
    // resolve or that lack their title.
    let meetings = "Título,Tipo,Fecha,Hora,Orden del día\n\
        Reunión rara,Plenaria,2021-03-10,25:00,\"Apertura | Nadie | | \nSolo | | | \"\n\
        Reunión dos,Plenaria,2021-03-11,09:00,\" | | | \"\n";
    let meetings_plan = self::plan(&document, meetings, Collection::Meetings);
    let problems = problems_of(&meetings_plan, 0);
    assert!(
        problems.contains(&("time", ImportProblem::Invalid(Problem::BadTime))),
        "{problems:?}"
    );
    assert!(
        problems.contains(&(
            "agenda",
            ImportProblem::ReferenceNotFound { text: "Nadie".into() }
        )),
        "{problems:?}"
    );
    let problems = problems_of(&meetings_plan, 1);
    assert!(
        matches!(
            problems.as_slice(),
            [("agenda", ImportProblem::Invalid(Problem::InItem { position: 0, problem, .. }))]
                if **problem == Problem::Required
        ),
        "{problems:?}"
    );

    // Rows with problems are skipped and counted; nothing else is written.
    let heads = document.get_heads();
    let summary =
        csv_io::apply_import(&mut document, &plan, &BTreeMap::new(), &by(), &mut ids("z")).expect("import");
    assert_eq!((summary.skipped_problems, summary.created), (1, 0));
    assert_eq!(document.get_heads(), heads);
}

#[test]
fn likely_duplicates_are_found_and_merged_created_or_skipped_as_chosen() {
    let mut document = demo_roundtable();
    let existing = |document: &Automerge, name: &str| {
        records::read_all(document, Collection::Organisations)
            .expect("read")
            .into_iter()
            .find(|record| record.title() == name)
            .expect(name)
    };
    let oit = existing(&document, "Organización Internacional del Trabajo").id;
    let giz = existing(
        &document,
        "Deutsche Gesellschaft für Internationale Zusammenarbeit",
    )
    .id;
    let csv = "Name,Acronym,Kind,City\n\
        ORGANIZACION  INTERNACIONAL del trabajo,,International organisation,Ginebra\n\
        Otra agencia alemana,giz,Cooperation agency,\n\
        Nueva Red,NR,Company,\n\
        NUEVA RÉD,,Company,Monterrey\n\
        Sin duplicado,SD,Company,\n";
    let plan = plan(&document, csv, Collection::Organisations);
    let duplicates: Vec<Vec<(DuplicateOf, &str)>> = plan
        .rows
        .iter()
        .map(|row| {
            row.duplicates
                .iter()
                .map(|duplicate| (duplicate.of.clone(), duplicate.field))
                .collect()
        })
        .collect();
    assert_eq!(
        duplicates[0],
        vec![(DuplicateOf::Existing { id: oit.clone() }, "name")]
    );
    assert_eq!(
        duplicates[1],
        vec![(DuplicateOf::Existing { id: giz }, "acronym")]
    );
    assert_eq!(duplicates[2], Vec::new());
    assert_eq!(duplicates[3], vec![(DuplicateOf::Row { index: 2 }, "name")]);
    assert_eq!(duplicates[4], Vec::new());
    assert_eq!(plan.counts().with_duplicates, 3);

    let before = records::read_all(&document, Collection::Organisations)
        .expect("read")
        .len();
    // Row 0: merged (the default); row 1: skipped; row 3: merged into row 2's new record.
    let choices = BTreeMap::from([(1, DuplicateChoice::Skip), (3, DuplicateChoice::Merge)]);
    let summary = csv_io::apply_import(&mut document, &plan, &choices, &by(), &mut ids("n")).expect("import");
    assert_eq!(summary.created, 2, "Nueva Red, Sin duplicado");
    assert_eq!(summary.updated, 1, "OIT");
    assert_eq!(summary.merged, 2, "into OIT, into Nueva Red");
    assert_eq!(summary.skipped_duplicates, 1);
    assert_eq!(summary.record_ids[0].as_deref(), Some(oit.as_str()));
    assert_eq!(summary.record_ids[3], summary.record_ids[2]);
    let after = records::read_all(&document, Collection::Organisations).expect("read");
    assert_eq!(after.len(), before + 2);
    let oit_now = records::read_one(&document, Collection::Organisations, &oit).expect("oit");
    assert_eq!(oit_now.text("city"), "Ginebra");
    assert_eq!(
        oit_now.title(),
        "Organización Internacional del Trabajo",
        "merge keeps, fills in"
    );
    let red = records::read_one(
        &document,
        Collection::Organisations,
        summary.record_ids[2].as_deref().expect("red"),
    )
    .expect("red");
    assert_eq!(
        (red.title(), red.text("city"), red.text("acronym")),
        ("Nueva Red", "Monterrey", "NR"),
        "the later row fills in what the earlier left empty"
    );

    // Creating anew when asked.
    let again = self::plan(
        &document,
        "Name,Kind\nnueva red,Company\n",
        Collection::Organisations,
    );
    assert_eq!(again.rows[0].duplicates.len(), 1);
    let choices = BTreeMap::from([(0, DuplicateChoice::CreateNew)]);
    let summary =
        csv_io::apply_import(&mut document, &again, &choices, &by(), &mut ids("m")).expect("import");
    assert_eq!(summary.created, 1);
}

#[test]
fn an_import_is_one_change_a_member_may_make() {
    let ana = ActorId::from(vec![2u8; 16]);
    let mut document = workspace(1).with_actor(ana.clone());
    let before = document.get_changes(&[]).len();
    let csv = "Nombre,Siglas,Tipo,Etiquetas,Descripción\n\
        Uno,U,Empresa,a; b,\"texto\nlargo\"\n\
        Dos,D,Academia,,\n\
        Tres,T,Academia,,\n";
    let plan = plan(&document, csv, Collection::Organisations);
    csv_io::apply_import(&mut document, &plan, &BTreeMap::new(), &by(), &mut ids("r")).expect("import");
    assert_eq!(document.get_changes(&[]).len(), before + 1, "one change");
    let change = document.get_last_local_change().expect("change");
    assert_eq!(change.message(), Some("import 3 organisations from CSV"));
    assert!(change.message().expect("message").len() <= model::MAX_CHANGE_MESSAGE_BYTES);
    let own = ana;
    let edits = edits_in_change(&document, &change, &move |actor| *actor == own);
    assert!(edits.len() > 3);
    for edit in &edits {
        assert_eq!(policy::check(Role::Member, edit), Ok(()), "{edit:?}");
        assert!(policy::check(Role::Observer, edit).is_err());
    }
    let uno = records::read_all(&document, Collection::Organisations).expect("read")[2].clone();
    assert_eq!(uno.title(), "Uno");
    assert_eq!(uno.list("tags"), ["a", "b"]);
    assert_eq!(uno.text("description"), "texto\nlargo");
    assert!(!uno.deleted);
    assert_eq!(uno.created_at, by().now_ms);
}

#[test]
fn parsing_takes_semicolons_a_bom_and_ragged_rows_and_maps_headers_loosely() {
    let table = csv_io::parse(
        "\u{feff}Nombre;PAIS;Tags;organisation (id);Whatever;name\nA;México\n\nB;Chile;x;y;z;w;extra\n",
    )
    .expect("parse");
    assert_eq!(table.headers.len(), 6);
    assert_eq!(
        table.rows,
        vec![
            vec![
                "A".to_owned(),
                "México".into(),
                String::new(),
                String::new(),
                String::new(),
                String::new()
            ],
            vec![
                "B".to_owned(),
                "Chile".into(),
                "x".into(),
                "y".into(),
                "z".into(),
                "w".into()
            ],
        ]
    );
    assert_eq!(
        csv_io::suggest_mapping(&table.headers, Collection::Organisations),
        vec![
            Some(Column::Field("name")),
            Some(Column::Field("country")),
            Some(Column::Field("tags")),
            None,
            None,
            None, // a second column for `name`
        ]
    );
    let headers: Vec<String> = ["ID", "Organización (ID)", "organisation", "Focal point for (id)"]
        .map(String::from)
        .to_vec();
    assert_eq!(
        csv_io::suggest_mapping(&headers, Collection::Contacts),
        vec![
            Some(Column::Id),
            Some(Column::ReferenceIds("organisation")),
            Some(Column::Field("organisation")),
            Some(Column::ReferenceIds("focal_point_for")),
        ]
    );
    assert_eq!(csv_io::parse(""), Err(csv_io::CsvError::Empty));
    let wide = vec!["x"; csv_io::MAX_COLUMNS + 1].join(",");
    assert_eq!(csv_io::parse(&wide), Err(csv_io::CsvError::TooManyColumns));
}

/// 2,000 organisations as an export would write them (ids `x…`).
fn two_thousand_organisations() -> String {
    let headers = csv_io::headers(Collection::Organisations, Language::Spanish, false);
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&headers).expect("header");
    let kinds = [
        "Empresa",
        "Academia",
        "Embajada o delegación",
        "Entidad de la ONU",
    ];
    for number in 1..=2000 {
        let row = [
            format!("x{number:05}"),
            format!("Organización número {number:05}"),
            format!("ON{number}"),
            kinds[number % kinds.len()].to_owned(),
            "México".into(),
            if number % 3 == 0 {
                "Oaxaca".into()
            } else {
                String::new()
            },
            format!("https://example.org/{number}"),
            if number % 7 == 0 {
                "Una descripción,\ncon dos líneas".into()
            } else {
                String::new()
            },
            "Miembro".into(),
            format!("20{:02}-0{}-1{}", number % 25, 1 + number % 9, number % 10),
            String::new(),
            if number % 5 == 0 {
                "género; paz".into()
            } else {
                String::new()
            },
        ];
        writer.write_record(&row).expect("row");
    }
    let mut csv = String::from("\u{feff}");
    csv.push_str(&String::from_utf8(writer.into_inner().expect("csv")).expect("utf8"));
    csv
}

#[test]
fn two_thousand_organisations_come_back_out_identical() {
    let csv = two_thousand_organisations();
    let mut document = workspace(3);
    let started = std::time::Instant::now();
    let plan = plan(&document, &csv, Collection::Organisations);
    assert_eq!(
        plan.counts().creates,
        2000,
        "{:?}",
        plan.rows.iter().find(|row| !row.problems.is_empty())
    );
    let summary =
        csv_io::apply_import(&mut document, &plan, &BTreeMap::new(), &by(), &mut ids("n")).expect("import");
    eprintln!(
        "planned and imported 2,000 organisations in {:?} (debug build)",
        started.elapsed()
    );
    assert_eq!(summary.created, 2000);
    let change = document.get_last_local_change().expect("change");
    assert_eq!(change.message(), Some("import 2000 organisations from CSV"));
    let mut again = export(&document, Collection::Organisations, Language::Spanish);
    for (number, id) in summary.record_ids.iter().enumerate() {
        again = again.replacen(id.as_deref().expect("id"), &format!("x{:05}", number + 1), 1);
    }
    assert_eq!(again, csv);
}

#[test]
fn two_rows_merged_into_one_record_fill_it_in_once() {
    let mut document = demo_roundtable();
    let giz = records::read_all(&document, Collection::Organisations)
        .expect("read")
        .into_iter()
        .find(|record| record.text("acronym") == "GIZ")
        .expect("GIZ");
    assert_eq!(giz.text("city"), "");
    let csv = "Name,Acronym,Kind,City,Website\n\
        GIZ Alemania,GIZ,Cooperation agency,Bonn,\n\
        GIZ México,giz,Cooperation agency,Ciudad de México,https://giz.de\n";
    let plan = plan(&document, csv, Collection::Organisations);
    assert!(plan.rows.iter().all(|row| row.problems.is_empty()));
    let duplicates: Vec<Vec<DuplicateOf>> = plan
        .rows
        .iter()
        .map(|row| {
            row.duplicates
                .iter()
                .map(|duplicate| duplicate.of.clone())
                .collect()
        })
        .collect();
    let existing = DuplicateOf::Existing { id: giz.id.clone() };
    assert_eq!(
        duplicates,
        [
            vec![existing.clone()],
            vec![existing, DuplicateOf::Row { index: 0 }]
        ]
    );
    let summary =
        csv_io::apply_import(&mut document, &plan, &BTreeMap::new(), &by(), &mut ids("n")).expect("import");
    assert_eq!((summary.merged, summary.updated, summary.created), (2, 1, 0));
    let giz_now = records::read_one(&document, Collection::Organisations, &giz.id).expect("GIZ");
    assert_eq!(
        giz_now.text("city"),
        "Bonn",
        "the first row filled it in, the second does not overwrite"
    );
    assert_eq!(giz_now.text("website"), "https://giz.de");
    assert_eq!(giz_now.title(), giz.title());
    assert_eq!(
        document.get_last_local_change().expect("change").message(),
        Some("import 1 organisation from CSV")
    );
}

#[test]
fn a_meeting_exports_its_items_one_per_line_with_titles() {
    let document = demo_roundtable();
    let csv = export(&document, Collection::Meetings, Language::English);
    let table = csv_io::parse(&csv).expect("parse");
    let position = |header: &str| {
        table
            .headers
            .iter()
            .position(|known| known == header)
            .expect(header)
    };
    // The demo's own 2020–2021 meetings are there too: this test's is found by title.
    let row = table
        .rows
        .iter()
        .find(|row| row[position("Title")] == "Plenaria de marzo (ejemplo)")
        .expect("the test's meeting");
    let column = |header: &str| row[position(header)].clone();
    assert_eq!(column("Time"), "09:30");
    let agenda = column("Agenda");
    let lines: Vec<&str> = agenda.lines().collect();
    assert_eq!(lines.len(), 3, "{agenda}");
    assert_eq!(lines[0], "Bienvenida |  |  | ");
    assert!(
        lines[1].starts_with("Informe del grupo de paz | Embajada de España | María Pérez (ejemplo) | Private-sector alliances: Pacto"),
        "{}",
        lines[1]
    );
    assert!(
        lines[1]
            .contains("; Working groups: Grupo de paz (ejemplo); Activities: Plenaria de ejemplo (ejemplo)")
    );
    assert_eq!(
        column("Attendance"),
        "ONU Mujeres | María Pérez (ejemplo) | Attended\nEmbajada de España |  | Apologised"
    );
    assert_eq!(
        column("Decisions"),
        "Publicar la ficha\\nen dos idiomas \\| ES y EN | Mujeres constructoras de paz"
    );
}

/// Through CBOR and back, as a plan crosses from the worker that holds the
/// document to the page, and back inside the import's intent.
fn through_cbor<T: serde::Serialize + serde::de::DeserializeOwned>(value: &T) -> T {
    let mut bytes = Vec::new();
    ciborium::into_writer(value, &mut bytes).expect("encode");
    ciborium::from_reader(bytes.as_slice()).expect("decode")
}

#[test]
fn plans_and_imports_cross_a_message_boundary_with_the_schemas_own_keys() {
    use enlace_shared::intent::Intent;
    use enlace_shared::query::Answer;

    let document = demo_roundtable();
    let meetings = "Título,Tipo,Fecha,Hora,Orden del día\n\
        Reunión rara,Plenaria,2021-03-10,25:00,\"Apertura | Nadie | | \nSolo | | | \"\n\
        Reunión dos,Plenaria,2021-03-11,09:00,\" | | | \"\n";
    let table = csv_io::parse(meetings).expect("parse");
    let mapping = csv_io::suggest_mapping(&table.headers, Collection::Meetings);
    let plan = csv_io::plan_import(&document, &table, &mapping, Collection::Meetings);
    assert!(
        plan.rows[1]
            .problems
            .iter()
            .any(|problem| matches!(problem.problem, ImportProblem::Invalid(Problem::InItem { .. }))),
        "the plan holds a problem naming an item's sub-field"
    );

    let answer = Answer::PlanImport(plan.clone());
    assert_eq!(through_cbor(&answer), answer);
    let intent = Intent::Import {
        table,
        mapping,
        expected: plan,
        choices: BTreeMap::from([(0, DuplicateChoice::Skip)]),
    };
    let back = through_cbor(&intent);
    assert_eq!(back, intent);
    // The keys read back are the schema's own, not copies.
    let Intent::Import { expected, .. } = back else {
        unreachable!()
    };
    let key = expected.rows[0].values[0].0;
    let schema_key = Collection::Meetings.field(key).expect("a meeting field").key;
    assert!(std::ptr::eq(key, schema_key));

    // A kind rule's list, and keys this schema does not have.
    let partner_kinds = Collection::Alliances.spec().reference_kinds[0].1;
    let wrong_kind = Problem::WrongKind {
        id: "x".into(),
        expected: partner_kinds,
    };
    let back = through_cbor(&wrong_kind);
    assert_eq!(back, wrong_kind);
    let Problem::WrongKind { expected, .. } = back else {
        unreachable!()
    };
    assert!(std::ptr::eq(expected, partner_kinds));
    let unknown: Result<Column, _> = {
        let mut bytes = Vec::new();
        ciborium::into_writer(&Column::Field("name"), &mut bytes).expect("encode");
        let text = String::from_utf8_lossy(&bytes).replace("name", "nome");
        ciborium::from_reader(text.as_bytes())
    };
    assert!(unknown.is_err(), "a field the schema does not know is refused");
}
