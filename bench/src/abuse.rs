//! The abuse run: honest peers edit (the [`crate::load`] fleet) while one
//! attacker runs one attack; each attack gets a fresh server, and a run
//! without any attack is the baseline.
//!
//! Per attack the report gives the honest peers' edit-to-seen latency (p50,
//! p99), lost deliveries, the server's peak resident memory (`VmHWM` from
//! `/proc/<pid>/status`, read just before it is stopped) and whether the
//! server was still alive at the end. A server that dies is reported as such:
//! the load generator's own deadlines end the run, and the whole scenario has
//! an outer timeout.
//!
//! The attacker signs in as its own member (or observer) account, never as
//! the honest peers' account. Every attack's strength is a field of
//! [`AttackParams`], so the run can be repeated with other figures once the
//! server's limits change.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use automerge::sync::{self, SyncDoc as _};
use automerge::transaction::{CommitOptions, Transactable as _};
use automerge::{Automerge, ObjType, ROOT, ReadDoc as _};
use enlace_shared::api::paths;
use enlace_shared::protocol::{Message, PROTOCOL_VERSION, PeerMetadata};
use enlace_shared::{DocumentId, PeerId};
use futures_util::{SinkExt as _, StreamExt as _};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::load::{self, LoadConfig, LoadReport, Socket};
use crate::servers::{self, Account};

/// Every attack the run knows, in the order it runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Attack {
    /// A change whose compressed columns inflate to `bomb_bytes`.
    DeflateBomb,
    /// Presence messages of `ephemeral_bytes` as fast as the socket takes them.
    EphemeralFlood,
    /// `stalled_connections` connections that join, ask for the document and
    /// never read again.
    StopsReading,
    /// A member deletes and replaces other people's records at the
    /// collection level.
    DeleteRecords,
    /// An observer sends changes without operations.
    ObserverEmptyChanges,
    /// Changes whose dependency is never sent.
    MissingDependencies,
    /// One change with `operations` operations.
    ManyOperations,
    /// An observer retries a refused edit without pause.
    RefusedRetries,
    /// Frames of `oversized_frame_bytes`.
    OversizedFrames,
    /// `connections_per_person` sync connections for one person.
    ManyConnections,
    /// `login_concurrency` wrong-password sign-ins at once, continuously.
    ParallelLogins,
    /// A sync message whose bloom filter has entries but no bits (found by
    /// the fuzzer: automerge divides by its size when answering).
    EmptyBloom,
    /// A sync message whose bloom filter asks for `bloom_probes` probes per
    /// hash (automerge allocates and computes that many for every hash it
    /// checks against the filter).
    BloomProbes,
}

impl Attack {
    pub const ALL: [Self; 13] = [
        Self::DeflateBomb,
        Self::EphemeralFlood,
        Self::StopsReading,
        Self::DeleteRecords,
        Self::ObserverEmptyChanges,
        Self::MissingDependencies,
        Self::ManyOperations,
        Self::RefusedRetries,
        Self::OversizedFrames,
        Self::ManyConnections,
        Self::ParallelLogins,
        Self::EmptyBloom,
        Self::BloomProbes,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::DeflateBomb => "deflate bomb change",
            Self::EphemeralFlood => "ephemeral flood",
            Self::StopsReading => "connection that stops reading",
            Self::DeleteRecords => "delete/replace others' records",
            Self::ObserverEmptyChanges => "observer empty changes",
            Self::MissingDependencies => "changes with missing dependencies",
            Self::ManyOperations => "one change, many operations",
            Self::RefusedRetries => "repeated refused retries",
            Self::OversizedFrames => "oversized frames",
            Self::ManyConnections => "many connections for one person",
            Self::ParallelLogins => "parallel wrong-password logins",
            Self::EmptyBloom => "bloom filter without bits",
            Self::BloomProbes => "bloom filter with huge probe count",
        }
    }
}

/// How hard each attack pushes.
#[derive(Debug, Clone, Serialize, Deserialize, clap::Args)]
pub struct AttackParams {
    /// Inflated size of the deflate bomb's change.
    #[arg(long, default_value_t = 64 << 20)]
    pub bomb_bytes: usize,
    /// Size of each flooded presence message.
    #[arg(long, default_value_t = 16 << 10)]
    pub ephemeral_bytes: usize,
    #[arg(long, default_value_t = 4)]
    pub stalled_connections: usize,
    /// Operations of the one big change.
    #[arg(long, default_value_t = 200_000)]
    pub operations: usize,
    #[arg(long, default_value_t = 32 << 20)]
    pub oversized_frame_bytes: usize,
    #[arg(long, default_value_t = 200)]
    pub connections_per_person: usize,
    #[arg(long, default_value_t = 16)]
    pub login_concurrency: usize,
    /// Probes per hash of the crafted bloom filter.
    #[arg(long, default_value_t = u32::MAX)]
    pub bloom_probes: u32,
}

