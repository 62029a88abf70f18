//! `#/<collection>/import`: a CSV file into a collection, in four steps —
//! choose the file, map its columns, preview (counts, first rows, the
//! validation report, likely duplicates with a choice each), import. The
//! import is ONE change made through [`crate::sync::SyncHandle::edit`], so
//! the server checks the role, attributes it to the person importing and
//! fans it out like any edit. The plan is made again at the click: if the
//! workspace changed since the preview in a way that changes the plan, the
//! new preview is shown instead of importing what was not seen.
//!
//! Nothing here needs more than the collection's edit capability; without
//! it (observers, a past moment) the page says why and offers no file input.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use enlace_shared::csv_io::{Column, DuplicateChoice, ImportPlan, ImportSummary, Table, suggest_mapping};
use enlace_shared::intent::{Intent, Outcome};
use enlace_shared::query::{Answer, Query};
use enlace_shared::schema::Collection;
use leptos::leptos_dom::helpers::request_animation_frame;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::auth;
use crate::browser::performance_now;
use crate::components::csv_columns::CsvColumns;
use crate::components::csv_file_picker::CsvFilePicker;
use crate::components::csv_preview::CsvPreview;
use crate::components::csv_report::{CsvDuplicates, CsvProblems};
use crate::components::csv_summary::CsvSummary;
use crate::context::{use_language, use_sync, use_workspace};
use crate::csv_transfer::importable_rows;
use crate::http;
use crate::i18n::{Message, Text, text};
use crate::sync::SyncHandle;

/// What the page holds between its steps.
#[derive(Clone, Copy)]
struct ImportState {
    /// Held here: the steps run in timeouts, outside any reactive owner.
    sync: SyncHandle,
    table: RwSignal<Option<Arc<Table>>>,
    file_name: RwSignal<String>,
    mapping: RwSignal<Vec<Option<Column>>>,
    plan: RwSignal<Option<Arc<ImportPlan>>>,
    choices: RwSignal<BTreeMap<usize, DuplicateChoice>>,
    done: RwSignal<Option<ImportSummary>>,
    /// The work under way (reading, planning, importing), if any.
    busy: RwSignal<Option<Text>>,
    notice: RwSignal<Option<Message>>,
    import_ms: RwSignal<Option<f64>>,
}

impl ImportState {
    fn new(sync: SyncHandle) -> Self {
        Self {
            sync,
            table: RwSignal::new(None),
            file_name: RwSignal::new(String::new()),
            mapping: RwSignal::new(Vec::new()),
            plan: RwSignal::new(None),
            choices: RwSignal::new(BTreeMap::new()),
            done: RwSignal::new(None),
            busy: RwSignal::new(None),
            notice: RwSignal::new(None),
            import_ms: RwSignal::new(None),
        }
    }

    /// The plan of the file with the current mapping, on the document as
    /// it is now (`None` before the file or the document).
    fn plan_now(self, collection: Collection, then: impl FnOnce(Option<ImportPlan>) + 'static) {
        let Some(table) = self.table.get_untracked() else {
            return then(None);
        };
        let query = Query::PlanImport {
            table: Arc::unwrap_or_clone(table),
            mapping: self.mapping.get_untracked(),
            collection,
        };
        self.sync.ask(query, move |answer| {
            then(match answer {
                Some(Answer::PlanImport(plan)) => Some(plan),
                _ => None,
            });
        });
    }

    /// Shows `busy`, then runs `work` once that text has had a chance to be
    /// drawn; `work` ends with [`Self::idle`].
    fn after_busy(self, busy: Text, work: impl FnOnce() + 'static) {
        self.busy.set(Some(busy));
        self.notice.set(None);
        set_timeout(work, Duration::ZERO);
    }

    fn idle(self) {
        let _ = self.busy.try_set(None);
    }

    fn preview(self, collection: Collection) {
        self.after_busy(Text::CsvPlanning, move || {
            self.plan_now(collection, move |plan| {
                match plan {
                    Some(plan) => {
                        let _ = self.choices.try_set(BTreeMap::new());
                        let _ = self.plan.try_set(Some(Arc::new(plan)));
                    }
                    None => {
                        let _ = self.notice.try_set(Some(Message::Text(Text::ErrorNotLoaded)));
                    }
                }
                self.idle();
            });
        });
    }

