//! Revert (secretariat): everything one person changed in a time range,
//! undone as new changes in the secretariat's name, after a preview. Fields
//! someone else changed since are listed as conflicts and left alone unless
//! the secretariat includes them.

use enlace_shared::api::{HistoryEntry, HistoryQuery};
use enlace_shared::intent::{Intent, Outcome};
use enlace_shared::query::{Answer, Query};
use enlace_shared::timetravel::{RevertAction, RevertStep};
use leptos::prelude::*;
use leptos::task::spawn_local;

use std::time::Duration;

use crate::browser;
use crate::components::needs_connection::{NeedsConnection, offline};
use crate::context::{use_language, use_sync, use_workspace};
use crate::history::{
    Loaded, REVERT_MAX_PAGES, field_label, parse_datetime_local, people_seen, utc_label, value_text,
};
use crate::http;
use crate::i18n::{Message, Text, text};
use crate::refetch::refetch_after_changes;
use crate::sync::SyncHandle;

/// How long after the connection comes back the people are fetched again.
const REFRESH_DELAY: Duration = Duration::from_millis(300);

/// Every entry of `query` (all pages, at most [`REVERT_MAX_PAGES`]).
async fn all_entries(sync: SyncHandle, query: HistoryQuery) -> Result<Vec<HistoryEntry>, Text> {
    let workspace_id = sync.workspace_id().get_untracked().ok_or(Text::ErrorNotLoaded)?;
    let mut loaded = Loaded::default();
    for page_number in 0..REVERT_MAX_PAGES {
        let page_query = HistoryQuery {
            before: loaded.next_before,
            ..query.clone()
        };
        let page = http::history(&workspace_id.to_string(), &page_query)
            .await
            .map_err(|_| Text::LoadFailed)?;
        if page_number == 0 {
            loaded.first_page(page);
        } else {
            loaded.older_page(page);
        }
        if loaded.next_before.is_none() {
            return Ok(loaded.entries);
        }
    }
    Err(Text::TooManyEntries)
}

/// The preview and what applying it takes.
#[derive(Debug, Clone, PartialEq)]
struct Preview {
    steps: Vec<RevertStep>,
    label: String,
}

