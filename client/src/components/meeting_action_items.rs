//! A meeting's page section: its action items (closed ones too) and the
//! form that adds one — title, owner, due date, work-plan line — as an
//! `action_items` record on this meeting, status open, in one change. The
//! form is disabled, with the reason, for whoever may not add records.

use enlace_shared::followup::{self, NewActionItem};
use enlace_shared::ids;
use enlace_shared::intent::Intent;
use enlace_shared::schema::Collection;
use leptos::prelude::*;

use crate::browser;
use crate::components::action_item_row::{ActionItemList, status_blocked};
use crate::components::reference_picker::ReferenceSelect;
use crate::context::{use_language, use_sync, use_workspace};
use crate::i18n::{Message, Text, text};

#[component]
pub fn MeetingActionItems(meeting_id: String) -> impl IntoView {
    let (workspace, sync, language) = (use_workspace(), use_sync(), use_language());
    let meeting = StoredValue::new(meeting_id);
    let items = Memo::new(move |_| {
        let today = browser::today();
        workspace
            .snapshot
            .with(|snapshot| meeting.with_value(|id| followup::meeting_action_items(&**snapshot, id, &today)))
    });
    let reason = status_blocked();
    let disabled = Signal::derive(move || reason.get().is_some());
    let (title, owner, due, line) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let message = RwSignal::new(None::<Message>);
    let add = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let item = NewActionItem {
            title: title.get_untracked(),
            owner: owner.get_untracked(),
            due: due.get_untracked(),
            workplan_line: line.get_untracked(),
        };
        if item.title.trim().is_empty() || item.owner.is_empty() {
            return message.set(Some(Message::Text(Text::FillRequired)));
        }
        let id = ids::record_id(browser::random_bytes());
        let intent = Intent::CreateActionItem {
            id,
            meeting: meeting.get_value(),
            item,
        };
        sync.edit(intent, move |result| match result {
            Ok(_) => {
                message.set(None);
                title.set(String::new());
                due.set(String::new());
            }
            Err(error) => message.set(Some(error.message())),
        });
    };
    let label = move |key: &'static str| {
        move || {
            Collection::ActionItems
                .field(key)
                .map(|spec| spec.label(language.get()))
        }
    };
    view! {
        <section class="card related meeting-action-items" data-testid="meeting-action-items">
            <h3>{move || Collection::ActionItems.label(language.get())} " " <span class="count">{move || items.with(Vec::len)}</span></h3>
            <ActionItemList items=items.into() />
            <form class="new-record-form add-action-item" data-testid="add-action-item" on:submit=add>
                <label class="field" for="action-title">
                    <span class="field-label">{label("title")} " *"</span>
                    <input id="action-title" name="action-title" type="text" autocomplete="off" disabled=disabled title=move || reason.get()
                        prop:value=move || title.get() on:input=move |event| title.set(event_target_value(&event)) />
                </label>
                <label class="field" for="action-owner">
                    <span class="field-label">{label("owner")} " *"</span>
                    <ReferenceSelect target=Collection::Organisations value=owner.into() on_change=Callback::new(move |value| owner.set(value))
                        control_id="action-owner".to_owned() name="action-owner".to_owned() disabled=disabled reason=reason />
                </label>
                <label class="field" for="action-due">
                    <span class="field-label">{label("due")}</span>
                    <input id="action-due" name="action-due" type="date" disabled=disabled title=move || reason.get()
                        prop:value=move || due.get() on:input=move |event| due.set(event_target_value(&event)) />
                </label>
                <label class="field" for="action-line">
                    <span class="field-label">{label("workplan_line")}</span>
                    <ReferenceSelect target=Collection::WorkplanLines value=line.into() on_change=Callback::new(move |value| line.set(value))
                        control_id="action-line".to_owned() name="action-line".to_owned() disabled=disabled reason=reason />
                </label>
                <button type="submit" class="primary" data-testid="add-action-item-submit" disabled=disabled title=move || reason.get()>
                    {move || text(language.get(), Text::AddActionItem)}
                </button>
                {move || message.get().map(|message| view! { <p class="form-error" role="alert">{move || message.get(language.get())}</p> })}
            </form>
        </section>
    }
}
