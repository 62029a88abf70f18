//! Why something a person tried was refused: one enum for the policy, the
//! hub and the HTTP API, with its text in both languages. The server sends
//! the [`Refusal::code`] beside an English sentence; the client shows
//! [`Refusal::text`] in the person's language.

use std::fmt;

use crate::language::{Bilingual, Language};

/// A reason for refusing an edit or a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Refusal {
    /// The role reads but never writes.
    ReadOnlyRole,
    /// Only the secretariat deletes records created by others.
    DeleteOthersRecords,
    /// Only the presidency and the secretariat edit presidency terms and the work plan.
    PresidencyAndWorkplan,
    /// Only the secretariat changes workspace settings.
    Settings,
    /// Only the secretariat manages people and roles.
    ManagePeople,
    /// Only the secretariat and the presidency read the change history.
    ReadAudit,
    /// Only the secretariat downloads the signed audit export.
    ExportAudit,
    /// Only the secretariat changes the workspace's structure (root keys).
    WorkspaceStructure,
    /// The edit touches an object that is no longer part of the workspace.
    DetachedObject,
    /// The edit lands in a map that is not a collection of the schema.
    UnknownCollection,
    /// Records are tombstoned with their `deleted` flag, never removed.
    RecordRemoved,
    /// A collection key only ever receives a new record; nothing is put over
    /// an existing one, and nothing but a record is put there.
    RecordReplaced,
    /// The change is signed by an actor bound to another person.
    ForeignActor,
    /// Anything else the role does not allow.
    NotPermitted,
    /// A change's message is longer than [`crate::model::MAX_CHANGE_MESSAGE_BYTES`].
    MessageTooLong,
    /// A collection's map holds every record of it: nobody removes it or
    /// puts anything over it.
    CollectionReplaced,
    /// The change was made on top of a change that was refused, so it can
    /// never apply.
    BuiltOnRefused,
    /// Only the secretariat writes and issues the annual report.
    Reports,
}

impl Refusal {
    pub const ALL: [Refusal; 18] = [
        Self::ReadOnlyRole,
        Self::DeleteOthersRecords,
        Self::PresidencyAndWorkplan,
        Self::Settings,
        Self::ManagePeople,
        Self::ReadAudit,
        Self::WorkspaceStructure,
        Self::DetachedObject,
        Self::UnknownCollection,
        Self::RecordRemoved,
        Self::RecordReplaced,
        Self::ForeignActor,
        Self::NotPermitted,
        Self::MessageTooLong,
        Self::CollectionReplaced,
        Self::BuiltOnRefused,
        // Last, so that the index of every earlier refusal (which saved fuzz
        // inputs use) stays as it was.
        Self::ExportAudit,
        Self::Reports,
    ];

