//! People, roles and bearer tokens. A secretariat administers only the
//! people of the workspaces it manages ([`AdminScope`]): it lists them with
//! their roles there, gives and removes roles there, and disables them or
//! revokes their tokens only when every workspace of theirs is one it
//! manages. Everybody lists and revokes their own tokens.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use enlace_shared::DocumentId;
use enlace_shared::api::{CreateUserRequest, PersonView, TokenView, UpdateUserRequest};
use enlace_shared::refusal::Refusal;

use super::caller::Caller;
use super::error::ApiError;
use super::{AppState, blocking};
use crate::accounts::{AdminScope, Authenticated, NewAccount, ServiceError};
use crate::storage::UserRecord;

/// The caller's scope, if they manage people anywhere (else 403).
fn require_secretariat(caller: &Authenticated) -> Result<AdminScope, ApiError> {
    let scope = AdminScope::of(&caller.user);
    if scope.is_empty() {
        Err(ApiError::refused(Refusal::ManagePeople))
    } else {
        Ok(scope)
    }
}

/// 403 unless the caller manages people in `workspace`.
fn require_manages(scope: &AdminScope, workspace: &DocumentId) -> Result<(), ApiError> {
    if scope.manages(workspace) {
        Ok(())
    } else {
        Err(ApiError::refused(Refusal::ManagePeople))
    }
}

fn no_such_person() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no such person")
}

fn workspace_id(text: &str) -> Result<DocumentId, ApiError> {
    DocumentId::parse(text).map_err(|error| ApiError::new(StatusCode::BAD_REQUEST, error.to_string()))
}

/// The person `user_id` if `scope` sees them; people outside it are answered
/// as if they did not exist.
fn person_in_scope(state: &AppState, scope: &AdminScope, user_id: &str) -> Result<UserRecord, ApiError> {
    state
        .accounts
        .storage()
        .user(user_id)
        .map_err(ApiError::internal)?
        .filter(|person| scope.sees(person))
        .ok_or_else(no_such_person)
}

pub async fn list_users(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Json<Vec<PersonView>>, ApiError> {
    let scope = require_secretariat(&caller)?;
    let storage = state.hubs.storage().clone();
    let users = blocking(move || storage.users().map_err(ApiError::internal)).await?;
    Ok(Json(
        users
            .iter()
            .filter(|person| scope.sees(person))
            .map(|person| scope.view(person))
            .collect(),
    ))
}

pub async fn create_user(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Json(request): Json<CreateUserRequest>,
) -> Result<(StatusCode, Json<PersonView>), ApiError> {
    let workspace = workspace_id(&request.workspace)?;
    let scope = require_secretariat(&caller)?;
    require_manages(&scope, &workspace)?;
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
    Ok((StatusCode::CREATED, Json(scope.view(&user))))
}

/// Changes a person's role in a workspace and/or disables or enables them.
pub async fn update_user(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(user_id): Path<String>,
    Json(request): Json<UpdateUserRequest>,
) -> Result<Json<PersonView>, ApiError> {
    let workspace = request.workspace.as_deref().map(workspace_id).transpose()?;
    let scope = require_secretariat(&caller)?;
    if let Some(workspace) = &workspace {
        require_manages(&scope, workspace)?;
    }
    if request.role.is_some() && workspace.is_none() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "a role change needs `workspace`",
        ));
    }
    let view_scope = scope.clone();
    let user = blocking(move || {
        let person = person_in_scope(&state, &scope, &user_id)?;
        // Disabling locks a person out of every workspace of theirs.
        if request.disabled.is_some() && !scope.covers(&person) {
            return Err(ApiError::refused(Refusal::ManagePeople));
        }
        let accounts = &state.accounts;
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
    Ok(Json(view_scope.view(&user)))
}

/// The caller's own bearer tokens.
pub async fn my_tokens(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Json<Vec<TokenView>>, ApiError> {
    let accounts = state.accounts.clone();
    let tokens = blocking(move || accounts.tokens_of(&caller.user.id).map_err(ApiError::internal)).await?;
    Ok(Json(tokens))
}

/// A person's bearer tokens, for a secretariat that sees them.
pub async fn user_tokens(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(user_id): Path<String>,
) -> Result<Json<Vec<TokenView>>, ApiError> {
    let scope = require_secretariat(&caller)?;
    let tokens = blocking(move || {
        let person = person_in_scope(&state, &scope, &user_id)?;
        state.accounts.tokens_of(&person.id).map_err(ApiError::internal)
    })
    .await?;
    Ok(Json(tokens))
}

/// Revokes a bearer token: the caller's own, or one of a person whose every
/// workspace the caller manages (403 for a person the caller shares only
/// some workspaces with; 404, as for an unknown id, for anyone else's).
pub async fn revoke_token(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(token_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    blocking(move || {
        let accounts = &state.accounts;
        let not_found = || ApiError::new(StatusCode::NOT_FOUND, "no such token");
        let (hash, token) = accounts
            .find_token(&token_id)
            .map_err(ApiError::internal)?
            .ok_or_else(not_found)?;
        if token.user_id != caller.user.id {
            let owner = accounts
                .storage()
                .user(&token.user_id)
                .map_err(ApiError::internal)?
                .ok_or_else(not_found)?;
            let scope = AdminScope::of(&caller.user);
            if !scope.sees(&owner) {
                return Err(not_found());
            }
            if !scope.covers(&owner) {
                return Err(ApiError::refused(Refusal::ManagePeople));
            }
        }
        accounts.revoke_token(&hash).map_err(ApiError::internal)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
