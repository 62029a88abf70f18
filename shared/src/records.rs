//! Generic reading and writing of records, driven by [`crate::schema`].
//!
//! Every write is one Automerge change with the real time and a short
//! message (`edit alliance CANACINTRA pact: status`). Long text is edited
//! with `update_text`, which turns the new value into character splices so
//! two people typing into one description both keep their text; lists of
//! references are edited item by item so concurrent additions all survive.

use std::collections::BTreeMap;

use automerge::transaction::{CommitOptions, Transactable, Transaction};
use automerge::{Automerge, AutomergeError, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value};

use crate::model::{Authorship, DocRead, ModelError, change_message, object, read_string};
use crate::schema::{Collection, FieldKind, FieldSpec, ItemSpec};

/// A commitment of an alliance.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Commitment {
    pub id: String,
    pub text: String,
    /// `YYYY-MM-DD` or empty.
    pub due: String,
    pub done: bool,
}

/// One item of an [`FieldKind::Items`] field: its stable id and its
/// sub-fields, read as record fields are.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Item {
    pub id: String,
    pub fields: BTreeMap<&'static str, FieldValue>,
}

impl Item {
    /// A text-like sub-field ("" if absent).
    pub fn text(&self, key: &str) -> &str {
        match self.fields.get(key) {
            Some(FieldValue::Text(text)) => text,
            _ => "",
        }
    }

    /// A list sub-field (empty if absent).
    pub fn list(&self, key: &str) -> &[String] {
        match self.fields.get(key) {
            Some(FieldValue::List(items)) => items,
            _ => &[],
        }
    }

    pub fn flag(&self, key: &str) -> bool {
        matches!(self.fields.get(key), Some(FieldValue::Flag(true)))
    }
}

/// The value of one field as read from the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    /// Line, long text, date, choice or reference.
    Text(String),
    /// References or strings.
    List(Vec<String>),
    Flag(bool),
    Commitments(Vec<Commitment>),
    /// The items of an [`FieldKind::Items`] field, in order.
    Items(Vec<Item>),
}

/// One record of any collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub id: String,
    pub collection: Collection,
    pub fields: BTreeMap<&'static str, FieldValue>,
    /// The creating client's clock (ms), for display and ordering only. Who
    /// created the record is not a field: the server's receipts say it.
    pub created_at: i64,
    pub deleted: bool,
    /// Invented demo data, marked so nobody takes it for a published fact.
    pub example: bool,
}

impl Record {
    /// A text-like field ("" if absent).
    pub fn text(&self, key: &str) -> &str {
        match self.fields.get(key) {
            Some(FieldValue::Text(text)) => text,
            _ => "",
        }
    }

    /// A list field (empty if absent).
    pub fn list(&self, key: &str) -> &[String] {
        match self.fields.get(key) {
            Some(FieldValue::List(items)) => items,
            _ => &[],
        }
    }

    pub fn flag(&self, key: &str) -> bool {
        matches!(self.fields.get(key), Some(FieldValue::Flag(true)))
    }

    pub fn commitments(&self) -> &[Commitment] {
        match self.fields.get("commitments") {
            Some(FieldValue::Commitments(items)) => items,
            _ => &[],
        }
    }

    /// The items of an items field (agenda, attendance, decisions; empty if absent).
    pub fn items(&self, key: &str) -> &[Item] {
        match self.fields.get(key) {
            Some(FieldValue::Items(items)) => items,
            _ => &[],
        }
    }

    /// What names the record in lists (its title field).
    pub fn title(&self) -> &str {
        self.text(self.collection.title_field())
    }
}

fn collection_object<R: DocRead + ?Sized>(document: &R, collection: Collection) -> Result<ObjId, ModelError> {
    object(document, &ROOT, collection.key()).ok_or(ModelError::MissingCollection(collection.key()))
}

pub(crate) fn record_object<R: DocRead + ?Sized>(
    document: &R,
    collection: Collection,
    id: &str,
) -> Result<ObjId, ModelError> {
    let parent = collection_object(document, collection)?;
    object(document, &parent, id).ok_or_else(|| ModelError::MissingRecord {
        collection: collection.key(),
        id: id.to_owned(),
    })
}

