//! Who added a record and who last edited it, from the receipts (never from
//! a field a client wrote). Anyone with a role in the workspace may ask: it
//! is what the record page shows.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use enlace_shared::DocumentId;
use enlace_shared::api::RecordAuthorship;
use enlace_shared::schema::Collection;

use super::caller::Caller;
use super::error::ApiError;
use super::{AppState, blocking};

/// `GET /api/workspaces/{id}/records/{collection}/{record_id}/authorship`:
/// one point read, whatever the history's length.
pub async fn record_authorship(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path((workspace, collection, record_id)): Path<(String, String, String)>,
) -> Result<Json<RecordAuthorship>, ApiError> {
    let id = DocumentId::parse(&workspace)
        .map_err(|error| ApiError::new(StatusCode::NOT_FOUND, format!("no such workspace: {error}")))?;
    if caller.user.role_in(&id).is_none() {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "no such workspace"));
    }
    let collection = Collection::from_key(&collection)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("no collection `{collection}`")))?;
    let storage = state.hubs.storage().clone();
    let authorship = blocking(move || {
        storage
            .record_authorship(&id, collection.key(), &record_id)
            .map_err(ApiError::internal)
    })
    .await?;
    Ok(Json(authorship))
}
