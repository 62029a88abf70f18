//! "Download CSV" on a collection's list: the file's language (the
//! interface's until another is chosen) and whether deleted records are
//! included. The file is made in the browser from the workspace as shown
//! (the local document, or the past moment it is viewed as of) with
//! `csv_io::export`, so reading needs no request and no edit right.

use enlace_shared::csv_io;
use enlace_shared::language::Language;
use enlace_shared::records::Record;
use enlace_shared::schema::Collection;
use leptos::prelude::*;

use crate::browser;
use crate::context::{use_language, use_workspace};
use crate::csv_transfer::export_file_name;
use crate::files;
use crate::i18n::{Text, text};

#[component]
pub fn CsvExport(collection: Collection) -> impl IntoView {
    let (workspace, language) = (use_workspace(), use_language());
    // `None`: follow the interface language.
    let chosen = RwSignal::new(None::<Language>);
    let file_language = move || chosen.get().unwrap_or_else(|| language.get());
    let include_deleted = RwSignal::new(false);
    let download = move |_| {
        let language = file_language();
        let csv = workspace.snapshot.with_untracked(|snapshot| {
            let all: Vec<Record> = Collection::ALL
                .into_iter()
                .flat_map(|other| snapshot.records(other).iter().cloned())
                .collect();
            csv_io::export(
                snapshot.records(collection),
                collection,
                &all,
                language,
                include_deleted.get_untracked(),
            )
        });
        let name = export_file_name(collection, language, &browser::today());
        if let Err(error) = files::download_text(&name, &csv, "text/csv;charset=utf-8") {
            web_sys::console::warn_2(&"enlace: the download failed".into(), &error);
        }
    };
    view! {
        <div class="csv-export" data-testid="csv-export">
            <label class="inline-field">
                <span>{move || text(language.get(), Text::CsvFileLanguage)}</span>
                <select data-testid="csv-language" on:change=move |event| chosen.set(Some(Language::from_code(Some(&event_target_value(&event)))))>
                    {Language::ALL.into_iter().map(|option| view! {
                        <option value=option.code() selected=move || file_language() == option>{option.button_label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label class="inline-field">
                <input type="checkbox" data-testid="csv-include-deleted" prop:checked=move || include_deleted.get()
                    on:change=move |event| include_deleted.set(event_target_checked(&event)) />
                <span>{move || text(language.get(), Text::CsvIncludeDeleted)}</span>
            </label>
            <button type="button" class="secondary" data-testid="csv-download" on:click=download>
                {move || text(language.get(), Text::CsvDownload)}
            </button>
        </div>
    }
}
