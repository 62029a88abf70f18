//! Time travel: word diffs, the timeline's grouping, comparing two moments,
//! restores and the secretariat's revert, each checked against the
//! document it should produce, and restores judged by the server's policy.

use automerge::{ActorId, Automerge, ChangeHash};
use enlace_shared::api::{EntryKind, FieldChange, HistoryEntry, HistoryValue, Receipt, RecordChange};
use enlace_shared::model::{self, At, Authorship, DocRead};
use enlace_shared::policy;
use enlace_shared::records::{self, FieldValue, Initial, ItemAt};
use enlace_shared::roles::Role;
use enlace_shared::schema::Collection;
use enlace_shared::timetravel::{self, DiffPiece, GROUP_WINDOW_MS, RecordStatus, RevertAction, word_diff};
use proptest::prelude::*;

const ANA: [u8; 16] = [2; 16];
const BEN: [u8; 16] = [3; 16];
const SECRETARIAT: [u8; 16] = [4; 16];

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

fn as_actor(document: &mut Automerge, actor: [u8; 16]) {
    document.set_actor(ActorId::from(actor.to_vec()));
}

fn text(value: &str) -> Initial {
    Initial::Text(value.to_owned())
}

/// The commitment `item_id` of the alliance `alliance`.
fn commitment<'a>(alliance: &'a str, item_id: &'a str) -> ItemAt<'a> {
    ItemAt {
        collection: Collection::Alliances,
        record_id: alliance,
        field: "commitments",
        item_id,
    }
}

fn organisation(document: &mut Automerge, id: &str, name: &str) {
    records::create_record(
        document,
        Collection::Organisations,
        id,
        &[
            ("name", text(name)),
            ("kind", text("embassy")),
            ("description", text("Cooperación alemana en México.")),
            ("tags", Initial::List(vec!["género".into(), "empleo".into()])),
        ],
        &by("Ana"),
    )
    .expect("create organisation");
}

fn field<R: DocRead + ?Sized>(
    document: &R,
    collection: Collection,
    id: &str,
    key: &str,
) -> Option<FieldValue> {
    records::read_one(document, collection, id)
        .expect("record")
        .fields
        .get(key)
        .cloned()
}

fn last_message(document: &Automerge) -> String {
    document
        .get_last_local_change()
        .expect("a change")
        .message()
        .unwrap_or_default()
        .to_owned()
}

fn change_count(document: &Automerge) -> usize {
    document.get_changes(&[]).len()
}

// ---------------------------------------------------------------------------
// Word diff

