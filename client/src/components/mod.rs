//! Small views with `Signal`/`Callback` props that read the language, the
//! workspace and the sync handle from [`crate::context`]; none of them knows
//! about the socket or imports a page.

pub mod commitments_editor;
pub mod connection_indicator;
pub mod count_card;
pub mod current_user;
pub mod field_controls;
pub mod field_editor;
pub mod language_switch;
pub mod latest_changes;
pub mod leadership;
pub mod list_controls;
pub mod nav_bar;
pub mod new_record_form;
pub mod organisation_related;
pub mod pipeline;
pub mod record_authorship;
pub mod record_context;
pub mod reference_picker;
pub mod rejection_notice;
