//! Several tabs of one person share one connection: the tab holding the
//! person's copy lock (see [`crate::tab_lock`]) leads. It alone has the
//! socket and writes the local copy; the other tabs follow it over a
//! `BroadcastChannel` (see [`crate::tab_channel`]), each editing with an
//! actor of its own, so no actor is ever used by two tabs at once.
//!
//! Between the leader and each follower runs Automerge's own sync
//! protocol, one [`sync::State`] per pair: a follower's edit reaches the
//! leader's document (which sends it to the server and keeps it in the
//! copy), the server's and the leader's reach every follower. The leader
//! also tells the followers what their indicator shows ([`Status`]) and
//! relays the presence frames it hears.
//!
//! Plain logic, tested natively; the channel itself is [`crate::tab_channel`]
//! and [`crate::sync`] drives both.

use std::collections::HashMap;

use automerge::Automerge;
use automerge::sync::{self, SyncDoc as _};
use enlace_shared::ids::DocumentId;
use enlace_shared::roles::Role;
use serde::{Deserialize, Serialize};

use crate::connection_state::ConnectionState;

/// What tabs say to each other. Every tab of the person hears every
/// message; `to` names the one a sync message is for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TabMessage {
    /// A follower arrived (or found a new leader): the leader starts a
    /// fresh sync state for it and announces itself.
    Hello { tab: String },
    /// The leader's state, for the followers' indicator and role.
    Status(Status),
    /// One Automerge sync message from `from` to `to`.
    Sync {
        from: String,
        to: String,
        #[serde(with = "serde_bytes")]
        message: Vec<u8>,
    },
    /// The server refused changes and the leader dropped them: the
    /// followers take the leader's document as it is now.
    Replaced {
        leader: String,
        #[serde(with = "serde_bytes")]
        snapshot: Vec<u8>,
        dropped: usize,
        reason: String,
        /// The refusal's code, when the server named one.
        refusal: Option<String>,
    },
    /// A presence frame from the server (an encoded `ephemeral` message).
    Presence {
        #[serde(with = "serde_bytes")]
        frame: Vec<u8>,
    },
    /// A follower's own presence (an encoded [`enlace_shared::presence::Presence`]
    /// naming its tab), for the leader to send over its socket.
    FollowerPresence {
        #[serde(with = "serde_bytes")]
        presence: Vec<u8>,
    },
    /// The person signed out, or the server ended the session: every tab stops.
    SignedOut,
}

impl TabMessage {
    pub fn encode(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        // Writing into a Vec cannot fail, and every field serialises.
        let _ = ciborium::into_writer(self, &mut bytes);
        bytes
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, String> {
        ciborium::from_reader(bytes).map_err(|error| format!("an unreadable tab message: {error}"))
    }
}

/// What the leader tells its followers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    pub leader: String,
    pub workspace: DocumentId,
    pub workspace_name: String,
    pub role: Option<Role>,
    pub connection: ConnectionState,
    /// Changes in the leader's document the server does not have yet
    /// (the followers' included, once they reached the leader).
    pub waiting: usize,
}

/// Whether receiving changed the document's heads.
fn receive(document: &mut Automerge, state: &mut sync::State, bytes: &[u8]) -> Result<bool, String> {
    let message =
        sync::Message::decode(bytes).map_err(|error| format!("an unreadable sync message: {error}"))?;
    let before = document.get_heads();
    document
        .receive_sync_message(state, message)
        .map_err(|error| format!("a sync message that does not apply: {error}"))?;
    Ok(document.get_heads() != before)
}

/// The leader's side: one sync state per follower.
#[derive(Debug, Default)]
pub struct Followers {
    states: HashMap<String, sync::State>,
}

impl Followers {
    /// A follower (re)introduced itself: it starts from nothing known.
    pub fn hello(&mut self, tab: &str) {
        self.states.insert(tab.to_owned(), sync::State::new());
    }

    /// Applies a follower's sync message; true when the document changed.
    pub fn receive(&mut self, document: &mut Automerge, from: &str, bytes: &[u8]) -> Result<bool, String> {
        let state = self.states.entry(from.to_owned()).or_default();
        receive(document, state, bytes)
    }

