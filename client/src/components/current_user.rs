//! The signed-in person in the header: name, role and the sign-out button.

use enlace_shared::model::Language;
use enlace_shared::policy::Role;
use leptos::prelude::*;

use crate::i18n::{Text, role_label, text};

#[component]
pub fn CurrentUser(
    display_name: String,
    /// The role in the open workspace; `None` until the workspace list arrives.
    role: Signal<Option<Role>>,
    language: Signal<Language>,
    on_sign_out: Callback<()>,
) -> impl IntoView {
    let role_badge = move || {
        role.get().map(|role| {
            view! {
                <span
                    class="role-badge"
                    data-testid="current-role"
                    data-role=role.slug()
                    title=move || text(language.get(), Text::RoleLabel)
                >
                    {move || role_label(language.get(), role)}
                </span>
            }
        })
    };
    view! {
        <div class="current-user">
            <span class="visually-hidden">{move || text(language.get(), Text::SignedInAs)}</span>
            <span class="current-user-name" data-testid="current-user">{display_name}</span>
            {role_badge}
            <button
                type="button"
                class="secondary"
                data-testid="sign-out"
                on:click=move |_| on_sign_out.run(())
            >
                {move || text(language.get(), Text::SignOut)}
            </button>
        </div>
    }
}
