//! The map's saved views: choosing one applies its filters and pinned
//! places for this page; "Save view" (presidency and secretariat) stores
//! the current filters and pinned nodes as a `map_views` record, so
//! everyone sees the same map and the save is attributed like any edit.

use enlace_shared::graph::MapFilter;
use enlace_shared::ids;
use enlace_shared::intent::Intent;
use enlace_shared::layout::Point;
use enlace_shared::map_view::SavedView;
use enlace_shared::schema::Collection;
use leptos::prelude::*;

use crate::auth;
use crate::browser;
use crate::context::{use_language, use_sync, use_workspace};
use crate::i18n::{Message, Text, text};

#[component]
pub fn MapViews(
    filter: RwSignal<MapFilter>,
    /// The pinned nodes now, to save.
    pinned: Callback<(), Vec<(String, Point)>>,
    /// Applies a saved view's pins to the layout.
    apply_pins: Callback<Vec<(String, Point)>>,
) -> impl IntoView {
    let (workspace, sync, language) = (use_workspace(), use_sync(), use_language());
    let views = Memo::new(move |_| {
        workspace.snapshot.with(|snapshot| {
            snapshot
                .records(Collection::MapViews)
                .iter()
                .filter(|view| !view.deleted)
                .map(SavedView::from_record)
                .collect::<Vec<_>>()
        })
    });
    let (role, viewing_past) = (sync.role(), workspace.viewing_past());
    let reason = Signal::derive(move || {
        auth::blocked_reason(
            role.get(),
            Collection::MapViews.edit_capability(),
            viewing_past.get(),
        )
        .map(|reason| reason.get(language.get()))
    });
    let disabled = Signal::derive(move || reason.get().is_some());
    let chosen = RwSignal::new(String::new());
    let choose = move |id: String| {
        chosen.set(id.clone());
        if let Some(view) = views.with_untracked(|views| views.iter().find(|view| view.id == id).cloned()) {
            filter.set(view.filter);
            apply_pins.run(view.pins);
        }
    };
    let name = RwSignal::new(String::new());
    let message = RwSignal::new(None::<Message>);
    let save = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let title = name.get_untracked();
        if title.trim().is_empty() {
            return message.set(Some(Message::Text(Text::FillRequired)));
        }
        let id = ids::record_id(browser::random_bytes());
        let intent = Intent::SaveMapView {
            id: id.clone(),
            name: title.trim().to_owned(),
            filter: filter.get_untracked(),
            pins: pinned.run(()),
        };
        sync.edit(intent, move |result| match result {
            Ok(_) => {
                message.set(None);
                name.set(String::new());
                chosen.set(id);
            }
            Err(error) => message.set(Some(error.message())),
        });
    };
    view! {
        <div class="map-views" data-testid="map-views">
            <label class="list-control">
                <span class="field-label">{move || text(language.get(), Text::MapSavedViews)}</span>
                <select data-testid="map-view" prop:value=move || chosen.get()
                    on:change=move |event| choose(event_target_value(&event))>
                    <option value="">{move || text(language.get(), Text::MapNoView)}</option>
                    {move || views.get().into_iter().map(|view| {
                        view! { <option value=view.id>{view.name}</option> }
                    }).collect_view()}
                </select>
            </label>
            <form class="map-view-save" data-testid="map-view-save" on:submit=save>
                <input type="text" name="map-view-name" autocomplete="off" disabled=disabled title=move || reason.get()
                    placeholder=move || text(language.get(), Text::MapViewName)
                    prop:value=move || name.get() on:input=move |event| name.set(event_target_value(&event)) />
                <button type="submit" class="secondary" disabled=disabled title=move || reason.get()>
                    {move || text(language.get(), Text::MapSaveView)}
                </button>
            </form>
            {move || message.get().map(|message| view! { <p class="field-issue" role="alert">{move || message.get(language.get())}</p> })}
        </div>
    }
}
