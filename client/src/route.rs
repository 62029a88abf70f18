//! Which screen the workspace shows, kept in the URL's fragment
//! (`#/alliances`, `#/alliances?status=signed`, `#/alliances/<id>`) so links
//! are plain `<a href>`s that work with the keyboard, the back button and
//! bookmarks. The path itself only ever says whether this is the first-start
//! setup page.

use enlace_shared::api::paths;
use enlace_shared::schema::Collection;

use crate::collections::filter_fields;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// No fragment: the roundtable's home page.
    Home,
    List(Collection),
    /// A list with some of its filters set: `(field, value)` pairs, the
    /// values being slugs or record ids (written without escaping).
    Filtered(Collection, Vec<(&'static str, String)>),
    Record(Collection, String),
}

impl Route {
    /// Parses `#/collection`, `#/collection?field=value&…` or
    /// `#/collection/id`; anything else is [`Route::Home`]. Filters the list
    /// does not offer, and empty ones, are ignored.
    pub fn from_hash(hash: &str) -> Self {
        let path = hash.trim_start_matches('#').trim_matches('/');
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let mut parts = path.trim_end_matches('/').splitn(2, '/');
        let Some(collection) = parts.next().and_then(Collection::from_key) else {
            return Self::Home;
        };
        if let Some(id) = parts.next().filter(|id| !id.is_empty()) {
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
        }
    }

    /// The collection the navigation bar highlights.
    pub fn collection(&self) -> Option<Collection> {
        match self {
            Self::Home => None,
            Self::List(collection) | Self::Filtered(collection, _) | Self::Record(collection, _) => {
                Some(*collection)
            }
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
        ] {
            assert_eq!(Route::from_hash(&route.href()), route);
        }
        assert_eq!(Route::from_hash(""), Route::Home);
        assert_eq!(Route::from_hash("#/nothing"), Route::Home);
        assert_eq!(Route::from_hash("#/contacts/"), Route::List(Collection::Contacts));
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
    fn the_setup_page_has_one_path() {
        assert!(is_setup_path("/setup"));
        assert!(is_setup_path("/setup/"));
        assert!(!is_setup_path("/"));
        assert!(!is_setup_path("/setup-other"));
    }
}
