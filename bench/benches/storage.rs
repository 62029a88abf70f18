//! Criterion micro-benchmarks of Enlace's storage.
//!
//! - `durable_changes`: changes per second made durable through
//!   `StorageWriter` (group commit) with 1, 16 and 256 concurrent appenders,
//!   next to this disk's raw fsync rate (write 128 bytes + `fdatasync`, in a
//!   loop, in the same directory). Criterion's "thrpt" is changes (or fsyncs)
//!   per second.
//! - `cold_open`: a workspace of 100,000 changes opened through the server's
//!   own path (`Storage::open` + `Hubs::get`, which loads snapshot and
//!   changes), stored uncompacted and compacted, against
//!   `automerge::Automerge::load` of the same document's saved bytes.
//!
//! `cargo bench -p enlace-bench --bench storage` (add `-- --quick` for a short run).

use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use automerge::Automerge;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use enlace_bench::fixtures::workspace_with_changes;
use enlace_server::hub::Hubs;
use enlace_server::limits::ConnectionLimits;
use enlace_server::storage::{Storage, StorageWriter, WorkspaceRecord};
use enlace_server::workspaces;
use enlace_shared::{DocumentId, PeerId};

/// A change about the size of one record edit in the UI.
fn small_change(actor: u32, seq: u64) -> Vec<u8> {
    let mut bytes = vec![0u8; 120];
    bytes[..4].copy_from_slice(&actor.to_le_bytes());
    bytes[4..12].copy_from_slice(&seq.to_le_bytes());
    bytes
}

fn runtime() -> tokio::runtime::Runtime {
    // Invariant: a benchmark without a runtime cannot run at all.
    #[allow(clippy::expect_used)]
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn durable_changes(criterion: &mut Criterion) {
    let runtime = runtime();
    #[allow(clippy::expect_used)]
    let directory = tempfile::tempdir().expect("tempdir");
    #[allow(clippy::expect_used)]
    let storage = Storage::open(directory.path()).expect("open storage");
    let document_id = DocumentId::from_bytes([7; 16]);
    let record = WorkspaceRecord {
        id: None,
        name: "bench".into(),
        created_at_ms: 0,
    };
    #[allow(clippy::expect_used)]
    storage
        .create_workspace(document_id, &record, &[])
        .expect("create workspace");
    let (writer, writer_thread) = StorageWriter::start(storage);

    let mut group = criterion.benchmark_group("durable_changes");
    group.throughput(Throughput::Elements(1));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    for appenders in [1usize, 16, 256] {
        group.bench_function(format!("group_commit_{appenders}_appenders"), |bencher| {
            bencher.iter_custom(|iterations| {
                let writer = writer.clone();
                runtime.block_on(async move {
                    let per_appender = iterations.div_ceil(appenders as u64);
                    let started = Instant::now();
                    let mut tasks = tokio::task::JoinSet::new();
                    for appender in 0..appenders {
                        let writer = writer.clone();
                        tasks.spawn(async move {
                            for seq in 0..per_appender {
                                let change = small_change(appender as u32, seq);
                                #[allow(clippy::expect_used)]
                                writer.append(document_id, vec![change]).await.expect("append");
                            }
                        });
                    }
                    while tasks.join_next().await.is_some() {}
                    // Report time per requested iteration, whatever rounding added.
                    started
                        .elapsed()
                        .mul_f64(iterations as f64 / (per_appender * appenders as u64) as f64)
                })
            });
        });
    }
    group.bench_function("raw_fsync_write_128B", |bencher| {
        #[allow(clippy::expect_used)]
        let mut file = std::fs::File::create(directory.path().join("fsync-probe")).expect("probe file");
        let block = [0x5au8; 128];
        bencher.iter(|| {
            #[allow(clippy::expect_used)]
            {
                file.write_all(&block).expect("write");
                file.sync_data().expect("fdatasync");
            }
        });
    });
    group.finish();
    drop(writer);
    let _ = writer_thread.join();
}

/// Stores `document` as a workspace: every change separately, or compacted.
fn store(directory: &Path, document: &Automerge, compacted: bool) -> DocumentId {
    let document_id = DocumentId::from_bytes([9; 16]);
    #[allow(clippy::expect_used)]
    let storage = Storage::open(directory).expect("open storage");
    #[allow(clippy::expect_used)]
    workspaces::store(&storage, document_id, "bench", 0, document).expect("store changes");
    if compacted {
        let changes = document.get_changes(&[]).len() as u64;
        #[allow(clippy::expect_used)]
        storage
            .compact(&document_id, &document.save(), changes)
            .expect("compact");
    }
    document_id
}

/// Opens the database and the document's hub the way the server does on first use.
async fn open_through_server(directory: &Path, document_id: DocumentId) {
    #[allow(clippy::expect_used)]
    let storage = Storage::open(directory).expect("open storage");
    let (writer, writer_thread) = StorageWriter::start(storage.clone());
    let hubs = Hubs::new(
        storage,
        writer,
        PeerId::new("bench"),
        ConnectionLimits::default().hub(),
    );
    #[allow(clippy::expect_used)]
    let hub = hubs
        .get(document_id)
        .await
        .expect("load")
        .expect("workspace exists");
    drop(hub);
    hubs.shut_down().await;
    drop(hubs);
    let _ = tokio::task::spawn_blocking(move || writer_thread.join()).await;
}

fn cold_open(criterion: &mut Criterion) {
    const CHANGES: usize = 100_000;
    let runtime = runtime();
    let document = workspace_with_changes(CHANGES);
    let saved = document.save();
    let uncompacted = tempfile::tempdir().expect("tempdir");
    let compacted = tempfile::tempdir().expect("tempdir");
    let uncompacted_id = store(uncompacted.path(), &document, false);
    let compacted_id = store(compacted.path(), &document, true);
    drop(document);

    let mut group = criterion.benchmark_group("cold_open_100k_changes");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("automerge_load_saved_bytes", |bencher| {
        bencher.iter(|| {
            #[allow(clippy::expect_used)]
            Automerge::load(&saved).expect("load")
        });
    });
    group.bench_function("enlace_open_compacted", |bencher| {
        bencher.iter(|| runtime.block_on(open_through_server(compacted.path(), compacted_id)));
    });
    group.bench_function("enlace_open_uncompacted", |bencher| {
        bencher.iter(|| runtime.block_on(open_through_server(uncompacted.path(), uncompacted_id)));
    });
    group.finish();
}

criterion_group!(benches, durable_changes, cold_open);
criterion_main!(benches);
