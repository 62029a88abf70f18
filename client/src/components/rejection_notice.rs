//! A banner for changes the server refused (and the session discarded).

use enlace_shared::model::Language;
use leptos::prelude::*;

use crate::i18n::{Text, text};
use crate::sync::Rejection;

#[component]
pub fn RejectionNotice(
    rejection: Signal<Option<Rejection>>,
    language: Signal<Language>,
    on_dismiss: Callback<()>,
) -> impl IntoView {
    move || {
        rejection.get().map(|Rejection { dropped, reason }| {
            view! {
                <div class="notice" role="alert" data-testid="rejection">
                    <p>
                        {move || text(language.get(), Text::Rejected)}
                        " "
                        <strong>{format!("{dropped} · {reason}")}</strong>
                    </p>
                    <button type="button" class="link" on:click=move |_| on_dismiss.run(())>
                        {move || text(language.get(), Text::Dismiss)}
                    </button>
                </div>
            }
        })
    }
}
