//! The hub when storage fails or the hub itself panics, driven through
//! [`Hubs`] with real redb storage and the writer thread; the faults come
//! from the storage's test-only switches.

use std::sync::atomic::Ordering;

use automerge::sync;
use enlace_shared::model::Authorship;
use enlace_shared::records::{self, Initial};
use enlace_shared::schema::Collection;

use super::*;
use crate::outbox::{CloseOrder, CloseOrders, OutboxReceiver, outbox};

struct Setup {
    _directory: tempfile::TempDir,
    storage: Storage,
    hubs: Hubs,
    document_id: DocumentId,
}

fn setup() -> Setup {
    let directory = tempfile::tempdir().expect("tempdir");
    let storage = Storage::open(directory.path()).expect("open");
    let document_id =
        crate::workspaces::create_workspace(&storage, "MCIG", 1, false).expect("first workspace");
    let (writer, _thread) = StorageWriter::start(storage.clone());
    let hubs = Hubs::new(
        storage.clone(),
        writer,
        PeerId::new("server"),
        crate::hub::HubLimits {
            max_queue_bytes: 1 << 20,
            inbound: enlace_shared::sync::InboundLimits::default(),
        },
    );
    Setup {
        _directory: directory,
        storage,
        hubs,
        document_id,
    }
}

fn secretariat() -> Principal {
    Principal {
        user_id: "ana".into(),
        display_name: "Ana".into(),
        organisation_id: None,
        role: Role::Secretariat,
    }
}

/// A sync message carrying one new organisation, made on top of what is stored.
fn new_organisation(storage: &Storage, document_id: DocumentId) -> (Vec<u8>, automerge::ChangeHash) {
    let stored = storage.load_document(&document_id).expect("load");
    let mut document = Automerge::new();
    document
        .load_incremental(&stored.changes.concat())
        .expect("stored changes load");
    let before = document.get_heads();
    let mut document = document.with_actor(automerge::ActorId::from([7; 16]));
    let name = [("name", Initial::Text("GIZ".into()))];
    let authorship = Authorship {
        now_ms: 2,
        author: "ana",
    };
    records::create_record(
        &mut document,
        Collection::Organisations,
        "org-1",
        &name,
        &authorship,
    )
    .expect("record");
    let changes = document.get_changes(&before);
    let hash = changes[0].hash();
    let message = sync::Message {
        heads: document.get_heads(),
        need: Vec::new(),
        have: Vec::new(),
        changes: changes
            .iter()
            .map(|change| change.raw_bytes().to_vec())
            .collect::<Vec<_>>()
            .into(),
        flags: None,
        version: sync::MessageVersion::V1,
    };
    (message.encode(), hash)
}

async fn joined(hub: &HubHandle, connection: ConnectionKey) -> (OutboxReceiver, CloseOrders) {
    let (outbox, receiver, orders) = outbox(1 << 20);
    hub.send(HubCommand::Join {
        connection,
        peer_id: PeerId::new(format!("peer-{connection}")),
        outbox,
    })
    .await
    .expect("hub running");
    (receiver, orders)
}

/// Every sync message queued for a connection, decoded.
async fn queued_syncs(receiver: &mut OutboxReceiver) -> Vec<sync::Message> {
    let mut syncs = Vec::new();
    while let Ok(Some(message)) =
        tokio::time::timeout(std::time::Duration::from_millis(1), receiver.recv()).await
    {
        if let ToConnection::Send(Message::Sync { data, .. }) = message {
            syncs.push(sync::Message::decode(&data).expect("sync message"));
        }
    }
    syncs
}

#[tokio::test]
async fn a_failed_commit_that_cannot_be_reloaded_stops_the_hub_and_fails_health() {
    let Setup {
        _directory,
        storage,
        hubs,
        document_id,
    } = setup();
    let hub = hubs.get(document_id).await.expect("opens").expect("exists");
    let writer_peer = joined(&hub, 1).await;
    let reader_peer = joined(&hub, 2).await;
    assert_eq!(crate::http::health_of(&hubs).0, axum::http::StatusCode::OK);

    // The disk fills up and the database can no longer be read.
    let (data, hash) = new_organisation(&storage, document_id);
    storage.faults().fail_commits.store(true, Ordering::SeqCst);
    storage.faults().fail_loads.store(true, Ordering::SeqCst);
    hub.send(HubCommand::Sync {
        connection: 1,
        data,
        principal: secretariat(),
    })
    .await
    .expect("hub running");

    for (mut receiver, mut orders) in [writer_peer, reader_peer] {
        let order: CloseOrder = tokio::time::timeout(std::time::Duration::from_secs(10), orders.closed())
            .await
            .expect("the peer is closed");
        assert_eq!(order.code, close::INTERNAL_ERROR, "{order:?}");
        for message in queued_syncs(&mut receiver).await {
            assert!(
                !message.heads.contains(&hash) && message.changes.is_empty(),
                "the unstored change was announced"
            );
        }
    }
    let (status, body) = crate::http::health_of(&hubs);
    assert_eq!(status, axum::http::StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains(&document_id.to_string()), "{body}");

    // Storage works again: the document reopens with what was committed only.
    storage.faults().fail_commits.store(false, Ordering::SeqCst);
    storage.faults().fail_loads.store(false, Ordering::SeqCst);
    let hub = hubs.get(document_id).await.expect("opens").expect("exists");
    let (mut peer, _orders) = joined(&hub, 3).await;
    hub.send(HubCommand::Sync {
        connection: 3,
        data: sync::Message {
            heads: Vec::new(),
            need: Vec::new(),
            have: vec![sync::Have::default()],
            changes: Vec::<Vec<u8>>::new().into(),
            flags: None,
            version: sync::MessageVersion::V1,
        }
        .encode(),
        principal: secretariat(),
    })
    .await
    .expect("the reopened hub runs");
    let answer = tokio::time::timeout(std::time::Duration::from_secs(10), peer.recv())
        .await
        .expect("an answer")
        .expect("outbox open");
    let ToConnection::Send(Message::Sync { data, .. }) = answer else {
        panic!("expected a sync message, got {answer:?}");
    };
    let answer = sync::Message::decode(&data).expect("sync message");
    assert!(!answer.heads.contains(&hash), "the unstored change survived");
    assert_eq!(crate::http::health_of(&hubs).0, axum::http::StatusCode::OK);
}

