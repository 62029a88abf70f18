//! Fetches that follow the document: once the workspace is known, then again
//! a little after it changes, so that a burst of typing costs one request.

use std::time::Duration;

use enlace_shared::DocumentId;
use leptos::prelude::*;

/// Calls `fetch` with the workspace id as soon as it is known, and again
/// `delay` after `track` (which reads the signals to follow) sees a change;
/// changes during the delay share one call.
pub fn refetch_after_changes(
    workspace_id: Signal<Option<DocumentId>>,
    track: impl Fn() + 'static,
    delay: Duration,
    fetch: impl Fn(DocumentId) + Copy + 'static,
) {
    let scheduled = StoredValue::new(false);
    Effect::new(move |previous: Option<()>| {
        track();
        let Some(id) = workspace_id.get() else {
            return;
        };
        if scheduled.get_value() {
            return;
        }
        scheduled.set_value(true);
        let wait = if previous.is_some() { delay } else { Duration::ZERO };
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
