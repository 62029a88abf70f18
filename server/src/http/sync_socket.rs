//! `GET /sync`: authenticates, then upgrades to the sync WebSocket.

use std::collections::HashMap;

use axum::extract::{Query, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use enlace_shared::api::close;

use super::AppState;
use super::caller::authenticate;
use super::error::ApiError;
use crate::auth::{CredentialSource, credential_from};
use crate::ws::{refuse_connection, serve_connection};

/// The WebSocket read buffer each connection starts with.
const READ_BUFFER_BYTES: usize = 8 * 1024;

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
/// cookie sent from another site's page → 403. The credential may also come
/// as `?access_token=`, for WebSocket clients that cannot set headers.
pub async fn sync_socket(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let (secret, source) = credential_from(&headers, query.get("access_token").map(String::as_str))
        .ok_or_else(|| ApiError::unauthorized("sign in first"))?;
    if source == CredentialSource::Cookie && !same_origin(&headers) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "cross-origin WebSocket with a session cookie",
        ));
    }
    let authenticated = authenticate(&state.accounts, secret).await?;
    let live_user = state
        .accounts
        .live()
        .watch(&authenticated.credential_hash, &authenticated.user);
    let limits = state.limits;
    let user_id = authenticated.user.id;
    // The transport refuses a frame or message over the limit from its
    // header, before reading it; the connection closes with 1009.
    Ok(upgrade
        .max_message_size(limits.max_frame_bytes)
        .max_frame_size(limits.max_frame_bytes)
        // tungstenite allocates its read buffer eagerly, 128 KiB by default:
        // most of an idle connection's memory. Sync messages are small; a
        // large one (a first sync) grows the buffer while it is read.
        .read_buffer_size(READ_BUFFER_BYTES)
        .on_upgrade(move |socket| async move {
            let alive = state.connections_alive;
            let max = limits.connection.max_connections_per_person;
            match state.connections.try_open(&user_id, max) {
                Some(slot) => {
                    serve_connection(socket, state.hubs, limits, state.shutdown, live_user).await;
                    drop(slot);
                }
                None => {
                    let reason = format!("more than {max} sync connections for one person");
                    refuse_connection(socket, close::TOO_MANY_CONNECTIONS, &reason).await;
                }
            }
            drop(alive);
        }))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(host: &'static str, origin: Option<&'static str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static(host));
        if let Some(origin) = origin {
            headers.insert(header::ORIGIN, HeaderValue::from_static(origin));
        }
        headers
    }

    #[test]
    fn an_origin_naming_this_host_is_the_same_origin() {
        assert!(same_origin(&headers(
            "127.0.0.1:8080",
            Some("http://127.0.0.1:8080")
        )));
        assert!(same_origin(&headers(
            "enlace.example",
            Some("https://enlace.example")
        )));
        assert!(same_origin(&headers("enlace.example", None)), "not a browser");
    }

    #[test]
    fn another_sites_origin_is_not() {
        assert!(!same_origin(&headers(
            "127.0.0.1:8080",
            Some("http://evil.example")
        )));
        assert!(!same_origin(&headers(
            "127.0.0.1:8080",
            Some("http://127.0.0.1:9090")
        )));
        assert!(!same_origin(&headers("127.0.0.1:8080", Some("null"))));
    }
}
