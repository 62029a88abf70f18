//! Browser end to end of the History (`tests/js/browser-history.mjs`), in
//! headless Chromium against the real server and its embedded client: two
//! members edit one organisation; the secretariat sees both edits in
//! History with their names and fields, opens the record's history panel,
//! views the workspace as of before the edits (old values, edit controls
//! disabled), restores a field, and the member's page shows the restore
//! live, attributed to the secretariat. Also: the "Refused attempts" tab is
//! the secretariat's only. Screenshots under `target/screenshots/`.

use std::path::PathBuf;

use enlace_tests::browser::{ADMIN_NAME, browser_server, check_screenshot, fresh_screenshot, run_script};
use enlace_tests::{ADMIN_EMAIL, RustClient, TEST_PASSWORD};

#[tokio::test]
async fn the_secretariat_finds_two_edits_views_the_past_and_restores_a_field_live() -> anyhow::Result<()> {
    let (_data, mut server) = browser_server().await?;
    server
        .add_person("ana@mesa.test", "Ana Miembro", "member")
        .await?;
    server
        .add_person("beto@mesa.test", "Beto Miembro", "member")
        .await?;
    // The record both members edit, created by the secretariat beforehand.
    let workspace = server.first_workspace().await?;
    let mut secretariat = RustClient::connect_named(&server, &workspace, ADMIN_NAME).await?;
    let record_id = secretariat
        .add_organisation("Fundación Semilla", "academia", "México")
        .await?;
    secretariat.set_field(&record_id, "city", "Puebla").await?;
    drop(secretariat);

    let screenshot = fresh_screenshot("history.png")?;
    let others: Vec<PathBuf> = ["history-panel.png", "history-as-of.png", "history-restored.png"]
        .into_iter()
        .map(fresh_screenshot)
        .collect::<anyhow::Result<_>>()?;
    run_script(
        "browser-history.mjs",
        &server,
        &screenshot,
        &[
            ("ENLACE_PASSWORD", TEST_PASSWORD),
            ("ENLACE_SECRETARIAT_EMAIL", ADMIN_EMAIL),
            ("ENLACE_SECRETARIAT_NAME", ADMIN_NAME),
            ("ENLACE_A_EMAIL", "ana@mesa.test"),
            ("ENLACE_A_NAME", "Ana Miembro"),
            ("ENLACE_B_EMAIL", "beto@mesa.test"),
            ("ENLACE_B_NAME", "Beto Miembro"),
            ("ENLACE_RECORD_ID", &record_id),
            ("ENLACE_COUNTRY", "México"),
            ("ENLACE_CITY", "Puebla"),
        ],
    )
    .await?;
    for path in &others {
        check_screenshot(path)?;
    }
    server.stop().await?;
    Ok(())
}
