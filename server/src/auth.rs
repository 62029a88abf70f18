//! Passwords, credentials, login throttling and live revocation.
//!
//! Passwords are hashed with Argon2id. Session cookies and bearer tokens are
//! random secrets handed to the client once; the server stores only their
//! SHA-256, so a copy of the database grants no access. A request presents
//! its secret in a header, a cookie or (on `/sync`) the query string:
//! [`credential_from`] finds it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::http::{HeaderMap, header};
use enlace_shared::ids::hex;
use sha2::{Digest, Sha256};
use tokio::sync::watch;

use crate::storage::UserRecord;
use crate::system::{NoRandomness, random_bytes};

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "enlace_session";
/// How long a browser session lasts.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(14 * 24 * 3600);

/// Errors of the authentication helpers.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error(transparent)]
    Random(#[from] NoRandomness),
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// Hashes a password with Argon2id and a fresh random salt (PHC string).
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    let salt =
        SaltString::encode_b64(&random_bytes::<16>()?).map_err(|error| AuthError::Hash(error.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| AuthError::Hash(error.to_string()))
}

/// Checks a password against a stored PHC string.
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A fresh secret (for a cookie or a token) and the hash under which it is stored.
pub fn new_secret() -> Result<(String, String), AuthError> {
    let secret = hex(&random_bytes::<32>()?);
    let hash = secret_hash(&secret);
    Ok((secret, hash))
}

/// The stored form of a secret.
pub fn secret_hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// A fresh user id.
pub fn new_user_id() -> Result<String, AuthError> {
    Ok(hex(&random_bytes::<16>()?))
}

/// Where a request's credential came from; cookies need an Origin check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialSource {
    Cookie,
    Bearer,
    /// `?access_token=` on `/sync`, for WebSocket clients that cannot set headers.
    Query,
}

/// The secret in a request: `Authorization: Bearer`, then `query_token`
/// (the `access_token` of `/sync`), then the session cookie.
pub fn credential_from(headers: &HeaderMap, query_token: Option<&str>) -> Option<(String, CredentialSource)> {
    if let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
    {
        return Some((token.trim().to_owned(), CredentialSource::Bearer));
    }
    if let Some(token) = query_token.filter(|token| !token.is_empty()) {
        return Some((token.to_owned(), CredentialSource::Query));
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| (value.to_owned(), CredentialSource::Cookie))
}

/// Failed logins are counted per email and per address; past the limit the
/// answer is 429 until the window passes, and every failure is slowed down.
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
    limit: u32,
    window: Duration,
}

/// What the throttle says about a login attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleVerdict {
    Allowed,
    /// Too many failures: retry after this long.
    Blocked(Duration),
}

impl LoginThrottle {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            failures: Mutex::new(HashMap::new()),
            limit,
            window,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (u32, Instant)>> {
        // A poisoned map of counters is still a valid map of counters.
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether any of `keys` (email, address) is over the limit now.
    pub fn check(&self, keys: &[&str], now: Instant) -> ThrottleVerdict {
        let mut failures = self.lock();
        failures.retain(|_, (_, first)| now.duration_since(*first) < self.window);
        for key in keys {
            if let Some((count, first)) = failures.get(*key)
                && *count >= self.limit
            {
                return ThrottleVerdict::Blocked(self.window.saturating_sub(now.duration_since(*first)));
            }
        }
        ThrottleVerdict::Allowed
    }

    /// Records a failure; returns how long to delay the answer.
    pub fn fail(&self, keys: &[&str], now: Instant) -> Duration {
        let mut failures = self.lock();
        let mut worst = 0;
        for key in keys {
            let entry = failures.entry((*key).to_owned()).or_insert((0, now));
            entry.0 += 1;
            worst = worst.max(entry.0);
        }
        Duration::from_millis(100 * u64::from(worst.min(20)))
    }

    pub fn succeed(&self, keys: &[&str]) {
        let mut failures = self.lock();
        for key in keys {
            failures.remove(*key);
        }
    }
}

/// What an open connection knows about its person, updated live.
/// `None` means the credential was revoked or the account disabled.
pub type LiveUser = watch::Receiver<Option<UserRecord>>;

/// Credential hash → (user id, the channel its sockets follow).
type CredentialChannels = HashMap<String, (String, watch::Sender<Option<UserRecord>>)>;

/// Every open connection's credential, so that logging out, disabling an
/// account or changing a role reaches open sockets at once.
#[derive(Default)]
pub struct LiveCredentials {
    by_credential: Mutex<CredentialChannels>,
}

impl LiveCredentials {
    fn lock(&self) -> std::sync::MutexGuard<'_, CredentialChannels> {
        // The map stays consistent even if a holder panicked.
        self.by_credential
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Follows a credential for one connection.
    pub fn watch(&self, credential_hash: &str, user: &UserRecord) -> LiveUser {
        let mut map = self.lock();
        map.retain(|_, (_, sender)| sender.receiver_count() > 0);
        let entry = map
            .entry(credential_hash.to_owned())
            .or_insert_with(|| (user.id.clone(), watch::channel(Some(user.clone())).0));
        entry.1.subscribe()
    }

