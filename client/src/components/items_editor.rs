//! The editor of an items field (a meeting's agenda, attendance and
//! decisions, an alliance's commitments): one row per item with the
//! control each sub-field's kind calls for, buttons to move it up or down
//! and to remove it, and a small form to add one by its title sub-field.
//! Every edit is one item intent, naming the item by its id.

use enlace_shared::ids;
use enlace_shared::intent::{Intent, ItemRef};
use enlace_shared::presence::item_field;
use enlace_shared::records::{Initial, Item};
use enlace_shared::schema::{FieldKind, FieldSpec, ItemSpec};
use leptos::prelude::*;

use crate::browser;
use crate::components::field_controls::{LiveTextArea, SyncedInput};
use crate::components::links_picker::LinksPicker;
use crate::components::presence_bar::PresenceAvatar;
use crate::components::record_context::RecordContext;
use crate::components::reference_picker::{ReferenceChips, ReferenceSelect};
use crate::context::use_language;
use crate::i18n::{Text, text};
use crate::presence::{PresenceHandle, use_presence};

/// One item write: `intent` gets the item's place.
fn write_item(
    context: RecordContext,
    field: &'static str,
    item_id: String,
    intent: impl FnOnce(ItemRef) -> Intent,
) {
    context.apply(intent(context.item_ref(field, item_id)));
}

/// The items of the field now, in order.
fn items_of(context: RecordContext, field: &'static str) -> Signal<Vec<Item>> {
    let record = context.record;
    Signal::derive(move || {
        record.with(|record| {
            record
                .as_ref()
                .map(|record| record.items(field).to_vec())
                .unwrap_or_default()
        })
    })
}

/// One sub-field's control in the row of the item `item_id`.
fn sub_field_control(
    context: RecordContext,
    field: &'static FieldSpec,
    sub: &'static FieldSpec,
    item_id: String,
    item: Memo<Option<Item>>,
) -> AnyView {
    let (disabled, reason) = (context.disabled(), context.reason());
    let name = format!("{}-{}", field.key, sub.key);
    let control_id = format!("{name}-{item_id}");
    let text_value = Signal::derive(move || {
        item.with(|item| {
            item.as_ref()
                .map(|item| item.text(sub.key).to_owned())
                .unwrap_or_default()
        })
    });
    let list_value = Signal::derive(move || {
        item.with(|item| {
            item.as_ref()
                .map(|item| item.list(sub.key).to_vec())
                .unwrap_or_default()
        })
    });
    let id = StoredValue::new(item_id);
    let set = Callback::new(move |value: String| {
        write_item(context, field.key, id.get_value(), |item| Intent::SetItemText {
            item,
            key: sub.key.to_owned(),
            value,
        });
    });
    let add = Callback::new(move |entry: String| {
        write_item(context, field.key, id.get_value(), |item| Intent::AddToItemList {
            item,
            key: sub.key.to_owned(),
            entry,
        });
    });
    let remove = Callback::new(move |entry: String| {
        write_item(context, field.key, id.get_value(), |item| {
            Intent::RemoveFromItemList {
                item,
                key: sub.key.to_owned(),
                entry,
            }
        });
    });
    match sub.kind {
        FieldKind::LongText => {
            let splice = Callback::new(move |(before, after): (String, String)| {
                write_item(context, field.key, id.get_value(), |item| Intent::SpliceItemText {
                    item,
                    key: sub.key.to_owned(),
                    before,
                    after,
                });
            });
            view! { <LiveTextArea value=text_value on_input=splice control_id=control_id name=name disabled=disabled reason=reason /> }.into_any()
        }
        FieldKind::Date | FieldKind::Time | FieldKind::Line => {
            let input_type = match sub.kind {
                FieldKind::Date => "date",
                FieldKind::Time => "time",
                _ => "text",
            };
            view! { <SyncedInput value=text_value on_commit=set control_id=control_id name=name input_type=input_type disabled=disabled reason=reason /> }.into_any()
        }
        FieldKind::Choice(choices) => {
            let language = use_language();
            view! {
                <select id=control_id name=name disabled=move || disabled.get() title=move || reason.get()
                    prop:value=move || text_value.get() on:change=move |event| set.run(event_target_value(&event))>
                    <option value="" selected=move || text_value.with(String::is_empty)>{move || text(language.get(), Text::NoneChosen)}</option>
                    {choices.iter().map(|choice| view! {
                        <option value=choice.slug selected=move || text_value.get() == choice.slug>{move || choice.label(language.get())}</option>
                    }).collect_view()}
                </select>
            }.into_any()
        }
        FieldKind::Reference(target) => view! { <ReferenceSelect target=target value=text_value on_change=set control_id=control_id name=name disabled=disabled reason=reason /> }.into_any(),
        FieldKind::References(target) => view! { <ReferenceChips target=target items=list_value on_add=add on_remove=remove control_id=control_id name=name disabled=disabled reason=reason /> }.into_any(),
        FieldKind::Links => view! { <LinksPicker links=list_value on_add=add on_remove=remove control_id=control_id name=name disabled=disabled reason=reason /> }.into_any(),
        FieldKind::Flag => {
            let checked = Signal::derive(move || item.with(|item| item.as_ref().is_some_and(|item| item.flag(sub.key))));
            view! {
                <input type="checkbox" id=control_id name=name disabled=move || disabled.get() title=move || reason.get()
                    prop:checked=move || checked.get()
                    on:change=move |event| {
                        let value = event_target_checked(&event);
                        write_item(context, field.key, id.get_value(), |item| Intent::SetItemFlag {
                            item,
                            key: sub.key.to_owned(),
                            value,
                        });
                    } />
            }.into_any()
        }
        FieldKind::Strings | FieldKind::Items(_) => ().into_any(),
    }
}

