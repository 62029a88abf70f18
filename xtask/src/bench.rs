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
//! 4. the abuse run (`enlace-abuse`): honest peers' latency and the server's
//!    peak memory while an attacker runs each attack, against a baseline,
//!    written to `abuse.md` and `abuse.json`. `--abuse-only` runs just this
//!    part (no bundle, no browser, no Criterion).
//!
//! The harness reads the Criterion results back so that one report holds
//! everything. Benchmarks report figures; they never assert times.
//! `--quick` (passed through) shortens every part.

use std::process::Command;

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
