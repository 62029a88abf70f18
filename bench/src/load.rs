//! The load generator: N peers, one document, R edits per second each.
//!
//! Every peer is a real WebSocket client running the browser's
//! [`PeerSession`]. It creates its own organisation in `organisations`, then
//! sets that organisation's `country` to `"<peer>:<seq>:<unix ms>"` R times a
//! second, as a person editing a record in the UI would. Each peer's automerge
//! actor id starts with its index, so a receiver can tell from the metadata of
//! the changes it just applied whose organisation moved; it then reads that
//! field from its document. Because one writer's changes arrive in causal
//! order, seeing `seq` means every earlier edit of that writer has arrived
//! too; each of them gets a latency sample (arrival minus its send time).
//!
//! After the edit phase every peer keeps reading until it has seen every other
//! peer's last edit and the server has acknowledged its own, or until the
//! drain deadline; whatever is still missing then counts as lost.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use automerge::{ActorId, Automerge, ChangeHash, ObjId, ReadDoc as _, Value};
use enlace_shared::model::{self, Authorship};
use enlace_shared::protocol::Message;
use enlace_shared::records::{self, Initial};
use enlace_shared::schema::Collection;
use enlace_shared::sync::{Input, PeerSession, SessionEvent};
use enlace_shared::{DocumentId, PeerId, ids};
use futures_util::{SinkExt as _, StreamExt as _};
use serde::{Deserialize, Serialize};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::process::{self, ProcessSummary};
use crate::{micros_since, random_u64, unix_ms};

pub(crate) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The organisation field every edit sets.
const EDITED_FIELD: &str = "country";

/// What to run.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// `ws://127.0.0.1:<port>/<path>` of the sync endpoint.
    pub ws_url: String,
    pub document_id: DocumentId,
    pub peers: usize,
    /// Edits per second made by each peer.
    pub edits_per_second: f64,
    /// How long peers edit.
    pub duration: Duration,
    /// How long after the edit phase peers may still receive before what is
    /// missing counts as lost.
    pub drain_deadline: Duration,
    /// How long connecting and creating the organisations may take.
    pub setup_deadline: Duration,
    /// The server process to sample, if known.
    pub server_pid: Option<u32>,
    /// How many peers connect at once during setup.
    pub connect_concurrency: usize,
    /// Sent as `Authorization: Bearer` on the upgrade (Enlace requires one).
    pub bearer_token: Option<String>,
    /// If not empty, peer `i` presents `bearer_tokens[i % len]` instead, so
    /// that a fleet can stay under a per-person connection limit.
    pub bearer_tokens: Vec<String>,
}

impl LoadConfig {
    pub fn new(ws_url: impl Into<String>, document_id: DocumentId) -> Self {
        Self {
            ws_url: ws_url.into(),
            document_id,
            peers: 10,
            edits_per_second: 1.0,
            duration: Duration::from_secs(10),
            drain_deadline: Duration::from_secs(15),
            setup_deadline: Duration::from_secs(120),
            server_pid: None,
            connect_concurrency: 32,
            bearer_token: None,
            bearer_tokens: Vec::new(),
        }
    }
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Latency {
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
    pub samples: usize,
}

impl Latency {
    /// Percentiles of microsecond samples (sorts them).
    pub fn from_micros(samples: &mut [u32]) -> Self {
        if samples.is_empty() {
            return Self::default();
        }
        samples.sort_unstable();
        let at = |quantile: f64| {
            let rank = ((samples.len() as f64) * quantile).ceil() as usize;
            f64::from(samples[rank.clamp(1, samples.len()) - 1]) / 1000.0
        };
        let total: u64 = samples.iter().map(|&sample| u64::from(sample)).sum();
        Self {
            p50_ms: at(0.50),
            p90_ms: at(0.90),
            p99_ms: at(0.99),
            max_ms: at(1.0),
            mean_ms: total as f64 / samples.len() as f64 / 1000.0,
            samples: samples.len(),
        }
    }
}

/// What a run measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoadReport {
    pub peers: usize,
    pub edits_per_second_per_peer: f64,
    pub duration_s: f64,
    /// Edits made by all peers together.
    pub edits_sent: u64,
    /// Edits sent per second over the edit phase (the offered load actually achieved).
    pub edit_rate_achieved: f64,
    /// Every edit times every other peer.
    pub deliveries_expected: u64,
    pub deliveries: u64,
    /// Deliveries that had not happened by the drain deadline.
    pub deliveries_lost: u64,
    /// Edit-to-other-peer latency.
    pub latency: Latency,
    /// True when every peer ended with the same heads.
    pub converged: bool,
    /// How many distinct head sets the peers ended with (1 = converged).
    pub distinct_heads: usize,
    /// Seconds from the end of the edit phase until every peer had everything.
    pub drain_s: f64,
    pub setup_s: f64,
    pub peer_errors: Vec<String>,
    /// The server process while peers edited.
    pub server: Option<ProcessSummary>,
    /// This process (the generator) while peers edited: if it is near 100% per
    /// core, the generator, not the server, limited the run.
    pub generator: Option<ProcessSummary>,
}