/// One item: its sub-fields, and move up / move down / remove.
#[component]
fn ItemRow(
    context: RecordContext,
    field: &'static FieldSpec,
    shape: &'static ItemSpec,
    item_id: String,
) -> impl IntoView {
    let language = use_language();
    let (disabled, reason) = (context.disabled(), context.reason());
    let items = items_of(context, field.key);
    let lookup = item_id.clone();
    let item = Memo::new(move |_| items.with(|items| items.iter().find(|item| item.id == lookup).cloned()));
    let position = {
        let lookup = item_id.clone();
        Memo::new(move |_| items.with(|items| items.iter().position(|item| item.id == lookup)))
    };
    let count = Memo::new(move |_| items.with(Vec::len));
    let id = StoredValue::new(item_id.clone());
    let move_to = move |offset: isize| {
        let Some(from) = position.get_untracked() else {
            return;
        };
        let to = from.saturating_add_signed(offset);
        write_item(context, field.key, id.get_value(), |item| Intent::MoveItem {
            item,
            to,
        });
    };
    let remove = move |_| {
        write_item(context, field.key, id.get_value(), |item| Intent::RemoveItem {
            item,
        });
    };
    let cell = move |sub: &'static FieldSpec| {
        view! {
            <div class="item-field" data-sub-field=sub.key>
                <span class="item-label">{move || sub.label(language.get())}</span>
                {sub_field_control(context, field, sub, id.get_value(), item)}
            </div>
        }
    };
    // Presence on this item: say when this tab edits it (the whole field's
    // focus handler is not told, so the item is what others see), show who
    // else does.
    let presence = use_presence();
    let path = item_field(field.key, &item_id);
    let editors = presence.editing(context.collection, context.id.get_value(), path.clone());
    let edited_by = PresenceHandle::edited_by(editors);
    let focus = {
        let path = path.clone();
        move |event: web_sys::FocusEvent| {
            event.stop_propagation();
            context
                .id
                .with_value(|record| presence.focus(context.collection, record, &path));
        }
    };
    let blur = move |event: web_sys::FocusEvent| {
        event.stop_propagation();
        presence.blur(&path);
    };
    view! {
        <li class="item" data-testid="item" data-item=item_id
            class:edited-by-other=move || edited_by().is_some() data-edited-by=edited_by
            on:focusin=focus on:focusout=blur>
            <div class="item-fields">{shape.fields.iter().map(cell).collect_view()}</div>
            <div class="item-actions">
                {move || editors.get().into_iter().map(|person| view! { <PresenceAvatar person=person /> }).collect_view()}
                <button type="button" class="secondary" data-testid="item-up" aria-label=move || text(language.get(), Text::MoveUp)
                    disabled=move || disabled.get() || position.get() == Some(0) title=move || reason.get()
                    on:click=move |_| move_to(-1)>"↑"</button>
                <button type="button" class="secondary" data-testid="item-down" aria-label=move || text(language.get(), Text::MoveDown)
                    disabled=move || disabled.get() || position.get().is_none_or(|at| at + 1 >= count.get()) title=move || reason.get()
                    on:click=move |_| move_to(1)>"↓"</button>
                <button type="button" class="secondary" data-testid="item-remove" aria-label=move || text(language.get(), Text::Remove)
                    disabled=move || disabled.get() title=move || reason.get() on:click=remove>"×"</button>
            </div>
        </li>
    }
}

