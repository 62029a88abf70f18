//! `cargo xtask`: builds the browser bundle and runs everything the README promises.
//!
//! # Subcommands
//! - `build-client [--dev]`: wasm32 build of `enlace-client`, wasm-bindgen
//!   (as a library, so nothing is downloaded), static files and `.gz` and
//!   `.br` copies into `<target>/enlace-client/`.
//! - `serve [args…]`: `build-client`, then the server with the fresh bundle.
//! - `test`: installs what is missing, then fmt, clippy for wasm32, the
//!   bundle, clippy and the build of every native target in one compilation,
//!   and every test suite, with a summary at the end.
//! - `bench [--quick] [--abuse-only | --history-only | --map-only | --offline-only] [args…]`: the side-by-side load
//!   benchmark, the abuse run and the storage micro-benchmarks.
//! - `fuzz [--seconds N]`: the fuzz targets for N seconds (see `stress`).
//! - `crash [--cycles N]`: the SIGKILL crash suite (see `stress`).

mod bench;
mod bundle;
mod run;
mod stress;
mod test;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};

const USAGE: &str = "usage: cargo xtask <command>

commands:
  build-client [--dev]   build the browser bundle into <target>/enlace-client
  serve [args…]          build the bundle, then run `enlace serve [args…]` with it
  test                   install what is missing, then lint, build and run every test
  bench [--quick] [args…] load benchmark vs automerge-repo and samod, abuse run, storage benches
  bench --abuse-only     only the abuse run (honest peers' latency under each attack)
  bench --history-only   only the history figures (timeline, browser view as of / compare, audit verify, timetravel)
  bench --map-only       only the map figures in headless Chromium (first render, remote change, drag)
  bench --offline-only   only the local copy's figures in headless Chromium (open offline, persist one edit)
  fuzz [--seconds N]     fuzz the frame decoder and the hub for N seconds (default 60)
  crash [--cycles N]     SIGKILL the server under 20 writing peers N times (default 50)";

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    match dispatch(&arguments) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("xtask: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(arguments: &[String]) -> anyhow::Result<ExitCode> {
    let (command, rest) = match arguments.split_first() {
        Some((command, rest)) => (command.as_str(), rest),
        None => {
            eprintln!("{USAGE}");
            return Ok(ExitCode::from(2));
        }
    };
    let workspace = Workspace::locate()?;
    match command {
        "build-client" => {
            let profile = match rest {
                [] => bundle::Profile::Release,
                [flag] if flag == "--dev" => bundle::Profile::Dev,
                other => bail!("build-client takes only `--dev`, not {other:?}"),
            };
            bundle::build_client(&workspace, profile)?;
            Ok(ExitCode::SUCCESS)
        }
        "serve" => {
            let dist = bundle::build_client(&workspace, bundle::Profile::Release)?;
            let mut command = run::cargo(&workspace);
            command
                .args([
                    "run",
                    "--release",
                    "-p",
                    "enlace-server",
                    "--bin",
                    "enlace",
                    "--",
                    "serve",
                    // The demo roundtable seeds only an empty data directory.
                    "--demo",
                ])
                .args(rest)
                .env(bundle::CLIENT_DIST_ENV, &dist);
            run::status(&mut command)?;
            Ok(ExitCode::SUCCESS)
        }
        "test" => test::run_all(&workspace),
        "bench" => {
            bench::run_all(&workspace, rest)?;
            Ok(ExitCode::SUCCESS)
        }
        "fuzz" => {
            stress::fuzz(&workspace, rest)?;
            Ok(ExitCode::SUCCESS)
        }
        "crash" => {
            stress::crash(&workspace, rest)?;
            Ok(ExitCode::SUCCESS)
        }
        "help" | "--help" | "-h" => {
            eprintln!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => {
            eprintln!("xtask: unknown command `{other}`\n\n{USAGE}");
            Ok(ExitCode::from(2))
        }
    }
}

/// Where the repository and cargo's target directory are.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub root: PathBuf,
    pub target_dir: PathBuf,
}

impl Workspace {
    /// Asks `cargo metadata`, so `CARGO_TARGET_DIR` and config are honoured.
    fn locate() -> anyhow::Result<Self> {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let output = std::process::Command::new(cargo)
            .args(["metadata", "--format-version", "1", "--no-deps"])
            .current_dir(manifest_dir())
            .output()
            .context("could not run `cargo metadata`")?;
        if !output.status.success() {
            bail!(
                "`cargo metadata` failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        let text = String::from_utf8(output.stdout).context("`cargo metadata` printed non-UTF-8")?;
        Ok(Self {
            root: PathBuf::from(json_string_field(&text, "workspace_root")?),
            target_dir: PathBuf::from(json_string_field(&text, "target_directory")?),
        })
    }

    /// The bundle directory the server embeds.
    pub fn client_dist(&self) -> PathBuf {
        self.target_dir.join("enlace-client")
    }
}

/// This package's directory. `cargo run` sets it at run time; the value
/// compiled in can name another checkout, because cargo does not copy a
/// fresh binary over `target/debug/xtask` when two checkouts share one
/// target directory (CI's cache).
fn manifest_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(
        || std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")),
        std::path::PathBuf::from,
    )
}

/// Reads one top-level string field of `cargo metadata` output.
fn json_string_field(json: &str, field: &str) -> anyhow::Result<String> {
    let value: serde_json::Value =
        serde_json::from_str(json).context("`cargo metadata` printed invalid JSON")?;
    value
        .get(field)
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
        .with_context(|| format!("`cargo metadata` output lacks the string `{field}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_top_level_string_fields() {
        let json = r#"{"packages":[{"name":"x","target_directory":"nope"}],"target_directory":"/work/t \"b\"","workspace_root":"/work/main"}"#;
        assert_eq!(
            json_string_field(json, "target_directory").ok().as_deref(),
            Some("/work/t \"b\"")
        );
        assert_eq!(
            json_string_field(json, "workspace_root").ok().as_deref(),
            Some("/work/main")
        );
        assert!(json_string_field(json, "missing").is_err());
    }
}
