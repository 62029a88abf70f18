//! The workspace document and the mapping of records onto it.
//!
//! `docs/schema.md` is the written contract for this mapping; keep the two in
//! step. In short: the root holds `meta` (workspace name, schema version) and
//! one map per collection, created once by the server. Each collection maps
//! a stable random record id to a map of fields. Every record carries
//! `created_at` (ms since the epoch) and `created_by` (display only; the server
//! trusts the change graph, not these fields) and a `deleted` tombstone.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{Automerge, AutomergeError, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value};

use crate::records::{self, Initial};
use crate::schema::Collection;

/// The version of the mapping written into `meta.schema_version`.
pub const SCHEMA_VERSION: u64 = 1;

/// Every collection at the root of a workspace document, in display order.
pub const COLLECTIONS: [&str; 7] = [
    "organisations",
    "contacts",
    "presidency_terms",
    "workplan_lines",
    "alliances",
    "collaborations",
    "activities",
];

pub const ORGANISATIONS: &str = "organisations";

/// What kind of body an organisation is. Stored as its slug.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OrganisationKind {
    Embassy,
    CooperationAgency,
    InternationalOrganisation,
    UnEntity,
    PrivateSectorChamber,
    Company,
    GovernmentInstitution,
    CivilSociety,
    Academia,
    /// A slug this version does not know (written by a newer client): kept as is.
    Other(String),
}

impl OrganisationKind {
    pub const ALL: [OrganisationKind; 9] = [
        Self::Embassy,
        Self::CooperationAgency,
        Self::InternationalOrganisation,
        Self::UnEntity,
        Self::PrivateSectorChamber,
        Self::Company,
        Self::GovernmentInstitution,
        Self::CivilSociety,
        Self::Academia,
    ];

    pub fn slug(&self) -> &str {
        match self {
            Self::Embassy => "embassy",
            Self::CooperationAgency => "cooperation_agency",
            Self::InternationalOrganisation => "international_organisation",
            Self::UnEntity => "un_entity",
            Self::PrivateSectorChamber => "private_sector_chamber",
            Self::Company => "company",
            Self::GovernmentInstitution => "government_institution",
            Self::CivilSociety => "civil_society",
            Self::Academia => "academia",
            Self::Other(slug) => slug,
        }
    }

    pub fn from_slug(slug: &str) -> Self {
        Self::ALL
            .iter()
            .find(|kind| kind.slug() == slug)
            .cloned()
            .unwrap_or_else(|| Self::Other(slug.to_owned()))
    }

    /// Spanish and English labels, for the UI (from [`crate::schema::ORGANISATION_KINDS`]).
    pub fn label(&self, language: Language) -> &str {
        let slug = self.slug();
        crate::schema::ORGANISATION_KINDS
            .iter()
            .find(|choice| choice.slug == slug)
            .map_or(slug, |choice| match language {
                Language::Spanish => choice.es,
                Language::English => choice.en,
            })
    }
}

/// The two languages of the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    Spanish,
    English,
}

/// An organisation as read from the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    pub id: String,
    pub name: String,
    pub kind: OrganisationKind,
    pub country: String,
    pub created_at: i64,
    pub created_by: String,
    pub deleted: bool,
}

/// The fields a person sets when adding an organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrganisation {
    pub name: String,
    pub kind: OrganisationKind,
    pub country: String,
}

/// An editable scalar field of an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrganisationField {
    Name,
    Kind,
    Country,
}

impl OrganisationField {
    pub fn key(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Kind => "kind",
            Self::Country => "country",
        }
    }
}

