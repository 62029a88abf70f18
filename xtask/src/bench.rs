//! `bench`: the whole benchmark suite in one go, written under
//! `target/bench/` (`results.json` and `results.md`).
//!
//! 1. the Criterion benchmarks, first, while the machine is quiet: storage
//!    (durable changes against raw fsync, cold open against
//!    `Automerge::load`) and sync (one acknowledgement against the length of
//!    the history);
//! 2. the side-by-side load harness (Enlace, the automerge-repo Node sync
//!    server, samod): the scenario matrix, the sustained-rate search and the
//!    memory per idle connection;
//! 3. the browser figures in headless Chromium, against a release server that
//!    embeds the release client bundle;
//! 4. the history (issue 11), written to `history.md` and `history.json`:
//!    `enlace-history` on a workspace of 100,000 changes (the timeline's
//!    cost per commit, first pages and one record's history at the storage
//!    layer and through HTTP, then the initial load, "view as of" and
//!    compare in headless Chromium on the same workspace), `enlace-audit
//!    --changes 100000` (export and `audit verify`) and the Criterion
//!    `timetravel` benchmark. `--history-only` runs just this part;
//!    `--quick` uses 20,000 changes;
//! 5. the network map (issue 13, `enlace-map`): 500 organisations and 300
//!    ties in headless Chromium: first render, a remote change shown,
//!    frames per second while dragging; `map.md`, `map.json` and
//!    `map-800.png`. `--map-only` runs just this part;
//! 6. the local copy (issue 14, `enlace-offline`): a 100,000-change
//!    workspace of about 10 MB opened from IndexedDB with the network off, and one edit
//!    persisted; `offline.md`, `offline.json`. `--offline-only` runs just
//!    this part;
//! 7. the abuse run (`enlace-abuse`): honest peers' latency and the server's
//!    peak memory while an attacker runs each attack, against a baseline,
//!    written to `abuse.md` and `abuse.json`. `--abuse-only` runs just this
//!    part (no bundle, no browser, no Criterion).
//!
//! The harness reads the Criterion results back so that one report holds
//! everything. Benchmarks report figures; they never assert times.
//! `--quick` (passed through) shortens every part.

use std::process::Command;

use anyhow::Context as _;

use crate::bundle::{self, CLIENT_DIST_ENV};
use crate::{Workspace, run, test};

pub fn run_all(workspace: &Workspace, arguments: &[String]) -> anyhow::Result<()> {
    let quick = arguments.iter().any(|argument| argument == "--quick");
    if arguments.iter().any(|argument| argument == "--abuse-only") {
        let rest: Vec<String> = arguments
            .iter()
            .filter(|argument| *argument != "--abuse-only" && *argument != "--quick")
            .cloned()
            .collect();
        run::status(
            run::cargo(workspace)
                .args(["build", "--release", "-p", "enlace-server", "--bin", "enlace"])
                .args(["-p", "enlace-bench", "--bin", "enlace-abuse"]),
        )?;
        return abuse(workspace, quick, &rest);
    }
    if arguments.iter().any(|argument| argument == "--offline-only") {
        let dist = browser_bench_binaries(workspace, &["enlace-offline"])?;
        return offline(workspace, quick, &dist);
    }
    if arguments.iter().any(|argument| argument == "--map-only") {
        let dist = browser_bench_binaries(workspace, &["enlace-map"])?;
        return map(workspace, quick, &dist);
    }
    if arguments.iter().any(|argument| argument == "--history-only") {
        let dist = browser_bench_binaries(workspace, &["enlace-history", "enlace-audit"])?;
        return history(workspace, quick, &dist);
    }
    bundle::ensure_wasm_target(workspace)?;
    test::install_chromium()?;
    test::install_npm_packages(&workspace.root.join("bench").join("js"))?;
    test::install_npm_packages(&workspace.root.join("tests").join("js"))?;
    let dist = bundle::build_client(workspace, bundle::Profile::Release)?;
    run::status(
        run::cargo(workspace)
            .args(["build", "--release", "-p", "enlace-server", "--bin", "enlace"])
            .args(["-p", "enlace-bench", "--bins"])
            .env(CLIENT_DIST_ENV, &dist),
    )?;

    let mut criterion = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    criterion
        .current_dir(&workspace.root)
        .args([
            "bench",
            "-p",
            "enlace-bench",
            "--bench",
            "storage",
            "--bench",
            "sync",
        ])
        .env(CLIENT_DIST_ENV, &dist);
    if quick {
        criterion.args(["--", "--quick"]);
    }
    run::status(&mut criterion)?;

    let binary = release_server(workspace);
    let out = results_dir(workspace);
    let mut harness = run::cargo(workspace);
    harness
        .args([
            "run",
            "--release",
            "-p",
            "enlace-bench",
            "--bin",
            "enlace-bench",
            "--",
        ])
        .arg("--client-dist")
        .arg(&dist)
        .arg("--out")
        .arg(&out)
        .arg("--criterion")
        .arg(workspace.target_dir.join("criterion"))
        .args(arguments)
        .env("ENLACE_BIN", &binary)
        .env("ENLACE_CHROMIUM", test::CHROMIUM)
        .env(CLIENT_DIST_ENV, &dist);
    if quick && !arguments.iter().any(|argument| argument == "--browser-runs") {
        harness.args(["--browser-runs", "1"]);
    }
    run::status(&mut harness)?;
    history(workspace, quick, &dist)?;
    map(workspace, quick, &dist)?;
    offline(workspace, quick, &dist)?;
    abuse(workspace, quick, &[])?;
    eprintln!("xtask bench: results in {}", out.display());
    Ok(())
}

