//! The workspace document and the mapping of records onto it.
//!
//! `docs/schema.md` is the written contract for this mapping; keep the two in
//! step. In short: the root holds `meta` (workspace name, schema version) and
//! one map per collection of [`crate::schema`], created once by the server.
//! Each collection maps a stable random record id to a map of fields, read
//! and written by [`crate::records`]. Every record carries `created_at` (ms
//! since the epoch, for display) and a `deleted` tombstone. Who created or
//! last edited a record is never a field: the server knows it from its
//! receipts (bound authorship), and older documents' `created_by` fields are
//! ignored.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{
    Automerge, AutomergeError, ChangeHash, ObjId, ObjType, Prop, ROOT, ReadDoc, ScalarValue, Value,
};

use crate::schema::Collection;

/// The version of the mapping written into `meta.schema_version`.
/// 2 added working groups, meetings, action items and reports; 3 the
/// saved map views.
pub const SCHEMA_VERSION: u64 = 3;

/// The longest change message (in UTF-8 bytes) the server accepts, from any
/// role: messages are copied into every receipt and shown in the audit trail.
/// [`change_message`] keeps Enlace's own messages within it.
pub const MAX_CHANGE_MESSAGE_BYTES: usize = 1000;

/// `message` cut to at most [`MAX_CHANGE_MESSAGE_BYTES`] on a character
/// boundary, ending in `…` when cut (a long record title must not make its
/// edits refused).
pub fn change_message(message: String) -> String {
    if message.len() <= MAX_CHANGE_MESSAGE_BYTES {
        return message;
    }
    const ELLIPSIS: &str = "…";
    let mut end = MAX_CHANGE_MESSAGE_BYTES - ELLIPSIS.len();
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    let mut cut = message;
    cut.truncate(end);
    cut.push_str(ELLIPSIS);
    cut
}

