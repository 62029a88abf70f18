//! The real server, real WebSockets, a temporary redb: convergence,
//! concurrent field edits, restarts and `kill -9` after an acknowledgement.

use enlace_shared::api::paths;
use enlace_shared::records;
use enlace_shared::schema::Collection;
use enlace_tests::{PATIENCE, RustClient, ServerProcess, document_id};

#[tokio::test]
async fn first_start_creates_the_mcig_workspace() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let server = ServerProcess::start(data.path()).await?;
    let workspaces = server.workspaces().await?;
    assert_eq!(workspaces.len(), 1);
    let workspace = &workspaces[0];
    assert_eq!(
        workspace.name,
        "Mesa de Cooperación Internacional para la Igualdad de Género en México"
    );
    assert_eq!(workspace.url, format!("automerge:{}", workspace.id));
    document_id(workspace)?;
    assert!(data.path().join("enlace.redb").is_file());
    Ok(())
}

#[tokio::test]
async fn two_clients_converge() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let server = ServerProcess::start(data.path()).await?;
    let workspace = server.first_workspace().await?;
    let mut ana = RustClient::connect_named(&server, &workspace, "ana").await?;
    let mut ben = RustClient::connect_named(&server, &workspace, "ben").await?;

    ana.add_organisation("GIZ", "cooperation_agency", "Alemania")
        .await?;
    ben.add_organisation("AECID", "cooperation_agency", "España")
        .await?;
    let seen_by_ben = ben.wait_for_organisation("GIZ", PATIENCE).await?;
    assert_eq!(seen_by_ben.text("country"), "Alemania");
    assert_eq!(seen_by_ben.text("kind"), "cooperation_agency");
    ana.wait_for_organisation("AECID", PATIENCE).await?;

    ana.pump_until(PATIENCE, |client| client.is_in_sync()).await?;
    ben.pump_until(PATIENCE, |client| client.is_in_sync()).await?;
    let mut ana_heads = ana.document().get_heads();
    let mut ben_heads = ben.document().get_heads();
    ana_heads.sort();
    ben_heads.sort();
    assert_eq!(ana_heads, ben_heads);
    assert_eq!(ana.organisations(), ben.organisations());
    Ok(())
}

#[tokio::test]
async fn concurrent_edits_to_different_fields_both_survive() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let server = ServerProcess::start(data.path()).await?;
    let workspace = server.first_workspace().await?;
    let mut ana = RustClient::connect_named(&server, &workspace, "ana").await?;
    let mut ben = RustClient::connect_named(&server, &workspace, "ben").await?;
    let id = ana
        .add_organisation("Embajada de Irlanda", "embassy", "Irlanda")
        .await?;
    ben.wait_for_organisation("Embajada de Irlanda", PATIENCE).await?;

    // Both edit the same organisation before either has seen the other's edit.
    let record = id.clone();
    ana.change(move |document, authorship| {
        records::set_text(
            document,
            Collection::Organisations,
            &record,
            "name",
            "Embajada de Irlanda en México",
            authorship,
        )
    })
    .await?;
    let record = id.clone();
    ben.change(move |document, authorship| {
        records::set_text(
            document,
            Collection::Organisations,
            &record,
            "country",
            "Irlanda (Dublín)",
            authorship,
        )
    })
    .await?;

    let converged = |client: &RustClient| {
        client.is_in_sync()
            && client.organisations().iter().any(|org| {
                org.text("name") == "Embajada de Irlanda en México"
                    && org.text("country") == "Irlanda (Dublín)"
            })
    };
    // Both clients read at once: automerge's bloom filter can wrongly tell a
    // client that the server already has its change (about 1 time in 100),
    // and the change then travels only after the server asks for it, which
    // the client must be reading to hear.
    tokio::try_join!(
        ana.pump_until(PATIENCE, converged),
        ben.pump_until(PATIENCE, converged)
    )?;

    // A third client, fresh from the server's stored state, sees both edits too.
    let carla = RustClient::connect_named(&server, &workspace, "carla").await?;
    let organisation = carla
        .organisations()
        .into_iter()
        .find(|org| org.id == id)
        .ok_or_else(|| anyhow::anyhow!("missing"))?;
    assert_eq!(organisation.text("name"), "Embajada de Irlanda en México");
    assert_eq!(organisation.text("country"), "Irlanda (Dublín)");
    Ok(())
}

