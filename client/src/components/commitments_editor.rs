//! An alliance's commitments: text, due date and done flag each, and a form
//! to add one.

use enlace_shared::ids;
use enlace_shared::records::{self, Commitment};
use leptos::prelude::*;

use crate::browser;
use crate::components::record_context::RecordContext;
use crate::context::use_language;
use crate::i18n::{Text, text};

fn set(context: RecordContext, commitment_id: String, key: &'static str, value: String) {
    context.apply(move |document, collection, id, authorship| {
        records::set_commitment(document, collection, id, &commitment_id, key, &value, authorship)
    });
}

#[component]
pub fn CommitmentsEditor(context: RecordContext) -> impl IntoView {
    let language = use_language();
    let (disabled, reason) = (context.disabled(), context.reason());
    let commitments = Signal::derive(move || {
        context.record.with(|record| {
            record
                .as_ref()
                .map(|record| record.commitments().to_vec())
                .unwrap_or_default()
        })
    });
    let item = move |commitment: Commitment| {
        let (text_id, due_id, done_id) = (
            commitment.id.clone(),
            commitment.id.clone(),
            commitment.id.clone(),
        );
        view! {
            <li class="commitment" data-commitment=commitment.id>
                <input type="checkbox" name="commitment-done" checked=commitment.done disabled=move || disabled.get()
                    title=move || reason.get() aria-label=move || text(language.get(), Text::Done)
                    on:change=move |event| set(context, done_id.clone(), "done", event_target_checked(&event).to_string()) />
                <input type="text" name="commitment-text" value=commitment.text disabled=move || disabled.get()
                    title=move || reason.get() aria-label=move || text(language.get(), Text::CommitmentText)
                    on:change=move |event| set(context, text_id.clone(), "text", event_target_value(&event)) />
                <input type="date" name="commitment-due" value=commitment.due disabled=move || disabled.get()
                    title=move || reason.get() aria-label=move || text(language.get(), Text::Due)
                    on:change=move |event| set(context, due_id.clone(), "due", event_target_value(&event)) />
            </li>
        }
    };
    let new_text = RwSignal::new(String::new());
    let add = move |_| {
        let text = new_text.get_untracked();
        if text.trim().is_empty() {
            return;
        }
        let commitment = Commitment {
            id: ids::record_id(browser::random_bytes()),
            text,
            ..Commitment::default()
        };
        context.apply(move |document, collection, id, authorship| {
            records::add_commitment(document, collection, id, &commitment, authorship)
        });
        new_text.set(String::new());
    };
    view! {
        <ul class="commitments">
            <For each=move || commitments.get() key=|commitment: &Commitment| (commitment.id.clone(), commitment.text.clone(), commitment.due.clone(), commitment.done) children=item />
        </ul>
        <div class="commitment-add">
            <input id="field-commitments" type="text" name="new-commitment" disabled=move || disabled.get()
                title=move || reason.get() placeholder=move || text(language.get(), Text::CommitmentText)
                prop:value=move || new_text.get() on:input=move |event| new_text.set(event_target_value(&event)) />
            <button type="button" class="secondary" data-testid="add-commitment" disabled=move || disabled.get()
                title=move || reason.get() on:click=add>
                {move || text(language.get(), Text::AddCommitment)}
            </button>
        </div>
    }
}
