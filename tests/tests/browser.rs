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

use std::path::Path;

use anyhow::{Context as _, ensure};
use enlace_shared::api::paths;
use enlace_shared::roles::Role;
use enlace_tests::browser::{
    ADMIN_NAME, check_screenshot, ensure_client_bundle, fresh_screenshot, prerequisites, run_script,
};
use enlace_tests::{ADMIN_EMAIL, RustClient, ServerProcess, TEST_PASSWORD};

/// Starts a server with `args` (with the harness's secretariat account
/// unless `unprovisioned`) and checks it embeds the client bundle.
async fn start_server_with(data: &Path, unprovisioned: bool, args: &[&str]) -> anyhow::Result<ServerProcess> {
    let server = if unprovisioned {
        ServerProcess::start_unprovisioned_with(data, args).await?
    } else {
        ServerProcess::start_with(data, args).await?
    };
    ensure_client_bundle(&server).await?;
    Ok(server)
}

async fn start_server(data: &Path) -> anyhow::Result<ServerProcess> {
    start_server_with(data, false, &[]).await
}

#[tokio::test]
async fn two_people_sign_in_co_edit_and_sign_out() -> anyhow::Result<()> {
    prerequisites()?;
    let data = tempfile::tempdir()?;
    // The demo seeds only an empty data directory, so this server starts
    // unprovisioned and its first secretariat account comes from the setup link.
    let mut server = start_server_with(data.path(), true, &["--demo"]).await?;
    let secretariat = server.complete_setup(ADMIN_EMAIL).await?;
    server
        .create_person(&secretariat, "mara@mesa.test", "Mara Member", Role::Member)
        .await?;
    let screenshot = fresh_screenshot("directory.png")?;
    let home_screenshot = fresh_screenshot("home.png")?;
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
    prerequisites()?;
    let data = tempfile::tempdir()?;
    let mut server = start_server(data.path()).await?;
    // Rows to look at: the secretariat adds two organisations first.
    let workspace = server.first_workspace().await?;
    let mut secretariat = RustClient::connect_named(&server, &workspace, ADMIN_NAME).await?;
    secretariat.add_organisation("GIZ", "embassy", "Alemania").await?;
    secretariat.add_organisation("AECID", "embassy", "España").await?;
    drop(secretariat);
    server.add_person("olga@observa.org", "Olga", "observer").await?;
    let screenshot = fresh_screenshot("observer.png")?;

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
    prerequisites()?;
    let data = tempfile::tempdir()?;
    let mut server = start_server_with(data.path(), true, &[]).await?;
    let secret = server
        .setup_secret()
        .await
        .context("the server printed no setup link")?;
    let screenshot = fresh_screenshot("setup.png")?;

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