/// The abuse run against the release server; `arguments` go to `enlace-abuse`.
fn abuse(workspace: &Workspace, quick: bool, arguments: &[String]) -> anyhow::Result<()> {
    let binary = release_server(workspace);
    let out = results_dir(workspace);
    let mut command = run::cargo(workspace);
    command
        .args([
            "run",
            "--release",
            "-p",
            "enlace-bench",
            "--bin",
            "enlace-abuse",
            "--",
        ])
        .arg("--out")
        .arg(&out)
        .args(arguments)
        .env("ENLACE_BIN", &binary);
    if quick && !arguments.iter().any(|argument| argument == "--duration") {
        command.args(["--duration", "5"]);
    }
    run::status(&mut command)
}

/// What one browser part of the suite needs: the wasm target, Chromium and
/// the test scripts' npm packages, the release bundle, and the release
/// server embedding it with the benchmark binaries `bins`. Returns the
/// bundle's directory.
fn browser_bench_binaries(workspace: &Workspace, bins: &[&str]) -> anyhow::Result<std::path::PathBuf> {
    bundle::ensure_wasm_target(workspace)?;
    test::install_chromium()?;
    test::install_npm_packages(&workspace.root.join("tests").join("js"))?;
    let dist = bundle::build_client(workspace, bundle::Profile::Release)?;
    let mut build = run::cargo(workspace);
    build
        .args(["build", "--release", "-p", "enlace-server", "--bin", "enlace"])
        .args(["-p", "enlace-bench"]);
    for bin in bins {
        build.args(["--bin", bin]);
    }
    run::status(build.env(CLIENT_DIST_ENV, &dist))?;
    Ok(dist)
}

/// The local copy's figures in headless Chromium (`enlace-offline`), into
/// `offline.md` and `offline.json`.
fn offline(workspace: &Workspace, quick: bool, dist: &std::path::Path) -> anyhow::Result<()> {
    browser_figures(
        workspace,
        "enlace-offline",
        &[
            "--changes",
            if quick { "20000" } else { "100000" },
            "--runs",
            if quick { "2" } else { "5" },
        ],
        dist,
    )?;
    eprintln!(
        "xtask bench: local copy figures in {}",
        results_dir(workspace).join("offline.md").display()
    );
    Ok(())
}

/// The map's figures in headless Chromium (`enlace-map`), into `map.md`,
/// `map.json` and `map-800.png`.
fn map(workspace: &Workspace, quick: bool, dist: &std::path::Path) -> anyhow::Result<()> {
    browser_figures(
        workspace,
        "enlace-map",
        &["--runs", if quick { "2" } else { "5" }],
        dist,
    )?;
    eprintln!(
        "xtask bench: map figures in {}",
        results_dir(workspace).join("map.md").display()
    );
    Ok(())
}

/// Runs the release benchmark binary `bin` with `arguments` and `--out
/// target/bench`, against the release server embedding the bundle `dist`,
/// in the tests' Chromium.
fn browser_figures(
    workspace: &Workspace,
    bin: &str,
    arguments: &[&str],
    dist: &std::path::Path,
) -> anyhow::Result<()> {
    let mut figures = run::cargo(workspace);
    figures
        .args(["run", "--release", "-p", "enlace-bench", "--bin", bin, "--"])
        .args(arguments)
        .arg("--out")
        .arg(results_dir(workspace))
        .env("ENLACE_BIN", release_server(workspace))
        .env("ENLACE_CHROMIUM", test::CHROMIUM)
        .env(CLIENT_DIST_ENV, dist);
    run::status(&mut figures)
}

