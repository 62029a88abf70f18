//! The interface's words in Spanish and English.
//!
//! A plain lookup table: [`text`] maps a [`Text`] key and a [`Language`] to a
//! static string, so every label is testable without a browser. Organisation
//! kinds carry their own labels in `enlace_shared::model`.

pub use enlace_shared::model::Language;

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
    };
    match language {
        Language::Spanish => spanish,
        Language::English => english,
    }
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
}
