//! The editing controls of a detail page, one per kind of field. Each reads
//! its value from the record and commits through [`RecordContext`]; when the
//! role may not edit, each is disabled with the reason as its tooltip.

use enlace_shared::intent::Intent;
use enlace_shared::schema::{Choice, FieldSpec};
use leptos::html::{Input, Textarea};
use leptos::prelude::*;

use crate::collections::format_date;
use crate::components::record_context::RecordContext;
use crate::context::use_language;
use crate::i18n::{Text, text};

fn has_focus(element: &web_sys::Element) -> bool {
    document()
        .active_element()
        .is_some_and(|active| &active == element)
}

/// An input committed on `change` (line, date, time), showing `value`
/// whenever it is not focused, so someone else's edit appears unless you
/// are typing over it.
#[component]
pub fn SyncedInput(
    value: Signal<String>,
    on_commit: Callback<String>,
    control_id: String,
    name: String,
    /// `text`, `date` or `time`.
    input_type: &'static str,
    #[prop(into)] disabled: Signal<bool>,
    reason: Signal<Option<&'static str>>,
) -> impl IntoView {
    let input_ref = NodeRef::<Input>::new();
    Effect::new(move |_| {
        let current = value.get();
        if let Some(input) = input_ref.get()
            && !has_focus(&input)
            && input.value() != current
        {
            input.set_value(&current);
        }
    });
    view! {
        <input id=control_id name=name type=input_type node_ref=input_ref autocomplete="off"
            disabled=move || disabled.get() title=move || reason.get() prop:value=value.get_untracked()
            on:change=move |event| on_commit.run(event_target_value(&event)) />
    }
}

/// Line, date and time fields: committed on `change`; the document's
/// value shows whenever the input is not focused.
#[component]
pub fn TextControl(
    context: RecordContext,
    spec: &'static FieldSpec,
    input_type: &'static str,
) -> impl IntoView {
    let value = context.text(spec.key);
    let (language, reason) = (use_language(), context.reason());
    let shown_date = move || (input_type == "date").then(|| format_date(&value.get(), language.get()));
    view! {
        <SyncedInput value=value control_id=format!("field-{}", spec.key) name=spec.key.to_owned()
            input_type=input_type disabled=context.disabled() reason=reason
            on_commit=Callback::new(move |text| context.set_text(spec.key, text)) />
        {move || shown_date().filter(|text| !text.is_empty()).map(|text| view! { <span class="muted date-text">{text}</span> })}
    }
}

/// Where a cursor at `cursor` in `old` belongs in `new`: it moves with the
/// text after it when someone else inserts or deletes before it.
pub fn moved_cursor(old: &str, new: &str, cursor: usize) -> usize {
    let prefix = old.chars().zip(new.chars()).take_while(|(a, b)| a == b).count();
    if cursor <= prefix {
        return cursor;
    }
    let grown = new.chars().count() as isize - old.chars().count() as isize;
    (cursor as isize + grown).clamp(prefix as isize, new.chars().count() as isize) as usize
}

/// A textarea where every keystroke is committed (`on_input`, with the
/// text shown before it and after it, so the keystroke lands where it was
/// typed even if others' typing reached the document first) and other
/// people's typing appears while you type, with your cursor kept in place.
#[component]
pub fn LiveTextArea(
    value: Signal<String>,
    on_input: Callback<(String, String)>,
    control_id: String,
    name: String,
    #[prop(into)] disabled: Signal<bool>,
    reason: Signal<Option<&'static str>>,
) -> impl IntoView {
    let area_ref = NodeRef::<Textarea>::new();
    // What the textarea showed before the next keystroke.
    let shown_before = StoredValue::new(value.get_untracked());
    Effect::new(move |_| {
        let current = value.get();
        let Some(area) = area_ref.get() else { return };
        let shown = area.value();
        shown_before.set_value(current.clone());
        if shown == current {
            return;
        }
        let focused = has_focus(&area);
        let start = area.selection_start().ok().flatten().unwrap_or(0) as usize;
        let end = area.selection_end().ok().flatten().unwrap_or(0) as usize;
        area.set_value(&current);
        if focused {
            let start = moved_cursor(&shown, &current, start) as u32;
            let end = moved_cursor(&shown, &current, end) as u32;
            let _ = area.set_selection_range(start, end);
        }
    });
    view! {
        <textarea id=control_id name=name rows="4" node_ref=area_ref
            disabled=move || disabled.get() title=move || reason.get() prop:value=value.get_untracked()
            on:input=move |event| {
                let after = event_target_value(&event);
                let before = std::mem::replace(&mut *shown_before.write_value(), after.clone());
                on_input.run((before, after));
            }></textarea>
    }
}