fn spelled(pieces: &[DiffPiece], keep_added: bool) -> String {
    pieces
        .iter()
        .filter_map(|piece| match piece {
            DiffPiece::Same(text) => Some(text.as_str()),
            DiffPiece::Added(text) if keep_added => Some(text.as_str()),
            DiffPiece::Removed(text) if !keep_added => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

#[test]
fn word_diff_of_spanish_sentences_marks_whole_words() {
    let before = "La reunión de la Mesa será en la Ciudad de México.";
    let after = "La reunión plenaria de la Mesa será en Guadalajara, Jalisco.";
    let pieces = word_diff(before, after);
    assert_eq!(spelled(&pieces, false), before);
    assert_eq!(spelled(&pieces, true), after);
    assert_eq!(
        pieces,
        vec![
            DiffPiece::Same("La reunión ".into()),
            DiffPiece::Added("plenaria ".into()),
            DiffPiece::Same("de la Mesa será en ".into()),
            DiffPiece::Removed("la Ciudad de México.".into()),
            DiffPiece::Added("Guadalajara, Jalisco.".into()),
        ]
    );
}

#[test]
fn word_diff_of_equal_or_empty_texts() {
    assert_eq!(
        word_diff("Niñas y adolescentes", "Niñas y adolescentes"),
        vec![DiffPiece::Same("Niñas y adolescentes".into())]
    );
    assert_eq!(word_diff("", ""), Vec::<DiffPiece>::new());
    assert_eq!(
        word_diff("", "Acción climática"),
        vec![DiffPiece::Added("Acción climática".into())]
    );
    // An accent is a different word, not a different letter.
    assert_eq!(
        word_diff("informacion publica", "información pública"),
        vec![
            DiffPiece::Removed("informacion publica".into()),
            DiffPiece::Added("información pública".into()),
        ]
    );
}

#[test]
fn word_diff_of_huge_texts_keeps_the_common_ends() {
    let words = timetravel::MAX_WORD_DIFF_TOKENS;
    let before = format!("Inicio {} fin.", "año ".repeat(words));
    let after = format!("Inicio {} fin.", "mañana ".repeat(words));
    let pieces = word_diff(&before, &after);
    assert_eq!(spelled(&pieces, false), before);
    assert_eq!(spelled(&pieces, true), after);
    assert_eq!(pieces.first(), Some(&DiffPiece::Same("Inicio ".into())));
    assert_eq!(pieces.last(), Some(&DiffPiece::Same("  fin.".into())));
    assert_eq!(pieces.len(), 4, "one removal and one addition between");
    // A small edit inside a text longer than the bound is still word by word.
    let long = "palabra ".repeat(words);
    let before = format!("{long}uno dos tres {long}");
    let after = format!("{long}uno cuatro tres {long}");
    let pieces = word_diff(&before, &after);
    assert_eq!(spelled(&pieces, true), after);
    assert_eq!(
        pieces[1..3],
        [
            DiffPiece::Removed("dos".into()),
            DiffPiece::Added("cuatro".into())
        ]
    );
}

proptest! {
    #[test]
    fn word_diff_spells_both_texts(
        before in "[a-cñé ]{0,40}",
        after in "[a-cñé ]{0,40}",
    ) {
        let pieces = word_diff(&before, &after);
        prop_assert_eq!(spelled(&pieces, false), before);
        prop_assert_eq!(spelled(&pieces, true), after);
        // Neighbours never share a side: pieces are as long as they can be.
        for pair in pieces.windows(2) {
            prop_assert_ne!(std::mem::discriminant(&pair[0]), std::mem::discriminant(&pair[1]));
        }
    }
}

// ---------------------------------------------------------------------------
// Grouping

fn receipt(hash: &str, user: &str, at_ms: i64) -> Receipt {
    Receipt {
        hash: hash.to_owned(),
        actor: String::new(),
        seq: 0,
        client_time_ms: at_ms,
        message: None,
        user_id: user.to_owned(),
        user_name: user.to_uppercase(),
        organisation_id: None,
        role: Role::Member,
        received_at_ms: at_ms,
        records: Vec::new(),
    }
}

fn text_value(value: &str) -> Option<HistoryValue> {
    Some(HistoryValue::Text {
        text: value.to_owned(),
        cut: false,
    })
}

fn change_of(record_id: &str, kind: EntryKind, fields: &[(&str, &str, &str)]) -> RecordChange {
    RecordChange {
        collection: "organisations".into(),
        record_id: record_id.to_owned(),
        title: record_id.to_uppercase(),
        kind,
        fields: fields
            .iter()
            .map(|(field, before, after)| FieldChange {
                field: (*field).to_owned(),
                before: text_value(before),
                after: text_value(after),
            })
            .collect(),
    }
}

fn entry(seq: u64, user: &str, at_ms: i64, records: Vec<RecordChange>) -> HistoryEntry {
    HistoryEntry {
        seq,
        receipt: receipt(&format!("{seq:064x}"), user, at_ms),
        user_email: None,
        records,
        heads_after: Vec::new(),
    }
}

fn group_seqs(entries: &[HistoryEntry]) -> Vec<Vec<u64>> {
    timetravel::group_entries(entries, GROUP_WINDOW_MS)
        .iter()
        .map(|group| group.entries.iter().map(|entry| entry.seq).collect())
        .collect()
}

const MINUTE: i64 = 60_000;

#[test]
fn one_persons_quick_edits_to_one_record_group() {
    // Newest first, as the API lists them.
    let entries = vec![
        entry(
            3,
            "ana",
            9 * MINUTE,
            vec![change_of(
                "r1",
                EntryKind::Edited,
                &[("name", "GIZ México", "GIZ")],
            )],
        ),
        entry(
            2,
            "ana",
            5 * MINUTE,
            vec![change_of("r1", EntryKind::Edited, &[("city", "", "CDMX")])],
        ),
        entry(
            1,
            "ana",
            MINUTE,
            vec![change_of(
                "r1",
                EntryKind::Edited,
                &[("name", "GIZ", "GIZ México")],
            )],
        ),
    ];
    let groups = timetravel::group_entries(&entries, GROUP_WINDOW_MS);
    assert_eq!(groups.len(), 1);
    let group = &groups[0];
    assert_eq!(group.newest().seq, 3);
    assert_eq!(group.oldest().seq, 1);
    assert_eq!(group.record().map(|record| record.record_id.as_str()), Some("r1"));
    // The name went GIZ → GIZ México → GIZ: no net change. The city stays,
    // in the schema's order.
    assert_eq!(
        group.net_fields(),
        vec![FieldChange {
            field: "city".into(),
            before: text_value(""),
            after: text_value("CDMX"),
        }]
    );
}

#[test]
fn net_fields_take_the_oldest_before_and_the_newest_after() {
    let entries = vec![
        entry(
            2,
            "ana",
            2 * MINUTE,
            vec![change_of("r1", EntryKind::Edited, &[("name", "B", "C")])],
        ),
        entry(
            1,
            "ana",
            MINUTE,
            vec![change_of(
                "r1",
                EntryKind::Edited,
                &[("name", "A", "B"), ("country", "", "México")],
            )],
        ),
    ];
    let groups = timetravel::group_entries(&entries, GROUP_WINDOW_MS);
    assert_eq!(
        groups[0].net_fields(),
        vec![
            FieldChange {
                field: "name".into(),
                before: text_value("A"),
                after: text_value("C"),
            },
            FieldChange {
                field: "country".into(),
                before: text_value(""),
                after: text_value("México"),
            },
        ]
    );
}

#[test]
fn other_people_records_gaps_and_multi_record_entries_break_groups() {
    let edit = |record: &str| vec![change_of(record, EntryKind::Edited, &[("name", "a", "b")])];
    // Another person in between.
    assert_eq!(
        group_seqs(&[
            entry(3, "ana", 3 * MINUTE, edit("r1")),
            entry(2, "ben", 2 * MINUTE, edit("r1")),
            entry(1, "ana", MINUTE, edit("r1")),
        ]),
        vec![vec![3], vec![2], vec![1]]
    );
    // Another record.
    assert_eq!(
        group_seqs(&[
            entry(3, "ana", 3 * MINUTE, edit("r1")),
            entry(2, "ana", 2 * MINUTE, edit("r2")),
            entry(1, "ana", MINUTE, edit("r2")),
        ]),
        vec![vec![3], vec![2, 1]]
    );
    // A gap over the window between two edits, though each is close to a third.
    assert_eq!(
        group_seqs(&[
            entry(3, "ana", 20 * MINUTE, edit("r1")),
            entry(2, "ana", 6 * MINUTE, edit("r1")),
            entry(1, "ana", 2 * MINUTE, edit("r1")),
        ]),
        vec![vec![3], vec![2, 1]]
    );
    // Exactly the window still groups; a chain may span more than it.
    assert_eq!(
        group_seqs(&[
            entry(3, "ana", 10 * MINUTE, edit("r1")),
            entry(2, "ana", 5 * MINUTE, edit("r1")),
            entry(1, "ana", 0, edit("r1")),
        ]),
        vec![vec![3, 2, 1]]
    );
    // An entry touching two records stands alone.
    let mut both = edit("r1");
    both.extend(edit("r2"));
    assert_eq!(
        group_seqs(&[
            entry(3, "ana", 3 * MINUTE, edit("r1")),
            entry(2, "ana", 2 * MINUTE, both),
            entry(1, "ana", MINUTE, edit("r1")),
        ]),
        vec![vec![3], vec![2], vec![1]]
    );
    assert!(timetravel::group_entries(&[], GROUP_WINDOW_MS).is_empty());
}

// ---------------------------------------------------------------------------
// Comparing two moments

#[test]
fn compare_lists_added_removed_restored_and_edited_records_field_by_field() {
    let mut document = workspace();
    organisation(&mut document, "giz", "GIZ");
    organisation(&mut document, "onu", "ONU Mujeres");
    organisation(&mut document, "old", "Embajada de Suecia");
    organisation(&mut document, "calm", "AECID");
    records::set_deleted(&mut document, Collection::Organisations, "old", true, &by("Ana")).expect("delete");
    let before = document.get_heads();
    records::set_text(
        &mut document,
        Collection::Organisations,
        "giz",
        "city",
        "Ciudad de México",
        &by("Ana"),
    )
    .expect("city");
    records::add_to_list(
        &mut document,
        Collection::Organisations,
        "giz",
        "tags",
        "clima",
        &by("Ana"),
    )
    .expect("tag");
    records::set_deleted(&mut document, Collection::Organisations, "onu", true, &by("Ana")).expect("delete");
    records::set_deleted(&mut document, Collection::Organisations, "old", false, &by("Ana"))
        .expect("undelete");
    organisation(&mut document, "new", "CANACINTRA");
    records::create_record(
        &mut document,
        Collection::Alliances,
        "pact",
        &[("title", text("Pacto")), ("status", text("identified"))],
        &by("Ana"),
    )
    .expect("alliance");
    // A record made and deleted between the moments shows nowhere.
    organisation(&mut document, "gone", "Efímera");
    records::set_deleted(&mut document, Collection::Organisations, "gone", true, &by("Ana")).expect("delete");

    let diffs = timetravel::compare(
        &At {
            document: &document,
            heads: &before,
        },
        &document,
    );
    let summary: Vec<(&str, RecordStatus)> = diffs
        .iter()
        .map(|diff| (diff.record_id.as_str(), diff.status))
        .collect();
    // Collection order, then title: CANACINTRA, Embajada, GIZ, ONU; then the alliance.
    assert_eq!(
        summary,
        vec![
            ("new", RecordStatus::Added),
            ("old", RecordStatus::Restored),
            ("giz", RecordStatus::Edited),
            ("onu", RecordStatus::Removed),
            ("pact", RecordStatus::Added),
        ]
    );
    let giz = &diffs[2];
    assert_eq!(giz.title, "GIZ");
    assert_eq!(
        giz.fields,
        vec![
            FieldChange {
                field: "city".into(),
                before: None,
                after: text_value("Ciudad de México"),
            },
            FieldChange {
                field: "tags".into(),
                before: Some(HistoryValue::List(vec!["género".into(), "empleo".into()])),
                after: Some(HistoryValue::List(vec![
                    "género".into(),
                    "empleo".into(),
                    "clima".into()
                ])),
            },
        ]
    );
    // An added record lists the values it came with, blank ones left out.
    let pact: Vec<&str> = diffs[4]
        .fields
        .iter()
        .map(|change| change.field.as_str())
        .collect();
    assert_eq!(pact, vec!["title", "status"]);
    assert!(diffs[4].fields.iter().all(|change| change.before.is_none()));

    // The same answer from records already read, in any order.
    let mut earlier = timetravel::read_workspace(&At {
        document: &document,
        heads: &before,
    });
    earlier.reverse();
    let later = timetravel::read_workspace(&document);
    assert_eq!(timetravel::compare_records(&earlier, &later), diffs);
    // A moment compared with itself: nothing.
    assert!(timetravel::compare(&document, &document).is_empty());
}

// ---------------------------------------------------------------------------
// Restoring

/// A field of a record: collection, record id, field key.
type Place<'a> = (Collection, &'a str, &'a str);

/// Restores `key` of a record to its value at `heads` and checks the value,
/// that exactly one change was made, and its message.
fn assert_restores(
    document: &mut Automerge,
    (collection, id, key): Place<'_>,
    heads: &[ChangeHash],
    expected: &Option<FieldValue>,
) {
    assert_ne!(
        &field(document, collection, id, key),
        expected,
        "{key} must differ first"
    );
    let changes = change_count(document);
    let restored = timetravel::restore_field(document, collection, id, key, heads, "1 mayo", &by("Sol"))
        .expect("restore");
    assert!(restored, "{key}");
    assert_eq!(&field(document, collection, id, key), expected, "{key}");
    assert_eq!(change_count(document), changes + 1, "{key}: one change");
    let message = last_message(document);
    assert!(message.starts_with("restore "), "{message}");
    assert!(message.ends_with(&format!(": {key} from 1 mayo")), "{message}");
    // Restoring again changes nothing.
    assert!(
        !timetravel::restore_field(document, collection, id, key, heads, "1 mayo", &by("Sol"))
            .expect("again")
    );
    assert_eq!(change_count(document), changes + 1);
}

#[test]
fn restore_field_puts_back_every_kind_of_field() {
    let mut document = workspace();
    organisation(&mut document, "giz", "GIZ");
    records::create_record(
        &mut document,
        Collection::Contacts,
        "c1",
        &[("name", text("Lucía")), ("organisation", text("giz"))],
        &by("Ana"),
    )
    .expect("contact");
    records::create_record(
        &mut document,
        Collection::PresidencyTerms,
        "p1",
        &[
            ("organisation", text("giz")),
            ("start", text("2020-01-01")),
            ("end", text("2020-12-31")),
        ],
        &by("Ana"),
    )
    .expect("term");
    records::create_record(
        &mut document,
        Collection::Alliances,
        "a1",
        &[
            ("title", text("Pacto")),
            ("status", text("identified")),
            ("members", Initial::List(vec!["giz".into(), "onu".into()])),
        ],
        &by("Ana"),
    )
    .expect("alliance");
    for (id, title) in [("k1", "Taller"), ("k2", "Foro")] {
        records::add_item(
            &mut document,
            commitment("a1", id),
            None,
            &[("text", text(title)), ("due", text("2021-03-01"))],
            &by("Ana"),
        )
        .expect("commitment");
    }
    let heads = document.get_heads();
    let past = |collection, id, key: &str| {
        field(
            &At {
                document: &document,
                heads: &heads,
            },
            collection,
            id,
            key,
        )
    };
    let original: Vec<(Place<'_>, Option<FieldValue>)> = [
        (Collection::Organisations, "giz", "name"),
        (Collection::Organisations, "giz", "description"),
        (Collection::Organisations, "giz", "kind"),
        (Collection::Organisations, "giz", "member_since"),
        (Collection::Organisations, "giz", "tags"),
        (Collection::Contacts, "c1", "organisation"),
        (Collection::PresidencyTerms, "p1", "extended"),
        (Collection::Alliances, "a1", "members"),
        (Collection::Alliances, "a1", "commitments"),
    ]
    .into_iter()
    .map(|place| (place, past(place.0, place.1, place.2)))
    .collect();

    let ana = by("Ana");
    let org = Collection::Organisations;
    records::set_text(&mut document, org, "giz", "name", "GIZ México", &ana).expect("edit");
    records::set_text(
        &mut document,
        org,
        "giz",
        "description",
        "Cooperación alemana para el desarrollo en México.",
        &ana,
    )
    .expect("edit");
    records::set_text(&mut document, org, "giz", "kind", "cooperation_agency", &ana).expect("edit");
    records::set_text(&mut document, org, "giz", "member_since", "2019-05-01", &ana).expect("edit");
    records::remove_from_list(&mut document, org, "giz", "tags", "género", &ana).expect("edit");
    records::add_to_list(&mut document, org, "giz", "tags", "clima", &ana).expect("edit");
    organisation(&mut document, "onu", "ONU Mujeres");
    records::set_text(
        &mut document,
        Collection::Contacts,
        "c1",
        "organisation",
        "onu",
        &ana,
    )
    .expect("edit");
    records::set_flag(
        &mut document,
        Collection::PresidencyTerms,
        "p1",
        "extended",
        true,
        &ana,
    )
    .expect("edit");
    records::remove_from_list(&mut document, Collection::Alliances, "a1", "members", "giz", &ana)
        .expect("edit");
    records::add_to_list(&mut document, Collection::Alliances, "a1", "members", "sre", &ana).expect("edit");
    records::set_item_field(
        &mut document,
        commitment("a1", "k1"),
        "text",
        "Taller regional",
        &ana,
    )
    .expect("edit");
    records::set_item_flag(&mut document, commitment("a1", "k2"), "done", true, &ana).expect("edit");
    records::add_item(
        &mut document,
        commitment("a1", "k3"),
        Some(0),
        &[("text", text("Nuevo"))],
        &ana,
    )
    .expect("edit");
    records::move_item(&mut document, commitment("a1", "k2"), 0, &ana).expect("move");

    for (place, expected) in original {
        assert_restores(&mut document, place, &heads, &expected);
    }
    // An absent date was absent: restored by removing the key.
    assert_eq!(field(&document, org, "giz", "member_since"), None);
}

#[test]
fn restoring_long_text_keeps_what_someone_types_concurrently() {
    let mut document = workspace();
    organisation(&mut document, "giz", "GIZ");
    let heads = document.get_heads();
    records::set_text(
        &mut document,
        Collection::Organisations,
        "giz",
        "description",
        "Cooperación alemana en México. Texto equivocado.",
        &by("Ana"),
    )
    .expect("edit");
    // Ben, offline, types at the start while Sol restores the old text.
    let mut ben = document.fork().with_actor(ActorId::from(BEN.to_vec()));
    records::set_text(
        &mut ben,
        Collection::Organisations,
        "giz",
        "description",
        "GIZ: Cooperación alemana en México. Texto equivocado.",
        &by("Ben"),
    )
    .expect("ben types");
    timetravel::restore_field(
        &mut document,
        Collection::Organisations,
        "giz",
        "description",
        &heads,
        "ayer",
        &by("Sol"),
    )
    .expect("restore");
    document.merge(&mut ben).expect("merge");
    assert_eq!(
        field(&document, Collection::Organisations, "giz", "description"),
        Some(FieldValue::Text("GIZ: Cooperación alemana en México.".into()))
    );
}

#[test]
fn restoring_a_list_keeps_an_item_added_concurrently() {
    let mut document = workspace();
    organisation(&mut document, "giz", "GIZ");
    let heads = document.get_heads();
    records::add_to_list(
        &mut document,
        Collection::Organisations,
        "giz",
        "tags",
        "error",
        &by("Ana"),
    )
    .expect("tag");
    let mut ben = document.fork().with_actor(ActorId::from(BEN.to_vec()));
    records::add_to_list(
        &mut ben,
        Collection::Organisations,
        "giz",
        "tags",
        "clima",
        &by("Ben"),
    )
    .expect("tag");
    timetravel::restore_field(
        &mut document,
        Collection::Organisations,
        "giz",
        "tags",
        &heads,
        "ayer",
        &by("Sol"),
    )
    .expect("restore");
    document.merge(&mut ben).expect("merge");
    assert_eq!(
        field(&document, Collection::Organisations, "giz", "tags"),
        Some(FieldValue::List(vec![
            "género".into(),
            "empleo".into(),
            "clima".into()
        ]))
    );
}

#[test]
fn restore_record_puts_back_every_field_and_the_tombstone_in_one_change() {
    let mut document = workspace();
    organisation(&mut document, "giz", "GIZ");
    let heads = document.get_heads();
    let then = records::read_one(&document, Collection::Organisations, "giz").expect("record");
    records::set_text(
        &mut document,
        Collection::Organisations,
        "giz",
        "name",
        "GTZ",
        &by("Ana"),
    )
    .expect("edit");
    records::set_text(
        &mut document,
        Collection::Organisations,
        "giz",
        "city",
        "Puebla",
        &by("Ana"),
    )
    .expect("edit");
    records::add_to_list(
        &mut document,
        Collection::Organisations,
        "giz",
        "tags",
        "x",
        &by("Ana"),
    )
    .expect("edit");
    records::set_deleted(&mut document, Collection::Organisations, "giz", true, &by("Ana")).expect("delete");
    let changes = change_count(&document);
    assert!(
        timetravel::restore_record(
            &mut document,
            Collection::Organisations,
            "giz",
            &heads,
            "1 mayo",
            &by("Sol")
        )
        .expect("restore")
    );
    assert_eq!(change_count(&document), changes + 1);
    assert_eq!(last_message(&document), "restore organisation GTZ from 1 mayo");
    assert_eq!(
        records::read_one(&document, Collection::Organisations, "giz"),
        Some(then)
    );
    assert!(
        !timetravel::restore_record(
            &mut document,
            Collection::Organisations,
            "giz",
            &heads,
            "1 mayo",
            &by("Sol")
        )
        .expect("again")
    );
    assert_eq!(change_count(&document), changes + 1);
}

#[test]
fn restoring_a_record_to_before_it_existed_tombstones_it() {
    let mut document = workspace();
    let heads = document.get_heads();
    organisation(&mut document, "giz", "GIZ");
    assert!(
        timetravel::restore_record(
            &mut document,
            Collection::Organisations,
            "giz",
            &heads,
            "el inicio",
            &by("Sol")
        )
        .expect("restore")
    );
    let record = records::read_one(&document, Collection::Organisations, "giz").expect("still there");
    assert!(record.deleted);
    assert_eq!(record.title(), "GIZ", "its fields stay for its history");
    assert!(last_message(&document).starts_with("restore organisation GIZ"));
}

#[test]
fn restores_refuse_unknown_heads_fields_and_records() {
    let mut document = workspace();
    organisation(&mut document, "giz", "GIZ");
    let unknown = [ChangeHash([7; 32])];
    let org = Collection::Organisations;
    assert!(timetravel::restore_field(&mut document, org, "giz", "name", &unknown, "x", &by("Sol")).is_err());
    assert!(timetravel::restore_record(&mut document, org, "giz", &unknown, "x", &by("Sol")).is_err());
    let heads = document.get_heads();
    assert!(timetravel::restore_field(&mut document, org, "giz", "nope", &heads, "x", &by("Sol")).is_err());
    assert!(timetravel::restore_field(&mut document, org, "ghost", "name", &heads, "x", &by("Sol")).is_err());
    assert!(timetravel::undelete(&mut document, org, "ghost", &by("Sol")).is_err());
}

#[test]
fn undelete_clears_the_tombstone_as_a_restore() {
    let mut document = workspace();
    organisation(&mut document, "giz", "GIZ");
    let changes = change_count(&document);
    timetravel::undelete(&mut document, Collection::Organisations, "giz", &by("Sol")).expect("live already");
    assert_eq!(change_count(&document), changes, "a live record is left alone");
    records::set_deleted(&mut document, Collection::Organisations, "giz", true, &by("Ana")).expect("delete");
    timetravel::undelete(&mut document, Collection::Organisations, "giz", &by("Sol")).expect("undelete");
    assert!(
        !records::read_one(&document, Collection::Organisations, "giz")
            .expect("record")
            .deleted
    );
    assert_eq!(last_message(&document), "restore organisation GIZ");
}

// ---------------------------------------------------------------------------
// Reverting one person's edits

/// Ana's timeline entry for the change just made (only what the plan reads:
/// hash, seq, who, and which fields of which record).
fn entry_for_last(
    document: &Automerge,
    seq: u64,
    collection: Collection,
    record_id: &str,
    kind: EntryKind,
    fields: &[&str],
) -> HistoryEntry {
    let change = document.get_last_local_change().expect("change");
    HistoryEntry {
        seq,
        receipt: Receipt {
            hash: change.hash().to_string(),
            ..receipt("", "ana", seq as i64 * MINUTE)
        },
        user_email: None,
        records: vec![RecordChange {
            collection: collection.key().into(),
            record_id: record_id.into(),
            title: String::new(),
            kind,
            fields: fields
                .iter()
                .map(|field| FieldChange {
                    field: (*field).into(),
                    before: None,
                    after: None,
                })
                .collect(),
        }],
        heads_after: Vec::new(),
    }
}

#[test]
fn revert_undoes_one_persons_edits_and_flags_conflicts() {
    let org = Collection::Organisations;
    let mut document = workspace();
    organisation(&mut document, "giz", "GIZ");
    organisation(&mut document, "onu", "ONU Mujeres");
    organisation(&mut document, "aecid", "AECID");
    let original = records::read_one(&document, org, "giz").expect("giz");

    // Ana's range.
    as_actor(&mut document, ANA);
    let mut entries = Vec::new();
    records::set_text(&mut document, org, "giz", "name", "GIZ (mal)", &by("Ana")).expect("edit");
    entries.push(entry_for_last(
        &document,
        10,
        org,
        "giz",
        EntryKind::Edited,
        &["name"],
    ));
    records::set_text(
        &mut document,
        org,
        "giz",
        "description",
        "Borrado por error.",
        &by("Ana"),
    )
    .expect("edit");
    entries.push(entry_for_last(
        &document,
        11,
        org,
        "giz",
        EntryKind::Edited,
        &["description"],
    ));
    records::set_text(&mut document, org, "giz", "name", "GIZ (peor)", &by("Ana")).expect("edit");
    entries.push(entry_for_last(
        &document,
        12,
        org,
        "giz",
        EntryKind::Edited,
        &["name"],
    ));
    records::set_text(&mut document, org, "onu", "city", "Tijuana", &by("Ana")).expect("edit");
    entries.push(entry_for_last(
        &document,
        13,
        org,
        "onu",
        EntryKind::Edited,
        &["city"],
    ));
    records::set_deleted(&mut document, org, "aecid", true, &by("Ana")).expect("delete");
    entries.push(entry_for_last(
        &document,
        14,
        org,
        "aecid",
        EntryKind::Deleted,
        &[],
    ));
    organisation(&mut document, "spam", "Spam S.A.");
    entries.push(entry_for_last(
        &document,
        15,
        org,
        "spam",
        EntryKind::Created,
        &["name", "kind"],
    ));

    // Then Ben: another field of a record Ana edited (kept), and the same
    // field Ana edited on ONU (a conflict).
    as_actor(&mut document, BEN);
    records::set_text(&mut document, org, "giz", "country", "México", &by("Ben")).expect("edit");
    records::set_text(&mut document, org, "onu", "city", "Tlaxcala", &by("Ben")).expect("edit");

    entries.reverse(); // any order
    let plan = timetravel::revert_plan(&document, &entries);
    let summary: Vec<(&str, &RevertAction, bool)> = plan
        .iter()
        .map(|step| (step.record_id.as_str(), &step.action, step.conflict))
        .collect();
    // Organisations by title: AECID, GIZ (peor), ONU Mujeres, Spam S.A.
    assert_eq!(
        summary,
        vec![
            ("aecid", &RevertAction::Undelete, false),
            (
                "giz",
                &RevertAction::SetField {
                    field: "name".into(),
                    to: text_value("GIZ")
                },
                false
            ),
            (
                "giz",
                &RevertAction::SetField {
                    field: "description".into(),
                    to: text_value("Cooperación alemana en México.")
                },
                false
            ),
            (
                "onu",
                &RevertAction::SetField {
                    field: "city".into(),
                    to: None
                },
                true
            ),
            ("spam", &RevertAction::Tombstone, false),
        ]
    );
    assert_eq!(plan[3].current, text_value("Tlaxcala"));
    assert!(plan.iter().all(|step| step.person_name == "ANA"));

    as_actor(&mut document, SECRETARIAT);
    let changes = change_count(&document);
    let touched =
        timetravel::apply_revert(&mut document, &plan, false, "del 1 de mayo", &by("Sol")).expect("apply");
    assert_eq!(touched, 3);
    assert_eq!(change_count(&document), changes + 1, "one change");
    assert_eq!(
        last_message(&document),
        "restore 3 records: revert of ANA's edits del 1 de mayo"
    );
    let giz = records::read_one(&document, org, "giz").expect("giz");
    assert_eq!(giz.text("name"), original.text("name"));
    assert_eq!(giz.text("description"), original.text("description"));
    assert_eq!(giz.text("country"), "México", "Ben's later edit stays");
    assert_eq!(
        field(&document, org, "onu", "city"),
        Some(FieldValue::Text("Tlaxcala".into())),
        "conflict skipped"
    );
    assert!(!records::read_one(&document, org, "aecid").expect("aecid").deleted);
    assert!(records::read_one(&document, org, "spam").expect("spam").deleted);

    // With the conflicts: ONU's city goes back too.
    let touched =
        timetravel::apply_revert(&mut document, &plan, true, "del 1 de mayo", &by("Sol")).expect("apply");
    assert_eq!(touched, 1);
    assert_eq!(
        last_message(&document),
        "restore 1 record: revert of ANA's edits del 1 de mayo"
    );
    assert_eq!(field(&document, org, "onu", "city"), None);
    // Nothing left to revert: no change.
    let changes = change_count(&document);
    assert_eq!(
        timetravel::apply_revert(&mut document, &plan, true, "x", &by("Sol")).expect("apply"),
        0
    );
    assert_eq!(change_count(&document), changes);
    assert!(timetravel::revert_plan(&document, &entries).is_empty());
}

#[test]
fn reverting_a_created_record_someone_else_edited_is_a_conflict() {
    let org = Collection::Organisations;
    let mut document = workspace();
    as_actor(&mut document, ANA);
    organisation(&mut document, "new", "Nueva");
    let entries = vec![entry_for_last(
        &document,
        1,
        org,
        "new",
        EntryKind::Created,
        &["name"],
    )];
    as_actor(&mut document, BEN);
    records::set_text(&mut document, org, "new", "city", "Mérida", &by("Ben")).expect("edit");
    let plan = timetravel::revert_plan(&document, &entries);
    assert_eq!(plan.len(), 1);
    assert_eq!(plan[0].action, RevertAction::Tombstone);
    assert!(plan[0].conflict);
    assert_eq!(
        timetravel::apply_revert(&mut document, &plan, false, "x", &by("Sol")).expect("apply"),
        0
    );
    assert!(!records::read_one(&document, org, "new").expect("record").deleted);
}

#[test]
fn revert_writes_whole_long_texts_not_the_timelines_cut_values() {
    let org = Collection::Organisations;
    let mut document = workspace();
    organisation(&mut document, "giz", "GIZ");
    let long = "Párrafo largo. ".repeat(enlace_shared::api::HISTORY_VALUE_CHARS / 10);
    records::set_text(&mut document, org, "giz", "description", &long, &by("Ana")).expect("long");
    as_actor(&mut document, ANA);
    records::set_text(&mut document, org, "giz", "description", "corto", &by("Ana")).expect("edit");
    let entries = vec![entry_for_last(
        &document,
        1,
        org,
        "giz",
        EntryKind::Edited,
        &["description"],
    )];
    let plan = timetravel::revert_plan(&document, &entries);
    assert!(matches!(
        &plan[0].action,
        RevertAction::SetField {
            to: Some(HistoryValue::Text { cut: true, .. }),
            ..
        }
    ));
    timetravel::apply_revert(&mut document, &plan, false, "x", &by("Sol")).expect("apply");
    assert_eq!(
        field(&document, org, "giz", "description"),
        Some(FieldValue::Text(long))
    );
}

// ---------------------------------------------------------------------------
// The server's policy

fn decisions(document: &Automerge, own: &ActorId) -> Vec<(Role, bool)> {
    let change = document.get_last_local_change().expect("a change");
    let edits = policy::edits_in_change(document, &change, &|actor| actor == own);
    assert!(!edits.is_empty());
    Role::ALL
        .into_iter()
        .map(|role| (role, edits.iter().all(|edit| policy::check(role, edit).is_ok())))
        .collect()
}

#[test]
fn restores_pass_the_policy_for_every_role_that_edits() {
    let mut document = workspace();
    as_actor(&mut document, ANA);
    organisation(&mut document, "giz", "GIZ");
    records::create_record(
        &mut document,
        Collection::Alliances,
        "a1",
        &[("title", text("Pacto")), ("status", text("identified"))],
        &by("Ana"),
    )
    .expect("alliance");
    let heads = document.get_heads();
    records::set_text(
        &mut document,
        Collection::Organisations,
        "giz",
        "description",
        "Otra cosa",
        &by("Ana"),
    )
    .expect("edit");
    records::add_to_list(
        &mut document,
        Collection::Organisations,
        "giz",
        "tags",
        "x",
        &by("Ana"),
    )
    .expect("edit");
    records::add_item(
        &mut document,
        commitment("a1", "k1"),
        None,
        &[("text", text("Taller"))],
        &by("Ana"),
    )
    .expect("commitment");
    records::set_deleted(&mut document, Collection::Organisations, "giz", true, &by("Ana")).expect("delete");

    // Ben restores Ana's record (not his): members may.
    let ben = ActorId::from(BEN.to_vec());
    document.set_actor(ben.clone());
    let writers = [
        (Role::Secretariat, true),
        (Role::Presidency, true),
        (Role::Member, true),
        (Role::Observer, false),
    ];
    timetravel::undelete(&mut document, Collection::Organisations, "giz", &by("Ben")).expect("undelete");
    assert_eq!(decisions(&document, &ben), writers);
    timetravel::restore_field(
        &mut document,
        Collection::Organisations,
        "giz",
        "description",
        &heads,
        "x",
        &by("Ben"),
    )
    .expect("restore");
    assert_eq!(decisions(&document, &ben), writers);
    timetravel::restore_record(
        &mut document,
        Collection::Organisations,
        "giz",
        &heads,
        "x",
        &by("Ben"),
    )
    .expect("restore");
    assert_eq!(decisions(&document, &ben), writers);
    timetravel::restore_field(
        &mut document,
        Collection::Alliances,
        "a1",
        "commitments",
        &heads,
        "x",
        &by("Ben"),
    )
    .expect("restore");
    assert_eq!(decisions(&document, &ben), writers);

    // Tombstoning someone else's record (restoring to before it existed)
    // needs the right to delete others' records: the secretariat's.
    let mut fresh = workspace();
    let before = fresh.get_heads();
    as_actor(&mut fresh, ANA);
    organisation(&mut fresh, "giz", "GIZ");
    fresh.set_actor(ben.clone());
    timetravel::restore_record(
        &mut fresh,
        Collection::Organisations,
        "giz",
        &before,
        "x",
        &by("Ben"),
    )
    .expect("restore");
    assert_eq!(
        decisions(&fresh, &ben),
        [
            (Role::Secretariat, true),
            (Role::Presidency, false),
            (Role::Member, false),
            (Role::Observer, false),
        ]
    );
}

#[test]
fn a_revert_passes_the_policy_for_the_secretariat() {
    let org = Collection::Organisations;
    let mut document = workspace();
    organisation(&mut document, "giz", "GIZ");
    as_actor(&mut document, ANA);
    let mut entries = Vec::new();
    records::set_text(&mut document, org, "giz", "name", "Mal", &by("Ana")).expect("edit");
    entries.push(entry_for_last(
        &document,
        1,
        org,
        "giz",
        EntryKind::Edited,
        &["name"],
    ));
    organisation(&mut document, "spam", "Spam");
    entries.push(entry_for_last(
        &document,
        2,
        org,
        "spam",
        EntryKind::Created,
        &["name"],
    ));
    let plan = timetravel::revert_plan(&document, &entries);
    let secretariat = ActorId::from(SECRETARIAT.to_vec());
    document.set_actor(secretariat.clone());
    assert_eq!(
        timetravel::apply_revert(&mut document, &plan, false, "x", &by("Sol")).expect("apply"),
        2
    );
    let verdicts = decisions(&document, &secretariat);
    assert_eq!(verdicts[0], (Role::Secretariat, true));
    assert!(
        document
            .get_last_local_change()
            .is_some_and(|change| change.message().is_some_and(|m| m.starts_with("restore ")))
    );
}

#[test]
fn a_restore_of_fields_is_no_tombstone_of_the_persons() {
    let org = Collection::Organisations;
    let mut document = workspace();
    organisation(&mut document, "giz", "GIZ");
    let heads = document.get_heads();
    records::set_text(&mut document, org, "giz", "city", "Puebla", &by("Ben")).expect("edit");
    as_actor(&mut document, ANA);
    // Ana's restore of a field: a `restored` entry that leaves the tombstone alone.
    timetravel::restore_field(&mut document, org, "giz", "city", &heads, "x", &by("Ana")).expect("restore");
    let entries = vec![entry_for_last(
        &document,
        1,
        org,
        "giz",
        EntryKind::Restored,
        &["city"],
    )];
    // Then Ben deletes the record: not Ana's doing, so not hers to revert.
    as_actor(&mut document, BEN);
    records::set_deleted(&mut document, org, "giz", true, &by("Ben")).expect("delete");
    let plan = timetravel::revert_plan(&document, &entries);
    assert_eq!(plan.len(), 1, "{plan:?}");
    assert_eq!(
        plan[0].action,
        RevertAction::SetField {
            field: "city".into(),
            to: text_value("Puebla")
        }
    );
    assert!(!plan[0].conflict);
}

#[test]
fn restoring_items_matches_them_by_id_and_keeps_concurrent_edits() {
    let mut document = workspace();
    records::create_record(
        &mut document,
        Collection::Meetings,
        "m1",
        &[
            ("title", text("Plenaria")),
            ("kind", text("plenary")),
            ("date", text("2021-03-10")),
        ],
        &by("Ana"),
    )
    .expect("meeting");
    let at = |field, item_id| ItemAt {
        collection: Collection::Meetings,
        record_id: "m1",
        field,
        item_id,
    };
    for (id, title) in [("i1", "Uno"), ("i2", "Dos")] {
        records::add_item(
            &mut document,
            at("agenda", id),
            None,
            &[("title", text(title))],
            &by("Ana"),
        )
        .expect("agenda");
    }
    records::add_item(
        &mut document,
        at("decisions", "d1"),
        None,
        &[("text", text("Acuerdo base"))],
        &by("Ana"),
    )
    .expect("decision");
    let heads = document.get_heads();
    let ana = by("Ana");
    records::remove_item(&mut document, at("agenda", "i1"), &ana).expect("remove");
    records::set_item_field(&mut document, at("agenda", "i2"), "title", "Dos mal", &ana).expect("edit");
    records::set_item_field(
        &mut document,
        at("decisions", "d1"),
        "text",
        "Acuerdo base roto",
        &ana,
    )
    .expect("edit");
    // Ben, concurrently with Sol's restore, types on in the decision and
    // adds an agenda item.
    let mut ben = document.fork().with_actor(ActorId::from(BEN.to_vec()));
    records::set_item_field(
        &mut ben,
        at("decisions", "d1"),
        "text",
        "Acuerdo base roto, y más",
        &by("Ben"),
    )
    .expect("ben types");
    records::add_item(
        &mut ben,
        at("agenda", "i3"),
        None,
        &[("title", text("Tres"))],
        &by("Ben"),
    )
    .expect("ben adds");
    for field in ["agenda", "decisions"] {
        let changes = change_count(&document);
        assert!(
            timetravel::restore_field(
                &mut document,
                Collection::Meetings,
                "m1",
                field,
                &heads,
                "ayer",
                &by("Sol")
            )
            .expect("restore")
        );
        assert_eq!(change_count(&document), changes + 1, "{field}: one change");
        assert_eq!(
            last_message(&document),
            format!("restore meeting Plenaria: {field} from ayer")
        );
    }
    document.merge(&mut ben).expect("merge");
    let meeting = records::read_one(&document, Collection::Meetings, "m1").expect("meeting");
    let agenda: Vec<(&str, &str)> = meeting
        .items("agenda")
        .iter()
        .map(|item| (item.id.as_str(), item.text("title")))
        .collect();
    assert_eq!(agenda, [("i1", "Uno"), ("i2", "Dos"), ("i3", "Tres")]);
    let decisions = meeting.items("decisions");
    assert_eq!(decisions.len(), 1);
    assert_eq!(decisions[0].id, "d1");
    assert_eq!(decisions[0].text("text"), "Acuerdo base, y más");
    // Restoring again (to the same moment) puts Ben's item out and his
    // words too: the field is as it was then.
    timetravel::restore_field(
        &mut document,
        Collection::Meetings,
        "m1",
        "agenda",
        &heads,
        "ayer",
        &by("Sol"),
    )
    .expect("restore");
    let meeting = records::read_one(&document, Collection::Meetings, "m1").expect("meeting");
    assert_eq!(meeting.items("agenda").len(), 2);
}
