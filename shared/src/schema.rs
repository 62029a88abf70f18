//! The shape of every collection of a workspace: which fields a record has,
//! how each is stored in the Automerge document, and its labels in Spanish
//! and English. The generic reading, writing and validation in
//! [`crate::records`] and [`crate::validation`] are driven by these tables,
//! and so is the client's editor. `docs/schema.md` documents the same thing
//! for people.

/// A collection at the root of the workspace document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Collection {
    Organisations,
    Contacts,
    PresidencyTerms,
    WorkplanLines,
    Alliances,
    Collaborations,
    Activities,
}

/// A choice of an enumerated field: stored slug, Spanish and English labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    pub slug: &'static str,
    pub es: &'static str,
    pub en: &'static str,
}

const fn choice(slug: &'static str, es: &'static str, en: &'static str) -> Choice {
    Choice { slug, es, en }
}

/// How a field is stored and edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// A short string, stored as a scalar: concurrent edits pick one value.
    Line,
    /// Long free text, stored as Automerge text: concurrent typing merges.
    LongText,
    /// A calendar date `YYYY-MM-DD` (scalar string; empty = none).
    Date,
    /// One of a fixed set of slugs.
    Choice(&'static [Choice]),
    /// The id of a record in another collection (scalar string; empty = none).
    Reference(Collection),
    /// A list of ids of records in another collection.
    References(Collection),
    /// A list of short strings (tags, languages, links).
    Strings,
    /// A yes/no flag.
    Flag,
    /// A list of commitments: `{id, text, due, done}` maps.
    Commitments,
}

/// One field of a collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    pub key: &'static str,
    pub kind: FieldKind,
    pub required: bool,
    pub es: &'static str,
    pub en: &'static str,
}

const fn field(
    key: &'static str,
    kind: FieldKind,
    required: bool,
    es: &'static str,
    en: &'static str,
) -> FieldSpec {
    FieldSpec {
        key,
        kind,
        required,
        es,
        en,
    }
}

pub const ORGANISATION_KINDS: &[Choice] = &[
    choice("embassy", "Embajada o delegación", "Embassy or delegation"),
    choice(
        "cooperation_agency",
        "Agencia de cooperación",
        "Cooperation agency",
    ),
    choice(
        "international_organisation",
        "Organismo internacional",
        "International organisation",
    ),
    choice("un_entity", "Entidad de la ONU", "UN entity"),
    choice(
        "private_sector_chamber",
        "Cámara del sector privado",
        "Private-sector chamber",
    ),
    choice("company", "Empresa", "Company"),
    choice(
        "government_institution",
        "Institución de gobierno",
        "Government institution",
    ),
    choice(
        "civil_society",
        "Organización de la sociedad civil",
        "Civil-society organisation",
    ),
    choice("academia", "Academia", "Academia"),
];

pub const MEMBERSHIP: &[Choice] = &[
    choice("member", "Miembro", "Member"),
    choice("ally", "Aliada", "Ally"),
    choice("none", "Ninguna", "None"),
];

/// The alliance pipeline, in order; `paused` stands outside it.
pub const ALLIANCE_STATUSES: &[Choice] = &[
    choice("identified", "Identificada", "Identified"),
    choice("in_dialogue", "En diálogo", "In dialogue"),
    choice("agreement_drafted", "Acuerdo en redacción", "Agreement drafted"),
    choice("signed", "Firmada", "Signed"),
    choice("active", "Activa", "Active"),
    choice("concluded", "Concluida", "Concluded"),
    choice("paused", "En pausa", "Paused"),
];

pub const COLLABORATION_STATUSES: &[Choice] = &[
    choice("proposed", "Propuesta", "Proposed"),
    choice("in_progress", "En curso", "In progress"),
    choice("completed", "Concluida", "Completed"),
    choice("suspended", "Suspendida", "Suspended"),
];

pub const ACTIVITY_KINDS: &[Choice] = &[
    choice("technical_input", "Insumo técnico", "Technical input"),
    choice(
        "fact_sheet",
        "Ficha o análisis de contexto",
        "Fact sheet or context analysis",
    ),
    choice("dialogue_space", "Espacio de diálogo", "Dialogue space"),
    choice(
        "expert_event",
        "Evento con personas expertas",
        "Event with experts",
    ),
    choice("plenary", "Plenaria", "Plenary"),
    choice("communication", "Comunicación", "Communication"),
];

