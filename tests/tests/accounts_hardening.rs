//! Accounts against an attacker: sign-in throttling that parallel attempts,
//! a known password or a forged proxy header cannot get round; user
//! administration scoped to the workspaces a secretariat manages; bearer
//! tokens that expire and can be listed and revoked; a `Secure` cookie
//! behind https; first-start setup that only one request can complete.

use std::path::Path;

use enlace_shared::DocumentId;
use enlace_shared::api::{
    CreateUserRequest, ErrorBody, PersonView, SetupRequest, TokenView, UpdateUserRequest, close, paths,
};
use enlace_shared::refusal::Refusal;
use enlace_shared::roles::Role;
use enlace_tests::{
    ADMIN_EMAIL, Credential, ServerProcess, TEST_PASSWORD, authenticated_socket, cli_add_person, enlace_cli,
    expect_close, http_request, json_body,
};
use futures_util::future::join_all;

/// The limit of failed sign-ins per email and per address in the server.
const LIMIT: usize = 5;

/// Signs in with extra request headers; returns the status and the `Set-Cookie` value.
async fn login_with(
    server: &ServerProcess,
    email: &str,
    password: &str,
    headers: &[(&str, &str)],
) -> anyhow::Result<(u16, Option<String>)> {
    let mut all: Vec<(String, String)> = headers
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    all.push(("Content-Type".into(), "application/json".into()));
    let body = serde_json::json!({ "email": email, "password": password }).to_string();
    let (status, response_headers, _) =
        http_request(server.address(), "POST", paths::LOGIN, &all, Some(&body)).await?;
    let cookie = response_headers
        .into_iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, value)| value);
    Ok((status, cookie))
}

#[tokio::test]
async fn parallel_wrong_passwords_stop_at_the_limit() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let server = ServerProcess::start(data.path()).await?;
    let attempts = (0..20).map(|_| server.login(ADMIN_EMAIL, "not the password"));
    let statuses: Vec<u16> = join_all(attempts)
        .await
        .into_iter()
        .map(|answer| answer.map(|(status, _)| status))
        .collect::<anyhow::Result<_>>()?;
    let wrong = statuses.iter().filter(|status| **status == 401).count();
    let throttled = statuses.iter().filter(|status| **status == 429).count();
    assert_eq!(wrong, LIMIT, "{statuses:?}");
    assert_eq!(throttled, 20 - LIMIT, "{statuses:?}");
    Ok(())
}

#[tokio::test]
async fn a_known_password_buys_an_address_no_fresh_guesses() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let server = ServerProcess::start(data.path()).await?;
    // Spraying: one guess per account, with a sign-in to one's own account
    // in between to reset the address's count.
    for index in 0..LIMIT - 1 {
        let email = format!("target{index}@giz.de");
        assert_eq!(server.login(&email, "Verano2024!").await?.0, 401);
    }
    assert_eq!(server.login(ADMIN_EMAIL, TEST_PASSWORD).await?.0, 200);
    assert_eq!(server.login("target-last@giz.de", "Verano2024!").await?.0, 401);
    assert_eq!(
        server.login("one-more@giz.de", "Verano2024!").await?.0,
        429,
        "the address has used its {LIMIT} failures"
    );
    Ok(())
}

