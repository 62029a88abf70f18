//! The workspace's History (`#/history…`): the timeline with its filters and
//! CSV export, comparing two moments, and for the secretariat refused
//! attempts and reverting one person's changes. A date-time picker above
//! them opens the whole workspace as of any moment.

use enlace_shared::roles::Role;
use leptos::prelude::*;

use crate::browser;
use crate::components::compare_view::CompareView;
use crate::components::history_feed::HistoryFeed;
use crate::components::history_filters::HistoryFilterBar;
use crate::components::moment_picker::MomentPicker;
use crate::components::needs_connection::offline;
use crate::components::refused_list::RefusedList;
use crate::components::revert_panel::RevertPanel;
use crate::context::{use_language, use_sync};
use crate::history::HistoryFilters;
use crate::http;
use crate::i18n::{Text, text};
use crate::route::{HistoryScreen, Route};

/// The tabs: `(testid, label, route)`, the secretariat's last.
fn tabs(secretariat: bool) -> Vec<(&'static str, Text, Route)> {
    let mut tabs = vec![
        ("tab-timeline", Text::Timeline, Route::history()),
        (
            "tab-compare",
            Text::Compare,
            Route::History(HistoryScreen::Compare {
                from: String::new(),
                to: String::new(),
            }),
        ),
    ];
    if secretariat {
        tabs.push((
            "tab-refused",
            Text::RefusedAttempts,
            Route::History(HistoryScreen::Refused),
        ));
        tabs.push(("tab-revert", Text::Revert, Route::History(HistoryScreen::Revert)));
    }
    tabs
}

fn same_tab(left: &HistoryScreen, right: &HistoryScreen) -> bool {
    std::mem::discriminant(left) == std::mem::discriminant(right)
}

#[component]
fn Timeline(filters: HistoryFilters) -> impl IntoView {
    let (sync, language) = (use_sync(), use_language());
    let query = filters.to_api(browser::utc_offset_minutes);
    let csv_query = query.clone();
    // Offline the export is not a link: the file is the server's record,
    // and a download started now would only fail in the browser's bar.
    let offline = offline(sync);
    let csv = move || {
        sync.workspace_id()
            .get()
            .filter(|_| !offline.get())
            .map(|id| http::history_csv_href(&id.to_string(), &csv_query))
    };
    view! {
        <HistoryFilterBar filters=filters />
        <p class="history-actions">
            <a class="button-link secondary" data-testid="export-csv" download="history.csv" href=csv
                aria-disabled=move || offline.get().then_some("true")
                title=move || offline.get().then(|| text(language.get(), Text::HistoryNeedsConnection))>
                {move || text(language.get(), Text::ExportCsv)}
            </a>
        </p>
        <section class="card">
            <HistoryFeed query=query />
        </section>
    }
}

#[component]
pub fn HistoryPage(screen: HistoryScreen) -> impl IntoView {
    let (sync, language) = (use_sync(), use_language());
    let role = sync.role();
    let secretariat = Memo::new(move |_| role.get() == Some(Role::Secretariat));
    let shown = screen.clone();
    let tab = move |(testid, label, route): (&'static str, Text, Route)| {
        let current = matches!(&route, Route::History(screen) if same_tab(screen, &shown));
        view! {
            <li><a href=route.href() data-testid=testid aria-current=current.then_some("page")>{move || text(language.get(), label)}</a></li>
        }
    };
    let body = match screen {
        HistoryScreen::Timeline(filters) => view! { <Timeline filters=filters /> }.into_any(),
        HistoryScreen::Compare { from, to } => view! { <CompareView from=from to=to /> }.into_any(),
        HistoryScreen::Refused => {
            view! { <Show when=move || secretariat.get()><RefusedList /></Show> }.into_any()
        }
        HistoryScreen::Revert => {
            view! { <Show when=move || secretariat.get()><RevertPanel /></Show> }.into_any()
        }
    };
    view! {
        <section class="history-page" data-testid="history-page">
            <div class="page-heading">
                <h2>{move || text(language.get(), Text::History)}</h2>
                <p class="muted">{move || text(language.get(), Text::HistoryIntro)}</p>
            </div>
            <nav class="history-tabs" data-testid="history-tabs">
                <ul>{move || tabs(secretariat.get()).into_iter().map(tab.clone()).collect_view()}</ul>
            </nav>
            <MomentPicker />
            {body}
        </section>
    }
}
