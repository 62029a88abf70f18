//! The root component: the header, signing in and out, and the page.
//!
//! Screens: `/setup` shows first-start setup; otherwise `/api/me` decides
//! between the login page and the workspace. The language and the sync
//! handle are provided here, once, through [`crate::context`]; the sync
//! handle starts on sign-in and reports a session the server ended.

use enlace_shared::api::PersonView;
use leptos::leptos_dom::helpers::window_event_listener;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::auth::{AuthState, author_name};
use crate::browser;
use crate::components::connection_indicator::ConnectionIndicator;
use crate::components::current_user::CurrentUser;
use crate::components::language_switch::LanguageSwitch;
use crate::components::presence_bar::PresenceBar;
use crate::context::Locale;
use crate::http::{self, HttpError};
use crate::i18n::{self, Text, text};
use crate::local_copy;
use crate::pages::login::LoginPage;
use crate::pages::setup::SetupPage;
use crate::pages::workspace::WorkspacePage;
use crate::presence::PresenceHandle;
use crate::route::{Route, is_setup_path};
use crate::sync::{ConnectionState, SyncHandle};

#[component]
pub fn App() -> impl IntoView {
    let language = Locale::provide(browser::stored_language()).language();
    Effect::new(move |_| browser::apply_language(language.get()));

    let auth_state = RwSignal::new(AuthState::Checking);
    let on_setup_page = RwSignal::new(is_setup_path(&browser::location_path()));

    // The server ended the session (it expired, or was closed elsewhere):
    // this browser's copy and its waiting changes stay, and are sent once
    // the person signs in again.
    let session_ended = RwSignal::new(false);
    let sync = SyncHandle::new(Callback::new(move |()| {
        session_ended.set(true);
        auth_state.set(AuthState::SignedOut);
    }));
    provide_context(sync);
    PresenceHandle::provide(sync);

    let signed_in = Callback::new(move |person: PersonView| {
        session_ended.set(false);
        sync.start(author_name(&person), person.clone());
        on_setup_page.set(false);
        auth_state.set(AuthState::SignedIn(person));
    });
    // Signing out wipes this browser's copy (shared computers), after a
    // warning when changes have not reached the server yet.
    let sign_out = Callback::new(move |()| {
        let waiting = sync.waiting().get_untracked();
        if waiting > 0 && !browser::confirm(&i18n::waiting_sign_out(language.get_untracked(), waiting)) {
            return;
        }
        // The copy is wiped once the sync worker has stopped writing it.
        sync.sign_out(move || {
            spawn_local(async move {
                if let Err(error) = local_copy::wipe().await {
                    web_sys::console::warn_1(&format!("enlace: {error}").into());
                }
                http::sign_out().await;
                auth_state.set(AuthState::SignedOut);
            });
        });
    });
    // Back online: reconnect now rather than at the next retry.
    let _online = window_event_listener(leptos::ev::online, move |_| sync.reconnect_now());
    let _offline = window_event_listener(leptos::ev::offline, move |_| sync.went_offline());

    if !on_setup_page.get_untracked() {
        spawn_local(async move {
            match http::current_person().await {
                Ok(Some(person)) => signed_in.run(person),
                Ok(None) => auth_state.set(AuthState::SignedOut),
                // No network: open as the last person signed in here, from
                // this browser's copy; the server checks the session when
                // it is back.
                Err(HttpError::Unreachable(reason)) => match local_copy::last_sign_in().await {
                    Ok(Some(last)) => signed_in.run(last.person),
                    _ => {
                        web_sys::console::warn_1(&format!("enlace: {reason}").into());
                        auth_state.set(AuthState::SignedOut);
                    }
                },
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
            AuthState::SignedOut => view! {
                {move || session_ended.get().then(|| view! {
                    <p class="card offline-note" role="status" data-testid="session-ended">
                        {move || text(language.get(), Text::SessionEnded)}
                    </p>
                })}
                <LoginPage on_signed_in=signed_in />
            }
            .into_any(),
            AuthState::SignedIn(_) => view! {
                {move || (sync.from_local_copy().get() && sync.connection().get() != ConnectionState::Live).then(|| view! {
                    <p class="card offline-note" role="status" data-testid="offline-note">
                        {move || text(language.get(), Text::OpenedFromCopy)}
                    </p>
                })}
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
                <ConnectionIndicator
                    state=sync.connection()
                    waiting=sync.waiting()
                    figures=sync.local_figures()
                    tab=sync.tab_role()
                    actor=Signal::derive(move || sync.actor())
                />
                <LanguageSwitch />
            </div>
        </header>
        <UpdateNotice />
        <main class="content">{page}</main>
        <footer class="footer">{move || text(language.get(), Text::Tagline)}</footer>
    }
}

/// "A new version of Enlace is available — Reload", when the service worker
/// (see `index.html`) has a newer build installed and waiting.
#[component]
fn UpdateNotice() -> impl IntoView {
    let language = crate::context::use_language();
    let window = || js_sys::global();
    let flag = move || {
        js_sys::Reflect::get(&window(), &"enlaceUpdateReady".into())
            .ok()
            .and_then(|ready| ready.as_bool())
            .unwrap_or(false)
    };
    let ready = RwSignal::new(flag());
    let _listener =
        leptos::leptos_dom::helpers::window_event_listener_untyped("enlace-update", move |_| ready.set(true));
    let reload = move |_| {
        let update = js_sys::Reflect::get(&window(), &"enlaceUpdate".into())
            .ok()
            .and_then(|update| wasm_bindgen::JsCast::dyn_into::<js_sys::Function>(update).ok());
        if let Some(update) = update {
            let _ = update.call0(&wasm_bindgen::JsValue::NULL);
        }
    };
    move || {
        ready.get().then(|| view! {
            <p class="card update-note" role="status" data-testid="update-note">
                {move || text(language.get(), Text::NewVersion)} " "
                <button type="button" data-testid="update-reload" on:click=reload>{move || text(language.get(), Text::ReloadNow)}</button>
            </p>
        })
    }
}
