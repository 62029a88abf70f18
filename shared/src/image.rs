//! The workspace as a browser last read it: every record, the technical
//! secretariat and the heads they were read at, encoded (CBOR) so that a
//! page can draw the records before the document itself is loaded.
//!
//! An image is a cache, never a source of truth: whoever opens it loads the
//! document afterwards and re-reads whatever changed since the image's heads.
//! Field keys are written as strings and read back only through the schema,
//! so an image written by another build that names a field this build does
//! not know loses that field instead of failing; an image of another
//! [`FORMAT`] is refused whole.

use std::collections::BTreeMap;

use automerge::ChangeHash;
use serde::{Deserialize, Serialize};

use crate::records::{FieldValue, Item, Record};
use crate::schema::{Collection, FieldKind, FieldSpec};

/// The encoding's version; an image of any other is not read.
pub const FORMAT: u32 = 1;

/// Every record of a workspace at `heads`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WorkspaceImage {
    pub heads: Vec<ChangeHash>,
    pub secretariat: Option<String>,
    pub records: Vec<Record>,
}

/// Why an image could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("the workspace image is not CBOR of the expected shape: {0}")]
    Malformed(String),
    #[error("the workspace image has format {0}, this build reads {FORMAT}")]
    OtherFormat(u32),
}

#[derive(Serialize, Deserialize)]
struct Wire {
    format: u32,
    heads: Vec<ChangeHash>,
    secretariat: Option<String>,
    records: Vec<WireRecord>,
}

#[derive(Serialize, Deserialize)]
struct WireRecord {
    id: String,
    collection: String,
    fields: Vec<(String, WireValue)>,
    created_at: i64,
    deleted: bool,
    example: bool,
}

#[derive(Serialize, Deserialize)]
enum WireValue {
    Text(String),
    List(Vec<String>),
    Flag(bool),
    Items(Vec<WireItem>),
}

#[derive(Serialize, Deserialize)]
struct WireItem {
    id: String,
    fields: Vec<(String, WireValue)>,
}

impl WorkspaceImage {
    pub fn encode(&self) -> Vec<u8> {
        let wire = Wire {
            format: FORMAT,
            heads: self.heads.clone(),
            secretariat: self.secretariat.clone(),
            records: self.records.iter().map(wire_record).collect(),
        };
        let mut bytes = Vec::new();
        ciborium::into_writer(&wire, &mut bytes).expect("CBOR encoding into memory is infallible");
        bytes
    }

    /// Reads an image back. Records of a collection this build does not
    /// know are left out, and so are fields it does not know.
    pub fn decode(bytes: &[u8]) -> Result<Self, ImageError> {
        #[derive(Deserialize)]
        struct Format {
            format: u32,
        }
        let Format { format } =
            ciborium::from_reader(bytes).map_err(|error| ImageError::Malformed(error.to_string()))?;
        if format != FORMAT {
            return Err(ImageError::OtherFormat(format));
        }
        let wire: Wire =
            ciborium::from_reader(bytes).map_err(|error| ImageError::Malformed(error.to_string()))?;
        Ok(Self {
            heads: wire.heads,
            secretariat: wire.secretariat,
            records: wire.records.into_iter().filter_map(record_from_wire).collect(),
        })
    }
}

fn wire_fields(fields: &BTreeMap<&'static str, FieldValue>) -> Vec<(String, WireValue)> {
    fields
        .iter()
        .map(|(key, value)| ((*key).to_owned(), wire_value(value)))
        .collect()
}

fn wire_value(value: &FieldValue) -> WireValue {
    match value {
        FieldValue::Text(text) => WireValue::Text(text.clone()),
        FieldValue::List(list) => WireValue::List(list.clone()),
        FieldValue::Flag(flag) => WireValue::Flag(*flag),
        FieldValue::Items(items) => WireValue::Items(
            items
                .iter()
                .map(|item| WireItem {
                    id: item.id.clone(),
                    fields: wire_fields(&item.fields),
                })
                .collect(),
        ),
    }
}

fn wire_record(record: &Record) -> WireRecord {
    WireRecord {
        id: record.id.clone(),
        collection: record.collection.key().to_owned(),
        fields: wire_fields(&record.fields),
        created_at: record.created_at,
        deleted: record.deleted,
        example: record.example,
    }
}

fn record_from_wire(wire: WireRecord) -> Option<Record> {
    let collection = Collection::from_key(&wire.collection)?;
    Some(Record {
        id: wire.id,
        collection,
        fields: fields_from_wire(wire.fields, |key| collection.field(key)),
        created_at: wire.created_at,
        deleted: wire.deleted,
        example: wire.example,
    })
}

/// The fields whose keys `spec_of` knows, each keyed by the schema's own
/// `'static` key.
fn fields_from_wire(
    fields: Vec<(String, WireValue)>,
    spec_of: impl Fn(&str) -> Option<&'static FieldSpec>,
) -> BTreeMap<&'static str, FieldValue> {
    fields
        .into_iter()
        .filter_map(|(key, value)| {
            let spec = spec_of(&key)?;
            Some((spec.key, value_from_wire(spec, value)?))
        })
        .collect()
}

fn value_from_wire(spec: &FieldSpec, value: WireValue) -> Option<FieldValue> {
    Some(match value {
        WireValue::Text(text) => FieldValue::Text(text),
        WireValue::List(list) => FieldValue::List(list),
        WireValue::Flag(flag) => FieldValue::Flag(flag),
        WireValue::Items(items) => {
            let FieldKind::Items(item_spec) = spec.kind else {
                return None;
            };
            FieldValue::Items(
                items
                    .into_iter()
                    .map(|item| Item {
                        id: item.id,
                        fields: fields_from_wire(item.fields, |key| item_spec.field(key)),
                    })
                    .collect(),
            )
        }
    })
}
