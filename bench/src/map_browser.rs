//! The network map's browser figures (`enlace-map`, issue 13): a data
//! directory whose workspace holds the [`crate::map_fixture`] roundtable (500
//! organisations, 300 alliances and collaborations), a release server on it
//! with a secretariat (A) and a member (B), and `bench/browser/map.mjs` in
//! headless Chromium: the map's first render, a remote change shown (B
//! edits an alliance, A's map draws it) and frames per second while A drags
//! a node. Figures, never assertions.

use std::path::Path;
use std::time::Duration;

use anyhow::anyhow;
use automerge::ActorId;
use enlace_server::storage::{AppendRequest, StorageWriter};
use enlace_shared::model::Authorship;
use serde::{Deserialize, Serialize};

use crate::history::{self, Served};
use crate::map_fixture::{self, ALLIANCES, COLLABORATIONS, ORGANISATIONS};
use crate::servers::Account;

/// How long the whole script may take.
const PATIENCE: Duration = Duration::from_secs(600);

/// Nodes the map draws for the fixture: every organisation and every tie.
pub const NODES: usize = ORGANISATIONS + ALLIANCES + COLLABORATIONS;

/// Wall time from the action, and the page's own figure.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Timed {
    pub wall_ms: f64,
    pub page_ms: f64,
}

/// One remote change: B added a `line` or a `member` to an alliance.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Remote {
    pub kind: String,
    pub wall_ms: f64,
    pub page_ms: f64,
}

/// One drag: pointer moves sent, how long they took, animation frames.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Drag {
    pub moves: usize,
    pub ms: f64,
    pub frames: usize,
    pub fps: f64,
}

/// What the script printed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MapBrowserRun {
    pub nodes: usize,
    pub edges: usize,
    pub first_render: Vec<Timed>,
    pub remote: Vec<Remote>,
    pub drag: Vec<Drag>,
}

/// Adds the fixture to the data directory's first workspace, as bare
/// changes (no receipts: nobody's authorship is measured here).
pub async fn build(data_dir: &Path) -> anyhow::Result<()> {
    let (storage, document_id, mut document) = history::first_workspace(data_dir)?;
    document.set_actor(ActorId::from([0xb0; 16]));
    let before = document.get_heads();
    map_fixture::fill(
        &mut document,
        &Authorship {
            now_ms: crate::unix_ms(),
            author: "bench",
        },
    )?;
    let changes = document
        .get_changes(&before)
        .into_iter()
        .map(|change| change.raw_bytes().to_vec())
        .collect();
    let (writer, writer_thread) = StorageWriter::start(storage.clone());
    writer
        .append_with(AppendRequest::changes_only(document_id, changes))
        .await?;
    drop(writer);
    writer_thread
        .join()
        .map_err(|_| anyhow!("the storage writer panicked"))?;
    Ok(())
}

/// Builds the workspace in `data_dir`, serves it and runs the script once
/// with `runs` of each figure; the demo-sized screenshot goes to `screenshot`.
pub async fn measure(data_dir: &Path, runs: usize, screenshot: &Path) -> anyhow::Result<MapBrowserRun> {
    build(data_dir).await?;
    let password = format!("bench-{:016x}", crate::random_u64());
    let presidency = Account {
        email: "secretaria@bench.invalid".into(),
        role: "secretariat",
        password: password.clone(),
    };
    let member = Account {
        email: "miembro@bench.invalid".into(),
        role: "member",
        password,
    };
    let served = history::serve_as(data_dir, presidency, std::slice::from_ref(&member)).await?;
    let result = run_script(&served, &member, runs, screenshot).await;
    served.stop().await?;
    result
}

async fn run_script(
    served: &Served,
    member: &Account,
    runs: usize,
    screenshot: &Path,
) -> anyhow::Result<MapBrowserRun> {
    crate::browser::ensure_bundle(&served.address, "`cargo xtask bench --map-only`").await?;
    if let Some(parent) = screenshot.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let arguments: [std::ffi::OsString; 7] = [
        format!("http://{}", served.address).into(),
        served.account.email.clone().into(),
        member.email.clone().into(),
        member.password.clone().into(),
        NODES.to_string().into(),
        runs.to_string().into(),
        screenshot.into(),
    ];
    crate::browser::run_figures_script("map.mjs", &arguments, PATIENCE).await
}

