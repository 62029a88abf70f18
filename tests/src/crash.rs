//! The crash suite: peers write continuously, the server is killed with
//! SIGKILL at a random moment and restarted on the same data directory.
//!
//! After each restart, and before any peer reconnects, a fresh client syncs
//! from the server: every write any peer had seen in the heads the server
//! announced must be there (an acknowledgement means "stored"). Then every
//! peer reconnects with its own document (unacknowledged writes included, as
//! a browser would) and the time until all of them are in sync with the
//! server and hold the same heads is the cycle's reconvergence time.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use automerge::{ChangeHash, ReadDoc as _};
use enlace_shared::api::WorkspaceSummary;
use enlace_shared::records;
use enlace_shared::schema::Collection;

use crate::{Credential, RustClient, ServerProcess};

/// What a crash run is asked to do.
#[derive(Debug, Clone)]
pub struct CrashOptions {
    pub cycles: usize,
    pub peers: usize,
    /// The server is killed at a random moment in this window after all
    /// peers are writing.
    pub kill_after: (Duration, Duration),
    /// How long a peer may take to reconnect and resync before the run fails.
    pub reconvergence_limit: Duration,
    /// Seeds the kill moments (the writes themselves race freely).
    pub seed: u64,
}

impl Default for CrashOptions {
    fn default() -> Self {
        Self {
            cycles: 50,
            peers: 20,
            kill_after: (Duration::from_millis(200), Duration::from_millis(2_000)),
            reconvergence_limit: Duration::from_secs(5),
            seed: crate::rand_u64(),
        }
    }
}

/// What a crash run found.
#[derive(Debug, Default, Clone)]
pub struct CrashReport {
    pub cycles: usize,
    /// Writes the peers saw acknowledged, over all cycles.
    pub acknowledged_writes: usize,
    /// Writes made, acknowledged or not.
    pub writes: usize,
    /// Writes not yet acknowledged when the server was killed (resent by
    /// their peers after the restart), over all cycles.
    pub in_flight_at_kill: usize,
    /// Acknowledged writes missing after a restart (must be 0).
    pub lost_writes: usize,
    /// Per cycle: from the peers' reconnecting (once the restarted server
    /// is up and checked) to every peer in sync with equal heads.
    pub reconvergence: Vec<Duration>,
    /// Per cycle: from starting the server again to its answering health checks.
    pub restart: Vec<Duration>,
}

impl CrashReport {
    pub fn max_reconvergence(&self) -> Duration {
        self.reconvergence.iter().copied().max().unwrap_or_default()
    }

