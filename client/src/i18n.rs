//! The interface's words in Spanish and English.
//!
//! A plain lookup table: [`text`] maps a [`Text`] key and a [`Language`] to a
//! static string, so every label is testable without a browser. Organisation
//! kinds carry their own labels in `enlace_shared::model`.

pub use enlace_shared::model::Language;
use enlace_shared::policy::{self, Capability, Role};

/// The `localStorage` key that remembers the chosen language.
pub const LANGUAGE_STORAGE_KEY: &str = "enlace.language";

/// Every piece of interface text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    Tagline,
    WorkspaceLoading,
    LanguageSwitch,
    ConnectionConnecting,
    ConnectionLive,
    ConnectionOffline,
    DirectoryTitle,
    DirectoryIntro,
    AddOrganisationTitle,
    Name,
    Kind,
    Country,
    NamePlaceholder,
    CountryPlaceholder,
    Add,
    Organisations,
    NoOrganisations,
    AddedBy,
    ErrorNameRequired,
    ErrorNotLoaded,
    ErrorUnexpected,
    Rejected,
    Dismiss,
    ConnectionSignedOut,
    SignInTitle,
    SignInIntro,
    Email,
    Password,
    SignIn,
    SigningIn,
    SignOut,
    SignedInAs,
    RoleLabel,
    LoginWrong,
    LoginThrottled,
    LoginUnreachable,
    LoginFailed,
    CheckingSession,
    SetupPendingHint,
    SetupTitle,
    SetupIntro,
    DisplayName,
    PasswordConfirmation,
    PasswordHint,
    CreateAccount,
    SetupNoToken,
    SetupDone,
    SetupEmailInvalid,
    SetupNameRequired,
    SetupPasswordShort,
    SetupPasswordMismatch,
    SetupFailed,
    GoToSignIn,
    ErrorForbidden,
}

