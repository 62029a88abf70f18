//! A work-plan line's progress in figures: the one progress figure (with
//! what it measures), action items pending, overdue and done, activities
//! and meetings held, and alliances and collaborations by status (only the
//! statuses some record has). Each figure is also a `data-` attribute for
//! tests and tools.

use enlace_shared::followup::{LineSummary, Progress};
use enlace_shared::schema::{ALLIANCE_STATUSES, COLLABORATION_STATUSES, Choice, Collection, choice_label};
use leptos::prelude::*;

use crate::context::use_language;
use crate::i18n::{Text, text};

/// "label: count" for each status some record has (nothing if none has any).
fn by_status(
    collection: Collection,
    counts: Vec<(String, usize)>,
    choices: &'static [Choice],
) -> impl IntoView {
    let language = use_language();
    let lines: Vec<(String, usize)> = counts.into_iter().filter(|(_, count)| *count > 0).collect();
    (!lines.is_empty()).then(|| view! {
        <div class="progress-statuses" data-statuses=collection.key()>
            <span class="field-label">{move || collection.label(language.get())}</span>
            <ul>
                {lines.into_iter().map(|(slug, count)| {
                    let label = slug.clone();
                    view! { <li data-slug=slug data-count=count>{move || choice_label(choices, &label, language.get())} ": " {count}</li> }
                }).collect_view()}
            </ul>
        </div>
    })
}

#[component]
pub fn LineProgress(line: LineSummary) -> impl IntoView {
    let language = use_language();
    let LineSummary {
        activities,
        meetings,
        action_items: items,
        progress,
        ..
    } = line;
    let percent = progress.percent();
    let Progress {
        action_items,
        activities_held,
        meetings_held,
        alliances,
        collaborations,
        ..
    } = progress;
    let figure = move |count: usize, total: Option<usize>, label: Text| {
        view! {
            <li>
                <span class="progress-count">{count} {total.map(|total| view! { " " {move || text(language.get(), Text::OfTotal)} " " {total} })}</span>
                " " <span class="muted">{move || text(language.get(), label)}</span>
            </li>
        }
    };
    view! {
        <section class="card line-progress" data-testid="line-progress" data-percent=percent.map(|percent| percent.to_string())
            data-pending=action_items.open data-overdue=action_items.overdue data-done=action_items.done
            data-activities-held=activities_held data-meetings-held=meetings_held
            data-meetings=meetings.len() data-action-items=items.len()>
            <h3>{move || text(language.get(), Text::Progress)}</h3>
            <p class="progress-figure">
                {match percent {
                    Some(percent) => view! {
                        <span class="progress-percent">{percent} " %"</span>
                        <span class="progress-bar" aria-hidden="true"><span style=format!("width: {percent}%")></span></span>
                    }.into_any(),
                    None => view! { <span class="muted">{move || text(language.get(), Text::NothingToMeasure)}</span> }.into_any(),
                }}
            </p>
            <p class="muted progress-explained">{move || text(language.get(), Text::ProgressExplained)}</p>
            <ul class="progress-figures">
                {figure(action_items.open, None, Text::PendingItems)}
                {figure(action_items.overdue, None, Text::OverdueItems)}
                {figure(action_items.done, None, Text::DoneItems)}
                {figure(activities_held, Some(activities.len()), Text::ActivitiesHeld)}
                {figure(meetings_held, Some(meetings.len()), Text::MeetingsHeld)}
            </ul>
            {by_status(Collection::Alliances, alliances, ALLIANCE_STATUSES)}
            {by_status(Collection::Collaborations, collaborations, COLLABORATION_STATUSES)}
        </section>
    }
}
