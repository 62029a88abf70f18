//! Browser end-to-end: two headless Chromium sessions co-edit the directory
//! through the real server and its embedded Leptos client
//! (`tests/js/browser-directory.mjs`).

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context as _, bail, ensure};
use enlace_tests::{ServerProcess, chromium, js_dir, workspace_root};

const SCRIPT_TIMEOUT: Duration = Duration::from_secs(180);
const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];

fn node() -> PathBuf {
    std::env::var_os("ENLACE_NODE").map_or_else(|| PathBuf::from("node"), PathBuf::from)
}

#[tokio::test]
async fn two_browsers_co_edit_the_directory() -> anyhow::Result<()> {
    let js = js_dir();
    ensure!(
        js.join("node_modules/playwright-core").is_dir(),
        "npm packages missing: run `npm ci` in {}",
        js.display()
    );
    let browser = chromium();
    ensure!(
        browser.is_file(),
        "no Chromium at {} (set ENLACE_CHROMIUM)",
        browser.display()
    );

    let data = tempfile::tempdir()?;
    let mut server = ServerProcess::start(data.path()).await?;
    let (status, index) = server.get("/").await?;
    ensure!(
        status == 200 && String::from_utf8_lossy(&index).contains(".wasm"),
        "the server embeds no client bundle (GET / answered {status} without the wasm): run \
         `cargo xtask build-client` and rebuild the server with ENLACE_CLIENT_DIST pointing at it"
    );
    let screenshot = workspace_root()
        .join("target")
        .join("screenshots")
        .join("directory.png");
    // A stale screenshot must not make a failed run look good.
    let _ = std::fs::remove_file(&screenshot);

    let mut command = tokio::process::Command::new(node());
    command
        .arg(js.join("browser-directory.mjs"))
        .arg(server.http_url())
        .arg(&screenshot)
        .env("ENLACE_CHROMIUM", &browser)
        .current_dir(&js)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let output = tokio::time::timeout(SCRIPT_TIMEOUT, command.output())
        .await
        .context("browser-directory.mjs did not finish in time")?
        .context("cannot run node")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        bail!(
            "browser-directory.mjs failed ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
            output.status
        );
    }
    eprintln!("{stdout}");

    let png =
        std::fs::read(&screenshot).with_context(|| format!("no screenshot at {}", screenshot.display()))?;
    ensure!(
        png.starts_with(&PNG_SIGNATURE),
        "{} is not a PNG",
        screenshot.display()
    );
    ensure!(
        png.len() > 10 * 1024,
        "{} is only {} bytes: probably a blank page",
        screenshot.display(),
        png.len()
    );

    server.stop().await?;
    Ok(())
}
