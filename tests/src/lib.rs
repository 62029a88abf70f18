//! Helpers shared by Enlace's integration, interop and browser suites.
//!
//! Everything here drives the real thing: the `enlace` binary in its own
//! process on port 0 with a temporary data directory, and clients over real
//! WebSockets running the same sans-IO session as the browser.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use automerge::Automerge;
use enlace_shared::api::{
    CreateUserRequest, LoginRequest, PersonView, SetupRequest, WorkspaceSummary, paths,
};
use enlace_shared::model::{Authorship, ModelError};
use enlace_shared::protocol::Message;
use enlace_shared::records::{self, Initial, Record};
use enlace_shared::refusal::Refusal;
use enlace_shared::roles::Role;
use enlace_shared::schema::Collection;
use enlace_shared::sync::{Input, PeerSession, SessionEvent};
use enlace_shared::{DocumentId, PeerId, ids};
use futures_util::{SinkExt as _, StreamExt as _};
use serde::Serialize;
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The default time a test waits for something that should happen quickly.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// The repository root.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The `tests/js` directory with the npm packages of the interop and browser suites.
pub fn js_dir() -> PathBuf {
    std::env::var_os("ENLACE_JS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("js"))
}

/// The Chromium executable for browser tests.
pub fn chromium() -> PathBuf {
    std::env::var_os("ENLACE_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

/// The `enlace` binary: `ENLACE_BIN` (set by `cargo xtask test` after building
/// it), or else built here once per test process with `cargo build`, so a
/// plain `cargo test` never runs a stale server.
pub fn enlace_binary() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("ENLACE_BIN") {
        return Ok(PathBuf::from(path));
    }
    static BUILT: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
            let status = std::process::Command::new(cargo)
                .args(["build", "--quiet", "-p", "enlace-server", "--bin", "enlace"])
                .current_dir(workspace_root())
                .status()
                .map_err(|error| format!("cannot run cargo: {error}"))?;
            if !status.success() {
                return Err(format!("building the enlace binary failed: {status}"));
            }
            let test_executable = std::env::current_exe().map_err(|error| error.to_string())?;
            let profile_dir = test_executable
                .parent()
                .and_then(Path::parent)
                .ok_or("unexpected test executable path")?;
            Ok(profile_dir.join("enlace"))
        })
        .clone()
        .map_err(|message| anyhow!(message))
}

/// The document behind an entry of `GET /api/workspaces`.
pub fn document_id(workspace: &WorkspaceSummary) -> anyhow::Result<DocumentId> {
    DocumentId::parse(&workspace.url).map_err(|error| anyhow!("bad workspace url {}: {error}", workspace.url))
}

/// A request body as the JSON [`ServerProcess::api`] sends.
pub fn json_body(body: &impl Serialize) -> anyhow::Result<serde_json::Value> {
    Ok(serde_json::to_value(body)?)
}

/// The password of every account the harness creates.
pub const TEST_PASSWORD: &str = "contraseña de prueba";
/// The secretariat account every test server starts with.
pub const ADMIN_EMAIL: &str = "secretaria@enlace.test";

/// How a client proves who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// `Authorization: Bearer` (scripts).
    Bearer(String),
    /// The browser session cookie.
    Session(String),
}

impl Credential {
    /// The header that carries it.
    pub fn header(&self) -> (&'static str, String) {
        match self {
            Self::Bearer(token) => ("Authorization", format!("Bearer {token}")),
            Self::Session(secret) => ("Cookie", format!("enlace_session={secret}")),
        }
    }
}

