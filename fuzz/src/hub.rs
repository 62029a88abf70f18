//! Target `hub`: the server's receive path, `DocumentHub::receive_checked`,
//! judged as the server judges (`policy::edits_in_change` + `policy::check`).
//!
//! Input: byte 0 picks the sender's role; byte 1 the mode.
//! - Even mode: the rest is a sequence of `[connection][length: u16 LE][sync
//!   message]` records fed to a fresh hub. The seeds are real traffic: two
//!   [`PeerSession`]s syncing and editing through a hub in this process.
//! - Odd mode: the rest is an [`ArbitraryEdit`]: automerge operations at
//!   chosen places (root keys, collection keys, records, fields, any object),
//!   committed as one or more changes by the sender's replica, then sent in a
//!   sync message built field by field (changes dropped, duplicated or
//!   reordered; arbitrary heads, needs and flags).
//!
//! Invariants, after every message: nothing panics; a refused or failed
//! message leaves the hub's heads as they were; an accepted document still
//! reads (`records::read_all`) and saves and loads to the same heads; and
//! at the end what the hub handed over to persist, loaded change by change
//! after the base, gives the hub's heads (what a restart would load).

use arbitrary::{Arbitrary, Unstructured};
use automerge::sync;
use automerge::transaction::{CommitOptions, Transactable as _};
use automerge::{ActorId, Automerge, ChangeHash, ObjId, ObjType, ROOT, ReadDoc, ScalarValue};
use enlace_shared::model::{self, Authorship};
use enlace_shared::policy;
use enlace_shared::protocol::{Message, PROTOCOL_VERSION, PeerMetadata};
use enlace_shared::records::{self, Initial};
use enlace_shared::refusal::Refusal;
use enlace_shared::roles::Role;
use enlace_shared::schema::Collection;
use enlace_shared::sync::{DocumentHub, Input, PeerSession};
use enlace_shared::{DocumentId, PeerId};

use crate::Target;

const SERVER_ACTOR: [u8; 16] = [0xaa; 16];
const MEMBER_ACTOR: [u8; 16] = [0x11; 16];
/// The actor of the person whose messages are fuzzed.
const SENDER_ACTOR: [u8; 16] = [0x22; 16];
const OTHER_ACTOR: [u8; 16] = [0x33; 16];
const DOCUMENT: DocumentId = DocumentId::from_bytes([9; 16]);
const RECORD_IDS: [&str; 3] = ["rec-member-org", "rec-member-alliance", "rec-sender-org"];

pub struct HubTarget {
    /// The workspace every input starts from (deterministic, so saved
    /// inputs replay in any process).
    base: Automerge,
    /// The base's changes, as storage holds them.
    base_changes: Vec<Vec<u8>>,
}

impl Default for HubTarget {
    fn default() -> Self {
        Self::new()
    }
}

/// A workspace with records by another member and by the sender.
///
/// Invariant: building a fixed workspace with the shared model cannot fail.
#[allow(clippy::expect_used)]
fn base_document() -> Automerge {
    let mut document = Automerge::new().with_actor(ActorId::from(SERVER_ACTOR));
    model::create_workspace(&mut document, "Fuzz", 0).expect("workspace");
    let member = Authorship {
        now_ms: 1,
        author: "member",
    };
    document.set_actor(ActorId::from(MEMBER_ACTOR));
    records::create_record(
        &mut document,
        Collection::Organisations,
        RECORD_IDS[0],
        &[
            ("name", Initial::Text("Red de Mujeres".into())),
            ("kind", Initial::Text("ngo".into())),
        ],
        &member,
    )
    .expect("organisation");
    let alliance = Collection::ALL
        .into_iter()
        .find(|collection| *collection != Collection::Organisations)
        .unwrap_or(Collection::Organisations);
    records::create_record(
        &mut document,
        alliance,
        RECORD_IDS[1],
        &[(alliance.title_field(), Initial::Text("Alianza".into()))],
        &member,
    )
    .expect("second record");
    document.set_actor(ActorId::from(SENDER_ACTOR));
    records::create_record(
        &mut document,
        Collection::Organisations,
        RECORD_IDS[2],
        &[("name", Initial::Text("Propia".into()))],
        &Authorship {
            now_ms: 2,
            author: "sender",
        },
    )
    .expect("own organisation");
    document
}

