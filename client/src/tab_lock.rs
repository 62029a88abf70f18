//! Which tab leads: the first tab of a person to open takes a Web Lock
//! named after the person and holds it until it closes. The leader alone
//! has the socket and writes the local copy; the others follow it (see
//! [`crate::tab_link`]). A follower's request stays queued, so when the
//! leader's tab closes the lock passes to one follower, which takes over.

use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};

/// Asks for the lock `enlace-copy-<person>`; `on_grant` runs when this tab
/// gets it (at once, or when the tab holding it closes). The lock is kept
/// for the life of the page. False when the browser has no Web Locks:
/// then nothing can coordinate tabs, and the caller leads alone.
pub fn request(person_id: &str, on_grant: impl FnOnce() + 'static) -> bool {
    let Some(locks) = js_sys::Reflect::get(&js_sys::global(), &"navigator".into())
        .and_then(|navigator| js_sys::Reflect::get(&navigator, &"locks".into()))
        .ok()
        .filter(|locks| !locks.is_undefined() && !locks.is_null())
    else {
        return false;
    };
    let Some(request) = js_sys::Reflect::get(&locks, &"request".into())
        .ok()
        .and_then(|request| request.dyn_into::<js_sys::Function>().ok())
    else {
        return false;
    };
    let callback = Closure::once_into_js(move |_lock: JsValue| -> JsValue {
        on_grant();
        // Never settles: the lock is released when the page goes away.
        js_sys::Promise::new(&mut |_resolve, _reject| {}).into()
    });
    let name = JsValue::from_str(&format!("enlace-copy-{person_id}"));
    request.call2(&locks, &name, &callback).is_ok()
}
