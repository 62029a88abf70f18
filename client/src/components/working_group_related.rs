//! A working group's page section: its meetings, the action items agreed
//! at them, and the work-plan lines it works on (each a link to the line's
//! follow-up page).

use enlace_shared::followup;
use enlace_shared::schema::Collection;
use leptos::prelude::*;

use crate::browser;
use crate::components::action_item_row::ActionItemList;
use crate::components::linked_list::LinkedSection;
use crate::context::{use_language, use_workspace};
use crate::route::Route;

#[component]
pub fn WorkingGroupRelated(group_id: String) -> impl IntoView {
    let (workspace, language) = (use_workspace(), use_language());
    let summary = Memo::new(move |_| {
        let today = browser::today();
        workspace
            .snapshot
            .with(|snapshot| followup::working_group_summary(&**snapshot, &group_id, &today))
    });
    move || {
        summary.get().map(|group| {
            let items = group.action_items;
            let count = items.len();
            view! {
                <div class="linked-grid" data-testid="working-group-related">
                    <LinkedSection collection=Collection::Meetings records=group.meetings />
                    <section class="card linked-section" data-section="action_items" data-count=count>
                        <h3>{move || Collection::ActionItems.label(language.get())} " " <span class="count">{count}</span></h3>
                        <ActionItemList items=Signal::derive(move || items.clone()) show_meeting=true />
                    </section>
                    <section class="card linked-section" data-section="workplan_lines">
                        <h3>{move || Collection::WorkingGroups.field("workplan_lines").map(|spec| spec.label(language.get()))}</h3>
                        <ul class="linked-list">
                            {group.lines.into_iter().map(|line| {
                                let href = Route::WorkplanLine(line.id.clone()).href();
                                view! {
                                <li data-id=line.id><a href=href>{line.title}</a></li>
                            }}).collect_view()}
                        </ul>
                    </section>
                </div>
            }
        })
    }
}
