//! What the app shares through Leptos context, and the accessors that read
//! it: the interface language ([`Locale`]), the sync handle, and the signed-in
//! workspace ([`Workspace`]: the document read once per revision, and the
//! route). Components and pages read these here rather than taking them as
//! props, so each arrives one way.

use enlace_shared::language::Language;
use leptos::prelude::*;

use crate::collections::Snapshot;
use crate::route::Route;
use crate::sync::SyncHandle;

/// The interface language; the app provides it once, at its root.
#[derive(Debug, Clone, Copy)]
pub struct Locale(RwSignal<Language>);

impl Locale {
    pub fn provide(initial: Language) -> Self {
        let locale = Self(RwSignal::new(initial));
        provide_context(locale);
        locale
    }

    pub fn language(self) -> Signal<Language> {
        self.0.into()
    }

    pub fn set(self, language: Language) {
        self.0.set(language);
    }
}

pub fn use_locale() -> Locale {
    expect_context::<Locale>()
}

/// The interface language, as a signal.
pub fn use_language() -> Signal<Language> {
    use_locale().language()
}

/// The one connection to the server (see [`crate::sync`]).
pub fn use_sync() -> SyncHandle {
    expect_context::<SyncHandle>()
}

/// The signed-in workspace, provided by the workspace page for every screen
/// inside it.
#[derive(Clone, Copy)]
pub struct Workspace {
    /// Every record, read once per document revision.
    pub snapshot: Memo<Snapshot>,
    /// The screen the URL fragment names.
    pub route: RwSignal<Route>,
}

impl Workspace {
    /// Opens `route`; the `hashchange` listener then updates [`Self::route`].
    pub fn go(self, route: &Route) {
        if let Some(window) = web_sys::window() {
            let _ = window.location().set_hash(&route.href());
        }
    }
}

pub fn use_workspace() -> Workspace {
    expect_context::<Workspace>()
}
