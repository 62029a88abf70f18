//! One record, edited in place: every field of its schema, validation next to
//! each, delete/restore, the pipeline for alliances and, for organisations,
//! everything that refers to them.

use enlace_shared::policy::Capability;
use enlace_shared::records;
use enlace_shared::schema::Collection;
use leptos::prelude::*;

use crate::app::Locale;
use crate::auth;
use crate::collections::display_title;
use crate::components::field_editor::FieldEditor;
use crate::components::pipeline::Pipeline;
use crate::components::record_context::RecordContext;
use crate::pages::organisation_related::OrganisationRelated;
use crate::pages::workspace::Workspace;
use crate::record_text::{Words, words};
use crate::route::Route;
use crate::sync::SyncHandle;

#[component]
pub fn RecordDetail(collection: Collection, id: String) -> impl IntoView {
    let workspace = expect_context::<Workspace>();
    let sync = expect_context::<SyncHandle>();
    let language = expect_context::<Locale>().language();
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
    let blocked =
        Signal::derive(move || auth::blocked_reason(language.get(), role.get(), Capability::EditRecords));
    let context = RecordContext {
        collection,
        id: StoredValue::new(id.clone()),
        record,
        issues,
        blocked,
        error: RwSignal::new(None),
        language,
        sync,
    };
    let title = move || {
        workspace.snapshot.with(|snapshot| {
            record.with(|record| record.as_ref().map(|record| display_title(snapshot, record)))
        })
    };
    let deleted = move || record.with(|record| record.as_ref().is_some_and(|record| record.deleted));
    let toggle_deleted = move |_| {
        let delete = !deleted();
        context.apply(move |document, collection, id, authorship| {
            records::set_deleted(document, collection, id, delete, authorship)
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
            return view! { <p class="empty muted">{move || words(language.get(), Words::NotFound)}</p> }
                .into_any();
        }
        view! {
            {(collection == Collection::Alliances).then(|| view! { <Pipeline context=context /> })}
            <form class="card record-fields" on:submit=|event| event.prevent_default()>
                {collection.fields().iter().map(|spec| view! { <FieldEditor context=context spec=spec /> }).collect_view()}
            </form>
            {(collection == Collection::Organisations).then(|| view! { <OrganisationRelated organisation_id=context.id.get_value() /> })}
        }
        .into_any()
    };
    view! {
        <section class="record-detail" class:deleted=deleted data-collection=collection.key() data-id=id>
            <a class="back-link" href=Route::List(collection).href()>"← " {move || words(language.get(), Words::BackToList)}</a>
            <div class="page-heading record-heading">
                <h2 class:deleted=deleted>{title}</h2>
                {move || record.with(|record| record.as_ref().is_some_and(|record| record.example)).then(|| view! { <span class="badge example">{move || words(language.get(), Words::Example)}</span> })}
                {move || is_secretariat().then(|| view! { <span class="badge">{move || words(language.get(), Words::Secretariat)}</span> })}
                <button type="button" data-testid="toggle-deleted" class="secondary" disabled=move || blocked.get().is_some() on:click=toggle_deleted>
                    {move || words(language.get(), if deleted() { Words::Restore } else { Words::Delete })}
                </button>
            </div>
            {move || deleted().then(|| view! { <p class="read-only-note">{move || words(language.get(), Words::DeletedNotice)}</p> })}
            {move || context.error.get().map(|message| view! { <p class="form-error" role="alert" data-testid="edit-error">{message}</p> })}
            {body}
        </section>
    }
}
