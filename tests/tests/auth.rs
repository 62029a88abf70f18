//! People, roles and a history nobody can forge: authentication at the
//! upgrade, sign-in throttling, bound authorship, server-enforced
//! permissions, rejection without sync loops, live revocation.

use std::time::{Duration, Instant};

use automerge::transaction::Transactable as _;
use automerge::{ActorId, Automerge, ObjType, ROOT, ReadDoc as _};
use enlace_shared::api::{ErrorBody, PersonView, SetupRequest, UpdateUserRequest, close, paths};
use enlace_shared::records::{self, Initial};
use enlace_shared::refusal::Refusal;
use enlace_shared::roles::Role;
use enlace_shared::schema::Collection;
use enlace_tests::{
    ADMIN_EMAIL, Credential, PATIENCE, RustClient, ServerProcess, TEST_PASSWORD, authenticated_socket,
    expect_close, http_get, json_body,
};
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

/// Writes `value` at `collection/record/field`, creating the record if needed,
/// with no model validation (what a hostile or buggy client could send).
fn put_raw(document: &mut Automerge, collection: &str, record: &str, field: &str, value: &str) {
    let collection_id = match document.get(ROOT, collection) {
        Ok(Some((_, id))) => id,
        other => panic!("no collection {collection}: {other:?}"),
    };
    let mut transaction = document.transaction();
    let record_id = match transaction.get(&collection_id, record) {
        Ok(Some((_, id))) => id,
        _ => transaction
            .put_object(&collection_id, record, ObjType::Map)
            .expect("record"),
    };
    transaction.put(&record_id, field, value).expect("put");
    transaction.commit();
}

/// Asserts that the `index`th rejection `client` received names `place`
/// and carries `refusal`, as a code and as the English sentence.
fn assert_rejection(client: &RustClient, index: usize, refusal: Refusal, place: &str) {
    let rejection = &client.rejections[index];
    assert_eq!(rejection.refusal, Some(refusal), "{:?}", client.rejections);
    assert!(
        rejection.reason.contains(place) && rejection.reason.ends_with(&refusal.to_string()),
        "{:?}",
        client.rejections
    );
}

async fn changes_count(server: &ServerProcess) -> anyhow::Result<usize> {
    let workspace = server.first_workspace().await?;
    let path = format!("{}?limit=500", paths::workspace_changes(&workspace.id));
    let (status, body, _) = server.api("GET", &path, Some(&server.admin()), None).await?;
    assert_eq!(status, 200, "{body}");
    Ok(body["changes"].as_array().map_or(0, Vec::len))
}

#[tokio::test]
async fn upgrades_need_a_valid_credential_and_the_same_origin() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let server = ServerProcess::start(data.path()).await?;

    let anonymous = tokio_tungstenite::connect_async(server.ws_url()).await;
    let error = anonymous.err().map(|error| error.to_string()).unwrap_or_default();
    assert!(error.contains("401"), "unauthenticated upgrade: {error}");

    let forged = Credential::Bearer("0".repeat(64));
    let error = authenticated_socket(&server, &forged)
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(error.contains("401"), "unknown token: {error}");

    let (_, session) = server.add_person("ana@giz.de", "Ana Ruiz", "member").await?;
    let mut request = server.ws_url().into_client_request()?;
    let (name, value) = session.header();
    request.headers_mut().insert(name, value.parse()?);
    request
        .headers_mut()
        .insert("Origin", "http://evil.example".parse()?);
    let error = tokio_tungstenite::connect_async(request)
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(error.contains("403"), "cross-origin cookie upgrade: {error}");

    let mut request = server.ws_url().into_client_request()?;
    request.headers_mut().insert(name, value.parse()?);
    request
        .headers_mut()
        .insert("Origin", format!("http://{}", server.address()).parse()?);
    assert!(
        tokio_tungstenite::connect_async(request).await.is_ok(),
        "same-origin cookie upgrade"
    );

    let workspace = server.first_workspace().await?;
    let mut scripted = RustClient::connect_as(&server, &workspace, "script", &server.admin()).await?;
    scripted.add_organisation("Vía token", "embassy", "").await?;
    Ok(())
}

