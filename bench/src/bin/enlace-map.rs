//! `enlace-map`: the network map's figures in headless Chromium (issue 13;
//! see `enlace_bench::map_browser`). Needs a release server embedding the
//! client bundle (`ENLACE_BIN`); `--out DIR` writes
//! `map.md` and `map.json` there, and the map's picture as `map-800.png`.

use std::path::PathBuf;

use clap::Parser;
use enlace_bench::map_browser;

#[derive(Debug, Parser)]
#[command(about = "The network map's figures in headless Chromium")]
struct Args {
    /// Runs of each figure (first render, two remote changes, drag).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Where to write `map.md`, `map.json` and `map-800.png`.
    #[arg(long, default_value = "target/bench")]
    out: PathBuf,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    std::fs::create_dir_all(&args.out)?;
    let data = tempfile::Builder::new().prefix("enlace-map-").tempdir()?;
    let run = map_browser::measure(data.path(), args.runs.max(1), &args.out.join("map-800.png")).await?;
    let markdown = map_browser::markdown(&run);
    std::fs::write(args.out.join("map.md"), &markdown)?;
    std::fs::write(args.out.join("map.json"), serde_json::to_string_pretty(&run)?)?;
    eprintln!("{markdown}");
    Ok(())
}
