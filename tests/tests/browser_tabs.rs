//! Several tabs of one person, one connection (`tests/js/browser-tabs.mjs`),
//! in headless Chromium against the real server: a second tab of Ana's
//! follows the first without a socket of its own, edits with an actor of
//! its own, and takes over the connection when the first tab closes;
//! signing out in any tab signs out all of them and deletes the copy.
//! The server's history must attribute the follower's edit, which reached
//! it over the leader's socket, to Ana, under the follower's own actor.
//! Screenshot `tabs.png` under `target/screenshots/`.

use anyhow::ensure;
use enlace_shared::api::{HistoryPage, HistoryValue, Receipt, paths};
use enlace_shared::records::{self, Initial};
use enlace_shared::schema::Collection;
use enlace_tests::browser::{ADMIN_NAME, ensure_client_bundle, fresh_screenshot, prerequisites, run_script};
use enlace_tests::{RustClient, ServerProcess, TEST_PASSWORD, random_record_id};

#[tokio::test]
async fn a_second_tab_follows_the_first_without_its_own_connection() -> anyhow::Result<()> {
    prerequisites()?;
    let data = tempfile::tempdir()?;
    let mut server = ServerProcess::start(data.path()).await?;
    ensure_client_bundle(&server).await?;
    server
        .add_person("ana@mesa.test", "Ana Miembro", "member")
        .await?;
    let (_, beto) = server.add_person("beto@mesa.test", "Beto Ruiz", "member").await?;
    let workspace = server.first_workspace().await?;

    let mut secretariat = RustClient::connect_named(&server, &workspace, ADMIN_NAME).await?;
    let x = random_record_id();
    secretariat
        .change(|document, authorship| {
            records::create_record(
                document,
                Collection::Organisations,
                &x,
                &[
                    ("name", Initial::Text("Embajada de prueba X".to_owned())),
                    ("kind", Initial::Text("embassy".to_owned())),
                ],
                authorship,
            )
        })
        .await?;
    secretariat.wait_acknowledged().await?;
    drop(secretariat);

    let screenshot = fresh_screenshot("tabs.png")?;
    run_script(
        "browser-tabs.mjs",
        &server,
        &screenshot,
        &[
            ("ENLACE_PASSWORD", TEST_PASSWORD),
            ("ENLACE_A_EMAIL", "ana@mesa.test"),
            ("ENLACE_A_NAME", "Ana Miembro"),
            ("ENLACE_B_EMAIL", "beto@mesa.test"),
            ("ENLACE_B_NAME", "Beto Ruiz"),
            ("ENLACE_X_ID", &x),
        ],
    )
    .await?;

    let path = format!(
        "{}?collection=organisations&record={x}",
        paths::history(&workspace.id)
    );
    let (status, body, _) = server.api("GET", &path, Some(&beto), None).await?;
    ensure!(status == 200, "history answered {status}: {body}");
    let page: HistoryPage = serde_json::from_value(body)?;
    let receipt_of = |field: &str, value: &str| -> anyhow::Result<Receipt> {
        let receipts: Vec<&Receipt> = page
            .entries
            .iter()
            .filter(|entry| {
                entry.records.iter().any(|record| {
                    record.fields.iter().any(|change| {
                        change.field == field
                            && matches!(&change.after, Some(HistoryValue::Text { text, .. }) if text == value)
                    })
                })
            })
            .map(|entry| &entry.receipt)
            .collect();
        ensure!(
            receipts.len() == 1,
            "{field} = {value} is in {} changes",
            receipts.len()
        );
        Ok(receipts[0].clone())
    };
    let leader = receipt_of("acronym", "UNO")?;
    let follower = receipt_of("country", "Perú")?;
    let taken_over = receipt_of("acronym", "DOS")?;
    for receipt in [&leader, &follower, &taken_over] {
        ensure!(
            receipt.user_name == "Ana Miembro",
            "a change by Ana's tabs is attributed to {}",
            receipt.user_name
        );
    }
    ensure!(
        leader.actor != follower.actor,
        "the two tabs wrote under one actor, {}",
        leader.actor
    );
    server.stop().await?;
    Ok(())
}
