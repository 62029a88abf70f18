//! Documents the micro-benchmarks share.

use automerge::transaction::Transactable as _;
use automerge::{ActorId, Automerge, ObjType, ROOT, ReadDoc as _};
use enlace_shared::schema::Collection;

/// A workspace document with `changes` small record edits by ten actors.
pub fn workspace_with_changes(changes: usize) -> Automerge {
    let mut document = Automerge::new();
    #[allow(clippy::expect_used)]
    enlace_shared::model::create_workspace(&mut document, "bench", 0).expect("workspace");
    let Ok(Some((_, organisations))) = document.get(ROOT, Collection::Organisations.key()) else {
        panic!("the workspace has no organisations map")
    };
    let mut records = Vec::new();
    for index in 0..100u32 {
        #[allow(clippy::expect_used)]
        let mut transaction = document.transaction();
        #[allow(clippy::expect_used)]
        let record = transaction
            .put_object(&organisations, format!("org-{index:03}"), ObjType::Map)
            .expect("record");
        #[allow(clippy::expect_used)]
        transaction
            .put(&record, "name", format!("Organisation {index}"))
            .expect("put");
        transaction.commit();
        records.push(record);
    }
    let actors: Vec<ActorId> = (0..10u8).map(|index| ActorId::from([index + 1; 16])).collect();
    for edit in 0..changes.saturating_sub(101) {
        document.set_actor(actors[edit % actors.len()].clone());
        let mut transaction = document.transaction();
        #[allow(clippy::expect_used)]
        transaction
            .put(&records[edit % records.len()], "country", format!("edit {edit}"))
            .expect("put");
        transaction.commit();
    }
    document
}
