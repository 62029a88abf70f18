//! Roles and what each may do. The server decides with these; the client
//! disables what a person may not do, with the same [`Refusal`] as tooltip.

use std::fmt;
use std::str::FromStr;

use crate::language::{Bilingual, Language};
use crate::refusal::Refusal;

/// A person's role in one workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads everything, writes nothing.
    Observer,
    /// Creates and edits records; deletes only what they created.
    Member,
    /// A member who also edits presidency terms and the work plan.
    Presidency,
    /// Everything, including workspace settings and other people's records.
    Secretariat,
}

impl Role {
    pub const ALL: [Role; 4] = [Self::Secretariat, Self::Presidency, Self::Member, Self::Observer];

    pub fn slug(self) -> &'static str {
        match self {
            Self::Observer => "observer",
            Self::Member => "member",
            Self::Presidency => "presidency",
            Self::Secretariat => "secretariat",
        }
    }

    /// The role's name as shown to people.
    pub fn label(self, language: Language) -> &'static str {
        match self {
            Self::Secretariat => Bilingual::new("Secretaría", "Secretariat"),
            Self::Presidency => Bilingual::new("Presidencia", "Presidency"),
            Self::Member => Bilingual::new("Miembro", "Member"),
            Self::Observer => Bilingual::new("Observador/a", "Observer"),
        }
        .get(language)
    }

    /// Whether this role may write anything at all.
    pub fn may_write(self) -> bool {
        self != Self::Observer
    }

    /// Whether this role may read the audit trail of changes.
    pub fn may_audit(self) -> bool {
        allows(self, Capability::ReadAudit)
    }

    /// Whether this role may download the signed audit export (the whole
    /// history at once, which costs the server seconds of work).
    pub fn may_export_audit(self) -> bool {
        allows(self, Capability::ExportAudit)
    }

    /// Whether this role manages people and roles.
    pub fn may_manage_people(self) -> bool {
        allows(self, Capability::ManagePeople)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.slug())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|role| role.slug() == text)
            .ok_or_else(|| format!("unknown role `{text}`; use secretariat, presidency, member or observer"))
    }
}

/// Things a role may or may not do; each collection of the schema names the
/// capability its records need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    EditRecords,
    DeleteOwnRecords,
    DeleteOthersRecords,
    EditPresidencyAndWorkplan,
    EditSettings,
    ManagePeople,
    ReadAudit,
    ExportAudit,
    /// Writing and issuing annual reports (the secretariat's).
    WriteReports,
}

impl Capability {
    pub const ALL: [Capability; 9] = [
        Self::EditRecords,
        Self::DeleteOwnRecords,
        Self::DeleteOthersRecords,
        Self::EditPresidencyAndWorkplan,
        Self::EditSettings,
        Self::ManagePeople,
        Self::ReadAudit,
        Self::ExportAudit,
        Self::WriteReports,
    ];
}

/// Whether `role` has `capability`.
pub fn allows(role: Role, capability: Capability) -> bool {
    use Capability::*;
    match role {
        Role::Observer => false,
        Role::Member => matches!(capability, EditRecords | DeleteOwnRecords),
        Role::Presidency => matches!(
            capability,
            EditRecords | DeleteOwnRecords | EditPresidencyAndWorkplan | ReadAudit
        ),
        Role::Secretariat => true,
    }
}

/// Why `role` lacks `capability` (for a refusal, or the tooltip of a
/// disabled control); `None` when the role has it.
pub fn reason(role: Role, capability: Capability) -> Option<Refusal> {
    if allows(role, capability) {
        return None;
    }
    Some(match (role, capability) {
        // Exporting is not editing: an observer hears the same reason as a member.
        (_, Capability::ExportAudit) => Refusal::ExportAudit,
        (Role::Observer, _) => Refusal::ReadOnlyRole,
        (_, Capability::WriteReports) => Refusal::Reports,
        (_, Capability::DeleteOthersRecords) => Refusal::DeleteOthersRecords,
        (_, Capability::EditPresidencyAndWorkplan) => Refusal::PresidencyAndWorkplan,
        (_, Capability::EditSettings) => Refusal::Settings,
        (_, Capability::ManagePeople) => Refusal::ManagePeople,
        (_, Capability::ReadAudit) => Refusal::ReadAudit,
        _ => Refusal::NotPermitted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_from_their_slugs_and_have_labels() {
        for role in Role::ALL {
            assert_eq!(role.slug().parse::<Role>(), Ok(role));
            assert!(!role.label(Language::Spanish).is_empty());
            assert!(!role.label(Language::English).is_empty());
        }
        assert!("admin".parse::<Role>().is_err());
        assert_eq!(Role::Secretariat.label(Language::Spanish), "Secretaría");
    }

    #[test]
    fn a_reason_exactly_when_not_allowed() {
        use Capability::*;
        for role in Role::ALL {
            for capability in Capability::ALL {
                assert_eq!(reason(role, capability).is_none(), allows(role, capability));
            }
        }
        assert_eq!(reason(Role::Observer, EditRecords), Some(Refusal::ReadOnlyRole));
        assert_eq!(reason(Role::Member, ReadAudit), Some(Refusal::ReadAudit));
        assert!(Role::Presidency.may_audit() && !Role::Member.may_audit());
        assert!(Role::Secretariat.may_export_audit());
        for role in [Role::Presidency, Role::Member, Role::Observer] {
            assert_eq!(reason(role, ExportAudit), Some(Refusal::ExportAudit));
        }
        assert!(Role::Secretariat.may_manage_people() && !Role::Presidency.may_manage_people());
        assert!(!Role::Observer.may_write());
    }
}
