//! The workspace's timeline through the real server: people edit over the
//! real WebSocket, and the history API says who changed what (fields before
//! → after), filters and pages it, exports it as CSV, names a moment's heads,
//! and shows the secretariat alone the refused attempts and the emails.

use std::collections::BTreeSet;

use enlace_shared::api::{
    CreateUserRequest, EntryKind, ErrorBody, HistoryEntry, HistoryPage, HistoryValue, Moment, RefusedPage,
    WorkspaceSummary, paths,
};
use enlace_shared::model::At;
use enlace_shared::records;
use enlace_shared::refusal::Refusal;
use enlace_shared::roles::Role;
use enlace_shared::schema::Collection;
use enlace_tests::{Credential, PATIENCE, RustClient, ServerProcess, TEST_PASSWORD, http_request, json_body};

/// Creates a person of `organisation` with `role` and signs them in.
async fn person(
    server: &ServerProcess,
    workspace: &WorkspaceSummary,
    (email, name, organisation): (&str, &str, &str),
    role: Role,
) -> anyhow::Result<(String, Credential)> {
    let request = CreateUserRequest {
        email: email.into(),
        display_name: name.into(),
        password: Some(TEST_PASSWORD.into()),
        organisation_id: Some(organisation.into()),
        workspace: workspace.id.clone(),
        role,
    };
    let (status, body, _) = server
        .api(
            "POST",
            paths::USERS,
            Some(&server.admin()),
            Some(json_body(&request)?),
        )
        .await?;
    assert_eq!(status, 201, "{body}");
    let (status, session) = server.login(email, TEST_PASSWORD).await?;
    assert_eq!(status, 200);
    Ok((
        body["id"].as_str().unwrap_or_default().to_owned(),
        session.expect("a session"),
    ))
}

/// `GET history?query` as `reader`.
async fn page(
    server: &ServerProcess,
    workspace: &WorkspaceSummary,
    query: &str,
    reader: &Credential,
) -> anyhow::Result<HistoryPage> {
    let path = format!("{}?{query}", paths::history(&workspace.id));
    let (status, body, _) = server.api("GET", &path, Some(reader), None).await?;
    assert_eq!(status, 200, "{path}: {body}");
    Ok(serde_json::from_value(body)?)
}

/// Every entry matching `query`, read page by page (`limit` per page).
async fn every_entry(
    server: &ServerProcess,
    workspace: &WorkspaceSummary,
    query: &str,
    limit: usize,
    reader: &Credential,
) -> anyhow::Result<Vec<HistoryEntry>> {
    let mut entries = Vec::new();
    let mut before = None;
    loop {
        let cursor = before.map(|seq| format!("&before={seq}")).unwrap_or_default();
        let page = page(
            server,
            workspace,
            &format!("{query}&limit={limit}{cursor}"),
            reader,
        )
        .await?;
        assert!(page.entries.len() <= limit);
        entries.extend(page.entries);
        match page.next_before {
            Some(seq) => before = Some(seq),
            None => return Ok(entries),
        }
    }
}

fn seqs(entries: &[HistoryEntry]) -> Vec<u64> {
    entries.iter().map(|entry| entry.seq).collect()
}

fn text(value: &str) -> Option<HistoryValue> {
    Some(HistoryValue::Text {
        text: value.into(),
        cut: false,
    })
}

