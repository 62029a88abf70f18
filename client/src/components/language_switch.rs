//! The ES/EN switch: sets the interface language every view reads from context.

use enlace_shared::language::Language;
use leptos::prelude::*;

use crate::context::use_locale;
use crate::i18n::{Text, text};

#[component]
pub fn LanguageSwitch() -> impl IntoView {
    let locale = use_locale();
    let language = locale.language();
    let button = move |choice: Language| {
        view! {
            <button
                type="button"
                class="language-option"
                data-language=choice.code()
                aria-pressed=move || (language.get() == choice).to_string()
                on:click=move |_| locale.set(choice)
            >
                {choice.button_label()}
            </button>
        }
    };
    view! {
        <div
            class="language-switch"
            role="group"
            aria-label=move || text(language.get(), Text::LanguageSwitch)
        >
            {Language::ALL.into_iter().map(button).collect_view()}
        </div>
    }
}
