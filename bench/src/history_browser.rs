//! The history's browser figures (`enlace-history --browser-runs N`): on the
//! server [`crate::history::serve`] started on a built history, runs
//! `bench/browser/history.mjs` in headless Chromium signed in as the
//! secretariat: the initial load (sign-in until the whole document is
//! synced and the list shows), "view as of" a moment near the middle and a
//! comparison of two moments, each as wall time from the click and as the
//! page's own measurement (`data-as-of-ms`, `data-compare-ms`).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::history::{Built, Served};

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
    crate::browser::ensure_bundle(&served.address, "`cargo xtask bench --history-only`").await?;
    let arguments = [
        format!("http://{}", served.address),
        served.account.email.clone(),
        served.account.password.clone(),
        built.first_ms.to_string(),
        built.last_ms.to_string(),
        built.live_organisations().to_string(),
        runs.to_string(),
    ]
    .map(Into::into);
    crate::browser::run_figures_script("history.mjs", &arguments, PATIENCE).await
}

/// The script's last line of JSON.
pub fn parse_run(stdout: &str) -> anyhow::Result<HistoryBrowserRun> {
    crate::browser::last_json_line("history.mjs", stdout)
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
