//! The root component: the header, the language switch, signing in and out,
//! and the page.
//!
//! Screens: `/setup` shows first-start setup; otherwise `/api/me` decides
//! between the login page and the directory. The sync handle is created once
//! and started on sign-in; it reports a session the server ended.

use enlace_shared::model::Language;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::auth::{self, AuthState, Person};
use crate::browser;
use crate::components::connection_indicator::ConnectionIndicator;
use crate::components::current_user::CurrentUser;
use crate::components::language_switch::LanguageSwitch;
use crate::components::rejection_notice::RejectionNotice;
use crate::i18n::{Text, text};
use crate::pages::login::LoginPage;
use crate::pages::setup::SetupPage;
use crate::pages::workspace::WorkspacePage;
use crate::sync::SyncHandle;

/// The path of the first-start setup page.
pub const SETUP_PATH: &str = "/setup";

/// The interface language, shared through context.
#[derive(Debug, Clone, Copy)]
pub struct Locale(pub RwSignal<Language>);

impl Locale {
    pub fn language(self) -> Signal<Language> {
        self.0.into()
    }
}

/// Whether the page at `path` is the setup page (a trailing slash is fine).
pub fn is_setup_path(path: &str) -> bool {
    path.trim_end_matches('/') == SETUP_PATH
}

#[component]
pub fn App() -> impl IntoView {
    let language = RwSignal::new(browser::stored_language());
    Effect::new(move |_| browser::apply_language(language.get()));
    provide_context(Locale(language));

    let auth_state = RwSignal::new(AuthState::Checking);
    let on_setup_page = RwSignal::new(is_setup_path(&browser::location_path()));

    let sync = SyncHandle::new(Callback::new(move |()| auth_state.set(AuthState::SignedOut)));
    provide_context(sync);

    let signed_in = Callback::new(move |person: Person| {
        sync.start(person.author_name());
        on_setup_page.set(false);
        auth_state.set(AuthState::SignedIn(person));
    });
    let sign_out = Callback::new(move |()| {
        sync.stop();
        spawn_local(async move {
            auth::sign_out().await;
            auth_state.set(AuthState::SignedOut);
        });
    });

    if !on_setup_page.get_untracked() {
        spawn_local(async move {
            match auth::current_person().await {
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
            <CurrentUser
                display_name=person.author_name().to_owned()
                role=sync.role()
                language=language.into()
                on_sign_out=sign_out
            />
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
                    language=language.into()
                    on_dismiss=Callback::new(move |()| sync.dismiss_rejection())
                />
                <WorkspacePage />
            }
            .into_any(),
        }
    };

    view! {
        <header class="topbar">
            <div class="brand">
                <span class="logo" aria-hidden="true">"◆"</span>
                <div class="brand-text">
                    <h1>"Enlace"</h1>
                    <p class="workspace-name" data-testid="workspace-name">{workspace_label}</p>
                </div>
            </div>
            <div class="topbar-actions">
                {current_user}
                <ConnectionIndicator state=sync.connection() language=language.into() />
                <LanguageSwitch
                    language=language.into()
                    on_change=Callback::new(move |choice| language.set(choice))
                />
            </div>
        </header>
        <main class="content">{page}</main>
        <footer class="footer">{move || text(language.get(), Text::Tagline)}</footer>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_setup_page_has_one_path() {
        assert!(is_setup_path("/setup"));
        assert!(is_setup_path("/setup/"));
        assert!(!is_setup_path("/"));
        assert!(!is_setup_path("/setup-other"));
    }
}
