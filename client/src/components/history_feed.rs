//! A timeline: pages of `GET …/history` for a set of filters, newest first,
//! grouped (one person's quick successive edits of one record become one
//! entry that expands), with "load older", and the first page fetched again
//! a little after the document changes, so new entries appear live. With no
//! connection it says so, keeps what it has, and fetches again once back.

use std::time::Duration;

use enlace_shared::api::HistoryQuery;
use enlace_shared::timetravel::{EntryGroup, GROUP_WINDOW_MS, group_entries};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::history_entry::HistoryGroup;
use crate::components::needs_connection::{NeedsConnection, offline};
use crate::context::{use_language, use_sync, use_workspace};
use crate::history::{Loaded, PAGE_SIZE, people_seen};
use crate::http;
use crate::i18n::{Text, text};
use crate::refetch::refetch_after_changes;

/// How long after a change the first page is fetched again (the server
/// writes the entry once it has committed the change).
const REFRESH_DELAY: Duration = Duration::from_millis(800);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FeedState {
    Loading,
    Ready,
    Failed,
}

#[component]
pub fn HistoryFeed(
    /// The filters; paging is the feed's own.
    query: HistoryQuery,
    /// Offer restores (a record's own panel).
    #[prop(optional)]
    restorable: bool,
) -> impl IntoView {
    let (sync, workspace, language) = (use_sync(), use_workspace(), use_language());
    let loaded = RwSignal::new(Loaded::default());
    let state = RwSignal::new(FeedState::Loading);
    let query = StoredValue::new(query);
    let workspace_id = sync.workspace_id();
    let revision = sync.revision();
    // No connection: the server's record waits for it (and follows it once back).
    let offline = offline(sync);
    let remember_people = move |loaded: &Loaded| {
        let seen = people_seen(&loaded.entries);
        workspace.people.update(|people| {
            for person in seen {
                if !people.iter().any(|(id, _)| *id == person.0) {
                    people.push(person);
                }
            }
        });
    };
    let fetch = move |before: Option<u64>| {
        let Some(id) = workspace_id.get_untracked() else {
            return;
        };
        let page_query = HistoryQuery {
            before,
            limit: Some(PAGE_SIZE),
            ..query.get_value()
        };
        spawn_local(async move {
            match http::history(&id.to_string(), &page_query).await {
                Ok(page) => {
                    // The feed may be gone by the time the page arrives (the
                    // person moved on): every access here is a `try_`.
                    let _ = loaded.try_update(|loaded| match before {
                        None => loaded.first_page(page),
                        Some(_) => loaded.older_page(page),
                    });
                    let _ = state.try_set(FeedState::Ready);
                    let _ = loaded.try_with_untracked(remember_people);
                }
                Err(error) => {
                    web_sys::console::warn_1(&format!("enlace: history: {error}").into());
                    let _ = state.try_set(FeedState::Failed);
                }
            }
        });
    };
    refetch_after_changes(
        sync,
        move || revision.track(),
        REFRESH_DELAY,
        move |_| fetch(None),
    );
    let groups = Memo::new(move |_| loaded.with(|loaded| group_entries(&loaded.entries, GROUP_WINDOW_MS)));
    let group_key = |group: &EntryGroup| (group.newest().seq, group.entries.len());
    let older = move || loaded.with(|loaded| loaded.next_before);
    view! {
        <div class="history-feed" data-testid="history-feed" data-state=move || format!("{:?}", state.get()).to_lowercase() data-offline=move || offline.get().to_string()>
            <NeedsConnection />
            {move || match state.get() {
                FeedState::Loading | FeedState::Failed if offline.get() => None,
                FeedState::Loading => Some(view! { <p class="muted">{move || text(language.get(), Text::Loading)}</p> }.into_any()),
                FeedState::Failed => Some(view! { <p class="form-error" role="alert">{move || text(language.get(), Text::LoadFailed)}</p> }.into_any()),
                FeedState::Ready if groups.with(Vec::is_empty) => Some(view! { <p class="muted empty" data-testid="no-entries">{move || text(language.get(), Text::NoEntries)}</p> }.into_any()),
                FeedState::Ready => None,
            }}
            <ul class="history-list">
                <For each=move || groups.get() key=group_key children=move |group| view! { <HistoryGroup group=group restorable=restorable /> } />
            </ul>
            <Show when=move || older().is_some()>
                <button type="button" class="secondary" data-testid="load-older" on:click=move |_| fetch(older())>
                    {move || text(language.get(), Text::LoadOlder)}
                </button>
            </Show>
        </div>
    }
}
