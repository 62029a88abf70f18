//! One collection as a list: search, filters, sorting, the new-record form,
//! and CSV: the download, and the way to the import page (disabled, with
//! the reason, for a role that may not edit the collection).
//! The selection is computed once per change of the query or the document,
//! and at most [`PAGE`] rows are drawn at a time however large the collection.

use std::collections::HashMap;

use enlace_shared::schema::Collection;
use leptos::prelude::*;

use crate::auth;
use crate::browser::performance_now;
use crate::collections::{ListQuery, Row, SortOrder, filter_fields, row, select};
use crate::components::csv_export::CsvExport;
use crate::components::list_controls::{FilterSelect, SearchBox, SortSelect};
use crate::components::new_record_form::NewRecordForm;
use crate::context::{use_language, use_sync, use_workspace};
use crate::i18n::{Text, text};
use crate::route::Route;

/// Rows drawn before "show more".
pub const PAGE: usize = 100;

/// What the list shows, and how long selecting it took (for the note in the DOM).
#[derive(Debug, Clone, PartialEq)]
struct Listing {
    total: usize,
    rows: Vec<Row>,
    filter_ms: f64,
}

/// "Import CSV": opens `#/<collection>/import`.
#[component]
fn CsvImportButton(collection: Collection) -> impl IntoView {
    let (sync, workspace, language) = (use_sync(), use_workspace(), use_language());
    let (role, viewing_past) = (sync.role(), workspace.viewing_past());
    let reason = Signal::derive(move || {
        auth::blocked_reason(role.get(), collection.edit_capability(), viewing_past.get())
            .map(|reason| reason.get(language.get()))
    });
    view! {
        <button type="button" data-testid="csv-import-open" disabled=move || reason.get().is_some() title=move || reason.get()
            on:click=move |_| workspace.go(&Route::Import(collection))>
            {move || text(language.get(), Text::CsvImport)}
        </button>
    }
}

#[component]
pub fn CollectionList(
    collection: Collection,
    /// Filters set when the list opens (from the URL), as `(field, value)`.
    #[prop(optional)]
    initial_filters: Vec<(&'static str, String)>,
) -> impl IntoView {
    let (workspace, language) = (use_workspace(), use_language());
    let search = RwSignal::new(String::new());
    let mut initial_filters: HashMap<&str, String> = initial_filters.into_iter().collect();
    let filters: Vec<(&'static str, RwSignal<String>)> = filter_fields(collection)
        .iter()
        .map(|field| {
            let initial = initial_filters.remove(field).unwrap_or_default();
            (*field, RwSignal::new(initial))
        })
        .collect();
    let sort = RwSignal::new(SortOrder::Title);
    let show_deleted = RwSignal::new(false);
    let limit = RwSignal::new(PAGE);
    let query_filters = filters.clone();
    let query = Memo::new(move |_| ListQuery {
        search: search.get(),
        filters: query_filters
            .iter()
            .map(|(field, value)| (*field, value.get()))
            .collect(),
        sort: sort.get(),
        show_deleted: show_deleted.get(),
    });
    let listing = Memo::new(move |_| {
        let language = language.get();
        let started = performance_now();
        workspace.snapshot.with(|snapshot| {
            let selected = query.with(|query| select(snapshot, collection, query));
            let records = snapshot.records(collection);
            let rows = selected
                .iter()
                .take(limit.get())
                .map(|position| row(snapshot, &records[*position], language))
                .collect();
            Listing {
                total: selected.len(),
                rows,
                filter_ms: performance_now() - started,
            }
        })
    });
    let title = move || collection.label(language.get());
    let row_view = move |row: Row| {
        let href = Route::Record(collection, row.id.clone()).href();
        view! {
            <li class="record-row" class:deleted=row.deleted data-testid="record-row" data-id=row.id>
                <a href=href>{row.title}</a>
                {row.example.then(|| view! { <span class="badge example">{move || text(language.get(), Text::Example)}</span> })}
                <span class="muted record-detail">{row.detail}</span>
            </li>
        }
    };
    view! {
        <section class="collection-list" data-collection=collection.key()>
            <div class="page-heading"><h2>{title}</h2></div>
            <NewRecordForm collection=collection />
            <div class="csv-tools card">
                <CsvExport collection=collection />
                <CsvImportButton collection=collection />
            </div>
            <div class="list-controls card">
                <SearchBox search=search show_deleted=show_deleted />
                {filters.into_iter().map(|(field, value)| view! { <FilterSelect collection=collection field=field value=value /> }).collect_view()}
                <SortSelect collection=collection sort=sort />
            </div>
            <section class="card list-card">
                <p class="muted" data-testid="result-count" data-filter-ms=move || format!("{:.2}", listing.with(|listing| listing.filter_ms))>
                    {move || listing.with(|listing| listing.total)} " " {move || text(language.get(), Text::Results)}
                </p>
                <Show when=move || listing.with(|listing| listing.total > 0) fallback=move || view! { <p class="empty muted">{move || text(language.get(), Text::NoRecords)}</p> }>
                    <ul class="record-list">
                        <For each=move || listing.with(|listing| listing.rows.clone()) key=Row::clone children=row_view />
                    </ul>
                </Show>
                <Show when=move || listing.with(|listing| listing.total > listing.rows.len())>
                    <button type="button" class="secondary" on:click=move |_| limit.update(|limit| *limit += PAGE)>
                        {move || text(language.get(), Text::ShowMore)}
                    </button>
                </Show>
            </section>
        </section>
    }
}