/// The text for `key` in `language`.
pub fn text(language: Language, key: Text) -> &'static str {
    let (spanish, english) = match key {
        Text::Tagline => (
            "Mesa de cooperación internacional",
            "International cooperation roundtable",
        ),
        Text::WorkspaceLoading => ("Cargando espacio de trabajo…", "Loading workspace…"),
        Text::LanguageSwitch => ("Idioma", "Language"),
        Text::ConnectionConnecting => ("Conectando…", "Connecting…"),
        Text::ConnectionLive => ("En vivo", "Live"),
        Text::ConnectionOffline => ("Sin conexión, reintentando…", "Offline, retrying…"),
        Text::DirectoryTitle => ("Directorio de organizaciones", "Organisation directory"),
        Text::DirectoryIntro => (
            "Los cambios se guardan y se comparten al instante con toda la mesa.",
            "Changes are saved and shared with the whole roundtable instantly.",
        ),
        Text::AddOrganisationTitle => ("Agregar organización", "Add organisation"),
        Text::Name => ("Nombre", "Name"),
        Text::Kind => ("Tipo", "Kind"),
        Text::Country => ("País", "Country"),
        Text::NamePlaceholder => ("p. ej. GIZ", "e.g. GIZ"),
        Text::CountryPlaceholder => ("p. ej. Alemania", "e.g. Germany"),
        Text::Add => ("Agregar", "Add"),
        Text::Organisations => ("Organizaciones", "Organisations"),
        Text::NoOrganisations => ("Todavía no hay organizaciones.", "No organisations yet."),
        Text::AddedBy => ("Agregada por", "Added by"),
        Text::ErrorNameRequired => ("El nombre es obligatorio.", "A name is required."),
        Text::ErrorNotLoaded => (
            "El espacio de trabajo aún no se ha cargado; inténtalo en un momento.",
            "The workspace has not loaded yet; try again in a moment.",
        ),
        Text::ErrorUnexpected => ("No se pudo guardar el cambio.", "The change could not be saved."),
        Text::Rejected => (
            "El servidor rechazó cambios y se descartaron:",
            "The server refused changes and they were discarded:",
        ),
        Text::Dismiss => ("Cerrar", "Dismiss"),
        Text::ConnectionSignedOut => ("Sesión cerrada", "Signed out"),
        Text::SignInTitle => ("Iniciar sesión", "Sign in"),
        Text::SignInIntro => (
            "Entra con la cuenta que te dio la secretaría de la mesa.",
            "Use the account the roundtable's secretariat gave you.",
        ),
        Text::Email => ("Correo electrónico", "Email"),
        Text::Password => ("Contraseña", "Password"),
        Text::SignIn => ("Entrar", "Sign in"),
        Text::SigningIn => ("Entrando…", "Signing in…"),
        Text::SignOut => ("Cerrar sesión", "Sign out"),
        Text::SignedInAs => ("Sesión de", "Signed in as"),
        Text::RoleLabel => ("Rol", "Role"),
        Text::LoginWrong => ("Correo o contraseña incorrectos.", "Wrong email or password."),
        Text::LoginThrottled => (
            "Demasiados intentos fallidos. Espera un momento antes de volver a intentarlo.",
            "Too many failed attempts. Wait a moment before trying again.",
        ),
        Text::LoginUnreachable => (
            "No se pudo contactar con el servidor. Revisa tu conexión.",
            "The server could not be reached. Check your connection.",
        ),
        Text::LoginFailed => (
            "No se pudo iniciar sesión. Inténtalo de nuevo.",
            "Signing in failed. Please try again.",
        ),
        Text::CheckingSession => ("Comprobando la sesión…", "Checking your session…"),
        Text::SetupPendingHint => (
            "Aún no hay cuentas: abre el enlace de configuración que el servidor mostró al arrancar.",
            "There are no accounts yet: open the setup link the server printed when it started.",
        ),
        Text::SetupTitle => ("Primera configuración", "First-time setup"),
        Text::SetupIntro => (
            "Crea la primera cuenta de la secretaría. Podrás invitar al resto de la mesa después.",
            "Create the first secretariat account. You can invite the rest of the roundtable afterwards.",
        ),
        Text::DisplayName => ("Nombre visible", "Display name"),
        Text::PasswordConfirmation => ("Repite la contraseña", "Repeat the password"),
        Text::PasswordHint => ("Al menos 10 caracteres.", "At least 10 characters."),
        Text::CreateAccount => ("Crear cuenta", "Create account"),
        Text::SetupNoToken => (
            "Este enlace no trae el código de configuración. Usa el enlace completo que mostró el servidor.",
            "This link has no setup code. Use the full link the server printed.",
        ),
        Text::SetupDone => (
            "La configuración ya está hecha. Inicia sesión con tu cuenta.",
            "Setup is already complete. Sign in with your account.",
        ),
        Text::SetupEmailInvalid => (
            "Escribe un correo electrónico válido.",
            "Enter a valid email address.",
        ),
        Text::SetupNameRequired => ("El nombre visible es obligatorio.", "A display name is required."),
        Text::SetupPasswordShort => (
            "La contraseña necesita al menos 10 caracteres.",
            "The password needs at least 10 characters.",
        ),
        Text::SetupPasswordMismatch => ("Las contraseñas no coinciden.", "The passwords do not match."),
        Text::SetupFailed => ("No se pudo crear la cuenta:", "The account could not be created:"),
        Text::GoToSignIn => ("Ir a iniciar sesión", "Go to sign in"),
        Text::ErrorForbidden => (
            "Tu rol no permite este cambio.",
            "Your role does not allow this change.",
        ),
    };
    match language {
        Language::Spanish => spanish,
        Language::English => english,
    }
}

/// A role's name as shown in the header.
pub fn role_label(language: Language, role: Role) -> &'static str {
    let (spanish, english) = match role {
        Role::Secretariat => ("Secretaría", "Secretariat"),
        Role::Presidency => ("Presidencia", "Presidency"),
        Role::Member => ("Miembro", "Member"),
        Role::Observer => ("Observador/a", "Observer"),
    };
    match language {
        Language::Spanish => spanish,
        Language::English => english,
    }
}

