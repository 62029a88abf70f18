//! HTTP routes: health, the JSON API, the sync WebSocket and the client.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Query, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use tokio::sync::{mpsc, watch};

use crate::accounts::Accounts;
use crate::api::{self, CredentialSource, credential_from};
use crate::assets;
use crate::hub::Hubs;
use crate::ws::{ConnectionLimits, serve_connection};

/// Everything a request handler may need.
#[derive(Clone)]
pub struct AppState {
    pub hubs: Hubs,
    pub accounts: Accounts,
    pub limits: ConnectionLimits,
    pub shutdown: watch::Receiver<bool>,
    /// Held by every open connection; the server waits for all to drop at shutdown.
    pub connections_alive: mpsc::Sender<()>,
}

/// The WebSocket read buffer each connection starts with.
const READ_BUFFER_BYTES: usize = 8 * 1024;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/api/login", post(api::login))
        .route("/api/logout", post(api::logout))
        .route("/api/me", get(api::me))
        .route("/api/setup", get(api::setup_status).post(api::complete_setup))
        .route("/api/workspaces", get(api::list_workspaces))
        .route("/api/workspaces/{id}/changes", get(api::workspace_changes))
        .route("/api/users", get(api::list_users).post(api::create_user))
        .route("/api/users/{id}", patch(api::update_user))
        .route("/sync", get(sync_socket))
        .fallback(assets::serve)
        .with_state(state)
}

/// True if a browser's `Origin` names this server (scheme aside).
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|value| value.to_str().ok()) else {
        // Only browsers send Origin, and they always do on WebSocket upgrades;
        // a client without one is not a page another site could script.
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let origin_host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .unwrap_or_default();
    !host.is_empty() && origin_host == host
}

/// Authenticates before upgrading: no valid credential → 401; a session
/// cookie sent from another site's page → 403.
async fn sync_socket(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let Some((secret, source)) = credential_from(&headers, query.get("access_token").map(String::as_str))
    else {
        return (StatusCode::UNAUTHORIZED, "sign in first").into_response();
    };
    if source == CredentialSource::Cookie && !same_origin(&headers) {
        return (
            StatusCode::FORBIDDEN,
            "cross-origin WebSocket with a session cookie",
        )
            .into_response();
    }
    let accounts = state.accounts.clone();
    let authenticated = match tokio::task::spawn_blocking(move || accounts.authenticate(&secret)).await {
        Ok(Ok(Some(authenticated))) => authenticated,
        Ok(Ok(None)) => return (StatusCode::UNAUTHORIZED, "invalid or expired credential").into_response(),
        other => {
            tracing::error!(?other, "authentication failed");
            return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
        }
    };
    let live_user = state
        .accounts
        .live()
        .watch(&authenticated.credential_hash, &authenticated.user);
    let limits = state.limits;
    // The transport refuses frames far beyond the protocol limit outright;
    // frames just over it are read and refused with a clear close reason.
    let transport_limit = limits.max_frame_bytes.saturating_mul(2).max(1024 * 1024);
    upgrade
        .max_message_size(transport_limit)
        .max_frame_size(transport_limit)
        // tungstenite allocates its read buffer eagerly, 128 KiB by default:
        // most of an idle connection's memory. Sync messages are small; a
        // large one (a first sync) grows the buffer while it is read.
        .read_buffer_size(READ_BUFFER_BYTES)
        .on_upgrade(move |socket| async move {
            let alive = state.connections_alive;
            serve_connection(socket, state.hubs, limits, state.shutdown, live_user).await;
            drop(alive);
        })
}