/// Creates the secretariat account and a bearer token on a data directory
/// (once; later starts on the same directory reuse them).
fn provision(binary: &Path, data_dir: &Path) -> anyhow::Result<String> {
    let token_file = data_dir.join("test-admin-token");
    if let Ok(token) = std::fs::read_to_string(&token_file) {
        return Ok(token.trim().to_owned());
    }
    std::fs::create_dir_all(data_dir)?;
    let mut add = std::process::Command::new(binary)
        .args([
            "user",
            "add",
            "--email",
            ADMIN_EMAIL,
            "--name",
            "Secretaría Técnica",
            "--role",
            "secretariat",
        ])
        .arg("--password-stdin")
        .arg("--data")
        .arg(data_dir)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    if let Some(mut stdin) = add.stdin.take() {
        use std::io::Write as _;
        writeln!(stdin, "{TEST_PASSWORD}")?;
    }
    if !add.wait()?.success() {
        bail!("`enlace user add` failed");
    }
    let output = std::process::Command::new(binary)
        .args(["token", "create", "--email", ADMIN_EMAIL, "--data"])
        .arg(data_dir)
        .env("RUST_LOG", "warn")
        .output()?;
    if !output.status.success() {
        bail!(
            "`enlace token create` failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let token = String::from_utf8(output.stdout)?.trim().to_owned();
    std::fs::write(&token_file, &token)?;
    Ok(token)
}

/// The real `enlace` server in a child process.
pub struct ServerProcess {
    child: Child,
    address: String,
    data_dir: PathBuf,
    admin_token: String,
    setup_secret: std::sync::Arc<std::sync::Mutex<Option<String>>>,
}

impl ServerProcess {
    /// Starts `enlace serve --addr 127.0.0.1:0 --data <data_dir>` and waits until it is healthy.
    pub async fn start(data_dir: &Path) -> anyhow::Result<Self> {
        Self::start_with(data_dir, &[]).await
    }

    /// Like [`ServerProcess::start`] with extra `serve` arguments.
    pub async fn start_with(data_dir: &Path, extra_args: &[&str]) -> anyhow::Result<Self> {
        let binary = enlace_binary()?;
        let admin_token = provision(&binary, data_dir)?;
        Self::spawn(&binary, data_dir, extra_args, admin_token).await
    }

    /// Starts a server on a data directory without provisioning any account
    /// (first-start setup is then pending).
    pub async fn start_unprovisioned(data_dir: &Path) -> anyhow::Result<Self> {
        Self::start_unprovisioned_with(data_dir, &[]).await
    }

    /// Like [`ServerProcess::start_unprovisioned`] with extra `serve` arguments.
    pub async fn start_unprovisioned_with(data_dir: &Path, extra_args: &[&str]) -> anyhow::Result<Self> {
        Self::spawn(&enlace_binary()?, data_dir, extra_args, String::new()).await
    }

    /// Completes first-start setup with the printed secret; returns the
    /// first secretariat's session.
    pub async fn complete_setup(&self, email: &str) -> anyhow::Result<Credential> {
        let secret = self
            .setup_secret()
            .await
            .ok_or_else(|| anyhow!("no setup link printed"))?;
        let request = SetupRequest {
            token: secret,
            email: email.to_owned(),
            display_name: "Secretaría Técnica".to_owned(),
            password: TEST_PASSWORD.to_owned(),
        };
        let (status, body, headers) = self
            .api("POST", paths::SETUP, None, Some(json_body(&request)?))
            .await?;
        if status != 200 {
            bail!("setup answered {status}: {body}");
        }
        session_from(&headers).ok_or_else(|| anyhow!("setup set no session cookie"))
    }

    async fn spawn(
        binary: &Path,
        data_dir: &Path,
        extra_args: &[&str],
        admin_token: String,
    ) -> anyhow::Result<Self> {
        let mut child = Command::new(binary)
            .arg("serve")
            .arg("--addr")
            .arg("127.0.0.1:0")
            .arg("--data")
            .arg(data_dir)
            .args(extra_args)
            .env(
                "RUST_LOG",
                std::env::var("ENLACE_TEST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .context("cannot start the enlace binary")?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
        let mut lines = BufReader::new(stdout).lines();
        let address = tokio::time::timeout(PATIENCE, async {
            while let Some(line) = lines.next_line().await? {
                if let Some(rest) = line.strip_prefix("enlace listening on http://") {
                    return Ok(rest.trim().to_owned());
                }
            }
            Err(anyhow!("the server exited before listening"))
        })
        .await
        .context("the server did not report its address in time")??;
        // Keep draining stdout so the child never blocks on a full pipe,
        // keeping the first-start setup secret if one is printed.
        let setup_secret = std::sync::Arc::new(std::sync::Mutex::new(None::<String>));
        let slot = setup_secret.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some((_, secret)) = line.split_once("/setup#token=")
                    && let Ok(mut slot) = slot.lock()
                {
                    *slot = Some(secret.trim().to_owned());
                }
            }
        });
        let server = Self {
            child,
            address,
            data_dir: data_dir.to_owned(),
            admin_token,
            setup_secret,
        };
        let (status, _) = server.get(paths::HEALTH).await?;
        if status != 200 {
            bail!("health check answered {status}");
        }
        Ok(server)
    }

    pub fn http_url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}{}", self.address, paths::SYNC)
    }

    /// The sync URL with the secretariat's token as `access_token` (for
    /// WebSocket clients that cannot set headers, like automerge-repo's).
    pub fn ws_url_with_token(&self) -> String {
        format!("{}?access_token={}", self.ws_url(), self.admin_token)
    }

    /// The first-start setup secret the server printed, if any (waits briefly for it).
    pub async fn setup_secret(&self) -> Option<String> {
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            if let Some(secret) = self.setup_secret.lock().ok().and_then(|slot| slot.clone()) {
                return Some(secret);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }

    /// The secretariat's bearer token.
    pub fn admin(&self) -> Credential {
        Credential::Bearer(self.admin_token.clone())
    }

    /// A JSON API call; returns the status and the parsed body (null if empty).
    pub async fn api(
        &self,
        method: &str,
        path: &str,
        credential: Option<&Credential>,
        body: Option<serde_json::Value>,
    ) -> anyhow::Result<(u16, serde_json::Value, Vec<(String, String)>)> {
        let mut headers: Vec<(String, String)> = Vec::new();
        if let Some(credential) = credential {
            let (name, value) = credential.header();
            headers.push((name.to_owned(), value));
        }
        let body = body.map(|value| value.to_string());
        if body.is_some() {
            headers.push(("Content-Type".into(), "application/json".into()));
        }
        let (status, response_headers, bytes) =
            http_request(&self.address, method, path, &headers, body.as_deref()).await?;
        let json = if bytes.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Ok((status, json, response_headers))
    }

    /// Signs in; returns the status and, on success, the session secret.
    pub async fn login(&self, email: &str, password: &str) -> anyhow::Result<(u16, Option<Credential>)> {
        let request = LoginRequest {
            email: email.to_owned(),
            password: password.to_owned(),
        };
        let (status, _, headers) = self
            .api("POST", paths::LOGIN, None, Some(json_body(&request)?))
            .await?;
        Ok((status, session_from(&headers)))
    }

    /// Creates a person with `role` (a role's slug) in the first workspace
    /// (through the secretariat's API) and signs them in; returns their id
    /// and session.
    pub async fn add_person(
        &self,
        email: &str,
        name: &str,
        role: &str,
    ) -> anyhow::Result<(String, Credential)> {
        let role = role.parse::<Role>().map_err(|error| anyhow!(error))?;
        let person = self.create_person(&self.admin(), email, name, role).await?;
        match self.login(email, TEST_PASSWORD).await? {
            (200, Some(session)) => Ok((person.id, session)),
            (status, _) => bail!("signing in {email} answered {status}"),
        }
    }

    /// Creates a person (password [`TEST_PASSWORD`]) with `role` in the first
    /// workspace `secretariat` sees, through the API as `secretariat`.
    pub async fn create_person(
        &self,
        secretariat: &Credential,
        email: &str,
        name: &str,
        role: Role,
    ) -> anyhow::Result<PersonView> {
        let workspace = self
            .workspaces_as(secretariat)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| anyhow!("the server lists no workspace"))?;
        let request = CreateUserRequest {
            email: email.to_owned(),
            display_name: name.to_owned(),
            password: Some(TEST_PASSWORD.to_owned()),
            organisation_id: None,
            workspace: workspace.id,
            role,
        };
        let (status, body, _) = self
            .api(
                "POST",
                paths::USERS,
                Some(secretariat),
                Some(json_body(&request)?),
            )
            .await?;
        if status != 201 {
            bail!("creating {email} answered {status}: {body}");
        }
        Ok(serde_json::from_value(body)?)
    }

    pub fn address(&self) -> &str {
        &self.address
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// A plain HTTP/1.1 GET; returns the status and the body.
    pub async fn get(&self, path: &str) -> anyhow::Result<(u16, Vec<u8>)> {
        http_get(&self.address, path, &[]).await
    }

    /// The workspaces the secretariat sees.
    pub async fn workspaces(&self) -> anyhow::Result<Vec<WorkspaceSummary>> {
        self.workspaces_as(&self.admin()).await
    }

    /// The workspaces `credential`'s person may open.
    pub async fn workspaces_as(&self, credential: &Credential) -> anyhow::Result<Vec<WorkspaceSummary>> {
        let (status, body, _) = self.api("GET", paths::WORKSPACES, Some(credential), None).await?;
        if status != 200 {
            bail!("GET {} answered {status}: {body}", paths::WORKSPACES);
        }
        Ok(serde_json::from_value(body)?)
    }

    /// The first workspace (the one an empty data directory starts with).
    pub async fn first_workspace(&self) -> anyhow::Result<WorkspaceSummary> {
        self.workspaces()
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| anyhow!("the server lists no workspace"))
    }

    /// SIGKILL: no chance to flush anything.
    pub async fn kill_hard(&mut self) -> anyhow::Result<()> {
        self.child.start_kill()?;
        self.child.wait().await?;
        Ok(())
    }

    /// SIGTERM, then wait for a clean exit.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        self.terminate().await?;
        self.wait_for_exit().await
    }

    /// Sends SIGTERM without waiting for the process to exit.
    pub async fn terminate(&mut self) -> anyhow::Result<()> {
        let pid = self.child.id().ok_or_else(|| anyhow!("server already exited"))?;
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status()
            .await?;
        if !status.success() {
            bail!("kill -TERM failed");
        }
        Ok(())
    }

    /// Waits for the process to exit successfully.
    pub async fn wait_for_exit(&mut self) -> anyhow::Result<()> {
        let exit = tokio::time::timeout(PATIENCE, self.child.wait())
            .await
            .context("the server did not stop after SIGTERM")??;
        if !exit.success() {
            bail!("the server exited with {exit}");
        }
        Ok(())
    }
}

