//! The signed-in workspace: the navigation bar and the screen the URL
//! fragment names. Every screen shares one [`Snapshot`] through
//! [`Workspace`] in context: the sync handle's (read once per revision);
//! while the workspace is viewed as of a past moment, the workspace read at
//! the moment's heads instead (asked once: the past does not change), and a
//! banner says so.

use std::sync::Arc;

use enlace_shared::query::{Answer, Query};
use leptos::ev;
use leptos::leptos_dom::helpers::{request_animation_frame, window_event_listener};
use leptos::prelude::*;

use crate::browser;
use crate::collections::Snapshot;
use crate::components::as_of_banner::AsOfBanner;
use crate::components::nav_bar::NavBar;
use crate::components::rejection_notice::RejectionNotice;
use crate::context::{PastMoment, Workspace, use_sync};
use crate::pages::action_items::ActionItemsPage;
use crate::pages::collection_list::CollectionList;
use crate::pages::csv_import::CsvImportPage;
use crate::pages::history::HistoryPage;
use crate::pages::home::HomePage;
use crate::pages::map::MapPage;
use crate::pages::record_detail::RecordDetail;
use crate::pages::reports::ReportsPage;
use crate::pages::workplan::{WorkplanLinePage, WorkplanPage};
use crate::route::Route;

#[component]
pub fn WorkspacePage() -> impl IntoView {
    let sync = use_sync();
    let (present, revision) = (sync.snapshot(), sync.revision());
    let past = RwSignal::new(None::<PastMoment>);
    // The workspace read at the past moment's heads: asked once (the past
    // does not change), or at each revision until the document has synced
    // up to those heads.
    let past_read = RwSignal::new(None::<Arc<Snapshot>>);
    Effect::new(move || {
        let Some(heads) = past.with(|moment| moment.as_ref().map(|moment| moment.heads.clone())) else {
            past_read.set(None);
            return;
        };
        if past_read.with_untracked(|read| read.as_ref().is_some_and(|read| read.heads() == heads.as_slice()))
        {
            return;
        }
        revision.track();
        sync.ask(Query::Workspace { heads }, move |answer| {
            if let Some(Answer::Workspace(Some(image))) = answer {
                let read = Snapshot::from_image(image, revision.get_untracked()).into_past();
                let _ = past_read.try_set(Some(Arc::new(read)));
            }
        });
    });
    let snapshot = Memo::new(move |_| match past.get() {
        Some(moment) => past_read.with(|read| match read {
            Some(read) if read.heads() == moment.heads.as_slice() => Arc::clone(read),
            _ => Arc::new(Snapshot::empty_past(revision.get_untracked())),
        }),
        None => present.get(),
    });
    let route = RwSignal::new(Route::from_hash(&browser::location_hash()));
    let listener = window_event_listener(ev::hashchange, move |_| {
        route.set(Route::from_hash(&browser::location_hash()));
    });
    on_cleanup(move || listener.remove());
    let people = RwSignal::new(Vec::new());
    let (as_of_started, as_of_ms) = (StoredValue::new(0.0), RwSignal::new(None));
    // The in-page measurement of "view as of": from the moment being set to
    // the next animation frame after the snapshot at its heads is read (the
    // screens have drawn it by then).
    Effect::new(move || {
        let read = past.with(|moment| {
            moment.as_ref().is_some_and(|moment| {
                snapshot.with(|snapshot| snapshot.past && snapshot.heads() == moment.heads.as_slice())
            })
        });
        if read && as_of_ms.get_untracked().is_none() {
            request_animation_frame(move || {
                let _ = as_of_ms.try_set(Some(browser::performance_now() - as_of_started.get_value()));
            });
        }
    });
    provide_context(Workspace {
        snapshot,
        route,
        past,
        people,
        as_of_started,
        as_of_ms,
    });

    let page = move || match route.get() {
        Route::Home => view! { <HomePage /> }.into_any(),
        Route::List(collection) => view! { <CollectionList collection=collection /> }.into_any(),
        Route::Filtered(collection, filters) => {
            view! { <CollectionList collection=collection initial_filters=filters /> }.into_any()
        }
        Route::Record(collection, id) => view! { <RecordDetail collection=collection id=id /> }.into_any(),
        Route::History(screen) => view! { <HistoryPage screen=screen /> }.into_any(),
        Route::ActionItems(filter) => view! { <ActionItemsPage filter=filter /> }.into_any(),
        Route::Workplan(period) => view! { <WorkplanPage period=period /> }.into_any(),
        Route::WorkplanLine(id) => view! { <WorkplanLinePage id=id /> }.into_any(),
        Route::Import(collection) => view! { <CsvImportPage collection=collection /> }.into_any(),
        Route::Reports(screen) => view! { <ReportsPage screen=screen /> }.into_any(),
        Route::Map => view! { <MapPage /> }.into_any(),
    };
    view! {
        <RejectionNotice
            rejection=sync.rejection()
            on_dismiss=Callback::new(move |()| sync.dismiss_rejection())
        />
        <NavBar route=route.into() />
        <AsOfBanner />
        <div class="workspace-page" class:past=move || past.with(Option::is_some)>{page}</div>
    }
}
