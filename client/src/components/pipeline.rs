//! An alliance's stage as a stepper: identified → in dialogue → agreement
//! drafted → signed → active → concluded, with `paused` aside. Each step is a
//! button that moves the alliance there.

use enlace_shared::schema::{ALLIANCE_STATUSES, Choice};
use leptos::prelude::*;

use crate::collections::pipeline_steps;
use crate::components::record_context::RecordContext;
use crate::context::use_language;
use crate::i18n::{Text, text};

#[component]
pub fn Pipeline(context: RecordContext) -> impl IntoView {
    let status = context.text("status");
    let (language, reason) = (use_language(), context.reason());
    let position = move |slug: &str| pipeline_steps().iter().position(|step| step.slug == slug);
    let step = move |(index, choice): (usize, &'static Choice)| {
        let current = move || status.get() == choice.slug;
        let passed = move || status.with(|status| position(status).is_some_and(|at| index < at));
        view! {
            <li class="pipeline-step" class:current=current class:passed=passed>
                <button type="button" data-status=choice.slug aria-pressed=move || current().to_string()
                    disabled=move || context.disabled().get() title=move || reason.get()
                    on:click=move |_| context.set_text("status", choice.slug.to_owned())>
                    {move || choice.label(language.get())}
                </button>
            </li>
        }
    };
    let (steps, paused) = (pipeline_steps(), &ALLIANCE_STATUSES[ALLIANCE_STATUSES.len() - 1]);
    view! {
        <section class="pipeline card" aria-label=move || text(language.get(), Text::Pipeline)>
            <h3>{move || text(language.get(), Text::Pipeline)}</h3>
            <ol class="pipeline-steps">{steps.iter().enumerate().map(step).collect_view()}</ol>
            <div class="pipeline-aside" class:current=move || status.get() == paused.slug>
                <button type="button" data-status=paused.slug aria-pressed=move || (status.get() == paused.slug).to_string()
                    disabled=move || context.disabled().get() title=move || reason.get()
                    on:click=move |_| context.set_text("status", paused.slug.to_owned())>
                    {move || text(language.get(), Text::Pause)} " · " {move || paused.label(language.get())}
                </button>
            </div>
        </section>
    }
}