/// The session secret a `Set-Cookie` answer carries, if any.
fn session_from(headers: &[(String, String)]) -> Option<Credential> {
    headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
        .find_map(|(_, value)| {
            value
                .strip_prefix("enlace_session=")?
                .split(';')
                .next()
                .map(str::to_owned)
        })
        .filter(|secret| !secret.is_empty())
        .map(Credential::Session)
}

/// A minimal HTTP/1.1 GET (the tests need nothing more).
pub async fn http_get(address: &str, path: &str, headers: &[(&str, &str)]) -> anyhow::Result<(u16, Vec<u8>)> {
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    let (status, _, body) = http_request(address, "GET", path, &headers, None).await?;
    Ok((status, body))
}

/// A minimal HTTP/1.1 request with `Connection: close`; returns the status,
/// the response headers and the body.
pub async fn http_request(
    address: &str,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: Option<&str>,
) -> anyhow::Result<(u16, Vec<(String, String)>, Vec<u8>)> {
    let mut stream = TcpStream::connect(address).await?;
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = body {
        request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    } else {
        request.push_str("\r\n");
    }
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let split = response
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .ok_or_else(|| anyhow!("malformed HTTP response"))?;
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| anyhow!("no status in {head:?}"))?;
    let response_headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    Ok((status, response_headers, response[split + 4..].to_vec()))
}

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A Rust client over a real WebSocket, running the browser's sync session.
pub struct RustClient {
    socket: Socket,
    session: PeerSession,
    document_id: DocumentId,
    author: String,
    /// How many frames this client has received and sent (for loop checks).
    pub frames_received: usize,
    pub frames_sent: usize,
    /// The `enlace-rejected` messages received so far.
    pub rejections: Vec<Rejection>,
}

