//! Browser end to end over the demo roundtable: an alliance created, linked,
//! moved along its pipeline and found, in Spanish and English, with a second
//! page following live (`tests/js/browser-alliances.mjs`).

use enlace_tests::browser::{ADMIN_NAME, ensure_client_bundle, fresh_screenshot, prerequisites, run_script};
use enlace_tests::{ADMIN_EMAIL, ServerProcess, TEST_PASSWORD};

#[tokio::test]
async fn an_alliance_moves_along_its_pipeline_in_two_pages_and_two_languages() -> anyhow::Result<()> {
    prerequisites()?;
    let data = tempfile::tempdir()?;
    // The demo seeds only an empty data directory, so this server starts
    // unprovisioned and its first secretariat account comes from the setup link.
    let mut server = ServerProcess::start_unprovisioned_with(data.path(), &["--demo"]).await?;
    server.complete_setup(ADMIN_EMAIL).await?;
    ensure_client_bundle(&server).await?;
    let screenshot = fresh_screenshot("alliances.png")?;
    run_script(
        "browser-alliances.mjs",
        &server,
        &screenshot,
        &[
            ("ENLACE_EMAIL", ADMIN_EMAIL),
            ("ENLACE_PASSWORD", TEST_PASSWORD),
            ("ENLACE_NAME", ADMIN_NAME),
            ("ENLACE_ROLE", "secretariat"),
        ],
    )
    .await?;
    server.stop().await?;
    Ok(())
}
