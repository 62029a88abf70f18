//! The banner shown while the workspace is viewed as of a past moment: when,
//! that everything is read-only, and the way back to now.

use leptos::prelude::*;

use crate::browser;
use crate::context::{PastMoment, use_language, use_workspace};
use crate::history::format_moment;
use crate::i18n::{Text, text};

#[component]
pub fn AsOfBanner() -> impl IntoView {
    let (workspace, language) = (use_workspace(), use_language());
    let banner = move |moment: PastMoment| {
        let when = move || match moment.at_ms {
            Some(ms) => format_moment(ms, browser::utc_offset_minutes(ms), language.get()),
            None => text(language.get(), Text::BeforeFirstChange).to_owned(),
        };
        view! {
            <div class="as-of-banner" role="status" data-testid="as-of-banner"
                data-as-of-ms=move || workspace.as_of_ms.get().map(|ms| format!("{ms:.2}"))>
                <p>
                    {move || text(language.get(), Text::ViewingAsOf)} " "
                    <strong data-testid="as-of-moment">{when}</strong>
                </p>
                <p class="muted">{move || text(language.get(), Text::ViewingPastReadOnly)}</p>
                <button type="button" class="primary" data-testid="back-to-now" on:click=move |_| workspace.back_to_now()>
                    {move || text(language.get(), Text::BackToNow)}
                </button>
            </div>
        }
    };
    move || workspace.past.get().map(banner)
}