#[tokio::test]
async fn sign_in_is_checked_and_throttled() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let server = ServerProcess::start(data.path()).await?;
    let (status, session) = server.login(ADMIN_EMAIL, TEST_PASSWORD).await?;
    assert_eq!(status, 200);
    let session = session.ok_or_else(|| anyhow::anyhow!("no cookie"))?;
    let (status, me, _) = server.api("GET", paths::ME, Some(&session), None).await?;
    assert_eq!(status, 200);
    assert_eq!(me["email"], ADMIN_EMAIL);
    assert!(me.get("password_hash").is_none());

    let (_, headers) = {
        let (status, _, headers) = server
            .api(
                "POST",
                paths::LOGIN,
                None,
                Some(serde_json::json!({"email": ADMIN_EMAIL, "password": TEST_PASSWORD})),
            )
            .await?;
        (status, headers)
    };
    let cookie = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, value)| value.clone())
        .unwrap_or_default();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );

    let mut statuses = Vec::new();
    for _ in 0..7 {
        statuses.push(server.login(ADMIN_EMAIL, "not the password").await?.0);
    }
    assert_eq!(&statuses[..5], &[401; 5], "wrong passwords: {statuses:?}");
    assert_eq!(&statuses[5..], &[429, 429], "then throttled: {statuses:?}");
    // Once throttled, even the right password waits out the window.
    assert_eq!(server.login(ADMIN_EMAIL, TEST_PASSWORD).await?.0, 429);

    let (status, _) = http_get(server.address(), paths::WORKSPACES, &[]).await?;
    assert_eq!(status, 401);
    let (status, _, _) = server.api("POST", paths::LOGOUT, Some(&session), None).await?;
    assert_eq!(status, 204);
    let (status, _, _) = server.api("GET", paths::ME, Some(&session), None).await?;
    assert_eq!(status, 401, "the session is gone after logout");
    Ok(())
}

#[tokio::test]
async fn a_change_signed_with_another_persons_actor_is_refused() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let server = ServerProcess::start(data.path()).await?;
    let workspace = server.first_workspace().await?;
    let (_, ana_session) = server.add_person("ana@giz.de", "Ana Ruiz", "member").await?;
    let (_, ben_session) = server.add_person("ben@aecid.es", "Ben Soto", "member").await?;
    let mut ana = RustClient::connect_as(&server, &workspace, "ana", &ana_session).await?;
    let mut ben = RustClient::connect_as(&server, &workspace, "ben", &ben_session).await?;
    let mut witness = RustClient::connect_named(&server, &workspace, "witness").await?;
    ana.add_organisation("GIZ", "cooperation_agency", "Alemania")
        .await?;
    ben.wait_for_organisation("GIZ", PATIENCE).await?;
    let receipts_before = changes_count(&server).await?;
    let ana_actor: ActorId = ana.document().get_actor().clone();

    // Ben signs a change with Ana's actor id.
    ben.document_mut().set_actor(ana_actor);
    let giz = ben.organisations()[0].id.clone();
    put_raw(ben.document_mut(), "organisations", &giz, "country", "Forjado");
    ben.flush().await?;
    ben.pump_until(PATIENCE, |client| !client.rejections.is_empty())
        .await?;
    assert_rejection(&ben, 0, Refusal::ForeignActor, "by actor");
    // Ben's client dropped the forged change and resynced.
    ben.pump_until(PATIENCE, |client| client.is_in_sync()).await?;
    assert_eq!(ben.organisations()[0].text("country"), "Alemania");

    // Not forwarded, not stored, no receipt.
    witness.pump_for(Duration::from_millis(300)).await?;
    assert_eq!(witness.organisations()[0].text("country"), "Alemania");
    let fresh = RustClient::connect(&server, &workspace).await?;
    assert_eq!(fresh.organisations()[0].text("country"), "Alemania");
    assert_eq!(changes_count(&server).await?, receipts_before);
    Ok(())
}

