//! The two languages of the interface, and text written in both.

/// The two languages of the interface. Spanish is the roundtable's working
/// language and the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub enum Language {
    #[default]
    Spanish,
    English,
}

impl Language {
    pub const ALL: [Language; 2] = [Self::Spanish, Self::English];

    /// The BCP 47 code, for `<html lang>` and for remembering the choice.
    pub fn code(self) -> &'static str {
        match self {
            Self::Spanish => "es",
            Self::English => "en",
        }
    }

    /// Reads a stored code; anything unknown or absent is Spanish.
    pub fn from_code(code: Option<&str>) -> Self {
        match code.map(str::trim) {
            Some(code) if code.eq_ignore_ascii_case("en") => Self::English,
            _ => Self::Spanish,
        }
    }

    /// The short label of the language switch.
    pub fn button_label(self) -> &'static str {
        match self {
            Self::Spanish => "ES",
            Self::English => "EN",
        }
    }
}

/// A text in Spanish and in English: the one shape every label of the
/// interface takes, so no label exists in one language only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bilingual {
    pub es: &'static str,
    pub en: &'static str,
}

impl Bilingual {
    pub const fn new(es: &'static str, en: &'static str) -> Self {
        Self { es, en }
    }

    pub fn get(self, language: Language) -> &'static str {
        match language {
            Language::Spanish => self.es,
            Language::English => self.en,
        }
    }
}

/// Lowercase, without accents and surrounding or repeated spaces: how names,
/// labels, headers and searches are compared (`mexico` finds `México`).
pub fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for character in text.trim().chars().flat_map(char::to_lowercase) {
        let plain = match character {
            'á' | 'à' | 'ä' | 'â' | 'ã' | 'å' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' | 'õ' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            // Combining accents (decomposed text) are dropped.
            '\u{0300}'..='\u{036f}' => continue,
            other if other.is_whitespace() => ' ',
            other => other,
        };
        if plain == ' ' && folded.ends_with(' ') {
            continue;
        }
        folded.push(plain);
    }
    folded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_default_to_spanish() {
        for language in Language::ALL {
            assert_eq!(Language::from_code(Some(language.code())), language);
        }
        assert_eq!(Language::default(), Language::Spanish);
        assert_eq!(Language::from_code(None), Language::Spanish);
        assert_eq!(Language::from_code(Some("fr")), Language::Spanish);
        assert_eq!(Language::from_code(Some(" EN ")), Language::English);
    }

    #[test]
    fn bilingual_text_picks_the_language() {
        let text = Bilingual::new("Nombre", "Name");
        assert_eq!(text.get(Language::Spanish), "Nombre");
        assert_eq!(text.get(Language::English), "Name");
    }
}
