//! Refused attempts (secretariat): who tried to change what, when, and why
//! the server refused it, newest first, with "load older".

use std::time::Duration;

use enlace_shared::api::RefusedAttempt;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::browser;
use crate::components::needs_connection::{NeedsConnection, offline};
use crate::context::{use_language, use_sync};
use crate::history::format_moment;
use crate::http;
use crate::i18n::{Text, text};
use crate::refetch::refetch_after_changes;

/// How long after the connection comes back the list is fetched again.
const REFRESH_DELAY: Duration = Duration::from_millis(300);

#[component]
pub fn RefusedList() -> impl IntoView {
    let (sync, language) = (use_sync(), use_language());
    let attempts = RwSignal::new(Vec::<RefusedAttempt>::new());
    let next_before = RwSignal::new(None::<u64>);
    let failed = RwSignal::new(false);
    let offline = offline(sync);
    let fetch = move |before: Option<u64>| {
        let Some(id) = sync.workspace_id().get_untracked() else {
            return;
        };
        spawn_local(async move {
            match http::history_refused(&id.to_string(), before).await {
                Ok(page) => {
                    let _ = attempts.try_update(|attempts| {
                        if before.is_none() {
                            attempts.clear();
                        }
                        attempts.extend(page.attempts);
                    });
                    let _ = next_before.try_set(page.next_before);
                    let _ = failed.try_set(false);
                }
                Err(error) => {
                    web_sys::console::warn_1(&format!("enlace: refused attempts: {error}").into());
                    let _ = failed.try_set(true);
                }
            }
        });
    };
    // Once the workspace is known, and again when the connection is back
    // if nothing could be read before (pages already read stay as they are).
    refetch_after_changes(
        sync,
        || (),
        REFRESH_DELAY,
        move |_| {
            if failed.get_untracked() || attempts.with_untracked(Vec::is_empty) {
                fetch(None);
            }
        },
    );
    let row = move |attempt: RefusedAttempt| {
        let at_ms = attempt.at_ms;
        let refusal = attempt.refusal();
        let role = attempt.role;
        let messages = attempt.messages.join(" · ");
        view! {
            <li class="refused-attempt" data-testid="refused-attempt">
                <time class="when">{move || format_moment(at_ms, browser::utc_offset_minutes(at_ms), language.get())}</time> " "
                <span class="who">{attempt.user_name.clone()}</span> " "
                {attempt.user_email.clone().map(|email| view! { <span class="muted email">{email}</span> })} " "
                <span class="badge role">{move || role.label(language.get())}</span>
                <p><code class="place">{attempt.place}</code> " " <span class="muted">{messages}</span></p>
                <p class="refusal">
                    {move || text(language.get(), Text::Reason)} ": "
                    {move || refusal.map_or_else(|| text(language.get(), Text::UnknownReason), |refusal| refusal.text(language.get()))}
                </p>
            </li>
        }
    };
    view! {
        <section class="card refused" data-testid="refused-list">
            <NeedsConnection />
            <Show when=move || failed.get() && !offline.get()>
                <p class="form-error" role="alert">{move || text(language.get(), Text::LoadFailed)}</p>
            </Show>
            <Show when=move || !failed.get() && !offline.get() && attempts.with(Vec::is_empty)>
                <p class="muted">{move || text(language.get(), Text::NothingYet)}</p>
            </Show>
            <ul class="history-list">{move || attempts.get().into_iter().map(row).collect_view()}</ul>
            <Show when=move || next_before.get().is_some()>
                <button type="button" class="secondary" on:click=move |_| fetch(next_before.get_untracked())>
                    {move || text(language.get(), Text::LoadOlder)}
                </button>
            </Show>
        </section>
    }
}