#[tokio::test]
async fn roles_are_enforced_on_every_change() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let server = ServerProcess::start(data.path()).await?;
    let workspace = server.first_workspace().await?;
    let (_, observer) = server.add_person("olga@observa.org", "Olga", "observer").await?;
    let (_, member) = server.add_person("ana@giz.de", "Ana Ruiz", "member").await?;
    let mut secretariat = RustClient::connect_named(&server, &workspace, "secretariat").await?;
    let by_secretariat = secretariat
        .add_organisation("ONU Mujeres", "un_entity", "México")
        .await?;

    // An observer writes nothing.
    let mut olga = RustClient::connect_as(&server, &workspace, "olga", &observer).await?;
    olga.change(|document, authorship| {
        records::create_record(
            document,
            Collection::Organisations,
            "0".repeat(32).as_str(),
            &[
                ("name", Initial::Text("Intrusa".into())),
                ("kind", Initial::Text("company".into())),
            ],
            authorship,
        )
    })
    .await?;
    olga.pump_until(PATIENCE, |client| !client.rejections.is_empty())
        .await?;
    assert_rejection(&olga, 0, Refusal::ReadOnlyRole, "organisations/");

    // A member edits records but not presidency terms, and cannot delete others' records.
    let mut ana = RustClient::connect_as(&server, &workspace, "ana", &member).await?;
    let own = ana
        .add_organisation("GIZ", "cooperation_agency", "Alemania")
        .await?;
    assert!(ana.rejections.is_empty());
    put_raw(
        ana.document_mut(),
        "presidency_terms",
        "term-2021",
        "organisation",
        &own,
    );
    ana.flush().await?;
    ana.pump_until(PATIENCE, |client| client.rejections.len() == 1)
        .await?;
    assert_rejection(
        &ana,
        0,
        Refusal::PresidencyAndWorkplan,
        "presidency_terms/term-2021",
    );
    ana.pump_until(PATIENCE, |client| client.is_in_sync()).await?;

    let target = by_secretariat.clone();
    ana.change(move |document, authorship| {
        records::set_deleted(document, Collection::Organisations, &target, true, authorship)
    })
    .await?;
    ana.pump_until(PATIENCE, |client| client.rejections.len() == 2)
        .await?;
    let deleted = format!("organisations/{by_secretariat}/deleted");
    assert_rejection(&ana, 1, Refusal::DeleteOthersRecords, &deleted);
    ana.pump_until(PATIENCE, |client| client.is_in_sync()).await?;
    assert!(
        !ana.organisations().iter().any(|org| org.deleted),
        "the refused deletion was dropped locally"
    );

    // Her own record she may delete.
    let mine = own.clone();
    ana.change(move |document, authorship| {
        records::set_deleted(document, Collection::Organisations, &mine, true, authorship)
    })
    .await?;
    ana.wait_acknowledged().await?;
    assert_eq!(ana.rejections.len(), 2);

    // The same changes from the secretariat are accepted.
    put_raw(
        secretariat.document_mut(),
        "presidency_terms",
        "term-2021",
        "organisation",
        &own,
    );
    secretariat.flush().await?;
    secretariat.wait_acknowledged().await?;
    let target = by_secretariat.clone();
    secretariat
        .change(move |document, authorship| {
            records::set_deleted(document, Collection::Organisations, &target, true, authorship)
        })
        .await?;
    secretariat.wait_acknowledged().await?;
    assert!(secretariat.rejections.is_empty(), "{:?}", secretariat.rejections);
    let reader = RustClient::connect(&server, &workspace).await?;
    assert!(reader.organisations().iter().all(|org| org.deleted));
    Ok(())
}

