//! Deterministic multi-peer sync: several [`PeerSession`]s and one
//! [`DocumentHub`] exchange messages through a simulated network that
//! delivers them in a seeded random order (FIFO per link, like a WebSocket).
//! No sockets, no sleeps: each run ends when the network is quiescent.

use std::collections::VecDeque;

use automerge::{Automerge, ChangeHash, ReadDoc as _};
use enlace_shared::model::{self, Authorship, ModelError};
use enlace_shared::protocol::{Message, PROTOCOL_VERSION, PeerMetadata};
use enlace_shared::records::{self, Initial, Record};
use enlace_shared::schema::Collection;
use enlace_shared::sync::{DocumentHub, Input, PeerSession};
use enlace_shared::{DocumentId, PeerId};

/// A small deterministic PRNG (xorshift64*), so every seed replays exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }
}

const DOCUMENT: DocumentId = DocumentId::from_bytes([42; 16]);

fn organisations(document: &Automerge) -> Result<Vec<Record>, ModelError> {
    records::read_all(document, Collection::Organisations)
}

fn create_organisation(
    document: &mut Automerge,
    id: &str,
    name: &str,
    kind: &str,
    authorship: &Authorship<'_>,
) -> Result<(), ModelError> {
    records::create_record(
        document,
        Collection::Organisations,
        id,
        &[
            ("name", Initial::Text(name.into())),
            ("kind", Initial::Text(kind.into())),
        ],
        authorship,
    )
}

fn set_field(
    document: &mut Automerge,
    id: &str,
    field: &str,
    value: &str,
    authorship: &Authorship<'_>,
) -> Result<(), ModelError> {
    records::set_text(document, Collection::Organisations, id, field, value, authorship)
}

/// The server side of the simulation: handshake plus a hub with "storage"
/// that records which changes were persisted before anything was sent.
struct SimServer {
    peer_id: PeerId,
    hub: DocumentHub,
    stored: Vec<Vec<u8>>,
    /// Changes whose message contains this are refused (a stand-in policy).
    refuse_marker: Option<String>,
    rejections: usize,
}

impl SimServer {
    fn new() -> Self {
        let mut document = Automerge::new();
        model::create_workspace(&mut document, "MCIG", 0).expect("workspace");
        let stored = document
            .get_changes(&[])
            .iter()
            .map(|change| change.raw_bytes().to_vec())
            .collect();
        Self {
            peer_id: PeerId::new("server"),
            hub: DocumentHub::new(document),
            stored,
            refuse_marker: None,
            rejections: 0,
        }
    }

    /// Handles one message from connection `from`; returns (connection, message) pairs to deliver.
    fn receive(&mut self, from: u64, message: Message) -> Vec<(u64, Message)> {
        let mut replies = Vec::new();
        match message {
            Message::Join { sender_id, .. } => {
                replies.push((
                    from,
                    Message::Peer {
                        sender_id: self.peer_id.clone(),
                        target_id: sender_id,
                        selected_protocol_version: PROTOCOL_VERSION.into(),
                        peer_metadata: PeerMetadata::default(),
                    },
                ));
            }
            Message::Request { sender_id, data, .. } | Message::Sync { sender_id, data, .. } => {
                self.hub.join(from, sender_id.clone());
                let refuse = self.refuse_marker.clone();
                let verdict = self
                    .hub
                    .receive_checked(from, &data, |_, added| match &refuse {
                        Some(marker)
                            if added.iter().any(|change| {
                                change
                                    .message()
                                    .is_some_and(|text| text.contains(marker.as_str()))
                            }) =>
                        {
                            Err(format!("changes marked {marker} are refused"))
                        }
                        _ => Ok(()),
                    })
                    .expect("honest peers send valid data");
                if let Err((hashes, reason)) = verdict {
                    self.rejections += 1;
                    replies.push((
                        from,
                        Message::Rejected {
                            sender_id: self.peer_id.clone(),
                            target_id: sender_id,
                            document_id: DOCUMENT,
                            change_hashes: hashes.iter().map(ToString::to_string).collect(),
                            message: reason,
                            refusal: None,
                        },
                    ));
                }
            }
            _ => {}
        }
        replies
    }

