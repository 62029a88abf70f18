//! The JSON API: sign-in, the signed-in person, first-start setup, people
//! and roles (secretariat), and the audit trail of changes.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use enlace_shared::DocumentId;
use enlace_shared::policy::Role;
use serde::{Deserialize, Serialize};

use crate::accounts::{Authenticated, LoginOutcome, NewAccount, ServiceError};
use crate::auth::{SESSION_COOKIE, SESSION_LIFETIME};
use crate::http::AppState;
use crate::storage::{CredentialKind, Receipt, UserRecord};

/// An API error: a status and a sentence for the person.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    retry_after_seconds: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            retry_after_seconds: None,
        }
    }

    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "sign in first")
    }

    fn internal(error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "request failed");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Invalid(message) => Self::new(StatusCode::BAD_REQUEST, message),
            ServiceError::Account(crate::storage::AccountError::EmailTaken(email)) => Self::new(
                StatusCode::CONFLICT,
                format!("an account with email {email} already exists"),
            ),
            ServiceError::Account(crate::storage::AccountError::NoSuchUser(_)) => {
                Self::new(StatusCode::NOT_FOUND, "no such person")
            }
            other => Self::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(serde_json::json!({ "error": self.message }))).into_response();
        if let Some(seconds) = self.retry_after_seconds
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

/// Runs blocking storage work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(ApiError::internal)?
}

/// Where a request's credential came from; cookies need an Origin check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialSource {
    Cookie,
    Bearer,
    /// `?access_token=` on `/sync`, for WebSocket clients that cannot set headers.
    Query,
}

/// The secret in a request: `Authorization: Bearer`, then the session cookie.
pub fn credential_from(headers: &HeaderMap, query_token: Option<&str>) -> Option<(String, CredentialSource)> {
    if let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
    {
        return Some((token.trim().to_owned(), CredentialSource::Bearer));
    }
    if let Some(token) = query_token.filter(|token| !token.is_empty()) {
        return Some((token.to_owned(), CredentialSource::Query));
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| (value.to_owned(), CredentialSource::Cookie))
}

/// The signed-in caller, or 401.
pub async fn caller(state: &AppState, headers: &HeaderMap) -> Result<Authenticated, ApiError> {
    let (secret, _) = credential_from(headers, None).ok_or_else(ApiError::unauthorized)?;
    let accounts = state.accounts.clone();
    blocking(move || accounts.authenticate(&secret).map_err(ApiError::internal))
        .await?
        .ok_or_else(ApiError::unauthorized)
}

/// A person as the API shows them (never the password hash).
#[derive(Debug, Serialize)]
pub struct PersonView {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub organisation_id: Option<String>,
    pub roles: std::collections::BTreeMap<String, Role>,
    pub disabled: bool,
}

impl From<&UserRecord> for PersonView {
    fn from(user: &UserRecord) -> Self {
        Self {
            id: user.id.clone(),
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            organisation_id: user.organisation_id.clone(),
            roles: user.roles.clone(),
            disabled: user.disabled,
        }
    }
}

fn session_cookie(secret: &str) -> HeaderValue {
    let cookie = format!(
        "{SESSION_COOKIE}={secret}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
        SESSION_LIFETIME.as_secs()
    );
    // Invariant: the secret is hex, so the cookie is valid header text.
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[derive(Debug, Deserialize)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    Json(request): Json<LoginRequest>,
) -> Result<Response, ApiError> {
    let accounts = state.accounts.clone();
    let address = address.ip().to_string();
    let outcome = blocking(move || {
        accounts
            .login(&request.email, &request.password, &address)
            .map_err(ApiError::from)
    })
    .await?;
    match outcome {
        LoginOutcome::SignedIn { user, session_secret } => {
            let mut response = Json(PersonView::from(&user)).into_response();
            response
                .headers_mut()
                .insert(header::SET_COOKIE, session_cookie(&session_secret));
            Ok(response)
        }
        LoginOutcome::Invalid => Err(ApiError::new(StatusCode::UNAUTHORIZED, "wrong email or password")),
        LoginOutcome::Throttled(retry_after) => Err(ApiError {
            status: StatusCode::TOO_MANY_REQUESTS,
            message: "too many failed sign-ins; try again later".into(),
            retry_after_seconds: Some(retry_after.as_secs().max(1)),
        }),
    }
}

pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    if let Some((secret, CredentialSource::Cookie)) = credential_from(&headers, None) {
        let accounts = state.accounts.clone();
        blocking(move || {
            accounts
                .logout(&crate::auth::secret_hash(&secret))
                .map_err(ApiError::internal)
        })
        .await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("enlace_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    Ok(response)
}

pub async fn me(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<PersonView>, ApiError> {
    let caller = caller(&state, &headers).await?;
    Ok(Json(PersonView::from(&caller.user)))
}

#[derive(Debug, Serialize)]
pub struct SetupStatus {
    pub pending: bool,
}

pub async fn setup_status(State(state): State<AppState>) -> Result<Json<SetupStatus>, ApiError> {
    let accounts = state.accounts.clone();
    let pending = blocking(move || accounts.setup_pending().map_err(ApiError::internal)).await?;
    Ok(Json(SetupStatus { pending }))
}

#[derive(Debug, Deserialize)]
pub struct SetupRequest {
    pub token: String,
    pub email: String,
    pub display_name: String,
    pub password: String,
}

pub async fn complete_setup(
    State(state): State<AppState>,
    Json(request): Json<SetupRequest>,
) -> Result<Response, ApiError> {
    let accounts = state.accounts.clone();
    let (user, secret) = blocking(move || {
        {
            let user = accounts.complete_setup(
                &request.token,
                NewAccount {
                    email: request.email,
                    display_name: request.display_name,
                    password: Some(request.password),
                    organisation_id: None,
                    roles: Vec::new(),
                },
            )?;
            let secret = accounts.issue_credential(&user.id, CredentialKind::Session)?;
            Ok::<_, ServiceError>((user, secret))
        }
        .map_err(ApiError::from)
    })
    .await?;
    let mut response = Json(PersonView::from(&user)).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&secret));
    Ok(response)
}

/// One entry of `GET /api/workspaces`.
#[derive(Debug, Serialize)]
pub struct WorkspaceSummary {
    pub id: String,
    pub name: String,
    pub url: String,
    pub role: Role,
}

pub async fn list_workspaces(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<WorkspaceSummary>>, ApiError> {
    let caller = caller(&state, &headers).await?;
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

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    pub before: Option<u64>,
    pub limit: Option<usize>,
}

/// One accepted change: the server's receipt joined with the change's own metadata.
#[derive(Debug, Serialize)]
pub struct ChangeView {
    pub receipt_seq: u64,
    #[serde(flatten)]
    pub receipt: Receipt,
}

#[derive(Debug, Serialize)]
pub struct ChangesPage {
    pub changes: Vec<ChangeView>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next_before: Option<u64>,
}

pub async fn workspace_changes(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(workspace): Path<String>,
    Query(page): Query<PageQuery>,
) -> Result<Json<ChangesPage>, ApiError> {
    let caller = caller(&state, &headers).await?;
    let id = DocumentId::parse(&workspace)
        .map_err(|error| ApiError::new(StatusCode::NOT_FOUND, format!("no such workspace: {error}")))?;
    match caller.user.role_in(&id) {
        None => return Err(ApiError::new(StatusCode::NOT_FOUND, "no such workspace")),
        Some(role) if !role.may_audit() => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "only the secretariat and the presidency read the change history",
            ));
        }
        Some(_) => {}
    }
    let limit = page.limit.unwrap_or(50).clamp(1, 500);
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

