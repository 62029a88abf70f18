//! The scenario matrix, the sustained-rate search, and the reports of the
//! `enlace-bench` harness.
//!
//! Every scenario and every search step starts each server afresh (new
//! process, new data directory), and the servers take turns per scenario so
//! that a noisy neighbour on this shared machine hurts them alike.

use std::fmt::Write as _;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::idle::{self, IdleReport};
use crate::load::{self, LoadConfig, LoadReport};
use crate::servers::{self, ServerKind};

/// What to run.
#[derive(Debug, Clone)]
pub struct MatrixConfig {
    pub servers: Vec<ServerKind>,
    pub peers: Vec<usize>,
    pub rates: Vec<f64>,
    pub duration: Duration,
    pub drain: Duration,
    /// Peers used by the sustained-rate search (0 skips the search).
    pub search_peers: usize,
    pub search_duration: Duration,
    /// The first total edit rate tried; each step doubles it.
    pub search_start_total: f64,
    pub search_max_total: f64,
    /// Bisection steps between the last passing and the first failing rate.
    pub search_refinements: usize,
    pub p99_limit_ms: f64,
    /// Idle peers for the memory-per-connection figure (0 skips it).
    pub idle_peers: usize,
}

impl MatrixConfig {
    /// The full run: 30 s per scenario.
    pub fn full() -> Self {
        Self {
            servers: ServerKind::ALL.to_vec(),
            peers: vec![10, 50, 200],
            rates: vec![1.0, 2.0, 5.0],
            duration: Duration::from_secs(30),
            drain: Duration::from_secs(30),
            search_peers: 20,
            search_duration: Duration::from_secs(15),
            search_start_total: 20.0,
            search_max_total: 5120.0,
            search_refinements: 2,
            p99_limit_ms: 100.0,
            idle_peers: 1000,
        }
    }

    /// A quick run (about a quarter of an hour on two cores): 6 s per scenario.
    pub fn quick() -> Self {
        Self {
            duration: Duration::from_secs(6),
            drain: Duration::from_secs(20),
            search_duration: Duration::from_secs(6),
            search_refinements: 1,
            ..Self::full()
        }
    }
}

/// One cell of the matrix for one server.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioResult {
    pub server: ServerKind,
    pub peers: usize,
    pub edits_per_second_per_peer: f64,
    pub report: Option<LoadReport>,
    pub error: Option<String>,
}

/// One step of the sustained-rate search.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SearchStep {
    pub total_rate: f64,
    pub passed: bool,
    pub report: Option<LoadReport>,
    pub error: Option<String>,
}

/// The highest total edit rate a server held with p99 within the limit.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SustainedResult {
    pub server: ServerKind,
    pub peers: usize,
    pub highest_passing_total_rate: Option<f64>,
    pub first_failing_total_rate: Option<f64>,
    pub steps: Vec<SearchStep>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdleResult {
    pub server: ServerKind,
    pub report: Option<IdleReport>,
    pub error: Option<String>,
}

/// The machine the figures come from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
    pub kernel: String,
    pub date_utc: String,
}

impl Machine {
    pub fn detect() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find_map(|line| line.strip_prefix("model name"))
            .and_then(|rest| rest.split_once(':'))
            .map_or_else(|| "unknown".to_owned(), |(_, model)| model.trim().to_owned());
        Self {
            cpus: std::thread::available_parallelism().map_or(1, usize::from),
            cpu_model,
            kernel: command_output("uname", &["-r"]),
            date_utc: command_output("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        }
    }
}

fn command_output(program: &str, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .map_or_else(|| "unknown".to_owned(), |text| text.trim().to_owned())
}

/// Everything one harness run measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Results {
    pub machine: Machine,
    pub mode: String,
    pub scenario_duration_s: f64,
    pub p99_limit_ms: f64,
    pub scenarios: Vec<ScenarioResult>,
    pub sustained: Vec<SustainedResult>,
    pub idle: Vec<IdleResult>,
}

