//! Which screen the workspace shows, kept in the URL's fragment
//! (`#/alliances`, `#/alliances?status=signed`, `#/alliances/<id>`,
//! `#/history?person=…`, `#/history/compare?from=…&to=…`) so links
//! are plain `<a href>`s that work with the keyboard, the back button and
//! bookmarks. The path itself only ever says whether this is the first-start
//! setup page.

use enlace_shared::api::paths;
use enlace_shared::followup::ActionFilter;
use enlace_shared::language::Language;
use enlace_shared::schema::Collection;

use crate::collections::filter_fields;
use crate::history::{HistoryFilters, percent_decode, percent_encode};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// No fragment: the roundtable's home page.
    Home,
    List(Collection),
    /// A list with some of its filters set: `(field, value)` pairs, the
    /// values being slugs or record ids (written without escaping).
    Filtered(Collection, Vec<(&'static str, String)>),
    Record(Collection, String),
    History(HistoryScreen),
    /// `#/action-items?owner=…&line=…&from=…&to=…&closed=1`: the open
    /// action items across all meetings.
    ActionItems(ActionFilter),
    /// `#/workplan?period=…`: every work-plan line of a period (empty: the
    /// latest period; [`ALL_PERIODS`]: every line).
    Workplan(String),
    /// `#/workplan/<line id>`: one line with everything that names it.
    WorkplanLine(String),
    /// `#/<collection>/import`: importing a CSV file into the collection
    /// (record ids are hex, so no record is called `import`).
    Import(Collection),
    /// `#/reports…`: the annual reports (their own pages, not the generic list).
    Reports(ReportScreen),
    /// `#/map`: the network of organisations and their ties.
    Map,
}

/// The work-plan overview's period value for "every period".
pub const ALL_PERIODS: &str = "all";

/// The value of `name` in a fragment's query string, decoded ("" if absent).
fn query_value(query: &str, name: &str) -> String {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| percent_decode(value))
        .unwrap_or_default()
}

/// `name=value` pairs with a value, encoded and joined with `&`.
fn query_string(pairs: &[(&str, &str)]) -> String {
    let pairs: Vec<String> = pairs
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| format!("{name}={}", percent_encode(value)))
        .collect();
    pairs.join("&")
}

/// `#/<path>` followed by `?<query>` unless the query is empty.
fn with_query(path: &str, query: &str) -> String {
    if query.is_empty() {
        format!("#/{path}")
    } else {
        format!("#/{path}?{query}")
    }
}

fn action_filter_from_query(query: &str) -> ActionFilter {
    ActionFilter {
        owner: query_value(query, "owner"),
        workplan_line: query_value(query, "line"),
        due_from: query_value(query, "from"),
        due_to: query_value(query, "to"),
        include_closed: query_value(query, "closed") == "1",
    }
}

fn action_filter_query(filter: &ActionFilter) -> String {
    query_string(&[
        ("owner", &filter.owner),
        ("line", &filter.workplan_line),
        ("from", &filter.due_from),
        ("to", &filter.due_to),
        ("closed", if filter.include_closed { "1" } else { "" }),
    ])
}

/// The follow-up screens (`#/action-items…`, `#/workplan…`), if `path` names one.
fn follow_up_route(path: &str, query: &str) -> Option<Route> {
    match path.split_once('/').unwrap_or((path, "")) {
        ("action-items", "") => Some(Route::ActionItems(action_filter_from_query(query))),
        ("workplan", "") => Some(Route::Workplan(query_value(query, "period"))),
        ("workplan", id) if !id.contains('/') => Some(Route::WorkplanLine(id.to_owned())),
        _ => None,
    }
}

/// The screens of the annual reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportScreen {
    /// `#/reports`: every report, and "new report".
    List,
    /// `#/reports/<id>`: one report, its texts, issuing, preview.
    Report(String),
    /// `#/reports/<id>/print?lang=en&print=1`: the report alone, in
    /// `language` (the interface's when `None`); with `print`, the browser's
    /// print dialog opens once it is drawn.
    Print {
        id: String,
        language: Option<Language>,
        print: bool,
    },
}

