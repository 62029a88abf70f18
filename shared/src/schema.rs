//! The shape of every collection of a workspace: which fields a record has,
//! how each is stored in the Automerge document, and its labels in Spanish
//! and English, and which capability editing it needs. The generic reading,
//! writing and validation in [`crate::records`] and [`crate::validation`],
//! the server's policy in [`crate::policy`] and the client's lists and
//! editor are all driven by these tables: a new collection is one more
//! [`Collection`] variant and its [`CollectionSpec`] here. `docs/schema.md`
//! documents the same thing for people.

use crate::language::{Bilingual, Language};
use crate::roles::Capability;

/// A collection at the root of the workspace document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum Collection {
    Organisations,
    Contacts,
    PresidencyTerms,
    WorkplanLines,
    Alliances,
    Collaborations,
    Activities,
    WorkingGroups,
    Meetings,
    ActionItems,
    Reports,
    MapViews,
}

/// A choice of an enumerated field: its stored slug and its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    pub slug: &'static str,
    pub label: Bilingual,
}

impl Choice {
    pub fn label(&self, language: Language) -> &'static str {
        self.label.get(language)
    }
}

const fn choice(slug: &'static str, es: &'static str, en: &'static str) -> Choice {
    Choice {
        slug,
        label: Bilingual::new(es, en),
    }
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
    /// A time of day `HH:MM`, 24-hour (scalar string; empty = none).
    Time,
    /// One of a fixed set of slugs.
    Choice(&'static [Choice]),
    /// The id of a record in another collection (scalar string; empty = none).
    Reference(Collection),
    /// A list of ids of records in another collection.
    References(Collection),
    /// A list of short strings (tags, languages, links).
    Strings,
    /// A list of links to records of any collection, each
    /// `<collection key>/<record id>`.
    Links,
    /// A yes/no flag.
    Flag,
    /// An ordered list of items, each a map with a stable random `id` and
    /// the sub-fields of its [`ItemSpec`] (an agenda, an attendance list,
    /// decisions). Sub-fields are never `Items` themselves.
    Items(&'static ItemSpec),
}

/// The shape of the items of an [`FieldKind::Items`] field.
#[derive(Debug, PartialEq, Eq)]
pub struct ItemSpec {
    /// The singular noun of change messages (`edit meeting X: agenda item title`).
    pub noun: &'static str,
    /// The sub-field that names an item (in history, CSV and messages).
    pub title_field: &'static str,
    pub fields: &'static [FieldSpec],
}

impl ItemSpec {
    pub fn field(&self, key: &str) -> Option<&'static FieldSpec> {
        self.fields.iter().find(|field| field.key == key)
    }
}

/// One field of a collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    pub key: &'static str,
    pub kind: FieldKind,
    pub required: bool,
    pub label: Bilingual,
}

impl FieldSpec {
    pub fn label(&self, language: Language) -> &'static str {
        self.label.get(language)
    }
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
        label: Bilingual::new(es, en),
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

pub const MEETING_KINDS: &[Choice] = &[
    choice("plenary", "Plenaria", "Plenary"),
    choice("working_group", "Grupo de trabajo", "Working group"),
    choice("bilateral", "Bilateral", "Bilateral"),
    choice("event", "Evento", "Event"),
];

pub const ATTENDANCE_STATUSES: &[Choice] = &[
    choice("invited", "Invitada", "Invited"),
    choice("confirmed", "Confirmada", "Confirmed"),
    choice("attended", "Asistió", "Attended"),
    choice("apologised", "Se excusó", "Apologised"),
];

/// An action item's life; `done` and `cancelled` close it.
pub const ACTION_STATUSES: &[Choice] = &[
    choice("open", "Abierta", "Open"),
    choice("in_progress", "En curso", "In progress"),
    choice("done", "Cumplida", "Done"),
    choice("cancelled", "Cancelada", "Cancelled"),
];

/// The action-item statuses that close an item.
pub const CLOSED_ACTION_STATUSES: &[&str] = &["done", "cancelled"];

use Collection::*;
use FieldKind::*;

/// The members of the roundtable taking part in an alliance, collaboration…
const MEMBERS_INVOLVED: FieldSpec = field(
    "members",
    References(Organisations),
    false,
    "Miembros participantes",
    "Members involved",
);