impl HubTarget {
    pub fn new() -> Self {
        let base = base_document();
        let base_changes = base
            .get_changes(&[])
            .iter()
            .map(|change| change.raw_bytes().to_vec())
            .collect();
        Self { base, base_changes }
    }

    /// The base's heads (the same in every process).
    pub fn base_heads(&self) -> Vec<ChangeHash> {
        self.base.get_heads()
    }
}

/// The server's judgement, without actor bindings: every operation of every
/// added change must pass the policy for `role`.
fn judge(role: Role, fork: &Automerge, added: &[automerge::Change]) -> Result<(), Refusal> {
    let own = ActorId::from(SENDER_ACTOR);
    let is_own = |actor: &ActorId| *actor == own;
    for change in added {
        for edit in policy::edits_in_change(fork, change, &is_own) {
            policy::check(role, &edit)?;
        }
    }
    Ok(())
}

/// A hub fed message by message, checking the invariants.
struct Harness<'a> {
    target: &'a HubTarget,
    hub: DocumentHub,
    role: Role,
    stored: Vec<Vec<u8>>,
}

impl<'a> Harness<'a> {
    fn new(target: &'a HubTarget, role: Role) -> Self {
        Self {
            target,
            hub: DocumentHub::new(target.base.clone()),
            role,
            stored: Vec::new(),
        }
    }

    /// One message from `connection`; true if the hub accepted it.
    fn deliver(&mut self, connection: u64, data: &[u8]) -> bool {
        if asks_for_many_probes(data) {
            return false;
        }
        if !self.hub.is_joined(connection) {
            self.hub
                .join(connection, PeerId::new(format!("peer-{connection}")));
        }
        let before = self.hub.document().get_heads();
        let role = self.role;
        let outcome = self
            .hub
            .receive_checked(connection, data, |fork, added| judge(role, fork, added));
        let accepted = matches!(outcome, Ok(Ok(())));
        if accepted {
            let document = self.hub.document();
            for collection in Collection::ALL {
                let _ = records::read_all(document, collection);
            }
            let saved = document.save();
            match Automerge::load(&saved) {
                Ok(loaded) => assert!(
                    loaded.get_heads() == document.get_heads(),
                    "an accepted document reloads with other heads"
                ),
                Err(error) => panic!("an accepted document does not load: {error}"),
            }
        } else {
            assert!(
                self.hub.document().get_heads() == before,
                "a refused or failed message changed the document: {outcome:?}"
            );
        }
        for change in self.hub.take_new_changes() {
            self.stored.push(change.raw_bytes().to_vec());
        }
        let _ = self.hub.outgoing();
        accepted
    }

    /// What a restart would load equals what the hub has.
    fn check_storage(&self) {
        let mut restarted = Automerge::new();
        for chunk in self.target.base_changes.iter().chain(&self.stored) {
            if let Err(error) = restarted.load_incremental(chunk) {
                panic!("a persisted change does not load: {error}");
            }
        }
        let mut expected = self.hub.document().get_heads();
        let mut got = restarted.get_heads();
        expected.sort();
        got.sort();
        assert!(got == expected, "storage replays to other heads than the hub's");
    }
}

/// Most probes per hash a bloom filter may ask for here (automerge's own
/// filters use 7).
const MAX_FUZZED_PROBES: u64 = 64;

/// True for a sync message whose bloom filter asks for more probes than
/// [`MAX_FUZZED_PROBES`]. automerge allocates and computes that many for
/// every hash it checks (gigabytes for 2^32), which would take the fuzzer
/// down with it instead of showing a panic; the abuse run's `bloom-probes`
/// attack measures that one on a real server instead.
fn asks_for_many_probes(data: &[u8]) -> bool {
    let Ok(message) = sync::Message::decode(data) else {
        return false;
    };
    message.have.iter().any(|have| {
        let bytes = have.bloom.to_bytes();
        let mut reader = bytes.as_slice();
        let mut field = || leb128::read::unsigned(&mut reader).ok();
        let (_entries, _bits, probes) = (field(), field(), field());
        probes.is_some_and(|probes| probes > MAX_FUZZED_PROBES)
    })
}

/// Where an operation lands.
#[derive(Debug, Arbitrary)]
enum Place {
    Root,
    Meta,
    Collection(u8),
    Record(u8, u8),
    Field(u8, u8, u8),
    /// Any object reachable from the root, by index.
    Any(u8),
}

