//! "Also here": the others who have this record open.

use enlace_shared::schema::Collection;
use leptos::prelude::*;

use crate::components::presence_bar::PresenceAvatar;
use crate::context::use_language;
use crate::i18n::{Text, text};
use crate::presence::use_presence;

#[component]
pub fn PresenceHere(collection: Collection, id: String) -> impl IntoView {
    let language = use_language();
    let here = use_presence().on_record(collection, id);
    move || {
        let people = here.get();
        (!people.is_empty()).then(|| {
            view! {
                <p class="presence-here" data-testid="presence-here">
                    <span class="muted">{move || text(language.get(), Text::PresenceAlsoHere)}</span>
                    {people.into_iter().map(|person| view! { <PresenceAvatar person=person with_name=true /> }).collect_view()}
                </p>
            }
        })
    }
}