#[tokio::test]
async fn a_rejection_ends_the_exchange_and_syncing_goes_on() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let server = ServerProcess::start(data.path()).await?;
    let workspace = server.first_workspace().await?;
    let (_, member) = server.add_person("ana@giz.de", "Ana Ruiz", "member").await?;
    let mut ana = RustClient::connect_as(&server, &workspace, "ana", &member).await?;
    put_raw(
        ana.document_mut(),
        "workplan_lines",
        "line-1",
        "title",
        "Diálogo político",
    );
    ana.flush().await?;
    ana.pump_until(PATIENCE, |client| !client.rejections.is_empty())
        .await?;
    let frames_at_rejection = ana.frames_received + ana.frames_sent;
    // Let whatever follows the rejection play out, then count.
    ana.pump_for(Duration::from_millis(1500)).await?;
    let after = ana.frames_received + ana.frames_sent - frames_at_rejection;
    assert!(after <= 6, "{after} frames after the rejection: a sync loop");
    assert_eq!(ana.rejections.len(), 1);
    // The connection is still open and other edits sync.
    ana.add_organisation("AECID", "cooperation_agency", "España")
        .await?;
    let fresh = RustClient::connect(&server, &workspace).await?;
    assert!(
        fresh
            .organisations()
            .iter()
            .any(|org| org.text("name") == "AECID")
    );
    Ok(())
}

#[tokio::test]
async fn a_stock_client_sending_a_forbidden_change_is_disconnected() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let server = ServerProcess::start(data.path()).await?;
    let workspace = server.first_workspace().await?;
    let (_, observer) = server.add_person("olga@observa.org", "Olga", "observer").await?;
    let mut stock = RustClient::connect_as_stock(&server, &workspace, "stock", &observer).await?;
    put_raw(stock.document_mut(), "organisations", "x", "name", "Intrusa");
    stock.flush().await?;
    let closed = stock
        .pump_until(PATIENCE, |_| false)
        .await
        .expect_err("disconnected");
    let text = format!("{closed:#}");
    assert!(
        text.contains("Policy") || text.contains(&close::POLICY_VIOLATION.to_string()),
        "{text}"
    );
    assert!(text.contains(&Refusal::ReadOnlyRole.to_string()), "{text}");
    let reader = RustClient::connect(&server, &workspace).await?;
    assert!(reader.organisations().is_empty());
    Ok(())
}

#[tokio::test]
async fn revocation_reaches_open_sockets_within_a_second() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let server = ServerProcess::start(data.path()).await?;
    let workspace = server.first_workspace().await?;
    let (ana_id, ana) = server.add_person("ana@giz.de", "Ana Ruiz", "member").await?;
    let (_, ben) = server.add_person("ben@aecid.es", "Ben Soto", "member").await?;
    let (carla_id, carla) = server.add_person("carla@bid.org", "Carla", "member").await?;

    // Disabling an account closes its socket.
    let mut socket = authenticated_socket(&server, &ana).await?;
    let started = Instant::now();
    let disable = UpdateUserRequest {
        disabled: Some(true),
        ..UpdateUserRequest::default()
    };
    let (status, _, _) = server
        .api(
            "PATCH",
            &paths::user(&ana_id),
            Some(&server.admin()),
            Some(json_body(&disable)?),
        )
        .await?;
    assert_eq!(status, 200);
    let (code, reason) = expect_close(&mut socket).await?;
    assert_eq!(code, close::SIGNED_OUT, "{reason}");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(server.api("GET", paths::ME, Some(&ana), None).await?.0, 401);

    // Signing out closes the sockets opened with that session.
    let mut socket = authenticated_socket(&server, &ben).await?;
    let started = Instant::now();
    assert_eq!(server.api("POST", paths::LOGOUT, Some(&ben), None).await?.0, 204);
    assert_eq!(expect_close(&mut socket).await?.0, close::SIGNED_OUT);
    assert!(started.elapsed() < Duration::from_secs(1));

    // Lowering a role holds the open socket to the new role.
    let mut carla_client = RustClient::connect_as(&server, &workspace, "carla", &carla).await?;
    carla_client
        .add_organisation("BID", "international_organisation", "")
        .await?;
    let demote = UpdateUserRequest {
        workspace: Some(workspace.id.clone()),
        role: Some(Some(Role::Observer)),
        disabled: None,
    };
    let (status, _, _) = server
        .api(
            "PATCH",
            &paths::user(&carla_id),
            Some(&server.admin()),
            Some(json_body(&demote)?),
        )
        .await?;
    assert_eq!(status, 200);
    let id = carla_client.organisations()[0].id.clone();
    carla_client
        .change(move |document, authorship| {
            records::set_text(
                document,
                Collection::Organisations,
                &id,
                "country",
                "Washington",
                authorship,
            )
        })
        .await?;
    carla_client
        .pump_until(Duration::from_secs(5), |client| !client.rejections.is_empty())
        .await?;
    assert_rejection(&carla_client, 0, Refusal::ReadOnlyRole, "organisations/");
    Ok(())
}

