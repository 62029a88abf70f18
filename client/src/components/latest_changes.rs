//! The latest changes: for roles that may read the audit trail, the newest
//! receipts from the server (who, when, what); for the others, the newest
//! records of the document.

use std::time::Duration;

use enlace_shared::api::Receipt;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::browser;
use crate::collections::display_title;
use crate::context::{use_language, use_sync, use_workspace};
use crate::http;
use crate::i18n::{Text, text};
use crate::overview::{latest_records, time_ago};
use crate::refetch::refetch_after_changes;
use crate::route::Route;

/// How many changes or records the card lists.
const SHOWN: usize = 6;
/// How long after a change of the document the receipts are fetched again,
/// so a burst of typing costs one request.
const REFRESH_DELAY: Duration = Duration::from_secs(1);

#[component]
pub fn LatestChanges() -> impl IntoView {
    let (sync, language) = (use_sync(), use_language());
    let role = sync.role();
    let audits = Memo::new(move |_| role.get().is_some_and(|role| role.may_audit()));
    view! {
        <section class="card home-card latest" data-testid="latest-changes"
            data-source=move || if audits.get() { "receipts" } else { "records" }>
            <h3>{move || text(language.get(), if audits.get() { Text::LatestChanges } else { Text::LatestRecords })}</h3>
            {move || if audits.get() { view! { <Receipts /> }.into_any() } else { view! { <NewestRecords /> }.into_any() }}
        </section>
    }
}

/// The newest receipts, fetched on arrival and again after the document changes.
#[component]
fn Receipts() -> impl IntoView {
    let (sync, language) = (use_sync(), use_language());
    let revision = sync.revision();
    let receipts = RwSignal::new(Vec::<Receipt>::new());
    refetch_after_changes(
        sync,
        move || revision.track(),
        REFRESH_DELAY,
        move |id| {
            spawn_local(async move {
                match http::latest_changes(&id.to_string(), SHOWN).await {
                    Ok(page) => {
                        let _ =
                            receipts.try_set(page.changes.into_iter().map(|change| change.receipt).collect());
                    }
                    Err(error) => {
                        web_sys::console::warn_1(&format!("enlace: latest changes: {error}").into());
                    }
                }
            });
        },
    );
    let item = move |receipt: Receipt| {
        view! {
            <li data-testid="change">
                <span class="who">{receipt.user_name}</span>
                <span class="what">{receipt.message.unwrap_or_default()}</span>
                <span class="muted when">{move || time_ago(browser::now_ms(), receipt.received_at_ms, language.get())}</span>
            </li>
        }
    };
    view! {
        <Show when=move || receipts.with(|receipts| !receipts.is_empty()) fallback=move || view! { <p class="muted">{move || text(language.get(), Text::NothingYet)}</p> }>
            <ul class="feed">{move || receipts.get().into_iter().map(item).collect_view()}</ul>
        </Show>
    }
}

/// The newest records, by the time written in them.
#[component]
fn NewestRecords() -> impl IntoView {
    let (workspace, language) = (use_workspace(), use_language());
    let newest = Memo::new(move |_| {
        workspace.snapshot.with(|snapshot| {
            latest_records(snapshot, SHOWN)
                .into_iter()
                .map(|record| {
                    (
                        record.collection,
                        record.id.clone(),
                        display_title(snapshot, record),
                        record.created_at,
                    )
                })
                .collect::<Vec<_>>()
        })
    });
    let item = move |(collection, id, title, created_at): (_, String, String, i64)| {
        view! {
            <li data-testid="change">
                <a href=Route::Record(collection, id).href()>{title}</a>
                <span class="what muted">{move || collection.label(language.get())}</span>
                <span class="muted when">{move || time_ago(browser::now_ms(), created_at, language.get())}</span>
            </li>
        }
    };
    view! {
        <Show when=move || newest.with(|newest| !newest.is_empty()) fallback=move || view! { <p class="muted">{move || text(language.get(), Text::NothingYet)}</p> }>
            <ul class="feed">{move || newest.get().into_iter().map(item).collect_view()}</ul>
        </Show>
    }
}
