//! The `user`, `token`, `audit`, `backup` and `restore` subcommands. They
//! open the data directory directly, which only works on a stopped server:
//! the server holds its database file exclusively, so against a running one
//! they fail with a clear message (use the web interface, or the audit
//! export's endpoint). `backup` is the exception: on a running server it
//! asks the server through its admin socket (`crate::admin_socket`).
//! `audit verify` reads only the file it checks; `restore` writes a new data
//! directory.

use enlace_shared::DocumentId;
use enlace_shared::roles::Role;

use std::path::PathBuf;

use crate::accounts::{Accounts, NewAccount, ServiceError};
use crate::audit::export::{self, ExportError};
use crate::audit::verify::{self, VerifyError};
use crate::config::{AuditCommand, BackupArgs, RestoreArgs, TokenCommand, UserCommand};
use crate::storage::{Storage, StorageError, UserRecord};

/// Errors shown to the operator.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("{0}")]
    Usage(String),
    #[error("cannot read the password: {0}")]
    Password(std::io::Error),
    #[error(transparent)]
    Export(#[from] ExportError),
    // The cause is a field named `error`, not `source`: the message already
    // says it, and `{:#}` would print a source a second time.
    #[error("{}: {error}", path.display())]
    File { path: PathBuf, error: std::io::Error },
    #[error("{}: NOT VERIFIED: {error}", path.display())]
    Verify { path: PathBuf, error: Box<VerifyError> },
    #[error(transparent)]
    Backup(#[from] crate::storage::BackupError),
}

/// Runs `enlace backup`: one read transaction of a data directory to a
/// file; on a running server's directory, made by the server and streamed
/// through its admin socket, then checked (checksum, format) before the file
/// takes its name.
pub fn backup(args: &BackupArgs) -> Result<String, CliError> {
    let data = &args.data.data;
    let (summary, how) = match Storage::open_read_only(data) {
        Ok(storage) => (
            storage.backup_to(&args.out, crate::system::now_ms())?,
            "read directly",
        ),
        Err(StorageError::InUse(_)) => {
            let summary = crate::storage::write_atomically(&args.out, |file, temporary| {
                crate::admin_socket::request_backup(data, file).map_err(|error| {
                    crate::storage::BackupError::File {
                        path: crate::admin_socket::socket_path(data),
                        error,
                    }
                })?;
                let (header, bytes) = crate::storage::verify_backup(temporary)?;
                Ok(crate::storage::BackupSummary { header, bytes })
            })?;
            (summary, "made by the running server")
        }
        Err(error) => return Err(error.into()),
    };
    Ok(format!(
        "backed up {} to {} ({how}): {summary}",
        data.display(),
        args.out.display()
    ))
}

/// Runs `enlace restore` into a data directory with no database yet.
pub fn restore(args: &RestoreArgs) -> Result<String, CliError> {
    let summary = crate::storage::restore(&args.input, &args.data.data)?;
    Ok(format!(
        "restored {} (made {}) into {}: {summary}",
        args.input.display(),
        crate::system::iso8601_utc(summary.header.created_at_ms),
        args.data.data.display()
    ))
}

/// The storage of a stopped server and its audit signing key (made on
/// first need). A running server refuses with [`StorageError::InUse`],
/// whose message names the audit export's endpoint.
fn storage_and_key(data: &std::path::Path) -> Result<(Storage, ed25519_dalek::SigningKey), CliError> {
    let storage = Storage::open(data)?;
    let key = export::signing_key(&storage)?;
    Ok((storage, key))
}

fn open(data: &std::path::Path) -> Result<Accounts, CliError> {
    // Like `serve`, an empty data directory starts with the first workspace,
    // so accounts can be created before the server's first start.
    let storage = crate::prepare_storage(data, false).map_err(|error| match error {
        crate::ServerError::Storage(error) => CliError::Storage(error),
        other => CliError::Usage(other.to_string()),
    })?;
    Ok(Accounts::new(storage))
}

fn workspace(storage: &Storage, given: Option<&str>) -> Result<DocumentId, CliError> {
    if let Some(given) = given {
        let id =
            DocumentId::parse(given).map_err(|error| CliError::Usage(format!("--workspace: {error}")))?;
        if !storage.has_workspace(&id)? {
            return Err(CliError::Usage(format!("no workspace {id}")));
        }
        return Ok(id);
    }
    storage
        .workspaces()?
        .into_iter()
        .find_map(|record| record.id)
        .ok_or_else(|| CliError::Usage("no workspace yet: start the server once to create it".into()))
}

fn find_user(storage: &Storage, email: &str) -> Result<UserRecord, CliError> {
    storage
        .user_by_email(email)?
        .ok_or_else(|| CliError::Usage(format!("no account with email {email}")))
}

fn parse_role(text: &str) -> Result<Role, CliError> {
    text.parse().map_err(CliError::Usage)
}

/// Runs a `user` subcommand; returns what to print.
pub fn user(
    command: UserCommand,
    read_password: impl FnOnce(bool) -> std::io::Result<String>,
) -> Result<String, CliError> {
    match command {
        UserCommand::Add {
            email,
            name,
            role,
            org,
            workspace: workspace_arg,
            password_stdin,
            data,
        } => {
            let role = parse_role(&role)?;
            let accounts = open(&data.data)?;
            let workspace = workspace(accounts.storage(), workspace_arg.as_deref())?;
            let password = read_password(password_stdin).map_err(CliError::Password)?;
            let user = accounts.create_account(NewAccount {
                email,
                display_name: name,
                password: Some(password),
                organisation_id: org,
                roles: vec![(workspace, role)],
            })?;
            Ok(format!(
                "added {} ({}) as {role} of {workspace}",
                user.email, user.id
            ))
        }
        UserCommand::List { data } => {
            let accounts = open(&data.data)?;
            let mut lines = Vec::new();
            for user in accounts.storage().users()? {
                let roles: Vec<String> = user
                    .roles
                    .iter()
                    .map(|(workspace, role)| format!("{role}@{workspace}"))
                    .collect();
                lines.push(format!(
                    "{}\t{}\t{}\t{}{}",
                    user.email,
                    user.display_name,
                    user.organisation_id.as_deref().unwrap_or("-"),
                    roles.join(","),
                    if user.disabled { "\tdisabled" } else { "" }
                ));
            }
            Ok(lines.join("\n"))
        }
        UserCommand::SetRole {
            email,
            role,
            workspace: workspace_arg,
            data,
        } => {
            let role = if role == "none" {
                None
            } else {
                Some(parse_role(&role)?)
            };
            let accounts = open(&data.data)?;
            let workspace = workspace(accounts.storage(), workspace_arg.as_deref())?;
            let user = find_user(accounts.storage(), &email)?;
            accounts.set_role(&user.id, &workspace, role)?;
            Ok(format!(
                "{email}: {} in {workspace}",
                role.map_or("no access".to_owned(), |role| role.to_string())
            ))
        }
        UserCommand::Disable { email, enable, data } => {
            let accounts = open(&data.data)?;
            let user = find_user(accounts.storage(), &email)?;
            accounts.set_disabled(&user.id, !enable)?;
            Ok(format!(
                "{email}: {}",
                if enable { "enabled" } else { "disabled" }
            ))
        }
    }
}

/// Runs a `token` subcommand; returns what to print. `create` prints the
/// secret alone (scripts read it), the one time it is ever shown.
pub fn token(command: TokenCommand) -> Result<String, CliError> {
    match command {
        TokenCommand::Create { email, days, data } => {
            let accounts = open(&data.data)?;
            let user = find_user(accounts.storage(), &email)?;
            let (secret, _) = accounts.issue_token(&user.id, days)?;
            Ok(secret)
        }
        TokenCommand::List { email, data } => {
            let accounts = open(&data.data)?;
            let user = find_user(accounts.storage(), &email)?;
            let lines: Vec<String> = accounts
                .tokens_of(&user.id)?
                .iter()
                .map(|token| {
                    format!(
                        "{}\tcreated {}\texpires {}\tlast used {}",
                        token.id,
                        time(Some(token.created_at_ms)),
                        time(token.expires_at_ms),
                        time(token.last_used_at_ms),
                    )
                })
                .collect();
            Ok(lines.join("\n"))
        }
        TokenCommand::Revoke { id, data } => {
            let accounts = open(&data.data)?;
            let (hash, token) = accounts
                .find_token(&id)?
                .ok_or_else(|| CliError::Usage(format!("no token {id}")))?;
            accounts.revoke_token(&hash)?;
            let owner = accounts
                .storage()
                .user(&token.user_id)?
                .map_or(token.user_id, |user| user.email);
            Ok(format!("revoked token {id} of {owner}"))
        }
    }
}

/// Runs an `audit` subcommand; returns what to print. A file that does not
/// verify is an error (the binary exits non-zero).
pub fn audit(command: AuditCommand) -> Result<String, CliError> {
    match command {
        AuditCommand::Export {
            out,
            workspace: workspace_arg,
            data,
        } => {
            let (storage, key) = storage_and_key(&data.data)?;
            let workspace = workspace(&storage, workspace_arg.as_deref())?;
            let file = export::export_workspace(&storage, &workspace, &key, crate::system::now_ms())?;
            std::fs::write(&out, &file).map_err(|error| CliError::File {
                path: out.clone(),
                error,
            })?;
            Ok(format!(
                "wrote the audit export of {workspace} to {} ({} bytes), signed by {}",
                out.display(),
                file.len(),
                export::public_key_hex(&key)
            ))
        }
        AuditCommand::Key { data } => {
            let (_, key) = storage_and_key(&data.data)?;
            Ok(export::public_key_hex(&key))
        }
        AuditCommand::Verify { file: path, key } => {
            let failed = |error| CliError::Verify {
                path: path.clone(),
                error: Box::new(error),
            };
            let trusted = key
                .as_deref()
                .map(verify::parse_public_key)
                .transpose()
                .map_err(failed)?;
            let file = std::fs::read(&path).map_err(|error| CliError::File {
                path: path.clone(),
                error,
            })?;
            let summary = verify::verify(&file, trusted.as_ref()).map_err(failed)?;
            Ok(format!("{}: verified\n{summary}", path.display()))
        }
    }
}

/// A time in ms since the epoch as an HTTP date (UTC), or `never`.
fn time(ms: Option<i64>) -> String {
    ms.and_then(|ms| u64::try_from(ms).ok()).map_or_else(
        || "never".to_owned(),
        |ms| httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms)),
    )
}
