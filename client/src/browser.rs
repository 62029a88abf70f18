//! Small wrappers over browser APIs other than the socket and `fetch`: the
//! clock, timers, randomness, `localStorage`, the address bar and the
//! document's language.
//!
//! The clock, timers and randomness go through the global scope, not the
//! window, so that they work in a worker too ([`global_property`]).
//!
//! Every function degrades quietly (a default, or nothing stored) when the API
//! is unavailable, as in private windows that refuse storage.

use std::time::Duration;

use enlace_shared::language::Language;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast as _, JsValue};

/// The `localStorage` key that remembers the chosen language.
pub const LANGUAGE_STORAGE_KEY: &str = "enlace.language";

/// Milliseconds since the Unix epoch, from the browser's clock.
pub fn now_ms() -> i64 {
    // `Date.now()` is an integral number of milliseconds well inside i64.
    js_sys::Date::now() as i64
}

/// A property of the global scope (the window, or a worker's own scope),
/// read through reflection: `None` where it is missing.
pub fn global_property(name: &str) -> Option<JsValue> {
    js_sys::Reflect::get(&js_sys::global(), &name.into())
        .ok()
        .filter(|value| !value.is_undefined() && !value.is_null())
}

/// Schedules `callback` with the global scope's `setTimeout`; false when
/// there is none.
fn schedule(callback: &JsValue, delay: Duration) -> bool {
    let Some(set_timeout) =
        global_property("setTimeout").and_then(|value| value.dyn_into::<js_sys::Function>().ok())
    else {
        return false;
    };
    let ms = u32::try_from(delay.as_millis()).unwrap_or(u32::MAX);
    set_timeout
        .call2(&js_sys::global(), callback, &JsValue::from(ms))
        .is_ok()
}

/// Calls `then` once, after `delay` (at once where there are no timers).
pub fn after(delay: Duration, then: impl FnOnce() + 'static) {
    let callback = Closure::once_into_js(then);
    if !schedule(&callback, delay) {
        let _ = callback.unchecked_ref::<js_sys::Function>().call0(&JsValue::NULL);
    }
}

/// Resolves after `ms` milliseconds (at once where there are no timers).
pub async fn sleep_ms(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        if !schedule(&resolve, Duration::from_millis(u64::from(ms))) {
            let _ = resolve.call0(&JsValue::NULL);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Resolves once the next frame has been drawn, with `performance.now()`
/// at that frame (at once where there is no window).
pub async fn after_next_frame() -> f64 {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let Some(window) = web_sys::window() else {
            let _ = resolve.call0(&JsValue::NULL);
            return;
        };
        let fallback = resolve.clone();
        let frame = Closure::once_into_js(move || {
            let at = performance_now();
            // A task queued from the frame's callback runs after the frame is painted.
            let painted = Closure::once_into_js(move || {
                let _ = resolve.call1(&JsValue::NULL, &at.into());
            });
            if !schedule(&painted, Duration::ZERO) {
                let _ = painted.unchecked_ref::<js_sys::Function>().call0(&JsValue::NULL);
            }
        });
        if window.request_animation_frame(frame.unchecked_ref()).is_err() {
            let _ = fallback.call0(&JsValue::NULL);
        }
    });
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .ok()
        .and_then(|at| at.as_f64())
        .unwrap_or_else(performance_now)
}

/// `performance.now()` in milliseconds, read through JS reflection (no
/// extra web-sys feature); `Date.now()` where it is missing. For the
/// in-page measurements the benchmarks read (`data-filter-ms`,
/// `data-as-of-ms`, `data-compare-ms`).
pub fn performance_now() -> f64 {
    let now = global_property("performance")
        .and_then(|performance| {
            let now = js_sys::Reflect::get(&performance, &"now".into()).ok()?;
            js_sys::Function::from(now).call0(&performance).ok()
        })
        .and_then(|value| value.as_f64());
    now.unwrap_or_else(js_sys::Date::now)
}

/// `performance.timeOrigin`: when this global scope's clock started (a
/// page's and its worker's differ), in ms since the epoch; 0 if unknown.
pub fn time_origin() -> f64 {
    global_property("performance")
        .and_then(|performance| js_sys::Reflect::get(&performance, &"timeOrigin".into()).ok())
        .and_then(|origin| origin.as_f64())
        .unwrap_or_default()
}

/// Today's date in the browser's time zone, as `YYYY-MM-DD`.
pub fn today() -> String {
    let date = js_sys::Date::new_0();
    format!(
        "{:04}-{:02}-{:02}",
        date.get_full_year(),
        date.get_month() + 1,
        date.get_date()
    )
}

/// Fresh random bytes from `crypto.getRandomValues` (through getrandom).
/// Falls back to `Math.random` only if the crypto API is missing, which no
/// supported browser lacks; ids stay unique enough for display either way.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    if getrandom::fill(&mut bytes).is_err() {
        for byte in &mut bytes {
            *byte = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    bytes
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

pub fn load_setting(key: &str) -> Option<String> {
    local_storage()?.get_item(key).ok()?
}

pub fn store_setting(key: &str, value: &str) {
    if let Some(storage) = local_storage() {
        // Storage can be full or disabled; the setting then lasts one visit.
        let _ = storage.set_item(key, value);
    }
}

/// The language remembered from an earlier visit, Spanish otherwise.
pub fn stored_language() -> Language {
    Language::from_code(load_setting(LANGUAGE_STORAGE_KEY).as_deref())
}

/// Remembers the language and writes it to `<html lang>` for screen readers.
pub fn apply_language(language: Language) {
    let code = language.code();
    store_setting(LANGUAGE_STORAGE_KEY, code);
    if let Some(root) = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.document_element())
    {
        let _ = root.set_attribute("lang", code);
    }
}

/// The page's path (`/`, `/setup`), `/` if unknown.
pub fn location_path() -> String {
    web_sys::window()
        .and_then(|window| window.location().pathname().ok())
        .unwrap_or_else(|| "/".to_owned())
}

/// The page's fragment, `#` included, or an empty string.
pub fn location_hash() -> String {
    web_sys::window()
        .and_then(|window| window.location().hash().ok())
        .unwrap_or_default()
}

/// Replaces the address bar's URL without loading a page (and without
/// leaving the old one, say a setup link with its secret, in the history).
pub fn replace_url(url: &str) {
    if let Some(history) = web_sys::window().and_then(|window| window.history().ok()) {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(url));
    }
}

/// The reader's offset from UTC at the instant `ms` (minutes, east
/// positive), from the browser's time zone rules.
pub fn utc_offset_minutes(ms: i64) -> i64 {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    // `getTimezoneOffset` is UTC minus local time, in whole minutes.
    -(date.get_timezone_offset() as i64)
}

/// The browser's yes/no question (false when it cannot ask).
pub fn confirm(message: &str) -> bool {
    web_sys::window().is_some_and(|window| window.confirm_with_message(message).unwrap_or(false))
}
