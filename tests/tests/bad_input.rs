//! Bad input closes only the offending connection, with a code and a reason;
//! everyone else keeps syncing and nothing stored is touched.

use enlace_shared::api::{WorkspaceSummary, close};
use enlace_shared::protocol::{Message, PeerMetadata};
use enlace_shared::{DocumentId, PeerId};
use enlace_tests::{PATIENCE, RustClient, ServerProcess, Socket, document_id, expect_close, raw_socket};
use futures_util::{SinkExt as _, StreamExt as _};
use tokio_tungstenite::tungstenite::Message as WsMessage;

const MAX_FRAME_BYTES: usize = 64 * 1024;

async fn joined_socket(server: &ServerProcess) -> anyhow::Result<Socket> {
    let mut socket = raw_socket(server).await?;
    let join = Message::Join {
        sender_id: PeerId::new("mallory"),
        supported_protocol_versions: vec!["1".into()],
        peer_metadata: PeerMetadata::default(),
    };
    socket.send(WsMessage::Binary(join.encode().into())).await?;
    let reply = tokio::time::timeout(PATIENCE, socket.next())
        .await?
        .ok_or_else(|| anyhow::anyhow!("closed"))??;
    let WsMessage::Binary(bytes) = reply else {
        anyhow::bail!("expected a binary peer message")
    };
    assert!(matches!(Message::decode(&bytes)?, Message::Peer { .. }));
    Ok(socket)
}

/// Checks that an honest client, connected all along, still syncs and persists.
async fn honest_client_keeps_working(
    server: &ServerProcess,
    workspace: &WorkspaceSummary,
    honest: &mut RustClient,
    name: &str,
) -> anyhow::Result<()> {
    honest.add_organisation(name, "embassy", "Francia").await?;
    let mut other = RustClient::connect_named(server, workspace, "observer").await?;
    other.wait_for_organisation(name, PATIENCE).await?;
    Ok(())
}

#[tokio::test]
async fn malformed_cbor_closes_only_that_connection() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let server = ServerProcess::start(data.path()).await?;
    let workspace = server.first_workspace().await?;
    let mut honest = RustClient::connect(&server, &workspace).await?;
    honest.add_organisation("Antes", "embassy", "").await?;

    let mut bad = joined_socket(&server).await?;
    bad.send(WsMessage::Binary(vec![0xff, 0x13, 0x37, 0x00].into()))
        .await?;
    let mut socket = raw_socket(&server).await?;
    // Also before any join: garbage as the very first frame.
    socket.send(WsMessage::Binary(vec![0xa1, 0x61].into())).await?;
    let (code, reason) = expect_close(&mut socket).await?;
    assert_eq!(code, close::INVALID_PAYLOAD, "{reason}");

    let (code, reason) = close_of(&mut bad).await?;
    assert_eq!(code, close::INVALID_PAYLOAD);
    assert!(reason.contains("malformed"), "reason: {reason}");

    honest_client_keeps_working(&server, &workspace, &mut honest, "Después del CBOR roto").await?;
    assert!(
        honest
            .organisations()
            .iter()
            .any(|org| org.text("name") == "Antes")
    );
    Ok(())
}

#[tokio::test]
async fn an_oversized_frame_closes_only_that_connection() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let server =
        ServerProcess::start_with(data.path(), &["--max-frame-bytes", &MAX_FRAME_BYTES.to_string()]).await?;
    let workspace = server.first_workspace().await?;
    let mut honest = RustClient::connect(&server, &workspace).await?;

    let mut bad = joined_socket(&server).await?;
    let oversized = Message::Sync {
        sender_id: PeerId::new("mallory"),
        target_id: PeerId::new("server"),
        document_id: document_id(&workspace)?,
        data: vec![0x42; MAX_FRAME_BYTES + 1],
    };
    bad.send(WsMessage::Binary(oversized.encode().into())).await?;
    let (code, reason) = close_of(&mut bad).await?;
    assert_eq!(code, close::MESSAGE_TOO_BIG);
    assert!(reason.contains("exceeds the limit"), "reason: {reason}");

    honest_client_keeps_working(&server, &workspace, &mut honest, "Tras el marco enorme").await
}

