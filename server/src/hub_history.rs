//! The timeline the hub writes at commit time, driven through [`Hubs`] with
//! real redb storage and the writer thread: it must equal a full replay of
//! the stored document (after compaction and a restart too), refused
//! attempts are kept, and their number is bounded.

use automerge::sync;
use enlace_shared::api::{EntryKind, HistoryQuery};
use enlace_shared::model::Authorship;
use enlace_shared::records::{self, Initial};
use enlace_shared::schema::Collection;

use super::*;
use crate::outbox::outbox;

fn principal(user_id: &str, role: Role) -> Principal {
    Principal {
        user_id: user_id.into(),
        display_name: user_id.to_uppercase(),
        organisation_id: Some(format!("org-of-{user_id}")),
        role,
    }
}

fn at(now_ms: i64) -> Authorship<'static> {
    Authorship {
        now_ms,
        author: "test",
    }
}

/// A sync message carrying `changes`.
fn carrying(changes: &[automerge::Change], heads: Vec<automerge::ChangeHash>) -> Vec<u8> {
    sync::Message {
        heads,
        need: Vec::new(),
        have: Vec::new(),
        changes: changes
            .iter()
            .map(|change| change.raw_bytes().to_vec())
            .collect::<Vec<_>>()
            .into(),
        flags: None,
        version: sync::MessageVersion::V1,
    }
    .encode()
}

/// The stored document, as a client that synced it would hold it.
fn stored_copy(storage: &Storage, document_id: DocumentId, actor: u8) -> Automerge {
    load_document(storage, document_id)
        .expect("loads")
        .expect("exists")
        .document
        .with_actor(automerge::ActorId::from([actor; 16]))
}

/// Sends the changes `edit` makes to `document` as one message from
/// `connection`.
async fn send(
    hub: &HubHandle,
    connection: ConnectionKey,
    who: &Principal,
    document: &mut Automerge,
    edit: impl FnOnce(&mut Automerge),
) {
    let before = document.get_heads();
    edit(document);
    let changes = document.get_changes(&before);
    hub.send(HubCommand::Sync {
        connection,
        data: carrying(&changes, document.get_heads()),
        principal: who.clone(),
    })
    .await
    .expect("hub running");
}