#[tokio::test]
async fn a_hub_that_panics_closes_its_peers_and_reopens_on_next_use() {
    let Setup {
        _directory,
        storage: _,
        hubs,
        document_id,
    } = setup();
    let hub = hubs.get(document_id).await.expect("opens").expect("exists");
    let (_receiver, mut orders) = joined(&hub, 1).await;
    hub.send(HubCommand::Crash).await.expect("hub running");
    let order = tokio::time::timeout(std::time::Duration::from_secs(10), orders.closed())
        .await
        .expect("the peer is closed");
    assert_eq!(order.code, close::INTERNAL_ERROR, "{order:?}");

    let hub = hubs.get(document_id).await.expect("opens").expect("exists");
    let (mut peer, _orders) = joined(&hub, 2).await;
    hub.send(HubCommand::Sync {
        connection: 2,
        data: sync::Message {
            heads: Vec::new(),
            need: Vec::new(),
            have: vec![sync::Have::default()],
            changes: Vec::<Vec<u8>>::new().into(),
            flags: None,
            version: sync::MessageVersion::V1,
        }
        .encode(),
        principal: secretariat(),
    })
    .await
    .expect("the reopened hub runs");
    let answer = tokio::time::timeout(std::time::Duration::from_secs(10), peer.recv())
        .await
        .expect("an answer")
        .expect("outbox open");
    assert!(
        matches!(answer, ToConnection::Send(Message::Sync { .. })),
        "{answer:?}"
    );
}

#[test]
fn a_hub_busy_with_a_heavy_message_leaves_the_async_thread_free() {
    let (release, blocked) = std::sync::mpsc::channel::<()>();
    let (done, finished) = std::sync::mpsc::channel::<()>();
    // One async thread: if the hub handled commands on it, nothing else could run.
    let runtime = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let Setup {
                _directory,
                storage: _,
                hubs,
                document_id,
            } = setup();
            let hub = hubs.get(document_id).await.expect("opens").expect("exists");
            hub.send(HubCommand::Block(blocked)).await.expect("hub running");
            // Let the hub start on the command, then show other work still runs.
            for _ in 0..10 {
                tokio::task::yield_now().await;
            }
            tokio::spawn(async {}).await.expect("another task ran");
            let _ = done.send(());
        });
    });
    let outcome = finished.recv_timeout(std::time::Duration::from_secs(20));
    let _ = release.send(());
    let _ = runtime.join();
    assert!(outcome.is_ok(), "the hub's work held the only async thread");
}

#[tokio::test]
async fn the_hub_queue_is_bounded_by_bytes() {
    let (sender, mut receiver) = mpsc::channel(COMMAND_QUEUE);
    let handle = HubHandle {
        sender,
        bytes: Arc::new(Semaphore::new(1000)),
        max_bytes: 1000,
    };
    let sync = |bytes: usize| HubCommand::Sync {
        connection: 1,
        data: vec![0; bytes],
        principal: secretariat(),
    };
    use futures_util::FutureExt as _;
    handle.send(sync(800)).await.expect("queued");
    assert!(
        handle.send(sync(800)).now_or_never().is_none(),
        "a second message past the byte budget waits"
    );
    let waiting = tokio::spawn({
        let handle = handle.clone();
        async move { handle.send(sync(800)).await }
    });
    drop(receiver.recv().await.expect("the first command"));
    waiting
        .await
        .expect("task")
        .expect("queued once the first was handled");
    // A message larger than the whole budget still gets through, alone.
    drop(receiver.recv().await.expect("the second command"));
    handle.send(sync(5000)).await.expect("queued");
}
