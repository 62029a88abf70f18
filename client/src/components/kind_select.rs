//! A labelled `<select>` of organisation kinds; option values are kind slugs.

use enlace_shared::model::{Language, OrganisationKind};
use leptos::prelude::*;

/// The kinds to offer: every known kind, plus the current one if a newer
/// client wrote a kind this version does not know (so it is not lost).
pub fn kind_options(current_slug: &str) -> Vec<OrganisationKind> {
    let mut options = OrganisationKind::ALL.to_vec();
    let current = OrganisationKind::from_slug(current_slug);
    if !current_slug.is_empty() && !options.contains(&current) {
        options.push(current);
    }
    options
}

#[component]
pub fn KindSelect(
    /// The `name` attribute of the `<select>`.
    name: &'static str,
    label: Signal<&'static str>,
    language: Signal<Language>,
    /// The selected kind's slug.
    value: Signal<String>,
    on_change: Callback<String>,
    /// Why choosing is not allowed (the select is then disabled, with this
    /// as its tooltip); `None` to allow it.
    blocked: Signal<Option<&'static str>>,
) -> impl IntoView {
    let options = move || {
        let current = value.get();
        kind_options(&current)
            .into_iter()
            .map(|kind| {
                let slug = kind.slug().to_owned();
                let selected = slug == current;
                view! {
                    <option value=slug prop:selected=selected>
                        {move || kind.label(language.get()).to_owned()}
                    </option>
                }
            })
            .collect_view()
    };
    view! {
        <label class="field" title=move || blocked.get()>
            <span class="field-label">{move || label.get()}</span>
            <select
                name=name
                disabled=move || blocked.get().is_some()
                title=move || blocked.get()
                on:change=move |event| on_change.run(event_target_value(&event))
            >
                {options}
            </select>
        </label>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_kinds_are_offered_so_they_survive() {
        assert_eq!(kind_options("embassy").len(), OrganisationKind::ALL.len());
        let options = kind_options("foundation");
        assert_eq!(options.len(), OrganisationKind::ALL.len() + 1);
        assert_eq!(options.last().map(OrganisationKind::slug), Some("foundation"));
        assert_eq!(kind_options("").len(), OrganisationKind::ALL.len());
    }
}
