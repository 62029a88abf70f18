//! A labelled text input that shows a live value without clobbering typing.
//!
//! The value follows the document while the input is not focused. While it is
//! focused, what the person types wins; `change` (blur or Enter) commits it,
//! and leaving the field shows the document's value again (which is the
//! committed text, or the old text if the commit was refused).

use leptos::html::Input;
use leptos::prelude::*;

fn is_focused(input: &web_sys::HtmlInputElement) -> bool {
    let active = document().active_element();
    active.is_some_and(|active| &active == AsRef::<web_sys::Element>::as_ref(input))
}

#[component]
pub fn LiveTextInput(
    /// The `name` attribute of the `<input>`.
    name: &'static str,
    label: Signal<&'static str>,
    value: Signal<String>,
    on_commit: Callback<String>,
    /// Why editing is not allowed (the input is then disabled, with this as
    /// its tooltip); `None` to allow it.
    blocked: Signal<Option<&'static str>>,
    #[prop(optional)] required: bool,
) -> impl IntoView {
    let input_ref = NodeRef::<Input>::new();
    Effect::new(move |_| {
        let current = value.get();
        if let Some(input) = input_ref.get()
            && !is_focused(&input)
            && input.value() != current
        {
            input.set_value(&current);
        }
    });
    let show_document_value = move |_| {
        if let Some(input) = input_ref.get_untracked() {
            let current = value.get_untracked();
            if input.value() != current {
                input.set_value(&current);
            }
        }
    };
    view! {
        <label class="field" title=move || blocked.get()>
            <span class="field-label">{move || label.get()}</span>
            <input
                type="text"
                name=name
                node_ref=input_ref
                required=required
                disabled=move || blocked.get().is_some()
                title=move || blocked.get()
                autocomplete="off"
                prop:value=value.get_untracked()
                on:change=move |event| on_commit.run(event_target_value(&event))
                on:blur=show_document_value
            />
        </label>
    }
}
