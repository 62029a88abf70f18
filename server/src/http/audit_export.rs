//! `GET /api/workspaces/{id}/audit-export`: the workspace's signed audit
//! export as a file to save (secretariat only).
//!
//! Writing one loads the whole history and signs it: seconds of CPU for a
//! long one. It runs on the blocking pool, and one at a time per server:
//! a second request meanwhile is answered 503 with `Retry-After`, so no
//! account can keep the server's cores busy with exports.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use enlace_shared::DocumentId;
use enlace_shared::refusal::Refusal;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::caller::Caller;
use super::error::ApiError;
use super::{AppState, blocking};
use crate::audit::export::{self, ExportError};
use crate::system::now_ms;

/// How long a refused caller is told to wait.
const RETRY_AFTER_SECONDS: u64 = 30;

/// The one permit audit exports share.
#[derive(Debug, Clone)]
pub struct ExportSlot(Arc<Semaphore>);

impl Default for ExportSlot {
    fn default() -> Self {
        Self(Arc::new(Semaphore::new(1)))
    }
}

impl ExportSlot {
    /// The permit to write one export, or 503 if another is being written.
    fn try_start(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        Arc::clone(&self.0).try_acquire_owned().map_err(|_| {
            ApiError::busy(
                "an audit export is already being written; try again shortly",
                RETRY_AFTER_SECONDS,
            )
        })
    }
}

pub async fn audit_export(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(workspace): Path<String>,
) -> Result<Response, ApiError> {
    let id = DocumentId::parse(&workspace)
        .map_err(|error| ApiError::new(StatusCode::NOT_FOUND, format!("no such workspace: {error}")))?;
    match caller.user.role_in(&id) {
        None => return Err(ApiError::new(StatusCode::NOT_FOUND, "no such workspace")),
        Some(role) if !role.may_export_audit() => return Err(ApiError::refused(Refusal::ExportAudit)),
        Some(_) => {}
    }
    let permit = state.audit_exports.try_start()?;
    let storage = state.hubs.storage().clone();
    let file = blocking(move || {
        // Held by the work itself, not by the request: a caller who hangs
        // up does not free the slot while the export is still being written.
        let _permit = permit;
        let key = export::signing_key(&storage).map_err(ApiError::internal)?;
        export::export_workspace(&storage, &id, &key, now_ms()).map_err(|error| match error {
            ExportError::NoSuchWorkspace(_) => ApiError::new(StatusCode::NOT_FOUND, "no such workspace"),
            other => ApiError::internal(other),
        })
    })
    .await?;
    let disposition = format!("attachment; filename=\"enlace-audit-{id}.json\"");
    let mut response = file.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).map_err(ApiError::internal)?,
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_export_at_a_time() {
        let slot = ExportSlot::default();
        let first = slot.try_start().expect("the slot is free");
        let refused = slot.try_start().expect_err("the slot is taken").into_response();
        assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            refused.headers().get(header::RETRY_AFTER),
            Some(&HeaderValue::from(RETRY_AFTER_SECONDS))
        );
        // A clone (each request's copy of the state) shares the one permit.
        let copy = slot.clone();
        assert!(copy.try_start().is_err());
        drop(first);
        let second = copy.try_start().expect("free again");
        assert!(slot.try_start().is_err());
        drop(second);
    }
}
