//! Following the work plan: `#/workplan` (every line of a period, picked
//! from the lines' own periods, the latest by default, each with its
//! progress) and `#/workplan/<line id>` (one line: its progress, then its
//! activities, alliances, collaborations, meetings, working groups and
//! action items). Computed by `enlace_shared::followup` from the snapshot.

use enlace_shared::followup::{self, LineSummary};
use enlace_shared::schema::Collection;
use leptos::prelude::*;

use crate::browser;
use crate::components::action_item_row::ActionItemList;
use crate::components::line_progress::LineProgress;
use crate::components::linked_list::LinkedSection;
use crate::context::{use_language, use_workspace};
use crate::i18n::{Text, text};
use crate::route::{ALL_PERIODS, Route};

#[component]
pub fn WorkplanPage(period: String) -> impl IntoView {
    let (workspace, language) = (use_workspace(), use_language());
    let periods = Memo::new(move |_| workspace.snapshot.with(|snapshot| followup::periods(&**snapshot)));
    // No period in the address: the latest one the lines have.
    let chosen = Memo::new(move |_| {
        if period.is_empty() {
            periods.with(|periods| periods.first().cloned().unwrap_or_default())
        } else {
            period.clone()
        }
    });
    let lines = Memo::new(move |_| {
        let today = browser::today();
        let period = chosen.get();
        let wanted = if period == ALL_PERIODS {
            ""
        } else {
            period.as_str()
        };
        workspace
            .snapshot
            .with(|snapshot| followup::overview(&**snapshot, wanted, &today))
    });
    let line = move |line: LineSummary| {
        let href = Route::WorkplanLine(line.id.clone()).href();
        let (id, title, period) = (line.id.clone(), line.title.clone(), line.period.clone());
        view! {
            <li class="workplan-line" data-testid="workplan-line" data-id=id>
                <h3><a href=href>{title}</a> " " <span class="muted">{period}</span></h3>
                <LineProgress line=line />
            </li>
        }
    };
    view! {
        <section class="workplan-page" data-testid="workplan">
            <div class="page-heading"><h2>{move || text(language.get(), Text::WorkplanFollowUp)}</h2></div>
            <div class="list-controls card">
                <label class="list-control" for="workplan-period">
                    <span class="field-label">{move || Collection::WorkplanLines.field("period").map(|spec| spec.label(language.get()))}</span>
                    <select id="workplan-period" name="period" on:change=move |event| workspace.go(&Route::Workplan(event_target_value(&event)))>
                        {move || periods.get().into_iter().map(|period| {
                            let selected = chosen.with(|chosen| *chosen == period);
                            let label = period.clone();
                            view! { <option value=period selected=selected>{label}</option> }
                        }).collect_view()}
                        <option value=ALL_PERIODS selected=move || chosen.with(|chosen| chosen == ALL_PERIODS)>
                            {move || text(language.get(), Text::AllPeriods)}
                        </option>
                    </select>
                </label>
            </div>
            <Show when=move || lines.with(|lines| !lines.is_empty())
                fallback=move || view! { <p class="empty muted">{move || text(language.get(), Text::NoLines)}</p> }>
                <ul class="workplan-lines">{move || lines.get().into_iter().map(line).collect_view()}</ul>
            </Show>
        </section>
    }
}

#[component]
pub fn WorkplanLinePage(id: String) -> impl IntoView {
    let (workspace, language) = (use_workspace(), use_language());
    let lookup = id.clone();
    let summary = Memo::new(move |_| {
        let today = browser::today();
        workspace
            .snapshot
            .with(|snapshot| followup::line_summary(&**snapshot, &lookup, &today))
    });
    let body = move || {
        let Some(line) = summary.get() else {
            return view! { <p class="empty muted">{move || text(language.get(), Text::NotFound)}</p> }
                .into_any();
        };
        let items = line.action_items.clone();
        let count = items.len();
        view! {
            <div class="page-heading record-heading">
                <h2 class:deleted=line.deleted>{line.title.clone()}</h2>
                <span class="muted">{line.period.clone()}</span>
                <a class="secondary" data-testid="line-record" href=Route::Record(Collection::WorkplanLines, line.id.clone()).href()>
                    {move || Collection::WorkplanLines.label(language.get())}
                </a>
            </div>
            <LineProgress line=line.clone() />
            <section class="card linked-section" data-section="action_items" data-count=count>
                <h3>{move || Collection::ActionItems.label(language.get())} " " <span class="count">{count}</span></h3>
                <ActionItemList items=Signal::derive(move || items.clone()) show_meeting=true />
            </section>
            <div class="linked-grid">
                <LinkedSection collection=Collection::Meetings records=line.meetings />
                <LinkedSection collection=Collection::Activities records=line.activities />
                <LinkedSection collection=Collection::Alliances records=line.alliances />
                <LinkedSection collection=Collection::Collaborations records=line.collaborations />
                <LinkedSection collection=Collection::WorkingGroups records=line.working_groups />
            </div>
        }
        .into_any()
    };
    view! {
        <section class="workplan-line-page" data-testid="workplan-line-page" data-id=id>
            <a class="back-link" href=Route::Workplan(String::new()).href()>"← " {move || text(language.get(), Text::WorkplanFollowUp)}</a>
            {body}
        </section>
    }
}
