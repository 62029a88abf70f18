//! Browser figures in real headless Chromium: the client bundle's size, the
//! time from navigation to an interactive directory of 2,000 organisations,
//! the in-page filter time and the time from a remote edit to the repaint.
//!
//! Each run starts a fresh Enlace server (the release binary, which must embed
//! the client bundle), provisions a secretariat account through the CLI, and
//! runs `bench/browser/figures.mjs` from `tests/js` (where playwright-core
//! and the stock automerge-repo client are installed). The script fills the
//! workspace through a stock client and drives Chromium signed in as that
//! account; it prints one line of JSON.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use serde::{Deserialize, Serialize};

use crate::servers::{self, Account, ServerKind};

/// How long one run of the browser script may take.
const RUN_PATIENCE: Duration = Duration::from_secs(300);

/// The client bundle as the server serves it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BundleSize {
    pub wasm_bytes: u64,
    /// `enlace_bg.wasm.gz`, compressed at gzip's best level by the bundler.
    pub wasm_gzip_bytes: u64,
    /// Every other file of the bundle (JS glue, HTML, CSS), uncompressed.
    pub other_bytes: u64,
}

/// What one run of the browser script printed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BrowserRun {
    pub organisations: usize,
    /// Navigation to `#/organisations` until the list shows all of them.
    pub interactive_ms: f64,
    /// The page's own measurement of each search (`data-filter-ms`).
    pub filter_ms: Vec<f64>,
    /// A stock client's edit until the browser shows it, once per edit.
    pub remote_edit_ms: Vec<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BrowserFigures {
    pub bundle: BundleSize,
    pub chromium: String,
    pub runs: Vec<BrowserRun>,
    pub errors: Vec<String>,
}

impl BrowserFigures {
    pub fn interactive_ms(&self) -> Vec<f64> {
        self.runs.iter().map(|run| run.interactive_ms).collect()
    }

    pub fn filter_ms(&self) -> Vec<f64> {
        self.runs
            .iter()
            .flat_map(|run| run.filter_ms.iter().copied())
            .collect()
    }

    pub fn remote_edit_ms(&self) -> Vec<f64> {
        self.runs
            .iter()
            .flat_map(|run| run.remote_edit_ms.iter().copied())
            .collect()
    }
}

/// Sizes of the bundle in `dist` (as written by `cargo xtask build-client`).
pub fn bundle_size(dist: &Path) -> anyhow::Result<BundleSize> {
    let size = |name: &str| -> anyhow::Result<u64> {
        let path = dist.join(name);
        Ok(std::fs::metadata(&path)
            .with_context(|| format!("no {} (build the client first)", path.display()))?
            .len())
    };
    let mut other_bytes = 0;
    for entry in std::fs::read_dir(dist).with_context(|| format!("cannot read {}", dist.display()))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        // Compressed copies (`.gz`, `.br`) are other encodings of counted files.
        if name.ends_with(".gz") || name.ends_with(".br") || name.ends_with(".wasm") {
            continue;
        }
        other_bytes += entry.metadata()?.len();
    }
    Ok(BundleSize {
        wasm_bytes: size("enlace_bg.wasm")?,
        wasm_gzip_bytes: size("enlace_bg.wasm.gz")?,
        other_bytes,
    })
}

