//! A samod sync server for the side-by-side benchmark: samod 0.16 with its
//! filesystem storage behind an axum WebSocket endpoint, the way a Rust user
//! of samod would run it.
//!
//! Usage: `samod-server --addr 127.0.0.1:0 --data <dir>`. On start it creates
//! one document shaped like an Enlace workspace (so the load generator edits
//! the same structure on every server) and prints two lines on stdout:
//! `listening on http://<addr>` and `document automerge:<id>`.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use automerge::Automerge;
use axum::Router;
use axum::extract::ws::WebSocketUpgrade;
use axum::routing::get;
use clap::Parser;
use samod::Repo;
use samod::storage::TokioFilesystemStorage;

#[derive(Debug, Parser)]
struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
    /// Directory for samod's filesystem storage.
    #[arg(long)]
    data: PathBuf,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let repo = Repo::build_tokio()
        .with_storage(TokioFilesystemStorage::new(&args.data))
        .load()
        .await;
    let mut initial = Automerge::new();
    enlace_shared::model::create_workspace(&mut initial, "bench", 0)
        .map_err(|error| anyhow::anyhow!("cannot shape the document: {error}"))?;
    let document = repo
        .create(initial)
        .await
        .map_err(|_| anyhow::anyhow!("the repo stopped while creating the document"))?;
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    let address = listener.local_addr()?;
    let url: url::Url = format!("ws://{address}/").parse().context("listener url")?;
    let acceptor = repo
        .make_acceptor(url)
        .map_err(|_| anyhow::anyhow!("the repo stopped"))?;
    let app = Router::new().route(
        "/",
        get(move |upgrade: WebSocketUpgrade| {
            let acceptor = acceptor.clone();
            async move {
                upgrade.on_upgrade(move |socket| async move {
                    if acceptor.accept_axum(socket, None).is_err() {
                        tracing::warn!("the repo stopped; connection dropped");
                    }
                })
            }
        }),
    );
    #[allow(clippy::print_stdout)]
    {
        // The harness reads these two lines to learn the port and the document.
        println!("listening on http://{address}");
        println!("document {}", document.url());
    }
    axum::serve(listener, app).await?;
    Ok(())
}
