//! The timeline's view of the document: what one change did to each record
//! it touched (fields before → after), computed when the change is
//! committed so that reading the history never replays the document.
//!
//! The server's hub calls [`effects`] for every change it accepts (the
//! document before the message and the fork after it, plain reads), and
//! its rebuild calls [`effects_at`] for stored changes (reads at the
//! change's dependencies and at the change itself). Both end in
//! [`record_changes`], so the two cannot disagree.

use automerge::{Automerge, Change, ChangeHash};
use serde::{Deserialize, Serialize};

use crate::api::{
    EntryKind, FieldChange, HISTORY_VALUE_CHARS, HistoryValue, ITEM_PART_SEPARATOR, RecordChange,
    TouchedRecord,
};
use crate::model::{At, DocRead};
use crate::records::{self, FieldValue, Item, Record};
use crate::schema::{Collection, FieldKind, FieldSpec, ItemSpec};

/// What the timeline stores for one accepted change besides its receipt:
/// what it did to each record, and the document's heads once it was applied.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Effects {
    pub records: Vec<RecordChange>,
    pub heads_after: Vec<String>,
}

/// The message prefix of a restore (`restore organisation GIZ`), written by
/// `records::set_deleted` and by restores of earlier values.
const RESTORE_PREFIX: &str = "restore ";

/// What the change did to each record of `touched` (as the hub's judge
/// placed them), reading each record as it was before the change (`before`)
/// and after it (`after`). Records of unknown collections are skipped.
///
/// Fields are listed in the schema's order when their value differs. The
/// kind: `Created` when the change wrote the record's own key, `Deleted`
/// when it set the tombstone (or removed the record), `Restored` when it
/// cleared the tombstone or its message starts with `restore `, else
/// `Edited`. The title is the record's after the change, or before it when
/// the change emptied or removed it.
pub fn record_changes<B, A>(
    before: &B,
    after: &A,
    touched: &[TouchedRecord],
    message: Option<&str>,
) -> Vec<RecordChange>
where
    B: DocRead + ?Sized,
    A: DocRead + ?Sized,
{
    touched
        .iter()
        .filter_map(|touched| {
            let collection = Collection::from_key(&touched.collection)?;
            let old = records::read_one(before, collection, &touched.record_id);
            let new = records::read_one(after, collection, &touched.record_id);
            Some(record_change(
                collection,
                touched,
                old.as_ref(),
                new.as_ref(),
                message,
            ))
        })
        .collect()
}

fn record_change(
    collection: Collection,
    touched: &TouchedRecord,
    old: Option<&Record>,
    new: Option<&Record>,
    message: Option<&str>,
) -> RecordChange {
    let value = |record: Option<&Record>, key: &str| -> Option<FieldValue> {
        record.and_then(|record| record.fields.get(key).cloned())
    };
    let fields = collection
        .fields()
        .iter()
        .filter_map(|spec| {
            let before = value(old, spec.key);
            let after = value(new, spec.key);
            (before != after).then(|| FieldChange {
                field: spec.key.to_owned(),
                before: before.as_ref().map(|value| history_value(spec, value)),
                after: after.as_ref().map(|value| history_value(spec, value)),
            })
        })
        .collect();
    let was_deleted = old.is_some_and(|record| record.deleted);
    let kind = if touched.created {
        EntryKind::Created
    } else if (old.is_some() && new.is_none()) || (!was_deleted && new.is_some_and(|record| record.deleted)) {
        EntryKind::Deleted
    } else if (was_deleted && new.is_some_and(|record| !record.deleted))
        || message.is_some_and(|message| message.starts_with(RESTORE_PREFIX))
    {
        EntryKind::Restored
    } else {
        EntryKind::Edited
    };
    let title = [new, old]
        .into_iter()
        .flatten()
        .map(Record::title)
        .find(|title| !title.is_empty())
        .unwrap_or(&touched.record_id)
        .to_owned();
    RecordChange {
        collection: touched.collection.clone(),
        record_id: touched.record_id.clone(),
        title,
        kind,
        fields,
    }
}

/// The document's heads once `change` is applied on top of `heads` (which
/// must hold its dependencies' heads): `heads` less its dependencies, plus
/// its hash, sorted as automerge sorts heads.
pub fn advance_heads(heads: &mut Vec<ChangeHash>, change: &Change) {
    heads.retain(|head| !change.deps().contains(head));
    heads.push(change.hash());
    heads.sort_unstable();
    heads.dedup();
}

