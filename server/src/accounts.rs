//! The account service: people, sign-in, credentials and first-start setup,
//! on top of storage, with the login throttle and live revocation.

use std::sync::Arc;
use std::time::{Duration, Instant};

use enlace_shared::DocumentId;
use enlace_shared::roles::Role;

use crate::auth::{
    self, AuthError, LiveCredentials, LoginThrottle, SESSION_LIFETIME, ThrottleVerdict, hash_password,
    new_secret, secret_hash, verify_password,
};
use crate::storage::{AccountError, CredentialKind, CredentialRecord, Storage, StorageError, UserRecord};
use crate::system::now_ms;

/// The settings key of the pending first-start setup token.
const SETUP_SETTING: &str = "setup";
/// How long the first-start setup link stays valid.
pub const SETUP_LIFETIME: Duration = Duration::from_secs(3600);
/// Failed logins allowed per email or address within [`THROTTLE_WINDOW`].
pub const LOGIN_FAILURE_LIMIT: u32 = 5;
pub const THROTTLE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Errors of the account service.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("{0}")]
    Invalid(String),
}

/// The result of a login attempt.
#[derive(Debug)]
pub enum LoginOutcome {
    /// Signed in: the session secret for the cookie.
    SignedIn {
        user: UserRecord,
        session_secret: String,
    },
    /// Wrong email or password (after the throttle's delay).
    Invalid,
    /// Too many failures: try again after this long.
    Throttled(Duration),
}

/// A person authenticated by a credential.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub user: UserRecord,
    pub credential_hash: String,
    pub kind: CredentialKind,
}

/// What a new account needs.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub email: String,
    pub display_name: String,
    pub password: Option<String>,
    pub organisation_id: Option<String>,
    pub roles: Vec<(DocumentId, Role)>,
}

/// Cheap to clone; shared by every request handler.
#[derive(Clone)]
pub struct Accounts {
    inner: Arc<Inner>,
}

struct Inner {
    storage: Storage,
    throttle: LoginThrottle,
    live: LiveCredentials,
}

impl Accounts {
    pub fn new(storage: Storage) -> Self {
        Self {
            inner: Arc::new(Inner {
                storage,
                throttle: LoginThrottle::new(LOGIN_FAILURE_LIMIT, THROTTLE_WINDOW),
                live: LiveCredentials::default(),
            }),
        }
    }

    pub fn storage(&self) -> &Storage {
        &self.inner.storage
    }

    pub fn live(&self) -> &LiveCredentials {
        &self.inner.live
    }

    /// The person behind a secret (cookie or token), if it is valid, unexpired
    /// and their account enabled.
    pub fn authenticate(&self, secret: &str) -> Result<Option<Authenticated>, StorageError> {
        let hash = secret_hash(secret);
        let Some(credential) = self.inner.storage.credential(&hash)? else {
            return Ok(None);
        };
        if credential
            .expires_at_ms
            .is_some_and(|expires| expires <= now_ms())
        {
            return Ok(None);
        }
        let Some(user) = self.inner.storage.user(&credential.user_id)? else {
            return Ok(None);
        };
        if user.disabled {
            return Ok(None);
        }
        Ok(Some(Authenticated {
            user,
            credential_hash: hash,
            kind: credential.kind,
        }))
    }

    /// Checks a password; on success creates a browser session.
    pub fn login(&self, email: &str, password: &str, address: &str) -> Result<LoginOutcome, ServiceError> {
        let email = email.trim().to_lowercase();
        let keys = [email.as_str(), address];
        if let ThrottleVerdict::Blocked(retry_after) = self.inner.throttle.check(&keys, Instant::now()) {
            return Ok(LoginOutcome::Throttled(retry_after));
        }
        let user = self.inner.storage.user_by_email(&email)?;
        let valid = user.as_ref().is_some_and(|user| {
            !user.disabled
                && user
                    .password_hash
                    .as_deref()
                    .is_some_and(|stored| verify_password(password, stored))
        });
        let Some(user) = user.filter(|_| valid) else {
            let delay = self.inner.throttle.fail(&keys, Instant::now());
            std::thread::sleep(delay);
            return Ok(LoginOutcome::Invalid);
        };
        self.inner.throttle.succeed(&keys);
        let session_secret = self.issue_credential(&user.id, CredentialKind::Session)?;
        Ok(LoginOutcome::SignedIn { user, session_secret })
    }

    /// Creates a credential for a person and returns its secret (shown once).
    pub fn issue_credential(&self, user_id: &str, kind: CredentialKind) -> Result<String, ServiceError> {
        let (secret, hash) = new_secret()?;
        let now = now_ms();
        let expires_at_ms = match kind {
            CredentialKind::Session => {
                Some(now + i64::try_from(SESSION_LIFETIME.as_millis()).unwrap_or(i64::MAX))
            }
            CredentialKind::Token => None,
        };
        self.inner.storage.insert_credential(
            &hash,
            &CredentialRecord {
                user_id: user_id.to_owned(),
                kind,
                created_at_ms: now,
                expires_at_ms,
            },
        )?;
        Ok(secret)
    }

