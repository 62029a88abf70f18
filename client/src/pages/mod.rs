//! One module per screen.

pub mod directory;
