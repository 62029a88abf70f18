//! One action item in a follow-up list (the open items view, a meeting's,
//! a working group's or a work-plan line's items): its title linking to the
//! item, "Overdue" in words when it is, its owner, due date, meeting and
//! line, and a status select for a quick change (disabled, with the reason
//! as tooltip, for whoever may not edit). Also where the client's
//! [`Snapshot`] becomes the follow-up's [`RecordSource`].

use enlace_shared::followup::{OpenItem, RecordSource};
use enlace_shared::intent::Intent;
use enlace_shared::records::Record;
use enlace_shared::schema::{ACTION_STATUSES, Collection};
use leptos::prelude::*;

use crate::auth;
use crate::browser;
use crate::collections::{Snapshot, format_date};
use crate::context::{use_language, use_sync, use_workspace};
use crate::i18n::{Message, Text, text};
use crate::route::Route;

impl RecordSource for Snapshot {
    fn records(&self, collection: Collection) -> &[Record] {
        Snapshot::records(self, collection)
    }
}

/// The reason the status of action items cannot be changed here, if any.
pub fn status_blocked() -> Signal<Option<&'static str>> {
    let (sync, workspace, language) = (use_sync(), use_workspace(), use_language());
    let (role, viewing_past) = (sync.role(), workspace.viewing_past());
    Signal::derive(move || {
        auth::blocked_reason(
            role.get(),
            Collection::ActionItems.edit_capability(),
            viewing_past.get(),
        )
        .map(|reason| reason.get(language.get()))
    })
}

#[component]
pub fn ActionItemRow(
    item: OpenItem,
    /// Whether to name the item's meeting (not on the meeting's own page).
    #[prop(optional)]
    show_meeting: bool,
) -> impl IntoView {
    let (sync, language) = (use_sync(), use_language());
    let OpenItem {
        id,
        title,
        status,
        due,
        overdue,
        closed,
        owner_name,
        meeting_id,
        meeting_title,
        meeting_date,
        workplan_line_id,
        workplan_line_title,
        example,
        ..
    } = item;
    let reason = status_blocked();
    let error = RwSignal::new(None::<Message>);
    let href = Route::Record(Collection::ActionItems, id.clone()).href();
    let stored_id = StoredValue::new(id.clone());
    let stored_status = StoredValue::new(status.clone());
    // A refused change leaves the document as it was: its value shows again.
    let change_status = move |status: String, select: web_sys::HtmlSelectElement| {
        let intent = Intent::SetActionStatus {
            id: stored_id.get_value(),
            status,
            today: browser::today(),
        };
        sync.edit(intent, move |result| {
            if result.is_err()
                && let Some(status) = stored_status.try_get_value()
            {
                select.set_value(&status);
            }
            let _ = error.try_set(result.err().map(|error| error.message()));
        });
    };
    let meeting = (show_meeting && !meeting_id.is_empty()).then(|| {
        let href = Route::Record(Collection::Meetings, meeting_id).href();
        view! {
            <a class="action-meeting" data-testid="action-meeting" href=href>
                {meeting_title}
                {(!meeting_date.is_empty()).then(|| view! { " (" {move || format_date(&meeting_date, language.get())} ")" })}
            </a>
        }
    });
    let line = (!workplan_line_id.is_empty()).then(|| {
        view! {
            <a class="action-line" data-testid="action-line" href=Route::WorkplanLine(workplan_line_id).href()>
                {workplan_line_title}
            </a>
        }
    });
    let options = ACTION_STATUSES
        .iter()
        .map(|choice| {
            view! { <option value=choice.slug selected=status == choice.slug>{move || choice.label(language.get())}</option> }
        })
        .collect_view();
    view! {
        <li class="action-row" class:overdue=overdue class:closed=closed data-testid="action-item"
            data-id=id data-status=stored_status.get_value() data-overdue=overdue.to_string()>
            <a class="action-title" href=href>{title}</a>
            {example.then(|| view! { <span class="badge example">{move || text(language.get(), Text::Example)}</span> })}
            {overdue.then(|| view! { <span class="badge overdue" data-testid="overdue">"⚠ " {move || text(language.get(), Text::Overdue)}</span> })}
            <span class="action-owner" data-testid="action-owner">{owner_name}</span>
            <span class="action-due muted">
                {move || Collection::ActionItems.field("due").map(|spec| spec.label(language.get()))} ": "
                {move || if due.is_empty() { "—".to_owned() } else { format_date(&due, language.get()) }}
            </span>
            {meeting}
            {line}
            <select class="action-status" data-testid="action-status" name="status"
                aria-label=move || Collection::ActionItems.field("status").map(|spec| spec.label(language.get()))
                disabled=move || reason.get().is_some() title=move || reason.get()
                on:change=move |event| change_status(event_target_value(&event), event_target(&event))>
                {options}
            </select>
            {move || error.get().map(|message| view! { <p class="form-error" role="alert">{move || message.get(language.get())}</p> })}
        </li>
    }
}

/// A list of action items, or a note that there are none.
#[component]
pub fn ActionItemList(items: Signal<Vec<OpenItem>>, #[prop(optional)] show_meeting: bool) -> impl IntoView {
    let language = use_language();
    view! {
        <Show when=move || items.with(|items| !items.is_empty())
            fallback=move || view! { <p class="empty muted" data-testid="no-action-items">{move || text(language.get(), Text::NoActionItems)}</p> }>
            <ul class="action-list">
                <For each=move || items.get() key=|item| item.clone()
                    children=move |item| view! { <ActionItemRow item=item show_meeting=show_meeting /> } />
            </ul>
        </Show>
    }
}
