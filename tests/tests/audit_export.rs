//! The signed audit export end to end, with the real binary: two people
//! edit, the secretariat downloads the export over HTTP (a member is
//! refused), `enlace audit verify` accepts it and names both people and the
//! change count, and rejects each tampered copy with a non-zero exit.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use enlace_shared::api::{ErrorBody, paths};
use enlace_shared::refusal::Refusal;
use enlace_tests::{RustClient, ServerProcess, enlace_binary, enlace_cli, http_request};
use serde_json::Value;

/// What `enlace audit verify` did.
struct Verdict {
    success: bool,
    stdout: String,
    stderr: String,
}

/// Runs `enlace audit verify FILE [--key KEY]`, with no data directory.
fn audit_verify(file: &Path, key: Option<&str>) -> anyhow::Result<Verdict> {
    let mut command = std::process::Command::new(enlace_binary()?);
    command
        .args(["audit", "verify"])
        .arg(file)
        .env("RUST_LOG", "warn");
    if let Some(key) = key {
        command.args(["--key", key]);
    }
    let output = command.output()?;
    Ok(Verdict {
        success: output.status.success(),
        stdout: String::from_utf8(output.stdout)?,
        stderr: String::from_utf8(output.stderr)?,
    })
}

/// The export's signed part, parsed.
fn signed_part(export: &[u8]) -> anyhow::Result<Value> {
    let outer: Value = serde_json::from_slice(export)?;
    let signed = outer["signed"].clone();
    anyhow::ensure!(signed.is_object(), "no signed part in the export");
    Ok(signed)
}

/// Writes `export` with its signed part edited by `edit` (the signature and
/// key left as they were) to `path`.
fn write_tampered(export: &[u8], path: &Path, edit: impl FnOnce(&mut Value)) -> anyhow::Result<()> {
    let mut outer: Value = serde_json::from_slice(export)?;
    edit(&mut outer["signed"]);
    std::fs::write(path, serde_json::to_vec(&outer)?)?;
    Ok(())
}

/// Asserts that verifying `path` fails, saying `expected`.
fn assert_rejected(path: &Path, key: Option<&str>, expected: &str) -> anyhow::Result<()> {
    let verdict = audit_verify(path, key)?;
    assert!(
        !verdict.success,
        "{} was accepted:\n{}",
        path.display(),
        verdict.stdout
    );
    assert!(
        verdict.stderr.contains("NOT VERIFIED") && verdict.stderr.contains(expected),
        "{}: expected `{expected}` in:\n{}",
        path.display(),
        verdict.stderr
    );
    Ok(())
}