    /// The sync messages due to each follower (none when all are in step).
    pub fn outgoing(&mut self, document: &Automerge) -> Vec<(String, Vec<u8>)> {
        self.states
            .iter_mut()
            .filter_map(|(tab, state)| {
                document
                    .generate_sync_message(state)
                    .map(|message| (tab.clone(), message.encode()))
            })
            .collect()
    }

    /// The document was replaced (changes dropped): every follower starts over.
    pub fn reset(&mut self) {
        for state in self.states.values_mut() {
            *state = sync::State::new();
        }
    }

    pub fn len(&self) -> usize {
        self.states.len()
    }

    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }
}

/// A follower's side: the leader it follows and their one sync state.
#[derive(Debug, Default)]
pub struct LeaderLink {
    leader: Option<String>,
    state: sync::State,
}

impl LeaderLink {
    /// Follows `leader`; true when it is a new one (the sync starts over).
    pub fn follow(&mut self, leader: &str) -> bool {
        if self.leader.as_deref() == Some(leader) {
            return false;
        }
        self.leader = Some(leader.to_owned());
        self.state = sync::State::new();
        true
    }

    pub fn leader(&self) -> Option<&str> {
        self.leader.as_deref()
    }

    /// The leader's document replaced this one: start over with it.
    pub fn reset(&mut self) {
        self.state = sync::State::new();
    }

    /// Applies the leader's sync message; true when the document changed.
    pub fn receive(&mut self, document: &mut Automerge, bytes: &[u8]) -> Result<bool, String> {
        receive(document, &mut self.state, bytes)
    }

