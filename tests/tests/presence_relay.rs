//! The server relays presence only between people who may read the
//! document: someone without a role there neither sends nor receives it.

use enlace_shared::api::{UpdateUserRequest, paths};
use enlace_shared::presence::Presence;
use enlace_shared::protocol::Message;
use enlace_shared::{DocumentId, PeerId};
use enlace_tests::{
    ServerProcess, Socket, document_id, joined_socket_as, json_body, next_message, open_document,
};
use futures_util::SinkExt as _;
use tokio_tungstenite::tungstenite::Message as WsMessage;

fn presence(sender: &str, document_id: DocumentId, route: &str) -> WsMessage {
    let message = Message::Ephemeral {
        sender_id: PeerId::new(sender),
        target_id: PeerId::new("server"),
        count: 1,
        session_id: sender.into(),
        document_id,
        data: Presence {
            route: route.into(),
            record: None,
            field: None,
            seq: 1,
            tab: None,
        }
        .encode(),
        enlace_sender: None,
    };
    WsMessage::Binary(message.encode().into())
}

/// Every frame the server sends `socket` until it answers a request for an
/// unknown document, which it does after handling everything sent before.
async fn until_barrier(socket: &mut Socket, peer_id: &str) -> anyhow::Result<Vec<Message>> {
    let unknown = DocumentId::from_bytes([0xee; 16]);
    let request = Message::Request {
        sender_id: PeerId::new(peer_id),
        target_id: PeerId::new("server"),
        document_id: unknown,
        data: vec![0x42, 0, 0, 1, 0, 0],
    };
    socket.send(WsMessage::Binary(request.encode().into())).await?;
    let mut seen = Vec::new();
    loop {
        match next_message(socket).await? {
            Message::DocUnavailable { document_id, .. } if document_id == unknown => return Ok(seen),
            other => seen.push(other),
        }
    }
}

fn routes(messages: &[Message]) -> Vec<String> {
    messages
        .iter()
        .filter_map(|message| match message {
            Message::Ephemeral { data, .. } => Presence::decode(data).ok().map(|presence| presence.route),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn presence_never_reaches_or_comes_from_someone_without_a_role() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let server = ServerProcess::start_with(data.path(), &[]).await?;
    let workspace = server.first_workspace().await?;
    let document = document_id(&workspace)?;
    let (_, ana) = server.add_person("ana@enlace.test", "Ana", "member").await?;
    let (_, ben) = server.add_person("ben@enlace.test", "Ben", "observer").await?;
    let (dora_id, dora) = server.add_person("dora@enlace.test", "Dora", "member").await?;
    let removal = UpdateUserRequest {
        workspace: Some(workspace.id.clone()),
        role: Some(None),
        disabled: None,
    };
    let (status, body, _) = server
        .api(
            "PATCH",
            &paths::user(&dora_id),
            Some(&server.admin()),
            Some(json_body(&removal)?),
        )
        .await?;
    assert_eq!(status, 200, "{body}");

    let mut ana_socket = joined_socket_as(&server, &ana, "ana-peer").await?;
    open_document(&mut ana_socket, "ana-peer", document).await?;
    let mut ben_socket = joined_socket_as(&server, &ben, "ben-peer").await?;
    open_document(&mut ben_socket, "ben-peer", document).await?;
    let mut dora_socket = joined_socket_as(&server, &dora, "dora-peer").await?;

    // Dora tries to follow the document and to be seen on it.
    let request = Message::Request {
        sender_id: PeerId::new("dora-peer"),
        target_id: PeerId::new("server"),
        document_id: document,
        data: vec![0x42, 0, 0, 1, 0, 0],
    };
    dora_socket
        .send(WsMessage::Binary(request.encode().into()))
        .await?;
    dora_socket
        .send(presence("dora-peer", document, "#/dora"))
        .await?;
    until_barrier(&mut dora_socket, "dora-peer").await?;

    // The observer is present (observers may be), and Ana sees him, not Dora.
    ben_socket.send(presence("ben-peer", document, "#/ben")).await?;
    ana_socket.send(presence("ana-peer", document, "#/ana")).await?;
    let heard_by_ana = loop {
        if let message @ Message::Ephemeral { .. } = next_message(&mut ana_socket).await? {
            break message;
        }
    };
    assert_eq!(routes(&[heard_by_ana]), ["#/ben"]);
    let heard_by_ben = loop {
        if let message @ Message::Ephemeral { .. } = next_message(&mut ben_socket).await? {
            break message;
        }
    };
    assert_eq!(routes(&[heard_by_ben]), ["#/ana"]);
    let ana_rest = until_barrier(&mut ana_socket, "ana-peer").await?;
    assert!(
        !routes(&ana_rest).contains(&"#/dora".to_owned()),
        "Dora's presence was relayed"
    );

    // Ana's presence was relayed to Ben's outbox before he read it; Dora
    // would have had it by the time her next answer arrives.
    let dora_heard = until_barrier(&mut dora_socket, "dora-peer").await?;
    assert!(
        routes(&dora_heard).is_empty(),
        "presence reached someone without a role: {dora_heard:?}"
    );
    Ok(())
}