/// The work-plan lines a record contributes to.
const ON_WORKPLAN_LINES: FieldSpec = field(
    "workplan_lines",
    References(WorkplanLines),
    false,
    "Líneas del plan de trabajo",
    "Work-plan lines",
);

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
    MEMBERS_INVOLVED,
    ON_WORKPLAN_LINES,
    field("status", Choice(ALLIANCE_STATUSES), true, "Estado", "Status"),
    field(
        "commitments",
        Items(&COMMITMENT_ITEM),
        false,
        "Compromisos",
        "Commitments",
    ),
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
    MEMBERS_INVOLVED,
    ON_WORKPLAN_LINES,
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
    ON_WORKPLAN_LINES,
    field("outcome", LongText, false, "Resultado", "Outcome"),
    field("links", Strings, false, "Enlaces", "Links"),
];

/// An alliance's commitments (stored since schema 1 as `{id, text, due, done}`).
pub const COMMITMENT_ITEM: ItemSpec = ItemSpec {
    noun: "commitment",
    title_field: "text",
    fields: &[
        field("text", LongText, true, "Compromiso", "Commitment"),
        field("due", Date, false, "Fecha límite", "Due"),
        field("done", Flag, false, "Cumplido", "Done"),
    ],
};

/// One point of a meeting's agenda, in order.
pub const AGENDA_ITEM: ItemSpec = ItemSpec {
    noun: "agenda item",
    title_field: "title",
    fields: &[
        field("title", Line, true, "Punto", "Item"),
        field(
            "presenter",
            Reference(Organisations),
            false,
            "Presenta",
            "Presenter",
        ),
        field(
            "presenter_contact",
            Reference(Contacts),
            false,
            "Persona que presenta",
            "Presenting person",
        ),
        field("records", Links, false, "Registros vinculados", "Linked records"),
    ],
};

/// Who was asked to a meeting and whether they came.
pub const ATTENDANCE_ITEM: ItemSpec = ItemSpec {
    noun: "attendee",
    title_field: "organisation",
    fields: &[
        field(
            "organisation",
            Reference(Organisations),
            true,
            "Organización",
            "Organisation",
        ),
        field("contact", Reference(Contacts), false, "Persona", "Person"),
        field(
            "status",
            Choice(ATTENDANCE_STATUSES),
            true,
            "Asistencia",
            "Attendance",
        ),
    ],
};

/// What a meeting agreed.
pub const DECISION_ITEM: ItemSpec = ItemSpec {
    noun: "decision",
    title_field: "text",
    fields: &[
        field("text", LongText, true, "Acuerdo", "Decision"),
        ON_WORKPLAN_LINES,
    ],
};

const WORKING_GROUP_FIELDS: &[FieldSpec] = &[
    field("name", Line, true, "Nombre", "Name"),
    ON_WORKPLAN_LINES,
    field(
        "leads",
        References(Organisations),
        false,
        "Organizaciones líderes",
        "Lead organisations",
    ),
    field(
        "members",
        References(Organisations),
        false,
        "Organizaciones miembro",
        "Member organisations",
    ),
    field(
        "contacts",
        References(Contacts),
        false,
        "Personas integrantes",
        "Member contacts",
    ),
    field("start", Date, false, "Inicio", "Start"),
    field("end", Date, false, "Fin", "End"),
    field("description", LongText, false, "Mandato", "Mandate"),
];

const MEETING_FIELDS: &[FieldSpec] = &[
    field("title", Line, true, "Título", "Title"),
    field("kind", Choice(MEETING_KINDS), true, "Tipo", "Kind"),
    field("date", Date, true, "Fecha", "Date"),
    field("time", Time, false, "Hora", "Time"),
    field("place", Line, false, "Lugar", "Place"),
    field("online_link", Line, false, "Enlace en línea", "Online link"),
    field(
        "convened_by",
        References(Organisations),
        false,
        "Convoca",
        "Convened by",
    ),
    field(
        "working_group",
        Reference(WorkingGroups),
        false,
        "Grupo de trabajo",
        "Working group",
    ),
    ON_WORKPLAN_LINES,
    field("agenda", Items(&AGENDA_ITEM), false, "Orden del día", "Agenda"),
    field(
        "attendance",
        Items(&ATTENDANCE_ITEM),
        false,
        "Asistencia",
        "Attendance",
    ),
    field("minutes", LongText, false, "Minuta", "Minutes"),
    field("decisions", Items(&DECISION_ITEM), false, "Acuerdos", "Decisions"),
];

