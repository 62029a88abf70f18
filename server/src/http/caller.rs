//! The [`Caller`] extractor: the signed-in person behind a request.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::error::ApiError;
use super::{AppState, blocking};
use crate::accounts::{Accounts, Authenticated};
use crate::auth::credential_from;

/// The person a request's credential (bearer token or session cookie)
/// belongs to. Extracting it answers 401 when there is no valid credential,
/// so a handler that takes a `Caller` runs only for a signed-in person.
#[derive(Debug, Clone)]
pub struct Caller(pub Authenticated);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let (secret, _) =
            credential_from(&parts.headers, None).ok_or_else(|| ApiError::unauthorized("sign in first"))?;
        authenticate(&state.accounts, secret).await.map(Caller)
    }
}

/// The person `secret` belongs to, looked up off the async threads; 401 if
/// it is unknown, expired or its account disabled.
pub(super) async fn authenticate(accounts: &Accounts, secret: String) -> Result<Authenticated, ApiError> {
    let accounts = accounts.clone();
    blocking(move || accounts.authenticate(&secret).map_err(ApiError::internal))
        .await?
        .ok_or_else(|| ApiError::unauthorized("invalid or expired credential"))
}
