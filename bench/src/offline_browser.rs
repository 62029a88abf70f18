//! The local copy's browser figures (`enlace-offline`, issue 14): a
//! workspace with a long history (built by [`crate::history::build`]), a
//! release server on it and `bench/browser/offline.mjs` in headless
//! Chromium: the copy's size in IndexedDB, persisting one edit (in the page
//! and the IndexedDB write) and opening with the network off. Figures,
//! never assertions.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::history::{Built, Served};

/// How long the whole script may take (the first sync of a long history included).
const PATIENCE: Duration = Duration::from_secs(1200);

/// One opening with the network off.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Open {
    /// Reload → the list shows every organisation.
    pub wall_ms: f64,
    /// Navigation start → the first frame listing every organisation (the
    /// page's clock).
    #[serde(default)]
    pub listed_ms: Option<f64>,
    /// Navigation start → the first frame showing the list filtered by the
    /// search typed in that first frame: the list answers (interactive).
    #[serde(default)]
    pub answered_ms: Option<f64>,
    /// Navigation start → first frame drawn from the copy's document,
    /// loaded in the sync worker (the page's own).
    pub open_ms: f64,
    /// Reading the copy from IndexedDB.
    pub read_ms: f64,
    /// Loading it into a document (in the sync worker).
    pub load_ms: f64,
    /// Navigation start → the app running (page, script and wasm from the
    /// service worker's cache, the module instantiated).
    #[serde(default)]
    pub started_at_ms: f64,
    /// Navigation start → reading the copy begins.
    #[serde(default)]
    pub read_at_ms: f64,
    /// Navigation start → first frame drawn from the workspace's image
    /// (before the document is loaded; `None` without an image).
    #[serde(default)]
    pub image_ms: Option<f64>,
    /// Decoding the image.
    #[serde(default)]
    pub image_read_ms: Option<f64>,
}

/// One edit persisted.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Persist {
    /// In the page: the edit encoded and posted to the sync worker.
    #[serde(default)]
    pub post_ms: Option<f64>,
    /// In the sync worker: the change's bytes taken and queued.
    pub persist_ms: f64,
    /// The IndexedDB write (off the main thread).
    pub write_ms: f64,
}

/// What the script printed, with the document's saved size.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OfflineRun {
    /// Bytes of the copy in IndexedDB (snapshot and chunks).
    pub bytes: u64,
    /// Bytes of the workspace's image kept beside it.
    #[serde(default)]
    pub image_bytes: u64,
    /// Encoding the image, in the page.
    #[serde(default)]
    pub image_encode_ms: f64,
    pub open: Vec<Open>,
    pub persist: Vec<Persist>,
}

/// Runs the script once: `runs` openings, `edits` edits.
pub async fn measure(
    served: &Served,
    built: &Built,
    runs: usize,
    edits: usize,
) -> anyhow::Result<OfflineRun> {
    crate::browser::ensure_bundle(&served.address, "`cargo xtask bench --offline-only`").await?;
    let arguments = [
        format!("http://{}", served.address),
        served.account.email.clone(),
        served.account.password.clone(),
        built.live_organisations().to_string(),
        runs.to_string(),
        edits.to_string(),
        built.record_id.clone(),
    ]
    .map(Into::into);
    crate::browser::run_figures_script("offline.mjs", &arguments, PATIENCE).await
}

/// The script's last line of JSON.
pub fn parse_run(stdout: &str) -> anyhow::Result<OfflineRun> {
    crate::browser::last_json_line("offline.mjs", stdout)
}