impl Default for AttackParams {
    fn default() -> Self {
        Self {
            bomb_bytes: 64 << 20,
            ephemeral_bytes: 16 << 10,
            stalled_connections: 4,
            operations: 200_000,
            oversized_frame_bytes: 32 << 20,
            connections_per_person: 200,
            login_concurrency: 16,
            bloom_probes: u32::MAX,
        }
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub struct AbuseConfig {
    pub honest_peers: usize,
    pub edits_per_second: f64,
    /// How long the honest peers edit (the attack runs meanwhile).
    pub duration: Duration,
    pub attacks: Vec<Attack>,
    pub params: AttackParams,
    /// Extra `enlace serve` arguments (e.g. limits to try).
    pub server_args: Vec<String>,
}

/// One scenario's figures.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AbuseResult {
    /// `None` for the baseline.
    pub attack: Option<Attack>,
    pub label: String,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub deliveries_lost: u64,
    pub converged: bool,
    /// `VmHWM` of the server process, MiB.
    pub server_peak_rss_mib: Option<f64>,
    pub server_alive: bool,
    /// What the attacker got done (frames sent, how it ended).
    pub attacker: String,
    /// Why the honest run failed, if it did.
    pub error: Option<String>,
}

/// Runs the baseline and every attack, one fresh server each.
pub async fn run(config: &AbuseConfig, progress: &impl Fn(&str)) -> anyhow::Result<Vec<AbuseResult>> {
    let mut results = Vec::new();
    let mut scenarios: Vec<Option<Attack>> = vec![None];
    scenarios.extend(config.attacks.iter().copied().map(Some));
    for attack in scenarios {
        let label = attack.map_or("no attack (baseline)", Attack::label);
        progress(&format!("abuse: {label}"));
        let outer = config.duration + Duration::from_secs(150);
        let result = match tokio::time::timeout(outer, scenario(config, attack)).await {
            Ok(Ok(result)) => result,
            Ok(Err(error)) => failed(attack, format!("{error:#}")),
            Err(_) => failed(attack, format!("the scenario did not end within {outer:?}")),
        };
        progress(&format!("  {}", line(&result)));
        results.push(result);
    }
    Ok(results)
}

fn failed(attack: Option<Attack>, error: String) -> AbuseResult {
    AbuseResult {
        attack,
        label: attack.map_or("no attack (baseline)", Attack::label).to_owned(),
        p50_ms: 0.0,
        p99_ms: 0.0,
        deliveries_lost: 0,
        converged: false,
        server_peak_rss_mib: None,
        server_alive: false,
        attacker: String::new(),
        error: Some(error),
    }
}

/// One line for people.
pub fn line(result: &AbuseResult) -> String {
    format!(
        "{}: p50 {:.1} ms, p99 {:.1} ms, lost {}, {}, peak RSS {}, server {}; attacker: {}{}",
        result.label,
        result.p50_ms,
        result.p99_ms,
        result.deliveries_lost,
        if result.converged {
            "converged"
        } else {
            "NOT converged"
        },
        result
            .server_peak_rss_mib
            .map_or_else(|| "?".to_owned(), |mib| format!("{mib:.0} MiB")),
        if result.server_alive { "alive" } else { "DIED" },
        result.attacker,
        result
            .error
            .as_ref()
            .map_or_else(String::new, |error| format!("; error: {error}")),
    )
}

/// The Markdown table of a run.
pub fn markdown(config: &AbuseConfig, results: &[AbuseResult]) -> String {
    let mut out = format!(
        "# Abuse run\n\n{} honest peers x {} edits/s for {:.0} s per scenario, one fresh server each.\n\
         Latency: edit to seen by every other honest peer. Peak RSS: the server's VmHWM.\n\n\
         | scenario | p50 ms | p99 ms | lost | converged | server peak RSS MiB | server | attacker |\n\
         |---|---:|---:|---:|---|---:|---|---|\n",
        config.honest_peers,
        config.edits_per_second,
        config.duration.as_secs_f64()
    );
    for result in results {
        out.push_str(&format!(
            "| {} | {:.1} | {:.1} | {} | {} | {} | {} | {} |\n",
            result.label,
            result.p50_ms,
            result.p99_ms,
            result.deliveries_lost,
            if result.converged { "yes" } else { "**no**" },
            result
                .server_peak_rss_mib
                .map_or_else(|| "?".to_owned(), |mib| format!("{mib:.0}")),
            if result.server_alive { "alive" } else { "**died**" },
            result
                .error
                .as_ref()
                .map_or_else(
                    || result.attacker.clone(),
                    |error| format!("{}; run: {error}", result.attacker)
                )
                .replace('|', "/"),
        ));
    }
    out
}

/// The accounts of one scenario's server.
struct Accounts {
    /// The honest peers take turns between these (each under any
    /// per-person connection limit the server may set).
    honest: Vec<(Account, String)>,
    member: (Account, String),
    observer: (Account, String),
}

/// An Enlace server for one scenario.
struct Server {
    child: Child,
    address: String,
    ws_url: String,
    document_id: DocumentId,
    accounts: Accounts,
    _data_dir: tempfile::TempDir,
}

impl Server {
    async fn start(extra_args: &[String]) -> anyhow::Result<Self> {
        let binary = servers::enlace_binary()?;
        let data_dir = tempfile::Builder::new().prefix("enlace-abuse-").tempdir()?;
        let account = |email: &str, role: &'static str| Account {
            email: email.to_owned(),
            role,
            password: format!("abuse-{:016x}", crate::random_u64()),
        };
        let provision = |account: Account| -> anyhow::Result<(Account, String)> {
            let token = servers::provision_enlace(&binary, data_dir.path(), &account)?;
            Ok((account, token))
        };
        let accounts = Accounts {
            honest: vec![
                provision(account("honesta@bench.invalid", "member"))?,
                provision(account("honesto@bench.invalid", "member"))?,
            ],
            member: provision(account("atacante@bench.invalid", "member"))?,
            observer: provision(account("observadora@bench.invalid", "observer"))?,
        };
        let mut child = Command::new(&binary)
            .args(["serve", "--addr", "127.0.0.1:0", "--data"])
            .arg(data_dir.path())
            .args(extra_args)
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("cannot start enlace")?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
        let mut lines = BufReader::new(stdout).lines();
        let address = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await? {
                if let Some(rest) = line.strip_prefix("enlace listening on http://") {
                    return Ok(rest.trim().to_owned());
                }
            }
            Err(anyhow!("enlace exited before listening"))
        })
        .await
        .context("enlace did not start in time")??;
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let url = servers::first_workspace_url(&address, Some(&accounts.member.1)).await?;
        let document_id = DocumentId::parse(&url).map_err(|error| anyhow!("bad url {url}: {error}"))?;
        Ok(Self {
            child,
            ws_url: format!("ws://{address}{}", paths::SYNC),
            address,
            document_id,
            accounts,
            _data_dir: data_dir,
        })
    }

    fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

