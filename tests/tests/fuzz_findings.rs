//! What the fuzzer found, against the real server: a sync message no
//! honest client sends must not take a document away from everyone else.

use std::time::Duration;

use automerge::ChangeHash;
use automerge::sync;
use enlace_shared::protocol::{Message, PROTOCOL_VERSION, PeerMetadata};
use enlace_shared::{PeerId, protocol};
use enlace_tests::{PATIENCE, RustClient, ServerProcess, authenticated_socket, document_id};
use futures_util::{SinkExt as _, StreamExt as _};
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// `fuzz/regressions/hub/e7de5f1ba52dddc0`: a `have` bloom filter with one
/// entry and no bits makes automerge divide by zero while the hub answers.
#[tokio::test]
async fn a_bloom_filter_without_bits_does_not_close_the_document_for_others() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let server = ServerProcess::start(data.path()).await?;
    let workspace = server.first_workspace().await?;
    let mut honest = RustClient::connect_named(&server, &workspace, "honest").await?;
    let (_, attacker) = server
        .add_person("atacante@enlace.test", "Atacante", "member")
        .await?;

    let mut socket = authenticated_socket(&server, &attacker).await?;
    let me = PeerId::new("attacker");
    let join = Message::Join {
        sender_id: me.clone(),
        supported_protocol_versions: vec![PROTOCOL_VERSION.to_owned()],
        peer_metadata: PeerMetadata {
            enlace: Some(protocol::ENLACE_EXTENSION_VERSION),
            ..PeerMetadata::default()
        },
    };
    socket.send(WsMessage::Binary(join.encode().into())).await?;
    let server_id = loop {
        let frame = tokio::time::timeout(PATIENCE, socket.next())
            .await?
            .ok_or_else(|| anyhow::anyhow!("closed before peer"))??;
        if let WsMessage::Binary(bytes) = frame
            && let Message::Peer { sender_id, .. } = Message::decode(&bytes)?
        {
            break sender_id;
        }
    };
    let bloom = sync::BloomFilter::try_from(&[1u8, 0, 1][..])?;
    // No heads, and a head nobody has: either makes the hub answer with
    // changes it checks against the filter.
    for heads in [Vec::new(), vec![ChangeHash([7; 32])]] {
        let message = sync::Message {
            heads,
            need: Vec::new(),
            have: vec![sync::Have {
                last_sync: Vec::new(),
                bloom: bloom.clone(),
            }],
            changes: Vec::<Vec<u8>>::new().into(),
            flags: None,
            version: sync::MessageVersion::V1,
        };
        let frame = Message::Request {
            sender_id: me.clone(),
            target_id: server_id.clone(),
            document_id: document_id(&workspace)?,
            data: message.encode(),
        };
        // The server may close the attacker's connection: that is fine.
        let _ = socket.send(WsMessage::Binary(frame.encode().into())).await;
        let _ = tokio::time::timeout(Duration::from_millis(300), socket.next()).await;
    }

    // The honest person still edits, and a newcomer still sees it.
    honest.add_organisation("Sigue abierta", "ngo", "CL").await?;
    let mut newcomer = RustClient::connect_named(&server, &workspace, "newcomer").await?;
    newcomer.wait_for_organisation("Sigue abierta", PATIENCE).await?;
    Ok(())
}
