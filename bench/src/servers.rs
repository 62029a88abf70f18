//! The three servers the harness compares, each started on 127.0.0.1 with a
//! free port and a fresh data directory, each serving one document shaped like
//! an Enlace workspace.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use enlace_shared::DocumentId;
use enlace_shared::api::{WorkspaceSummary, paths};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::process::{Child, Command};

/// How long a server may take to print its address.
const START_PATIENCE: Duration = Duration::from_secs(60);

/// Which server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ServerKind {
    /// `enlace serve`: durable acknowledgements (redb, group commit).
    Enlace,
    /// Node, `@automerge/automerge-repo` + network-websocket + storage-nodefs.
    AutomergeRepo,
    /// The `samod` crate with its filesystem storage, behind axum.
    Samod,
}

impl ServerKind {
    pub const ALL: [ServerKind; 3] = [ServerKind::Enlace, ServerKind::AutomergeRepo, ServerKind::Samod];

    pub fn label(self) -> &'static str {
        match self {
            Self::Enlace => "Enlace",
            Self::AutomergeRepo => "automerge-repo (Node)",
            Self::Samod => "samod",
        }
    }
}

/// A running server in a child process (killed when dropped).
pub struct RunningServer {
    pub kind: ServerKind,
    child: Child,
    pub address: String,
    pub ws_url: String,
    pub document_id: DocumentId,
    /// The bearer token peers present (Enlace only).
    pub bearer_token: Option<String>,
    _data_dir: tempfile::TempDir,
}

impl RunningServer {
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// SIGTERM, a few seconds of grace, then SIGKILL.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(pid) = self.child.id() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status()
                .await;
            if tokio::time::timeout(Duration::from_secs(10), self.child.wait())
                .await
                .is_err()
            {
                self.child.start_kill()?;
                self.child.wait().await?;
            }
        }
        Ok(())
    }
}

/// `bench/`. `cargo run` sets it at run time; the value compiled in can name
/// another checkout when checkouts share a target directory (cargo does not
/// copy a fresh binary over `target/release/enlace-bench` then).
fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
}

/// The repository root (this crate lives in `bench/`).
pub fn workspace_root() -> PathBuf {
    manifest_dir().parent().map(Path::to_path_buf).unwrap_or_default()
}

/// `bench/js`, where the Node server and its packages live.
pub fn js_dir() -> PathBuf {
    manifest_dir().join("js")
}

/// Where binaries built next to this one live (`<target>/<profile>`).
fn sibling_binary(name: &str) -> anyhow::Result<PathBuf> {
    let executable = std::env::current_exe()?;
    let directory = executable
        .parent()
        .ok_or_else(|| anyhow!("no directory for {}", executable.display()))?;
    // Test and bench executables live one level deeper, in `deps/`.
    let directory = if directory.ends_with("deps") {
        directory.parent().unwrap_or(directory)
    } else {
        directory
    };
    Ok(directory.join(name))
}

/// The `enlace` binary: `ENLACE_BIN`, else `<target>/release/enlace`, built if missing.
pub fn enlace_binary() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("ENLACE_BIN") {
        return Ok(PathBuf::from(path));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let path = target.join("release").join("enlace");
    if !path.exists() {
        build_release(&["-p", "enlace-server", "--bin", "enlace"])?;
    }
    Ok(path)
}

/// The `samod-server` binary built with this harness (built if missing).
pub fn samod_binary() -> anyhow::Result<PathBuf> {
    let path = sibling_binary("samod-server")?;
    if !path.exists() {
        build_release(&["-p", "enlace-bench", "--bin", "samod-server"])?;
    }
    Ok(path)
}

fn build_release(args: &[&str]) -> anyhow::Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = std::process::Command::new(cargo)
        .args(["build", "--release", "--quiet"])
        .args(args)
        .current_dir(workspace_root())
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("cargo build {args:?} failed: {status}");
    }
    Ok(())
}

/// Installs `bench/js`'s packages if they are not there yet.
pub fn ensure_node_packages() -> anyhow::Result<()> {
    let directory = js_dir();
    if directory
        .join("node_modules/@automerge/automerge-repo-storage-nodefs")
        .exists()
    {
        return Ok(());
    }
    // `npm ci` fails on this registry (cbor-extract's optional prebuilt
    // packages are missing); a plain install resolves from the lock file.
    let status = std::process::Command::new("npm")
        .args(["install", "--no-audit", "--no-fund"])
        .current_dir(&directory)
        .status()
        .context("cannot run npm")?;
    if !status.success() {
        bail!("npm install in {} failed: {status}", directory.display());
    }
    Ok(())
}

/// Starts `kind` with a fresh data directory and waits until it serves its document.
pub async fn start(kind: ServerKind) -> anyhow::Result<RunningServer> {
    start_with(kind, &Account::load_member()).await
}

