//! `enlace-audit`: how long `enlace audit verify` takes on the export of a
//! workspace with many changes (see `enlace_bench::audit`), and how big the
//! file is.
//!
//! `cargo run -p enlace-bench --release --bin enlace-audit -- --changes 100000`

use clap::Parser;

#[derive(Debug, Parser)]
#[command(about = "Time the audit export and its verification on a synthetic workspace")]
struct Args {
    /// Changes in the workspace.
    #[arg(long, default_value_t = 100_000)]
    changes: usize,
    /// People making them (round-robin), each with one actor.
    #[arg(long, default_value_t = 20)]
    people: usize,
    /// How many times to verify the one export.
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let figures = enlace_bench::audit::run(args.changes, args.people.max(1), args.runs.max(1))?;
    let seconds = |duration: std::time::Duration| duration.as_secs_f64();
    let mut sorted = figures.verify_runs.clone();
    sorted.sort();
    #[allow(clippy::print_stdout)]
    {
        println!(
            "audit export of {} changes by {} people (prepared in {:.1} s)",
            figures.changes,
            figures.people,
            seconds(figures.prepare)
        );
        println!("  export: {:.2} s", seconds(figures.export));
        println!(
            "  file: {:.1} MB ({} bytes, {:.0} bytes per change)",
            figures.file_bytes as f64 / 1e6,
            figures.file_bytes,
            figures.file_bytes as f64 / figures.changes.max(1) as f64
        );
        let runs: Vec<String> = figures
            .verify_runs
            .iter()
            .map(|run| format!("{:.2}", seconds(*run)))
            .collect();
        println!(
            "  verify: median {:.2} s (runs: {} s)",
            seconds(sorted[sorted.len() / 2]),
            runs.join(", ")
        );
    }
    Ok(())
}
