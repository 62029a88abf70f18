//! The Enlace browser client: Leptos, client-side rendered, compiled to wasm32.
//!
//! # Layout
//! Plain logic (native tests, no Leptos):
//! - [`auth`]: the rules behind signing in and the disabled controls: sign-in
//!   error messages, the setup form's checks, what a role may do.
//! - [`collections`]: one read of the document per revision (`Snapshot`),
//!   search, filters and sorting, an organisation's related records, dates in
//!   the reader's language, the alliance pipeline.
//! - [`overview`]: the home page's figures: the current presidency, members
//!   by kind, alliances by stage, collaborations by status, the newest records.
//! - [`history`]: the History screens' filters (fragment and API query
//!   string), local dates and times, a field's value in words, and keeping
//!   live updates and older pages together.
//! - [`route`]: the screen named by the URL fragment, and the setup page's path.
//! - [`i18n`]: the interface's own words in Spanish and English, one table;
//!   domain labels (collections, fields, choices, roles, refusals) come from
//!   `enlace_shared`.
//! - [`tab_link`]: what a person's tabs say to each other, and the sync
//!   states between the leading tab and its followers;
//!   [`connection_state`]: what the connection indicator shows.
//! - [`csv_transfer`]: CSV export and import on top of
//!   `enlace_shared::csv_io` (file name, file checks, mapping, preview, summary).
//!
//! - [`engine_messages`]: what the page and the sync engine's worker say to
//!   each other (CBOR), and the values both show.
//!
//! IO (one owner each):
//! - [`sync_core`]: the sync engine, run in a dedicated worker
//!   ([`engine_worker`], started by `worker.js`): the only module that
//!   touches the WebSocket or the automerge document (through
//!   `enlace_shared::sync::PeerSession`); it drives the local copy and the
//!   other tabs.
//! - [`sync`]: the page's side: starts the worker, mirrors what the engine
//!   publishes as signals and the workspace's records as a snapshot, and
//!   sends it edits and questions.
//! - [`presence`]: what this tab says about where it is, and when (the
//!   shared pacer); everyone else's presence as signals (`use_presence`).
//! - [`tab_lock`], [`tab_channel`]: which tab leads (a Web Lock) and the
//!   `BroadcastChannel` to the others; [`sync_core`] drives both.
//! - [`http`]: every HTTP call, typed with `enlace_shared::api`.
//! - [`refetch`]: fetches that follow the document (once, then a little
//!   after each change).
//! - [`browser`]: the clock, randomness, `localStorage` and the address bar.
//! - [`files`]: downloads (a Blob and a link) and reading a chosen file.
//!
//! Views:
//! - [`context`]: what is shared through context (the language, the sync
//!   handle, the signed-in workspace) and the `use_*` accessors.
//! - [`app`]: the root component: header, sign-in state, the page.
//! - [`pages`]: one module per screen (login, setup, the workspace with its
//!   home page, collection lists and record pages); pages compose components.
//! - [`components`]: small views with `Signal`/`Callback` props; they never
//!   import pages.
//!
//! # Invariants
//! Components never touch the document: they read the workspace's records
//! from the sync handle's snapshot, ask it questions of the whole document
//! (`enlace_shared::query::Query`) and describe edits as
//! `enlace_shared::intent::Intent`, which it commits with a real timestamp
//! and the signed-in person's display name as author, then syncs. Controls the policy
//! (`enlace_shared::roles`) forbids are disabled, with the reason as tooltip;
//! the server enforces the same policy regardless.

use wasm_bindgen::prelude::wasm_bindgen;

pub mod app;
pub mod auth;
pub mod browser;
pub mod collections;
pub mod components;
pub mod connection_state;
pub mod context;
pub mod csv_transfer;
pub mod engine_messages;
pub mod engine_worker;
pub mod files;
pub mod history;
pub mod http;
pub mod i18n;
pub mod local_copy;
pub mod overview;
pub mod pages;
pub mod persist;
pub mod presence;
pub mod refetch;
pub mod route;
pub mod sync;
pub mod sync_core;
pub mod tab_channel;
pub mod tab_link;
pub mod tab_lock;

/// The wasm entry point: mounts the app on `<body>`. In the sync
/// engine's worker (no window) it only sets the panic hook; `worker.js`
/// then calls [`engine_worker::worker_start`].
#[wasm_bindgen(start)]
pub fn start() {
    // wasm32 aborts on panic with a bare `unreachable`; say why first, so a
    // browser test's page errors carry the message and its place.
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&format!("panic: {info}").into());
    }));
    if web_sys::window().is_none() {
        return;
    }
    // The static page shows a loading notice until the app takes over.
    if let Some(notice) = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.get_element_by_id("boot"))
    {
        notice.remove();
    }
    leptos::mount::mount_to_body(app::App);
}
