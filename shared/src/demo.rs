//! The demo roundtable: the MCIG as published, plus a few invented example
//! records that are visibly marked as examples (`example: true` and
//! "(ejemplo)" in their titles).
//!
//! Published facts used here: installed July 2018; presidency France
//! 2018–2019, Ireland 2019–2020, Spain 2020–2021; UN Women holds the technical
//! secretariat; cooperation agencies AECID, GIZ, USAID; international
//! organisations IDB (BID), ILO (OIT) and the UN Resident Coordinator's
//! Office; the five work-plan lines of 2020–2021. Terms are stored from 1 July
//! to 30 June, the month the roundtable was installed; the published record
//! gives years only.

use automerge::transaction::{CommitOptions, Transactable as _};
use automerge::{Automerge, ObjType, ROOT, ReadDoc as _};

use crate::model::{Authorship, ModelError};
use crate::records::{Initial, ItemAt, add_item, create_record};
use crate::schema::Collection;

fn text(value: &str) -> Initial {
    Initial::Text(value.to_owned())
}

/// The presidency terms as published: (embassy country in Spanish, start, end).
pub const PRESIDENCIES: [(&str, &str, &str); 3] = [
    ("Francia", "2018-07-01", "2019-06-30"),
    ("Irlanda", "2019-07-01", "2020-06-30"),
    ("España", "2020-07-01", "2021-06-30"),
];

/// The work-plan lines of 2020–2021, in Spanish.
pub const WORKPLAN_2020_2021: [&str; 5] = [
    "Diálogo político sobre los desafíos para la igualdad de género",
    "Mujeres constructoras de paz",
    "Participación política de las mujeres",
    "Gestión del conocimiento y buenas prácticas",
    "Diplomacia pública y comunicación",
];

/// Fills a freshly created workspace with the demo roundtable. `new_id`
/// supplies fresh random record ids (this crate does no IO).
pub fn seed(
    document: &mut Automerge,
    now_ms: i64,
    new_id: &mut dyn FnMut() -> String,
) -> Result<(), ModelError> {
    let by = Authorship {
        now_ms,
        author: "Enlace (demo)",
    };
    let mut organisation = |document: &mut Automerge,
                            name: &str,
                            acronym: &str,
                            kind: &str,
                            country: &str,
                            membership: &str|
     -> Result<String, ModelError> {
        let id = new_id();
        create_record(
            document,
            Collection::Organisations,
            &id,
            &[
                ("name", text(name)),
                ("acronym", text(acronym)),
                ("kind", text(kind)),
                ("country", text(country)),
                ("membership", text(membership)),
            ],
            &by,
        )?;
        Ok(id)
    };
    let un_women = organisation(
        document,
        "ONU Mujeres",
        "ONU Mujeres",
        "un_entity",
        "México",
        "member",
    )?;
    let aecid = organisation(
        document,
        "Agencia Española de Cooperación Internacional para el Desarrollo",
        "AECID",
        "cooperation_agency",
        "España",
        "member",
    )?;
    let giz = organisation(
        document,
        "Deutsche Gesellschaft für Internationale Zusammenarbeit",
        "GIZ",
        "cooperation_agency",
        "Alemania",
        "member",
    )?;
    let usaid = organisation(
        document,
        "Agencia de los Estados Unidos para el Desarrollo Internacional",
        "USAID",
        "cooperation_agency",
        "Estados Unidos",
        "member",
    )?;
    let idb = organisation(
        document,
        "Banco Interamericano de Desarrollo",
        "BID",
        "international_organisation",
        "",
        "member",
    )?;
    let ilo = organisation(
        document,
        "Organización Internacional del Trabajo",
        "OIT",
        "international_organisation",
        "",
        "member",
    )?;
    let rco = organisation(
        document,
        "Oficina de la Coordinadora Residente de la ONU",
        "OCR",
        "international_organisation",
        "México",
        "member",
    )?;
    let mut embassies = Vec::new();
    for (country, _, _) in PRESIDENCIES {
        let name = format!("Embajada de {country}");
        embassies.push(organisation(document, &name, "", "embassy", country, "member")?);
    }
    document
        .transact_with(
            |_| {
                CommitOptions::default()
                    .with_message("set technical secretariat ONU Mujeres")
                    .with_time(now_ms)
            },
            |transaction| {
                let meta = match transaction.get(ROOT, "meta")? {
                    Some((_, meta)) => meta,
                    None => transaction.put_object(ROOT, "meta", ObjType::Map)?,
                };
                transaction.put(&meta, "technical_secretariat", un_women.as_str())
            },
        )
        .map_err(|failure| ModelError::Automerge(failure.error))?;
    for ((_, start, end), embassy) in PRESIDENCIES.iter().zip(&embassies) {
        create_record(
            document,
            Collection::PresidencyTerms,
            &new_id(),
            &[
                ("organisation", text(embassy)),
                ("start", text(start)),
                ("end", text(end)),
                ("extended", Initial::Flag(false)),
            ],
            &by,
        )?;
    }
    let mut lines = Vec::new();
    for title in WORKPLAN_2020_2021 {
        let id = new_id();
        create_record(
            document,
            Collection::WorkplanLines,
            &id,
            &[("title", text(title)), ("period", text("2020–2021"))],
            &by,
        )?;
        lines.push(id);
    }
    seed_examples(document, &by, new_id, &embassies, &lines)?;
    let members = Members {
        un_women,
        aecid,
        giz,
        usaid,
        idb,
        ilo,
        rco,
        embassies,
    };
    seed_secretariat_year(document, &by, new_id, &members, &lines)
}

