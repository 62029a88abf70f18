//! The interface's own words in Spanish and English: one table.
//!
//! [`text`] maps a [`Text`] key and a [`Language`] to a static string, so
//! every label is testable without a browser. Labels that name something of
//! the domain come from `enlace_shared` instead: collections, fields and
//! choices from `schema`, roles from `roles::Role::label`, refusals from
//! `refusal::Refusal::text`.

use enlace_shared::language::{Bilingual, Language};
use enlace_shared::refusal::Refusal;

/// Every piece of interface text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    // The frame: header, footer, connection, language.
    Tagline,
    WorkspaceLoading,
    LanguageSwitch,
    ConnectionConnecting,
    ConnectionLive,
    ConnectionOffline,
    ConnectionSignedOut,
    SignedInAs,
    RoleLabel,
    SignOut,
    Rejected,
    Dismiss,
    // Signing in and first-start setup.
    SignInTitle,
    SignInIntro,
    Email,
    Password,
    SignIn,
    SigningIn,
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
    // Edits that failed.
    ErrorNotLoaded,
    ErrorUnexpected,
    FillRequired,
    // The home page.
    Home,
    HomeIntro,
    Presidency,
    NoCurrentPresidency,
    LatestPresidency,
    TechnicalSecretariat,
    NotSet,
    MembersByKind,
    Members,
    AlliancesByStage,
    CollaborationsByStatus,
    LatestChanges,
    LatestRecords,
    NothingYet,
    JustNow,
    // Collection lists and record pages.
    Collections,
    Search,
    SearchPlaceholder,
    AllValues,
    SortBy,
    SortTitle,
    SortNewest,
    SortOldest,
    ShowDeleted,
    NewRecord,
    Create,
    Results,
    ShowMore,
    NoRecords,
    Delete,
    Restore,
    DeletedNotice,
    Example,
    BackToList,
    Related,
    Pause,
    Add,
    Remove,
    NoneChosen,
    Done,
    Due,
    AddItem,
    MoveUp,
    MoveDown,
    LinkCollection,
    NotFound,
    Pipeline,
    AddedBy,
    LastEditedBy,
    // History, time travel and restore.
    History,
    HistoryIntro,
    Timeline,
    Compare,
    RefusedAttempts,
    Revert,
    FilterPerson,
    FilterOrganisation,
    FilterCollection,
    FilterRecord,
    FilterFrom,
    FilterTo,
    FilterKind,
    ClearFilters,
    LoadOlder,
    ExportCsv,
    NoEntries,
    Loading,
    LoadFailed,
    WrittenAt,
    ViewAsOf,
    RestoreField,
    RestoreRecord,
    Restored,
    NothingToRestore,
    ViewingAsOf,
    ViewingPastReadOnly,
    BackToNow,
    BeforeFirstChange,
    Moment,
    ViewMoment,
    CompareFrom,
    CompareTo,
    CompareRun,
    NoDifferences,
    Added,
    Removed,
    Edited,
    RecordHistory,
    Changes,
    Reason,
    UnknownReason,
    RevertIntro,
    RevertPreview,
    RevertApply,
    RevertConflict,
    IncludeConflicts,
    RevertDone,
    NothingToRevert,
    RevertDelete,
    RevertUndelete,
    Now,
    Message,
    TooManyEntries,
}