impl LoadReport {
    /// One line for people.
    pub fn human_line(&self) -> String {
        let server = self.server.as_ref().map_or_else(String::new, |server| {
            format!(
                ", server cpu {:.0}% rss {:.0} MiB",
                server.cpu_percent_mean, server.rss_mib_max
            )
        });
        let generator = self.generator.as_ref().map_or_else(String::new, |generator| {
            format!(", generator cpu {:.0}%", generator.cpu_percent_mean)
        });
        format!(
            "{} peers x {} edits/s for {:.0} s: {} edits ({:.0}/s), p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms, \
             delivered {}/{}, lost {}, {}{server}{generator}",
            self.peers,
            self.edits_per_second_per_peer,
            self.duration_s,
            self.edits_sent,
            self.edit_rate_achieved,
            self.latency.p50_ms,
            self.latency.p99_ms,
            self.latency.max_ms,
            self.deliveries,
            self.deliveries_expected,
            self.deliveries_lost,
            if self.converged {
                "converged".to_owned()
            } else {
                format!("NOT converged ({} distinct heads)", self.distinct_heads)
            },
        )
    }
}

/// State shared by every peer of one run.
struct Shared {
    config: LoadConfig,
    /// Distinguishes this run's actors and records from any earlier run's.
    run_nonce: [u8; 12],
    /// The clock every send and receive time is measured on.
    epoch: Instant,
    /// Per writer: the send time (µs since `epoch`) of each edit, in order.
    sent_at: Vec<Mutex<Vec<u64>>>,
    /// When setup (connecting, syncing, creating organisations) must be over,
    /// for every peer at once.
    setup_deadline: tokio::time::Instant,
}

impl Shared {
    fn organisation_id(&self, peer: usize) -> String {
        let mut bytes = [0u8; 16];
        bytes[..4].copy_from_slice(&u32::try_from(peer).unwrap_or(u32::MAX).to_be_bytes());
        bytes[4..].copy_from_slice(&self.run_nonce[..12]);
        ids::record_id(bytes)
    }

    fn actor(&self, peer: usize) -> ActorId {
        let mut bytes = [0u8; 16];
        bytes[..4].copy_from_slice(&u32::try_from(peer).unwrap_or(u32::MAX).to_be_bytes());
        bytes[4..].copy_from_slice(&self.run_nonce);
        ActorId::from(bytes)
    }

    /// The writer index encoded in an actor id of this run.
    fn writer_of(&self, actor: &ActorId) -> Option<usize> {
        let bytes = actor.to_bytes();
        if bytes.len() != 16 || bytes[4..] != self.run_nonce {
            return None;
        }
        let index = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        usize::try_from(index)
            .ok()
            .filter(|&index| index < self.config.peers)
    }

    fn lock_sent(&self, writer: usize) -> std::sync::MutexGuard<'_, Vec<u64>> {
        // A poisoned lock means a peer task panicked mid-push; the vector is still valid.
        self.sent_at[writer]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The phases the coordinator announces to every peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Setup,
    /// Edit until `micros_since(epoch)` reaches the end.
    Edit {
        start_us: u64,
        end_us: u64,
    },
    /// Editing is over; the final counts are in `Shared::sent_at`.
    Drain,
    /// Stop reading and report.
    Stop,
}

/// What a peer tells the coordinator.
#[derive(Debug)]
enum PeerSignal {
    Ready,
    DoneEditing,
    Drained,
}

/// What a peer reports at the end.
#[derive(Debug, Default)]
struct PeerResult {
    latencies_us: Vec<u32>,
    /// Per writer: the highest edit seq seen.
    seen: Vec<u64>,
    heads: Vec<ChangeHash>,
    error: Option<String>,
}

