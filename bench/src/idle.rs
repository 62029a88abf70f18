//! Memory per idle connection: many peers join one document, sync it, and
//! then sit still. The server's resident memory before and after, divided by
//! the number of peers, is what each idle connection costs.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use automerge::Automerge;
use enlace_shared::protocol::Message;
use enlace_shared::sync::{Input, PeerSession};
use enlace_shared::{DocumentId, PeerId};
use futures_util::{SinkExt as _, StreamExt as _};
use serde::{Deserialize, Serialize};
use tokio::sync::{Semaphore, watch};
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::load::{Socket, connect};
use crate::process;
use crate::random_u64;

/// What the idle-connection measurement found.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdleReport {
    pub peers: usize,
    pub rss_mib_before: f64,
    pub rss_mib_after: f64,
    /// (after − before) / peers.
    pub kib_per_connection: f64,
    pub connect_s: f64,
}

impl IdleReport {
    pub fn human_line(&self) -> String {
        format!(
            "{} idle peers: server rss {:.1} → {:.1} MiB, {:.1} KiB per connection (connected in {:.1} s)",
            self.peers, self.rss_mib_before, self.rss_mib_after, self.kib_per_connection, self.connect_s
        )
    }
}

/// Joins `peers` idle peers to `document_id` on the server with process `pid`.
pub async fn measure(
    ws_url: &str,
    bearer_token: Option<&str>,
    document_id: DocumentId,
    peers: usize,
    pid: u32,
) -> anyhow::Result<IdleReport> {
    let settle = Duration::from_secs(2);
    tokio::time::sleep(settle).await;
    let before = process::read(pid).ok_or_else(|| anyhow!("cannot read /proc/{pid}"))?;
    let started = std::time::Instant::now();
    let permits = Arc::new(Semaphore::new(32));
    let (stop_sender, stop) = watch::channel(false);
    let (synced_sender, mut synced) = tokio::sync::mpsc::unbounded_channel::<anyhow::Result<()>>();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..peers {
        let permits = permits.clone();
        let url = ws_url.to_owned();
        let token = bearer_token.map(str::to_owned);
        let mut stop = stop.clone();
        let synced = synced_sender.clone();
        tasks.spawn(async move {
            let connected = {
                let _permit = permits.acquire().await;
                join_and_sync(&url, token.as_deref(), document_id).await
            };
            match connected {
                Ok(mut socket) => {
                    let _ = synced.send(Ok(()));
                    // Stay connected, answering nothing, until told to stop.
                    loop {
                        tokio::select! {
                            _ = stop.wait_for(|stopped| *stopped) => break,
                            frame = socket.next() => if frame.is_none() { break },
                        }
                    }
                    let _ = socket.close(None).await;
                }
                Err(error) => {
                    let _ = synced.send(Err(error));
                }
            }
        });
    }
    drop(synced_sender);
    for _ in 0..peers {
        synced
            .recv()
            .await
            .ok_or_else(|| anyhow!("an idle peer vanished"))?
            .context("an idle peer could not sync")?;
    }
    let connect_s = started.elapsed().as_secs_f64();
    tokio::time::sleep(settle).await;
    let after = process::read(pid).ok_or_else(|| anyhow!("cannot read /proc/{pid}"))?;
    let _ = stop_sender.send(true);
    while tasks.join_next().await.is_some() {}
    let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    Ok(IdleReport {
        peers,
        rss_mib_before: mib(before.rss_bytes),
        rss_mib_after: mib(after.rss_bytes),
        kib_per_connection: (after.rss_bytes as f64 - before.rss_bytes as f64) / 1024.0 / peers.max(1) as f64,
        connect_s,
    })
}

async fn join_and_sync(
    url: &str,
    bearer_token: Option<&str>,
    document_id: DocumentId,
) -> anyhow::Result<Socket> {
    let mut socket = connect(url, bearer_token).await?;
    let mut session = PeerSession::new(PeerId::new(format!("enlace-idle-{:016x}", random_u64())));
    let mut outgoing = session.handle(0, Input::Connected)?.send;
    outgoing.extend(session.open(document_id, Automerge::new()));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        for message in outgoing.drain(..) {
            socket.send(WsMessage::Binary(message.encode().into())).await?;
        }
        if session.is_in_sync(&document_id) {
            return Ok(socket);
        }
        let frame = tokio::time::timeout_at(deadline, socket.next())
            .await
            .map_err(|_| anyhow!("timed out syncing"))?
            .ok_or_else(|| anyhow!("closed while syncing"))??;
        if let WsMessage::Binary(bytes) = frame {
            outgoing = session.handle(0, Input::Received(Message::decode(&bytes)?))?.send;
        }
    }
}