/// The body of a chunked HTTP/1.1 response, joined.
fn dechunk(mut bytes: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    while let Some(end) = bytes.windows(2).position(|window| window == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&bytes[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        body.extend_from_slice(&bytes[end + 2..end + 2 + size]);
        bytes = &bytes[end + 2 + size + 2..];
    }
    body
}

/// The CSV export as `reader`: its headers and rows (after the BOM, which must be there).
async fn csv_export(
    server: &ServerProcess,
    workspace: &WorkspaceSummary,
    query: &str,
    reader: &Credential,
) -> anyhow::Result<(Vec<(String, String)>, Vec<Vec<String>>)> {
    let (name, value) = reader.header();
    let path = format!("{}?{query}", paths::history_csv(&workspace.id));
    let (status, headers, bytes) =
        http_request(server.address(), "GET", &path, &[(name.to_owned(), value)], None).await?;
    assert_eq!(status, 200);
    let chunked = headers
        .iter()
        .any(|(name, value)| name.eq_ignore_ascii_case("transfer-encoding") && value.contains("chunked"));
    let body = if chunked { dechunk(&bytes) } else { bytes };
    let bom = "\u{feff}".as_bytes();
    assert!(body.starts_with(bom), "the export starts with a byte-order mark");
    let text = String::from_utf8(body[bom.len()..].to_vec())?;
    let rows = text
        .lines()
        .map(|line| line.split(',').map(str::to_owned).collect())
        .collect();
    Ok((headers, rows))
}

#[tokio::test]
async fn two_people_edit_and_the_timeline_says_who_changed_what() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let server = ServerProcess::start(data.path()).await?;
    let workspace = server.first_workspace().await?;
    let (ana_id, ana_session) = person(
        &server,
        &workspace,
        ("ana@giz.de", "Ana Ruiz", "org-giz"),
        Role::Member,
    )
    .await?;
    let (ben_id, ben_session) = person(
        &server,
        &workspace,
        ("ben@aecid.es", "Ben Sol", "org-aecid"),
        Role::Member,
    )
    .await?;
    let (_, olga_session) = person(
        &server,
        &workspace,
        ("olga@observa.org", "Olga", "org-obs"),
        Role::Observer,
    )
    .await?;
    let admin = server.admin();

    let mut ana = RustClient::connect_as(&server, &workspace, "ana", &ana_session).await?;
    let giz = ana.add_organisation("GIZ", "cooperation_agency", "DE").await?;
    let created_heads = ana.acknowledged_heads();
    ana.set_field(&giz, "name", "GIZ México").await?;
    let mut ben = RustClient::connect_as(&server, &workspace, "ben", &ben_session).await?;
    let aecid = ben.add_organisation("AECID", "cooperation_agency", "ES").await?;
    ben.set_field(&aecid, "acronym", "AE").await?;

    // Newest first, with names, organisations, roles and fields.
    let newest = page(&server, &workspace, "limit=4", &ana_session).await?;
    let people: Vec<(&str, Option<&str>, Role)> = newest
        .entries
        .iter()
        .map(|entry| {
            (
                entry.receipt.user_name.as_str(),
                entry.receipt.organisation_id.as_deref(),
                entry.receipt.role,
            )
        })
        .collect();
    assert_eq!(
        people,
        [
            ("Ben Sol", Some("org-aecid"), Role::Member),
            ("Ben Sol", Some("org-aecid"), Role::Member),
            ("Ana Ruiz", Some("org-giz"), Role::Member),
            ("Ana Ruiz", Some("org-giz"), Role::Member),
        ]
    );
    assert!(seqs(&newest.entries).windows(2).all(|pair| pair[0] > pair[1]));
    let acronym = &newest.entries[0].records[0];
    assert_eq!(
        (acronym.record_id.as_str(), acronym.kind, acronym.title.as_str()),
        (aecid.as_str(), EntryKind::Edited, "AECID")
    );
    assert_eq!(acronym.fields.len(), 1);
    assert_eq!(
        (
            acronym.fields[0].field.as_str(),
            &acronym.fields[0].before,
            &acronym.fields[0].after
        ),
        ("acronym", &None, &text("AE"))
    );
    let rename = &newest.entries[2].records[0];
    assert_eq!(rename.fields[0].field, "name");
    assert_eq!(
        (&rename.fields[0].before, &rename.fields[0].after),
        (&text("GIZ"), &text("GIZ México"))
    );
    assert_eq!(newest.entries[3].records[0].kind, EntryKind::Created);
    assert_eq!(
        newest.entries[2].receipt.message.as_deref(),
        Some("edit organisation GIZ: name")
    );

    // Emails: the secretariat only.
    assert!(newest.entries.iter().all(|entry| entry.user_email.is_none()));
    let for_secretariat = page(&server, &workspace, "limit=4", &admin).await?;
    assert_eq!(
        for_secretariat.entries[0].user_email.as_deref(),
        Some("ben@aecid.es")
    );
    assert_eq!(
        for_secretariat.entries[3].user_email.as_deref(),
        Some("ana@giz.de")
    );

    // Paging has neither gaps nor duplicates.
    let everything = every_entry(&server, &workspace, "", 500, &admin).await?;
    let paged = every_entry(&server, &workspace, "", 1, &admin).await?;
    assert_eq!(seqs(&paged), seqs(&everything));
    assert_eq!(
        seqs(&everything).into_iter().collect::<BTreeSet<_>>().len(),
        everything.len()
    );
    assert!(
        everything.len() > 4,
        "the workspace's first changes are entries too"
    );

    // Each filter.
    let (reader, place) = (&olga_session, (&server, &workspace));
    let only = |query: String| async move { every_entry(place.0, place.1, &query, 2, reader).await };
    let by_ana = only(format!("person={ana_id}")).await?;
    assert_eq!(by_ana.len(), 2);
    assert!(by_ana.iter().all(|entry| entry.receipt.user_id == ana_id));
    let by_aecid = only("organisation=org-aecid".to_owned()).await?;
    assert_eq!(by_aecid.len(), 2);
    assert!(by_aecid.iter().all(|entry| entry.receipt.user_id == ben_id));
    let organisations = only("collection=organisations".to_owned()).await?;
    assert_eq!(seqs(&organisations), seqs(&newest.entries));
    let one_record = only(format!("collection=organisations&record={giz}")).await?;
    assert_eq!(seqs(&one_record), [newest.entries[2].seq, newest.entries[3].seq]);
    let created = only("kind=created".to_owned()).await?;
    assert_eq!(seqs(&created), [newest.entries[1].seq, newest.entries[3].seq]);
    assert!(only("kind=deleted".to_owned()).await?.is_empty());
    let (from, to) = (
        newest.entries[2].receipt.received_at_ms,
        newest.entries[1].receipt.received_at_ms,
    );
    let in_range = only(format!("from_ms={from}&to_ms={to}")).await?;
    let expected: Vec<u64> = everything
        .iter()
        .filter(|entry| (from..=to).contains(&entry.receipt.received_at_ms))
        .map(|entry| entry.seq)
        .collect();
    assert_eq!(seqs(&in_range), expected);
    assert!(expected.contains(&newest.entries[2].seq) && expected.contains(&newest.entries[1].seq));
    let combined = only(format!("person={ben_id}&kind=created")).await?;
    assert_eq!(seqs(&combined), [newest.entries[1].seq]);

    // Bad filters are a 400 with a sentence.
    for query in ["kind=renamed", "record=x", "collection=spaceships", "limit=many"] {
        let path = format!("{}?{query}", paths::history(&workspace.id));
        let (status, body, _) = server.api("GET", &path, Some(&admin), None).await?;
        assert_eq!(status, 400, "{query}: {body}");
        let error: ErrorBody = serde_json::from_value(body)?;
        assert!(!error.error.is_empty());
    }

    // The CSV: BOM, headers, a row per field, emails for the secretariat only.
    let (headers, rows) = csv_export(&server, &workspace, &format!("person={ana_id}"), &admin).await?;
    assert!(
        headers
            .iter()
            .any(|(name, value)| name.eq_ignore_ascii_case("content-disposition")
                && value.starts_with("attachment"))
    );
    assert_eq!(rows[0][0], "entry");
    assert!(rows[0].contains(&"email".to_owned()));
    let renamed = rows
        .iter()
        .find(|row| {
            row.contains(&"GIZ México".to_owned())
                && row.contains(&"name".to_owned())
                && row.contains(&"GIZ".to_owned())
        })
        .expect("a row for the rename, with before and after");
    assert!(renamed.contains(&"ana@giz.de".to_owned()));
    let creation_fields = newest.entries[3].records[0].fields.len();
    assert_eq!(rows.len(), 1 + 1 + creation_fields, "one row per field change");
    let (_, rows) = csv_export(&server, &workspace, "", &ben_session).await?;
    assert!(!rows[0].contains(&"email".to_owned()));
    assert!(!rows.iter().flatten().any(|cell| cell.contains('@')));

    // A moment's heads show the workspace as it was.
    let path = format!(
        "{}?seq={}",
        paths::history_moment(&workspace.id),
        newest.entries[3].seq
    );
    let (status, body, _) = server.api("GET", &path, Some(&olga_session), None).await?;
    assert_eq!(status, 200, "{body}");
    let moment: Moment = serde_json::from_value(body)?;
    let heads: Vec<automerge::ChangeHash> = moment
        .heads
        .iter()
        .map(|head| head.parse())
        .collect::<Result<_, _>>()?;
    assert_eq!(heads, created_heads);
    ben.pump_until(PATIENCE, |client| {
        client
            .organisations()
            .iter()
            .any(|record| record.text("name") == "GIZ México")
    })
    .await?;
    let then = records::read_one(
        &At {
            document: ben.document(),
            heads: &heads,
        },
        Collection::Organisations,
        &giz,
    )
    .expect("the record existed then");
    assert_eq!(then.text("name"), "GIZ");
    let path = format!(
        "{}?at_ms={}",
        paths::history_moment(&workspace.id),
        newest.entries[0].receipt.received_at_ms
    );
    let (_, body, _) = server.api("GET", &path, Some(&olga_session), None).await?;
    let latest: Moment = serde_json::from_value(body)?;
    assert_eq!(latest.seq, Some(newest.entries[0].seq));
    let (status, _, _) = server
        .api(
            "GET",
            &paths::history_moment(&workspace.id),
            Some(&olga_session),
            None,
        )
        .await?;
    assert_eq!(status, 400, "a moment needs at_ms or seq");
    Ok(())
}