/// Runs the scenario and reports.
pub async fn run(config: LoadConfig) -> anyhow::Result<LoadReport> {
    if config.peers < 2 {
        bail!("the load generator needs at least two peers");
    }
    let nonce = {
        let mut nonce = [0u8; 12];
        nonce[..8].copy_from_slice(&random_u64().to_le_bytes());
        nonce[8..].copy_from_slice(&random_u64().to_le_bytes()[..4]);
        nonce
    };
    let shared = Arc::new(Shared {
        sent_at: (0..config.peers).map(|_| Mutex::new(Vec::new())).collect(),
        config: config.clone(),
        run_nonce: nonce,
        epoch: Instant::now(),
        setup_deadline: tokio::time::Instant::now() + config.setup_deadline,
    });
    let (phase_sender, phase) = watch::channel(Phase::Setup);
    let (signal_sender, mut signals) = mpsc::unbounded_channel::<(usize, PeerSignal)>();
    let connect_permits = Arc::new(Semaphore::new(config.connect_concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..config.peers {
        let peer = Peer::new(index, shared.clone(), phase.clone(), signal_sender.clone());
        let permits = connect_permits.clone();
        tasks.spawn(async move { (index, peer.run(permits).await) });
    }
    drop(signal_sender);

    // Setup: every peer connected, synced and sees every organisation.
    let setup_started = Instant::now();
    let mut failed_early: Vec<(usize, PeerResult)> = Vec::new();
    let ready = wait_for(
        &mut signals,
        &mut tasks,
        &mut failed_early,
        config.peers,
        config.setup_deadline,
        |signal| matches!(signal, PeerSignal::Ready),
    )
    .await;
    if ready < config.peers {
        let _ = phase_sender.send(Phase::Stop);
        let mut errors: Vec<String> = failed_early
            .into_iter()
            .filter_map(|(_, result)| result.error)
            .collect();
        while let Some(joined) = tasks.join_next().await {
            if let Ok((_, result)) = joined
                && let Some(error) = result.error
            {
                errors.push(error);
            }
        }
        errors.truncate(5);
        bail!(
            "only {ready} of {} peers were ready within {:?}: {}",
            config.peers,
            config.setup_deadline,
            errors.join("; ")
        );
    }
    let setup_s = setup_started.elapsed().as_secs_f64();

    // Edit phase, with the server and this process sampled.
    let start_us = micros_since(shared.epoch) + 50_000;
    let end_us = start_us + u64::try_from(config.duration.as_micros()).unwrap_or(u64::MAX);
    let (stop_sampling, sampling_stopped) = watch::channel(false);
    let sample_interval = Duration::from_millis(250);
    let server_sampler = config.server_pid.map(|pid| {
        tokio::spawn(process::sample_until(
            pid,
            sample_interval,
            sampling_stopped.clone(),
        ))
    });
    let generator_sampler = tokio::spawn(process::sample_until(
        std::process::id(),
        sample_interval,
        sampling_stopped,
    ));
    let _ = phase_sender.send(Phase::Edit { start_us, end_us });
    let done_editing = wait_for(
        &mut signals,
        &mut tasks,
        &mut failed_early,
        config.peers,
        config.duration + config.drain_deadline,
        |signal| matches!(signal, PeerSignal::DoneEditing),
    )
    .await;
    let _ = stop_sampling.send(true);
    let edit_phase_s = (micros_since(shared.epoch).saturating_sub(start_us)) as f64 / 1e6;
    let server = match server_sampler {
        Some(handle) => handle.await.ok().flatten(),
        None => None,
    };
    let generator = generator_sampler.await.ok().flatten();

    // Drain: wait until every live peer has everything, or the deadline.
    let drain_started = Instant::now();
    let _ = phase_sender.send(Phase::Drain);
    let live = config.peers - failed_early.len();
    let _ = done_editing;
    wait_for(
        &mut signals,
        &mut tasks,
        &mut failed_early,
        live,
        config.drain_deadline,
        |signal| matches!(signal, PeerSignal::Drained),
    )
    .await;
    let drain_s = drain_started.elapsed().as_secs_f64();
    let _ = phase_sender.send(Phase::Stop);

    let mut results: Vec<(usize, PeerResult)> = failed_early;
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(result) => results.push(result),
            Err(error) => results.push((
                usize::MAX,
                PeerResult {
                    error: Some(format!("peer task failed: {error}")),
                    ..PeerResult::default()
                },
            )),
        }
    }
    Ok(summarise(
        &shared,
        results,
        setup_s,
        edit_phase_s,
        drain_s,
        server,
        generator,
    ))
}