/// A map object (a record, a commitment) read in one pass
/// ([`DocRead::entries_of`]): each key's value and object id. Reading a
/// record field by field would cost automerge one seek per field.
struct MapView<'a>(Vec<(String, Value<'a>, ObjId)>);

impl<'a> MapView<'a> {
    fn read<R: DocRead + ?Sized>(document: &'a R, map: &ObjId) -> Self {
        Self(document.entries_of(map))
    }

    fn get(&self, key: &str) -> Option<(&Value<'a>, &ObjId)> {
        self.0
            .iter()
            .find(|(entry, _, _)| entry == key)
            .map(|(_, value, id)| (value, id))
    }

    fn scalar(&self, key: &str) -> Option<&ScalarValue> {
        match self.get(key)? {
            (Value::Scalar(value), _) => Some(value.as_ref()),
            _ => None,
        }
    }

    fn flag(&self, key: &str) -> bool {
        matches!(self.scalar(key), Some(ScalarValue::Boolean(true)))
    }

    fn object(&self, key: &str) -> Option<&ObjId> {
        match self.get(key)? {
            (Value::Object(_), id) => Some(id),
            _ => None,
        }
    }

    /// A string written as a scalar or as text, as [`read_string`] reads it.
    fn string<R: DocRead + ?Sized>(&self, document: &R, key: &str) -> Option<String> {
        match self.get(key)? {
            (Value::Scalar(scalar), _) => match scalar.as_ref() {
                ScalarValue::Str(text) => Some(text.to_string()),
                _ => None,
            },
            (Value::Object(ObjType::Text), id) => document.text_of(id),
            (Value::Object(_), _) => None,
        }
    }
}

fn read_list<R: DocRead + ?Sized>(document: &R, parent: &ObjId, key: &str) -> Vec<String> {
    let Some(list) = object(document, parent, key) else {
        return Vec::new();
    };
    document.strings_of(&list)
}

fn read_commitments<R: DocRead + ?Sized>(document: &R, record: &MapView<'_>) -> Vec<Commitment> {
    let Some(list) = record.object("commitments") else {
        return Vec::new();
    };
    (0..document.length_of(list))
        .filter_map(|index| match document.value(list, index.into()) {
            Some((Value::Object(ObjType::Map), item)) => {
                let item = MapView::read(document, &item);
                Some(Commitment {
                    id: item.string(document, "id").unwrap_or_default(),
                    text: item.string(document, "text").unwrap_or_default(),
                    due: item.string(document, "due").unwrap_or_default(),
                    done: item.flag("done"),
                })
            }
            _ => None,
        })
        .collect()
}

fn read_items<R: DocRead + ?Sized>(
    document: &R,
    record: &MapView<'_>,
    key: &str,
    spec: &ItemSpec,
) -> Vec<Item> {
    let Some(list) = record.object(key) else {
        return Vec::new();
    };
    (0..document.length_of(list))
        .filter_map(|index| match document.value(list, index.into()) {
            Some((Value::Object(ObjType::Map), item)) => {
                let item = MapView::read(document, &item);
                Some(Item {
                    id: item.string(document, "id").unwrap_or_default(),
                    fields: spec
                        .fields
                        .iter()
                        .filter(|field| !matches!(field.kind, FieldKind::Items(_)))
                        .filter_map(|field| {
                            read_field(document, &item, field).map(|value| (field.key, value))
                        })
                        .collect(),
                })
            }
            _ => None,
        })
        .collect()
}

fn read_field<R: DocRead + ?Sized>(
    document: &R,
    record: &MapView<'_>,
    spec: &FieldSpec,
) -> Option<FieldValue> {
    Some(match spec.kind {
        FieldKind::Items(items) => FieldValue::Items(read_items(document, record, spec.key, items)),
        FieldKind::References(_) | FieldKind::Strings | FieldKind::Links => FieldValue::List(
            record
                .object(spec.key)
                .map(|list| document.strings_of(list))
                .unwrap_or_default(),
        ),
        FieldKind::Flag => FieldValue::Flag(record.flag(spec.key)),
        FieldKind::Commitments => FieldValue::Commitments(read_commitments(document, record)),
        _ => FieldValue::Text(record.string(document, spec.key)?),
    })
}