    /// One line per figure, for the binary and for test output.
    pub fn summary(&self) -> String {
        format!(
            "cycles: {}\nwrites: {} ({} acknowledged, {} in flight at a kill)\nacknowledged writes lost: {}\nrestart: max {:.2} s\nreconvergence: max {:.2} s, per cycle [{}]",
            self.cycles,
            self.writes,
            self.acknowledged_writes,
            self.in_flight_at_kill,
            self.lost_writes,
            self.restart
                .iter()
                .max()
                .copied()
                .unwrap_or_default()
                .as_secs_f64(),
            self.max_reconvergence().as_secs_f64(),
            self.reconvergence
                .iter()
                .map(|took| format!("{:.2}", took.as_secs_f64()))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

/// One writing peer and what it knows about its writes.
struct Writer {
    client: RustClient,
    /// Each peer is its own person (the server caps connections per person).
    credential: Credential,
    record_id: String,
    /// Writes not yet seen in the server's announced heads.
    pending: Vec<ChangeHash>,
    /// Writes seen in the server's announced heads.
    acknowledged: Vec<ChangeHash>,
    writes: usize,
    counter: u64,
}

impl Writer {
    /// Moves pending writes that the announced heads cover to `acknowledged`.
    /// Conservative: a head this client does not have yet covers nothing.
    fn settle(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let announced = self.client.acknowledged_heads();
        if announced.is_empty() {
            return;
        }
        let document = self.client.document();
        let known: Vec<ChangeHash> = announced
            .into_iter()
            .filter(|head| document.get_change_by_hash(head).is_some())
            .collect();
        let beyond: HashSet<ChangeHash> = document
            .get_changes(&known)
            .iter()
            .map(automerge::Change::hash)
            .collect();
        let (acknowledged, pending): (Vec<ChangeHash>, Vec<ChangeHash>) = self
            .pending
            .iter()
            .partition(|hash| !beyond.contains(hash) && document.get_change_by_hash(hash).is_some());
        self.acknowledged.extend(acknowledged);
        self.pending = pending;
    }

    /// Writes until `stop`, or until the connection fails (the kill).
    async fn write_until(&mut self, stop: &AtomicBool) {
        while !stop.load(Ordering::Relaxed) {
            self.counter += 1;
            let value = format!("valor {}", self.counter);
            let id = self.record_id.clone();
            let sent = self
                .client
                .change(|document, authorship| {
                    records::set_text(
                        document,
                        Collection::Organisations,
                        &id,
                        "country",
                        &value,
                        authorship,
                    )
                })
                .await;
            if let Some(change) = self.client.document().get_last_local_change()
                && !self.pending.contains(&change.hash())
            {
                self.pending.push(change.hash());
                self.writes += 1;
            }
            let pumped = match sent {
                Ok(()) => self.client.pump_during(Duration::from_millis(15)).await,
                Err(error) => Err(error),
            };
            self.settle();
            if pumped.is_err() {
                return;
            }
        }
    }
}

/// Runs the crash suite on a fresh data directory under `scratch`.
pub async fn run(options: &CrashOptions, scratch: &Path) -> anyhow::Result<CrashReport> {
    let data_dir = scratch.join("crash-data");
    let mut server = ServerProcess::start(&data_dir).await?;
    let workspace = server.first_workspace().await?;
    let credential = server.admin();
    let mut writers = Vec::with_capacity(options.peers);
    for index in 0..options.peers {
        let (_, person) = server
            .add_person(
                &format!("crash-{index}@enlace.test"),
                &format!("Persona {index}"),
                "member",
            )
            .await?;
        let mut client = connect(&server, &workspace, index, &person).await?;
        let record_id = client
            .add_organisation(&format!("Organización {index}"), "ngo", "CL")
            .await?;
        writers.push(Writer {
            client,
            credential: person,
            record_id,
            pending: Vec::new(),
            acknowledged: Vec::new(),
            writes: 0,
            counter: 0,
        });
    }
    let mut rng = fastrand::Rng::with_seed(options.seed);
    let mut report = CrashReport::default();
    for cycle in 0..options.cycles {
        // Everyone writes; the server dies mid-stream.
        let stop = Arc::new(AtomicBool::new(false));
        let tasks: Vec<_> = writers
            .drain(..)
            .map(|mut writer| {
                let stop = stop.clone();
                tokio::spawn(async move {
                    writer.write_until(&stop).await;
                    writer
                })
            })
            .collect();
        let (low, high) = options.kill_after;
        let wait = Duration::from_millis(rng.u64(
            u64::try_from(low.as_millis()).unwrap_or(0)..=u64::try_from(high.as_millis()).unwrap_or(0).max(1),
        ));
        tokio::time::sleep(wait).await;
        server.kill_hard().await?;
        stop.store(true, Ordering::Relaxed);
        for task in tasks {
            writers.push(task.await.context("a writer panicked")?);
        }

        report.in_flight_at_kill += writers.iter().map(|writer| writer.pending.len()).sum::<usize>();

        // Restart on the same directory; check before anyone resends.
        let starting = Instant::now();
        server = ServerProcess::start(&data_dir).await?;
        report.restart.push(starting.elapsed());
        let checker = RustClient::connect_as(&server, &workspace, "crash-checker", &credential)
            .await
            .context("the restarted server did not sync a fresh client")?;
        let mut lost = Vec::new();
        for writer in &writers {
            for hash in &writer.acknowledged {
                if checker.document().get_change_by_hash(hash).is_none() {
                    lost.push(*hash);
                }
            }
        }
        report.lost_writes += lost.len();
        drop(checker);
        if !lost.is_empty() {
            eprintln!(
                "crash cycle {}: {} acknowledged writes missing after the restart: {:?}",
                cycle + 1,
                lost.len(),
                lost.iter().take(5).collect::<Vec<_>>()
            );
        }

        // Everyone reconnects with what they have and resyncs.
        let restarted = Instant::now();
        let limit = options.reconvergence_limit;
        let tasks: Vec<_> = writers
            .drain(..)
            .map(|mut writer| {
                let server_address = server.ws_url();
                tokio::spawn(async move {
                    let credential = writer.credential.clone();
                    let result = writer.client.reconnect(&server_address, &credential, limit).await;
                    writer.settle();
                    (writer, result)
                })
            })
            .collect();
        let mut failures = Vec::new();
        for task in tasks {
            let (writer, result) = task.await.context("a reconnecting peer panicked")?;
            if let Err(error) = result {
                failures.push(format!("{error:#}"));
            }
            writers.push(writer);
        }
        if !failures.is_empty() {
            bail!(
                "crash cycle {}: {} peers did not resync within {limit:?}: {}",
                cycle + 1,
                failures.len(),
                failures.join("; ")
            );
        }
        settle_all(&mut writers, limit.saturating_sub(restarted.elapsed()))
            .await
            .with_context(|| format!("crash cycle {}: peers did not converge", cycle + 1))?;
        report.reconvergence.push(restarted.elapsed());
        report.cycles += 1;
        eprintln!(
            "crash cycle {}/{}: killed after {} ms; {} writes acknowledged so far; reconverged in {:.2} s",
            cycle + 1,
            options.cycles,
            wait.as_millis(),
            writers
                .iter()
                .map(|writer| writer.acknowledged.len())
                .sum::<usize>(),
            restarted.elapsed().as_secs_f64()
        );
    }
    report.acknowledged_writes = writers.iter().map(|writer| writer.acknowledged.len()).sum();
    report.writes = writers.iter().map(|writer| writer.writes).sum();
    server.stop().await?;
    Ok(report)
}

/// Pumps every peer until all hold the same heads and are in sync (others'
/// resent changes reach each peer through the server).
async fn settle_all(writers: &mut [Writer], limit: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit.max(Duration::from_millis(500));
    loop {
        let mut heads: Vec<Vec<ChangeHash>> = writers
            .iter()
            .map(|writer| {
                let mut heads = writer.client.document().get_heads();
                heads.sort();
                heads
            })
            .collect();
        let all_in_sync = writers.iter().all(|writer| writer.client.is_in_sync());
        heads.dedup();
        if all_in_sync && heads.len() == 1 {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(anyhow!(
                "{} different heads among the peers, {} not in sync",
                heads.len(),
                writers
                    .iter()
                    .filter(|writer| !writer.client.is_in_sync())
                    .count()
            ));
        }
        for writer in writers.iter_mut() {
            writer.client.pump_during(Duration::from_millis(5)).await?;
            writer.settle();
        }
    }
}

async fn connect(
    server: &ServerProcess,
    workspace: &WorkspaceSummary,
    index: usize,
    credential: &Credential,
) -> anyhow::Result<RustClient> {
    RustClient::connect_as(server, workspace, &format!("crash-peer-{index}"), credential).await
}
