//! The rules behind signing in and the disabled controls: which message a
//! failed sign-in gets, whether a setup form is complete, what a person may
//! do. Plain functions with native tests; [`crate::http`] makes the calls.

use enlace_shared::api::{ErrorBody, PersonView};
use enlace_shared::language::Language;
use enlace_shared::roles::{self, Capability, Role};

use crate::i18n::{Message, Text, text};

/// The shortest password the server accepts (counted in characters).
pub const MIN_PASSWORD_CHARS: usize = 10;

/// The name shown in the header and written into commits: the display
/// name, or the email if the display name is blank.
pub fn author_name(person: &PersonView) -> &str {
    let name = person.display_name.trim();
    if name.is_empty() { &person.email } else { name }
}

/// Where the app is, as far as signing in goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthState {
    /// Asking `/api/me` whether the browser already has a session.
    Checking,
    SignedOut,
    SignedIn(PersonView),
}

/// Why a sign-in (or setup) request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInError {
    /// 401: wrong email or password.
    Wrong,
    /// 429: too many failures; `Retry-After` in seconds if the server sent it.
    Throttled { retry_after_seconds: Option<u64> },
    /// The request never got an answer.
    Unreachable,
    /// Any other status, with the server's `error` sentence if any.
    Other { status: u16, message: Option<String> },
}

impl SignInError {
    /// Classifies a failed answer to `POST /api/login` or `POST /api/setup`.
    pub fn from_answer(status: u16, retry_after_seconds: Option<u64>, body: &str) -> Self {
        match status {
            401 => Self::Wrong,
            429 => Self::Throttled { retry_after_seconds },
            status => Self::Other {
                status,
                message: error_sentence(body),
            },
        }
    }
}

/// The message the login form shows for `error`.
pub fn sign_in_error_message(language: Language, error: &SignInError) -> String {
    match error {
        SignInError::Wrong => text(language, Text::LoginWrong).to_owned(),
        SignInError::Throttled { retry_after_seconds } => {
            let base = text(language, Text::LoginThrottled);
            match retry_after_seconds {
                Some(seconds) => format!("{base} (≈ {})", wait_duration(*seconds)),
                None => base.to_owned(),
            }
        }
        SignInError::Unreachable => text(language, Text::LoginUnreachable).to_owned(),
        SignInError::Other { message, .. } => {
            let base = text(language, Text::LoginFailed);
            match message {
                Some(message) => format!("{base} ({message})"),
                None => base.to_owned(),
            }
        }
    }
}

/// A wait as people say it: seconds under a minute and a half, else whole
/// minutes rounded up.
pub fn wait_duration(seconds: u64) -> String {
    if seconds < 90 {
        format!("{seconds} s")
    } else {
        format!("{} min", seconds.div_ceil(60))
    }
}

/// The message the setup form shows when the server refused the account.
pub fn setup_error_message(language: Language, error: &SignInError) -> String {
    match error {
        SignInError::Other {
            message: Some(message),
            ..
        } => format!("{} {message}", text(language, Text::SetupFailed)),
        SignInError::Other {
            message: None,
            status,
        } => format!("{} HTTP {status}", text(language, Text::SetupFailed)),
        other => sign_in_error_message(language, other),
    }
}

/// The `error` sentence of a JSON error body, if any.
pub fn error_sentence(body: &str) -> Option<String> {
    serde_json::from_str::<ErrorBody>(body)
        .ok()
        .map(|body| body.error)
        .filter(|error| !error.trim().is_empty())
}

/// The one-time setup code from the page's fragment: `#token=SECRET`.
pub fn setup_token_from_hash(hash: &str) -> Option<String> {
    hash.trim_start_matches('#')
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| *name == "token")
        .map(|(_, value)| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// What the setup form collects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetupForm {
    pub email: String,
    pub display_name: String,
    pub password: String,
    pub confirmation: String,
}

/// Checks the setup form before it is sent; the first problem found.
pub fn validate_setup(form: &SetupForm) -> Result<(), Text> {
    let email = form.email.trim();
    let well_formed = email
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty());
    if !well_formed {
        return Err(Text::SetupEmailInvalid);
    }
    if form.display_name.trim().is_empty() {
        return Err(Text::SetupNameRequired);
    }
    if form.password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Text::SetupPasswordShort);
    }
    if form.password != form.confirmation {
        return Err(Text::SetupPasswordMismatch);
    }
    Ok(())
}

/// Whether a control for `capability` is disabled, and why: `None` when the
/// person may use it. Viewing the workspace as of a past moment disables
/// every edit; an unknown role (the workspace list has not arrived)
/// disables everything that writes, with a "not loaded" reason.
pub fn blocked_reason(role: Option<Role>, capability: Capability, viewing_past: bool) -> Option<Message> {
    if viewing_past {
        return Some(Message::Text(Text::ViewingPastReadOnly));
    }
    match role {
        None => Some(Message::Text(Text::ErrorNotLoaded)),
        Some(role) => roles::reason(role, capability).map(Message::Refusal),
    }
}

/// Whether `role` may use `capability`; `None` (no role yet) may not.
pub fn may(role: Option<Role>, capability: Capability) -> bool {
    role.is_some_and(|role| roles::allows(role, capability))
}

#[cfg(test)]
mod tests {
    use enlace_shared::refusal::Refusal;

    use super::*;