/// Why the document could not be read or changed as a workspace.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("the document has no `{0}` collection; it was not created as a workspace")]
    MissingCollection(&'static str),
    #[error("no record `{id}` in `{collection}`")]
    MissingRecord { collection: &'static str, id: String },
    #[error("`{0}` must not be empty")]
    Required(&'static str),
    #[error("`{collection}` has no field `{field}`")]
    UnknownField { collection: &'static str, field: String },
    #[error("field `{0}` cannot be set that way")]
    WrongFieldKind(String),
    #[error(transparent)]
    Automerge(#[from] AutomergeError),
}

/// Who makes a change and when, for the commit metadata.
#[derive(Debug, Clone)]
pub struct Authorship<'a> {
    /// The change's time, and `created_at` of the records it creates.
    pub now_ms: i64,
    /// The local person's display name. Nothing is written from it into
    /// the document: who made a change is what the server's receipt says.
    pub author: &'a str,
}

/// Creates the root of a new workspace document: `meta` and every collection.
/// Only the server calls this, once per workspace, so no two writers create
/// competing root maps.
pub fn create_workspace(document: &mut Automerge, name: &str, now_ms: i64) -> Result<(), ModelError> {
    document
        .transact_with(
            |_| {
                CommitOptions::default()
                    .with_message(change_message(format!("create workspace {name}")))
                    .with_time(now_ms)
            },
            |transaction| -> Result<(), AutomergeError> {
                let meta = transaction.put_object(ROOT, "meta", ObjType::Map)?;
                transaction.put(&meta, "name", name)?;
                transaction.put(&meta, "schema_version", SCHEMA_VERSION)?;
                transaction.put(&meta, "created_at", ScalarValue::Timestamp(now_ms))?;
                for collection in Collection::ALL {
                    transaction.put_object(ROOT, collection.key(), ObjType::Map)?;
                }
                Ok(())
            },
        )
        .map_err(|failure| ModelError::Automerge(failure.error))?;
    Ok(())
}

/// The collections whose map the document's root lacks (a workspace made
/// before they existed), in schema order.
pub fn missing_collections(document: &Automerge) -> Vec<Collection> {
    Collection::ALL
        .into_iter()
        .filter(|collection| {
            !matches!(
                document.get(ROOT, collection.key()),
                Ok(Some((Value::Object(ObjType::Map), _)))
            )
        })
        .collect()
}

/// Creates the maps of `collections` at the root and records the schema
/// version, as one change. Only the server calls this, at start, before any
/// client has the document (see [`create_workspace`]).
pub fn add_collections(
    document: &mut Automerge,
    collections: &[Collection],
    now_ms: i64,
) -> Result<(), ModelError> {
    let keys: Vec<&str> = collections.iter().map(|collection| collection.key()).collect();
    document
        .transact_with(
            |_| {
                CommitOptions::default()
                    .with_message(change_message(format!("add collections {}", keys.join(", "))))
                    .with_time(now_ms)
            },
            |transaction| -> Result<(), AutomergeError> {
                for key in &keys {
                    transaction.put_object(ROOT, *key, ObjType::Map)?;
                }
                if let Some((Value::Object(ObjType::Map), meta)) = transaction.get(ROOT, "meta")? {
                    transaction.put(&meta, "schema_version", SCHEMA_VERSION)?;
                }
                Ok(())
            },
        )
        .map_err(|failure| ModelError::Automerge(failure.error))?;
    Ok(())
}

/// The workspace's name from `meta.name`, if present.
pub fn workspace_name<R: DocRead + ?Sized>(document: &R) -> Option<String> {
    let meta = object(document, &ROOT, "meta")?;
    read_string(document, &meta, "name")
}

/// Read access to a workspace document, either as it is now or as it was
/// at some heads ([`At`]). Every reader of records goes through this, so
/// "the workspace as of a moment" is the same code as "the workspace now",
/// with no copy of the document: automerge answers `_at` reads from its
/// change graph (clocks cached every few changes).
pub trait DocRead {
    /// The value under `prop` of `parent`, with its object id.
    fn value(&self, parent: &ObjId, prop: Prop) -> Option<(Value<'_>, ObjId)>;
    /// The content of a text object.
    fn text_of(&self, text: &ObjId) -> Option<String>;
    /// The length of a list or text object.
    fn length_of(&self, list: &ObjId) -> usize;
    /// The keys of a map object.
    fn keys_of(&self, map: &ObjId) -> Vec<String>;
    /// The string items of a list object (other items skipped).
    fn strings_of(&self, list: &ObjId) -> Vec<String>;
    /// The heads this view reads at.
    fn view_heads(&self) -> Vec<ChangeHash>;
    /// Every key of a map object with its (winning) value and object id.
    /// Reading a whole record this way costs automerge one seek into the
    /// record's operations instead of one per field, which is most of the
    /// cost of reading a workspace at past heads (see `bench/benches/timetravel.rs`).
    fn entries_of(&self, map: &ObjId) -> Vec<(String, Value<'_>, ObjId)> {
        self.keys_of(map)
            .into_iter()
            .filter_map(|key| {
                let (value, id) = self.value(map, key.as_str().into())?;
                Some((key, value, id))
            })
            .collect()
    }
}

fn map_entries<'a>(
    items: impl Iterator<Item = automerge::iter::MapRangeItem<'a>>,
) -> Vec<(String, Value<'a>, ObjId)> {
    items
        .map(|item| {
            let id = item.id();
            (item.key.into_owned(), item.value.into_value(), id)
        })
        .collect()
}

fn string_items<'a>(items: impl Iterator<Item = automerge::iter::ListRangeItem<'a>>) -> Vec<String> {
    items
        .filter_map(|item| match item.value {
            automerge::ValueRef::Scalar(automerge::ScalarValueRef::Str(text)) => Some(text.to_string()),
            _ => None,
        })
        .collect()
}

/// [`DocRead`] for a type that reads the document as it is now (automerge's
/// `ReadDoc`): the document itself, and a transaction on it (whose reads
/// see its own writes).
macro_rules! doc_read_now {
    ($reader:ty) => {
        impl DocRead for $reader {
            fn value(&self, parent: &ObjId, prop: Prop) -> Option<(Value<'_>, ObjId)> {
                self.get(parent, prop).ok()?
            }
            fn text_of(&self, text: &ObjId) -> Option<String> {
                self.text(text).ok()
            }
            fn length_of(&self, list: &ObjId) -> usize {
                self.length(list)
            }
            fn keys_of(&self, map: &ObjId) -> Vec<String> {
                self.keys(map).collect()
            }
            fn strings_of(&self, list: &ObjId) -> Vec<String> {
                string_items(self.list_range(list, ..))
            }
            fn view_heads(&self) -> Vec<ChangeHash> {
                self.get_heads()
            }
            fn entries_of(&self, map: &ObjId) -> Vec<(String, Value<'_>, ObjId)> {
                map_entries(self.map_range(map, ..))
            }
        }
    };
}

doc_read_now!(Automerge);
doc_read_now!(automerge::transaction::Transaction<'_>);

/// A document as it was at `heads` (which must all be in it).
#[derive(Debug, Clone, Copy)]
pub struct At<'a> {
    pub document: &'a Automerge,
    pub heads: &'a [ChangeHash],
}

impl DocRead for At<'_> {
    fn value(&self, parent: &ObjId, prop: Prop) -> Option<(Value<'_>, ObjId)> {
        self.document.get_at(parent, prop, self.heads).ok()?
    }
    fn text_of(&self, text: &ObjId) -> Option<String> {
        self.document.text_at(text, self.heads).ok()
    }
    fn length_of(&self, list: &ObjId) -> usize {
        self.document.length_at(list, self.heads)
    }
    fn keys_of(&self, map: &ObjId) -> Vec<String> {
        self.document.keys_at(map, self.heads).collect()
    }
    fn strings_of(&self, list: &ObjId) -> Vec<String> {
        string_items(self.document.list_range_at(list, .., self.heads))
    }
    fn view_heads(&self) -> Vec<ChangeHash> {
        self.heads.to_vec()
    }
    fn entries_of(&self, map: &ObjId) -> Vec<(String, Value<'_>, ObjId)> {
        map_entries(self.document.map_range_at(map, .., self.heads))
    }
}

/// The object under `key` of `parent`, if that value is an object.
pub(crate) fn object<R: DocRead + ?Sized>(document: &R, parent: &ObjId, key: &str) -> Option<ObjId> {
    match document.value(parent, key.into()) {
        Some((Value::Object(_), id)) => Some(id),
        _ => None,
    }
}

/// Reads a string field written either as a scalar string (Rust clients) or as
/// automerge text (JavaScript clients store strings as text by default).
pub fn read_string<R: DocRead + ?Sized>(document: &R, parent: &ObjId, key: &str) -> Option<String> {
    match document.value(parent, key.into())? {
        (Value::Scalar(scalar), _) => match scalar.as_ref() {
            ScalarValue::Str(text) => Some(text.to_string()),
            _ => None,
        },
        (Value::Object(ObjType::Text), id) => document.text_of(&id),
        (Value::Object(_), _) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace() -> Automerge {
        let mut document = Automerge::new();
        create_workspace(&mut document, "MCIG", 1).expect("create");
        document
    }

    #[test]
    fn workspace_has_every_collection_and_its_name() {
        let document = workspace();
        for collection in Collection::ALL {
            assert!(
                object(&document, &ROOT, collection.key()).is_some(),
                "{collection:?}"
            );
        }
        assert_eq!(workspace_name(&document).as_deref(), Some("MCIG"));
    }

    #[test]
    fn long_change_messages_are_cut_on_a_character_boundary() {
        assert_eq!(
            change_message("edit organisation GIZ".into()),
            "edit organisation GIZ"
        );
        let long = format!("add organisation {}", "ñ".repeat(MAX_CHANGE_MESSAGE_BYTES));
        let cut = change_message(long.clone());
        assert!(cut.len() <= MAX_CHANGE_MESSAGE_BYTES, "{}", cut.len());
        assert!(cut.ends_with('…') && long.starts_with(cut.trim_end_matches('…')));
        let exact = "a".repeat(MAX_CHANGE_MESSAGE_BYTES);
        assert_eq!(change_message(exact.clone()), exact);
    }

    /// Reads through [`DocRead`]'s own `entries_of` (key by key), to check
    /// the one-pass overrides against it.
    struct KeyByKey<'a>(At<'a>);

    impl DocRead for KeyByKey<'_> {
        fn value(&self, parent: &ObjId, prop: Prop) -> Option<(Value<'_>, ObjId)> {
            self.0.value(parent, prop)
        }
        fn text_of(&self, text: &ObjId) -> Option<String> {
            self.0.text_of(text)
        }
        fn length_of(&self, list: &ObjId) -> usize {
            self.0.length_of(list)
        }
        fn keys_of(&self, map: &ObjId) -> Vec<String> {
            self.0.keys_of(map)
        }
        fn strings_of(&self, list: &ObjId) -> Vec<String> {
            self.0.strings_of(list)
        }
        fn view_heads(&self) -> Vec<ChangeHash> {
            self.0.view_heads()
        }
    }

    #[test]
    fn map_entries_in_one_pass_match_key_by_key_reads_conflicts_included() {
        use automerge::ActorId;
        let mut ana = workspace().with_actor(ActorId::from(vec![1u8; 16]));
        let meta = object(&ana, &ROOT, "meta").expect("meta");
        let mut ben = ana.fork().with_actor(ActorId::from(vec![2u8; 16]));
        for (document, name) in [(&mut ana, "Mesa A"), (&mut ben, "Mesa B")] {
            let mut transaction = document.transaction();
            transaction.put(&meta, "name", name).expect("put");
            transaction.put(&meta, name, 1).expect("put");
            transaction.commit();
        }
        let before_merge = ana.get_heads();
        ana.merge(&mut ben).expect("merge");
        let mut transaction = ana.transaction();
        transaction.put(&meta, "later", true).expect("put");
        transaction.commit();
        let now = ana.get_heads();
        assert_eq!(ana.get_all(&meta, "name").expect("values").len(), 2, "a conflict");
        for heads in [&before_merge, &now] {
            let at = At {
                document: &ana,
                heads,
            };
            assert_eq!(at.entries_of(&meta), KeyByKey(at).entries_of(&meta));
        }
        let now_at = At {
            document: &ana,
            heads: &now,
        };
        assert_eq!(ana.entries_of(&meta), KeyByKey(now_at).entries_of(&meta));
        assert_eq!(ana.entries_of(&meta).len(), 6);
    }

    #[test]
    fn strings_written_as_text_are_read() {
        let mut document = workspace();
        let mut transaction = document.transaction();
        let name = transaction.put_object(ROOT, "note", ObjType::Text).expect("text");
        transaction
            .splice_text(&name, 0, 0, "ONU Mujeres")
            .expect("splice");
        transaction.put(ROOT, "plain", "scalar").expect("put");
        transaction.commit();
        assert_eq!(
            read_string(&document, &ROOT, "note").as_deref(),
            Some("ONU Mujeres")
        );
        assert_eq!(read_string(&document, &ROOT, "plain").as_deref(), Some("scalar"));
        assert_eq!(read_string(&document, &ROOT, "meta"), None);
    }
}
