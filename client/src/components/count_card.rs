//! A card of counts: one line per kind or status, each a link to the list
//! it counts, with a bar to compare them at a glance.

use leptos::prelude::*;

use crate::context::use_language;
use crate::i18n::{Text, text};
use crate::overview::Count;
use crate::route::Route;

#[component]
pub fn CountCard(
    title: Text,
    /// The card's `data-testid`.
    testid: &'static str,
    counts: Signal<Vec<Count>>,
    /// The list a line links to, given its slug.
    link: fn(&str) -> Route,
    /// What the total in the heading counts (no total without it).
    #[prop(optional)]
    total: Option<Text>,
    /// `stages` draws the lines as the steps of a pipeline.
    #[prop(optional)]
    stages: bool,
) -> impl IntoView {
    let language = use_language();
    let largest =
        move || counts.with(|counts| counts.iter().map(|count| count.count).max().unwrap_or(0).max(1));
    let sum = move || counts.with(|counts| counts.iter().map(|count| count.count).sum::<usize>());
    let line = move |count: Count| {
        let share = 100 * count.count / largest();
        view! {
            <li class="count-line" data-slug=count.slug.clone() data-count=count.count>
                <a href=link(&count.slug).href()>
                    <span class="count-label">{count.label}</span>
                    <span class="count-value">{count.count}</span>
                    <span class="count-bar" aria-hidden="true"><span style=format!("width: {share}%")></span></span>
                </a>
            </li>
        }
    };
    view! {
        <section class="card home-card" class:stages=stages data-testid=testid>
            <h3>
                {move || text(language.get(), title)}
                {total.map(|unit| view! {
                    <span class="count" data-testid=format!("{testid}-total")>{sum} " " {move || text(language.get(), unit)}</span>
                })}
            </h3>
            <Show when=move || counts.with(|counts| !counts.is_empty()) fallback=move || view! { <p class="muted">{move || text(language.get(), Text::NothingYet)}</p> }>
                <ol class="count-lines">{move || counts.get().into_iter().map(line).collect_view()}</ol>
            </Show>
        </section>
    }
}
