//! The `enlace` binary: parses the command line and runs the server.

use anyhow::Context as _;
use clap::Parser as _;
use enlace_server::accounts::AccountSettings;
use enlace_server::config::{Cli, Command};
use enlace_server::{ServerConfig, run};
use enlace_server::{cli, logging};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run_command().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            // `{:#}` prints the chain of causes on one line, without a backtrace.
            #[allow(clippy::print_stderr)]
            {
                eprintln!("enlace: {error:#}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run_command() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(logging::filter(std::env::var("RUST_LOG").ok().as_deref()))
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
            tracing::info!(%address, data = %args.data.data.display(), "serving");
            let config = ServerConfig {
                data_dir: args.data.data,
                max_frame_bytes: args.max_frame_bytes,
                limits: args.limits,
                demo: args.demo,
                accounts: AccountSettings {
                    secure_cookies: args
                        .public_url
                        .as_ref()
                        .is_some_and(|url| url.scheme() == "https"),
                    trusted_proxy_header: args.trusted_proxy_header,
                },
            };
            run(listener, config, shutdown_signal()).await?;
        }
        Command::Backup(args) => print(&cli::backup(&args)?),
        Command::Restore(args) => print(&cli::restore(&args)?),
        Command::User(command) => print(&cli::user(command, read_password)?),
        Command::Token(command) => print(&cli::token(command)?),
        Command::Audit(command) => print(&cli::audit(command)?),
    }
    Ok(())
}

#[allow(clippy::print_stdout)]
fn print(text: &str) {
    if !text.is_empty() {
        println!("{text}");
    }
}

/// The new account's password: from standard input, or a prompt without echo.
fn read_password(from_stdin: bool) -> std::io::Result<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    } else {
        rpassword::prompt_password("Password: ")
    }
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
