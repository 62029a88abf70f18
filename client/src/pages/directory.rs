//! The organisation directory: the add form and the editable list.

use enlace_shared::model::{ModelError, Organisation};
use enlace_shared::policy::Capability;
use leptos::prelude::*;

use crate::app::Locale;
use crate::auth;
use crate::components::add_organisation_form::AddOrganisationForm;
use crate::components::organisation_row::OrganisationRow;
use crate::i18n::{Text, text};
use crate::sync::{EditError, SyncHandle};

/// The message shown when an edit is refused.
pub fn edit_error_text(error: &EditError) -> Text {
    match error {
        EditError::NotLoaded => Text::ErrorNotLoaded,
        EditError::Model(ModelError::Required(_)) => Text::ErrorNameRequired,
        EditError::Model(_) => Text::ErrorUnexpected,
        EditError::Forbidden => Text::ErrorForbidden,
    }
}

/// The organisations the directory lists: every one not deleted, in document order.
pub fn visible_organisations(organisations: &[Organisation]) -> Vec<Organisation> {
    organisations
        .iter()
        .filter(|record| !record.deleted)
        .cloned()
        .collect()
}

#[component]
pub fn DirectoryPage() -> impl IntoView {
    let sync = expect_context::<SyncHandle>();
    let language = expect_context::<Locale>().language();
    let organisations = sync.organisations();
    let visible = Memo::new(move |_| organisations.with(|all| visible_organisations(all)));
    let role = sync.role();
    let blocked =
        Signal::derive(move || auth::blocked_reason(language.get(), role.get(), Capability::EditRecords));
    let read_only = Signal::derive(move || {
        role.get()
            .and_then(|role| crate::i18n::capability_reason(language.get(), role, Capability::EditRecords))
    });

    let on_add = Callback::new(move |fields| {
        sync.add_organisation(&fields)
            .map_err(|error| edit_error_text(&error))
    });
    let on_edit = Callback::new(move |(id, field, value): (String, _, String)| {
        sync.edit_organisation(&id, field, &value)
            .map_err(|error| edit_error_text(&error))
    });

    let row = move |record: Organisation| {
        let id = record.id;
        let lookup = id.clone();
        let current = Signal::derive(move || {
            organisations.with(|all| all.iter().find(|candidate| candidate.id == lookup).cloned())
        });
        let row_id = id.clone();
        view! {
            <OrganisationRow
                id=id
                organisation=current
                language=language
                on_edit=Callback::new(move |(field, value)| on_edit.run((row_id.clone(), field, value)))
                blocked=blocked
            />
        }
    };

    view! {
        <section class="directory">
            <div class="page-heading">
                <h2>{move || text(language.get(), Text::DirectoryTitle)}</h2>
                <p class="muted">{move || text(language.get(), Text::DirectoryIntro)}</p>
            </div>
            {move || read_only.get().map(|reason| view! { <p class="read-only-note" data-testid="read-only">{reason}</p> })}
            <AddOrganisationForm language=language on_add=on_add blocked=blocked />
            <section class="card list-card">
                <h3>
                    {move || text(language.get(), Text::Organisations)}
                    <span class="count">{move || visible.with(Vec::len)}</span>
                </h3>
                <Show
                    when=move || visible.with(|records| !records.is_empty())
                    fallback=move || view! { <p class="empty muted">{move || text(language.get(), Text::NoOrganisations)}</p> }
                >
                    <ul class="organisation-list">
                        <For each=move || visible.get() key=|record| record.id.clone() children=row />
                    </ul>
                </Show>
            </section>
        </section>
    }
}
