//! The signed-in person in the header: name, role and the sign-out button.

use enlace_shared::roles::Role;
use leptos::prelude::*;

use crate::context::use_language;
use crate::i18n::{Text, text};

#[component]
pub fn CurrentUser(
    display_name: String,
    /// The role in the open workspace; `None` until the workspace list arrives.
    role: Signal<Option<Role>>,
    on_sign_out: Callback<()>,
) -> impl IntoView {
    let language = use_language();
    let role_badge = move || {
        role.get().map(|role| {
            view! {
                <span
                    class="role-badge"
                    data-testid="current-role"
                    data-role=role.slug()
                    title=move || text(language.get(), Text::RoleLabel)
                >
                    {move || role.label(language.get())}
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
