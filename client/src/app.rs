//! The root component: the header, signing in and out, and the page.
//!
//! Screens: `/setup` shows first-start setup; otherwise `/api/me` decides
//! between the login page and the workspace. The language and the sync
//! handle are provided here, once, through [`crate::context`]; the sync
//! handle starts on sign-in and reports a session the server ended.

use enlace_shared::api::PersonView;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::auth::{AuthState, author_name};
use crate::browser;
use crate::components::connection_indicator::ConnectionIndicator;
use crate::components::current_user::CurrentUser;
use crate::components::language_switch::LanguageSwitch;
use crate::components::presence_bar::PresenceBar;
use crate::components::rejection_notice::RejectionNotice;
use crate::context::Locale;
use crate::http;
use crate::i18n::{Text, text};
use crate::pages::login::LoginPage;
use crate::pages::setup::SetupPage;
use crate::pages::workspace::WorkspacePage;
use crate::presence::PresenceHandle;
use crate::route::{Route, is_setup_path};
use crate::sync::SyncHandle;

#[component]
pub fn App() -> impl IntoView {
    let language = Locale::provide(browser::stored_language()).language();
    Effect::new(move |_| browser::apply_language(language.get()));

    let auth_state = RwSignal::new(AuthState::Checking);
    let on_setup_page = RwSignal::new(is_setup_path(&browser::location_path()));

    let sync = SyncHandle::new(Callback::new(move |()| auth_state.set(AuthState::SignedOut)));
    provide_context(sync);
    PresenceHandle::provide(sync);

    let signed_in = Callback::new(move |person: PersonView| {
        sync.start(author_name(&person));
        on_setup_page.set(false);
        auth_state.set(AuthState::SignedIn(person));
    });
    let sign_out = Callback::new(move |()| {
        sync.stop();
        spawn_local(async move {
            http::sign_out().await;
            auth_state.set(AuthState::SignedOut);
        });
    });

    if !on_setup_page.get_untracked() {
        spawn_local(async move {
            match http::current_person().await {
                Ok(Some(person)) => signed_in.run(person),
                Ok(None) => auth_state.set(AuthState::SignedOut),
                Err(error) => {
                    web_sys::console::warn_1(&format!("enlace: {error}").into());
                    auth_state.set(AuthState::SignedOut);
                }
            }
        });
    }

    let workspace_name = sync.workspace_name();
    let workspace_label = move || match auth_state.get() {
        AuthState::SignedIn(_) => workspace_name
            .get()
            .unwrap_or_else(|| text(language.get(), Text::WorkspaceLoading).to_owned()),
        _ => String::new(),
    };

    let current_user = move || match auth_state.get() {
        AuthState::SignedIn(person) => Some(view! {
            <CurrentUser display_name=author_name(&person).to_owned() role=sync.role() on_sign_out=sign_out />
        }),
        _ => None,
    };

    let page = move || {
        if on_setup_page.get() {
            return view! { <SetupPage on_signed_in=signed_in /> }.into_any();
        }
        match auth_state.get() {
            AuthState::Checking => {
                view! { <p class="muted">{move || text(language.get(), Text::CheckingSession)}</p> }
                    .into_any()
            }
            AuthState::SignedOut => view! { <LoginPage on_signed_in=signed_in /> }.into_any(),
            AuthState::SignedIn(_) => view! {
                <RejectionNotice
                    rejection=sync.rejection()
                    on_dismiss=Callback::new(move |()| sync.dismiss_rejection())
                />
                <WorkspacePage />
            }
            .into_any(),
        }
    };

    view! {
        <header class="topbar">
            <a class="brand" href=Route::Home.href()>
                <span class="logo" aria-hidden="true">"◆"</span>
                <div class="brand-text">
                    <h1>"Enlace"</h1>
                    <p class="workspace-name" data-testid="workspace-name">{workspace_label}</p>
                </div>
            </a>
            <div class="topbar-actions">
                {move || matches!(auth_state.get(), AuthState::SignedIn(_)).then(|| view! { <PresenceBar /> })}
                {current_user}
                <ConnectionIndicator state=sync.connection() />
                <LanguageSwitch />
            </div>
        </header>
        <main class="content">{page}</main>
        <footer class="footer">{move || text(language.get(), Text::Tagline)}</footer>
    }
}
