//! Small views with `Signal`/`Callback` props; none of them knows about the socket.

pub mod add_organisation_form;
pub mod connection_indicator;
pub mod kind_select;
pub mod language_switch;
pub mod live_text_input;
pub mod organisation_row;
pub mod rejection_notice;