/// Collects `wanted` signals of one kind (or fewer if peers end or time runs out).
async fn wait_for(
    signals: &mut mpsc::UnboundedReceiver<(usize, PeerSignal)>,
    tasks: &mut tokio::task::JoinSet<(usize, PeerResult)>,
    ended: &mut Vec<(usize, PeerResult)>,
    wanted: usize,
    deadline: Duration,
    matches: impl Fn(&PeerSignal) -> bool,
) -> usize {
    let deadline = tokio::time::Instant::now() + deadline;
    let mut count = 0;
    while count + ended.len() < wanted {
        tokio::select! {
            signal = signals.recv() => match signal {
                Some((_, signal)) if matches(&signal) => count += 1,
                Some(_) => {}
                None => break,
            },
            // A peer that ends early has failed; it will never signal.
            Some(joined) = tasks.join_next(), if !tasks.is_empty() => {
                if let Ok(result) = joined {
                    ended.push(result);
                }
            }
            () = tokio::time::sleep_until(deadline) => break,
        }
    }
    count
}

fn summarise(
    shared: &Shared,
    results: Vec<(usize, PeerResult)>,
    setup_s: f64,
    edit_phase_s: f64,
    drain_s: f64,
    server: Option<ProcessSummary>,
    generator: Option<ProcessSummary>,
) -> LoadReport {
    let config = &shared.config;
    let sent: Vec<u64> = (0..config.peers)
        .map(|writer| shared.lock_sent(writer).len() as u64)
        .collect();
    let edits_sent: u64 = sent.iter().sum();
    let deliveries_expected = edits_sent * (config.peers as u64 - 1);
    let mut latencies = Vec::new();
    let mut deliveries = 0u64;
    let mut heads = std::collections::BTreeSet::new();
    let mut peer_errors = Vec::new();
    let mut reported = vec![false; config.peers];
    for (index, mut result) in results {
        if let Some(error) = result.error.take() {
            peer_errors.push(format!("peer {index}: {error}"));
        }
        if let Some(slot) = reported.get_mut(index) {
            *slot = true;
        }
        for (writer, &seen) in result.seen.iter().enumerate() {
            if writer != index {
                deliveries += seen.min(sent[writer]);
            }
        }
        latencies.append(&mut result.latencies_us);
        let mut peer_heads = result.heads;
        peer_heads.sort();
        heads.insert(peer_heads);
    }
    let missing_peers = reported.iter().filter(|reported| !**reported).count();
    if missing_peers > 0 {
        peer_errors.push(format!("{missing_peers} peers did not report"));
    }
    LoadReport {
        peers: config.peers,
        edits_per_second_per_peer: config.edits_per_second,
        duration_s: config.duration.as_secs_f64(),
        edits_sent,
        edit_rate_achieved: if edit_phase_s > 0.0 {
            edits_sent as f64 / edit_phase_s
        } else {
            0.0
        },
        deliveries_expected,
        deliveries,
        deliveries_lost: deliveries_expected.saturating_sub(deliveries),
        latency: Latency::from_micros(&mut latencies),
        converged: heads.len() == 1 && peer_errors.is_empty(),
        distinct_heads: heads.len(),
        drain_s,
        setup_s,
        peer_errors,
        server,
        generator,
    }
}

/// One simulated person.
struct Peer {
    index: usize,
    shared: Arc<Shared>,
    phase: watch::Receiver<Phase>,
    signals: mpsc::UnboundedSender<(usize, PeerSignal)>,
    session: PeerSession,
    /// Per writer: the object id of their organisation, once seen.
    organisations: Vec<Option<ObjId>>,
    seen: Vec<u64>,
    latencies_us: Vec<u32>,
    edits_made: u64,
}

