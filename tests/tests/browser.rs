//! Browser end-to-end through the real server and its embedded Leptos client,
//! in headless Chromium:
//! - over the demo roundtable, two people sign in through the login page,
//!   check the home page, co-edit an organisation through the list and the
//!   record page, and one signs out (`tests/js/browser-directory.mjs`);
//! - an observer signs in and finds every writing control of the
//!   organisations list and record page disabled, with the reason as tooltip
//!   (`tests/js/browser-observer.mjs`);
//! - first-start setup creates the first account from the printed link
//!   (`tests/js/browser-setup.mjs`).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context as _, bail, ensure};
use enlace_shared::api::paths;
use enlace_shared::roles::Role;
use enlace_tests::{ADMIN_EMAIL, RustClient, ServerProcess, TEST_PASSWORD, chromium, js_dir, workspace_root};

const SCRIPT_TIMEOUT: Duration = Duration::from_secs(180);
const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
/// The display name the harness gives the secretariat account.
const ADMIN_NAME: &str = "Secretaría Técnica";

fn node() -> PathBuf {
    std::env::var_os("ENLACE_NODE").map_or_else(|| PathBuf::from("node"), PathBuf::from)
}

/// Checks the npm packages and Chromium are there; returns Chromium's path.
fn browser_prerequisites() -> anyhow::Result<PathBuf> {
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
    Ok(browser)
}

/// Starts a server with `args` (with the harness's secretariat account
/// unless `unprovisioned`) and checks it embeds the client bundle.
async fn start_server_with(data: &Path, unprovisioned: bool, args: &[&str]) -> anyhow::Result<ServerProcess> {
    let server = if unprovisioned {
        ServerProcess::start_unprovisioned_with(data, args).await?
    } else {
        ServerProcess::start_with(data, args).await?
    };
    let (status, index) = server.get("/").await?;
    ensure!(
        status == 200 && String::from_utf8_lossy(&index).contains(".wasm"),
        "the server embeds no client bundle (GET / answered {status} without the wasm): run \
         `cargo xtask build-client` and rebuild the server with ENLACE_CLIENT_DIST pointing at it"
    );
    Ok(server)
}

async fn start_server(data: &Path) -> anyhow::Result<ServerProcess> {
    start_server_with(data, false, &[]).await
}

/// `target/screenshots/<name>`, with any stale copy removed so a failed run
/// cannot look good.
fn fresh_screenshot_path(name: &str) -> PathBuf {
    let path = workspace_root().join("target").join("screenshots").join(name);
    let _ = std::fs::remove_file(&path);
    path
}

/// Checks `path` holds a real PNG of a page that is not blank.
fn check_screenshot(path: &Path) -> anyhow::Result<()> {
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

/// Runs `tests/js/<script> <base-url> <screenshot>` with `env`; fails with
/// its output unless it exits 0, then checks the screenshot is a real PNG.
async fn run_script(
    script: &str,
    server: &ServerProcess,
    screenshot: &Path,
    env: &[(&str, &str)],
) -> anyhow::Result<()> {
    let browser = browser_prerequisites()?;
    let js = js_dir();
    let mut command = tokio::process::Command::new(node());
    command
        .arg(js.join(script))
        .arg(server.http_url())
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

#[tokio::test]
async fn two_people_sign_in_co_edit_and_sign_out() -> anyhow::Result<()> {
    browser_prerequisites()?;
    let data = tempfile::tempdir()?;
    // The demo seeds only an empty data directory, so this server starts
    // unprovisioned and its first secretariat account comes from the setup link.
    let mut server = start_server_with(data.path(), true, &["--demo"]).await?;
    let secretariat = server.complete_setup(ADMIN_EMAIL).await?;
    server
        .create_person(&secretariat, "mara@mesa.test", "Mara Member", Role::Member)
        .await?;
    let screenshot = fresh_screenshot_path("directory.png");
    let home_screenshot = fresh_screenshot_path("home.png");
    let home_screenshot_arg = home_screenshot.to_string_lossy().into_owned();

    run_script(
        "browser-directory.mjs",
        &server,
        &screenshot,
        &[
            ("ENLACE_PASSWORD", TEST_PASSWORD),
            ("ENLACE_A_EMAIL", ADMIN_EMAIL),
            ("ENLACE_A_NAME", ADMIN_NAME),
            ("ENLACE_A_ROLE", "secretariat"),
            ("ENLACE_B_EMAIL", "mara@mesa.test"),
            ("ENLACE_B_NAME", "Mara Member"),
            ("ENLACE_B_ROLE", "member"),
            ("ENLACE_HOME_SCREENSHOT", home_screenshot_arg.as_str()),
        ],
    )
    .await?;
    check_screenshot(&home_screenshot)?;

    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn an_observer_sees_disabled_controls_with_reasons() -> anyhow::Result<()> {
    browser_prerequisites()?;
    let data = tempfile::tempdir()?;
    let mut server = start_server(data.path()).await?;
    // Rows to look at: the secretariat adds two organisations first.
    let workspace = server.first_workspace().await?;
    let mut secretariat = RustClient::connect_named(&server, &workspace, ADMIN_NAME).await?;
    secretariat.add_organisation("GIZ", "embassy", "Alemania").await?;
    secretariat.add_organisation("AECID", "embassy", "España").await?;
    drop(secretariat);
    server.add_person("olga@observa.org", "Olga", "observer").await?;
    let screenshot = fresh_screenshot_path("observer.png");

    run_script(
        "browser-observer.mjs",
        &server,
        &screenshot,
        &[
            ("ENLACE_EMAIL", "olga@observa.org"),
            ("ENLACE_NAME", "Olga"),
            ("ENLACE_PASSWORD", TEST_PASSWORD),
        ],
    )
    .await?;

    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn first_start_setup_creates_the_first_account_in_the_browser() -> anyhow::Result<()> {
    browser_prerequisites()?;
    let data = tempfile::tempdir()?;
    let mut server = start_server_with(data.path(), true, &[]).await?;
    let secret = server
        .setup_secret()
        .await
        .context("the server printed no setup link")?;
    let screenshot = fresh_screenshot_path("setup.png");

    run_script(
        "browser-setup.mjs",
        &server,
        &screenshot,
        &[
            ("ENLACE_SETUP_TOKEN", secret.as_str()),
            ("ENLACE_EMAIL", "ana@mesa.test"),
            ("ENLACE_NAME", "Ana Directora"),
            ("ENLACE_PASSWORD", TEST_PASSWORD),
        ],
    )
    .await?;
    let (status, body, _) = server.api("GET", paths::SETUP, None, None).await?;
    ensure!(
        status == 200 && body["pending"] == serde_json::json!(false),
        "setup still pending after the browser completed it: {status} {body}"
    );

    server.stop().await?;
    Ok(())
}
