//! "New record": a button that opens a form with the collection's required
//! fields; creating the record opens its detail page. The button is disabled,
//! with the reason as tooltip, for a role that may not create these records.

use enlace_shared::ids;
use enlace_shared::intent::Intent;
use enlace_shared::records::Initial;
use enlace_shared::schema::{Collection, FieldKind, FieldSpec};
use leptos::prelude::*;

use crate::auth;
use crate::browser;
use crate::components::reference_picker::ReferenceSelect;
use crate::context::{use_language, use_sync, use_workspace};
use crate::i18n::{Message, Text, text};
use crate::route::Route;

fn input(spec: &'static FieldSpec, value: RwSignal<String>) -> AnyView {
    let language = use_language();
    let (id, name) = (format!("new-{}", spec.key), spec.key.to_owned());
    let set = Callback::new(move |chosen: String| value.set(chosen));
    match spec.kind {
        FieldKind::Choice(choices) => view! {
            <select id=id name=name on:change=move |event| value.set(event_target_value(&event))>
                {choices.iter().map(|choice| view! {
                    <option value=choice.slug selected=value.get_untracked() == choice.slug>{move || choice.label(language.get())}</option>
                }).collect_view()}
            </select>
        }.into_any(),
        FieldKind::Reference(target) => view! {
            <ReferenceSelect target=target value=value.into() on_change=set control_id=id name=name disabled=false />
        }.into_any(),
        kind => view! {
            <input id=id name=name autocomplete="off"
                type=match kind { FieldKind::Date => "date", FieldKind::Time => "time", _ => "text" }
                prop:value=move || value.get() on:input=move |event| value.set(event_target_value(&event)) />
        }.into_any(),
    }
}

#[component]
pub fn NewRecordForm(collection: Collection) -> impl IntoView {
    let (sync, workspace, language) = (use_sync(), use_workspace(), use_language());
    let (role, viewing_past) = (sync.role(), workspace.viewing_past());
    let reason = Signal::derive(move || {
        auth::blocked_reason(role.get(), collection.edit_capability(), viewing_past.get())
            .map(|reason| reason.get(language.get()))
    });
    let open = RwSignal::new(false);
    let message = RwSignal::new(None::<Message>);
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
        let initial: Vec<(String, Initial)> = values
            .iter()
            .map(|(spec, value)| {
                (
                    spec.key.to_owned(),
                    Initial::Text(value.get_untracked().trim().to_owned()),
                )
            })
            .collect();
        if initial
            .iter()
            .any(|(_, value)| *value == Initial::Text(String::new()))
        {
            return message.set(Some(Message::Text(Text::FillRequired)));
        }
        let id = ids::record_id(browser::random_bytes());
        let intent = Intent::CreateRecord {
            collection,
            id: id.clone(),
            fields: initial,
        };
        sync.edit(intent, move |result| match result {
            Ok(_) => workspace.go(&Route::Record(collection, id)),
            Err(error) => message.set(Some(error.message())),
        });
    };
    let field = move |(spec, value): (&'static FieldSpec, RwSignal<String>)| {
        view! {
            <label class="field" for=format!("new-{}", spec.key)>
                <span class="field-label">{move || spec.label(language.get())} " *"</span>
                {input(spec, value)}
            </label>
        }
    };
    view! {
        <button type="button" class="primary" data-testid="new-record" aria-expanded=move || open.get().to_string()
            disabled=move || reason.get().is_some() title=move || reason.get()
            on:click=move |_| open.update(|open| *open = !*open)>
            {move || text(language.get(), Text::NewRecord)}
        </button>
        <Show when=move || open.get() && reason.get().is_none()>
            <form class="card new-record-form" data-testid="new-record-form" on:submit=create.clone()>
                {fields.clone().into_iter().map(field).collect_view()}
                {move || message.get().map(|message| view! { <p class="form-error" role="alert">{move || message.get(language.get())}</p> })}
                <button type="submit" class="primary" data-testid="create-record">{move || text(language.get(), Text::Create)}</button>
            </form>
        </Show>
    }
}