/// `VmHWM` (peak resident set) of a process, MiB.
pub fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

async fn scenario(config: &AbuseConfig, attack: Option<Attack>) -> anyhow::Result<AbuseResult> {
    let mut server = Server::start(&config.server_args).await?;
    let mut load_config = LoadConfig::new(server.ws_url.clone(), server.document_id);
    load_config.peers = config.honest_peers;
    load_config.edits_per_second = config.edits_per_second;
    load_config.duration = config.duration;
    load_config.drain_deadline = Duration::from_secs(20);
    load_config.setup_deadline = Duration::from_secs(60);
    load_config.server_pid = server.pid();
    load_config.bearer_tokens = server
        .accounts
        .honest
        .iter()
        .map(|(_, token)| token.clone())
        .collect();

    let (stop, stopped) = watch::channel(false);
    let target = Target {
        address: server.address.clone(),
        ws_url: server.ws_url.clone(),
        document_id: server.document_id,
        member_token: server.accounts.member.1.clone(),
        observer_token: server.accounts.observer.1.clone(),
        member_email: server.accounts.member.0.email.clone(),
        params: config.params.clone(),
        sent: Arc::new(AtomicU64::new(0)),
    };
    let attacker = attack.map(|attack| {
        let target = target.clone();
        tokio::spawn(async move {
            // Let the honest peers connect and set up first.
            tokio::time::sleep(Duration::from_secs(2)).await;
            run_attack(attack, &target, stopped).await
        })
    });
    let report: anyhow::Result<LoadReport> = load::run(load_config).await;
    let _ = stop.send(true);
    let attacker = match attacker {
        None => String::new(),
        Some(handle) => {
            let outcome = tokio::time::timeout(Duration::from_secs(20), handle).await;
            let sent = target.sent.load(Ordering::Relaxed);
            match outcome {
                Ok(Ok(Ok(note))) => format!("{sent} sent; {note}"),
                Ok(Ok(Err(error))) => format!("{sent} sent; ended: {error:#}"),
                Ok(Err(error)) => format!("{sent} sent; attacker task failed: {error}"),
                Err(_) => format!("{sent} sent; still busy after the run"),
            }
        }
    };
    let server_peak_rss_mib = server.pid().and_then(peak_rss_mib);
    let server_alive = server.alive();
    let result = match report {
        Ok(report) => AbuseResult {
            attack,
            label: attack.map_or("no attack (baseline)", Attack::label).to_owned(),
            p50_ms: report.latency.p50_ms,
            p99_ms: report.latency.p99_ms,
            deliveries_lost: report.deliveries_lost,
            converged: report.converged,
            server_peak_rss_mib,
            server_alive,
            attacker,
            error: report.peer_errors.first().cloned(),
        },
        Err(error) => AbuseResult {
            server_peak_rss_mib,
            server_alive,
            attacker,
            ..failed(attack, format!("{error:#}"))
        },
    };
    let _ = server.child.start_kill();
    let _ = server.child.wait().await;
    Ok(result)
}

