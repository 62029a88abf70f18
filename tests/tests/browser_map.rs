//! The network map in real Chromium over the demo roundtable
//! (`tests/js/browser-map.mjs`): the presidency's page opens `#/map`; a
//! member's page creates an alliance of a chamber and two members on a
//! work-plan line; the map shows the new tie and its three edges live with
//! every other organisation where it was, a line filter hides and shows
//! it, the tie opens its alliance beside the map, a dragged node stays
//! pinned across a live update, and "Download SVG" saves the map.
//! Screenshots `map.png` (the demo roundtable's map) and `map-live.png`
//! under `target/screenshots/`.

use enlace_shared::roles::Role;
use enlace_tests::browser::{
    ADMIN_NAME, check_screenshot, ensure_client_bundle, fresh_screenshot, run_script,
};
use enlace_tests::{ADMIN_EMAIL, ServerProcess, TEST_PASSWORD};

#[tokio::test]
async fn a_new_alliance_appears_live_on_the_map_without_moving_the_rest() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let mut server = ServerProcess::start_unprovisioned_with(data.path(), &["--demo"]).await?;
    let secretariat = server.complete_setup(ADMIN_EMAIL).await?;
    server
        .create_person(&secretariat, "ana@aecid.es", "Ana Miembro", Role::Member)
        .await?;
    ensure_client_bundle(&server).await?;

    let screenshot = fresh_screenshot("map.png")?;
    let live_screenshot = fresh_screenshot("map-live.png")?;
    run_script(
        "browser-map.mjs",
        &server,
        &screenshot,
        &[
            ("ENLACE_PASSWORD", TEST_PASSWORD),
            ("ENLACE_A_EMAIL", ADMIN_EMAIL),
            ("ENLACE_A_NAME", ADMIN_NAME),
            ("ENLACE_B_EMAIL", "ana@aecid.es"),
            ("ENLACE_B_NAME", "Ana Miembro"),
            (
                "ENLACE_LIVE_SCREENSHOT",
                live_screenshot.to_str().unwrap_or_default(),
            ),
        ],
    )
    .await?;
    check_screenshot(&live_screenshot)?;
    server.stop().await?;
    Ok(())
}
