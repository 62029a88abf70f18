//! The map's legend: each organisation kind's shape and colour, the member
//! ring, the two tie shapes, and each work-plan line's colour.

use enlace_shared::schema::{Collection, ORGANISATION_KINDS, choice_label};
use leptos::prelude::*;

use crate::components::map_style::{KIND_STYLES, Shape, TIE_SIZE, diamond_path, line_colour, shape_path};
use crate::context::use_language;
use crate::i18n::{Text, text};

/// A small SVG of one legend mark.
fn mark(path: String, fill: &'static str, stroke: &'static str) -> impl IntoView {
    view! {
        <svg class="map-legend-mark" viewBox="-10 -10 20 20" width="16" height="16" aria-hidden="true">
            <path d=path fill=fill stroke=stroke stroke-width="1.5" />
        </svg>
    }
}

#[component]
pub fn MapLegend(lines: Memo<Vec<(String, String)>>) -> impl IntoView {
    let language = use_language();
    let kinds = move || {
        KIND_STYLES
            .iter()
            .map(|(slug, shape, colour)| {
                let name = choice_label(ORGANISATION_KINDS, slug, language.get());
                view! { <li>{mark(shape_path(*shape, 7.0), colour, "none")} {name}</li> }
            })
            .collect_view()
    };
    let line_items = move || {
        lines
            .get()
            .into_iter()
            .enumerate()
            .map(|(position, (id, title))| {
                view! {
                    <li data-line=id>{mark(diamond_path(TIE_SIZE + 2.0), line_colour(Some(position)), "none")} {title}</li>
                }
            })
            .collect_view()
    };
    view! {
        <figcaption class="map-legend" data-testid="map-legend">
            <ul>
                {kinds}
                <li>{mark(shape_path(Shape::Circle, 8.0), "none", "#1d2330")} {move || text(language.get(), Text::MapMember)}</li>
                <li>{mark(diamond_path(7.0), "#9aa1ad", "none")} {move || Collection::Alliances.label(language.get())}</li>
                <li>{mark(shape_path(Shape::Square, 7.0), "#9aa1ad", "none")} {move || Collection::Collaborations.label(language.get())}</li>
            </ul>
            <ul class="map-legend-lines">{line_items}</ul>
        </figcaption>
    }
}