const ACTION_ITEM_FIELDS: &[FieldSpec] = &[
    field("title", Line, true, "Acción", "Action"),
    field("meeting", Reference(Meetings), false, "Reunión", "Meeting"),
    field("owner", Reference(Organisations), true, "Responsable", "Owner"),
    field(
        "owner_contact",
        Reference(Contacts),
        false,
        "Persona responsable",
        "Responsible person",
    ),
    field("due", Date, false, "Fecha límite", "Due"),
    field("status", Choice(ACTION_STATUSES), true, "Estado", "Status"),
    field(
        "workplan_line",
        Reference(WorkplanLines),
        false,
        "Línea del plan de trabajo",
        "Work-plan line",
    ),
    field("completed_on", Date, false, "Cumplida el", "Completed on"),
    field("notes", LongText, false, "Notas", "Notes"),
];

/// A node pinned in a saved map view: its key (`<collection>/<id>`) and place.
pub const PINNED_NODE_ITEM: ItemSpec = ItemSpec {
    noun: "pinned node",
    title_field: "node",
    fields: &[
        field("node", Line, true, "Nodo", "Node"),
        field("x", Line, true, "x", "x"),
        field("y", Line, true, "y", "y"),
    ],
};

const MAP_VIEW_FIELDS: &[FieldSpec] = &[
    field("name", Line, true, "Nombre", "Name"),
    field(
        "line",
        Reference(WorkplanLines),
        false,
        "Línea del plan de trabajo",
        "Work-plan line",
    ),
    field("status", Line, false, "Estado", "Status"),
    field(
        "kind",
        Choice(ORGANISATION_KINDS),
        false,
        "Tipo de organización",
        "Organisation kind",
    ),
    field(
        "membership",
        Choice(MEMBERSHIP),
        false,
        "Participación",
        "Membership",
    ),
    field("from", Date, false, "Desde", "From"),
    field("to", Date, false, "Hasta", "To"),
    field("focus", Line, false, "Enfoque", "Focus"),
    field(
        "pinned",
        Items(&PINNED_NODE_ITEM),
        false,
        "Nodos fijados",
        "Pinned nodes",
    ),
];

const REPORT_FIELDS: &[FieldSpec] = &[
    field("title", Line, true, "Título", "Title"),
    field("period_start", Date, true, "Desde", "From"),
    field("period_end", Date, true, "Hasta", "To"),
    field(
        "presidency_term",
        Reference(PresidencyTerms),
        false,
        "Periodo de presidencia",
        "Presidency term",
    ),
    field("introduction", LongText, false, "Introducción", "Introduction"),
    field("closing", LongText, false, "Cierre", "Closing"),
    field(
        "issued_heads",
        Strings,
        false,
        "Versión emitida (heads)",
        "Issued version (heads)",
    ),
    field("issued_on", Date, false, "Emitido el", "Issued on"),
];

/// Everything the code knows about one collection.
#[derive(Debug)]
pub struct CollectionSpec {
    /// The key of the collection's map at the document root.
    pub key: &'static str,
    /// The singular noun of change messages (`edit alliance …`).
    pub noun: &'static str,
    /// The field that names a record in lists and pickers.
    pub title_field: &'static str,
    pub fields: &'static [FieldSpec],
    /// What a role needs to create and edit these records.
    pub edit: Capability,
    pub label: Bilingual,
    /// Pairs of (earlier, later) date fields that must be in order.
    pub date_order: &'static [(&'static str, &'static str)],
    /// Reference fields that must point at organisations of given kinds.
    pub reference_kinds: &'static [(&'static str, &'static [&'static str])],
    /// The fields the collection's list can be filtered by.
    pub list_filters: &'static [&'static str],
    /// The date field the collection's list can be sorted by.
    pub sort_date: Option<&'static str>,
}

const ORGANISATIONS: CollectionSpec = CollectionSpec {
    key: "organisations",
    noun: "organisation",
    title_field: "name",
    fields: ORGANISATION_FIELDS,
    edit: Capability::EditRecords,
    label: Bilingual::new("Organizaciones", "Organisations"),
    date_order: &[("member_since", "member_until")],
    reference_kinds: &[],
    list_filters: &["kind", "country", "membership"],
    sort_date: Some("member_since"),
};

