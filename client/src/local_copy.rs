//! The workspace's copy in this browser: IndexedDB, through the `idb` crate.
//!
//! One database (`enlace`) with one object store of plain keys, per person
//! and workspace (`<person>/<workspace>/…`):
//! - `meta`: JSON [`Meta`]: the actor id this browser edits with (so it is
//!   the same after a reload, and the server's binding of it to the person
//!   holds), the workspace's name and the role last heard, the server's
//!   heads last acknowledged, and the next chunk's number;
//! - `snapshot`: the whole document (`Automerge::save`), written at the
//!   first save and at every compaction;
//! - `chunk/<n>`: what changed since the previous chunk
//!   (`Automerge::save_after`), one write per burst of edits: persisting an
//!   edit costs its own bytes, never the whole document. After
//!   [`COMPACT_AFTER`] chunks the snapshot is rewritten and the chunks
//!   dropped, in one transaction.
//! - `image`: the workspace's records as this browser last showed them
//!   ([`enlace_shared::image::WorkspaceImage`]), written once edits have
//!   settled: what a page draws while the document is being loaded.
//!
//! And `last`: the last person signed in here and their workspace, so the
//! app can open with no network ([`LastSignIn`]).
//!
//! [`crate::sync::SyncHandle`] owns the copy: it loads it before the
//! network and writes it after every change; signing out deletes the whole
//! database ([`wipe`]). Only one tab at a time writes a copy (see
//! [`crate::tab_lock`]).

use std::cell::RefCell;
use std::rc::Rc;

use enlace_shared::api::PersonView;
use enlace_shared::ids::DocumentId;
use enlace_shared::roles::Role;
use idb::{Database, DatabaseEvent, Factory, KeyRange, ObjectStore, Query, TransactionMode};
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};

/// The IndexedDB database's name (one per origin).
pub const DATABASE: &str = "enlace";
const STORE: &str = "copy";
const LAST: &str = "last";

/// Chunks written before the snapshot is rewritten.
pub const COMPACT_AFTER: u32 = 200;

/// What is kept beside a copy's bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// The actor id this browser edits the workspace with, in hex.
    pub actor: String,
    pub workspace_name: String,
    pub role: Option<Role>,
    /// The server's heads, in hex, when it last acknowledged our changes:
    /// what is beyond them (by our actor) is waiting to be sent.
    #[serde(default)]
    pub server_heads: Vec<String>,
    /// The number of the next chunk; chunks since the snapshot are
    /// `first_chunk..next_chunk`.
    pub next_chunk: u32,
    pub first_chunk: u32,
}

/// The last sign-in on this browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastSignIn {
    pub person: PersonView,
    pub workspace: Option<DocumentId>,
}

/// Where one person's copy of one workspace lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyKey {
    prefix: String,
}

impl CopyKey {
    pub fn new(person_id: &str, workspace: DocumentId) -> Self {
        Self {
            prefix: format!("{person_id}/{workspace}"),
        }
    }

    pub fn meta(&self) -> String {
        format!("{}/meta", self.prefix)
    }

    pub fn snapshot(&self) -> String {
        format!("{}/snapshot", self.prefix)
    }

    pub fn image(&self) -> String {
        format!("{}/image", self.prefix)
    }

    /// Chunk `n`, zero-padded so that keys sort in the order written.
    pub fn chunk(&self, n: u32) -> String {
        format!("{}/chunk/{n:010}", self.prefix)
    }

    /// The bounds of every chunk key of this copy (inclusive).
    pub fn chunks(&self) -> (String, String) {
        (
            format!("{}/chunk/", self.prefix),
            format!("{}/chunk/~", self.prefix),
        )
    }
}

/// A copy as read back.
pub struct Stored {
    pub meta: Meta,
    pub snapshot: Vec<u8>,
    /// In the order written.
    pub chunks: Vec<Vec<u8>>,
    /// The encoded [`enlace_shared::image::WorkspaceImage`], if one was kept.
    pub image: Option<Vec<u8>>,
}

/// What failed, in words for the console.
#[derive(Debug)]
pub struct LocalError(pub String);

impl std::fmt::Display for LocalError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "local copy: {}", self.0)
    }
}

impl From<idb::Error> for LocalError {
    fn from(error: idb::Error) -> Self {
        Self(error.to_string())
    }
}

