//! Presence: who else is in the workspace, where, and which field they are
//! editing. Pure: the caller passes the clock and the server's messages.
//!
//! A browser sends a [`Presence`] (CBOR, in an automerge-repo `ephemeral`
//! message's `data`) on every route change, field focus and blur, and as a
//! heartbeat every [`HEARTBEAT_MS`]. The [`PresenceBoard`] keeps one entry
//! per (person, peer) — one per open tab — and forgets a tab not heard from
//! for [`PRESENCE_TIMEOUT_MS`].
//!
//! Identity is never taken from the payload: the person shown is the
//! server's stamp on the message (`enlaceSender`, from the connection's
//! session), and a message without that stamp is dropped. The payload has no
//! name field at all; one a forger adds is an unknown field and is ignored.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::PeerId;
use crate::protocol::{EphemeralSender, Message};
use crate::schema::Collection;

/// Largest presence payload accepted, in bytes (the server relays up to
/// 4 KiB; an honest payload is well under 200 bytes).
pub const MAX_PRESENCE_BYTES: usize = 1024;

/// A tab not heard from for this long is gone.
pub const PRESENCE_TIMEOUT_MS: u64 = 5_000;

/// How often a connected tab repeats its presence. Three heartbeats fit in
/// the timeout, so one lost message never makes someone flicker away; at
/// under one message a second plus focus changes, an honest client stays
/// far below the server's rate limit (10 per second, burst 20).
pub const HEARTBEAT_MS: u64 = 1_500;

/// Tabs the board keeps at most; presence from further tabs is dropped
/// (a person opening hundreds of connections must not grow every other
/// browser's memory without bound).
pub const MAX_TABS: usize = 256;

/// Most tabs one connection may speak for (its own and its followers').
pub const MAX_TABS_PER_PEER: usize = 16;

const MAX_ROUTE_CHARS: usize = 200;
const MAX_FIELD_CHARS: usize = 120;

/// Between an items field and an item's id in [`Presence::field`].
pub const ITEM_SEPARATOR: char = '/';

/// What [`Presence::field`] says when a tab edits one item of an items
/// field (`agenda/<item id>`).
pub fn item_field(field: &str, item_id: &str) -> String {
    format!("{field}{ITEM_SEPARATOR}{item_id}")
}
const MAX_ID_CHARS: usize = 64;

/// A record of a collection, as presence names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RecordRef {
    /// The collection's storage key ([`Collection::key`]).
    pub collection: String,
    pub id: String,
}

impl RecordRef {
    pub fn new(collection: Collection, id: &str) -> Self {
        Self {
            collection: collection.key().to_owned(),
            id: id.to_owned(),
        }
    }
}

/// What one tab says about where its person is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    /// The page's fragment (`#/alliances/…`), as the sender sees it.
    pub route: String,
    /// The record open on that page, if any.
    #[serde(default)]
    pub record: Option<RecordRef>,
    /// The field being edited on that record: a field key, or for an item
    /// of an items field `<field>/<item id>/<sub-field>`.
    #[serde(default)]
    pub field: Option<String>,
    /// Increases with every message from a tab, so a late one never
    /// overwrites a newer one.
    pub seq: u64,
    /// Which tab of the connection this is, when several tabs share one
    /// connection (a follower tab's presence travels through its leader's
    /// socket); absent for a connection's own tab.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tab: Option<String>,
}

/// Why a presence payload was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PresenceError {
    #[error("presence of {0} bytes exceeds {MAX_PRESENCE_BYTES}")]
    TooLarge(usize),
    #[error("presence is not the expected CBOR map: {0}")]
    Malformed(String),
    #[error("presence field `{0}` is too long or not allowed")]
    BadField(&'static str),
}

impl Presence {
    pub fn encode(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        // Invariant: writing plain strings and integers to a Vec cannot fail.
        let _ = ciborium::into_writer(self, &mut bytes);
        bytes
    }

