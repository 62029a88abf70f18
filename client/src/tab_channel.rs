//! The `BroadcastChannel` a person's tabs talk over (what they say is
//! [`crate::tab_link::TabMessage`]). Only [`crate::sync`] opens it.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{BroadcastChannel, MessageEvent};

use crate::tab_link::TabMessage;

/// An open channel and the callback it calls; closed when dropped.
pub struct TabChannel {
    channel: BroadcastChannel,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl TabChannel {
    /// Opens `enlace-tabs-<person>`: only the same person's tabs of this
    /// origin hear it. `None` where the browser has no `BroadcastChannel`.
    pub fn open(person_id: &str, mut on_message: impl FnMut(TabMessage) + 'static) -> Option<Self> {
        let channel = BroadcastChannel::new(&format!("enlace-tabs-{person_id}")).ok()?;
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let Ok(bytes) = event.data().dyn_into::<js_sys::Uint8Array>() else {
                return log("ignoring a tab message that is not bytes");
            };
            match TabMessage::decode(&bytes.to_vec()) {
                Ok(message) => on_message(message),
                Err(error) => log(&error),
            }
        });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Some(Self {
            channel,
            _on_message: on_message,
        })
    }

    /// Sends `message` to every other tab of the person.
    pub fn post(&self, message: &TabMessage) {
        let bytes = js_sys::Uint8Array::from(message.encode().as_slice());
        if let Err(error) = self.channel.post_message(&bytes) {
            log(&format!("could not tell the other tabs: {error:?}"));
        }
    }
}

impl Drop for TabChannel {
    fn drop(&mut self) {
        self.channel.set_onmessage(None);
        self.channel.close();
    }
}

fn log(text: &str) {
    web_sys::console::warn_1(&text.into());
}
