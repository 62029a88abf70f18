//! Small views with `Signal`/`Callback` props; none of them knows about the socket.

pub mod add_organisation_form;
pub mod commitments_editor;
pub mod connection_indicator;
pub mod current_user;
pub mod field_controls;
pub mod field_editor;
pub mod kind_select;
pub mod language_switch;
pub mod list_controls;
pub mod live_text_input;
pub mod nav_bar;
pub mod new_record_form;
pub mod organisation_row;
pub mod pipeline;
pub mod record_context;
pub mod reference_picker;
pub mod rejection_notice;
