//! The annual reports (`#/reports…`): the list with "new report", one
//! report's page (its texts edited live, issuing, printing, the download
//! and a preview of exactly what is printed and downloaded), and the print
//! view, which is the report alone. Generating and rendering are
//! `enlace_shared::report`; these screens only read and call it.

use enlace_shared::records::Record;
use enlace_shared::report;
use enlace_shared::schema::Collection;
use leptos::prelude::*;

use crate::auth;
use crate::components::field_editor::FieldEditor;
use crate::components::record_context::RecordContext;
use crate::components::report_actions::ReportActions;
use crate::components::report_new::NewReportForm;
use crate::components::report_print::ReportPrint;
use crate::context::{use_language, use_sync, use_workspace};
use crate::i18n::{Text, text};
use crate::route::{ReportScreen, Route};

#[component]
pub fn ReportsPage(screen: ReportScreen) -> impl IntoView {
    match screen {
        ReportScreen::List => view! { <ReportList /> }.into_any(),
        ReportScreen::Report(id) => view! { <ReportDetail id=id /> }.into_any(),
        ReportScreen::Print { id, language, print } => {
            view! { <ReportPrint id=id language=language print=print /> }.into_any()
        }
    }
}

/// A report's line in the list: its period and whether it was issued.
fn status_line(record: &Record, language: enlace_shared::Language) -> String {
    let period = report::Period::new(record.text("period_start"), record.text("period_end"))
        .map(|period| period.label(language))
        .unwrap_or_default();
    let status = match record.text("issued_on") {
        "" => text(language, Text::ReportDraft).to_owned(),
        issued_on => format!(
            "{} {}",
            text(language, Text::ReportIssuedOn),
            report::format_date(issued_on, language)
        ),
    };
    format!("{period} · {status}")
}

#[component]
fn ReportList() -> impl IntoView {
    let (workspace, language) = (use_workspace(), use_language());
    let reports = Memo::new(move |_| {
        workspace.snapshot.with(|snapshot| {
            let mut reports: Vec<Record> = snapshot
                .records(Collection::Reports)
                .iter()
                .filter(|record| !record.deleted)
                .cloned()
                .collect();
            reports.sort_by(|left, right| {
                (right.text("period_start"), &right.id).cmp(&(left.text("period_start"), &left.id))
            });
            reports
        })
    });
    let row = move |record: Record| {
        let href = Route::Reports(ReportScreen::Report(record.id.clone())).href();
        let title = record.title().to_owned();
        let detail = move || status_line(&record, language.get());
        view! { <li data-testid="report-row"><a href=href>{title}</a> " " <span class="muted">{detail}</span></li> }
    };
    view! {
        <section class="reports-page" data-testid="reports-page">
            <div class="page-heading">
                <h2>{move || Collection::Reports.label(language.get())}</h2>
                <NewReportForm />
            </div>
            {move || {
                let reports = reports.get();
                if reports.is_empty() {
                    view! { <p class="empty muted">{move || text(language.get(), Text::NoReports)}</p> }.into_any()
                } else {
                    view! { <ul class="card report-list">{reports.into_iter().map(row).collect_view()}</ul> }.into_any()
                }
            }}
        </section>
    }
}

#[component]
fn ReportDetail(id: String) -> impl IntoView {
    let (workspace, sync, language) = (use_workspace(), use_sync(), use_language());
    let lookup = id.clone();
    let record = Memo::new(move |_| {
        workspace
            .snapshot
            .with(|snapshot| snapshot.get(Collection::Reports, &lookup).cloned())
    });
    let lookup = id.clone();
    let issues = Memo::new(move |_| {
        workspace
            .snapshot
            .with(|snapshot| snapshot.issues(Collection::Reports, &lookup))
    });
    let (role, viewing_past) = (sync.role(), workspace.viewing_past());
    let blocked = Signal::derive(move || {
        auth::blocked_reason(
            role.get(),
            Collection::Reports.edit_capability(),
            viewing_past.get(),
        )
    });
    let context = RecordContext {
        collection: Collection::Reports,
        id: StoredValue::new(id.clone()),
        record,
        issues,
        blocked,
        error: RwSignal::new(None),
        sync,
    };
    let reason = context.reason();
    let exists = Memo::new(move |_| record.with(Option::is_some));
    let title = move || record.with(|record| record.as_ref().map(|record| record.title().to_owned()));
    let status =
        move || record.with(|record| record.as_ref().map(|record| status_line(record, language.get())));
    let fields = ["title", "period_start", "period_end", "introduction", "closing"];
    view! {
        <section class="report-detail" data-testid="report-detail" data-id=id>
            <a class="back-link" href=Route::Reports(ReportScreen::List).href()>"← " {move || Collection::Reports.label(language.get())}</a>
            <Show when=move || exists.get() fallback=move || view! { <p class="empty muted">{move || text(language.get(), Text::NotFound)}</p> }>
                <div class="page-heading"><h2>{title}</h2> <span class="muted" data-testid="report-status">{status}</span></div>
                {move || reason.get().map(|reason| view! { <p class="read-only-note" data-testid="read-only">{reason}</p> })}
                {move || context.error.get().map(|message| view! { <p class="form-error" role="alert">{move || message.get(language.get())}</p> })}
                <form class="card record-fields" on:submit=|event| event.prevent_default()>
                    {fields.iter().filter_map(|key| Collection::Reports.field(key)).map(|spec| view! { <FieldEditor context=context spec=spec /> }).collect_view()}
                </form>
                <ReportActions context=context />
            </Show>
        </section>
    }
}
