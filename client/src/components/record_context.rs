//! The record a detail page edits, shared with its field editors: its
//! current value and issues (recomputed once per document revision), whether
//! editing is allowed, and the edits themselves, described as intents
//! that the sync handle makes into changes and sends.

use enlace_shared::intent::{Intent, ItemRef, RecordRef};
use enlace_shared::records::Record;
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

    /// This record, as an edit names it.
    pub fn record_ref(self) -> RecordRef {
        RecordRef {
            collection: self.collection,
            id: self.id.get_value(),
        }
    }

    /// One item of one of this record's items fields, as an edit names it.
    pub fn item_ref(self, field: &str, item_id: String) -> ItemRef {
        ItemRef {
            collection: self.collection,
            record_id: self.id.get_value(),
            field: field.to_owned(),
            item_id,
        }
    }

    /// Makes one edit, showing why if it fails.
    pub fn apply(self, intent: Intent) {
        let error = self.error;
        self.sync.edit(intent, move |result| {
            let _ = error.try_set(result.err().map(|error| error.message()));
        });
    }

    pub fn set_text(self, key: &'static str, value: String) {
        self.apply(Intent::SetText {
            record: self.record_ref(),
            key: key.to_owned(),
            value,
        });
    }

    /// A keystroke in a live text field (see [`Intent::SpliceText`]).
    pub fn splice_text(self, key: &'static str, before: String, after: String) {
        self.apply(Intent::SpliceText {
            record: self.record_ref(),
            key: key.to_owned(),
            before,
            after,
        });
    }

    pub fn add_item(self, key: &'static str, item: &str) {
        let item = item.trim();
        if item.is_empty() {
            return;
        }
        self.apply(Intent::AddToList {
            record: self.record_ref(),
            key: key.to_owned(),
            item: item.to_owned(),
        });
    }

    pub fn remove_item(self, key: &'static str, item: String) {
        self.apply(Intent::RemoveFromList {
            record: self.record_ref(),
            key: key.to_owned(),
            item,
        });
    }
}
