//! The navigation bar over the collections: plain links, so Tab and Enter work.

use enlace_shared::model::Language;
use enlace_shared::schema::Collection;
use leptos::prelude::*;

use crate::record_text::{Words, is_spanish, words};
use crate::route::Route;

#[component]
pub fn NavBar(current: Signal<Option<Collection>>, language: Signal<Language>) -> impl IntoView {
    let link = move |collection: Collection| {
        view! {
            <li>
                <a
                    href=Route::List(collection).href()
                    data-nav=collection.key()
                    aria-current=move || (current.get() == Some(collection)).then_some("page")
                >
                    {move || collection.label(is_spanish(language.get()))}
                </a>
            </li>
        }
    };
    view! {
        <nav class="collections-nav" aria-label=move || words(language.get(), Words::Collections)>
            <ul>{Collection::ALL.into_iter().map(link).collect_view()}</ul>
        </nav>
    }
}
