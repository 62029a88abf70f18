//! Working offline, end to end (`tests/js/browser-offline.mjs`), in headless
//! Chromium against the real server and its embedded client and service
//! worker: Ana goes offline (DevTools network emulation), edits two
//! organisations, reloads with no network (the app opens from the service
//! worker's cache and the workspace from IndexedDB, with her edits and the
//! same actor id; the page draws the records kept with the copy and takes
//! searches, a record page and an edit while the sync worker loads the
//! document, the test holding that load for a while), while Beto edits one
//! of the same records online; back
//! online both pages hold both edits, and signing out deletes the copy.
//! Then Ana edits offline again while the secretariat makes her an
//! observer: on reconnect the server refuses it and her page shows what she
//! wrote. The server's history must attribute each edit to its author (the
//! one made while the document loaded included), and hold nothing of the
//! refused one.
//! Screenshots `offline.png` and `offline-offline.png` under
//! `target/screenshots/`.

use anyhow::ensure;
use enlace_tests::browser::{browser_server, fresh_screenshot, run_script};
use enlace_tests::fixtures::{add_embassies, organisation_history, receipts_setting};
use enlace_tests::{TEST_PASSWORD, document_id};

#[tokio::test]
async fn offline_edits_survive_a_reload_and_merge_with_their_authors() -> anyhow::Result<()> {
    let (_data, mut server) = browser_server().await?;
    let (ana_id, _) = server
        .add_person("ana@mesa.test", "Ana Miembro", "member")
        .await?;
    let (_, beto) = server.add_person("beto@mesa.test", "Beto Ruiz", "member").await?;
    let workspace = server.first_workspace().await?;
    let document = document_id(&workspace)?;

    let ids = add_embassies(
        &server,
        &workspace,
        &["Embajada de prueba X", "Agencia de prueba Y"],
    )
    .await?;
    let (x, y) = (ids[0].clone(), ids[1].clone());

    let screenshot = fresh_screenshot("offline.png")?;
    let (_, admin_authorization) = server.admin().header();
    run_script(
        "browser-offline.mjs",
        &server,
        &screenshot,
        &[
            ("ENLACE_PASSWORD", TEST_PASSWORD),
            ("ENLACE_A_EMAIL", "ana@mesa.test"),
            ("ENLACE_A_NAME", "Ana Miembro"),
            ("ENLACE_A_ID", &ana_id),
            ("ENLACE_B_EMAIL", "beto@mesa.test"),
            ("ENLACE_B_NAME", "Beto Ruiz"),
            ("ENLACE_X_ID", &x),
            ("ENLACE_Y_ID", &y),
            ("ENLACE_WORKSPACE", &document.to_string()),
            ("ENLACE_ADMIN_AUTHORIZATION", &admin_authorization),
        ],
    )
    .await?;

    // Who the server says made each edit of X: Ana the acronym (offline),
    // Beto the country (online).
    let page = organisation_history(&server, &workspace, &x, &beto).await?;
    let author_of = |field: &str, value: &str| -> Vec<String> {
        receipts_setting(&page, field, value)
            .into_iter()
            .map(|receipt| receipt.user_name.clone())
            .collect()
    };
    ensure!(
        author_of("acronym", "ANA-SIN-RED") == ["Ana Miembro"],
        "the offline acronym is attributed to {:?}",
        author_of("acronym", "ANA-SIN-RED")
    );
    ensure!(
        author_of("country", "Uruguay") == ["Beto Ruiz"],
        "the online country is attributed to {:?}",
        author_of("country", "Uruguay")
    );
    ensure!(
        author_of("acronym", "YA-NO-PUEDE").is_empty(),
        "the refused acronym reached the history"
    );
    // Y's acronym, typed while the reloaded page's document was loading.
    let y_page = organisation_history(&server, &workspace, &y, &beto).await?;
    let loading_authors: Vec<String> = receipts_setting(&y_page, "acronym", "Y-EN-CARGA")
        .into_iter()
        .map(|receipt| receipt.user_name.clone())
        .collect();
    ensure!(
        loading_authors == ["Ana Miembro"],
        "the acronym typed while loading is attributed to {loading_authors:?}"
    );
    server.stop().await?;
    Ok(())
}
