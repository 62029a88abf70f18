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
use crate::auth::{CredentialSource, SESSION_COOKIE, SESSION_LIFETIME, credential_from, secret_hash};
use crate::storage::{CredentialKind, UserRecord};

/// The `Set-Cookie` value that starts a browser session.
fn session_cookie(secret: &str) -> HeaderValue {
    let cookie = format!(
        "{SESSION_COOKIE}={secret}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
        SESSION_LIFETIME.as_secs()
    );
    // Invariant: the secret is hex, so the cookie is valid header text.
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The person, with the cookie of the session that was just opened.
fn signed_in(user: &UserRecord, session_secret: &str) -> Response {
    let mut response = Json(PersonView::from(user)).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie(session_secret));
    response
}

pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    Json(request): Json<LoginRequest>,
) -> Result<Response, ApiError> {
    let accounts = state.accounts.clone();
    let address = address.ip().to_string();
    let outcome = blocking(move || Ok(accounts.login(&request.email, &request.password, &address)?)).await?;
    match outcome {
        LoginOutcome::SignedIn { user, session_secret } => Ok(signed_in(&user, &session_secret)),
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
        HeaderValue::from_static("enlace_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
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
    Ok(signed_in(&user, &secret))
}
