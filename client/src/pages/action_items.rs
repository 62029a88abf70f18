//! The open action items across all meetings (`#/action-items`): filters
//! for owner, work-plan line, due dates and closed items, kept in the URL
//! fragment (each change opens the filtered view's address, so filters are
//! bookmarkable and the back button undoes them); overdue items first
//! among equals of date, marked in words.

use enlace_shared::followup::{self, ActionFilter};
use enlace_shared::schema::Collection;
use leptos::prelude::*;

use crate::browser;
use crate::components::action_item_row::ActionItemList;
use crate::components::reference_picker::ReferenceSelect;
use crate::context::{use_language, use_workspace};
use crate::i18n::{Text, text};
use crate::route::Route;

/// A labelled date input of the filter bar.
fn date_filter(
    name: &'static str,
    label: Text,
    value: String,
    on_change: impl Fn(String) + 'static,
) -> impl IntoView {
    let language = use_language();
    view! {
        <label class="list-control" for=format!("filter-{name}")>
            <span class="field-label">{move || text(language.get(), label)}</span>
            <input type="date" id=format!("filter-{name}") name=name value=value
                on:change=move |event| on_change(event_target_value(&event)) />
        </label>
    }
}

#[component]
pub fn ActionItemsPage(filter: ActionFilter) -> impl IntoView {
    let (workspace, language) = (use_workspace(), use_language());
    let (due_from, due_to, include_closed) = (
        filter.due_from.clone(),
        filter.due_to.clone(),
        filter.include_closed,
    );
    let stored = StoredValue::new(filter);
    let open = move |change: fn(&mut ActionFilter, String), value: String| {
        let mut next = stored.get_value();
        change(&mut next, value);
        workspace.go(&Route::ActionItems(next));
    };
    let items = Memo::new(move |_| {
        let today = browser::today();
        workspace.snapshot.with(|snapshot| {
            stored.with_value(|filter| followup::open_action_items(&**snapshot, filter, &today))
        })
    });
    let overdue = move || items.with(|items| items.iter().filter(|item| item.overdue).count());
    let label = |key: &'static str| {
        move || {
            Collection::ActionItems
                .field(key)
                .map(|spec| spec.label(language.get()))
        }
    };
    view! {
        <section class="action-items-page" data-testid="open-action-items">
            <div class="page-heading">
                <h2>{move || text(language.get(), Text::OpenActionItems)}</h2>
            </div>
            <div class="list-controls card">
                <label class="list-control" for="filter-owner">
                    <span class="field-label">{label("owner")}</span>
                    <ReferenceSelect target=Collection::Organisations value=Signal::derive(move || stored.with_value(|filter| filter.owner.clone()))
                        on_change=Callback::new(move |value| open(|filter, value| filter.owner = value, value))
                        control_id="filter-owner".to_owned() name="owner".to_owned() disabled=false />
                </label>
                <label class="list-control" for="filter-line">
                    <span class="field-label">{label("workplan_line")}</span>
                    <ReferenceSelect target=Collection::WorkplanLines value=Signal::derive(move || stored.with_value(|filter| filter.workplan_line.clone()))
                        on_change=Callback::new(move |value| open(|filter, value| filter.workplan_line = value, value))
                        control_id="filter-line".to_owned() name="line".to_owned() disabled=false />
                </label>
                {date_filter("due-from", Text::DueFrom, due_from, move |value| open(|filter, value| filter.due_from = value, value))}
                {date_filter("due-to", Text::DueTo, due_to, move |value| open(|filter, value| filter.due_to = value, value))}
                <label class="list-control checkbox">
                    <input type="checkbox" name="show-closed" data-testid="show-closed" prop:checked=include_closed
                        on:change=move |event| {
                            let checked = if event_target_checked(&event) { "1" } else { "" };
                            open(|filter, value| filter.include_closed = value == "1", checked.to_owned());
                        } />
                    <span>{move || text(language.get(), Text::ShowClosed)}</span>
                </label>
            </div>
            <section class="card list-card">
                <p class="muted" data-testid="result-count">
                    {move || items.with(Vec::len)} " " {move || text(language.get(), Text::Results)}
                    <span data-testid="overdue-count" data-count=overdue>
                        " · " {overdue} " " {move || text(language.get(), Text::OverdueItems).to_lowercase()}
                    </span>
                </p>
                <ActionItemList items=items.into() show_meeting=true />
            </section>
        </section>
    }
}