fn read_record<R: DocRead + ?Sized>(
    document: &R,
    collection: Collection,
    id: String,
    record: &ObjId,
) -> Record {
    let view = MapView::read(document, record);
    let fields = collection
        .fields()
        .iter()
        .filter_map(|spec| read_field(document, &view, spec).map(|value| (spec.key, value)))
        .collect();
    let integer = |key: &str| match view.scalar(key) {
        Some(ScalarValue::Timestamp(value) | ScalarValue::Int(value)) => *value,
        Some(ScalarValue::Uint(value)) => i64::try_from(*value).unwrap_or_default(),
        Some(ScalarValue::F64(value)) => *value as i64,
        _ => 0,
    };
    Record {
        created_at: integer("created_at"),
        deleted: view.flag("deleted"),
        example: view.flag("example"),
        fields,
        collection,
        id,
    }
}

/// Every record of a collection, deleted ones included, sorted by title then id.
pub fn read_all<R: DocRead + ?Sized>(
    document: &R,
    collection: Collection,
) -> Result<Vec<Record>, ModelError> {
    let parent = collection_object(document, collection)?;
    // One pass over the collection's map, then one per record.
    let mut records: Vec<Record> = document
        .entries_of(&parent)
        .into_iter()
        .filter_map(|(id, value, record)| {
            matches!(value, Value::Object(_)).then(|| read_record(document, collection, id, &record))
        })
        .collect();
    sort_records(&mut records);
    Ok(records)
}

/// The order of [`read_all`]: by title, case-insensitively, then by id.
pub fn sort_records(records: &mut [Record]) {
    records.sort_by(|left, right| {
        left.title()
            .to_lowercase()
            .cmp(&right.title().to_lowercase())
            .then_with(|| left.id.cmp(&right.id))
    });
}

/// One record, if it exists (deleted or not).
pub fn read_one<R: DocRead + ?Sized>(document: &R, collection: Collection, id: &str) -> Option<Record> {
    let record = record_object(document, collection, id).ok()?;
    Some(read_record(document, collection, id.to_owned(), &record))
}

/// The organisation that holds the technical secretariat (`meta.technical_secretariat`).
pub fn technical_secretariat<R: DocRead + ?Sized>(document: &R) -> Option<String> {
    let meta = object(document, &ROOT, "meta")?;
    read_string(document, &meta, "technical_secretariat").filter(|id| !id.is_empty())
}

/// An initial value for [`create_record`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Initial {
    Text(String),
    List(Vec<String>),
    Flag(bool),
}

pub(crate) fn commit<T>(
    document: &mut Automerge,
    authorship: &Authorship<'_>,
    message: String,
    edit: impl FnOnce(&mut Transaction<'_>) -> Result<T, AutomergeError>,
) -> Result<T, ModelError> {
    document
        .transact_with(
            |_| {
                CommitOptions::default()
                    .with_message(change_message(message))
                    .with_time(authorship.now_ms)
            },
            edit,
        )
        .map(|success| success.result)
        .map_err(|failure| ModelError::Automerge(failure.error))
}

fn spec(collection: Collection, key: &str) -> Result<&'static FieldSpec, ModelError> {
    collection.field(key).ok_or(ModelError::UnknownField {
        collection: collection.key(),
        field: key.to_owned(),
    })
}

fn write_text(
    transaction: &mut Transaction<'_>,
    record: &ObjId,
    spec: &FieldSpec,
    value: &str,
) -> Result<(), AutomergeError> {
    if spec.kind == FieldKind::LongText {
        let existing = match transaction.get(record, spec.key)? {
            Some((Value::Object(ObjType::Text), id)) => Some(id),
            _ => None,
        };
        let text = match existing {
            Some(text) => text,
            None => transaction.put_object(record, spec.key, ObjType::Text)?,
        };
        transaction.update_text(&text, value)
    } else {
        transaction.put(record, spec.key, value.trim())
    }
}

