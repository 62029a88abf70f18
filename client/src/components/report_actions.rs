//! A report's actions and preview: the report's language, "Issue" (pins the
//! document's heads; issuing again asks first), "Print" (the print view, in
//! a new tab, which opens the print dialog), "Download HTML" and the
//! preview: the very HTML that is printed and downloaded, in a sandboxed
//! `<iframe srcdoc>`.

use enlace_shared::Language;
use enlace_shared::intent::Intent;
use enlace_shared::query::{Answer, Query};
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

use crate::browser;
use crate::components::record_context::RecordContext;
use crate::context::use_language;
use crate::i18n::{Text, text};
use crate::route::{ReportScreen, Route};

/// Saves `contents` as a file named `file_name` (an HTML Blob and a
/// temporary `<a download>`).
fn download(file_name: &str, contents: &str) -> Result<(), JsValue> {
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/html;charset=utf-8");
    let parts = js_sys::Array::of1(&JsValue::from_str(contents));
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let document = web_sys::window()
        .and_then(|window| window.document())
        .ok_or_else(|| JsValue::from_str("no document"))?;
    let anchor = document.create_element("a")?;
    anchor.set_attribute("href", &url)?;
    anchor.set_attribute("download", file_name)?;
    if let Some(anchor) = anchor.dyn_ref::<web_sys::HtmlElement>() {
        anchor.click();
    }
    // The browser has taken the Blob by the time the click returns; the
    // URL is released a little later all the same, to be safe.
    set_timeout(
        move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        },
        std::time::Duration::from_secs(30),
    );
    Ok(())
}

#[component]
pub fn ReportActions(context: RecordContext) -> impl IntoView {
    let language = use_language();
    let report_language = RwSignal::new(language.get_untracked());
    let (sync, id) = (context.sync, context.id);
    // (html, file name), or why the report cannot be rendered; `None`
    // before the document is loaded.
    let rendered = RwSignal::new(None::<Result<(String, String), String>>);
    let revision = sync.revision();
    Effect::new(move || {
        revision.track();
        let chosen = report_language.get();
        let query = Query::Report {
            id: id.get_value(),
            language: chosen,
        };
        sync.ask(query, move |answer| {
            let shown = match answer {
                Some(Answer::Report(result)) => Some(
                    result
                        .map(|report| (report.html, report.file_name))
                        .map_err(|problem| problem.message),
                ),
                _ => None,
            };
            // Redrawn (the preview reloads) only when the report changed.
            if rendered.try_with_untracked(|current| *current != shown) == Some(true) {
                rendered.set(shown);
            }
        });
    });
    let reason = context.reason();
    let issued = move || {
        context.record.with(|record| {
            record
                .as_ref()
                .is_some_and(|record| !record.list("issued_heads").is_empty())
        })
    };
    let issue = move |_| {
        if issued() && !browser::confirm(text(language.get_untracked(), Text::ReportReissueConfirm)) {
            return;
        }
        let today = browser::today();
        context.apply(Intent::IssueReport {
            id: context.id.get_value(),
            today,
        });
    };
    let save = move |_| {
        if let Some(Ok((html, file_name))) = rendered.get_untracked()
            && let Err(error) = download(&file_name, &html)
        {
            web_sys::console::warn_1(&error);
        }
    };
    let print_href = move || {
        Route::Reports(ReportScreen::Print {
            id: id.get_value(),
            language: Some(report_language.get()),
            print: true,
        })
        .href()
    };
    let language_button = move |choice: Language| {
        view! {
            <button type="button" class="secondary" data-testid=format!("report-language-{}", choice.code())
                aria-pressed=move || (report_language.get() == choice).to_string()
                on:click=move |_| report_language.set(choice)>{choice.button_label()}</button>
        }
    };
    let ready = move || matches!(rendered.get(), Some(Ok(_)));
    view! {
        <div class="card report-actions">
            <span class="field-label">{move || text(language.get(), Text::ReportLanguage)}</span>
            {language_button(Language::Spanish)} {language_button(Language::English)}
            <button type="button" class="primary" data-testid="issue-report" disabled=move || reason.get().is_some()
                title=move || reason.get() on:click=issue>{move || text(language.get(), Text::ReportIssue)}</button>
            <a class="button-link secondary" data-testid="print-report" href=print_href target="_blank" rel="noopener">
                {move || text(language.get(), Text::ReportPrint)}</a>
            <button type="button" class="secondary" data-testid="download-report" disabled=move || !ready() on:click=save>
                {move || text(language.get(), Text::ReportDownload)}</button>
        </div>
        // One iframe for the page's life, its srcdoc updated: a new frame per
        // revision would reload and flicker (and browsers track frames by element).
        <iframe class="report-preview" data-testid="report-preview" sandbox=""
            hidden=move || !ready()
            srcdoc=move || rendered.with(|rendered| match rendered {
                Some(Ok((html, _))) => html.clone(),
                _ => String::new(),
            })
            title=move || text(language.get(), Text::ReportPreview)></iframe>
        {move || match rendered.get() {
            Some(Ok(_)) => None,
            Some(Err(message)) => Some(view! { <p class="form-error" role="alert" data-testid="report-error">{message}</p> }.into_any()),
            None => Some(view! { <p class="muted">{move || text(language.get(), Text::ReportPreparing)}</p> }.into_any()),
        }}
    }
}