#[derive(Debug, Arbitrary)]
enum Key {
    Collection(u8),
    RecordId(u8),
    Field(u8),
    Deleted,
    Text(String),
}

#[derive(Debug, Arbitrary)]
enum Scalar {
    Str(String),
    Int(i64),
    Uint(u64),
    F64(f64),
    Bool(bool),
    Null,
    Timestamp(i64),
    Counter(i64),
    Bytes(Vec<u8>),
}

impl From<Scalar> for ScalarValue {
    fn from(value: Scalar) -> Self {
        match value {
            Scalar::Str(text) => Self::Str(text.into()),
            Scalar::Int(number) => Self::Int(number),
            Scalar::Uint(number) => Self::Uint(number),
            Scalar::F64(number) => Self::F64(number),
            Scalar::Bool(flag) => Self::Boolean(flag),
            Scalar::Null => Self::Null,
            Scalar::Timestamp(at) => Self::Timestamp(at),
            Scalar::Counter(count) => Self::counter(count),
            Scalar::Bytes(bytes) => Self::Bytes(bytes),
        }
    }
}

#[derive(Debug, Arbitrary)]
enum Kind {
    Map,
    List,
    Text,
}

#[derive(Debug, Arbitrary)]
enum Operation {
    Put(Place, Key, Scalar),
    PutObject(Place, Key, Kind),
    Delete(Place, Key),
    Insert(Place, u8, Scalar),
    InsertObject(Place, u8, Kind),
    DeleteAt(Place, u8),
    Splice(Place, u8, u8, String),
    Increment(Place, Key, i64),
    /// Ends the current change (the next operations make another). The time
    /// is in seconds, so ±68 years around 1970 in milliseconds: automerge's
    /// change graph stores times as deltas, and a delta past i64 overflows
    /// (a panic in debug builds, in the sender's own commit too).
    Commit {
        message: Option<String>,
        time: i32,
    },
    /// Later changes are made by another actor (forging, or a second device).
    SwitchActor(bool),
}

/// How the changes travel to the hub.
#[derive(Debug, Arbitrary)]
struct Delivery {
    /// Each change index: dropped (missing dependencies) when its bit is set.
    drop_mask: u16,
    reverse: bool,
    duplicate_first: bool,
    /// The changes as one compressed document chunk (a v2 message).
    as_document: bool,
    extra_heads: Vec<[u8; 32]>,
    need: Vec<[u8; 32]>,
    flags: Option<u8>,
    /// Sends the message again afterwards (a retry of a refusal).
    twice: bool,
    /// The bloom filter of the message's `have`, as its encoded bytes.
    bloom: Option<Vec<u8>>,
}

#[derive(Debug, Arbitrary)]
struct ArbitraryEdit {
    operations: Vec<Operation>,
    delivery: Delivery,
}

/// Objects reachable from the root, breadth first (at most 64).
fn objects(document: &impl ReadDoc) -> Vec<ObjId> {
    let mut found = vec![ROOT];
    let mut next = 0;
    while next < found.len() && found.len() < 64 {
        let object = found[next].clone();
        next += 1;
        for (value, id) in document.values(&object) {
            if value.is_object() {
                found.push(id);
            }
        }
    }
    found
}

fn resolve(document: &impl ReadDoc, place: &Place) -> Option<ObjId> {
    let child = |parent: &ObjId, key: &str| match document.get(parent, key) {
        Ok(Some((value, id))) if value.is_object() => Some(id),
        _ => None,
    };
    let collection = |index: u8| Collection::ALL[usize::from(index) % Collection::ALL.len()];
    let record = |c: u8, r: u8| {
        let map = child(&ROOT, collection(c).key())?;
        let keys: Vec<String> = document.keys(&map).collect();
        let key = keys.get(usize::from(r) % keys.len().max(1))?.clone();
        child(&map, &key)
    };
    match place {
        Place::Root => Some(ROOT),
        Place::Meta => child(&ROOT, "meta"),
        Place::Collection(c) => child(&ROOT, collection(*c).key()),
        Place::Record(c, r) => record(*c, *r),
        Place::Field(c, r, f) => {
            let object = record(*c, *r)?;
            let keys: Vec<String> = document.keys(&object).collect();
            let key = keys.get(usize::from(*f) % keys.len().max(1))?.clone();
            child(&object, &key)
        }
        Place::Any(index) => {
            let all = objects(document);
            all.get(usize::from(*index) % all.len()).cloned()
        }
    }
}

