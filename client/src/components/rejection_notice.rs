//! A banner for changes the server refused (and the session discarded),
//! saying why in the interface's language when the server named the refusal.

use leptos::prelude::*;

use crate::context::use_language;
use crate::i18n::{Text, text};
use crate::sync::Rejection;

#[component]
pub fn RejectionNotice(rejection: Signal<Option<Rejection>>, on_dismiss: Callback<()>) -> impl IntoView {
    let language = use_language();
    move || {
        rejection.get().map(|rejection| {
            view! {
                <div class="notice" role="alert" data-testid="rejection">
                    <p>
                        {move || text(language.get(), Text::Rejected)}
                        " "
                        <strong>{move || format!("{} · {}", rejection.dropped, rejection.text(language.get()))}</strong>
                    </p>
                    <button type="button" class="link" on:click=move |_| on_dismiss.run(())>
                        {move || text(language.get(), Text::Dismiss)}
                    </button>
                </div>
            }
        })
    }
}