impl Peer {
    fn new(
        index: usize,
        shared: Arc<Shared>,
        phase: watch::Receiver<Phase>,
        signals: mpsc::UnboundedSender<(usize, PeerSignal)>,
    ) -> Self {
        let peers = shared.config.peers;
        let peer_id = PeerId::new(format!("enlace-load-{index}-{:016x}", random_u64()));
        Self {
            index,
            session: PeerSession::new(peer_id),
            organisations: vec![None; peers],
            seen: vec![0; peers],
            latencies_us: Vec::new(),
            edits_made: 0,
            shared,
            phase,
            signals,
        }
    }

    fn document_id(&self) -> DocumentId {
        self.shared.config.document_id
    }

    fn document(&self) -> Option<&Automerge> {
        self.session.document(&self.document_id())
    }

    async fn run(mut self, permits: Arc<Semaphore>) -> PeerResult {
        let outcome = self.run_inner(permits).await;
        PeerResult {
            latencies_us: std::mem::take(&mut self.latencies_us),
            heads: self.document().map(Automerge::get_heads).unwrap_or_default(),
            seen: std::mem::take(&mut self.seen),
            error: outcome.err().map(|error| format!("{error:#}")),
        }
    }

    async fn run_inner(&mut self, permits: Arc<Semaphore>) -> anyhow::Result<()> {
        let setup_deadline = self.shared.setup_deadline;
        let mut socket = tokio::time::timeout_at(setup_deadline, self.set_up(permits))
            .await
            .map_err(|_| anyhow!("setup did not finish in time"))??;
        let _ = self.signals.send((self.index, PeerSignal::Ready));
        self.edit_and_drain(&mut socket).await
    }

    /// Connects, syncs, creates this peer's organisation and waits for everyone's.
    async fn set_up(&mut self, permits: Arc<Semaphore>) -> anyhow::Result<Socket> {
        let mut socket = {
            let _permit = permits.acquire().await.context("connect permits closed")?;
            let config = &self.shared.config;
            let token = if config.bearer_tokens.is_empty() {
                config.bearer_token.as_deref()
            } else {
                config
                    .bearer_tokens
                    .get(self.index % config.bearer_tokens.len())
                    .map(String::as_str)
            };
            let mut socket = connect(&config.ws_url, token).await?;
            let output = self.session.handle(now_ms(), Input::Connected)?;
            send_all(&mut socket, output.send).await?;
            let document = Automerge::new().with_actor(self.shared.actor(self.index));
            let opened = self.session.open(self.document_id(), document);
            send_all(&mut socket, opened).await?;
            self.pump_until(&mut socket, |peer| {
                peer.session.is_in_sync(&peer.document_id())
                    && peer.document().and_then(organisations_map).is_some()
            })
            .await
            .context("the document did not sync")?;
            socket
        };
        self.create_organisation(&mut socket).await?;
        self.pump_until(&mut socket, |peer| {
            peer.session.is_in_sync(&peer.document_id()) && peer.organisations.iter().all(Option::is_some)
        })
        .await
        .context("not every organisation arrived")?;
        Ok(socket)
    }

    async fn edit_and_drain(&mut self, socket: &mut Socket) -> anyhow::Result<()> {
        // Wait for the edit phase, reading whatever arrives meanwhile.
        let (start_us, end_us) = loop {
            let phase = *self.phase.borrow_and_update();
            match phase {
                Phase::Edit { start_us, end_us } => break (start_us, end_us),
                Phase::Stop => return Ok(()),
                Phase::Setup | Phase::Drain => {}
            }
            tokio::select! {
                changed = self.phase.changed() => changed.context("coordinator gone")?,
                frame = socket.next() => self.receive(socket, frame).await?,
            }
        };

        // Spread the peers' ticks evenly over one period so edits do not arrive in bursts.
        let period_us = (1e6 / self.shared.config.edits_per_second.max(1e-3)) as u64;
        let offset_us = period_us * self.index as u64 / self.shared.config.peers as u64;
        let mut next_edit_us = start_us + offset_us;
        loop {
            let now_us = micros_since(self.shared.epoch);
            if now_us >= end_us {
                break;
            }
            if now_us >= next_edit_us {
                self.edit(socket).await?;
                next_edit_us += period_us;
                // Falling behind: skip rather than burst, the rate is what it is.
                if next_edit_us < now_us {
                    next_edit_us = now_us + period_us;
                }
                continue;
            }
            let wake = self.shared.epoch + Duration::from_micros(next_edit_us.min(end_us));
            tokio::select! {
                () = tokio::time::sleep_until(wake.into()) => {}
                frame = socket.next() => self.receive(socket, frame).await?,
            }
        }
        let _ = self.signals.send((self.index, PeerSignal::DoneEditing));

        // Drain: read until we have every other peer's last edit and ours are acknowledged.
        let mut drained = false;
        loop {
            let phase = *self.phase.borrow_and_update();
            if phase == Phase::Stop {
                return Ok(());
            }
            if phase == Phase::Drain && !drained && self.has_everything() {
                drained = true;
                let _ = self.signals.send((self.index, PeerSignal::Drained));
            }
            tokio::select! {
                changed = self.phase.changed() => if changed.is_err() { return Ok(()) },
                frame = socket.next() => self.receive(socket, frame).await?,
            }
        }
    }