    /// Imports the plan shown, which is planned again where the document
    /// is: if the workspace changed it meanwhile, the new plan is shown
    /// instead and nothing is written.
    fn import(self) {
        let started = performance_now();
        let sync = self.sync;
        self.after_busy(Text::CsvImporting, move || {
            let (Some(expected), Some(table)) = (self.plan.get_untracked(), self.table.get_untracked()) else {
                self.notice.set(Some(Message::Text(Text::ErrorNotLoaded)));
                return self.idle();
            };
            let intent = Intent::Import {
                table: Arc::unwrap_or_clone(table),
                mapping: self.mapping.get_untracked(),
                expected: Arc::unwrap_or_clone(expected),
                choices: self.choices.get_untracked(),
            };
            let handed = performance_now();
            sync.edit(intent, move |result| {
                web_sys::console::info_1(
                    &format!(
                        "enlace: import prepared in {:.0} ms, planned again, written and handed to sync in {:.0} ms",
                        handed - started,
                        performance_now() - handed
                    )
                    .into(),
                );
                match result {
                    Ok(Outcome::Imported(summary)) => {
                        let _ = self.done.try_set(Some(summary));
                        let import_ms = self.import_ms;
                        request_animation_frame(move || {
                            let _ = import_ms.try_set(Some(performance_now() - started));
                        });
                    }
                    Ok(Outcome::PlanChanged(fresh)) => {
                        let _ = self.plan.try_set(Some(Arc::new(fresh)));
                        let _ = self.notice.try_set(Some(Message::Text(Text::CsvPlanChanged)));
                    }
                    Ok(_) => {
                        let _ = self.notice.try_set(Some(Message::Text(Text::ErrorUnexpected)));
                    }
                    Err(error) => {
                        let _ = self.notice.try_set(Some(error.message()));
                    }
                }
                self.idle();
            });
        });
    }
}

#[component]
pub fn CsvImportPage(collection: Collection) -> impl IntoView {
    let (sync, workspace, language) = (use_sync(), use_workspace(), use_language());
    let (role, viewing_past) = (sync.role(), workspace.viewing_past());
    let blocked = Signal::derive(move || {
        auth::blocked_reason(role.get(), collection.edit_capability(), viewing_past.get())
    });
    let state = ImportState::new(sync);
    let person_id = RwSignal::new(None::<String>);
    spawn_local(async move {
        if let Ok(Some(person)) = http::current_person().await {
            let _ = person_id.try_set(Some(person.id));
        }
    });
    let on_loaded = Callback::new(move |(file_name, table): (String, Arc<Table>)| {
        state.mapping.set(suggest_mapping(&table.headers, collection));
        state.file_name.set(file_name);
        state.table.set(Some(table));
    });
    let busy = move || state.busy.get().is_some();
    let step = move || {
        if let Some(summary) = state.done.get() {
            return view! { <CsvSummary collection=collection summary=summary person_id=person_id.into() import_ms=state.import_ms.into() /> }.into_any();
        }
        if let Some(reason) = blocked.get() {
            return view! { <p class="card form-error" data-testid="csv-import-blocked">{move || reason.get(language.get())}</p> }.into_any();
        }
        if let Some(plan) = state.plan.get() {
            let rows = importable_rows(&plan);
            return view! {
                <CsvPreview plan=plan.clone() />
                <CsvProblems plan=plan.clone() />
                <CsvDuplicates plan=plan choices=state.choices />
                <div class="csv-actions">
                    <button type="button" on:click=move |_| state.plan.set(None)>{move || text(language.get(), Text::CsvBackToColumns)}</button>
                    <button type="button" class="primary" data-testid="csv-import" data-rows=rows.to_string()
                        disabled=move || rows == 0 || busy() on:click=move |_| state.import()>
                        {move || text(language.get(), Text::CsvImportRows)} " " {rows} " " {move || text(language.get(), Text::CsvImportRowsAfter)}
                    </button>
                </div>
            }.into_any();
        }
        match state.table.get() {
            Some(table) => view! {
                <CsvColumns collection=collection headers=table.headers.clone()
                    sample=table.rows.first().cloned().unwrap_or_default() mapping=state.mapping />
                <div class="csv-actions">
                    <button type="button" on:click=move |_| {
                        state.table.set(None);
                        state.file_name.set(String::new());
                    }>{move || text(language.get(), Text::CsvOtherFile)}</button>
                    <button type="button" class="primary" data-testid="csv-preview-button" disabled=busy
                        on:click=move |_| state.preview(collection)>{move || text(language.get(), Text::CsvPreview)}</button>
                </div>
            }.into_any(),
            None => view! { <CsvFilePicker on_loaded=on_loaded /> }.into_any(),
        }
    };
    view! {
        <section class="csv-import" data-testid="csv-import-page" data-collection=collection.key()>
            <div class="page-heading">
                <h2>{move || text(language.get(), Text::CsvImportTitle)} ": " {move || collection.label(language.get())}</h2>
                <p class="muted" data-testid="csv-file-name">{move || state.file_name.get()}</p>
            </div>
            {step}
            {move || state.busy.get().map(|busy| view! { <p class="muted" role="status" data-testid="csv-busy">{move || text(language.get(), busy)}</p> })}
            {move || state.notice.get().map(|notice| view! { <p class="form-error" role="alert" data-testid="csv-notice">{move || notice.get(language.get())}</p> })}
        </section>
    }
}
