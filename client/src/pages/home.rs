//! The roundtable's home page: who presides and who holds the secretariat,
//! the members by kind, the alliances by stage, the government
//! collaborations by status, the open action items (how many are
//! overdue), and the latest changes.

use enlace_shared::followup::{self, ActionFilter};
use enlace_shared::schema::{ALLIANCE_STATUSES, COLLABORATION_STATUSES, Collection};
use leptos::prelude::*;

use crate::browser;
use crate::components::count_card::CountCard;
use crate::components::latest_changes::LatestChanges;
use crate::components::leadership::Leadership;
use crate::context::{use_language, use_sync, use_workspace};
use crate::i18n::{Text, text};
use crate::overview::{MEMBER, counts_by_choice, members_by_kind};
use crate::route::Route;

/// The list of `collection` with `filters` set.
fn filtered(collection: Collection, filters: &[(&'static str, &str)]) -> Route {
    let filters = filters.iter().map(|(field, value)| (*field, (*value).to_owned()));
    Route::Filtered(collection, filters.collect())
}

#[component]
pub fn HomePage() -> impl IntoView {
    let (workspace, language) = (use_workspace(), use_language());
    let name = use_sync().workspace_name();
    let members = Memo::new(move |_| {
        let language = language.get();
        workspace
            .snapshot
            .with(|snapshot| members_by_kind(snapshot, language))
    });
    let by_status = move |collection: Collection, choices| {
        Memo::new(move |_| {
            let language = language.get();
            workspace
                .snapshot
                .with(|snapshot| counts_by_choice(snapshot, collection, "status", choices, language))
        })
    };
    let alliances = by_status(Collection::Alliances, ALLIANCE_STATUSES);
    let collaborations = by_status(Collection::Collaborations, COLLABORATION_STATUSES);
    let open_items = Memo::new(move |_| {
        let today = browser::today();
        workspace.snapshot.with(|snapshot| {
            let items = followup::open_action_items(&**snapshot, &ActionFilter::default(), &today);
            (items.len(), items.iter().filter(|item| item.overdue).count())
        })
    });
    view! {
        <section class="home" data-testid="home">
            <div class="page-heading">
                <h2>{move || name.get().unwrap_or_else(|| text(language.get(), Text::Home).to_owned())}</h2>
                <p class="muted">{move || text(language.get(), Text::HomeIntro)}</p>
            </div>
            <div class="home-grid">
                <Leadership />
                <CountCard title=Text::MembersByKind testid="members-by-kind" counts=members.into() total=Text::Members
                    link=|kind| filtered(Collection::Organisations, &[("membership", MEMBER), ("kind", kind)]) />
                <CountCard title=Text::CollaborationsByStatus testid="collaborations-by-status" counts=collaborations.into()
                    link=|status| filtered(Collection::Collaborations, &[("status", status)]) />
                <CountCard title=Text::AlliancesByStage testid="alliances-by-stage" counts=alliances.into() stages=true
                    link=|status| filtered(Collection::Alliances, &[("status", status)]) />
                <section class="card home-card" data-testid="home-open-action-items">
                    <h3><a href=Route::ActionItems(ActionFilter::default()).href()>{move || text(language.get(), Text::OpenActionItems)}</a></h3>
                    <p>
                        <span class="progress-count" data-testid="home-open-count">{move || open_items.get().0}</span> " "
                        {move || text(language.get(), Text::PendingItems).to_lowercase()} " · "
                        <span class="progress-count" data-testid="home-overdue-count">{move || open_items.get().1}</span> " "
                        {move || text(language.get(), Text::OverdueItems).to_lowercase()}
                    </p>
                </section>
                <LatestChanges />
            </div>
        </section>
    }
}
