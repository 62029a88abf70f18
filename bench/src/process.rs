//! CPU and resident memory of a process, read from `/proc/<pid>/stat` and
//! `/proc/<pid>/status` (Linux only; elsewhere every sample is absent).

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

/// One reading of a process's counters.
#[derive(Debug, Clone, Copy)]
pub struct ProcessReading {
    /// User plus system CPU time, in clock ticks.
    pub cpu_ticks: u64,
    pub rss_bytes: u64,
    pub at: Instant,
}

/// Reads the process's counters now; `None` if it has gone or `/proc` is absent.
pub fn read(pid: u32) -> Option<ProcessReading> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may contain spaces:
    // count fields from the last ')'.
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // after_name starts at field 3 (state); utime and stime are fields 14 and 15.
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss_kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(ProcessReading {
        cpu_ticks: user + system,
        rss_bytes: rss_kib * 1024,
        at: Instant::now(),
    })
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 on every Linux we know of).
pub fn ticks_per_second() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|output| String::from_utf8(output.stdout).ok())
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// Summary of the samples taken while a scenario ran.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ProcessSummary {
    /// CPU over the whole sampled interval, in percent of one core.
    pub cpu_percent_mean: f64,
    /// The busiest sampling interval, in percent of one core.
    pub cpu_percent_max: f64,
    pub rss_mib_start: f64,
    pub rss_mib_max: f64,
    pub rss_mib_end: f64,
    pub samples: usize,
}

/// Samples `pid` every `interval` until `stop` turns true, then summarises.
pub async fn sample_until(
    pid: u32,
    interval: Duration,
    mut stop: watch::Receiver<bool>,
) -> Option<ProcessSummary> {
    let first = read(pid)?;
    let mut previous = first;
    let mut last = first;
    let mut summary = ProcessSummary {
        rss_mib_start: mib(first.rss_bytes),
        rss_mib_max: mib(first.rss_bytes),
        ..ProcessSummary::default()
    };
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stop.wait_for(|stopped| *stopped) => break,
        }
        let Some(reading) = read(pid) else { break };
        summary.samples += 1;
        summary.cpu_percent_max = summary.cpu_percent_max.max(cpu_percent(&previous, &reading));
        summary.rss_mib_max = summary.rss_mib_max.max(mib(reading.rss_bytes));
        previous = reading;
        last = reading;
    }
    if let Some(reading) = read(pid) {
        last = reading;
    }
    summary.cpu_percent_mean = cpu_percent(&first, &last);
    summary.rss_mib_end = mib(last.rss_bytes);
    summary.rss_mib_max = summary.rss_mib_max.max(summary.rss_mib_end);
    Some(summary)
}

fn cpu_percent(from: &ProcessReading, to: &ProcessReading) -> f64 {
    let seconds = to.at.duration_since(from.at).as_secs_f64();
    if seconds <= 0.0 {
        return 0.0;
    }
    let cpu_seconds = to.cpu_ticks.saturating_sub(from.cpu_ticks) as f64 / ticks_per_second();
    100.0 * cpu_seconds / seconds
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}
