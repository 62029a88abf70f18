//! Timeline entries: who (name, organisation, role then, email for the
//! secretariat), when (received, and written when that differs), what (each
//! record and field, old → new) and the change message; a group of quick
//! successive edits shows its net change and expands into its entries.
//! Every entry can open the workspace as it was right after it; on a
//! record's panel, fields and records can be restored.

use enlace_shared::api::{HistoryEntry, RecordChange};
use enlace_shared::roles::Role;
use enlace_shared::schema::Collection;
use enlace_shared::timetravel::EntryGroup;
use leptos::prelude::*;

use crate::browser;
use crate::components::field_change::FieldChangeLine;
use crate::components::history_restore::{RestoreFieldButton, RestoreRecordButton, RestoreSource};
use crate::context::{PastMoment, use_language, use_workspace};
use crate::history::{format_moment, group_kind, kind_label, parse_heads, shows_change, written_elsewhen};
use crate::i18n::{Text, text};
use crate::route::Route;

fn local(ms: i64, language: Signal<enlace_shared::language::Language>) -> impl Fn() -> String {
    move || format_moment(ms, browser::utc_offset_minutes(ms), language.get())
}

/// When, who and the message of one entry, with "view as of".
#[component]
fn EntryHeader(entry: HistoryEntry) -> impl IntoView {
    let (workspace, language) = (use_workspace(), use_language());
    let receipt = entry.receipt.clone();
    let organisation = receipt.organisation_id.as_deref().and_then(|id| {
        workspace.snapshot.with_untracked(|snapshot| {
            snapshot
                .get(Collection::Organisations, id)
                .map(|record| record.title().to_owned())
        })
    });
    let role: Role = receipt.role;
    let written = written_elsewhen(&entry).then(|| {
        let written = local(receipt.client_time_ms, language);
        view! { <span class="muted written" data-testid="written-at">" (" {move || text(language.get(), Text::WrittenAt)} " " {written} ")"</span> }
    });
    let heads = parse_heads(&entry.heads_after);
    let at_ms = receipt.received_at_ms;
    let view_as_of = move |_| {
        if let Some(heads) = heads.clone() {
            workspace.view_as_of(PastMoment {
                heads,
                at_ms: Some(at_ms),
            });
        }
    };
    view! {
        <div class="entry-header">
            <time class="when" data-ms=at_ms.to_string()>{local(at_ms, language)}</time>
            {written}
            <span class="who" data-testid="entry-who">{receipt.user_name.clone()}</span>
            {organisation.map(|name| view! { <span class="organisation">{name}</span> })}
            <span class="badge role" data-role=role.slug()>{move || role.label(language.get())}</span>
            {entry.user_email.map(|email| view! { <span class="muted email" data-testid="entry-email">{email}</span> })}
            <button type="button" class="link-button" data-testid="view-as-of" on:click=view_as_of>
                {move || text(language.get(), Text::ViewAsOf)}
            </button>
        </div>
        {receipt.message.filter(|message| !message.trim().is_empty()).map(|message| view! { <p class="entry-message muted">{message}</p> })}
    }
}

/// What one change did to one record.
#[component]
fn RecordChangeView(change: RecordChange, restore: Option<RestoreSource>) -> impl IntoView {
    let language = use_language();
    let collection = Collection::from_key(&change.collection);
    let kind = change.kind;
    let title = if change.title.trim().is_empty() {
        change.record_id.clone()
    } else {
        change.title.clone()
    };
    let link = match collection {
        Some(collection) => {
            view! { <a href=Route::Record(collection, change.record_id.clone()).href()>{title}</a> }
                .into_any()
        }
        None => view! { <span>{title}</span> }.into_any(),
    };
    let restore_record = restore
        .clone()
        .map(|source| view! { <RestoreRecordButton source=source /> });
    let fields = change
        .fields
        .into_iter()
        .filter(shows_change)
        .map(|field| {
            let button = restore.clone().map(|source| {
                view! { <RestoreFieldButton source=source field=field.field.clone() /> }.into_any()
            });
            match button {
                Some(button) => {
                    view! { <FieldChangeLine collection=collection change=field restore=button /> }.into_any()
                }
                None => view! { <FieldChangeLine collection=collection change=field /> }.into_any(),
            }
        })
        .collect_view();
    view! {
        <div class="record-change" data-testid="record-change" data-collection=change.collection.clone()
            data-id=change.record_id data-kind=kind.code()>
            <p>
                {link} " "
                <span class="muted">{move || collection.map(|collection| collection.label(language.get())).unwrap_or_default()}</span> " "
                <span class="badge kind">{move || kind_label(kind, language.get())}</span>
                {restore_record}
            </p>
            <ul class="field-changes">{fields}</ul>
        </div>
    }
}

/// One entry on its own.
#[component]
fn EntryView(entry: HistoryEntry, restorable: bool) -> impl IntoView {
    let records = entry
        .records
        .clone()
        .into_iter()
        .map(|change| {
            let restore = restorable
                .then(|| RestoreSource::new(&entry, &entry, &change))
                .flatten();
            view! { <RecordChangeView change=change restore=restore /> }
        })
        .collect_view();
    view! {
        <div class="entry" data-testid="history-entry" data-seq=entry.seq.to_string()>
            <EntryHeader entry=entry.clone() />
            {records}
        </div>
    }
}

/// A group of entries: alone, one entry; else the newest entry's header, the
/// net change, and the entries themselves behind a disclosure.
#[component]
pub fn HistoryGroup(
    group: EntryGroup,
    /// Offer restores (on a record's own panel).
    #[prop(optional)]
    restorable: bool,
) -> impl IntoView {
    let language = use_language();
    if group.entries.len() == 1 {
        let entry = group.newest().clone();
        return view! { <li class="history-group"><EntryView entry=entry restorable=restorable /></li> }
            .into_any();
    }
    let (newest, oldest) = (group.newest().clone(), group.oldest().clone());
    let count = group.entries.len();
    let created = oldest.records.first().map(|record| record.kind);
    let net = group.record().cloned().map(|record| RecordChange {
        fields: group.net_fields(),
        kind: created.map_or(record.kind, |oldest| group_kind(oldest, record.kind)),
        ..record
    });
    let net_view = net.map(|change| {
        let restore = restorable
            .then(|| RestoreSource::new(&newest, &oldest, &change))
            .flatten();
        view! { <RecordChangeView change=change restore=restore /> }
    });
    let entries = group
        .entries
        .into_iter()
        .map(|entry| view! { <li><EntryView entry=entry restorable=false /></li> })
        .collect_view();
    view! {
        <li class="history-group grouped" data-testid="history-group" data-count=count.to_string()>
            <div class="entry" data-testid="history-entry" data-seq=newest.seq.to_string()>
                <EntryHeader entry=newest.clone() />
                {net_view}
            </div>
            <details class="group-entries">
                <summary>{count} " " {move || text(language.get(), Text::Changes)}</summary>
                <ul class="history-list">{entries}</ul>
            </details>
        </li>
    }
    .into_any()
}
