//! A record's history panel: who added it and who last edited it (from the
//! server's receipts), then its own timeline, where each field or the whole
//! record can be restored and the workspace viewed as of any entry.

use enlace_shared::api::HistoryQuery;
use enlace_shared::records::Record;
use enlace_shared::schema::Collection;
use leptos::prelude::*;

use crate::components::history_feed::HistoryFeed;
use crate::components::record_authorship::RecordAuthorshipLine;
use crate::context::use_language;
use crate::history::HistoryFilters;
use crate::i18n::{Text, text};
use crate::route::{HistoryScreen, Route};

#[component]
pub fn RecordHistory(collection: Collection, id: String, record: Memo<Option<Record>>) -> impl IntoView {
    let language = use_language();
    let query = HistoryQuery {
        collection: Some(collection.key().to_owned()),
        record: Some(id.clone()),
        ..HistoryQuery::default()
    };
    let full = Route::History(HistoryScreen::Timeline(HistoryFilters {
        collection: Some(collection),
        record: id.clone(),
        ..HistoryFilters::default()
    }));
    view! {
        <section class="card record-history" data-testid="record-history">
            <h3>{move || text(language.get(), Text::RecordHistory)}</h3>
            <RecordAuthorshipLine collection=collection id=id record=record />
            <HistoryFeed query=query restorable=true />
            <a href=full.href() data-testid="record-history-link">{move || text(language.get(), Text::History)} " →"</a>
        </section>
    }
}