#[tokio::test]
async fn refused_attempts_are_the_secretariats_to_see() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let server = ServerProcess::start(data.path()).await?;
    let workspace = server.first_workspace().await?;
    let (olga_id, olga_session) = person(
        &server,
        &workspace,
        ("olga@observa.org", "Olga", "org-obs"),
        Role::Observer,
    )
    .await?;
    let (_, pia_session) = person(
        &server,
        &workspace,
        ("pia@pres.mx", "Pia", "org-pres"),
        Role::Presidency,
    )
    .await?;
    let admin = server.admin();
    let mut secretariat = RustClient::connect_named(&server, &workspace, "secretariat").await?;
    let giz = secretariat
        .add_organisation("GIZ", "cooperation_agency", "DE")
        .await?;

    // An observer tries to rename it.
    let mut olga = RustClient::connect_as(&server, &workspace, "olga", &olga_session).await?;
    olga.change(|document, authorship| {
        records::set_text(
            document,
            Collection::Organisations,
            &giz,
            "name",
            "Olga's",
            authorship,
        )
    })
    .await?;
    olga.pump_until(PATIENCE, |client| !client.rejections.is_empty())
        .await?;

    // The observer reads the history, without the refused attempt in it...
    let timeline = page(&server, &workspace, "limit=500", &olga_session).await?;
    assert!(
        !timeline
            .entries
            .iter()
            .any(|entry| entry.receipt.user_id == olga_id)
    );
    // ...and neither she nor the presidency sees refused attempts.
    let refused_path = paths::history_refused(&workspace.id);
    for reader in [&olga_session, &pia_session] {
        let (status, body, _) = server.api("GET", &refused_path, Some(reader), None).await?;
        assert_eq!(status, 403, "{body}");
        let error: ErrorBody = serde_json::from_value(body)?;
        assert_eq!(error.refusal(), Some(Refusal::ReadAudit));
    }
    // The secretariat sees who tried what, when and why it was refused
    // (stored with the hub's next commit of the round, so wait for it).
    let mut attempts = RefusedPage {
        attempts: Vec::new(),
        next_before: None,
    };
    for _ in 0..200 {
        let (status, body, _) = server.api("GET", &refused_path, Some(&admin), None).await?;
        assert_eq!(status, 200, "{body}");
        attempts = serde_json::from_value(body)?;
        if !attempts.attempts.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let attempt = attempts.attempts.first().expect("the refused attempt is kept");
    assert_eq!(
        (attempt.user_id.as_str(), attempt.user_name.as_str()),
        (olga_id.as_str(), "Olga")
    );
    assert_eq!(attempt.user_email.as_deref(), Some("olga@observa.org"));
    assert_eq!(
        (attempt.role, attempt.refusal()),
        (Role::Observer, Some(Refusal::ReadOnlyRole))
    );
    assert!(attempt.place.contains(&giz), "{}", attempt.place);
    assert_eq!(attempt.messages, ["edit organisation GIZ: name"]);
    assert_eq!(attempt.change_hashes.len(), 1);
    Ok(())
}
