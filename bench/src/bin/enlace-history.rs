//! `enlace-history`: the timeline's figures at 100,000 changes (see
//! `enlace_bench::history`), and with `--browser-runs N` the history in
//! headless Chromium on the same workspace (see
//! `enlace_bench::history_browser`; needs a release server embedding the
//! client bundle). `--out DIR` writes `history.md` and `history.json` there.

use std::path::PathBuf;

use clap::Parser;
use enlace_bench::history::{self, Shape, Spread};
use enlace_bench::history_browser::{self, HistoryBrowserRun, median};
use serde::Serialize;

#[derive(Debug, Parser)]
#[command(about = "The history's figures on a workspace with many changes")]
struct Args {
    /// Changes in the workspace.
    #[arg(long, default_value_t = 100_000)]
    changes: usize,
    /// Timed repetitions of each server read.
    #[arg(long, default_value_t = 100)]
    repetitions: usize,
    /// "View as of" and compare runs in Chromium (0: no browser figures).
    #[arg(long, default_value_t = 0)]
    browser_runs: usize,
    /// Where to write `history.md` and `history.json`.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Debug, Serialize)]
struct Read {
    read: &'static str,
    entries: usize,
    storage: Spread,
    http: Spread,
}

#[derive(Debug, Serialize)]
struct Figures {
    changes: usize,
    records: usize,
    people: usize,
    build_seconds: f64,
    entry_plain: Spread,
    entry_at_past_heads: Spread,
    reads: Vec<Read>,
    browser: Option<HistoryBrowserRun>,
    browser_error: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let shape = Shape {
        repetitions: args.repetitions.max(1),
        ..Shape::roundtable(args.changes)
    };
    let data = tempfile::Builder::new().prefix("enlace-history-").tempdir()?;
    let started = std::time::Instant::now();
    let built = history::build(data.path(), shape).await?;
    let build_seconds = started.elapsed().as_secs_f64();
    eprintln!("built {} changes in {build_seconds:.1} s", shape.changes);
    let (plain, past) = history::cost_per_change(&built.document, &built.record_id, 200)?;
    let storage = enlace_server::storage::Storage::open(data.path())?;
    let at_storage = history::storage_reads(
        &storage,
        built.document_id,
        &built.record_id,
        &built.person_id,
        shape.repetitions,
    )?;
    drop(storage);
    let served = history::serve(data.path()).await?;
    let over_http = history::http_reads(
        &served,
        built.document_id,
        &built.record_id,
        &built.person_id,
        shape.repetitions,
    )
    .await?;
    let (browser, browser_error) = if args.browser_runs > 0 {
        eprintln!("browser: signing in and syncing {} changes", shape.changes);
        match history_browser::measure(&served, &built, args.browser_runs).await {
            Ok(run) => (Some(run), None),
            Err(error) => {
                eprintln!("browser figures FAILED: {error:#}");
                (None, Some(format!("{error:#}")))
            }
        }
    } else {
        (None, None)
    };
    served.stop().await?;
    let figures = Figures {
        changes: shape.changes,
        records: shape.records,
        people: shape.people,
        build_seconds,
        entry_plain: plain,
        entry_at_past_heads: past,
        reads: at_storage
            .into_iter()
            .zip(over_http)
            .map(|((read, entries, storage), (_, http))| Read {
                read,
                entries,
                storage,
                http,
            })
            .collect(),
        browser,
        browser_error,
    };
    let report = markdown(&figures);
    if let Some(out) = &args.out {
        std::fs::create_dir_all(out)?;
        std::fs::write(out.join("history.md"), &report)?;
        std::fs::write(out.join("history.json"), serde_json::to_string_pretty(&figures)?)?;
        eprintln!("wrote {}", out.join("history.md").display());
    }
    #[allow(clippy::print_stdout)]
    {
        println!("{report}");
    }
    if figures.browser_error.is_some() {
        anyhow::bail!("the browser figures failed (the server figures are above)");
    }
    Ok(())
}

fn markdown(figures: &Figures) -> String {
    let mut report = format!(
        "# The history at {} changes ({} records, {} people)\n\n\
         Built in {:.1} s. Entry computed per change at commit: plain reads (the hub's usual path) \
         median {} µs, max {} µs; reads at past heads median {} µs, max {} µs.\n\n\
         | read | entries | storage median µs | storage max µs | HTTP median µs | HTTP max µs |\n\
         | --- | --- | --- | --- | --- | --- |\n",
        figures.changes,
        figures.records,
        figures.people,
        figures.build_seconds,
        figures.entry_plain.median_us,
        figures.entry_plain.max_us,
        figures.entry_at_past_heads.median_us,
        figures.entry_at_past_heads.max_us
    );
    for read in &figures.reads {
        report.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            read.read,
            read.entries,
            read.storage.median_us,
            read.storage.max_us,
            read.http.median_us,
            read.http.max_us
        ));
    }
    if let Some(run) = &figures.browser {
        let list = |values: Vec<f64>| {
            values
                .iter()
                .map(|value| format!("{value:.0}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let wall =
            |timed: &[history_browser::Timed]| timed.iter().map(|timed| timed.wall_ms).collect::<Vec<_>>();
        let page =
            |timed: &[history_browser::Timed]| timed.iter().map(|timed| timed.page_ms).collect::<Vec<_>>();
        report.push_str(&format!(
            "\n## In headless Chromium\n\n\
             Sign-in until the whole document is synced and the list shows its {} organisations: {:.0} ms.\n\n\
             | action | wall median ms | wall runs ms | in-page median ms | in-page runs ms |\n\
             | --- | --- | --- | --- | --- |\n\
             | view as of the middle (moment picker → banner, past snapshot drawn) | {:.0} | {} | {:.0} | {} |\n\
             | compare two moments (click → differences listed; in-page: the comparison) | {:.0} | {} | {:.0} | {} |\n",
            run.organisations,
            run.load_ms,
            median(wall(&run.as_of)),
            list(wall(&run.as_of)),
            median(page(&run.as_of)),
            list(page(&run.as_of)),
            median(wall(&run.compare)),
            list(wall(&run.compare)),
            median(page(&run.compare)),
            list(page(&run.compare)),
        ));
        if let Some(rows) = run.compare.first().and_then(|timed| timed.rows) {
            report.push_str(&format!("\nThe comparison listed {rows} records.\n"));
        }
    }
    if let Some(error) = &figures.browser_error {
        report.push_str(&format!("\nThe browser figures failed: {error}\n"));
    }
    report
}
