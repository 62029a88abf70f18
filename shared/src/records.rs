//! Generic reading and writing of records, driven by [`crate::schema`].
//!
//! Every write is one Automerge change with the real time and a short
//! message (`edit alliance CANACINTRA pact: status`). Long text is edited
//! with `update_text`, which turns the new value into character splices so
//! two people typing into one description both keep their text; lists of
//! references are edited item by item so concurrent additions all survive;
//! the items of an agenda, an attendance list or an alliance's commitments
//! are maps found by their stable id, edited sub-field by sub-field.

use std::collections::{BTreeMap, HashMap, HashSet};

use automerge::transaction::{CommitOptions, Transactable, Transaction};
use automerge::{Automerge, AutomergeError, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value};

use crate::model::{Authorship, DocRead, ModelError, change_message, object, read_string};
use crate::schema::{Collection, FieldKind, FieldSpec, ItemSpec};

/// One item of an [`FieldKind::Items`] field: its stable id and its
/// sub-fields, read as record fields are.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Item {
    pub id: String,
    #[serde(with = "crate::schema::serde_keys::map")]
    pub fields: BTreeMap<&'static str, FieldValue>,
}

impl Item {
    /// A text-like sub-field ("" if absent).
    pub fn text(&self, key: &str) -> &str {
        text_in(&self.fields, key)
    }

    /// A list sub-field (empty if absent).
    pub fn list(&self, key: &str) -> &[String] {
        list_in(&self.fields, key)
    }

    pub fn flag(&self, key: &str) -> bool {
        flag_in_fields(&self.fields, key)
    }
}

/// A text-like value of `fields` ("" if absent): a record's or an item's.
fn text_in<'a>(fields: &'a BTreeMap<&'static str, FieldValue>, key: &str) -> &'a str {
    match fields.get(key) {
        Some(FieldValue::Text(text)) => text,
        _ => "",
    }
}

/// A list value of `fields` (empty if absent).
fn list_in<'a>(fields: &'a BTreeMap<&'static str, FieldValue>, key: &str) -> &'a [String] {
    match fields.get(key) {
        Some(FieldValue::List(items)) => items,
        _ => &[],
    }
}

/// A flag of `fields` (`false` if absent).
fn flag_in_fields(fields: &BTreeMap<&'static str, FieldValue>, key: &str) -> bool {
    matches!(fields.get(key), Some(FieldValue::Flag(true)))
}

/// The value of one field as read from the document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum FieldValue {
    /// Line, long text, date, choice or reference.
    Text(String),
    /// References or strings.
    List(Vec<String>),
    Flag(bool),
    /// The items of an [`FieldKind::Items`] field, in order.
    Items(Vec<Item>),
}

impl FieldValue {
    /// Whether the value shows as nothing: text of only spaces, an empty
    /// list or item list, `false`. An absent field and a blank one are the
    /// same to comparisons, restores and imports.
    pub fn is_blank(&self) -> bool {
        match self {
            FieldValue::Text(text) => text.trim().is_empty(),
            FieldValue::List(items) => items.is_empty(),
            FieldValue::Flag(flag) => !flag,
            FieldValue::Items(items) => items.is_empty(),
        }
    }
}

/// One record of any collection.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Record {
    pub id: String,
    pub collection: Collection,
    #[serde(with = "crate::schema::serde_keys::map")]
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
        text_in(&self.fields, key)
    }

    /// A list field (empty if absent).
    pub fn list(&self, key: &str) -> &[String] {
        list_in(&self.fields, key)
    }

    pub fn flag(&self, key: &str) -> bool {
        flag_in_fields(&self.fields, key)
    }

    /// The items of an items field (agenda, attendance, decisions,
    /// commitments; empty if absent).
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

/// A map object (a record, an item) read in one pass
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

