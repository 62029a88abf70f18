//! The form that adds an organisation.

use enlace_shared::model::{Language, NewOrganisation, OrganisationKind};
use leptos::prelude::*;

use crate::components::kind_select::KindSelect;
use crate::i18n::{Text, text};

fn default_kind() -> String {
    OrganisationKind::Embassy.slug().to_owned()
}

#[component]
pub fn AddOrganisationForm(
    language: Signal<Language>,
    /// Adds the organisation; an error is shown under the form.
    on_add: Callback<NewOrganisation, Result<(), Text>>,
    /// Why adding is not allowed (every control is then disabled, with this
    /// as its tooltip); `None` to allow it.
    blocked: Signal<Option<&'static str>>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let kind = RwSignal::new(default_kind());
    let country = RwSignal::new(String::new());
    let error = RwSignal::new(None::<Text>);
    let label = move |key: Text| Signal::derive(move || text(language.get(), key));

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if blocked.get_untracked().is_some() {
            return;
        }
        let fields = NewOrganisation {
            name: name.get_untracked(),
            kind: OrganisationKind::from_slug(&kind.get_untracked()),
            country: country.get_untracked(),
        };
        match on_add.run(fields) {
            Ok(()) => {
                name.set(String::new());
                kind.set(default_kind());
                country.set(String::new());
                error.set(None);
            }
            Err(key) => error.set(Some(key)),
        }
    };

    view! {
        <form class="add-form card" on:submit=submit novalidate>
            <h2>{move || text(language.get(), Text::AddOrganisationTitle)}</h2>
            <div class="add-form-fields">
                <label class="field" title=move || blocked.get()>
                    <span class="field-label">{label(Text::Name)}</span>
                    <input
                        type="text"
                        name="new-name"
                        disabled=move || blocked.get().is_some()
                        title=move || blocked.get()
                        autocomplete="off"
                        placeholder=move || text(language.get(), Text::NamePlaceholder)
                        prop:value=move || name.get()
                        on:input=move |event| name.set(event_target_value(&event))
                    />
                </label>
                <KindSelect
                    name="new-kind"
                    label=label(Text::Kind)
                    language=language
                    value=kind.into()
                    on_change=Callback::new(move |slug| kind.set(slug))
                    blocked=blocked
                />
                <label class="field" title=move || blocked.get()>
                    <span class="field-label">{label(Text::Country)}</span>
                    <input
                        type="text"
                        name="new-country"
                        disabled=move || blocked.get().is_some()
                        title=move || blocked.get()
                        autocomplete="off"
                        placeholder=move || text(language.get(), Text::CountryPlaceholder)
                        prop:value=move || country.get()
                        on:input=move |event| country.set(event_target_value(&event))
                    />
                </label>
                <button
                    type="submit"
                    class="primary"
                    data-testid="add-organisation"
                    disabled=move || blocked.get().is_some()
                    title=move || blocked.get()
                >
                    {move || text(language.get(), Text::Add)}
                </button>
            </div>
            <p class="form-error" role="alert">{move || error.get().map(|key| text(language.get(), key))}</p>
        </form>
    }
}
