//! People and roles: listing, creating and changing accounts (secretariat).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use enlace_shared::DocumentId;
use enlace_shared::api::{CreateUserRequest, PersonView, UpdateUserRequest};
use enlace_shared::refusal::Refusal;
use enlace_shared::roles::Role;

use super::caller::Caller;
use super::error::ApiError;
use super::{AppState, blocking};
use crate::accounts::{Authenticated, NewAccount, ServiceError};

/// Whether the caller manages people: in `workspace` if given, else anywhere.
fn require_secretariat(caller: &Authenticated, workspace: Option<&DocumentId>) -> Result<(), ApiError> {
    let allowed = match workspace {
        Some(workspace) => caller.user.role_in(workspace) == Some(Role::Secretariat),
        None => caller.user.roles.values().any(|role| role.may_manage_people()),
    };
    if allowed {
        Ok(())
    } else {
        Err(ApiError::refused(Refusal::ManagePeople))
    }
}

fn workspace_id(text: &str) -> Result<DocumentId, ApiError> {
    DocumentId::parse(text).map_err(|error| ApiError::new(StatusCode::BAD_REQUEST, error.to_string()))
}

pub async fn list_users(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Json<Vec<PersonView>>, ApiError> {
    require_secretariat(&caller, None)?;
    let storage = state.hubs.storage().clone();
    let users = blocking(move || storage.users().map_err(ApiError::internal)).await?;
    Ok(Json(users.iter().map(PersonView::from).collect()))
}

pub async fn create_user(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Json(request): Json<CreateUserRequest>,
) -> Result<(StatusCode, Json<PersonView>), ApiError> {
    let workspace = workspace_id(&request.workspace)?;
    require_secretariat(&caller, Some(&workspace))?;
    let accounts = state.accounts.clone();
    let user = blocking(move || {
        Ok(accounts.create_account(NewAccount {
            email: request.email,
            display_name: request.display_name,
            password: request.password,
            organisation_id: request.organisation_id,
            roles: vec![(workspace, request.role)],
        })?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(PersonView::from(&user))))
}

/// Changes a person's role in a workspace and/or disables or enables them.
pub async fn update_user(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(user_id): Path<String>,
    Json(request): Json<UpdateUserRequest>,
) -> Result<Json<PersonView>, ApiError> {
    let workspace = request.workspace.as_deref().map(workspace_id).transpose()?;
    require_secretariat(&caller, workspace.as_ref())?;
    if request.role.is_some() && workspace.is_none() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "a role change needs `workspace`",
        ));
    }
    let accounts = state.accounts.clone();
    let user = blocking(move || {
        let mut user = None;
        if let (Some(role), Some(workspace)) = (request.role, workspace) {
            user = Some(accounts.set_role(&user_id, &workspace, role)?);
        }
        if let Some(disabled) = request.disabled {
            user = Some(accounts.set_disabled(&user_id, disabled)?);
        }
        user.ok_or_else(|| ServiceError::Invalid("nothing to change".into()).into())
    })
    .await?;
    Ok(Json(PersonView::from(&user)))
}