/// Runs one load scenario against a freshly started server.
pub async fn run_scenario(
    kind: ServerKind,
    peers: usize,
    rate: f64,
    duration: Duration,
    drain: Duration,
) -> anyhow::Result<LoadReport> {
    let server = servers::start(kind).await?;
    let config = LoadConfig {
        peers,
        edits_per_second: rate,
        duration,
        drain_deadline: drain,
        server_pid: server.pid(),
        bearer_token: server.bearer_token.clone(),
        ..LoadConfig::new(server.ws_url.clone(), server.document_id)
    };
    let outcome = load::run(config).await;
    server.stop().await?;
    outcome
}

fn passes(report: &LoadReport, offered_total: f64, p99_limit_ms: f64) -> bool {
    report.latency.p99_ms <= p99_limit_ms
        && report.deliveries_lost == 0
        && report.converged
        && report.edit_rate_achieved >= 0.9 * offered_total
}

/// Runs everything `config` asks for, reporting progress through `progress`.
///
/// `checkpoint` gets the results so far after every run, so an interrupted
/// harness still leaves what it measured.
pub async fn run(
    config: &MatrixConfig,
    mode: &str,
    progress: impl Fn(&str),
    checkpoint: impl Fn(&Results),
) -> Results {
    let mut results = Results {
        machine: Machine::detect(),
        mode: mode.to_owned(),
        scenario_duration_s: config.duration.as_secs_f64(),
        p99_limit_ms: config.p99_limit_ms,
        scenarios: Vec::new(),
        sustained: Vec::new(),
        idle: Vec::new(),
    };
    for &peers in &config.peers {
        for &rate in &config.rates {
            for &kind in &config.servers {
                let outcome = run_scenario(kind, peers, rate, config.duration, config.drain).await;
                let (report, error) = split(outcome);
                progress(&format!(
                    "{:<22} {}",
                    kind.label(),
                    report.as_ref().map_or_else(
                        || format!(
                            "{peers} peers x {rate}/s: FAILED {}",
                            error.clone().unwrap_or_default()
                        ),
                        LoadReport::human_line
                    )
                ));
                results.scenarios.push(ScenarioResult {
                    server: kind,
                    peers,
                    edits_per_second_per_peer: rate,
                    report,
                    error,
                });
                checkpoint(&results);
            }
        }
    }
    if config.search_peers >= 2 {
        for &kind in &config.servers {
            let sustained = search(kind, config, &progress).await;
            results.sustained.push(sustained);
            checkpoint(&results);
        }
    }
    if config.idle_peers > 0 {
        for &kind in &config.servers {
            let outcome = measure_idle(kind, config.idle_peers).await;
            let (report, error) = split(outcome);
            progress(&format!(
                "{:<22} {}",
                kind.label(),
                report.as_ref().map_or_else(
                    || format!("idle: FAILED {}", error.clone().unwrap_or_default()),
                    IdleReport::human_line
                )
            ));
            results.idle.push(IdleResult {
                server: kind,
                report,
                error,
            });
            checkpoint(&results);
        }
    }
    results
}

fn split<T>(outcome: anyhow::Result<T>) -> (Option<T>, Option<String>) {
    match outcome {
        Ok(value) => (Some(value), None),
        Err(error) => (None, Some(format!("{error:#}"))),
    }
}

async fn measure_idle(kind: ServerKind, peers: usize) -> anyhow::Result<IdleReport> {
    let server = servers::start(kind).await?;
    let pid = server
        .pid()
        .ok_or_else(|| anyhow::anyhow!("the server has no pid"))?;
    let outcome = idle::measure(
        &server.ws_url,
        server.bearer_token.as_deref(),
        server.document_id,
        peers,
        pid,
    )
    .await;
    server.stop().await?;
    outcome
}