/// The figures as Markdown: medians against the budgets, then every run.
pub fn markdown(run: &OfflineRun, changes: usize, padding: usize, saved_bytes: usize) -> String {
    use crate::history_browser::median;
    let list = |values: Vec<f64>| {
        values
            .iter()
            .map(|value| format!("{value:.1}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mb = |bytes: f64| bytes / 1_000_000.0;
    let mut text = format!(
        "# The local copy in headless Chromium\n\n{changes} changes (new names padded with {padding} \
         characters); the document saves to {:.1} MB (`Automerge::save`); its copy in IndexedDB \
         holds {:.1} MB, and the workspace's image beside it {:.2} MB (encoded in {:.1} ms in the \
         sync worker).\n\n\
         | what | median | budget | runs |\n| --- | ---: | ---: | --- |\n",
        mb(saved_bytes as f64),
        mb(run.bytes as f64),
        mb(run.image_bytes as f64),
        run.image_encode_ms
    );
    let rows: [(&str, Vec<f64>, &str); 14] = [
        (
            "open offline, navigation → the list answers: a search typed in the first frame listing every organisation is shown (page)",
            run.open.iter().filter_map(|open| open.answered_ms).collect(),
            "1,000 ms",
        ),
        (
            "open offline, navigation → the first frame listing every organisation (page)",
            run.open.iter().filter_map(|open| open.listed_ms).collect(),
            "",
        ),
        (
            "open offline, navigation → first frame from the workspace's image (page)",
            run.open.iter().filter_map(|open| open.image_ms).collect(),
            "",
        ),
        (
            "open offline, navigation → first frame from the copy's document, loaded in the worker (page)",
            run.open.iter().map(|open| open.open_ms).collect(),
            "",
        ),
        (
            "of which: decoding the image",
            run.open.iter().filter_map(|open| open.image_read_ms).collect(),
            "",
        ),
        (
            "open offline, reload → every organisation listed (wall)",
            run.open.iter().map(|open| open.wall_ms).collect(),
            "",
        ),
        (
            "of which: the app starting (page, script, wasm from the service worker)",
            run.open.iter().map(|open| open.started_at_ms).collect(),
            "",
        ),
        (
            "of which: then signing in from the copy and taking the tab's part",
            run.open
                .iter()
                .map(|open| open.read_at_ms - open.started_at_ms)
                .collect(),
            "",
        ),
        (
            "of which: read the copy from IndexedDB",
            run.open.iter().map(|open| open.read_ms).collect(),
            "",
        ),
        (
            "of which: load it into a document (in the worker)",
            run.open.iter().map(|open| open.load_ms).collect(),
            "",
        ),
        (
            "of which: the rest (the records sent to the page and drawn)",
            run.open
                .iter()
                .map(|open| open.open_ms - open.read_at_ms - open.read_ms - open.load_ms)
                .collect(),
            "",
        ),
        (
            "persist one edit, in the page (the edit posted to the worker)",
            run.persist.iter().filter_map(|persist| persist.post_ms).collect(),
            "5 ms",
        ),
        (
            "persist one edit, in the worker (its bytes taken and queued)",
            run.persist.iter().map(|persist| persist.persist_ms).collect(),
            "",
        ),
        (
            "persist one edit, the IndexedDB write (in the worker)",
            run.persist.iter().map(|persist| persist.write_ms).collect(),
            "",
        ),
    ];
    for (what, values, budget) in rows {
        text.push_str(&format!(
            "| {what} | {:.1} ms | {budget} | {} |\n",
            median(values.iter().copied()),
            list(values)
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scripts_json_reads_and_renders() {
        let stdout = "noise\n{\"bytes\":12000000,\"imageBytes\":250000,\"imageEncodeMs\":4,\
                      \"open\":[{\"wallMs\":900,\"openMs\":800.5,\"readMs\":50,\"loadMs\":400,\"imageMs\":310,\
                      \"listedMs\":330,\"answeredMs\":352.5}],\
                      \"persist\":[{\"postMs\":0.2,\"persistMs\":0.4,\"writeMs\":3}]}\n";
        let run = parse_run(stdout).expect("parses");
        assert_eq!(run.bytes, 12_000_000);
        assert_eq!(run.open[0].open_ms, 800.5);
        assert_eq!(run.open[0].image_ms, Some(310.0));
        assert_eq!(run.image_bytes, 250_000);
        let table = markdown(&run, 100_000, 400, 10_500_000);
        assert!(table.contains("saves to 10.5 MB"), "{table}");
        assert!(table.contains("image beside it 0.25 MB"), "{table}");
        assert!(
            table.contains("first frame from the workspace's image (page) | 310.0 ms"),
            "{table}"
        );
        assert!(
            table.contains("is shown (page) | 352.5 ms | 1,000 ms |"),
            "{table}"
        );
        assert!(
            table.contains(
                "| persist one edit, in the page (the edit posted to the worker) | 0.2 ms | 5 ms | 0.2 |"
            ),
            "{table}"
        );
    }
}
