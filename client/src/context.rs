//! What the app shares through Leptos context, and the accessors that read
//! it: the interface language ([`Locale`]), the sync handle, and the signed-in
//! workspace ([`Workspace`]: the document read once per revision, the route,
//! and the moment the whole workspace is viewed as of, if any). Components and pages read these here rather than taking them as
//! props, so each arrives one way.

use std::sync::Arc;

use automerge::ChangeHash;
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
    pub snapshot: Memo<Arc<Snapshot>>,
    /// The screen the URL fragment names.
    pub route: RwSignal<Route>,
    /// While set, every screen shows the workspace as it was then, read-only.
    pub past: RwSignal<Option<PastMoment>>,
    /// The people history entries seen so far named, `(user id, name)`:
    /// the options of the person filters.
    pub people: RwSignal<Vec<(String, String)>>,
    /// When [`Self::past`] was last set (`performance.now()`), and how long
    /// the workspace then took to be read at those heads and drawn: the
    /// banner's `data-as-of-ms`, which the benchmarks read.
    pub as_of_started: StoredValue<f64>,
    pub as_of_ms: RwSignal<Option<f64>>,
}

/// A moment the workspace is viewed as of: the document's heads then, and
/// when it was (for the banner).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastMoment {
    pub heads: Vec<ChangeHash>,
    /// When the last change before it was received (ms since the epoch);
    /// `None` before the workspace's first change.
    pub at_ms: Option<i64>,
}

impl Workspace {
    /// Shows the whole workspace as of `moment`, read-only.
    pub fn view_as_of(self, moment: PastMoment) {
        self.as_of_started.set_value(crate::browser::performance_now());
        self.as_of_ms.set(None);
        self.past.set(Some(moment));
    }

    /// Leaves the view of the past.
    pub fn back_to_now(self) {
        self.past.set(None);
    }

    /// Whether the workspace is shown as of a past moment (edits disabled).
    pub fn viewing_past(self) -> Signal<bool> {
        let past = self.past;
        Signal::derive(move || past.with(Option::is_some))
    }

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
