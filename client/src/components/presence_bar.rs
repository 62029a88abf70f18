//! The header's presence bar: everyone else in the workspace, by initials,
//! name and organisation, with where they are as a tooltip. The identity is
//! always the server's stamp on their presence.

use enlace_shared::language::Language;
use enlace_shared::presence::{Presence, PresentPerson};
use enlace_shared::schema::Collection;
use leptos::prelude::*;

use crate::collections::Snapshot;
use crate::context::{use_language, use_sync};
use crate::i18n::{Text, text};
use crate::presence::use_presence;
use crate::route::Route;

/// A record's title, if the workspace has it.
fn record_title(snapshot: &Snapshot, collection: Collection, id: &str) -> Option<String> {
    let record = snapshot.get(collection, id)?;
    Some(record.title().to_owned()).filter(|title| !title.is_empty())
}

/// Where one tab is: the record's title, or the page's name.
pub fn place_label(snapshot: &Snapshot, language: Language, presence: &Presence) -> String {
    let record = presence.record.as_ref().and_then(|record| {
        let collection = Collection::from_key(&record.collection)?;
        let title = record_title(snapshot, collection, &record.id);
        Some(match title {
            Some(title) => format!("{}: {title}", collection.label(language)),
            None => collection.label(language).to_owned(),
        })
    });
    record.unwrap_or_else(|| match Route::from_hash(&presence.route).collection() {
        Some(collection) => collection.label(language).to_owned(),
        None => text(language, Text::PresenceHome).to_owned(),
    })
}

/// The person's name, organisation and places, one per line (the tooltip).
pub fn person_summary(snapshot: &Snapshot, language: Language, person: &PresentPerson) -> String {
    let organisation = person
        .sender
        .organisation_id
        .as_deref()
        .and_then(|id| record_title(snapshot, Collection::Organisations, id));
    let mut lines = vec![match organisation {
        Some(organisation) => format!("{} · {organisation}", person.sender.display_name),
        None => person.sender.display_name.clone(),
    }];
    for place in &person.places {
        let mut line = place_label(snapshot, language, place);
        if let Some(field) = &place.field {
            line = format!("{line} ({} {field})", text(language, Text::PresenceEditing));
        }
        lines.push(line);
    }
    lines.join("\n")
}

/// One person: initials in a circle, and their name unless `with_name` is
/// false (then it is the badge beside a field someone else is editing).
#[component]
pub fn PresenceAvatar(person: PresentPerson, #[prop(optional)] with_name: bool) -> impl IntoView {
    let language = use_language();
    let sync = use_sync();
    let initials = person.initials();
    let person_id = person.sender.person_id.clone();
    let name = person.sender.display_name.clone();
    let snapshot = sync.snapshot();
    let summary = move || snapshot.with(|snapshot| person_summary(snapshot, language.get(), &person));
    let shown_name = with_name.then(|| view! { <span class="presence-name">{name.clone()}</span> });
    let testid = if with_name {
        "presence-person"
    } else {
        "presence-editor"
    };
    view! {
        <span class="presence-person" data-testid=testid data-person=person_id data-name=name title=summary>
            <span class="presence-avatar" aria-hidden="true">{initials}</span>
            {shown_name}
        </span>
    }
}

#[component]
pub fn PresenceBar() -> impl IntoView {
    let language = use_language();
    let people = use_presence().people();
    view! {
        <div class="presence-bar" data-testid="presence-bar" aria-label=move || text(language.get(), Text::PresenceOnline)>
            {move || {
                let people = people.get();
                if people.is_empty() {
                    return view! { <span class="presence-nobody muted">{move || text(language.get(), Text::PresenceNobody)}</span> }.into_any();
                }
                people.into_iter().map(|person| view! { <PresenceAvatar person=person with_name=true /> }).collect_view().into_any()
            }}
        </div>
    }
}
