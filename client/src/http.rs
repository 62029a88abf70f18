//! Every HTTP call the client makes, typed with `enlace_shared::api`.
//!
//! These functions only move bytes: what a status means for a form is
//! decided in [`crate::auth`], what a workspace list means for the socket in
//! [`crate::sync`]. All requests go to the page's own origin, so the session
//! cookie goes with them.

use std::fmt;

use enlace_shared::api::{
    ChangesPage, HistoryPage, HistoryQuery, LoginRequest, Moment, PersonView, RecordAuthorship, RefusedPage,
    SetupRequest, SetupStatus, WorkspaceSummary, paths,
};
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::auth::{SetupForm, SignInError, error_sentence};
use crate::browser;
use crate::history::query_string;

/// Why a call brought back nothing usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    /// No answer arrived (offline, server down), or the browser refused the call.
    Unreachable(String),
    /// 401: the session is gone.
    SignedOut,
    /// Any other unsuccessful status.
    Status { path: String, status: u16 },
    /// A successful answer whose body is not what the API promises.
    Malformed { path: String, reason: String },
}

impl fmt::Display for HttpError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unreachable(reason) => write!(formatter, "no answer: {reason}"),
            Self::SignedOut => formatter.write_str("signed out"),
            Self::Status { path, status } => write!(formatter, "{path} answered {status}"),
            Self::Malformed { path, reason } => write!(formatter, "bad {path} answer: {reason}"),
        }
    }
}

/// An HTTP answer: status, body text and `Retry-After` seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Answer {
    status: u16,
    body: String,
    retry_after_seconds: Option<u64>,
}

impl Answer {
    fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as `T` if the status is a success.
    fn json<T: DeserializeOwned>(&self, path: &str) -> Result<T, HttpError> {
        match self.status {
            401 => Err(HttpError::SignedOut),
            _ if !self.ok() => Err(HttpError::Status {
                path: path.to_owned(),
                status: self.status,
            }),
            _ => serde_json::from_str(&self.body).map_err(|error| HttpError::Malformed {
                path: path.to_owned(),
                reason: error.to_string(),
            }),
        }
    }

    fn sign_in_error(&self) -> SignInError {
        SignInError::from_answer(self.status, self.retry_after_seconds, &self.body)
    }
}

fn unreachable(path: &str, error: &JsValue) -> HttpError {
    HttpError::Unreachable(format!("{path}: {error:?}"))
}

/// One same-origin request. `Err` only when no answer arrived.
async fn request(method: &str, path: &str, json_body: Option<String>) -> Result<Answer, HttpError> {
    // The global scope's `fetch`: the window's, or a worker's.
    let fetch = browser::global_property("fetch")
        .and_then(|fetch| fetch.dyn_into::<js_sys::Function>().ok())
        .ok_or_else(|| HttpError::Unreachable("no fetch".to_owned()))?;
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    if let Some(body) = json_body {
        let headers = web_sys::Headers::new().map_err(|error| unreachable(path, &error))?;
        headers
            .set("Content-Type", "application/json")
            .map_err(|error| unreachable(path, &error))?;
        init.set_headers(&headers);
        init.set_body(&JsValue::from_str(&body));
    }
    let pending = fetch
        .call2(&js_sys::global(), &JsValue::from_str(path), &init)
        .map_err(|error| unreachable(path, &error))?;
    let response: web_sys::Response = JsFuture::from(js_sys::Promise::from(pending))
        .await
        .map_err(|error| unreachable(path, &error))?
        .dyn_into()
        .map_err(|error| unreachable(path, &error))?;
    let retry_after_seconds = response
        .headers()
        .get("Retry-After")
        .ok()
        .flatten()
        .and_then(|value| value.trim().parse().ok());
    let text = response.text().map_err(|error| unreachable(path, &error))?;
    let body = JsFuture::from(text)
        .await
        .map_err(|error| unreachable(path, &error))?
        .as_string()
        .unwrap_or_default();
    Ok(Answer {
        status: response.status(),
        body,
        retry_after_seconds,
    })
}

fn to_json<T: serde::Serialize>(body: &T) -> Option<String> {
    // Serialising these plain structs of strings cannot fail.
    serde_json::to_string(body).ok()
}

/// `GET /api/me`: `Ok(Some(person))` with a session, `Ok(None)` without one.
pub async fn current_person() -> Result<Option<PersonView>, HttpError> {
    match request("GET", paths::ME, None).await?.json(paths::ME) {
        Ok(person) => Ok(Some(person)),
        Err(HttpError::SignedOut) => Ok(None),
        Err(error) => Err(error),
    }
}

