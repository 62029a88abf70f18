//! `test`: the one command that runs every check on a fresh machine that has
//! only the Rust toolchain.
//!
//! Steps run in order and stop at the first failure; a summary of every step
//! (passed, failed, skipped) ends the output. The robustness checks run
//! inside `cargo test --workspace`: the `enlace-fuzz` crate replays every
//! saved crash input and fuzzes for 10 s (`ENLACE_FUZZ_SECONDS`), and
//! `tests/tests/crash.rs` runs three cycles of the SIGKILL crash suite. Every cargo step sees the same
//! `ENLACE_CLIENT_DIST`, so the server's build script fingerprint is stable
//! and nothing is rebuilt twice.
//!
//! The steps are ordered and shaped so that each crate is compiled as few
//! times as possible on a cold cache:
//! - The wasm32 lint runs with the bundle's profile, so the proc macros and
//!   build scripts it compiles are the ones the bundle build reuses.
//! - The bundle is built before anything native, so the server's build
//!   script embeds it once.
//! - Native linting and building are one compilation: `clippy-driver` is the
//!   compiler of the workspace's own crates (`RUSTC_WORKSPACE_WRAPPER`, as
//!   `cargo clippy` does it), with `-D warnings`, while cargo builds every
//!   target; `cargo test` then reuses all of it. A separate `cargo clippy`
//!   would type-check every dependency a second time.
//! - Every native step selects the same packages (`--workspace` without
//!   `xtask`), so dependencies resolve to the same features and are built
//!   once. `xtask` is linted (`cargo clippy`) and tested on its own
//!   (`-p xtask`), reusing what `cargo xtask` itself was built with.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use crate::bundle::{self, CLIENT_DIST_ENV, WASM_TARGET};
use crate::{Workspace, run};

pub const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// poppler-utils' tools, with which the annual report's browser suite turns
/// its printed PDF into page images and text.
const POPPLER_TOOLS: [&str; 2] = ["/usr/bin/pdftoppm", "/usr/bin/pdftotext"];

type Step = fn(&Workspace) -> anyhow::Result<()>;

const STEPS: [(&str, Step); 6] = [
    (
        "install what is missing (wasm target, Chromium, poppler-utils, npm packages)",
        install,
    ),
    ("cargo fmt --check", format_check),
    ("cargo clippy (wasm32 client)", clippy_wasm),
    ("build the client bundle", build_client),
    (
        "cargo clippy + build (native, all targets)",
        clippy_and_build_native,
    ),
    ("cargo test --workspace", test_workspace),
];

/// `CLIPPY_ARGS` as `cargo clippy -- -D warnings` passes it to clippy-driver.
const CLIPPY_ARGS: &str = "-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__";

enum Outcome {
    Passed(Duration),
    Failed(Duration, String),
    Skipped,
}

