//! Passwords, credentials, login throttling and live revocation.
//!
//! Passwords are hashed with Argon2id. Session cookies and bearer tokens are
//! random secrets handed to the client once; the server stores only their
//! SHA-256, so a copy of the database grants no access. A request presents
//! its secret in a header, a cookie or (on `/sync`) the query string:
//! [`credential_from`] finds it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::http::{HeaderMap, HeaderName, header};
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

/// The salt of [`dummy_hash`]: fixed, since nothing it protects is secret.
const DUMMY_SALT: &str = "ZW5sYWNlLW5vLXN1Y2gtYWNjb3VudA";

/// An Argon2id hash with the same parameters as every stored password, that
/// no password is checked against for real. A login for an email with no
/// usable password verifies against it, so an unknown email costs the same
/// Argon2 work as a known one and timing does not tell them apart.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        SaltString::from_b64(DUMMY_SALT)
            .and_then(|salt| {
                Argon2::default()
                    .hash_password(b"", &salt)
                    .map(|hash| hash.to_string())
            })
            // The salt is valid base64 of a valid length, so hashing does
            // not fail; were it to, the empty string refuses every password
            // all the same (at less cost).
            .unwrap_or_default()
    })
}

/// Whether `password` opens an account whose usable stored hash is
/// `stored` (`None`: unknown email, disabled account, no password set).
/// Either way `verify` runs exactly once, against the dummy hash when there
/// is nothing real to check, and a dummy match never signs anyone in.
pub fn login_password_matches(
    stored: Option<&str>,
    password: &str,
    verify: impl FnOnce(&str, &str) -> bool,
) -> bool {
    match stored {
        Some(stored) => verify(password, stored),
        None => {
            let _ = verify(password, dummy_hash());
            false
        }
    }
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

/// The address a login is throttled under: the connection's peer, or, when
/// the operator names a header their reverse proxy sets
/// (`--trusted-proxy-header`), the address the proxy reports there. A proxy
/// appends the address it saw to the end of a list such as
/// `X-Forwarded-For`, after whatever the client wrote itself, so the last
/// entry is the one to believe. Without the option the header is ignored:
/// anyone can write it.
pub fn client_address(headers: &HeaderMap, peer: IpAddr, trusted_header: Option<&HeaderName>) -> String {
    trusted_header
        .and_then(|name| headers.get_all(name).iter().next_back())
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.rsplit(',').next())
        .map(str::trim)
        .filter(|reported| !reported.is_empty())
        .map_or_else(|| peer.to_string(), str::to_owned)
}

/// Login attempts are counted per email and per address. An attempt is
/// reserved (counted) before its password is hashed, atomically with the
/// check, so parallel attempts cannot all slip under the limit; past the
/// limit the answer is 429 until the window passes, and every failure is
/// slowed down. A success releases its own reservation and clears its
/// email's count, never the address's: one known password does not buy an
/// address fresh guesses against other accounts.
pub struct LoginThrottle {
    attempts: Mutex<HashMap<ThrottleKey, (u32, Instant)>>,
    limit: u32,
    window: Duration,
}

/// What the throttle counts: an email or an address, kept apart so that an
/// "email" spelled like an address cannot spend that address's attempts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ThrottleKey {
    Email(String),
    Address(String),
}

/// The longest email the throttle keys on; longer input is cut (no real
/// address is longer), so a huge "email" costs no memory.
const MAX_KEYED_EMAIL: usize = 320;
/// The longest address the throttle keys on (an IPv6 address with a zone
/// is shorter), in case a proxy header carries something else.
const MAX_KEYED_ADDRESS: usize = 100;

impl ThrottleKey {
    pub fn email(email: &str) -> Self {
        Self::Email(email.chars().take(MAX_KEYED_EMAIL).collect())
    }

    pub fn address(address: &str) -> Self {
        Self::Address(address.chars().take(MAX_KEYED_ADDRESS).collect())
    }
}

