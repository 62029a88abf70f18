//! The history's browser figures (`enlace-history --browser-runs N`): on the
//! server [`crate::history::serve`] started on a built history, runs
//! `bench/browser/history.mjs` in headless Chromium signed in as the
//! secretariat: the initial load (sign-in until the whole document is
//! synced and the list shows), "view as of" a moment near the middle and a
//! comparison of two moments, each as wall time from the click and as the
//! page's own measurement (`data-as-of-ms`, `data-compare-ms`).

use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use serde::{Deserialize, Serialize};

use crate::history::{Built, Served};
use crate::servers;

/// How long the whole script may take (the initial sync of a long history
/// included).
const PATIENCE: Duration = Duration::from_secs(900);

/// One timed action: wall time from the click, and the page's own figure.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Timed {
    pub wall_ms: f64,
    pub page_ms: f64,
    /// Records the comparison listed (compare only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<usize>,
}

/// What the script printed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct HistoryBrowserRun {
    pub organisations: usize,
    pub load_ms: f64,
    pub as_of: Vec<Timed>,
    pub compare: Vec<Timed>,
}

/// The median of some figures (0 when there are none).
pub fn median(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut values: Vec<f64> = values.into_iter().collect();
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

/// Runs the script once, `runs` views and comparisons.
pub async fn measure(served: &Served, built: &Built, runs: usize) -> anyhow::Result<HistoryBrowserRun> {
    let (status, page) = servers::http_get(&served.address, "/", None).await?;
    if status != 200 || !String::from_utf8_lossy(&page).contains("enlace.js") {
        bail!(
            "the Enlace binary serves no client bundle: build it with the bundle embedded \
             (`cargo xtask bench --history-only` does)"
        );
    }
    let root = servers::workspace_root();
    let command = tokio::process::Command::new("node")
        .arg(root.join("bench").join("browser").join("history.mjs"))
        .arg(format!("http://{}", served.address))
        .arg(&served.account.email)
        .arg(&served.account.password)
        .arg(built.first_ms.to_string())
        .arg(built.last_ms.to_string())
        .arg(built.live_organisations().to_string())
        .arg(runs.to_string())
        .current_dir(root.join("tests").join("js"))
        .env("ENLACE_CHROMIUM", crate::browser::chromium())
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(PATIENCE, command)
        .await
        .map_err(|_| anyhow!("history.mjs took longer than {PATIENCE:?}"))?
        .context("cannot run node")?;
    if !output.status.success() {
        bail!(
            "history.mjs failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    parse_run(&String::from_utf8_lossy(&output.stdout))
}

/// The script's last line of JSON.
pub fn parse_run(stdout: &str) -> anyhow::Result<HistoryBrowserRun> {
    last_json_line("history.mjs", stdout)
}

/// The last line of JSON a browser script printed, read as `T` (every
/// script prints its figures last, after any log).
pub fn last_json_line<T: serde::de::DeserializeOwned>(script: &str, stdout: &str) -> anyhow::Result<T> {
    let line = stdout
        .lines()
        .rev()
        .find(|line| line.trim_start().starts_with('{'))
        .ok_or_else(|| anyhow!("{script} printed no JSON: {stdout}"))?;
    serde_json::from_str(line).with_context(|| format!("{script} printed unexpected JSON: {line}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scripts_last_json_line_is_the_run() {
        let stdout = "log\n{\"organisations\":490,\"loadMs\":5300,\"asOf\":[{\"wallMs\":420,\"pageMs\":390.5}],\
                      \"compare\":[{\"wallMs\":700,\"pageMs\":610.25,\"rows\":488}]}\n";
        let run = parse_run(stdout).expect("parses");
        assert_eq!(run.organisations, 490);
        assert_eq!(run.load_ms, 5300.0);
        assert_eq!(run.as_of[0].page_ms, 390.5);
        assert_eq!(run.as_of[0].rows, None);
        assert_eq!(run.compare[0].rows, Some(488));
    }

    #[test]
    fn median_takes_the_middle_of_the_sorted_figures() {
        assert_eq!(median([5.0, 1.0, 3.0]), 3.0);
        assert_eq!(median([]), 0.0);
    }
}
