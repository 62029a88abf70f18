//! A new version while the app is open (`tests/js/browser-update.mjs`), in
//! headless Chromium against the real server, its embedded client and
//! service worker: the pages open through [`NextBuildProxy`], which can
//! serve the service worker of a next build. The page must offer the new
//! version, wait for Ana to accept, then reload once into it with her edit
//! and session intact. Screenshot `update.png` (the offer) under
//! `target/screenshots/`.

use enlace_tests::TEST_PASSWORD;
use enlace_tests::browser::{browser_server, fresh_screenshot, run_script_at};
use enlace_tests::fixtures::add_embassies;
use enlace_tests::proxy::{NEXT_BUILD_PATH, NextBuildProxy};

#[tokio::test]
async fn a_new_version_is_offered_and_taken_only_when_accepted() -> anyhow::Result<()> {
    let (_data, mut server) = browser_server().await?;
    server
        .add_person("ana@mesa.test", "Ana Miembro", "member")
        .await?;
    let workspace = server.first_workspace().await?;
    let ids = add_embassies(&server, &workspace, &["Embajada de prueba X"]).await?;
    let proxy = NextBuildProxy::start(server.address()).await?;

    let screenshot = fresh_screenshot("update.png")?;
    run_script_at(
        "browser-update.mjs",
        &proxy.http_url(),
        &screenshot,
        &[
            ("ENLACE_PASSWORD", TEST_PASSWORD),
            ("ENLACE_A_EMAIL", "ana@mesa.test"),
            ("ENLACE_A_NAME", "Ana Miembro"),
            ("ENLACE_X_ID", &ids[0]),
            ("ENLACE_NEXT_BUILD_PATH", NEXT_BUILD_PATH),
        ],
    )
    .await?;
    drop(proxy);
    server.stop().await?;
    Ok(())
}