impl From<serde_json::Error> for LocalError {
    fn from(error: serde_json::Error) -> Self {
        Self(error.to_string())
    }
}

thread_local! {
    /// The open database, once opened (closed by [`wipe`]).
    static OPEN: RefCell<Option<Rc<Database>>> = const { RefCell::new(None) };
}

async fn database() -> Result<Rc<Database>, LocalError> {
    if let Some(database) = OPEN.with(|open| open.borrow().clone()) {
        return Ok(database);
    }
    let factory = Factory::new()?;
    let mut request = factory.open(DATABASE, Some(1))?;
    request.on_upgrade_needed(|event| {
        if let Ok(database) = event.database()
            && !database.store_names().iter().any(|name| name == STORE)
        {
            let _ = database.create_object_store(STORE, idb::ObjectStoreParams::new());
        }
    });
    let mut database = request.await?;
    // Another tab deletes the database (signing out) or upgrades it: let
    // go at once, or that tab waits for this one forever; the next use
    // opens it again.
    database.on_version_change(|_event| {
        if let Some(database) = OPEN.with(|open| open.borrow_mut().take()) {
            database.close();
        }
    });
    let database = Rc::new(database);
    OPEN.with(|open| *open.borrow_mut() = Some(Rc::clone(&database)));
    Ok(database)
}

fn bytes_value(bytes: &[u8]) -> JsValue {
    js_sys::Uint8Array::from(bytes).into()
}

fn value_bytes(value: &JsValue) -> Option<Vec<u8>> {
    value
        .dyn_ref::<js_sys::Uint8Array>()
        .map(js_sys::Uint8Array::to_vec)
}

fn text_value(value: &JsValue) -> Option<String> {
    value.as_string()
}

async fn put(store: &ObjectStore, key: &str, value: &JsValue) -> Result<(), LocalError> {
    store.put(value, Some(&JsValue::from_str(key)))?.await?;
    Ok(())
}

/// The object store, in a new transaction of `mode`.
async fn open_store(mode: TransactionMode) -> Result<(idb::Transaction, ObjectStore), LocalError> {
    let database = database().await?;
    let transaction = database.transaction(&[STORE], mode)?;
    let store = transaction.object_store(STORE)?;
    Ok((transaction, store))
}

async fn put_meta(store: &ObjectStore, key: &CopyKey, meta: &Meta) -> Result<(), LocalError> {
    put(
        store,
        &key.meta(),
        &JsValue::from_str(&serde_json::to_string(meta)?),
    )
    .await
}

async fn get(store: &ObjectStore, key: &str) -> Result<Option<JsValue>, LocalError> {
    Ok(store.get(Query::from(JsValue::from_str(key)))?.await?)
}

fn chunk_range(key: &CopyKey) -> Result<Query, LocalError> {
    let (low, high) = key.chunks();
    Ok(Query::from(KeyRange::bound(
        &JsValue::from_str(&low),
        &JsValue::from_str(&high),
        None,
        None,
    )?))
}

/// Reads a copy (`None` when this browser has none).
pub async fn load(key: &CopyKey) -> Result<Option<Stored>, LocalError> {
    let (transaction, store) = open_store(TransactionMode::ReadOnly).await?;
    let Some(meta) = get(&store, &key.meta()).await?.as_ref().and_then(text_value) else {
        return Ok(None);
    };
    let meta: Meta = serde_json::from_str(&meta)?;
    let Some(snapshot) = get(&store, &key.snapshot()).await?.as_ref().and_then(value_bytes) else {
        return Ok(None);
    };
    let chunks = store
        .get_all(Some(chunk_range(key)?), None)?
        .await?
        .iter()
        .filter_map(value_bytes)
        .collect();
    let image = get(&store, &key.image()).await?.as_ref().and_then(value_bytes);
    transaction.await?;
    Ok(Some(Stored {
        meta,
        snapshot,
        chunks,
        image,
    }))
}

/// Writes the whole copy: the snapshot replaces every chunk.
pub async fn write_snapshot(key: &CopyKey, meta: &Meta, snapshot: &[u8]) -> Result<(), LocalError> {
    let (transaction, store) = open_store(TransactionMode::ReadWrite).await?;
    store.delete(chunk_range(key)?)?.await?;
    put(&store, &key.snapshot(), &bytes_value(snapshot)).await?;
    put_meta(&store, key, meta).await?;
    transaction.commit()?.await?;
    Ok(())
}

