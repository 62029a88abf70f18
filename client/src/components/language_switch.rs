//! The ES/EN switch.

use enlace_shared::model::Language;
use leptos::prelude::*;

use crate::i18n::{Text, language_button_label, text};

#[component]
pub fn LanguageSwitch(language: Signal<Language>, on_change: Callback<Language>) -> impl IntoView {
    let button = move |choice: Language| {
        view! {
            <button
                type="button"
                class="language-option"
                data-language=crate::i18n::language_code(choice)
                aria-pressed=move || (language.get() == choice).to_string()
                on:click=move |_| on_change.run(choice)
            >
                {language_button_label(choice)}
            </button>
        }
    };
    view! {
        <div
            class="language-switch"
            role="group"
            aria-label=move || text(language.get(), Text::LanguageSwitch)
        >
            {button(Language::Spanish)}
            {button(Language::English)}
        </div>
    }
}
