//! Browser end to end of presence (`tests/js/browser-presence.mjs`), in
//! headless Chromium against the real server and its embedded client: Ana
//! and Beto (members) open the same alliance; Beto focuses its next step.
//! Ana sees Beto in the header, "also here" on the record and the field
//! outlined with his name. Carla, an observer, connects a raw WebSocket
//! from Node and sends presence claiming to be Ana of the "Secretaría":
//! Ana's page shows Carla (the server's stamp), never the claim, and
//! Carla's socket receives the others' presence (observers may be present).
//! Beto closes his page: he disappears from Ana's within the 5 s deadline
//! (measured; asserted under 6 s). Screenshot `presence.png` under
//! `target/screenshots/`.

use enlace_shared::records::{self, Initial};
use enlace_shared::schema::Collection;
use enlace_tests::browser::{ADMIN_NAME, browser_server, fresh_screenshot, run_script};
use enlace_tests::{RustClient, TEST_PASSWORD, document_id, random_record_id};

#[tokio::test]
async fn presence_shows_who_is_where_stamped_by_the_server_and_goes_within_five_seconds() -> anyhow::Result<()>
{
    let (_data, mut server) = browser_server().await?;
    let (ana_id, _) = server
        .add_person("ana@mesa.test", "Ana Miembro", "member")
        .await?;
    let (beto_id, _) = server.add_person("beto@mesa.test", "Beto Ruiz", "member").await?;
    let (carla_id, carla) = server
        .add_person("carla@mesa.test", "Carla Observa", "observer")
        .await?;
    let workspace = server.first_workspace().await?;
    let document = document_id(&workspace)?;

    let mut secretariat = RustClient::connect_named(&server, &workspace, ADMIN_NAME).await?;
    let alliance = random_record_id();
    secretariat
        .change(|document, authorship| {
            records::create_record(
                document,
                Collection::Alliances,
                &alliance,
                &[("title", Initial::Text("Alianza por el agua".to_owned()))],
                authorship,
            )
        })
        .await?;
    secretariat.wait_acknowledged().await?;
    drop(secretariat);

    let screenshot = fresh_screenshot("presence.png")?;
    let (_, carla_cookie) = carla.header();
    run_script(
        "browser-presence.mjs",
        &server,
        &screenshot,
        &[
            ("ENLACE_PASSWORD", TEST_PASSWORD),
            ("ENLACE_A_EMAIL", "ana@mesa.test"),
            ("ENLACE_A_NAME", "Ana Miembro"),
            ("ENLACE_A_ID", &ana_id),
            ("ENLACE_B_EMAIL", "beto@mesa.test"),
            ("ENLACE_B_NAME", "Beto Ruiz"),
            ("ENLACE_B_ID", &beto_id),
            ("ENLACE_C_ID", &carla_id),
            ("ENLACE_C_COOKIE", &carla_cookie),
            ("ENLACE_SYNC_URL", &server.ws_url()),
            ("ENLACE_DOCUMENT_ID", &document.to_string()),
            ("ENLACE_ALLIANCE_ID", &alliance),
        ],
    )
    .await?;
    server.stop().await?;
    Ok(())
}
