//! `enlace-load-modes`: how long `Automerge::load` takes natively on the
//! offline benchmark's workspace (`--changes` changes, new names padded
//! with `--padding` characters, built as `enlace-offline` builds it), and
//! whether another way of loading it would be cheaper: without verifying
//! the heads, from an uncompressed save, or change by change in slices
//! (what a page would do to stay responsive). Prints a Markdown table.
//! Figures only; nothing here asserts a time.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use automerge::{Automerge, Change, LoadOptions, VerificationMode};
use clap::Parser;
use enlace_bench::history;

#[derive(Debug, Parser)]
#[command(about = "Automerge::load and its alternatives on the offline benchmark's workspace")]
struct Args {
    /// Changes in the workspace.
    #[arg(long, default_value_t = 100_000)]
    changes: usize,
    /// Characters of filler in every new name (130: about 10 MB).
    #[arg(long, default_value_t = 130)]
    padding: usize,
    /// Timed repetitions of each way of loading.
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

fn millis(duration: Duration) -> String {
    format!("{:.0}", duration.as_secs_f64() * 1000.0)
}

/// Median and slowest of `runs` timings of `load`.
fn timed(runs: usize, mut load: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<(Duration, Duration)> {
    let mut samples = Vec::new();
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        load()?;
        samples.push(started.elapsed());
    }
    samples.sort_unstable();
    Ok((samples[samples.len() / 2], samples[samples.len() - 1]))
}

/// Applies `changes` to an empty document in `slices` slices; the total
/// and the slowest slice.
fn sliced(changes: &[Change], slices: usize) -> anyhow::Result<(Duration, Duration)> {
    let mut document = Automerge::new();
    let per_slice = changes.len().div_ceil(slices.max(1)).max(1);
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    for slice in changes.chunks(per_slice) {
        let slice_started = Instant::now();
        document.apply_changes(slice.iter().cloned())?;
        slowest = slowest.max(slice_started.elapsed());
    }
    Ok((started.elapsed(), slowest))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let (_data, built) = history::build_padded("enlace-load-modes-", args.changes, args.padding).await?;
    let saved = built.document.save();
    let uncompressed = built.document.save_nocompress();
    let changes: Vec<Change> = built.document.get_changes(&[]);
    let mut report = String::new();
    writeln!(
        report,
        "# Loading the offline benchmark's workspace natively\n\n{} changes built ({} in the document), \
         new names padded with {} characters; saved {:.1} MB, uncompressed {:.1} MB; {} runs each.\n",
        args.changes,
        changes.len(),
        args.padding,
        saved.len() as f64 / 1e6,
        uncompressed.len() as f64 / 1e6,
        args.runs,
    )?;
    writeln!(
        report,
        "| way of loading | median ms | slowest ms |\n| --- | ---: | ---: |"
    )?;
    let ways = [
        (
            "`Automerge::load` (as the page does)",
            &saved,
            VerificationMode::Check,
        ),
        ("without verifying the heads", &saved, VerificationMode::DontCheck),
        (
            "from the uncompressed save",
            &uncompressed,
            VerificationMode::Check,
        ),
        ("both", &uncompressed, VerificationMode::DontCheck),
    ];
    for (label, bytes, heads) in ways {
        let (median, slowest) = timed(args.runs, || {
            Automerge::load_with_options(bytes, LoadOptions::new().verification_mode(heads))
                .map(drop)
                .map_err(Into::into)
        })?;
        writeln!(report, "| {label} | {} | {} |", millis(median), millis(slowest))?;
    }
    writeln!(
        report,
        "\n| applied change by change in | total ms | slowest slice ms |\n| --- | ---: | ---: |"
    )?;
    for slices in [10, 50] {
        let (total, slowest) = sliced(&changes, slices)?;
        writeln!(
            report,
            "| {slices} slices | {} | {} |",
            millis(total),
            millis(slowest)
        )?;
    }
    #[allow(clippy::print_stdout)]
    {
        println!("{report}");
    }
    Ok(())
}
