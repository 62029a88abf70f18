//! One account's connection cannot hurt anyone else's: presence carries who
//! really sent it and is bounded, a peer that stops reading is closed, a lost
//! role stops reading at once, refusals and connections are limited, and
//! oversized frames are refused from their header. Each test runs the real
//! server.

use std::time::{Duration, Instant};

use enlace_shared::api::{UpdateUserRequest, WorkspaceSummary, close, paths};
use enlace_shared::protocol::{EphemeralSender, Message};
use enlace_shared::records::{self, Initial};
use enlace_shared::schema::Collection;
use enlace_shared::{DocumentId, PeerId};
use enlace_tests::{
    Credential, PATIENCE, RustClient, ServerProcess, Socket, authenticated_socket, document_id, expect_close,
    joined_socket_as, json_body, next_message, open_document, rand_u64, random_record_id,
};
use futures_util::{SinkExt as _, StreamExt as _};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio_tungstenite::tungstenite::Message as WsMessage;

fn presence(sender: &str, document_id: DocumentId, count: u64, bytes: usize) -> WsMessage {
    let message = Message::Ephemeral {
        sender_id: PeerId::new(sender),
        target_id: PeerId::new("server"),
        count,
        session_id: "session".into(),
        document_id,
        data: vec![0xa0; bytes],
        enlace_sender: None,
    };
    WsMessage::Binary(message.encode().into())
}

/// Waits until every frame sent so far on `socket` has been handled by the
/// server: a request for an unknown document is answered after them.
async fn barrier(socket: &mut Socket, peer_id: &str) -> anyhow::Result<()> {
    let unknown = DocumentId::from_bytes([0xee; 16]);
    let request = Message::Request {
        sender_id: PeerId::new(peer_id),
        target_id: PeerId::new("server"),
        document_id: unknown,
        data: vec![0x42, 0, 0, 1, 0, 0],
    };
    socket.send(WsMessage::Binary(request.encode().into())).await?;
    loop {
        if let Message::DocUnavailable { document_id, .. } = next_message(socket).await?
            && document_id == unknown
        {
            return Ok(());
        }
    }
}

async fn start(extra_args: &[&str]) -> anyhow::Result<(tempfile::TempDir, ServerProcess, WorkspaceSummary)> {
    let data = tempfile::tempdir()?;
    let server = ServerProcess::start_with(data.path(), extra_args).await?;
    let workspace = server.first_workspace().await?;
    Ok((data, server, workspace))
}

#[tokio::test]
async fn presence_carries_the_senders_own_peer_id_and_person() -> anyhow::Result<()> {
    let (_data, server, workspace) = start(&[]).await?;
    let document = document_id(&workspace)?;
    let (ana_id, ana) = server.add_person("ana@enlace.test", "Ana", "member").await?;
    let (ben_id, ben) = server.add_person("ben@enlace.test", "Ben", "observer").await?;
    let mut watcher = joined_socket_as(&server, &ben, "ben-peer").await?;
    open_document(&mut watcher, "ben-peer", document).await?;
    let mut spoofer = joined_socket_as(&server, &ana, "ana-peer").await?;
    open_document(&mut spoofer, "ana-peer", document).await?;

    // Ana claims to be Ben, in both the stock field and Enlace's.
    let forged = Message::Ephemeral {
        sender_id: PeerId::new("ben-peer"),
        target_id: PeerId::new("server"),
        count: 1,
        session_id: "session".into(),
        document_id: document,
        data: vec![0xa0],
        enlace_sender: Some(EphemeralSender {
            person_id: ben_id,
            display_name: "Ben".into(),
            organisation_id: None,
        }),
    };
    spoofer.send(WsMessage::Binary(forged.encode().into())).await?;
    let relayed = loop {
        if let message @ Message::Ephemeral { .. } = next_message(&mut watcher).await? {
            break message;
        }
    };
    let Message::Ephemeral {
        sender_id,
        enlace_sender,
        ..
    } = relayed
    else {
        unreachable!("matched above");
    };
    assert_eq!(sender_id.as_str(), "ana-peer");
    let sender = enlace_sender.ok_or_else(|| anyhow::anyhow!("no enlaceSender"))?;
    assert_eq!(sender.person_id, ana_id);
    assert_eq!(sender.display_name, "Ana");
    Ok(())
}

