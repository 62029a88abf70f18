//! HTTP routes: health, the workspace list, the sync WebSocket and the client.

use axum::extract::{State, WebSocketUpgrade};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use enlace_shared::DocumentId;
use serde::Serialize;
use tokio::sync::{mpsc, watch};

use crate::assets;
use crate::hub::Hubs;
use crate::ws::{ConnectionLimits, serve_connection};

/// Everything a request handler may need.
#[derive(Clone)]
pub struct AppState {
    pub hubs: Hubs,
    pub limits: ConnectionLimits,
    pub shutdown: watch::Receiver<bool>,
    /// Held by every open connection; the server waits for all to drop at shutdown.
    pub connections_alive: mpsc::Sender<()>,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/api/workspaces", get(list_workspaces))
        .route("/sync", get(sync_socket))
        .fallback(assets::serve)
        .with_state(state)
}

/// One entry of `GET /api/workspaces`.
#[derive(Debug, Serialize)]
pub struct WorkspaceSummary {
    pub id: String,
    pub name: String,
    pub url: String,
}

async fn list_workspaces(State(state): State<AppState>) -> Response {
    let storage = state.hubs.storage().clone();
    match tokio::task::spawn_blocking(move || storage.workspaces()).await {
        Ok(Ok(records)) => {
            let summaries: Vec<WorkspaceSummary> = records
                .into_iter()
                .filter_map(|record| {
                    let id: DocumentId = record.id?;
                    Some(WorkspaceSummary {
                        id: id.to_string(),
                        name: record.name,
                        url: id.url(),
                    })
                })
                .collect();
            Json(summaries).into_response()
        }
        other => {
            tracing::error!(?other, "listing workspaces failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "storage error").into_response()
        }
    }
}

async fn sync_socket(State(state): State<AppState>, upgrade: WebSocketUpgrade) -> Response {
    let limits = state.limits;
    // The transport refuses frames far beyond the protocol limit outright;
    // frames just over it are read and refused with a clear close reason.
    let transport_limit = limits.max_frame_bytes.saturating_mul(2).max(1024 * 1024);
    upgrade
        .max_message_size(transport_limit)
        .max_frame_size(transport_limit)
        .on_upgrade(move |socket| async move {
            let alive = state.connections_alive;
            serve_connection(socket, state.hubs, limits, state.shutdown).await;
            drop(alive);
        })
}
