//! The annual report of the demo roundtable's 2020–2021 period (1 July 2020
//! to 30 June 2021), section by section against the demo data, in both
//! languages; escaping of record text; determinism; a report pinned to the
//! heads it was issued at; bad issued heads.

use automerge::{ActorId, Automerge, ChangeHash};
use enlace_shared::Language;
use enlace_shared::demo;
use enlace_shared::model::{self, Authorship};
use enlace_shared::records::{self, Initial, Record};
use enlace_shared::report::{self, Period, ReportError};
use enlace_shared::schema::Collection;

fn by() -> Authorship<'static> {
    Authorship {
        now_ms: 1_700_000_000_000,
        author: "Secretaría",
    }
}

fn text(value: &str) -> Initial {
    Initial::Text(value.to_owned())
}

/// The demo roundtable, with ids from a counter so two calls build the same document.
fn demo_roundtable() -> Automerge {
    let mut document = Automerge::new().with_actor(ActorId::from(vec![7u8; 16]));
    model::create_workspace(&mut document, "Mesa de Cooperación Internacional (MCIG)", 1).expect("workspace");
    let mut next = 0u32;
    demo::seed(&mut document, 1_600_000_000_000, &mut || {
        next += 1;
        format!("{next:032x}")
    })
    .expect("seed");
    document
}

fn period() -> Period {
    Period::new("2020-07-01", "2021-06-30").expect("period")
}

fn find(document: &Automerge, collection: Collection, title: &str) -> Record {
    records::read_all(document, collection)
        .expect("read")
        .into_iter()
        .find(|record| record.title().starts_with(title))
        .unwrap_or_else(|| panic!("{collection:?} {title}"))
}

fn titles<T>(entries: &[T], title: impl Fn(&T) -> &str) -> Vec<String> {
    entries.iter().map(|entry| title(entry).to_owned()).collect()
}