fn require_secretariat(caller: &Authenticated, workspace: Option<&DocumentId>) -> Result<(), ApiError> {
    let allowed = match workspace {
        Some(workspace) => caller.user.role_in(workspace) == Some(Role::Secretariat),
        None => caller.user.roles.values().any(|role| role.may_manage_people()),
    };
    if allowed {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "only the secretariat manages people and roles",
        ))
    }
}

pub async fn list_users(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<PersonView>>, ApiError> {
    let caller = caller(&state, &headers).await?;
    require_secretariat(&caller, None)?;
    let storage = state.hubs.storage().clone();
    let users = blocking(move || storage.users().map_err(ApiError::internal)).await?;
    Ok(Json(users.iter().map(PersonView::from).collect()))
}

#[derive(Debug, Deserialize)]
pub struct CreateUserRequest {
    pub email: String,
    pub display_name: String,
    pub password: Option<String>,
    pub organisation_id: Option<String>,
    pub workspace: String,
    pub role: Role,
}

pub async fn create_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(request): Json<CreateUserRequest>,
) -> Result<(StatusCode, Json<PersonView>), ApiError> {
    let caller = caller(&state, &headers).await?;
    let workspace = DocumentId::parse(&request.workspace)
        .map_err(|error| ApiError::new(StatusCode::BAD_REQUEST, error.to_string()))?;
    require_secretariat(&caller, Some(&workspace))?;
    let accounts = state.accounts.clone();
    let user = blocking(move || {
        accounts
            .create_account(NewAccount {
                email: request.email,
                display_name: request.display_name,
                password: request.password,
                organisation_id: request.organisation_id,
                roles: vec![(workspace, request.role)],
            })
            .map_err(ApiError::from)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(PersonView::from(&user))))
}

#[derive(Debug, Deserialize)]
pub struct UpdateUserRequest {
    /// With `role`: the workspace whose role changes.
    pub workspace: Option<String>,
    /// A role, or `null` to remove access to `workspace`.
    #[serde(default, with = "double_option")]
    pub role: Option<Option<Role>>,
    pub disabled: Option<bool>,
}

mod double_option {
    use serde::{Deserialize, Deserializer};
    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(deserializer).map(Some)
    }
}

pub async fn update_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(user_id): Path<String>,
    Json(request): Json<UpdateUserRequest>,
) -> Result<Json<PersonView>, ApiError> {
    let caller = caller(&state, &headers).await?;
    let workspace = request
        .workspace
        .as_deref()
        .map(DocumentId::parse)
        .transpose()
        .map_err(|error| ApiError::new(StatusCode::BAD_REQUEST, error.to_string()))?;
    require_secretariat(&caller, workspace.as_ref())?;
    if request.role.is_some() && workspace.is_none() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "a role change needs `workspace`",
        ));
    }
    let accounts = state.accounts.clone();
    let user = blocking(move || {
        {
            let mut user = None;
            if let (Some(role), Some(workspace)) = (request.role, workspace) {
                user = Some(accounts.set_role(&user_id, &workspace, role)?);
            }
            if let Some(disabled) = request.disabled {
                user = Some(accounts.set_disabled(&user_id, disabled)?);
            }
            match user {
                Some(user) => Ok(user),
                None => Err(ServiceError::Invalid("nothing to change".into())),
            }
        }
        .map_err(ApiError::from)
    })
    .await?;
    Ok(Json(PersonView::from(&user)))
}
