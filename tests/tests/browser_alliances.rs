//! Browser end to end over the demo roundtable: an alliance created, linked,
//! moved along its pipeline and found, in Spanish and English, with a second
//! page following live (`tests/js/browser-alliances.mjs`).

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context as _, bail, ensure};
use enlace_tests::{ADMIN_EMAIL, ServerProcess, TEST_PASSWORD, chromium, js_dir, workspace_root};

const SCRIPT_TIMEOUT: Duration = Duration::from_secs(180);
/// The display name the harness gives the secretariat account.
const ADMIN_NAME: &str = "Secretaría Técnica";

#[tokio::test]
async fn an_alliance_moves_along_its_pipeline_in_two_pages_and_two_languages() -> anyhow::Result<()> {
    ensure!(
        js_dir().join("node_modules/playwright-core").is_dir(),
        "run `npm install` in tests/js (cargo xtask test does)"
    );
    let data = tempfile::tempdir()?;
    // The demo seeds only an empty data directory, so this server starts
    // unprovisioned and its first secretariat account comes from the setup link.
    let mut server = ServerProcess::start_unprovisioned_with(data.path(), &["--demo"]).await?;
    server.complete_setup(ADMIN_EMAIL).await?;
    let (status, index) = server.get("/").await?;
    ensure!(
        status == 200 && String::from_utf8_lossy(&index).contains(".wasm"),
        "the server embeds no client bundle: run `cargo xtask build-client` first"
    );
    let screenshot: PathBuf = workspace_root().join("target/screenshots/alliances.png");
    let _ = std::fs::remove_file(&screenshot);
    std::fs::create_dir_all(screenshot.parent().context("screenshot directory")?)?;

    let node = std::env::var_os("ENLACE_NODE").map_or_else(|| PathBuf::from("node"), PathBuf::from);
    let mut command = tokio::process::Command::new(node);
    command
        .arg(js_dir().join("browser-alliances.mjs"))
        .arg(server.http_url())
        .arg(&screenshot)
        .env("ENLACE_CHROMIUM", chromium())
        .env("ENLACE_EMAIL", ADMIN_EMAIL)
        .env("ENLACE_PASSWORD", TEST_PASSWORD)
        .env("ENLACE_NAME", ADMIN_NAME)
        .env("ENLACE_ROLE", "secretariat")
        .current_dir(js_dir())
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let output = tokio::time::timeout(SCRIPT_TIMEOUT, command.output())
        .await
        .context("browser-alliances.mjs did not finish in time")??;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "browser-alliances.mjs failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    eprintln!("{stdout}");
    ensure!(
        std::fs::metadata(&screenshot)?.len() > 10 * 1024,
        "blank screenshot"
    );
    server.stop().await?;
    Ok(())
}
