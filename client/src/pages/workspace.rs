//! The signed-in workspace: the navigation bar over the collections and the
//! screen the URL fragment names. The document is read once per revision
//! into a [`Snapshot`] every page shares through [`Workspace`].

use leptos::ev;
use leptos::leptos_dom::helpers::window_event_listener;
use leptos::prelude::*;

use crate::app::Locale;
use crate::browser;
use crate::collections::Snapshot;
use crate::components::nav_bar::NavBar;
use crate::pages::collection_list::CollectionList;
use crate::pages::directory::DirectoryPage;
use crate::pages::record_detail::RecordDetail;
use crate::route::Route;
use crate::sync::SyncHandle;

/// What every collection page reads, from context.
#[derive(Clone, Copy)]
pub struct Workspace {
    pub snapshot: Memo<Snapshot>,
    pub route: RwSignal<Route>,
}

impl Workspace {
    pub fn go(self, route: &Route) {
        if let Some(window) = web_sys::window() {
            // The `hashchange` listener then updates `route`.
            let _ = window.location().set_hash(&route.href());
        }
    }
}

#[component]
pub fn WorkspacePage() -> impl IntoView {
    let sync = expect_context::<SyncHandle>();
    let language = expect_context::<Locale>().language();
    let revision = sync.revision();
    let snapshot = Memo::new(move |previous: Option<&Snapshot>| {
        let revision = revision.get();
        let started = js_sys::Date::now();
        let snapshot = sync
            .with_document(|document| match previous {
                Some(previous) => Snapshot::advance(previous, document, revision),
                None => Snapshot::read(document, revision),
            })
            .unwrap_or_else(|| Snapshot::empty(revision));
        let elapsed = js_sys::Date::now() - started;
        if elapsed > 50.0 {
            web_sys::console::info_1(&format!("enlace: read the workspace in {elapsed} ms").into());
        }
        snapshot
    });
    let route = RwSignal::new(Route::from_hash(&browser::location_hash()));
    let listener = window_event_listener(ev::hashchange, move |_| {
        route.set(Route::from_hash(&browser::location_hash()));
    });
    on_cleanup(move || listener.remove());
    provide_context(Workspace { snapshot, route });

    let current = Signal::derive(move || route.with(Route::collection));
    let page = move || match route.get() {
        Route::Home => view! { <DirectoryPage /> }.into_any(),
        Route::List(collection) => view! { <CollectionList collection=collection /> }.into_any(),
        Route::Record(collection, id) => view! { <RecordDetail collection=collection id=id /> }.into_any(),
    };
    view! {
        <NavBar current=current language=language />
        <div class="workspace-page">{page}</div>
    }
}
