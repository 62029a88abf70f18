//! The whole roundtable's mapping onto the document: every collection to and
//! from Automerge, every validation rule, concurrent typing, random
//! multi-peer interleavings, and the demo roundtable's published facts.

use automerge::{ActorId, Automerge};
use enlace_shared::Language;
use enlace_shared::demo;
use enlace_shared::model::{self, Authorship};
use enlace_shared::records::{self, FieldValue, Initial, Item, ItemAt, Record};
use enlace_shared::schema::{Collection, FieldKind};
use enlace_shared::validation::{self, Problem};
use proptest::prelude::*;

fn by(author: &str) -> Authorship<'_> {
    Authorship {
        now_ms: 1_700_000_000_000,
        author,
    }
}

fn workspace() -> Automerge {
    let mut document = Automerge::new().with_actor(ActorId::from(vec![0u8; 16]));
    model::create_workspace(&mut document, "MCIG", 1).expect("workspace");
    document
}

fn text(value: &str) -> Initial {
    Initial::Text(value.to_owned())
}

/// A sample value for every field kind, as written and as read back.
fn sample(kind: FieldKind) -> (Initial, FieldValue) {
    match kind {
        FieldKind::Line | FieldKind::LongText => (
            text("Texto de prueba"),
            FieldValue::Text("Texto de prueba".into()),
        ),
        FieldKind::Date => (text("2020-07-01"), FieldValue::Text("2020-07-01".into())),
        FieldKind::Time => (text("09:30"), FieldValue::Text("09:30".into())),
        FieldKind::Choice(choices) => (text(choices[0].slug), FieldValue::Text(choices[0].slug.into())),
        FieldKind::Reference(_) => (text("ref-1"), FieldValue::Text("ref-1".into())),
        FieldKind::References(_) | FieldKind::Strings | FieldKind::Links => (
            Initial::List(vec!["a".into(), "b".into()]),
            FieldValue::List(vec!["a".into(), "b".into()]),
        ),
        FieldKind::Flag => (Initial::Flag(true), FieldValue::Flag(true)),
        FieldKind::Items(_) => (Initial::List(Vec::new()), FieldValue::Items(Vec::new())),
    }
}

#[test]
fn new_records_carry_no_creator_field() {
    let mut document = workspace();
    records::create_record(
        &mut document,
        Collection::Organisations,
        "r1",
        &[("name", text("GIZ"))],
        &by("Ana"),
    )
    .expect("create");
    let organisations = automerge::ReadDoc::get(&document, automerge::ROOT, "organisations")
        .expect("read")
        .expect("collection")
        .1;
    let record = automerge::ReadDoc::get(&document, &organisations, "r1")
        .expect("read")
        .expect("record")
        .1;
    let keys: Vec<String> = automerge::ReadDoc::keys(&document, &record).collect();
    assert!(!keys.iter().any(|key| key == "created_by"), "{keys:?}");
    assert!(keys.iter().any(|key| key == "created_at"), "{keys:?}");
}

#[test]
fn records_written_with_a_creator_field_still_read() {
    use automerge::transaction::Transactable as _;
    let mut document = workspace();
    records::create_record(
        &mut document,
        Collection::Organisations,
        "r1",
        &[("name", text("GIZ"))],
        &by("Ana"),
    )
    .expect("create");
    // What older clients (and stock ones) wrote: a `created_by` string.
    let organisations = automerge::ReadDoc::get(&document, automerge::ROOT, "organisations")
        .expect("read")
        .expect("collection")
        .1;
    let record = automerge::ReadDoc::get(&document, &organisations, "r1")
        .expect("read")
        .expect("record")
        .1;
    let mut transaction = document.transaction();
    transaction.put(&record, "created_by", "Mallory").expect("put");
    transaction.commit();
    let reloaded = Automerge::load(&document.save()).expect("load");
    let read = records::read_one(&reloaded, Collection::Organisations, "r1").expect("the record reads");
    assert_eq!(read.title(), "GIZ");
    assert!(!read.deleted);
    assert_eq!(
        records::read_all(&reloaded, Collection::Organisations)
            .expect("all")
            .len(),
        1
    );
}

#[test]
fn every_collection_maps_to_and_from_the_document() {
    for collection in Collection::ALL {
        let mut document = workspace();
        let initial: Vec<(&str, Initial)> = collection
            .fields()
            .iter()
            .map(|spec| (spec.key, sample(spec.kind).0))
            .collect();
        records::create_record(&mut document, collection, "r1", &initial, &by("Ana")).expect("create");
        let reloaded = Automerge::load(&document.save()).expect("load");
        let all = records::read_all(&reloaded, collection).expect("read");
        assert_eq!(all.len(), 1, "{collection:?}");
        let record = &all[0];
        assert_eq!(record.id, "r1");
        assert!(!record.deleted && !record.example);
        for spec in collection.fields() {
            assert_eq!(
                record.fields.get(spec.key),
                Some(&sample(spec.kind).1),
                "{collection:?}.{}",
                spec.key
            );
        }
        let change = document.get_last_local_change().expect("change");
        assert!(
            change
                .message()
                .is_some_and(|message| message.starts_with("add ")),
            "{:?}",
            change.message()
        );
        assert_eq!(change.timestamp(), 1_700_000_000_000);
    }
}