const CONTACTS: CollectionSpec = CollectionSpec {
    key: "contacts",
    noun: "contact",
    title_field: "name",
    fields: CONTACT_FIELDS,
    edit: Capability::EditRecords,
    label: Bilingual::new("Contactos", "Contacts"),
    date_order: &[],
    reference_kinds: &[],
    list_filters: &["organisation", "focal_point_for"],
    sort_date: None,
};

const PRESIDENCY_TERMS: CollectionSpec = CollectionSpec {
    key: "presidency_terms",
    noun: "presidency term",
    title_field: "organisation",
    fields: PRESIDENCY_FIELDS,
    edit: Capability::EditPresidencyAndWorkplan,
    label: Bilingual::new("Presidencias", "Presidency terms"),
    date_order: &[("start", "end")],
    reference_kinds: &[],
    list_filters: &[],
    sort_date: Some("start"),
};

const WORKPLAN_LINES: CollectionSpec = CollectionSpec {
    key: "workplan_lines",
    noun: "work-plan line",
    title_field: "title",
    fields: WORKPLAN_FIELDS,
    edit: Capability::EditPresidencyAndWorkplan,
    label: Bilingual::new("Plan de trabajo", "Work plan"),
    date_order: &[],
    reference_kinds: &[],
    list_filters: &[],
    sort_date: None,
};

const ALLIANCES: CollectionSpec = CollectionSpec {
    key: "alliances",
    noun: "alliance",
    title_field: "title",
    fields: ALLIANCE_FIELDS,
    edit: Capability::EditRecords,
    label: Bilingual::new("Alianzas con el sector privado", "Private-sector alliances"),
    date_order: &[],
    reference_kinds: &[("partner", &["private_sector_chamber", "company"])],
    list_filters: &["status", "workplan_lines"],
    sort_date: Some("start"),
};

const COLLABORATIONS: CollectionSpec = CollectionSpec {
    key: "collaborations",
    noun: "collaboration",
    title_field: "programme",
    fields: COLLABORATION_FIELDS,
    edit: Capability::EditRecords,
    label: Bilingual::new("Colaboraciones con gobierno", "Government collaborations"),
    date_order: &[("start", "end")],
    reference_kinds: &[("institution", &["government_institution"])],
    list_filters: &["status", "workplan_lines"],
    sort_date: Some("start"),
};

const ACTIVITIES: CollectionSpec = CollectionSpec {
    key: "activities",
    noun: "activity",
    title_field: "title",
    fields: ACTIVITY_FIELDS,
    edit: Capability::EditRecords,
    label: Bilingual::new("Actividades", "Activities"),
    date_order: &[],
    reference_kinds: &[],
    list_filters: &["kind", "workplan_lines"],
    sort_date: Some("date"),
};

const WORKING_GROUPS: CollectionSpec = CollectionSpec {
    key: "working_groups",
    noun: "working group",
    title_field: "name",
    fields: WORKING_GROUP_FIELDS,
    edit: Capability::EditRecords,
    label: Bilingual::new("Grupos de trabajo", "Working groups"),
    date_order: &[("start", "end")],
    reference_kinds: &[],
    list_filters: &["workplan_lines"],
    sort_date: Some("start"),
};

const MEETINGS: CollectionSpec = CollectionSpec {
    key: "meetings",
    noun: "meeting",
    title_field: "title",
    fields: MEETING_FIELDS,
    edit: Capability::EditRecords,
    label: Bilingual::new("Reuniones", "Meetings"),
    date_order: &[],
    reference_kinds: &[],
    list_filters: &["kind", "working_group", "workplan_lines"],
    sort_date: Some("date"),
};

const ACTION_ITEMS: CollectionSpec = CollectionSpec {
    key: "action_items",
    noun: "action item",
    title_field: "title",
    fields: ACTION_ITEM_FIELDS,
    edit: Capability::EditRecords,
    label: Bilingual::new("Acciones de seguimiento", "Action items"),
    date_order: &[],
    reference_kinds: &[],
    list_filters: &["status", "owner", "workplan_line"],
    sort_date: Some("due"),
};

const REPORTS: CollectionSpec = CollectionSpec {
    key: "reports",
    noun: "report",
    title_field: "title",
    fields: REPORT_FIELDS,
    edit: Capability::WriteReports,
    label: Bilingual::new("Informes anuales", "Annual reports"),
    date_order: &[("period_start", "period_end")],
    reference_kinds: &[],
    list_filters: &[],
    sort_date: Some("period_start"),
};

