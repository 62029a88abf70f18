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
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on (use port 0 to pick a free port; the chosen
    /// address is printed on start).
    #[arg(long, env = "ENLACE_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,

    /// Data directory holding the redb database file (created if missing).
    #[arg(long, env = "ENLACE_DATA", default_value = "./enlace-data")]
    pub data: PathBuf,

    /// Largest WebSocket frame accepted from a client, in bytes; a larger one
    /// closes that connection with code 1009.
    #[arg(long, env = "ENLACE_MAX_FRAME_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub max_frame_bytes: usize,
}