#[component]
pub fn RevertPanel() -> impl IntoView {
    let (sync, workspace, language) = (use_sync(), use_workspace(), use_language());
    let (person, from, to) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let preview = RwSignal::new(None::<Preview>);
    let include_conflicts = RwSignal::new(false);
    let note = RwSignal::new(None::<Message>);
    let reverted = RwSignal::new(None::<usize>);
    let offline = offline(sync);
    // The person picker's options: the people of the latest entries, once
    // the workspace is known and again when the connection is back.
    refetch_after_changes(
        sync,
        || (),
        REFRESH_DELAY,
        move |workspace_id| {
            let latest = HistoryQuery {
                limit: Some(200),
                ..HistoryQuery::default()
            };
            spawn_local(async move {
                if let Ok(page) = http::history(&workspace_id.to_string(), &latest).await {
                    let seen = people_seen(&page.entries);
                    let _ = workspace.people.try_update(|people| {
                        for person in seen {
                            if !people.iter().any(|(id, _)| *id == person.0) {
                                people.push(person);
                            }
                        }
                    });
                }
            });
        },
    );
    let make_preview = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let (chosen, from_ms, to_ms) = (
            person.get_untracked(),
            parse_datetime_local(&from.get_untracked(), browser::utc_offset_minutes),
            parse_datetime_local(&to.get_untracked(), browser::utc_offset_minutes)
                .or(Some(browser::now_ms())),
        );
        let (Some(from_ms), Some(to_ms)) = (from_ms, to_ms) else {
            return note.set(Some(Message::Text(Text::Moment)));
        };
        if chosen.is_empty() {
            return note.set(Some(Message::Text(Text::FilterPerson)));
        }
        let query = HistoryQuery {
            person: Some(chosen),
            from_ms: Some(from_ms),
            to_ms: Some(to_ms),
            limit: Some(200),
            ..HistoryQuery::default()
        };
        note.set(None);
        reverted.set(None);
        spawn_local(async move {
            match all_entries(sync, query).await {
                Ok(entries) => {
                    sync.ask(Query::RevertPlan { entries }, move |answer| {
                        let steps = match answer {
                            Some(Answer::RevertPlan(steps)) => steps,
                            _ => Vec::new(),
                        };
                        let label = format!("from {} to {}", utc_label(from_ms), utc_label(to_ms));
                        let _ = include_conflicts.try_set(false);
                        let _ = preview.try_set(Some(Preview { steps, label }));
                    });
                }
                // No connection: the note above says so.
                Err(Text::LoadFailed) if offline.get_untracked() => {}
                Err(key) => {
                    let _ = note.try_set(Some(Message::Text(key)));
                }
            }
        });
    };
    let apply = move |_| {
        let Some(Preview { steps, label }) = preview.get_untracked() else {
            return;
        };
        let intent = Intent::Revert {
            steps,
            include_conflicts: include_conflicts.get_untracked(),
            label,
        };
        sync.edit(intent, move |result| match result {
            Ok(outcome) => {
                let count = match outcome {
                    Outcome::Reverted(count) => count,
                    _ => 0,
                };
                let _ = reverted.try_set(Some(count));
                let _ = preview.try_set(None);
            }
            Err(error) => {
                let _ = note.try_set(Some(error.message()));
            }
        });
    };
    let step_view = move |step: RevertStep| {
        let collection = step.collection;
        let what = match &step.action {
            RevertAction::SetField { field, to } => {
                let (field, to) = (field.clone(), to.clone());
                let label = field_label(Some(collection), &field, language.get_untracked());
                let value = workspace.snapshot.with_untracked(|snapshot| {
                    value_text(
                        to.as_ref(),
                        Some(collection),
                        &field,
                        snapshot,
                        language.get_untracked(),
                    )
                });
                format!("{label} → {value}")
            }
            RevertAction::Tombstone => text(language.get_untracked(), Text::RevertDelete).to_owned(),
            RevertAction::Undelete => text(language.get_untracked(), Text::RevertUndelete).to_owned(),
        };
        let current = step.conflict.then(|| {
            let field = match &step.action {
                RevertAction::SetField { field, .. } => field.clone(),
                _ => String::new(),
            };
            workspace.snapshot.with_untracked(|snapshot| {
                value_text(
                    step.current.as_ref(),
                    Some(collection),
                    &field,
                    snapshot,
                    language.get_untracked(),
                )
            })
        });
        view! {
            <li class="revert-step" class:conflict=step.conflict data-testid="revert-step" data-conflict=step.conflict.to_string()>
                <strong>{step.title.clone()}</strong> " · " {what}
                {current.map(|current| view! { <span class="muted"> " (" {move || text(language.get(), Text::RevertConflict)} " " {current} ")"</span> })}
            </li>
        }
    };
    let conflicts = move || {
        preview.with(|preview| {
            preview.as_ref().map_or(0, |preview| {
                preview.steps.iter().filter(|step| step.conflict).count()
            })
        })
    };
    let input = move |name: &'static str, label: Text, value: RwSignal<String>| {
        view! {
            <label class="list-control" for=format!("revert-{name}")>
                <span class="field-label">{move || text(language.get(), label)}</span>
                <input id=format!("revert-{name}") name=format!("revert-{name}") type="datetime-local" step="1"
                    prop:value=move || value.get() on:input=move |event| value.set(event_target_value(&event)) />
            </label>
        }
    };
    view! {
        <section class="card revert" data-testid="revert-panel">
            <p class="muted">{move || text(language.get(), Text::RevertIntro)}</p>
            <NeedsConnection />
            <form class="list-controls" on:submit=make_preview>
                <label class="list-control" for="revert-person">
                    <span class="field-label">{move || text(language.get(), Text::FilterPerson)}</span>
                    <select id="revert-person" name="revert-person" on:change=move |event| person.set(event_target_value(&event))>
                        <option value="">{move || text(language.get(), Text::NoneChosen)}</option>
                        {move || workspace.people.get().into_iter().map(|(id, name)| view! { <option value=id>{name}</option> }).collect_view()}
                    </select>
                </label>
                {input("from", Text::FilterFrom, from)}
                {input("to", Text::FilterTo, to)}
                <button type="submit" class="secondary" data-testid="revert-preview">{move || text(language.get(), Text::RevertPreview)}</button>
            </form>
            {move || note.get().map(|message| view! { <p class="form-error" role="alert">{move || message.get(language.get())}</p> })}
            {move || reverted.get().map(|count| view! { <p class="notice" role="status" data-testid="revert-done">{move || text(language.get(), Text::RevertDone)} " " {count}</p> })}
            {move || preview.get().map(|preview| if preview.steps.is_empty() {
                view! { <p class="muted">{move || text(language.get(), Text::NothingToRevert)}</p> }.into_any()
            } else {
                view! {
                    <ul class="revert-steps">{preview.steps.into_iter().map(step_view).collect_view()}</ul>
                    <Show when=move || { conflicts() > 0 }>
                        <label class="checkbox">
                            <input type="checkbox" name="include-conflicts" prop:checked=move || include_conflicts.get()
                                on:change=move |event| include_conflicts.set(event_target_checked(&event)) />
                            {move || text(language.get(), Text::IncludeConflicts)} " (" {conflicts} ")"
                        </label>
                    </Show>
                    <button type="button" class="primary" data-testid="revert-apply" on:click=apply>{move || text(language.get(), Text::RevertApply)}</button>
                }.into_any()
            })}
        </section>
    }
}
