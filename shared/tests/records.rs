//! The whole roundtable's mapping onto the document: every collection to and
//! from Automerge, every validation rule, concurrent typing, random
//! multi-peer interleavings, and the demo roundtable's published facts.

use automerge::{ActorId, Automerge};
use enlace_shared::Language;
use enlace_shared::demo;
use enlace_shared::model::{self, Authorship};
use enlace_shared::records::{self, Commitment, FieldValue, Initial, Record};
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
        FieldKind::Commitments => (Initial::List(Vec::new()), FieldValue::Commitments(Vec::new())),
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
            .filter(|spec| spec.kind != FieldKind::Commitments)
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
    let commitment = Commitment {
        id: "c1".into(),
        text: "Taller".into(),
        due: "2021-03-08".into(),
        done: false,
    };
    records::add_commitment(
        &mut document,
        Collection::Alliances,
        "a1",
        &commitment,
        &by("Ana"),
    )
    .expect("commit");
    records::set_commitment(
        &mut document,
        Collection::Alliances,
        "a1",
        "c1",
        "done",
        "true",
        &by("Ana"),
    )
    .expect("done");
    records::set_commitment(
        &mut document,
        Collection::Alliances,
        "a1",
        "c1",
        "text",
        "Taller de igualdad",
        &by("Ana"),
    )
    .expect("text");
    assert!(
        records::set_commitment(
            &mut document,
            Collection::Alliances,
            "a1",
            "c1",
            "colour",
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
        record.commitments(),
        [Commitment {
            id: "c1".into(),
            text: "Taller de igualdad".into(),
            due: "2021-03-08".into(),
            done: true
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
        (0..3usize, 0..7usize, 0..4u8).prop_map(|(peer, collection, slot)| Operation::Create {
            peer,
            collection,
            slot
        }),
        (0..3usize, 0..7usize, 0..4u8, 0..12usize, any::<u8>()).prop_map(
            |(peer, collection, slot, field, value)| Operation::Edit {
                peer,
                collection,
                slot,
                field,
                value
            }
        ),
        (0..3usize, 0..7usize, 0..4u8, any::<bool>()).prop_map(|(peer, collection, slot, deleted)| {
            Operation::Delete {
                peer,
                collection,
                slot,
                deleted,
            }
        }),
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
                FieldKind::References(_) | FieldKind::Strings => records::add_to_list(
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
                FieldKind::Commitments => records::add_commitment(
                    document,
                    collection,
                    &id,
                    &Commitment {
                        id: format!("c{value}"),
                        text: "t".into(),
                        due: String::new(),
                        done: false,
                    },
                    &author,
                ),
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
