//! `fuzz` and `crash`: the two long-running robustness checks.
//!
//! - `fuzz [--seconds N] [args…]`: the `enlace-fuzz` binary (crate `fuzz/`)
//!   for N seconds in all (default 60), split between its targets; new
//!   crashes are saved under `fuzz/regressions/<target>/`, which `cargo test`
//!   replays.
//! - `crash [--cycles N] [args…]`: the `enlace-crash` binary (crate
//!   `tests/`): 20 writing peers, SIGKILL at a random moment, restart on the
//!   same data directory, N times (default 50). Fails if an acknowledged
//!   write is lost or a peer takes more than 5 s to reconverge.
//!
//! Both run debug builds, the ones `cargo xtask test` already made: the
//! fuzzer wants debug assertions (automerge's and ours) on, and the crash
//! suite measures the same server the tests run.

use crate::{Workspace, run};

pub fn fuzz(workspace: &Workspace, arguments: &[String]) -> anyhow::Result<()> {
    let mut command = run::cargo(workspace);
    command.args(["run", "-p", "enlace-fuzz", "--bin", "enlace-fuzz", "--"]);
    if !arguments.iter().any(|argument| argument == "--seconds") {
        command.args(["--seconds", "60"]);
    }
    command.args(arguments).env(
        "ENLACE_FUZZ_REGRESSIONS",
        workspace.root.join("fuzz").join("regressions"),
    );
    run::status(&mut command)
}

pub fn crash(workspace: &Workspace, arguments: &[String]) -> anyhow::Result<()> {
    run::status(run::cargo(workspace).args(["build", "-p", "enlace-server", "--bin", "enlace"]))?;
    let binary = workspace
        .target_dir
        .join("debug")
        .join(format!("enlace{}", std::env::consts::EXE_SUFFIX));
    let mut command = run::cargo(workspace);
    command
        .args(["run", "-p", "enlace-tests", "--bin", "enlace-crash", "--"])
        .args(arguments)
        .env("ENLACE_BIN", &binary);
    run::status(&mut command)
}