/// What the throttle says about a login attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleVerdict {
    /// The attempt is counted; go on and check the password.
    Allowed,
    /// Too many attempts: retry after this long.
    Blocked(Duration),
}

impl LoginThrottle {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            attempts: Mutex::new(HashMap::new()),
            limit,
            window,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ThrottleKey, (u32, Instant)>> {
        // A poisoned map of counters is still a valid map of counters.
        self.attempts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Checks every key and, if none is at the limit, counts the attempt
    /// against all of them, under one lock.
    pub fn reserve(&self, keys: &[ThrottleKey], now: Instant) -> ThrottleVerdict {
        let mut attempts = self.lock();
        attempts.retain(|_, (_, first)| now.duration_since(*first) < self.window);
        for key in keys {
            if let Some((count, first)) = attempts.get(key)
                && *count >= self.limit
            {
                return ThrottleVerdict::Blocked(self.window.saturating_sub(now.duration_since(*first)));
            }
        }
        for key in keys {
            attempts.entry(key.clone()).or_insert((0, now)).0 += 1;
        }
        ThrottleVerdict::Allowed
    }

    /// A reserved attempt failed; returns how long to delay the answer.
    pub fn fail(&self, keys: &[ThrottleKey]) -> Duration {
        let attempts = self.lock();
        let worst = keys
            .iter()
            .filter_map(|key| attempts.get(key).map(|(count, _)| *count))
            .max()
            .unwrap_or(0);
        Duration::from_millis(100 * u64::from(worst.min(20)))
    }

    /// A reserved attempt succeeded: the email's count is cleared, and the
    /// address gets back only the attempt this success used.
    pub fn succeed(&self, email: &ThrottleKey, address: &ThrottleKey) {
        let mut attempts = self.lock();
        attempts.remove(email);
        if let Some((count, _)) = attempts.get_mut(address) {
            *count = count.saturating_sub(1);
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
    fn a_login_without_a_usable_password_does_the_same_argon2_work() {
        let real = hash_password("correct horse").expect("hash");
        let mut checked = Vec::new();
        let mut record = |password: &str, stored: &str| {
            checked.push(stored.to_owned());
            verify_password(password, stored)
        };
        assert!(login_password_matches(Some(&real), "correct horse", &mut record));
        assert!(!login_password_matches(Some(&real), "wrong", &mut record));
        // Unknown email (or disabled, or no password): one verification all the same.
        assert!(!login_password_matches(None, "", &mut record));
        assert!(!login_password_matches(None, "anything", &mut record));
        assert_eq!(checked.len(), 4, "one Argon2 verification per attempt");
        assert_eq!(&checked[2..], &[dummy_hash().to_owned(), dummy_hash().to_owned()]);
        // The dummy costs what a real hash costs: same algorithm and parameters.
        let params = |phc: &str| {
            let parsed = PasswordHash::new(phc).expect("a PHC string");
            (
                parsed.algorithm.to_string(),
                parsed.version,
                parsed.params.to_string(),
            )
        };
        assert_eq!(params(dummy_hash()), params(&real));
    }

    #[test]
    fn a_proxy_header_counts_only_when_trusted_and_its_last_entry_wins() {
        let peer: IpAddr = [127, 0, 0, 1].into();
        let forwarded = HeaderName::from_static("x-forwarded-for");
        let sent = headers(&[(forwarded.clone(), "6.6.6.6, 10.0.0.7")]);
        assert_eq!(client_address(&sent, peer, None), "127.0.0.1");
        assert_eq!(client_address(&sent, peer, Some(&forwarded)), "10.0.0.7");
        let real_ip = HeaderName::from_static("x-real-ip");
        assert_eq!(client_address(&sent, peer, Some(&real_ip)), "127.0.0.1");
        let two = headers(&[(forwarded.clone(), "6.6.6.6"), (forwarded.clone(), "10.0.0.8")]);
        assert_eq!(client_address(&two, peer, Some(&forwarded)), "10.0.0.8");
        let empty = headers(&[(forwarded.clone(), " ")]);
        assert_eq!(client_address(&empty, peer, Some(&forwarded)), "127.0.0.1");
    }

    #[test]
    fn secrets_are_stored_hashed() {
        let (secret, hash) = new_secret().expect("secret");
        assert_eq!(secret.len(), 64);
        assert_eq!(secret_hash(&secret), hash);
        assert_ne!(secret, hash);
    }

    fn keys(email: &str, address: &str) -> [ThrottleKey; 2] {
        [ThrottleKey::email(email), ThrottleKey::address(address)]
    }

    #[test]
    fn throttle_blocks_after_the_limit_and_forgets_after_the_window() {
        let throttle = LoginThrottle::new(3, Duration::from_secs(60));
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(
                throttle.reserve(&keys("a@x", "1.2.3.4"), start),
                ThrottleVerdict::Allowed
            );
            throttle.fail(&keys("a@x", "1.2.3.4"));
        }
        assert!(matches!(
            throttle.reserve(&[ThrottleKey::email("a@x")], start),
            ThrottleVerdict::Blocked(_)
        ));
        assert!(matches!(
            throttle.reserve(&keys("b@x", "1.2.3.4"), start),
            ThrottleVerdict::Blocked(_)
        ));
        assert_eq!(
            throttle.reserve(&keys("b@x", "5.6.7.8"), start),
            ThrottleVerdict::Allowed
        );
        let later = start + Duration::from_secs(61);
        assert_eq!(
            throttle.reserve(&[ThrottleKey::email("a@x")], later),
            ThrottleVerdict::Allowed
        );
    }

    #[test]
    fn a_reservation_counts_before_the_outcome_is_known() {
        let throttle = LoginThrottle::new(2, Duration::from_secs(60));
        let now = Instant::now();
        // Three attempts in flight at once: the third is refused before any
        // of them has failed.
        assert_eq!(
            throttle.reserve(&keys("a@x", "1.1.1.1"), now),
            ThrottleVerdict::Allowed
        );
        assert_eq!(
            throttle.reserve(&keys("a@x", "1.1.1.1"), now),
            ThrottleVerdict::Allowed
        );
        assert!(matches!(
            throttle.reserve(&keys("a@x", "1.1.1.1"), now),
            ThrottleVerdict::Blocked(_)
        ));
    }

    #[test]
    fn a_success_clears_its_email_but_not_the_address() {
        let throttle = LoginThrottle::new(3, Duration::from_secs(60));
        let now = Instant::now();
        for email in ["a@x", "b@x"] {
            assert_eq!(
                throttle.reserve(&keys(email, "1.1.1.1"), now),
                ThrottleVerdict::Allowed
            );
            throttle.fail(&keys(email, "1.1.1.1"));
        }
        assert_eq!(
            throttle.reserve(&keys("me@x", "1.1.1.1"), now),
            ThrottleVerdict::Allowed
        );
        throttle.succeed(&ThrottleKey::email("me@x"), &ThrottleKey::address("1.1.1.1"));
        assert_eq!(
            throttle.reserve(&keys("c@x", "1.1.1.1"), now),
            ThrottleVerdict::Allowed
        );
        throttle.fail(&keys("c@x", "1.1.1.1"));
        assert!(
            matches!(
                throttle.reserve(&keys("d@x", "1.1.1.1"), now),
                ThrottleVerdict::Blocked(_)
            ),
            "three failures from the address, whatever succeeded in between"
        );
    }

    #[test]
    fn an_email_spelled_like_an_address_does_not_spend_the_address() {
        let throttle = LoginThrottle::new(1, Duration::from_secs(60));
        let now = Instant::now();
        assert_eq!(
            throttle.reserve(&keys("9.9.9.9", "1.1.1.1"), now),
            ThrottleVerdict::Allowed
        );
        assert_eq!(
            throttle.reserve(&keys("a@x", "9.9.9.9"), now),
            ThrottleVerdict::Allowed
        );
    }
}
