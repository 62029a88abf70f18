//! The map's filters: work-plan line, status, organisation kind,
//! membership, a period (a presidency term or any dates) and a search box
//! that focuses the first node whose name matches, with its neighbourhood.

use enlace_shared::graph::{Graph, MapFilter};
use enlace_shared::schema::{
    ALLIANCE_STATUSES, COLLABORATION_STATUSES, Choice, Collection, MEMBERSHIP, ORGANISATION_KINDS,
};
use leptos::prelude::*;

use crate::context::{use_language, use_workspace};
use crate::i18n::{Text, text};

/// A `<select>` over `options` (value, label) with an "all" option, writing `set`.
fn select(
    testid: &'static str,
    label: Text,
    options: Signal<Vec<(String, String)>>,
    value: Signal<String>,
    set: impl Fn(String) + 'static,
) -> impl IntoView {
    let language = use_language();
    view! {
        <label class="list-control">
            <span class="field-label">{move || text(language.get(), label)}</span>
            <select data-testid=testid prop:value=value on:change=move |event| set(event_target_value(&event))>
                <option value="">{move || text(language.get(), Text::MapAll)}</option>
                {move || options.get().into_iter().map(|(slug, name)| {
                    let selected = value.get_untracked() == slug;
                    view! { <option value=slug selected=selected>{name}</option> }
                }).collect_view()}
            </select>
        </label>
    }
}

fn choices(choices: &'static [&'static [Choice]]) -> Signal<Vec<(String, String)>> {
    let language = use_language();
    Signal::derive(move || {
        choices
            .iter()
            .flat_map(|list| list.iter())
            .map(|choice| (choice.slug.to_owned(), choice.label(language.get()).to_owned()))
            .collect()
    })
}

#[component]
pub fn MapFilters(filter: RwSignal<MapFilter>, lines: Memo<Vec<(String, String)>>) -> impl IntoView {
    let (workspace, language) = (use_workspace(), use_language());
    let field = move |pick: fn(&MapFilter) -> &String| {
        Signal::derive(move || filter.with(|filter| pick(filter).clone()))
    };
    let terms = Signal::derive(move || {
        workspace.snapshot.with(|snapshot| {
            snapshot
                .records(Collection::PresidencyTerms)
                .iter()
                .filter(|term| !term.deleted)
                .map(|term| {
                    let range = format!("{}|{}", term.text("start"), term.text("end"));
                    let organisation = snapshot
                        .get(Collection::Organisations, term.text("organisation"))
                        .map(|organisation| organisation.title().to_owned())
                        .unwrap_or_default();
                    (
                        range,
                        format!("{organisation} {} – {}", term.text("start"), term.text("end")),
                    )
                })
                .collect()
        })
    });
    // "All" when no period is set; otherwise the term whose dates these are, if any.
    let term_value = Signal::derive(move || {
        filter.with(|filter| {
            if filter.from.is_empty() && filter.to.is_empty() {
                String::new()
            } else {
                format!("{}|{}", filter.from, filter.to)
            }
        })
    });
    let search = RwSignal::new(String::new());
    let find = move |query: String| {
        search.set(query.clone());
        let unfocused = MapFilter {
            focus: String::new(),
            ..filter.get_untracked()
        };
        let focus = workspace
            .snapshot
            .with_untracked(|snapshot| Graph::build(&**snapshot, &unfocused).search(&query))
            .unwrap_or_default();
        filter.update(|filter| filter.focus = focus);
    };
    let line_options = Signal::derive(move || lines.get());
    view! {
        <div class="map-filters list-controls card" data-testid="map-filters">
            {select("map-filter-line", Text::MapLine, line_options, field(|filter| &filter.line),
                move |value| filter.update(|filter| filter.line = value))}
            {select("map-filter-status", Text::MapStatus, choices(&[ALLIANCE_STATUSES, COLLABORATION_STATUSES]),
                field(|filter| &filter.status), move |value| filter.update(|filter| filter.status = value))}
            {select("map-filter-kind", Text::MapKind, choices(&[ORGANISATION_KINDS]), field(|filter| &filter.kind),
                move |value| filter.update(|filter| filter.kind = value))}
            {select("map-filter-membership", Text::MapMembership, choices(&[MEMBERSHIP]),
                field(|filter| &filter.membership), move |value| filter.update(|filter| filter.membership = value))}
            {select("map-filter-term", Text::MapTerm, terms, term_value, move |value| {
                let (from, to) = value.split_once('|').unwrap_or(("", ""));
                let (from, to) = (from.to_owned(), to.to_owned());
                filter.update(|filter| {
                    filter.from = from;
                    filter.to = to;
                });
            })}
            <label class="list-control">
                <span class="field-label">{move || text(language.get(), Text::MapFrom)}</span>
                <input type="date" data-testid="map-filter-from" prop:value=field(|filter| &filter.from)
                    on:change=move |event| filter.update(|filter| filter.from = event_target_value(&event)) />
            </label>
            <label class="list-control">
                <span class="field-label">{move || text(language.get(), Text::MapTo)}</span>
                <input type="date" data-testid="map-filter-to" prop:value=field(|filter| &filter.to)
                    on:change=move |event| filter.update(|filter| filter.to = event_target_value(&event)) />
            </label>
            <label class="list-control">
                <span class="field-label">{move || text(language.get(), Text::MapSearch)}</span>
                <input type="search" data-testid="map-search" prop:value=search
                    on:input=move |event| find(event_target_value(&event)) />
            </label>
        </div>
    }
}
