//! One module per screen; each composes components and reads what it needs
//! from [`crate::context`].

pub mod action_items;
pub mod collection_list;
pub mod csv_import;
pub mod history;
pub mod home;
pub mod login;
pub mod map;
pub mod record_detail;
pub mod reports;
pub mod setup;
pub mod workplan;
pub mod workspace;
