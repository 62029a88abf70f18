//! The controls above a collection list: search, one select per filter,
//! the sort order and whether deleted records show.

use enlace_shared::schema::Collection;
use leptos::prelude::*;

use crate::collections::{SortOrder, date_field, filter_options};
use crate::context::{use_language, use_workspace};
use crate::i18n::{Text, text};

#[component]
pub fn FilterSelect(collection: Collection, field: &'static str, value: RwSignal<String>) -> impl IntoView {
    let workspace = use_workspace();
    let language = use_language();
    let spec = collection.field(field);
    let label = move || spec.map_or(field, |spec| spec.label(language.get()));
    let options = Memo::new(move |_| {
        let language = language.get();
        workspace
            .snapshot
            .with(|snapshot| filter_options(snapshot, collection, field, language))
    });
    let id = format!("filter-{field}");
    view! {
        <label class="list-control" for=format!("filter-{field}")>
            <span class="field-label">{label}</span>
            <select id=id name=format!("filter-{field}") on:change=move |event| value.set(event_target_value(&event))>
                <option value="" selected=move || value.with(String::is_empty)>
                    {move || text(language.get(), Text::AllValues)}
                </option>
                {move || options.get().into_iter().map(|(slug, text)| {
                    let selected = value.with_untracked(|current| *current == slug);
                    view! { <option value=slug selected=selected>{text}</option> }
                }).collect_view()}
            </select>
        </label>
    }
}

#[component]
pub fn SortSelect(collection: Collection, sort: RwSignal<SortOrder>) -> impl IntoView {
    let language = use_language();
    let orders: &[(SortOrder, Text)] = if date_field(collection).is_some() {
        &[
            (SortOrder::Title, Text::SortTitle),
            (SortOrder::DateDescending, Text::SortNewest),
            (SortOrder::DateAscending, Text::SortOldest),
        ]
    } else {
        &[(SortOrder::Title, Text::SortTitle)]
    };
    view! {
        <label class="list-control" for="sort">
            <span class="field-label">{move || text(language.get(), Text::SortBy)}</span>
            <select id="sort" name="sort" on:change=move |event| sort.set(SortOrder::from_slug(&event_target_value(&event)))>
                {orders.iter().map(|(order, label)| view! {
                    <option value=order.slug() selected=sort.get_untracked() == *order>
                        {move || text(language.get(), *label)}
                    </option>
                }).collect_view()}
            </select>
        </label>
    }
}

#[component]
pub fn SearchBox(search: RwSignal<String>, show_deleted: RwSignal<bool>) -> impl IntoView {
    let language = use_language();
    view! {
        <label class="list-control search" for="search">
            <span class="field-label">{move || text(language.get(), Text::Search)}</span>
            <input
                id="search"
                type="search"
                name="search"
                autocomplete="off"
                placeholder=move || text(language.get(), Text::SearchPlaceholder)
                prop:value=move || search.get()
                on:input=move |event| search.set(event_target_value(&event))
            />
        </label>
        <label class="list-control checkbox">
            <input
                type="checkbox"
                name="show-deleted"
                prop:checked=move || show_deleted.get()
                on:change=move |event| show_deleted.set(event_target_checked(&event))
            />
            <span>{move || text(language.get(), Text::ShowDeleted)}</span>
        </label>
    }
}