#[tokio::test]
async fn presence_beyond_its_size_or_rate_is_dropped() -> anyhow::Result<()> {
    const BURST: u64 = 3;
    const PER_SECOND: u64 = 1;
    let (_data, server, workspace) = start(&[
        "--presence-burst",
        &BURST.to_string(),
        "--presence-per-second",
        &PER_SECOND.to_string(),
    ])
    .await?;
    let document = document_id(&workspace)?;
    let mut watcher = joined_socket_as(&server, &server.admin(), "watcher").await?;
    open_document(&mut watcher, "watcher", document).await?;
    let mut flooder = joined_socket_as(&server, &server.admin(), "flooder").await?;
    open_document(&mut flooder, "flooder", document).await?;

    let started = Instant::now();
    // Over the default 4096-byte limit: never relayed.
    flooder.send(presence("flooder", document, 999, 5000)).await?;
    for count in 1..=30 {
        flooder.send(presence("flooder", document, count, 10)).await?;
    }
    barrier(&mut flooder, "flooder").await?;

    let mut relayed = Vec::new();
    // The first arrives at once; then count whatever else comes within a second.
    let mut patience = PATIENCE;
    while let Ok(message) = tokio::time::timeout(patience, next_message(&mut watcher)).await {
        if let Message::Ephemeral { count, .. } = message? {
            relayed.push(count);
            patience = Duration::from_secs(1);
        }
    }
    let elapsed = started.elapsed().as_secs() + 1;
    assert!(!relayed.contains(&999), "an oversized presence was relayed");
    assert!(!relayed.is_empty(), "presence within the limits was dropped");
    assert!(
        relayed.len() as u64 <= BURST + PER_SECOND * elapsed,
        "{} presence messages relayed in about {elapsed} s",
        relayed.len()
    );
    Ok(())
}

/// A socket to `/sync` whose receive buffer is as small as the system allows.
async fn small_buffer_socket(server: &ServerProcess, credential: &Credential) -> anyhow::Result<Socket> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_recv_buffer_size(4096)?;
    let stream = socket.connect(server.address().parse()?).await?;
    let mut request = server.ws_url().into_client_request()?;
    let (name, value) = credential.header();
    request.headers_mut().insert(name, value.parse()?);
    let (socket, _) =
        tokio_tungstenite::client_async(request, tokio_tungstenite::MaybeTlsStream::Plain(stream)).await?;
    Ok(socket)
}

async fn join(socket: &mut Socket, peer_id: &str) -> anyhow::Result<()> {
    let join = Message::Join {
        sender_id: PeerId::new(peer_id),
        supported_protocol_versions: vec!["1".into()],
        peer_metadata: Default::default(),
    };
    socket.send(WsMessage::Binary(join.encode().into())).await?;
    match next_message(socket).await? {
        Message::Peer { .. } => Ok(()),
        other => anyhow::bail!("expected `peer`, got `{}`", other.kind()),
    }
}

#[tokio::test]
async fn a_peer_that_stops_reading_is_closed_not_forgotten() -> anyhow::Result<()> {
    let (_data, server, workspace) = start(&[
        "--max-outbox-bytes",
        "65536",
        "--presence-burst",
        "100000",
        "--presence-per-second",
        "100000",
    ])
    .await?;
    let document = document_id(&workspace)?;
    let mut silent = small_buffer_socket(&server, &server.admin()).await?;
    join(&mut silent, "silent").await?;
    open_document(&mut silent, "silent", document).await?;
    let mut flooder = joined_socket_as(&server, &server.admin(), "flooder").await?;
    open_document(&mut flooder, "flooder", document).await?;

    // 30 MB of presence: far more than the socket buffers between the
    // server and the silent peer, so its outbox fills up.
    for count in 0..30_000 {
        flooder.send(presence("flooder", document, count, 1000)).await?;
    }
    barrier(&mut flooder, "flooder").await?;
    // A change larger than what presence left free of the silent peer's
    // outbox (less than one presence message): the server owes it a sync
    // message it cannot queue.
    let mut writer = RustClient::connect(&server, &workspace).await?;
    // Random text, so that automerge's compression keeps it large.
    let country: String = (0..320).map(|_| format!("{:016x}", rand_u64())).collect();
    writer
        .add_organisation("Mientras tanto", "embassy", &country)
        .await?;

    // The silent peer reads again: what was buffered, then the end.
    loop {
        match tokio::time::timeout(PATIENCE, silent.next()).await {
            Err(_) => anyhow::bail!("the peer that stopped reading is still connected"),
            Ok(None | Some(Err(_))) => break,
            Ok(Some(Ok(WsMessage::Close(frame)))) => {
                let code = frame.map(|frame| u16::from(frame.code));
                assert_eq!(code, Some(close::TRY_AGAIN_LATER));
                break;
            }
            Ok(Some(Ok(_))) => {}
        }
    }
    // Everyone else carries on.
    writer.add_organisation("Después", "embassy", "").await?;
    Ok(())
}

