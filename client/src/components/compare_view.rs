//! Compare two moments: which records were added, removed, restored or
//! edited between them, field by field. The server only turns each moment
//! into heads; the comparison reads the browser's own copy of the document.

use std::time::Duration;

use automerge::ChangeHash;
use enlace_shared::query::{Answer, Query};
use enlace_shared::timetravel::{RecordDiff, RecordStatus};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::browser;
use crate::components::field_change::FieldChangeLine;
use crate::components::needs_connection::{NeedsConnection, offline};
use crate::context::{use_language, use_sync, use_workspace};
use crate::history::{parse_datetime_local, parse_heads};
use crate::http;
use crate::i18n::{Text, text};
use crate::refetch::refetch_after_changes;
use crate::route::{HistoryScreen, Route};
use crate::sync::SyncHandle;

/// How long after the connection comes back a comparison is asked again.
const RETRY_DELAY: Duration = Duration::from_millis(300);

fn status_words(status: &RecordStatus) -> Text {
    match status {
        RecordStatus::Added => Text::Added,
        RecordStatus::Removed => Text::Removed,
        RecordStatus::Restored => Text::Restored,
        RecordStatus::Edited => Text::Edited,
    }
}

fn status_slug(status: &RecordStatus) -> &'static str {
    match status {
        RecordStatus::Added => "added",
        RecordStatus::Removed => "removed",
        RecordStatus::Restored => "restored",
        RecordStatus::Edited => "edited",
    }
}

/// The heads as of a `datetime-local` value; `Ok(None)` for an empty one (now).
async fn heads_at(sync: SyncHandle, value: &str) -> Result<Option<Vec<ChangeHash>>, Text> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    let at_ms = parse_datetime_local(value, browser::utc_offset_minutes).ok_or(Text::Moment)?;
    let workspace_id = sync.workspace_id().get_untracked().ok_or(Text::ErrorNotLoaded)?;
    let moment = http::history_moment(&workspace_id.to_string(), at_ms)
        .await
        .map_err(|_| Text::LoadFailed)?;
    parse_heads(&moment.heads).map(Some).ok_or(Text::LoadFailed)
}

#[component]
pub fn CompareView(from: String, to: String) -> impl IntoView {
    let (sync, workspace, language) = (use_sync(), use_workspace(), use_language());
    let (from_value, to_value) = (RwSignal::new(from.clone()), RwSignal::new(to.clone()));
    let result = RwSignal::new(None::<Result<Vec<RecordDiff>, Text>>);
    // How long the comparison itself took (`data-compare-ms`, for the benchmarks).
    let compare_ms = RwSignal::new(None::<f64>);
    let offline = offline(sync);
    let asked = !from.trim().is_empty();
    let moments = StoredValue::new((from, to));
    // The moments are the server's: asked once the connection is live, and
    // again (when it comes back, or the server has all this page wrote)
    // until the comparison is made.
    refetch_after_changes(
        sync,
        || (),
        RETRY_DELAY,
        move |_| {
            let compared = result.with_untracked(|result| matches!(result, Some(Ok(_))));
            if !asked || compared {
                return;
            }
            let (from, to) = moments.get_value();
            spawn_local(async move {
                let moments = async {
                    let before = heads_at(sync, &from).await?.ok_or(Text::Moment)?;
                    Ok::<_, Text>((before, heads_at(sync, &to).await?))
                }
                .await;
                let (before, after) = match moments {
                    Ok(moments) => moments,
                    Err(key) => {
                        let _ = result.try_set(Some(Err(key)));
                        return;
                    }
                };
                let started = browser::performance_now();
                sync.ask(Query::Compare { before, after }, move |answer| {
                    let _ = compare_ms.try_set(Some(browser::performance_now() - started));
                    let outcome = match answer {
                        Some(Answer::Compare(Some(diffs))) => Ok(diffs),
                        // Not synced up to one of the moments yet.
                        _ => Err(Text::ErrorNotLoaded),
                    };
                    let _ = result.try_set(Some(outcome));
                });
            });
        },
    );
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        workspace.go(&Route::History(HistoryScreen::Compare {
            from: from_value.get_untracked(),
            to: to_value.get_untracked(),
        }));
    };
    let input = move |name: &'static str, label: Text, value: RwSignal<String>| {
        view! {
            <label class="list-control" for=format!("compare-{name}")>
                <span class="field-label">{move || text(language.get(), label)}</span>
                <input id=format!("compare-{name}") name=format!("compare-{name}") type="datetime-local" step="1"
                    prop:value=move || value.get() on:input=move |event| value.set(event_target_value(&event)) />
            </label>
        }
    };
    let row = move |diff: RecordDiff| {
        let RecordDiff {
            collection,
            record_id,
            title,
            status,
            fields,
        } = diff;
        let words = status_words(&status);
        let href = Route::Record(collection, record_id.clone()).href();
        let fields = fields
            .into_iter()
            .map(|change| view! { <FieldChangeLine collection=Some(collection) change=change /> })
            .collect_view();
        view! {
            <li class="compare-row" data-testid="compare-row" data-status=status_slug(&status) data-id=record_id>
                <p>
                    <a href=href>{title}</a> " "
                    <span class="muted">{move || collection.label(language.get())}</span> " "
                    <span class="badge kind">{move || text(language.get(), words)}</span>
                </p>
                <ul class="field-changes">{fields}</ul>
            </li>
        }
    };
    view! {
        <section class="card compare" data-testid="compare"
            data-outcome=move || result.with(|result| match result {
                None => "none",
                Some(Ok(_)) => "compared",
                Some(Err(_)) => "failed",
            })
            data-compare-ms=move || compare_ms.get().map(|ms| format!("{ms:.2}"))>
            <form class="list-controls" on:submit=submit>
                {input("from", Text::CompareFrom, from_value)}
                {input("to", Text::CompareTo, to_value)}
                <button type="submit" class="primary" data-testid="compare-run">{move || text(language.get(), Text::CompareRun)}</button>
            </form>
            <NeedsConnection />
            {move || result.get().map(|outcome| match outcome {
                // Said by the note above; asked again once back.
                Err(Text::LoadFailed) if offline.get() => ().into_any(),
                Err(key) => view! { <p class="form-error" role="alert">{move || text(language.get(), key)}</p> }.into_any(),
                Ok(diffs) if diffs.is_empty() => view! { <p class="muted" data-testid="no-differences">{move || text(language.get(), Text::NoDifferences)}</p> }.into_any(),
                Ok(diffs) => view! { <ul class="compare-list">{diffs.into_iter().map(row).collect_view()}</ul> }.into_any(),
            })}
        </section>
    }
}
