//! The signed-in workspace: the navigation bar and the screen the URL
//! fragment names. The document is read once per revision into a
//! [`Snapshot`] that every screen shares through [`Workspace`] in context.

use leptos::ev;
use leptos::leptos_dom::helpers::window_event_listener;
use leptos::prelude::*;

use crate::browser;
use crate::collections::Snapshot;
use crate::components::nav_bar::NavBar;
use crate::context::{Workspace, use_sync};
use crate::pages::collection_list::CollectionList;
use crate::pages::home::HomePage;
use crate::pages::record_detail::RecordDetail;
use crate::route::Route;

#[component]
pub fn WorkspacePage() -> impl IntoView {
    let sync = use_sync();
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

    let page = move || match route.get() {
        Route::Home => view! { <HomePage /> }.into_any(),
        Route::List(collection) => view! { <CollectionList collection=collection /> }.into_any(),
        Route::Filtered(collection, filters) => {
            view! { <CollectionList collection=collection initial_filters=filters /> }.into_any()
        }
        Route::Record(collection, id) => view! { <RecordDetail collection=collection id=id /> }.into_any(),
    };
    view! {
        <NavBar route=route.into() />
        <div class="workspace-page">{page}</div>
    }
}
