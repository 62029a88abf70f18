//! What the server reads from the operating system besides files and
//! sockets: the wall clock and randomness. `shared` takes both as arguments;
//! this is where the server gets them.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| {
        i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
    })
}

/// The operating system's generator failed.
#[derive(Debug, thiserror::Error)]
#[error("no randomness available: {0}")]
pub struct NoRandomness(String);

/// Fills `N` bytes from the operating system's generator.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], NoRandomness> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|error| NoRandomness(error.to_string()))?;
    Ok(bytes)
}