/// A record's long text field, live ([`LiveTextArea`]).
#[component]
pub fn LongTextControl(context: RecordContext, spec: &'static FieldSpec) -> impl IntoView {
    view! {
        <LiveTextArea value=context.text(spec.key) control_id=format!("field-{}", spec.key) name=spec.key.to_owned()
            disabled=context.disabled() reason=context.reason()
            on_input=Callback::new(move |(before, after)| context.splice_text(spec.key, before, after)) />
    }
}

#[component]
pub fn ChoiceControl(
    context: RecordContext,
    spec: &'static FieldSpec,
    choices: &'static [Choice],
) -> impl IntoView {
    let value = context.text(spec.key);
    let (language, reason) = (use_language(), context.reason());
    let option = move |choice: &'static Choice| {
        view! {
            <option value=choice.slug selected=move || value.get() == choice.slug>
                {move || choice.label(language.get())}
            </option>
        }
    };
    view! {
        <select id=format!("field-{}", spec.key) name=spec.key disabled=move || context.disabled().get() title=move || reason.get()
            prop:value=move || value.get()
            on:change=move |event| context.set_text(spec.key, event_target_value(&event))>
            <option value="" selected=move || value.with(String::is_empty)>{move || text(language.get(), Text::NoneChosen)}</option>
            {choices.iter().map(option).collect_view()}
        </select>
    }
}

#[component]
pub fn FlagControl(context: RecordContext, spec: &'static FieldSpec) -> impl IntoView {
    let checked = Signal::derive(move || {
        context
            .record
            .with(|record| record.as_ref().is_some_and(|record| record.flag(spec.key)))
    });
    let reason = context.reason();
    view! {
        <input id=format!("field-{}", spec.key) name=spec.key type="checkbox" disabled=move || context.disabled().get()
            title=move || reason.get() prop:checked=move || checked.get()
            on:change=move |event| {
                let value = event_target_checked(&event);
                context.apply(Intent::SetFlag { record: context.record_ref(), key: spec.key.to_owned(), value });
            } />
    }
}

/// Tags, languages, links: chips with a remove button, and an input that adds on Enter.
#[component]
pub fn StringsControl(context: RecordContext, spec: &'static FieldSpec) -> impl IntoView {
    let items = context.list(spec.key);
    let (language, reason) = (use_language(), context.reason());
    let chip = move |item: String| {
        let removed = item.clone();
        view! {
            <li class="chip"><span>{item}</span>
                <button type="button" class="chip-remove" disabled=move || context.disabled().get() title=move || reason.get()
                    aria-label=move || text(language.get(), Text::Remove)
                    on:click=move |_| context.remove_item(spec.key, removed.clone())>"×"</button>
            </li>
        }
    };
    view! {
        <ul class="chips"><For each=move || items.get() key=String::clone children=chip /></ul>
        <input id=format!("field-{}", spec.key) name=spec.key type="text" autocomplete="off"
            disabled=move || context.disabled().get() title=move || reason.get()
            placeholder=move || text(language.get(), Text::Add)
            on:change=move |event| {
                context.add_item(spec.key, &event_target_value(&event));
                let input: web_sys::HtmlInputElement = event_target(&event);
                input.set_value("");
            } />
    }
}

#[cfg(test)]
mod tests {
    use super::moved_cursor;

    #[test]
    fn the_cursor_follows_the_text_around_it() {
        assert_eq!(moved_cursor("hello world", "hello big world", 3), 3);
        assert_eq!(moved_cursor("hello world", "oh hello world", 8), 11);
        assert_eq!(moved_cursor("hello world", "world", 11), 5);
    }
}
