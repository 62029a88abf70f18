//! Small views with `Signal`/`Callback` props that read the language, the
//! workspace and the sync handle from [`crate::context`]; none of them knows
//! about the socket or imports a page.

pub mod as_of_banner;
pub mod compare_view;
pub mod connection_indicator;
pub mod count_card;
pub mod current_user;
pub mod field_change;
pub mod field_controls;
pub mod field_editor;
pub mod history_entry;
pub mod history_feed;
pub mod history_filters;
pub mod history_restore;
pub mod items_editor;
pub mod language_switch;
pub mod latest_changes;
pub mod leadership;
pub mod links_picker;
pub mod list_controls;
pub mod moment_picker;
pub mod nav_bar;
pub mod new_record_form;
pub mod organisation_related;
pub mod pipeline;
pub mod record_authorship;
pub mod record_context;
pub mod record_history;
pub mod reference_picker;
pub mod refused_list;
pub mod rejection_notice;
pub mod revert_panel;