/// The items of the list under `key`, in the order they show
/// ([`placed_views`]: moved items where they were moved to, an id once).
fn read_items<R: DocRead + ?Sized>(
    document: &R,
    record: &MapView<'_>,
    key: &str,
    spec: &ItemSpec,
) -> Vec<Item> {
    let Some(list) = record.object(key) else {
        return Vec::new();
    };
    placed_views(document, list)
        .into_iter()
        .map(|(placed, item)| {
            let fields = spec
                .fields
                .iter()
                .filter(|field| !matches!(field.kind, FieldKind::Items(_)))
                .filter_map(|field| read_field(document, &item, field).map(|value| (field.key, value)))
                .collect();
            Item {
                id: placed.id,
                fields,
            }
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
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
/// collection's schema; list and items fields start empty if absent).
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
                    FieldKind::Items(_) => {
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

/// Where an item of an [`FieldKind::Items`] field lives: the record, the
/// field and the item's id (for [`add_item`], the new item's fresh id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemAt<'a> {
    pub collection: Collection,
    pub record_id: &'a str,
    pub field: &'a str,
    pub item_id: &'a str,
}

/// The items field and its item shape, or why `key` is not one.
fn items_field(
    collection: Collection,
    key: &str,
) -> Result<(&'static FieldSpec, &'static ItemSpec), ModelError> {
    let spec = spec(collection, key)?;
    match spec.kind {
        FieldKind::Items(items) => Ok((spec, items)),
        _ => Err(ModelError::WrongFieldKind(key.to_owned())),
    }
}

/// A sub-field of an item shape (`agenda.presenter` when unknown).
fn sub_field(
    collection: Collection,
    field: &FieldSpec,
    items: &ItemSpec,
    key: &str,
) -> Result<&'static FieldSpec, ModelError> {
    items.field(key).ok_or_else(|| ModelError::UnknownField {
        collection: collection.key(),
        field: format!("{}.{key}", field.key),
    })
}

/// One item as the list shows it: its id, the index in the list where it
/// shows (its place, if it was moved), and the map holding its content.
struct Placed {
    id: String,
    index: usize,
    object: ObjId,
}

/// The key that makes a map in an items list a *place* rather than an
/// item: `{id, moved_here: true}` says where the item with that id shows,
/// its content staying in its own map ([`move_item`]).
const MOVED_HERE: &str = "moved_here";

/// The items of `list` as they show, each with a view of its content:
/// the content is the first map of its id that is not a place (a later
/// one is a copy an older move made), shown at the first place of its id
/// if it has one, else where the content is. Places with no content left
/// show nothing.
fn placed_views<'a, R: DocRead + ?Sized>(document: &'a R, list: &ObjId) -> Vec<(Placed, MapView<'a>)> {
    let mut contents: Vec<(Placed, MapView<'a>)> = Vec::new();
    let mut seen = HashSet::new();
    let mut places: HashMap<String, usize> = HashMap::new();
    for index in 0..document.length_of(list) {
        let Some((Value::Object(ObjType::Map), object)) = document.value(list, index.into()) else {
            continue;
        };
        let view = MapView::read(document, &object);
        let id = view.string(document, "id").unwrap_or_default();
        if view.flag(MOVED_HERE) {
            places.entry(id).or_insert(index);
        } else if seen.insert(id.clone()) {
            contents.push((Placed { id, index, object }, view));
        }
    }
    for (placed, _) in &mut contents {
        if let Some(place) = places.get(&placed.id) {
            placed.index = *place;
        }
    }
    contents.sort_by_key(|(placed, _)| placed.index);
    contents
}

/// The items of `list` as [`read_items`] shows them, where they show.
fn placed_items<R: DocRead + ?Sized>(document: &R, list: &ObjId) -> Vec<Placed> {
    placed_views(document, list)
        .into_iter()
        .map(|(placed, _)| placed)
        .collect()
}

/// How an item is named in change messages: its title sub-field (for a
/// reference, the referenced record's title), cut at 60 characters.
fn item_label<R: DocRead + ?Sized>(document: &R, items: &ItemSpec, title: &str) -> String {
    let title = match items.field(items.title_field).map(|spec| spec.kind) {
        Some(FieldKind::Reference(target)) => collection_object(document, target)
            .ok()
            .and_then(|records| object(document, &records, title))
            .and_then(|record| read_string(document, &record, target.title_field()))
            .unwrap_or_else(|| title.to_owned()),
        _ => title.to_owned(),
    };
    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    if title.chars().count() > 60 {
        let mut cut: String = title.chars().take(59).collect();
        cut.push('…');
        cut
    } else {
        title
    }
}

/// The record, the list of its items field (if it has one yet) and the
/// item shape, for an edit of `at`.
struct ItemTarget {
    record: ObjId,
    field: &'static FieldSpec,
    items: &'static ItemSpec,
    list: Option<ObjId>,
}

fn item_target(document: &Automerge, at: &ItemAt<'_>) -> Result<ItemTarget, ModelError> {
    let (field, items) = items_field(at.collection, at.field)?;
    let record = record_object(document, at.collection, at.record_id)?;
    let list = match document.get(&record, field.key)? {
        Some((Value::Object(ObjType::List), list)) => Some(list),
        _ => None,
    };
    Ok(ItemTarget {
        record,
        field,
        items,
        list,
    })
}

impl ItemTarget {
    /// The item with `at.item_id`, as the list shows it.
    fn find(&self, document: &Automerge, at: &ItemAt<'_>) -> Result<Placed, ModelError> {
        self.list
            .as_ref()
            .and_then(|list| {
                placed_items(document, list)
                    .into_iter()
                    .find(|placed| placed.id == at.item_id)
            })
            .ok_or_else(|| ModelError::MissingRecord {
                collection: self.field.key,
                id: at.item_id.to_owned(),
            })
    }

    /// The change message's detail about one item: `<noun> <label>`.
    fn detail(
        &self,
        document: &Automerge,
        verb: &str,
        object: Option<&ObjId>,
        title: Option<&str>,
    ) -> String {
        let title = match (title, object) {
            (Some(title), _) => title.to_owned(),
            (None, Some(object)) => string_in(document, object, self.items.title_field).unwrap_or_default(),
            (None, None) => String::new(),
        };
        let label = item_label(document, self.items, &title);
        let mut detail = String::new();
        if !verb.is_empty() {
            detail.push_str(verb);
            detail.push(' ');
        }
        detail.push_str(self.items.noun);
        if !label.is_empty() {
            detail.push(' ');
            detail.push_str(&label);
        }
        detail
    }
}

/// Inserts `item` (its id and every sub-field of `items`) at `index` of
/// `list`: long text as Automerge text, lists as lists (so that people
/// adding to a new item's list at once all keep their entries), flags as
/// booleans, everything else as a string; a sub-field `item` lacks gets
/// its empty value. An alliance's commitment comes out `{id, text, due,
/// done}` as it always has.
fn insert_item(
    transaction: &mut Transaction<'_>,
    list: &ObjId,
    index: usize,
    item: &Item,
    items: &ItemSpec,
) -> Result<ObjId, AutomergeError> {
    let object = transaction.insert_object(list, index, ObjType::Map)?;
    transaction.put(&object, "id", item.id.as_str())?;
    for spec in items.fields {
        let value = item.fields.get(spec.key);
        match spec.kind {
            FieldKind::Items(_) => {}
            FieldKind::LongText => {
                let text = transaction.put_object(&object, spec.key, ObjType::Text)?;
                if let Some(FieldValue::Text(value)) = value {
                    transaction.update_text(&text, value)?;
                }
            }
            FieldKind::References(_) | FieldKind::Strings | FieldKind::Links => {
                let entries = match value {
                    Some(FieldValue::List(entries)) => entries.as_slice(),
                    _ => &[],
                };
                write_list(transaction, &object, spec.key, entries)?;
            }
            FieldKind::Flag => {
                transaction.put(&object, spec.key, matches!(value, Some(FieldValue::Flag(true))))?;
            }
            _ => {
                let text = match value {
                    Some(FieldValue::Text(text)) => text.as_str(),
                    _ => "",
                };
                transaction.put(&object, spec.key, text)?;
            }
        }
    }
    Ok(object)
}

/// An initial sub-field value as the value it writes (text trimmed except
/// long text), or why it does not fit the sub-field.
fn initial_value(spec: &FieldSpec, value: &Initial) -> Result<FieldValue, ModelError> {
    let list = matches!(
        spec.kind,
        FieldKind::References(_) | FieldKind::Strings | FieldKind::Links
    );
    match (spec.kind, value) {
        (FieldKind::Items(_), _) => Err(ModelError::WrongFieldKind(spec.key.to_owned())),
        (FieldKind::Flag, Initial::Flag(flag)) => Ok(FieldValue::Flag(*flag)),
        (_, Initial::List(entries)) if list => Ok(FieldValue::List(
            entries
                .iter()
                .map(|entry| entry.trim().to_owned())
                .filter(|entry| !entry.is_empty())
                .collect(),
        )),
        (FieldKind::LongText, Initial::Text(text)) => Ok(FieldValue::Text(text.clone())),
        (FieldKind::Flag, _) | (_, Initial::Flag(_) | Initial::List(_)) => {
            Err(ModelError::WrongFieldKind(spec.key.to_owned()))
        }
        (_, Initial::Text(_)) if list => Err(ModelError::WrongFieldKind(spec.key.to_owned())),
        (_, Initial::Text(text)) => Ok(FieldValue::Text(text.trim().to_owned())),
    }
}

/// Adds an item with the fresh id `at.item_id` to the items field
/// `at.field`, before the item now at `index` (as [`Record::items`] lists
/// them) or at the end (`None`, or an index past the end), with the
/// sub-fields in `initial` (the others empty). Message: `edit meeting
/// <title>: add agenda item <item title>`.
pub fn add_item(
    document: &mut Automerge,
    at: ItemAt<'_>,
    index: Option<usize>,
    initial: &[(&str, Initial)],
    authorship: &Authorship<'_>,
) -> Result<(), ModelError> {
    let target = item_target(document, &at)?;
    let mut item = Item {
        id: at.item_id.to_owned(),
        fields: BTreeMap::new(),
    };
    for (key, value) in initial {
        let spec = sub_field(at.collection, target.field, target.items, key)?;
        item.fields.insert(spec.key, initial_value(spec, value)?);
    }
    // The index in the list of the item shown at `index` (the list may
    // hold entries that are not shown: repeated ids, non-maps).
    let before = match (&target.list, index) {
        (Some(list), Some(index)) => placed_items(document, list).get(index).map(|placed| placed.index),
        _ => None,
    };
    let detail = target.detail(document, "add", None, Some(item.text(target.items.title_field)));
    commit_to_record(
        document,
        at.collection,
        (&target.record, at.record_id),
        ("edit", &detail),
        authorship,
        |transaction| {
            let list = list_object(transaction, &target.record, target.field.key)?;
            let end = transaction.length(&list);
            insert_item(transaction, &list, before.unwrap_or(end), &item, target.items).map(drop)
        },
    )
}

/// Sets a text-like sub-field of an item: long text by splices (as
/// [`set_text`] does for a record, so two people typing into one decision
/// both keep their text), a line, date, time, choice or reference as a
/// trimmed string. Message: `edit meeting <title>: agenda item <item
/// title> (<sub-field>)`.
pub fn set_item_field(
    document: &mut Automerge,
    at: ItemAt<'_>,
    key: &str,
    value: &str,
    authorship: &Authorship<'_>,
) -> Result<(), ModelError> {
    let target = item_target(document, &at)?;
    let spec = sub_field(at.collection, target.field, target.items, key)?;
    if matches!(
        spec.kind,
        FieldKind::References(_)
            | FieldKind::Strings
            | FieldKind::Links
            | FieldKind::Flag
            | FieldKind::Items(_)
    ) {
        return Err(ModelError::WrongFieldKind(format!("{}.{key}", target.field.key)));
    }
    let item = target.find(document, &at)?;
    let detail = format!(
        "{} ({key})",
        target.detail(document, "", Some(&item.object), None)
    );
    commit_to_record(
        document,
        at.collection,
        (&target.record, at.record_id),
        ("edit", &detail),
        authorship,
        |transaction| write_text(transaction, &item.object, spec, value),
    )
}

/// Sets a flag sub-field of an item (a commitment's `done`).
pub fn set_item_flag(
    document: &mut Automerge,
    at: ItemAt<'_>,
    key: &str,
    value: bool,
    authorship: &Authorship<'_>,
) -> Result<(), ModelError> {
    let target = item_target(document, &at)?;
    let spec = sub_field(at.collection, target.field, target.items, key)?;
    if spec.kind != FieldKind::Flag {
        return Err(ModelError::WrongFieldKind(format!("{}.{key}", target.field.key)));
    }
    let item = target.find(document, &at)?;
    let detail = format!(
        "{} ({key})",
        target.detail(document, "", Some(&item.object), None)
    );
    commit_to_record(
        document,
        at.collection,
        (&target.record, at.record_id),
        ("edit", &detail),
        authorship,
        |transaction| transaction.put(&item.object, spec.key, value),
    )
}

/// The list sub-field `key` of the item, or why it is not one.
fn item_list_field(
    document: &Automerge,
    at: &ItemAt<'_>,
    key: &str,
) -> Result<(ItemTarget, &'static FieldSpec, Placed), ModelError> {
    let target = item_target(document, at)?;
    let spec = sub_field(at.collection, target.field, target.items, key)?;
    if !matches!(
        spec.kind,
        FieldKind::References(_) | FieldKind::Strings | FieldKind::Links
    ) {
        return Err(ModelError::WrongFieldKind(format!("{}.{key}", target.field.key)));
    }
    let item = target.find(document, at)?;
    Ok((target, spec, item))
}

/// Adds an entry (a reference id, a link `<collection key>/<id>`) to a
/// list sub-field of an item; nothing if it is already there.
pub fn add_to_item_list(
    document: &mut Automerge,
    at: ItemAt<'_>,
    key: &str,
    entry: &str,
    authorship: &Authorship<'_>,
) -> Result<(), ModelError> {
    let entry = entry.trim();
    let (target, spec, item) = item_list_field(document, &at, key)?;
    if entry.is_empty()
        || read_list(document, &item.object, spec.key)
            .iter()
            .any(|known| known == entry)
    {
        return Ok(());
    }
    let detail = format!(
        "{} ({key})",
        target.detail(document, "", Some(&item.object), None)
    );
    commit_to_record(
        document,
        at.collection,
        (&target.record, at.record_id),
        ("edit", &detail),
        authorship,
        |transaction| {
            let list = list_object(transaction, &item.object, spec.key)?;
            let end = transaction.length(&list);
            transaction.insert(&list, end, entry)
        },
    )
}

/// Removes every occurrence of an entry from a list sub-field of an item.
pub fn remove_from_item_list(
    document: &mut Automerge,
    at: ItemAt<'_>,
    key: &str,
    entry: &str,
    authorship: &Authorship<'_>,
) -> Result<(), ModelError> {
    let (target, spec, item) = item_list_field(document, &at, key)?;
    let Some((Value::Object(ObjType::List), list)) = document.get(&item.object, spec.key)? else {
        return Ok(());
    };
    let positions: Vec<usize> = document
        .list_range(&list, ..)
        .filter(|found| {
            matches!(&found.value, automerge::ValueRef::Scalar(automerge::ScalarValueRef::Str(text)) if text.as_ref() == entry)
        })
        .map(|found| found.index)
        .collect();
    if positions.is_empty() {
        return Ok(());
    }
    let detail = format!(
        "{} ({key})",
        target.detail(document, "", Some(&item.object), None)
    );
    commit_to_record(
        document,
        at.collection,
        (&target.record, at.record_id),
        ("edit", &detail),
        authorship,
        |transaction| {
            for index in positions.into_iter().rev() {
                transaction.delete(&list, index)?;
            }
            Ok(())
        },
    )
}

/// Removes an item: every map of its id (its content, older copies, its
/// places). Message: `edit meeting <title>: remove agenda item <item
/// title>`.
pub fn remove_item(
    document: &mut Automerge,
    at: ItemAt<'_>,
    authorship: &Authorship<'_>,
) -> Result<(), ModelError> {
    let target = item_target(document, &at)?;
    let item = target.find(document, &at)?;
    let detail = target.detail(document, "remove", Some(&item.object), None);
    let list = target
        .list
        .clone()
        .ok_or(ModelError::WrongFieldKind(at.field.to_owned()))?;
    let copies = map_indexes(document, &list, |object| has_id(document, object, at.item_id));
    commit_to_record(
        document,
        at.collection,
        (&target.record, at.record_id),
        ("edit", &detail),
        authorship,
        |transaction| {
            for index in copies.into_iter().rev() {
                transaction.delete(&list, index)?;
            }
            Ok(())
        },
    )
}

/// The indexes in `list` of the maps `keep` accepts.
fn map_indexes<R: ReadDoc>(document: &R, list: &ObjId, keep: impl Fn(&ObjId) -> bool) -> Vec<usize> {
    (0..document.length(list))
        .filter(|index| matches!(document.get(list, *index), Ok(Some((Value::Object(ObjType::Map), object))) if keep(&object)))
        .collect()
}

/// Whether the map `object` has the id `item_id`.
fn has_id<R: ReadDoc>(document: &R, object: &ObjId, item_id: &str) -> bool {
    string_in(document, object, "id").as_deref() == Some(item_id)
}

/// Whether the map `object` of an items list is a place ([`MOVED_HERE`]).
fn is_place<R: ReadDoc>(document: &R, object: &ObjId) -> bool {
    flag_in(document, object, MOVED_HERE)
}

/// Writes a place for the item `item_id` at `index` of `list`.
fn insert_place(
    transaction: &mut Transaction<'_>,
    list: &ObjId,
    index: usize,
    item_id: &str,
) -> Result<(), AutomergeError> {
    let place = transaction.insert_object(list, index, ObjType::Map)?;
    transaction.put(&place, "id", item_id)?;
    transaction.put(&place, MOVED_HERE, true)
}

/// Moves an item so that it is shown at `to` (an index of [`Record::items`]
/// once it moved; past the end means last). Message: `edit meeting
/// <title>: move agenda item <item title>`.
///
/// Automerge lists have no move, and deleting the item to insert a copy
/// would lose whatever someone writes into it meanwhile (offline, say).
/// So the item's content stays in its map and the move writes a *place*
/// (`{id, moved_here: true}`, see [`placed_views`]) where it now shows,
/// replacing its earlier places: an edit made concurrently with the move
/// lands on the content and shows after both merge. If two people move the
/// same item at once, it shows at the first of the two places; the next
/// move or removal deletes both.
pub fn move_item(
    document: &mut Automerge,
    at: ItemAt<'_>,
    to: usize,
    authorship: &Authorship<'_>,
) -> Result<(), ModelError> {
    let target = item_target(document, &at)?;
    let item = target.find(document, &at)?;
    let list = target
        .list
        .clone()
        .ok_or(ModelError::WrongFieldKind(at.field.to_owned()))?;
    let shown = placed_items(document, &list);
    let from = shown
        .iter()
        .position(|placed| placed.id == at.item_id)
        .unwrap_or_default();
    if from == to.min(shown.len().saturating_sub(1)) {
        return Ok(());
    }
    let places = map_indexes(document, &list, |object| {
        is_place(document, object) && has_id(document, object, at.item_id)
    });
    // The list index to insert the place before, once the earlier places
    // are gone: where the item that will follow it shows, less the places
    // deleted before it.
    let others: Vec<&Placed> = shown.iter().filter(|placed| placed.id != at.item_id).collect();
    let before = others
        .get(to)
        .map(|placed| placed.index - places.iter().filter(|place| **place < placed.index).count());
    let detail = target.detail(document, "move", Some(&item.object), None);
    commit_to_record(
        document,
        at.collection,
        (&target.record, at.record_id),
        ("edit", &detail),
        authorship,
        |transaction| {
            for index in places.into_iter().rev() {
                transaction.delete(&list, index)?;
            }
            let end = transaction.length(&list);
            insert_place(transaction, &list, before.unwrap_or(end), at.item_id)
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

/// Makes the item `object` hold `item`'s sub-fields, each as
/// [`restore_value`] writes a field. Whether it wrote.
fn update_item(
    transaction: &mut Transaction<'_>,
    object: &ObjId,
    item: &Item,
    items: &ItemSpec,
) -> Result<bool, AutomergeError> {
    let mut wrote = false;
    for spec in items.fields {
        if !matches!(spec.kind, FieldKind::Items(_)) {
            wrote |= restore_value(transaction, object, spec, item.fields.get(spec.key))?;
        }
    }
    Ok(wrote)
}

/// Makes the items list under `key` hold `target`, matched by id: an item
/// whose id is kept is edited in place, sub-field by sub-field (long text
/// by splices, so text typed into it meanwhile survives), items not in
/// `target` are removed, missing ones added where `target` has them.
/// Contents never move: if the list does not show `target`'s order, its
/// places go and, unless the contents' own order is `target`'s, one place
/// per item is written in that order (see [`move_item`]). Whether it wrote.
fn restore_items(
    transaction: &mut Transaction<'_>,
    record: &ObjId,
    key: &str,
    items: &ItemSpec,
    target: &[Item],
) -> Result<bool, AutomergeError> {
    let list = match transaction.get(record, key)? {
        Some((Value::Object(ObjType::List), list)) => list,
        None if target.is_empty() => return Ok(false),
        _ => transaction.put_object(record, key, ObjType::List)?,
    };
    let mut wrote = false;
    let wanted = |id: &str| target.iter().any(|item| item.id == id);
    // What shows of `target` stays, with the places of its ids; anything
    // else (other items, older copies, what is not an item) goes.
    let shown: Vec<Placed> = placed_items(transaction, &list)
        .into_iter()
        .filter(|placed| wanted(&placed.id))
        .collect();
    let mut doomed = Vec::new();
    for index in 0..transaction.length(&list) {
        let kept = match transaction.get(&list, index)? {
            Some((Value::Object(ObjType::Map), object)) if is_place(transaction, &object) => {
                string_in(transaction, &object, "id").is_some_and(|id| wanted(&id))
            }
            Some((Value::Object(ObjType::Map), object)) => shown.iter().any(|placed| placed.object == object),
            _ => false,
        };
        if !kept {
            doomed.push(index);
        }
    }
    for index in doomed.into_iter().rev() {
        transaction.delete(&list, index)?;
        wrote = true;
    }
    // Kept items are edited in place; a missing one goes before the next
    // kept item `target` has after it (where that one shows), else last.
    let mut shown = placed_items(transaction, &list);
    for (position, item) in target.iter().enumerate() {
        if let Some(placed) = shown.iter().find(|placed| placed.id == item.id) {
            wrote |= update_item(transaction, &placed.object, item, items)?;
            continue;
        }
        let before = target[position + 1..].iter().find_map(|next| {
            shown
                .iter()
                .find(|placed| placed.id == next.id)
                .map(|placed| placed.index)
        });
        let at = before.unwrap_or_else(|| transaction.length(&list));
        insert_item(transaction, &list, at, item, items)?;
        for placed in &mut shown {
            if placed.index >= at {
                placed.index += 1;
            }
        }
        wrote = true;
    }
    let in_order = |transaction: &Transaction<'_>| {
        placed_items(transaction, &list)
            .iter()
            .map(|placed| placed.id.as_str())
            .eq(target.iter().map(|item| item.id.as_str()))
    };
    if in_order(transaction) {
        return Ok(wrote);
    }
    let places = map_indexes(transaction, &list, |object| is_place(transaction, object));
    for index in places.into_iter().rev() {
        transaction.delete(&list, index)?;
    }
    if !in_order(transaction) {
        for item in target {
            let end = transaction.length(&list);
            insert_place(transaction, &list, end, &item.id)?;
        }
    }
    Ok(true)
}

/// Writes a field's earlier value back into `record` (the value as
/// [`read_one`] read it at some past heads; `None`: the field was absent),
/// changing only what differs: long text by splices (`update_text`), so text
/// typed concurrently survives; lists item by item; items by id;
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
        (FieldKind::Items(item_spec), value) => {
            let items = match value {
                Some(FieldValue::Items(items)) => items.as_slice(),
                _ => &[],
            };
            restore_items(transaction, record, spec.key, item_spec, items)
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