fn words(key: Text) -> Bilingual {
    let (es, en) = match key {
        Text::Tagline => (
            "Mesa de cooperación internacional",
            "International cooperation roundtable",
        ),
        Text::WorkspaceLoading => ("Cargando espacio de trabajo…", "Loading workspace…"),
        Text::LanguageSwitch => ("Idioma", "Language"),
        Text::ConnectionConnecting => ("Conectando…", "Connecting…"),
        Text::ConnectionLive => ("En vivo", "Live"),
        Text::ConnectionOffline => ("Sin conexión, reintentando…", "Offline, retrying…"),
        Text::ConnectionSignedOut => ("Sesión cerrada", "Signed out"),
        Text::SignedInAs => ("Sesión de", "Signed in as"),
        Text::RoleLabel => ("Rol", "Role"),
        Text::SignOut => ("Cerrar sesión", "Sign out"),
        Text::Rejected => (
            "El servidor rechazó cambios y se descartaron:",
            "The server refused changes and they were discarded:",
        ),
        Text::Dismiss => ("Cerrar", "Dismiss"),
        Text::SignInTitle => ("Iniciar sesión", "Sign in"),
        Text::SignInIntro => (
            "Entra con la cuenta que te dio la secretaría de la mesa.",
            "Use the account the roundtable's secretariat gave you.",
        ),
        Text::Email => ("Correo electrónico", "Email"),
        Text::Password => ("Contraseña", "Password"),
        Text::SignIn => ("Entrar", "Sign in"),
        Text::SigningIn => ("Entrando…", "Signing in…"),
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
        Text::ErrorNotLoaded => (
            "El espacio de trabajo aún no se ha cargado; inténtalo en un momento.",
            "The workspace has not loaded yet; try again in a moment.",
        ),
        Text::ErrorUnexpected => ("No se pudo guardar el cambio.", "The change could not be saved."),
        Text::FillRequired => (
            "Completa los campos obligatorios.",
            "Fill in the required fields.",
        ),
        Text::Home => ("Inicio", "Home"),
        Text::HomeIntro => (
            "La mesa de un vistazo: quién preside, quién participa y en qué etapa va cada alianza.",
            "The roundtable at a glance: who presides, who takes part and where each alliance stands.",
        ),
        Text::Presidency => ("Presidencia", "Presidency"),
        Text::NoCurrentPresidency => (
            "Ningún periodo de presidencia cubre la fecha de hoy.",
            "No presidency term covers today's date.",
        ),
        Text::LatestPresidency => ("Última presidencia", "Latest presidency"),
        Text::TechnicalSecretariat => ("Secretaría técnica", "Technical secretariat"),
        Text::NotSet => ("Sin definir", "Not set"),
        Text::MembersByKind => ("Miembros por tipo", "Members by kind"),
        Text::Members => ("miembros", "members"),
        Text::AlliancesByStage => ("Alianzas por etapa", "Alliances by stage"),
        Text::CollaborationsByStatus => (
            "Colaboraciones con gobierno por estado",
            "Government collaborations by status",
        ),
        Text::LatestChanges => ("Cambios recientes", "Latest changes"),
        Text::LatestRecords => ("Registros recientes", "Latest records"),
        Text::NothingYet => ("Nada todavía.", "Nothing yet."),
        Text::JustNow => ("ahora mismo", "just now"),
        Text::Collections => ("Colecciones", "Collections"),
        Text::Search => ("Buscar", "Search"),
        Text::SearchPlaceholder => ("Buscar en todos los campos…", "Search every field…"),
        Text::AllValues => ("Todos", "All"),
        Text::SortBy => ("Ordenar por", "Sort by"),
        Text::SortTitle => ("Nombre", "Name"),
        Text::SortNewest => ("Fecha, reciente primero", "Date, newest first"),
        Text::SortOldest => ("Fecha, antigua primero", "Date, oldest first"),
        Text::ShowDeleted => ("Mostrar eliminados", "Show deleted"),
        Text::NewRecord => ("Nuevo registro", "New record"),
        Text::Create => ("Crear", "Create"),
        Text::Results => ("resultados", "results"),
        Text::ShowMore => ("Mostrar más", "Show more"),
        Text::NoRecords => ("Ningún registro coincide.", "No record matches."),
        Text::Delete => ("Eliminar", "Delete"),
        Text::Restore => ("Restaurar", "Restore"),
        Text::DeletedNotice => (
            "Este registro está eliminado; las referencias a él se muestran tachadas.",
            "This record is deleted; references to it are shown struck through.",
        ),
        Text::Example => ("Ejemplo", "Example"),
        Text::AddedBy => ("Añadido por", "Added by"),
        Text::LastEditedBy => ("Última edición de", "Last edited by"),
        Text::BackToList => ("Volver a la lista", "Back to the list"),
        Text::Related => (
            "Relacionado con esta organización",
            "Related to this organisation",
        ),
        Text::Pause => ("Pausar", "Pause"),
        Text::Add => ("Agregar", "Add"),
        Text::Remove => ("Quitar", "Remove"),
        Text::NoneChosen => ("— ninguna —", "— none —"),
        Text::Done => ("Hecho", "Done"),
        Text::Due => ("Vence", "Due"),
        Text::AddItem => ("Agregar", "Add"),
        Text::MoveUp => ("Subir", "Move up"),
        Text::MoveDown => ("Bajar", "Move down"),
        Text::LinkCollection => ("Vincular un registro de…", "Link a record of…"),
        Text::NotFound => ("Este registro no existe.", "This record does not exist."),
        Text::Pipeline => ("Etapa de la alianza", "Alliance stage"),
        Text::History => ("Historial", "History"),
        Text::HistoryIntro => (
            "Quién cambió qué y cuándo, según los recibos del servidor.",
            "Who changed what and when, as the server's receipts say.",
        ),
        Text::Timeline => ("Cronología", "Timeline"),
        Text::Compare => ("Comparar", "Compare"),
        Text::RefusedAttempts => ("Intentos rechazados", "Refused attempts"),
        Text::Revert => ("Revertir", "Revert"),
        Text::FilterPerson => ("Persona", "Person"),
        Text::FilterOrganisation => ("Organización", "Organisation"),
        Text::FilterCollection => ("Colección", "Collection"),
        Text::FilterRecord => ("Registro", "Record"),
        Text::FilterFrom => ("Desde", "From"),
        Text::FilterTo => ("Hasta", "To"),
        Text::FilterKind => ("Tipo de cambio", "Kind of change"),
        Text::ClearFilters => ("Quitar filtros", "Clear filters"),
        Text::LoadOlder => ("Cargar anteriores", "Load older"),
        Text::ExportCsv => ("Exportar CSV", "Export CSV"),
        Text::NoEntries => ("Ningún cambio coincide.", "No change matches."),
        Text::Loading => ("Cargando…", "Loading…"),
        Text::LoadFailed => (
            "No se pudo cargar el historial.",
            "The history could not be loaded.",
        ),
        Text::WrittenAt => ("escrito el", "written on"),
        Text::ViewAsOf => (
            "Ver el espacio como era entonces",
            "View the workspace as it was then",
        ),
        Text::RestoreField => ("Restaurar el valor anterior", "Restore the previous value"),
        Text::RestoreRecord => (
            "Restaurar el registro a este momento",
            "Restore the record to this moment",
        ),
        Text::Restored => ("Restaurado.", "Restored."),
        Text::NothingToRestore => ("Ya tenía ese valor.", "It already had that value."),
        Text::ViewingAsOf => (
            "Viendo el espacio de trabajo como era el",
            "Viewing the workspace as of",
        ),
        Text::ViewingPastReadOnly => (
            "Estás viendo el espacio de trabajo como era en un momento pasado: solo lectura.",
            "You are viewing the workspace as of an earlier moment: read-only.",
        ),
        Text::BackToNow => ("Volver al presente", "Back to now"),
        Text::BeforeFirstChange => ("antes del primer cambio", "before the first change"),
        Text::Moment => ("Momento", "Moment"),
        Text::ViewMoment => ("Ver", "View"),
        Text::CompareFrom => ("Antes", "Before"),
        Text::CompareTo => ("Después (vacío: ahora)", "After (empty: now)"),
        Text::CompareRun => ("Comparar", "Compare"),
        Text::NoDifferences => (
            "No hay diferencias entre los dos momentos.",
            "No differences between the two moments.",
        ),
        Text::Added => ("añadido", "added"),
        Text::Removed => ("quitado", "removed"),
        Text::Edited => ("editado", "edited"),
        Text::RecordHistory => ("Historial de este registro", "History of this record"),
        Text::Changes => ("cambios", "changes"),
        Text::Reason => ("Motivo", "Reason"),
        Text::UnknownReason => (
            "El servidor no pudo juzgar el cambio.",
            "The server could not judge the change.",
        ),
        Text::RevertIntro => (
            "Deshace todo lo que una persona cambió en un intervalo, como cambios nuevos a tu nombre. Revisa la vista previa antes de aplicar.",
            "Undoes everything one person changed in a time range, as new changes in your name. Check the preview before applying.",
        ),
        Text::RevertPreview => ("Vista previa", "Preview"),
        Text::RevertApply => ("Revertir", "Revert"),
        Text::RevertConflict => (
            "cambiado después por otra persona; ahora:",
            "changed since by someone else; now:",
        ),
        Text::IncludeConflicts => (
            "Revertir también los campos cambiados después",
            "Also revert fields changed since",
        ),
        Text::RevertDone => ("Cambios revertidos:", "Changes reverted:"),
        Text::NothingToRevert => ("No hay nada que revertir.", "Nothing to revert."),
        Text::RevertDelete => ("eliminar el registro", "delete the record"),
        Text::RevertUndelete => ("restaurar el registro eliminado", "restore the deleted record"),
        Text::Now => ("ahora", "now"),
        Text::Message => ("Mensaje", "Message"),
        Text::TooManyEntries => (
            "Demasiados cambios: acota el intervalo.",
            "Too many changes: narrow the range.",
        ),
    };
    Bilingual::new(es, en)
}