fn write_list(
    transaction: &mut Transaction<'_>,
    record: &ObjId,
    key: &str,
    items: &[String],
) -> Result<(), AutomergeError> {
    let list = transaction.put_object(record, key, ObjType::List)?;
    for (index, item) in items.iter().enumerate() {
        transaction.insert(&list, index, item.as_str())?;
    }
    Ok(())
}

/// Creates a record under `id` with the given fields (each must be in the
/// collection's schema; list and commitment fields start empty if absent).
pub fn create_record(
    document: &mut Automerge,
    collection: Collection,
    id: &str,
    initial: &[(&str, Initial)],
    authorship: &Authorship<'_>,
) -> Result<(), ModelError> {
    let parent = collection_object(document, collection)?;
    let specs: Vec<(&'static FieldSpec, &Initial)> = initial
        .iter()
        .map(|(key, value)| spec(collection, key).map(|spec| (spec, value)))
        .collect::<Result<_, _>>()?;
    let title = initial
        .iter()
        .find(|(key, _)| *key == collection.title_field())
        .and_then(|(_, value)| match value {
            Initial::Text(text) => Some(text.trim().to_owned()),
            _ => None,
        })
        .unwrap_or_else(|| id.to_owned());
    commit(
        document,
        authorship,
        format!("add {} {title}", collection.noun()),
        |transaction| {
            let record = transaction.put_object(&parent, id, ObjType::Map)?;
            for (spec, value) in &specs {
                match value {
                    Initial::Text(text) => write_text(transaction, &record, spec, text)?,
                    Initial::List(items) => write_list(transaction, &record, spec.key, items)?,
                    Initial::Flag(flag) => transaction.put(&record, spec.key, *flag)?,
                }
            }
            for spec in collection.fields() {
                let given = specs.iter().any(|(given, _)| given.key == spec.key);
                match spec.kind {
                    FieldKind::References(_) | FieldKind::Strings | FieldKind::Links if !given => {
                        transaction.put_object(&record, spec.key, ObjType::List)?;
                    }
                    FieldKind::Commitments | FieldKind::Items(_) => {
                        transaction.put_object(&record, spec.key, ObjType::List)?;
                    }
                    _ => {}
                }
            }
            transaction.put(&record, "created_at", ScalarValue::Timestamp(authorship.now_ms))?;
            transaction.put(&record, "deleted", false)?;
            Ok(())
        },
    )
}

/// Commits one edit to the record `id` (whose map is `record`), with the
/// message `<verb> <noun> <title>`, followed by `: <detail>` unless empty.
fn commit_to_record<T>(
    document: &mut Automerge,
    collection: Collection,
    (record, id): (&ObjId, &str),
    (verb, detail): (&str, &str),
    authorship: &Authorship<'_>,
    edit: impl FnOnce(&mut Transaction<'_>) -> Result<T, AutomergeError>,
) -> Result<T, ModelError> {
    let label = read_string(document, record, collection.title_field())
        .filter(|title| !title.is_empty())
        .unwrap_or_else(|| id.to_owned());
    let mut message = format!("{verb} {} {label}", collection.noun());
    if !detail.is_empty() {
        message.push_str(": ");
        message.push_str(detail);
    }
    commit(document, authorship, message, edit)
}

/// Sets a text-like field (line, long text, date, choice, reference).
pub fn set_text(
    document: &mut Automerge,
    collection: Collection,
    id: &str,
    key: &str,
    value: &str,
    authorship: &Authorship<'_>,
) -> Result<(), ModelError> {
    let spec = spec(collection, key)?;
    if matches!(
        spec.kind,
        FieldKind::References(_)
            | FieldKind::Strings
            | FieldKind::Links
            | FieldKind::Flag
            | FieldKind::Commitments
            | FieldKind::Items(_)
    ) {
        return Err(ModelError::WrongFieldKind(key.to_owned()));
    }
    let record = record_object(document, collection, id)?;
    commit_to_record(
        document,
        collection,
        (&record, id),
        ("edit", key),
        authorship,
        |transaction| write_text(transaction, &record, spec, value),
    )
}

/// Sets a flag field.
pub fn set_flag(
    document: &mut Automerge,
    collection: Collection,
    id: &str,
    key: &str,
    value: bool,
    authorship: &Authorship<'_>,
) -> Result<(), ModelError> {
    let spec = spec(collection, key)?;
    if spec.kind != FieldKind::Flag {
        return Err(ModelError::WrongFieldKind(key.to_owned()));
    }
    let record = record_object(document, collection, id)?;
    commit_to_record(
        document,
        collection,
        (&record, id),
        ("edit", key),
        authorship,
        |transaction| transaction.put(&record, key, value),
    )
}

fn list_object(
    transaction: &mut Transaction<'_>,
    record: &ObjId,
    key: &str,
) -> Result<ObjId, AutomergeError> {
    match transaction.get(record, key)? {
        Some((Value::Object(ObjType::List), list)) => Ok(list),
        _ => transaction.put_object(record, key, ObjType::List),
    }
}

/// Adds an item to a list field (no-op if already present).
pub fn add_to_list(
    document: &mut Automerge,
    collection: Collection,
    id: &str,
    key: &str,
    item: &str,
    authorship: &Authorship<'_>,
) -> Result<(), ModelError> {
    let spec = spec(collection, key)?;
    if !matches!(
        spec.kind,
        FieldKind::References(_) | FieldKind::Strings | FieldKind::Links
    ) {
        return Err(ModelError::WrongFieldKind(key.to_owned()));
    }
    let record = record_object(document, collection, id)?;
    if read_list(document, &record, key)
        .iter()
        .any(|existing| existing == item)
    {
        return Ok(());
    }
    commit_to_record(
        document,
        collection,
        (&record, id),
        ("edit", &format!("add to {key}")),
        authorship,
        |transaction| {
            let list = list_object(transaction, &record, key)?;
            let end = transaction.length(&list);
            transaction.insert(&list, end, item)
        },
    )
}

/// Removes every occurrence of an item from a list field.
pub fn remove_from_list(
    document: &mut Automerge,
    collection: Collection,
    id: &str,
    key: &str,
    item: &str,
    authorship: &Authorship<'_>,
) -> Result<(), ModelError> {
    spec(collection, key)?;
    let record = record_object(document, collection, id)?;
    commit_to_record(
        document,
        collection,
        (&record, id),
        ("edit", &format!("remove from {key}")),
        authorship,
        |transaction| {
            let list = list_object(transaction, &record, key)?;
            let positions: Vec<usize> = transaction
            .list_range(&list, ..)
            .filter(|entry| {
                matches!(&entry.value, automerge::ValueRef::Scalar(automerge::ScalarValueRef::Str(text)) if text.as_ref() == item)
            })
            .map(|entry| entry.index)
            .collect();
            for index in positions.into_iter().rev() {
                transaction.delete(&list, index)?;
            }
            Ok(())
        },
    )
}

/// Adds a commitment to an alliance.
pub fn add_commitment(
    document: &mut Automerge,
    collection: Collection,
    id: &str,
    commitment: &Commitment,
    authorship: &Authorship<'_>,
) -> Result<(), ModelError> {
    let record = record_object(document, collection, id)?;
    commit_to_record(
        document,
        collection,
        (&record, id),
        ("edit", "add commitment"),
        authorship,
        |transaction| {
            let list = list_object(transaction, &record, "commitments")?;
            let end = transaction.length(&list);
            insert_commitment(transaction, &list, end, commitment).map(drop)
        },
    )
}

/// Changes one commitment (found by its id): `text`, `due` or `done` (`"true"`/`"false"`).
pub fn set_commitment(
    document: &mut Automerge,
    collection: Collection,
    id: &str,
    commitment_id: &str,
    key: &str,
    value: &str,
    authorship: &Authorship<'_>,
) -> Result<(), ModelError> {
    if !matches!(key, "text" | "due" | "done") {
        return Err(ModelError::WrongFieldKind(format!("commitments.{key}")));
    }
    let record = record_object(document, collection, id)?;
    let list = object(document, &record, "commitments").ok_or_else(|| ModelError::MissingRecord {
        collection: collection.key(),
        id: commitment_id.to_owned(),
    })?;
    let item = (0..document.length(&list))
        .filter_map(|index| match document.get(&list, index) {
            Ok(Some((Value::Object(ObjType::Map), item))) => Some(item),
            _ => None,
        })
        .find(|item| read_string(document, item, "id").as_deref() == Some(commitment_id))
        .ok_or_else(|| ModelError::MissingRecord {
            collection: "commitments",
            id: commitment_id.to_owned(),
        })?;
    commit_to_record(
        document,
        collection,
        (&record, id),
        ("edit", &format!("commitment {key}")),
        authorship,
        |transaction| match key {
            "done" => transaction.put(&item, "done", value == "true"),
            "due" => transaction.put(&item, "due", value.trim()),
            "text" => {
                let text = match transaction.get(&item, "text")? {
                    Some((Value::Object(ObjType::Text), text)) => text,
                    _ => transaction.put_object(&item, "text", ObjType::Text)?,
                };
                transaction.update_text(&text, value)
            }
            _ => Err(AutomergeError::InvalidOp(ObjType::Map)),
        },
    )
}

/// Marks a record deleted (or restores it); references to it keep resolving.
pub fn set_deleted(
    document: &mut Automerge,
    collection: Collection,
    id: &str,
    deleted: bool,
    authorship: &Authorship<'_>,
) -> Result<(), ModelError> {
    let record = record_object(document, collection, id)?;
    let verb = if deleted { "delete" } else { "restore" };
    commit_to_record(
        document,
        collection,
        (&record, id),
        (verb, ""),
        authorship,
        |transaction| transaction.put(&record, "deleted", deleted),
    )
}

/// The operations that turn `old` into `new` (Myers' diff, from `similar`):
/// lists restored item by item here, words in [`crate::timetravel::word_diff`].
/// One signature for both keeps one copy of the algorithm in the wasm
/// (`None` items, such as a list's non-string values, equal nothing but
/// another `None`).
pub(crate) fn sequence_diff(old: &[Option<&str>], new: &[Option<&str>]) -> Vec<similar::DiffOp> {
    let mut capture = similar::algorithms::Capture::new();
    match similar::algorithms::myers::diff(&mut capture, old, 0..old.len(), new, 0..new.len()) {
        Ok(()) => capture.into_ops(),
        Err(never) => match never {},
    }
}

/// A string field read inside a transaction (scalar or text, as [`read_string`]).
fn string_in<R: ReadDoc>(document: &R, parent: &ObjId, key: &str) -> Option<String> {
    match document.get(parent, key).ok()?? {
        (Value::Scalar(scalar), _) => match scalar.as_ref() {
            ScalarValue::Str(text) => Some(text.to_string()),
            _ => None,
        },
        (Value::Object(ObjType::Text), text) => document.text(&text).ok(),
        (Value::Object(_), _) => None,
    }
}

fn flag_in<R: ReadDoc>(document: &R, parent: &ObjId, key: &str) -> bool {
    matches!(
        document.get(parent, key),
        Ok(Some((Value::Scalar(scalar), _))) if matches!(scalar.as_ref(), ScalarValue::Boolean(true))
    )
}

/// Puts `value` under `key` unless it is already there; whether it wrote.
fn put_flag_if_different(
    transaction: &mut Transaction<'_>,
    parent: &ObjId,
    key: &str,
    value: bool,
) -> Result<bool, AutomergeError> {
    if flag_in(transaction, parent, key) == value {
        return Ok(false);
    }
    transaction.put(parent, key, value)?;
    Ok(true)
}

/// Removes `key` if present; whether it did.
fn remove_key(transaction: &mut Transaction<'_>, parent: &ObjId, key: &str) -> Result<bool, AutomergeError> {
    if transaction.get(parent, key)?.is_none() {
        return Ok(false);
    }
    transaction.delete(parent, key)?;
    Ok(true)
}

/// Sets the text object under `key` to `value` by splices (creating the
/// object if the key held nothing or a scalar); whether it wrote.
fn update_text_under(
    transaction: &mut Transaction<'_>,
    parent: &ObjId,
    key: &str,
    value: &str,
) -> Result<bool, AutomergeError> {
    if string_in(transaction, parent, key).as_deref() == Some(value) {
        return Ok(false);
    }
    let text = match transaction.get(parent, key)? {
        Some((Value::Object(ObjType::Text), text)) => text,
        _ => transaction.put_object(parent, key, ObjType::Text)?,
    };
    transaction.update_text(&text, value)?;
    Ok(true)
}

/// Makes the list under `key` hold `items`, item by item: only the items
/// that differ are deleted or inserted (a diff of the two lists), so an item
/// someone else added concurrently survives. Whether it wrote.
fn restore_list(
    transaction: &mut Transaction<'_>,
    record: &ObjId,
    key: &str,
    items: &[String],
) -> Result<bool, AutomergeError> {
    let list = match transaction.get(record, key)? {
        Some((Value::Object(ObjType::List), list)) => list,
        None if items.is_empty() => return Ok(false),
        _ => {
            write_list(transaction, record, key, items)?;
            return Ok(true);
        }
    };
    // Items that are not strings never match, so the diff removes them.
    let current: Vec<Option<String>> = transaction
        .list_range(&list, ..)
        .map(|item| match item.value {
            automerge::ValueRef::Scalar(automerge::ScalarValueRef::Str(text)) => Some(text.to_string()),
            _ => None,
        })
        .collect();
    let target: Vec<Option<String>> = items.iter().cloned().map(Some).collect();
    if current == target {
        return Ok(false);
    }
    let operations = sequence_diff(
        &current.iter().map(Option::as_deref).collect::<Vec<_>>(),
        &target.iter().map(Option::as_deref).collect::<Vec<_>>(),
    );
    // From the end backwards, so the indexes of the operations still to
    // apply (all before this one in the old list) stay valid.
    for operation in operations.iter().rev() {
        let (old_index, old_len, new_range) = match *operation {
            similar::DiffOp::Equal { .. } => continue,
            similar::DiffOp::Delete {
                old_index, old_len, ..
            } => (old_index, old_len, 0..0),
            similar::DiffOp::Insert {
                old_index,
                new_index,
                new_len,
            } => (old_index, 0, new_index..new_index + new_len),
            similar::DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => (old_index, old_len, new_index..new_index + new_len),
        };
        for _ in 0..old_len {
            transaction.delete(&list, old_index)?;
        }
        for (offset, item) in items[new_range].iter().enumerate() {
            transaction.insert(&list, old_index + offset, item.as_str())?;
        }
    }
    Ok(true)
}

fn insert_commitment(
    transaction: &mut Transaction<'_>,
    list: &ObjId,
    index: usize,
    commitment: &Commitment,
) -> Result<ObjId, AutomergeError> {
    let item = transaction.insert_object(list, index, ObjType::Map)?;
    transaction.put(&item, "id", commitment.id.as_str())?;
    let text = transaction.put_object(&item, "text", ObjType::Text)?;
    transaction.update_text(&text, commitment.text.as_str())?;
    transaction.put(&item, "due", commitment.due.as_str())?;
    transaction.put(&item, "done", commitment.done)?;
    Ok(item)
}

/// Makes the commitment `item` say `commitment` (same id), field by field.
fn update_commitment(
    transaction: &mut Transaction<'_>,
    item: &ObjId,
    commitment: &Commitment,
) -> Result<bool, AutomergeError> {
    let mut wrote = false;
    wrote |= update_text_under(transaction, item, "text", &commitment.text)?;
    if string_in(transaction, item, "due").unwrap_or_default() != commitment.due {
        transaction.put(item, "due", commitment.due.as_str())?;
        wrote = true;
    }
    wrote |= put_flag_if_different(transaction, item, "done", commitment.done)?;
    Ok(wrote)
}

/// Makes the commitments list hold `target`, matched by id: an item whose id
/// is kept is edited in place (its text by splices), items not in `target`
/// are removed, missing ones inserted where `target` has them. Whether it wrote.
fn restore_commitments(
    transaction: &mut Transaction<'_>,
    record: &ObjId,
    target: &[Commitment],
) -> Result<bool, AutomergeError> {
    let list = match transaction.get(record, "commitments")? {
        Some((Value::Object(ObjType::List), list)) => list,
        None if target.is_empty() => return Ok(false),
        _ => transaction.put_object(record, "commitments", ObjType::List)?,
    };
    let mut wrote = false;
    // The current items, as (id, object); anything that is not a commitment
    // map, or repeats an id, or is not in `target`, goes.
    let mut current: Vec<(String, ObjId)> = Vec::new();
    let mut doomed = Vec::new();
    for index in 0..transaction.length(&list) {
        let kept = match transaction.get(&list, index)? {
            Some((Value::Object(ObjType::Map), item)) => string_in(transaction, &item, "id")
                .filter(|id| {
                    target.iter().any(|commitment| &commitment.id == id)
                        && !current.iter().any(|(seen, _)| seen == id)
                })
                .map(|id| (id, item)),
            _ => None,
        };
        match kept {
            Some(entry) => current.push(entry),
            None => doomed.push(index),
        }
    }
    for index in doomed.into_iter().rev() {
        transaction.delete(&list, index)?;
        wrote = true;
    }
    for (index, commitment) in target.iter().enumerate() {
        match current.iter().position(|(id, _)| *id == commitment.id) {
            Some(position) if position == index => {
                let item = current[index].1.clone();
                wrote |= update_commitment(transaction, &item, commitment)?;
            }
            found => {
                // Out of place (moved) or missing: a fresh item at `index`.
                if let Some(position) = found {
                    transaction.delete(&list, position)?;
                    current.remove(position);
                }
                let item = insert_commitment(transaction, &list, index, commitment)?;
                current.insert(index, (commitment.id.clone(), item));
                wrote = true;
            }
        }
    }
    for index in (target.len()..current.len()).rev() {
        transaction.delete(&list, index)?;
        wrote = true;
    }
    Ok(wrote)
}

/// Writes a field's earlier value back into `record` (the value as
/// [`read_one`] read it at some past heads; `None`: the field was absent),
/// changing only what differs: long text by splices (`update_text`), so text
/// typed concurrently survives; lists item by item; commitments by id;
/// other fields as a scalar. Whether it wrote anything. Restores and
/// reverts ([`crate::timetravel`]) put past values back this way, as a new
/// change.
pub(crate) fn restore_value(
    transaction: &mut Transaction<'_>,
    record: &ObjId,
    spec: &FieldSpec,
    value: Option<&FieldValue>,
) -> Result<bool, AutomergeError> {
    match (spec.kind, value) {
        (FieldKind::References(_) | FieldKind::Strings | FieldKind::Links, value) => {
            let items = match value {
                Some(FieldValue::List(items)) => items.as_slice(),
                _ => &[],
            };
            restore_list(transaction, record, spec.key, items)
        }
        (FieldKind::Flag, value) => put_flag_if_different(
            transaction,
            record,
            spec.key,
            matches!(value, Some(FieldValue::Flag(true))),
        ),
        (FieldKind::Commitments, value) => {
            let items = match value {
                Some(FieldValue::Commitments(items)) => items.as_slice(),
                _ => &[],
            };
            restore_commitments(transaction, record, items)
        }
        (FieldKind::LongText, Some(FieldValue::Text(text))) => {
            update_text_under(transaction, record, spec.key, text)
        }
        (_, Some(FieldValue::Text(text))) => {
            if string_in(transaction, record, spec.key).as_deref() == Some(text.as_str()) {
                return Ok(false);
            }
            transaction.put(record, spec.key, text.as_str())?;
            Ok(true)
        }
        (_, _) => remove_key(transaction, record, spec.key),
    }
}

/// Sets the record's `deleted` tombstone to `deleted` unless it already is; whether it wrote.
pub(crate) fn restore_deleted(
    transaction: &mut Transaction<'_>,
    record: &ObjId,
    deleted: bool,
) -> Result<bool, AutomergeError> {
    put_flag_if_different(transaction, record, "deleted", deleted)
}
