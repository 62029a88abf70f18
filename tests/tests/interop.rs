//! A stock JavaScript automerge-repo client (`tests/js/interop.mjs`) and the
//! Rust client edit the same workspace through the real server, each seeing
//! the other's organisation.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context as _, bail, ensure};
use enlace_tests::{RustClient, ServerProcess, js_dir};

const RUST_NAME: &str = "Hecho en Rust";
const JS_NAME: &str = "Hecho en JS";
const NODE_TIMEOUT: Duration = Duration::from_secs(90);

fn node() -> PathBuf {
    std::env::var_os("ENLACE_NODE").map_or_else(|| PathBuf::from("node"), PathBuf::from)
}

#[tokio::test]
async fn stock_automerge_repo_client_interoperates() -> anyhow::Result<()> {
    let js = js_dir();
    ensure!(
        js.join("node_modules/@automerge/automerge-repo").is_dir(),
        "npm packages missing: run `npm ci` in {}",
        js.display()
    );
    let data = tempfile::tempdir()?;
    let mut server = ServerProcess::start(data.path()).await?;
    let workspace = server
        .workspaces()
        .await?
        .into_iter()
        .next()
        .context("the server lists no workspace")?;

    let mut rust = RustClient::connect(&server, &workspace).await?;
    rust.add_organisation(RUST_NAME, "embassy", "Irlanda").await?;

    let mut command = tokio::process::Command::new(node());
    command
        .arg(js.join("interop.mjs"))
        .arg(server.ws_url_with_token())
        .arg(&workspace.url)
        .arg(RUST_NAME)
        .arg(JS_NAME)
        .current_dir(&js)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let output = tokio::time::timeout(NODE_TIMEOUT, command.output())
        .await
        .context("interop.mjs did not finish in time")?
        .context("cannot run node")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        bail!(
            "interop.mjs failed ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
            output.status
        );
    }

    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    let seen: Vec<&str> = lines
        .iter()
        .find_map(|line| line.get("seen").and_then(serde_json::Value::as_array))
        .with_context(|| format!("no `seen` line in stdout:\n{stdout}"))?
        .iter()
        .filter_map(serde_json::Value::as_str)
        .collect();
    ensure!(
        seen.contains(&RUST_NAME),
        "the JS client saw {seen:?}, not {RUST_NAME:?}"
    );
    let added = lines
        .iter()
        .find_map(|line| line.get("added").and_then(serde_json::Value::as_str))
        .with_context(|| format!("no `added` line in stdout:\n{stdout}"))?
        .to_owned();

    let from_js = rust
        .wait_for_organisation(JS_NAME, Duration::from_secs(20))
        .await?;
    assert_eq!(from_js.id, added);
    assert_eq!(from_js.text("kind"), "cooperation_agency");
    assert_eq!(from_js.text("country"), "México");
    assert!(!from_js.deleted);
    assert!(from_js.created_at > 0);

    server.stop().await?;
    Ok(())
}
