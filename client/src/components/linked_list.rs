//! A follow-up section listing records of one collection ([`Linked`]):
//! each a link to its page, with its date and status in words.

use enlace_shared::followup::Linked;
use enlace_shared::schema::{Collection, FieldKind, choice_label};
use leptos::prelude::*;

use crate::collections::format_date;
use crate::context::use_language;
use crate::i18n::{Text, text};
use crate::route::Route;

/// The label of a record's status, if its collection has a status choice.
fn status_label(collection: Collection, slug: &str, language: enlace_shared::Language) -> Option<String> {
    match collection.field("status")?.kind {
        FieldKind::Choice(choices) if !slug.is_empty() => Some(choice_label(choices, slug, language)),
        _ => None,
    }
}

#[component]
pub fn LinkedSection(collection: Collection, records: Vec<Linked>) -> impl IntoView {
    let language = use_language();
    let row = move |record: Linked| {
        let (date, status) = (record.date.clone(), record.status.clone());
        let href = Route::Record(collection, record.id.clone()).href();
        view! {
            <li data-id=record.id>
                <a href=href>{record.title}</a>
                {(!date.is_empty()).then(|| view! { <span class="muted">" · " {move || format_date(&date, language.get())}</span> })}
                {move || status_label(collection, &status, language.get()).map(|label| view! { <span class="badge">{label}</span> })}
            </li>
        }
    };
    let (empty, count) = (records.is_empty(), records.len());
    view! {
        <section class="card linked-section" data-section=collection.key() data-count=count>
            <h3>{move || collection.label(language.get())} " " <span class="count">{count}</span></h3>
            {empty.then(|| view! { <p class="muted">{move || text(language.get(), Text::NothingYet)}</p> })}
            <ul class="linked-list">{records.into_iter().map(row).collect_view()}</ul>
        </section>
    }
}