    fn has_everything(&self) -> bool {
        self.session.is_in_sync(&self.document_id())
            && (0..self.shared.config.peers)
                .filter(|&writer| writer != self.index)
                .all(|writer| self.seen[writer] >= self.shared.lock_sent(writer).len() as u64)
    }

    async fn create_organisation(&mut self, socket: &mut Socket) -> anyhow::Result<()> {
        let organisation_id = self.shared.organisation_id(self.index);
        let fields = [
            ("name", Initial::Text(format!("Load peer {}", self.index))),
            ("kind", Initial::Text("embassy".to_owned())),
            (EDITED_FIELD, Initial::Text("MX".to_owned())),
        ];
        let author = format!("load-{}", self.index);
        let document_id = self.document_id();
        let document = self
            .session
            .document_mut(&document_id)
            .ok_or_else(|| anyhow!("document not open"))?;
        records::create_record(
            document,
            Collection::Organisations,
            &organisation_id,
            &fields,
            &Authorship {
                now_ms: unix_ms(),
                author: &author,
            },
        )?;
        self.refresh_organisations();
        let output = self.session.handle(now_ms(), Input::LocalChange(document_id))?;
        send_all(socket, output.send).await
    }

    async fn edit(&mut self, socket: &mut Socket) -> anyhow::Result<()> {
        let seq = self.edits_made + 1;
        let value = format!("{}:{seq}:{}", self.index, unix_ms());
        let organisation_id = self.shared.organisation_id(self.index);
        let author = format!("load-{}", self.index);
        let document_id = self.document_id();
        // Record the send time before the change exists, so no receiver can
        // see the edit before its send time is known.
        self.shared
            .lock_sent(self.index)
            .push(micros_since(self.shared.epoch));
        let document = self
            .session
            .document_mut(&document_id)
            .ok_or_else(|| anyhow!("document not open"))?;
        records::set_text(
            document,
            Collection::Organisations,
            &organisation_id,
            EDITED_FIELD,
            &value,
            &Authorship {
                now_ms: unix_ms(),
                author: &author,
            },
        )?;
        self.edits_made = seq;
        let output = self.session.handle(now_ms(), Input::LocalChange(document_id))?;
        send_all(socket, output.send).await
    }

    async fn pump_until(&mut self, socket: &mut Socket, done: impl Fn(&Self) -> bool) -> anyhow::Result<()> {
        let deadline = self.shared.setup_deadline;
        while !done(self) {
            let frame = tokio::time::timeout_at(deadline, socket.next())
                .await
                .map_err(|_| anyhow!("timed out"))?;
            self.receive(socket, frame).await?;
        }
        Ok(())
    }

    async fn receive(
        &mut self,
        socket: &mut Socket,
        frame: Option<Result<WsMessage, tokio_tungstenite::tungstenite::Error>>,
    ) -> anyhow::Result<()> {
        let frame = frame
            .ok_or_else(|| anyhow!("the server closed the connection"))?
            .context("transport error")?;
        let bytes = match frame {
            WsMessage::Binary(bytes) => bytes,
            WsMessage::Close(close) => bail!("the server closed the connection: {close:?}"),
            _ => return Ok(()),
        };
        let message = Message::decode(&bytes)?;
        let document_id = self.document_id();
        let before = self.document().map(Automerge::get_heads).unwrap_or_default();
        let output = self.session.handle(now_ms(), Input::Received(message))?;
        for event in &output.events {
            match event {
                SessionEvent::Rejected { reason, dropped, .. } => {
                    bail!("the server refused {dropped} changes: {reason}")
                }
                SessionEvent::ServerError(reason) => bail!("the server reported: {reason}"),
                SessionEvent::DocumentUnavailable(_) => bail!("the server does not have the document"),
                SessionEvent::Joined { .. } => {}
            }
        }
        if output.changed.contains(&document_id) {
            self.observe_changes(&before);
        }
        send_all(socket, output.send).await
    }

