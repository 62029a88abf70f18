//! A work-plan line's record page section: a link to the line's follow-up
//! page and its progress in figures.

use enlace_shared::followup;
use leptos::prelude::*;

use crate::browser;
use crate::components::line_progress::LineProgress;
use crate::context::{use_language, use_workspace};
use crate::i18n::{Text, text};
use crate::route::Route;

#[component]
pub fn WorkplanLineRelated(line_id: String) -> impl IntoView {
    let (workspace, language) = (use_workspace(), use_language());
    let href = Route::WorkplanLine(line_id.clone()).href();
    let summary = Memo::new(move |_| {
        let today = browser::today();
        workspace
            .snapshot
            .with(|snapshot| followup::line_summary(&**snapshot, &line_id, &today))
    });
    view! {
        <a class="line-follow-up-link" data-testid="line-follow-up" href=href>
            {move || text(language.get(), Text::LineFollowUp)} " →"
        </a>
        {move || summary.get().map(|line| view! { <LineProgress line=line /> })}
    }
}