    /// Decodes and checks a payload: size first, then shape, then bounds.
    pub fn decode(bytes: &[u8]) -> Result<Self, PresenceError> {
        if bytes.len() > MAX_PRESENCE_BYTES {
            return Err(PresenceError::TooLarge(bytes.len()));
        }
        let presence: Self =
            ciborium::from_reader(bytes).map_err(|error| PresenceError::Malformed(error.to_string()))?;
        presence.check()?;
        Ok(presence)
    }

    fn check(&self) -> Result<(), PresenceError> {
        if self.route.chars().count() > MAX_ROUTE_CHARS {
            return Err(PresenceError::BadField("route"));
        }
        if let Some(record) = &self.record {
            if Collection::from_key(&record.collection).is_none() {
                return Err(PresenceError::BadField("record.collection"));
            }
            if record.id.is_empty() || record.id.chars().count() > MAX_ID_CHARS {
                return Err(PresenceError::BadField("record.id"));
            }
        }
        if let Some(field) = &self.field
            && (self.record.is_none() || field.is_empty() || field.chars().count() > MAX_FIELD_CHARS)
        {
            return Err(PresenceError::BadField("field"));
        }
        if let Some(tab) = &self.tab
            && (tab.is_empty() || tab.chars().count() > MAX_ID_CHARS)
        {
            return Err(PresenceError::BadField("tab"));
        }
        Ok(())
    }

    /// Whether this tab is on `record`.
    pub fn is_on(&self, collection: &str, id: &str) -> bool {
        self.record
            .as_ref()
            .is_some_and(|record| record.collection == collection && record.id == id)
    }
}

/// Shortest interval between two presence messages from one tab: at most
/// about 6.7 a second however fast someone tabs through fields, under the
/// server's 10 a second.
pub const MIN_SEND_INTERVAL_MS: u64 = 150;

/// When a tab sends its presence: at once when it changed (unless it just
/// sent, then as soon as [`MIN_SEND_INTERVAL_MS`] allows), and every
/// [`HEARTBEAT_MS`] otherwise. The caller asks [`Pacer::due`] on every
/// change and on a timer, and sends when it says so.
#[derive(Debug, Clone, Default)]
pub struct Pacer {
    last_sent_ms: Option<u64>,
    changed: bool,
    seq: u64,
}

impl Pacer {
    /// Something this tab says about itself changed.
    pub fn changed(&mut self) {
        self.changed = true;
    }

    /// The connection is new: the server's peers have not heard us yet.
    pub fn reconnected(&mut self) {
        self.changed = true;
        self.last_sent_ms = None;
    }

    /// If presence should be sent now, the `seq` to send it with (and the
    /// pacer counts it as sent).
    pub fn due(&mut self, now_ms: u64) -> Option<u64> {
        let since = self.last_sent_ms.map(|last| now_ms.saturating_sub(last));
        let send = match since {
            None => true,
            Some(since) if since < MIN_SEND_INTERVAL_MS => false,
            Some(since) => self.changed || since >= HEARTBEAT_MS,
        };
        if !send {
            return None;
        }
        self.last_sent_ms = Some(now_ms);
        self.changed = false;
        self.seq += 1;
        Some(self.seq)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Tab {
    sender: EphemeralSender,
    presence: Presence,
    last_heard_ms: u64,
}

/// One person present, with every tab they have open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentPerson {
    /// The server's stamp: id, name and organisation.
    pub sender: EphemeralSender,
    /// Where each of their tabs is, in peer order.
    pub places: Vec<Presence>,
}

impl PresentPerson {
    /// Up to two initials of the display name, upper case.
    pub fn initials(&self) -> String {
        initials(&self.sender.display_name)
    }
}

/// Up to two initials of `name`, upper case (`"Beto Ruiz"` → `"BR"`).
pub fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|word| word.chars().find(|character| character.is_alphanumeric()))
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

/// Everyone else's presence, as heard.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PresenceBoard {
    own_peer: Option<PeerId>,
    /// Keyed by the server-stamped person, the relaying peer id and the
    /// tab behind that peer ([`Presence::tab`]).
    tabs: BTreeMap<(String, PeerId, Option<String>), Tab>,
}

