//! What every real-Chromium suite needs: the npm packages and Chromium
//! present, a server that embeds the client bundle, fresh screenshot paths
//! under `target/screenshots/`, and a `tests/js` script run to completion
//! with its screenshot checked.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context as _, bail, ensure};

use crate::{ServerProcess, chromium, js_dir, workspace_root};

/// The display name the harness gives the secretariat account.
pub const ADMIN_NAME: &str = "Secretaría Técnica";
/// How long one browser script may take.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(180);
const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];

fn node() -> PathBuf {
    std::env::var_os("ENLACE_NODE").map_or_else(|| PathBuf::from("node"), PathBuf::from)
}

/// Checks the npm packages and Chromium are there; returns Chromium's path.
pub fn prerequisites() -> anyhow::Result<PathBuf> {
    let js = js_dir();
    ensure!(
        js.join("node_modules/playwright-core").is_dir(),
        "npm packages missing: run `npm ci` in {} (cargo xtask test does)",
        js.display()
    );
    let browser = chromium();
    ensure!(
        browser.is_file(),
        "no Chromium at {} (set ENLACE_CHROMIUM)",
        browser.display()
    );
    Ok(browser)
}

/// Checks `server` serves the client bundle rather than the placeholder page.
pub async fn ensure_client_bundle(server: &ServerProcess) -> anyhow::Result<()> {
    let (status, index) = server.get("/").await?;
    ensure!(
        status == 200 && String::from_utf8_lossy(&index).contains(".wasm"),
        "the server embeds no client bundle (GET / answered {status} without the wasm): run \
         `cargo xtask build-client` and rebuild the server with ENLACE_CLIENT_DIST pointing at it"
    );
    Ok(())
}

/// `target/screenshots/<name>`, any stale copy removed so a failed run
/// cannot look good.
pub fn fresh_screenshot(name: &str) -> anyhow::Result<PathBuf> {
    let path = workspace_root().join("target").join("screenshots").join(name);
    let _ = std::fs::remove_file(&path);
    std::fs::create_dir_all(path.parent().context("screenshot directory")?)?;
    Ok(path)
}

/// Checks `path` holds a real PNG of a page that is not blank.
pub fn check_screenshot(path: &Path) -> anyhow::Result<()> {
    let png = std::fs::read(path).with_context(|| format!("no screenshot at {}", path.display()))?;
    ensure!(png.starts_with(&PNG_SIGNATURE), "{} is not a PNG", path.display());
    ensure!(
        png.len() > 10 * 1024,
        "{} is only {} bytes: probably a blank page",
        path.display(),
        png.len()
    );
    Ok(())
}

/// A provisioned server on a fresh data directory, for a browser suite:
/// checks the prerequisites, starts the server and checks it serves the
/// real client bundle. The directory must live as long as the server.
pub async fn browser_server() -> anyhow::Result<(tempfile::TempDir, ServerProcess)> {
    prerequisites()?;
    let data = tempfile::tempdir()?;
    let server = ServerProcess::start(data.path()).await?;
    ensure_client_bundle(&server).await?;
    Ok((data, server))
}

/// Runs `tests/js/<script> <base-url> <screenshot>` with `env` (and
/// `ENLACE_CHROMIUM`); fails with its output unless it exits 0, then checks
/// the screenshot is a real PNG.
pub async fn run_script(
    script: &str,
    server: &ServerProcess,
    screenshot: &Path,
    env: &[(&str, &str)],
) -> anyhow::Result<()> {
    run_script_at(script, &server.http_url(), screenshot, env).await
}

/// Like [`run_script`], with the pages opening `base_url` (a proxy in
/// front of the server, say).
pub async fn run_script_at(
    script: &str,
    base_url: &str,
    screenshot: &Path,
    env: &[(&str, &str)],
) -> anyhow::Result<()> {
    let browser = prerequisites()?;
    let js = js_dir();
    let mut command = tokio::process::Command::new(node());
    command
        .arg(js.join(script))
        .arg(base_url)
        .arg(screenshot)
        .env("ENLACE_CHROMIUM", &browser)
        .envs(env.iter().copied())
        .current_dir(&js)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let output = tokio::time::timeout(SCRIPT_TIMEOUT, command.output())
        .await
        .with_context(|| format!("{script} did not finish in time"))?
        .context("cannot run node")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        bail!(
            "{script} failed ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
            output.status
        );
    }
    eprintln!("{stdout}");
    check_screenshot(screenshot)
}