    /// The stable code that crosses the wire.
    pub fn code(self) -> &'static str {
        match self {
            Self::ReadOnlyRole => "read_only_role",
            Self::DeleteOthersRecords => "delete_others_records",
            Self::PresidencyAndWorkplan => "presidency_and_workplan",
            Self::Settings => "settings",
            Self::ManagePeople => "manage_people",
            Self::ReadAudit => "read_audit",
            Self::ExportAudit => "export_audit",
            Self::WorkspaceStructure => "workspace_structure",
            Self::DetachedObject => "detached_object",
            Self::UnknownCollection => "unknown_collection",
            Self::RecordRemoved => "record_removed",
            Self::RecordReplaced => "record_replaced",
            Self::ForeignActor => "foreign_actor",
            Self::NotPermitted => "not_permitted",
            Self::MessageTooLong => "message_too_long",
            Self::CollectionReplaced => "collection_replaced",
            Self::BuiltOnRefused => "built_on_refused",
            Self::Reports => "reports",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|refusal| refusal.code() == code)
    }

    fn words(self) -> Bilingual {
        match self {
            Self::ReadOnlyRole => Bilingual::new(
                "Las personas observadoras pueden leer pero no editar.",
                "Observers can read but not edit.",
            ),
            Self::DeleteOthersRecords => Bilingual::new(
                "Solo la secretaría borra registros creados por otras personas.",
                "Only the secretariat deletes records created by others.",
            ),
            Self::PresidencyAndWorkplan => Bilingual::new(
                "Solo la presidencia y la secretaría editan los periodos de presidencia y el plan de trabajo.",
                "Only the presidency and the secretariat edit presidency terms and the work plan.",
            ),
            Self::Settings => Bilingual::new(
                "Solo la secretaría cambia la configuración del espacio.",
                "Only the secretariat changes workspace settings.",
            ),
            Self::ManagePeople => Bilingual::new(
                "Solo la secretaría gestiona personas y roles.",
                "Only the secretariat manages people and roles.",
            ),
            Self::ReadAudit => Bilingual::new(
                "Solo la secretaría y la presidencia consultan el historial de cambios.",
                "Only the secretariat and the presidency read the change history.",
            ),
            Self::ExportAudit => Bilingual::new(
                "Solo la secretaría descarga la exportación firmada del historial.",
                "Only the secretariat downloads the signed audit export.",
            ),
            Self::WorkspaceStructure => Bilingual::new(
                "Solo la secretaría cambia la estructura del espacio de trabajo.",
                "Only the secretariat changes the workspace's structure.",
            ),
            Self::DetachedObject => Bilingual::new(
                "El cambio toca un objeto que ya no forma parte del espacio de trabajo.",
                "The change edits an object that is no longer part of the workspace.",
            ),
            Self::UnknownCollection => Bilingual::new(
                "El cambio escribe fuera de las colecciones del espacio de trabajo.",
                "The change writes outside the workspace's collections.",
            ),
            Self::RecordRemoved => Bilingual::new(
                "Los registros se marcan como borrados; nunca se eliminan ni se reemplazan.",
                "Records are marked deleted; they are never removed or replaced.",
            ),
            Self::RecordReplaced => Bilingual::new(
                "Un registro existente no se puede reemplazar; solo se crean registros nuevos.",
                "An existing record cannot be replaced; only new records are created.",
            ),
            Self::ForeignActor => Bilingual::new(
                "El cambio está firmado con la identidad de otra persona.",
                "The change is signed with another person's identity.",
            ),
            Self::NotPermitted => Bilingual::new("Tu rol no lo permite.", "Your role does not allow this."),
            Self::MessageTooLong => Bilingual::new(
                "El mensaje del cambio es demasiado largo.",
                "The change's message is too long.",
            ),
            Self::CollectionReplaced => Bilingual::new(
                "Una colección entera no se puede borrar ni reemplazar.",
                "A whole collection cannot be removed or replaced.",
            ),
            Self::BuiltOnRefused => Bilingual::new(
                "Esta edición se hizo sobre otra que fue rechazada.",
                "This edit was made on top of an edit that was refused.",
            ),
            Self::Reports => Bilingual::new(
                "Solo la secretaría redacta y emite el informe anual.",
                "Only the secretariat writes and issues the annual report.",
            ),
        }
    }

    /// The sentence shown to the person.
    pub fn text(self, language: Language) -> &'static str {
        self.words().get(language)
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.text(Language::English))
    }
}

impl std::error::Error for Refusal {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_distinct() {
        for refusal in Refusal::ALL {
            assert_eq!(Refusal::from_code(refusal.code()), Some(refusal));
        }
        let mut codes: Vec<&str> = Refusal::ALL.iter().map(|refusal| refusal.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Refusal::ALL.len());
        assert_eq!(Refusal::from_code("nonsense"), None);
    }

    #[test]
    fn every_refusal_has_two_different_nonempty_texts() {
        for refusal in Refusal::ALL {
            let spanish = refusal.text(Language::Spanish);
            let english = refusal.text(Language::English);
            assert!(!spanish.is_empty() && !english.is_empty(), "{refusal:?}");
            assert_ne!(spanish, english, "{refusal:?}");
            assert_eq!(refusal.to_string(), english);
        }
    }
}
