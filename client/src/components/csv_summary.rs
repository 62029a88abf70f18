//! The last step of a CSV import: what the one change wrote (created,
//! updated, merged) and what it left out, a link to the History showing it,
//! and the import's time measured in the page (`data-import-ms`: from the
//! click on "Import" to the frame after this summary was drawn).

use enlace_shared::csv_io::ImportSummary;
use enlace_shared::schema::Collection;
use leptos::prelude::*;

use crate::browser;
use crate::context::use_language;
use crate::csv_transfer::{history_route, summary_lines};
use crate::i18n::{Text, text};
use crate::route::Route;

#[component]
pub fn CsvSummary(
    collection: Collection,
    summary: ImportSummary,
    /// The importing person's user id (`None` until `/api/me` answered).
    person_id: Signal<Option<String>>,
    import_ms: Signal<Option<f64>>,
) -> impl IntoView {
    let language = use_language();
    let wrote = summary.created + summary.updated > 0;
    let lines = move || {
        summary_lines(&summary, language.get())
            .into_iter()
            .map(|(slug, label, count)| {
                view! { <li data-slug=slug data-count=count.to_string()><strong>{count}</strong> " " {label}</li> }
            })
            .collect_view()
    };
    let history = move || {
        let person = person_id.get().unwrap_or_default();
        history_route(&person, collection, &browser::today()).href()
    };
    view! {
        <section class="card csv-step" data-testid="csv-import-done"
            data-import-ms=move || import_ms.get().map(|ms| format!("{ms:.0}"))>
            <h3>{move || text(language.get(), Text::CsvDoneTitle)}</h3>
            <ul class="csv-counts" data-testid="csv-summary">{lines}</ul>
            {(!wrote).then(|| view! { <p class="muted">{move || text(language.get(), Text::CsvNothingWritten)}</p> })}
            <div class="csv-actions">
                {wrote.then(|| view! {
                    <a class="button-link" data-testid="csv-history-link" href=history>{move || text(language.get(), Text::CsvSeeHistory)}</a>
                })}
                <a class="button-link" href=Route::List(collection).href()>{move || text(language.get(), Text::CsvBackToList)}</a>
            </div>
        </section>
    }
}
