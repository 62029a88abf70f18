//! The mapping step of a CSV import: each column of the file (its header
//! and first value) with a select of what it is imported as, pre-filled by
//! `csv_io::suggest_mapping`; choosing a target another column had moves
//! it. Required fields no column feeds are named.

use enlace_shared::csv_io::Column;
use enlace_shared::schema::Collection;
use leptos::prelude::*;

use crate::context::use_language;
use crate::csv_transfer::{
    choose_column, column_from_value, column_label, column_options, column_value, missing_required,
};
use crate::i18n::{Text, text};

#[component]
fn ColumnSelect(
    collection: Collection,
    position: usize,
    mapping: RwSignal<Vec<Option<Column>>>,
) -> impl IntoView {
    let language = use_language();
    let current = move || mapping.with(|mapping| mapping.get(position).copied().flatten());
    let change = move |event| {
        let chosen = column_from_value(collection, &event_target_value(&event));
        mapping.update(|mapping| choose_column(mapping, position, chosen));
    };
    view! {
        <select data-testid="csv-mapping" data-column=position.to_string() prop:value=move || column_value(current()) on:change=change>
            <option value="" selected=move || current().is_none()>{move || text(language.get(), Text::CsvIgnore)}</option>
            {column_options(collection).into_iter().map(|option| view! {
                <option value=column_value(Some(option)) selected=move || current() == Some(option)>
                    {move || column_label(collection, option, language.get())}
                </option>
            }).collect_view()}
        </select>
    }
}

#[component]
pub fn CsvColumns(
    collection: Collection,
    /// The file's header row.
    headers: Vec<String>,
    /// Its first data row (cells shown as examples).
    sample: Vec<String>,
    mapping: RwSignal<Vec<Option<Column>>>,
) -> impl IntoView {
    let language = use_language();
    let missing = move || {
        let language = language.get();
        mapping.with(|mapping| {
            missing_required(collection, mapping)
                .iter()
                .map(|spec| spec.label(language))
                .collect::<Vec<_>>()
                .join(", ")
        })
    };
    let mut sample = sample.into_iter();
    let rows = headers
        .into_iter()
        .enumerate()
        .map(|(position, header)| {
            let example = sample.next().unwrap_or_default();
            view! {
                <tr>
                    <th scope="row">{header}</th>
                    <td class="muted sample">{example}</td>
                    <td><ColumnSelect collection=collection position=position mapping=mapping /></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card csv-step" data-testid="csv-columns">
            <h3>{move || text(language.get(), Text::CsvColumnsTitle)}</h3>
            <p class="muted">{move || text(language.get(), Text::CsvColumnsIntro)}</p>
            <table class="csv-table">
                <thead><tr>
                    <th>{move || text(language.get(), Text::CsvFileColumn)}</th>
                    <th>{move || text(language.get(), Text::CsvSample)}</th>
                    <th>{move || text(language.get(), Text::CsvField)}</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
            <Show when=move || !missing().is_empty()>
                <p class="form-error" data-testid="csv-missing-required">
                    {move || text(language.get(), Text::CsvMissingRequired)} " " {missing}
                </p>
            </Show>
        </section>
    }
}
