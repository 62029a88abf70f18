//! The preview of a CSV import: what the rows would do (counts) and the
//! first [`PREVIEW_ROWS`](crate::csv_transfer::PREVIEW_ROWS) rows with the
//! values they would write, as people read them (choices by label,
//! references by title). Nothing here writes.

use std::sync::Arc;

use enlace_shared::csv_io::ImportPlan;
use enlace_shared::schema::Collection;
use leptos::prelude::*;

use crate::context::{use_language, use_workspace};
use crate::csv_transfer::{PreviewRow, preview_fields, preview_rows};
use crate::i18n::{Text, text};

#[component]
fn PlanCounts(plan: Arc<ImportPlan>) -> impl IntoView {
    let language = use_language();
    let counts = plan.counts();
    let item = move |slug: &'static str, count: usize, label: Text| {
        view! {
            <li data-slug=slug data-count=count.to_string()>
                <strong>{count}</strong> " " {move || text(language.get(), label)}
            </li>
        }
    };
    view! {
        <ul class="csv-counts" data-testid="csv-counts">
            {item("rows", counts.rows, Text::CsvRows)}
            {item("new", counts.creates.saturating_sub(counts.with_duplicates), Text::CsvNew)}
            {item("updates", counts.updates, Text::CsvUpdates)}
            {item("duplicates", counts.with_duplicates, Text::CsvWithDuplicates)}
            {item("problems", counts.with_problems, Text::CsvWithProblems)}
        </ul>
    }
}

#[component]
pub fn CsvPreview(plan: Arc<ImportPlan>) -> impl IntoView {
    let (workspace, language) = (use_workspace(), use_language());
    let fields = preview_fields(&plan);
    let table_plan = plan.clone();
    let rows = Memo::new(move |_| {
        let language = language.get();
        workspace.snapshot.with(|snapshot| {
            let title = |collection: Collection, id: &str| snapshot.label(collection, id).0;
            preview_rows(&table_plan, language, &title)
        })
    });
    let row_view = move |row: PreviewRow| {
        view! {
            <tr data-testid="csv-preview-row" data-line=row.line.to_string() data-status=row.status.slug()>
                <td>{row.line}</td>
                <td><span class="badge csv-status" data-status=row.status.slug()>{move || row.status.label(language.get())}</span></td>
                {row.cells.into_iter().map(|cell| view! { <td>{cell}</td> }).collect_view()}
            </tr>
        }
    };
    view! {
        <section class="card csv-step" data-testid="csv-preview">
            <PlanCounts plan=plan />
            <h3>{move || text(language.get(), Text::CsvFirstRows)}</h3>
            <div class="csv-table-scroll">
                <table class="csv-table">
                    <thead><tr>
                        <th>{move || text(language.get(), Text::CsvRow)}</th>
                        <th>{move || text(language.get(), Text::CsvStatus)}</th>
                        {fields.into_iter().map(|spec| view! { <th>{move || spec.label(language.get())}</th> }).collect_view()}
                    </tr></thead>
                    <tbody>{move || rows.get().into_iter().map(row_view).collect_view()}</tbody>
                </table>
            </div>
        </section>
    }
}
