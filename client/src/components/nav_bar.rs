//! The navigation bar: the home page, every collection, then the history. Plain links,
//! so Tab and Enter work.

use enlace_shared::schema::Collection;
use leptos::prelude::*;

use crate::context::use_language;
use crate::i18n::{Text, text};
use crate::route::Route;

#[component]
pub fn NavBar(
    /// The route shown now, to mark its link as the current page.
    route: Signal<Route>,
) -> impl IntoView {
    let language = use_language();
    let current = move || route.with(Route::collection);
    let link = move |collection: Collection| {
        view! {
            <li>
                <a
                    href=Route::List(collection).href()
                    data-nav=collection.key()
                    aria-current=move || (current() == Some(collection)).then_some("page")
                >
                    {move || collection.label(language.get())}
                </a>
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
                {Collection::ALL.into_iter().map(link).collect_view()}
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
