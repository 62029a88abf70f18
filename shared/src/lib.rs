//! The pure core of Enlace, shared by the server and the browser client.
//!
//! # Layout
//! - [`ids`]: document ids (`automerge:` URLs) and peer ids.
//! - [`protocol`]: the automerge-repo WebSocket wire messages (CBOR), version "1".
//! - [`sync`]: the sans-IO sync engines — [`sync::PeerSession`] for a client
//!   talking to one server, [`sync::DocumentHub`] for the server side of one
//!   document shared with many peers.
//! - [`policy`]: who may change what (roles, capabilities, checks of edits).
//! - [`model`]: the workspace document: its root collections and the mapping
//!   of records onto it (see `docs/schema.md`).
//!
//! # Invariants
//! This crate does no IO: no sockets, no files, no clocks, no randomness of its
//! own. Time and fresh ids are arguments. It compiles for native and wasm32.

pub mod demo;
pub mod ids;
pub mod model;
pub mod policy;
pub mod protocol;
pub mod records;
pub mod schema;
pub mod sync;
pub mod validation;

pub use ids::{DocumentId, PeerId};