fn key_text(key: Key) -> String {
    match key {
        Key::Collection(index) => Collection::ALL[usize::from(index) % Collection::ALL.len()]
            .key()
            .to_owned(),
        Key::RecordId(index) => RECORD_IDS[usize::from(index) % RECORD_IDS.len()].to_owned(),
        Key::Field(index) => {
            let fields = Collection::Organisations.fields();
            fields
                .get(usize::from(index) % fields.len().max(1))
                .map_or_else(|| "name".to_owned(), |spec| spec.key.to_owned())
        }
        Key::Deleted => "deleted".to_owned(),
        Key::Text(text) => text,
    }
}

fn object_type(kind: &Kind) -> ObjType {
    match kind {
        Kind::Map => ObjType::Map,
        Kind::List => ObjType::List,
        Kind::Text => ObjType::Text,
    }
}

/// Applies the operations to `replica`; returns the hashes of the changes made.
fn make_changes(replica: &mut Automerge, operations: Vec<Operation>) -> Vec<ChangeHash> {
    let mut made = Vec::new();
    let mut transaction = replica.transaction();
    let mut pending = 0usize;
    // Operations that automerge refuses (a map key on a list, an index out
    // of range) are simply skipped: the point is what does get committed.
    for operation in operations {
        let _ = match operation {
            Operation::Commit { message, time } => {
                let mut options = CommitOptions::default().with_time(i64::from(time) * 1000);
                if let Some(message) = message {
                    options = options.with_message(message);
                }
                let (hash, _) = transaction.commit_with(options);
                made.extend(hash);
                pending = 0;
                transaction = replica.transaction();
                continue;
            }
            Operation::SwitchActor(other) => {
                let (hash, _) = transaction.commit();
                made.extend(hash);
                pending = 0;
                replica.set_actor(ActorId::from(if other { OTHER_ACTOR } else { SENDER_ACTOR }));
                transaction = replica.transaction();
                continue;
            }
            Operation::Put(place, key, value) => match resolve(&transaction, &place) {
                Some(object) => transaction.put(&object, key_text(key), ScalarValue::from(value)),
                None => continue,
            },
            Operation::PutObject(place, key, kind) => match resolve(&transaction, &place) {
                Some(object) => transaction
                    .put_object(&object, key_text(key), object_type(&kind))
                    .map(|_| ()),
                None => continue,
            },
            Operation::Delete(place, key) => match resolve(&transaction, &place) {
                Some(object) => transaction.delete(&object, key_text(key)),
                None => continue,
            },
            Operation::Insert(place, index, value) => match resolve(&transaction, &place) {
                Some(object) => {
                    let at = usize::from(index).min(transaction.length(&object));
                    transaction.insert(&object, at, ScalarValue::from(value))
                }
                None => continue,
            },
            Operation::InsertObject(place, index, kind) => match resolve(&transaction, &place) {
                Some(object) => {
                    let at = usize::from(index).min(transaction.length(&object));
                    transaction
                        .insert_object(&object, at, object_type(&kind))
                        .map(|_| ())
                }
                None => continue,
            },
            Operation::DeleteAt(place, index) => match resolve(&transaction, &place) {
                Some(object) => transaction.delete(&object, usize::from(index)),
                None => continue,
            },
            Operation::Splice(place, index, delete, text) => match resolve(&transaction, &place) {
                Some(object) => {
                    let length = transaction.length(&object);
                    let at = usize::from(index).min(length);
                    let delete = isize::from(delete).min(isize::try_from(length - at).unwrap_or(0));
                    transaction.splice_text(&object, at, delete, &text)
                }
                None => continue,
            },
            Operation::Increment(place, key, by) => match resolve(&transaction, &place) {
                Some(object) => transaction.increment(&object, key_text(key), by),
                None => continue,
            },
        };
        pending += 1;
    }
    if pending > 0 {
        let (hash, _) = transaction.commit();
        made.extend(hash);
    }
    made
}

