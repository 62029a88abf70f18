//! Who leads the roundtable: the presidency covering today (or, when none
//! does, the latest one) and the technical secretariat.

use enlace_shared::schema::Collection;
use leptos::prelude::*;

use crate::browser;
use crate::collections::format_date;
use crate::context::{use_language, use_workspace};
use crate::i18n::{Text, text};
use crate::overview::{Presidency, presidency};
use crate::route::Route;

fn organisation_link(id: String, name: String) -> impl IntoView {
    view! { <a href=Route::Record(Collection::Organisations, id.clone()).href() data-id=id>{name}</a> }
}

#[component]
pub fn Leadership() -> impl IntoView {
    let (workspace, language) = (use_workspace(), use_language());
    let today = browser::today();
    let term = Memo::new(move |_| workspace.snapshot.with(|snapshot| presidency(snapshot, &today)));
    let secretariat = Memo::new(move |_| {
        workspace.snapshot.with(|snapshot| {
            let id = snapshot.secretariat.clone()?;
            let name = snapshot.label(Collection::Organisations, &id).0;
            Some((id, name))
        })
    });
    let period = move |start: String, end: String| {
        move || {
            let language = language.get();
            format!(
                "{} – {}",
                format_date(&start, language),
                format_date(&end, language)
            )
        }
    };
    let presidency_view = move || {
        match term.get() {
        Some(Presidency { current: true, organisation_id, organisation, start, end }) => view! {
            <p class="home-figure" data-testid="presidency" data-current="true">{organisation_link(organisation_id, organisation)}</p>
            <p class="muted">{period(start, end)}</p>
        }
        .into_any(),
        other => view! {
            <p class="muted" data-testid="presidency" data-current="false">{move || text(language.get(), Text::NoCurrentPresidency)}</p>
            {other.map(|Presidency { organisation_id, organisation, start, end, .. }| view! {
                <p data-testid="latest-presidency">
                    {move || text(language.get(), Text::LatestPresidency)} ": " {organisation_link(organisation_id, organisation)}
                    <span class="muted">" (" {period(start, end)} ")"</span>
                </p>
            })}
        }
        .into_any(),
    }
    };
    view! {
        <section class="card home-card leadership" data-testid="leadership">
            <h3>{move || text(language.get(), Text::Presidency)}</h3>
            {presidency_view}
            <h3>{move || text(language.get(), Text::TechnicalSecretariat)}</h3>
            <p class="home-figure" data-testid="secretariat">
                {move || match secretariat.get() {
                    Some((id, name)) => organisation_link(id, name).into_any(),
                    None => view! { <span class="muted">{move || text(language.get(), Text::NotSet)}</span> }.into_any(),
                }}
            </p>
        </section>
    }
}