impl PresenceBoard {
    /// A board that ignores presence from `own_peer` (this tab).
    pub fn new(own_peer: PeerId) -> Self {
        Self {
            own_peer: Some(own_peer),
            tabs: BTreeMap::new(),
        }
    }

    /// Takes in one relayed `ephemeral` message. Returns whether the board
    /// changed. Messages of another kind, without the server's stamp, from
    /// this tab, or with a payload that does not decode are dropped.
    pub fn receive_message(&mut self, message: &Message, now_ms: u64) -> bool {
        let Message::Ephemeral {
            sender_id,
            data,
            enlace_sender: Some(sender),
            ..
        } = message
        else {
            return false;
        };
        let Ok(presence) = Presence::decode(data) else {
            return false;
        };
        self.receive(sender, sender_id, presence, now_ms)
    }

    /// Records `presence` from `peer`, sent by `sender` (the server's stamp).
    /// Returns whether the board changed.
    pub fn receive(
        &mut self,
        sender: &EphemeralSender,
        peer: &PeerId,
        presence: Presence,
        now_ms: u64,
    ) -> bool {
        if self.own_peer.as_ref() == Some(peer) {
            return false;
        }
        let key = (sender.person_id.clone(), peer.clone(), presence.tab.clone());
        if let Some(tab) = self.tabs.get_mut(&key) {
            if presence.seq < tab.presence.seq {
                return false;
            }
            tab.last_heard_ms = now_ms;
            let changed = tab.presence.record != presence.record
                || tab.presence.field != presence.field
                || tab.presence.route != presence.route
                || tab.sender != *sender;
            tab.presence = presence;
            tab.sender = sender.clone();
            return changed;
        }
        // The tab names come from the sending client: one connection names
        // at most a handful.
        let behind_peer = self.tabs.keys().filter(|(_, known, _)| known == peer).count();
        if self.tabs.len() >= MAX_TABS || behind_peer >= MAX_TABS_PER_PEER {
            return false;
        }
        self.tabs.insert(
            key,
            Tab {
                sender: sender.clone(),
                presence,
                last_heard_ms: now_ms,
            },
        );
        true
    }

    /// Forgets tabs not heard from for [`PRESENCE_TIMEOUT_MS`]. Returns
    /// whether any went.
    pub fn expire(&mut self, now_ms: u64) -> bool {
        let before = self.tabs.len();
        self.tabs
            .retain(|_, tab| now_ms.saturating_sub(tab.last_heard_ms) < PRESENCE_TIMEOUT_MS);
        self.tabs.len() != before
    }

    /// Forgets everyone (the connection closed: nobody's presence can be
    /// confirmed any more).
    pub fn clear(&mut self) {
        self.tabs.clear();
    }

    /// Everyone present, one entry per person however many tabs they have,
    /// ordered by name.
    pub fn people(&self) -> Vec<PresentPerson> {
        self.people_where(|_| true)
    }

    /// The people with a tab on this record.
    pub fn on_record(&self, collection: &str, id: &str) -> Vec<PresentPerson> {
        self.people_where(|presence| presence.is_on(collection, id))
    }

    /// The people editing this field of this record: the field itself, or
    /// one of its items ([`item_field`]; an items field shows whoever edits
    /// any of its items).
    pub fn editing(&self, collection: &str, id: &str, field: &str) -> Vec<PresentPerson> {
        self.people_where(|presence| {
            presence.is_on(collection, id)
                && presence.field.as_deref().is_some_and(|edited| {
                    edited == field
                        || edited
                            .strip_prefix(field)
                            .is_some_and(|rest| rest.starts_with(ITEM_SEPARATOR))
                })
        })
    }

