//! The always-visible connection indicator.

use enlace_shared::language::Language;
use leptos::prelude::*;

use crate::context::use_language;
use crate::i18n::{Text, text, waiting_changes};
use crate::sync::{ConnectionState, LocalFigures, TabRole};

/// The label shown for each state.
pub fn connection_label(language: Language, state: ConnectionState) -> &'static str {
    let key = match state {
        ConnectionState::Connecting => Text::ConnectionConnecting,
        ConnectionState::Live => Text::ConnectionLive,
        ConnectionState::Offline => Text::ConnectionOffline,
        ConnectionState::SignedOut => Text::ConnectionSignedOut,
    };
    text(language, key)
}

/// The indicator's words: the state, then what is waiting or that all is saved.
pub fn indicator_label(language: Language, state: ConnectionState, waiting: usize) -> String {
    let base = connection_label(language, state);
    match (state, waiting) {
        (ConnectionState::SignedOut, _) => base.to_owned(),
        (ConnectionState::Live, 0) => format!("{base} · {}", text(language, Text::SavedOnServer)),
        (_, 0) => base.to_owned(),
        (_, waiting) => format!("{base} — {}", waiting_changes(language, waiting)),
    }
}

#[component]
pub fn ConnectionIndicator(
    state: Signal<ConnectionState>,
    waiting: Signal<usize>,
    figures: Signal<LocalFigures>,
    /// Leading the person's tabs or following the one that does.
    tab: Signal<TabRole>,
    /// The actor this tab edits with (for the tests: never two tabs with one).
    actor: Signal<Option<String>>,
) -> impl IntoView {
    let language = use_language();
    // The local copy's figures, for the benchmarks (see `LocalFigures`).
    let figure = move |pick: fn(&LocalFigures) -> Option<f64>| {
        move || figures.with(|figures| pick(figures).map(|ms| format!("{ms:.2}")))
    };
    view! {
        <span
            class="connection"
            data-testid="connection"
            data-state=move || state.get().as_attribute()
            data-waiting=move || waiting.get()
            data-started-at-ms=figure(|figures| figures.started_at_ms)
            data-copy-read-at-ms=figure(|figures| figures.read_at_ms)
            data-copy-read-ms=figure(|figures| figures.read_ms)
            data-copy-load-ms=figure(|figures| figures.load_ms)
            data-copy-open-ms=figure(|figures| figures.open_ms)
            data-copy-image-read-ms=figure(|figures| figures.image_read_ms)
            data-copy-image-ms=figure(|figures| figures.image_ms)
            data-image-encode-ms=figure(|figures| figures.image_encode_ms)
            data-images-kept=move || figures.with(|figures| figures.images_kept)
            data-image-current=move || figures.with(|figures| figures.image_current.to_string())
            data-persist-ms=figure(|figures| figures.persist_ms)
            data-edit-post-ms=figure(|figures| figures.edit_post_ms)
            data-persisted=move || figures.with(|figures| figures.persisted)
            data-write-ms=figure(|figures| figures.write_ms)
            data-writes-pending=move || figures.with(|figures| figures.pending)
            data-tab=move || tab.get().as_attribute()
            data-actor=move || actor.get()
            role="status"
            aria-live="polite"
        >
            <span class="connection-dot" aria-hidden="true"></span>
            <span class="connection-label">{move || indicator_label(language.get(), state.get(), waiting.get())}</span>
        </span>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_label_says_what_waits_or_that_all_is_saved() {
        assert_eq!(
            indicator_label(Language::English, ConnectionState::Offline, 2),
            "Offline — 2 changes waiting"
        );
        assert_eq!(
            indicator_label(Language::Spanish, ConnectionState::Live, 0),
            "En vivo · guardado en el servidor"
        );
        assert_eq!(
            indicator_label(Language::English, ConnectionState::Live, 1),
            "Live — 1 change waiting"
        );
        assert_eq!(
            indicator_label(Language::English, ConnectionState::Offline, 0),
            "Offline"
        );
    }
}
