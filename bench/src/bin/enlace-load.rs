//! `enlace-load`: N peers editing one document over real WebSockets.
//!
//! Against Enlace: `enlace-load --server 127.0.0.1:PORT --pid PID`.
//! Against any automerge-repo server: `enlace-load --ws-url ws://127.0.0.1:PORT/
//! --document automerge:... --pid PID`. Prints one JSON object, then one line
//! for people on stderr. `--idle N` instead measures memory per idle connection.

use std::time::Duration;

use anyhow::{Context as _, anyhow};
use clap::Parser;
use enlace_bench::load::{self, LoadConfig};
use enlace_bench::{idle, servers};
use enlace_shared::DocumentId;
use enlace_shared::api::paths;

#[derive(Debug, Parser)]
#[command(about = "Load generator speaking the automerge-repo sync protocol v1")]
struct Args {
    /// An Enlace server's `host:port`: the WebSocket is `/sync` and the
    /// document is the first of `GET /api/workspaces`.
    #[arg(long, conflicts_with_all = ["ws_url", "document"])]
    server: Option<String>,
    /// The sync WebSocket of another server (with `--document`).
    #[arg(long, requires = "document")]
    ws_url: Option<String>,
    /// The `automerge:` URL of the document to edit (with `--ws-url`).
    #[arg(long)]
    document: Option<String>,
    /// Bearer token for the upgrade and the API (`enlace token create`).
    #[arg(long, env = "ENLACE_TOKEN")]
    token: Option<String>,
    /// Number of peers.
    #[arg(long, default_value_t = 10)]
    peers: usize,
    /// Edits per second per peer.
    #[arg(long, default_value_t = 1.0)]
    rate: f64,
    /// Seconds of editing.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Seconds after the edit phase before missing edits count as lost.
    #[arg(long, default_value_t = 15.0)]
    drain: f64,
    /// The server's process id, to sample its CPU and memory.
    #[arg(long)]
    pid: Option<u32>,
    /// Instead of editing, join this many idle peers and report memory per connection (needs `--pid`).
    #[arg(long, requires = "pid")]
    idle: Option<usize>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let loopback =
        |url: &str| url.contains("://127.0.0.1") || url.contains("://localhost") || url.contains("://[::1]");
    let (ws_url, document_id) = match (&args.server, &args.ws_url, &args.document) {
        (Some(address), _, _) => {
            let url = servers::first_workspace_url(address, args.token.as_deref()).await?;
            (format!("ws://{address}{}", paths::SYNC), parse_document(&url)?)
        }
        (None, Some(ws_url), Some(document)) => (ws_url.clone(), parse_document(document)?),
        _ => return Err(anyhow!("give --server, or --ws-url with --document")),
    };
    // The generator is a benchmark tool for this machine, not a load tester for others.
    if !loopback(&ws_url) {
        return Err(anyhow!("only loopback servers may be loaded: {ws_url}"));
    }
    if let (Some(peers), Some(pid)) = (args.idle, args.pid) {
        let report = idle::measure(&ws_url, args.token.as_deref(), document_id, peers, pid).await?;
        emit(&serde_json::to_string_pretty(&report)?, &report.human_line());
        return Ok(());
    }
    let config = LoadConfig {
        peers: args.peers,
        edits_per_second: args.rate,
        duration: Duration::from_secs_f64(args.duration),
        drain_deadline: Duration::from_secs_f64(args.drain),
        server_pid: args.pid,
        bearer_token: args.token.clone(),
        ..LoadConfig::new(ws_url, document_id)
    };
    let report = load::run(config).await?;
    emit(&serde_json::to_string_pretty(&report)?, &report.human_line());
    Ok(())
}

fn parse_document(url: &str) -> anyhow::Result<DocumentId> {
    DocumentId::parse(url)
        .map_err(|error| anyhow!("{error}"))
        .with_context(|| format!("bad document url {url}"))
}

#[allow(clippy::print_stdout)]
fn emit(json: &str, line: &str) {
    println!("{json}");
    eprintln!("{line}");
}
