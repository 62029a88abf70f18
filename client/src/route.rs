//! Which screen the workspace shows, kept in the URL's fragment
//! (`#/alliances`, `#/alliances/<id>`) so links are plain `<a href>`s that
//! work with the keyboard, the back button and bookmarks.

use enlace_shared::schema::Collection;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// No fragment: the organisation directory of the walking skeleton.
    Home,
    List(Collection),
    Record(Collection, String),
}

impl Route {
    /// Parses `#/collection` or `#/collection/id`; anything else is [`Route::Home`].
    pub fn from_hash(hash: &str) -> Self {
        let path = hash.trim_start_matches('#').trim_matches('/');
        let mut parts = path.splitn(2, '/');
        let Some(collection) = parts.next().and_then(Collection::from_key) else {
            return Self::Home;
        };
        match parts.next().filter(|id| !id.is_empty()) {
            Some(id) => Self::Record(collection, id.to_owned()),
            None => Self::List(collection),
        }
    }

    pub fn href(&self) -> String {
        match self {
            Self::Home => "#/".to_owned(),
            Self::List(collection) => format!("#/{}", collection.key()),
            Self::Record(collection, id) => format!("#/{}/{id}", collection.key()),
        }
    }

    /// The collection the navigation bar highlights.
    pub fn collection(&self) -> Option<Collection> {
        match self {
            Self::Home => None,
            Self::List(collection) | Self::Record(collection, _) => Some(*collection),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_round_trip() {
        for route in [
            Route::Home,
            Route::List(Collection::Alliances),
            Route::Record(Collection::Organisations, "ab12".into()),
        ] {
            assert_eq!(Route::from_hash(&route.href()), route);
        }
        assert_eq!(Route::from_hash(""), Route::Home);
        assert_eq!(Route::from_hash("#/nothing"), Route::Home);
        assert_eq!(Route::from_hash("#/contacts/"), Route::List(Collection::Contacts));
    }
}