#[tokio::test]
async fn the_audit_trail_records_who_sent_each_change() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let server = ServerProcess::start(data.path()).await?;
    let workspace = server.first_workspace().await?;
    let (ana_id, ana) = server.add_person("ana@giz.de", "Ana Ruiz", "member").await?;
    let mut client = RustClient::connect_as(&server, &workspace, "ana", &ana).await?;
    let id = client.add_organisation("GIZ", "cooperation_agency", "").await?;
    client.set_field(&id, "country", "Alemania").await?;
    let changes = paths::workspace_changes(&workspace.id);
    let (status, body, _) = server
        .api("GET", &format!("{changes}?limit=1"), Some(&server.admin()), None)
        .await?;
    assert_eq!(status, 200, "{body}");
    let newest = &body["changes"][0];
    assert_eq!(newest["user_id"], ana_id.as_str());
    assert_eq!(newest["user_name"], "Ana Ruiz");
    assert_eq!(newest["role"], "member");
    assert_eq!(newest["message"], "edit organisation GIZ: country");
    assert!(newest["received_at_ms"].as_i64().unwrap_or_default() > 1_700_000_000_000);
    assert!(newest["client_time_ms"].as_i64().unwrap_or_default() > 1_700_000_000_000);
    assert_eq!(newest["actor"], client.document().get_actor().to_hex_string());
    let next = body["next_before"]
        .as_u64()
        .ok_or_else(|| anyhow::anyhow!("a next page"))?;
    let (_, older, _) = server
        .api(
            "GET",
            &format!("{changes}?limit=10&before={next}"),
            Some(&server.admin()),
            None,
        )
        .await?;
    assert_eq!(older["changes"][0]["message"], "add organisation GIZ");
    // Members may not read it.
    let (status, body, _) = server.api("GET", &changes, Some(&ana), None).await?;
    assert_eq!(status, 403);
    let refusal = serde_json::from_value::<ErrorBody>(body)?.refusal();
    assert_eq!(refusal, Some(Refusal::ReadAudit));
    Ok(())
}

#[tokio::test]
async fn the_database_holds_password_hashes_never_passwords_or_tokens() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let mut server = ServerProcess::start(data.path()).await?;
    let (_, session) = server.add_person("ana@giz.de", "Ana Ruiz", "member").await?;
    server.stop().await?;
    let bytes = std::fs::read(data.path().join("enlace.redb"))?;
    let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|window| window == needle);
    assert!(!contains(TEST_PASSWORD.as_bytes()), "a password in the clear");
    assert!(contains(b"$argon2id$"), "argon2id hashes are stored");
    let Credential::Session(secret) = session else {
        unreachable!()
    };
    assert!(!contains(secret.as_bytes()), "a session secret in the clear");
    let admin_token = std::fs::read_to_string(data.path().join("test-admin-token"))?;
    assert!(
        !contains(admin_token.trim().as_bytes()),
        "a bearer token in the clear"
    );
    Ok(())
}