impl ReportScreen {
    fn from_parts(path: &str, query: &str) -> Option<Self> {
        let value = |name: &str| {
            query
                .split('&')
                .filter_map(|pair| pair.split_once('='))
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value)
        };
        let mut parts = path.split('/').filter(|part| !part.is_empty());
        let screen = match (parts.next(), parts.next()) {
            (None, _) => Self::List,
            (Some(id), None) => Self::Report(id.to_owned()),
            (Some(id), Some("print")) => Self::Print {
                id: id.to_owned(),
                language: value("lang").map(|code| Language::from_code(Some(code))),
                print: value("print") == Some("1"),
            },
            _ => return None,
        };
        parts.next().is_none().then_some(screen)
    }

    fn href(&self) -> String {
        match self {
            Self::List => "#/reports".to_owned(),
            Self::Report(id) => format!("#/reports/{id}"),
            Self::Print { id, language, print } => {
                let mut query: Vec<String> = language
                    .iter()
                    .map(|language| format!("lang={}", language.code()))
                    .collect();
                if *print {
                    query.push("print=1".to_owned());
                }
                match query.join("&") {
                    query if query.is_empty() => format!("#/reports/{id}/print"),
                    query => format!("#/reports/{id}/print?{query}"),
                }
            }
        }
    }
}

/// The screens of the History page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryScreen {
    /// `#/history?…`: the timeline with its filters.
    Timeline(HistoryFilters),
    /// `#/history/compare?from=…&to=…`: two moments side by side, each an
    /// `<input type="datetime-local">` value (an empty `to` is now).
    Compare { from: String, to: String },
    /// `#/history/refused`: refused attempts (secretariat).
    Refused,
    /// `#/history/revert`: undo one person's changes in a time range (secretariat).
    Revert,
}

impl HistoryScreen {
    fn from_parts(path: &str, query: &str) -> Option<Self> {
        match path {
            "" => Some(Self::Timeline(HistoryFilters::from_query(query))),
            "compare" => {
                let value = |name: &str| {
                    query
                        .split('&')
                        .filter_map(|pair| pair.split_once('='))
                        .find(|(key, _)| *key == name)
                        .map(|(_, value)| percent_decode(value))
                        .unwrap_or_default()
                };
                Some(Self::Compare {
                    from: value("from"),
                    to: value("to"),
                })
            }
            "refused" => Some(Self::Refused),
            "revert" => Some(Self::Revert),
            _ => None,
        }
    }

    fn href(&self) -> String {
        match self {
            Self::Timeline(filters) => match filters.to_query() {
                query if query.is_empty() => "#/history".to_owned(),
                query => format!("#/history?{query}"),
            },
            Self::Compare { from, to } => {
                let pairs: Vec<String> = [("from", from), ("to", to)]
                    .into_iter()
                    .filter(|(_, value)| !value.is_empty())
                    .map(|(name, value)| format!("{name}={}", percent_encode(value)))
                    .collect();
                match pairs.join("&") {
                    query if query.is_empty() => "#/history/compare".to_owned(),
                    query => format!("#/history/compare?{query}"),
                }
            }
            Self::Refused => "#/history/refused".to_owned(),
            Self::Revert => "#/history/revert".to_owned(),
        }
    }
}

