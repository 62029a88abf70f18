//! The always-visible connection indicator.

use enlace_shared::language::Language;
use leptos::prelude::*;

use crate::context::use_language;
use crate::i18n::{Text, text};
use crate::sync::ConnectionState;

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

#[component]
pub fn ConnectionIndicator(state: Signal<ConnectionState>) -> impl IntoView {
    let language = use_language();
    view! {
        <span
            class="connection"
            data-testid="connection"
            data-state=move || state.get().as_attribute()
            role="status"
            aria-live="polite"
        >
            <span class="connection-dot" aria-hidden="true"></span>
            <span class="connection-label">{move || connection_label(language.get(), state.get())}</span>
        </span>
    }
}
