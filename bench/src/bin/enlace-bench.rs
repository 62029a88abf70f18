//! `enlace-bench`: the same fleet against Enlace, the automerge-repo sync
//! server (Node) and a samod server, one after the other on this machine;
//! writes `target/bench/results.json` and `target/bench/results.md`.
//!
//! `cargo run -p enlace-bench --release --bin enlace-bench -- --quick`

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use enlace_bench::matrix::{self, MatrixConfig};
use enlace_bench::servers::{self, ServerKind};
use enlace_bench::{browser, storage_figures};

#[derive(Debug, Parser)]
#[command(about = "Side-by-side benchmark: Enlace, automerge-repo (Node), samod")]
struct Args {
    /// A shorter run (seconds per scenario instead of half a minute).
    #[arg(long)]
    quick: bool,
    /// Which servers (default: all three).
    #[arg(long, value_enum, value_delimiter = ',')]
    servers: Vec<ServerKind>,
    /// Peer counts of the matrix.
    #[arg(long, value_delimiter = ',')]
    peers: Vec<usize>,
    /// Edits per second per peer in the matrix.
    #[arg(long, value_delimiter = ',')]
    rates: Vec<f64>,
    /// Seconds of editing per scenario (overrides the mode's default).
    #[arg(long)]
    duration: Option<f64>,
    /// Peers for the sustained-rate search (0 skips it).
    #[arg(long)]
    search_peers: Option<usize>,
    /// Idle peers for memory per connection (0 skips it).
    #[arg(long)]
    idle_peers: Option<usize>,
    /// Only re-render results.md from an existing results.json.
    #[arg(long)]
    render: Option<PathBuf>,
    /// Where results.json and results.md go.
    #[arg(long)]
    out: Option<PathBuf>,
    /// The client bundle the Enlace binary embeds: measure the browser
    /// figures (bundle size, interactive directory, remote edit to repaint).
    #[arg(long)]
    client_dist: Option<PathBuf>,
    /// Browser runs, each on a fresh server.
    #[arg(long, default_value_t = 3)]
    browser_runs: usize,
    /// Only probe the disk: this many write + fdatasync rounds, then exit.
    #[arg(long)]
    fsync_probe: Option<usize>,
    /// A Criterion output directory (`<target>/criterion`) holding the
    /// storage benchmarks' results, to carry into the report.
    #[arg(long)]
    criterion: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut config = if args.quick {
        MatrixConfig::quick()
    } else {
        MatrixConfig::full()
    };
    if !args.servers.is_empty() {
        config.servers = args.servers.clone();
    }
    if !args.peers.is_empty() {
        config.peers = args.peers.clone();
    }
    if !args.rates.is_empty() {
        config.rates = args.rates.clone();
    }
    if let Some(seconds) = args.duration {
        config.duration = Duration::from_secs_f64(seconds);
    }
    if let Some(peers) = args.search_peers {
        config.search_peers = peers;
    }
    if let Some(peers) = args.idle_peers {
        config.idle_peers = peers;
    }
    if let Some(syncs) = args.fsync_probe {
        let probe = enlace_bench::disk::probe(syncs.max(1))?;
        eprintln!("{}", serde_json::to_string_pretty(&probe)?);
        return Ok(());
    }
    if let Some(json_path) = &args.render {
        let results: matrix::Results = serde_json::from_slice(&std::fs::read(json_path)?)?;
        let markdown_path = json_path.with_file_name("results.md");
        std::fs::write(&markdown_path, matrix::markdown(&results))?;
        eprintln!("wrote {}", markdown_path.display());
        return Ok(());
    }
    let out = args
        .out
        .unwrap_or_else(|| servers::workspace_root().join("target").join("bench"));
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    // Build or install everything before the clock starts.
    if config.servers.contains(&ServerKind::Enlace) {
        servers::enlace_binary()?;
    }
    if config.servers.contains(&ServerKind::Samod) {
        servers::samod_binary()?;
    }
    if config.servers.contains(&ServerKind::AutomergeRepo) {
        servers::ensure_node_packages()?;
    }
    let mode = if args.quick { "quick" } else { "full" };
    let json_path = out.join("results.json");
    let markdown_path = out.join("results.md");
    let write = |results: &matrix::Results| -> anyhow::Result<()> {
        std::fs::write(&json_path, serde_json::to_string_pretty(results)?)?;
        std::fs::write(&markdown_path, matrix::markdown(results))?;
        Ok(())
    };
    let mut results = matrix::run(
        &config,
        mode,
        |line| eprintln!("{line}"),
        |results| {
            if let Err(error) = write(results) {
                eprintln!("cannot write results: {error:#}");
            }
        },
    )
    .await;
    if let Some(dist) = &args.client_dist {
        match browser::measure(dist, args.browser_runs.max(1), &|line| eprintln!("{line}")).await {
            Ok(figures) => results.browser = Some(figures),
            Err(error) => results.missing.push(format!("browser figures: {error:#}")),
        }
        write(&results)?;
    }
    if let Some(criterion) = &args.criterion {
        match storage_figures::import(criterion) {
            Ok(figures) => results.storage = Some(figures),
            Err(error) => results.missing.push(format!("storage figures: {error:#}")),
        }
    }
    write(&results)?;
    let markdown = matrix::markdown(&results);
    eprintln!("\n{markdown}");
    eprintln!("wrote {} and {}", json_path.display(), markdown_path.display());
    Ok(())
}