/// One `enlace-rejected` message, as the session reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The server's English sentence (place and reason).
    pub reason: String,
    pub refusal: Option<Refusal>,
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        })
}

impl RustClient {
    /// Connects, joins and waits until the workspace document is synced.
    pub async fn connect(server: &ServerProcess, workspace: &WorkspaceSummary) -> anyhow::Result<Self> {
        Self::connect_named(server, workspace, "rust-client").await
    }

    pub async fn connect_named(
        server: &ServerProcess,
        workspace: &WorkspaceSummary,
        author: &str,
    ) -> anyhow::Result<Self> {
        Self::connect_as(server, workspace, author, &server.admin()).await
    }

    /// Connects with a given credential.
    pub async fn connect_as(
        server: &ServerProcess,
        workspace: &WorkspaceSummary,
        author: &str,
        credential: &Credential,
    ) -> anyhow::Result<Self> {
        Self::connect_with(server, workspace, author, credential, true).await
    }

    /// Connects like a stock automerge-repo client (no Enlace extension).
    pub async fn connect_as_stock(
        server: &ServerProcess,
        workspace: &WorkspaceSummary,
        author: &str,
        credential: &Credential,
    ) -> anyhow::Result<Self> {
        Self::connect_with(server, workspace, author, credential, false).await
    }

