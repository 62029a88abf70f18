//! One organisation in the directory, editable in place.

use enlace_shared::model::{Language, Organisation, OrganisationField};
use leptos::prelude::*;

use crate::components::kind_select::KindSelect;
use crate::components::live_text_input::LiveTextInput;
use crate::i18n::{Text, text};

#[component]
pub fn OrganisationRow(
    /// The record id, written to `data-id`.
    id: String,
    /// The record as the document has it now (`None` once it is gone).
    organisation: Signal<Option<Organisation>>,
    language: Signal<Language>,
    /// Commits one field; an error is shown in the row.
    on_edit: Callback<(OrganisationField, String), Result<(), Text>>,
    /// Why editing is not allowed (every control is then disabled, with this
    /// as its tooltip); `None` to allow it.
    blocked: Signal<Option<&'static str>>,
) -> impl IntoView {
    let error = RwSignal::new(None::<Text>);
    let field = move |read: fn(&Organisation) -> String| {
        Signal::derive(move || organisation.with(|record| record.as_ref().map(read).unwrap_or_default()))
    };
    let commit = move |which: OrganisationField| {
        Callback::new(move |value: String| error.set(on_edit.run((which, value)).err()))
    };
    let label = move |key: Text| Signal::derive(move || text(language.get(), key));
    let created_by = field(|record| record.created_by.clone());

    view! {
        <li class="organisation-row" data-testid="organisation-row" data-id=id>
            <LiveTextInput
                name="name"
                label=label(Text::Name)
                value=field(|record| record.name.clone())
                on_commit=commit(OrganisationField::Name)
                blocked=blocked
                required=true
            />
            <KindSelect
                name="kind"
                label=label(Text::Kind)
                language=language
                value=field(|record| record.kind.slug().to_owned())
                on_change=commit(OrganisationField::Kind)
                blocked=blocked
            />
            <LiveTextInput
                name="country"
                label=label(Text::Country)
                value=field(|record| record.country.clone())
                on_commit=commit(OrganisationField::Country)
                blocked=blocked
            />
            <p class="row-meta">
                <Show when=move || !created_by.get().is_empty()>
                    {move || format!("{} {}", text(language.get(), Text::AddedBy), created_by.get())}
                </Show>
            </p>
            <p class="form-error" role="alert">{move || error.get().map(|key| text(language.get(), key))}</p>
        </li>
    }
}