    /// Ends a round: persists what the round accepted, then sends every
    /// connection what it needs (the durable-ack order of the real hub).
    fn fan_out(&mut self) -> Vec<(u64, Message)> {
        for change in self.hub.take_new_changes() {
            self.stored.push(change.raw_bytes().to_vec());
        }
        self.hub
            .outgoing()
            .into_iter()
            .map(|outgoing| {
                (
                    outgoing.connection,
                    Message::Sync {
                        sender_id: self.peer_id.clone(),
                        target_id: outgoing.peer_id,
                        document_id: DOCUMENT,
                        data: outgoing.data,
                    },
                )
            })
            .collect()
    }

    fn disconnect(&mut self, connection: u64) {
        self.hub.leave(connection);
    }
}

struct SimPeer {
    session: PeerSession,
    connection: u64,
    online: bool,
}

/// In-flight messages: to the server (from a connection) and to peers.
struct Network {
    rng: Rng,
    server: SimServer,
    peers: Vec<SimPeer>,
    to_server: Vec<VecDeque<(u64, Message)>>,
    to_peer: Vec<VecDeque<Message>>,
    next_connection: u64,
    now_ms: u64,
    delivered: usize,
}

impl Network {
    fn new(seed: u64, peer_count: usize) -> Self {
        let mut network = Self {
            rng: Rng(seed.max(1)),
            server: SimServer::new(),
            peers: Vec::new(),
            to_server: vec![VecDeque::new(); peer_count],
            to_peer: vec![VecDeque::new(); peer_count],
            next_connection: 1,
            now_ms: 0,
            delivered: 0,
        };
        for index in 0..peer_count {
            let mut session = PeerSession::new(PeerId::new(format!("peer-{index}")));
            let opened = session.open(DOCUMENT, Automerge::new());
            assert!(
                opened.is_empty(),
                "nothing is sent before the server answers join"
            );
            network.peers.push(SimPeer {
                session,
                connection: 0,
                online: false,
            });
            network.connect(index);
        }
        network
    }

    fn connect(&mut self, index: usize) {
        let connection = self.next_connection;
        self.next_connection += 1;
        let peer = &mut self.peers[index];
        peer.connection = connection;
        peer.online = true;
        let output = peer
            .session
            .handle(self.now_ms, Input::Connected)
            .expect("connect");
        for message in output.send {
            self.to_server[index].push_back((connection, message));
        }
    }

    /// Drops the link: in-flight messages both ways are lost, as with a dead socket.
    fn disconnect(&mut self, index: usize) {
        let peer = &mut self.peers[index];
        peer.online = false;
        peer.session
            .handle(self.now_ms, Input::Disconnected)
            .expect("disconnect");
        self.server.disconnect(peer.connection);
        self.to_server[index].clear();
        self.to_peer[index].clear();
    }

    fn edit(&mut self, index: usize, step: usize) {
        let author = format!("peer-{index}");
        let authorship = Authorship {
            now_ms: self.now_ms as i64,
            author: &author,
        };
        let choice = self.rng.below(3);
        let peer = &mut self.peers[index];
        let document = peer.session.document_mut(&DOCUMENT).expect("open");
        let existing = organisations(document).unwrap_or_default();
        if existing.is_empty() || choice == 0 {
            let id = format!("{index:02}-{step:04}");
            if create_organisation(document, &id, &format!("Org {id}"), "embassy", &authorship).is_err() {
                return; // Not synced yet: the collection does not exist locally.
            }
        } else {
            let target = &existing[step % existing.len()];
            let field = if choice == 1 { "country" } else { "name" };
            set_field(
                document,
                &target.id,
                field,
                &format!("v{index}.{step}"),
                &authorship,
            )
            .expect("edit");
        }
        let output = peer
            .session
            .handle(self.now_ms, Input::LocalChange(DOCUMENT))
            .expect("local change");
        if peer.online {
            for message in output.send {
                self.to_server[index].push_back((peer.connection, message));
            }
        }
    }

