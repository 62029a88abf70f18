//! Command-line and environment configuration.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Enlace: the co-edited workspace of an international cooperation roundtable.
#[derive(Debug, Parser)]
#[command(name = "enlace", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web client, the HTTP API and the sync WebSocket.
    Serve(ServeArgs),
    /// Copy everything (workspaces, changes, accounts, receipts, bindings,
    /// history) to one checksummed file; works while the server runs.
    Backup(BackupArgs),
    /// Restore a backup into a new, empty data directory.
    Restore(RestoreArgs),
    /// Manage people (works on the data directory of a stopped server).
    #[command(subcommand)]
    User(UserCommand),
    /// Manage bearer tokens for scripts (works on a stopped server).
    #[command(subcommand)]
    Token(TokenCommand),
    /// The signed audit export: write one (the server may be running), print
    /// the key that signs them, verify one (no server, no account).
    #[command(subcommand)]
    Audit(AuditCommand),
}

/// Where the data lives; every subcommand takes it.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// Data directory holding the redb database file (created if missing).
    #[arg(long, env = "ENLACE_DATA", default_value = "./enlace-data")]
    pub data: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    /// The backup file to write (replaced if it exists, through `FILE.tmp`).
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
}

#[derive(Debug, Clone, Args)]
pub struct RestoreArgs {
    /// The backup file to restore (checked in full before anything is written).
    #[arg(long = "in", value_name = "FILE")]
    pub input: PathBuf,
    /// The data directory to restore into; it must hold no database yet.
    #[command(flatten)]
    pub data: DataArgs,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on (use port 0 to pick a free port; the chosen
    /// address is printed on start).
    #[arg(long, env = "ENLACE_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,

    #[command(flatten)]
    pub data: DataArgs,

    /// Largest WebSocket frame accepted from a client, in bytes; a larger one
    /// closes that connection with code 1009.
    #[arg(long, env = "ENLACE_MAX_FRAME_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub max_frame_bytes: usize,

    #[command(flatten)]
    pub limits: crate::limits::ConnectionLimits,

    /// On an empty data directory, start with the demo roundtable (the MCIG as
    /// published, plus a few records marked as examples). Ignored otherwise.
    #[arg(long, env = "ENLACE_DEMO")]
    pub demo: bool,

    /// The URL people open (e.g. `https://enlace.example.org` behind a TLS
    /// proxy). When it is https, the session cookie is marked `Secure`.
    #[arg(long, env = "ENLACE_PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<url::Url>,

    /// A header your reverse proxy sets to the client's address (e.g.
    /// `X-Forwarded-For`; its last entry is used). Sign-in attempts are then
    /// throttled per reported address instead of per connection. Off by
    /// default: the header is ignored, since any client can write it.
    #[arg(long, env = "ENLACE_TRUSTED_PROXY_HEADER")]
    pub trusted_proxy_header: Option<axum::http::HeaderName>,
}

/// A public URL must be http or https.
fn parse_public_url(text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text).map_err(|error| format!("not a URL: {error}"))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(format!("the public URL must be http or https, not {other}")),
    }
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a person with a role in a workspace.
    Add {
        #[arg(long)]
        email: String,
        /// Display name, as others see it in the history.
        #[arg(long)]
        name: String,
        /// secretariat, presidency, member or observer.
        #[arg(long)]
        role: String,
        /// The person's organisation (an id in the workspace directory).
        #[arg(long)]
        org: Option<String>,
        /// Workspace id or `automerge:` URL (default: the first workspace).
        #[arg(long)]
        workspace: Option<String>,
        /// Read the password from standard input instead of a prompt.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// List people and their roles.
    List {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Change a person's role in a workspace (`none` removes access).
    SetRole {
        #[arg(long)]
        email: String,
        #[arg(long)]
        role: String,
        #[arg(long)]
        workspace: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Disable an account (or enable it again with --enable).
    Disable {
        #[arg(long)]
        email: String,
        #[arg(long)]
        enable: bool,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Print a new bearer token for a person (shown once; stored hashed).
    Create {
        #[arg(long)]
        email: String,
        /// Days until the token expires.
        #[arg(long, default_value_t = crate::accounts::DEFAULT_TOKEN_DAYS)]
        days: u32,
        #[command(flatten)]
        data: DataArgs,
    },
    /// List a person's bearer tokens: id, created, expires, last used (never the secret).
    List {
        #[arg(long)]
        email: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Revoke a bearer token by the id `token list` shows.
    Revoke {
        #[arg(long)]
        id: String,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Write a workspace's signed audit export (every change, receipt and
    /// actor binding) to a file, from a data directory (the server may be
    /// running: the export reads one consistent snapshot).
    Export {
        /// The file to write.
        #[arg(long)]
        out: PathBuf,
        /// Workspace id or `automerge:` URL (default: the first workspace).
        #[arg(long)]
        workspace: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Print the public key that signs this server's audit exports (64 hex
    /// digits), for the secretariat to publish; made on first use.
    Key {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Check an audit export: its signature, every change's hash and
    /// dependencies up to the signed heads, one receipt per change whose
    /// person its actor is bound to. Needs no server and no account.
    Verify {
        /// The export to check.
        file: PathBuf,
        /// The server's public key (as `enlace audit key` prints it). Without
        /// it, the file is checked against the key it names, which shows only
        /// that it is intact relative to that key.
        #[arg(long)]
        key: Option<String>,
    },
}
