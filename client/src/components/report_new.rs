//! "New report": a period chosen as a presidency term (from the records),
//! a calendar year or other dates; creating the report opens its page.
//! Disabled, with the reason as tooltip, for anyone but the secretariat.

use enlace_shared::ids;
use enlace_shared::intent::Intent;
use enlace_shared::records::Initial;
use enlace_shared::report::{self, Period};
use enlace_shared::schema::Collection;
use leptos::prelude::*;

use crate::auth;
use crate::browser;
use crate::context::{use_language, use_sync, use_workspace};
use crate::i18n::{Message, Text, text};
use crate::route::{ReportScreen, Route};

#[component]
pub fn NewReportForm() -> impl IntoView {
    let (sync, workspace, language) = (use_sync(), use_workspace(), use_language());
    let (role, viewing_past) = (sync.role(), workspace.viewing_past());
    let reason = Signal::derive(move || {
        auth::blocked_reason(
            role.get(),
            Collection::Reports.edit_capability(),
            viewing_past.get(),
        )
        .map(|reason| reason.get(language.get()))
    });
    let terms = Memo::new(move |_| {
        workspace.snapshot.with(|snapshot| {
            report::presidency_periods(snapshot.records(Collection::PresidencyTerms), |id| {
                snapshot.label(Collection::Organisations, id).0
            })
        })
    });
    let open = RwSignal::new(false);
    let kind = RwSignal::new("presidency".to_owned());
    let term = RwSignal::new(String::new());
    let year = RwSignal::new(browser::today()[..4].to_owned());
    let (from, to) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let message = RwSignal::new(None::<Message>);
    let chosen = move || -> Option<(Period, Option<String>)> {
        match kind.get_untracked().as_str() {
            "presidency" => terms.with_untracked(|terms| {
                let wanted = term.get_untracked();
                terms
                    .iter()
                    .find(|option| option.term_id == wanted)
                    .or_else(|| terms.first())
                    .map(|option| (option.period.clone(), Some(option.term_id.clone())))
            }),
            "year" => year
                .get_untracked()
                .trim()
                .parse()
                .ok()
                .map(|year| (Period::year(year), None)),
            _ => Period::new(&from.get_untracked(), &to.get_untracked())
                .ok()
                .map(|period| (period, None)),
        }
    };
    let create = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some((period, term_id)) = chosen() else {
            return message.set(Some(Message::Text(Text::FillRequired)));
        };
        let id = ids::record_id(browser::random_bytes());
        let text = |key: &str, value: String| (key.to_owned(), Initial::Text(value));
        let mut fields = vec![
            text("title", report::default_title(&period, language.get_untracked())),
            text("period_start", period.start.clone()),
            text("period_end", period.end.clone()),
        ];
        fields.extend(term_id.map(|term| text("presidency_term", term)));
        let intent = Intent::CreateRecord {
            collection: Collection::Reports,
            id: id.clone(),
            fields,
        };
        sync.edit(intent, move |result| match result {
            Ok(_) => workspace.go(&Route::Reports(ReportScreen::Report(id))),
            Err(error) => message.set(Some(error.message())),
        });
    };
    let label = move |key: Text| move || text(language.get(), key);
    view! {
        <button type="button" class="primary" data-testid="new-report" aria-expanded=move || open.get().to_string()
            disabled=move || reason.get().is_some() title=move || reason.get()
            on:click=move |_| open.update(|open| *open = !*open)>
            {label(Text::NewReport)}
        </button>
        <Show when=move || open.get() && reason.get().is_none()>
            <form class="card new-record-form" data-testid="new-report-form" on:submit=create>
                <label class="field"><span class="field-label">{label(Text::ReportPeriodKind)}</span>
                    <select data-testid="report-period-kind" on:change=move |event| kind.set(event_target_value(&event))>
                        <option value="presidency">{label(Text::ReportPeriodPresidency)}</option>
                        <option value="year">{label(Text::ReportPeriodYear)}</option>
                        <option value="custom">{label(Text::ReportPeriodCustom)}</option>
                    </select>
                </label>
                <Show when=move || kind.get() == "presidency">
                    <select data-testid="report-term" on:change=move |event| term.set(event_target_value(&event))>
                        {move || terms.get().into_iter().map(|option| view! { <option value=option.term_id>{option.label}</option> }).collect_view()}
                    </select>
                </Show>
                <Show when=move || kind.get() == "year">
                    <label class="field"><span class="field-label">{label(Text::ReportYear)}</span>
                        <input type="number" data-testid="report-year" min="2000" max="2100" prop:value=move || year.get() on:input=move |event| year.set(event_target_value(&event)) />
                    </label>
                </Show>
                <Show when=move || kind.get() == "custom">
                    <label class="field"><span class="field-label">{label(Text::ReportFrom)}</span>
                        <input type="date" data-testid="report-from" prop:value=move || from.get() on:input=move |event| from.set(event_target_value(&event)) /></label>
                    <label class="field"><span class="field-label">{label(Text::ReportTo)}</span>
                        <input type="date" data-testid="report-to" prop:value=move || to.get() on:input=move |event| to.set(event_target_value(&event)) /></label>
                </Show>
                {move || message.get().map(|message| view! { <p class="form-error" role="alert">{move || message.get(language.get())}</p> })}
                <button type="submit" class="primary" data-testid="create-report">{label(Text::Create)}</button>
            </form>
        </Show>
    }
}
