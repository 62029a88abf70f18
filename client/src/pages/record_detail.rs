//! One record, edited in place: every field of its schema, validation next to
//! each, delete/restore, the pipeline for alliances, for organisations
//! everything that refers to them, for meetings their action items (and
//! adding one), for working groups their meetings and action items, for
//! work-plan lines their progress and follow-up page, and the record's
//! history panel.

use enlace_shared::intent::Intent;
use enlace_shared::schema::Collection;
use leptos::prelude::*;

use crate::auth;
use crate::collections::display_title;
use crate::components::field_editor::FieldEditor;
use crate::components::meeting_action_items::MeetingActionItems;
use crate::components::organisation_related::OrganisationRelated;
use crate::components::pipeline::Pipeline;
use crate::components::presence_here::PresenceHere;
use crate::components::record_context::RecordContext;
use crate::components::record_history::RecordHistory;
use crate::components::working_group_related::WorkingGroupRelated;
use crate::components::workplan_line_related::WorkplanLineRelated;
use crate::context::{use_language, use_sync, use_workspace};
use crate::i18n::{Text, text};
use crate::route::Route;

#[component]
pub fn RecordDetail(collection: Collection, id: String) -> impl IntoView {
    let (workspace, sync, language) = (use_workspace(), use_sync(), use_language());
    let lookup = id.clone();
    let record = Memo::new(move |_| {
        workspace
            .snapshot
            .with(|snapshot| snapshot.get(collection, &lookup).cloned())
    });
    let lookup = id.clone();
    let issues = Memo::new(move |_| {
        workspace
            .snapshot
            .with(|snapshot| snapshot.issues(collection, &lookup))
    });
    // Only existence decides between the form and "not found": re-creating
    // the fields on every edit would steal the focus of whoever is typing.
    let exists = Memo::new(move |_| record.with(Option::is_some));
    let role = sync.role();
    let viewing_past = workspace.viewing_past();
    let blocked = Signal::derive(move || {
        auth::blocked_reason(role.get(), collection.edit_capability(), viewing_past.get())
    });
    let context = RecordContext {
        collection,
        id: StoredValue::new(id.clone()),
        record,
        issues,
        blocked,
        error: RwSignal::new(None),
        sync,
    };
    let reason = context.reason();
    let title = move || {
        workspace.snapshot.with(|snapshot| {
            record.with(|record| record.as_ref().map(|record| display_title(snapshot, record)))
        })
    };
    let deleted = move || record.with(|record| record.as_ref().is_some_and(|record| record.deleted));
    let example = move || record.with(|record| record.as_ref().is_some_and(|record| record.example));
    let toggle_deleted = move |_| {
        let delete = !deleted();
        context.apply(Intent::SetDeleted {
            record: context.record_ref(),
            deleted: delete,
        });
    };
    let is_secretariat = {
        let id = id.clone();
        move || {
            workspace
                .snapshot
                .with(|snapshot| snapshot.secretariat.as_deref() == Some(id.as_str()))
        }
    };
    let body = move || {
        if !exists.get() {
            return view! { <p class="empty muted">{move || text(language.get(), Text::NotFound)}</p> }
                .into_any();
        }
        view! {
            <PresenceHere collection=collection id=context.id.get_value() />
            {(collection == Collection::Alliances).then(|| view! { <Pipeline context=context /> })}
            <form class="card record-fields" on:submit=|event| event.prevent_default()>
                {collection.fields().iter().map(|spec| view! { <FieldEditor context=context spec=spec /> }).collect_view()}
            </form>
            {(collection == Collection::Organisations).then(|| view! { <OrganisationRelated organisation_id=context.id.get_value() /> })}
            {(collection == Collection::Meetings).then(|| view! { <MeetingActionItems meeting_id=context.id.get_value() /> })}
            {(collection == Collection::WorkingGroups).then(|| view! { <WorkingGroupRelated group_id=context.id.get_value() /> })}
            {(collection == Collection::WorkplanLines).then(|| view! { <WorkplanLineRelated line_id=context.id.get_value() /> })}
        }
        .into_any()
    };
    // The history panel sits beside the record's section, not in it: its
    // controls read the past (and restore); they do not edit fields in place.
    let authorship_id = id.clone();
    let badge = move |key: Text, class: &'static str| view! { <span class=class>{move || text(language.get(), key)}</span> };
    view! {
        <section class="record-detail" class:deleted=deleted data-collection=collection.key() data-id=id>
            <a class="back-link" href=Route::List(collection).href()>"← " {move || text(language.get(), Text::BackToList)}</a>
            <div class="page-heading record-heading">
                <h2 class:deleted=deleted>{title}</h2>
                {move || example().then(|| badge(Text::Example, "badge example"))}
                {move || is_secretariat().then(|| badge(Text::TechnicalSecretariat, "badge"))}
                <button type="button" data-testid="toggle-deleted" class="secondary" disabled=move || reason.get().is_some()
                    title=move || reason.get() on:click=toggle_deleted>
                    {move || text(language.get(), if deleted() { Text::Restore } else { Text::Delete })}
                </button>
            </div>
            {move || deleted().then(|| view! { <p class="read-only-note">{move || text(language.get(), Text::DeletedNotice)}</p> })}
            {move || context.error.get().map(|message| view! { <p class="form-error" role="alert" data-testid="edit-error">{move || message.get(language.get())}</p> })}
            {move || role.get().and(reason.get()).map(|reason| view! { <p class="read-only-note" data-testid="read-only">{reason}</p> })}
            {body}
        </section>
        <RecordHistory collection=collection id=authorship_id record=record />
    }
}
