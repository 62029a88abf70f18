//! The account service: people, sign-in, credentials and first-start setup,
//! on top of storage, with the login throttle and live revocation.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::HeaderName;
use enlace_shared::DocumentId;
use enlace_shared::api::{PersonView, TokenView};
use enlace_shared::roles::Role;

use crate::auth::{
    self, AuthError, LiveCredentials, LoginThrottle, SESSION_LIFETIME, ThrottleKey, ThrottleVerdict,
    hash_password, login_password_matches, new_secret, secret_hash, verify_password,
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
/// The longest email an account may have (RFC 5321's path limit).
const MAX_EMAIL_CHARS: usize = 254;
/// The longest display name: it is copied into every receipt and list.
const MAX_DISPLAY_NAME_CHARS: usize = 120;
/// How long a new bearer token stays valid unless told otherwise (`--days`).
pub const DEFAULT_TOKEN_DAYS: u32 = 90;
/// A token's last use is written at most this often, so that using a token
/// costs a write transaction only now and then.
const LAST_USED_GRANULARITY_MS: i64 = 3600 * 1000;

/// How the server is reached and what it may believe about a request.
#[derive(Debug, Clone, Default)]
pub struct AccountSettings {
    /// A header the operator's reverse proxy sets to the client's address
    /// (`--trusted-proxy-header`); `None`: the connection's peer address.
    pub trusted_proxy_header: Option<HeaderName>,
    /// The session cookie carries `Secure` (the public URL is https).
    pub secure_cookies: bool,
}

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
    settings: AccountSettings,
}

impl Accounts {
    pub fn new(storage: Storage) -> Self {
        Self::with_settings(storage, AccountSettings::default())
    }

    pub fn with_settings(storage: Storage, settings: AccountSettings) -> Self {
        Self {
            inner: Arc::new(Inner {
                storage,
                throttle: LoginThrottle::new(LOGIN_FAILURE_LIMIT, THROTTLE_WINDOW),
                live: LiveCredentials::default(),
                settings,
            }),
        }
    }

    pub fn settings(&self) -> &AccountSettings {
        &self.inner.settings
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
        if credential.kind == CredentialKind::Token {
            self.note_token_use(&hash, &credential);
        }
        Ok(Some(Authenticated {
            user,
            credential_hash: hash,
            kind: credential.kind,
        }))
    }

    /// Records that a token was used, at most once per
    /// [`LAST_USED_GRANULARITY_MS`]; a failure to record it refuses nothing.
    fn note_token_use(&self, hash: &str, credential: &CredentialRecord) {
        let now = now_ms();
        if credential
            .last_used_at_ms
            .is_some_and(|last| now - last < LAST_USED_GRANULARITY_MS)
        {
            return;
        }
        if let Err(error) = self.inner.storage.touch_credential(hash, now) {
            tracing::warn!(%error, "cannot record a token's last use");
        }
    }

    /// Checks a password; on success creates a browser session. The attempt
    /// is counted before the password is hashed, and an email without a
    /// usable password costs the same Argon2 verification as one with.
    pub fn login(&self, email: &str, password: &str, address: &str) -> Result<LoginOutcome, ServiceError> {
        let email = email.trim().to_lowercase();
        let email_key = ThrottleKey::email(&email);
        let address_key = ThrottleKey::address(address);
        let keys = [email_key.clone(), address_key.clone()];
        if let ThrottleVerdict::Blocked(retry_after) = self.inner.throttle.reserve(&keys, Instant::now()) {
            return Ok(LoginOutcome::Throttled(retry_after));
        }
        let user = self.inner.storage.user_by_email(&email)?;
        let usable_hash = user
            .as_ref()
            .filter(|user| !user.disabled)
            .and_then(|user| user.password_hash.as_deref());
        let valid = login_password_matches(usable_hash, password, verify_password);
        let Some(user) = user.filter(|_| valid) else {
            let delay = self.inner.throttle.fail(&keys);
            std::thread::sleep(delay);
            return Ok(LoginOutcome::Invalid);
        };
        self.inner.throttle.succeed(&email_key, &address_key);
        let session_secret = self.issue_credential(&user.id, CredentialKind::Session)?;
        Ok(LoginOutcome::SignedIn { user, session_secret })
    }

    /// Creates a credential for a person (a session, or a token of the
    /// default lifetime) and returns its secret (shown once).
    pub fn issue_credential(&self, user_id: &str, kind: CredentialKind) -> Result<String, ServiceError> {
        let lifetime = match kind {
            CredentialKind::Session => SESSION_LIFETIME,
            CredentialKind::Token => days(DEFAULT_TOKEN_DAYS),
        };
        self.issue(user_id, kind, lifetime).map(|(secret, _)| secret)
    }

