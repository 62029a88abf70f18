//! What one connection may cost the server: the `enlace serve` options that
//! bound it, a token bucket for presence, the count of refusals a connection
//! collects, and the per-person count of open sync connections.
//!
//! Every limit here is an option with an environment variable and a default
//! (listed in `docs/security.md`).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args;
use enlace_shared::sync::InboundLimits;

use crate::hub::HubLimits;

/// The limits every sync connection lives under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Args)]
pub struct ConnectionLimits {
    /// Bytes of messages that may wait for one connection. A sync message
    /// that does not fit closes the connection with 1013 (it is not reading);
    /// presence that does not fit is dropped.
    #[arg(long, env = "ENLACE_MAX_OUTBOX_BYTES", default_value_t = 32 * 1024 * 1024)]
    pub max_outbox_bytes: usize,

    /// Largest presence (`ephemeral`) payload relayed, in bytes; larger ones
    /// are dropped.
    #[arg(long, env = "ENLACE_MAX_PRESENCE_BYTES", default_value_t = 4096)]
    pub max_presence_bytes: usize,

    /// Presence messages a connection may send per second, on average;
    /// beyond it they are dropped.
    #[arg(long, env = "ENLACE_PRESENCE_PER_SECOND", default_value_t = 10)]
    pub presence_per_second: u32,

    /// Presence messages a connection may send at once before the average
    /// applies.
    #[arg(long, env = "ENLACE_PRESENCE_BURST", default_value_t = 20)]
    pub presence_burst: u32,

    /// Refused sync messages a connection may send within the refusal window;
    /// one more closes it with 4011.
    #[arg(long, env = "ENLACE_MAX_REFUSALS", default_value_t = 10)]
    pub max_refusals: usize,

    /// The window, in seconds, over which refusals are counted.
    #[arg(long, env = "ENLACE_REFUSAL_WINDOW_SECONDS", default_value_t = 60)]
    pub refusal_window_seconds: u64,

    /// Longest peer id accepted in `join`, in bytes; a longer one closes the
    /// connection with 1002.
    #[arg(long, env = "ENLACE_MAX_PEER_ID_BYTES", default_value_t = 256)]
    pub max_peer_id_bytes: usize,

    /// Sync connections one person may hold open at once; one more is closed
    /// with 4012 right after the upgrade.
    #[arg(long, env = "ENLACE_MAX_CONNECTIONS_PER_PERSON", default_value_t = 16)]
    pub max_connections_per_person: usize,

    /// Bytes of sync and presence data that may wait in one document's queue;
    /// connections wait to add more (backpressure).
    #[arg(long, env = "ENLACE_MAX_HUB_QUEUE_BYTES", default_value_t = 64 * 1024 * 1024)]
    pub max_hub_queue_bytes: usize,

    /// Largest sync message (automerge's bytes inside a `sync`/`request`
    /// frame); a larger one closes the connection with 1009.
    #[arg(long, env = "ENLACE_MAX_SYNC_MESSAGE_BYTES", default_value_t = 8 * 1024 * 1024)]
    pub max_sync_message_bytes: usize,

    /// Bytes the change data of one sync message may inflate to; checked
    /// before automerge decompresses anything. Over it: 1009.
    #[arg(long, env = "ENLACE_MAX_INFLATED_BYTES", default_value_t = 64 * 1024 * 1024)]
    pub max_inflated_bytes: usize,

    /// Operations one sync message may carry, counted before automerge
    /// decodes them. Over it: 1009.
    #[arg(long, env = "ENLACE_MAX_OPERATIONS_PER_MESSAGE", default_value_t = 1_000_000)]
    pub max_operations_per_message: u64,

    /// Bytes of a connection's changes held while the hub asks for their
    /// missing dependencies. Over it, the message is refused (1009).
    #[arg(long, env = "ENLACE_MAX_WAITING_BYTES", default_value_t = 8 * 1024 * 1024)]
    pub max_waiting_bytes: usize,

    /// Missing dependencies those held changes may have.
    #[arg(long, env = "ENLACE_MAX_MISSING_DEPENDENCIES", default_value_t = 1024)]
    pub max_missing_dependencies: usize,
}