const MAP_VIEWS: CollectionSpec = CollectionSpec {
    key: "map_views",
    noun: "map view",
    title_field: "name",
    fields: MAP_VIEW_FIELDS,
    edit: Capability::EditPresidencyAndWorkplan,
    label: Bilingual::new("Vistas del mapa", "Map views"),
    date_order: &[("from", "to")],
    reference_kinds: &[],
    list_filters: &[],
    sort_date: None,
};

impl Collection {
    /// Every collection, in display order.
    pub const ALL: [Collection; 12] = [
        Organisations,
        Contacts,
        PresidencyTerms,
        WorkplanLines,
        Alliances,
        Collaborations,
        Activities,
        WorkingGroups,
        Meetings,
        ActionItems,
        Reports,
        MapViews,
    ];

    pub fn spec(self) -> &'static CollectionSpec {
        match self {
            Organisations => &ORGANISATIONS,
            Contacts => &CONTACTS,
            PresidencyTerms => &PRESIDENCY_TERMS,
            WorkplanLines => &WORKPLAN_LINES,
            Alliances => &ALLIANCES,
            Collaborations => &COLLABORATIONS,
            Activities => &ACTIVITIES,
            WorkingGroups => &WORKING_GROUPS,
            Meetings => &MEETINGS,
            ActionItems => &ACTION_ITEMS,
            Reports => &REPORTS,
            MapViews => &MAP_VIEWS,
        }
    }

    /// The key of the collection's map at the document root.
    pub fn key(self) -> &'static str {
        self.spec().key
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|collection| collection.key() == key)
    }

    pub fn fields(self) -> &'static [FieldSpec] {
        self.spec().fields
    }

    pub fn field(self, key: &str) -> Option<&'static FieldSpec> {
        self.fields().iter().find(|field| field.key == key)
    }

    /// The field that names a record in lists and pickers.
    pub fn title_field(self) -> &'static str {
        self.spec().title_field
    }

    /// The singular noun used in change messages.
    pub fn noun(self) -> &'static str {
        self.spec().noun
    }

    /// What a role needs to create and edit this collection's records.
    pub fn edit_capability(self) -> Capability {
        self.spec().edit
    }

    pub fn label(self, language: Language) -> &'static str {
        self.spec().label.get(language)
    }
}

/// The label of a choice slug in a list of choices (the slug itself if unknown,
/// as written by a newer client).
pub fn choice_label(choices: &[Choice], slug: &str, language: Language) -> String {
    choices
        .iter()
        .find(|choice| choice.slug == slug)
        .map_or_else(|| slug.to_owned(), |choice| choice.label(language).to_owned())
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
        let mut keys = Collection::ALL.map(Collection::key).to_vec();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), Collection::ALL.len());
    }

    #[test]
    fn every_field_a_spec_names_exists_with_the_right_kind() {
        for collection in Collection::ALL {
            let spec = collection.spec();
            for (earlier, later) in spec.date_order {
                for key in [earlier, later] {
                    assert_eq!(
                        collection.field(key).map(|field| field.kind),
                        Some(FieldKind::Date),
                        "{collection:?}.{key}"
                    );
                }
            }
            for (key, kinds) in spec.reference_kinds {
                assert_eq!(
                    collection.field(key).map(|field| field.kind),
                    Some(FieldKind::Reference(Organisations)),
                    "{collection:?}.{key}"
                );
                for kind in *kinds {
                    assert!(
                        ORGANISATION_KINDS.iter().any(|choice| choice.slug == *kind),
                        "{kind}"
                    );
                }
            }
            for key in spec.list_filters {
                assert!(collection.field(key).is_some(), "{collection:?}.{key}");
            }
            if let Some(key) = spec.sort_date {
                assert_eq!(
                    collection.field(key).map(|field| field.kind),
                    Some(FieldKind::Date),
                    "{collection:?}.{key}"
                );
            }
        }
    }

    #[test]
    fn presidency_terms_the_work_plan_and_reports_need_their_own_capability() {
        for collection in Collection::ALL {
            let expected = match collection {
                PresidencyTerms | WorkplanLines | MapViews => Capability::EditPresidencyAndWorkplan,
                Reports => Capability::WriteReports,
                _ => Capability::EditRecords,
            };
            assert_eq!(collection.edit_capability(), expected, "{collection:?}");
        }
    }

    #[test]
    fn choice_labels_are_bilingual() {
        assert_eq!(
            choice_label(ALLIANCE_STATUSES, "signed", Language::Spanish),
            "Firmada"
        );
        assert_eq!(
            choice_label(ALLIANCE_STATUSES, "signed", Language::English),
            "Signed"
        );
        assert_eq!(
            choice_label(ALLIANCE_STATUSES, "unknown", Language::English),
            "unknown"
        );
    }
}