/// The new item's values: its title, and the first choice of every
/// required choice sub-field (an attendee starts invited).
fn new_item_values(shape: &ItemSpec, title: String) -> Vec<(String, Initial)> {
    let mut values = vec![(shape.title_field.to_owned(), Initial::Text(title))];
    for sub in shape.fields {
        if let (FieldKind::Choice(choices), true) = (sub.kind, sub.required)
            && sub.key != shape.title_field
        {
            values.push((sub.key.to_owned(), Initial::Text(choices[0].slug.to_owned())));
        }
    }
    values
}

/// The form that adds an item by its title sub-field (text, or a record
/// picker when the title is a reference).
#[component]
fn AddItemForm(context: RecordContext, field: &'static FieldSpec, shape: &'static ItemSpec) -> impl IntoView {
    let language = use_language();
    let (disabled, reason) = (context.disabled(), context.reason());
    let title = RwSignal::new(String::new());
    let add = move || {
        let value = title.get_untracked();
        if value.trim().is_empty() {
            return;
        }
        let values = new_item_values(shape, value);
        let item_id = ids::record_id(browser::random_bytes());
        write_item(context, field.key, item_id, |item| Intent::AddItem {
            item,
            fields: values,
        });
        title.set(String::new());
    };
    let control_id = format!("field-{}", field.key);
    let name = format!("new-{}", field.key);
    let input = match shape.field(shape.title_field).map(|spec| spec.kind) {
        Some(FieldKind::Reference(target)) => view! {
            <ReferenceSelect target=target value=title.into() control_id=control_id name=name disabled=disabled reason=reason
                on_change=Callback::new(move |id| title.set(id)) />
        }
        .into_any(),
        _ => view! {
            <input id=control_id type="text" name=name autocomplete="off" disabled=move || disabled.get() title=move || reason.get()
                placeholder=move || shape.field(shape.title_field).map(|spec| spec.label(language.get()))
                prop:value=move || title.get() on:input=move |event| title.set(event_target_value(&event))
                on:keydown=move |event| if event.key() == "Enter" { event.prevent_default(); add(); } />
        }
        .into_any(),
    };
    view! {
        <div class="item-add">
            {input}
            <button type="button" class="secondary" data-testid=format!("add-{}", field.key) disabled=move || disabled.get()
                title=move || reason.get() on:click=move |_| add()>
                {move || text(language.get(), Text::AddItem)}
            </button>
        </div>
    }
}

#[component]
pub fn ItemsEditor(
    context: RecordContext,
    field: &'static FieldSpec,
    shape: &'static ItemSpec,
) -> impl IntoView {
    let items = items_of(context, field.key);
    let ids =
        Memo::new(move |_| items.with(|items| items.iter().map(|item| item.id.clone()).collect::<Vec<_>>()));
    view! {
        <ol class="items" data-items=field.key>
            <For each=move || ids.get() key=String::clone
                children=move |item_id| view! { <ItemRow context=context field=field shape=shape item_id=item_id /> } />
        </ol>
        <AddItemForm context=context field=field shape=shape />
    }
}

#[cfg(test)]
mod tests {
    use enlace_shared::schema::{AGENDA_ITEM, ATTENDANCE_ITEM};

    use super::*;

    #[test]
    fn a_new_item_gets_its_title_and_first_required_choices() {
        assert_eq!(
            new_item_values(&AGENDA_ITEM, "Apertura".into()),
            [("title".to_owned(), Initial::Text("Apertura".into()))]
        );
        assert_eq!(
            new_item_values(&ATTENDANCE_ITEM, "org-1".into()),
            [
                ("organisation".to_owned(), Initial::Text("org-1".into())),
                ("status".to_owned(), Initial::Text("invited".into()))
            ]
        );
    }
}
