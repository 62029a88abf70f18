//! The timeline's filters: person, organisation, collection, record (once a
//! collection is chosen), date range and kind. Each change opens the
//! filtered timeline's URL, so filters are bookmarkable and the back button
//! undoes them.

use enlace_shared::api::EntryKind;
use enlace_shared::schema::Collection;
use leptos::prelude::*;

use crate::collections::{display_title, fold};
use crate::context::{use_language, use_workspace};
use crate::history::{HistoryFilters, kind_label};
use crate::i18n::{Text, text};
use crate::route::{HistoryScreen, Route};

/// A labelled select over `options` (`(value, label)`), "all" first.
fn select(
    name: &'static str,
    label: Text,
    current: String,
    options: Signal<Vec<(String, String)>>,
    on_change: impl Fn(String) + 'static,
) -> impl IntoView {
    let language = use_language();
    view! {
        <label class="list-control" for=format!("history-{name}")>
            <span class="field-label">{move || text(language.get(), label)}</span>
            <select id=format!("history-{name}") name=format!("history-{name}") on:change=move |event| on_change(event_target_value(&event))>
                <option value="" selected=current.is_empty()>{move || text(language.get(), Text::AllValues)}</option>
                {move || options.get().into_iter().map(|(value, label)| {
                    let selected = value == current;
                    view! { <option value=value selected=selected>{label}</option> }
                }).collect_view()}
            </select>
        </label>
    }
}

#[component]
pub fn HistoryFilterBar(filters: HistoryFilters) -> impl IntoView {
    let (workspace, language) = (use_workspace(), use_language());
    let filters = StoredValue::new(filters);
    let open = move |change: fn(&mut HistoryFilters, String), value: String| {
        let mut next = filters.get_value();
        change(&mut next, value);
        workspace.go(&Route::History(HistoryScreen::Timeline(next)));
    };
    let current = filters.get_value();
    let people = Signal::derive(move || {
        let mut people = workspace.people.get();
        let chosen = filters.with_value(|filters| filters.person.clone());
        if !chosen.is_empty() && !people.iter().any(|(id, _)| *id == chosen) {
            people.push((chosen.clone(), chosen));
        }
        people.sort_by_key(|(_, name)| fold(name));
        people
    });
    let titles = move |collection: Collection| {
        workspace.snapshot.with(|snapshot| {
            let mut options: Vec<(String, String)> = snapshot
                .records(collection)
                .iter()
                .map(|record| (record.id.clone(), display_title(snapshot, record)))
                .collect();
            options.sort_by_key(|(_, label)| fold(label));
            options
        })
    };
    let organisations = Signal::derive(move || titles(Collection::Organisations));
    let collections = Signal::derive(move || {
        let language = language.get();
        Collection::ALL
            .iter()
            .map(|collection| (collection.key().to_owned(), collection.label(language).to_owned()))
            .collect()
    });
    let records = Signal::derive(move || {
        filters
            .with_value(|filters| filters.collection)
            .map(titles)
            .unwrap_or_default()
    });
    let kinds = Signal::derive(move || {
        let language = language.get();
        EntryKind::ALL
            .iter()
            .map(|kind| (kind.code().to_owned(), kind_label(*kind, language).to_owned()))
            .collect()
    });
    let day =
        move |name: &'static str, label: Text, value: String, change: fn(&mut HistoryFilters, String)| {
            view! {
                <label class="list-control" for=format!("history-{name}")>
                    <span class="field-label">{move || text(language.get(), label)}</span>
                    <input id=format!("history-{name}") name=format!("history-{name}") type="date" value=value
                        on:change=move |event| open(change, event_target_value(&event)) />
                </label>
            }
        };
    view! {
        <div class="list-controls card history-filters" data-testid="history-filters">
            {select("person", Text::FilterPerson, current.person.clone(), people, move |value| open(|filters, value| filters.person = value, value))}
            {select("organisation", Text::FilterOrganisation, current.organisation.clone(), organisations,
                move |value| open(|filters, value| filters.organisation = value, value))}
            {select("collection", Text::FilterCollection, current.collection.map(Collection::key).unwrap_or_default().to_owned(), collections,
                move |value| open(|filters, value| {
                    filters.collection = Collection::from_key(&value);
                    filters.record.clear();
                }, value))}
            {current.collection.is_some().then(|| select("record", Text::FilterRecord, current.record.clone(), records,
                move |value| open(|filters, value| filters.record = value, value)))}
            {day("from", Text::FilterFrom, current.from.clone(), |filters, value| filters.from = value)}
            {day("to", Text::FilterTo, current.to.clone(), |filters, value| filters.to = value)}
            {select("kind", Text::FilterKind, current.kind.map(EntryKind::code).unwrap_or_default().to_owned(), kinds,
                move |value| open(|filters, value| filters.kind = EntryKind::ALL.into_iter().find(|kind| kind.code() == value), value))}
            <a class="secondary button-link" href=Route::history().href() data-testid="clear-filters">{move || text(language.get(), Text::ClearFilters)}</a>
        </div>
    }
}