#[tokio::test]
async fn a_proxy_header_is_believed_only_when_the_operator_names_it() -> anyhow::Result<()> {
    // Without the option, a client's X-Forwarded-For is ignored: fresh
    // values buy no fresh attempts.
    let data = tempfile::tempdir()?;
    let mut server = ServerProcess::start(data.path()).await?;
    for index in 0..LIMIT {
        let forged = format!("10.0.0.{index}");
        let email = format!("guess{index}@giz.de");
        let (status, _) = login_with(&server, &email, "wrong", &[("X-Forwarded-For", &forged)]).await?;
        assert_eq!(status, 401);
    }
    let (status, _) = login_with(
        &server,
        "guess@giz.de",
        "wrong",
        &[("X-Forwarded-For", "10.9.9.9")],
    )
    .await?;
    assert_eq!(status, 429, "the header must not split one connection's address");
    server.stop().await?;

    // With it, each address the proxy reports (the last entry) has its own count.
    let server =
        ServerProcess::start_with(data.path(), &["--trusted-proxy-header", "X-Forwarded-For"]).await?;
    for index in 0..LIMIT {
        let email = format!("again{index}@giz.de");
        let (status, _) = login_with(
            &server,
            &email,
            "wrong",
            &[("X-Forwarded-For", &format!("6.6.6.{index}, 10.0.0.1"))],
        )
        .await?;
        assert_eq!(status, 401);
    }
    let from = |address: &'static str| [("X-Forwarded-For", address)];
    assert_eq!(
        login_with(&server, "again@giz.de", "wrong", &from("10.0.0.1"))
            .await?
            .0,
        429
    );
    assert_eq!(
        login_with(&server, "other@giz.de", "wrong", &from("10.0.0.2"))
            .await?
            .0,
        401,
        "another client behind the same proxy keeps its own attempts"
    );
    Ok(())
}

#[tokio::test]
async fn the_session_cookie_is_secure_when_the_public_url_is_https() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let mut server =
        ServerProcess::start_with(data.path(), &["--public-url", "http://localhost:8080"]).await?;
    let (status, cookie) = login_with(&server, ADMIN_EMAIL, TEST_PASSWORD, &[]).await?;
    assert_eq!(status, 200);
    let cookie = cookie.unwrap_or_default();
    assert!(
        cookie.contains("HttpOnly") && !cookie.contains("Secure"),
        "{cookie}"
    );
    server.stop().await?;

    let server =
        ServerProcess::start_with(data.path(), &["--public-url", "https://enlace.example.org"]).await?;
    let (status, cookie) = login_with(&server, ADMIN_EMAIL, TEST_PASSWORD, &[]).await?;
    assert_eq!(status, 200);
    let cookie = cookie.unwrap_or_default();
    assert!(cookie.contains("; Secure"), "{cookie}");
    let secret = cookie
        .strip_prefix("enlace_session=")
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_default()
        .to_owned();
    let (status, _, headers) = server
        .api("POST", paths::LOGOUT, Some(&Credential::Session(secret)), None)
        .await?;
    assert_eq!(status, 204);
    assert!(
        headers
            .iter()
            .any(|(name, value)| name.eq_ignore_ascii_case("set-cookie") && value.contains("; Secure")),
        "{headers:?}"
    );
    Ok(())
}

#[tokio::test]
async fn concurrent_setups_create_exactly_one_secretariat() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let server = ServerProcess::start_unprovisioned(data.path()).await?;
    let secret = server
        .setup_secret()
        .await
        .ok_or_else(|| anyhow::anyhow!("no setup link printed"))?;
    let requests: Vec<serde_json::Value> = (0..8)
        .map(|index| {
            json_body(&SetupRequest {
                token: secret.clone(),
                email: format!("secretaria{index}@unwomen.org"),
                display_name: format!("Secretaría {index}"),
                password: TEST_PASSWORD.into(),
            })
        })
        .collect::<anyhow::Result<_>>()?;
    let answers = join_all(
        requests
            .into_iter()
            .map(|body| server.api("POST", paths::SETUP, None, Some(body))),
    )
    .await;
    let mut sessions = Vec::new();
    let mut statuses = Vec::new();
    for answer in answers {
        let (status, _, headers) = answer?;
        statuses.push(status);
        if status == 200 {
            sessions.push(headers);
        }
    }
    assert_eq!(sessions.len(), 1, "{statuses:?}");
    assert!(
        statuses.iter().all(|status| [200, 400].contains(status)),
        "{statuses:?}"
    );
    let session = sessions[0]
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
        .and_then(|(_, value)| value.strip_prefix("enlace_session="))
        .and_then(|rest| rest.split(';').next())
        .map(|secret| Credential::Session(secret.to_owned()))
        .ok_or_else(|| anyhow::anyhow!("no session cookie"))?;
    let (status, body, _) = server.api("GET", paths::USERS, Some(&session), None).await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(people(body)?.len(), 1, "one account exists");
    Ok(())
}