/// The history's figures (see the module comment), into `history.md` and
/// `history.json`: `enlace-history` writes both, then the audit run's output
/// and the Criterion `timetravel` times are added to each.
fn history(workspace: &Workspace, quick: bool, dist: &std::path::Path) -> anyhow::Result<()> {
    let changes = if quick { "20000" } else { "100000" };
    let out = results_dir(workspace);
    browser_figures(
        workspace,
        "enlace-history",
        &[
            "--changes",
            changes,
            "--browser-runs",
            if quick { "2" } else { "5" },
            "--repetitions",
            if quick { "20" } else { "100" },
        ],
        dist,
    )?;

    let mut audit = run::cargo(workspace);
    audit
        .args([
            "run",
            "--release",
            "-p",
            "enlace-bench",
            "--bin",
            "enlace-audit",
            "--",
        ])
        .args(["--changes", changes, "--runs", if quick { "1" } else { "3" }])
        .env(CLIENT_DIST_ENV, dist);
    let audit = run::output(&mut audit)?;
    eprintln!("{audit}");

    let mut criterion = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    criterion
        .current_dir(&workspace.root)
        .args(["bench", "-p", "enlace-bench", "--bench", "timetravel"])
        .env(CLIENT_DIST_ENV, dist);
    if quick {
        criterion.args(["--", "--quick"]);
    }
    let timetravel = run::output(&mut criterion)?;
    eprintln!("{timetravel}");

    let markdown = out.join("history.md");
    let mut report = std::fs::read_to_string(&markdown)
        .with_context(|| format!("enlace-history wrote no {}", markdown.display()))?;
    report.push_str(&format!(
        "
## Audit export and `audit verify` ({changes} changes)

```
{}
```
         
## Criterion `timetravel` (100,000 changes, native; details in {})

```
{}
```
",
        audit.trim(),
        workspace.target_dir.join("criterion").display(),
        criterion_summary(&timetravel)
    ));
    std::fs::write(&markdown, report)?;
    let json = out.join("history.json");
    let mut figures: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&json)
            .with_context(|| format!("enlace-history wrote no {}", json.display()))?,
    )?;
    if let Some(figures) = figures.as_object_mut() {
        figures.insert("audit".into(), audit.trim().into());
        figures.insert("timetravel".into(), criterion_summary(&timetravel).into());
    }
    std::fs::write(&json, serde_json::to_string_pretty(&figures)?)?;
    eprintln!("xtask bench: history figures in {}", markdown.display());
    Ok(())
}

/// Criterion's `name  time: [low median high]` lines (a long name stands
/// on the line before its time), without the rest of its output.
fn criterion_summary(output: &str) -> String {
    let mut previous = "";
    let mut summary = Vec::new();
    for line in output.lines() {
        if let Some((name, time)) = line.split_once("time:") {
            let name = if name.trim().is_empty() { previous } else { name };
            summary.push(format!("{:<36} {}", name.trim(), time.trim()));
        }
        previous = line;
    }
    summary.join("\n")
}

/// The release `enlace` binary the benchmarks run.
fn release_server(workspace: &Workspace) -> std::path::PathBuf {
    workspace
        .target_dir
        .join("release")
        .join(format!("enlace{}", std::env::consts::EXE_SUFFIX))
}

/// `target/bench` of the checkout, wherever CARGO_TARGET_DIR points.
fn results_dir(workspace: &Workspace) -> std::path::PathBuf {
    workspace.root.join("target").join("bench")
}

#[cfg(test)]
mod tests {
    #[test]
    fn criterion_summary_keeps_names_and_times() {
        let output = "Benchmarking compare/x: Warming up\ncompare/x   time:   [1.0 ms 1.1 ms 1.2 ms]\n\
                      change: [-1% +0% +1%]\nread_workspace/a_long_name\n                        time:   [5 ms 6 ms 7 ms]\n";
        assert_eq!(
            super::criterion_summary(output),
            format!(
                "{:<36} [1.0 ms 1.1 ms 1.2 ms]\n{:<36} [5 ms 6 ms 7 ms]",
                "compare/x", "read_workspace/a_long_name"
            )
        );
    }
}