    /// The sync message due to the leader, if any (and if there is one).
    pub fn outgoing(&mut self, document: &Automerge) -> Option<(String, Vec<u8>)> {
        let leader = self.leader.clone()?;
        let message = document.generate_sync_message(&mut self.state)?;
        Some((leader, message.encode()))
    }
}

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable as _;
    use automerge::{ActorId, ROOT, ReadDoc as _};

    use super::*;

    fn put(document: &mut Automerge, key: &str, value: &str) {
        let mut transaction = document.transaction();
        transaction.put(ROOT, key, value).expect("puts");
        transaction.commit();
    }

    fn text(document: &Automerge, key: &str) -> Option<String> {
        document
            .get(ROOT, key)
            .expect("reads")
            .and_then(|(value, _)| value.into_scalar().ok())
            .and_then(|scalar| scalar.as_str().map(str::to_owned))
    }

    /// Runs the protocol until neither side has anything to say, passing
    /// every message through its encoded form as the channel does.
    fn settle(
        leader: &mut Automerge,
        followers: &mut Followers,
        tabs: &mut [(&str, &mut Automerge, &mut LeaderLink)],
    ) {
        for _ in 0..20 {
            let mut quiet = true;
            for (tab, document, link) in tabs.iter_mut() {
                if let Some((to, bytes)) = link.outgoing(document) {
                    quiet = false;
                    let sent = TabMessage::Sync {
                        from: (*tab).to_owned(),
                        to,
                        message: bytes,
                    };
                    let TabMessage::Sync { from, message, .. } =
                        TabMessage::decode(&sent.encode()).expect("decodes")
                    else {
                        panic!("the same kind comes back");
                    };
                    followers.receive(leader, &from, &message).expect("applies");
                }
            }
            for (to, bytes) in followers.outgoing(leader) {
                quiet = false;
                let (_, document, link) = tabs
                    .iter_mut()
                    .find(|(tab, _, _)| *tab == to)
                    .expect("a known follower");
                link.receive(document, &bytes).expect("applies");
            }
            if quiet {
                return;
            }
        }
        panic!("the tabs never settled");
    }

    #[test]
    fn followers_and_leader_converge_with_actors_of_their_own() {
        let mut leader = Automerge::new();
        put(&mut leader, "name", "Mesa");
        let mut followers = Followers::default();
        let mut first = Automerge::new().with_actor(ActorId::random());
        let mut second = Automerge::new().with_actor(ActorId::random());
        let (mut first_link, mut second_link) = (LeaderLink::default(), LeaderLink::default());
        assert!(first_link.follow("lead"));
        assert!(!first_link.follow("lead"), "the same leader again is not new");
        second_link.follow("lead");
        followers.hello("one");
        followers.hello("two");
        settle(
            &mut leader,
            &mut followers,
            &mut [
                ("one", &mut first, &mut first_link),
                ("two", &mut second, &mut second_link),
            ],
        );
        assert_eq!(text(&first, "name").as_deref(), Some("Mesa"));
        put(&mut first, "acronym", "MCI");
        put(&mut leader, "country", "México");
        settle(
            &mut leader,
            &mut followers,
            &mut [
                ("one", &mut first, &mut first_link),
                ("two", &mut second, &mut second_link),
            ],
        );
        for document in [&leader, &first, &second] {
            assert_eq!(text(document, "acronym").as_deref(), Some("MCI"));
            assert_eq!(text(document, "country").as_deref(), Some("México"));
            assert_eq!(document.get_heads(), leader.get_heads());
        }
        let actors: std::collections::HashSet<_> = leader
            .get_changes(&[])
            .iter()
            .map(|c| c.actor_id().clone())
            .collect();
        assert_eq!(
            actors.len(),
            2,
            "the leader's and the first follower's actors: {actors:?}"
        );
    }

    #[test]
    fn a_new_leader_starts_the_sync_over() {
        let mut old = Automerge::new();
        put(&mut old, "name", "Mesa");
        let mut follower = Automerge::new();
        let mut link = LeaderLink::default();
        let mut followers = Followers::default();
        link.follow("old");
        settle(&mut old, &mut followers, &mut [("f", &mut follower, &mut link)]);
        // The new leader knows less (its copy) and more (its own edit).
        let mut new = Automerge::new();
        put(&mut new, "country", "México");
        let mut new_followers = Followers::default();
        assert!(link.follow("new"));
        settle(
            &mut new,
            &mut new_followers,
            &mut [("f", &mut follower, &mut link)],
        );
        assert_eq!(text(&new, "name").as_deref(), Some("Mesa"));
        assert_eq!(text(&follower, "country").as_deref(), Some("México"));
    }

    #[test]
    fn a_garbled_message_is_an_error_and_changes_nothing() {
        let mut document = Automerge::new();
        put(&mut document, "name", "Mesa");
        let heads = document.get_heads();
        let mut followers = Followers::default();
        assert!(followers.receive(&mut document, "x", &[0x42, 1, 2, 3]).is_err());
        assert_eq!(document.get_heads(), heads);
        assert!(TabMessage::decode(&[0xff, 0x00]).is_err());
    }

    #[test]
    fn status_replacement_and_presence_survive_the_channel() {
        let status = TabMessage::Status(Status {
            leader: "lead".into(),
            workspace: DocumentId::from_bytes([7; 16]),
            workspace_name: "Mesa".into(),
            role: Some(Role::Member),
            connection: ConnectionState::Offline,
            waiting: 3,
        });
        assert_eq!(TabMessage::decode(&status.encode()), Ok(status));
        let replaced = TabMessage::Replaced {
            leader: "lead".into(),
            snapshot: vec![1, 2, 3],
            dropped: 2,
            reason: "no".into(),
            refusal: Some("forbidden".into()),
        };
        assert_eq!(TabMessage::decode(&replaced.encode()), Ok(replaced));
        let presence = enlace_shared::presence::Presence {
            route: "#/alliances/a1".into(),
            record: None,
            field: None,
            seq: 4,
            tab: Some("tab-2".into()),
        };
        let message = TabMessage::FollowerPresence {
            presence: presence.encode(),
        };
        let Ok(TabMessage::FollowerPresence { presence: bytes }) = TabMessage::decode(&message.encode())
        else {
            panic!("the follower's presence did not survive the channel");
        };
        assert_eq!(enlace_shared::presence::Presence::decode(&bytes), Ok(presence));
    }
}
