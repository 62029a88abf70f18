//! Links to records of any collection (`<collection key>/<record id>`):
//! each shown as the record's title linking to its page, with a remove
//! button; a new link is made by picking a collection, then a record of it
//! ([`ReferenceSelect`]).

use enlace_shared::schema::Collection;
use enlace_shared::validation::parse_link;
use leptos::prelude::*;

use crate::components::reference_picker::{ReferenceLink, ReferenceSelect};
use crate::context::use_language;
use crate::i18n::{Text, text};

/// One link as a chip: the record's title (a link to its page), or the
/// link as written if it names no collection.
#[component]
fn LinkChip(
    link: String,
    on_remove: Callback<String>,
    disabled: Signal<bool>,
    reason: Signal<Option<&'static str>>,
) -> impl IntoView {
    let language = use_language();
    let shown = match parse_link(&link) {
        Some((target, id)) => view! { <ReferenceLink target=target id=id.to_owned() /> }.into_any(),
        None => view! { <span class="muted">{link.clone()}</span> }.into_any(),
    };
    let removed = link.clone();
    view! {
        <li class="chip" data-link=link>
            {shown}
            <button type="button" class="chip-remove" disabled=move || disabled.get() title=move || reason.get()
                aria-label=move || text(language.get(), Text::Remove)
                on:click=move |_| on_remove.run(removed.clone())>"×"</button>
        </li>
    }
}

#[component]
pub fn LinksPicker(
    links: Signal<Vec<String>>,
    on_add: Callback<String>,
    on_remove: Callback<String>,
    control_id: String,
    name: String,
    #[prop(into)] disabled: Signal<bool>,
    reason: Signal<Option<&'static str>>,
) -> impl IntoView {
    let language = use_language();
    let chosen = RwSignal::new(None::<Collection>);
    let collection_name = format!("{name}-collection");
    let record_picker = move || {
        chosen.get().map(|target| {
            view! {
                <ReferenceSelect target=target value=Signal::derive(String::new)
                    control_id=format!("{control_id}-record") name=format!("{name}-record")
                    disabled=disabled reason=reason
                    on_change=Callback::new(move |id: String| {
                        if !id.is_empty() {
                            on_add.run(format!("{}/{id}", target.key()));
                        }
                    }) />
            }
        })
    };
    view! {
        <ul class="chips">
            <For each=move || links.get() key=String::clone
                children=move |link| view! { <LinkChip link=link on_remove=on_remove disabled=disabled reason=reason /> } />
        </ul>
        <select name=collection_name aria-label=move || text(language.get(), Text::LinkCollection)
            disabled=move || disabled.get() title=move || reason.get()
            on:change=move |event| chosen.set(Collection::from_key(&event_target_value(&event)))>
            <option value="">{move || text(language.get(), Text::LinkCollection)}</option>
            {Collection::ALL.into_iter().map(|collection| view! {
                <option value=collection.key()>{move || collection.label(language.get())}</option>
            }).collect_view()}
        </select>
        {record_picker}
    }
}
