//! Working offline, end to end (`tests/js/browser-offline.mjs`), in headless
//! Chromium against the real server and its embedded client and service
//! worker: Ana goes offline (DevTools network emulation), edits two
//! organisations, reloads with no network (the app opens from the service
//! worker's cache and the workspace from IndexedDB, with her edits and the
//! same actor id), while Beto edits one of the same records online; back
//! online both pages hold both edits, and signing out deletes the copy.
//! Then Ana edits offline again while the secretariat makes her an
//! observer: on reconnect the server refuses it and her page shows what she
//! wrote. The server's history must attribute each edit to its author, and
//! hold nothing of the refused one.
//! Screenshots `offline.png` and `offline-offline.png` under
//! `target/screenshots/`.

use anyhow::ensure;
use enlace_shared::api::{HistoryPage, HistoryValue, paths};
use enlace_shared::records::{self, Initial};
use enlace_shared::schema::Collection;
use enlace_tests::browser::{ADMIN_NAME, ensure_client_bundle, fresh_screenshot, prerequisites, run_script};
use enlace_tests::{RustClient, ServerProcess, TEST_PASSWORD, document_id, random_record_id};

#[tokio::test]
async fn offline_edits_survive_a_reload_and_merge_with_their_authors() -> anyhow::Result<()> {
    prerequisites()?;
    let data = tempfile::tempdir()?;
    let mut server = ServerProcess::start(data.path()).await?;
    ensure_client_bundle(&server).await?;
    let (ana_id, _) = server
        .add_person("ana@mesa.test", "Ana Miembro", "member")
        .await?;
    let (_, beto) = server.add_person("beto@mesa.test", "Beto Ruiz", "member").await?;
    let workspace = server.first_workspace().await?;
    let document = document_id(&workspace)?;

    let mut secretariat = RustClient::connect_named(&server, &workspace, ADMIN_NAME).await?;
    let (x, y) = (random_record_id(), random_record_id());
    for (id, name) in [(&x, "Embajada de prueba X"), (&y, "Agencia de prueba Y")] {
        secretariat
            .change(|document, authorship| {
                records::create_record(
                    document,
                    Collection::Organisations,
                    id,
                    &[
                        ("name", Initial::Text(name.to_owned())),
                        ("kind", Initial::Text("embassy".to_owned())),
                    ],
                    authorship,
                )
            })
            .await?;
    }
    secretariat.wait_acknowledged().await?;
    drop(secretariat);

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
    let path = format!(
        "{}?collection=organisations&record={x}",
        paths::history(&workspace.id)
    );
    let (status, body, _) = server.api("GET", &path, Some(&beto), None).await?;
    ensure!(status == 200, "history answered {status}: {body}");
    let page: HistoryPage = serde_json::from_value(body)?;
    let author_of = |field: &str, value: &str| -> Vec<String> {
        page.entries
            .iter()
            .filter(|entry| {
                entry.records.iter().any(|record| {
                    record.fields.iter().any(|change| {
                        change.field == field
                            && matches!(&change.after, Some(HistoryValue::Text { text, .. }) if text == value)
                    })
                })
            })
            .map(|entry| entry.receipt.user_name.clone())
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
    server.stop().await?;
    Ok(())
}
