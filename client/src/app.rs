//! The root component: the header, the language switch and the page.

use enlace_shared::model::Language;
use leptos::prelude::*;

use crate::browser;
use crate::components::connection_indicator::ConnectionIndicator;
use crate::components::language_switch::LanguageSwitch;
use crate::components::rejection_notice::RejectionNotice;
use crate::i18n::{Text, text};
use crate::pages::directory::DirectoryPage;
use crate::sync::SyncHandle;

/// The interface language, shared through context.
#[derive(Debug, Clone, Copy)]
pub struct Locale(pub RwSignal<Language>);

impl Locale {
    pub fn language(self) -> Signal<Language> {
        self.0.into()
    }
}

#[component]
pub fn App() -> impl IntoView {
    let language = RwSignal::new(browser::stored_language());
    Effect::new(move |_| browser::apply_language(language.get()));
    provide_context(Locale(language));

    let sync = SyncHandle::start();
    provide_context(sync);

    let workspace_name = sync.workspace_name();
    let workspace_label = move || {
        workspace_name
            .get()
            .unwrap_or_else(|| text(language.get(), Text::WorkspaceLoading).to_owned())
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
                <ConnectionIndicator state=sync.connection() language=language.into() />
                <LanguageSwitch
                    language=language.into()
                    on_change=Callback::new(move |choice| language.set(choice))
                />
            </div>
        </header>
        <main class="content">
            <RejectionNotice
                rejection=sync.rejection()
                language=language.into()
                on_dismiss=Callback::new(move |()| sync.dismiss_rejection())
            />
            <DirectoryPage />
        </main>
        <footer class="footer">{move || text(language.get(), Text::Tagline)}</footer>
    }
}