/// The list of tokens `credential` may read at `path`.
async fn tokens(
    server: &ServerProcess,
    path: &str,
    credential: &Credential,
) -> anyhow::Result<Vec<TokenView>> {
    let (status, body, _) = server.api("GET", path, Some(credential), None).await?;
    anyhow::ensure!(status == 200, "GET {path} answered {status}: {body}");
    Ok(serde_json::from_value(body)?)
}

#[tokio::test]
async fn bearer_tokens_expire_and_can_be_listed_and_revoked() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let mut server = ServerProcess::start(data.path()).await?;
    let (ana_id, _) = server.add_person("ana@giz.de", "Ana Ruiz", "member").await?;
    server.stop().await?;

    let first = enlace_cli(
        data.path(),
        &["token", "create", "--email", "ana@giz.de", "--days", "7"],
        None,
    )?;
    let second = enlace_cli(data.path(), &["token", "create", "--email", "ana@giz.de"], None)?;
    let listed = enlace_cli(data.path(), &["token", "list", "--email", "ana@giz.de"], None)?;
    assert_eq!(listed.lines().count(), 2, "{listed}");
    assert!(
        !listed.contains(&first) && !listed.contains(&second),
        "a secret is never shown again"
    );

    let server = ServerProcess::start(data.path()).await?;
    let ana_first = Credential::Bearer(first.clone());
    let ana_second = Credential::Bearer(second.clone());
    let mine = tokens(&server, paths::TOKENS, &ana_first).await?;
    assert_eq!(mine.len(), 2);
    let day = 24 * 3600 * 1000;
    let lifetimes: Vec<Option<i64>> = mine
        .iter()
        .map(|token| {
            token
                .expires_at_ms
                .map(|expires| (expires - token.created_at_ms) / day)
        })
        .collect();
    assert!(lifetimes.contains(&Some(7)), "{lifetimes:?}");
    assert!(
        lifetimes.contains(&Some(90)),
        "the default lifetime: {lifetimes:?}"
    );
    assert!(mine.iter().all(|token| token.user_id == ana_id));
    let used: Vec<&TokenView> = mine
        .iter()
        .filter(|token| token.last_used_at_ms.is_some())
        .collect();
    assert_eq!(
        used.len(),
        1,
        "the token in use has its last use recorded: {mine:?}"
    );
    let body = serde_json::to_string(&mine)?;
    assert!(!body.contains(&first) && !body.contains(&second));

    // The secretariat sees Ana's tokens and revokes the one in use; its
    // open socket closes at once.
    let of_ana = tokens(&server, &paths::user_tokens(&ana_id), &server.admin()).await?;
    assert_eq!(of_ana, mine);
    let mut socket = authenticated_socket(&server, &ana_first).await?;
    let (status, _, _) = server
        .api("DELETE", &paths::token(&used[0].id), Some(&server.admin()), None)
        .await?;
    assert_eq!(status, 204);
    assert_eq!(expect_close(&mut socket).await?.0, close::SIGNED_OUT);
    assert_eq!(server.api("GET", paths::ME, Some(&ana_first), None).await?.0, 401);

    // Ana cannot revoke the secretariat's tokens, and learns nothing of them.
    let admin_tokens = tokens(&server, paths::TOKENS, &server.admin()).await?;
    let (status, _, _) = server
        .api(
            "DELETE",
            &paths::token(&admin_tokens[0].id),
            Some(&ana_second),
            None,
        )
        .await?;
    assert_eq!(status, 404);
    assert_eq!(
        server.api("GET", paths::ME, Some(&server.admin()), None).await?.0,
        200
    );
    let (status, _, _) = server
        .api("GET", &paths::user_tokens(&ana_id), Some(&ana_second), None)
        .await?;
    assert_eq!(status, 403);

    // The command line revokes by id on a stopped server.
    let remaining = tokens(&server, paths::TOKENS, &ana_second).await?;
    assert_eq!(remaining.len(), 1);
    let mut server = server;
    server.stop().await?;
    let said = enlace_cli(data.path(), &["token", "revoke", "--id", &remaining[0].id], None)?;
    assert!(said.contains("ana@giz.de"), "{said}");
    let server = ServerProcess::start(data.path()).await?;
    assert_eq!(
        server.api("GET", paths::ME, Some(&ana_second), None).await?.0,
        401
    );
    Ok(())
}