    #[test]
    fn person_json_from_the_server_parses() {
        let body = r#"{"id":"u1","email":"olga@observa.org","display_name":"Olga",
            "organisation_id":null,"roles":{"2Ab":"observer","3Cd":"secretariat"},"disabled":false}"#;
        let person: PersonView = serde_json::from_str(body).expect("parses");
        assert_eq!(person.display_name, "Olga");
        assert_eq!(person.roles.get("2Ab"), Some(&Role::Observer));
        assert_eq!(person.roles.get("3Cd"), Some(&Role::Secretariat));
        assert_eq!(author_name(&person), "Olga");
        let blank = PersonView {
            display_name: "  ".into(),
            ..person
        };
        assert_eq!(author_name(&blank), "olga@observa.org");
    }

    #[test]
    fn statuses_become_sign_in_errors() {
        assert_eq!(
            SignInError::from_answer(401, None, r#"{"error":"wrong email or password"}"#),
            SignInError::Wrong
        );
        assert_eq!(
            SignInError::from_answer(429, Some(30), "{}"),
            SignInError::Throttled {
                retry_after_seconds: Some(30)
            }
        );
        assert_eq!(
            SignInError::from_answer(400, None, r#"{"error":"setup is already complete"}"#),
            SignInError::Other {
                status: 400,
                message: Some("setup is already complete".into())
            }
        );
        assert_eq!(error_sentence("not json"), None);
    }

    #[test]
    fn sign_in_messages_are_translated() {
        let wrong_es = sign_in_error_message(Language::Spanish, &SignInError::Wrong);
        let wrong_en = sign_in_error_message(Language::English, &SignInError::Wrong);
        assert_eq!(wrong_en, "Wrong email or password.");
        assert_ne!(wrong_es, wrong_en);
        let throttled = sign_in_error_message(
            Language::English,
            &SignInError::Throttled {
                retry_after_seconds: Some(42),
            },
        );
        assert!(throttled.starts_with("Too many failed attempts"));
        assert!(throttled.contains("42 s"));
        assert_eq!(wait_duration(895), "15 min");
        assert_eq!(wait_duration(120), "2 min");
        assert!(sign_in_error_message(Language::Spanish, &SignInError::Unreachable).contains("servidor"));
        let refused = SignInError::Other {
            status: 400,
            message: Some("the setup link has expired".into()),
        };
        assert_eq!(
            setup_error_message(Language::English, &refused),
            "The account could not be created: the setup link has expired"
        );
    }

    #[test]
    fn the_setup_token_comes_from_the_fragment() {
        assert_eq!(setup_token_from_hash("#token=abc123"), Some("abc123".into()));
        assert_eq!(setup_token_from_hash("token=abc123"), Some("abc123".into()));
        assert_eq!(setup_token_from_hash("#x=1&token=zz"), Some("zz".into()));
        assert_eq!(setup_token_from_hash("#token="), None);
        assert_eq!(setup_token_from_hash(""), None);
    }

    #[test]
    fn setup_forms_are_checked_in_order() {
        let good = SetupForm {
            email: "ana@mesa.org".into(),
            display_name: "Ana".into(),
            password: "diez caracteres".into(),
            confirmation: "diez caracteres".into(),
        };
        assert_eq!(validate_setup(&good), Ok(()));
        let with = |change: fn(&mut SetupForm)| {
            let mut form = good.clone();
            change(&mut form);
            validate_setup(&form)
        };
        assert_eq!(
            with(|form| form.email = "ana".into()),
            Err(Text::SetupEmailInvalid)
        );
        assert_eq!(
            with(|form| form.email = "@mesa.org".into()),
            Err(Text::SetupEmailInvalid)
        );
        assert_eq!(
            with(|form| form.display_name = " ".into()),
            Err(Text::SetupNameRequired)
        );
        assert_eq!(
            with(|form| {
                form.password = "contraseñ".into();
                form.confirmation = "contraseñ".into();
            }),
            Err(Text::SetupPasswordShort)
        );
        // Ten characters, one of them two bytes: long enough.
        assert_eq!(
            with(|form| {
                form.password = "contraseña".into();
                form.confirmation = "contraseña".into();
            }),
            Ok(())
        );
        assert_eq!(
            with(|form| form.confirmation = "otra cosa distinta".into()),
            Err(Text::SetupPasswordMismatch)
        );
    }

    #[test]
    fn observers_are_blocked_with_a_reason_and_members_are_not() {
        assert_eq!(
            blocked_reason(Some(Role::Observer), Capability::EditRecords, false),
            Some(Message::Refusal(Refusal::ReadOnlyRole))
        );
        assert_eq!(
            blocked_reason(Some(Role::Member), Capability::EditRecords, false),
            None
        );
        assert_eq!(
            blocked_reason(Some(Role::Member), Capability::EditPresidencyAndWorkplan, false),
            Some(Message::Refusal(Refusal::PresidencyAndWorkplan))
        );
        assert_eq!(
            blocked_reason(None, Capability::EditRecords, false),
            Some(Message::Text(Text::ErrorNotLoaded))
        );
        // The past is read-only, whatever the role.
        assert_eq!(
            blocked_reason(Some(Role::Secretariat), Capability::EditRecords, true),
            Some(Message::Text(Text::ViewingPastReadOnly))
        );
        assert!(may(Some(Role::Member), Capability::EditRecords));
        assert!(!may(Some(Role::Observer), Capability::EditRecords));
        assert!(!may(None, Capability::EditRecords));
    }
}
