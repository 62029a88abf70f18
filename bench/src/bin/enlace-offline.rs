//! `enlace-offline`: the local copy's figures in headless Chromium (issue
//! 14; see `enlace_bench::offline_browser`) on a workspace of `--changes`
//! changes (built as `enlace-history` builds its own). Needs a release
//! server embedding the client bundle (`ENLACE_BIN`); `--out DIR` writes
//! `offline.md` and `offline.json` there.

use std::path::PathBuf;

use clap::Parser;
use enlace_bench::history;
use enlace_bench::offline_browser;

#[derive(Debug, Parser)]
#[command(about = "The local copy's figures in headless Chromium")]
struct Args {
    /// Changes in the workspace.
    #[arg(long, default_value_t = 100_000)]
    changes: usize,
    /// Characters of filler in every new name (sizes the workspace: 130
    /// with 100,000 changes makes about 10 MB; 400 about 30 MB).
    #[arg(long, default_value_t = 130)]
    padding: usize,
    /// Openings with the network off.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Edits persisted.
    #[arg(long, default_value_t = 20)]
    edits: usize,
    /// Where to write `offline.md` and `offline.json`.
    #[arg(long, default_value = "target/bench")]
    out: PathBuf,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let (data, built) = history::build_padded("enlace-offline-", args.changes, args.padding).await?;
    let saved_bytes = built.document.save().len();
    eprintln!("built {} changes, {saved_bytes} bytes saved", args.changes);
    let served = history::serve(data.path()).await?;
    let run = offline_browser::measure(&served, &built, args.runs.max(1), args.edits.max(1)).await;
    served.stop().await?;
    let run = run?;
    let markdown = offline_browser::markdown(&run, args.changes, args.padding, saved_bytes);
    std::fs::create_dir_all(&args.out)?;
    std::fs::write(args.out.join("offline.md"), &markdown)?;
    std::fs::write(args.out.join("offline.json"), serde_json::to_string_pretty(&run)?)?;
    eprintln!("{markdown}");
    Ok(())
}