/// Marks a record as an invented example (`example: true`).
fn mark_example(
    document: &mut Automerge,
    by: &Authorship<'_>,
    collection: Collection,
    id: &str,
) -> Result<(), ModelError> {
    let Ok(Some((_, collection_id))) = document.get(ROOT, collection.key()) else {
        return Err(ModelError::MissingCollection(collection.key()));
    };
    let Ok(Some((_, record))) = document.get(&collection_id, id) else {
        return Err(ModelError::MissingRecord {
            collection: collection.key(),
            id: id.to_owned(),
        });
    };
    document
        .transact_with(
            |_| {
                CommitOptions::default()
                    .with_message(format!("mark {} {id} as an example", collection.noun()))
                    .with_time(by.now_ms)
            },
            |transaction| transaction.put(&record, "example", true),
        )
        .map_err(|failure| ModelError::Automerge(failure.error))?;
    Ok(())
}

fn seed_examples(
    document: &mut Automerge,
    by: &Authorship<'_>,
    new_id: &mut dyn FnMut() -> String,
    embassies: &[String],
    lines: &[String],
) -> Result<(), ModelError> {
    let mark = |document: &mut Automerge, collection: Collection, id: &str| {
        mark_example(document, by, collection, id)
    };
    let chamber = new_id();
    create_record(
        document,
        Collection::Organisations,
        &chamber,
        &[
            ("name", text("Cámara de Comercio de ejemplo (ejemplo)")),
            ("kind", text("private_sector_chamber")),
            ("country", text("México")),
            ("membership", text("ally")),
        ],
        by,
    )?;
    mark(document, Collection::Organisations, &chamber)?;
    let alliance = new_id();
    create_record(
        document,
        Collection::Alliances,
        &alliance,
        &[
            ("title", text("Pacto por la igualdad en el empleo (ejemplo)")),
            ("partner", text(&chamber)),
            (
                "members",
                Initial::List(embassies.iter().take(2).cloned().collect()),
            ),
            (
                "workplan_lines",
                Initial::List(lines.iter().take(1).cloned().collect()),
            ),
            ("status", text("in_dialogue")),
            ("start", text("2020-10-15")),
            ("next_step", text("Reunión de seguimiento (ejemplo)")),
        ],
        by,
    )?;
    mark(document, Collection::Alliances, &alliance)?;
    let institution = new_id();
    create_record(
        document,
        Collection::Organisations,
        &institution,
        &[
            ("name", text("Institución de gobierno de ejemplo (ejemplo)")),
            ("kind", text("government_institution")),
            ("country", text("México")),
            ("membership", text("none")),
        ],
        by,
    )?;
    mark(document, Collection::Organisations, &institution)?;
    let collaboration = new_id();
    create_record(
        document,
        Collection::Collaborations,
        &collaboration,
        &[
            ("institution", text(&institution)),
            ("programme", text("Programa de ejemplo (ejemplo)")),
            (
                "members",
                Initial::List(embassies.iter().skip(2).cloned().collect()),
            ),
            ("status", text("in_progress")),
            ("start", text("2020-11-01")),
            (
                "results",
                text("Diagnóstico compartido de la oferta de cuidados en dos estados (ejemplo)."),
            ),
        ],
        by,
    )?;
    mark(document, Collection::Collaborations, &collaboration)
}

