//! The pure core of Enlace, shared by the server and the browser client.
//!
//! # Layout
//! From the bottom up (a module uses only those above it in this list):
//! - [`language`]: the two interface languages and [`Bilingual`] text.
//! - [`ids`]: document ids (`automerge:` URLs), peer ids, record ids, hex.
//! - [`refusal`]: why something was refused, with its text in both languages.
//! - [`roles`]: roles, capabilities and which role has which.
//! - [`api`]: the HTTP API's paths, request and response types, close codes.
//! - [`protocol`]: the automerge-repo WebSocket wire messages (CBOR), version "1".
//! - [`schema`]: every collection: storage key, fields, title, labels, and
//!   the capability its records need. The backbone the rest reads.
//! - [`model`]: the workspace document's root (creation, name) and reading
//!   strings written as scalars or text.
//! - [`records`]: generic reading and writing of any record of any collection.
//! - [`validation`]: the rules a workspace should satisfy, reported per field.
//! - [`csv_io`]: CSV export, parsing, column mapping, the import plan
//!   (values, problems, likely duplicates) and the import as one change.
//! - [`followup`]: the open action items, each work-plan line's records
//!   and progress, the period's overview, a working group's meetings.
//! - [`graph`]: the map's graph (organisations, each alliance and collaboration
//!   as a tie node, filters, search focus).
//! - [`layout`]: the map's force-directed layout, seeded, stable across updates.
//! - [`policy`]: where each operation of a change lands, and whether a role
//!   may make it.
//! - [`demo`]: the demo roundtable.
//! - [`report`]: the annual report for a period (generated from the
//!   records, pinned to the heads it was issued at) and its standalone HTML.
//! - [`image`]: the workspace's records as a browser last read them (CBOR),
//!   drawn before the document is loaded.
//! - [`timetravel`]: the past: word diffs, the timeline's grouping, two
//!   moments compared, restores, and the secretariat's revert.
//! - [`intent`]: every edit the interface makes, as data: its capability,
//!   and the one change it makes with the modules above.
//! - [`query`]: the questions asked of the whole document (two moments
//!   compared, a revert or an import planned, a report as issued), as data.
//! - [`presence`]: the presence payload (CBOR in `ephemeral` messages) and
//!   the board of who else is here, keyed by the server's stamp.
//! - [`sync`]: the sans-IO sync engines — [`sync::PeerSession`] for a client
//!   talking to one server, [`sync::DocumentHub`] for the server side of one
//!   document shared with many peers.
//!
//! # Invariants
//! This crate does no IO: no sockets, no files, no clocks, no randomness of its
//! own. Time and fresh ids are arguments. It compiles for native and wasm32.

pub mod api;
pub mod csv_io;
pub mod demo;
pub mod followup;
pub mod graph;
pub mod history;
pub mod ids;
pub mod image;
pub mod intent;
pub mod language;
pub mod layout;
pub mod map_view;
pub mod model;
pub mod policy;
pub mod presence;
pub mod protocol;
pub mod query;
pub mod records;
pub mod refusal;
pub mod report;
pub mod roles;
pub mod schema;
pub mod sync;
pub mod timetravel;
pub mod validation;

pub use ids::{DocumentId, PeerId};
pub use language::{Bilingual, Language};