/// The Chromium the tests use (`ENLACE_CHROMIUM`, else Debian's).
pub(crate) fn chromium() -> PathBuf {
    std::env::var_os("ENLACE_CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

/// Fails unless the server at `address` serves the client bundle; `how`
/// says which command builds one.
pub async fn ensure_bundle(address: &str, how: &str) -> anyhow::Result<()> {
    let (status, page) = servers::http_get(address, "/", None).await?;
    if status != 200 || !String::from_utf8_lossy(&page).contains("enlace.js") {
        bail!("the Enlace binary serves no client bundle: build it with the bundle embedded ({how} does)");
    }
    Ok(())
}

/// Runs `bench/browser/<script>` with `arguments` under Node, from
/// `tests/js` (where playwright-core is installed), in the tests'
/// Chromium, within `patience`; reads its figures from the last line of
/// JSON it prints.
pub async fn run_figures_script<T: serde::de::DeserializeOwned>(
    script: &str,
    arguments: &[std::ffi::OsString],
    patience: Duration,
) -> anyhow::Result<T> {
    let root = servers::workspace_root();
    let command = tokio::process::Command::new("node")
        .arg(root.join("bench").join("browser").join(script))
        .args(arguments)
        .current_dir(root.join("tests").join("js"))
        .env("ENLACE_CHROMIUM", chromium())
        .stdin(Stdio::null())
        // The script's progress shows as it goes (a long run that waits
        // says where); only its figures, on stdout, are read.
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .context("cannot run node")?
        .wait_with_output();
    let output = tokio::time::timeout(patience, command)
        .await
        .map_err(|_| anyhow!("{script} took longer than {patience:?}"))?
        .context("node did not finish")?;
    if !output.status.success() {
        bail!("{script} failed ({}); its log is above", output.status);
    }
    last_json_line(script, &String::from_utf8_lossy(&output.stdout))
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

/// `runs` fresh servers, one browser run each. A failed run is kept as an
/// error; the figures are whatever the other runs measured.
pub async fn measure(dist: &Path, runs: usize, progress: &impl Fn(&str)) -> anyhow::Result<BrowserFigures> {
    let bundle = bundle_size(dist)?;
    let chromium = chromium();
    let version = std::process::Command::new(&chromium)
        .arg("--version")
        .output()
        .with_context(|| format!("cannot run {}", chromium.display()))?;
    let chromium_version = String::from_utf8_lossy(&version.stdout).trim().to_owned();
    let mut figures = BrowserFigures {
        bundle,
        chromium: chromium_version,
        runs: Vec::new(),
        errors: Vec::new(),
    };
    for run in 1..=runs {
        match tokio::time::timeout(RUN_PATIENCE, run_once(&chromium)).await {
            Ok(Ok(measured)) => {
                progress(&format!(
                    "browser run {run}: interactive {:.0} ms, filter {:?} ms, remote edit {:?} ms",
                    measured.interactive_ms, measured.filter_ms, measured.remote_edit_ms
                ));
                figures.runs.push(measured);
            }
            Ok(Err(error)) => {
                progress(&format!("browser run {run}: FAILED {error:#}"));
                figures.errors.push(format!("{error:#}"));
            }
            Err(_) => {
                progress(&format!("browser run {run}: timed out"));
                figures
                    .errors
                    .push(format!("run {run} took longer than {RUN_PATIENCE:?}"));
            }
        }
    }
    if figures.runs.is_empty() {
        bail!("no browser run succeeded: {}", figures.errors.join("; "));
    }
    Ok(figures)
}

async fn run_once(chromium: &Path) -> anyhow::Result<BrowserRun> {
    let account = Account {
        email: "secretaria@bench.invalid".to_owned(),
        role: "secretariat",
        password: format!("navegador-{:016x}", crate::random_u64()),
    };
    let server = servers::start_with(ServerKind::Enlace, &account).await?;
    let (status, page) = servers::http_get(&server.address, "/", None).await?;
    if status != 200 || !String::from_utf8_lossy(&page).contains("enlace.js") {
        bail!(
            "the Enlace binary serves no client bundle: build it with the bundle embedded \
             (`cargo xtask bench` does; by hand: `cargo xtask build-client` then \
             `ENLACE_CLIENT_DIST=<dist> cargo build --release --bin enlace`)"
        );
    }
    let token = server
        .bearer_token
        .clone()
        .ok_or_else(|| anyhow!("no bearer token for the browser account"))?;
    let root = servers::workspace_root();
    let output = tokio::process::Command::new("node")
        .arg(root.join("bench").join("browser").join("figures.mjs"))
        .arg(format!("http://{}", server.address))
        .arg(&token)
        .arg(&account.email)
        .arg(&account.password)
        .current_dir(root.join("tests").join("js"))
        .env("ENLACE_CHROMIUM", chromium)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .context("cannot run node")?;
    server.stop().await?;
    if !output.status.success() {
        bail!(
            "figures.mjs failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    parse_run(&String::from_utf8_lossy(&output.stdout))
}

/// The script's last line of output.
pub fn parse_run(stdout: &str) -> anyhow::Result<BrowserRun> {
    let line = stdout
        .lines()
        .rev()
        .find(|line| line.trim_start().starts_with('{'))
        .ok_or_else(|| anyhow!("figures.mjs printed no JSON: {stdout}"))?;
    serde_json::from_str(line).with_context(|| format!("figures.mjs printed unexpected JSON: {line}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scripts_last_json_line_is_the_run() {
        let stdout = "some log\n{\"organisations\":2000,\"interactiveMs\":612,\"filterMs\":[0.3,4.5],\"remoteEditMs\":[120,98]}\n";
        let run = parse_run(stdout).expect("parses");
        assert_eq!(run.organisations, 2000);
        assert_eq!(run.interactive_ms, 612.0);
        assert_eq!(run.filter_ms, vec![0.3, 4.5]);
        assert_eq!(run.remote_edit_ms, vec![120.0, 98.0]);
    }

    #[test]
    fn output_without_json_is_an_error() {
        assert!(parse_run("Error: browser closed\n").is_err());
    }

    #[test]
    fn bundle_size_counts_wasm_gzip_and_the_rest() {
        let dist = tempfile::tempdir().expect("tempdir");
        std::fs::write(dist.path().join("enlace_bg.wasm"), vec![0u8; 1000]).expect("write");
        std::fs::write(dist.path().join("enlace_bg.wasm.gz"), vec![0u8; 300]).expect("write");
        std::fs::write(dist.path().join("enlace.js"), vec![0u8; 40]).expect("write");
        std::fs::write(dist.path().join("enlace.js.gz"), vec![0u8; 10]).expect("write");
        std::fs::write(dist.path().join("enlace.js.br"), vec![0u8; 8]).expect("write");
        std::fs::write(dist.path().join("enlace_bg.wasm.br"), vec![0u8; 200]).expect("write");
        std::fs::write(dist.path().join("index.html"), vec![0u8; 2]).expect("write");
        let size = bundle_size(dist.path()).expect("sizes");
        assert_eq!(
            size,
            BundleSize {
                wasm_bytes: 1000,
                wasm_gzip_bytes: 300,
                other_bytes: 42
            }
        );
    }

    #[test]
    fn a_bundle_without_wasm_is_an_error() {
        let dist = tempfile::tempdir().expect("tempdir");
        assert!(bundle_size(dist.path()).is_err());
    }
}