pub fn run_all(workspace: &Workspace) -> anyhow::Result<ExitCode> {
    let mut outcomes = Vec::new();
    let mut failed = false;
    for (number, (name, step)) in STEPS.iter().enumerate() {
        if failed {
            outcomes.push((name, Outcome::Skipped));
            continue;
        }
        eprintln!("\n==> [{}/{}] {name}", number + 1, STEPS.len());
        let started = Instant::now();
        match step(workspace) {
            Ok(()) => outcomes.push((name, Outcome::Passed(started.elapsed()))),
            Err(error) => {
                eprintln!("\nxtask test: step `{name}` failed: {error:#}");
                outcomes.push((name, Outcome::Failed(started.elapsed(), format!("{error:#}"))));
                failed = true;
            }
        }
    }
    eprintln!("\n==> summary");
    for (name, outcome) in &outcomes {
        match outcome {
            Outcome::Passed(took) => eprintln!("  ok      {name} ({:.0} s)", took.as_secs_f64()),
            Outcome::Failed(took, why) => eprintln!("  FAILED  {name} ({:.0} s): {why}", took.as_secs_f64()),
            Outcome::Skipped => eprintln!("  skipped {name}"),
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// A cargo command with the environment every test step shares.
fn cargo(workspace: &Workspace, arguments: &[&str]) -> Command {
    let mut command = run::cargo(workspace);
    command
        .args(arguments)
        .env(CLIENT_DIST_ENV, workspace.client_dist());
    command
}

fn install(workspace: &Workspace) -> anyhow::Result<()> {
    bundle::ensure_wasm_target(workspace)?;
    install_chromium()?;
    install_npm_packages(&workspace.root.join("tests").join("js"))
}

/// Chromium, its driver and poppler-utils (`pdftoppm`, `pdftotext`), from apt if missing.
pub fn install_chromium() -> anyhow::Result<()> {
    let needed = [CHROMIUM, CHROMEDRIVER].into_iter().chain(POPPLER_TOOLS);
    if needed.clone().all(|path| Path::new(path).exists()) {
        return Ok(());
    }
    const HOW: &str = "install Debian's `chromium`, `chromium-driver` and `poppler-utils` \
                       (as root: apt-get update && apt-get install -y chromium chromium-driver poppler-utils)";
    if !run::on_path("apt-get") {
        bail!("Chromium, its driver or poppler-utils is missing and apt-get is not available: {HOW}");
    }
    let user = run::output(Command::new("id").arg("-u")).context("could not tell whether we are root")?;
    if user.trim() != "0" {
        bail!("Chromium, its driver or poppler-utils is missing and this is not root: {HOW}");
    }
    run::status(Command::new("apt-get").arg("update"))?;
    run::status(
        Command::new("apt-get")
            .args(["install", "-y", "chromium", "chromium-driver", "poppler-utils"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    if let Some(missing) = needed.into_iter().find(|path| !Path::new(path).exists()) {
        bail!("apt-get finished but {missing} is still missing");
    }
    Ok(())
}

pub fn install_npm_packages(js_dir: &Path) -> anyhow::Result<()> {
    let lock = js_dir.join("package-lock.json");
    let modules = js_dir.join("node_modules");
    if !npm_packages_stale(&modules, &lock) {
        return Ok(());
    }
    if !run::on_path("npm") {
        bail!(
            "{} needs installing and `npm` is not on PATH: install Node.js and npm",
            modules.display()
        );
    }
    // Not `npm ci`: cbor-x lists optional prebuilt `@cbor-extract/*` packages
    // that the registry here does not serve, so they cannot be in the lock
    // file, and `npm ci` refuses a lock that lacks them. `npm install` honours
    // the lock for everything else and skips the optional packages (cbor-x
    // then encodes in plain JavaScript).
    run::status(
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund"])
            .current_dir(js_dir),
    )
}

/// True when `node_modules` is missing or older than the lock file. npm
/// rewrites `node_modules/.package-lock.json` on every install, so its
/// modification time is the install time.
fn npm_packages_stale(modules: &Path, lock: &Path) -> bool {
    let installed = modified(&modules.join(".package-lock.json")).or_else(|| modified(modules));
    match (installed, modified(lock)) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(installed), Some(locked)) => installed < locked,
    }
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    path.metadata().and_then(|metadata| metadata.modified()).ok()
}

fn format_check(workspace: &Workspace) -> anyhow::Result<()> {
    run::status(&mut cargo(workspace, &["fmt", "--all", "--", "--check"]))
}

/// Lints the client for the target it ships to, with the bundle's profile
/// and package selection so that its build scripts and proc macros are
/// shared with the bundle build.
fn clippy_wasm(workspace: &Workspace) -> anyhow::Result<()> {
    run::status(&mut cargo(
        workspace,
        &[
            "clippy",
            "-p",
            bundle::CLIENT_PACKAGE,
            "--target",
            WASM_TARGET,
            "--profile",
            bundle::Profile::Release.cargo_name(),
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    ))
}

fn build_client(workspace: &Workspace) -> anyhow::Result<()> {
    bundle::build_client(workspace, bundle::Profile::Release).map(|_| ())
}

/// Lints and builds every native target (the `enlace` binary the tests run
/// included) in one compilation, then lints `xtask`; see the module
/// documentation.
fn clippy_and_build_native(workspace: &Workspace) -> anyhow::Result<()> {
    let driver = clippy_driver(workspace)?;
    let mut command = linted_cargo(workspace, &driver, &["build", "--all-targets"]);
    command.args(WORKSPACE_WITHOUT_XTASK);
    run::status(&mut command)?;
    run::status(&mut cargo(
        workspace,
        &["clippy", "-p", "xtask", "--all-targets", "--", "-D", "warnings"],
    ))
}

/// The package selection of every native step but xtask's own. `xtask` is
/// left out so that the dependencies it shares with the rest resolve to the
/// same features here as when `cargo xtask` builds it alone, and so that
/// `cargo xtask` finds its binary fresh: built by clippy-driver, it would be
/// rebuilt by rustc on every run.
const WORKSPACE_WITHOUT_XTASK: [&str; 3] = ["--workspace", "--exclude", "xtask"];

/// A cargo command whose workspace crates are compiled by clippy-driver,
/// which lints them with `-D warnings` and then compiles them as rustc would.
fn linted_cargo(workspace: &Workspace, driver: &Path, arguments: &[&str]) -> Command {
    let mut command = cargo(workspace, arguments);
    command
        .env("RUSTC_WORKSPACE_WRAPPER", driver)
        .env("CLIPPY_ARGS", CLIPPY_ARGS);
    command
}

/// The toolchain's `clippy-driver` (rust-toolchain.toml installs clippy).
fn clippy_driver(workspace: &Workspace) -> anyhow::Result<PathBuf> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let sysroot = run::output(
        Command::new(rustc)
            .args(["--print", "sysroot"])
            .current_dir(&workspace.root),
    )?;
    let driver = Path::new(sysroot.trim())
        .join("bin")
        .join(format!("clippy-driver{}", std::env::consts::EXE_SUFFIX));
    if !driver.is_file() {
        bail!(
            "{} is missing: install clippy (`rustup component add clippy`)",
            driver.display()
        );
    }
    eprintln!(
        "  clippy-driver compiles the workspace crates: {}",
        driver.display()
    );
    Ok(driver)
}

fn server_binary(workspace: &Workspace) -> PathBuf {
    workspace
        .target_dir
        .join("debug")
        .join(format!("enlace{}", std::env::consts::EXE_SUFFIX))
}

/// Runs every test, reusing the builds of the previous step.
fn test_workspace(workspace: &Workspace) -> anyhow::Result<()> {
    let binary = server_binary(workspace);
    if !binary.exists() {
        bail!("{} is missing after the native build", binary.display());
    }
    let driver = clippy_driver(workspace)?;
    let mut command = linted_cargo(workspace, &driver, &["test"]);
    command
        .args(WORKSPACE_WITHOUT_XTASK)
        .env("ENLACE_BIN", &binary)
        .env("ENLACE_CHROMIUM", CHROMIUM)
        .env("ENLACE_JS_DIR", workspace.root.join("tests").join("js"));
    run::status(&mut command)?;
    run::status(&mut cargo(workspace, &["test", "-p", "xtask"]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_node_modules_are_stale() {
        let directory = std::env::temp_dir().join(format!("xtask-npm-{}", std::process::id()));
        let lock = directory.join("package-lock.json");
        let modules = directory.join("node_modules");
        assert!(npm_packages_stale(&modules, &lock));
        let _ = std::fs::remove_dir_all(&directory);
    }
}
