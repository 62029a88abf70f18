//! The record a detail page edits, shared with its field editors: its
//! current value and issues (recomputed once per document revision), whether
//! editing is allowed, and the edits themselves, which go through the sync
//! handle so the change is committed and sent.

use automerge::Automerge;
use enlace_shared::model::{Authorship, Language, ModelError};
use enlace_shared::records::{self, Record};
use enlace_shared::schema::Collection;
use enlace_shared::validation::Issue;
use leptos::prelude::*;

use crate::i18n::text;
use crate::pages::directory::edit_error_text;
use crate::sync::SyncHandle;

#[derive(Clone, Copy)]
pub struct RecordContext {
    pub collection: Collection,
    pub id: StoredValue<String>,
    pub record: Memo<Option<Record>>,
    pub issues: Memo<Vec<Issue>>,
    /// Why editing is not allowed (controls are disabled), if it is not.
    pub blocked: Signal<Option<&'static str>>,
    /// The last edit that failed, as a message.
    pub error: RwSignal<Option<&'static str>>,
    pub language: Signal<Language>,
    pub sync: SyncHandle,
}

impl RecordContext {
    /// A text-like field's current value.
    pub fn text(self, key: &'static str) -> Signal<String> {
        let record = self.record;
        Signal::derive(move || {
            record.with(|record| {
                record
                    .as_ref()
                    .map(|record| record.text(key).to_owned())
                    .unwrap_or_default()
            })
        })
    }

    pub fn list(self, key: &'static str) -> Signal<Vec<String>> {
        let record = self.record;
        Signal::derive(move || {
            record.with(|record| {
                record
                    .as_ref()
                    .map(|record| record.list(key).to_vec())
                    .unwrap_or_default()
            })
        })
    }

    pub fn disabled(self) -> Signal<bool> {
        let blocked = self.blocked;
        Signal::derive(move || blocked.get().is_some())
    }

    /// Applies one change to this record, showing why if it fails.
    pub fn apply(
        self,
        change: impl FnOnce(&mut Automerge, Collection, &str, &Authorship<'_>) -> Result<(), ModelError>,
    ) {
        let collection = self.collection;
        let id = self.id.get_value();
        let result = self
            .sync
            .edit(|document, authorship| change(document, collection, &id, authorship));
        let message = result
            .err()
            .map(|error| text(self.language.get_untracked(), edit_error_text(&error)));
        self.error.set(message);
    }

    pub fn set_text(self, key: &'static str, value: String) {
        self.apply(move |document, collection, id, authorship| {
            records::set_text(document, collection, id, key, &value, authorship)
        });
    }

    pub fn add_item(self, key: &'static str, item: String) {
        if item.trim().is_empty() {
            return;
        }
        self.apply(move |document, collection, id, authorship| {
            records::add_to_list(document, collection, id, key, item.trim(), authorship)
        });
    }

    pub fn remove_item(self, key: &'static str, item: String) {
        self.apply(move |document, collection, id, authorship| {
            records::remove_from_list(document, collection, id, key, &item, authorship)
        });
    }
}