    /// Delivers one message from a random non-empty link; false if none is in flight.
    fn deliver_one(&mut self) -> bool {
        let links: Vec<(bool, usize)> = (0..self.peers.len())
            .flat_map(|index| [(true, index), (false, index)])
            .filter(|(to_server, index)| {
                if *to_server {
                    !self.to_server[*index].is_empty()
                } else {
                    !self.to_peer[*index].is_empty()
                }
            })
            .collect();
        if links.is_empty() {
            return false;
        }
        self.now_ms += 1;
        self.delivered += 1;
        let (to_server, index) = links[self.rng.below(links.len())];
        if to_server {
            // The real hub handles every message queued when a round starts
            // and fans out once at its end: a round here takes one to four
            // messages, from any connections.
            let round = 1 + self.rng.below(4);
            let mut replies = Vec::new();
            let mut link = index;
            for _ in 0..round {
                let (connection, message) = self.to_server[link].pop_front().expect("non-empty");
                replies.extend(self.server.receive(connection, message));
                let waiting: Vec<usize> = (0..self.peers.len())
                    .filter(|other| !self.to_server[*other].is_empty())
                    .collect();
                if waiting.is_empty() {
                    break;
                }
                link = waiting[self.rng.below(waiting.len())];
            }
            replies.extend(self.server.fan_out());
            for (target, reply) in replies {
                if let Some(peer_index) = self
                    .peers
                    .iter()
                    .position(|peer| peer.online && peer.connection == target)
                {
                    self.to_peer[peer_index].push_back(reply);
                }
            }
        } else {
            let message = self.to_peer[index].pop_front().expect("non-empty");
            let peer = &mut self.peers[index];
            let output = peer
                .session
                .handle(self.now_ms, Input::Received(message))
                .expect("receive");
            for reply in output.send {
                self.to_server[index].push_back((peer.connection, reply));
            }
        }
        true
    }

    fn run_until_quiescent(&mut self) {
        let mut budget = 1_000_000;
        while self.deliver_one() {
            budget -= 1;
            assert!(budget > 0, "the sync protocol did not settle");
        }
    }

    fn heads(&self, index: usize) -> Vec<ChangeHash> {
        sorted(
            self.peers[index]
                .session
                .document(&DOCUMENT)
                .expect("open")
                .get_heads(),
        )
    }
}

fn sorted(mut heads: Vec<ChangeHash>) -> Vec<ChangeHash> {
    heads.sort();
    heads
}

fn assert_converged(network: &Network) {
    let server_heads = sorted(network.server.hub.document().get_heads());
    let server_records = organisations(network.server.hub.document()).expect("server reads");
    for index in 0..network.peers.len() {
        assert_eq!(network.heads(index), server_heads, "peer {index} heads");
        assert!(
            network.peers[index].session.is_in_sync(&DOCUMENT),
            "peer {index} knows it is in sync"
        );
        let records = organisations(network.peers[index].session.document(&DOCUMENT).expect("open"))
            .expect("peer reads");
        assert_eq!(records, server_records, "peer {index} records");
    }
    // Everything the hub holds was persisted: reloading the stored changes gives the same document.
    let mut reloaded = Automerge::new();
    reloaded
        .load_incremental(&network.server.stored.concat())
        .expect("stored changes load");
    assert_eq!(sorted(reloaded.get_heads()), server_heads);
}

