//! `enlace backup` on a running server (while a client keeps writing) and
//! `enlace restore` into a new data directory: a second server on the copy
//! has the same document, accounts, sessions, receipts and actor bindings.
//! Writing CLI commands are still refused on a running server.

use std::path::Path;

use enlace_shared::api::{ChangeView, ChangesPage, Moment, WorkspaceSummary, paths};
use enlace_shared::refusal::Refusal;
use enlace_tests::{Credential, PATIENCE, RustClient, ServerProcess, TEST_PASSWORD, enlace_cli};

/// Every receipt of the workspace, oldest first (read as the secretariat).
async fn receipts(server: &ServerProcess, workspace: &WorkspaceSummary) -> anyhow::Result<Vec<ChangeView>> {
    let path = format!("{}?limit=500", paths::workspace_changes(&workspace.id));
    let (status, body, _) = server.api("GET", &path, Some(&server.admin()), None).await?;
    assert_eq!(status, 200, "{body}");
    let page: ChangesPage = serde_json::from_value(body)?;
    assert!(page.next_before.is_none(), "more than one page of changes");
    let mut changes = page.changes;
    changes.reverse();
    Ok(changes)
}

/// The server's document heads, as a fresh sync client receives them.
async fn heads(server: &ServerProcess, workspace: &WorkspaceSummary) -> anyhow::Result<Vec<String>> {
    let client = RustClient::connect(server, workspace).await?;
    let mut heads: Vec<String> = client
        .document()
        .get_heads()
        .iter()
        .map(ToString::to_string)
        .collect();
    heads.sort();
    Ok(heads)
}

/// Runs `enlace backup` on `data` into `file`; returns what it printed.
fn backup(data: &Path, file: &Path) -> anyhow::Result<String> {
    let out = file.to_string_lossy().into_owned();
    enlace_cli(data, &["backup", "--out", &out], None)
}

/// Restores `file` into `target` and starts a server on it, with the
/// harness's admin token file copied (the token itself comes from the backup).
async fn restore_and_start(file: &Path, original: &Path, target: &Path) -> anyhow::Result<ServerProcess> {
    let input = file.to_string_lossy().into_owned();
    let said = enlace_cli(target, &["restore", "--in", &input], None)?;
    assert!(said.contains("restored"), "{said}");
    std::fs::copy(original.join("test-admin-token"), target.join("test-admin-token"))?;
    ServerProcess::start(target).await
}

