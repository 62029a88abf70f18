//! "View the workspace as it was at…": a date and time, turned into the
//! document's heads then by the server (`history/moment`), then the whole
//! workspace is shown as of that moment.

use enlace_shared::DocumentId;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::browser;
use crate::context::{PastMoment, use_language, use_sync, use_workspace};
use crate::history::{parse_datetime_local, parse_heads};
use crate::http;
use crate::i18n::{Text, text};

/// Asks the server for the heads as of `at_ms` and shows the workspace then.
async fn view_as_of(workspace_id: DocumentId, at_ms: i64) -> Result<PastMoment, Text> {
    let moment = http::history_moment(&workspace_id.to_string(), at_ms)
        .await
        .map_err(|_| Text::LoadFailed)?;
    let heads = parse_heads(&moment.heads).ok_or(Text::LoadFailed)?;
    Ok(PastMoment {
        heads,
        at_ms: Some(at_ms),
    })
}

#[component]
pub fn MomentPicker() -> impl IntoView {
    let (workspace, sync, language) = (use_workspace(), use_sync(), use_language());
    let value = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<Text>);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(at_ms) = parse_datetime_local(&value.get_untracked(), browser::utc_offset_minutes) else {
            return problem.set(Some(Text::Moment));
        };
        let Some(workspace_id) = sync.workspace_id().get_untracked() else {
            return problem.set(Some(Text::ErrorNotLoaded));
        };
        problem.set(None);
        spawn_local(async move {
            match view_as_of(workspace_id, at_ms).await {
                Ok(moment) => workspace.view_as_of(moment),
                Err(key) => {
                    let _ = problem.try_set(Some(key));
                }
            }
        });
    };
    view! {
        <form class="moment-picker card" data-testid="moment-picker" on:submit=submit>
            <label class="field-label" for="as-of-moment">{move || text(language.get(), Text::ViewAsOf)}</label>
            <input id="as-of-moment" name="as-of-moment" type="datetime-local" step="1"
                prop:value=move || value.get() on:input=move |event| value.set(event_target_value(&event)) />
            <button type="submit" class="secondary" data-testid="view-moment">{move || text(language.get(), Text::ViewMoment)}</button>
            {move || problem.get().map(|key| view! { <p class="form-error" role="alert">{move || text(language.get(), key)}</p> })}
        </form>
    }
}