#[test]
fn edits_write_each_kind_of_field() {
    let mut document = workspace();
    records::create_record(
        &mut document,
        Collection::Alliances,
        "a1",
        &[
            ("title", text("Pacto CANACINTRA")),
            ("status", text("identified")),
        ],
        &by("Ana"),
    )
    .expect("create");
    records::set_text(
        &mut document,
        Collection::Alliances,
        "a1",
        "status",
        "signed",
        &by("Ana"),
    )
    .expect("status");
    let change = document.get_last_local_change().expect("change");
    assert_eq!(change.message(), Some("edit alliance Pacto CANACINTRA: status"));
    records::set_text(
        &mut document,
        Collection::Alliances,
        "a1",
        "notes",
        "Primera reunión",
        &by("Ana"),
    )
    .expect("notes");
    records::add_to_list(
        &mut document,
        Collection::Alliances,
        "a1",
        "members",
        "giz",
        &by("Ana"),
    )
    .expect("add");
    records::add_to_list(
        &mut document,
        Collection::Alliances,
        "a1",
        "members",
        "aecid",
        &by("Ana"),
    )
    .expect("add");
    records::add_to_list(
        &mut document,
        Collection::Alliances,
        "a1",
        "members",
        "giz",
        &by("Ana"),
    )
    .expect("no dup");
    records::remove_from_list(
        &mut document,
        Collection::Alliances,
        "a1",
        "members",
        "giz",
        &by("Ana"),
    )
    .expect("remove");
    let commitment = ItemAt {
        collection: Collection::Alliances,
        record_id: "a1",
        field: "commitments",
        item_id: "c1",
    };
    records::add_item(
        &mut document,
        commitment,
        None,
        &[("text", text("Taller")), ("due", text("2021-03-08"))],
        &by("Ana"),
    )
    .expect("commit");
    records::set_item_flag(&mut document, commitment, "done", true, &by("Ana")).expect("done");
    records::set_item_field(
        &mut document,
        commitment,
        "text",
        "Taller de igualdad",
        &by("Ana"),
    )
    .expect("text");
    assert!(records::set_item_field(&mut document, commitment, "colour", "x", &by("Ana")).is_err());
    assert!(records::set_item_field(&mut document, commitment, "done", "true", &by("Ana")).is_err());
    assert!(
        records::set_text(
            &mut document,
            Collection::Alliances,
            "a1",
            "members",
            "x",
            &by("Ana")
        )
        .is_err()
    );
    assert!(
        records::set_text(
            &mut document,
            Collection::Alliances,
            "a1",
            "nope",
            "x",
            &by("Ana")
        )
        .is_err()
    );
    let record = records::read_one(&document, Collection::Alliances, "a1").expect("record");
    assert_eq!(record.text("status"), "signed");
    assert_eq!(record.text("notes"), "Primera reunión");
    assert_eq!(record.list("members"), ["aecid".to_owned()]);
    assert_eq!(
        record.items("commitments"),
        [Item {
            id: "c1".into(),
            fields: [
                ("text", FieldValue::Text("Taller de igualdad".into())),
                ("due", FieldValue::Text("2021-03-08".into())),
                ("done", FieldValue::Flag(true)),
            ]
            .into_iter()
            .collect(),
        }]
    );
    records::set_deleted(&mut document, Collection::Alliances, "a1", true, &by("Ana")).expect("delete");
    assert!(
        records::read_one(&document, Collection::Alliances, "a1")
            .expect("kept")
            .deleted
    );
    records::set_deleted(&mut document, Collection::Alliances, "a1", false, &by("Ana")).expect("restore");
    assert!(
        !records::read_one(&document, Collection::Alliances, "a1")
            .expect("kept")
            .deleted
    );
}

#[test]
fn two_people_typing_into_one_description_both_keep_their_text() {
    let mut ana = workspace().with_actor(ActorId::from(vec![1u8; 16]));
    records::create_record(
        &mut ana,
        Collection::Organisations,
        "o1",
        &[
            ("name", text("GIZ")),
            ("kind", text("cooperation_agency")),
            ("description", text("Cooperación alemana.")),
        ],
        &by("Ana"),
    )
    .expect("create");
    let mut ben = ana.fork().with_actor(ActorId::from(vec![2u8; 16]));
    records::set_text(
        &mut ana,
        Collection::Organisations,
        "o1",
        "description",
        "Cooperación alemana. Trabaja en 20 estados.",
        &by("Ana"),
    )
    .expect("ana types");
    records::set_text(
        &mut ben,
        Collection::Organisations,
        "o1",
        "description",
        "Nota: Cooperación alemana.",
        &by("Ben"),
    )
    .expect("ben types");
    ana.merge(&mut ben).expect("merge");
    ben.merge(&mut ana).expect("merge");
    let merged = records::read_one(&ana, Collection::Organisations, "o1").expect("record");
    assert_eq!(
        merged.text("description"),
        "Nota: Cooperación alemana. Trabaja en 20 estados."
    );
    assert_eq!(
        records::read_one(&ben, Collection::Organisations, "o1").expect("record"),
        merged
    );
}

fn organisation(id: &str, kind: &str) -> Record {
    record(Collection::Organisations, id, &[("name", id), ("kind", kind)])
}

