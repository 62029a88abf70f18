//! `bench`: the side-by-side load benchmark (Enlace, the automerge-repo Node
//! sync server, samod) and the storage micro-benchmarks, written under
//! `target/bench/`. Benchmarks report figures; they never assert times.

use std::process::Command;

use crate::bundle::CLIENT_DIST_ENV;
use crate::{Workspace, run, test};

pub fn run_all(workspace: &Workspace, arguments: &[String]) -> anyhow::Result<()> {
    test::install_npm_packages(&workspace.root.join("bench").join("js"))?;
    run::status(
        run::cargo(workspace)
            .args(["build", "--release", "-p", "enlace-server", "--bin", "enlace"])
            .env(CLIENT_DIST_ENV, workspace.client_dist()),
    )?;
    let binary = workspace
        .target_dir
        .join("release")
        .join(format!("enlace{}", std::env::consts::EXE_SUFFIX));
    run::status(
        run::cargo(workspace)
            .args([
                "run",
                "--release",
                "-p",
                "enlace-bench",
                "--bin",
                "enlace-bench",
                "--",
            ])
            .args(arguments)
            .env("ENLACE_BIN", &binary)
            .env(CLIENT_DIST_ENV, workspace.client_dist()),
    )?;
    run::status(
        Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .current_dir(&workspace.root)
            .args(["bench", "-p", "enlace-bench", "--bench", "storage"])
            .env(CLIENT_DIST_ENV, workspace.client_dist()),
    )?;
    eprintln!(
        "xtask bench: results in {}",
        workspace.target_dir.join("bench").display()
    );
    Ok(())
}
