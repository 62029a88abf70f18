//! An organisation's page section: its contacts, presidency terms, alliances
//! (as partner or member), collaborations and activities, grouped by
//! collection and by the role it plays there.

use leptos::prelude::*;

use crate::collections::{RelatedGroup, related_groups};
use crate::context::{use_language, use_workspace};
use crate::i18n::{Text, text};
use crate::route::Route;

#[component]
pub fn OrganisationRelated(organisation_id: String) -> impl IntoView {
    let (workspace, language) = (use_workspace(), use_language());
    let groups = Memo::new(move |_| {
        workspace
            .snapshot
            .with(|snapshot| related_groups(snapshot, &organisation_id))
    });
    let group = move |RelatedGroup {
                          collection,
                          field,
                          records,
                      }| {
        view! {
            <section class="related-group" data-related=collection.key()>
                <h4>{move || collection.label(language.get())} " — " {move || field.label(language.get())}</h4>
                <ul>
                    {records.into_iter().map(|(id, title)| view! {
                        <li><a href=Route::Record(collection, id.clone()).href() data-id=id>{title}</a></li>
                    }).collect_view()}
                </ul>
            </section>
        }
    };
    view! {
        <section class="card related" data-testid="organisation-related">
            <h3>{move || text(language.get(), Text::Related)}</h3>
            {move || groups.with(Vec::is_empty).then(|| view! { <p class="muted">{move || text(language.get(), Text::NothingYet)}</p> })}
            {move || groups.get().into_iter().map(group).collect_view()}
        </section>
    }
}
