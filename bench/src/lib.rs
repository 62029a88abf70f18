//! Enlace's load generator, side-by-side benchmark harness and the helpers
//! the micro-benchmarks share.
//!
//! # Layout
//! - [`load`]: the fleet of peers. Each peer is a real WebSocket running the
//!   browser's sans-IO [`enlace_shared::sync::PeerSession`]; every peer edits
//!   its own organisation in one shared document and measures how long every
//!   other peer's edits take to reach it.
//! - [`idle`]: many idle peers joined to one document, to measure the server's
//!   memory per connection.
//! - [`process`]: CPU and resident memory of a process, sampled from `/proc`.
//! - [`servers`]: starting Enlace, the automerge-repo sync server (Node) and a
//!   samod server on loopback, each with a fresh data directory.
//! - [`disk`]: the disk's fsync latency distribution.
//! - [`history`]: the timeline at 100,000 changes (`enlace-history`): the
//!   cost per commit, first pages and one record's history, at the storage
//!   layer and through HTTP.
//! - [`history_browser`]: the history in headless Chromium on that built
//!   workspace: initial load, "view as of" and compare.
//! - [`map_fixture`]: the network map's large roundtable (500 organisations,
//!   300 ties), for the Criterion `map` benchmark and [`map_browser`].
//! - [`map_browser`]: the map in headless Chromium (`enlace-map`): first
//!   render, a remote change shown, frames per second while dragging.
//! - [`offline_browser`]: the local copy in headless Chromium
//!   (`enlace-offline`): its size, persisting one edit, opening offline.
//! - [`browser`]: figures from real headless Chromium (bundle size, time to
//!   an interactive directory, remote edit to repaint).
//! - [`storage_figures`]: the Criterion storage benchmarks' results, read
//!   back for the report.
//! - [`audit`]: the audit export and its verification on a synthetic
//!   workspace of many changes (`enlace-audit`).
//! - [`matrix`]: the scenario matrix, the sustained-rate search and the
//!   Markdown/JSON reports of the `enlace-bench` harness.
//!
//! Nothing here asserts a time: the smoke test in `tests/` checks only that
//! no edit is lost and every peer converges.

pub mod abuse;
pub mod audit;
pub mod browser;
pub mod disk;
pub mod fixtures;
pub mod history;
pub mod history_browser;
pub mod idle;
pub mod load;
pub mod map_browser;
pub mod map_fixture;
pub mod matrix;
pub mod offline_browser;
pub mod process;
pub mod servers;
pub mod storage_figures;

/// Microseconds since `start`, saturating.
pub(crate) fn micros_since(start: std::time::Instant) -> u64 {
    u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// Milliseconds since the Unix epoch, for commit metadata.
pub(crate) fn unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        })
}

/// A random u64 from the standard library's randomly seeded hasher; the
/// generator only needs ids that differ between runs.
pub(crate) fn random_u64() -> u64 {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos()),
    );
    hasher.finish()
}