    /// Creates a bearer token valid for `lifetime_days`; returns its secret
    /// (shown this once, stored only hashed) and how it is listed.
    pub fn issue_token(
        &self,
        user_id: &str,
        lifetime_days: u32,
    ) -> Result<(String, TokenView), ServiceError> {
        if lifetime_days == 0 {
            return Err(ServiceError::Invalid("a token must live at least one day".into()));
        }
        self.issue(user_id, CredentialKind::Token, days(lifetime_days))
    }

    fn issue(
        &self,
        user_id: &str,
        kind: CredentialKind,
        lifetime: Duration,
    ) -> Result<(String, TokenView), ServiceError> {
        let (secret, hash) = new_secret()?;
        let now = now_ms();
        let record = CredentialRecord {
            user_id: user_id.to_owned(),
            kind,
            created_at_ms: now,
            expires_at_ms: Some(now.saturating_add(i64::try_from(lifetime.as_millis()).unwrap_or(i64::MAX))),
            last_used_at_ms: None,
        };
        self.inner.storage.insert_credential(&hash, &record)?;
        Ok((secret, token_view(&hash, &record)))
    }

    /// A person's bearer tokens (never their secrets), oldest first.
    pub fn tokens_of(&self, user_id: &str) -> Result<Vec<TokenView>, StorageError> {
        let mut tokens: Vec<TokenView> = self
            .inner
            .storage
            .credentials_of(user_id, CredentialKind::Token)?
            .iter()
            .map(|(hash, record)| token_view(hash, record))
            .collect();
        tokens.sort_by(|left, right| (left.created_at_ms, &left.id).cmp(&(right.created_at_ms, &right.id)));
        Ok(tokens)
    }

    /// The bearer token listed as `token_id`, with its stored hash.
    pub fn find_token(&self, token_id: &str) -> Result<Option<(String, CredentialRecord)>, StorageError> {
        Ok(self
            .inner
            .storage
            .credentials_of_kind(CredentialKind::Token)?
            .into_iter()
            .find(|(hash, _)| token_id_of(hash) == token_id))
    }

    /// Revokes a token: deleted, and every socket opened with it is closed.
    pub fn revoke_token(&self, credential_hash: &str) -> Result<(), StorageError> {
        self.logout(credential_hash)
    }

    /// Ends a session: deleted, and every socket opened with it is closed.
    pub fn logout(&self, credential_hash: &str) -> Result<(), StorageError> {
        self.inner.storage.delete_credential(credential_hash)?;
        self.inner.live.revoke(credential_hash);
        Ok(())
    }

