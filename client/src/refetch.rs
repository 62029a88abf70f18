//! Fetches that follow the document: once the workspace is known, then again
//! a little after it changes, so that a burst of typing costs one request,
//! and again when the connection comes back and when the server has
//! everything this page wrote (what it answers may have changed meanwhile;
//! with no connection nothing is fetched).

use std::time::Duration;

use enlace_shared::DocumentId;
use leptos::prelude::*;

use crate::sync::{ConnectionState, SyncHandle};

/// Calls `fetch` with the workspace id as soon as it is known, and again
/// `delay` after `track` (which reads the signals to follow) sees a change,
/// the connection becomes live or nothing is left waiting for the server;
/// changes during the delay share one call. Nothing is fetched while the
/// connection is not live.
pub fn refetch_after_changes(
    sync: SyncHandle,
    track: impl Fn() + 'static,
    delay: Duration,
    fetch: impl Fn(DocumentId) + Copy + 'static,
) {
    let workspace_id = sync.workspace_id();
    let connection = sync.connection();
    let live = Memo::new(move |_| connection.get() == ConnectionState::Live);
    let waiting = sync.waiting();
    let all_saved = Memo::new(move |_| waiting.get() == 0);
    let scheduled = StoredValue::new(false);
    let first = StoredValue::new(true);
    Effect::new(move || {
        track();
        all_saved.track();
        // Not live: the fetch waits for the connection (the server's answer
        // follows the document the socket brings).
        let (Some(id), true) = (workspace_id.get(), live.get()) else {
            return;
        };
        if scheduled.get_value() {
            return;
        }
        scheduled.set_value(true);
        // The first fetch at once; later ones once the burst (or the
        // server's commit of what the reconnection sent) is over.
        let wait = if first.get_value() { Duration::ZERO } else { delay };
        first.set_value(false);
        set_timeout(
            move || {
                // The component is gone: nothing to fetch for.
                if scheduled.try_set_value(false).is_some() {
                    return;
                }
                fetch(id);
            },
            wait,
        );
    });
}