/// Like [`start`]; for Enlace, `account` is the person the bearer token is for.
pub async fn start_with(kind: ServerKind, account: &Account) -> anyhow::Result<RunningServer> {
    let data_dir = tempfile::Builder::new()
        .prefix(&format!("enlace-bench-{kind:?}-").to_lowercase())
        .tempdir()?;
    let mut bearer_token = None;
    let mut command = match kind {
        ServerKind::Enlace => {
            let binary = enlace_binary()?;
            bearer_token = Some(provision_enlace(&binary, data_dir.path(), account)?);
            let mut command = Command::new(binary);
            command
                .args(["serve", "--addr", "127.0.0.1:0", "--data"])
                .arg(data_dir.path())
                .env("RUST_LOG", "warn")
                // Every load and idle peer signs in as the one bench account.
                .env("ENLACE_MAX_CONNECTIONS_PER_PERSON", "1000000");
            command
        }
        ServerKind::AutomergeRepo => {
            ensure_node_packages()?;
            let mut command = Command::new("node");
            command
                .arg(js_dir().join("sync-server.mjs"))
                .arg("0")
                .arg(data_dir.path());
            command
        }
        ServerKind::Samod => {
            let mut command = Command::new(samod_binary()?);
            command
                .args(["--addr", "127.0.0.1:0", "--data"])
                .arg(data_dir.path())
                .env("RUST_LOG", "warn");
            command
        }
    };
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot start {}", kind.label()))?;
    let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
    let mut lines = BufReader::new(stdout).lines();
    let (address, document_url) = tokio::time::timeout(START_PATIENCE, async {
        let mut address = None;
        let mut document_url = None;
        while let Some(line) = lines.next_line().await? {
            if let Some(rest) = line
                .strip_prefix("enlace listening on http://")
                .or_else(|| line.strip_prefix("listening on http://"))
            {
                address = Some(rest.trim().to_owned());
            } else if let Some(rest) = line.strip_prefix("document ") {
                document_url = Some(rest.trim().to_owned());
            }
            match (&address, &document_url, kind) {
                (Some(address), _, ServerKind::Enlace) => return Ok((address.clone(), None)),
                (Some(address), Some(url), _) => return Ok((address.clone(), Some(url.clone()))),
                _ => {}
            }
        }
        Err(anyhow!("{} exited before it was ready", kind.label()))
    })
    .await
    .with_context(|| format!("{} did not start in time", kind.label()))??;
    // Keep draining stdout so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let (ws_url, document_url) = match kind {
        ServerKind::Enlace => (
            format!("ws://{address}{}", paths::SYNC),
            first_workspace_url(&address, bearer_token.as_deref()).await?,
        ),
        ServerKind::AutomergeRepo | ServerKind::Samod => (
            format!("ws://{address}/"),
            document_url.ok_or_else(|| anyhow!("no document url"))?,
        ),
    };
    let document_id = DocumentId::parse(&document_url)
        .map_err(|error| anyhow!("bad document url {document_url}: {error}"))?;
    Ok(RunningServer {
        kind,
        child,
        address,
        ws_url,
        document_id,
        bearer_token,
        _data_dir: data_dir,
    })
}

/// The person an Enlace server is provisioned with (by its CLI, as an
/// operator would) before it starts.
#[derive(Debug, Clone)]
pub struct Account {
    pub email: String,
    pub role: &'static str,
    pub password: String,
}

impl Account {
    /// The account every load peer signs in as: a member, as agency and
    /// embassy staff are, so every edit goes through the server's permission
    /// check. Its password is thrown away: the peers use a bearer token.
    pub fn load_member() -> Self {
        Self {
            email: LOAD_EMAIL.to_owned(),
            role: "member",
            password: format!("bench-{:016x}-{:016x}", crate::random_u64(), crate::random_u64()),
        }
    }
}

pub const LOAD_EMAIL: &str = "carga@bench.invalid";

/// Adds `account` to a fresh data directory and returns a bearer token for it.
pub fn provision_enlace(binary: &Path, data_dir: &Path, account: &Account) -> anyhow::Result<String> {
    let mut add = std::process::Command::new(binary)
        .args([
            "user",
            "add",
            "--email",
            &account.email,
            "--name",
            "Banco de pruebas",
        ])
        .args(["--role", account.role, "--password-stdin", "--data"])
        .arg(data_dir)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .context("cannot run `enlace user add`")?;
    if let Some(mut stdin) = add.stdin.take() {
        use std::io::Write as _;
        writeln!(stdin, "{}", account.password)?;
    }
    if !add.wait()?.success() {
        bail!("`enlace user add` failed");
    }
    let output = std::process::Command::new(binary)
        .args(["token", "create", "--email", &account.email, "--data"])
        .arg(data_dir)
        .env("RUST_LOG", "warn")
        .output()
        .context("cannot run `enlace token create`")?;
    if !output.status.success() {
        bail!(
            "`enlace token create` failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8(output.stdout)?.trim().to_owned())
}

/// `url` of the first entry of Enlace's `GET /api/workspaces`.
pub async fn first_workspace_url(address: &str, bearer_token: Option<&str>) -> anyhow::Result<String> {
    let (status, body) = http_get(address, paths::WORKSPACES, bearer_token).await?;
    if status != 200 {
        bail!("GET {} answered {status}", paths::WORKSPACES);
    }
    let entries: Vec<WorkspaceSummary> = serde_json::from_slice(&body)?;
    entries
        .into_iter()
        .next()
        .map(|entry| entry.url)
        .ok_or_else(|| anyhow!("the server lists no workspace"))
}

/// A minimal HTTP/1.1 GET on loopback; returns the status and the body.
pub async fn http_get(
    address: &str,
    path: &str,
    bearer_token: Option<&str>,
) -> anyhow::Result<(u16, Vec<u8>)> {
    let mut stream = tokio::net::TcpStream::connect(address).await?;
    let authorization =
        bearer_token.map_or_else(String::new, |token| format!("Authorization: Bearer {token}\r\n"));
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {address}\r\n{authorization}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let split = response
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .ok_or_else(|| anyhow!("malformed HTTP response"))?;
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| anyhow!("no status in {head:?}"))?;
    Ok((status, response[split + 4..].to_vec()))
}