/// The script's last line of JSON.
pub fn parse_run(stdout: &str) -> anyhow::Result<MapBrowserRun> {
    crate::browser::last_json_line("map.mjs", stdout)
}

/// The figures as a Markdown table (medians, then every run).
pub fn markdown(run: &MapBrowserRun) -> String {
    use crate::history_browser::median;
    let list = |values: Vec<f64>| {
        values
            .iter()
            .map(|value| format!("{value:.0}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let remote =
        |kind: &str| -> Vec<&Remote> { run.remote.iter().filter(|remote| remote.kind == kind).collect() };
    let mut text = format!(
        "# The map in headless Chromium\n\n{} nodes and {} edges drawn.\n\n\
         | what | median | budget | runs |\n| --- | ---: | ---: | --- |\n",
        run.nodes, run.edges
    );
    text.push_str(&format!(
        "| first render, page created → first frame with the graph | {:.0} ms | 1,000 ms | {} |\n",
        median(run.first_render.iter().map(|timed| timed.page_ms)),
        list(run.first_render.iter().map(|timed| timed.page_ms).collect())
    ));
    text.push_str(&format!(
        "| first render, wall (hash set → every node in the page) | {:.0} ms | | {} |\n",
        median(run.first_render.iter().map(|timed| timed.wall_ms)),
        list(run.first_render.iter().map(|timed| timed.wall_ms).collect())
    ));
    for kind in ["line", "member"] {
        let changes = remote(kind);
        text.push_str(&format!(
            "| remote change ({kind} added to an alliance), arrival → frame drawn | {:.0} ms | 100 ms | {} |\n",
            median(changes.iter().map(|remote| remote.page_ms)),
            list(changes.iter().map(|remote| remote.page_ms).collect())
        ));
        text.push_str(&format!(
            "| the same, wall (B's edit → A's map shows it) | {:.0} ms | | {} |\n",
            median(changes.iter().map(|remote| remote.wall_ms)),
            list(changes.iter().map(|remote| remote.wall_ms).collect())
        ));
    }
    text.push_str(&format!(
        "| dragging a node, frames per second | {:.0} | ≥ 30 | {} |\n",
        median(run.drag.iter().map(|drag| drag.fps)),
        list(run.drag.iter().map(|drag| drag.fps).collect())
    ));
    text.push_str(&format!(
        "| dragging, pointer moves handled per second | {:.0} | | {} |\n",
        median(
            run.drag
                .iter()
                .map(|drag| drag.moves as f64 * 1000.0 / drag.ms.max(1.0))
        ),
        list(
            run.drag
                .iter()
                .map(|drag| drag.moves as f64 * 1000.0 / drag.ms.max(1.0))
                .collect()
        )
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scripts_last_json_line_is_the_run() {
        let stdout = "log\n{\"nodes\":800,\"edges\":1200,\"firstRender\":[{\"wallMs\":900,\"pageMs\":700.6}],\
                      \"remote\":[{\"kind\":\"line\",\"wallMs\":60,\"pageMs\":20.25}],\
                      \"drag\":[{\"moves\":120,\"ms\":2000,\"frames\":110,\"fps\":55.5}]}\n";
        let run = parse_run(stdout).expect("parses");
        assert_eq!(run.nodes, 800);
        assert_eq!(run.first_render[0].page_ms, 700.6);
        assert_eq!(run.remote[0].kind, "line");
        assert_eq!(run.drag[0].fps, 55.5);
        let table = markdown(&run);
        assert!(table.contains("| 701 ms | 1,000 ms |"), "{table}");
        assert!(
            table.contains("| dragging a node, frames per second | 56 |"),
            "{table}"
        );
    }

    #[tokio::test]
    async fn the_fixture_lands_in_the_first_workspace() {
        let data = tempfile::tempdir().expect("tempdir");
        build(data.path()).await.expect("built");
        let storage = enlace_server::storage::Storage::open(data.path()).expect("open");
        let id = storage.workspaces().expect("workspaces")[0].id.expect("id");
        let stored = storage.load_document(&id).expect("load");
        let document = automerge::Automerge::load(&stored.changes.concat()).expect("document");
        let records = enlace_shared::followup::AllRecords::read(&document).expect("records");
        let graph = enlace_shared::graph::Graph::build(&records, &enlace_shared::graph::MapFilter::default());
        assert_eq!(graph.nodes.len(), NODES);
    }
}
