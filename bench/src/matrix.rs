//! The scenario matrix, the sustained-rate search, and the reports of the
//! `enlace-bench` harness.
//!
//! Every scenario and every search step starts each server afresh (new
//! process, new data directory), and the servers take turns per scenario so
//! that a noisy neighbour on this shared machine hurts them alike.

use std::fmt::Write as _;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::browser::BrowserFigures;
use crate::disk::FsyncProbe;
use crate::idle::{self, IdleReport};
use crate::load::{self, LoadConfig, LoadReport};
use crate::servers::{self, ServerKind};
use crate::storage_figures::StorageFigures;

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

/// Write + fdatasync rounds of the disk probe.
const FSYNC_PROBES: usize = 2000;

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
    /// The Criterion storage figures, imported after the run (`--criterion`).
    #[serde(default)]
    pub storage: Option<StorageFigures>,
    /// The browser figures (`--client-dist`).
    #[serde(default)]
    pub browser: Option<BrowserFigures>,
    /// Parts of the suite that could not run, and why.
    #[serde(default)]
    pub missing: Vec<String>,
    /// The disk's write + fdatasync latency, probed before the load runs.
    #[serde(default)]
    pub disk: Option<FsyncProbe>,
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
        storage: None,
        browser: None,
        missing: Vec::new(),
        disk: None,
    };
    match tokio::task::spawn_blocking(|| crate::disk::probe(FSYNC_PROBES)).await {
        Ok(Ok(probe)) => {
            progress(&format!(
                "disk: write + fdatasync p50 {:.2} ms, p99 {:.1} ms, max {:.1} ms over {} syncs",
                probe.latency.p50_ms, probe.latency.p99_ms, probe.latency.max_ms, probe.syncs
            ));
            results.disk = Some(probe);
        }
        Ok(Err(error)) => results.missing.push(format!("fsync probe: {error}")),
        Err(error) => results.missing.push(format!("fsync probe: {error}")),
    }
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
        significant(enlace / other)
    } else {
        "–".to_owned()
    }
}

/// Two decimals, or two significant digits below 0.1 (0.0042, not 0.00).
fn significant(value: f64) -> String {
    if value >= 0.1 || value == 0.0 {
        format!("{value:.2}")
    } else {
        let digits = (-value.log10().floor()) as usize + 1;
        format!("{value:.digits$}")
    }
}

fn ratio_range(values: &[f64]) -> String {
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !min.is_finite() {
        "–".to_owned()
    } else if (max - min).abs() < f64::EPSILON {
        significant(min)
    } else {
        format!("{}–{}", significant(min), significant(max))
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
    out.push_str(&headline(results));
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
    out.push_str(&storage_markdown(results.storage.as_ref()));
    out.push_str(&browser_markdown(results.browser.as_ref()));
    if !results.missing.is_empty() {
        out.push_str("\n### Not measured in this run\n\n");
        for missing in &results.missing {
            let _ = writeln!(out, "- {missing}");
        }
    }
    out
}

/// The median of `values` (NaN-free), or `None` when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|value| value.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    Some(if sorted.len().is_multiple_of(2) {
        (sorted[middle - 1] + sorted[middle]) / 2.0
    } else {
        sorted[middle]
    })
}

fn range_text(values: &[f64], digits: usize) -> String {
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !min.is_finite() {
        return "–".to_owned();
    }
    if (max - min).abs() < f64::EPSILON {
        format!("{min:.digits$}")
    } else {
        format!("{min:.digits$}–{max:.digits$}")
    }
}