/// Doubles the total rate until a step fails, then bisects.
async fn search(kind: ServerKind, config: &MatrixConfig, progress: &impl Fn(&str)) -> SustainedResult {
    let peers = config.search_peers;
    let mut result = SustainedResult {
        server: kind,
        peers,
        highest_passing_total_rate: None,
        first_failing_total_rate: None,
        steps: Vec::new(),
    };
    let step = async |total: f64, result: &mut SustainedResult| -> bool {
        let rate = total / peers as f64;
        let outcome = run_scenario(kind, peers, rate, config.search_duration, config.drain).await;
        let (report, error) = split(outcome);
        let passed = report
            .as_ref()
            .is_some_and(|report| passes(report, total, config.p99_limit_ms));
        progress(&format!(
            "{:<22} search {total:.0} edits/s total: {} {}",
            kind.label(),
            if passed { "pass" } else { "FAIL" },
            report
                .as_ref()
                .map_or_else(|| error.clone().unwrap_or_default(), LoadReport::human_line)
        ));
        result.steps.push(SearchStep {
            total_rate: total,
            passed,
            report,
            error,
        });
        passed
    };
    let mut total = config.search_start_total;
    while total <= config.search_max_total {
        if step(total, &mut result).await {
            result.highest_passing_total_rate = Some(total);
            total *= 2.0;
        } else {
            result.first_failing_total_rate = Some(total);
            break;
        }
    }
    for _ in 0..config.search_refinements {
        let (Some(low), Some(high)) = (result.highest_passing_total_rate, result.first_failing_total_rate)
        else {
            break;
        };
        let middle = ((low * high).sqrt() / 10.0).round() * 10.0;
        if middle <= low || middle >= high {
            break;
        }
        if step(middle, &mut result).await {
            result.highest_passing_total_rate = Some(middle);
        } else {
            result.first_failing_total_rate = Some(middle);
        }
    }
    result
}

fn find(results: &Results, kind: ServerKind, peers: usize, rate: f64) -> Option<&LoadReport> {
    results
        .scenarios
        .iter()
        .find(|scenario| {
            scenario.server == kind && scenario.peers == peers && scenario.edits_per_second_per_peer == rate
        })
        .and_then(|scenario| scenario.report.as_ref())
}

fn ratio(enlace: f64, other: f64) -> String {
    if other > 0.0 && enlace.is_finite() {
        format!("{:.2}", enlace / other)
    } else {
        "–".to_owned()
    }
}

