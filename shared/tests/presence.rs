//! Presence through the client's session: what `PeerSession` sends for the
//! board and what it hands back from the server.

use automerge::Automerge;
use enlace_shared::ids::{DocumentId, PeerId};
use enlace_shared::presence::{Presence, PresenceBoard, RecordRef};
use enlace_shared::protocol::{EphemeralSender, Message, PROTOCOL_VERSION, PeerMetadata};
use enlace_shared::sync::{Input, PeerSession};

fn joined_session(document_id: DocumentId) -> PeerSession {
    let mut session = PeerSession::new(PeerId::new("tab-a"));
    session.open(document_id, Automerge::new());
    session.handle(0, Input::Connected).expect("connects");
    session
        .handle(
            1,
            Input::Received(Message::Peer {
                sender_id: PeerId::new("server"),
                target_id: PeerId::new("tab-a"),
                selected_protocol_version: PROTOCOL_VERSION.to_owned(),
                peer_metadata: PeerMetadata::default(),
            }),
        )
        .expect("joins");
    session
}

fn here(seq: u64) -> Presence {
    Presence {
        route: "#/alliances/a1".to_owned(),
        record: Some(RecordRef {
            collection: "alliances".to_owned(),
            id: "a1".to_owned(),
        }),
        field: Some("next_step".to_owned()),
        seq,
        tab: None,
    }
}

#[test]
fn presence_is_sent_only_once_joined_and_numbered() {
    let document_id = DocumentId::from_bytes([5; 16]);
    let mut session = PeerSession::new(PeerId::new("tab-a"));
    session.open(document_id, Automerge::new());
    assert!(session.ephemeral(document_id, here(1).encode()).is_none());

    let mut session = joined_session(document_id);
    let other = DocumentId::from_bytes([6; 16]);
    assert!(session.ephemeral(other, here(1).encode()).is_none());
    let first = session.ephemeral(document_id, here(1).encode()).expect("joined");
    let second = session.ephemeral(document_id, here(2).encode()).expect("joined");
    let (
        Message::Ephemeral {
            sender_id,
            target_id,
            count: first_count,
            data,
            enlace_sender,
            ..
        },
        Message::Ephemeral {
            count: second_count, ..
        },
    ) = (&first, &second)
    else {
        panic!("ephemeral messages expected");
    };
    assert_eq!((sender_id.as_str(), target_id.as_str()), ("tab-a", "server"));
    assert!(second_count > first_count);
    assert_eq!(enlace_sender, &None);
    assert_eq!(Presence::decode(data), Ok(here(1)));
    // The frame decodes as the same message on the other side.
    assert_eq!(Message::decode(&first.encode()).expect("decodes"), first);

    session.handle(2, Input::Disconnected).expect("disconnects");
    assert!(session.ephemeral(document_id, here(3).encode()).is_none());
}

#[test]
fn relayed_presence_reaches_the_board_with_the_servers_stamp() {
    let document_id = DocumentId::from_bytes([5; 16]);
    let mut session = joined_session(document_id);
    let beto = EphemeralSender {
        person_id: "p-beto".to_owned(),
        display_name: "Beto".to_owned(),
        organisation_id: None,
    };
    let relayed = |document_id| Message::Ephemeral {
        sender_id: PeerId::new("tab-b"),
        target_id: PeerId::new("tab-a"),
        count: 1,
        session_id: "tab-b".to_owned(),
        document_id,
        data: here(1).encode(),
        enlace_sender: Some(beto.clone()),
    };
    let output = session
        .handle(3, Input::Received(relayed(document_id)))
        .expect("received");
    assert_eq!(output.ephemeral.len(), 1);
    assert!(output.send.is_empty());
    let ignored = session
        .handle(4, Input::Received(relayed(DocumentId::from_bytes([9; 16]))))
        .expect("received");
    assert!(ignored.ephemeral.is_empty());

    let mut board = PresenceBoard::new(session.peer_id().clone());
    assert!(board.receive_message(&output.ephemeral[0], 3));
    assert_eq!(board.editing("alliances", "a1", "next_step")[0].sender, beto);
}