fn record(collection: Collection, id: &str, fields: &[(&'static str, &str)]) -> Record {
    Record {
        id: id.into(),
        collection,
        fields: fields
            .iter()
            .map(|(key, value)| {
                let value = if value.starts_with('[') {
                    FieldValue::List(
                        value
                            .trim_matches(['[', ']'])
                            .split(',')
                            .filter(|s| !s.is_empty())
                            .map(str::to_owned)
                            .collect(),
                    )
                } else {
                    FieldValue::Text((*value).to_owned())
                };
                (*key, value)
            })
            .collect(),
        created_at: 0,
        deleted: false,
        example: false,
    }
}

fn problems(records: &[Record]) -> Vec<(String, &'static str, Problem)> {
    validation::validate_all(records.iter())
        .into_iter()
        .map(|issue| (issue.record_id, issue.field, issue.problem))
        .collect()
}

#[test]
fn required_fields_are_reported() {
    let found = problems(&[record(
        Collection::Alliances,
        "a",
        &[("title", " "), ("status", "identified")],
    )]);
    assert!(found.contains(&("a".into(), "title", Problem::Required)));
    assert!(found.contains(&("a".into(), "partner", Problem::Required)));
    assert!(!found.iter().any(|(_, field, _)| *field == "status"));
}

#[test]
fn dates_must_be_real_and_in_order() {
    assert!(validation::is_date("2020-02-29"));
    assert!(!validation::is_date("2021-02-29"));
    assert!(!validation::is_date("2021-13-01"));
    assert!(!validation::is_date("1/2/2021"));
    let orgs = [organisation("inst", "government_institution")];
    let collaboration = record(
        Collection::Collaborations,
        "c",
        &[
            ("institution", "inst"),
            ("programme", "P"),
            ("status", "proposed"),
            ("start", "2021-05-01"),
            ("end", "2021-01-01"),
        ],
    );
    let mut all = orgs.to_vec();
    all.push(collaboration);
    assert_eq!(
        problems(&all),
        vec![(
            "c".into(),
            "end",
            Problem::DateOrder {
                earlier_field: "start"
            }
        )]
    );
    let bad = record(
        Collection::Activities,
        "x",
        &[("kind", "plenary"), ("title", "Plenaria"), ("date", "mañana")],
    );
    assert_eq!(problems(&[bad]), vec![("x".into(), "date", Problem::BadDate)]);
}

#[test]
fn one_presidency_per_date() {
    let france = organisation("fr", "embassy");
    let ireland = organisation("ie", "embassy");
    let term = |id: &str, org: &str, start: &str, end: &str| {
        record(
            Collection::PresidencyTerms,
            id,
            &[("organisation", org), ("start", start), ("end", end)],
        )
    };
    let fine = [
        france.clone(),
        ireland.clone(),
        term("t1", "fr", "2018-07-01", "2019-06-30"),
        term("t2", "ie", "2019-07-01", "2020-06-30"),
    ];
    assert!(problems(&fine).is_empty(), "{:?}", problems(&fine));
    let overlapping = [
        france,
        ireland,
        term("t1", "fr", "2018-07-01", "2019-08-31"),
        term("t2", "ie", "2019-07-01", "2020-06-30"),
    ];
    let found = problems(&overlapping);
    assert!(found.contains(&(
        "t1".into(),
        "start",
        Problem::OverlappingPresidency {
            other_id: "t2".into()
        }
    )));
    assert!(found.contains(&(
        "t2".into(),
        "start",
        Problem::OverlappingPresidency {
            other_id: "t1".into()
        }
    )));
}

#[test]
fn references_must_resolve_and_be_of_the_right_kind() {
    let embassy = organisation("fr", "embassy");
    let chamber = organisation("canacintra", "private_sector_chamber");
    let mut deleted = organisation("gone", "embassy");
    deleted.deleted = true;
    let alliance = |partner: &str, members: &str| {
        record(
            Collection::Alliances,
            "a",
            &[
                ("title", "Pacto"),
                ("status", "signed"),
                ("partner", partner),
                ("members", members),
            ],
        )
    };
    let base = vec![embassy, chamber, deleted];
    let mut fine = base.clone();
    fine.push(alliance("canacintra", "[fr,gone]"));
    assert!(
        problems(&fine).is_empty(),
        "deleted records still resolve: {:?}",
        problems(&fine)
    );
    let mut wrong_kind = base.clone();
    wrong_kind.push(alliance("fr", "[]"));
    assert!(matches!(
        problems(&wrong_kind).as_slice(),
        [(_, "partner", Problem::WrongKind { .. })]
    ));
    let mut dangling = base;
    dangling.push(alliance("canacintra", "[nobody]"));
    assert_eq!(
        problems(&dangling),
        vec![(
            "a".into(),
            "members",
            Problem::UnresolvedReference { id: "nobody".into() }
        )]
    );
    let issue = &validation::validate_all(dangling.iter())[0];
    assert!(issue.message(Language::Spanish).contains("no existe"));
    assert!(issue.message(Language::English).contains("does not exist"));
}

#[test]
fn the_demo_roundtable_holds_the_published_facts() {
    let mut document = workspace();
    let mut next = 0u32;
    demo::seed(&mut document, 1, &mut || {
        next += 1;
        format!("{next:032x}")
    })
    .expect("seed");
    let organisations = records::read_all(&document, Collection::Organisations).expect("read");
    let name_of = |id: &str| {
        organisations
            .iter()
            .find(|org| org.id == id)
            .map(|org| org.text("name").to_owned())
    };
    let published: Vec<&Record> = organisations.iter().filter(|org| !org.example).collect();
    let acronyms = |kind: &str| {
        let mut found: Vec<String> = published
            .iter()
            .filter(|org| org.text("kind") == kind)
            .map(|org| org.text("acronym").to_owned())
            .collect();
        found.sort();
        found
    };
    assert_eq!(acronyms("cooperation_agency"), ["AECID", "GIZ", "USAID"]);
    assert_eq!(acronyms("international_organisation"), ["BID", "OCR", "OIT"]);
    let secretariat = records::technical_secretariat(&document).expect("secretariat");
    assert_eq!(name_of(&secretariat).as_deref(), Some("ONU Mujeres"));
    let mut terms = records::read_all(&document, Collection::PresidencyTerms).expect("terms");
    terms.sort_by(|a, b| a.text("start").cmp(b.text("start")));
    let presidencies: Vec<(String, String, String)> = terms
        .iter()
        .map(|term| {
            (
                name_of(term.text("organisation")).unwrap_or_default(),
                term.text("start")[..4].to_owned(),
                term.text("end")[..4].to_owned(),
            )
        })
        .collect();
    assert_eq!(
        presidencies,
        [
            ("Embajada de Francia".into(), "2018".into(), "2019".into()),
            ("Embajada de Irlanda".into(), "2019".into(), "2020".into()),
            ("Embajada de España".into(), "2020".into(), "2021".into()),
        ]
    );
    let mut lines: Vec<String> = records::read_all(&document, Collection::WorkplanLines)
        .expect("lines")
        .iter()
        .map(|line| {
            assert_eq!(line.text("period"), "2020–2021");
            line.text("title").to_owned()
        })
        .collect();
    lines.sort();
    let mut expected = demo::WORKPLAN_2020_2021.map(str::to_owned).to_vec();
    expected.sort();
    assert_eq!(lines, expected);
    // Everything invented is marked, and the demo passes its own rules.
    for collection in [Collection::Alliances, Collection::Collaborations] {
        for record in records::read_all(&document, collection).expect("read") {
            assert!(
                record.example && record.title().contains("(ejemplo)"),
                "{record:?}"
            );
        }
    }
    for org in organisations.iter().filter(|org| org.example) {
        assert!(org.text("name").contains("(ejemplo)"));
    }
    let all: Vec<Record> = Collection::ALL
        .into_iter()
        .flat_map(|collection| records::read_all(&document, collection).expect("read"))
        .collect();
    assert!(
        validation::validate_all(all.iter()).is_empty(),
        "{:?}",
        validation::validate_all(all.iter())
    );
}

/// One random operation of the property test.
#[derive(Debug, Clone)]
enum Operation {
    Create {
        peer: usize,
        collection: usize,
        slot: u8,
    },
    Edit {
        peer: usize,
        collection: usize,
        slot: u8,
        field: usize,
        value: u8,
    },
    Delete {
        peer: usize,
        collection: usize,
        slot: u8,
        deleted: bool,
    },
    Sync {
        from: usize,
        to: usize,
    },
}

fn operation() -> impl Strategy<Value = Operation> {
    prop_oneof![
        (0..3usize, 0..Collection::ALL.len(), 0..4u8).prop_map(|(peer, collection, slot)| {
            Operation::Create {
                peer,
                collection,
                slot,
            }
        }),
        (
            0..3usize,
            0..Collection::ALL.len(),
            0..4u8,
            0..12usize,
            any::<u8>()
        )
            .prop_map(|(peer, collection, slot, field, value)| Operation::Edit {
                peer,
                collection,
                slot,
                field,
                value
            }),
        (0..3usize, 0..Collection::ALL.len(), 0..4u8, any::<bool>()).prop_map(
            |(peer, collection, slot, deleted)| {
                Operation::Delete {
                    peer,
                    collection,
                    slot,
                    deleted,
                }
            }
        ),
        (0..3usize, 0..3usize).prop_map(|(from, to)| Operation::Sync { from, to }),
    ]
}

fn apply(peers: &mut [Automerge], operation: &Operation) {
    let author = Authorship {
        now_ms: 1,
        author: "peer",
    };
    match *operation {
        Operation::Create {
            peer,
            collection,
            slot,
        } => {
            let collection = Collection::ALL[collection];
            let id = format!("{peer}-{slot}");
            let title = collection.title_field();
            let _ = records::create_record(&mut peers[peer], collection, &id, &[(title, text(&id))], &author);
        }
        Operation::Edit {
            peer,
            collection,
            slot,
            field,
            value,
        } => {
            let collection = Collection::ALL[collection];
            let spec = &collection.fields()[field % collection.fields().len()];
            let owner = usize::from(slot) % 3;
            let id = format!("{owner}-{slot}");
            let document = &mut peers[peer];
            let _ = match spec.kind {
                FieldKind::References(_) | FieldKind::Strings | FieldKind::Links => records::add_to_list(
                    document,
                    collection,
                    &id,
                    spec.key,
                    &format!("x{}", value % 4),
                    &author,
                ),
                FieldKind::Flag => {
                    records::set_flag(document, collection, &id, spec.key, value % 2 == 0, &author)
                }
                FieldKind::Items(_) => {
                    // Add an item, or move or remove one of the four ids.
                    let item_id = format!("i{}", value % 4);
                    let at = ItemAt {
                        collection,
                        record_id: &id,
                        field: spec.key,
                        item_id: &item_id,
                    };
                    match value % 3 {
                        0 => records::add_item(document, at, Some(usize::from(value % 2)), &[], &author),
                        1 => records::move_item(document, at, 0, &author),
                        _ => records::remove_item(document, at, &author),
                    }
                }
                _ => records::set_text(
                    document,
                    collection,
                    &id,
                    spec.key,
                    &format!("valor {value}"),
                    &author,
                ),
            };
        }
        Operation::Delete {
            peer,
            collection,
            slot,
            deleted,
        } => {
            let collection = Collection::ALL[collection];
            let owner = usize::from(slot) % 3;
            let _ = records::set_deleted(
                &mut peers[peer],
                collection,
                &format!("{owner}-{slot}"),
                deleted,
                &author,
            );
        }
        Operation::Sync { from, to } if from != to => {
            let (source, target) = if from < to {
                let (left, right) = peers.split_at_mut(to);
                (&mut left[from], &mut right[0])
            } else {
                let (left, right) = peers.split_at_mut(from);
                (&mut right[0], &mut left[to])
            };
            target.merge(source).expect("merge");
        }
        Operation::Sync { .. } => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn three_peers_converge_whatever_the_interleaving(operations in prop::collection::vec(operation(), 1..60)) {
        let base = workspace();
        let mut peers: Vec<Automerge> = (0..3u8)
            .map(|index| base.fork().with_actor(ActorId::from(vec![index + 1; 16])))
            .collect();
        for operation in &operations {
            apply(&mut peers, operation);
        }
        // Sync everyone with everyone.
        for _ in 0..2 {
            for from in 0..3 {
                for to in 0..3 {
                    apply(&mut peers, &Operation::Sync { from, to });
                }
            }
        }
        let mut heads: Vec<_> = peers.iter().map(|peer| { let mut h = peer.get_heads(); h.sort(); h }).collect();
        heads.dedup();
        prop_assert_eq!(heads.len(), 1);
        for collection in Collection::ALL {
            let first = records::read_all(&peers[0], collection).expect("loads");
            for peer in &peers[1..] {
                prop_assert_eq!(&records::read_all(peer, collection).expect("loads"), &first);
            }
        }
    }
}

/// Reading at past heads (`model::At`) sees exactly what a copy of the
/// document forked at those heads sees, for every collection, without the copy.
#[test]
fn reading_at_past_heads_matches_a_fork_at_those_heads() {
    let mut document = workspace();
    let mut counter = 0;
    demo::seed(&mut document, 1_600_000_000_000, &mut || {
        counter += 1;
        format!("r{counter}")
    })
    .expect("demo");
    let moments: Vec<Vec<automerge::ChangeHash>> = {
        let mut moments = vec![document.get_heads()];
        let alliance = records::read_all(&document, Collection::Alliances).expect("read")[0]
            .id
            .clone();
        records::set_text(
            &mut document,
            Collection::Alliances,
            &alliance,
            "status",
            "signed",
            &by("Ana"),
        )
        .expect("status");
        moments.push(document.get_heads());
        let organisation = records::read_all(&document, Collection::Organisations).expect("read")[0]
            .id
            .clone();
        records::set_text(
            &mut document,
            Collection::Organisations,
            &organisation,
            "name",
            "Nuevo nombre",
            &by("Ana"),
        )
        .expect("rename");
        records::set_deleted(
            &mut document,
            Collection::Organisations,
            &organisation,
            true,
            &by("Ana"),
        )
        .expect("delete");
        moments.push(document.get_heads());
        moments
    };
    for heads in &moments {
        let fork = document.fork_at(heads).expect("fork");
        let at = model::At {
            document: &document,
            heads,
        };
        for collection in Collection::ALL {
            assert_eq!(
                records::read_all(&at, collection).expect("read at"),
                records::read_all(&fork, collection).expect("read fork"),
                "{collection:?} at {heads:?}"
            );
        }
        assert_eq!(
            records::technical_secretariat(&at),
            records::technical_secretariat(&fork)
        );
        assert_eq!(model::workspace_name(&at), model::workspace_name(&fork));
    }
    // The last moment differs from the first: the view really reads the past.
    let first = model::At {
        document: &document,
        heads: &moments[0],
    };
    assert_ne!(
        records::read_all(&first, Collection::Organisations).expect("read"),
        records::read_all(&document, Collection::Organisations).expect("read")
    );
}

// ---------------------------------------------------------------------------
// Items: agendas, attendance, decisions, commitments

fn last_message(document: &Automerge) -> String {
    document
        .get_last_local_change()
        .and_then(|change| change.message().map(str::to_owned))
        .unwrap_or_default()
}

/// A workspace with the organisation GIZ (`giz`), the alliance `a1` and
/// the meeting `m1` titled "Plenaria de marzo".
fn meeting_workspace() -> Automerge {
    let mut document = workspace();
    records::create_record(
        &mut document,
        Collection::Organisations,
        "giz",
        &[("name", text("GIZ"))],
        &by("Ana"),
    )
    .expect("organisation");
    records::create_record(
        &mut document,
        Collection::Alliances,
        "a1",
        &[("title", text("Pacto"))],
        &by("Ana"),
    )
    .expect("alliance");
    records::create_record(
        &mut document,
        Collection::Meetings,
        "m1",
        &[
            ("title", text("Plenaria de marzo")),
            ("kind", text("plenary")),
            ("date", text("2021-03-10")),
        ],
        &by("Ana"),
    )
    .expect("meeting");
    document
}

fn in_meeting<'a>(field: &'a str, item_id: &'a str) -> ItemAt<'a> {
    ItemAt {
        collection: Collection::Meetings,
        record_id: "m1",
        field,
        item_id,
    }
}

/// The agenda Uno, Dos, Tres (items `i1`, `i2`, `i3`), added by `who`.
fn add_agenda(document: &mut Automerge, who: &Authorship<'_>) {
    for (id, title) in [("i1", "Uno"), ("i2", "Dos"), ("i3", "Tres")] {
        records::add_item(
            document,
            in_meeting("agenda", id),
            None,
            &[("title", text(title))],
            who,
        )
        .expect("add");
    }
}

fn agenda_titles(document: &Automerge) -> Vec<String> {
    records::read_one(document, Collection::Meetings, "m1")
        .expect("meeting")
        .items("agenda")
        .iter()
        .map(|item| item.text("title").to_owned())
        .collect()
}

#[test]
fn items_are_added_edited_moved_and_removed_by_id() {
    let mut document = meeting_workspace();
    let ana = by("Ana");
    records::add_item(
        &mut document,
        in_meeting("agenda", "i1"),
        None,
        &[("title", text("Apertura"))],
        &ana,
    )
    .expect("add");
    assert_eq!(
        last_message(&document),
        "edit meeting Plenaria de marzo: add agenda item Apertura"
    );
    records::add_item(
        &mut document,
        in_meeting("agenda", "i2"),
        None,
        &[("title", text(" Informe "))],
        &ana,
    )
    .expect("add");
    // At an index: before the item shown there.
    records::add_item(
        &mut document,
        in_meeting("agenda", "i0"),
        Some(0),
        &[("title", text("Bienvenida"))],
        &ana,
    )
    .expect("add");
    assert_eq!(agenda_titles(&document), ["Bienvenida", "Apertura", "Informe"]);

    records::set_item_field(
        &mut document,
        in_meeting("agenda", "i1"),
        "presenter",
        "giz",
        &ana,
    )
    .expect("presenter");
    assert_eq!(
        last_message(&document),
        "edit meeting Plenaria de marzo: agenda item Apertura (presenter)"
    );
    records::add_to_item_list(
        &mut document,
        in_meeting("agenda", "i1"),
        "records",
        "alliances/a1",
        &ana,
    )
    .expect("link");
    records::add_to_item_list(
        &mut document,
        in_meeting("agenda", "i1"),
        "records",
        "organisations/giz",
        &ana,
    )
    .expect("link");
    let changes = document.get_changes(&[]).len();
    records::add_to_item_list(
        &mut document,
        in_meeting("agenda", "i1"),
        "records",
        "alliances/a1",
        &ana,
    )
    .expect("already there");
    assert_eq!(
        document.get_changes(&[]).len(),
        changes,
        "no change for an entry already there"
    );
    records::remove_from_item_list(
        &mut document,
        in_meeting("agenda", "i1"),
        "records",
        "organisations/giz",
        &ana,
    )
    .expect("unlink");

    records::move_item(&mut document, in_meeting("agenda", "i2"), 0, &ana).expect("move");
    assert_eq!(
        last_message(&document),
        "edit meeting Plenaria de marzo: move agenda item Informe"
    );
    assert_eq!(agenda_titles(&document), ["Informe", "Bienvenida", "Apertura"]);
    // Past the end means last; the moved copy keeps its id and sub-fields.
    records::move_item(&mut document, in_meeting("agenda", "i1"), 9, &ana).expect("move");
    records::move_item(&mut document, in_meeting("agenda", "i1"), 1, &ana).expect("move");
    assert_eq!(agenda_titles(&document), ["Informe", "Apertura", "Bienvenida"]);
    let changes = document.get_changes(&[]).len();
    records::move_item(&mut document, in_meeting("agenda", "i1"), 1, &ana).expect("no move");
    assert_eq!(
        document.get_changes(&[]).len(),
        changes,
        "no change for a move in place"
    );

    records::remove_item(&mut document, in_meeting("agenda", "i0"), &ana).expect("remove");
    assert_eq!(
        last_message(&document),
        "edit meeting Plenaria de marzo: remove agenda item Bienvenida"
    );
    let reloaded = Automerge::load(&document.save()).expect("load");
    let meeting = records::read_one(&reloaded, Collection::Meetings, "m1").expect("meeting");
    let agenda = meeting.items("agenda");
    assert_eq!(
        agenda.iter().map(|item| item.id.as_str()).collect::<Vec<_>>(),
        ["i2", "i1"]
    );
    assert_eq!(agenda[1].text("presenter"), "giz");
    assert_eq!(agenda[1].list("records"), ["alliances/a1".to_owned()]);
    assert_eq!(agenda[0].text("title"), "Informe", "lines are trimmed");

    // Attendance is named by the organisation's title; flags and choices.
    records::add_item(
        &mut document,
        in_meeting("attendance", "p1"),
        None,
        &[("organisation", text("giz")), ("status", text("attended"))],
        &ana,
    )
    .expect("attendee");
    assert_eq!(
        last_message(&document),
        "edit meeting Plenaria de marzo: add attendee GIZ"
    );
    records::set_item_field(
        &mut document,
        in_meeting("attendance", "p1"),
        "status",
        "apologised",
        &ana,
    )
    .expect("status");
    let meeting = records::read_one(&document, Collection::Meetings, "m1").expect("meeting");
    assert_eq!(meeting.items("attendance")[0].text("status"), "apologised");
}

#[test]
fn item_writes_refuse_what_does_not_fit() {
    let mut document = meeting_workspace();
    let ana = by("Ana");
    records::add_item(
        &mut document,
        in_meeting("agenda", "i1"),
        None,
        &[("title", text("Apertura"))],
        &ana,
    )
    .expect("add");
    let changes = document.get_changes(&[]).len();
    // Not an items field, an unknown sub-field, the wrong kind of sub-field,
    // a missing item, a wrong initial value.
    assert!(records::add_item(&mut document, in_meeting("minutes", "x"), None, &[], &ana).is_err());
    assert!(records::set_item_field(&mut document, in_meeting("agenda", "i1"), "colour", "x", &ana).is_err());
    assert!(
        records::set_item_field(&mut document, in_meeting("agenda", "i1"), "records", "x", &ana).is_err()
    );
    assert!(records::set_item_flag(&mut document, in_meeting("agenda", "i1"), "title", true, &ana).is_err());
    assert!(
        records::add_to_item_list(&mut document, in_meeting("agenda", "i1"), "title", "x", &ana).is_err()
    );
    assert!(
        records::set_item_field(&mut document, in_meeting("agenda", "nope"), "title", "x", &ana).is_err()
    );
    assert!(records::remove_item(&mut document, in_meeting("agenda", "nope"), &ana).is_err());
    assert!(records::move_item(&mut document, in_meeting("agenda", "nope"), 0, &ana).is_err());
    assert!(
        records::add_item(
            &mut document,
            in_meeting("agenda", "i2"),
            None,
            &[("title", Initial::Flag(true))],
            &ana
        )
        .is_err()
    );
    assert!(records::set_text(&mut document, Collection::Meetings, "m1", "agenda", "x", &ana).is_err());
    assert_eq!(document.get_changes(&[]).len(), changes, "nothing written");
}

#[test]
fn a_commitment_keeps_the_shape_it_was_always_stored_in() {
    use automerge::ReadDoc as _;
    let mut document = meeting_workspace();
    let at = ItemAt {
        collection: Collection::Alliances,
        record_id: "a1",
        field: "commitments",
        item_id: "c1",
    };
    records::add_item(&mut document, at, None, &[("text", text("Taller"))], &by("Ana")).expect("add");
    let (_, alliances) = document
        .get(automerge::ROOT, "alliances")
        .expect("read")
        .expect("alliances");
    let (_, alliance) = document.get(&alliances, "a1").expect("read").expect("a1");
    let (_, list) = document
        .get(&alliance, "commitments")
        .expect("read")
        .expect("list");
    let (_, item) = document.get(&list, 0).expect("read").expect("item");
    let mut keys: Vec<String> = document.keys(&item).collect();
    keys.sort();
    assert_eq!(keys, ["done", "due", "id", "text"]);
    assert!(matches!(
        document.get(&item, "text").expect("read"),
        Some((automerge::Value::Object(automerge::ObjType::Text), _))
    ));
    assert!(matches!(
        document.get(&item, "done").expect("read"),
        Some((automerge::Value::Scalar(value), _)) if value.as_ref() == &automerge::ScalarValue::Boolean(false)
    ));
    assert_eq!(
        last_message(&document),
        "edit alliance Pacto: add commitment Taller"
    );
}

#[test]
fn two_people_typing_into_one_decision_both_keep_their_text() {
    let mut ana = meeting_workspace().with_actor(ActorId::from(vec![1u8; 16]));
    let decision = in_meeting("decisions", "d1");
    records::add_item(&mut ana, decision, None, &[("text", text("Acuerdo"))], &by("Ana")).expect("add");
    let mut ben = ana.fork().with_actor(ActorId::from(vec![2u8; 16]));
    records::set_item_field(&mut ana, decision, "text", "Primer acuerdo", &by("Ana")).expect("ana");
    records::set_item_field(&mut ben, decision, "text", "Acuerdo firme", &by("Ben")).expect("ben");
    // Two people add lines to the same new item's list at once: both stay.
    records::add_to_item_list(&mut ana, decision, "workplan_lines", "l1", &by("Ana")).expect("ana");
    records::add_to_item_list(&mut ben, decision, "workplan_lines", "l2", &by("Ben")).expect("ben");
    ana.merge(&mut ben).expect("merge");
    let meeting = records::read_one(&ana, Collection::Meetings, "m1").expect("meeting");
    let decision = &meeting.items("decisions")[0];
    assert_eq!(decision.text("text"), "Primer acuerdo firme");
    let mut lines = decision.list("workplan_lines").to_vec();
    lines.sort();
    assert_eq!(lines, ["l1", "l2"]);
}

#[test]
fn a_move_and_a_concurrent_edit_or_move_of_the_same_item() {
    let mut ana = meeting_workspace().with_actor(ActorId::from(vec![1u8; 16]));
    add_agenda(&mut ana, &by("Ana"));
    let base = ana.fork();
    // Ben renames the item Ana moves (offline, say): the move wrote only a
    // place, so his edit lands on the item's content and nothing is lost.
    let mut ben = base.fork().with_actor(ActorId::from(vec![2u8; 16]));
    records::move_item(&mut ana, in_meeting("agenda", "i3"), 0, &by("Ana")).expect("move");
    records::set_item_field(
        &mut ben,
        in_meeting("agenda", "i3"),
        "title",
        "Tres bis",
        &by("Ben"),
    )
    .expect("edit");
    ana.merge(&mut ben).expect("merge");
    assert_eq!(agenda_titles(&ana), ["Tres bis", "Uno", "Dos"]);
    ben.merge(&mut ana).expect("merge back");
    assert_eq!(agenda_titles(&ben), ["Tres bis", "Uno", "Dos"]);
    // Edits after the move find the moved item (its content), and moving it
    // back leaves one place, never a second item.
    records::set_item_field(&mut ana, in_meeting("agenda", "i3"), "title", "Tres", &by("Ana")).expect("edit");
    assert_eq!(agenda_titles(&ana), ["Tres", "Uno", "Dos"]);
    records::move_item(&mut ana, in_meeting("agenda", "i3"), 2, &by("Ana")).expect("move back");
    records::move_item(&mut ana, in_meeting("agenda", "i3"), 0, &by("Ana")).expect("move again");
    assert_eq!(agenda_titles(&ana), ["Tres", "Uno", "Dos"]);
    // A move concurrent with a removal: the item is gone, its place shows nothing.
    let mut rosa = ana.fork().with_actor(ActorId::from(vec![4u8; 16]));
    records::move_item(&mut ana, in_meeting("agenda", "i2"), 0, &by("Ana")).expect("move");
    records::remove_item(&mut rosa, in_meeting("agenda", "i2"), &by("Rosa")).expect("remove");
    ana.merge(&mut rosa).expect("merge");
    assert_eq!(agenda_titles(&ana), ["Tres", "Uno"]);
    // Adding before an item shows it there.
    records::add_item(
        &mut ana,
        in_meeting("agenda", "i4"),
        Some(1),
        &[("title", text("Dos"))],
        &by("Ana"),
    )
    .expect("add");
    assert_eq!(agenda_titles(&ana), ["Tres", "Dos", "Uno"]);
    // Two people moving the same item at once: it shows once, and the next
    // move leaves one place.
    let mut sol = ana.fork().with_actor(ActorId::from(vec![3u8; 16]));
    records::move_item(&mut ana, in_meeting("agenda", "i1"), 2, &by("Ana")).expect("move");
    records::move_item(&mut sol, in_meeting("agenda", "i1"), 0, &by("Sol")).expect("move");
    ana.merge(&mut sol).expect("merge");
    let titles = agenda_titles(&ana);
    assert_eq!(titles.len(), 3, "{titles:?}");
    assert_eq!(titles.iter().filter(|title| *title == "Uno").count(), 1);
    records::move_item(&mut ana, in_meeting("agenda", "i1"), 1, &by("Ana")).expect("move");
    assert_eq!(agenda_titles(&ana), ["Tres", "Uno", "Dos"]);
    records::remove_item(&mut ana, in_meeting("agenda", "i1"), &by("Ana")).expect("remove");
    assert_eq!(agenda_titles(&ana), ["Tres", "Dos"]);
}

// Validation of times, links and items.

fn item(id: &str, fields: &[(&'static str, FieldValue)]) -> Item {
    Item {
        id: id.into(),
        fields: fields.iter().cloned().collect(),
    }
}

#[test]
fn times_must_be_hours_and_minutes() {
    for good in ["00:00", "09:30", "23:59"] {
        assert!(validation::is_time(good), "{good}");
    }
    for bad in ["24:00", "9:30", "09:60", "0930", "09:30:00", "aa:bb", "", "+1:30"] {
        assert!(!validation::is_time(bad), "{bad}");
    }
    let meeting = record(
        Collection::Meetings,
        "m1",
        &[
            ("title", "P"),
            ("kind", "plenary"),
            ("date", "2021-03-10"),
            ("time", "25:00"),
        ],
    );
    assert_eq!(
        problems(&[meeting]),
        vec![("m1".into(), "time", Problem::BadTime)]
    );
}

#[test]
fn links_must_name_a_collection_and_resolve() {
    let giz = organisation("giz", "embassy");
    let meeting = record(
        Collection::ActionItems,
        "x",
        &[("title", "Informe"), ("owner", "giz"), ("status", "open")],
    );
    let mut meeting = Record {
        collection: Collection::Meetings,
        ..meeting
    };
    meeting.fields = [
        ("title", FieldValue::Text("P".into())),
        ("kind", FieldValue::Text("plenary".into())),
        ("date", FieldValue::Text("2021-03-10".into())),
        (
            "agenda",
            FieldValue::Items(vec![item(
                "i1",
                &[
                    ("title", FieldValue::Text("Apertura".into())),
                    (
                        "records",
                        FieldValue::List(vec![
                            "organisations/giz".into(),
                            "organisations/nobody".into(),
                            "spaceships/x".into(),
                            "giz".into(),
                        ]),
                    ),
                ],
            )]),
        ),
    ]
    .into_iter()
    .collect();
    let found: Vec<Problem> = problems(&[giz, meeting])
        .into_iter()
        .map(|(_, _, problem)| problem)
        .collect();
    let inner: Vec<Problem> = found
        .iter()
        .map(|problem| match problem {
            Problem::InItem {
                position: 0,
                title,
                sub_field,
                problem,
                ..
            } if title == "Apertura" && sub_field.key == "records" => (**problem).clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        inner,
        [
            Problem::UnresolvedReference {
                id: "organisations/nobody".into()
            },
            Problem::BadLink {
                link: "spaceships/x".into()
            },
            Problem::BadLink { link: "giz".into() },
        ]
    );
}

#[test]
fn items_need_their_required_sub_fields_and_references_that_resolve() {
    let giz = record(
        Collection::Organisations,
        "giz",
        &[("name", "GIZ"), ("kind", "embassy")],
    );
    let mut meeting = record(
        Collection::Meetings,
        "m1",
        &[("title", "P"), ("kind", "plenary"), ("date", "2021-03-10")],
    );
    meeting.fields.insert(
        "attendance",
        FieldValue::Items(vec![
            item(
                "p1",
                &[
                    ("organisation", FieldValue::Text("giz".into())),
                    ("status", FieldValue::Text("attended".into())),
                ],
            ),
            item(
                "p2",
                &[
                    ("organisation", FieldValue::Text("giz".into())),
                    ("contact", FieldValue::Text("ghost".into())),
                ],
            ),
            item("p3", &[("status", FieldValue::Text("invited".into()))]),
        ]),
    );
    meeting.fields.insert(
        "agenda",
        FieldValue::Items(vec![item("i1", &[("title", FieldValue::Text("  ".into()))])]),
    );
    let issues = validation::validate_all([&giz, &meeting]);
    let found: Vec<(&str, String, usize, &str, Problem)> = issues
        .iter()
        .map(|issue| match &issue.problem {
            Problem::InItem {
                item_id,
                position,
                sub_field,
                problem,
                ..
            } => (
                issue.field,
                item_id.clone(),
                *position,
                sub_field.key,
                (**problem).clone(),
            ),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        found,
        [
            ("agenda", "i1".into(), 0, "title", Problem::Required),
            (
                "attendance",
                "p2".into(),
                1,
                "contact",
                Problem::UnresolvedReference { id: "ghost".into() }
            ),
            ("attendance", "p2".into(), 1, "status", Problem::Required),
            ("attendance", "p3".into(), 2, "organisation", Problem::Required),
        ]
    );
    // The message names the item (its organisation's title) and the sub-field.
    let contact = issues
        .iter()
        .find(|issue| matches!(&issue.problem, Problem::InItem { item_id, .. } if item_id == "p2"))
        .expect("p2");
    assert_eq!(
        contact.message(Language::English),
        "Item 2 (“GIZ”), Person: The referenced record does not exist."
    );
    assert_eq!(
        contact.message(Language::Spanish),
        "Elemento 2 («GIZ»), Persona: El registro referido no existe."
    );
}

#[test]
fn restoring_the_agenda_to_before_a_move_puts_it_back_once() {
    let mut document = meeting_workspace();
    add_agenda(&mut document, &by("Ana"));
    let before = document.get_heads();
    records::move_item(&mut document, in_meeting("agenda", "i3"), 0, &by("Ana")).expect("move");
    records::set_item_field(
        &mut document,
        in_meeting("agenda", "i3"),
        "title",
        "Tres bis",
        &by("Ana"),
    )
    .expect("edit");
    assert_eq!(agenda_titles(&document), ["Tres bis", "Uno", "Dos"]);
    let wrote = enlace_shared::timetravel::restore_field(
        &mut document,
        Collection::Meetings,
        "m1",
        "agenda",
        &before,
        "agenda",
        &by("Sol"),
    )
    .expect("restore");
    assert!(wrote);
    assert_eq!(agenda_titles(&document), ["Uno", "Dos", "Tres"]);
    // The list itself holds the three items and nothing else (the place went).
    use automerge::ReadDoc as _;
    let object = |parent: &automerge::ObjId, key: &str| match document.get(parent, key) {
        Ok(Some((automerge::Value::Object(_), id))) => id,
        other => panic!("{key}: {other:?}"),
    };
    let meetings = object(&automerge::ROOT, "meetings");
    let agenda = object(&object(&meetings, "m1"), "agenda");
    assert_eq!(document.length(&agenda), 3);
}

#[test]
fn restoring_an_order_keeps_an_edit_made_to_a_moved_item_meanwhile() {
    let mut sol = meeting_workspace().with_actor(ActorId::from(vec![5u8; 16]));
    add_agenda(&mut sol, &by("Sol"));
    records::move_item(&mut sol, in_meeting("agenda", "i3"), 0, &by("Sol")).expect("move");
    let moved = sol.get_heads();
    records::move_item(&mut sol, in_meeting("agenda", "i3"), 2, &by("Sol")).expect("move back");
    assert_eq!(agenda_titles(&sol), ["Uno", "Dos", "Tres"]);
    // Sol restores the order with "Tres" first while Ben edits "Tres".
    let mut ben = sol.fork().with_actor(ActorId::from(vec![6u8; 16]));
    let wrote = enlace_shared::timetravel::restore_field(
        &mut sol,
        Collection::Meetings,
        "m1",
        "agenda",
        &moved,
        "agenda",
        &by("Sol"),
    )
    .expect("restore");
    assert!(wrote);
    assert_eq!(agenda_titles(&sol), ["Tres", "Uno", "Dos"]);
    records::set_item_field(
        &mut ben,
        in_meeting("agenda", "i3"),
        "title",
        "Tres bis",
        &by("Ben"),
    )
    .expect("edit");
    sol.merge(&mut ben).expect("merge");
    assert_eq!(agenda_titles(&sol), ["Tres bis", "Uno", "Dos"]);
    // Restoring what already shows writes nothing.
    let now = sol.get_heads();
    let again = enlace_shared::timetravel::restore_field(
        &mut sol,
        Collection::Meetings,
        "m1",
        "agenda",
        &now,
        "agenda",
        &by("Sol"),
    )
    .expect("restore");
    assert!(!again);
}
