//! Group commit: one thread owns write transactions; changes that arrive
//! while a commit is under way are committed together in the next one.

use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;

use enlace_shared::DocumentId;
use tokio::sync::oneshot;

use super::{AppendRequest, Storage, StorageError};

/// What a successful durable append reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteReceipt {
    /// The sequence number the document's next change will get.
    pub next_seq: u64,
    /// How many requests shared the transaction (1 = no grouping).
    pub group_size: usize,
}

struct WriteRequest {
    append: AppendRequest,
    reply: oneshot::Sender<Result<WriteReceipt, StorageError>>,
}

/// The most requests folded into one transaction.
const MAX_GROUP: usize = 1024;

/// A cloneable handle to the writer thread.
#[derive(Clone)]
pub struct StorageWriter {
    requests: std_mpsc::Sender<WriteRequest>,
}

impl StorageWriter {
    /// Starts the writer thread. It stops once every handle is dropped and
    /// every queued request has been committed (or failed).
    pub fn start(storage: Storage) -> (Self, JoinHandle<()>) {
        let (requests, receiver) = std_mpsc::channel::<WriteRequest>();
        let thread = std::thread::Builder::new()
            .name("enlace-storage-writer".into())
            .spawn(move || run_writer(&storage, &receiver))
            // Invariant: spawning fails only when the OS is out of threads at start-up.
            .unwrap_or_else(|error| panic!("cannot start the storage writer thread: {error}"));
        (Self { requests }, thread)
    }

    /// Appends `changes` durably; resolves once the transaction has committed.
    pub async fn append(
        &self,
        document_id: DocumentId,
        changes: Vec<Vec<u8>>,
    ) -> Result<WriteReceipt, StorageError> {
        self.append_with(AppendRequest::changes_only(document_id, changes))
            .await
    }

    /// Appends changes with their actor bindings and receipts, durably.
    pub async fn append_with(&self, append: AppendRequest) -> Result<WriteReceipt, StorageError> {
        let (reply, receipt) = oneshot::channel();
        self.requests
            .send(WriteRequest { append, reply })
            .map_err(|_| StorageError::WriterStopped)?;
        receipt.await.map_err(|_| StorageError::WriterStopped)?
    }
}

fn run_writer(storage: &Storage, receiver: &std_mpsc::Receiver<WriteRequest>) {
    while let Ok(first) = receiver.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match receiver.try_recv() {
                Ok(request) => group.push(request),
                Err(_) => break,
            }
        }
        let group_size = group.len();
        let (batch, replies): (Vec<AppendRequest>, Vec<_>) = group
            .into_iter()
            .map(|request| (request.append, request.reply))
            .unzip();
        match storage.append_changes(&batch) {
            Ok(next_seqs) => {
                for (reply, next_seq) in replies.into_iter().zip(next_seqs) {
                    // A requester that gave up waiting is not an error here.
                    let _ = reply.send(Ok(WriteReceipt { next_seq, group_size }));
                }
            }
            Err(error) => {
                tracing::error!(%error, group_size, "group commit failed; nothing in it was acknowledged");
                let message = error.to_string();
                for reply in replies {
                    let _ = reply.send(Err(StorageError::CommitFailed(message.clone())));
                }
            }
        }
    }
}