/// Why `role` may not use `capability`, for the tooltip of a disabled
/// control; `None` when the policy allows it. The same cases as
/// [`enlace_shared::policy::reason`], as sentences in both languages.
pub fn capability_reason(language: Language, role: Role, capability: Capability) -> Option<&'static str> {
    if policy::allows(role, capability) {
        return None;
    }
    let (spanish, english) = match (role, capability) {
        (Role::Observer, _) => (
            "Las personas observadoras pueden leer pero no editar.",
            "Observers can read but not edit.",
        ),
        (_, Capability::DeleteOthersRecords) => (
            "Solo la secretaría borra registros creados por otras personas.",
            "Only the secretariat deletes records created by others.",
        ),
        (_, Capability::EditPresidencyAndWorkplan) => (
            "Solo la presidencia y la secretaría editan los periodos de presidencia y el plan de trabajo.",
            "Only the presidency and the secretariat edit presidency terms and the work plan.",
        ),
        (_, Capability::EditSettings) => (
            "Solo la secretaría cambia la configuración del espacio.",
            "Only the secretariat changes workspace settings.",
        ),
        (_, Capability::ManagePeople) => (
            "Solo la secretaría gestiona personas y roles.",
            "Only the secretariat manages people and roles.",
        ),
        (_, Capability::ReadAudit) => (
            "Solo la secretaría y la presidencia consultan el historial de cambios.",
            "Only the secretariat and the presidency read the change history.",
        ),
        _ => ("Tu rol no lo permite.", "Your role does not allow this."),
    };
    Some(match language {
        Language::Spanish => spanish,
        Language::English => english,
    })
}

/// The BCP 47 code written to `<html lang>` and to `localStorage`.
pub fn language_code(language: Language) -> &'static str {
    match language {
        Language::Spanish => "es",
        Language::English => "en",
    }
}

/// Reads a stored language code; anything unknown falls back to Spanish.
pub fn language_from_code(code: Option<&str>) -> Language {
    match code.map(str::trim) {
        Some(code) if code.eq_ignore_ascii_case("en") => Language::English,
        _ => Language::Spanish,
    }
}

/// The short label on the language switch button.
pub fn language_button_label(language: Language) -> &'static str {
    match language {
        Language::Spanish => "ES",
        Language::English => "EN",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_default_to_spanish() {
        for language in [Language::Spanish, Language::English] {
            assert_eq!(language_from_code(Some(language_code(language))), language);
        }
        assert_eq!(language_from_code(None), Language::Spanish);
        assert_eq!(language_from_code(Some("fr")), Language::Spanish);
        assert_eq!(language_from_code(Some("EN")), Language::English);
    }

    #[test]
    fn spanish_is_the_default_and_both_languages_differ() {
        assert_eq!(Language::default(), Language::Spanish);
        assert_eq!(text(Language::Spanish, Text::Name), "Nombre");
        assert_eq!(text(Language::English, Text::Name), "Name");
        assert_ne!(
            text(Language::Spanish, Text::ConnectionOffline),
            text(Language::English, Text::ConnectionOffline)
        );
    }

    #[test]
    fn roles_have_labels_in_both_languages() {
        assert_eq!(role_label(Language::Spanish, Role::Secretariat), "Secretaría");
        assert_eq!(role_label(Language::English, Role::Observer), "Observer");
        for role in Role::ALL {
            assert_ne!(role_label(Language::Spanish, role), "");
            assert_ne!(role_label(Language::English, role), "");
        }
    }

    #[test]
    fn reasons_follow_the_policy_in_both_languages() {
        let capabilities = [
            Capability::EditRecords,
            Capability::DeleteOwnRecords,
            Capability::DeleteOthersRecords,
            Capability::EditPresidencyAndWorkplan,
            Capability::EditSettings,
            Capability::ManagePeople,
            Capability::ReadAudit,
        ];
        for role in Role::ALL {
            for capability in capabilities {
                for language in [Language::Spanish, Language::English] {
                    let reason = capability_reason(language, role, capability);
                    assert_eq!(reason.is_some(), !policy::allows(role, capability));
                    assert!(reason.is_none_or(|text| !text.is_empty()));
                }
            }
        }
        assert_eq!(
            capability_reason(Language::English, Role::Observer, Capability::EditRecords),
            Some("Observers can read but not edit.")
        );
        assert!(
            capability_reason(Language::Spanish, Role::Observer, Capability::EditRecords)
                .is_some_and(|text| text.contains("observadoras"))
        );
        assert_eq!(
            capability_reason(Language::Spanish, Role::Member, Capability::EditRecords),
            None
        );
    }
}
