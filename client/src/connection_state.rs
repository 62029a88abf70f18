//! What the connection indicator shows: [`crate::sync`] sets it, and a
//! leading tab tells its followers ([`crate::tab_link::Status`]).

use serde::{Deserialize, Serialize};

/// What the connection indicator shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConnectionState {
    /// Fetching the workspace, opening the socket or waiting for the server's `peer`.
    Connecting,
    /// The server answered `join`: edits flow both ways.
    Live,
    /// The socket closed or could not open; a retry is scheduled.
    Offline,
    /// Nobody is signed in: no socket, no retries.
    SignedOut,
}

impl ConnectionState {
    /// The value of the indicator's `data-state` attribute.
    pub fn as_attribute(self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::Live => "live",
            Self::Offline => "offline",
            Self::SignedOut => "signed-out",
        }
    }
}
