//! A connection's outbox: what hubs send it, bounded by count and by bytes,
//! and a way to close the connection that does not go through the queue.
//!
//! Hubs never wait on an outbox (`try_send`); a connection that stops reading
//! fills it, and the hub then closes it with [`Outbox::close`], which the
//! connection's task sees at once even while it is stuck writing to its socket.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use enlace_shared::DocumentId;
use enlace_shared::protocol::Message;
use enlace_shared::refusal::Refusal;
use tokio::sync::{mpsc, watch};

/// What a hub tells a connection. Closing goes around the queue
/// ([`Outbox::close`]), so that a full outbox cannot swallow it.
#[derive(Debug)]
pub enum ToConnection {
    Send(Message),
    /// These changes were refused and never applied; tell the peer.
    Rejected {
        document_id: DocumentId,
        change_hashes: Vec<String>,
        /// An English sentence: which edit, and why.
        reason: String,
        /// Why, for the client to say in the person's language; `None` when
        /// the server could not decide (a storage failure).
        refusal: Option<Refusal>,
    },
}

/// How many messages may wait for one connection.
const OUTBOX_LENGTH: usize = 256;

/// Bytes counted for a message beyond its payload (CBOR fields, ids).
const MESSAGE_OVERHEAD_BYTES: usize = 128;

/// Why a connection is being closed from outside its task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseOrder {
    pub code: u16,
    pub reason: String,
}

/// Why a message could not be queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotQueued {
    /// Too many messages or bytes already wait: the peer is not reading.
    Full,
    /// The connection has ended.
    Closed,
}

#[derive(Debug)]
struct Shared {
    queued_bytes: AtomicUsize,
    max_bytes: usize,
    close: watch::Sender<Option<CloseOrder>>,
}

/// The sending side, held by hubs (cheap to clone).
#[derive(Debug, Clone)]
pub struct Outbox {
    sender: mpsc::Sender<(ToConnection, usize)>,
    shared: Arc<Shared>,
}

/// The receiving side, owned by the connection's task.
pub struct OutboxReceiver {
    receiver: mpsc::Receiver<(ToConnection, usize)>,
    shared: Arc<Shared>,
}

/// Where the connection's task learns that it must close.
pub struct CloseOrders {
    close: watch::Receiver<Option<CloseOrder>>,
}

/// A new outbox holding at most `max_bytes` of queued messages.
pub fn outbox(max_bytes: usize) -> (Outbox, OutboxReceiver, CloseOrders) {
    let (sender, receiver) = mpsc::channel(OUTBOX_LENGTH);
    let (close, close_receiver) = watch::channel(None);
    let shared = Arc::new(Shared {
        queued_bytes: AtomicUsize::new(0),
        max_bytes,
        close,
    });
    (
        Outbox {
            sender,
            shared: Arc::clone(&shared),
        },
        OutboxReceiver { receiver, shared },
        CloseOrders {
            close: close_receiver,
        },
    )
}

/// The bytes a message is counted as.
fn weight(message: &ToConnection) -> usize {
    use enlace_shared::protocol::Message;
    let payload = match message {
        ToConnection::Send(Message::Sync { data, .. } | Message::Ephemeral { data, .. }) => data.len(),
        ToConnection::Send(_) => 0,
        ToConnection::Rejected {
            change_hashes,
            reason,
            ..
        } => change_hashes.len() * 64 + reason.len(),
    };
    payload + MESSAGE_OVERHEAD_BYTES
}

impl Outbox {
    /// Queues a message without waiting.
    pub fn try_send(&self, message: ToConnection) -> Result<(), NotQueued> {
        if self.shared.close.borrow().is_some() {
            return Err(NotQueued::Closed);
        }
        let bytes = weight(&message);
        let before = self.shared.queued_bytes.fetch_add(bytes, Ordering::AcqRel);
        // One message is always let through, however large: a first sync of
        // a big document must reach an idle connection.
        if before > 0 && before + bytes > self.shared.max_bytes {
            self.shared.queued_bytes.fetch_sub(bytes, Ordering::AcqRel);
            return Err(NotQueued::Full);
        }
        self.sender.try_send((message, bytes)).map_err(|error| {
            self.shared.queued_bytes.fetch_sub(bytes, Ordering::AcqRel);
            match error {
                mpsc::error::TrySendError::Full(_) => NotQueued::Full,
                mpsc::error::TrySendError::Closed(_) => NotQueued::Closed,
            }
        })
    }

    /// Closes the connection with `code`, ahead of anything queued. The
    /// first order wins.
    pub fn close(&self, code: u16, reason: impl Into<String>) {
        let reason = reason.into();
        self.shared.close.send_if_modified(|order| {
            if order.is_some() {
                return false;
            }
            *order = Some(CloseOrder { code, reason });
            true
        });
    }
}

impl OutboxReceiver {
    /// The next queued message (`None` once every sender is gone).
    pub async fn recv(&mut self) -> Option<ToConnection> {
        let (message, bytes) = self.receiver.recv().await?;
        self.shared.queued_bytes.fetch_sub(bytes, Ordering::AcqRel);
        Some(message)
    }
}

impl CloseOrders {
    /// Resolves when someone ordered this connection closed.
    pub async fn closed(&mut self) -> CloseOrder {
        loop {
            if let Some(order) = self.close.borrow_and_update().clone() {
                return order;
            }
            if self.close.changed().await.is_err() {
                // The last outbox is gone: nobody can order a close any more.
                std::future::pending::<()>().await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use enlace_shared::protocol::Message;
    use enlace_shared::{DocumentId, PeerId};

    use super::*;

    fn presence(bytes: usize) -> ToConnection {
        ToConnection::Send(Message::Ephemeral {
            sender_id: PeerId::new("a"),
            target_id: PeerId::new("b"),
            count: 1,
            session_id: "s".into(),
            document_id: DocumentId::from_bytes([1; 16]),
            data: vec![0; bytes],
            enlace_sender: None,
        })
    }

    #[tokio::test]
    async fn the_outbox_is_bounded_by_bytes_and_frees_them_as_they_leave() {
        let (outbox, mut receiver, _orders) = outbox(10_000);
        assert_eq!(outbox.try_send(presence(4000)), Ok(()));
        assert_eq!(outbox.try_send(presence(4000)), Ok(()));
        assert_eq!(outbox.try_send(presence(4000)), Err(NotQueued::Full));
        assert!(receiver.recv().await.is_some());
        assert_eq!(outbox.try_send(presence(4000)), Ok(()));
    }

    #[tokio::test]
    async fn one_large_message_passes_an_empty_outbox() {
        let (outbox, _receiver, _orders) = outbox(1000);
        assert_eq!(outbox.try_send(presence(50_000)), Ok(()));
        assert_eq!(outbox.try_send(presence(10)), Err(NotQueued::Full));
    }

    #[tokio::test]
    async fn a_close_order_skips_the_queue() {
        let (outbox, _receiver, mut orders) = outbox(10_000);
        outbox.try_send(presence(10)).expect("queued");
        outbox.close(1013, "slow");
        outbox.close(1011, "later orders lose");
        assert_eq!(
            orders.closed().await,
            CloseOrder {
                code: 1013,
                reason: "slow".into()
            }
        );
        assert_eq!(outbox.try_send(presence(10)), Err(NotQueued::Closed));
    }
}