#[tokio::test]
async fn a_member_who_loses_their_role_stops_receiving_at_once() -> anyhow::Result<()> {
    let (_data, server, workspace) = start(&[]).await?;
    let (marta_id, marta) = server.add_person("marta@enlace.test", "Marta", "member").await?;
    let mut silent = RustClient::connect_as(&server, &workspace, "marta", &marta).await?;
    let mut secretariat = RustClient::connect(&server, &workspace).await?;

    let removal = UpdateUserRequest {
        workspace: Some(workspace.id.clone()),
        role: Some(None),
        disabled: None,
    };
    let (status, body, _) = server
        .api(
            "PATCH",
            &paths::user(&marta_id),
            Some(&server.admin()),
            Some(json_body(&removal)?),
        )
        .await?;
    assert_eq!(status, 200, "{body}");
    secretariat
        .add_organisation("Solo para miembros", "embassy", "")
        .await?;

    let (code, reason) = silent.close_code().await?;
    assert_eq!(code, close::ACCESS_REMOVED, "{reason}");
    assert!(
        !silent
            .organisations()
            .iter()
            .any(|org| org.text("name") == "Solo para miembros"),
        "a change reached someone without a role"
    );
    Ok(())
}

/// An organisation an observer may not add.
async fn attempt(observer: &mut RustClient) -> anyhow::Result<()> {
    let id = random_record_id();
    observer
        .change(move |document, authorship| {
            let name = [("name", Initial::Text("Intento".into()))];
            records::create_record(document, Collection::Organisations, &id, &name, authorship)
        })
        .await
}

#[tokio::test]
async fn repeated_refusals_close_the_connection() -> anyhow::Result<()> {
    const MAX_REFUSALS: usize = 3;
    let (_data, server, workspace) = start(&["--max-refusals", &MAX_REFUSALS.to_string()]).await?;
    let (_, olga) = server.add_person("olga@enlace.test", "Olga", "observer").await?;
    let mut observer = RustClient::connect_as(&server, &workspace, "olga", &olga).await?;
    for refused in 1..=MAX_REFUSALS {
        attempt(&mut observer).await?;
        observer
            .pump_until(PATIENCE, |client| client.rejections.len() >= refused)
            .await?;
    }
    attempt(&mut observer).await?;
    let (code, reason) = observer.close_code().await?;
    assert_eq!(code, close::TOO_MANY_REFUSALS, "{reason}");
    Ok(())
}

#[tokio::test]
async fn an_overlong_peer_id_is_refused() -> anyhow::Result<()> {
    let (_data, server, _workspace) = start(&[]).await?;
    let mut socket = authenticated_socket(&server, &server.admin()).await?;
    let join = Message::Join {
        sender_id: PeerId::new("p".repeat(257)),
        supported_protocol_versions: vec!["1".into()],
        peer_metadata: Default::default(),
    };
    socket.send(WsMessage::Binary(join.encode().into())).await?;
    let (code, reason) = expect_close(&mut socket).await?;
    assert_eq!(code, close::PROTOCOL_ERROR, "{reason}");
    assert!(reason.contains("peer id"), "{reason}");
    // 256 bytes is fine.
    joined_socket_as(&server, &server.admin(), &"p".repeat(256)).await?;
    Ok(())
}

#[tokio::test]
async fn one_person_holds_only_so_many_connections() -> anyhow::Result<()> {
    let (_data, server, _workspace) = start(&["--max-connections-per-person", "2"]).await?;
    let (_, ana) = server.add_person("ana@enlace.test", "Ana", "member").await?;
    let _first = joined_socket_as(&server, &ana, "ana-1").await?;
    let _second = joined_socket_as(&server, &ana, "ana-2").await?;
    let mut third = authenticated_socket(&server, &ana).await?;
    let (code, reason) = expect_close(&mut third).await?;
    assert_eq!(code, close::TOO_MANY_CONNECTIONS, "{reason}");
    // Someone else is not affected.
    joined_socket_as(&server, &server.admin(), "secretaria").await?;
    Ok(())
}

/// A WebSocket upgrade written by hand, so that a frame can be sent in part.
async fn raw_upgrade(
    server: &ServerProcess,
    credential: &Credential,
) -> anyhow::Result<tokio::net::TcpStream> {
    let mut stream = tokio::net::TcpStream::connect(server.address()).await?;
    let (name, value) = credential.header();
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{name}: {value}\r\n\r\n",
        paths::SYNC,
        server.address()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    while !response.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        stream.read_exact(&mut byte).await?;
        response.push(byte[0]);
    }
    let response = String::from_utf8_lossy(&response);
    anyhow::ensure!(
        response.starts_with("HTTP/1.1 101"),
        "upgrade refused: {response}"
    );
    Ok(stream)
}