/// Waits until storage holds `receipts` receipts and `refused` refused attempts.
async fn stored(storage: &Storage, document_id: DocumentId, receipts: usize, refused: usize) {
    for _ in 0..2000 {
        let stored_receipts = storage.all_receipts(&document_id).expect("read").len();
        let stored_refused = storage
            .refused_attempts(&document_id, None, usize::MAX)
            .expect("read")
            .len();
        if stored_receipts >= receipts && stored_refused >= refused {
            assert_eq!((stored_receipts, stored_refused), (receipts, refused));
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    panic!("the hub did not commit {receipts} receipts and {refused} refused attempts");
}

#[tokio::test]
async fn the_timeline_written_at_commit_equals_a_replay_after_compaction_and_restart() {
    let directory = tempfile::tempdir().expect("tempdir");
    let storage = Storage::open(directory.path()).expect("open");
    let document_id = crate::workspaces::create_workspace(&storage, "MCIG", 1, false).expect("workspace");
    let first_receipts = storage.all_receipts(&document_id).expect("read").len();
    let (writer, writer_thread) = StorageWriter::start(storage.clone());
    let hubs = Hubs::new(
        storage.clone(),
        writer,
        PeerId::new("server"),
        HubLimits {
            max_queue_bytes: 1 << 20,
            inbound: InboundLimits::default(),
        },
    );
    let hub = hubs.get(document_id).await.expect("opens").expect("exists");
    let mut keep_open = Vec::new();
    for connection in [1, 2, 3] {
        let (outbox, receiver, orders) = outbox(1 << 20);
        keep_open.push((receiver, orders));
        hub.send(HubCommand::Join {
            connection,
            peer_id: PeerId::new(format!("peer-{connection}")),
            outbox,
        })
        .await
        .expect("hub running");
    }
    let ana = principal("ana", Role::Member);
    let ben = principal("ben", Role::Member);
    let mut anas = stored_copy(&storage, document_id, 1);
    // Ben's copy stays at the workspace's creation: his edit is concurrent.
    let mut bens = stored_copy(&storage, document_id, 2);

    let name = |text: &str| [("name", Initial::Text(text.into()))];
    send(&hub, 1, &ana, &mut anas, |document| {
        records::create_record(document, Collection::Organisations, "org-1", &name("GIZ"), &at(2))
            .expect("create");
    })
    .await;
    stored(&storage, document_id, first_receipts + 1, 0).await;
    // Two changes in one message.
    send(&hub, 1, &ana, &mut anas, |document| {
        records::set_text(
            document,
            Collection::Organisations,
            "org-1",
            "acronym",
            "GIZ",
            &at(3),
        )
        .expect("edit");
        records::set_deleted(document, Collection::Organisations, "org-1", true, &at(4)).expect("delete");
    })
    .await;
    stored(&storage, document_id, first_receipts + 3, 0).await;
    send(&hub, 2, &ben, &mut bens, |document| {
        records::create_record(
            document,
            Collection::Organisations,
            "org-2",
            &name("AECID"),
            &at(5),
        )
        .expect("create");
    })
    .await;
    stored(&storage, document_id, first_receipts + 4, 0).await;
    // An observer's attempt is refused and kept for the audit.
    let mut olgas = stored_copy(&storage, document_id, 3);
    send(
        &hub,
        3,
        &principal("olga", Role::Observer),
        &mut olgas,
        |document| {
            records::set_text(
                document,
                Collection::Organisations,
                "org-2",
                "name",
                "Olga's",
                &at(6),
            )
            .expect("edit");
        },
    )
    .await;
    stored(&storage, document_id, first_receipts + 4, 1).await;
    // The next edit, on the current heads (the hub's plain-read path).
    let mut anas = stored_copy(&storage, document_id, 1);
    send(&hub, 1, &ana, &mut anas, |document| {
        records::set_deleted(document, Collection::Organisations, "org-1", false, &at(7)).expect("restore");
    })
    .await;
    stored(&storage, document_id, first_receipts + 5, 1).await;

    let newest = storage
        .history_page(&document_id, &HistoryQuery::default(), 5)
        .expect("page");
    let kinds: Vec<(String, EntryKind)> = newest
        .entries
        .iter()
        .map(|entry| (entry.records[0].record_id.clone(), entry.records[0].kind))
        .collect();
    assert_eq!(
        kinds,
        [
            ("org-1".to_owned(), EntryKind::Restored),
            ("org-2".to_owned(), EntryKind::Created),
            ("org-1".to_owned(), EntryKind::Deleted),
            ("org-1".to_owned(), EntryKind::Edited),
            ("org-1".to_owned(), EntryKind::Created),
        ]
    );
    assert_eq!(newest.entries[0].receipt.user_id, "ana");
    assert_eq!(
        newest.entries[0].heads_after,
        stored_copy(&storage, document_id, 9)
            .get_heads()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    );
    let refused = storage.refused_attempts(&document_id, None, 10).expect("read");
    assert_eq!(
        (refused[0].user_id.as_str(), refused[0].refusal.as_deref()),
        ("olga", Some(Refusal::ReadOnlyRole.code()))
    );
    assert_eq!(refused[0].messages, ["edit organisation AECID: name"]);
    assert_eq!(refused[0].change_hashes.len(), 1);

    // Compaction, then a restart.
    let written_at_commit = storage.history_rows(&document_id).expect("rows");
    let snapshot = stored_copy(&storage, document_id, 9).save();
    let next_seq = storage.load_document(&document_id).expect("load").next_seq;
    storage
        .compact(&document_id, &snapshot, next_seq)
        .expect("compact");
    drop((hub, keep_open));
    hubs.shut_down().await;
    drop(hubs);
    writer_thread.join().expect("the writer stops");
    drop(storage);
    let storage = Storage::open(directory.path()).expect("reopen");
    assert!(
        storage
            .load_document(&document_id)
            .expect("load")
            .changes
            .is_empty()
    );
    assert_eq!(
        storage.history_rows(&document_id).expect("rows"),
        written_at_commit
    );
    assert!(!storage.history_incomplete(&document_id).expect("read"));
    crate::history::rebuild(&storage, document_id).expect("rebuild");
    assert_eq!(
        storage.history_rows(&document_id).expect("rows"),
        written_at_commit,
        "the indexes written at commit equal a full replay"
    );
}

#[test]
fn refused_attempts_are_bounded_per_document() {
    let directory = tempfile::tempdir().expect("tempdir");
    let storage = Storage::open(directory.path()).expect("open");
    let document_id = DocumentId::from_bytes([4; 16]);
    let attempt = RefusedAttempt {
        seq: 0,
        at_ms: 1,
        user_id: "olga".into(),
        user_name: "Olga".into(),
        user_email: None,
        organisation_id: None,
        role: Role::Observer,
        refusal: Some(Refusal::ReadOnlyRole.code().into()),
        place: "organisations/x".into(),
        change_hashes: Vec::new(),
        messages: Vec::new(),
    };
    let batch = usize::try_from(crate::storage::MAX_REFUSED_PER_DOCUMENT / 4).expect("fits");
    for _ in 0..5 {
        let mut append = AppendRequest::changes_only(document_id, Vec::new());
        append.refused = vec![attempt.clone(); batch];
        storage.append_changes(&[append]).expect("append");
    }
    let kept = storage
        .refused_attempts(&document_id, None, usize::MAX)
        .expect("read");
    assert_eq!(kept.len() as u64, crate::storage::MAX_REFUSED_PER_DOCUMENT);
    let newest = 5 * batch as u64 - 1;
    assert_eq!(kept[0].seq, newest);
    assert_eq!(
        kept.last().map(|oldest| oldest.seq),
        Some(newest + 1 - crate::storage::MAX_REFUSED_PER_DOCUMENT)
    );
}