fn run_edit(target: &HubTarget, role: Role, edit: ArbitraryEdit) -> bool {
    let mut replica = target.base.clone();
    replica.set_actor(ActorId::from(SENDER_ACTOR));
    make_changes(&mut replica, edit.operations);
    let delivery = edit.delivery;
    let mut changes: Vec<Vec<u8>> = replica
        .get_changes(&target.base.get_heads())
        .iter()
        .enumerate()
        .filter(|(index, _)| *index >= 16 || delivery.drop_mask & (1 << index) == 0)
        .map(|(_, change)| change.raw_bytes().to_vec())
        .collect();
    if delivery.reverse {
        changes.reverse();
    }
    if delivery.duplicate_first
        && let Some(first) = changes.first().cloned()
    {
        changes.push(first);
    }
    let (version, chunks) = if delivery.as_document {
        let mut bundle = replica.save_after(&target.base.get_heads());
        if bundle.is_empty() {
            bundle = replica.save();
        }
        (sync::MessageVersion::V2, vec![bundle])
    } else {
        (sync::MessageVersion::V1, changes)
    };
    // Hash lists go out sorted, as automerge's encoder expects (debug
    // builds assert it); unsorted ones reach the hub through raw mode.
    let mut heads = replica.get_heads();
    heads.extend(delivery.extra_heads.iter().map(|bytes| ChangeHash(*bytes)));
    heads.sort();
    let mut need: Vec<ChangeHash> = delivery.need.iter().map(|bytes| ChangeHash(*bytes)).collect();
    need.sort();
    let bloom = delivery
        .bloom
        .as_deref()
        .and_then(|bytes| sync::BloomFilter::try_from(bytes).ok())
        .unwrap_or_default();
    let message = sync::Message {
        heads,
        need,
        have: vec![sync::Have {
            last_sync: target.base.get_heads(),
            bloom,
        }],
        changes: chunks.into(),
        flags: delivery.flags.map(|bits| {
            let mut flags = sync::MessageFlags::new();
            flags.set(bits & 0x7f);
            flags
        }),
        version,
    };
    let data = message.encode();
    let mut harness = Harness::new(target, role);
    let accepted = harness.deliver(1, &data);
    if delivery.twice {
        harness.deliver(1, &data);
    }
    harness.check_storage();
    accepted
}

/// Parses even-mode input into `(connection, message)` records.
fn records_of(mut rest: &[u8]) -> Vec<(u64, &[u8])> {
    let mut found = Vec::new();
    while let [connection, low, high, tail @ ..] = rest {
        let length = usize::from(u16::from_le_bytes([*low, *high])).min(tail.len());
        let (data, next) = tail.split_at(length);
        found.push((u64::from(*connection % 4), data));
        rest = next;
    }
    found
}

fn encode_records(records: &[(u64, Vec<u8>)]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for (connection, data) in records {
        bytes.push(u8::try_from(*connection).unwrap_or(0));
        let length = u16::try_from(data.len()).unwrap_or(u16::MAX);
        bytes.extend(length.to_le_bytes());
        bytes.extend(&data[..usize::from(length)]);
    }
    bytes
}

impl Target for HubTarget {
    fn name(&self) -> &'static str {
        "hub"
    }

    fn seeds(&self) -> Vec<Vec<u8>> {
        let traffic = capture_traffic(&self.base);
        let mut seeds = Vec::new();
        for role in 0..4u8 {
            let mut input = vec![role, 0];
            input.extend(encode_records(&traffic));
            seeds.push(input);
            // Each message alone too, so mutations reach every kind.
            for (connection, data) in &traffic {
                let mut single = vec![role, 0];
                single.extend(encode_records(&[(*connection, data.clone())]));
                seeds.push(single);
            }
            seeds.push(vec![role, 1, 3, 0, 1, 2, 0, 1, 1, 5, 5, 4, 0]);
        }
        seeds
    }

    fn run(&self, input: &[u8]) -> bool {
        let [role, mode, rest @ ..] = input else {
            return false;
        };
        let role = Role::ALL[usize::from(*role) % Role::ALL.len()];
        if mode % 2 == 0 {
            let mut harness = Harness::new(self, role);
            let mut deep = false;
            for (connection, data) in records_of(rest) {
                deep |= harness.deliver(connection, data);
            }
            harness.check_storage();
            deep
        } else {
            match ArbitraryEdit::arbitrary_take_rest(Unstructured::new(rest)) {
                Ok(edit) => run_edit(self, role, edit),
                Err(_) => false,
            }
        }
    }
}

/// One honest edit of a browser's document.
type Edit<'a> = dyn Fn(&mut Automerge) -> Result<(), model::ModelError> + 'a;

