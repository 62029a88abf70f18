//! The record a detail page edits, shared with its field editors: its
//! current value and issues (recomputed once per document revision), whether
//! editing is allowed, and the edits themselves, which go through the sync
//! handle so the change is committed and sent.

use automerge::Automerge;
use enlace_shared::model::{Authorship, ModelError};
use enlace_shared::records::{self, Record};
use enlace_shared::schema::Collection;
use enlace_shared::validation::Issue;
use leptos::prelude::*;

use crate::context::use_language;
use crate::i18n::Message;
use crate::sync::SyncHandle;

#[derive(Clone, Copy)]
pub struct RecordContext {
    pub collection: Collection,
    pub id: StoredValue<String>,
    pub record: Memo<Option<Record>>,
    pub issues: Memo<Vec<Issue>>,
    /// Why editing is not allowed (controls are disabled), if it is not.
    pub blocked: Signal<Option<Message>>,
    /// The last edit that failed, and why.
    pub error: RwSignal<Option<Message>>,
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

    /// The tooltip of a disabled control: why it is disabled, in the
    /// interface's language. Call from a component's body.
    pub fn reason(self) -> Signal<Option<&'static str>> {
        let (blocked, language) = (self.blocked, use_language());
        Signal::derive(move || blocked.get().map(|reason| reason.get(language.get())))
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
            .edit(collection.edit_capability(), |document, authorship| {
                change(document, collection, &id, authorship)
            });
        self.error.set(result.err().map(|error| error.message()));
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