impl Route {
    /// Parses `#/collection`, `#/collection?field=value&…` or
    /// `#/collection/id`; anything else is [`Route::Home`]. Filters the list
    /// does not offer, and empty ones, are ignored.
    pub fn from_hash(hash: &str) -> Self {
        let path = hash.trim_start_matches('#').trim_matches('/');
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let path = path.trim_end_matches('/');
        if let Some(rest) = path.strip_prefix("history")
            && (rest.is_empty() || rest.starts_with('/'))
        {
            return HistoryScreen::from_parts(rest.trim_start_matches('/'), query)
                .map_or(Self::Home, Self::History);
        }
        if path == "map" {
            return Self::Map;
        }
        if let Some(route) = follow_up_route(path, query) {
            return route;
        }
        if let Some(rest) = path.strip_prefix(Collection::Reports.key())
            && (rest.is_empty() || rest.starts_with('/'))
        {
            return ReportScreen::from_parts(rest, query).map_or(Self::Home, Self::Reports);
        }
        let mut parts = path.splitn(2, '/');
        let Some(collection) = parts.next().and_then(Collection::from_key) else {
            return Self::Home;
        };
        if let Some(id) = parts.next().filter(|id| !id.is_empty()) {
            if id == "import" {
                return Self::Import(collection);
            }
            return Self::Record(collection, id.to_owned());
        }
        let filters: Vec<(&'static str, String)> = query
            .split('&')
            .filter_map(|pair| {
                let (name, value) = pair.split_once('=')?;
                let field = filter_fields(collection).iter().find(|field| **field == name)?;
                Some((*field, value.to_owned())).filter(|_| !value.is_empty())
            })
            .collect();
        if filters.is_empty() {
            Self::List(collection)
        } else {
            Self::Filtered(collection, filters)
        }
    }

    pub fn href(&self) -> String {
        match self {
            Self::Home => "#/".to_owned(),
            Self::List(collection) => format!("#/{}", collection.key()),
            Self::Filtered(collection, filters) => {
                let query: Vec<String> = filters
                    .iter()
                    .map(|(field, value)| format!("{field}={value}"))
                    .collect();
                format!("#/{}?{}", collection.key(), query.join("&"))
            }
            Self::Record(collection, id) => format!("#/{}/{id}", collection.key()),
            Self::History(screen) => screen.href(),
            Self::ActionItems(filter) => with_query("action-items", &action_filter_query(filter)),
            Self::Workplan(period) => with_query("workplan", &query_string(&[("period", period)])),
            Self::WorkplanLine(id) => format!("#/workplan/{id}"),
            Self::Import(collection) => format!("#/{}/import", collection.key()),
            Self::Reports(screen) => screen.href(),
            Self::Map => "#/map".to_owned(),
        }
    }

    /// The timeline with no filter.
    pub fn history() -> Self {
        Self::History(HistoryScreen::Timeline(HistoryFilters::default()))
    }

    /// The collection the navigation bar highlights.
    pub fn collection(&self) -> Option<Collection> {
        match self {
            Self::Home
            | Self::History(_)
            | Self::ActionItems(_)
            | Self::Workplan(_)
            | Self::WorkplanLine(_)
            | Self::Map => None,
            Self::Reports(_) => Some(Collection::Reports),
            Self::List(collection)
            | Self::Filtered(collection, _)
            | Self::Record(collection, _)
            | Self::Import(collection) => Some(*collection),
        }
    }
}

/// Whether the page at `path` is the first-start setup page (a trailing slash is fine).
pub fn is_setup_path(path: &str) -> bool {
    path.trim_end_matches('/') == paths::SETUP_PAGE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_round_trip() {
        for route in [
            Route::Home,
            Route::List(Collection::Alliances),
            Route::Filtered(Collection::Alliances, vec![("status", "signed".into())]),
            Route::Filtered(
                Collection::Organisations,
                vec![("membership", "member".into()), ("kind", "embassy".into())],
            ),
            Route::Record(Collection::Organisations, "ab12".into()),
            Route::history(),
            Route::History(HistoryScreen::Timeline(HistoryFilters {
                person: "u1".into(),
                collection: Some(Collection::Alliances),
                record: "a1".into(),
                kind: Some(enlace_shared::api::EntryKind::Edited),
                ..HistoryFilters::default()
            })),
            Route::History(HistoryScreen::Compare {
                from: "2026-11-29T14:03".into(),
                to: String::new(),
            }),
            Route::History(HistoryScreen::Refused),
            Route::History(HistoryScreen::Revert),
            Route::Import(Collection::Organisations),
        ] {
            assert_eq!(Route::from_hash(&route.href()), route);
        }
        assert_eq!(Route::from_hash(""), Route::Home);
        assert_eq!(Route::from_hash("#/nothing"), Route::Home);
        assert_eq!(Route::from_hash("#/contacts/"), Route::List(Collection::Contacts));
        assert_eq!(
            Route::from_hash("#/contacts/import"),
            Route::Import(Collection::Contacts)
        );
    }

    #[test]
    fn history_fragments_name_their_screens() {
        assert_eq!(Route::from_hash("#/history"), Route::history());
        assert_eq!(Route::from_hash("#/history/"), Route::history());
        assert_eq!(Route::history().href(), "#/history");
        assert_eq!(
            Route::from_hash("#/history?kind=deleted&colour=red"),
            Route::History(HistoryScreen::Timeline(HistoryFilters {
                kind: Some(enlace_shared::api::EntryKind::Deleted),
                ..HistoryFilters::default()
            }))
        );
        assert_eq!(
            Route::from_hash("#/history/compare?from=2026-11-29T14%3A03&to=2026-11-30T09%3A00"),
            Route::History(HistoryScreen::Compare {
                from: "2026-11-29T14:03".into(),
                to: "2026-11-30T09:00".into(),
            })
        );
        assert_eq!(Route::from_hash("#/history/elsewhere"), Route::Home);
        assert_eq!(Route::from_hash("#/historyx"), Route::Home);
        assert_eq!(Route::history().collection(), None);
    }

    #[test]
    fn only_the_filters_a_list_offers_are_read() {
        assert_eq!(
            Route::from_hash("#/alliances?colour=red"),
            Route::List(Collection::Alliances)
        );
        assert_eq!(
            Route::from_hash("#/alliances?status="),
            Route::List(Collection::Alliances)
        );
        assert_eq!(
            Route::from_hash("#/organisations?membership=member&colour=red"),
            Route::Filtered(Collection::Organisations, vec![("membership", "member".into())])
        );
    }

    #[test]
    fn the_follow_up_screens_keep_their_filters_in_the_fragment() {
        let filter = ActionFilter {
            owner: "ab12".into(),
            workplan_line: "cd34".into(),
            due_from: "2021-01-01".into(),
            due_to: "2021-12-31".into(),
            include_closed: true,
        };
        for route in [
            Route::ActionItems(ActionFilter::default()),
            Route::ActionItems(filter.clone()),
            Route::Workplan(String::new()),
            Route::Workplan("2020–2021".into()),
            Route::Workplan(ALL_PERIODS.into()),
            Route::WorkplanLine("cd34".into()),
        ] {
            assert_eq!(Route::from_hash(&route.href()), route);
            assert_eq!(route.collection(), None);
        }
        assert_eq!(
            Route::ActionItems(ActionFilter::default()).href(),
            "#/action-items"
        );
        assert_eq!(
            Route::ActionItems(filter).href(),
            "#/action-items?owner=ab12&line=cd34&from=2021-01-01&to=2021-12-31&closed=1"
        );
        assert_eq!(
            Route::from_hash("#/action-items?owner=x&closed=0&colour=red"),
            Route::ActionItems(ActionFilter {
                owner: "x".into(),
                ..ActionFilter::default()
            })
        );
        assert_eq!(
            Route::Workplan("2020–2021".into()).href(),
            "#/workplan?period=2020%E2%80%932021"
        );
        assert_eq!(Route::from_hash("#/workplan/"), Route::Workplan(String::new()));
        assert_eq!(Route::from_hash("#/workplan/a/b"), Route::Home);
        // The collection list of action items is a different screen.
        assert_eq!(
            Route::from_hash("#/action_items"),
            Route::List(Collection::ActionItems)
        );
    }

    #[test]
    fn report_fragments_name_their_screens() {
        for screen in [
            ReportScreen::List,
            ReportScreen::Report("r1".into()),
            ReportScreen::Print {
                id: "r1".into(),
                language: Some(Language::English),
                print: true,
            },
            ReportScreen::Print {
                id: "r1".into(),
                language: None,
                print: false,
            },
        ] {
            let route = Route::Reports(screen);
            assert_eq!(Route::from_hash(&route.href()), route);
            assert_eq!(route.collection(), Some(Collection::Reports));
        }
        assert_eq!(Route::List(Collection::Reports).href(), "#/reports");
        assert_eq!(Route::from_hash("#/reports"), Route::Reports(ReportScreen::List));
        assert_eq!(Route::from_hash("#/reports/r1/elsewhere"), Route::Home);
        assert_eq!(Route::from_hash("#/reports/r1/print/x"), Route::Home);
        assert_eq!(
            Route::from_hash("#/reports/r1/print?lang=en"),
            Route::Reports(ReportScreen::Print {
                id: "r1".into(),
                language: Some(Language::English),
                print: false
            })
        );
    }

    #[test]
    fn the_setup_page_has_one_path() {
        assert!(is_setup_path("/setup"));
        assert!(is_setup_path("/setup/"));
        assert!(!is_setup_path("/"));
        assert!(!is_setup_path("/setup-other"));
    }
}