/// Heads as the API writes them (hex).
pub fn heads_text(heads: &[ChangeHash]) -> Vec<String> {
    heads.iter().map(ToString::to_string).collect()
}

/// [`Effects`] of a change read from the documents before and after it
/// (the hub's fast path: the document a message found and its fork).
pub fn effects<B, A>(
    before: &B,
    after: &A,
    change: &Change,
    touched: &[TouchedRecord],
    heads_after: &[ChangeHash],
) -> Effects
where
    B: DocRead + ?Sized,
    A: DocRead + ?Sized,
{
    Effects {
        records: record_changes(before, after, touched, change.message()),
        heads_after: heads_text(heads_after),
    }
}

/// [`Effects`] of a change that `document` holds, read at the change's
/// dependencies and at the change itself (no copy of the document).
pub fn effects_at(
    document: &Automerge,
    change: &Change,
    touched: &[TouchedRecord],
    heads_after: &[ChangeHash],
) -> Effects {
    let hash = [change.hash()];
    effects(
        &At {
            document,
            heads: change.deps(),
        },
        &At {
            document,
            heads: &hash,
        },
        change,
        touched,
        heads_after,
    )
}

/// `value` of the field `spec` as the timeline shows it: texts cut at
/// [`HISTORY_VALUE_CHARS`] characters, items as lines ([`item_line`]).
pub fn history_value(spec: &FieldSpec, value: &FieldValue) -> HistoryValue {
    match (value, spec.kind) {
        (FieldValue::Text(text), _) => {
            let (text, cut) = cut_text(text);
            HistoryValue::Text { text, cut }
        }
        (FieldValue::List(items), _) => HistoryValue::List(items.clone()),
        (FieldValue::Items(items), FieldKind::Items(shape)) => {
            HistoryValue::Items(items.iter().map(|item| item_line(shape, item)).collect())
        }
        // A value read for an items field is always items; no other shape.
        (FieldValue::Items(items), _) => {
            HistoryValue::Items(items.iter().map(|item| item.id.clone()).collect())
        }
        (FieldValue::Flag(flag), _) => HistoryValue::Flag(*flag),
    }
}

/// `text` cut at [`HISTORY_VALUE_CHARS`] characters, and whether it was.
fn cut_text(text: &str) -> (String, bool) {
    if text.chars().count() > HISTORY_VALUE_CHARS {
        (text.chars().take(HISTORY_VALUE_CHARS).collect(), true)
    } else {
        (text.to_owned(), false)
    }
}

/// One item as a line of [`HistoryValue::Items`]: its title sub-field,
/// then the other non-empty sub-fields in the order of `shape`, joined by
/// [`ITEM_PART_SEPARATOR`]: texts trimmed and cut as a field's are,
/// reference ids and choice slugs as stored, each entry of a list its own
/// part, a set flag as `✓`.
pub fn item_line(shape: &ItemSpec, item: &Item) -> String {
    let title = shape.field(shape.title_field).into_iter();
    let others = shape.fields.iter().filter(|spec| spec.key != shape.title_field);
    let mut parts: Vec<String> = Vec::new();
    for spec in title.chain(others) {
        match item.fields.get(spec.key) {
            Some(FieldValue::Text(text)) if !text.trim().is_empty() => parts.push(cut_text(text.trim()).0),
            Some(FieldValue::List(entries)) => parts.extend(entries.iter().cloned()),
            Some(FieldValue::Flag(true)) => parts.push("✓".to_owned()),
            _ => {}
        }
    }
    parts.join(ITEM_PART_SEPARATOR)
}

#[cfg(test)]
mod tests {
    use automerge::ReadDoc as _;

    use super::*;
    use crate::model::{self, Authorship};
    use crate::records::Initial;