    /// Ends a session: deleted, and every socket opened with it is closed.
    pub fn logout(&self, credential_hash: &str) -> Result<(), StorageError> {
        self.inner.storage.delete_credential(credential_hash)?;
        self.inner.live.revoke(credential_hash);
        Ok(())
    }

    pub fn create_account(&self, account: NewAccount) -> Result<UserRecord, ServiceError> {
        let email = account.email.trim().to_lowercase();
        if !email.contains('@') || email.len() < 3 {
            return Err(ServiceError::Invalid(format!(
                "`{email}` is not an email address"
            )));
        }
        if account.display_name.trim().is_empty() {
            return Err(ServiceError::Invalid("a display name is required".into()));
        }
        if let Some(password) = &account.password
            && password.chars().count() < 10
        {
            return Err(ServiceError::Invalid(
                "passwords need at least 10 characters".into(),
            ));
        }
        let user = UserRecord {
            id: auth::new_user_id()?,
            email,
            display_name: account.display_name.trim().to_owned(),
            organisation_id: account.organisation_id,
            roles: account
                .roles
                .into_iter()
                .map(|(workspace, role)| (workspace.to_string(), role))
                .collect(),
            disabled: false,
            password_hash: account.password.as_deref().map(hash_password).transpose()?,
            created_at_ms: now_ms(),
        };
        self.inner.storage.create_user(&user)?;
        Ok(user)
    }

    /// Sets (or, with `None`, removes) a person's role in a workspace; open
    /// sockets are held to the new role from their next change on.
    pub fn set_role(
        &self,
        user_id: &str,
        workspace: &DocumentId,
        role: Option<Role>,
    ) -> Result<UserRecord, ServiceError> {
        let user = self.inner.storage.update_user(user_id, |user| match role {
            Some(role) => {
                user.roles.insert(workspace.to_string(), role);
            }
            None => {
                user.roles.remove(&workspace.to_string());
            }
        })?;
        self.inner.live.user_changed(&user);
        Ok(user)
    }

    /// Disables (or re-enables) an account; a disabled person's sockets close at once.
    pub fn set_disabled(&self, user_id: &str, disabled: bool) -> Result<UserRecord, ServiceError> {
        let user = self
            .inner
            .storage
            .update_user(user_id, |user| user.disabled = disabled)?;
        self.inner.live.user_changed(&user);
        Ok(user)
    }

    /// On a first start with no accounts: a one-time setup secret, valid for
    /// an hour, replacing any earlier one. `None` once accounts exist.
    pub fn begin_setup(&self) -> Result<Option<String>, ServiceError> {
        if self.inner.storage.user_count()? > 0 {
            self.inner.storage.set_setting(SETUP_SETTING, None)?;
            return Ok(None);
        }
        let (secret, hash) = new_secret()?;
        let expires = now_ms() + i64::try_from(SETUP_LIFETIME.as_millis()).unwrap_or(i64::MAX);
        self.inner
            .storage
            .set_setting(SETUP_SETTING, Some(&format!("{hash} {expires}")))?;
        Ok(Some(secret))
    }

    /// Whether first-start setup is still open.
    pub fn setup_pending(&self) -> Result<bool, StorageError> {
        Ok(self.inner.storage.user_count()? == 0 && self.inner.storage.setting(SETUP_SETTING)?.is_some())
    }

    /// Creates the first secretariat account with the setup secret.
    pub fn complete_setup(&self, secret: &str, mut account: NewAccount) -> Result<UserRecord, ServiceError> {
        if self.inner.storage.user_count()? > 0 {
            return Err(ServiceError::Invalid("setup is already complete".into()));
        }
        let stored = self.inner.storage.setting(SETUP_SETTING)?.unwrap_or_default();
        let mut parts = stored.split(' ');
        let (Some(hash), Some(expires)) = (
            parts.next(),
            parts.next().and_then(|text| text.parse::<i64>().ok()),
        ) else {
            return Err(ServiceError::Invalid(
                "no setup is pending; restart the server for a new link".into(),
            ));
        };
        if hash != secret_hash(secret) || expires <= now_ms() {
            return Err(ServiceError::Invalid(
                "the setup link is invalid or has expired".into(),
            ));
        }
        if account.password.is_none() {
            return Err(ServiceError::Invalid("a password is required".into()));
        }
        account.roles = self
            .inner
            .storage
            .workspaces()?
            .into_iter()
            .filter_map(|workspace| workspace.id)
            .map(|id| (id, Role::Secretariat))
            .collect();
        let user = self.create_account(account)?;
        self.inner.storage.set_setting(SETUP_SETTING, None)?;
        Ok(user)
    }
}