/// The ids of the published members the examples of the secretariat's year refer to.
struct Members {
    un_women: String,
    aecid: String,
    giz: String,
    usaid: String,
    idb: String,
    ilo: String,
    rco: String,
    /// France, Ireland, Spain (the presidencies' order).
    embassies: Vec<String>,
}

impl Members {
    fn spain(&self) -> &str {
        &self.embassies[2]
    }

    /// Every member, the secretariat first.
    fn all(&self) -> Vec<&str> {
        let mut all = vec![
            self.un_women.as_str(),
            &self.aecid,
            &self.giz,
            &self.usaid,
            &self.idb,
            &self.ilo,
            &self.rco,
        ];
        all.extend(self.embassies.iter().map(String::as_str));
        all
    }
}

/// One example meeting of the 2020–2021 period.
struct ExampleMeeting<'a> {
    title: &'a str,
    kind: &'a str,
    date: &'a str,
    time: &'a str,
    place: &'a str,
    working_group: Option<&'a str>,
    lines: Vec<String>,
    agenda: &'a [&'a str],
    /// (organisation, attendance status)
    attendance: Vec<(&'a str, &'a str)>,
    minutes: &'a str,
    /// (text, work-plan lines)
    decisions: Vec<(&'a str, Vec<String>)>,
}

/// Appends items to the `key` items field of a record, one change each
/// (as the editor adds them).
fn append_items(
    document: &mut Automerge,
    by: &Authorship<'_>,
    (collection, record_id): (Collection, &str),
    key: &str,
    items: &[(String, Vec<(&str, Initial)>)],
) -> Result<(), ModelError> {
    for (item_id, fields) in items {
        let at = ItemAt {
            collection,
            record_id,
            field: key,
            item_id,
        };
        add_item(document, at, None, fields, by)?;
    }
    Ok(())
}

fn create_meeting(
    document: &mut Automerge,
    by: &Authorship<'_>,
    new_id: &mut dyn FnMut() -> String,
    convened_by: &str,
    meeting: ExampleMeeting<'_>,
) -> Result<String, ModelError> {
    let id = new_id();
    let mut fields = vec![
        ("title", text(meeting.title)),
        ("kind", text(meeting.kind)),
        ("date", text(meeting.date)),
        ("time", text(meeting.time)),
        ("place", text(meeting.place)),
        ("convened_by", Initial::List(vec![convened_by.to_owned()])),
        ("workplan_lines", Initial::List(meeting.lines)),
        ("minutes", text(meeting.minutes)),
    ];
    if let Some(group) = meeting.working_group {
        fields.push(("working_group", text(group)));
    }
    create_record(document, Collection::Meetings, &id, &fields, by)?;
    let agenda: Vec<_> = meeting
        .agenda
        .iter()
        .map(|title| (new_id(), vec![("title", text(title))]))
        .collect();
    append_items(document, by, (Collection::Meetings, &id), "agenda", &agenda)?;
    let attendance: Vec<_> = meeting
        .attendance
        .iter()
        .map(|(organisation, status)| {
            (
                new_id(),
                vec![("organisation", text(organisation)), ("status", text(status))],
            )
        })
        .collect();
    append_items(
        document,
        by,
        (Collection::Meetings, &id),
        "attendance",
        &attendance,
    )?;
    let decisions: Vec<_> = meeting
        .decisions
        .into_iter()
        .map(|(decision, lines)| {
            (
                new_id(),
                vec![("text", text(decision)), ("workplan_lines", Initial::List(lines))],
            )
        })
        .collect();
    append_items(document, by, (Collection::Meetings, &id), "decisions", &decisions)?;
    mark_example(document, by, Collection::Meetings, &id)?;
    Ok(id)
}