/// The person from a successful sign-in or setup answer.
fn signed_in_person(answer: &Answer, path: &str) -> Result<PersonView, SignInError> {
    answer.json(path).map_err(|error| SignInError::Other {
        status: answer.status,
        message: Some(error.to_string()),
    })
}

/// `POST /api/login`.
pub async fn sign_in(email: &str, password: &str) -> Result<PersonView, SignInError> {
    let body = LoginRequest {
        email: email.trim().to_owned(),
        password: password.to_owned(),
    };
    let answer = request("POST", paths::LOGIN, to_json(&body))
        .await
        .map_err(|_| SignInError::Unreachable)?;
    if answer.ok() {
        signed_in_person(&answer, paths::LOGIN)
    } else {
        Err(answer.sign_in_error())
    }
}

/// `POST /api/logout`. Errors are only logged: the page signs out regardless.
pub async fn sign_out() {
    if let Err(error) = request("POST", paths::LOGOUT, None).await {
        web_sys::console::warn_1(&format!("enlace: sign-out request failed: {error}").into());
    }
}

/// `GET /api/setup`: whether first-start setup is still pending.
pub async fn setup_pending() -> Result<bool, HttpError> {
    let status: SetupStatus = request("GET", paths::SETUP, None).await?.json(paths::SETUP)?;
    Ok(status.pending)
}

/// `POST /api/setup`: creates the first secretariat account and signs it in.
pub async fn complete_setup(token: &str, form: &SetupForm) -> Result<PersonView, SignInError> {
    let body = SetupRequest {
        token: token.to_owned(),
        email: form.email.trim().to_owned(),
        display_name: form.display_name.trim().to_owned(),
        password: form.password.clone(),
    };
    let answer = request("POST", paths::SETUP, to_json(&body))
        .await
        .map_err(|_| SignInError::Unreachable)?;
    if answer.ok() {
        return signed_in_person(&answer, paths::SETUP);
    }
    // A 401 here is not a wrong password but a refused setup code.
    Err(match answer.sign_in_error() {
        SignInError::Wrong => SignInError::Other {
            status: 401,
            message: error_sentence(&answer.body),
        },
        other => other,
    })
}

/// `GET /api/workspaces`: the workspaces the person may open, with their role.
pub async fn workspaces() -> Result<Vec<WorkspaceSummary>, HttpError> {
    request("GET", paths::WORKSPACES, None)
        .await?
        .json(paths::WORKSPACES)
}

/// `GET /api/workspaces/{id}/changes?limit=…`: the newest accepted changes
/// (secretariat and presidency only).
pub async fn latest_changes(workspace_id: &str, limit: usize) -> Result<ChangesPage, HttpError> {
    let path = format!("{}?limit={limit}", paths::workspace_changes(workspace_id));
    request("GET", &path, None).await?.json(&path)
}

/// `GET /api/workspaces/{id}/records/{collection}/{record_id}/authorship`:
/// who added the record and who last edited it, from the server's receipts.
pub async fn record_authorship(
    workspace_id: &str,
    collection: &str,
    record_id: &str,
) -> Result<RecordAuthorship, HttpError> {
    let path = paths::record_authorship(workspace_id, collection, record_id);
    request("GET", &path, None).await?.json(&path)
}

/// `GET /api/workspaces/{id}/history?…`: one page of the timeline, newest first.
pub async fn history(workspace_id: &str, query: &HistoryQuery) -> Result<HistoryPage, HttpError> {
    let path = format!("{}{}", paths::history(workspace_id), query_string(query));
    request("GET", &path, None).await?.json(&path)
}

/// `GET /api/workspaces/{id}/history/refused?before=…`: refused attempts
/// (secretariat only; others get a 403).
pub async fn history_refused(workspace_id: &str, before: Option<u64>) -> Result<RefusedPage, HttpError> {
    let mut path = paths::history_refused(workspace_id);
    if let Some(before) = before {
        path.push_str(&format!("?before={before}"));
    }
    request("GET", &path, None).await?.json(&path)
}

/// `GET /api/workspaces/{id}/history/moment?at_ms=…`: the document's heads
/// as of a moment.
pub async fn history_moment(workspace_id: &str, at_ms: i64) -> Result<Moment, HttpError> {
    let path = format!("{}?at_ms={at_ms}", paths::history_moment(workspace_id));
    request("GET", &path, None).await?.json(&path)
}

/// The address of the timeline as CSV with `query`'s filters: a plain link
/// (the session cookie authenticates the download).
pub fn history_csv_href(workspace_id: &str, query: &HistoryQuery) -> String {
    format!("{}{}", paths::history_csv(workspace_id), query_string(query))
}
