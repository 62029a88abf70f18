//! The Enlace browser client: Leptos, client-side rendered, compiled to wasm32.
//!
//! # Layout
//! - [`app`]: the root component: header, language, and the sync handle in context.
//! - [`auth`]: the signed-in person, the sign-in/setup API calls and the
//!   pure rules behind the forms and the disabled controls.
//! - [`sync`]: the only module that touches the WebSocket; owns the automerge
//!   document through `enlace_shared::sync::PeerSession` and exposes signals.
//! - [`i18n`]: the Spanish and English interface text, as plain functions.
//! - [`browser`]: the clock, randomness and `localStorage`.
//! - [`pages`]: one module per screen: login, first-start setup, the
//!   organisation directory.
//! - [`components`]: small views that take `Signal`/`Callback` props.
//!
//! # Invariants
//! Components never change the document themselves: they call the sync
//! handle, which commits with a real timestamp and the signed-in person's
//! display name as author, then syncs. Controls the policy
//! (`enlace_shared::policy`) forbids are disabled, with the reason as tooltip;
//! the server enforces the same policy regardless.

use wasm_bindgen::prelude::wasm_bindgen;

pub mod app;
pub mod auth;
pub mod browser;
pub mod collections;
pub mod components;
pub mod i18n;
pub mod pages;
pub mod record_text;
pub mod route;
pub mod sync;

/// The wasm entry point: mounts the app on `<body>`.
#[wasm_bindgen(start)]
pub fn start() {
    // The static page shows a loading notice until the app takes over.
    if let Some(notice) = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.get_element_by_id("boot"))
    {
        notice.remove();
    }
    leptos::mount::mount_to_body(app::App);
}