/// What an attack needs to know.
#[derive(Debug, Clone)]
struct Target {
    address: String,
    ws_url: String,
    document_id: DocumentId,
    member_token: String,
    observer_token: String,
    member_email: String,
    params: AttackParams,
    /// Frames or requests sent, for the report.
    sent: Arc<AtomicU64>,
}

async fn run_attack(attack: Attack, target: &Target, stop: watch::Receiver<bool>) -> anyhow::Result<String> {
    match attack {
        Attack::DeflateBomb => deflate_bomb(target, stop).await,
        Attack::EphemeralFlood => ephemeral_flood(target, stop).await,
        Attack::StopsReading => stops_reading(target, stop).await,
        Attack::DeleteRecords => delete_records(target, stop).await,
        Attack::ObserverEmptyChanges => observer_empty_changes(target, stop).await,
        Attack::MissingDependencies => missing_dependencies(target, stop).await,
        Attack::ManyOperations => many_operations(target, stop).await,
        Attack::RefusedRetries => refused_retries(target, stop).await,
        Attack::OversizedFrames => oversized_frames(target, stop).await,
        Attack::ManyConnections => many_connections(target, stop).await,
        Attack::ParallelLogins => parallel_logins(target, stop).await,
        Attack::EmptyBloom => crafted_bloom(target, stop, &[1, 0, 1]).await,
        Attack::BloomProbes => {
            // One entry, 10 bits (two bytes), then the probe count.
            let mut bytes = vec![1u8, 10];
            leb128::write::unsigned(&mut bytes, u64::from(target.params.bloom_probes))?;
            bytes.extend([0xff, 0xff]);
            crafted_bloom(target, stop, &bytes).await
        }
    }
}

fn stopped(stop: &watch::Receiver<bool>) -> bool {
    *stop.borrow()
}

/// A raw attacker connection: joined, with the document synced into `document`.
struct Raw {
    socket: Socket,
    peer_id: PeerId,
    server_id: PeerId,
    document_id: DocumentId,
    document: Automerge,
    state: sync::State,
}

