//! Questions asked of the whole document: two moments compared (or not
//! yet, when the document lacks one), reports as generated now.

use automerge::{ActorId, Automerge, ChangeHash};
use enlace_shared::language::Language;
use enlace_shared::model::{self, Authorship};
use enlace_shared::query::{Answer, Query};
use enlace_shared::records::{self, Initial};
use enlace_shared::schema::Collection;
use enlace_shared::timetravel::RecordStatus;

const ANA: Authorship<'static> = Authorship {
    now_ms: 1_700_000_000_000,
    author: "Ana",
};

fn workspace() -> Automerge {
    let mut document = Automerge::new().with_actor(ActorId::from(vec![6u8; 16]));
    model::create_workspace(&mut document, "MCIG", 1).expect("workspace");
    document
}

#[test]
fn comparing_two_moments_lists_what_changed_and_waits_for_unknown_heads() {
    let mut document = workspace();
    let empty = document.get_heads();
    records::create_record(
        &mut document,
        Collection::Organisations,
        "giz",
        &[("name", Initial::Text("GIZ".into()))],
        &ANA,
    )
    .expect("create");
    let Answer::Compare(Some(diffs)) = Query::Compare {
        before: empty.clone(),
        after: None,
    }
    .answer(&document) else {
        panic!("both moments are known");
    };
    assert_eq!(diffs.len(), 1);
    assert_eq!(diffs[0].record_id, "giz");
    assert_eq!(diffs[0].status, RecordStatus::Added);
    let unknown = Query::Compare {
        before: empty,
        after: Some(vec![ChangeHash([9; 32])]),
    };
    assert!(matches!(unknown.answer(&document), Answer::Compare(None)));
}

#[test]
fn a_report_that_does_not_exist_is_said_so() {
    let document = workspace();
    let query = Query::Report {
        id: "r1".into(),
        language: Language::Spanish,
    };
    assert!(matches!(
        query.answer(&document),
        Answer::Report(Err(problem)) if problem.not_synced && problem.message == "Este informe no existe."
    ));
}
