//! The print view (`#/reports/<id>/print`): once the report can be
//! rendered from this copy of the document, the whole page is replaced by
//! the report's own HTML (the same bytes as the download), so the browser
//! prints exactly that, with its print stylesheet; with `print`, the print
//! dialog then opens. The app stops drawing in this tab: it is a print view.

use enlace_shared::Language;
use enlace_shared::query::{Answer, Query, RenderedReport, ReportProblem};
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

use crate::context::{use_language, use_sync};
use crate::i18n::{Text, text};

/// Replaces the page's document with `html`.
fn replace_document(html: &str) -> Result<(), JsValue> {
    let document = web_sys::window()
        .and_then(|window| window.document())
        .ok_or_else(|| JsValue::from_str("no document"))?
        .dyn_into::<web_sys::HtmlDocument>()?;
    document.open()?;
    document.write_1(html)?;
    document.close()
}

#[component]
pub fn ReportPrint(id: String, language: Option<Language>, print: bool) -> impl IntoView {
    let (sync, interface) = (use_sync(), use_language());
    let problem = RwSignal::new(None::<String>);
    let written = StoredValue::new(false);
    // Replaces the page with the report once it can be rendered.
    let show = move |result: Result<RenderedReport, ReportProblem>| {
        match result {
            Ok(report) => {
                if written.get_value() {
                    return;
                }
                written.set_value(true);
                if let Err(error) = replace_document(&report.html) {
                    web_sys::console::warn_1(&error);
                } else if print && let Some(window) = web_sys::window() {
                    let _ = window.print();
                }
            }
            // This copy has not synced that far yet: the next revision tries again.
            Err(ReportProblem { not_synced: true, .. }) => {}
            Err(ReportProblem { message, .. }) => problem.set(Some(message)),
        }
    };
    let revision = sync.revision();
    Effect::new(move || {
        revision.track();
        if written.get_value() {
            return;
        }
        let chosen = language.unwrap_or_else(|| interface.get_untracked());
        let query = Query::Report {
            id: id.clone(),
            language: chosen,
        };
        sync.ask(query, move |answer| {
            // No document yet: the next revision asks again.
            if let Some(Answer::Report(result)) = answer {
                show(result);
            }
        });
    });
    view! {
        <p class="muted" data-testid="report-print-status">
            {move || problem.get().unwrap_or_else(|| text(interface.get(), Text::ReportPreparing).to_owned())}
        </p>
    }
}