impl Raw {
    async fn connect(target: &Target, token: &str, name: &str) -> anyhow::Result<Self> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
        let mut request = target.ws_url.as_str().into_client_request()?;
        request
            .headers_mut()
            .insert("Authorization", format!("Bearer {token}").parse()?);
        let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
        let peer_id = PeerId::new(format!("{name}-{:08x}", crate::random_u64() as u32));
        let join = Message::Join {
            sender_id: peer_id.clone(),
            supported_protocol_versions: vec![PROTOCOL_VERSION.to_owned()],
            peer_metadata: PeerMetadata {
                storage_id: None,
                is_ephemeral: Some(true),
                enlace: Some(enlace_shared::protocol::ENLACE_EXTENSION_VERSION),
            },
        };
        socket.send(WsMessage::Binary(join.encode().into())).await?;
        let server_id = loop {
            match next_message(&mut socket, Duration::from_secs(10)).await? {
                Message::Peer { sender_id, .. } => break sender_id,
                _ => continue,
            }
        };
        let mut raw = Self {
            socket,
            peer_id,
            server_id,
            document_id: target.document_id,
            document: Automerge::new(),
            state: sync::State::new(),
        };
        if let Some(message) = raw.document.generate_sync_message(&mut raw.state) {
            let request = Message::Request {
                sender_id: raw.peer_id.clone(),
                target_id: raw.server_id.clone(),
                document_id: raw.document_id,
                data: message.encode(),
            };
            raw.send(&request).await?;
        }
        Ok(raw)
    }

    async fn send(&mut self, message: &Message) -> anyhow::Result<()> {
        self.socket
            .send(WsMessage::Binary(message.encode().into()))
            .await?;
        Ok(())
    }

    fn sync_message(&self, data: Vec<u8>) -> Message {
        Message::Sync {
            sender_id: self.peer_id.clone(),
            target_id: self.server_id.clone(),
            document_id: self.document_id,
            data,
        }
    }

    /// Reads and applies sync messages until none came for `quiet`, or for
    /// at most a second (honest traffic never stops).
    async fn catch_up(&mut self, quiet: Duration) -> anyhow::Result<()> {
        let until = Instant::now() + Duration::from_secs(1);
        while Instant::now() < until {
            let message = match next_message(&mut self.socket, quiet).await {
                Ok(message) => message,
                Err(error) if error.to_string().contains("quiet") => return Ok(()),
                Err(error) => return Err(error),
            };
            if let Message::Sync { data, .. } | Message::Request { data, .. } = message {
                let message = sync::Message::decode(&data)?;
                self.document.receive_sync_message(&mut self.state, message)?;
                if let Some(reply) = self.document.generate_sync_message(&mut self.state) {
                    let reply = self.sync_message(reply.encode());
                    self.send(&reply).await?;
                }
            }
        }
        Ok(())
    }

    /// Sends these change chunks as one sync message (v1).
    async fn send_changes(&mut self, chunks: Vec<Vec<u8>>) -> anyhow::Result<()> {
        let mut heads = self.document.get_heads();
        heads.sort();
        let message = sync::Message {
            heads,
            need: Vec::new(),
            have: vec![sync::Have {
                last_sync: Vec::new(),
                bloom: sync::BloomFilter::default(),
            }],
            changes: chunks.into(),
            flags: None,
            version: sync::MessageVersion::V1,
        };
        let message = self.sync_message(message.encode());
        self.send(&message).await
    }

    /// Drains whatever the server sent without blocking for long.
    async fn drain(&mut self) -> anyhow::Result<()> {
        while let Ok(frame) = tokio::time::timeout(Duration::from_millis(1), self.socket.next()).await {
            match frame {
                None => bail!("the server closed the connection"),
                Some(Err(error)) => return Err(error.into()),
                Some(Ok(WsMessage::Close(frame))) => bail!("closed by the server: {frame:?}"),
                Some(Ok(_)) => {}
            }
        }
        Ok(())
    }
}

async fn next_message(socket: &mut Socket, wait: Duration) -> anyhow::Result<Message> {
    loop {
        let frame = tokio::time::timeout(wait, socket.next())
            .await
            .map_err(|_| anyhow!("quiet"))?
            .ok_or_else(|| anyhow!("the server closed the connection"))??;
        match frame {
            WsMessage::Binary(bytes) => return Ok(Message::decode(&bytes)?),
            WsMessage::Close(frame) => bail!("closed by the server: {frame:?}"),
            _ => {}
        }
    }
}

fn count(target: &Target) {
    target.sent.fetch_add(1, Ordering::Relaxed);
}

/// Every collection map's object and keys.
fn collection_entries(document: &Automerge) -> Vec<(automerge::ObjId, String)> {
    let mut entries = Vec::new();
    for collection in ["organisations"] {
        if let Ok(Some((_, map))) = document.get(ROOT, collection) {
            for key in document.keys(&map) {
                entries.push((map.clone(), key));
            }
        }
    }
    entries
}