/// Creates a second workspace in a data directory before any server runs
/// there; returns (the first workspace, the second).
fn two_workspaces(data_dir: &Path) -> anyhow::Result<(DocumentId, DocumentId)> {
    let storage = enlace_server::prepare_storage(data_dir, false)?;
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis(),
    )?;
    enlace_server::workspaces::create_workspace(&storage, "Otra mesa", now, false)?;
    let ids: Vec<DocumentId> = storage
        .workspaces()?
        .into_iter()
        .filter_map(|record| record.id)
        .collect();
    match ids.as_slice() {
        // The first is the one `enlace user add` defaults to.
        [first, second] => Ok((*first, *second)),
        other => anyhow::bail!("expected two workspaces, found {}", other.len()),
    }
}

fn people(body: serde_json::Value) -> anyhow::Result<Vec<PersonView>> {
    Ok(serde_json::from_value(body)?)
}

fn emails(people: &[PersonView]) -> Vec<&str> {
    let mut emails: Vec<&str> = people.iter().map(|person| person.email.as_str()).collect();
    emails.sort_unstable();
    emails
}

#[tokio::test]
async fn a_secretariat_administers_only_the_people_of_its_workspaces() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let (home, other) = two_workspaces(data.path())?;
    cli_add_person(data.path(), "bsec@other.org", Role::Secretariat, &other)?;
    cli_add_person(data.path(), "bob@other.org", Role::Member, &other)?;
    cli_add_person(data.path(), "ana@giz.de", Role::Member, &home)?;
    enlace_cli(
        data.path(),
        &[
            "user",
            "set-role",
            "--email",
            "ana@giz.de",
            "--role",
            "observer",
            "--workspace",
            &other.to_string(),
        ],
        None,
    )?;
    // The harness's secretariat manages the first workspace only.
    let server = ServerProcess::start(data.path()).await?;
    let admin = server.admin();
    let (_, other_secretariat) = match server.login("bsec@other.org", TEST_PASSWORD).await? {
        (200, Some(session)) => ((), session),
        (status, _) => anyhow::bail!("bsec signs in: {status}"),
    };

    let (status, body, _) = server.api("GET", paths::USERS, Some(&admin), None).await?;
    assert_eq!(status, 200, "{body}");
    let seen = people(body)?;
    assert_eq!(emails(&seen), ["ana@giz.de", ADMIN_EMAIL]);
    let ana = seen
        .iter()
        .find(|person| person.email == "ana@giz.de")
        .ok_or_else(|| anyhow::anyhow!("ana listed"))?
        .clone();
    assert_eq!(
        ana.roles.keys().collect::<Vec<_>>(),
        [&home.to_string()],
        "roles elsewhere are not shown"
    );
    let (_, body, _) = server
        .api("GET", paths::USERS, Some(&other_secretariat), None)
        .await?;
    assert_eq!(
        emails(&people(body)?),
        ["ana@giz.de", "bob@other.org", "bsec@other.org"]
    );

    // Bob, who is only in the other workspace, is out of reach.
    let (_, body, _) = server
        .api("GET", paths::USERS, Some(&other_secretariat), None)
        .await?;
    let bob = people(body)?
        .into_iter()
        .find(|person| person.email == "bob@other.org")
        .ok_or_else(|| anyhow::anyhow!("bob listed"))?;
    let changes = [
        UpdateUserRequest {
            disabled: Some(true),
            ..UpdateUserRequest::default()
        },
        UpdateUserRequest {
            workspace: Some(home.to_string()),
            role: Some(Some(Role::Secretariat)),
            disabled: None,
        },
    ];
    for change in &changes {
        let (status, body, _) = server
            .api(
                "PATCH",
                &paths::user(&bob.id),
                Some(&admin),
                Some(json_body(change)?),
            )
            .await?;
        assert_eq!(status, 404, "{change:?}: {body}");
    }
    let (status, _, _) = server
        .api("GET", &paths::user_tokens(&bob.id), Some(&admin), None)
        .await?;
    assert_eq!(status, 404);

    // No roles granted in a workspace the secretariat does not manage.
    let grant = UpdateUserRequest {
        workspace: Some(other.to_string()),
        role: Some(Some(Role::Secretariat)),
        disabled: None,
    };
    let (status, body, _) = server
        .api(
            "PATCH",
            &paths::user(&ana.id),
            Some(&admin),
            Some(json_body(&grant)?),
        )
        .await?;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        serde_json::from_value::<ErrorBody>(body)?.refusal(),
        Some(Refusal::ManagePeople)
    );
    let create = CreateUserRequest {
        email: "mole@other.org".into(),
        display_name: "Topo".into(),
        password: Some(TEST_PASSWORD.into()),
        organisation_id: None,
        workspace: other.to_string(),
        role: Role::Secretariat,
    };
    let (status, _, _) = server
        .api("POST", paths::USERS, Some(&admin), Some(json_body(&create)?))
        .await?;
    assert_eq!(status, 403);

    // Ana is in both: either secretariat changes her role where it manages,
    // but neither can disable her account alone.
    let demote = UpdateUserRequest {
        workspace: Some(home.to_string()),
        role: Some(Some(Role::Observer)),
        disabled: None,
    };
    let (status, body, _) = server
        .api(
            "PATCH",
            &paths::user(&ana.id),
            Some(&admin),
            Some(json_body(&demote)?),
        )
        .await?;
    assert_eq!(status, 200, "{body}");
    let disable = UpdateUserRequest {
        disabled: Some(true),
        ..UpdateUserRequest::default()
    };
    let (status, _, _) = server
        .api(
            "PATCH",
            &paths::user(&ana.id),
            Some(&admin),
            Some(json_body(&disable)?),
        )
        .await?;
    assert_eq!(status, 403);
    assert_eq!(
        server.login("ana@giz.de", TEST_PASSWORD).await?.0,
        200,
        "still enabled"
    );
    Ok(())
}

#[tokio::test]
async fn token_endpoints_need_a_signed_in_caller() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let server = ServerProcess::start(data.path()).await?;
    let token = paths::token("0123456789abcdef");
    let user_tokens = paths::user_tokens("someone");
    let forged = Credential::Bearer("0".repeat(64));
    for (method, path) in [
        ("GET", paths::TOKENS),
        ("DELETE", token.as_str()),
        ("GET", user_tokens.as_str()),
    ] {
        for credential in [None, Some(&forged)] {
            let (status, body, _) = server.api(method, path, credential, None).await?;
            assert_eq!(status, 401, "{method} {path} with {credential:?}: {body}");
        }
    }
    let (status, _, _) = server.api("DELETE", &token, Some(&server.admin()), None).await?;
    assert_eq!(status, 404, "an unknown token id");
    Ok(())
}
