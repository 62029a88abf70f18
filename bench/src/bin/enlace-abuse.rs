//! `enlace-abuse`: honest peers' latency and the server's peak memory while
//! one attacker runs each attack in turn (see `enlace_bench::abuse`); writes
//! `abuse.json` and `abuse.md` into `--out`.
//!
//! `cargo run -p enlace-bench --release --bin enlace-abuse -- --attacks ephemeral-flood`

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use enlace_bench::abuse::{self, AbuseConfig, Attack, AttackParams};

#[derive(Debug, Parser)]
#[command(about = "Honest peers' latency under each attack, against a run without abuse")]
struct Args {
    /// Honest editing peers.
    #[arg(long, default_value_t = 20)]
    peers: usize,
    /// Edits per second per honest peer.
    #[arg(long, default_value_t = 2.0)]
    rate: f64,
    /// Seconds of editing per scenario.
    #[arg(long, default_value_t = 15.0)]
    duration: f64,
    /// Which attacks (default: all).
    #[arg(long, value_enum, value_delimiter = ',')]
    attacks: Vec<Attack>,
    #[command(flatten)]
    params: AttackParams,
    /// An extra `enlace serve` argument (repeat for several), e.g. a limit to try.
    #[arg(long = "server-arg", allow_hyphen_values = true)]
    server_args: Vec<String>,
    /// Where abuse.json and abuse.md go.
    #[arg(long, default_value = "target/bench")]
    out: PathBuf,
}

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    let outcome = runtime.block_on(run(Args::parse()));
    // An attacker still building a payload must not keep the process alive.
    runtime.shutdown_timeout(Duration::from_secs(1));
    outcome
}

async fn run(args: Args) -> anyhow::Result<()> {
    let config = AbuseConfig {
        honest_peers: args.peers,
        edits_per_second: args.rate,
        duration: Duration::from_secs_f64(args.duration),
        attacks: if args.attacks.is_empty() {
            Attack::ALL.to_vec()
        } else {
            args.attacks
        },
        params: args.params,
        server_args: args.server_args,
    };
    let results = abuse::run(&config, &|line| eprintln!("{line}")).await?;
    let path = abuse::write_reports(&args.out, &config, &results)?;
    eprintln!("enlace-abuse: {}", path.display());
    Ok(())
}