#[test]
fn the_2020_2021_report_of_the_demo_roundtable_in_spanish() {
    let document = demo_roundtable();
    let report = report::generate(&document, &period(), Language::Spanish).expect("report");

    assert_eq!(report.roundtable, "Mesa de Cooperación Internacional (MCIG)");
    assert_eq!(report.presidencies.len(), 1, "{:?}", report.presidencies);
    assert_eq!(report.presidencies[0].organisation, "Embajada de España");
    assert_eq!(
        (
            report.presidencies[0].start.as_str(),
            report.presidencies[0].end.as_str()
        ),
        ("2020-07-01", "2021-06-30")
    );
    assert_eq!(report.secretariat.as_deref(), Some("ONU Mujeres"));

    let groups: Vec<(&str, usize)> = report
        .members
        .iter()
        .map(|group| (group.kind, group.members.len()))
        .collect();
    assert_eq!(
        groups,
        [
            ("embassy", 3),
            ("cooperation_agency", 3),
            ("international_organisation", 3),
            ("un_entity", 1)
        ]
    );
    assert_eq!(report.members[0].kind_label, "Embajada o delegación");
    assert_eq!(
        report.members[0].members,
        ["Embajada de España", "Embajada de Francia", "Embajada de Irlanda"]
    );
    assert!(
        report.members[1]
            .members
            .contains(&"Deutsche Gesellschaft für Internationale Zusammenarbeit (GIZ)".to_owned())
    );
    let everyone: Vec<&String> = report.members.iter().flat_map(|group| &group.members).collect();
    assert!(
        everyone.iter().all(|name| !name.contains("(ejemplo)")),
        "the example chamber is an ally and the institution no member: {everyone:?}"
    );

    let meetings: Vec<(&str, &str, usize, usize, usize, usize)> = report
        .meetings
        .iter()
        .map(|meeting| {
            (
                meeting.date.as_str(),
                meeting.kind.as_str(),
                meeting.attended,
                meeting.apologised,
                meeting.listed,
                meeting.decisions.len(),
            )
        })
        .collect();
    assert_eq!(
        meetings,
        [
            ("2020-07-15", "plenary", 8, 1, 10, 2),
            ("2020-10-08", "working_group", 3, 1, 4, 1),
            ("2020-12-03", "plenary", 9, 1, 10, 2),
            ("2021-03-10", "working_group", 3, 0, 3, 1),
            ("2021-06-17", "plenary", 7, 2, 10, 1),
        ]
    );
    assert_eq!(report.meetings[0].kind_label, "Plenaria");
    assert_eq!(
        report.meetings[0].decisions[0],
        "Aprobar el plan de trabajo 2020–2021."
    );
    assert_eq!(
        report.meetings[1].working_group.as_deref(),
        Some("Grupo de diálogo político (ejemplo)")
    );

    let lines: Vec<(&str, Vec<String>)> = report
        .lines
        .iter()
        .map(|line| {
            (
                line.title.as_str(),
                titles(&line.activities, |activity| &activity.title),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            (
                "Diálogo político sobre los desafíos para la igualdad de género",
                vec!["Diálogo sobre la igualdad de género en la pandemia (ejemplo)".to_owned()]
            ),
            (
                "Diplomacia pública y comunicación",
                vec!["Campaña del 25 de noviembre de la Mesa (ejemplo)".to_owned()]
            ),
            (
                "Gestión del conocimiento y buenas prácticas",
                // The technical input of September 2021 falls after the period.
                vec!["Ficha sobre la participación política de las mujeres (ejemplo)".to_owned()]
            ),
            (
                "Mujeres constructoras de paz",
                vec!["Conversatorio con expertas en construcción de paz (ejemplo)".to_owned()]
            ),
            (
                "Participación política de las mujeres",
                vec!["Ficha sobre la participación política de las mujeres (ejemplo)".to_owned()]
            ),
        ]
    );
    assert_eq!(report.lines[0].activities[0].kind_label, "Espacio de diálogo");
    assert_eq!(
        report.lines[0].activities[0].organisers,
        ["Embajada de España", "ONU Mujeres"]
    );

    assert_eq!(
        titles(&report.alliances.new, |alliance| &alliance.title),
        ["Pacto por la igualdad en el empleo (ejemplo)"]
    );
    assert_eq!(
        report.alliances.new[0].partner,
        "Cámara de Comercio de ejemplo (ejemplo)"
    );
    assert_eq!(report.alliances.new[0].status_label, "En diálogo");
    assert!(report.alliances.signed.is_empty() && report.alliances.active.is_empty());

    assert_eq!(report.collaborations.len(), 1);
    let collaboration = &report.collaborations[0];
    assert_eq!(collaboration.programme, "Programa de ejemplo (ejemplo)");
    assert_eq!(
        collaboration.institution,
        "Institución de gobierno de ejemplo (ejemplo)"
    );
    assert_eq!(collaboration.status_label, "En curso");
    assert!(collaboration.results.starts_with("Diagnóstico compartido"));

    assert_eq!(
        titles(&report.actions_completed, |action| &action.title),
        [
            "Enviar la minuta de la primera plenaria (ejemplo)",
            "Preparar la ficha sobre violencia política (ejemplo)",
            "Coordinar la campaña del 8 de marzo (ejemplo)",
            "Proponer ponentes para el foro (ejemplo)",
        ]
    );
    assert_eq!(report.actions_completed[0].owner, "ONU Mujeres");
    assert_eq!(report.actions_completed[0].completed_on, "2020-07-24");
    let open: Vec<(&str, bool)> = report
        .actions_open
        .iter()
        .map(|action| (action.title.as_str(), action.overdue))
        .collect();
    assert_eq!(
        open,
        [
            ("Actualizar el directorio de puntos focales (ejemplo)", true),
            ("Difundir el informe anual (ejemplo)", false),
            // Done in August 2021: still open when the period ended.
            ("Sistematizar las buenas prácticas del año (ejemplo)", false),
        ]
    );

    let html = report::render_html(&report);
    for expected in [
        "<html lang=\"es\">",
        "Informe anual",
        "1 de julio de 2020 – 30 de junio de 2021",
        "Borrador (no emitido)",
        "Generado a partir de los registros en la versión",
        "<a href=\"#meetings\">Reuniones celebradas</a>",
        "Presidencia y secretaría técnica",
        "15 de julio de 2020 — Primera plenaria de la presidencia de España (ejemplo)",
        "Asistieron: 8 · Se excusaron: 1 · Convocadas: 10",
        "Cumplidas en el periodo (4)",
        "Abiertas al cierre del periodo (3)",
        "<span class=\"overdue\">vencida</span>",
        "10 miembros en total",
        "@bottom-right { content: counter(page) \" / \" counter(pages)",
    ] {
        assert!(html.contains(expected), "{expected}");
    }
    for absent in ["<script", "<link", "src=", "http://", "https://", "Irlanda: "] {
        assert!(!html.contains(absent), "{absent}");
    }
}

#[test]
fn the_same_report_in_english() {
    let document = demo_roundtable();
    let report = report::generate(&document, &period(), Language::English).expect("report");
    assert_eq!(report.members[0].kind_label, "Embassy or delegation");
    assert_eq!(report.meetings[1].kind_label, "Working group");
    assert_eq!(report.lines[0].activities[0].kind_label, "Dialogue space");
    assert_eq!(report.alliances.new[0].status_label, "In dialogue");
    assert_eq!(report.collaborations[0].status_label, "In progress");
    let spanish = report::generate(&document, &period(), Language::Spanish).expect("report");
    // The same records in each section, whatever the language.
    assert_eq!(report.meetings.len(), spanish.meetings.len());
    assert_eq!(report.actions_completed, spanish.actions_completed);
    assert_eq!(report.actions_open, spanish.actions_open);
    let html = report::render_html(&report);
    for expected in [
        "<html lang=\"en\">",
        "Annual report",
        "1 July 2020 – 30 June 2021",
        "Draft (not issued)",
        "Generated from the records at version",
        "<a href=\"#action-items\">Action items</a>",
        "15 July 2020 — Primera plenaria",
        "Attended: 8 · Apologised: 1 · Invited: 10",
        "Completed in the period (4)",
        "Open at the end of the period (3)",
        "<span class=\"overdue\">overdue</span>",
        "New in the period (1)",
    ] {
        assert!(html.contains(expected), "{expected}");
    }
    assert!(!html.contains("Reuniones celebradas"));
}

#[test]
fn the_definitions_of_each_section_hold_at_their_edges() {
    let mut document = demo_roundtable();
    let chamber = find(&document, Collection::Organisations, "Cámara de Comercio").id;
    let institution = find(&document, Collection::Organisations, "Institución de gobierno").id;
    for (id, title, status, start) in [
        ("a1", "Firmada antes", "signed", "2019-05-01"),
        ("a2", "Activa en el periodo", "active", "2020-08-01"),
        ("a3", "Firmada después", "signed", "2021-08-01"),
        ("a4", "Concluida", "concluded", "2019-01-01"),
    ] {
        records::create_record(
            &mut document,
            Collection::Alliances,
            id,
            &[
                ("title", text(title)),
                ("partner", text(&chamber)),
                ("status", text(status)),
                ("start", text(start)),
            ],
            &by(),
        )
        .expect("alliance");
    }
    for (id, programme, status, start, end) in [
        ("c1", "Terminó antes", "completed", "2019-01-01", "2020-06-30"),
        ("c2", "Terminó dentro", "completed", "2019-01-01", "2020-07-01"),
        ("c3", "Empieza después", "proposed", "2021-07-01", ""),
        ("c4", "Sin fechas, propuesta", "proposed", "", ""),
    ] {
        records::create_record(
            &mut document,
            Collection::Collaborations,
            id,
            &[
                ("institution", text(&institution)),
                ("programme", text(programme)),
                ("status", text(status)),
                ("start", text(start)),
                ("end", text(end)),
            ],
            &by(),
        )
        .expect("collaboration");
    }
    // A member that joined after the period, one that left before it, one
    // that left on its first day.
    for (id, name, since, until) in [
        ("o1", "Embajada tardía", "2021-07-01", ""),
        ("o2", "Embajada que salió", "2015-01-01", "2020-06-30"),
        ("o3", "Embajada del primer día", "2015-01-01", "2020-07-01"),
    ] {
        records::create_record(
            &mut document,
            Collection::Organisations,
            id,
            &[
                ("name", text(name)),
                ("kind", text("embassy")),
                ("membership", text("member")),
                ("member_since", text(since)),
                ("member_until", text(until)),
            ],
            &by(),
        )
        .expect("organisation");
    }
    // A deleted meeting is not held; a deleted activity is not reported.
    let closing = find(&document, Collection::Meetings, "Plenaria de cierre");
    records::set_deleted(&mut document, Collection::Meetings, &closing.id, true, &by()).expect("delete");

    let report = report::generate(&document, &period(), Language::Spanish).expect("report");
    assert_eq!(
        titles(&report.alliances.new, |alliance| &alliance.title),
        [
            "Activa en el periodo",
            "Pacto por la igualdad en el empleo (ejemplo)"
        ]
    );
    assert_eq!(
        titles(&report.alliances.signed, |alliance| &alliance.title),
        ["Firmada antes"]
    );
    assert_eq!(
        titles(&report.alliances.active, |alliance| &alliance.title),
        ["Activa en el periodo"]
    );
    assert_eq!(
        titles(&report.collaborations, |collaboration| &collaboration.programme),
        ["Terminó dentro", "Programa de ejemplo (ejemplo)"]
    );
    assert_eq!(
        report.members[0].members,
        [
            "Embajada de España",
            "Embajada de Francia",
            "Embajada de Irlanda",
            "Embajada del primer día"
        ]
    );
    assert_eq!(report.meetings.len(), 4);
    assert!(
        report
            .meetings
            .iter()
            .all(|meeting| !meeting.title.contains("cierre"))
    );
    // The action items of a deleted meeting are records of their own: they still count.
    assert_eq!(report.actions_open.len(), 3);
}

#[test]
fn every_text_from_the_records_is_escaped() {
    let mut document = demo_roundtable();
    let spain = find(&document, Collection::Organisations, "Embajada de España").id;
    records::set_text(
        &mut document,
        Collection::Organisations,
        &spain,
        "name",
        "<script>alert('presidencia')</script>",
        &by(),
    )
    .expect("rename");
    let meeting = find(&document, Collection::Meetings, "Plenaria de diciembre").id;
    records::set_text(
        &mut document,
        Collection::Meetings,
        &meeting,
        "title",
        "<img src=x onerror=alert(1)> & \"más\"",
        &by(),
    )
    .expect("retitle");
    let report_id = "r1";
    records::create_record(
        &mut document,
        Collection::Reports,
        report_id,
        &[
            ("title", text("Informe </title><script>x()</script>")),
            ("period_start", text("2020-07-01")),
            ("period_end", text("2021-06-30")),
            (
                "introduction",
                text("Primer párrafo <b>negrita</b>\n\n</p><iframe src=\"https://evil\">"),
            ),
        ],
        &by(),
    )
    .expect("report");
    for language in Language::ALL {
        let html = report::render_html(&report::for_record(&document, report_id, language).expect("report"));
        for forbidden in [
            "<script",
            "<img",
            "<iframe",
            "<b>",
            "onerror=alert(1)>",
            "src=\"https",
        ] {
            assert!(!html.contains(forbidden), "{forbidden} in {language:?}");
        }
        for escaped in [
            "&lt;script&gt;alert(&#39;presidencia&#39;)&lt;/script&gt;",
            "&lt;img src=x onerror=alert(1)&gt; &amp; &quot;más&quot;",
            "<title>Informe &lt;/title&gt;&lt;script&gt;x()&lt;/script&gt;</title>",
            "<p>Primer párrafo &lt;b&gt;negrita&lt;/b&gt;</p>",
            "&lt;/p&gt;&lt;iframe src=&quot;https://evil&quot;&gt;",
        ] {
            assert!(html.contains(escaped), "{escaped} in {language:?}");
        }
    }
}

#[test]
fn the_same_document_renders_the_same_bytes() {
    let (first, second) = (demo_roundtable(), demo_roundtable());
    assert_eq!(first.get_heads(), second.get_heads());
    for language in Language::ALL {
        let render = |document: &Automerge| {
            report::render_html(&report::generate(document, &period(), language).expect("report"))
        };
        assert_eq!(render(&first), render(&second));
        assert_eq!(render(&first), render(&first));
    }
}

fn create_report(document: &mut Automerge, id: &str, introduction: &str) {
    records::create_record(
        document,
        Collection::Reports,
        id,
        &[
            ("title", text("Informe anual 2020–2021")),
            ("period_start", text("2020-07-01")),
            ("period_end", text("2021-06-30")),
            ("introduction", text(introduction)),
            ("closing", text("Gracias a todas las organizaciones.")),
        ],
        &by(),
    )
    .expect("report");
}

fn render(document: &Automerge, id: &str, language: Language) -> String {
    report::render_html(&report::for_record(document, id, language).expect("report"))
}

#[test]
fn an_issued_report_is_pinned_to_its_heads_and_a_draft_follows_the_records() {
    let mut document = demo_roundtable();
    create_report(&mut document, "issued", "Un año de trabajo conjunto.");
    create_report(&mut document, "draft", "Un año de trabajo conjunto.");
    let before_issue = document.get_heads();
    let pinned = report::issue(&mut document, "issued", "2021-07-10", &by()).expect("issue");
    let mut sorted = before_issue.clone();
    sorted.sort();
    assert_eq!(pinned, sorted, "the heads just before the issuing change");
    let issued = records::read_one(&document, Collection::Reports, "issued").expect("record");
    assert_eq!(issued.text("issued_on"), "2021-07-10");
    assert_eq!(
        issued.list("issued_heads"),
        sorted.iter().map(ChangeHash::to_string).collect::<Vec<_>>()
    );

    let first: Vec<String> = Language::ALL
        .iter()
        .map(|language| render(&document, "issued", *language))
        .collect();
    let draft_before = render(&document, "draft", Language::Spanish);
    assert!(first[0].contains("Emitido el 10 de julio de 2021"));
    assert!(first[1].contains("Issued on 10 July 2021"));
    assert!(first[0].contains(&report::short_version(&before_issue)));
    assert!(first[0].contains("Un año de trabajo conjunto."));

    // The records change: a presidency renamed, a meeting added in the
    // period, the introduction rewritten, an action item closed.
    let spain = find(&document, Collection::Organisations, "Embajada de España").id;
    records::set_text(
        &mut document,
        Collection::Organisations,
        &spain,
        "name",
        "Embajada del Reino de España",
        &by(),
    )
    .expect("rename");
    records::create_record(
        &mut document,
        Collection::Meetings,
        "late",
        &[
            ("title", text("Plenaria extraordinaria")),
            ("kind", text("plenary")),
            ("date", text("2021-05-05")),
        ],
        &by(),
    )
    .expect("meeting");
    records::set_text(
        &mut document,
        Collection::Reports,
        "issued",
        "introduction",
        "Texto reescrito después.",
        &by(),
    )
    .expect("introduction");
    let directory = find(&document, Collection::ActionItems, "Actualizar el directorio").id;
    records::set_text(
        &mut document,
        Collection::ActionItems,
        &directory,
        "status",
        "done",
        &by(),
    )
    .expect("status");

    for (language, first) in Language::ALL.iter().zip(&first) {
        assert_eq!(&render(&document, "issued", *language), first, "{language:?}");
    }
    let draft_after = render(&document, "draft", Language::Spanish);
    assert_ne!(draft_after, draft_before);
    assert!(
        draft_after.contains("Embajada del Reino de España")
            && draft_after.contains("Plenaria extraordinaria")
    );
    assert!(
        !first[0].contains("Embajada del Reino de España") && !first[0].contains("Plenaria extraordinaria")
    );

    // Issuing again pins the new heads.
    report::issue(&mut document, "issued", "2021-07-20", &by()).expect("issue again");
    let again = render(&document, "issued", Language::Spanish);
    assert!(again.contains("Embajada del Reino de España") && again.contains("Texto reescrito después."));
    assert!(again.contains("Emitido el 20 de julio de 2021"));
}

fn set_heads(document: &mut Automerge, id: &str, heads: &[String]) {
    use automerge::ReadDoc as _;
    use automerge::transaction::Transactable as _;
    let (_, reports) = document
        .get(automerge::ROOT, "reports")
        .expect("get")
        .expect("reports");
    let (_, record) = document.get(&reports, id).expect("get").expect("record");
    let mut transaction = document.transaction();
    let list = transaction
        .put_object(&record, "issued_heads", automerge::ObjType::List)
        .expect("list");
    for (index, head) in heads.iter().enumerate() {
        transaction.insert(&list, index, head.as_str()).expect("insert");
    }
    transaction.commit();
}

#[test]
fn bad_issued_heads_are_errors_not_panics() {
    let mut document = demo_roundtable();
    let before_the_report = document.get_heads();
    create_report(&mut document, "r", "Introducción.");

    set_heads(&mut document, "r", &["not a hash".into()]);
    assert!(matches!(
        report::for_record(&document, "r", Language::Spanish),
        Err(ReportError::BadHead(_))
    ));
    set_heads(&mut document, "r", &["ab".repeat(40)]);
    assert!(matches!(
        report::for_record(&document, "r", Language::Spanish),
        Err(ReportError::BadHead(_))
    ));

    // A head this copy does not have (another client's change, still
    // syncing): a clear error naming it.
    let mut other = document.fork().with_actor(ActorId::from(vec![9u8; 16]));
    let organisation = find(&other, Collection::Organisations, "Deutsche").id;
    records::set_text(
        &mut other,
        Collection::Organisations,
        &organisation,
        "city",
        "Ciudad de México",
        &by(),
    )
    .expect("edit");
    let unknown = other.get_heads()[0].to_string();
    set_heads(&mut document, "r", std::slice::from_ref(&unknown));
    match report::for_record(&document, "r", Language::English) {
        Err(error @ ReportError::UnknownHead(_)) => {
            assert!(error.to_string().contains(&unknown));
            assert!(error.message(Language::Spanish).contains("sincronización"));
        }
        other => panic!("{other:?}"),
    }

    // Heads from before the report existed.
    let old: Vec<String> = before_the_report.iter().map(ChangeHash::to_string).collect();
    set_heads(&mut document, "r", &old);
    assert!(matches!(
        report::for_record(&document, "r", Language::Spanish),
        Err(ReportError::NotAtVersion)
    ));

    assert!(matches!(
        report::for_record(&document, "nobody", Language::Spanish),
        Err(ReportError::MissingReport(_))
    ));
    assert!(matches!(
        report::issue(&mut document, "nobody", "2021-07-01", &by()),
        Err(ReportError::Model(_))
    ));
    // A report whose period is not valid says so.
    records::create_record(
        &mut document,
        Collection::Reports,
        "bad period",
        &[
            ("title", text("Sin periodo")),
            ("period_start", text("2021-07-01")),
            ("period_end", text("2020-06-30")),
        ],
        &by(),
    )
    .expect("report");
    assert!(matches!(
        report::for_record(&document, "bad period", Language::Spanish),
        Err(ReportError::BadPeriod { .. })
    ));
}
