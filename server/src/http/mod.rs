//! HTTP: the router, the state its handlers share, and the handlers.
//!
//! - [`session`]: sign-in, sign-out, the signed-in person, first-start setup.
//! - [`users`]: people and roles (secretariat, within the workspaces it
//!   manages) and bearer tokens.
//! - [`workspaces`]: the workspaces a person may open and their audit trail.
//! - [`authorship`]: who added and who last edited a record.
//! - [`history`]: the timeline (pages, CSV, a moment's heads) and the
//!   refused attempts.
//! - [`sync_socket`]: the authenticated upgrade to the sync WebSocket.
//! - [`caller`]: the [`Caller`] extractor (who is asking, or 401).
//! - [`error`]: [`ApiError`], the one place a failure becomes a status and an
//!   [`ErrorBody`](enlace_shared::api::ErrorBody).
//!
//! Every path comes from [`enlace_shared::api::paths`], every body from
//! [`enlace_shared::api`], so the client and the tests read what this writes.

mod authorship;
mod caller;
mod error;
mod history;
mod session;
mod sync_socket;
mod users;
mod workspaces;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{delete, get, patch, post};
use enlace_shared::api::paths;
use tokio::sync::{mpsc, watch};

pub use caller::Caller;
pub use error::ApiError;

use crate::accounts::Accounts;
use crate::assets;
use crate::hub::Hubs;
use crate::limits::PersonConnections;
use crate::ws::SocketLimits;

/// Everything a request handler may need.
#[derive(Clone)]
pub struct AppState {
    pub hubs: Hubs,
    pub accounts: Accounts,
    pub limits: SocketLimits,
    /// Open sync connections per person.
    pub connections: PersonConnections,
    pub shutdown: watch::Receiver<bool>,
    /// Held by every open connection; the server waits for all to drop at shutdown.
    pub connections_alive: mpsc::Sender<()>,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route(paths::HEALTH, get(health))
        .route(paths::LOGIN, post(session::login))
        .route(paths::LOGOUT, post(session::logout))
        .route(paths::ME, get(session::me))
        .route(
            paths::SETUP,
            get(session::setup_status).post(session::complete_setup),
        )
        .route(paths::WORKSPACES, get(workspaces::list_workspaces))
        .route(paths::WORKSPACE_CHANGES, get(workspaces::workspace_changes))
        .route(paths::RECORD_AUTHORSHIP, get(authorship::record_authorship))
        .route(paths::HISTORY, get(history::history))
        .route(paths::HISTORY_CSV, get(history::history_csv))
        .route(paths::HISTORY_REFUSED, get(history::refused))
        .route(paths::HISTORY_MOMENT, get(history::moment))
        .route(paths::USERS, get(users::list_users).post(users::create_user))
        .route(paths::USER, patch(users::update_user))
        .route(paths::USER_TOKENS, get(users::user_tokens))
        .route(paths::TOKENS, get(users::my_tokens))
        .route(paths::TOKEN, delete(users::revoke_token))
        .route(paths::SYNC, get(sync_socket::sync_socket))
        .fallback(assets::serve)
        .with_state(state)
}

/// `GET /healthz`: `ok`, or 503 naming every document whose storage failed
/// beyond a reload (its hub stopped; see `hub::HubTask::stop_failed`).
async fn health(axum::extract::State(state): axum::extract::State<AppState>) -> (StatusCode, String) {
    health_of(&state.hubs)
}

pub(crate) fn health_of(hubs: &Hubs) -> (StatusCode, String) {
    let failed = hubs.failed_documents();
    if failed.is_empty() {
        return (StatusCode::OK, "ok".to_owned());
    }
    let mut body = String::from("storage failed for:\n");
    for (document_id, error) in failed {
        body.push_str(&format!("{document_id}: {error}\n"));
    }
    (StatusCode::SERVICE_UNAVAILABLE, body)
}

/// Runs blocking work (storage, password hashing) off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(ApiError::internal)?
}
