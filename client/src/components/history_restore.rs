//! Restores from a record's history panel: one field to its value before a
//! change, or the whole record to its state right after one. Each is a new
//! change made through the sync handle, so it is attributed by the server to
//! the person restoring and reaches everyone live.

use enlace_shared::api::{HistoryEntry, RecordChange};
use enlace_shared::intent::{Intent, Outcome, RecordRef};
use enlace_shared::schema::Collection;
use leptos::prelude::*;

use crate::auth;
use crate::context::{use_language, use_sync, use_workspace};
use crate::history::{parse_heads, utc_label};
use crate::i18n::{Message, Text, text};
use crate::sync::EditError;

/// Where a restore takes its state from: the change (or group of changes)
/// an entry shows, on one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreSource {
    pub collection: Collection,
    pub record_id: String,
    /// The (oldest) change whose previous values a field restore brings back.
    before_change: String,
    before_ms: i64,
    /// The document right after the (newest) change, for a record restore.
    after_heads: Vec<String>,
    after_ms: i64,
}

impl RestoreSource {
    fn record_ref(&self) -> RecordRef {
        RecordRef {
            collection: self.collection,
            id: self.record_id.clone(),
        }
    }

    /// `None` for a collection this client does not know.
    pub fn new(newest: &HistoryEntry, oldest: &HistoryEntry, change: &RecordChange) -> Option<Self> {
        Some(Self {
            collection: Collection::from_key(&change.collection)?,
            record_id: change.record_id.clone(),
            before_change: oldest.receipt.hash.clone(),
            before_ms: oldest.receipt.received_at_ms,
            after_heads: newest.heads_after.clone(),
            after_ms: newest.receipt.received_at_ms,
        })
    }
}

/// The outcome of a restore, as the button's note.
fn outcome(result: Result<Outcome, EditError>) -> Message {
    match result {
        Ok(Outcome::Changed(true)) => Message::Text(Text::Restored),
        Ok(_) => Message::Text(Text::NothingToRestore),
        Err(error) => error.message(),
    }
}

/// Why restores into `collection` are disabled now, if they are.
fn blocked(collection: Collection) -> Signal<Option<&'static str>> {
    let (sync, workspace, language) = (use_sync(), use_workspace(), use_language());
    let (role, viewing_past) = (sync.role(), workspace.viewing_past());
    Signal::derive(move || {
        auth::blocked_reason(role.get(), collection.edit_capability(), viewing_past.get())
            .map(|reason| reason.get(language.get()))
    })
}

#[component]
pub fn RestoreFieldButton(source: RestoreSource, field: String) -> impl IntoView {
    let (sync, language) = (use_sync(), use_language());
    // The tombstone and fields this client does not know: undelete or restore the record instead.
    source.collection.field(&field)?;
    let reason = blocked(source.collection);
    let note = RwSignal::new(None::<Message>);
    let key = field.clone();
    let restore = move |_| {
        let Ok(before) = source.before_change.parse() else {
            return note.set(Some(Message::Text(Text::ErrorUnexpected)));
        };
        let intent = Intent::RestoreField {
            record: source.record_ref(),
            key: key.clone(),
            before,
            label: format!("before {}", utc_label(source.before_ms)),
        };
        sync.edit(intent, move |result| {
            let _ = note.try_set(Some(outcome(result)));
        });
    };
    Some(view! {
        <button type="button" class="link-button" data-testid="restore-field" data-field=field
            disabled=move || reason.get().is_some() title=move || reason.get() on:click=restore>
            {move || text(language.get(), Text::RestoreField)}
        </button>
        {move || note.get().map(|message| view! { <span class="muted restore-note" data-testid="restore-note">{move || message.get(language.get())}</span> })}
    })
}

#[component]
pub fn RestoreRecordButton(source: RestoreSource) -> impl IntoView {
    let (sync, language) = (use_sync(), use_language());
    let reason = blocked(source.collection);
    let note = RwSignal::new(None::<Message>);
    let restore = move |_| {
        let Some(heads) = parse_heads(&source.after_heads) else {
            return note.set(Some(Message::Text(Text::ErrorUnexpected)));
        };
        let intent = Intent::RestoreRecord {
            record: source.record_ref(),
            heads,
            label: utc_label(source.after_ms),
        };
        sync.edit(intent, move |result| {
            let _ = note.try_set(Some(outcome(result)));
        });
    };
    view! {
        <button type="button" class="link-button" data-testid="restore-record"
            disabled=move || reason.get().is_some() title=move || reason.get() on:click=restore>
            {move || text(language.get(), Text::RestoreRecord)}
        </button>
        {move || note.get().map(|message| view! { <span class="muted restore-note">{move || message.get(language.get())}</span> })}
    }
}