/// A field key of the schema, as types that cross a message boundary hold
/// it (the alias keeps serde from taking the field for a borrowed string).
pub type StaticKey = &'static str;

/// Every items field's spec.
fn item_specs() -> impl Iterator<Item = &'static ItemSpec> {
    Collection::ALL.into_iter().flat_map(|collection| {
        collection.fields().iter().filter_map(|field| match field.kind {
            FieldKind::Items(spec) => Some(spec),
            _ => None,
        })
    })
}

/// The schema's own `&'static str` for a field or sub-field key (`None`
/// for a key no collection has): how keys read back from bytes become the
/// static keys records are indexed by.
pub fn static_key(key: &str) -> Option<&'static str> {
    Collection::ALL
        .into_iter()
        .flat_map(|collection| collection.fields().iter())
        .chain(item_specs().flat_map(|spec| spec.fields.iter()))
        .map(|field| field.key)
        .find(|known| *known == key)
}

/// The sub-field `key` of the items whose noun is `noun`.
pub fn item_sub_field(noun: &str, key: &str) -> Option<&'static FieldSpec> {
    item_specs()
        .find(|spec| spec.noun == noun)
        .and_then(|spec| spec.fields.iter().find(|field| field.key == key))
}

/// The noun of the items `sub_field` belongs to (found by address).
pub fn item_noun(sub_field: &FieldSpec) -> Option<&'static str> {
    item_specs()
        .find(|spec| spec.fields.iter().any(|field| std::ptr::eq(field, sub_field)))
        .map(|spec| spec.noun)
}

/// The schema's own list of kinds equal to `kinds`, among the collections'
/// reference rules.
pub fn static_kinds(kinds: &[String]) -> Option<&'static [&'static str]> {
    Collection::ALL
        .into_iter()
        .flat_map(|collection| collection.spec().reference_kinds.iter())
        .map(|(_, expected)| *expected)
        .find(|expected| expected.iter().copied().eq(kinds.iter().map(String::as_str)))
}

/// Serde for the schema's `&'static str` keys: written as strings, read
/// back through [`static_key`] (an unknown key is an error), so types that
/// hold keys cross a message boundary without leaking strings.
pub mod serde_keys {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    fn known<E: serde::de::Error>(key: &str) -> Result<&'static str, E> {
        super::static_key(key).ok_or_else(|| E::custom(format!("no field `{key}` in the schema")))
    }

    /// Pairs written as (string, value), their keys read back through the schema.
    fn known_pairs<'de, D: Deserializer<'de>, V: Deserialize<'de>, C: FromIterator<(&'static str, V)>>(
        deserializer: D,
    ) -> Result<C, D::Error> {
        Vec::<(String, V)>::deserialize(deserializer)?
            .into_iter()
            .map(|(key, value)| Ok((known(&key)?, value)))
            .collect()
    }

    /// One key.
    pub mod key {
        use super::*;

        pub fn serialize<S: Serializer>(key: &&'static str, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.serialize_str(key)
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<&'static str, D::Error> {
            known(&String::deserialize(deserializer)?)
        }
    }

    /// A map keyed by keys (a record's or an item's fields).
    pub mod map {
        use super::*;

        pub fn serialize<S: Serializer, V: Serialize>(
            map: &BTreeMap<&'static str, V>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            serializer.collect_seq(map.iter())
        }

        pub fn deserialize<'de, D: Deserializer<'de>, V: Deserialize<'de>>(
            deserializer: D,
        ) -> Result<BTreeMap<&'static str, V>, D::Error> {
            known_pairs(deserializer)
        }
    }

    /// Pairs of a key and a value, in order.
    pub mod pairs {
        use super::*;

        pub fn serialize<S: Serializer, V: Serialize>(
            pairs: &[(&'static str, V)],
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            serializer.collect_seq(pairs.iter())
        }

        pub fn deserialize<'de, D: Deserializer<'de>, V: Deserialize<'de>>(
            deserializer: D,
        ) -> Result<Vec<(&'static str, V)>, D::Error> {
            known_pairs(deserializer)
        }
    }
}