/// Every member with `status`, except those listed in `others` with theirs.
fn attendance<'a>(
    members: &'a Members,
    others: &[(&'a str, &'a str)],
    status: &'a str,
) -> Vec<(&'a str, &'a str)> {
    members
        .all()
        .into_iter()
        .map(|member| {
            let given = others.iter().find(|(other, _)| *other == member);
            (member, given.map_or(status, |(_, status)| *status))
        })
        .collect()
}

/// (kind, title, date, organisers, work-plan lines)
type ExampleActivity<'a> = (&'a str, &'a str, &'a str, Vec<String>, Vec<String>);

/// Creates a record and marks it as an example.
fn create_example(
    document: &mut Automerge,
    by: &Authorship<'_>,
    collection: Collection,
    id: &str,
    fields: &[(&str, Initial)],
) -> Result<(), ModelError> {
    create_record(document, collection, id, fields, by)?;
    mark_example(document, by, collection, id)
}

/// The technical secretariat's 2020–2021 year, invented and marked as
/// examples: two working groups, five meetings (three plenaries, two
/// working-group meetings) with agendas, attendance, minutes and
/// decisions, eight action items (four done in the period, one done after
/// it, two still open, one of them overdue, and one cancelled) and five
/// activities (four in the period, one after it). `shared/tests/report.rs`
/// checks the 2020–2021 annual report against these figures.
fn seed_secretariat_year(
    document: &mut Automerge,
    by: &Authorship<'_>,
    new_id: &mut dyn FnMut() -> String,
    members: &Members,
    lines: &[String],
) -> Result<(), ModelError> {
    let line = |index: usize| vec![lines[index].clone()];
    let dialogue_group = new_id();
    create_example(
        document,
        by,
        Collection::WorkingGroups,
        &dialogue_group,
        &[
            ("name", text("Grupo de diálogo político (ejemplo)")),
            (
                "workplan_lines",
                Initial::List(vec![lines[0].clone(), lines[2].clone()]),
            ),
            ("leads", Initial::List(vec![members.spain().to_owned()])),
            (
                "members",
                Initial::List(vec![
                    members.spain().to_owned(),
                    members.aecid.clone(),
                    members.un_women.clone(),
                    members.embassies[1].clone(),
                ]),
            ),
            ("start", text("2020-09-01")),
            ("end", text("2021-06-30")),
            (
                "description",
                text("Preparar los espacios de diálogo político de la Mesa con las instituciones (ejemplo)."),
            ),
        ],
    )?;
    let peace_group = new_id();
    create_example(
        document,
        by,
        Collection::WorkingGroups,
        &peace_group,
        &[
            ("name", text("Grupo de mujeres constructoras de paz (ejemplo)")),
            ("workplan_lines", Initial::List(line(1))),
            ("leads", Initial::List(vec![members.giz.clone()])),
            (
                "members",
                Initial::List(vec![
                    members.giz.clone(),
                    members.rco.clone(),
                    members.embassies[0].clone(),
                ]),
            ),
            ("start", text("2020-09-01")),
            (
                "description",
                text("Acompañar a las redes de mujeres constructoras de paz (ejemplo)."),
            ),
        ],
    )?;

    let first_plenary = create_meeting(
        document,
        by,
        new_id,
        &members.un_women,
        ExampleMeeting {
            title: "Primera plenaria de la presidencia de España (ejemplo)",
            kind: "plenary",
            date: "2020-07-15",
            time: "10:00",
            place: "En línea",
            working_group: None,
            lines: vec![lines[0].clone(), lines[3].clone()],
            agenda: &[
                "Bienvenida de la presidencia de España",
                "Plan de trabajo 2020–2021",
                "Grupos de trabajo",
            ],
            attendance: attendance(
                members,
                &[(members.usaid.as_str(), "apologised"), (&members.ilo, "invited")],
                "attended",
            ),
            minutes: "La presidencia de España presentó sus prioridades para el periodo.\n\nSe revisó la propuesta de plan de trabajo 2020–2021 (ejemplo).",
            decisions: vec![
                ("Aprobar el plan de trabajo 2020–2021.", line(0)),
                ("Crear dos grupos de trabajo.", Vec::new()),
            ],
        },
    )?;
    let dialogue_meeting = create_meeting(
        document,
        by,
        new_id,
        members.spain(),
        ExampleMeeting {
            title: "Reunión del grupo de diálogo político (ejemplo)",
            kind: "working_group",
            date: "2020-10-08",
            time: "16:30",
            place: "Embajada de España",
            working_group: Some(&dialogue_group),
            lines: vec![lines[0].clone(), lines[2].clone()],
            agenda: &["Mapa de actores", "Próximo espacio de diálogo"],
            attendance: vec![
                (members.spain(), "attended"),
                (&members.aecid, "attended"),
                (&members.un_women, "attended"),
                (&members.embassies[1], "apologised"),
            ],
            minutes: "El grupo acordó preparar una ficha sobre violencia política (ejemplo).",
            decisions: vec![(
                "Preparar una ficha de contexto sobre violencia política.",
                line(2),
            )],
        },
    )?;
    let december_plenary = create_meeting(
        document,
        by,
        new_id,
        &members.un_women,
        ExampleMeeting {
            title: "Plenaria de diciembre (ejemplo)",
            kind: "plenary",
            date: "2020-12-03",
            time: "10:00",
            place: "Oficina de ONU Mujeres",
            working_group: None,
            lines: line(4),
            agenda: &["Informe de los grupos de trabajo", "Campaña del 8 de marzo"],
            attendance: attendance(members, &[(members.idb.as_str(), "apologised")], "attended"),
            minutes: "Los grupos informaron de sus avances (ejemplo).",
            decisions: vec![
                ("Coordinar una campaña conjunta para el 8 de marzo.", line(4)),
                ("Actualizar el directorio de puntos focales.", line(3)),
            ],
        },
    )?;
    let peace_meeting = create_meeting(
        document,
        by,
        new_id,
        &members.giz,
        ExampleMeeting {
            title: "Reunión del grupo de mujeres constructoras de paz (ejemplo)",
            kind: "working_group",
            date: "2021-03-10",
            time: "",
            place: "En línea",
            working_group: Some(&peace_group),
            lines: line(1),
            agenda: &["Foro de mujeres constructoras de paz"],
            attendance: vec![
                (&members.giz, "attended"),
                (&members.rco, "attended"),
                (&members.embassies[0], "attended"),
            ],
            minutes: "Se propusieron ponentes para el foro (ejemplo).",
            decisions: vec![("Organizar el foro en abril.", line(1))],
        },
    )?;
    let closing_plenary = create_meeting(
        document,
        by,
        new_id,
        &members.un_women,
        ExampleMeeting {
            title: "Plenaria de cierre de la presidencia de España (ejemplo)",
            kind: "plenary",
            date: "2021-06-17",
            time: "10:00",
            place: "Embajada de España",
            working_group: None,
            lines: line(3),
            agenda: &["Balance del año", "Informe anual", "Traspaso de la presidencia"],
            attendance: attendance(
                members,
                &[
                    (members.usaid.as_str(), "apologised"),
                    (&members.embassies[0], "apologised"),
                    (&members.ilo, "confirmed"),
                ],
                "attended",
            ),
            minutes: "La presidencia presentó el balance del año (ejemplo).",
            decisions: vec![("Publicar el informe anual 2020–2021.", line(4))],
        },
    )?;

    // (title, meeting, owner, due, status, completed on, line)
    let action_items: [(&str, &str, &str, &str, &str, &str, usize); 8] = [
        (
            "Enviar la minuta de la primera plenaria (ejemplo)",
            &first_plenary,
            &members.un_women,
            "2020-07-31",
            "done",
            "2020-07-24",
            3,
        ),
        (
            "Explorar una alianza con una cámara de comercio (ejemplo)",
            &first_plenary,
            &members.usaid,
            "2020-10-31",
            "cancelled",
            "",
            0,
        ),
        (
            "Preparar la ficha sobre violencia política (ejemplo)",
            &dialogue_meeting,
            &members.aecid,
            "2020-11-30",
            "done",
            "2020-12-01",
            2,
        ),
        (
            "Coordinar la campaña del 8 de marzo (ejemplo)",
            &december_plenary,
            &members.rco,
            "2021-03-08",
            "done",
            "2021-03-05",
            4,
        ),
        (
            "Actualizar el directorio de puntos focales (ejemplo)",
            &december_plenary,
            &members.un_women,
            "2021-02-15",
            "in_progress",
            "",
            3,
        ),
        (
            "Proponer ponentes para el foro (ejemplo)",
            &peace_meeting,
            &members.giz,
            "2021-04-30",
            "done",
            "2021-04-22",
            1,
        ),
        (
            "Difundir el informe anual (ejemplo)",
            &closing_plenary,
            members.spain(),
            "2021-07-31",
            "open",
            "",
            4,
        ),
        (
            "Sistematizar las buenas prácticas del año (ejemplo)",
            &closing_plenary,
            &members.idb,
            "2021-09-30",
            "done",
            "2021-08-20",
            3,
        ),
    ];
    for (title, meeting, owner, due, status, completed_on, line_index) in action_items {
        create_example(
            document,
            by,
            Collection::ActionItems,
            &new_id(),
            &[
                ("title", text(title)),
                ("meeting", text(meeting)),
                ("owner", text(owner)),
                ("due", text(due)),
                ("status", text(status)),
                ("completed_on", text(completed_on)),
                ("workplan_line", text(&lines[line_index])),
            ],
        )?;
    }

    // (kind, title, date, organisers, lines)
    let activities: [ExampleActivity<'_>; 5] = [
        (
            "dialogue_space",
            "Diálogo sobre la igualdad de género en la pandemia (ejemplo)",
            "2020-09-24",
            vec![members.spain().to_owned(), members.un_women.clone()],
            line(0),
        ),
        (
            "communication",
            "Campaña del 25 de noviembre de la Mesa (ejemplo)",
            "2020-11-25",
            vec![members.un_women.clone()],
            line(4),
        ),
        (
            "expert_event",
            "Conversatorio con expertas en construcción de paz (ejemplo)",
            "2021-04-27",
            vec![members.giz.clone(), members.rco.clone()],
            line(1),
        ),
        (
            "fact_sheet",
            "Ficha sobre la participación política de las mujeres (ejemplo)",
            "2021-05-20",
            vec![members.aecid.clone()],
            vec![lines[2].clone(), lines[3].clone()],
        ),
        (
            "technical_input",
            "Insumo técnico para la nueva presidencia (ejemplo)",
            "2021-09-15",
            vec![members.un_women.clone()],
            line(3),
        ),
    ];
    for (kind, title, date, organisers, activity_lines) in activities {
        create_example(
            document,
            by,
            Collection::Activities,
            &new_id(),
            &[
                ("kind", text(kind)),
                ("title", text(title)),
                ("date", text(date)),
                ("organisers", Initial::List(organisers)),
                ("workplan_lines", Initial::List(activity_lines)),
            ],
        )?;
    }
    Ok(())
}
