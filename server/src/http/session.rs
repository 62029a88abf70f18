//! Signing in and out, the signed-in person, and first-start setup.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use enlace_shared::api::{LoginRequest, PersonView, SetupRequest, SetupStatus};

use super::caller::Caller;
use super::error::ApiError;
use super::{AppState, blocking};
use crate::accounts::{LoginOutcome, NewAccount};
use crate::auth::{
    CredentialSource, SESSION_COOKIE, SESSION_LIFETIME, client_address, credential_from, secret_hash,
};
use crate::storage::{CredentialKind, UserRecord};

/// The `Set-Cookie` value that starts a browser session; `Secure` when the
/// server's public URL is https, so the browser never sends it in the clear.
fn session_cookie(secret: &str, secure: bool) -> HeaderValue {
    let cookie = format!(
        "{SESSION_COOKIE}={secret}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{}",
        SESSION_LIFETIME.as_secs(),
        if secure { "; Secure" } else { "" }
    );
    // Invariant: the secret is hex, so the cookie is valid header text.
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The `Set-Cookie` value that ends a browser session.
fn cleared_cookie(secure: bool) -> HeaderValue {
    if secure {
        HeaderValue::from_static("enlace_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0; Secure")
    } else {
        HeaderValue::from_static("enlace_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")
    }
}

/// The person, with the cookie of the session that was just opened.
fn signed_in(user: &UserRecord, session_secret: &str, secure: bool) -> Response {
    let mut response = Json(PersonView::from(user)).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie(session_secret, secure));
    response
}

/// Signs in. Attempts are throttled per email and per client address: the
/// peer's, or the one the operator's trusted proxy header reports.
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(request): Json<LoginRequest>,
) -> Result<Response, ApiError> {
    let accounts = state.accounts.clone();
    let settings = accounts.settings().clone();
    let address = client_address(&headers, peer.ip(), settings.trusted_proxy_header.as_ref());
    let outcome = blocking(move || Ok(accounts.login(&request.email, &request.password, &address)?)).await?;
    match outcome {
        LoginOutcome::SignedIn { user, session_secret } => {
            Ok(signed_in(&user, &session_secret, settings.secure_cookies))
        }
        LoginOutcome::Invalid => Err(ApiError::unauthorized("wrong email or password")),
        LoginOutcome::Throttled(retry_after) => Err(ApiError::throttled(
            "too many failed sign-ins; try again later",
            retry_after.as_secs().max(1),
        )),
    }
}

/// Ends the browser session named by the cookie (bearer tokens stay valid)
/// and clears the cookie.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    if let Some((secret, CredentialSource::Cookie)) = credential_from(&headers, None) {
        let accounts = state.accounts.clone();
        blocking(move || accounts.logout(&secret_hash(&secret)).map_err(ApiError::internal)).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        cleared_cookie(state.accounts.settings().secure_cookies),
    );
    Ok(response)
}

pub async fn me(Caller(caller): Caller) -> Json<PersonView> {
    Json(PersonView::from(&caller.user))
}

pub async fn setup_status(State(state): State<AppState>) -> Result<Json<SetupStatus>, ApiError> {
    let accounts = state.accounts.clone();
    let pending = blocking(move || accounts.setup_pending().map_err(ApiError::internal)).await?;
    Ok(Json(SetupStatus { pending }))
}

/// Creates the first secretariat account with the printed setup secret and
/// signs it in.
pub async fn complete_setup(
    State(state): State<AppState>,
    Json(request): Json<SetupRequest>,
) -> Result<Response, ApiError> {
    let accounts = state.accounts.clone();
    let secure = accounts.settings().secure_cookies;
    let (user, secret) = blocking(move || {
        let account = NewAccount {
            email: request.email,
            display_name: request.display_name,
            password: Some(request.password),
            organisation_id: None,
            roles: Vec::new(),
        };
        let user = accounts.complete_setup(&request.token, account)?;
        let secret = accounts.issue_credential(&user.id, CredentialKind::Session)?;
        Ok((user, secret))
    })
    .await?;
    Ok(signed_in(&user, &secret, secure))
}
