//! Sans-IO sync engines over the automerge-repo protocol.
//!
//! Neither engine owns a socket or a clock: messages and the current time go
//! in, messages to send and the ids of documents that changed come out. Each
//! keeps one [`automerge::sync::State`] per peer per document.
//!
//! - [`PeerSession`]: one client's view of one server (the browser, test
//!   clients, the load generator).
//! - [`DocumentHub`]: the server's side of one document shared with many
//!   connections. It applies and fans out; persisting is its owner's job.
//!   What it accepts from a peer is bounded by [`InboundLimits`], checked
//!   by [`inbound`] before automerge reads a byte of the changes.

mod hub;
pub mod inbound;
mod peer;

pub use hub::{ConnectionKey, DocumentHub, HubError, Incoming, Outgoing};
pub use inbound::{InboundError, InboundLimits};
pub use peer::{Input, Output, PeerSession, SessionEvent, SyncError};