use Collection::*;
use FieldKind::*;

const ORGANISATION_FIELDS: &[FieldSpec] = &[
    field("name", Line, true, "Nombre", "Name"),
    field("acronym", Line, false, "Siglas", "Acronym"),
    field("kind", Choice(ORGANISATION_KINDS), true, "Tipo", "Kind"),
    field("country", Line, false, "País", "Country"),
    field("city", Line, false, "Ciudad", "City"),
    field("website", Line, false, "Sitio web", "Website"),
    field("description", LongText, false, "Descripción", "Description"),
    field(
        "membership",
        Choice(MEMBERSHIP),
        false,
        "Participación en la Mesa",
        "Roundtable membership",
    ),
    field("member_since", Date, false, "Desde", "Since"),
    field("member_until", Date, false, "Hasta", "Until"),
    field("tags", Strings, false, "Etiquetas", "Tags"),
];

const CONTACT_FIELDS: &[FieldSpec] = &[
    field("name", Line, true, "Nombre", "Name"),
    field("title", Line, false, "Cargo", "Title"),
    field(
        "organisation",
        Reference(Organisations),
        true,
        "Organización",
        "Organisation",
    ),
    field("email", Line, false, "Correo", "Email"),
    field("phone", Line, false, "Teléfono", "Phone"),
    field("languages", Strings, false, "Idiomas", "Languages"),
    field(
        "focal_point_for",
        References(WorkplanLines),
        false,
        "Punto focal de",
        "Focal point for",
    ),
    field("notes", LongText, false, "Notas", "Notes"),
];

const PRESIDENCY_FIELDS: &[FieldSpec] = &[
    field(
        "organisation",
        Reference(Organisations),
        true,
        "Organización",
        "Organisation",
    ),
    field("start", Date, true, "Inicio", "Start"),
    field("end", Date, true, "Fin", "End"),
    field(
        "extended",
        Flag,
        false,
        "Prorrogada un segundo año",
        "Extended for a second year",
    ),
];

const WORKPLAN_FIELDS: &[FieldSpec] = &[
    field("title", Line, true, "Título", "Title"),
    field("period", Line, true, "Periodo", "Period"),
    field("description", LongText, false, "Descripción", "Description"),
    field(
        "leads",
        References(Organisations),
        false,
        "Organizaciones líderes",
        "Lead organisations",
    ),
];

const ALLIANCE_FIELDS: &[FieldSpec] = &[
    field("title", Line, true, "Título", "Title"),
    field(
        "partner",
        Reference(Organisations),
        true,
        "Cámara o empresa",
        "Chamber or company",
    ),
    field(
        "members",
        References(Organisations),
        false,
        "Miembros participantes",
        "Members involved",
    ),
    field(
        "workplan_lines",
        References(WorkplanLines),
        false,
        "Líneas del plan de trabajo",
        "Work-plan lines",
    ),
    field("status", Choice(ALLIANCE_STATUSES), true, "Estado", "Status"),
    field("commitments", Commitments, false, "Compromisos", "Commitments"),
    field("start", Date, false, "Inicio", "Start"),
    field("next_step", Line, false, "Siguiente paso", "Next step"),
    field("notes", LongText, false, "Notas", "Notes"),
];

const COLLABORATION_FIELDS: &[FieldSpec] = &[
    field(
        "institution",
        Reference(Organisations),
        true,
        "Institución",
        "Institution",
    ),
    field(
        "programme",
        Line,
        true,
        "Programa o acción",
        "Programme or action",
    ),
    field(
        "members",
        References(Organisations),
        false,
        "Miembros participantes",
        "Members involved",
    ),
    field(
        "workplan_lines",
        References(WorkplanLines),
        false,
        "Líneas del plan de trabajo",
        "Work-plan lines",
    ),
    field("status", Choice(COLLABORATION_STATUSES), true, "Estado", "Status"),
    field("start", Date, false, "Inicio", "Start"),
    field("end", Date, false, "Fin", "End"),
    field("results", LongText, false, "Resultados", "Results"),
];