    pub fn create_account(&self, account: NewAccount) -> Result<UserRecord, ServiceError> {
        let user = new_user_record(account)?;
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

    /// Bearer tokens stored before tokens expired keep working, for
    /// [`DEFAULT_TOKEN_DAYS`] from now; returns how many there were.
    pub fn expire_old_tokens(&self) -> Result<usize, StorageError> {
        let expires =
            now_ms().saturating_add(i64::try_from(days(DEFAULT_TOKEN_DAYS).as_millis()).unwrap_or(i64::MAX));
        self.inner.storage.expire_unexpiring_credentials(expires)
    }

    /// Whether first-start setup is still open.
    pub fn setup_pending(&self) -> Result<bool, StorageError> {
        Ok(self.inner.storage.user_count()? == 0 && self.inner.storage.setting(SETUP_SETTING)?.is_some())
    }

    /// Creates the first secretariat account with the setup secret. The
    /// checks that count (no account yet, the secret pending and unexpired)
    /// and the creation share one write transaction, so of two setups at
    /// once exactly one succeeds.
    pub fn complete_setup(&self, secret: &str, mut account: NewAccount) -> Result<UserRecord, ServiceError> {
        let presented = secret_hash(secret);
        // Checked first outside the transaction too, so that a wrong secret
        // costs no password hashing.
        if self.inner.storage.user_count()? > 0 {
            return Err(ServiceError::Invalid("setup is already complete".into()));
        }
        let pending = self.inner.storage.setting(SETUP_SETTING)?;
        check_setup_secret(pending.as_deref(), &presented).map_err(ServiceError::Invalid)?;
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
        let user = new_user_record(account)?;
        let admitted = self
            .inner
            .storage
            .create_first_user(&user, SETUP_SETTING, |pending| {
                check_setup_secret(pending, &presented)
            });
        match admitted {
            Ok(()) => Ok(user),
            Err(AccountError::SetupRefused(reason)) => Err(ServiceError::Invalid(reason)),
            Err(other) => Err(other.into()),
        }
    }
}

/// Whether the pending setup setting (`"<hash> <expiry ms>"`) admits the
/// secret whose hash is `presented`; if not, why.
fn check_setup_secret(pending: Option<&str>, presented: &str) -> Result<(), String> {
    let mut parts = pending.unwrap_or_default().split(' ');
    let (Some(hash), Some(expires)) = (
        parts.next(),
        parts.next().and_then(|text| text.parse::<i64>().ok()),
    ) else {
        return Err("no setup is pending; restart the server for a new link".into());
    };
    if hash != presented || expires <= now_ms() {
        return Err("the setup link is invalid or has expired".into());
    }
    Ok(())
}

fn days(count: u32) -> Duration {
    Duration::from_secs(u64::from(count) * 24 * 3600)
}

/// The id a token is listed and revoked by: the first 16 hex digits of its
/// stored hash. Derived, so tokens stored before ids existed have one too;
/// it tells nothing about the secret (a prefix of its SHA-256).
pub fn token_id_of(credential_hash: &str) -> String {
    credential_hash.chars().take(16).collect()
}

fn token_view(hash: &str, record: &CredentialRecord) -> TokenView {
    TokenView {
        id: token_id_of(hash),
        user_id: record.user_id.clone(),
        created_at_ms: record.created_at_ms,
        expires_at_ms: record.expires_at_ms,
        last_used_at_ms: record.last_used_at_ms,
    }
}

/// A new person's record from what was asked: checked, password hashed.
fn new_user_record(account: NewAccount) -> Result<UserRecord, ServiceError> {
    let email = account.email.trim().to_lowercase();
    if !email.contains('@') || email.len() < 3 || email.chars().count() > MAX_EMAIL_CHARS {
        return Err(ServiceError::Invalid(format!(
            "`{}` is not an email address",
            email.chars().take(MAX_EMAIL_CHARS).collect::<String>()
        )));
    }
    let display_name = account.display_name.trim();
    if display_name.is_empty() || display_name.chars().count() > MAX_DISPLAY_NAME_CHARS {
        return Err(ServiceError::Invalid(format!(
            "a display name of 1 to {MAX_DISPLAY_NAME_CHARS} characters is required"
        )));
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
    Ok(user)
}

/// The people a person administers: those with a role in a workspace where
/// the administrator's role may manage people. Nobody administers anyone
/// through a workspace they do not manage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminScope {
    workspaces: BTreeSet<String>,
}

impl AdminScope {
    pub fn of(administrator: &UserRecord) -> Self {
        Self {
            workspaces: administrator
                .roles
                .iter()
                .filter(|(_, role)| role.may_manage_people())
                .map(|(workspace, _)| workspace.clone())
                .collect(),
        }
    }

    /// Manages people somewhere.
    pub fn is_empty(&self) -> bool {
        self.workspaces.is_empty()
    }

    pub fn manages(&self, workspace: &DocumentId) -> bool {
        self.workspaces.contains(&workspace.to_string())
    }

    /// `person` has a role in a managed workspace: they may be listed and
    /// given or denied roles in the managed workspaces.
    pub fn sees(&self, person: &UserRecord) -> bool {
        person
            .roles
            .keys()
            .any(|workspace| self.workspaces.contains(workspace))
    }

    /// Every workspace of `person` is managed: account-wide changes
    /// (disabling, revoking their tokens) reach no workspace beyond the scope.
    pub fn covers(&self, person: &UserRecord) -> bool {
        self.sees(person)
            && person
                .roles
                .keys()
                .all(|workspace| self.workspaces.contains(workspace))
    }

