//! The workspaces a person may open, and a workspace's audit trail.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use enlace_shared::DocumentId;
use enlace_shared::api::{ChangeView, ChangesPage, PageQuery, WorkspaceSummary};
use enlace_shared::refusal::Refusal;

use super::caller::Caller;
use super::error::ApiError;
use super::{AppState, blocking};

/// Audit-trail entries per page when the request names no limit.
const DEFAULT_PAGE: usize = 50;
/// The most entries one page may ask for.
const MAX_PAGE: usize = 500;

/// Every workspace where the caller has a role.
pub async fn list_workspaces(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Json<Vec<WorkspaceSummary>>, ApiError> {
    let storage = state.hubs.storage().clone();
    let records = blocking(move || storage.workspaces().map_err(ApiError::internal)).await?;
    Ok(Json(
        records
            .into_iter()
            .filter_map(|record| {
                let id: DocumentId = record.id?;
                let role = caller.user.role_in(&id)?;
                Some(WorkspaceSummary {
                    id: id.to_string(),
                    name: record.name,
                    url: id.url(),
                    role,
                })
            })
            .collect(),
    ))
}

/// A page of a workspace's receipts, newest first (secretariat and presidency).
pub async fn workspace_changes(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(workspace): Path<String>,
    Query(page): Query<PageQuery>,
) -> Result<Json<ChangesPage>, ApiError> {
    let id = DocumentId::parse(&workspace)
        .map_err(|error| ApiError::new(StatusCode::NOT_FOUND, format!("no such workspace: {error}")))?;
    match caller.user.role_in(&id) {
        None => return Err(ApiError::new(StatusCode::NOT_FOUND, "no such workspace")),
        Some(role) if !role.may_audit() => return Err(ApiError::refused(Refusal::ReadAudit)),
        Some(_) => {}
    }
    let limit = page.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    let storage = state.hubs.storage().clone();
    let receipts = blocking(move || {
        storage
            .receipts(&id, page.before, limit)
            .map_err(ApiError::internal)
    })
    .await?;
    let next_before = (receipts.len() == limit)
        .then(|| receipts.last().map(|(seq, _)| *seq))
        .flatten()
        .filter(|seq| *seq > 0);
    Ok(Json(ChangesPage {
        changes: receipts
            .into_iter()
            .map(|(receipt_seq, receipt)| ChangeView { receipt_seq, receipt })
            .collect(),
        next_before,
    }))
}