#[tokio::test]
async fn a_backup_of_a_running_server_restores_the_same_workspace() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let files = tempfile::tempdir()?;
    let server = ServerProcess::start(data.path()).await?;
    let workspace = server.first_workspace().await?;
    let (_, ana_session) = server.add_person("ana@giz.de", "Ana Ruiz", "member").await?;
    let (_, luis_session) = server.add_person("luis@aecid.es", "Luis Pérez", "member").await?;
    let mut ana = RustClient::connect_as(&server, &workspace, "ana", &ana_session).await?;
    let mut luis = RustClient::connect_as(&server, &workspace, "luis", &luis_session).await?;
    let organisation = ana.add_organisation("GIZ", "cooperation_agency", "DE").await?;
    luis.add_organisation("AECID", "cooperation_agency", "ES").await?;
    ana.set_field(&organisation, "name", "GIZ México").await?;

    // Writing commands stay refused while the server runs.
    let refused = enlace_cli(
        data.path(),
        &[
            "user",
            "add",
            "--email",
            "eva@example.org",
            "--name",
            "Eva",
            "--role",
            "member",
            "--password-stdin",
        ],
        Some(TEST_PASSWORD),
    )
    .expect_err("user add on a running server");
    assert!(
        refused.to_string().contains("in use by a running Enlace server"),
        "{refused:#}"
    );

    // A backup while Luis keeps writing.
    let before_backup = receipts(&server, &workspace).await?.len();
    let during = files.path().join("during.enlace");
    let job = {
        let data = data.path().to_owned();
        let during = during.clone();
        tokio::task::spawn_blocking(move || backup(&data, &during))
    };
    let mut written_meanwhile = 0;
    while !job.is_finished() || written_meanwhile < 3 {
        luis.set_field(&organisation, "country", &format!("MX{written_meanwhile}"))
            .await?;
        written_meanwhile += 1;
    }
    let said = job.await??;
    assert!(said.contains("receipts"), "{said}");
    // The server holds its database file, so it made this backup itself,
    // through its admin socket.
    assert!(said.contains("made by the running server"), "{said}");
    let original_receipts = receipts(&server, &workspace).await?;
    assert_eq!(
        original_receipts.len(),
        before_backup + written_meanwhile,
        "the writes meanwhile were all accepted"
    );

    // That backup is one consistent moment: a prefix of the receipts, and
    // the document exactly as it was after the last of them.
    let restored_during = files.path().join("restored-during");
    let copy = restore_and_start(&during, data.path(), &restored_during).await?;
    let copied_receipts = receipts(&copy, &workspace).await?;
    assert!(copied_receipts.len() >= before_backup);
    assert_eq!(
        copied_receipts[..],
        original_receipts[..copied_receipts.len()],
        "the copy's receipts are the original's first ones"
    );
    let last_seq = copied_receipts
        .last()
        .map(|change| change.receipt_seq)
        .ok_or_else(|| anyhow::anyhow!("no receipts"))?;
    let moment_path = format!("{}?seq={last_seq}", paths::history_moment(&workspace.id));
    let (status, body, _) = server
        .api("GET", &moment_path, Some(&server.admin()), None)
        .await?;
    assert_eq!(status, 200, "{body}");
    let mut moment: Moment = serde_json::from_value(body)?;
    moment.heads.sort();
    assert_eq!(heads(&copy, &workspace).await?, moment.heads);
    drop(copy);

    // A backup of the quiet server restores it exactly.
    let quiet = files.path().join("quiet.enlace");
    backup(data.path(), &quiet)?;
    let restored = files.path().join("restored");
    let copy = restore_and_start(&quiet, data.path(), &restored).await?;
    assert_eq!(heads(&copy, &workspace).await?, heads(&server, &workspace).await?);
    assert_eq!(
        receipts(&copy, &workspace).await?,
        receipts(&server, &workspace).await?
    );

    // Accounts: the same password signs in, a wrong one does not; an
    // existing session still works.
    let (status, ana_again) = copy.login("ana@giz.de", TEST_PASSWORD).await?;
    assert_eq!(status, 200);
    let ana_again: Credential = ana_again.ok_or_else(|| anyhow::anyhow!("no session"))?;
    assert_eq!(copy.login("ana@giz.de", "not the password").await?.0, 401);

    // Bindings: Ana's actor is still hers, and still not Luis's.
    let ana_actor = ana.document().get_actor().clone();
    let mut ana_copy = RustClient::connect_as(&copy, &workspace, "ana", &ana_again).await?;
    ana_copy.document_mut().set_actor(ana_actor.clone());
    ana_copy
        .set_field(&organisation, "name", "GIZ México (restaurada)")
        .await?;
    assert!(ana_copy.rejections.is_empty(), "{:?}", ana_copy.rejections);
    let mut luis_copy = RustClient::connect_as(&copy, &workspace, "luis", &luis_session).await?;
    luis_copy.document_mut().set_actor(ana_actor);
    luis_copy
        .change(|document, authorship| {
            enlace_shared::records::set_text(
                document,
                enlace_shared::schema::Collection::Organisations,
                &organisation,
                "name",
                "Luis as Ana",
                authorship,
            )
        })
        .await?;
    luis_copy
        .pump_until(PATIENCE, |client| !client.rejections.is_empty())
        .await?;
    assert_eq!(luis_copy.rejections[0].refusal, Some(Refusal::ForeignActor));

    // A restore never writes over a data directory that has a database.
    let input = quiet.to_string_lossy().into_owned();
    let error = enlace_cli(&restored, &["restore", "--in", &input], None).expect_err("refused");
    assert!(error.to_string().contains("already holds"), "{error:#}");
    Ok(())
}

#[tokio::test]
async fn the_audit_export_cli_needs_a_stopped_server_and_says_where_to_get_one_meanwhile()
-> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let files = tempfile::tempdir()?;
    let mut server = ServerProcess::start(data.path()).await?;
    let workspace = server.first_workspace().await?;
    let mut client = RustClient::connect(&server, &workspace).await?;
    client.add_organisation("GIZ", "cooperation_agency", "DE").await?;

    // The server holds its database file: the CLI is refused, and told of
    // the endpoint that exports meanwhile.
    let out = files.path().join("export.json");
    let out_arg = out.to_string_lossy().into_owned();
    let error = enlace_cli(data.path(), &["audit", "export", "--out", &out_arg], None)
        .expect_err("a running server's directory");
    assert!(error.to_string().contains("audit-export"), "{error:#}");
    let (status, over_http, _) = server
        .api(
            "GET",
            &paths::workspace_audit_export(&workspace.id),
            Some(&server.admin()),
            None,
        )
        .await?;
    assert_eq!(status, 200);

    // Stopped, the CLI exports with the same key the server signed with.
    drop(client);
    server.stop().await?;
    let said = enlace_cli(data.path(), &["audit", "export", "--out", &out_arg], None)?;
    assert!(said.contains("wrote the audit export"), "{said}");
    let key = enlace_cli(data.path(), &["audit", "key"], None)?;
    assert_eq!(over_http["public_key"].as_str(), Some(key.trim()));
    assert!(said.contains(key.trim()), "{said} / {key}");
    Ok(())
}