    async fn connect_with(
        server: &ServerProcess,
        workspace: &WorkspaceSummary,
        author: &str,
        credential: &Credential,
        extension: bool,
    ) -> anyhow::Result<Self> {
        let socket = authenticated_socket(server, credential).await?;
        let document_id = document_id(workspace)?;
        let random: u64 = rand_u64();
        let mut client = Self {
            socket,
            session: {
                let session = PeerSession::new(PeerId::new(format!("{author}-{random:016x}")));
                if extension {
                    session
                } else {
                    session.without_extension()
                }
            },
            document_id,
            author: author.to_owned(),
            frames_received: 0,
            frames_sent: 0,
            rejections: Vec::new(),
        };
        let output = client.session.handle(now_ms(), Input::Connected)?;
        client.send_all(output.send).await?;
        let opened = client.session.open(document_id, Automerge::new());
        client.send_all(opened).await?;
        client
            .pump_until(PATIENCE, |client| {
                client.session.is_in_sync(&client.document_id)
                    && records::read_all(client.document(), Collection::Organisations).is_ok()
            })
            .await
            .context("the workspace did not sync")?;
        Ok(client)
    }

    pub fn document(&self) -> &Automerge {
        // Invariant: the document was opened in `connect`.
        #[allow(clippy::expect_used)]
        self.session
            .document(&self.document_id)
            .expect("opened in connect")
    }

    /// The organisations of the workspace, deleted ones included, sorted by name.
    pub fn organisations(&self) -> Vec<Record> {
        records::read_all(self.document(), Collection::Organisations).unwrap_or_default()
    }

    /// True when everything this client has is acknowledged by the server.
    pub fn is_in_sync(&self) -> bool {
        self.session.is_in_sync(&self.document_id)
    }

    /// The document, for edits that bypass the model (e.g. forging an actor).
    pub fn document_mut(&mut self) -> &mut Automerge {
        // Invariant: the document was opened in `connect`.
        #[allow(clippy::expect_used)]
        self.session
            .document_mut(&self.document_id)
            .expect("opened in connect")
    }

    /// Sends whatever local changes are pending.
    pub async fn flush(&mut self) -> anyhow::Result<()> {
        let output = self
            .session
            .handle(now_ms(), Input::LocalChange(self.document_id))?;
        self.send_all(output.send).await
    }

    /// The heads the server has acknowledged (told this client it stored).
    pub fn acknowledged_heads(&self) -> Vec<automerge::ChangeHash> {
        self.session.acknowledged_heads(&self.document_id)
    }