/// What two browser sessions send a hub while they sync and edit: every
/// sync message from either, in order, with its connection.
///
/// Invariant: the honest sessions' traffic is well-formed; a failure here
/// is a bug in the shared sync code and should stop the fuzzer.
#[allow(clippy::expect_used)]
pub fn capture_traffic(base: &Automerge) -> Vec<(u64, Vec<u8>)> {
    let server = PeerId::new("server");
    let mut hub = DocumentHub::new(base.clone());
    let mut sessions: Vec<PeerSession> = [SENDER_ACTOR, OTHER_ACTOR]
        .iter()
        .enumerate()
        .map(|(index, actor)| {
            let mut session = PeerSession::new(PeerId::new(format!("browser-{index}")));
            session.handle(0, Input::Connected).expect("connected");
            let _ = session.open(DOCUMENT, Automerge::new().with_actor(ActorId::from(*actor)));
            session
        })
        .collect();
    let mut traffic = Vec::new();
    let mut inbox: Vec<Vec<Message>> = sessions
        .iter()
        .map(|session| {
            vec![Message::Peer {
                sender_id: server.clone(),
                target_id: session.peer_id().clone(),
                selected_protocol_version: PROTOCOL_VERSION.into(),
                peer_metadata: PeerMetadata::default(),
            }]
        })
        .collect();
    let mut outbox: Vec<Vec<Message>> = vec![Vec::new(); sessions.len()];
    let pump = |sessions: &mut Vec<PeerSession>,
                inbox: &mut Vec<Vec<Message>>,
                outbox: &mut Vec<Vec<Message>>,
                hub: &mut DocumentHub,
                traffic: &mut Vec<(u64, Vec<u8>)>| {
        for _ in 0..50 {
            let mut moved = false;
            for (index, session) in sessions.iter_mut().enumerate() {
                for message in std::mem::take(&mut inbox[index]) {
                    moved = true;
                    let output = session.handle(0, Input::Received(message)).expect("session");
                    outbox[index].extend(output.send);
                }
            }
            for (index, messages) in outbox.iter_mut().enumerate() {
                let connection = index as u64;
                for message in std::mem::take(messages) {
                    if let Message::Sync { data, .. } | Message::Request { data, .. } = message {
                        moved = true;
                        hub.join(connection, PeerId::new(format!("browser-{index}")));
                        traffic.push((connection, data.clone()));
                        let _ = hub
                            .receive_checked(connection, &data, |fork, added| {
                                judge(Role::Member, fork, added)
                            })
                            .expect("honest traffic");
                    }
                }
            }
            let _ = hub.take_new_changes();
            for outgoing in hub.outgoing() {
                let index = usize::try_from(outgoing.connection).unwrap_or(0);
                inbox[index].push(Message::Sync {
                    sender_id: server.clone(),
                    target_id: outgoing.peer_id,
                    document_id: DOCUMENT,
                    data: outgoing.data,
                });
            }
            if !moved {
                break;
            }
        }
    };
    pump(&mut sessions, &mut inbox, &mut outbox, &mut hub, &mut traffic);
    let authorship = Authorship {
        now_ms: 10,
        author: "browser",
    };
    let edits: [&Edit<'_>; 4] = [
        &|document| {
            records::create_record(
                document,
                Collection::Organisations,
                "rec-new",
                &[("name", Initial::Text("Nueva".into()))],
                &authorship,
            )
        },
        &|document| {
            records::set_text(
                document,
                Collection::Organisations,
                RECORD_IDS[2],
                "name",
                "Otra",
                &authorship,
            )
        },
        &|document| {
            records::set_deleted(
                document,
                Collection::Organisations,
                RECORD_IDS[2],
                true,
                &authorship,
            )
        },
        &|document| {
            records::set_text(
                document,
                Collection::Organisations,
                RECORD_IDS[0],
                "name",
                "Ajena",
                &authorship,
            )
        },
    ];
    for (step, edit) in edits.iter().enumerate() {
        let index = step % sessions.len();
        let session = &mut sessions[index];
        if let Some(document) = session.document_mut(&DOCUMENT) {
            let _ = edit(document);
        }
        let output = session
            .handle(0, Input::LocalChange(DOCUMENT))
            .expect("local change");
        outbox[index].extend(output.send);
        pump(&mut sessions, &mut inbox, &mut outbox, &mut hub, &mut traffic);
    }
    traffic
}