#[test]
fn peers_converge_under_random_interleavings() {
    // Debug builds check every shortcut acknowledgement against automerge's
    // own handling (`DocumentHub::receive_checked`); count that some happened.
    let mut shortcuts = 0;
    for seed in 1..=40u64 {
        let mut network = Network::new(seed * 7919, 3 + (seed as usize % 3));
        for step in 0..60 {
            let action = network.rng.below(10);
            if action < 4 {
                let index = network.rng.below(network.peers.len());
                network.edit(index, step);
            } else {
                for _ in 0..action {
                    network.deliver_one();
                }
            }
        }
        network.run_until_quiescent();
        assert_converged(&network);
        shortcuts += network.server.hub.shortcut_acknowledgements();
    }
    assert!(shortcuts > 0, "no acknowledgement took the shortcut");
}

#[test]
fn offline_edits_merge_after_reconnecting() {
    for seed in 1..=20u64 {
        let mut network = Network::new(seed, 3);
        network.run_until_quiescent();
        // Peer 0 goes offline mid-conversation and keeps editing.
        network.edit(1, 0);
        network.deliver_one();
        network.disconnect(0);
        for step in 1..10 {
            network.edit(0, step);
            network.edit(2, step);
            network.deliver_one();
        }
        network.run_until_quiescent();
        let offline_heads = network.heads(0);
        let server = network.server.hub.document();
        assert!(
            offline_heads
                .iter()
                .any(|hash| server.get_change_by_hash(hash).is_none()),
            "peer 0 has edits the server has not seen while offline"
        );
        network.connect(0);
        network.run_until_quiescent();
        assert_converged(&network);
        let server = network.server.hub.document();
        for hash in &offline_heads {
            assert!(
                server.get_change_by_hash(hash).is_some(),
                "offline edit reached the server"
            );
        }
    }
}

#[test]
fn a_change_is_acknowledged_only_after_it_is_stored() {
    let mut network = Network::new(3, 2);
    network.run_until_quiescent();
    network.edit(0, 1);
    let hash = network.peers[0]
        .session
        .document(&DOCUMENT)
        .expect("open")
        .get_heads()[0];
    // Step message by message: whenever peer 0 sees its change in the server's
    // acknowledged heads, the change must already be in storage.
    while network.deliver_one() {
        let acknowledged = network.peers[0].session.acknowledged_heads(&DOCUMENT);
        if acknowledged.contains(&hash) {
            let mut stored = Automerge::new();
            stored
                .load_incremental(&network.server.stored.concat())
                .expect("load");
            assert!(
                stored.get_change_by_hash(&hash).is_some(),
                "acknowledged before stored"
            );
        }
    }
    assert!(
        network.peers[0]
            .session
            .acknowledged_heads(&DOCUMENT)
            .contains(&hash)
    );
    assert_converged(&network);
}

#[test]
fn quiescence_is_reached_with_few_messages() {
    let mut network = Network::new(11, 2);
    network.run_until_quiescent();
    let before = network.delivered;
    network.edit(0, 1);
    network.run_until_quiescent();
    let per_edit = network.delivered - before;
    // One edit to one other peer: a handful of round trips, not a loop.
    assert!(per_edit <= 8, "one edit took {per_edit} messages");
    assert_converged(&network);
}

