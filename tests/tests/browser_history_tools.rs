//! Browser end to end of the History's tools (`tests/js/browser-history-tools.mjs`),
//! in headless Chromium against the real server and its embedded client:
//! after two members edit, the secretariat compares a moment before the
//! edits with now, filters the timeline by person and kind, reverts one
//! member's edits (the preview, a conflict left unchecked, the other
//! member's page seeing the result live, the revert in the timeline as
//! restored), reads a member's refused attempt (made here over the real
//! WebSocket) and downloads the CSV export with the session. Screenshots
//! under `target/screenshots/`.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context as _, bail, ensure};
use enlace_shared::language::Language;
use enlace_shared::records;
use enlace_shared::refusal::Refusal;
use enlace_shared::schema::Collection;
use enlace_tests::{
    ADMIN_EMAIL, PATIENCE, RustClient, ServerProcess, TEST_PASSWORD, chromium, js_dir, workspace_root,
};

const SCRIPT_TIMEOUT: Duration = Duration::from_secs(180);
/// The display name the harness gives the secretariat account.
const ADMIN_NAME: &str = "Secretaría Técnica";
const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];

/// `target/screenshots/<name>`, any stale copy removed so a failed run cannot look good.
fn fresh_screenshot(name: &str) -> anyhow::Result<PathBuf> {
    let path = workspace_root().join("target").join("screenshots").join(name);
    let _ = std::fs::remove_file(&path);
    std::fs::create_dir_all(path.parent().context("screenshot directory")?)?;
    Ok(path)
}

/// Checks `path` holds a real PNG of a page that is not blank.
fn check_screenshot(path: &PathBuf) -> anyhow::Result<()> {
    let png = std::fs::read(path).with_context(|| format!("no screenshot at {}", path.display()))?;
    ensure!(png.starts_with(&PNG_SIGNATURE), "{} is not a PNG", path.display());
    ensure!(
        png.len() > 10 * 1024,
        "{} is only {} bytes: a blank page?",
        path.display(),
        png.len()
    );
    Ok(())
}

#[tokio::test]
async fn the_secretariat_compares_filters_reverts_reads_refusals_and_exports() -> anyhow::Result<()> {
    ensure!(
        js_dir().join("node_modules/playwright-core").is_dir(),
        "run `npm install` in tests/js (cargo xtask test does)"
    );
    let browser = chromium();
    ensure!(
        browser.is_file(),
        "no Chromium at {} (set ENLACE_CHROMIUM)",
        browser.display()
    );
    let data = tempfile::tempdir()?;
    let mut server = ServerProcess::start(data.path()).await?;
    let (status, index) = server.get("/").await?;
    ensure!(
        status == 200 && String::from_utf8_lossy(&index).contains(".wasm"),
        "the server embeds no client bundle: run `cargo xtask build-client` first"
    );
    let (_, ana_session) = server
        .add_person("ana@mesa.test", "Ana Miembro", "member")
        .await?;
    server
        .add_person("beto@mesa.test", "Beto Miembro", "member")
        .await?;
    // The record both members edit, created by the secretariat beforehand.
    let workspace = server.first_workspace().await?;
    let mut secretariat = RustClient::connect_named(&server, &workspace, ADMIN_NAME).await?;
    let record_id = secretariat
        .add_organisation("Fundación Semilla", "academia", "México")
        .await?;
    secretariat.set_field(&record_id, "city", "Puebla").await?;
    drop(secretariat);

    // Ana, a member, tries to delete it over the real WebSocket: only the
    // secretariat deletes records created by others, so the server refuses.
    let mut ana = RustClient::connect_as(&server, &workspace, "Ana Miembro", &ana_session).await?;
    ana.change(|document, authorship| {
        records::set_deleted(document, Collection::Organisations, &record_id, true, authorship)
    })
    .await?;
    ana.pump_until(PATIENCE, |client| !client.rejections.is_empty())
        .await
        .context("the member's deletion was not refused")?;
    let refusal = Refusal::DeleteOthersRecords;
    ensure!(
        ana.rejections
            .iter()
            .any(|rejection| rejection.refusal == Some(refusal)),
        "refused for another reason: {:?}",
        ana.rejections
    );
    drop(ana);

    let screenshot = fresh_screenshot("history-compare.png")?;
    let others: Vec<PathBuf> = ["history-compare-revert.png", "history-compare-refused.png"]
        .into_iter()
        .map(fresh_screenshot)
        .collect::<anyhow::Result<_>>()?;
    let node = std::env::var_os("ENLACE_NODE").map_or_else(|| PathBuf::from("node"), PathBuf::from);
    let mut command = tokio::process::Command::new(node);
    command
        .arg(js_dir().join("browser-history-tools.mjs"))
        .arg(server.http_url())
        .arg(&screenshot)
        .env("ENLACE_CHROMIUM", &browser)
        .env("ENLACE_PASSWORD", TEST_PASSWORD)
        .env("ENLACE_SECRETARIAT_EMAIL", ADMIN_EMAIL)
        .env("ENLACE_SECRETARIAT_NAME", ADMIN_NAME)
        .env("ENLACE_A_EMAIL", "ana@mesa.test")
        .env("ENLACE_A_NAME", "Ana Miembro")
        .env("ENLACE_B_EMAIL", "beto@mesa.test")
        .env("ENLACE_B_NAME", "Beto Miembro")
        .env("ENLACE_RECORD_ID", &record_id)
        .env("ENLACE_COUNTRY", "México")
        .env("ENLACE_CITY", "Puebla")
        .env("ENLACE_REFUSAL_ES", refusal.text(Language::Spanish))
        .env("ENLACE_REFUSAL_EN", refusal.text(Language::English))
        .current_dir(js_dir())
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let output = tokio::time::timeout(SCRIPT_TIMEOUT, command.output())
        .await
        .context("browser-history-tools.mjs did not finish in time")??;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "browser-history-tools.mjs failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    eprintln!("{stdout}");
    check_screenshot(&screenshot)?;
    for path in &others {
        check_screenshot(path)?;
    }
    server.stop().await?;
    Ok(())
}