/// The text for `key` in `language`.
pub fn text(language: Language, key: Text) -> &'static str {
    words(key).get(language)
}

/// A message decided now and drawn later, in whatever language is chosen
/// then: one of the interface's own texts, or a refusal from the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message {
    Text(Text),
    Refusal(Refusal),
}

impl Message {
    pub fn get(self, language: Language) -> &'static str {
        match self {
            Self::Text(key) => text(language, key),
            Self::Refusal(refusal) => refusal.text(language),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spanish_is_the_default_and_both_languages_differ() {
        assert_eq!(Language::default(), Language::Spanish);
        assert_eq!(text(Language::Spanish, Text::Delete), "Eliminar");
        assert_eq!(text(Language::English, Text::Delete), "Delete");
        assert_ne!(
            text(Language::Spanish, Text::ConnectionOffline),
            text(Language::English, Text::ConnectionOffline)
        );
    }

    #[test]
    fn messages_draw_interface_text_and_refusals_in_either_language() {
        let refusal = Message::Refusal(Refusal::ReadOnlyRole);
        assert_eq!(refusal.get(Language::English), "Observers can read but not edit.");
        assert!(refusal.get(Language::Spanish).contains("observadoras"));
        assert_eq!(
            Message::Text(Text::FillRequired).get(Language::English),
            "Fill in the required fields."
        );
    }
}