    /// Looks at the changes applied since `before` and records the edits they carry.
    fn observe_changes(&mut self, before: &[ChangeHash]) {
        let arrived_us = micros_since(self.shared.epoch);
        let Some(document) = self.session.document(&self.shared.config.document_id) else {
            return;
        };
        let mut writers: Vec<usize> = document
            .get_changes_meta(before)
            .iter()
            .filter_map(|change| self.shared.writer_of(&change.actor))
            .filter(|&writer| writer != self.index)
            .collect();
        writers.sort_unstable();
        writers.dedup();
        if writers.is_empty() {
            return;
        }
        if self.organisations.iter().any(Option::is_none) {
            self.refresh_organisations();
        }
        let Some(document) = self.session.document(&self.shared.config.document_id) else {
            return;
        };
        for writer in writers {
            let Some(record) = &self.organisations[writer] else {
                continue;
            };
            let Some(value) = model::read_string(document, record, EDITED_FIELD) else {
                continue;
            };
            let Some(seq) = parse_seq(&value) else {
                continue;
            };
            if seq <= self.seen[writer] {
                continue;
            }
            let sent = self.shared.lock_sent(writer);
            for edit in self.seen[writer] + 1..=seq {
                if let Some(&sent_us) = sent.get(usize::try_from(edit - 1).unwrap_or(usize::MAX)) {
                    let latency = arrived_us.saturating_sub(sent_us);
                    self.latencies_us.push(u32::try_from(latency).unwrap_or(u32::MAX));
                }
            }
            drop(sent);
            self.seen[writer] = seq;
        }
    }

    fn refresh_organisations(&mut self) {
        let Some(document) = self.session.document(&self.shared.config.document_id) else {
            return;
        };
        let Some(collection) = organisations_map(document) else {
            return;
        };
        for (writer, slot) in self.organisations.iter_mut().enumerate() {
            if slot.is_none()
                && let Ok(Some((Value::Object(_), record))) =
                    document.get(&collection, self.shared.organisation_id(writer))
            {
                *slot = Some(record);
            }
        }
    }
}

/// The workspace's `organisations` map, once the document has synced that far.
fn organisations_map(document: &Automerge) -> Option<ObjId> {
    match document.get(automerge::ROOT, Collection::Organisations.key()) {
        Ok(Some((Value::Object(_), collection))) => Some(collection),
        _ => None,
    }
}

/// The edit sequence number in `"<peer>:<seq>:<unix ms>"`; `None` for the
/// initial value or anything else.
fn parse_seq(value: &str) -> Option<u64> {
    value.split(':').nth(1)?.parse().ok()
}

fn now_ms() -> u64 {
    u64::try_from(unix_ms()).unwrap_or_default()
}

/// Opens the WebSocket, with a bearer token if one is given.
pub(crate) async fn connect(url: &str, bearer_token: Option<&str>) -> anyhow::Result<Socket> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
    let mut request = url.into_client_request().context("bad WebSocket url")?;
    if let Some(token) = bearer_token {
        request.headers_mut().insert(
            "Authorization",
            format!("Bearer {token}").parse().context("bad token")?,
        );
    }
    let (socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .context("cannot connect")?;
    Ok(socket)
}

async fn send_all(socket: &mut Socket, messages: Vec<Message>) -> anyhow::Result<()> {
    for message in messages {
        socket
            .feed(WsMessage::Binary(message.encode().into()))
            .await
            .context("cannot send")?;
    }
    socket.flush().await.context("cannot send")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_known_distribution() {
        let mut samples: Vec<u32> = (1..=100).map(|ms| ms * 1000).collect();
        let latency = Latency::from_micros(&mut samples);
        assert_eq!(latency.p50_ms, 50.0);
        assert_eq!(latency.p99_ms, 99.0);
        assert_eq!(latency.max_ms, 100.0);
    }

    #[test]
    fn edit_values_carry_their_sequence_number() {
        assert_eq!(parse_seq("3:17:1700000000000"), Some(17));
        assert_eq!(parse_seq("MX"), None);
    }
}
