//! Signing in and out: the person, the JSON API calls, and the pure rules
//! behind the login and setup forms.
//!
//! Everything that decides something (which message a status gets, whether
//! a setup form is complete, what a person may do) is a plain function with
//! native tests; the `fetch` calls at the bottom only move bytes.

use std::collections::BTreeMap;

use enlace_shared::policy::{self, Capability, Role};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::i18n::{Language, Text, capability_reason};

/// The shortest password the server accepts (counted in characters).
pub const MIN_PASSWORD_CHARS: usize = 10;

/// The signed-in person, as `/api/login`, `/api/setup` and `/api/me` return them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Person {
    pub id: String,
    pub email: String,
    pub display_name: String,
    #[serde(default)]
    pub organisation_id: Option<String>,
    /// Role per workspace id.
    #[serde(default)]
    pub roles: BTreeMap<String, Role>,
    #[serde(default)]
    pub disabled: bool,
}

impl Person {
    pub fn from_json(body: &str) -> Result<Self, String> {
        serde_json::from_str(body).map_err(|error| format!("bad person JSON: {error}"))
    }

    /// The name shown in the header and written into commits: the display
    /// name, or the email if the display name is blank.
    pub fn author_name(&self) -> &str {
        let name = self.display_name.trim();
        if name.is_empty() { &self.email } else { name }
    }
}

/// Where the app is, as far as signing in goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthState {
    /// Asking `/api/me` whether the browser already has a session.
    Checking,
    SignedOut,
    SignedIn(Person),
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
    pub fn from_answer(answer: &Answer) -> Self {
        match answer.status {
            401 => Self::Wrong,
            429 => Self::Throttled {
                retry_after_seconds: answer.retry_after_seconds,
            },
            status => Self::Other {
                status,
                message: error_sentence(&answer.body),
            },
        }
    }
}

/// The message the login form shows for `error`.
pub fn sign_in_error_message(language: Language, error: &SignInError) -> String {
    match error {
        SignInError::Wrong => crate::i18n::text(language, Text::LoginWrong).to_owned(),
        SignInError::Throttled { retry_after_seconds } => {
            let base = crate::i18n::text(language, Text::LoginThrottled);
            match retry_after_seconds {
                Some(seconds) => format!("{base} (≈ {})", wait_duration(*seconds)),
                None => base.to_owned(),
            }
        }
        SignInError::Unreachable => crate::i18n::text(language, Text::LoginUnreachable).to_owned(),
        SignInError::Other { message, .. } => {
            let base = crate::i18n::text(language, Text::LoginFailed);
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
        } => format!("{} {message}", crate::i18n::text(language, Text::SetupFailed)),
        SignInError::Other {
            message: None,
            status,
        } => {
            format!("{} HTTP {status}", crate::i18n::text(language, Text::SetupFailed))
        }
        other => sign_in_error_message(language, other),
    }
}

/// The `error` field of a JSON error body, if any.
pub fn error_sentence(body: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        error: String,
    }
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
/// person may use it. An unknown role (the workspace list has not arrived)
/// disables everything that writes, with a "not loaded" reason.
pub fn blocked_reason(
    language: Language,
    role: Option<Role>,
    capability: Capability,
) -> Option<&'static str> {
    match role {
        None => Some(crate::i18n::text(language, Text::ErrorNotLoaded)),
        Some(role) => capability_reason(language, role, capability),
    }
}

/// Whether `role` may use `capability`; `None` (no role yet) may not.
pub fn may(role: Option<Role>, capability: Capability) -> bool {
    role.is_some_and(|role| policy::allows(role, capability))
}

/// An HTTP answer: status, body text and `Retry-After` seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub retry_after_seconds: Option<u64>,
}

impl Answer {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// One same-origin request (the session cookie goes with it). `Err` only
/// when no answer arrived.
pub async fn request(method: &str, path: &str, json_body: Option<String>) -> Result<Answer, String> {
    let window = web_sys::window().ok_or("no window")?;
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    if let Some(body) = json_body {
        let headers = web_sys::Headers::new().map_err(|error| format!("{error:?}"))?;
        headers
            .set("Content-Type", "application/json")
            .map_err(|error| format!("{error:?}"))?;
        init.set_headers(&headers);
        init.set_body(&JsValue::from_str(&body));
    }
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(path, &init))
        .await
        .map_err(|error| format!("could not fetch {path}: {error:?}"))?
        .dyn_into()
        .map_err(|_| "fetch did not return a Response".to_owned())?;
    let retry_after_seconds = response
        .headers()
        .get("Retry-After")
        .ok()
        .flatten()
        .and_then(|value| value.trim().parse().ok());
    let text = response
        .text()
        .map_err(|error| format!("could not read {path}: {error:?}"))?;
    let body = JsFuture::from(text)
        .await
        .map_err(|error| format!("could not read {path}: {error:?}"))?
        .as_string()
        .unwrap_or_default();
    Ok(Answer {
        status: response.status(),
        body,
        retry_after_seconds,
    })
}

