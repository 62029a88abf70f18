//! An organisation's page section: its contacts, presidency terms, alliances
//! (as partner or member), collaborations and activities, grouped by
//! collection and by the role it plays there.

use enlace_shared::schema::Collection;
use leptos::prelude::*;

use crate::app::Locale;
use crate::collections::{display_title, related_to_organisation};
use crate::pages::workspace::Workspace;
use crate::record_text::{Words, is_spanish, words};
use crate::route::Route;

/// `(collection, role label, [(id, title)])` groups, computed once per revision.
type Groups = Vec<(Collection, &'static str, Vec<(String, String)>)>;

#[component]
pub fn OrganisationRelated(organisation_id: String) -> impl IntoView {
    let workspace = expect_context::<Workspace>();
    let language = expect_context::<Locale>().language();
    let groups = Memo::new(move |_| {
        let spanish = is_spanish(language.get());
        workspace.snapshot.with(|snapshot| {
            let mut groups: Groups = Vec::new();
            for (collection, key, record) in related_to_organisation(snapshot, &organisation_id) {
                let spec = collection
                    .field(key)
                    .map_or(key, |spec| if spanish { spec.es } else { spec.en });
                let entry = (record.id.clone(), display_title(snapshot, record));
                match groups
                    .iter_mut()
                    .find(|(c, role, _)| *c == collection && *role == spec)
                {
                    Some(group) => group.2.push(entry),
                    None => groups.push((collection, spec, vec![entry])),
                }
            }
            groups
        })
    });
    let group = move |(collection, role, records): (Collection, &'static str, Vec<(String, String)>)| {
        view! {
            <section class="related-group" data-related=collection.key()>
                <h4>{move || collection.label(is_spanish(language.get()))} " — " {role}</h4>
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
            <h3>{move || words(language.get(), Words::Related)}</h3>
            {move || groups.with(Vec::is_empty).then(|| view! { <p class="muted">{move || words(language.get(), Words::NothingRelated)}</p> })}
            {move || groups.get().into_iter().map(group).collect_view()}
        </section>
    }
}