/// The figures the closing note quotes, as ratios of Enlace to each other server.
fn headline(results: &Results) -> String {
    let mut lines = Vec::new();
    for other in [ServerKind::AutomergeRepo, ServerKind::Samod] {
        let mut ratios = Vec::new();
        let mut other_failed = 0;
        let mut rows = 0;
        let did_not_run = results
            .scenarios
            .iter()
            .filter(|scenario| scenario.server == other && scenario.report.is_none())
            .count();
        for scenario in results
            .scenarios
            .iter()
            .filter(|scenario| scenario.server == other)
        {
            let enlace = find(
                results,
                ServerKind::Enlace,
                scenario.peers,
                scenario.edits_per_second_per_peer,
            );
            if let (Some(enlace), Some(theirs)) = (enlace, scenario.report.as_ref()) {
                rows += 1;
                ratios.push(enlace.latency.p99_ms / theirs.latency.p99_ms.max(0.001));
                if theirs.deliveries_lost > 0 || !theirs.converged {
                    other_failed += 1;
                }
            }
        }
        if rows > 0 {
            let below = ratios.iter().filter(|ratio| **ratio < 1.0).count();
            let mut line = format!(
                "- p99 Enlace / {}: {} over {rows} rows (Enlace lower on {below}); {} lost edits or did not converge on {other_failed} rows",
                other.label(),
                ratio_range(&ratios),
                other.label()
            );
            if did_not_run > 0 {
                line.push_str(&format!(" and could not run {did_not_run}"));
            }
            lines.push(line);
        }
    }
    if let Some(disk) = &results.disk {
        lines.push(format!(
            "- this disk's write + fdatasync: p50 {:.2} ms, p99 {:.1} ms, max {:.1} ms ({} syncs); Enlace commits before it acknowledges or forwards, the other two do not fsync",
            disk.latency.p50_ms, disk.latency.p99_ms, disk.latency.max_ms, disk.syncs
        ));
    }
    let enlace_lost = results
        .scenarios
        .iter()
        .filter(|scenario| scenario.server == ServerKind::Enlace)
        .filter(|scenario| {
            scenario
                .report
                .as_ref()
                .is_none_or(|report| report.deliveries_lost > 0 || !report.converged)
        })
        .count();
    if results
        .scenarios
        .iter()
        .any(|scenario| scenario.server == ServerKind::Enlace)
    {
        lines.push(format!(
            "- Enlace rows that lost an edit, failed or did not converge: {enlace_lost}"
        ));
    }
    let sustained = |kind: ServerKind| {
        results
            .sustained
            .iter()
            .find(|sustained| sustained.server == kind)
            .and_then(|sustained| sustained.highest_passing_total_rate)
    };
    if let Some(enlace) = sustained(ServerKind::Enlace) {
        let mut line = format!(
            "- sustained edits/s with p99 ≤ {:.0} ms: Enlace {enlace:.0}",
            results.p99_limit_ms
        );
        for other in [ServerKind::AutomergeRepo, ServerKind::Samod] {
            if results
                .sustained
                .iter()
                .any(|sustained| sustained.server == other)
            {
                match sustained(other) {
                    Some(rate) => line.push_str(&format!(
                        "; {} {rate:.0} (Enlace / {} = {})",
                        other.label(),
                        other.label(),
                        ratio(enlace, rate)
                    )),
                    None => line.push_str(&format!("; {} none", other.label())),
                }
            }
        }
        lines.push(line);
    }
    if let Some(storage) = &results.storage {
        let fsync = storage.find(
            crate::storage_figures::DURABLE_GROUP,
            crate::storage_figures::RAW_FSYNC,
        );
        let best = storage
            .group(crate::storage_figures::DURABLE_GROUP)
            .filter(|estimate| estimate.name != crate::storage_figures::RAW_FSYNC)
            .max_by(|a, b| a.per_second().total_cmp(&b.per_second()));
        if let (Some(fsync), Some(best)) = (fsync, best) {
            lines.push(format!(
                "- durable changes/s: {:.0} ({}) against {:.0} raw fsyncs/s = {:.1}× the fsync limit",
                best.per_second(),
                best.name,
                fsync.per_second(),
                best.per_second() / fsync.per_second()
            ));
        }
        let load = storage.find(
            crate::storage_figures::COLD_OPEN_GROUP,
            crate::storage_figures::AUTOMERGE_LOAD,
        );
        if let Some(load) = load {
            for open in storage
                .group(crate::storage_figures::COLD_OPEN_GROUP)
                .filter(|estimate| estimate.name != crate::storage_figures::AUTOMERGE_LOAD)
            {
                lines.push(format!(
                    "- cold open of 100,000 changes: {} {:.0} ms against automerge::load {:.0} ms = {:.2}×",
                    open.name,
                    open.median_ms(),
                    load.median_ms(),
                    open.median_ns / load.median_ns
                ));
            }
        }
    }
    if let Some(storage) = &results.storage {
        let group = crate::storage_figures::ACKNOWLEDGEMENT_GROUP;
        for hub in storage
            .group(group)
            .filter(|estimate| estimate.name.starts_with("hub_receive/"))
        {
            let changes = hub.name.trim_start_matches("hub_receive/");
            if let Some(automerge) = storage.find(group, &format!("automerge_receive/{changes}")) {
                lines.push(format!(
                    "- one acknowledgement with {changes} changes of history: hub {:.2} µs against automerge's receive {:.0} µs ({:.0}× less)",
                    hub.median_ns / 1e3,
                    automerge.median_ns / 1e3,
                    automerge.median_ns / hub.median_ns
                ));
            }
        }
    }
    let idle = |kind: ServerKind| {
        results
            .idle
            .iter()
            .find(|idle| idle.server == kind)
            .and_then(|idle| idle.report.as_ref())
            .map(|report| report.kib_per_connection)
    };
    if let Some(enlace) = idle(ServerKind::Enlace) {
        let mut line = format!("- memory per idle connection: Enlace {enlace:.1} KiB");
        for other in [ServerKind::AutomergeRepo, ServerKind::Samod] {
            if let Some(theirs) = idle(other) {
                line.push_str(&format!(
                    "; {} {theirs:.1} KiB (Enlace / {} = {})",
                    other.label(),
                    other.label(),
                    ratio(enlace, theirs)
                ));
            }
        }
        lines.push(line);
    }
    if let Some(browser) = &results.browser {
        lines.push(format!(
            "- browser: wasm {:.2} MiB raw, {:.0} KiB gzip; interactive directory of 2,000 in {} ms (median); filter {} ms (median); remote edit to repaint {} ms (median)",
            browser.bundle.wasm_bytes as f64 / 1024.0 / 1024.0,
            browser.bundle.wasm_gzip_bytes as f64 / 1024.0,
            median(&browser.interactive_ms()).map_or_else(|| "–".to_owned(), |ms| format!("{ms:.0}")),
            median(&browser.filter_ms()).map_or_else(|| "–".to_owned(), |ms| format!("{ms:.1}")),
            median(&browser.remote_edit_ms()).map_or_else(|| "–".to_owned(), |ms| format!("{ms:.0}")),
        ));
    }
    if lines.is_empty() {
        return String::new();
    }
    format!("### Headline\n\n{}\n\n", lines.join("\n"))
}

