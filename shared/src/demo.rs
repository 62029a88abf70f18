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

use automerge::transaction::Transactable as _;
use automerge::{Automerge, ROOT, ReadDoc as _};

use crate::model::{Authorship, ModelError};
use crate::records::{Initial, create_record};
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
    organisation(
        document,
        "Agencia Española de Cooperación Internacional para el Desarrollo",
        "AECID",
        "cooperation_agency",
        "España",
        "member",
    )?;
    organisation(
        document,
        "Deutsche Gesellschaft für Internationale Zusammenarbeit",
        "GIZ",
        "cooperation_agency",
        "Alemania",
        "member",
    )?;
    organisation(
        document,
        "Agencia de los Estados Unidos para el Desarrollo Internacional",
        "USAID",
        "cooperation_agency",
        "Estados Unidos",
        "member",
    )?;
    organisation(
        document,
        "Banco Interamericano de Desarrollo",
        "BID",
        "international_organisation",
        "",
        "member",
    )?;
    organisation(
        document,
        "Organización Internacional del Trabajo",
        "OIT",
        "international_organisation",
        "",
        "member",
    )?;
    organisation(
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
                automerge::transaction::CommitOptions::default()
                    .with_message("set technical secretariat ONU Mujeres")
                    .with_time(now_ms)
            },
            |transaction| {
                let meta = match transaction.get(ROOT, "meta")? {
                    Some((_, meta)) => meta,
                    None => transaction.put_object(ROOT, "meta", automerge::ObjType::Map)?,
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
    seed_examples(document, &by, new_id, &embassies, &lines)
}

fn seed_examples(
    document: &mut Automerge,
    by: &Authorship<'_>,
    new_id: &mut dyn FnMut() -> String,
    embassies: &[String],
    lines: &[String],
) -> Result<(), ModelError> {
    let mark = |document: &mut Automerge, collection: Collection, id: &str| -> Result<(), ModelError> {
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
                    automerge::transaction::CommitOptions::default()
                        .with_message(format!("mark {} {id} as an example", collection.noun()))
                        .with_time(by.now_ms)
                },
                |transaction| transaction.put(&record, "example", true),
            )
            .map_err(|failure| ModelError::Automerge(failure.error))?;
        Ok(())
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
            ("status", text("proposed")),
        ],
        by,
    )?;
    mark(document, Collection::Collaborations, &collaboration)
}
