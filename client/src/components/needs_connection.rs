//! The history's tools read the server's record (who changed what, the
//! moments, refused attempts): with no connection they say so, instead of
//! "could not be loaded", and fetch again once it is back.

use leptos::prelude::*;

use crate::context::{use_language, use_sync};
use crate::i18n::{Text, text};
use crate::sync::{ConnectionState, SyncHandle};

/// Whether the connection is down: from the moment it is lost until it is
/// live again, retries included (not while the page first connects).
pub fn offline(sync: SyncHandle) -> Memo<bool> {
    let connection = sync.connection();
    Memo::new(move |previous: Option<&bool>| match connection.get() {
        ConnectionState::Offline => true,
        ConnectionState::Connecting => previous.copied().unwrap_or(false),
        ConnectionState::Live | ConnectionState::SignedOut => false,
    })
}

/// The note, while there is no connection.
#[component]
pub fn NeedsConnection() -> impl IntoView {
    let (sync, language) = (use_sync(), use_language());
    let offline = offline(sync);
    move || {
        offline.get().then(|| {
            view! {
                <p class="muted offline-note" role="status" data-testid="history-offline">
                    {move || text(language.get(), Text::HistoryNeedsConnection)}
                </p>
            }
        })
    }
}
