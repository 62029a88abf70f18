//! Criterion micro-benchmark of the hub's commonest message: a peer's
//! acknowledgement (a sync message without changes whose heads are what the
//! hub last sent), on workspaces with 1,000, 10,000 and 100,000 changes.
//!
//! - `automerge_receive`: `receive_sync_message` of automerge 0.12, which
//!   walks the change graph below the message's heads on every message;
//! - `hub_receive`: `DocumentHub::receive_checked`, which recognises the
//!   acknowledgement and settles the sync state without the walk.
//!
//! `cargo bench -p enlace-bench --bench sync` (add `-- --quick` for a short run).

use std::time::Duration;

use automerge::sync::{self, SyncDoc as _};
use automerge::transaction::Transactable as _;
use automerge::{Automerge, ROOT};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use enlace_bench::fixtures::workspace_with_changes;
use enlace_shared::PeerId;
use enlace_shared::sync::DocumentHub;

const PEER: u64 = 1;

/// Syncs `peer` with whatever sends messages, until neither side has more.
fn settle(
    mut server_send: impl FnMut() -> Vec<Vec<u8>>,
    mut server_receive: impl FnMut(Vec<u8>),
    peer: &mut Automerge,
    peer_state: &mut sync::State,
) -> Option<Vec<u8>> {
    let mut last_ack = None;
    for _ in 0..20 {
        let outgoing = server_send();
        if outgoing.is_empty() {
            break;
        }
        for data in outgoing {
            #[allow(clippy::expect_used)]
            peer.receive_sync_message(peer_state, sync::Message::decode(&data).expect("decode"))
                .expect("peer receives");
        }
        if let Some(reply) = peer.generate_sync_message(peer_state) {
            let bytes = reply.encode();
            last_ack = Some(bytes.clone());
            server_receive(bytes);
        }
    }
    last_ack
}

/// The server has just made one change and sent it; returns the peer's
/// acknowledgement of it, with the server side ready to receive it.
fn server_change(document: &mut Automerge) -> Vec<automerge::Change> {
    let before = document.get_heads();
    let mut transaction = document.transaction();
    #[allow(clippy::expect_used)]
    transaction.put(ROOT, "probe", "ack").expect("put");
    transaction.commit();
    document.get_changes(&before)
}

/// A peer holding `document` and the first message it sends: a joining
/// client speaks first.
fn joining_peer(document: &Automerge) -> (Automerge, sync::State, sync::Message) {
    let peer = document.fork();
    let mut state = sync::State::new();
    #[allow(clippy::expect_used)]
    let hello = peer.generate_sync_message(&mut state).expect("first message");
    (peer, state, hello)
}

fn acknowledgement(criterion: &mut Criterion) {
    let mut group = criterion.benchmark_group("acknowledgement");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(5));
    for changes in [1_000usize, 10_000, 100_000] {
        let document = workspace_with_changes(changes);

        // Plain automerge on both ends.
        let mut server = document.fork();
        let mut server_state = sync::State::new();
        let (mut peer, mut peer_state, hello) = joining_peer(&document);
        #[allow(clippy::expect_used)]
        server
            .receive_sync_message(&mut server_state, hello)
            .expect("receive");
        let _ = server_change(&mut server);
        let ack = {
            let server_cell = std::cell::RefCell::new((&mut server, &mut server_state));
            settle(
                || {
                    let mut cell = server_cell.borrow_mut();
                    let (document, state) = &mut *cell;
                    document
                        .generate_sync_message(state)
                        .map(|m| m.encode())
                        .into_iter()
                        .collect()
                },
                |bytes| {
                    let mut cell = server_cell.borrow_mut();
                    let (document, state) = &mut *cell;
                    #[allow(clippy::expect_used)]
                    document
                        .receive_sync_message(state, sync::Message::decode(&bytes).expect("decode"))
                        .expect("receive");
                },
                &mut peer,
                &mut peer_state,
            )
        };
        #[allow(clippy::expect_used)]
        let ack = ack.expect("the peer acknowledged");
        group.bench_with_input(
            BenchmarkId::new("automerge_receive", changes),
            &ack,
            |bencher, ack| {
                bencher.iter(|| {
                    let mut state = server_state.clone();
                    #[allow(clippy::expect_used)]
                    server
                        .receive_sync_message(&mut state, sync::Message::decode(ack).expect("decode"))
                        .expect("receive");
                    state
                });
            },
        );

        // The hub.
        let mut hub = DocumentHub::new(document.fork());
        hub.join(PEER, PeerId::new("peer"));
        let (mut peer, mut peer_state, hello) = joining_peer(&document);
        #[allow(clippy::expect_used)]
        hub.receive_checked(PEER, &hello.encode(), |_, _| Ok::<(), ()>(()))
            .expect("receive")
            .expect("accepted");
        let mut extra = hub.document().fork();
        #[allow(clippy::expect_used)]
        hub.apply_local(server_change(&mut extra)).expect("apply");
        let ack = {
            let hub_cell = std::cell::RefCell::new(&mut hub);
            settle(
                || {
                    hub_cell
                        .borrow_mut()
                        .outgoing()
                        .into_iter()
                        .map(|o| o.data)
                        .collect()
                },
                |bytes| {
                    #[allow(clippy::expect_used)]
                    hub_cell
                        .borrow_mut()
                        .receive_checked(PEER, &bytes, |_, _| Ok::<(), ()>(()))
                        .expect("receive")
                        .expect("accepted");
                },
                &mut peer,
                &mut peer_state,
            )
        };
        #[allow(clippy::expect_used)]
        let ack = ack.expect("the peer acknowledged");
        let before = hub.shortcut_acknowledgements();
        group.bench_with_input(BenchmarkId::new("hub_receive", changes), &ack, |bencher, ack| {
            bencher.iter(|| {
                #[allow(clippy::expect_used)]
                hub.receive_checked(PEER, ack, |_, _| Ok::<(), ()>(()))
                    .expect("receive")
                    .expect("accepted");
            });
        });
        assert!(
            hub.shortcut_acknowledgements() > before,
            "the hub took its acknowledgements the long way"
        );
    }
    group.finish();
}

criterion_group!(benches, acknowledgement);
criterion_main!(benches);
