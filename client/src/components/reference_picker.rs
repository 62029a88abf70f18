//! Pickers for references: a select over the target collection's titles,
//! and chips (with remove buttons) for lists of references. Deleted targets
//! still render, struck through.

use enlace_shared::schema::Collection;
use leptos::prelude::*;

use crate::collections::{display_title, fold};
use crate::context::{use_language, use_workspace};
use crate::i18n::{Text, text};
use crate::route::Route;

#[component]
pub fn ReferenceSelect(
    target: Collection,
    value: Signal<String>,
    on_change: Callback<String>,
    control_id: String,
    name: String,
    #[prop(into)] disabled: Signal<bool>,
    /// Why the control is disabled, as its tooltip.
    #[prop(optional, into)]
    reason: Signal<Option<&'static str>>,
    /// An adder (the chips'): shows "none" again once a record is chosen.
    #[prop(optional)]
    clears: bool,
) -> impl IntoView {
    let workspace = use_workspace();
    let language = use_language();
    let options = Memo::new(move |_| {
        workspace.snapshot.with(|snapshot| {
            let mut options: Vec<(String, String)> = snapshot
                .records(target)
                .iter()
                .filter(|record| !record.deleted)
                .map(|record| (record.id.clone(), display_title(snapshot, record)))
                .collect();
            options.sort_by_key(|(_, label)| fold(label));
            options
        })
    });
    let current_label = move || {
        let current = value.get();
        let deleted_or_missing = options.with(|options| !options.iter().any(|(id, _)| *id == current));
        (deleted_or_missing && !current.is_empty()).then(|| {
            workspace
                .snapshot
                .with(|snapshot| snapshot.label(target, &current).0)
        })
    };
    view! {
        <select id=control_id name=name disabled=move || disabled.get() title=move || reason.get() on:change=move |event| {
            on_change.run(event_target_value(&event));
            // The chips' adder is ready for the next record. A field's
            // select keeps the choice: the options are drawn again from the
            // document once the edit is made (the sync worker answers after
            // this handler).
            if clears {
                let select: web_sys::HtmlSelectElement = event_target(&event);
                select.set_value("");
            }
        }>
            <option value="" selected=move || value.with(String::is_empty)>{move || text(language.get(), Text::NoneChosen)}</option>
            {move || current_label().map(|label| view! { <option value=value.get_untracked() selected=true class="deleted">{label}</option> })}
            {move || {
                let current = value.get();
                options.get().into_iter().map(|(id, label)| {
                    let selected = id == current;
                    view! { <option value=id selected=selected>{label}</option> }
                }).collect_view()
            }}
        </select>
    }
}

/// A link to a referenced record, struck through if it is deleted.
#[component]
pub fn ReferenceLink(target: Collection, id: String) -> impl IntoView {
    let workspace = use_workspace();
    let href = Route::Record(target, id.clone()).href();
    let lookup = id.clone();
    let label = Memo::new(move |_| {
        workspace
            .snapshot
            .with(|snapshot| snapshot.label(target, &lookup))
    });
    view! {
        <a href=href class="reference" class:deleted=move || label.with(|(_, deleted)| *deleted) data-ref=id>
            {move || label.with(|(text, _)| text.clone())}
        </a>
    }
}

#[component]
pub fn ReferenceChips(
    target: Collection,
    items: Signal<Vec<String>>,
    on_add: Callback<String>,
    on_remove: Callback<String>,
    control_id: String,
    name: String,
    #[prop(into)] disabled: Signal<bool>,
    /// Why the controls are disabled, as their tooltip.
    reason: Signal<Option<&'static str>>,
) -> impl IntoView {
    let language = use_language();
    let chip = move |id: String| {
        let removed = id.clone();
        view! {
            <li class="chip">
                <ReferenceLink target=target id=id />
                <button type="button" class="chip-remove" disabled=move || disabled.get() title=move || reason.get()
                    aria-label=move || text(language.get(), Text::Remove)
                    on:click=move |_| on_remove.run(removed.clone())>"×"</button>
            </li>
        }
    };
    view! {
        <ul class="chips">
            <For each=move || items.get() key=String::clone children=chip />
        </ul>
        <ReferenceSelect target=target value=Signal::derive(String::new) on_change=on_add
            control_id=control_id name=name disabled=disabled reason=reason clears=true />
    }
}
