//! Saved map views: what is saved is what is read back, and a view is the
//! presidency's and the secretariat's to save.

use automerge::{ActorId, Automerge};
use enlace_shared::graph::MapFilter;
use enlace_shared::layout::Point;
use enlace_shared::map_view::{SavedView, save_view};
use enlace_shared::model::{self, Authorship};
use enlace_shared::records;
use enlace_shared::roles::{Capability, Role, allows};
use enlace_shared::schema::Collection;

fn by() -> Authorship<'static> {
    Authorship {
        now_ms: 1_700_000_000_000,
        author: "Presidencia",
    }
}

#[test]
fn a_saved_view_reads_back_its_filters_and_pins() {
    let mut document = Automerge::new().with_actor(ActorId::from(vec![1u8; 16]));
    model::create_workspace(&mut document, "MCIG", 1).expect("workspace");
    let filter = MapFilter {
        line: "line-1".into(),
        status: "signed".into(),
        membership: "member".into(),
        from: "2020-07-01".into(),
        to: "2021-06-30".into(),
        ..MapFilter::default()
    };
    let pins = vec![
        ("organisations/o1".to_owned(), Point { x: 12.5, y: -40.0 }),
        ("alliances/a1".to_owned(), Point { x: -3.0, y: 7.26 }),
    ];
    let mut next = 0;
    let mut new_id = || {
        next += 1;
        format!("item{next}")
    };
    save_view(
        &mut document,
        ("v1", "Paz 2020–2021"),
        &filter,
        &pins,
        &mut new_id,
        &by(),
    )
    .expect("save");
    let record = records::read_one(&document, Collection::MapViews, "v1").expect("the view");
    let view = SavedView::from_record(&record);
    assert_eq!(view.name, "Paz 2020–2021");
    assert_eq!(view.filter, filter);
    // Places are kept to a tenth.
    assert_eq!(
        view.pins,
        vec![
            ("organisations/o1".to_owned(), Point { x: 12.5, y: -40.0 }),
            ("alliances/a1".to_owned(), Point { x: -3.0, y: 7.3 }),
        ]
    );
    // Its line is checked like any reference (this one names no record).
    let issues = enlace_shared::validation::validate_all([&record]);
    assert_eq!(
        issues.iter().map(|issue| issue.field).collect::<Vec<_>>(),
        ["line"]
    );
}

#[test]
fn a_pin_that_does_not_read_as_a_place_is_left_out() {
    let mut document = Automerge::new().with_actor(ActorId::from(vec![2u8; 16]));
    model::create_workspace(&mut document, "MCIG", 1).expect("workspace");
    let mut new_id = || "p1".to_owned();
    save_view(
        &mut document,
        ("v1", "Vista"),
        &MapFilter::default(),
        &[("organisations/o1".to_owned(), Point { x: 1.0, y: 2.0 })],
        &mut new_id,
        &by(),
    )
    .expect("save");
    let at = records::ItemAt {
        collection: Collection::MapViews,
        record_id: "v1",
        field: "pinned",
        item_id: "p1",
    };
    records::set_item_field(&mut document, at, "x", "NaN", &by()).expect("edit");
    let view =
        SavedView::from_record(&records::read_one(&document, Collection::MapViews, "v1").expect("view"));
    assert!(view.pins.is_empty(), "{:?}", view.pins);
}

#[test]
fn the_presidency_and_the_secretariat_save_views_members_do_not() {
    let capability = Collection::MapViews.edit_capability();
    assert_eq!(capability, Capability::EditPresidencyAndWorkplan);
    assert!(allows(Role::Presidency, capability) && allows(Role::Secretariat, capability));
    assert!(!allows(Role::Member, capability) && !allows(Role::Observer, capability));
}