    /// `person` as this administrator may see them: roles outside the scope left out.
    pub fn view(&self, person: &UserRecord) -> PersonView {
        let mut view = PersonView::from(person);
        view.roles
            .retain(|workspace, _| self.workspaces.contains(workspace));
        view
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn workspace(byte: u8) -> DocumentId {
        DocumentId::from_bytes([byte; 16])
    }

    fn person(roles: &[(DocumentId, Role)]) -> UserRecord {
        UserRecord {
            id: "p".into(),
            email: "p@x.org".into(),
            display_name: "P".into(),
            organisation_id: None,
            roles: roles
                .iter()
                .map(|(workspace, role)| (workspace.to_string(), *role))
                .collect::<BTreeMap<_, _>>(),
            disabled: false,
            password_hash: None,
            created_at_ms: 0,
        }
    }

    #[test]
    fn a_secretariat_administers_only_the_people_of_its_workspaces() {
        let (a, b) = (workspace(1), workspace(2));
        let scope = AdminScope::of(&person(&[(a, Role::Secretariat), (b, Role::Member)]));
        assert!(scope.manages(&a) && !scope.manages(&b));
        let only_b = person(&[(b, Role::Member)]);
        let both = person(&[(a, Role::Observer), (b, Role::Secretariat)]);
        let only_a = person(&[(a, Role::Member)]);
        let nowhere = person(&[]);
        assert!(!scope.sees(&only_b) && !scope.covers(&only_b));
        assert!(scope.sees(&both) && !scope.covers(&both));
        assert!(scope.sees(&only_a) && scope.covers(&only_a));
        assert!(!scope.sees(&nowhere) && !scope.covers(&nowhere));
        let view = scope.view(&both);
        assert_eq!(view.roles.keys().collect::<Vec<_>>(), [&a.to_string()]);
        assert!(AdminScope::of(&person(&[(a, Role::Presidency), (b, Role::Member)])).is_empty());
    }

    fn accounts() -> (tempfile::TempDir, Accounts) {
        let directory = tempfile::tempdir().expect("tempdir");
        let storage = Storage::open(directory.path()).expect("open");
        (directory, Accounts::new(storage))
    }

    fn new_account(email: &str) -> NewAccount {
        NewAccount {
            email: email.into(),
            display_name: "Ana".into(),
            password: Some("contraseña larga".into()),
            organisation_id: None,
            roles: vec![(workspace(1), Role::Member)],
        }
    }

    #[test]
    fn a_token_stored_without_expiry_or_id_still_works_is_listed_and_then_expires() {
        let (_directory, accounts) = accounts();
        let user = accounts.create_account(new_account("ana@x.org")).expect("user");
        // A record as tokens were stored before they expired or were listed.
        let legacy: CredentialRecord = serde_json::from_str(&format!(
            r#"{{"user_id":"{}","kind":"token","created_at_ms":5,"expires_at_ms":null}}"#,
            user.id
        ))
        .expect("an old record parses");
        let (secret, hash) = new_secret().expect("secret");
        accounts
            .storage()
            .insert_credential(&hash, &legacy)
            .expect("insert");
        let signed_in = accounts.authenticate(&secret).expect("read").expect("valid");
        assert_eq!(signed_in.user.id, user.id);
        let listed = accounts.tokens_of(&user.id).expect("list");
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].id, token_id_of(&hash));
        assert_eq!(listed[0].expires_at_ms, None);
        assert!(listed[0].last_used_at_ms.is_some(), "its use was recorded");
        // On the next start it gets the default lifetime and keeps working.
        assert_eq!(accounts.expire_old_tokens().expect("migrate"), 1);
        let expires = accounts.tokens_of(&user.id).expect("list")[0].expires_at_ms;
        let lifetime = i64::from(DEFAULT_TOKEN_DAYS) * 24 * 3600 * 1000;
        assert!(expires.is_some_and(|expires| expires > now_ms() + lifetime - 60_000));
        assert!(accounts.authenticate(&secret).expect("read").is_some());
        assert_eq!(accounts.expire_old_tokens().expect("migrate"), 0);
        let (found, _) = accounts.find_token(&listed[0].id).expect("find").expect("found");
        accounts.revoke_token(&found).expect("revoke");
        assert!(accounts.authenticate(&secret).expect("read").is_none());
    }

    #[test]
    fn emails_and_display_names_have_a_length_limit() {
        let mut long_email = new_account(&format!("{}@x.org", "a".repeat(250)));
        assert!(new_user_record(long_email.clone()).is_err());
        long_email.email = "ana@x.org".into();
        long_email.display_name = "n".repeat(121);
        assert!(new_user_record(long_email.clone()).is_err());
        long_email.display_name = "n".repeat(120);
        assert!(new_user_record(long_email).is_ok());
    }

    #[test]
    fn new_tokens_expire_after_their_days() {
        let (_directory, accounts) = accounts();
        let user = accounts.create_account(new_account("ana@x.org")).expect("user");
        let (secret, view) = accounts.issue_token(&user.id, 3).expect("token");
        assert_eq!(
            view.expires_at_ms,
            Some(view.created_at_ms + 3 * 24 * 3600 * 1000)
        );
        assert!(accounts.issue_token(&user.id, 0).is_err());
        let hash = secret_hash(&secret);
        let mut record = accounts
            .storage()
            .credential(&hash)
            .expect("read")
            .expect("stored");
        record.expires_at_ms = Some(now_ms() - 1);
        accounts
            .storage()
            .insert_credential(&hash, &record)
            .expect("rewrite");
        assert!(accounts.authenticate(&secret).expect("read").is_none(), "expired");
    }

    #[test]
    fn setup_creates_one_account_only() {
        let (_directory, accounts) = accounts();
        let secret = accounts.begin_setup().expect("setup").expect("pending");
        let first = accounts.complete_setup(&secret, new_account("one@x.org"));
        assert!(first.is_ok(), "{first:?}");
        // The check inside the transaction holds on its own, without the
        // early user count: a second account cannot pass it.
        let late = new_user_record(new_account("two@x.org")).expect("record");
        let refused = accounts
            .storage()
            .create_first_user(&late, SETUP_SETTING, |_| Ok(()));
        assert!(
            matches!(refused, Err(AccountError::SetupRefused(_))),
            "{refused:?}"
        );
        assert_eq!(accounts.storage().user_count().expect("count"), 1);
    }
}