/// Adds chunk `n` (and the meta that counts it) in one transaction.
pub async fn write_chunk(key: &CopyKey, meta: &Meta, n: u32, bytes: &[u8]) -> Result<(), LocalError> {
    let (transaction, store) = open_store(TransactionMode::ReadWrite).await?;
    put(&store, &key.chunk(n), &bytes_value(bytes)).await?;
    put_meta(&store, key, meta).await?;
    transaction.commit()?.await?;
    Ok(())
}

/// Keeps the workspace's image (see [`CopyKey::image`]).
pub async fn write_image(key: &CopyKey, image: &[u8]) -> Result<(), LocalError> {
    let (transaction, store) = open_store(TransactionMode::ReadWrite).await?;
    put(&store, &key.image(), &bytes_value(image)).await?;
    transaction.commit()?.await?;
    Ok(())
}

/// Rewrites the meta alone (the server's heads, the role).
pub async fn write_meta(key: &CopyKey, meta: &Meta) -> Result<(), LocalError> {
    let (transaction, store) = open_store(TransactionMode::ReadWrite).await?;
    put_meta(&store, key, meta).await?;
    transaction.commit()?.await?;
    Ok(())
}

/// Remembers who signed in here last (and their workspace).
pub async fn remember_sign_in(last: &LastSignIn) -> Result<(), LocalError> {
    let (transaction, store) = open_store(TransactionMode::ReadWrite).await?;
    put(&store, LAST, &JsValue::from_str(&serde_json::to_string(last)?)).await?;
    transaction.commit()?.await?;
    Ok(())
}

/// Who signed in here last, if anyone (and the copy was not wiped since).
pub async fn last_sign_in() -> Result<Option<LastSignIn>, LocalError> {
    let (transaction, store) = open_store(TransactionMode::ReadOnly).await?;
    let last = get(&store, LAST).await?.as_ref().and_then(text_value);
    transaction.await?;
    Ok(match last {
        Some(last) => Some(serde_json::from_str(&last)?),
        None => None,
    })
}

/// Deletes every copy on this browser (signing out).
pub async fn wipe() -> Result<(), LocalError> {
    if let Some(database) = OPEN.with(|open| open.borrow_mut().take()) {
        database.close();
    }
    Factory::new()?.delete(DATABASE)?.await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_per_person_and_workspace_and_chunks_sort_in_order() {
        let workspace = DocumentId::from_bytes([7; 16]);
        let key = CopyKey::new("p-ana", workspace);
        let other = CopyKey::new("p-beto", workspace);
        assert_ne!(key.meta(), other.meta());
        assert!(key.meta().starts_with("p-ana/"));
        let (low, high) = key.chunks();
        let mut chunks = vec![key.chunk(10), key.chunk(9), key.chunk(1_000)];
        chunks.sort();
        assert_eq!(chunks, [key.chunk(9), key.chunk(10), key.chunk(1_000)]);
        for chunk in &chunks {
            assert!(low.as_str() <= chunk.as_str() && chunk.as_str() <= high.as_str());
        }
        assert!(key.snapshot() < low || key.snapshot() > high);
        assert!(key.image() < low || key.image() > high);
        assert!(!(low.as_str() <= key.meta().as_str() && key.meta().as_str() <= high.as_str()));
        assert!(!(low.as_str() <= other.chunk(1).as_str() && other.chunk(1).as_str() <= high.as_str()));
    }

    #[test]
    fn meta_round_trips_and_older_meta_without_heads_reads() {
        let meta = Meta {
            actor: "00ff".into(),
            workspace_name: "Mesa".into(),
            role: Some(Role::Member),
            server_heads: vec!["ab".into()],
            next_chunk: 3,
            first_chunk: 1,
        };
        let text = serde_json::to_string(&meta).expect("encodes");
        assert_eq!(serde_json::from_str::<Meta>(&text).expect("decodes"), meta);
        let old = r#"{"actor":"00ff","workspace_name":"Mesa","role":null,"next_chunk":0,"first_chunk":0}"#;
        assert!(
            serde_json::from_str::<Meta>(old)
                .expect("decodes")
                .server_heads
                .is_empty()
        );
    }
}