fn storage_markdown(storage: Option<&StorageFigures>) -> String {
    let Some(storage) = storage else {
        return String::new();
    };
    let mut out = String::from(
        "\n### Storage (Criterion, median)\n\n| benchmark | time per iteration | per second |\n|---|---|---|\n",
    );
    for estimate in &storage.estimates {
        let time = if estimate.median_ns >= 1e6 {
            format!("{:.1} ms", estimate.median_ms())
        } else {
            format!("{:.1} µs", estimate.median_ns / 1e3)
        };
        let _ = writeln!(
            out,
            "| {}/{} | {time} | {:.0} |",
            estimate.group,
            estimate.name,
            estimate.per_second()
        );
    }
    out
}

fn browser_markdown(browser: Option<&BrowserFigures>) -> String {
    let Some(browser) = browser else {
        return String::new();
    };
    let mut out = format!(
        "\n### Browser ({}, headless; {} runs, each on a fresh server)\n\n| figure | median | range |\n|---|---|---|\n",
        browser.chromium,
        browser.runs.len()
    );
    let _ = writeln!(
        out,
        "| client wasm, raw | {:.2} MiB | – |\n| client wasm, gzip -9 | {:.0} KiB | – |\n| rest of the bundle (JS, HTML, CSS), raw | {:.0} KiB | – |",
        browser.bundle.wasm_bytes as f64 / 1024.0 / 1024.0,
        browser.bundle.wasm_gzip_bytes as f64 / 1024.0,
        browser.bundle.other_bytes as f64 / 1024.0
    );
    let row = |name: &str, values: &[f64], digits: usize| {
        format!(
            "| {name} | {} ms | {} ms |\n",
            median(values).map_or_else(|| "–".to_owned(), |value| format!("{value:.digits$}")),
            range_text(values, digits)
        )
    };
    out.push_str(&row(
        "navigation to an interactive directory of 2,000 organisations",
        &browser.interactive_ms(),
        0,
    ));
    out.push_str(&row(
        "search or filter over 2,000 organisations, in page",
        &browser.filter_ms(),
        1,
    ));
    out.push_str(&row(
        "remote edit (stock client) until the browser repaints it",
        &browser.remote_edit_ms(),
        0,
    ));
    for error in &browser.errors {
        let _ = writeln!(out, "\nA browser run failed: {error}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::browser::{BrowserRun, BundleSize};
    use crate::load::Latency;
    use crate::storage_figures::{
        ACKNOWLEDGEMENT_GROUP, AUTOMERGE_LOAD, COLD_OPEN_GROUP, DURABLE_GROUP, Estimate, RAW_FSYNC,
    };

    fn report(peers: usize, rate: f64, p99_ms: f64, lost: u64) -> LoadReport {
        let expected = 100;
        LoadReport {
            peers,
            edits_per_second_per_peer: rate,
            duration_s: 10.0,
            edits_sent: 10,
            edit_rate_achieved: peers as f64 * rate,
            deliveries_expected: expected,
            deliveries: expected - lost,
            deliveries_lost: lost,
            latency: Latency {
                p50_ms: p99_ms / 2.0,
                p90_ms: p99_ms * 0.9,
                p99_ms,
                max_ms: p99_ms * 2.0,
                mean_ms: p99_ms / 2.0,
                samples: 100,
            },
            converged: lost == 0,
            distinct_heads: 1,
            drain_s: 0.1,
            setup_s: 0.1,
            peer_errors: Vec::new(),
            server: None,
            generator: None,
        }
    }

    fn scenario(server: ServerKind, peers: usize, rate: f64, p99_ms: f64, lost: u64) -> ScenarioResult {
        ScenarioResult {
            server,
            peers,
            edits_per_second_per_peer: rate,
            report: Some(report(peers, rate, p99_ms, lost)),
            error: None,
        }
    }

    fn estimate(group: &str, name: &str, median_ns: f64) -> Estimate {
        Estimate {
            group: group.to_owned(),
            name: name.to_owned(),
            median_ns,
            mean_ns: median_ns,
        }
    }

    fn sample() -> Results {
        Results {
            machine: Machine {
                cpus: 2,
                cpu_model: "test".into(),
                kernel: "test".into(),
                date_utc: "2026-11-29 00:00 UTC".into(),
            },
            mode: "quick".into(),
            scenario_duration_s: 6.0,
            p99_limit_ms: 100.0,
            scenarios: vec![
                scenario(ServerKind::Enlace, 10, 1.0, 20.0, 0),
                scenario(ServerKind::AutomergeRepo, 10, 1.0, 100.0, 0),
                scenario(ServerKind::Samod, 10, 1.0, 10.0, 0),
                scenario(ServerKind::Enlace, 50, 1.0, 50.0, 0),
                scenario(ServerKind::AutomergeRepo, 50, 1.0, 500.0, 0),
                scenario(ServerKind::Samod, 50, 1.0, 5000.0, 7),
                ScenarioResult {
                    server: ServerKind::Samod,
                    peers: 200,
                    edits_per_second_per_peer: 1.0,
                    report: None,
                    error: Some("setup timed out".into()),
                },
            ],
            sustained: vec![
                SustainedResult {
                    server: ServerKind::Enlace,
                    peers: 20,
                    highest_passing_total_rate: Some(400.0),
                    first_failing_total_rate: Some(800.0),
                    steps: Vec::new(),
                },
                SustainedResult {
                    server: ServerKind::Samod,
                    peers: 20,
                    highest_passing_total_rate: Some(100.0),
                    first_failing_total_rate: Some(200.0),
                    steps: Vec::new(),
                },
            ],
            idle: vec![IdleResult {
                server: ServerKind::Enlace,
                report: Some(IdleReport {
                    peers: 1000,
                    rss_mib_before: 10.0,
                    rss_mib_after: 30.0,
                    kib_per_connection: 20.5,
                    connect_s: 1.0,
                }),
                error: None,
            }],
            storage: Some(StorageFigures {
                estimates: vec![
                    estimate(DURABLE_GROUP, "group_commit_256_appenders", 10_000.0),
                    estimate(DURABLE_GROUP, RAW_FSYNC, 200_000.0),
                    estimate(COLD_OPEN_GROUP, AUTOMERGE_LOAD, 400_000_000.0),
                    estimate(COLD_OPEN_GROUP, "enlace_open_compacted", 600_000_000.0),
                    estimate(ACKNOWLEDGEMENT_GROUP, "automerge_receive/100000", 17_000_000.0),
                    estimate(ACKNOWLEDGEMENT_GROUP, "hub_receive/100000", 340.0),
                ],
            }),
            browser: Some(BrowserFigures {
                bundle: BundleSize {
                    wasm_bytes: 2 * 1024 * 1024,
                    wasm_gzip_bytes: 700 * 1024,
                    other_bytes: 60 * 1024,
                },
                chromium: "Chromium 1".into(),
                runs: vec![BrowserRun {
                    organisations: 2000,
                    interactive_ms: 600.0,
                    filter_ms: vec![1.0, 3.0, 2.0],
                    remote_edit_ms: vec![100.0, 300.0, 200.0],
                }],
                errors: Vec::new(),
            }),
            missing: vec!["nothing really".into()],
            disk: Some(FsyncProbe {
                syncs: 100,
                latency: Latency {
                    p50_ms: 0.5,
                    p90_ms: 0.7,
                    p99_ms: 44.0,
                    max_ms: 211.0,
                    mean_ms: 2.0,
                    samples: 100,
                },
            }),
        }
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn the_headline_states_every_ratio_the_note_quotes() {
        let text = markdown(&sample());
        // p99 ratios per row: Enlace/Node 0.2 and 0.1; Enlace/samod 2.0 and 0.01.
        assert!(
            text.contains("p99 Enlace / automerge-repo (Node): 0.10–0.20 over 2 rows (Enlace lower on 2)"),
            "{text}"
        );
        assert!(
            text.contains("over 2 rows (Enlace lower on 1); samod lost edits or did not converge on 1 rows")
        );
        assert!(text.contains("Enlace rows that lost an edit, failed or did not converge: 0"));
        assert!(
            text.contains("Enlace 400; samod 100 (Enlace / samod = 4.00)"),
            "{text}"
        );
        assert!(text.contains(
            "durable changes/s: 100000 (group_commit_256_appenders) against 5000 raw fsyncs/s = 20.0×"
        ));
        assert!(text.contains("enlace_open_compacted 600 ms against automerge::load 400 ms = 1.50×"));
        assert!(text.contains("memory per idle connection: Enlace 20.5 KiB"));
        assert!(
            text.contains("one acknowledgement with 100000 changes of history: hub 0.34 µs against automerge's receive 17000 µs (50000× less)"),
            "{text}"
        );
        assert!(text.contains("wasm 2.00 MiB raw, 700 KiB gzip"));
        assert!(text.contains("remote edit to repaint 200 ms (median)"));
        assert!(
            text.contains(
                "| remote edit (stock client) until the browser repaints it | 200 ms | 100–300 ms |"
            )
        );
        assert!(text.contains("| durable_changes/raw_fsync_write_128B | 200.0 µs | 5000 |"));
        assert!(text.contains("- nothing really"));
        assert!(
            text.contains(
                "this disk's write + fdatasync: p50 0.50 ms, p99 44.0 ms, max 211.0 ms (100 syncs)"
            )
        );
    }

    #[test]
    fn results_without_the_newer_parts_still_read() {
        let mut json = serde_json::to_value(sample()).expect("serialise");
        let object = json.as_object_mut().expect("object");
        object.remove("storage");
        object.remove("browser");
        object.remove("missing");
        object.remove("disk");
        let results: Results = serde_json::from_value(json).expect("old results parse");
        assert!(results.storage.is_none() && results.browser.is_none());
        assert!(!markdown(&results).contains("### Browser"));
    }
}