    fn at(now_ms: i64) -> Authorship<'static> {
        Authorship {
            now_ms,
            author: "test",
        }
    }

    fn organisation(record_id: &str, created: bool) -> TouchedRecord {
        TouchedRecord {
            collection: "organisations".into(),
            record_id: record_id.into(),
            created,
        }
    }

    /// A workspace with the organisation `org-1` named GIZ.
    fn workspace_with_giz() -> Automerge {
        let mut document = Automerge::new();
        model::create_workspace(&mut document, "MCIG", 1).expect("workspace");
        let name = [("name", Initial::Text("GIZ".into()))];
        records::create_record(&mut document, Collection::Organisations, "org-1", &name, &at(2))
            .expect("record");
        document
    }

    /// The last change of `document`, and what it did as read both ways
    /// (plain reads of two documents, and reads at past heads), which must agree.
    fn last_change(before: &Automerge, after: &Automerge, touched: &[TouchedRecord]) -> Vec<RecordChange> {
        let change = after.get_last_local_change().expect("a change");
        let mut heads = before.get_heads();
        advance_heads(&mut heads, &change);
        assert_eq!(heads, after.get_heads());
        let plain = effects(before, after, &change, touched, &heads);
        let past = effects_at(after, &change, touched, &heads);
        assert_eq!(plain, past, "plain reads and reads at heads agree");
        plain.records
    }

    fn text(value: &str) -> Option<HistoryValue> {
        Some(HistoryValue::Text {
            text: value.into(),
            cut: false,
        })
    }

    #[test]
    fn a_creation_lists_every_field_it_set() {
        let mut before = Automerge::new();
        model::create_workspace(&mut before, "MCIG", 1).expect("workspace");
        let mut after = before.fork();
        let name = [("name", Initial::Text("GIZ".into()))];
        records::create_record(&mut after, Collection::Organisations, "org-1", &name, &at(2))
            .expect("record");
        let records = last_change(&before, &after, &[organisation("org-1", true)]);
        assert_eq!(records.len(), 1);
        let created = &records[0];
        assert_eq!(
            (created.kind, created.title.as_str(), created.collection.as_str()),
            (EntryKind::Created, "GIZ", "organisations")
        );
        let name = created
            .fields
            .iter()
            .find(|field| field.field == "name")
            .expect("the name is listed");
        assert_eq!((name.before.clone(), name.after.clone()), (None, text("GIZ")));
        // Fields in the schema's order.
        let order: Vec<usize> = created
            .fields
            .iter()
            .map(|field| {
                Collection::Organisations
                    .fields()
                    .iter()
                    .position(|spec| spec.key == field.field)
                    .expect("a schema field")
            })
            .collect();
        assert!(order.windows(2).all(|pair| pair[0] < pair[1]), "{order:?}");
    }

    #[test]
    fn an_edit_lists_only_the_fields_it_changed() {
        let before = workspace_with_giz();
        let mut after = before.fork();
        records::set_text(
            &mut after,
            Collection::Organisations,
            "org-1",
            "name",
            "GIZ México",
            &at(3),
        )
        .expect("edit");
        let records = last_change(&before, &after, &[organisation("org-1", false)]);
        assert_eq!(
            records,
            vec![RecordChange {
                collection: "organisations".into(),
                record_id: "org-1".into(),
                title: "GIZ México".into(),
                kind: EntryKind::Edited,
                fields: vec![FieldChange {
                    field: "name".into(),
                    before: text("GIZ"),
                    after: text("GIZ México"),
                }],
            }]
        );
    }

    #[test]
    fn deletion_and_undeletion_are_named_by_the_tombstone() {
        let before = workspace_with_giz();
        let mut deleted = before.fork();
        records::set_deleted(&mut deleted, Collection::Organisations, "org-1", true, &at(3)).expect("delete");
        let records = last_change(&before, &deleted, &[organisation("org-1", false)]);
        assert_eq!(
            (records[0].kind, records[0].fields.len()),
            (EntryKind::Deleted, 0)
        );
        let mut restored = deleted.fork();
        records::set_deleted(&mut restored, Collection::Organisations, "org-1", false, &at(4))
            .expect("restore");
        let records = last_change(&deleted, &restored, &[organisation("org-1", false)]);
        assert_eq!(records[0].kind, EntryKind::Restored);
        // A restore of earlier values says so in its message.
        let mut values_restored = restored.fork();
        values_restored
            .transact_with::<_, _, automerge::AutomergeError, _>(
                |_| {
                    automerge::transaction::CommitOptions::default()
                        .with_message("restore organisation GIZ".to_owned())
                },
                |transaction| {
                    use automerge::transaction::Transactable as _;
                    let (_, organisations) = transaction
                        .get(automerge::ROOT, "organisations")?
                        .expect("collection");
                    let (_, record) = transaction.get(&organisations, "org-1")?.expect("record");
                    transaction.put(&record, "name", "GIZ Alemania")
                },
            )
            .expect("change");
        let records = last_change(&restored, &values_restored, &[organisation("org-1", false)]);
        assert_eq!(records[0].kind, EntryKind::Restored);
    }

    #[test]
    fn a_removed_record_keeps_its_old_title_and_unknown_collections_are_skipped() {
        let before = workspace_with_giz();
        let mut after = before.fork();
        after
            .transact::<_, _, automerge::AutomergeError>(|transaction| {
                use automerge::transaction::Transactable as _;
                let (_, organisations) = transaction
                    .get(automerge::ROOT, "organisations")?
                    .expect("collection");
                transaction.delete(&organisations, "org-1")
            })
            .expect("change");
        let unknown = TouchedRecord {
            collection: "spaceships".into(),
            record_id: "x".into(),
            created: false,
        };
        let records = last_change(&before, &after, &[organisation("org-1", false), unknown]);
        assert_eq!(records.len(), 1);
        assert_eq!(
            (records[0].kind, records[0].title.as_str()),
            (EntryKind::Deleted, "GIZ")
        );
        assert_eq!(records[0].fields[0].after, None);
    }

    #[test]
    fn heads_advance_over_concurrent_changes() {
        let base = workspace_with_giz();
        let mut left = base.fork();
        let mut right = base.fork();
        records::set_text(
            &mut left,
            Collection::Organisations,
            "org-1",
            "acronym",
            "G",
            &at(3),
        )
        .expect("left");
        records::set_text(
            &mut right,
            Collection::Organisations,
            "org-1",
            "country",
            "DE",
            &at(3),
        )
        .expect("right");
        let left_change = left.get_last_local_change().expect("change");
        let right_change = right.get_last_local_change().expect("change");
        let mut heads = base.get_heads();
        advance_heads(&mut heads, &left_change);
        advance_heads(&mut heads, &right_change);
        let mut merged = left.fork();
        merged.merge(&mut right).expect("merge");
        assert_eq!(heads, merged.get_heads());
        assert_eq!(heads_text(&heads).len(), 2);
    }

    #[test]
    fn long_texts_are_cut_and_items_read_as_lines() {
        let long = "é".repeat(HISTORY_VALUE_CHARS + 1);
        let notes = crate::schema::Collection::Alliances
            .field("notes")
            .expect("notes");
        let HistoryValue::Text { text, cut } = history_value(notes, &FieldValue::Text(long)) else {
            panic!("a text");
        };
        assert!(cut);
        assert_eq!(text.chars().count(), HISTORY_VALUE_CHARS);
        let item = |id: &str, fields: Vec<(&'static str, FieldValue)>| Item {
            id: id.into(),
            fields: fields.into_iter().collect(),
        };
        let text = |value: &str| FieldValue::Text(value.into());
        let commitments = Collection::Alliances.field("commitments").expect("commitments");
        assert_eq!(
            history_value(
                commitments,
                &FieldValue::Items(vec![
                    item(
                        "c1",
                        vec![
                            ("text", text("Taller")),
                            ("due", text("2021-03-01")),
                            ("done", FieldValue::Flag(true)),
                        ]
                    ),
                    item(
                        "c2",
                        vec![
                            ("text", text("Informe")),
                            ("due", text("")),
                            ("done", FieldValue::Flag(false))
                        ]
                    ),
                ])
            ),
            HistoryValue::Items(vec!["Taller · 2021-03-01 · ✓".into(), "Informe".into()])
        );
        // The title first even where the shape lists it later; lists entry by entry.
        let agenda = Collection::Meetings.field("agenda").expect("agenda");
        assert_eq!(
            history_value(
                agenda,
                &FieldValue::Items(vec![item(
                    "a1",
                    vec![
                        (
                            "records",
                            FieldValue::List(vec!["alliances/p1".into(), "activities/x".into()])
                        ),
                        ("presenter", text("org-giz")),
                        ("title", text("  Apertura ")),
                    ]
                )])
            ),
            HistoryValue::Items(vec!["Apertura · org-giz · alliances/p1 · activities/x".into()])
        );
    }

    #[test]
    fn timeline_values_stored_as_commitments_read_as_items() {
        // What earlier versions stored in redb and sent on the wire.
        let stored = r#"{"field":"commitments","before":null,"after":{"type":"commitments","value":["Taller (2021-03-01) ✓"]}}"#;
        let change: FieldChange = serde_json::from_str(stored).expect("an old entry decodes");
        assert_eq!(
            change.after,
            Some(HistoryValue::Items(vec!["Taller (2021-03-01) ✓".into()]))
        );
        // And what this version writes says `items`.
        let written = serde_json::to_string(&change).expect("json");
        assert!(written.contains(r#""type":"items""#), "{written}");
        let again: FieldChange = serde_json::from_str(&written).expect("decodes");
        assert_eq!(again, change);
    }
}