impl ConnectionLimits {
    /// What each document's hub enforces.
    pub fn hub(&self) -> HubLimits {
        HubLimits {
            max_queue_bytes: self.max_hub_queue_bytes,
            inbound: InboundLimits {
                max_message_bytes: self.max_sync_message_bytes,
                max_inflated_bytes: self.max_inflated_bytes,
                max_operations: self.max_operations_per_message,
                max_waiting_bytes: self.max_waiting_bytes,
                max_missing_dependencies: self.max_missing_dependencies,
            },
        }
    }
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        let inbound = InboundLimits::default();
        Self {
            max_outbox_bytes: 32 * 1024 * 1024,
            max_presence_bytes: 4096,
            presence_per_second: 10,
            presence_burst: 20,
            max_refusals: 10,
            refusal_window_seconds: 60,
            max_peer_id_bytes: 256,
            max_connections_per_person: 16,
            max_hub_queue_bytes: 64 * 1024 * 1024,
            max_sync_message_bytes: inbound.max_message_bytes,
            max_inflated_bytes: inbound.max_inflated_bytes,
            max_operations_per_message: inbound.max_operations,
            max_waiting_bytes: inbound.max_waiting_bytes,
            max_missing_dependencies: inbound.max_missing_dependencies,
        }
    }
}

/// A token bucket: `burst` tokens, refilled at `per_second`. Hand-written
/// because it is a dozen lines; a rate-limiting crate would bring its own
/// clock and a keyed store that one connection does not need.
#[derive(Debug)]
pub struct TokenBucket {
    tokens: f64,
    burst: f64,
    per_second: f64,
    last: Instant,
}

impl TokenBucket {
    pub fn new(per_second: u32, burst: u32, now: Instant) -> Self {
        Self {
            tokens: f64::from(burst),
            burst: f64::from(burst),
            per_second: f64::from(per_second),
            last: now,
        }
    }

    /// Takes one token if there is one.
    pub fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The refusals a connection collected within a sliding window.
#[derive(Debug)]
pub struct RefusalCount {
    times: VecDeque<Instant>,
    max: usize,
    window: Duration,
}

impl RefusalCount {
    pub fn new(max: usize, window: Duration) -> Self {
        Self {
            times: VecDeque::new(),
            max,
            window,
        }
    }

    /// Counts one refusal; true when the connection is over its limit.
    pub fn record(&mut self, now: Instant) -> bool {
        while self
            .times
            .front()
            .is_some_and(|first| now.saturating_duration_since(*first) > self.window)
        {
            self.times.pop_front();
        }
        self.times.push_back(now);
        self.times.len() > self.max
    }
}

/// Open sync connections per person.
#[derive(Debug, Clone, Default)]
pub struct PersonConnections {
    counts: Arc<Mutex<HashMap<String, usize>>>,
}

/// One counted connection; dropping it frees the slot.
#[derive(Debug)]
pub struct ConnectionSlot {
    counts: Arc<Mutex<HashMap<String, usize>>>,
    user_id: String,
}

impl PersonConnections {
    fn lock(counts: &Mutex<HashMap<String, usize>>) -> std::sync::MutexGuard<'_, HashMap<String, usize>> {
        // The map of counts stays consistent even if a holder panicked.
        counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A slot for one more connection of `user_id`, unless they hold `max`.
    pub fn try_open(&self, user_id: &str, max: usize) -> Option<ConnectionSlot> {
        let mut counts = Self::lock(&self.counts);
        let count = counts.entry(user_id.to_owned()).or_insert(0);
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(ConnectionSlot {
            counts: Arc::clone(&self.counts),
            user_id: user_id.to_owned(),
        })
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut counts = PersonConnections::lock(&self.counts);
        if let Some(count) = counts.get_mut(&self.user_id) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&self.user_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_allows_a_burst_then_the_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(2, 3, start);
        assert_eq!((0..10).filter(|_| bucket.take(start)).count(), 3);
        let later = start + Duration::from_secs(1);
        assert_eq!((0..10).filter(|_| bucket.take(later)).count(), 2);
    }

    #[test]
    fn refusals_past_the_window_no_longer_count() {
        let start = Instant::now();
        let mut count = RefusalCount::new(2, Duration::from_secs(10));
        assert!(!count.record(start));
        assert!(!count.record(start));
        assert!(count.record(start), "the third within the window is over");
        let mut count = RefusalCount::new(2, Duration::from_secs(10));
        assert!(!count.record(start));
        assert!(!count.record(start));
        assert!(!count.record(start + Duration::from_secs(11)));
    }

    #[test]
    fn slots_are_counted_per_person_and_freed_on_drop() {
        let connections = PersonConnections::default();
        let first = connections.try_open("ana", 2);
        let second = connections.try_open("ana", 2);
        assert!(first.is_some() && second.is_some());
        assert!(connections.try_open("ana", 2).is_none());
        assert!(connections.try_open("ben", 2).is_some());
        drop(first);
        assert!(connections.try_open("ana", 2).is_some());
    }
}