/// Builds change chunks off the async workers (the honest peers share
/// them). The changes start from an empty history, so they apply to any
/// document (concurrent with everything there).
async fn build_changes(
    build: impl FnOnce(&mut automerge::transaction::Transaction<'_>) -> Result<(), automerge::AutomergeError>
    + Send
    + 'static,
) -> anyhow::Result<Vec<Vec<u8>>> {
    tokio::task::spawn_blocking(move || {
        let mut document = Automerge::new();
        document
            .transact_with(|_| CommitOptions::default().with_time(0), build)
            .map_err(|failure| anyhow!("{}", failure.error))?;
        // `bytes()` deflates large columns, as a client would on the wire.
        Ok(document
            .get_changes(&[])
            .into_iter()
            .map(|mut change| change.bytes().into_owned())
            .collect())
    })
    .await?
}

async fn deflate_bomb(target: &Target, stop: watch::Receiver<bool>) -> anyhow::Result<String> {
    let mut raw = Raw::connect(target, &target.member_token, "bomb").await?;
    let bytes = target.params.bomb_bytes;
    let mut rounds = 0;
    let mut size = 0;
    while !stopped(&stop) && rounds < 5 {
        let key = format!("bomb{rounds}");
        let chunks =
            build_changes(move |transaction| transaction.put(ROOT, key.as_str(), "a".repeat(bytes))).await?;
        size = chunks.iter().map(Vec::len).sum::<usize>();
        raw.send_changes(chunks).await?;
        count(target);
        rounds += 1;
        if let Err(error) = raw.drain().await {
            return Ok(format!("{rounds} bombs of {size} bytes on the wire; {error:#}"));
        }
    }
    Ok(format!("{rounds} bombs of {size} bytes on the wire"))
}

async fn ephemeral_flood(target: &Target, stop: watch::Receiver<bool>) -> anyhow::Result<String> {
    let mut raw = Raw::connect(target, &target.member_token, "flood").await?;
    let data = vec![0x42u8; target.params.ephemeral_bytes];
    let mut count_sent = 0u64;
    while !stopped(&stop) {
        let message = Message::Ephemeral {
            sender_id: raw.peer_id.clone(),
            target_id: raw.server_id.clone(),
            count: count_sent,
            session_id: "flood".into(),
            document_id: raw.document_id,
            data: data.clone(),
            enlace_sender: None,
        };
        raw.send(&message).await?;
        count(target);
        count_sent += 1;
        if count_sent.is_multiple_of(64) {
            raw.drain().await?;
        }
    }
    Ok(String::new())
}

async fn stops_reading(target: &Target, stop: watch::Receiver<bool>) -> anyhow::Result<String> {
    let mut stalled = Vec::new();
    for index in 0..target.params.stalled_connections {
        stalled.push(Raw::connect(target, &target.member_token, &format!("stall{index}")).await?);
        count(target);
    }
    // Hold them open, never reading, until the run ends.
    let mut stop = stop;
    let _ = stop.wait_for(|stopped| *stopped).await;
    Ok(format!("{} connections held", stalled.len()))
}

async fn delete_records(target: &Target, stop: watch::Receiver<bool>) -> anyhow::Result<String> {
    let mut raw = Raw::connect(target, &target.member_token, "vandal").await?;
    let mut removed = 0usize;
    while !stopped(&stop) {
        raw.catch_up(Duration::from_millis(200)).await?;
        let entries = collection_entries(&raw.document);
        if entries.is_empty() {
            continue;
        }
        // Deletions and replacements travel separately, so that refusing
        // one kind does not hide what the other does.
        for replace in [false, true] {
            let heads = raw.document.get_heads();
            let _ = raw.document.transact_with(
                |_| CommitOptions::default(),
                |transaction| {
                    for (map, key) in &entries {
                        if replace {
                            transaction.put_object(map, key.as_str(), ObjType::Map)?;
                        } else {
                            transaction.delete(map, key.as_str())?;
                        }
                    }
                    Ok::<(), automerge::AutomergeError>(())
                },
            );
            let chunks: Vec<Vec<u8>> = raw
                .document
                .get_changes(&heads)
                .iter()
                .map(|change| change.raw_bytes().to_vec())
                .collect();
            raw.send_changes(chunks).await?;
            count(target);
            // A refusal resets the attacker's view: start from the server's.
            raw.document = Automerge::new();
            raw.state = sync::State::new();
            let request =
                raw.document
                    .generate_sync_message(&mut raw.state)
                    .map(|message| Message::Request {
                        sender_id: raw.peer_id.clone(),
                        target_id: raw.server_id.clone(),
                        document_id: raw.document_id,
                        data: message.encode(),
                    });
            if let Some(request) = request {
                raw.send(&request).await?;
            }
            raw.catch_up(Duration::from_millis(200)).await?;
        }
        removed += entries.len();
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // What the server's document holds now, through a fresh connection.
    let mut check = Raw::connect(target, &target.member_token, "vandal-check").await?;
    check.catch_up(Duration::from_millis(300)).await?;
    let maps = collection_entries(&check.document)
        .iter()
        .filter(|(map, key)| {
            matches!(check.document.get(map, key.as_str()), Ok(Some((value, _))) if value.is_object())
                && check
                    .document
                    .get(map, key.as_str())
                    .ok()
                    .flatten()
                    .is_some_and(|(_, record)| check.document.length(&record) > 0)
        })
        .count();
    Ok(format!(
        "{removed} record removals or replacements sent; {maps} non-empty organisations left on the server"
    ))
}

async fn observer_empty_changes(target: &Target, stop: watch::Receiver<bool>) -> anyhow::Result<String> {
    let mut raw = Raw::connect(target, &target.observer_token, "empty").await?;
    raw.catch_up(Duration::from_millis(500)).await?;
    while !stopped(&stop) {
        let heads = raw.document.get_heads();
        raw.document.empty_commit(CommitOptions::default());
        let chunks: Vec<Vec<u8>> = raw
            .document
            .get_changes(&heads)
            .iter()
            .map(|change| change.raw_bytes().to_vec())
            .collect();
        raw.send_changes(chunks).await?;
        count(target);
        raw.drain().await?;
    }
    Ok(String::new())
}

async fn missing_dependencies(target: &Target, stop: watch::Receiver<bool>) -> anyhow::Result<String> {
    let mut raw = Raw::connect(target, &target.member_token, "orphans").await?;
    raw.catch_up(Duration::from_millis(500)).await?;
    let mut round = 0u64;
    while !stopped(&stop) {
        // Two changes; only the second (which depends on the first) is sent.
        let heads = raw.document.get_heads();
        for step in 0..2 {
            let _ = raw.document.transact_with(
                |_| CommitOptions::default(),
                |transaction| transaction.put(ROOT, format!("orphan{round}-{step}"), "x".repeat(1024)),
            );
        }
        let changes = raw.document.get_changes(&heads);
        let Some(second) = changes.last() else {
            continue;
        };
        raw.send_changes(vec![second.raw_bytes().to_vec()]).await?;
        count(target);
        round += 1;
        raw.drain().await?;
    }
    Ok(String::new())
}

async fn many_operations(target: &Target, stop: watch::Receiver<bool>) -> anyhow::Result<String> {
    let mut raw = Raw::connect(target, &target.member_token, "many-ops").await?;
    let operations = target.params.operations;
    let mut rounds = 0;
    while !stopped(&stop) && rounds < 3 {
        let key = format!("text{rounds}");
        let chunks = build_changes(move |transaction| {
            // One insert operation per character.
            let text = transaction.put_object(ROOT, key.as_str(), ObjType::Text)?;
            transaction.splice_text(&text, 0, 0, &"x".repeat(operations))
        })
        .await?;
        raw.send_changes(chunks).await?;
        count(target);
        rounds += 1;
        raw.drain().await?;
    }
    Ok(format!("{rounds} changes"))
}

async fn refused_retries(target: &Target, stop: watch::Receiver<bool>) -> anyhow::Result<String> {
    let mut raw = Raw::connect(target, &target.observer_token, "retry").await?;
    raw.catch_up(Duration::from_millis(500)).await?;
    let heads = raw.document.get_heads();
    let _ = raw.document.transact_with(
        |_| CommitOptions::default(),
        |transaction| transaction.put(ROOT, "observer-was-here", "x"),
    );
    let chunks: Vec<Vec<u8>> = raw
        .document
        .get_changes(&heads)
        .iter()
        .map(|change| change.raw_bytes().to_vec())
        .collect();
    while !stopped(&stop) {
        raw.send_changes(chunks.clone()).await?;
        count(target);
        raw.drain().await?;
    }
    Ok(String::new())
}

async fn oversized_frames(target: &Target, stop: watch::Receiver<bool>) -> anyhow::Result<String> {
    let frame = vec![0u8; target.params.oversized_frame_bytes];
    let mut outcomes = Vec::new();
    while !stopped(&stop) {
        let mut raw = Raw::connect(target, &target.member_token, "huge").await?;
        let started = Instant::now();
        let sent = raw.socket.send(WsMessage::Binary(frame.clone().into())).await;
        count(target);
        // How the server takes it: a close (with its code), a dropped
        // connection, or nothing at all within five seconds.
        let outcome = match sent {
            Err(error) => format!("send failed ({error})"),
            Ok(()) => loop {
                match tokio::time::timeout(Duration::from_secs(5), raw.socket.next()).await {
                    Err(_) => break "connection left open".to_owned(),
                    Ok(None) => break "connection dropped".to_owned(),
                    Ok(Some(Err(error))) => break format!("transport error ({error})"),
                    Ok(Some(Ok(WsMessage::Close(frame)))) => {
                        break format!(
                            "closed ({})",
                            frame.map_or_else(String::new, |frame| frame.code.to_string())
                        );
                    }
                    Ok(Some(Ok(_))) => {}
                }
            },
        };
        outcomes.push(format!("{outcome} after {} ms", started.elapsed().as_millis()));
    }
    outcomes.truncate(2);
    Ok(outcomes.join("; "))
}

async fn many_connections(target: &Target, stop: watch::Receiver<bool>) -> anyhow::Result<String> {
    let mut held = Vec::new();
    let mut refused = 0usize;
    let mut first_error = None;
    for index in 0..target.params.connections_per_person {
        if stopped(&stop) {
            break;
        }
        match Raw::connect(target, &target.member_token, &format!("conn{index}")).await {
            Ok(raw) => held.push(raw),
            Err(error) => {
                refused += 1;
                first_error.get_or_insert_with(|| format!("{error:#}"));
            }
        }
        count(target);
    }
    // Keep them reading so that only their number counts.
    let mut stop = stop;
    while !*stop.borrow() {
        for raw in &mut held {
            let _ = raw.drain().await;
        }
        tokio::select! {
            _ = stop.changed() => {}
            () = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
    }
    Ok(format!(
        "{} held, {refused} refused{}",
        held.len(),
        first_error.map_or_else(String::new, |error| format!(" (first: {error})"))
    ))
}

async fn parallel_logins(target: &Target, stop: watch::Receiver<bool>) -> anyhow::Result<String> {
    let statuses = Arc::new(std::sync::Mutex::new(
        std::collections::BTreeMap::<u16, u64>::new(),
    ));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..target.params.login_concurrency {
        let target = target.clone();
        let stop = stop.clone();
        let statuses = statuses.clone();
        tasks.spawn(async move {
            while !stopped(&stop) {
                let body = serde_json::json!({
                    "email": target.member_email,
                    "password": "not the password",
                })
                .to_string();
                let status = post(&target.address, paths::LOGIN, &body).await.unwrap_or(0);
                count(&target);
                if let Ok(mut statuses) = statuses.lock() {
                    *statuses.entry(status).or_default() += 1;
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let statuses = statuses
        .lock()
        .map(|statuses| statuses.clone())
        .unwrap_or_default();
    Ok(format!("answers {statuses:?}"))
}

/// Sends a sync message whose `have` carries this encoded bloom filter
/// (`[1, 0, 1]`: one entry, zero bits per entry, one probe: no bits at all).
async fn crafted_bloom(
    target: &Target,
    stop: watch::Receiver<bool>,
    encoded: &[u8],
) -> anyhow::Result<String> {
    let mut raw = Raw::connect(target, &target.member_token, "bloom").await?;
    raw.catch_up(Duration::from_millis(500)).await?;
    let bloom = sync::BloomFilter::try_from(encoded).map_err(|error| anyhow!("{error}"))?;
    // Three shapes (no heads, the heads the attacker has, a head nobody
    // has): whichever makes the server answer with changes checked against
    // the filter.
    let mut known = raw.document.get_heads();
    known.sort();
    let shapes = [Vec::new(), known, vec![automerge::ChangeHash([7; 32])]];
    let mut sent = 0;
    for heads in shapes {
        if stopped(&stop) {
            break;
        }
        let message = sync::Message {
            heads,
            need: Vec::new(),
            have: vec![sync::Have {
                last_sync: Vec::new(),
                bloom: bloom.clone(),
            }],
            changes: Vec::<Vec<u8>>::new().into(),
            flags: None,
            version: sync::MessageVersion::V1,
        };
        let message = raw.sync_message(message.encode());
        if let Err(error) = raw.send(&message).await {
            return Ok(format!("{error:#}"));
        }
        count(target);
        sent += 1;
        if let Err(error) = raw.catch_up(Duration::from_millis(500)).await {
            return Ok(format!("after {sent}: {error:#}"));
        }
    }
    Ok(String::new())
}

/// A minimal HTTP/1.1 POST of a JSON body; returns the status.
async fn post(address: &str, path: &str, body: &str) -> anyhow::Result<u16> {
    let mut stream = tokio::net::TcpStream::connect(address).await?;
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let head = String::from_utf8_lossy(&response[..response.len().min(64)]).into_owned();
    head.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| anyhow!("no status in {head:?}"))
}

/// Writes `abuse.json` and `abuse.md` into `out`.
pub fn write_reports(out: &Path, config: &AbuseConfig, results: &[AbuseResult]) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(out)?;
    std::fs::write(out.join("abuse.json"), serde_json::to_vec_pretty(results)?)?;
    let markdown_path = out.join("abuse.md");
    std::fs::write(&markdown_path, markdown(config, results))?;
    Ok(markdown_path)
}