/// `GET /api/me`: `Ok(Some(person))` with a session, `Ok(None)` without one.
pub async fn current_person() -> Result<Option<Person>, String> {
    let answer = request("GET", "/api/me", None).await?;
    match answer.status {
        200 => Person::from_json(&answer.body).map(Some),
        401 => Ok(None),
        status => Err(format!("/api/me answered {status}")),
    }
}

/// `POST /api/login`.
pub async fn sign_in(email: &str, password: &str) -> Result<Person, SignInError> {
    let body = serde_json::json!({ "email": email.trim(), "password": password }).to_string();
    let answer = request("POST", "/api/login", Some(body))
        .await
        .map_err(|_| SignInError::Unreachable)?;
    if answer.ok() {
        Person::from_json(&answer.body).map_err(|message| SignInError::Other {
            status: answer.status,
            message: Some(message),
        })
    } else {
        Err(SignInError::from_answer(&answer))
    }
}

/// `POST /api/logout`. Errors are only logged: the page signs out regardless.
pub async fn sign_out() {
    if let Err(error) = request("POST", "/api/logout", None).await {
        web_sys::console::warn_1(&format!("enlace: sign-out request failed: {error}").into());
    }
}

/// `GET /api/setup`: whether first-start setup is still pending.
pub async fn setup_pending() -> Result<bool, String> {
    #[derive(serde::Deserialize)]
    struct Status {
        pending: bool,
    }
    let answer = request("GET", "/api/setup", None).await?;
    if !answer.ok() {
        return Err(format!("/api/setup answered {}", answer.status));
    }
    serde_json::from_str::<Status>(&answer.body)
        .map(|status| status.pending)
        .map_err(|error| format!("bad /api/setup answer: {error}"))
}

/// `POST /api/setup`: creates the first secretariat account and signs it in.
pub async fn complete_setup(token: &str, form: &SetupForm) -> Result<Person, SignInError> {
    let body = serde_json::json!({
        "token": token,
        "email": form.email.trim(),
        "display_name": form.display_name.trim(),
        "password": form.password,
    })
    .to_string();
    let answer = request("POST", "/api/setup", Some(body))
        .await
        .map_err(|_| SignInError::Unreachable)?;
    if answer.ok() {
        Person::from_json(&answer.body).map_err(|message| SignInError::Other {
            status: answer.status,
            message: Some(message),
        })
    } else {
        // A 401 here is not a wrong password but a refused setup code.
        Err(match SignInError::from_answer(&answer) {
            SignInError::Wrong => SignInError::Other {
                status: 401,
                message: error_sentence(&answer.body),
            },
            other => other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str, retry: Option<u64>) -> Answer {
        Answer {
            status,
            body: body.to_owned(),
            retry_after_seconds: retry,
        }
    }

    #[test]
    fn person_json_from_the_server_parses() {
        let body = r#"{"id":"u1","email":"olga@observa.org","display_name":"Olga",
            "organisation_id":null,"roles":{"2Ab":"observer","3Cd":"secretariat"},"disabled":false}"#;
        let person = Person::from_json(body).expect("parses");
        assert_eq!(person.display_name, "Olga");
        assert_eq!(person.roles.get("2Ab"), Some(&Role::Observer));
        assert_eq!(person.roles.get("3Cd"), Some(&Role::Secretariat));
        assert_eq!(person.author_name(), "Olga");
        let blank = Person {
            display_name: "  ".into(),
            ..person
        };
        assert_eq!(blank.author_name(), "olga@observa.org");
    }

    #[test]
    fn statuses_become_sign_in_errors() {
        assert_eq!(
            SignInError::from_answer(&answer(401, r#"{"error":"wrong email or password"}"#, None)),
            SignInError::Wrong
        );
        assert_eq!(
            SignInError::from_answer(&answer(429, "{}", Some(30))),
            SignInError::Throttled {
                retry_after_seconds: Some(30)
            }
        );
        assert_eq!(
            SignInError::from_answer(&answer(400, r#"{"error":"setup is already complete"}"#, None)),
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
        let observer = blocked_reason(Language::English, Some(Role::Observer), Capability::EditRecords);
        assert!(observer.is_some_and(|reason| !reason.is_empty()));
        assert_eq!(
            blocked_reason(Language::Spanish, Some(Role::Member), Capability::EditRecords),
            None
        );
        assert!(blocked_reason(Language::Spanish, None, Capability::EditRecords).is_some());
        assert!(may(Some(Role::Member), Capability::EditRecords));
        assert!(!may(Some(Role::Observer), Capability::EditRecords));
        assert!(!may(None, Capability::EditRecords));
    }
}
