//! One module per screen.

pub mod collection_list;
pub mod directory;
pub mod login;
pub mod organisation_related;
pub mod record_detail;
pub mod setup;
pub mod workspace;
