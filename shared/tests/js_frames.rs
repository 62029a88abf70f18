//! Frames captured from a stock JavaScript automerge-repo client (see
//! `tests/fixtures/README.md` and `tests/js/capture-frames.mjs`) must decode
//! into the expected messages and survive a re-encode.

use std::path::PathBuf;

use enlace_shared::ids::DocumentId;
use enlace_shared::protocol::{Message, PROTOCOL_VERSION};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("reading {}: {error}", path.display()))
}

fn decode(name: &str) -> Message {
    let frame = fixture(name);
    let message = Message::decode(&frame).unwrap_or_else(|error| panic!("{name} does not decode: {error}"));
    assert!(!message.sender_id().as_str().is_empty(), "{name}: empty senderId");
    let again = Message::decode(&message.encode())
        .unwrap_or_else(|error| panic!("{name}: re-encoded frame does not decode: {error}"));
    assert_eq!(
        again, message,
        "{name}: re-encode then decode changed the message"
    );
    message
}

fn assert_document_id(name: &str, document_id: &DocumentId) {
    let text = document_id.to_string();
    assert_eq!(
        DocumentId::parse(&text).as_ref(),
        Ok(document_id),
        "{name}: documentId {text} does not round-trip"
    );
    assert_eq!(
        DocumentId::parse(&document_id.url()).as_ref(),
        Ok(document_id),
        "{name}: automerge URL does not parse"
    );
}

fn sync_message(name: &str, data: &[u8]) -> automerge::sync::Message {
    assert!(!data.is_empty(), "{name}: empty data");
    automerge::sync::Message::decode(data)
        .unwrap_or_else(|error| panic!("{name}: data is not an automerge sync message: {error}"))
}

#[test]
fn join_from_js() {
    let Message::Join {
        sender_id,
        supported_protocol_versions,
        peer_metadata,
    } = decode("js-join.cbor")
    else {
        panic!("js-join.cbor is not a join");
    };
    assert!(sender_id.as_str().starts_with("peer-"), "{sender_id}");
    assert!(
        supported_protocol_versions
            .iter()
            .any(|version| version == PROTOCOL_VERSION),
        "{supported_protocol_versions:?}"
    );
    // The JS repo without storage sends `storageId: undefined, isEphemeral: true`.
    assert_eq!(peer_metadata.storage_id, None);
    assert_eq!(peer_metadata.is_ephemeral, Some(true));
}

#[test]
fn request_from_js() {
    let Message::Request {
        target_id,
        document_id,
        data,
        ..
    } = decode("js-request.cbor")
    else {
        panic!("js-request.cbor is not a request");
    };
    assert_eq!(target_id.as_str(), "server");
    assert_document_id("js-request.cbor", &document_id);
    // capture-frames.mjs finds this fixed made-up document.
    assert_eq!(document_id.url(), "automerge:CQ2x2Zuikzbbo346zEVAhgBTVtH");
    let message = sync_message("js-request.cbor", &data);
    assert!(
        message.heads.is_empty(),
        "a request for an unknown document has no heads"
    );
    assert!(message.changes.is_empty());
}

#[test]
fn sync_heads_from_js() {
    let Message::Sync {
        target_id,
        document_id,
        data,
        ..
    } = decode("js-sync-heads.cbor")
    else {
        panic!("js-sync-heads.cbor is not a sync");
    };
    assert_eq!(target_id.as_str(), "server");
    assert_document_id("js-sync-heads.cbor", &document_id);
    let message = sync_message("js-sync-heads.cbor", &data);
    assert_eq!(message.heads.len(), 1);
    assert!(message.changes.is_empty());
}

#[test]
fn sync_with_changes_from_js() {
    let Message::Sync {
        target_id,
        document_id,
        data,
        ..
    } = decode("js-sync.cbor")
    else {
        panic!("js-sync.cbor is not a sync");
    };
    assert_eq!(target_id.as_str(), "server");
    assert_document_id("js-sync.cbor", &document_id);
    let message = sync_message("js-sync.cbor", &data);
    assert!(
        !message.changes.is_empty(),
        "the follow-up sync carries the document's changes"
    );

    // A hub's inbound checks read it within the default limits: the stock
    // client sent its new document whole, as a document chunk.
    let limits = enlace_shared::sync::InboundLimits::default();
    let inspection = enlace_shared::sync::inbound::inspect(&message, &limits).expect("within the limits");
    assert!(
        inspection
            .chunks
            .iter()
            .all(|chunk| chunk.kind == enlace_shared::sync::inbound::ChunkKind::Document)
    );
    let mut hub = enlace_shared::sync::DocumentHub::new(automerge::Automerge::new());
    hub.join(1, enlace_shared::PeerId::new("js"));
    hub.receive(1, &data).expect("the hub takes the JS document");
    assert_eq!(hub.document().get_heads(), message.heads);

    // The changes make the document the JS client created.
    let mut document = automerge::Automerge::new();
    let mut state = automerge::sync::State::new();
    automerge::sync::SyncDoc::receive_sync_message(&mut document, &mut state, message)
        .expect("the JS changes apply");
    use automerge::ReadDoc;
    let organisations = match document.get(automerge::ROOT, "organisations").expect("read") {
        Some((automerge::Value::Object(automerge::ObjType::Map), id)) => id,
        other => panic!("no organisations map: {other:?}"),
    };
    let record = match document
        .get(&organisations, "0123456789abcdef0123456789abcdef")
        .expect("read")
    {
        Some((automerge::Value::Object(automerge::ObjType::Map), id)) => id,
        other => panic!("no organisation record: {other:?}"),
    };
    assert_eq!(
        enlace_shared::model::read_string(&document, &record, "name").as_deref(),
        Some("Capturada en JS")
    );
}

#[test]
fn ephemeral_from_js() {
    let Message::Ephemeral {
        target_id,
        count,
        session_id,
        document_id,
        data,
        ..
    } = decode("js-ephemeral.cbor")
    else {
        panic!("js-ephemeral.cbor is not an ephemeral");
    };
    assert_eq!(target_id.as_str(), "server");
    assert!(count >= 1);
    assert!(!session_id.is_empty());
    assert_document_id("js-ephemeral.cbor", &document_id);
    assert!(!data.is_empty());
    // The payload is itself CBOR: `{presence: {open: <record id>}}`.
    let payload: ciborium::Value = ciborium::from_reader(data.as_slice()).expect("payload is CBOR");
    assert!(payload.is_map(), "{payload:?}");
}

#[test]
fn leave_from_js_encoder() {
    let Message::Leave { sender_id } = decode("js-leave.cbor") else {
        panic!("js-leave.cbor is not a leave");
    };
    assert!(sender_id.as_str().starts_with("peer-"));
}

#[test]
fn all_fixtures_come_from_one_peer() {
    let senders: Vec<String> = [
        "js-join.cbor",
        "js-request.cbor",
        "js-sync-heads.cbor",
        "js-sync.cbor",
        "js-ephemeral.cbor",
        "js-leave.cbor",
    ]
    .iter()
    .map(|name| decode(name).sender_id().as_str().to_owned())
    .collect();
    assert!(senders.windows(2).all(|pair| pair[0] == pair[1]), "{senders:?}");
}
