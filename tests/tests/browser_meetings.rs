//! Browser end to end of meetings (`tests/js/browser-meetings.mjs`), in
//! headless Chromium against the real server and its embedded client: a
//! member creates a plenary with a time, an agenda of three items (a
//! presenter and a linked record on one, the last moved up) and attendance
//! (attended, apologised); two members type into its minutes at the same
//! time, keystrokes interleaved, and both pages keep both texts, also after
//! a reload; an observer sees the meeting read-only. Screenshots
//! `target/screenshots/meeting.png` and `meeting-minutes.png`.

use enlace_tests::browser::{ADMIN_NAME, browser_server, check_screenshot, fresh_screenshot, run_script};
use enlace_tests::{RustClient, TEST_PASSWORD};

#[tokio::test]
async fn a_plenary_gets_an_agenda_and_minutes_two_people_write_at_once() -> anyhow::Result<()> {
    let (_data, mut server) = browser_server().await?;
    server
        .add_person("ana@mesa.test", "Ana Miembro", "member")
        .await?;
    server
        .add_person("beto@mesa.test", "Beto Miembro", "member")
        .await?;
    server
        .add_person("olga@mesa.test", "Olga Observadora", "observer")
        .await?;
    // The organisations the agenda and the attendance refer to.
    let workspace = server.first_workspace().await?;
    let mut secretariat = RustClient::connect_named(&server, &workspace, ADMIN_NAME).await?;
    secretariat
        .add_organisation("Embajada de Irlanda", "embassy", "Irlanda")
        .await?;
    secretariat
        .add_organisation("Agencia Alemana GIZ", "cooperation_agency", "Alemania")
        .await?;
    drop(secretariat);

    let screenshot = fresh_screenshot("meeting.png")?;
    let minutes = fresh_screenshot("meeting-minutes.png")?;
    run_script(
        "browser-meetings.mjs",
        &server,
        &screenshot,
        &[
            ("ENLACE_PASSWORD", TEST_PASSWORD),
            ("ENLACE_A_EMAIL", "ana@mesa.test"),
            ("ENLACE_A_NAME", "Ana Miembro"),
            ("ENLACE_B_EMAIL", "beto@mesa.test"),
            ("ENLACE_B_NAME", "Beto Miembro"),
            ("ENLACE_O_EMAIL", "olga@mesa.test"),
            ("ENLACE_O_NAME", "Olga Observadora"),
            ("ENLACE_ORG_1", "Embajada de Irlanda"),
            ("ENLACE_ORG_2", "Agencia Alemana GIZ"),
        ],
    )
    .await?;
    check_screenshot(&minutes)?;
    server.stop().await?;
    Ok(())
}