const ACTIVITY_FIELDS: &[FieldSpec] = &[
    field("kind", Choice(ACTIVITY_KINDS), true, "Tipo", "Kind"),
    field("title", Line, true, "Título", "Title"),
    field("date", Date, false, "Fecha", "Date"),
    field(
        "organisers",
        References(Organisations),
        false,
        "Organizan",
        "Organisers",
    ),
    field(
        "participants",
        References(Organisations),
        false,
        "Participan",
        "Participants",
    ),
    field(
        "workplan_lines",
        References(WorkplanLines),
        false,
        "Líneas del plan de trabajo",
        "Work-plan lines",
    ),
    field("outcome", LongText, false, "Resultado", "Outcome"),
    field("links", Strings, false, "Enlaces", "Links"),
];

impl Collection {
    pub const ALL: [Collection; 7] = [
        Organisations,
        Contacts,
        PresidencyTerms,
        WorkplanLines,
        Alliances,
        Collaborations,
        Activities,
    ];

    /// The key of the collection's map at the document root.
    pub fn key(self) -> &'static str {
        match self {
            Organisations => "organisations",
            Contacts => "contacts",
            PresidencyTerms => "presidency_terms",
            WorkplanLines => "workplan_lines",
            Alliances => "alliances",
            Collaborations => "collaborations",
            Activities => "activities",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|collection| collection.key() == key)
    }

    pub fn fields(self) -> &'static [FieldSpec] {
        match self {
            Organisations => ORGANISATION_FIELDS,
            Contacts => CONTACT_FIELDS,
            PresidencyTerms => PRESIDENCY_FIELDS,
            WorkplanLines => WORKPLAN_FIELDS,
            Alliances => ALLIANCE_FIELDS,
            Collaborations => COLLABORATION_FIELDS,
            Activities => ACTIVITY_FIELDS,
        }
    }

    pub fn field(self, key: &str) -> Option<&'static FieldSpec> {
        self.fields().iter().find(|field| field.key == key)
    }

    /// The field that names a record in lists and pickers.
    pub fn title_field(self) -> &'static str {
        match self {
            Organisations | Contacts => "name",
            PresidencyTerms => "organisation",
            WorkplanLines | Alliances | Activities => "title",
            Collaborations => "programme",
        }
    }

    pub fn label(self, spanish: bool) -> &'static str {
        let (es, en) = match self {
            Organisations => ("Organizaciones", "Organisations"),
            Contacts => ("Contactos", "Contacts"),
            PresidencyTerms => ("Presidencias", "Presidency terms"),
            WorkplanLines => ("Plan de trabajo", "Work plan"),
            Alliances => ("Alianzas con el sector privado", "Private-sector alliances"),
            Collaborations => ("Colaboraciones con gobierno", "Government collaborations"),
            Activities => ("Actividades", "Activities"),
        };
        if spanish { es } else { en }
    }
}

/// The label of a choice slug in a list of choices (the slug itself if unknown).
pub fn choice_label(choices: &[Choice], slug: &str, spanish: bool) -> String {
    choices.iter().find(|choice| choice.slug == slug).map_or_else(
        || slug.to_owned(),
        |choice| (if spanish { choice.es } else { choice.en }).to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_collection_round_trips_its_key_and_has_its_title_field() {
        for collection in Collection::ALL {
            assert_eq!(Collection::from_key(collection.key()), Some(collection));
            assert!(
                collection.field(collection.title_field()).is_some(),
                "{collection:?}"
            );
            let mut keys: Vec<&str> = collection.fields().iter().map(|field| field.key).collect();
            keys.sort_unstable();
            keys.dedup();
            assert_eq!(
                keys.len(),
                collection.fields().len(),
                "duplicate field in {collection:?}"
            );
        }
        assert_eq!(Collection::ALL.map(Collection::key), crate::model::COLLECTIONS);
    }

    #[test]
    fn choice_labels_are_bilingual() {
        assert_eq!(choice_label(ALLIANCE_STATUSES, "signed", true), "Firmada");
        assert_eq!(choice_label(ALLIANCE_STATUSES, "signed", false), "Signed");
        assert_eq!(choice_label(ALLIANCE_STATUSES, "unknown", false), "unknown");
    }
}
