//! `enlace-history`: the timeline's figures at 100,000 changes (see
//! `enlace_bench::history`). `--changes N` builds a shorter history.

use enlace_bench::history::{self, Shape};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let arguments: Vec<String> = std::env::args().collect();
    let changes = arguments
        .iter()
        .position(|argument| argument == "--changes")
        .and_then(|index| arguments.get(index + 1))
        .map_or(Ok(100_000), |value| value.parse())?;
    let shape = Shape {
        changes,
        records: 500,
        people: 8,
        repetitions: 100,
    };
    let data = tempfile::Builder::new().prefix("enlace-history-").tempdir()?;
    let started = std::time::Instant::now();
    let (document_id, document, record_id, person_id) = history::build(data.path(), shape).await?;
    eprintln!("built {changes} changes in {:.1?}", started.elapsed());
    let (plain, past) = history::cost_per_change(&document, &record_id, 200)?;
    drop(document);
    let storage = enlace_server::storage::Storage::open(data.path())?;
    let at_storage =
        history::storage_reads(&storage, document_id, &record_id, &person_id, shape.repetitions)?;
    drop(storage);
    let over_http = history::http_reads(
        data.path(),
        document_id,
        &record_id,
        &person_id,
        shape.repetitions,
    )
    .await?;
    let mut report = format!(
        "# The timeline at {changes} changes ({} records, {} people)\n\n\
         Entry computed per change at commit: plain reads (the hub's usual path) median {} µs, max {} µs; \
         reads at past heads median {} µs, max {} µs.\n\n\
         | read | entries | storage median µs | storage max µs | HTTP median µs | HTTP max µs |\n\
         | --- | --- | --- | --- | --- | --- |\n",
        shape.records, shape.people, plain.median_us, plain.max_us, past.median_us, past.max_us
    );
    for ((label, found, storage), (_, http)) in at_storage.iter().zip(&over_http) {
        report.push_str(&format!(
            "| {label} | {found} | {} | {} | {} | {} |\n",
            storage.median_us, storage.max_us, http.median_us, http.max_us
        ));
    }
    #[allow(clippy::print_stdout)]
    {
        println!("{report}");
    }
    Ok(())
}
