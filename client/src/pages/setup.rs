//! First-start setup (`/setup#token=…`): creates the first secretariat account.

use leptos::prelude::*;
use leptos::task::spawn_local;

use enlace_shared::api::PersonView;

use crate::auth::{SetupForm, SignInError, setup_error_message, setup_token_from_hash, validate_setup};
use crate::browser;
use crate::context::use_language;
use crate::http;
use crate::i18n::{Text, text};

/// What the form shows under its fields.
#[derive(Debug, Clone)]
enum Problem {
    Invalid(Text),
    Refused(SignInError),
}

#[component]
pub fn SetupPage(
    /// Runs with the new account, already signed in.
    on_signed_in: Callback<PersonView>,
) -> impl IntoView {
    let language = use_language();
    let token = setup_token_from_hash(&browser::location_hash());
    let has_token = token.is_some();
    let form = RwSignal::new(SetupForm::default());
    let problem = RwSignal::new(None::<Problem>);
    let busy = RwSignal::new(false);
    // `None` until `/api/setup` answers.
    let pending = RwSignal::new(None::<bool>);
    spawn_local(async move {
        match http::setup_pending().await {
            Ok(value) => {
                let _ = pending.try_set(Some(value));
            }
            // Unknown: let the form try; the server has the last word.
            Err(_) => {
                let _ = pending.try_set(Some(true));
            }
        }
    });

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let Some(token) = token.clone() else {
            return;
        };
        let fields = form.get_untracked();
        if let Err(key) = validate_setup(&fields) {
            problem.set(Some(Problem::Invalid(key)));
            return;
        }
        problem.set(None);
        busy.set(true);
        spawn_local(async move {
            let result = http::complete_setup(&token, &fields).await;
            let _ = busy.try_set(false);
            match result {
                Ok(person) => {
                    // The secret has been used: keep it out of the address bar and history.
                    browser::replace_url("/");
                    on_signed_in.run(person);
                }
                Err(failure) => {
                    let _ = problem.try_set(Some(Problem::Refused(failure)));
                }
            }
        });
    };

    let field = move |key: Text,
                      kind: &'static str,
                      name: &'static str,
                      autocomplete: &'static str,
                      read: fn(&SetupForm) -> String,
                      write: fn(&mut SetupForm, String)| {
        view! {
            <label class="field">
                <span class="field-label">{move || text(language.get(), key)}</span>
                <input
                    type=kind
                    name=name
                    autocomplete=autocomplete
                    required
                    prop:value=move || form.with(read)
                    on:input=move |event| {
                        let value = event_target_value(&event);
                        form.update(|form| write(form, value));
                    }
                />
            </label>
        }
    };

    let body = move || {
        if !has_token {
            return view! { <p class="notice" role="alert">{move || text(language.get(), Text::SetupNoToken)}</p> }
                .into_any();
        }
        match pending.get() {
            None => view! { <p class="muted">{move || text(language.get(), Text::CheckingSession)}</p> }.into_any(),
            Some(false) => view! {
                <p class="muted" data-testid="setup-done">{move || text(language.get(), Text::SetupDone)}</p>
                <p>
                    <a href="/">{move || text(language.get(), Text::GoToSignIn)}</a>
                </p>
            }
            .into_any(),
            Some(true) => view! {
                <form on:submit=submit.clone() novalidate>
                    {field(Text::Email, "email", "email", "username", |form| form.email.clone(), |form, value| form.email = value)}
                    {field(
                        Text::DisplayName,
                        "text",
                        "display-name",
                        "name",
                        |form| form.display_name.clone(),
                        |form, value| form.display_name = value,
                    )}
                    {field(
                        Text::Password,
                        "password",
                        "password",
                        "new-password",
                        |form| form.password.clone(),
                        |form, value| form.password = value,
                    )}
                    <p class="hint">{move || text(language.get(), Text::PasswordHint)}</p>
                    {field(
                        Text::PasswordConfirmation,
                        "password",
                        "password-confirmation",
                        "new-password",
                        |form| form.confirmation.clone(),
                        |form, value| form.confirmation = value,
                    )}
                    {move || {
                        problem
                            .get()
                            .map(|problem| {
                                view! {
                                    <p class="form-error" role="alert" data-testid="setup-error">
                                        {move || match &problem {
                                            Problem::Invalid(key) => text(language.get(), *key).to_owned(),
                                            Problem::Refused(failure) => setup_error_message(language.get(), failure),
                                        }}
                                    </p>
                                }
                            })
                    }}
                    <button type="submit" class="primary" data-testid="create-account" disabled=move || busy.get()>
                        {move || text(language.get(), Text::CreateAccount)}
                    </button>
                </form>
            }
            .into_any(),
        }
    };

    view! {
        <section class="card auth-card" data-testid="setup-page">
            <h2>{move || text(language.get(), Text::SetupTitle)}</h2>
            <p class="muted">{move || text(language.get(), Text::SetupIntro)}</p>
            {body}
        </section>
    }
}
