//! Authorship a client cannot forge: observers leave nothing in the history,
//! change messages are bounded, "added by" and "last edited by" come from
//! the server's receipts, and the actor that created the workspace and
//! seeded the demo belongs to the system principal.

use automerge::transaction::CommitOptions;
use enlace_shared::api::{RecordAuthorship, SYSTEM_USER_ID, WorkspaceSummary, paths};
use enlace_shared::model::MAX_CHANGE_MESSAGE_BYTES;
use enlace_shared::records;
use enlace_shared::refusal::Refusal;
use enlace_shared::roles::Role;
use enlace_shared::schema::Collection;
use enlace_tests::{Credential, PATIENCE, RustClient, ServerProcess, TEST_PASSWORD};

/// Every message in the workspace's audit trail (read as `secretariat`).
async fn audit_messages(
    server: &ServerProcess,
    workspace: &WorkspaceSummary,
    secretariat: &Credential,
) -> anyhow::Result<Vec<String>> {
    let path = format!("{}?limit=500", paths::workspace_changes(&workspace.id));
    let (status, body, _) = server.api("GET", &path, Some(secretariat), None).await?;
    assert_eq!(status, 200, "{body}");
    Ok(body["changes"]
        .as_array()
        .map(|changes| {
            changes
                .iter()
                .filter_map(|change| change["message"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default())
}

async fn authorship(
    server: &ServerProcess,
    workspace: &WorkspaceSummary,
    record_id: &str,
    reader: &Credential,
) -> anyhow::Result<RecordAuthorship> {
    let path = paths::record_authorship(&workspace.id, Collection::Organisations.key(), record_id);
    let (status, body, _) = server.api("GET", &path, Some(reader), None).await?;
    assert_eq!(status, 200, "{body}");
    Ok(serde_json::from_value(body)?)
}

/// Makes a change with no operations, only `message`, and sends it.
async fn send_empty_change(client: &mut RustClient, message: &str) -> anyhow::Result<()> {
    client
        .document_mut()
        .empty_commit(CommitOptions::default().with_message(message.to_owned()));
    client.flush().await
}

#[tokio::test]
async fn an_observers_empty_change_never_reaches_the_history() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let server = ServerProcess::start(data.path()).await?;
    let workspace = server.first_workspace().await?;
    let (_, observer) = server.add_person("olga@observa.org", "Olga", "observer").await?;
    let mut olga = RustClient::connect_as(&server, &workspace, "olga", &observer).await?;

    send_empty_change(&mut olga, "olga was here").await?;
    olga.pump_until(PATIENCE, |client| !client.rejections.is_empty())
        .await?;
    assert_eq!(olga.rejections[0].refusal, Some(Refusal::ReadOnlyRole));
    assert!(
        !audit_messages(&server, &workspace, &server.admin())
            .await?
            .iter()
            .any(|message| message.contains("olga was here"))
    );
    // Nor does anyone else receive it.
    let reader = RustClient::connect(&server, &workspace).await?;
    assert!(!reader.document().get_changes(&[]).iter().any(|change| {
        change
            .message()
            .is_some_and(|message| message.contains("olga was here"))
    }));
    Ok(())
}

#[tokio::test]
async fn a_change_message_over_the_limit_is_refused_even_from_the_secretariat() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let server = ServerProcess::start(data.path()).await?;
    let workspace = server.first_workspace().await?;
    let mut secretariat = RustClient::connect_named(&server, &workspace, "secretariat").await?;
    let long = "x".repeat(MAX_CHANGE_MESSAGE_BYTES + 1);
    send_empty_change(&mut secretariat, &long).await?;
    secretariat
        .pump_until(PATIENCE, |client| !client.rejections.is_empty())
        .await?;
    assert_eq!(secretariat.rejections[0].refusal, Some(Refusal::MessageTooLong));
    assert!(
        !audit_messages(&server, &workspace, &server.admin())
            .await?
            .contains(&long)
    );
    // A member's ordinary change with a message is accepted.
    let (_, member) = server.add_person("ana@giz.de", "Ana Ruiz", "member").await?;
    let mut ana = RustClient::connect_as(&server, &workspace, "ana", &member).await?;
    send_empty_change(&mut ana, "a note from Ana").await?;
    ana.wait_acknowledged().await?;
    assert!(ana.rejections.is_empty(), "{:?}", ana.rejections);
    assert!(
        audit_messages(&server, &workspace, &server.admin())
            .await?
            .iter()
            .any(|message| message == "a note from Ana")
    );
    Ok(())
}

#[tokio::test]
async fn added_by_and_last_edited_by_come_from_the_receipts() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let server = ServerProcess::start(data.path()).await?;
    let workspace = server.first_workspace().await?;
    let (ana_id, ana_session) = server.add_person("ana@giz.de", "Ana Ruiz", "member").await?;
    let (ben_id, ben_session) = server.add_person("ben@aecid.es", "Ben Soto", "member").await?;
    let (_, observer) = server.add_person("olga@observa.org", "Olga", "observer").await?;

    // Ana's client names someone else as author: it changes nothing.
    let mut ana = RustClient::connect_as(&server, &workspace, "Somebody Else", &ana_session).await?;
    let record_id = ana
        .add_organisation("GIZ", "cooperation_agency", "Alemania")
        .await?;
    let added = authorship(&server, &workspace, &record_id, &observer).await?;
    let created = added
        .created
        .clone()
        .ok_or_else(|| anyhow::anyhow!("no creator"))?;
    assert_eq!(
        (created.user_id.as_str(), created.user_name.as_str()),
        (ana_id.as_str(), "Ana Ruiz")
    );
    assert_eq!(added.last_edited, added.created);

    let mut ben = RustClient::connect_as(&server, &workspace, "ben", &ben_session).await?;
    ben.pump_until(PATIENCE, |client| {
        records::read_one(client.document(), Collection::Organisations, &record_id).is_some()
    })
    .await?;
    ben.set_field(&record_id, "acronym", "GIZ GmbH").await?;
    let edited = authorship(&server, &workspace, &record_id, &observer).await?;
    assert_eq!(edited.created, added.created, "the creator stays");
    let last = edited
        .last_edited
        .ok_or_else(|| anyhow::anyhow!("no last editor"))?;
    assert_eq!(
        (last.user_id.as_str(), last.user_name.as_str()),
        (ben_id.as_str(), "Ben Soto")
    );
    assert!(last.at_ms >= created.at_ms);

    // A record nobody wrote has no authorship; an unknown collection is 404.
    let nobody = authorship(&server, &workspace, "0123", &observer).await?;
    assert_eq!(nobody, RecordAuthorship::default());
    let path = paths::record_authorship(&workspace.id, "secrets", &record_id);
    let (status, _, _) = server.api("GET", &path, Some(&observer), None).await?;
    assert_eq!(status, 404);
    Ok(())
}

#[tokio::test]
async fn the_seeding_actor_belongs_to_the_system_and_cannot_be_reused() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let server = ServerProcess::start_unprovisioned_with(data.path(), &["--demo"]).await?;
    let secretariat = server.complete_setup("secretaria@unwomen.org").await?;
    server
        .create_person(&secretariat, "ana@giz.de", "Ana Ruiz", Role::Member)
        .await?;
    let member = match server.login("ana@giz.de", TEST_PASSWORD).await? {
        (200, Some(session)) => session,
        (status, _) => anyhow::bail!("signing in answered {status}"),
    };
    let workspace = server
        .workspaces_as(&member)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("no workspace"))?;
    let mut ana = RustClient::connect_as(&server, &workspace, "ana", &member).await?;
    let seeded = ana
        .organisations()
        .into_iter()
        .find(|organisation| organisation.text("acronym") == "GIZ")
        .ok_or_else(|| anyhow::anyhow!("the demo has GIZ"))?;
    let seeded_by = authorship(&server, &workspace, &seeded.id, &member).await?;
    assert_eq!(
        seeded_by.created.map(|author| author.user_id).as_deref(),
        Some(SYSTEM_USER_ID)
    );

    // Ana signs her change with the actor that created the workspace.
    let seeding_actor = ana
        .document()
        .get_changes(&[])
        .first()
        .map(|change| change.actor_id().clone())
        .ok_or_else(|| anyhow::anyhow!("no history"))?;
    ana.document_mut().set_actor(seeding_actor);
    let target = seeded.id.clone();
    ana.change(move |document, authorship| {
        records::set_deleted(document, Collection::Organisations, &target, true, authorship)
    })
    .await?;
    ana.pump_until(PATIENCE, |client| !client.rejections.is_empty())
        .await?;
    assert_eq!(ana.rejections[0].refusal, Some(Refusal::ForeignActor));
    let reader = RustClient::connect_as(&server, &workspace, "secretaria", &secretariat).await?;
    assert!(
        reader
            .organisations()
            .iter()
            .all(|organisation| !organisation.deleted),
        "nothing seeded was deleted"
    );
    Ok(())
}