#[tokio::test]
async fn first_start_offers_a_one_time_setup_link() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let server = ServerProcess::start_unprovisioned(data.path()).await?;
    let (status, body, _) = server.api("GET", paths::SETUP, None, None).await?;
    assert_eq!((status, body["pending"].as_bool()), (200, Some(true)));
    let secret = server
        .setup_secret()
        .await
        .ok_or_else(|| anyhow::anyhow!("no setup link printed"))?;
    let mut account = SetupRequest {
        token: "0".repeat(64),
        email: "sec@unwomen.org".into(),
        display_name: "Secretaría".into(),
        password: TEST_PASSWORD.into(),
    };
    assert_eq!(
        server
            .api("POST", paths::SETUP, None, Some(json_body(&account)?))
            .await?
            .0,
        400,
        "wrong token"
    );
    account.token = secret;
    let (status, person, headers) = server
        .api("POST", paths::SETUP, None, Some(json_body(&account)?))
        .await?;
    assert_eq!(status, 200, "{person}");
    let person: PersonView = serde_json::from_value(person)?;
    assert!(!person.roles.is_empty());
    assert!(person.roles.values().all(|role| *role == Role::Secretariat));
    assert!(
        headers
            .iter()
            .any(|(name, value)| name.eq_ignore_ascii_case("set-cookie")
                && value.starts_with("enlace_session="))
    );
    assert_eq!(
        server
            .api("POST", paths::SETUP, None, Some(json_body(&account)?))
            .await?
            .0,
        400,
        "only once"
    );
    let (status, body, _) = server.api("GET", paths::SETUP, None, None).await?;
    assert_eq!((status, body["pending"].as_bool()), (200, Some(false)));
    Ok(())
}

#[tokio::test]
async fn api_calls_need_a_signed_in_caller_and_refusals_carry_their_code() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let server = ServerProcess::start(data.path()).await?;
    let workspace = server.first_workspace().await?;
    let changes = paths::workspace_changes(&workspace.id);
    let user = paths::user("someone");
    let needing_a_caller = [
        ("GET", paths::ME),
        ("GET", paths::WORKSPACES),
        ("GET", changes.as_str()),
        ("GET", paths::USERS),
        ("POST", paths::USERS),
        ("PATCH", user.as_str()),
    ];
    let forged = Credential::Bearer("0".repeat(64));
    for (method, path) in needing_a_caller {
        for credential in [None, Some(&forged)] {
            let body = (method != "GET").then(|| serde_json::json!({}));
            let (status, answer, _) = server.api(method, path, credential, body).await?;
            assert_eq!(status, 401, "{method} {path} with {credential:?}: {answer}");
            let answer: ErrorBody = serde_json::from_value(answer)?;
            assert!(!answer.error.is_empty());
            assert_eq!(answer.refusal(), None);
        }
    }

    let (_, member) = server.add_person("ana@giz.de", "Ana Ruiz", "member").await?;
    let (status, answer, _) = server.api("GET", paths::USERS, Some(&member), None).await?;
    assert_eq!(status, 403, "{answer}");
    let answer: ErrorBody = serde_json::from_value(answer)?;
    assert_eq!(answer.refusal(), Some(Refusal::ManagePeople));
    assert_eq!(answer.error, Refusal::ManagePeople.to_string());
    let (status, people, _) = server
        .api("GET", paths::USERS, Some(&server.admin()), None)
        .await?;
    assert_eq!(status, 200, "{people}");
    assert_eq!(serde_json::from_value::<Vec<PersonView>>(people)?.len(), 2);
    Ok(())
}
