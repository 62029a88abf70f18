//! `enlace-crash [--cycles N] [--peers N] [--limit-seconds S] [--seed S]`:
//! the crash suite (see `enlace_tests::crash`). Prints the figures and exits
//! non-zero if an acknowledged write was lost or a peer took longer than the
//! limit (default 5 s) to reconverge.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use enlace_tests::crash::{self, CrashOptions};

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("enlace-crash: {error}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("enlace-crash: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<bool> {
    let mut options = CrashOptions::default();
    let mut arguments = std::env::args().skip(1);
    while let Some(argument) = arguments.next() {
        let mut value = || {
            arguments
                .next()
                .with_context(|| format!("{argument} needs a value"))
        };
        match argument.as_str() {
            "--cycles" => options.cycles = value()?.parse().context("--cycles")?,
            "--peers" => options.peers = value()?.parse().context("--peers")?,
            "--limit-seconds" => {
                options.reconvergence_limit =
                    Duration::from_secs_f64(value()?.parse().context("--limit-seconds")?);
            }
            "--seed" => options.seed = value()?.parse().context("--seed")?,
            other => bail!(
                "unknown argument {other:?} (usage: enlace-crash [--cycles N] [--peers N] [--limit-seconds S] [--seed S])"
            ),
        }
    }
    eprintln!(
        "enlace-crash: {} cycles, {} peers, reconvergence limit {:?}, seed {}",
        options.cycles, options.peers, options.reconvergence_limit, options.seed
    );
    let scratch = tempfile::tempdir()?;
    let report = crash::run(&options, scratch.path()).await?;
    eprintln!("{}", report.summary());
    Ok(report.lost_writes == 0 && report.max_reconvergence() <= options.reconvergence_limit)
}
