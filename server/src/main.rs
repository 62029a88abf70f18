//! The `enlace` binary: parses the command line and runs the server.

use anyhow::Context as _;
use clap::Parser as _;
use enlace_server::config::{Cli, Command};
use enlace_server::{ServerConfig, run};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => {
            let listener = TcpListener::bind(args.addr)
                .await
                .with_context(|| format!("cannot listen on {}", args.addr))?;
            let address = listener.local_addr()?;
            #[allow(clippy::print_stdout)]
            {
                // Scripts and tests read this line to learn the chosen port.
                println!("enlace listening on http://{address}");
            }
            tracing::info!(%address, data = %args.data.display(), "serving");
            let config = ServerConfig {
                data_dir: args.data,
                max_frame_bytes: args.max_frame_bytes,
            };
            run(listener, config, shutdown_signal()).await?;
        }
    }
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for SIGTERM");
                    std::future::pending::<()>().await;
                }
            }
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
