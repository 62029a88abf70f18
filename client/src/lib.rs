//! The Enlace browser client: Leptos, client-side rendered, compiled to wasm32.
//!
//! # Layout
//! - [`app`]: the root component: header, language, and the sync handle in context.
//! - [`sync`]: the only module that touches the WebSocket; owns the automerge
//!   document through `enlace_shared::sync::PeerSession` and exposes signals.
//! - [`i18n`]: the Spanish and English interface text, as plain functions.
//! - [`browser`]: the clock, randomness and `localStorage`.
//! - [`pages`]: one module per screen (the organisation directory for now).
//! - [`components`]: small views that take `Signal`/`Callback` props.
//!
//! # Invariants
//! Components never change the document themselves: they call the sync
//! handle, which commits with a real timestamp and an author, then syncs.

use wasm_bindgen::prelude::wasm_bindgen;

pub mod app;
pub mod browser;
pub mod components;
pub mod i18n;
pub mod pages;
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
