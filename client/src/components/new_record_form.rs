//! "New record": a button that opens a form with the collection's required
//! fields; creating the record opens its detail page.

use enlace_shared::model::{self, Language};
use enlace_shared::records::{self, Initial};
use enlace_shared::schema::{Collection, FieldKind, FieldSpec};
use leptos::prelude::*;

use crate::browser;
use crate::collections::choice_text;
use crate::components::reference_picker::ReferenceSelect;
use crate::i18n::text;
use crate::pages::directory::edit_error_text;
use crate::pages::workspace::Workspace;
use crate::record_text::{Words, is_spanish, words};
use crate::route::Route;
use crate::sync::SyncHandle;

fn input(spec: &'static FieldSpec, value: RwSignal<String>, language: Signal<Language>) -> AnyView {
    let (id, name) = (format!("new-{}", spec.key), spec.key.to_owned());
    let set = Callback::new(move |chosen: String| value.set(chosen));
    match spec.kind {
        FieldKind::Choice(choices) => view! {
            <select id=id name=name on:change=move |event| value.set(event_target_value(&event))>
                {choices.iter().map(|choice| view! {
                    <option value=choice.slug selected=value.get_untracked() == choice.slug>{move || choice_text(choice, is_spanish(language.get()))}</option>
                }).collect_view()}
            </select>
        }.into_any(),
        FieldKind::Reference(target) => view! {
            <ReferenceSelect target=target value=value.into() on_change=set control_id=id name=name language=language disabled=false />
        }.into_any(),
        kind => view! {
            <input id=id name=name type=if kind == FieldKind::Date { "date" } else { "text" } autocomplete="off"
                prop:value=move || value.get() on:input=move |event| value.set(event_target_value(&event)) />
        }.into_any(),
    }
}

#[component]
pub fn NewRecordForm(collection: Collection, language: Signal<Language>) -> impl IntoView {
    let sync = expect_context::<SyncHandle>();
    let workspace = expect_context::<Workspace>();
    let open = RwSignal::new(false);
    let message = RwSignal::new(None::<&'static str>);
    let fields: Vec<(&'static FieldSpec, RwSignal<String>)> = collection
        .fields()
        .iter()
        .filter(|spec| spec.required)
        .map(|spec| {
            let first = match spec.kind {
                FieldKind::Choice(choices) => choices[0].slug,
                _ => "",
            };
            (spec, RwSignal::new(first.to_owned()))
        })
        .collect();
    let values = fields.clone();
    let create = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let initial: Vec<(&str, Initial)> = values
            .iter()
            .map(|(spec, value)| (spec.key, Initial::Text(value.get_untracked().trim().to_owned())))
            .collect();
        if initial
            .iter()
            .any(|(_, value)| *value == Initial::Text(String::new()))
        {
            return message.set(Some(words(language.get_untracked(), Words::FillRequired)));
        }
        let id = model::record_id(browser::random_bytes());
        match sync.edit(|document, authorship| {
            records::create_record(document, collection, &id, &initial, authorship)
        }) {
            Ok(()) => workspace.go(&Route::Record(collection, id)),
            Err(error) => message.set(Some(text(language.get_untracked(), edit_error_text(&error)))),
        }
    };
    let field = move |(spec, value): (&'static FieldSpec, RwSignal<String>)| {
        view! {
            <label class="field" for=format!("new-{}", spec.key)>
                <span class="field-label">{move || if is_spanish(language.get()) { spec.es } else { spec.en }} " *"</span>
                {input(spec, value, language)}
            </label>
        }
    };
    view! {
        <button type="button" data-testid="new-record" aria-expanded=move || open.get().to_string() on:click=move |_| open.update(|open| *open = !*open)>
            {move || words(language.get(), Words::NewRecord)}
        </button>
        <Show when=move || open.get()>
            <form class="card new-record-form" data-testid="new-record-form" on:submit=create.clone()>
                {fields.clone().into_iter().map(field).collect_view()}
                {move || message.get().map(|text| view! { <p class="form-error" role="alert">{text}</p> })}
                <button type="submit" data-testid="create-record">{move || words(language.get(), Words::Create)}</button>
            </form>
        </Show>
    }
}
