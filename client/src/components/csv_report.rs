//! The two lists of a CSV import's preview: the validation report (every
//! problem of every row: its line, field and reason, in the interface's
//! language; those rows are skipped) and the likely duplicates, each with
//! "merge into …" or "import as new" (the choices `csv_io::apply_import`
//! takes; merging is its default).

use std::collections::BTreeMap;
use std::sync::Arc;

use enlace_shared::csv_io::{DuplicateChoice, ImportPlan};
use enlace_shared::schema::Collection;
use leptos::prelude::*;

use crate::context::{use_language, use_workspace};
use crate::csv_transfer::{
    DUPLICATES_SHOWN, DuplicateOffer, MergeTarget, choose_all, duplicate_offers, problem_lines,
};
use crate::i18n::{Text, text};

#[component]
pub fn CsvProblems(plan: Arc<ImportPlan>) -> impl IntoView {
    let language = use_language();
    let lines = Memo::new(move |_| problem_lines(&plan, language.get()));
    view! {
        <section class="card csv-step" data-testid="csv-validation">
            <h3>{move || text(language.get(), Text::CsvValidationTitle)}</h3>
            <Show when=move || lines.with(|lines| !lines.is_empty())
                fallback=move || view! { <p class="muted" data-testid="csv-no-problems">{move || text(language.get(), Text::CsvNoProblems)}</p> }>
                <p class="muted">{move || text(language.get(), Text::CsvProblemsSkipped)}</p>
                <ul class="csv-problems" data-testid="csv-problems">
                    {move || lines.get().into_iter().map(|line| view! {
                        <li data-testid="csv-problem" data-line=line.line.to_string() data-field=line.field>
                            <strong>{move || text(language.get(), Text::CsvRow)} " " {line.line}</strong> " " {line.message}
                        </li>
                    }).collect_view()}
                </ul>
            </Show>
        </section>
    }
}

#[component]
fn OfferLine(offer: DuplicateOffer, choices: RwSignal<BTreeMap<usize, DuplicateChoice>>) -> impl IntoView {
    let language = use_language();
    let row = offer.row;
    let choice = move || choices.with(|choices| choices.get(&row).copied().unwrap_or(DuplicateChoice::Merge));
    let target = match offer.target {
        MergeTarget::Existing { title, .. } => title,
        MergeTarget::Row { line } => format!("{} {line}", text(language.get_untracked(), Text::CsvRow)),
    };
    let set = move |event| {
        let chosen = match event_target_value(&event).as_str() {
            "new" => DuplicateChoice::CreateNew,
            _ => DuplicateChoice::Merge,
        };
        choices.update(|choices| {
            choices.insert(row, chosen);
        });
    };
    view! {
        <li data-testid="csv-duplicate" data-line=offer.line.to_string()>
            <strong>{move || text(language.get(), Text::CsvRow)} " " {offer.line}</strong> " " {offer.title}
            <span class="muted"> " (" {offer.field_label} ") "</span>
            <select data-testid="csv-duplicate-choice" data-line=offer.line.to_string() on:change=set>
                <option value="merge" selected=move || choice() == DuplicateChoice::Merge>
                    {move || text(language.get(), Text::CsvMergeInto)} " " {target}
                </option>
                <option value="new" selected=move || choice() == DuplicateChoice::CreateNew>
                    {move || text(language.get(), Text::CsvImportAsNew)}
                </option>
            </select>
        </li>
    }
}

#[component]
pub fn CsvDuplicates(
    plan: Arc<ImportPlan>,
    choices: RwSignal<BTreeMap<usize, DuplicateChoice>>,
) -> impl IntoView {
    let (workspace, language) = (use_workspace(), use_language());
    let offers = Memo::new(move |_| {
        let language = language.get();
        workspace.snapshot.with(|snapshot| {
            let title = |collection: Collection, id: &str| snapshot.label(collection, id).0;
            duplicate_offers(&plan, language, &title)
        })
    });
    let all =
        move |choice: DuplicateChoice| move |_| choices.set(offers.with(|offers| choose_all(offers, choice)));
    let hidden = move || offers.with(|offers| offers.len().saturating_sub(DUPLICATES_SHOWN));
    view! {
        <Show when=move || offers.with(|offers| !offers.is_empty())>
            <section class="card csv-step" data-testid="csv-duplicates">
                <h3>{move || text(language.get(), Text::CsvDuplicatesTitle)}</h3>
                <p class="muted">{move || text(language.get(), Text::CsvDuplicatesIntro)}</p>
                <div class="csv-actions">
                    <button type="button" class="secondary" data-testid="csv-merge-all" on:click=all(DuplicateChoice::Merge)>{move || text(language.get(), Text::CsvMergeAll)}</button>
                    <button type="button" class="secondary" data-testid="csv-all-new" on:click=all(DuplicateChoice::CreateNew)>{move || text(language.get(), Text::CsvAllAsNew)}</button>
                </div>
                <ul class="csv-duplicates">
                    {move || offers.get().into_iter().take(DUPLICATES_SHOWN).map(|offer| view! { <OfferLine offer=offer choices=choices /> }).collect_view()}
                </ul>
                <Show when=move || { hidden() > 0 }>
                    <p class="muted">{hidden} " " {move || text(language.get(), Text::CsvMoreDuplicates)}</p>
                </Show>
            </section>
        </Show>
    }
}