    /// Makes a local change and sends it, without waiting for the acknowledgement.
    pub async fn change(
        &mut self,
        edit: impl FnOnce(&mut Automerge, &Authorship<'_>) -> Result<(), ModelError>,
    ) -> anyhow::Result<()> {
        let author = self.author.clone();
        let authorship = Authorship {
            now_ms: i64::try_from(now_ms()).unwrap_or_default(),
            author: &author,
        };
        let document = self
            .session
            .document_mut(&self.document_id)
            .ok_or_else(|| anyhow!("document not open"))?;
        edit(document, &authorship)?;
        let output = self
            .session
            .handle(now_ms(), Input::LocalChange(self.document_id))?;
        self.send_all(output.send).await
    }

    /// Adds an organisation (`kind_slug`: one of `schema::ORGANISATION_KINDS`)
    /// and waits until the server has acknowledged it; returns its record id.
    pub async fn add_organisation(
        &mut self,
        name: &str,
        kind_slug: &str,
        country: &str,
    ) -> anyhow::Result<String> {
        let id = random_record_id();
        let fields = [
            ("name", Initial::Text(name.to_owned())),
            ("kind", Initial::Text(kind_slug.to_owned())),
            ("country", Initial::Text(country.to_owned())),
        ];
        self.change(|document, authorship| {
            records::create_record(document, Collection::Organisations, &id, &fields, authorship)
        })
        .await?;
        self.wait_acknowledged().await?;
        Ok(id)
    }

    /// Sets one text field of an organisation and waits until the server has
    /// acknowledged it.
    pub async fn set_field(&mut self, id: &str, field_key: &str, value: &str) -> anyhow::Result<()> {
        self.change(|document, authorship| {
            records::set_text(
                document,
                Collection::Organisations,
                id,
                field_key,
                value,
                authorship,
            )
        })
        .await?;
        self.wait_acknowledged().await
    }

    /// Waits until the server's heads include all of this client's changes.
    pub async fn wait_acknowledged(&mut self) -> anyhow::Result<()> {
        self.pump_until(PATIENCE, |client| client.is_in_sync())
            .await
            .context("the server did not acknowledge the change")
    }

    /// Waits until an organisation with this name is in the document.
    pub async fn wait_for_organisation(&mut self, name: &str, timeout: Duration) -> anyhow::Result<Record> {
        self.pump_until(timeout, |client| {
            client.organisations().iter().any(|org| org.text("name") == name)
        })
        .await
        .with_context(|| format!("organisation {name:?} never arrived"))?;
        self.organisations()
            .into_iter()
            .find(|org| org.text("name") == name)
            .ok_or_else(|| anyhow!("vanished"))
    }

    /// Processes frames until `done` holds or `timeout` passes.
    pub async fn pump_until(
        &mut self,
        timeout: Duration,
        done: impl Fn(&Self) -> bool,
    ) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        while !done(self) {
            let remaining = deadline
                .checked_duration_since(Instant::now())
                .ok_or_else(|| self.timed_out(timeout))?;
            let frame = tokio::time::timeout(remaining, self.socket.next())
                .await
                .map_err(|_| self.timed_out(timeout))?
                .ok_or_else(|| anyhow!("the server closed the connection"))??;
            self.receive_frame(frame).await?;
        }
        Ok(())
    }

    /// A timeout error that says where this client's sync stood, so that a
    /// failure seen once on a loaded machine can be understood afterwards.
    fn timed_out(&self, timeout: Duration) -> anyhow::Error {
        let mut heads = self.document().get_heads();
        heads.sort();
        let mut acknowledged = self.acknowledged_heads();
        acknowledged.sort();
        anyhow!(
            "{}: timed out after {timeout:?}; in sync: {}; heads {heads:?}; \
             heads the server announced {acknowledged:?}; {} frames received; rejections {:?}",
            self.author,
            self.is_in_sync(),
            self.frames_received,
            self.rejections
                .iter()
                .map(|rejection| rejection.reason.as_str())
                .collect::<Vec<_>>(),
        )
    }

    /// Processes whatever arrives within `quiet` (used to let things settle).
    pub async fn pump_for(&mut self, quiet: Duration) -> anyhow::Result<()> {
        while let Ok(frame) = tokio::time::timeout(quiet, self.socket.next()).await {
            let frame = frame.ok_or_else(|| anyhow!("the server closed the connection"))??;
            self.receive_frame(frame).await?;
        }
        Ok(())
    }

    async fn receive_frame(&mut self, frame: WsMessage) -> anyhow::Result<()> {
        let replies = self.take_frame(frame)?;
        self.send_all(replies).await
    }

    /// Hands a frame to the session and returns what it would send back.
    fn take_frame(&mut self, frame: WsMessage) -> anyhow::Result<Vec<Message>> {
        match frame {
            WsMessage::Binary(bytes) => {
                self.frames_received += 1;
                let message = Message::decode(&bytes)?;
                debug_frame(&self.author, "<-", &message);
                let output = self.session.handle(now_ms(), Input::Received(message))?;
                for event in &output.events {
                    if let SessionEvent::Rejected { reason, refusal, .. } = event {
                        self.rejections.push(Rejection {
                            reason: reason.clone(),
                            refusal: *refusal,
                        });
                    }
                }
                Ok(output.send)
            }
            WsMessage::Close(frame) => bail!("the server closed the connection: {frame:?}"),
            _ => Ok(Vec::new()),
        }
    }

    async fn send_all(&mut self, messages: Vec<Message>) -> anyhow::Result<()> {
        for message in messages {
            self.frames_sent += 1;
            debug_frame(&self.author, "->", &message);
            self.socket
                .send(WsMessage::Binary(message.encode().into()))
                .await?;
        }
        Ok(())
    }
}

/// A random u64 from the OS clock and address-space noise; tests only need uniqueness.
pub fn rand_u64() -> u64 {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.finish()
}