#[tokio::test]
async fn a_restart_keeps_everything() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let mut server = ServerProcess::start(data.path()).await?;
    let workspace = server.first_workspace().await?;
    let mut ana = RustClient::connect(&server, &workspace).await?;
    for index in 0..25 {
        ana.add_organisation(&format!("Embajada {index}"), "embassy", "")
            .await?;
    }
    let before = ana.organisations();
    drop(ana);
    server.stop().await?;

    let server = ServerProcess::start(data.path()).await?;
    assert_eq!(
        server.first_workspace().await?,
        workspace,
        "same workspace after restart"
    );
    let reader = RustClient::connect(&server, &workspace).await?;
    assert_eq!(reader.organisations(), before);
    assert_eq!(reader.organisations().len(), 25);
    Ok(())
}

#[tokio::test]
async fn kill_nine_right_after_an_acknowledgement_loses_nothing() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let mut server = ServerProcess::start(data.path()).await?;
    let workspace = server.first_workspace().await?;
    let mut ana = RustClient::connect(&server, &workspace).await?;
    ana.add_organisation("ONU Mujeres", "un_entity", "México").await?;
    // `add_organisation` returns the moment the server's heads include the
    // change; kill the process with no chance to flush.
    server.kill_hard().await?;
    drop(ana);

    let server = ServerProcess::start(data.path()).await?;
    let reader = RustClient::connect(&server, &workspace).await?;
    let names: Vec<String> = reader
        .organisations()
        .iter()
        .map(|org| org.text("name").to_owned())
        .collect();
    assert_eq!(names, vec!["ONU Mujeres".to_owned()]);
    Ok(())
}

#[tokio::test]
async fn serves_the_client_and_health() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let server = ServerProcess::start(data.path()).await?;
    let (status, body) = server.get(paths::HEALTH).await?;
    assert_eq!((status, body.as_slice()), (200, &b"ok"[..]));
    let (status, body) = server.get("/").await?;
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("Enlace"));
    let (status, _) = enlace_tests::http_get(server.address(), "/", &[("Accept-Encoding", "gzip")]).await?;
    assert_eq!(status, 200);
    let (status, _) = server.get("/no-such-file.js").await?;
    assert_eq!(status, 404);
    Ok(())
}

#[tokio::test]
async fn sigterm_during_a_burst_keeps_every_acknowledged_change() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let mut server = ServerProcess::start(data.path()).await?;
    let workspace = server.first_workspace().await?;
    let mut ana = RustClient::connect(&server, &workspace).await?;
    let id = ana.add_organisation("Contador", "embassy", "0").await?;
    // Fire edits without waiting for acknowledgements, stop the server while
    // they are in flight, and read whatever it acknowledges before closing.
    for value in 1..=150 {
        let record = id.clone();
        ana.change(move |document, authorship| {
            records::set_text(
                document,
                Collection::Organisations,
                &record,
                "country",
                &value.to_string(),
                authorship,
            )
        })
        .await?;
    }
    server.terminate().await?;
    let closed = ana.pump_until(PATIENCE, |_| false).await;
    assert!(closed.is_err(), "the server closes the connection on shutdown");
    server.wait_for_exit().await?;
    let acknowledged = ana.acknowledged_heads();
    drop(ana);

    let server = ServerProcess::start(data.path()).await?;
    let reader = RustClient::connect(&server, &workspace).await?;
    for hash in &acknowledged {
        assert!(
            automerge::ReadDoc::get_change_by_hash(reader.document(), hash).is_some(),
            "acknowledged change {hash} lost by a graceful shutdown"
        );
    }
    assert!(!acknowledged.is_empty());
    Ok(())
}
