//! The sign-in page: email and password.

use leptos::prelude::*;
use leptos::task::spawn_local;

use enlace_shared::api::PersonView;

use crate::auth::{SignInError, sign_in_error_message};
use crate::context::use_language;
use crate::http;
use crate::i18n::{Text, text};

#[component]
pub fn LoginPage(
    /// Runs with the person once the server accepted the password.
    on_signed_in: Callback<PersonView>,
) -> impl IntoView {
    let language = use_language();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<SignInError>);
    let busy = RwSignal::new(false);
    let setup_pending = RwSignal::new(false);

    // A server without accounts cannot sign anyone in: point at the setup link.
    spawn_local(async move {
        if let Ok(true) = http::setup_pending().await {
            let _ = setup_pending.try_set(true);
        }
    });

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let (email_value, password_value) = (email.get_untracked(), password.get_untracked());
        spawn_local(async move {
            let result = http::sign_in(&email_value, &password_value).await;
            let _ = busy.try_set(false);
            match result {
                Ok(person) => {
                    let _ = password.try_set(String::new());
                    on_signed_in.run(person);
                }
                Err(failure) => {
                    let _ = error.try_set(Some(failure));
                }
            }
        });
    };

    view! {
        <section class="card auth-card" data-testid="login-page">
            <h2>{move || text(language.get(), Text::SignInTitle)}</h2>
            <p class="muted">{move || text(language.get(), Text::SignInIntro)}</p>
            <Show when=move || setup_pending.get()>
                <p class="notice" role="status">{move || text(language.get(), Text::SetupPendingHint)}</p>
            </Show>
            <form on:submit=submit novalidate>
                <label class="field">
                    <span class="field-label">{move || text(language.get(), Text::Email)}</span>
                    <input
                        type="email"
                        name="email"
                        autocomplete="username"
                        required
                        prop:value=move || email.get()
                        on:input=move |event| email.set(event_target_value(&event))
                    />
                </label>
                <label class="field">
                    <span class="field-label">{move || text(language.get(), Text::Password)}</span>
                    <input
                        type="password"
                        name="password"
                        autocomplete="current-password"
                        required
                        prop:value=move || password.get()
                        on:input=move |event| password.set(event_target_value(&event))
                    />
                </label>
                {move || {
                    error
                        .get()
                        .map(|failure| {
                            view! {
                                <p class="form-error" role="alert" data-testid="login-error">
                                    {move || sign_in_error_message(language.get(), &failure)}
                                </p>
                            }
                        })
                }}
                <button type="submit" class="primary" data-testid="sign-in" disabled=move || busy.get()>
                    {move || text(language.get(), if busy.get() { Text::SigningIn } else { Text::SignIn })}
                </button>
            </form>
        </section>
    }
}