#[tokio::test]
async fn an_oversized_frame_is_refused_from_its_header() -> anyhow::Result<()> {
    let (_data, server, _workspace) = start(&["--max-frame-bytes", "65536"]).await?;
    let mut stream = raw_upgrade(&server, &server.admin()).await?;
    // A masked binary frame announcing 1 MiB, of which only 16 bytes follow.
    let mut header = vec![0x82, 0x80 | 127];
    header.extend_from_slice(&(1024u64 * 1024).to_be_bytes());
    header.extend_from_slice(&[1, 2, 3, 4]);
    header.extend_from_slice(&[0u8; 16]);
    stream.write_all(&header).await?;
    // The server answers without waiting for the rest.
    let mut reply = [0u8; 4];
    tokio::time::timeout(PATIENCE, stream.read_exact(&mut reply))
        .await
        .map_err(|_| anyhow::anyhow!("the server is still reading the oversized frame"))??;
    assert_eq!(reply[0], 0x88, "a close frame");
    assert_eq!(u16::from_be_bytes([reply[2], reply[3]]), close::MESSAGE_TOO_BIG);
    Ok(())
}

#[tokio::test]
async fn a_connection_never_waits_on_its_own_outbox() -> anyhow::Result<()> {
    let (_data, server, workspace) =
        start(&["--presence-burst", "1000000", "--presence-per-second", "1000000"]).await?;
    let document = document_id(&workspace)?;
    let mut curious = joined_socket_as(&server, &server.admin(), "curious").await?;
    open_document(&mut curious, "curious", document).await?;
    let mut flooder = joined_socket_as(&server, &server.admin(), "flooder").await?;
    open_document(&mut flooder, "flooder", document).await?;
    // Presence fills the curious connection's outbox while that connection
    // answers its own requests for an unknown document through it.
    let flood = tokio::spawn(async move {
        for count in 0..20_000 {
            flooder.send(presence("flooder", document, count, 1000)).await?;
        }
        anyhow::Ok(flooder)
    });
    let (mut sink, mut stream) = curious.split();
    let reader = tokio::spawn(async move {
        loop {
            match tokio::time::timeout(PATIENCE, stream.next()).await {
                Err(_) => anyhow::bail!("the connection stopped answering"),
                Ok(None | Some(Err(_))) => anyhow::bail!("the connection ended without a close frame"),
                Ok(Some(Ok(WsMessage::Close(frame)))) => return Ok(frame.map(|frame| u16::from(frame.code))),
                Ok(Some(Ok(_))) => {}
            }
        }
    });
    let unknown = DocumentId::from_bytes([0xee; 16]);
    let request = Message::Request {
        sender_id: PeerId::new("curious"),
        target_id: PeerId::new("server"),
        document_id: unknown,
        data: vec![0x42, 0, 0, 1, 0, 0],
    };
    for _ in 0..3000 {
        sink.send(WsMessage::Binary(request.encode().into())).await?;
    }
    let _flooder = flood.await??;
    // The connection still reads its frames: a text frame closes it.
    sink.send(WsMessage::Text("still there?".into())).await?;
    assert_eq!(reader.await??, Some(close::UNSUPPORTED_DATA));
    Ok(())
}

/// The hub reads a sync message under the operator's limits before automerge
/// does: a change with more operations than `--max-operations-per-message`
/// closes its connection with 1009 and never reaches the document, while
/// the same edit under the limit is accepted.
#[tokio::test]
async fn a_message_over_the_operation_limit_closes_with_1009_and_changes_nothing() -> anyhow::Result<()> {
    let (_data, server, workspace) = start(&["--max-operations-per-message", "100"]).await?;
    let mut ana = RustClient::connect_named(&server, &workspace, "ana").await?;
    let small = ana
        .add_organisation("GIZ", "cooperation_agency", "Alemania")
        .await?;
    assert!(!small.is_empty());
    // Forty records in one change: well over a hundred operations.
    ana.change(|document, authorship| {
        for index in 0..40 {
            let fields = [("name", Initial::Text(format!("Embajada {index}")))];
            records::create_record(
                document,
                Collection::Organisations,
                &random_record_id(),
                &fields,
                authorship,
            )?;
        }
        Ok(())
    })
    .await?;
    let (code, reason) = ana.close_code().await?;
    assert_eq!(code, close::MESSAGE_TOO_BIG, "{reason}");
    assert!(reason.contains("operations"), "{reason}");

    let carla = RustClient::connect_named(&server, &workspace, "carla").await?;
    let names: Vec<String> = carla
        .organisations()
        .iter()
        .map(|org| org.text("name").to_owned())
        .collect();
    assert_eq!(
        names,
        vec!["GIZ".to_owned()],
        "the oversized edit never reached the document"
    );
    Ok(())
}
