//! The Enlace server: HTTP, the automerge-repo sync WebSocket, hubs and storage.
//!
//! # Layout
//! - [`config`]: command line and environment; [`cli`]: the `user` and
//!   `token` subcommands (a stopped server), `audit` and `backup` (beside a
//!   running one too, read-only) and `restore`; [`logging`]: the log filter.
//! - [`http`]: the router and its handlers (sign-in, people, workspaces and
//!   their audit trail, the `/sync` upgrade); the only code that turns errors
//!   into HTTP statuses.
//! - [`auth`]: passwords, secrets, credentials in requests, the login
//!   throttle, live revocation; [`accounts`]: the account service on top.
//! - [`ws`]: one connection: handshake, framing limits, routing to hubs,
//!   close codes; [`outbox`]: what hubs send it, bounded by bytes, and the
//!   close order that skips the queue; [`limits`]: the options bounding what
//!   one connection may cost.
//! - [`hub`]: one task per open document; the only code that changes a document.
//! - [`history`]: rebuilding a workspace's timeline from its stored changes.
//! - [`workspaces`]: creating a workspace (the first one, the demo roundtable).
//! - [`storage`]: the only code that touches redb; group commit, snapshots.
//! - [`audit`]: the signed audit export of a workspace, the server's
//!   signing key, and verifying an export with nothing but the file.
//! - [`assets`]: the embedded browser client.
//! - [`system`]: the wall clock and the operating system's randomness.
//!
//! [`run`] takes a bound listener and a shutdown future, so tests can give the
//! server port 0 and stop it when they like.

pub mod accounts;
pub mod admin_socket;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod history;
pub mod http;
pub mod hub;
pub mod limits;
pub mod logging;
pub mod outbox;
pub mod storage;
pub mod system;
pub mod workspaces;
pub mod ws;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use enlace_shared::PeerId;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

use crate::http::AppState;
use crate::hub::Hubs;
use crate::limits::{ConnectionLimits, PersonConnections};
use crate::storage::{Storage, StorageError, StorageWriter};
use crate::system::{NoRandomness, now_ms, random_bytes};
use crate::ws::SocketLimits;

/// The name of the workspace created in an empty data directory.
pub const FIRST_WORKSPACE_NAME: &str =
    "Mesa de Cooperación Internacional para la Igualdad de Género en México";

/// How long shutdown waits for connections and hubs before giving up.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// What the server needs besides its listener.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub data_dir: PathBuf,
    pub max_frame_bytes: usize,
    /// What one connection may cost (outbox, presence, refusals, ...).
    pub limits: ConnectionLimits,
    /// Seed the demo roundtable when the data directory is empty.
    pub demo: bool,
    /// Public URL and trusted proxy header, as the account service uses them.
    pub accounts: accounts::AccountSettings,
}

/// Errors that stop the server.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("cannot rebuild the timeline: {0}")]
    History(#[from] history::RebuildError),
    #[error("cannot bring the workspaces up to the schema: {0}")]
    Upgrade(#[from] workspaces::UpgradeError),
    #[error("cannot create the first workspace: {0}")]
    FirstWorkspace(#[from] workspaces::CreateError),
    #[error(transparent)]
    Random(#[from] NoRandomness),
    #[error("cannot prepare first-start setup: {0}")]
    Setup(accounts::ServiceError),
    #[error("HTTP server failed: {0}")]
    Serve(#[from] std::io::Error),
}

/// Opens storage and makes sure at least one workspace exists.
pub fn prepare_storage(data_dir: &std::path::Path, demo: bool) -> Result<Storage, ServerError> {
    let storage = Storage::open(data_dir)?;
    history::rebuild_incomplete(&storage)?;
    workspaces::add_missing_collections(&storage, now_ms())?;
    if storage.workspaces()?.is_empty() {
        let id = workspaces::create_workspace(&storage, FIRST_WORKSPACE_NAME, now_ms(), demo)?;
        tracing::info!(workspace = %id.url(), "created the first workspace");
    }
    Ok(storage)
}

/// Serves until `shutdown` resolves, then closes every connection, lets every
/// hub commit what it has received, and stops the storage writer.
pub async fn run(
    listener: TcpListener,
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let storage = {
        let config = config.clone();
        tokio::task::spawn_blocking(move || prepare_storage(&config.data_dir, config.demo))
            .await
            .map_err(|error| ServerError::Serve(std::io::Error::other(error)))??
    };
    let accounts = accounts::Accounts::with_settings(storage.clone(), config.accounts.clone());
    if let Some(secret) = accounts.begin_setup().map_err(ServerError::Setup)? {
        let address = listener.local_addr()?;
        #[allow(clippy::print_stdout)]
        {
            // Printed to the terminal, never logged: it creates the first secretariat account.
            println!(
                "No accounts yet. Create the first secretariat account within one hour at:\n  http://{address}/setup#token={secret}"
            );
        }
    }
    match accounts.expire_old_tokens() {
        Ok(0) => {}
        Ok(count) => tracing::info!(
            count,
            days = accounts::DEFAULT_TOKEN_DAYS,
            "bearer tokens stored without an expiry now expire after the default lifetime"
        ),
        Err(error) => tracing::warn!(%error, "cannot give old bearer tokens an expiry"),
    }
    let (writer, writer_thread) = StorageWriter::start(storage.clone());
    // `enlace backup` beside the running server asks here (the database file
    // is this process's alone). Without it backups need a stopped server.
    let admin_socket = admin_socket::listen(storage.clone(), &config.data_dir)
        .inspect_err(
            |error| tracing::warn!(%error, "no admin socket: `enlace backup` needs a stopped server"),
        )
        .ok();
    let server_peer_id = PeerId::new(format!(
        "enlace-server-{}",
        enlace_shared::ids::hex(&random_bytes::<16>()?)
    ));
    let hubs = Hubs::new(storage, writer, server_peer_id, config.limits.hub());
    let (shutdown_sender, shutdown_receiver) = watch::channel(false);
    let (connections_alive, mut all_connections_gone) = mpsc::channel::<()>(1);
    let state = AppState {
        hubs: hubs.clone(),
        accounts: accounts.clone(),
        limits: SocketLimits {
            max_frame_bytes: config.max_frame_bytes,
            connection: config.limits,
        },
        connections: PersonConnections::default(),
        shutdown: shutdown_receiver,
        connections_alive,
        audit_exports: http::ExportSlot::default(),
    };
    let app = http::router(state);
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!("shutting down: closing connections");
            let _ = shutdown_sender.send(true);
        })
        .await?;
    // Upgraded sockets outlive axum's graceful shutdown; wait for them to close.
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, all_connections_gone.recv()).await;
    if tokio::time::timeout(SHUTDOWN_GRACE, hubs.shut_down())
        .await
        .is_err()
    {
        tracing::warn!("hubs did not finish in time; unacknowledged changes may be dropped");
    }
    drop(hubs);
    let _ = tokio::task::spawn_blocking(move || writer_thread.join()).await;
    drop(admin_socket);
    tracing::info!("stopped; every acknowledged change is committed");
    Ok(())
}
