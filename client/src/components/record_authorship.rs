//! Who added a record and who last edited it, as the server's receipts say
//! (never a field a client wrote), fetched on arrival and again after the
//! record changes.

use std::time::Duration;

use enlace_shared::api::{RecordAuthor, RecordAuthorship};
use enlace_shared::records::Record;
use enlace_shared::schema::Collection;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::browser;
use crate::collections::Snapshot;
use crate::context::{use_language, use_sync, use_workspace};
use crate::http;
use crate::i18n::{Text, text};
use crate::overview::time_ago;
use crate::refetch::refetch_after_changes;

/// How long after a change of the record its authorship is fetched again
/// (the receipt is written once the server has committed the change).
const REFRESH_DELAY: Duration = Duration::from_secs(1);

/// A person as the line names them: their name, then their organisation's
/// acronym (or name) in the workspace directory, if they have one there.
pub fn author_label(author: &RecordAuthor, snapshot: &Snapshot) -> String {
    let organisation = author
        .organisation_id
        .as_deref()
        .and_then(|id| snapshot.get(Collection::Organisations, id))
        .map(|organisation| match organisation.text("acronym") {
            "" => organisation.title().to_owned(),
            acronym => acronym.to_owned(),
        });
    match organisation {
        Some(organisation) => format!("{} ({organisation})", author.user_name),
        None => author.user_name.clone(),
    }
}

#[component]
pub fn RecordAuthorshipLine(
    collection: Collection,
    id: String,
    record: Memo<Option<Record>>,
) -> impl IntoView {
    let (sync, workspace, language) = (use_sync(), use_workspace(), use_language());
    let authorship = RwSignal::new(RecordAuthorship::default());
    let id = StoredValue::new(id);
    refetch_after_changes(
        sync,
        move || record.track(),
        REFRESH_DELAY,
        move |workspace_id| {
            let record_id = id.get_value();
            spawn_local(async move {
                match http::record_authorship(&workspace_id.to_string(), collection.key(), &record_id).await {
                    Ok(answer) => {
                        let _ = authorship.try_set(answer);
                    }
                    Err(error) => {
                        web_sys::console::warn_1(&format!("enlace: record authorship: {error}").into());
                    }
                }
            });
        },
    );
    let line = move |key: Text, author: Option<RecordAuthor>, testid: &'static str| {
        author.map(|author| {
            let who = workspace.snapshot.with(|snapshot| author_label(&author, snapshot));
            view! {
                <span data-testid=testid>
                    {move || text(language.get(), key)} " " <span class="who">{who}</span> ", "
                    <span class="when">{move || time_ago(browser::now_ms(), author.at_ms, language.get())}</span>
                </span>
            }
        })
    };
    let known = move || authorship.with(|shown| shown.created.is_some() || shown.last_edited.is_some());
    move || {
        known().then(|| {
            view! {
                <p class="muted record-authorship" data-testid="record-authorship">
                    {move || line(Text::AddedBy, authorship.get().created, "added-by")}
                    {move || authorship.with(|shown| shown.created.is_some() && shown.last_edited.is_some()).then_some(" · ")}
                    {move || line(Text::LastEditedBy, authorship.get().last_edited, "last-edited-by")}
                </p>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use automerge::Automerge;
    use enlace_shared::model::{Authorship, create_workspace};
    use enlace_shared::records::{self, Initial};

    use super::*;

    fn author(organisation_id: Option<&str>) -> RecordAuthor {
        RecordAuthor {
            user_id: "u1".into(),
            user_name: "Ana Ruiz".into(),
            organisation_id: organisation_id.map(str::to_owned),
            at_ms: 1,
        }
    }

    #[test]
    fn an_author_is_named_with_their_organisation_when_the_directory_has_it() {
        let mut document = Automerge::new();
        create_workspace(&mut document, "MCIG", 1).expect("workspace");
        let by = Authorship {
            now_ms: 1,
            author: "test",
        };
        let name = |value: &str| ("name", Initial::Text(value.into()));
        records::create_record(
            &mut document,
            Collection::Organisations,
            "giz",
            &[
                name("Deutsche Gesellschaft"),
                ("acronym", Initial::Text("GIZ".into())),
            ],
            &by,
        )
        .expect("record");
        records::create_record(
            &mut document,
            Collection::Organisations,
            "onu",
            &[name("ONU Mujeres")],
            &by,
        )
        .expect("record");
        let snapshot = Snapshot::read(&document, 1);
        assert_eq!(author_label(&author(Some("giz")), &snapshot), "Ana Ruiz (GIZ)");
        assert_eq!(
            author_label(&author(Some("onu")), &snapshot),
            "Ana Ruiz (ONU Mujeres)"
        );
        assert_eq!(author_label(&author(Some("gone")), &snapshot), "Ana Ruiz");
        assert_eq!(author_label(&author(None), &snapshot), "Ana Ruiz");
    }
}