/// A fresh random record id.
pub fn random_record_id() -> String {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&rand_u64().to_le_bytes());
    bytes[8..].copy_from_slice(&rand_u64().to_le_bytes());
    ids::record_id(bytes)
}

/// A raw WebSocket to the server as the secretariat, for tests that send bad input.
pub async fn raw_socket(server: &ServerProcess) -> anyhow::Result<Socket> {
    authenticated_socket(server, &server.admin()).await
}

/// A WebSocket to `/sync` presenting `credential`.
pub async fn authenticated_socket(server: &ServerProcess, credential: &Credential) -> anyhow::Result<Socket> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
    let mut request = server.ws_url().into_client_request()?;
    let (name, value) = credential.header();
    request.headers_mut().insert(name, value.parse()?);
    Ok(tokio_tungstenite::connect_async(request).await?.0)
}

/// Reads frames until the server closes; returns the close code and reason.
pub async fn expect_close(socket: &mut Socket) -> anyhow::Result<(u16, String)> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let remaining = deadline
            .checked_duration_since(Instant::now())
            .ok_or_else(|| anyhow!("no close frame"))?;
        match tokio::time::timeout(remaining, socket.next()).await {
            Err(_) => bail!("no close frame in time"),
            Ok(None) => bail!("connection ended without a close frame"),
            Ok(Some(Err(error))) => bail!("transport error before close: {error}"),
            Ok(Some(Ok(WsMessage::Close(Some(frame))))) => {
                return Ok((frame.code.into(), frame.reason.to_string()));
            }
            Ok(Some(Ok(WsMessage::Close(None)))) => bail!("close frame without a code"),
            Ok(Some(Ok(_))) => {}
        }
    }
}

fn debug_frame(author: &str, direction: &str, message: &Message) {
    if std::env::var_os("ENLACE_DEBUG_FRAMES").is_none() {
        return;
    }
    match message {
        Message::Sync { data, .. } | Message::Request { data, .. } => {
            if let Ok(sync) = automerge::sync::Message::decode(data) {
                eprintln!(
                    "{author} {direction} {} heads={:?} need={} have={} changes={}",
                    message.kind(),
                    sync.heads
                        .iter()
                        .map(|h| h.to_string()[..6].to_owned())
                        .collect::<Vec<_>>(),
                    sync.need.len(),
                    sync.have.len(),
                    sync.changes.len()
                );
            }
        }
        other => eprintln!("{author} {direction} {}", other.kind()),
    }
}

/// Runs `enlace <args> --data <data_dir>` (a `user` or `token` subcommand,
/// on a stopped server), writing `stdin` to it if given; returns its
/// standard output, trimmed.
pub fn enlace_cli(data_dir: &Path, args: &[&str], stdin: Option<&str>) -> anyhow::Result<String> {
    let mut child = std::process::Command::new(enlace_binary()?)
        .args(args)
        .arg("--data")
        .arg(data_dir)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    if let Some(mut pipe) = child.stdin.take() {
        use std::io::Write as _;
        if let Some(text) = stdin {
            writeln!(pipe, "{text}")?;
        }
    }
    let output = child.wait_with_output()?;
    if !output.status.success() {
        bail!(
            "`enlace {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8(output.stdout)?.trim().to_owned())
}

/// Adds a person (password [`TEST_PASSWORD`]) with `role` in `workspace`
/// through `enlace user add`, on a stopped server's data directory.
pub fn cli_add_person(
    data_dir: &Path,
    email: &str,
    role: Role,
    workspace: &DocumentId,
) -> anyhow::Result<()> {
    let role = role.to_string();
    let workspace = workspace.to_string();
    enlace_cli(
        data_dir,
        &[
            "user",
            "add",
            "--email",
            email,
            "--name",
            email,
            "--role",
            &role,
            "--workspace",
            &workspace,
            "--password-stdin",
        ],
        Some(TEST_PASSWORD),
    )
    .map(drop)
}

impl RustClient {
    /// Processes frames until the server closes the connection; returns the
    /// close code and reason.
    pub async fn close_code(&mut self) -> anyhow::Result<(u16, String)> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let remaining = deadline
                .checked_duration_since(Instant::now())
                .ok_or_else(|| self.timed_out(PATIENCE))?;
            let frame = tokio::time::timeout(remaining, self.socket.next())
                .await
                .map_err(|_| self.timed_out(PATIENCE))?
                .ok_or_else(|| anyhow!("the connection ended without a close frame"))??;
            match frame {
                WsMessage::Close(Some(frame)) => return Ok((frame.code.into(), frame.reason.to_string())),
                WsMessage::Close(None) => bail!("close frame without a code"),
                // Answered (the last change may still be on its way in
                // the sync exchange), but a reply that meets the server's
                // close (a broken pipe) is no failure: its close frame is
                // what is read next.
                other => {
                    let replies = self.take_frame(other)?;
                    let _closing = self.send_all(replies).await;
                }
            }
        }
    }
}