#[tokio::test]
async fn an_export_verifies_and_every_tampering_is_rejected() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let files = tempfile::tempdir()?;
    let mut server = ServerProcess::start(data.path()).await?;
    let workspace = server.first_workspace().await?;
    let (ana_id, ana) = server.add_person("ana@giz.test", "Ana Ruiz", "member").await?;
    let (luis_id, luis) = server
        .add_person("luis@canacintra.test", "Luis Pérez", "member")
        .await?;
    let mut ana_client = RustClient::connect_as(&server, &workspace, "ana", &ana).await?;
    let giz = ana_client
        .add_organisation("Cooperación Alemana GIZ", "cooperation_agency", "Alemania")
        .await?;
    ana_client.set_field(&giz, "country", "Deutschland").await?;
    let mut luis_client = RustClient::connect_as(&server, &workspace, "luis", &luis).await?;
    luis_client
        .add_organisation("CANACINTRA", "private_sector", "México")
        .await?;
    let change_count = RustClient::connect(&server, &workspace)
        .await?
        .document()
        .get_changes(&[])
        .len();

    let path = paths::workspace_audit_export(&workspace.id);
    let (status, _, _) = server.api("GET", &path, None, None).await?;
    assert_eq!(status, 401, "no session, no export");
    let (status, body, _) = server.api("GET", &path, Some(&ana), None).await?;
    assert_eq!(status, 403, "{body}");
    let refusal: ErrorBody = serde_json::from_value(body)?;
    assert_eq!(refusal.refusal(), Some(Refusal::ExportAudit));
    let elsewhere = paths::workspace_audit_export("2Vjk5fJ8w9gsSeN3ijUPkwsN7GPe");
    let (status, _, _) = server.api("GET", &elsewhere, Some(&server.admin()), None).await?;
    assert_eq!(status, 404, "a workspace the caller has no role in");

    let (name, value) = server.admin().header();
    let (status, headers, export) =
        http_request(server.address(), "GET", &path, &[(name.to_owned(), value)], None).await?;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&export));
    assert!(
        headers
            .iter()
            .any(|(name, value)| name.eq_ignore_ascii_case("content-disposition")
                && value.starts_with("attachment")),
        "{headers:?}"
    );
    let downloaded = files.path().join("export.json");
    std::fs::write(&downloaded, &export)?;

    let verdict = audit_verify(&downloaded, None)?;
    assert!(verdict.success, "{}{}", verdict.stdout, verdict.stderr);
    for expected in [
        "Ana Ruiz".to_owned(),
        "Luis Pérez".to_owned(),
        format!("changes: {change_count} "),
        "without --key".to_owned(),
    ] {
        assert!(
            verdict.stdout.contains(&expected),
            "`{expected}` in:\n{}",
            verdict.stdout
        );
    }

    // The key the secretariat publishes (read from the stopped server's data)
    // is the one that signed.
    server.stop().await?;
    let key = enlace_cli(data.path(), &["audit", "key"], None)?;
    assert_eq!(key.len(), 64, "{key}");
    let verdict = audit_verify(&downloaded, Some(&key))?;
    assert!(verdict.success, "{}", verdict.stderr);
    assert!(verdict.stdout.contains("given with --key"), "{}", verdict.stdout);

    // The same history, exported from the stopped server's data directory.
    let exported = files.path().join("cli-export.json");
    let exported_arg = exported.to_string_lossy().into_owned();
    enlace_cli(data.path(), &["audit", "export", "--out", &exported_arg], None)?;
    let verdict = audit_verify(&exported, Some(&key))?;
    assert!(verdict.success, "{}", verdict.stderr);
    assert!(verdict.stdout.contains(&format!("changes: {change_count} ")));

    // Tampered copies.
    let signed = signed_part(&export)?;
    let changes = signed["changes"].as_array().cloned().unwrap_or_default();
    assert_eq!(changes.len(), change_count);

    let removed = files.path().join("change-removed.json");
    write_tampered(&export, &removed, |signed| {
        if let Some(changes) = signed["changes"].as_array_mut() {
            changes.remove(0);
        }
    })?;
    assert_rejected(&removed, None, "is not in the file")?;

    // Ana's first change, with one letter of the organisation's name changed.
    let (edited_index, mut edited_bytes, at) = changes
        .iter()
        .enumerate()
        .find_map(|(index, change)| {
            let bytes = BASE64.decode(change.as_str()?).ok()?;
            let at = bytes.windows(7).position(|window| window == b"Alemana")?;
            Some((index, bytes, at))
        })
        .ok_or_else(|| anyhow::anyhow!("no change holds the organisation's name"))?;
    edited_bytes[at] = b'X';
    let edited = files.path().join("change-edited.json");
    write_tampered(&export, &edited, |signed| {
        signed["changes"][edited_index] = BASE64.encode(&edited_bytes).into();
    })?;
    assert_rejected(&edited, None, "was altered")?;

    let receipts = signed["receipts"].as_array().cloned().unwrap_or_default();
    let ana_receipt = receipts
        .iter()
        .position(|entry| entry["receipt"]["user_id"] == ana_id.as_str())
        .ok_or_else(|| anyhow::anyhow!("no receipt of Ana's"))?;
    let reattributed = files.path().join("receipt-reattributed.json");
    write_tampered(&export, &reattributed, |signed| {
        signed["receipts"][ana_receipt]["receipt"]["user_id"] = luis_id.as_str().into();
    })?;
    assert_rejected(&reattributed, None, "is bound to")?;
    let backdated = files.path().join("receipt-backdated.json");
    write_tampered(&export, &backdated, |signed| {
        let time = &mut signed["receipts"][ana_receipt]["receipt"]["received_at_ms"];
        *time = (time.as_i64().unwrap_or_default() - 86_400_000).into();
    })?;
    assert_rejected(&backdated, None, "changed after it was signed")?;

    let rebound = files.path().join("actor-rebound.json");
    write_tampered(&export, &rebound, |signed| {
        if let Some(bindings) = signed["bindings"].as_array_mut() {
            for binding in bindings {
                if binding["user_id"] == ana_id.as_str() {
                    binding["user_id"] = luis_id.as_str().into();
                }
            }
        }
    })?;
    assert_rejected(&rebound, None, "is bound to")?;

    let head_dropped = files.path().join("head-dropped.json");
    write_tampered(&export, &head_dropped, |signed| {
        if let Some(heads) = signed["heads"].as_array_mut() {
            heads.pop();
        }
    })?;
    assert_rejected(&head_dropped, None, "signed heads")?;

    // Another server's key: the honest file is not signed by it.
    let other = tempfile::tempdir()?;
    let other_key = enlace_cli(other.path(), &["audit", "key"], None)?;
    assert_ne!(other_key, key);
    assert_rejected(&downloaded, Some(&other_key), "not by the key given with --key")?;
    Ok(())
}
