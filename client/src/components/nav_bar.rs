//! The navigation bar: the home page, the collections and follow-up screens
//! in three labelled groups (directory, work, secretariat), then the
//! history. Plain links, all visible, so Tab and Enter work.

use enlace_shared::schema::Collection;
use leptos::prelude::*;

use crate::context::use_language;
use crate::i18n::{Text, text};
use crate::route::Route;

/// One link of the bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NavEntry {
    /// A collection's list (`data-nav` = its key).
    List(Collection),
    /// The open action items across all meetings (`data-nav="open-action-items"`).
    OpenActionItems,
    /// The work-plan overview (`data-nav="workplan"`).
    Workplan,
    /// The network map (`data-nav="map"`).
    Map,
}

impl NavEntry {
    fn route(self) -> Route {
        match self {
            Self::List(collection) => Route::List(collection),
            Self::OpenActionItems => Route::ActionItems(Default::default()),
            Self::Workplan => Route::Workplan(String::new()),
            Self::Map => Route::Map,
        }
    }

    fn key(self) -> &'static str {
        match self {
            Self::List(collection) => collection.key(),
            Self::OpenActionItems => "open-action-items",
            Self::Workplan => "workplan",
            Self::Map => "map",
        }
    }

    /// Whether this link names the screen `route` shows.
    fn is_current(self, route: &Route) -> bool {
        match (self, route) {
            (Self::List(collection), route) => route.collection() == Some(collection),
            (Self::OpenActionItems, Route::ActionItems(_)) => true,
            (Self::Workplan, Route::Workplan(_) | Route::WorkplanLine(_)) => true,
            (Self::Map, Route::Map) => true,
            _ => false,
        }
    }
}

/// The groups of the bar, each with its label, in order.
pub const NAV_GROUPS: [(Text, &[NavEntry]); 3] = {
    use Collection::*;
    use NavEntry::*;
    [
        (
            Text::NavDirectory,
            &[List(Organisations), List(Contacts), List(PresidencyTerms)],
        ),
        (
            Text::NavWork,
            &[
                Workplan,
                Map,
                List(MapViews),
                List(WorkplanLines),
                List(Alliances),
                List(Collaborations),
                List(Activities),
            ],
        ),
        (
            Text::NavSecretariat,
            &[
                List(Meetings),
                List(WorkingGroups),
                OpenActionItems,
                List(ActionItems),
                List(Reports),
            ],
        ),
    ]
};

#[component]
pub fn NavBar(
    /// The route shown now, to mark its link as the current page.
    route: Signal<Route>,
) -> impl IntoView {
    let language = use_language();
    let link = move |entry: NavEntry| {
        let label = move || match entry {
            NavEntry::List(collection) => collection.label(language.get()),
            NavEntry::OpenActionItems => text(language.get(), Text::OpenActionItems),
            NavEntry::Workplan => text(language.get(), Text::WorkplanFollowUp),
            NavEntry::Map => text(language.get(), Text::Map),
        };
        view! {
            <li>
                <a href=entry.route().href() data-nav=entry.key()
                    aria-current=move || route.with(|route| entry.is_current(route)).then_some("page")>
                    {label}
                </a>
            </li>
        }
    };
    let group = move |(label, entries): (Text, &'static [NavEntry])| {
        view! {
            <li class="nav-group">
                <span class="nav-group-label">{move || text(language.get(), label)}</span>
                <ul aria-label=move || text(language.get(), label)>
                    {entries.iter().copied().map(link).collect_view()}
                </ul>
            </li>
        }
    };
    view! {
        <nav class="collections-nav" aria-label=move || text(language.get(), Text::Collections)>
            <ul>
                <li>
                    <a href=Route::Home.href() data-nav="home"
                        aria-current=move || route.with(|route| *route == Route::Home).then_some("page")>
                        {move || text(language.get(), Text::Home)}
                    </a>
                </li>
                {NAV_GROUPS.into_iter().map(group).collect_view()}
                <li class="nav-history">
                    <a href=Route::history().href() data-nav="history"
                        aria-current=move || route.with(|route| matches!(route, Route::History(_))).then_some("page")>
                        {move || text(language.get(), Text::History)}
                    </a>
                </li>
            </ul>
        </nav>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_collection_is_in_the_bar_once_with_the_follow_up_screens() {
        let entries: Vec<NavEntry> = NAV_GROUPS
            .iter()
            .flat_map(|(_, entries)| entries.iter().copied())
            .collect();
        for collection in Collection::ALL {
            let count = entries
                .iter()
                .filter(|entry| **entry == NavEntry::List(collection))
                .count();
            assert_eq!(count, 1, "{collection:?}");
        }
        assert_eq!(entries.len(), Collection::ALL.len() + 3);
        let mut keys: Vec<&str> = entries.iter().map(|entry| entry.key()).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), entries.len(), "each link has its own data-nav");
    }

    #[test]
    fn the_current_link_follows_the_screen() {
        let line = Route::WorkplanLine("l1".into());
        assert!(NavEntry::Workplan.is_current(&line));
        assert!(!NavEntry::List(Collection::WorkplanLines).is_current(&line));
        let open = Route::ActionItems(Default::default());
        assert!(NavEntry::OpenActionItems.is_current(&open));
        assert!(!NavEntry::List(Collection::ActionItems).is_current(&open));
        assert!(NavEntry::List(Collection::ActionItems).is_current(&Route::List(Collection::ActionItems)));
    }
}