/// A raw socket presenting `credential` that has joined as `peer_id`.
pub async fn joined_socket_as(
    server: &ServerProcess,
    credential: &Credential,
    peer_id: &str,
) -> anyhow::Result<Socket> {
    let mut socket = authenticated_socket(server, credential).await?;
    let join = Message::Join {
        sender_id: PeerId::new(peer_id),
        supported_protocol_versions: vec!["1".into()],
        peer_metadata: enlace_shared::protocol::PeerMetadata::default(),
    };
    socket.send(WsMessage::Binary(join.encode().into())).await?;
    match next_message(&mut socket).await? {
        Message::Peer { .. } => Ok(socket),
        other => bail!("expected `peer`, got `{}`", other.kind()),
    }
}

/// Asks for `document_id` on a joined raw socket (as a peer with an empty
/// document) and waits for the server's first sync message.
pub async fn open_document(
    socket: &mut Socket,
    peer_id: &str,
    document_id: DocumentId,
) -> anyhow::Result<()> {
    use automerge::sync::SyncDoc as _;
    let first = Automerge::new()
        .generate_sync_message(&mut automerge::sync::State::new())
        .ok_or_else(|| anyhow!("automerge has no first sync message"))?;
    let request = Message::Request {
        sender_id: PeerId::new(peer_id),
        target_id: PeerId::new("server"),
        document_id,
        data: first.encode(),
    };
    socket.send(WsMessage::Binary(request.encode().into())).await?;
    loop {
        if let Message::Sync { .. } = next_message(socket).await? {
            return Ok(());
        }
    }
}

/// The next protocol message on a raw socket (control frames skipped).
pub async fn next_message(socket: &mut Socket) -> anyhow::Result<Message> {
    loop {
        let frame = tokio::time::timeout(PATIENCE, socket.next())
            .await
            .context("no message in time")?
            .ok_or_else(|| anyhow!("the connection ended"))??;
        match frame {
            WsMessage::Binary(bytes) => return Ok(Message::decode(&bytes)?),
            WsMessage::Close(frame) => bail!("the server closed the connection: {frame:?}"),
            _ => {}
        }
    }
}

pub mod browser;
pub mod crash;
pub mod fixtures;
pub mod proxy;

impl RustClient {
    /// Processes whatever arrives for `duration` (traffic or not); an error
    /// if the connection ends.
    pub async fn pump_during(&mut self, duration: Duration) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + duration;
        loop {
            match tokio::time::timeout_at(deadline, self.socket.next()).await {
                Err(_) => return Ok(()),
                Ok(frame) => {
                    let frame = frame.ok_or_else(|| anyhow!("the server closed the connection"))??;
                    self.receive_frame(frame).await?;
                }
            }
        }
    }

    /// Reconnects to `ws_url` (a restarted server) keeping this client's
    /// document, unacknowledged changes included, as a browser does; waits
    /// until everything is in sync.
    pub async fn reconnect(
        &mut self,
        ws_url: &str,
        credential: &Credential,
        limit: Duration,
    ) -> anyhow::Result<()> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
        self.session.handle(now_ms(), Input::Disconnected)?;
        let mut request = ws_url.into_client_request()?;
        let (name, value) = credential.header();
        request.headers_mut().insert(name, value.parse()?);
        let deadline = Instant::now() + limit;
        // The new server may still be starting its listener's backlog.
        let socket = loop {
            match tokio_tungstenite::connect_async(request.clone()).await {
                Ok((socket, _)) => break socket,
                Err(error) if Instant::now() > deadline => return Err(error.into()),
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        };
        self.socket = socket;
        let output = self.session.handle(now_ms(), Input::Connected)?;
        self.send_all(output.send).await?;
        let remaining = deadline.saturating_duration_since(Instant::now());
        self.pump_until(remaining, |client| client.is_in_sync()).await
    }
}
