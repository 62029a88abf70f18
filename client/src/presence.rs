//! This tab's presence, and everyone else's as [`use_presence`] shows it.
//!
//! What this tab says: the URL fragment, the record it names and the field
//! focused on it ([`presence_for`], a plain tested function). When it is
//! said is the shared [`Pacer`]'s decision: at once on a route change, a
//! focus or a blur (at most every 150 ms), and every 1.5 s as a heartbeat
//! while connected, so a closed tab disappears from the others within 5 s.
//! A timer every [`TICK_MS`] asks the pacer and expires silent tabs.
//!
//! A tab following another (several tabs of one person, see
//! [`crate::tab_link`]) says it through its leader's socket, naming its tab,
//! so others see each tab where it is.
//!
//! What others say arrives in the sync handle's board, stamped by the
//! server; components read it through [`PresenceHandle`]'s signals.

use std::time::Duration;

use enlace_shared::presence::{Pacer, Presence, PresenceBoard, PresentPerson, RecordRef};
use enlace_shared::schema::Collection;
use leptos::leptos_dom::helpers::{set_interval_with_handle, window_event_listener};
use leptos::prelude::*;

use crate::browser;
use crate::route::{ReportScreen, Route};
use crate::sync::{ConnectionState, SyncHandle};

/// How often the timer asks whether to send, and expires silent tabs.
pub const TICK_MS: u64 = 250;

/// The field this tab is editing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FocusedField {
    pub record: RecordRef,
    pub field: String,
}

/// The presence this tab announces on the page at `hash`, editing `focused`
/// (which counts only if it belongs to the record the page shows).
pub fn presence_for(hash: &str, focused: Option<&FocusedField>, seq: u64) -> Presence {
    let record = match Route::from_hash(hash) {
        Route::Record(collection, id) => Some(RecordRef::new(collection, &id)),
        Route::WorkplanLine(id) => Some(RecordRef::new(Collection::WorkplanLines, &id)),
        Route::Reports(ReportScreen::Report(id)) => Some(RecordRef::new(Collection::Reports, &id)),
        _ => None,
    };
    let field = focused
        .filter(|focused| record.as_ref() == Some(&focused.record))
        .map(|focused| focused.field.clone());
    let route: String = hash.chars().take(200).collect();
    Presence {
        route,
        record,
        field,
        seq,
        tab: None,
    }
}

/// Presence, shared through context: the board and this tab's focus.
#[derive(Clone, Copy)]
pub struct PresenceHandle {
    sync: SyncHandle,
    focused: StoredValue<Option<FocusedField>>,
    pacer: StoredValue<Pacer>,
}

impl PresenceHandle {
    /// Creates the handle, starts its timer and listeners, and provides it.
    /// Call once, at the app's root, after the sync handle.
    pub fn provide(sync: SyncHandle) -> Self {
        let handle = Self {
            sync,
            focused: StoredValue::new(None),
            pacer: StoredValue::new(Pacer::default()),
        };
        provide_context(handle);
        let connection = sync.connection();
        Effect::new(move || {
            if connection.get() == ConnectionState::Live {
                handle.pacer.update_value(Pacer::reconnected);
                handle.send_if_due();
            }
        });
        // The app's root lives as long as the page: the listener and the
        // timer are never removed.
        let _listener = window_event_listener(leptos::ev::hashchange, move |_| handle.changed());
        let _timer = set_interval_with_handle(
            move || {
                handle.send_if_due();
                sync.expire_presence();
            },
            Duration::from_millis(TICK_MS),
        );
        handle
    }

    /// Everyone else's presence, as heard.
    pub fn board(&self) -> ReadSignal<PresenceBoard> {
        self.sync.presence_board()
    }

    /// Everyone else present, one entry per person.
    pub fn people(&self) -> Signal<Vec<PresentPerson>> {
        let board = self.board();
        Signal::derive(move || board.with(PresenceBoard::people))
    }

    /// The others with this record open.
    pub fn on_record(&self, collection: Collection, id: String) -> Signal<Vec<PresentPerson>> {
        let board = self.board();
        Signal::derive(move || board.with(|board| board.on_record(collection.key(), &id)))
    }

    /// The others editing this field of this record.
    pub fn editing(&self, collection: Collection, id: String, field: String) -> Signal<Vec<PresentPerson>> {
        let board = self.board();
        Signal::derive(move || board.with(|board| board.editing(collection.key(), &id, &field)))
    }

    /// The names of the others editing this field (or item) of this
    /// record, joined, when there are any: `data-edited-by` and the outline.
    pub fn edited_by(editors: Signal<Vec<PresentPerson>>) -> impl Fn() -> Option<String> + Copy {
        move || {
            let names: Vec<String> = editors.with(|people| {
                people
                    .iter()
                    .map(|person| person.sender.display_name.clone())
                    .collect()
            });
            (!names.is_empty()).then(|| names.join(", "))
        }
    }

    /// This tab started editing `field` of a record.
    pub fn focus(&self, collection: Collection, id: &str, field: &str) {
        let focused = FocusedField {
            record: RecordRef::new(collection, id),
            field: field.to_owned(),
        };
        self.focused.set_value(Some(focused));
        self.changed();
    }

    /// This tab stopped editing `field` (a later focus elsewhere is kept).
    pub fn blur(&self, field: &str) {
        let was_focused = self
            .focused
            .with_value(|focused| focused.as_ref().is_some_and(|focused| focused.field == field));
        if was_focused {
            self.focused.set_value(None);
            self.changed();
        }
    }

    fn changed(&self) {
        self.pacer.update_value(Pacer::changed);
        self.send_if_due();
    }

    fn send_if_due(&self) {
        if self.sync.connection().get_untracked() != ConnectionState::Live {
            return;
        }
        let now = u64::try_from(browser::now_ms()).unwrap_or_default();
        let Some(seq) = self.pacer.try_update_value(|pacer| pacer.due(now)).flatten() else {
            return;
        };
        let presence = self
            .focused
            .with_value(|focused| presence_for(&browser::location_hash(), focused.as_ref(), seq));
        self.sync.send_presence(&presence);
    }
}

/// The presence handle the app provides.
pub fn use_presence() -> PresenceHandle {
    expect_context::<PresenceHandle>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_page_names_its_record_and_the_focused_field_on_it() {
        let focused = FocusedField {
            record: RecordRef::new(Collection::Alliances, "a1"),
            field: "next_step".to_owned(),
        };
        let presence = presence_for("#/alliances/a1", Some(&focused), 7);
        assert_eq!(presence.record, Some(RecordRef::new(Collection::Alliances, "a1")));
        assert_eq!(presence.field.as_deref(), Some("next_step"));
        assert_eq!((presence.route.as_str(), presence.seq), ("#/alliances/a1", 7));
        // A field of another record never travels with this page.
        let elsewhere = presence_for("#/alliances/a2", Some(&focused), 8);
        assert_eq!(elsewhere.field, None);
        let list = presence_for("#/alliances", Some(&focused), 9);
        assert_eq!((list.record, list.field), (None, None));
        let line = presence_for("#/workplan/l1", None, 1);
        assert_eq!(line.record, Some(RecordRef::new(Collection::WorkplanLines, "l1")));
        let report = presence_for("#/reports/r1", None, 1);
        assert_eq!(report.record, Some(RecordRef::new(Collection::Reports, "r1")));
        // Whatever the fragment, the payload decodes on the other side.
        let long = presence_for(&format!("#/{}", "x".repeat(500)), None, 1);
        assert_eq!(Presence::decode(&long.encode()), Ok(long));
    }
}
