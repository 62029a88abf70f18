//! People, credentials, actor bindings and receipt records.

use std::collections::BTreeMap;

use enlace_shared::DocumentId;
use enlace_shared::api::{PersonView, Receipt};
use enlace_shared::roles::Role;
use redb::{ReadableTable, ReadableTableMetadata};
use serde::{Deserialize, Serialize};

use super::tables::{ACTORS, CREDENTIALS, RECEIPTS, SETTINGS, USERS, USERS_BY_EMAIL};
use super::{Storage, StorageError, database_error};

/// A person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    pub id: String,
    pub email: String,
    pub display_name: String,
    /// An organisation id in the workspace directory.
    pub organisation_id: Option<String>,
    /// Workspace id (bs58check) → role.
    pub roles: BTreeMap<String, Role>,
    pub disabled: bool,
    /// Argon2id PHC string; never the password.
    pub password_hash: Option<String>,
    pub created_at_ms: i64,
}

impl UserRecord {
    pub fn role_in(&self, workspace: &DocumentId) -> Option<Role> {
        self.roles.get(&workspace.to_string()).copied()
    }
}

/// A person as the API shows them: everything but the password hash.
impl From<&UserRecord> for PersonView {
    fn from(user: &UserRecord) -> Self {
        Self {
            id: user.id.clone(),
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            organisation_id: user.organisation_id.clone(),
            roles: user.roles.clone(),
            disabled: user.disabled,
        }
    }
}

/// What a credential grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    /// A browser session cookie (HttpOnly, SameSite=Strict).
    Session,
    /// A bearer token for scripts.
    Token,
}

/// A stored credential, keyed by the SHA-256 of its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialRecord {
    pub user_id: String,
    pub kind: CredentialKind,
    pub created_at_ms: i64,
    /// `None` only in bearer tokens stored before tokens expired, until the
    /// server's next start gives them the default lifetime from then.
    pub expires_at_ms: Option<i64>,
    /// When a bearer token was last used (to the hour); absent in records
    /// written before it was kept.
    #[serde(default)]
    pub last_used_at_ms: Option<i64>,
}

fn corrupt(error: impl std::fmt::Display) -> StorageError {
    StorageError::CorruptRecord(error.to_string())
}

fn to_json(value: &impl Serialize) -> Result<String, StorageError> {
    serde_json::to_string(value).map_err(corrupt)
}

