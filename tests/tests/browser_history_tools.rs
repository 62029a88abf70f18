//! Browser end to end of the History's tools (`tests/js/browser-history-tools.mjs`),
//! in headless Chromium against the real server and its embedded client:
//! after two members edit, the secretariat compares a moment before the
//! edits with now, filters the timeline by person and kind, reverts one
//! member's edits (the preview, a conflict left unchecked, the other
//! member's page seeing the result live, the revert in the timeline as
//! restored), reads a member's refused attempt (made here over the real
//! WebSocket) and downloads the CSV export with the session. Screenshots
//! under `target/screenshots/`.

use std::path::PathBuf;

use anyhow::{Context as _, ensure};
use enlace_shared::language::Language;
use enlace_shared::records;
use enlace_shared::refusal::Refusal;
use enlace_shared::schema::Collection;
use enlace_tests::browser::{ADMIN_NAME, browser_server, check_screenshot, fresh_screenshot, run_script};
use enlace_tests::{ADMIN_EMAIL, PATIENCE, RustClient, TEST_PASSWORD};

#[tokio::test]
async fn the_secretariat_compares_filters_reverts_reads_refusals_and_exports() -> anyhow::Result<()> {
    let (_data, mut server) = browser_server().await?;
    let (_, ana_session) = server
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

    // Ana, a member, tries to delete it over the real WebSocket: only the
    // secretariat deletes records created by others, so the server refuses.
    let mut ana = RustClient::connect_as(&server, &workspace, "Ana Miembro", &ana_session).await?;
    ana.change(|document, authorship| {
        records::set_deleted(document, Collection::Organisations, &record_id, true, authorship)
    })
    .await?;
    ana.pump_until(PATIENCE, |client| !client.rejections.is_empty())
        .await
        .context("the member's deletion was not refused")?;
    let refusal = Refusal::DeleteOthersRecords;
    ensure!(
        ana.rejections
            .iter()
            .any(|rejection| rejection.refusal == Some(refusal)),
        "refused for another reason: {:?}",
        ana.rejections
    );
    drop(ana);

    let screenshot = fresh_screenshot("history-compare.png")?;
    let others: Vec<PathBuf> = ["history-compare-revert.png", "history-compare-refused.png"]
        .into_iter()
        .map(fresh_screenshot)
        .collect::<anyhow::Result<_>>()?;
    run_script(
        "browser-history-tools.mjs",
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
            ("ENLACE_REFUSAL_ES", refusal.text(Language::Spanish)),
            ("ENLACE_REFUSAL_EN", refusal.text(Language::English)),
        ],
    )
    .await?;
    for path in &others {
        check_screenshot(path)?;
    }
    server.stop().await?;
    Ok(())
}