    fn people_where(&self, wanted: impl Fn(&Presence) -> bool) -> Vec<PresentPerson> {
        let mut people: BTreeMap<&str, PresentPerson> = BTreeMap::new();
        for ((person_id, _, _), tab) in &self.tabs {
            if !wanted(&tab.presence) {
                continue;
            }
            people
                .entry(person_id.as_str())
                .or_insert_with(|| PresentPerson {
                    sender: tab.sender.clone(),
                    places: Vec::new(),
                })
                .places
                .push(tab.presence.clone());
        }
        let mut people: Vec<PresentPerson> = people.into_values().collect();
        people.sort_by(|left, right| {
            crate::language::fold(&left.sender.display_name)
                .cmp(&crate::language::fold(&right.sender.display_name))
                .then_with(|| left.sender.person_id.cmp(&right.sender.person_id))
        });
        people
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::DocumentId;

    fn person(id: &str, name: &str) -> EphemeralSender {
        EphemeralSender {
            person_id: id.to_owned(),
            display_name: name.to_owned(),
            organisation_id: Some("org-1".to_owned()),
        }
    }

    fn at(route: &str, record: Option<(&str, &str)>, field: Option<&str>, seq: u64) -> Presence {
        Presence {
            route: route.to_owned(),
            record: record.map(|(collection, id)| RecordRef {
                collection: collection.to_owned(),
                id: id.to_owned(),
            }),
            field: field.map(str::to_owned),
            seq,
            tab: None,
        }
    }

    fn ephemeral(peer: &str, sender: Option<EphemeralSender>, data: Vec<u8>) -> Message {
        Message::Ephemeral {
            sender_id: PeerId::new(peer),
            target_id: PeerId::new("me"),
            count: 1,
            session_id: "s".to_owned(),
            document_id: DocumentId::from_bytes([3; 16]),
            data,
            enlace_sender: sender,
        }
    }

    #[test]
    fn a_payload_round_trips_and_bad_ones_are_refused() {
        let presence = at("#/alliances/a1", Some(("alliances", "a1")), Some("next_step"), 4);
        assert_eq!(Presence::decode(&presence.encode()), Ok(presence));

        let big = at(&"x".repeat(2000), None, None, 1).encode();
        assert!(matches!(Presence::decode(&big), Err(PresenceError::TooLarge(_))));
        let long_route = at(&"x".repeat(201), None, None, 1).encode();
        assert_eq!(
            Presence::decode(&long_route),
            Err(PresenceError::BadField("route"))
        );
        let unknown = at("#/", Some(("passwords", "a1")), None, 1).encode();
        assert_eq!(
            Presence::decode(&unknown),
            Err(PresenceError::BadField("record.collection"))
        );
        let field_without_record = at("#/", None, Some("name"), 1).encode();
        assert_eq!(
            Presence::decode(&field_without_record),
            Err(PresenceError::BadField("field"))
        );
        assert!(matches!(
            Presence::decode(b"\xff\x00"),
            Err(PresenceError::Malformed(_))
        ));
        let mut not_a_map = Vec::new();
        ciborium::into_writer(&vec![1, 2, 3], &mut not_a_map).expect("encodes");
        assert!(matches!(
            Presence::decode(&not_a_map),
            Err(PresenceError::Malformed(_))
        ));
    }

    #[test]
    fn a_tab_is_gone_five_seconds_after_its_last_heartbeat() {
        let mut board = PresenceBoard::new(PeerId::new("me"));
        let beto = person("p-beto", "Beto");
        assert!(board.receive(&beto, &PeerId::new("tab-1"), at("#/", None, None, 1), 10_000));
        assert!(!board.receive(&beto, &PeerId::new("tab-1"), at("#/", None, None, 2), 11_500));
        assert!(!board.expire(16_499));
        assert_eq!(board.people().len(), 1);
        assert!(board.expire(16_500));
        assert!(board.people().is_empty());
    }

    #[test]
    fn someone_on_an_item_edits_that_item_and_its_field_only() {
        let mut board = PresenceBoard::new(PeerId::new("me"));
        let ana = person("p-ana", "Ana");
        let item = item_field("agenda", "i2");
        assert_eq!(item, "agenda/i2");
        let on_item = at("#/meetings/m1", Some(("meetings", "m1")), Some(&item), 1);
        assert!(board.receive(&ana, &PeerId::new("tab-1"), on_item, 10));
        let names = |people: Vec<PresentPerson>| -> Vec<String> {
            people
                .into_iter()
                .map(|person| person.sender.display_name)
                .collect()
        };
        assert_eq!(names(board.editing("meetings", "m1", "agenda/i2")), ["Ana"]);
        assert_eq!(names(board.editing("meetings", "m1", "agenda")), ["Ana"]);
        assert!(board.editing("meetings", "m1", "agenda/i1").is_empty());
        assert!(board.editing("meetings", "m1", "agend").is_empty());
        assert!(board.editing("meetings", "m1", "attendance").is_empty());
        assert!(board.editing("meetings", "m2", "agenda").is_empty());
    }

    #[test]
    fn a_name_claimed_in_the_payload_never_shows() {
        #[derive(Serialize)]
        struct Forged {
            route: String,
            seq: u64,
            #[serde(rename = "displayName")]
            display_name: String,
            #[serde(rename = "enlaceSender")]
            enlace_sender: EphemeralSender,
        }
        let forged = Forged {
            route: "#/".to_owned(),
            seq: 1,
            display_name: "Ana".to_owned(),
            enlace_sender: person("p-ana", "Ana"),
        };
        let mut data = Vec::new();
        ciborium::into_writer(&forged, &mut data).expect("encodes");
        let mut board = PresenceBoard::new(PeerId::new("me"));
        assert!(board.receive_message(
            &ephemeral("tab-c", Some(person("p-carla", "Carla")), data.clone()),
            1
        ));
        let people = board.people();
        assert_eq!(people.len(), 1);
        assert_eq!(people[0].sender, person("p-carla", "Carla"));
        // Without the server's stamp, nothing at all.
        let mut unstamped = PresenceBoard::new(PeerId::new("me"));
        assert!(!unstamped.receive_message(&ephemeral("tab-c", None, data), 1));
        assert!(unstamped.people().is_empty());
    }

    #[test]
    fn one_person_with_two_tabs_shows_once_with_both_places() {
        let mut board = PresenceBoard::new(PeerId::new("me"));
        let beto = person("p-beto", "Beto");
        let on_alliance = at("#/alliances/a1", Some(("alliances", "a1")), Some("next_step"), 1);
        board.receive(&beto, &PeerId::new("tab-1"), on_alliance.clone(), 0);
        board.receive(&beto, &PeerId::new("tab-2"), at("#/map", None, None, 1), 0);
        board.receive(
            &person("p-ana", "Ana"),
            &PeerId::new("tab-3"),
            at("#/", None, None, 1),
            0,
        );
        let people = board.people();
        assert_eq!(
            people
                .iter()
                .map(|p| p.sender.display_name.as_str())
                .collect::<Vec<_>>(),
            ["Ana", "Beto"]
        );
        assert_eq!(people[1].places.len(), 2);
        assert_eq!(board.on_record("alliances", "a1").len(), 1);
        assert_eq!(board.on_record("alliances", "a1")[0].places, [on_alliance]);
        assert_eq!(board.editing("alliances", "a1", "next_step")[0].sender, beto);
        assert!(board.editing("alliances", "a1", "name").is_empty());
        assert!(board.on_record("alliances", "a2").is_empty());
    }

    #[test]
    fn this_tab_is_never_on_its_own_board() {
        let mut board = PresenceBoard::new(PeerId::new("me"));
        let data = at("#/", None, None, 1).encode();
        assert!(!board.receive_message(&ephemeral("me", Some(person("p-ana", "Ana")), data), 0));
        assert!(board.people().is_empty());
    }

    #[test]
    fn a_late_message_does_not_undo_a_newer_one_and_tabs_are_bounded() {
        let mut board = PresenceBoard::new(PeerId::new("me"));
        let beto = person("p-beto", "Beto");
        let tab = PeerId::new("tab-1");
        board.receive(
            &beto,
            &tab,
            at("#/b", Some(("alliances", "a1")), Some("name"), 5),
            0,
        );
        assert!(!board.receive(&beto, &tab, at("#/a", None, None, 4), 1));
        assert_eq!(board.editing("alliances", "a1", "name").len(), 1);
        for index in 0..MAX_TABS + 10 {
            board.receive(
                &beto,
                &PeerId::new(format!("t{index}")),
                at("#/", None, None, 1),
                0,
            );
        }
        assert_eq!(board.people()[0].places.len(), MAX_TABS);
    }

    #[test]
    fn the_tabs_behind_one_connection_are_places_of_their_own_and_bounded() {
        let mut board = PresenceBoard::new(PeerId::new("me"));
        let ana = person("p-ana", "Ana");
        let leader = PeerId::new("ana-leader");
        let in_tab = |tab: Option<&str>, route: &str, record: &str, seq: u64| Presence {
            tab: tab.map(str::to_owned),
            ..at(route, Some(("alliances", record)), None, seq)
        };
        // The leading tab on a1 (seq 9); a follower, through the same
        // connection, on a2 with a seq of its own (1): not "late".
        assert!(board.receive(&ana, &leader, in_tab(None, "#/alliances/a1", "a1", 9), 0));
        assert!(board.receive(&ana, &leader, in_tab(Some("t-2"), "#/alliances/a2", "a2", 1), 0));
        assert_eq!(board.people()[0].places.len(), 2);
        assert_eq!(board.on_record("alliances", "a1").len(), 1);
        assert_eq!(board.on_record("alliances", "a2").len(), 1);
        // The follower moves on; the leader's place stays.
        assert!(board.receive(&ana, &leader, in_tab(Some("t-2"), "#/alliances/a3", "a3", 2), 1));
        assert!(board.on_record("alliances", "a2").is_empty());
        assert_eq!(board.on_record("alliances", "a1").len(), 1);
        // One connection naming ever more tabs is held to a handful.
        for index in 0..100 {
            board.receive(
                &ana,
                &leader,
                in_tab(Some(&format!("x{index}")), "#/", "a9", 1),
                2,
            );
        }
        assert_eq!(board.people()[0].places.len(), MAX_TABS_PER_PEER);
        // A bad tab name is refused when decoding.
        let long = in_tab(Some(&"t".repeat(MAX_ID_CHARS + 1)), "#/", "a1", 1).encode();
        assert_eq!(Presence::decode(&long), Err(PresenceError::BadField("tab")));
        let empty = in_tab(Some(""), "#/", "a1", 1).encode();
        assert_eq!(Presence::decode(&empty), Err(PresenceError::BadField("tab")));
    }

    #[test]
    fn the_pacer_keeps_an_honest_tab_under_the_servers_rate() {
        let mut pacer = Pacer::default();
        assert_eq!(pacer.due(1_000), Some(1));
        assert_eq!(pacer.due(1_100), None, "nothing changed, no heartbeat due");
        assert_eq!(pacer.due(2_499), None);
        assert_eq!(pacer.due(2_500), Some(2), "the heartbeat");
        // Someone tabbing through a field every 10 ms for two seconds.
        let mut sent = 0;
        for now in (3_000..5_000).step_by(10) {
            pacer.changed();
            if pacer.due(now).is_some() {
                sent += 1;
            }
        }
        assert!(sent <= 14, "{sent} messages in 2 s");
        assert!(sent >= 10, "changes were held back too long: {sent}");
        // A change is sent once the interval allows, even without a new one.
        pacer.changed();
        assert_eq!(pacer.due(5_000), None);
        assert!(pacer.due(5_200).is_some());
        pacer.reconnected();
        assert!(pacer.due(5_201).is_some(), "a new connection hears us at once");
    }

    #[test]
    fn initials_take_the_first_letters_of_two_words() {
        assert_eq!(initials("Beto Ruiz Paz"), "BR");
        assert_eq!(initials("ana"), "A");
        assert_eq!(initials("  Élodie  (Secretaría)"), "ÉS");
        assert_eq!(initials(""), "");
    }
}
