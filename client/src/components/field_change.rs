//! One field's change in words: old → new, the items a list gained and
//! lost, or a word diff for long texts; values read with the record titles
//! and choice labels of the workspace.

use enlace_shared::api::{FieldChange, HistoryValue};
use enlace_shared::schema::Collection;
use enlace_shared::timetravel::{DiffPiece, word_diff};
use leptos::prelude::*;

use crate::context::{use_language, use_workspace};
use crate::history::{field_label, item_text, list_changes, value_text, wants_word_diff};

fn plain_text(value: Option<&HistoryValue>) -> &str {
    match value {
        Some(HistoryValue::Text { text, .. }) => text,
        _ => "",
    }
}

fn diff_view(before: &str, after: &str) -> AnyView {
    word_diff(before, after)
        .into_iter()
        .map(|piece| match piece {
            DiffPiece::Same(words) => view! { <span>{words}</span> }.into_any(),
            DiffPiece::Added(words) => view! { <ins>{words}</ins> }.into_any(),
            DiffPiece::Removed(words) => view! { <del>{words}</del> }.into_any(),
        })
        .collect_view()
        .into_any()
}

#[component]
pub fn FieldChangeLine(
    /// `None` for a collection this client does not know.
    collection: Option<Collection>,
    change: FieldChange,
    /// "Restore the previous value", when offered.
    #[prop(optional, into)]
    restore: Option<AnyView>,
) -> impl IntoView {
    let (workspace, language) = (use_workspace(), use_language());
    let FieldChange { field, before, after } = change;
    let key = field.clone();
    let kind = collection
        .and_then(|collection| collection.field(&field))
        .map(|spec| spec.kind);
    let label = {
        let field = field.clone();
        move || field_label(collection, &field, language.get())
    };
    let body = if let Some((added, removed)) = list_changes(before.as_ref(), after.as_ref()) {
        let items = move |items: Vec<String>, sign: &'static str, class: &'static str| {
            items
                .into_iter()
                .map(|item| {
                    let shown = move || {
                        workspace
                            .snapshot
                            .with_untracked(|snapshot| item_text(&item, kind, snapshot, language.get()))
                    };
                    view! { <li class=class>{sign} " " {shown}</li> }
                })
                .collect_view()
        };
        view! { <ul class="list-change">{items(added, "+", "added")}{items(removed, "−", "removed")}</ul> }
            .into_any()
    } else if wants_word_diff(collection, &field, before.as_ref(), after.as_ref()) {
        view! { <p class="word-diff">{diff_view(plain_text(before.as_ref()), plain_text(after.as_ref()))}</p> }.into_any()
    } else {
        let shown = move |value: Option<HistoryValue>| {
            let field = field.clone();
            move || {
                workspace
                    .snapshot
                    .with(|snapshot| value_text(value.as_ref(), collection, &field, snapshot, language.get()))
            }
        };
        view! {
            <span class="old-new">
                <del class="old" data-testid="old-value">{shown(before)}</del>
                " → "
                <ins class="new" data-testid="new-value">{shown(after)}</ins>
            </span>
        }
        .into_any()
    };
    view! {
        <li class="field-change" data-field=key>
            <span class="field-name">{label}</span>
            {body}
            {restore}
        </li>
    }
}
