//! Several tabs of one person, one connection (`tests/js/browser-tabs.mjs`),
//! in headless Chromium against the real server: a second tab of Ana's
//! follows the first without a socket of its own, edits with an actor of
//! its own, and takes over the connection when the first tab closes;
//! signing out in any tab signs out all of them and deletes the copy.
//! The server's history must attribute the follower's edit, which reached
//! it over the leader's socket, to Ana, under the follower's own actor.
//! Screenshot `tabs.png` under `target/screenshots/`.

use anyhow::ensure;
use enlace_shared::api::Receipt;
use enlace_tests::TEST_PASSWORD;
use enlace_tests::browser::{browser_server, fresh_screenshot, run_script};
use enlace_tests::fixtures::{add_embassies, organisation_history, receipts_setting};

#[tokio::test]
async fn a_second_tab_follows_the_first_without_its_own_connection() -> anyhow::Result<()> {
    let (_data, mut server) = browser_server().await?;
    server
        .add_person("ana@mesa.test", "Ana Miembro", "member")
        .await?;
    let (_, beto) = server.add_person("beto@mesa.test", "Beto Ruiz", "member").await?;
    let workspace = server.first_workspace().await?;

    let x = add_embassies(&server, &workspace, &["Embajada de prueba X"])
        .await?
        .remove(0);

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

    let page = organisation_history(&server, &workspace, &x, &beto).await?;
    let receipt_of = |field: &str, value: &str| -> anyhow::Result<Receipt> {
        let receipts = receipts_setting(&page, field, value);
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
