//! An alliance's stage as a stepper: identified → in dialogue → agreement
//! drafted → signed → active → concluded, with `paused` aside. Each step is a
//! button that moves the alliance there.

use enlace_shared::schema::ALLIANCE_STATUSES;
use leptos::prelude::*;

use crate::collections::{choice_text, pipeline_steps};
use crate::components::record_context::RecordContext;
use crate::record_text::{Words, is_spanish, words};

#[component]
pub fn Pipeline(context: RecordContext) -> impl IntoView {
    let status = context.text("status");
    let language = context.language;
    let position = move |slug: &str| pipeline_steps().iter().position(|step| step.slug == slug);
    let step = move |(index, choice): (usize, &'static enlace_shared::schema::Choice)| {
        let current = move || status.get() == choice.slug;
        let passed = move || status.with(|status| position(status).is_some_and(|at| index < at));
        view! {
            <li class="pipeline-step" class:current=current class:passed=passed>
                <button type="button" data-status=choice.slug aria-pressed=move || current().to_string()
                    disabled=move || context.disabled().get()
                    on:click=move |_| context.set_text("status", choice.slug.to_owned())>
                    {move || choice_text(choice, is_spanish(language.get()))}
                </button>
            </li>
        }
    };
    let (steps, paused) = (pipeline_steps(), &ALLIANCE_STATUSES[ALLIANCE_STATUSES.len() - 1]);
    view! {
        <section class="pipeline card" aria-label=move || words(language.get(), Words::Pipeline)>
            <h3>{move || words(language.get(), Words::Pipeline)}</h3>
            <ol class="pipeline-steps">{steps.iter().enumerate().map(step).collect_view()}</ol>
            <div class="pipeline-aside" class:current=move || status.get() == paused.slug>
                <button type="button" data-status=paused.slug aria-pressed=move || (status.get() == paused.slug).to_string()
                    disabled=move || context.disabled().get()
                    on:click=move |_| context.set_text("status", paused.slug.to_owned())>
                    {move || words(language.get(), Words::Pause)} " · " {move || choice_text(paused, is_spanish(language.get()))}
                </button>
            </div>
        </section>
    }
}
