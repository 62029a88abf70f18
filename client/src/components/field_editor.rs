//! One field of a detail page: its label, the control its kind calls for,
//! and the validation messages that belong next to it.

use enlace_shared::schema::{FieldKind, FieldSpec};
use leptos::prelude::*;

use crate::components::field_controls::{
    ChoiceControl, FlagControl, LongTextControl, StringsControl, TextControl,
};
use crate::components::items_editor::ItemsEditor;
use crate::components::links_picker::LinksPicker;
use crate::components::presence_bar::PresenceAvatar;
use crate::components::record_context::RecordContext;
use crate::components::reference_picker::{ReferenceChips, ReferenceLink, ReferenceSelect};
use crate::context::use_language;
use crate::presence::{PresenceHandle, use_presence};

fn control(context: RecordContext, spec: &'static FieldSpec) -> AnyView {
    let control_id = format!("field-{}", spec.key);
    let (disabled, reason) = (context.disabled(), context.reason());
    match spec.kind {
        FieldKind::Line => view! { <TextControl context=context spec=spec input_type="text" /> }.into_any(),
        FieldKind::Date => view! { <TextControl context=context spec=spec input_type="date" /> }.into_any(),
        FieldKind::Time => view! { <TextControl context=context spec=spec input_type="time" /> }.into_any(),
        FieldKind::Links => view! {
            <LinksPicker links=context.list(spec.key) control_id=control_id name=spec.key.to_owned()
                disabled=disabled reason=reason
                on_add=Callback::new(move |link: String| context.add_item(spec.key, &link))
                on_remove=Callback::new(move |link| context.remove_item(spec.key, link)) />
        }
        .into_any(),
        FieldKind::Items(shape) => view! { <ItemsEditor context=context field=spec shape=shape /> }.into_any(),
        FieldKind::LongText => view! { <LongTextControl context=context spec=spec /> }.into_any(),
        FieldKind::Choice(choices) => view! { <ChoiceControl context=context spec=spec choices=choices /> }.into_any(),
        FieldKind::Flag => view! { <FlagControl context=context spec=spec /> }.into_any(),
        FieldKind::Strings => view! { <StringsControl context=context spec=spec /> }.into_any(),
        FieldKind::Reference(target) => {
            let value = context.text(spec.key);
            view! {
                <ReferenceSelect target=target value=value control_id=control_id name=spec.key.to_owned()
                    disabled=disabled reason=reason
                    on_change=Callback::new(move |id| context.set_text(spec.key, id)) />
                {move || Some(value.get()).filter(|id| !id.is_empty()).map(|id| view! { <ReferenceLink target=target id=id /> })}
            }
            .into_any()
        }
        FieldKind::References(target) => view! {
            <ReferenceChips target=target items=context.list(spec.key) control_id=control_id name=spec.key.to_owned()
                disabled=disabled reason=reason
                on_add=Callback::new(move |id: String| context.add_item(spec.key, &id))
                on_remove=Callback::new(move |id| context.remove_item(spec.key, id)) />
        }
        .into_any(),
    }
}

#[component]
pub fn FieldEditor(context: RecordContext, spec: &'static FieldSpec) -> impl IntoView {
    let language = use_language();
    let messages = move || {
        let language = language.get();
        context.issues.with(|issues| {
            issues
                .iter()
                .filter(|issue| issue.field == spec.key)
                .map(|issue| issue.message(language))
                .collect::<Vec<_>>()
        })
    };
    // Presence: say when this tab edits the field; show who else does.
    let presence = use_presence();
    let editors = presence.editing(context.collection, context.id.get_value(), spec.key.to_owned());
    let edited_by = PresenceHandle::edited_by(editors);
    let focus = move |_| {
        context
            .id
            .with_value(|id| presence.focus(context.collection, id, spec.key));
    };
    let blur = move |_| presence.blur(spec.key);
    view! {
        <div class="record-field" class:has-issue=move || !messages().is_empty() data-field=spec.key
            class:edited-by-other=move || edited_by().is_some() data-edited-by=edited_by
            on:focusin=focus on:focusout=blur>
            <label class="field-label" for=format!("field-{}", spec.key)>
                {move || spec.label(language.get())}
                {spec.required.then_some(" *")}
                {move || editors.get().into_iter().map(|person| view! { <PresenceAvatar person=person /> }).collect_view()}
            </label>
            <div class="field-control">{control(context, spec)}</div>
            {move || messages().into_iter().map(|message| view! { <p class="field-issue" role="alert" data-testid="field-issue">{message}</p> }).collect_view()}
        </div>
    }
}