#[test]
fn refused_changes_are_dropped_without_a_loop() {
    for seed in 1..=10u64 {
        let mut network = Network::new(seed, 3);
        network.server.refuse_marker = Some("FORBIDDEN".into());
        network.run_until_quiescent();
        network.edit(1, 0);
        network.run_until_quiescent();
        // Peer 0 makes a refused change, then one built on it.
        let id = {
            let document = network.peers[0].session.document_mut(&DOCUMENT).expect("open");
            let target = organisations(document).expect("reads")[0].id.clone();
            let authorship = Authorship {
                now_ms: 1,
                author: "peer-0",
            };
            set_field(document, &target, "name", "FORBIDDEN name", &authorship).expect("edit");
            set_field(document, &target, "country", "built on it", &authorship).expect("edit");
            target
        };
        let refused_heads = network.heads(0);
        let output = network.peers[0]
            .session
            .handle(0, Input::LocalChange(DOCUMENT))
            .expect("send");
        let connection = network.peers[0].connection;
        for message in output.send {
            network.to_server[0].push_back((connection, message));
        }
        let before = network.delivered;
        network.run_until_quiescent();
        assert!(
            network.delivered - before <= 12,
            "{} messages: a loop",
            network.delivered - before
        );
        assert_eq!(network.server.rejections, 1);
        assert_converged(&network);
        let server = network.server.hub.document();
        for hash in &refused_heads {
            assert!(
                server.get_change_by_hash(hash).is_none(),
                "refused change reached the server"
            );
        }
        let record = organisations(server)
            .expect("reads")
            .into_iter()
            .find(|org| org.id == id)
            .expect("record");
        assert!(!record.text("name").contains("FORBIDDEN") && record.text("country") != "built on it");
        // Peer 0 goes on syncing allowed edits.
        network.edit(0, 99);
        network.run_until_quiescent();
        assert_converged(&network);
        assert_eq!(network.server.rejections, 1);
    }
}

/// Two messages from one peer handled in one round (its change, then a
/// message already showing our heads) must still earn it an acknowledgement:
/// automerge alone would see nothing to say, and the peer would wait forever
/// for its change to be confirmed.
#[test]
fn a_peer_whose_change_was_accepted_always_hears_our_heads() {
    use automerge::sync::{self, SyncDoc as _};
    let mut base = Automerge::new();
    model::create_workspace(&mut base, "MCIG", 0).expect("workspace");
    let mut hub = DocumentHub::new(base.fork());
    let mut ben = base.fork();
    let mut ben_state = sync::State::new();
    hub.join(2, PeerId::new("ben"));
    // Sync until quiet.
    loop {
        let mut moved = false;
        for outgoing in hub.outgoing() {
            let message = sync::Message::decode(&outgoing.data).expect("decode");
            ben.receive_sync_message(&mut ben_state, message)
                .expect("ben receives");
            moved = true;
        }
        if let Some(message) = ben.generate_sync_message(&mut ben_state) {
            hub.receive(2, &message.encode()).expect("hub receives");
            moved = true;
        }
        if !moved {
            break;
        }
    }
    // Another peer's change reaches the hub; its message to Ben is in flight.
    let mut ana = base.fork();
    let authorship = Authorship {
        now_ms: 1,
        author: "ana",
    };
    create_organisation(&mut ana, "a", "GIZ", "cooperation_agency", &authorship).expect("ana edits");
    hub.apply_local(ana.get_changes(&base.get_heads()))
        .expect("hub applies");
    let to_ben: Vec<_> = hub.outgoing();
    assert_eq!(to_ben.len(), 1);
    // Ben edits and sends, then receives the in-flight message and answers.
    create_organisation(&mut ben, "b", "AECID", "cooperation_agency", &authorship).expect("ben edits");
    let first = ben
        .generate_sync_message(&mut ben_state)
        .expect("ben sends its change")
        .encode();
    ben.receive_sync_message(
        &mut ben_state,
        sync::Message::decode(&to_ben[0].data).expect("decode"),
    )
    .expect("ben receives");
    let second = ben
        .generate_sync_message(&mut ben_state)
        .map(sync::Message::encode);
    // The hub handles both in one round.
    hub.receive_checked(2, &first, |_, _| Ok::<(), String>(()))
        .expect("valid")
        .expect("accepted");
    if let Some(second) = second {
        hub.receive(2, &second).expect("valid");
    }
    let ben_change = ben.get_last_local_change().expect("ben's change").hash();
    let replies = hub.outgoing();
    assert_eq!(replies.len(), 1, "Ben must hear the hub's heads");
    let reply = sync::Message::decode(&replies[0].data).expect("decode");
    assert!(
        reply.heads.contains(&ben_change),
        "the hub's heads acknowledge Ben's change"
    );
}
