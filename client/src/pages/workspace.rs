//! The signed-in workspace: the navigation bar and the screen the URL
//! fragment names. The document is read once per revision into a
//! [`Snapshot`] that every screen shares through [`Workspace`] in context;
//! while the workspace is viewed as of a past moment, that snapshot is read
//! at the moment's heads instead (once: the past does not change), and a
//! banner says so. Until the local copy's document is loaded, the snapshot
//! is the workspace's image kept beside it; once edits settle, the snapshot
//! is kept as the next image.

use std::time::Duration;

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
use crate::sync::SyncHandle;

/// How long the workspace must stay unchanged before its image is kept.
const IMAGE_AFTER: Duration = Duration::from_secs(2);

#[component]
pub fn WorkspacePage() -> impl IntoView {
    let sync = use_sync();
    let revision = sync.revision();
    let past = RwSignal::new(None::<PastMoment>);
    let snapshot = Memo::new(move |previous: Option<&Snapshot>| {
        if let Some(moment) = past.get() {
            let read = sync
                .with_document_untracked(|document| {
                    Snapshot::read_at(document, &moment.heads, revision.get_untracked())
                })
                .flatten();
            return read.unwrap_or_else(|| {
                // The document has not synced that far yet: try again when it changes.
                revision.track();
                Snapshot::empty_past(revision.get_untracked())
            });
        }
        let revision = revision.get();
        let started = js_sys::Date::now();
        let snapshot = sync
            .with_document(|document| match previous {
                Some(previous) => Snapshot::advance(previous, document, revision),
                None => Snapshot::read(document, revision),
            })
            .or_else(|| sync.with_opening_image(|image| Snapshot::from_image(image.clone(), revision)))
            .unwrap_or_else(|| Snapshot::empty(revision));
        let elapsed = js_sys::Date::now() - started;
        if elapsed > 50.0 {
            web_sys::console::info_1(&format!("enlace: read the workspace in {elapsed} ms").into());
        }
        snapshot
    });
    keep_image_when_settled(sync, snapshot);
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

/// Once the workspace's heads have not changed for [`IMAGE_AFTER`], its
/// records are kept beside the local copy, to be drawn first at the next
/// opening. (The revision also moves for the connection's comings and
/// goings, which change no record.)
fn keep_image_when_settled(sync: SyncHandle, snapshot: Memo<Snapshot>) {
    Effect::new(move || {
        let Some(heads) = snapshot.with(|snapshot| (!snapshot.past).then(|| snapshot.heads().to_vec()))
        else {
            return;
        };
        set_timeout(
            move || {
                let settled = snapshot.try_with_untracked(|snapshot| {
                    (snapshot.heads() == heads.as_slice())
                        .then(|| snapshot.image())
                        .flatten()
                });
                if let Some(Some(image)) = settled {
                    sync.keep_image(&image);
                }
            },
            IMAGE_AFTER,
        );
    });
}