    /// A credential was revoked (logout).
    pub fn revoke(&self, credential_hash: &str) {
        if let Some((_, sender)) = self.lock().remove(credential_hash) {
            let _ = sender.send(None);
        }
    }

    /// A person changed (role, disabled): every connection of theirs learns it.
    pub fn user_changed(&self, user: &UserRecord) {
        let map = self.lock();
        for (user_id, sender) in map.values() {
            if *user_id == user.id {
                let _ = sender.send((!user.disabled).then(|| user.clone()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(header::HeaderName, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(name, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn a_bearer_token_comes_first_then_the_query_then_the_cookie() {
        let all = headers(&[
            (header::AUTHORIZATION, "Bearer  token-1 "),
            (header::COOKIE, "enlace_session=cookie-1"),
        ]);
        assert_eq!(
            credential_from(&all, Some("query-1")),
            Some(("token-1".to_owned(), CredentialSource::Bearer))
        );
        let cookie = headers(&[(header::COOKIE, "enlace_session=cookie-1")]);
        assert_eq!(
            credential_from(&cookie, Some("query-1")),
            Some(("query-1".to_owned(), CredentialSource::Query))
        );
        assert_eq!(
            credential_from(&cookie, Some("")),
            Some(("cookie-1".to_owned(), CredentialSource::Cookie))
        );
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let cookies = headers(&[
            (header::COOKIE, "theme=dark; lang=es"),
            (header::COOKIE, "other=1; enlace_session=abc123; last=z"),
        ]);
        assert_eq!(
            credential_from(&cookies, None),
            Some(("abc123".to_owned(), CredentialSource::Cookie))
        );
    }

    #[test]
    fn no_credential_is_none() {
        assert_eq!(credential_from(&HeaderMap::new(), None), None);
        let unrelated = headers(&[
            (header::AUTHORIZATION, "Basic dXNlcjpwYXNz"),
            (header::COOKIE, "enlace_session_old=x; theme=dark"),
        ]);
        assert_eq!(credential_from(&unrelated, None), None);
    }

    #[test]
    fn passwords_verify_and_hashes_are_salted() {
        let first = hash_password("correct horse").expect("hash");
        let second = hash_password("correct horse").expect("hash");
        assert_ne!(first, second, "a fresh salt each time");
        assert!(first.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &first));
        assert!(!verify_password("wrong horse", &first));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn secrets_are_stored_hashed() {
        let (secret, hash) = new_secret().expect("secret");
        assert_eq!(secret.len(), 64);
        assert_eq!(secret_hash(&secret), hash);
        assert_ne!(secret, hash);
    }

    #[test]
    fn throttle_blocks_after_the_limit_and_forgets_after_the_window() {
        let throttle = LoginThrottle::new(3, Duration::from_secs(60));
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(
                throttle.check(&["a@x", "1.2.3.4"], start),
                ThrottleVerdict::Allowed
            );
            throttle.fail(&["a@x", "1.2.3.4"], start);
        }
        assert!(matches!(
            throttle.check(&["a@x"], start),
            ThrottleVerdict::Blocked(_)
        ));
        assert!(matches!(
            throttle.check(&["b@x", "1.2.3.4"], start),
            ThrottleVerdict::Blocked(_)
        ));
        assert_eq!(
            throttle.check(&["b@x", "5.6.7.8"], start),
            ThrottleVerdict::Allowed
        );
        let later = start + Duration::from_secs(61);
        assert_eq!(throttle.check(&["a@x"], later), ThrottleVerdict::Allowed);
    }
}