/// Why the document could not be read or changed as a workspace.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("the document has no `{0}` collection; it was not created as a workspace")]
    MissingCollection(&'static str),
    #[error("no record `{id}` in `{collection}`")]
    MissingRecord { collection: &'static str, id: String },
    #[error("`{0}` must not be empty")]
    Required(&'static str),
    #[error("`{collection}` has no field `{field}`")]
    UnknownField { collection: &'static str, field: String },
    #[error("field `{0}` cannot be set that way")]
    WrongFieldKind(String),
    #[error(transparent)]
    Automerge(#[from] AutomergeError),
}

/// Who makes a change and when, for the commit metadata and display fields.
#[derive(Debug, Clone)]
pub struct Authorship<'a> {
    pub now_ms: i64,
    pub author: &'a str,
}

/// Creates the root of a new workspace document: `meta` and every collection.
/// Only the server calls this, once per workspace, so no two writers create
/// competing root maps.
pub fn create_workspace(document: &mut Automerge, name: &str, now_ms: i64) -> Result<(), ModelError> {
    document
        .transact_with(
            |_| {
                CommitOptions::default()
                    .with_message(format!("create workspace {name}"))
                    .with_time(now_ms)
            },
            |transaction| -> Result<(), AutomergeError> {
                let meta = transaction.put_object(ROOT, "meta", ObjType::Map)?;
                transaction.put(&meta, "name", name)?;
                transaction.put(&meta, "schema_version", SCHEMA_VERSION)?;
                transaction.put(&meta, "created_at", ScalarValue::Timestamp(now_ms))?;
                for collection in COLLECTIONS {
                    transaction.put_object(ROOT, collection, ObjType::Map)?;
                }
                Ok(())
            },
        )
        .map_err(|failure| ModelError::Automerge(failure.error))?;
    Ok(())
}

/// The workspace's name from `meta.name`, if present.
pub fn workspace_name(document: &Automerge) -> Option<String> {
    let meta = object(document, &ROOT, "meta")?;
    read_string(document, &meta, "name")
}

/// Every organisation, deleted ones included, sorted by name then id.
pub fn organisations(document: &Automerge) -> Result<Vec<Organisation>, ModelError> {
    Ok(records::read_all(document, Collection::Organisations)?
        .into_iter()
        .map(|record| Organisation {
            name: record.text("name").to_owned(),
            kind: OrganisationKind::from_slug(record.text("kind")),
            country: record.text("country").to_owned(),
            created_at: record.created_at,
            created_by: record.created_by.clone(),
            deleted: record.deleted,
            id: record.id,
        })
        .collect())
}

/// Adds an organisation under `id` (a fresh random id chosen by the caller).
pub fn create_organisation(
    document: &mut Automerge,
    id: &str,
    fields: &NewOrganisation,
    authorship: &Authorship<'_>,
) -> Result<(), ModelError> {
    if fields.name.trim().is_empty() {
        return Err(ModelError::Required("name"));
    }
    records::create_record(
        document,
        Collection::Organisations,
        id,
        &[
            ("name", Initial::Text(fields.name.trim().to_owned())),
            ("kind", Initial::Text(fields.kind.slug().to_owned())),
            ("country", Initial::Text(fields.country.trim().to_owned())),
        ],
        authorship,
    )
}

/// Sets one field of an existing organisation.
pub fn set_organisation_field(
    document: &mut Automerge,
    id: &str,
    field: OrganisationField,
    value: &str,
    authorship: &Authorship<'_>,
) -> Result<(), ModelError> {
    if field == OrganisationField::Name && value.trim().is_empty() {
        return Err(ModelError::Required("name"));
    }
    records::set_text(
        document,
        Collection::Organisations,
        id,
        field.key(),
        value,
        authorship,
    )
}

/// Marks an organisation deleted (or restores it). References keep resolving.
pub fn set_organisation_deleted(
    document: &mut Automerge,
    id: &str,
    deleted: bool,
    authorship: &Authorship<'_>,
) -> Result<(), ModelError> {
    records::set_deleted(document, Collection::Organisations, id, deleted, authorship)
}

/// Formats 16 random bytes as a record id (32 lowercase hex digits).
pub fn record_id(random: [u8; 16]) -> String {
    random.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The object under `key` of `parent`, if that value is an object.
pub(crate) fn object(document: &Automerge, parent: &ObjId, key: &str) -> Option<ObjId> {
    match document.get(parent, key) {
        Ok(Some((Value::Object(_), id))) => Some(id),
        _ => None,
    }
}

/// Reads a string field written either as a scalar string (Rust clients) or as
/// automerge text (JavaScript clients store strings as text by default).
pub fn read_string(document: &Automerge, parent: &ObjId, key: &str) -> Option<String> {
    match document.get(parent, key).ok()?? {
        (Value::Scalar(scalar), _) => match scalar.as_ref() {
            ScalarValue::Str(text) => Some(text.to_string()),
            _ => None,
        },
        (Value::Object(ObjType::Text), id) => document.text(&id).ok(),
        (Value::Object(_), _) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by(author: &str) -> Authorship<'_> {
        Authorship {
            now_ms: 1_700_000_000_000,
            author,
        }
    }

    fn workspace() -> Automerge {
        let mut document = Automerge::new();
        create_workspace(&mut document, "MCIG", 1).expect("create");
        document
    }

    #[test]
    fn workspace_has_every_collection_and_its_name() {
        let document = workspace();
        for collection in COLLECTIONS {
            assert!(object(&document, &ROOT, collection).is_some(), "{collection}");
        }
        assert_eq!(workspace_name(&document).as_deref(), Some("MCIG"));
        assert_eq!(organisations(&document).expect("read").len(), 0);
    }

    #[test]
    fn organisation_round_trips_through_the_document() {
        let mut document = workspace();
        let fields = NewOrganisation {
            name: " GIZ ".into(),
            kind: OrganisationKind::CooperationAgency,
            country: "Alemania".into(),
        };
        create_organisation(&mut document, "a1", &fields, &by("Ana")).expect("create");
        let reloaded = Automerge::load(&document.save()).expect("load");
        let records = organisations(&reloaded).expect("read");
        assert_eq!(
            records,
            vec![Organisation {
                id: "a1".into(),
                name: "GIZ".into(),
                kind: OrganisationKind::CooperationAgency,
                country: "Alemania".into(),
                created_at: 1_700_000_000_000,
                created_by: "Ana".into(),
                deleted: false,
            }]
        );
    }

    #[test]
    fn edits_carry_time_and_a_message() {
        let mut document = workspace();
        let fields = NewOrganisation {
            name: "GIZ".into(),
            kind: OrganisationKind::CooperationAgency,
            country: String::new(),
        };
        create_organisation(&mut document, "a1", &fields, &by("Ana")).expect("create");
        set_organisation_field(
            &mut document,
            "a1",
            OrganisationField::Country,
            "Alemania",
            &by("Ana"),
        )
        .expect("edit");
        let change = document.get_last_local_change().expect("a change");
        assert_eq!(change.message(), Some("edit organisation GIZ: country"));
        assert_eq!(change.timestamp(), 1_700_000_000_000);
        assert_eq!(organisations(&document).expect("read")[0].country, "Alemania");
    }

    #[test]
    fn empty_names_are_refused_and_missing_records_reported() {
        let mut document = workspace();
        let blank = NewOrganisation {
            name: "  ".into(),
            kind: OrganisationKind::Embassy,
            country: String::new(),
        };
        assert!(matches!(
            create_organisation(&mut document, "x", &blank, &by("Ana")),
            Err(ModelError::Required("name"))
        ));
        assert!(matches!(
            set_organisation_field(&mut document, "nope", OrganisationField::Name, "A", &by("Ana")),
            Err(ModelError::MissingRecord { .. })
        ));
    }

    #[test]
    fn deletion_is_a_tombstone_that_can_be_undone() {
        let mut document = workspace();
        let fields = NewOrganisation {
            name: "USAID".into(),
            kind: OrganisationKind::CooperationAgency,
            country: "Estados Unidos".into(),
        };
        create_organisation(&mut document, "u", &fields, &by("Ana")).expect("create");
        set_organisation_deleted(&mut document, "u", true, &by("Ana")).expect("delete");
        assert!(organisations(&document).expect("read")[0].deleted);
        set_organisation_deleted(&mut document, "u", false, &by("Ana")).expect("restore");
        assert!(!organisations(&document).expect("read")[0].deleted);
    }

    #[test]
    fn strings_written_as_text_are_read() {
        let mut document = workspace();
        let collection = object(&document, &ROOT, ORGANISATIONS).expect("collection");
        let mut transaction = document.transaction();
        let record = transaction
            .put_object(&collection, "js", ObjType::Map)
            .expect("record");
        let name = transaction
            .put_object(&record, "name", ObjType::Text)
            .expect("text");
        transaction
            .splice_text(&name, 0, 0, "ONU Mujeres")
            .expect("splice");
        transaction.put(&record, "kind", "un_entity").expect("kind");
        transaction.commit();
        let records = organisations(&document).expect("read");
        assert_eq!(records[0].name, "ONU Mujeres");
        assert_eq!(records[0].kind, OrganisationKind::UnEntity);
    }

    #[test]
    fn unknown_kinds_survive() {
        assert_eq!(OrganisationKind::from_slug("foundation").slug(), "foundation");
        for kind in OrganisationKind::ALL {
            assert_eq!(OrganisationKind::from_slug(kind.slug()), kind);
        }
    }

    #[test]
    fn record_ids_are_hex() {
        assert_eq!(record_id([0xab; 16]).len(), 32);
        assert!(record_id([0; 16]).chars().all(|c| c == '0'));
    }
}
