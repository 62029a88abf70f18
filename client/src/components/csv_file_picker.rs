//! The first step of a CSV import: an `<input type="file">`. The file's size
//! is checked before it is read; its bytes must be UTF-8 and parse as a
//! table (`csv_transfer::read_table`), else the reason is shown and
//! nothing else happens.

use std::sync::Arc;

use enlace_shared::csv_io::Table;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast as _;

use crate::context::use_language;
use crate::csv_transfer::{FileProblem, check_size, read_table};
use crate::files;
use crate::i18n::{Text, text};

#[component]
pub fn CsvFilePicker(
    /// Called with the file's name and its table once it is read.
    on_loaded: Callback<(String, Arc<Table>)>,
) -> impl IntoView {
    let language = use_language();
    let problem = RwSignal::new(None::<FileProblem>);
    let reading = RwSignal::new(false);
    let chosen = move |event: leptos::ev::Event| {
        let Some(input) = event
            .target()
            .and_then(|target| target.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = files::chosen_file(&input) else {
            return;
        };
        problem.set(None);
        if let Err(refused) = check_size(file.size()) {
            return problem.set(Some(refused));
        }
        reading.set(true);
        spawn_local(async move {
            let read = match files::read_bytes(&file).await {
                Ok(bytes) => read_table(&bytes),
                Err(_) => Err(FileProblem::Unreadable),
            };
            let _ = reading.try_set(false);
            match read {
                Ok(table) => on_loaded.run((file.name(), Arc::new(table))),
                Err(refused) => {
                    let _ = problem.try_set(Some(refused));
                }
            }
        });
    };
    view! {
        <section class="card csv-step" data-testid="csv-choose">
            <p class="muted">{move || text(language.get(), Text::CsvImportIntro)}</p>
            <label class="field" for="csv-file">
                <span class="field-label">{move || text(language.get(), Text::CsvChooseFile)}</span>
                <input id="csv-file" type="file" name="csv-file" data-testid="csv-file" accept=".csv,text/csv" on:change=chosen />
            </label>
            <Show when=move || reading.get()>
                <p class="muted" role="status">{move || text(language.get(), Text::CsvReading)}</p>
            </Show>
            {move || problem.with(|problem| problem.as_ref().map(|problem| problem.message(language.get()))).map(|message| view! {
                <p class="form-error" role="alert" data-testid="csv-file-problem">{message}</p>
            })}
        </section>
    }
}