/// The Markdown report: side-by-side tables with ratios Enlace / other.
pub fn markdown(results: &Results) -> String {
    let mut out = String::new();
    let machine = &results.machine;
    let _ = writeln!(
        out,
        "Run {} ({} mode, {:.0} s per scenario) on {} × {} (Linux {}). The load generator runs on the same cores.\n",
        machine.date_utc,
        results.mode,
        results.scenario_duration_s,
        machine.cpus,
        machine.cpu_model,
        machine.kernel
    );
    let servers: Vec<ServerKind> = ServerKind::ALL
        .into_iter()
        .filter(|kind| results.scenarios.iter().any(|scenario| scenario.server == *kind))
        .collect();
    let others: Vec<ServerKind> = servers
        .iter()
        .copied()
        .filter(|kind| *kind != ServerKind::Enlace)
        .collect();
    let mut cells: Vec<(usize, f64)> = results
        .scenarios
        .iter()
        .map(|scenario| (scenario.peers, scenario.edits_per_second_per_peer))
        .collect();
    cells.dedup();

    out.push_str(
        "### Edit-to-every-other-peer latency (ms: p50 / p99 / max; achieved edits/s when below 90% of offered)\n\n",
    );
    let _ = write!(out, "| peers | edits/s each | total edits/s |");
    for kind in &servers {
        let _ = write!(out, " {} |", kind.label());
    }
    for kind in &others {
        let _ = write!(out, " p99 Enlace/{} |", kind.label());
    }
    out.push('\n');
    out.push_str(&"|---".repeat(3 + servers.len() + others.len()));
    out.push_str("|\n");
    for &(peers, rate) in &cells {
        let _ = write!(out, "| {peers} | {rate} | {:.0} |", peers as f64 * rate);
        for &kind in &servers {
            match find(results, kind, peers, rate) {
                Some(report) => {
                    let mut flag = String::new();
                    if report.edit_rate_achieved < 0.9 * peers as f64 * rate {
                        flag.push_str(&format!(" (only {:.0}/s sent)", report.edit_rate_achieved));
                    }
                    if report.deliveries_lost > 0 || !report.converged {
                        flag.push_str(&format!(
                            " ⚠ lost {} of {}",
                            report.deliveries_lost, report.deliveries_expected
                        ));
                    }
                    let _ = write!(
                        out,
                        " {:.1} / {:.1} / {:.0}{flag} |",
                        report.latency.p50_ms, report.latency.p99_ms, report.latency.max_ms
                    );
                }
                None => out.push_str(" failed |"),
            }
        }
        let enlace_p99 = find(results, ServerKind::Enlace, peers, rate).map(|report| report.latency.p99_ms);
        for &kind in &others {
            let other_p99 = find(results, kind, peers, rate).map(|report| report.latency.p99_ms);
            match (enlace_p99, other_p99) {
                (Some(enlace), Some(other)) => {
                    let _ = write!(out, " {} |", ratio(enlace, other));
                }
                _ => out.push_str(" – |"),
            }
        }
        out.push('\n');
    }

    out.push_str("\n### Server CPU (% of one core, mean) and peak RSS (MiB); generator CPU\n\n");
    let _ = write!(out, "| peers | edits/s each |");
    for kind in &servers {
        let _ = write!(out, " {} |", kind.label());
    }
    out.push_str(" generator CPU (E / A / S) |\n");
    out.push_str(&"|---".repeat(3 + servers.len()));
    out.push_str("|\n");
    for &(peers, rate) in &cells {
        let _ = write!(out, "| {peers} | {rate} |");
        let mut generator = Vec::new();
        for &kind in &servers {
            match find(results, kind, peers, rate) {
                Some(report) => {
                    match &report.server {
                        Some(server) => {
                            let _ = write!(
                                out,
                                " {:.0}% / {:.0} MiB |",
                                server.cpu_percent_mean, server.rss_mib_max
                            );
                        }
                        None => out.push_str(" – |"),
                    }
                    generator.push(
                        report
                            .generator
                            .as_ref()
                            .map_or_else(|| "–".to_owned(), |g| format!("{:.0}%", g.cpu_percent_mean)),
                    );
                }
                None => {
                    out.push_str(" failed |");
                    generator.push("–".to_owned());
                }
            }
        }
        let _ = writeln!(out, " {} |", generator.join(" / "));
    }

    if !results.sustained.is_empty() {
        let _ = writeln!(
            out,
            "\n### Highest sustained total edit rate with p99 ≤ {:.0} ms, no loss, convergence\n",
            results.p99_limit_ms
        );
        out.push_str("| server | peers | highest passing (edits/s) | first failing | Enlace / server |\n|---|---|---|---|---|\n");
        let enlace_rate = results
            .sustained
            .iter()
            .find(|sustained| sustained.server == ServerKind::Enlace)
            .and_then(|sustained| sustained.highest_passing_total_rate);
        for sustained in &results.sustained {
            let rate = |value: Option<f64>| value.map_or_else(|| "–".to_owned(), |rate| format!("{rate:.0}"));
            let versus = match (enlace_rate, sustained.highest_passing_total_rate) {
                (Some(enlace), Some(other)) if sustained.server != ServerKind::Enlace => ratio(enlace, other),
                _ => "–".to_owned(),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {versus} |",
                sustained.server.label(),
                sustained.peers,
                rate(sustained.highest_passing_total_rate),
                rate(sustained.first_failing_total_rate),
            );
        }
    }

    if !results.idle.is_empty() {
        out.push_str("\n### Memory per idle connection\n\n| server | idle peers | RSS before → after (MiB) | KiB per connection |\n|---|---|---|---|\n");
        for idle in &results.idle {
            match &idle.report {
                Some(report) => {
                    let _ = writeln!(
                        out,
                        "| {} | {} | {:.1} → {:.1} | {:.1} |",
                        idle.server.label(),
                        report.peers,
                        report.rss_mib_before,
                        report.rss_mib_after,
                        report.kib_per_connection
                    );
                }
                None => {
                    let _ = writeln!(
                        out,
                        "| {} | – | failed: {} | – |",
                        idle.server.label(),
                        idle.error.clone().unwrap_or_default()
                    );
                }
            }
        }
    }
    let failures: Vec<String> = results
        .scenarios
        .iter()
        .filter_map(|scenario| {
            scenario.error.as_ref().map(|error| {
                format!(
                    "- {} {} peers × {}/s: {error}",
                    scenario.server.label(),
                    scenario.peers,
                    scenario.edits_per_second_per_peer
                )
            })
        })
        .collect();
    if !failures.is_empty() {
        out.push_str("\n### Failed runs\n\n");
        out.push_str(&failures.join("\n"));
        out.push('\n');
    }
    out
}
