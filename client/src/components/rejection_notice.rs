//! A banner for changes the server refused (and the session discarded),
//! saying why in the interface's language when the server named the
//! refusal, and what those changes had written, so that their author can
//! copy it: nothing disappears silently (for example edits made offline
//! after the person's role was lowered).

use enlace_shared::language::Language;
use enlace_shared::timetravel::{RecordDiff, RecordStatus};
use leptos::prelude::*;

use crate::collections::Snapshot;
use crate::context::{use_language, use_workspace};
use crate::history::{field_label, value_text};
use crate::i18n::{Text, text};
use crate::sync::Rejection;

/// What the refused changes had written, one line per field, in words:
/// "record — field: value" (a refused new record says so).
pub fn lost_lines(lost: &[RecordDiff], snapshot: &Snapshot, language: Language) -> Vec<String> {
    let mut lines = Vec::new();
    for record in lost {
        if record.status == RecordStatus::Added {
            lines.push(format!(
                "{} ({})",
                record.title,
                text(language, Text::RejectedNewRecord)
            ));
        }
        for change in &record.fields {
            let label = field_label(Some(record.collection), &change.field, language);
            let value = value_text(
                change.after.as_ref(),
                Some(record.collection),
                &change.field,
                snapshot,
                language,
            );
            let value = if value.is_empty() {
                text(language, Text::RejectedEmptied).to_owned()
            } else {
                value
            };
            lines.push(format!("{} — {label}: {value}", record.title));
        }
    }
    lines
}

/// Puts `text` on the clipboard, where the browser allows it.
fn copy_to_clipboard(text: &str) {
    let clipboard = js_sys::Reflect::get(&js_sys::global(), &"navigator".into())
        .and_then(|navigator| js_sys::Reflect::get(&navigator, &"clipboard".into()))
        .ok()
        .filter(|clipboard| !clipboard.is_undefined());
    let Some(clipboard) = clipboard else {
        return;
    };
    if let Ok(write) = js_sys::Reflect::get(&clipboard, &"writeText".into())
        && let Ok(write) = wasm_bindgen::JsCast::dyn_into::<js_sys::Function>(write)
    {
        let _ = write.call1(&clipboard, &text.into());
    }
}

#[component]
pub fn RejectionNotice(rejection: Signal<Option<Rejection>>, on_dismiss: Callback<()>) -> impl IntoView {
    let (language, workspace) = (use_language(), use_workspace());
    move || {
        rejection.get().map(|rejection| {
            let lost = rejection.lost.clone();
            let lines = Memo::new(move |_| {
                workspace
                    .snapshot
                    .with(|snapshot| lost_lines(&lost, snapshot, language.get()))
            });
            let content = move || lines.get().join("\n");
            view! {
                <div class="notice" role="alert" data-testid="rejection">
                    <p>
                        {move || text(language.get(), Text::Rejected)}
                        " "
                        <strong>{move || format!("{} · {}", rejection.dropped, rejection.text(language.get()))}</strong>
                    </p>
                    {move || (!lines.with(Vec::is_empty)).then(|| view! {
                        <p>{move || text(language.get(), Text::RejectedContent)}</p>
                        <textarea class="rejected-content" data-testid="rejected-content" readonly=true
                            rows=move || lines.with(Vec::len).clamp(2, 8)
                            prop:value=content></textarea>
                        <button type="button" class="secondary" data-testid="rejected-copy"
                            on:click=move |_| copy_to_clipboard(&content())>
                            {move || text(language.get(), Text::Copy)}
                        </button>
                    })}
                    <button type="button" class="link" on:click=move |_| on_dismiss.run(())>
                        {move || text(language.get(), Text::Dismiss)}
                    </button>
                </div>
            }
        })
    }
}