#[tokio::test]
async fn garbage_sync_bytes_close_only_that_connection_and_touch_nothing() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let mut server = ServerProcess::start(data.path()).await?;
    let workspace = server.first_workspace().await?;
    let mut honest = RustClient::connect(&server, &workspace).await?;
    honest
        .add_organisation("GIZ", "cooperation_agency", "Alemania")
        .await?;

    for garbage in [
        vec![0x42, 0xde, 0xad, 0xbe, 0xef],
        vec![0x00; 32],
        b"not a sync message".to_vec(),
    ] {
        let mut bad = joined_socket(&server).await?;
        let message = Message::Sync {
            sender_id: PeerId::new("mallory"),
            target_id: PeerId::new("server"),
            document_id: document_id(&workspace)?,
            data: garbage,
        };
        bad.send(WsMessage::Binary(message.encode().into())).await?;
        let (code, reason) = close_of(&mut bad).await?;
        assert_eq!(code, close::INVALID_PAYLOAD, "{reason}");
        assert!(reason.contains("sync message"), "reason: {reason}");
    }

    // A well-formed sync message carrying a change that is not a change.
    let forged = automerge::sync::Message {
        heads: Vec::new(),
        need: Vec::new(),
        have: Vec::new(),
        changes: vec![vec![0x85, 0x6f, 0x4a, 0x83, 1, 2, 3, 4, 5, 6]].into(),
        flags: None,
        version: automerge::sync::MessageVersion::V1,
    };
    let mut bad = joined_socket(&server).await?;
    let message = Message::Sync {
        sender_id: PeerId::new("mallory"),
        target_id: PeerId::new("server"),
        document_id: document_id(&workspace)?,
        data: forged.encode(),
    };
    bad.send(WsMessage::Binary(message.encode().into())).await?;
    // Automerge may skip bytes it cannot read as a change or refuse them; either
    // way the sender gets an answer or a 1007 close, and nothing is stored
    // (checked after the restart below).
    match tokio::time::timeout(PATIENCE, bad.next()).await? {
        Some(Ok(WsMessage::Close(Some(frame)))) => {
            assert_eq!(u16::from(frame.code), close::INVALID_PAYLOAD, "{frame:?}");
        }
        Some(Ok(WsMessage::Binary(bytes))) => {
            assert!(matches!(
                Message::decode(&bytes)?,
                Message::Sync { .. } | Message::Error { .. }
            ));
        }
        other => anyhow::bail!("unexpected answer to a forged change: {other:?}"),
    }

    // Unknown documents are unavailable, not an error.
    let mut curious = joined_socket(&server).await?;
    let unknown = DocumentId::from_bytes([9; 16]);
    let request = Message::Request {
        sender_id: PeerId::new("mallory"),
        target_id: PeerId::new("server"),
        document_id: unknown,
        data: vec![0x42, 0, 0, 1, 0, 0],
    };
    curious.send(WsMessage::Binary(request.encode().into())).await?;
    let reply = tokio::time::timeout(PATIENCE, curious.next())
        .await?
        .ok_or_else(|| anyhow::anyhow!("closed"))??;
    let WsMessage::Binary(bytes) = reply else {
        anyhow::bail!("expected binary")
    };
    assert!(
        matches!(Message::decode(&bytes)?, Message::DocUnavailable { document_id, .. } if document_id == unknown)
    );

    honest_client_keeps_working(&server, &workspace, &mut honest, "Sigue funcionando").await?;
    let expected = honest.organisations();
    drop(honest);
    server.stop().await?;
    let server = ServerProcess::start(data.path()).await?;
    let reader = RustClient::connect(&server, &workspace).await?;
    assert_eq!(
        reader.organisations(),
        expected,
        "stored data intact after the attacks"
    );
    Ok(())
}

#[tokio::test]
async fn text_frames_and_missing_join_are_protocol_errors() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let server = ServerProcess::start(data.path()).await?;
    let workspace = server.first_workspace().await?;
    let mut socket = raw_socket(&server).await?;
    socket.send(WsMessage::Text("hello".into())).await?;
    assert_eq!(expect_close(&mut socket).await?.0, close::UNSUPPORTED_DATA);

    let mut socket = raw_socket(&server).await?;
    let sync_first = Message::Sync {
        sender_id: PeerId::new("x"),
        target_id: PeerId::new("server"),
        document_id: document_id(&workspace)?,
        data: vec![],
    };
    socket.send(WsMessage::Binary(sync_first.encode().into())).await?;
    let (code, reason) = expect_close(&mut socket).await?;
    assert_eq!(code, close::PROTOCOL_ERROR);
    assert!(reason.contains("join"), "{reason}");
    Ok(())
}

async fn close_of<S>(socket: &mut S) -> anyhow::Result<(u16, String)>
where
    S: futures_util::Stream<Item = Result<WsMessage, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        match tokio::time::timeout(PATIENCE, socket.next()).await? {
            None => anyhow::bail!("ended without close"),
            Some(Err(error)) => anyhow::bail!("transport error: {error}"),
            Some(Ok(WsMessage::Close(Some(frame)))) => {
                return Ok((frame.code.into(), frame.reason.to_string()));
            }
            Some(Ok(WsMessage::Close(None))) => anyhow::bail!("close without code"),
            Some(Ok(_)) => {}
        }
    }
}