/// Why an account operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("an account with email {0} already exists")]
    EmailTaken(String),
    #[error("no account with {0}")]
    NoSuchUser(String),
    #[error("{0}")]
    SetupRefused(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl Storage {
    pub fn user_count(&self) -> Result<u64, StorageError> {
        let transaction = self.begin_read()?;
        let users = transaction.open_table(USERS).map_err(database_error)?;
        users.len().map_err(database_error)
    }

    /// Adds a person; emails are unique, case-insensitively.
    pub fn create_user(&self, user: &UserRecord) -> Result<(), AccountError> {
        let transaction = self.begin_write()?;
        insert_user(&transaction, user)?;
        transaction.commit().map_err(database_error)?;
        Ok(())
    }

    /// Adds the first person, in one write transaction with its conditions:
    /// no account exists yet, and `admit` accepts the setting `setup_key`
    /// (the pending setup secret), which is then removed. Two setups at once
    /// are serialised by redb's single writer, so only one can pass.
    pub fn create_first_user(
        &self,
        user: &UserRecord,
        setup_key: &str,
        admit: impl FnOnce(Option<&str>) -> Result<(), String>,
    ) -> Result<(), AccountError> {
        let transaction = self.begin_write()?;
        {
            let users = transaction.open_table(USERS).map_err(database_error)?;
            if !users.is_empty().map_err(database_error)? {
                return Err(AccountError::SetupRefused("setup is already complete".into()));
            }
            let mut settings = transaction.open_table(SETTINGS).map_err(database_error)?;
            let pending = settings
                .get(setup_key)
                .map_err(database_error)?
                .map(|value| value.value().to_owned());
            admit(pending.as_deref()).map_err(AccountError::SetupRefused)?;
            settings.remove(setup_key).map_err(database_error)?;
        }
        insert_user(&transaction, user)?;
        transaction.commit().map_err(database_error)?;
        Ok(())
    }

    pub fn user(&self, user_id: &str) -> Result<Option<UserRecord>, StorageError> {
        let transaction = self.begin_read()?;
        let users = transaction.open_table(USERS).map_err(database_error)?;
        users
            .get(user_id)
            .map_err(database_error)?
            .map(|json| serde_json::from_str(json.value()).map_err(corrupt))
            .transpose()
    }

    pub fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>, StorageError> {
        let email = email.trim().to_lowercase();
        let user_id = {
            let transaction = self.begin_read()?;
            let by_email = transaction.open_table(USERS_BY_EMAIL).map_err(database_error)?;
            let found = by_email.get(email.as_str()).map_err(database_error)?;
            match found {
                Some(id) => id.value().to_owned(),
                None => return Ok(None),
            }
        };
        self.user(&user_id)
    }

    pub fn users(&self) -> Result<Vec<UserRecord>, StorageError> {
        let transaction = self.begin_read()?;
        let users = transaction.open_table(USERS).map_err(database_error)?;
        let mut all = Vec::new();
        for entry in users.iter().map_err(database_error)? {
            let (_, json) = entry.map_err(database_error)?;
            all.push(serde_json::from_str::<UserRecord>(json.value()).map_err(corrupt)?);
        }
        all.sort_by(|left, right| left.email.cmp(&right.email));
        Ok(all)
    }

    /// Changes a person in one transaction and returns the new record.
    pub fn update_user(
        &self,
        user_id: &str,
        change: impl FnOnce(&mut UserRecord),
    ) -> Result<UserRecord, AccountError> {
        let transaction = self.begin_write()?;
        let updated = {
            let mut users = transaction.open_table(USERS).map_err(database_error)?;
            let mut user: UserRecord = match users.get(user_id).map_err(database_error)? {
                Some(json) => serde_json::from_str(json.value()).map_err(corrupt)?,
                None => return Err(AccountError::NoSuchUser(user_id.to_owned())),
            };
            change(&mut user);
            users
                .insert(user_id, to_json(&user)?.as_str())
                .map_err(database_error)?;
            user
        };
        transaction.commit().map_err(database_error)?;
        Ok(updated)
    }

    pub fn insert_credential(
        &self,
        secret_hash: &str,
        record: &CredentialRecord,
    ) -> Result<(), StorageError> {
        let transaction = self.begin_write()?;
        {
            let mut credentials = transaction.open_table(CREDENTIALS).map_err(database_error)?;
            credentials
                .insert(secret_hash, to_json(record)?.as_str())
                .map_err(database_error)?;
        }
        transaction.commit().map_err(database_error)?;
        Ok(())
    }

    pub fn credential(&self, secret_hash: &str) -> Result<Option<CredentialRecord>, StorageError> {
        let transaction = self.begin_read()?;
        let credentials = transaction.open_table(CREDENTIALS).map_err(database_error)?;
        credentials
            .get(secret_hash)
            .map_err(database_error)?
            .map(|json| serde_json::from_str(json.value()).map_err(corrupt))
            .transpose()
    }

    /// Every credential of `kind`, with the hash it is stored under.
    pub fn credentials_of_kind(
        &self,
        kind: CredentialKind,
    ) -> Result<Vec<(String, CredentialRecord)>, StorageError> {
        let transaction = self.begin_read()?;
        let credentials = transaction.open_table(CREDENTIALS).map_err(database_error)?;
        let mut found = Vec::new();
        for entry in credentials.iter().map_err(database_error)? {
            let (hash, json) = entry.map_err(database_error)?;
            let record: CredentialRecord = serde_json::from_str(json.value()).map_err(corrupt)?;
            if record.kind == kind {
                found.push((hash.value().to_owned(), record));
            }
        }
        Ok(found)
    }

    /// One person's credentials of `kind`.
    pub fn credentials_of(
        &self,
        user_id: &str,
        kind: CredentialKind,
    ) -> Result<Vec<(String, CredentialRecord)>, StorageError> {
        let mut found = self.credentials_of_kind(kind)?;
        found.retain(|(_, record)| record.user_id == user_id);
        Ok(found)
    }

    /// Gives every credential without an expiry this one; returns how many.
    pub fn expire_unexpiring_credentials(&self, expires_at_ms: i64) -> Result<usize, StorageError> {
        let transaction = self.begin_write()?;
        let mut changed = 0;
        {
            let mut credentials = transaction.open_table(CREDENTIALS).map_err(database_error)?;
            let mut unexpiring = Vec::new();
            for entry in credentials.iter().map_err(database_error)? {
                let (hash, json) = entry.map_err(database_error)?;
                let record: CredentialRecord = serde_json::from_str(json.value()).map_err(corrupt)?;
                if record.expires_at_ms.is_none() {
                    unexpiring.push((hash.value().to_owned(), record));
                }
            }
            for (hash, mut record) in unexpiring {
                record.expires_at_ms = Some(expires_at_ms);
                credentials
                    .insert(hash.as_str(), to_json(&record)?.as_str())
                    .map_err(database_error)?;
                changed += 1;
            }
        }
        transaction.commit().map_err(database_error)?;
        Ok(changed)
    }

    /// Records a credential's last use (if it still exists).
    pub fn touch_credential(&self, secret_hash: &str, now_ms: i64) -> Result<(), StorageError> {
        let transaction = self.begin_write()?;
        {
            let mut credentials = transaction.open_table(CREDENTIALS).map_err(database_error)?;
            let existing = credentials
                .get(secret_hash)
                .map_err(database_error)?
                .map(|json| serde_json::from_str::<CredentialRecord>(json.value()).map_err(corrupt))
                .transpose()?;
            if let Some(mut record) = existing {
                record.last_used_at_ms = Some(now_ms);
                credentials
                    .insert(secret_hash, to_json(&record)?.as_str())
                    .map_err(database_error)?;
            }
        }
        transaction.commit().map_err(database_error)?;
        Ok(())
    }

    pub fn delete_credential(&self, secret_hash: &str) -> Result<(), StorageError> {
        let transaction = self.begin_write()?;
        {
            let mut credentials = transaction.open_table(CREDENTIALS).map_err(database_error)?;
            credentials.remove(secret_hash).map_err(database_error)?;
        }
        transaction.commit().map_err(database_error)?;
        Ok(())
    }

    /// The user an actor id is bound to, if any.
    pub fn actor_owner(&self, actor: &[u8]) -> Result<Option<String>, StorageError> {
        let transaction = self.begin_read()?;
        let actors = transaction.open_table(ACTORS).map_err(database_error)?;
        Ok(actors
            .get(actor)
            .map_err(database_error)?
            .map(|user| user.value().to_owned()))
    }

    /// Receipts of a document, newest first: at most `limit` with a receipt
    /// sequence number below `before` (all if `None`).
    pub fn receipts(
        &self,
        document_id: &DocumentId,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<(u64, Receipt)>, StorageError> {
        let transaction = self.begin_read()?;
        let receipts = transaction.open_table(RECEIPTS).map_err(database_error)?;
        let end = before.unwrap_or(u64::MAX);
        let mut page = Vec::new();
        for entry in receipts
            .range((document_id.as_bytes(), 0u64)..(document_id.as_bytes(), end))
            .map_err(database_error)?
            .rev()
            .take(limit)
        {
            let (key, json) = entry.map_err(database_error)?;
            page.push((
                key.value().1,
                serde_json::from_str(json.value()).map_err(corrupt)?,
            ));
        }
        Ok(page)
    }

    pub fn setting(&self, key: &str) -> Result<Option<String>, StorageError> {
        let transaction = self.begin_read()?;
        let settings = transaction.open_table(SETTINGS).map_err(database_error)?;
        Ok(settings
            .get(key)
            .map_err(database_error)?
            .map(|value| value.value().to_owned()))
    }

    pub fn set_setting(&self, key: &str, value: Option<&str>) -> Result<(), StorageError> {
        let transaction = self.begin_write()?;
        {
            let mut settings = transaction.open_table(SETTINGS).map_err(database_error)?;
            match value {
                Some(value) => {
                    settings.insert(key, value).map_err(database_error)?;
                }
                None => {
                    settings.remove(key).map_err(database_error)?;
                }
            }
        }
        transaction.commit().map_err(database_error)?;
        Ok(())
    }
}

/// Inserts a person and their email inside `transaction`; emails are
/// unique, case-insensitively.
fn insert_user(transaction: &redb::WriteTransaction, user: &UserRecord) -> Result<(), AccountError> {
    let email = user.email.trim().to_lowercase();
    let mut by_email = transaction.open_table(USERS_BY_EMAIL).map_err(database_error)?;
    if by_email.get(email.as_str()).map_err(database_error)?.is_some() {
        return Err(AccountError::EmailTaken(email));
    }
    by_email
        .insert(email.as_str(), user.id.as_str())
        .map_err(database_error)?;
    let mut users = transaction.open_table(USERS).map_err(database_error)?;
    users
        .insert(user.id.as_str(), to_json(user)?.as_str())
        .map_err(database_error)?;
    Ok(())
}

/// Writes actor bindings and receipts inside the group-commit transaction;
/// returns the sequence number of the first receipt written.
pub(super) fn record_provenance(
    transaction: &redb::WriteTransaction,
    document_id: &DocumentId,
    bindings: &[(Vec<u8>, String)],
    receipts: &[Receipt],
) -> Result<u64, StorageError> {
    let mut actors = transaction.open_table(ACTORS).map_err(database_error)?;
    for (actor, user_id) in bindings {
        if actors.get(actor.as_slice()).map_err(database_error)?.is_none() {
            actors
                .insert(actor.as_slice(), user_id.as_str())
                .map_err(database_error)?;
        }
    }
    let mut table = transaction.open_table(RECEIPTS).map_err(database_error)?;
    let first = table
        .range((document_id.as_bytes(), 0u64)..=(document_id.as_bytes(), u64::MAX))
        .map_err(database_error)?
        .next_back()
        .transpose()
        .map_err(database_error)?
        .map_or(0, |(key, _)| key.value().1 + 1);
    for (seq, receipt) in (first..).zip(receipts) {
        table
            .insert((document_id.as_bytes(), seq), to_json(receipt)?.as_str())
            .map_err(database_error)?;
    }
    Ok(first)
}
