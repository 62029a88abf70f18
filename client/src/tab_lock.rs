//! One tab per person writes the local copy: the first tab to open takes a
//! Web Lock named after the person and holds it until it closes; the
//! others edit with actors of their own and keep nothing locally, so two
//! tabs never write changes under one actor.

use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// How long a tab waits for the lock: a reload's new page asks while the
/// old page may still hold it for a moment.
const PATIENCE_MS: u32 = 2_000;

/// Takes the lock `enlace-copy-<person>`, waiting up to [`PATIENCE_MS`]
/// for another tab to let it go, and keeps it for the life of this page.
/// True when this tab holds it (also when the browser has no Web Locks:
/// then nothing can share the copy safely, and a single tab is the common
/// case).
pub async fn hold(person_id: &str) -> bool {
    let Some(locks) = js_sys::Reflect::get(&js_sys::global(), &"navigator".into())
        .and_then(|navigator| js_sys::Reflect::get(&navigator, &"locks".into()))
        .ok()
        .filter(|locks| !locks.is_undefined() && !locks.is_null())
    else {
        return true;
    };
    let mut resolve_taken = None;
    let taken = js_sys::Promise::new(&mut |resolve, _reject| resolve_taken = Some(resolve));
    let Some(resolve_taken) = resolve_taken else {
        return true;
    };
    let on_grant = resolve_taken.clone();
    let callback = Closure::once_into_js(move |_lock: JsValue| -> JsValue {
        let _ = on_grant.call1(&JsValue::NULL, &JsValue::TRUE);
        // Never settles: the lock is released when the page goes away.
        js_sys::Promise::new(&mut |_resolve, _reject| {}).into()
    });
    let on_timeout = Closure::<dyn FnMut(JsValue)>::new(move |_error: JsValue| {
        let _ = resolve_taken.call1(&JsValue::NULL, &JsValue::FALSE);
    });
    let options = js_sys::Object::new();
    if let Some(signal) = timeout_signal(PATIENCE_MS) {
        let _ = js_sys::Reflect::set(&options, &"signal".into(), &signal);
    }
    let request = js_sys::Reflect::get(&locks, &"request".into())
        .ok()
        .and_then(|request| request.dyn_into::<js_sys::Function>().ok());
    let Some(request) = request else {
        return true;
    };
    let name = JsValue::from_str(&format!("enlace-copy-{person_id}"));
    let Ok(requested) = request.call3(&locks, &name, &options, &callback) else {
        return true;
    };
    if let Ok(requested) = requested.dyn_into::<js_sys::Promise>() {
        // Rejected when the wait times out: another tab keeps the copy.
        let _ = requested.catch(&on_timeout);
    }
    // Called at most once, whenever the wait ends: the page keeps it.
    on_timeout.forget();
    JsFuture::from(taken)
        .await
        .ok()
        .and_then(|held| held.as_bool())
        .unwrap_or(true)
}

/// `AbortSignal.timeout(ms)`, where the browser has it.
fn timeout_signal(ms: u32) -> Option<JsValue> {
    let class = js_sys::Reflect::get(&js_sys::global(), &"AbortSignal".into()).ok()?;
    let timeout = js_sys::Reflect::get(&class, &"timeout".into())
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()?;
    timeout.call1(&class, &JsValue::from(ms)).ok()
}
