//! Browser end to end of following up the year
//! (`tests/js/browser-followup.mjs`), in headless Chromium against the real
//! server and its embedded client: a member creates a meeting, adds an
//! action item from the meeting page (owner, a due date in the past, a
//! work-plan line), finds it overdue in the open action items view,
//! filters by owner and by line, marks it done from the view; the
//! secretariat's page sees the item arrive live and the line's page count
//! it. Screenshots `action-items.png` and `workplan-line.png` under
//! `target/screenshots/`.

use enlace_shared::records::{self, Initial};
use enlace_shared::schema::Collection;
use enlace_tests::browser::{ADMIN_NAME, browser_server, check_screenshot, fresh_screenshot, run_script};
use enlace_tests::{ADMIN_EMAIL, RustClient, TEST_PASSWORD, random_record_id};

/// Creates a record as `client` and waits for the server's acknowledgement.
async fn create(
    client: &mut RustClient,
    collection: Collection,
    fields: &[(&str, &str)],
) -> anyhow::Result<String> {
    let id = random_record_id();
    let initial: Vec<(&str, Initial)> = fields
        .iter()
        .map(|(key, value)| (*key, Initial::Text((*value).to_owned())))
        .collect();
    client
        .change(|document, authorship| {
            records::create_record(document, collection, &id, &initial, authorship)
        })
        .await?;
    client.wait_acknowledged().await?;
    Ok(id)
}

#[tokio::test]
async fn an_action_item_added_at_a_meeting_reaches_the_open_items_view_and_its_line() -> anyhow::Result<()> {
    let (_data, mut server) = browser_server().await?;
    server
        .add_person("ana@mesa.test", "Ana Miembro", "member")
        .await?;
    // What a member cannot create (work-plan lines are the secretariat's)
    // and what the filters must leave out: another owner's item on another line.
    let workspace = server.first_workspace().await?;
    let mut secretariat = RustClient::connect_named(&server, &workspace, ADMIN_NAME).await?;
    let aecid = secretariat
        .add_organisation("AECID", "cooperation_agency", "España")
        .await?;
    let giz = secretariat
        .add_organisation("GIZ", "cooperation_agency", "Alemania")
        .await?;
    let dialogue = create(
        &mut secretariat,
        Collection::WorkplanLines,
        &[("title", "Diálogo político"), ("period", "2020–2021")],
    )
    .await?;
    let communication = create(
        &mut secretariat,
        Collection::WorkplanLines,
        &[("title", "Comunicación"), ("period", "2020–2021")],
    )
    .await?;
    let other_item = create(
        &mut secretariat,
        Collection::ActionItems,
        &[
            ("title", "Actualizar el directorio"),
            ("owner", &giz),
            ("status", "open"),
            ("due", "2099-01-01"),
            ("workplan_line", &communication),
        ],
    )
    .await?;
    drop(secretariat);

    let screenshot = fresh_screenshot("action-items.png")?;
    let line_screenshot = fresh_screenshot("workplan-line.png")?;
    run_script(
        "browser-followup.mjs",
        &server,
        &screenshot,
        &[
            ("ENLACE_PASSWORD", TEST_PASSWORD),
            ("ENLACE_SECRETARIAT_EMAIL", ADMIN_EMAIL),
            ("ENLACE_SECRETARIAT_NAME", ADMIN_NAME),
            ("ENLACE_A_EMAIL", "ana@mesa.test"),
            ("ENLACE_A_NAME", "Ana Miembro"),
            ("ENLACE_OWNER_ID", &aecid),
            ("ENLACE_LINE_ID", &dialogue),
            ("ENLACE_OTHER_ITEM_ID", &other_item),
            (
                "ENLACE_LINE_SCREENSHOT",
                line_screenshot.to_str().unwrap_or_default(),
            ),
        ],
    )
    .await?;
    check_screenshot(&line_screenshot)?;
    server.stop().await?;
    Ok(())
}
