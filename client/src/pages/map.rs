//! `#/map`: the roundtable's network. The graph
//! ([`enlace_shared::graph`]) is rebuilt from the snapshot whenever the
//! document or the filters change; the layout ([`enlace_shared::layout`])
//! only places what is new, so nodes keep their places as others edit.
//! Clicking a node opens its record beside the map (the ordinary record
//! page, editable in place per role); dragging pins a node.
//!
//! The page measures itself for `cargo xtask bench` (figures only, never
//! asserted): `data-first-render-ms` (the page created → the first frame
//! with the graph drawn) and `data-remote-ms` / `data-remote-count` (a frame
//! from the server that changed the graph arrived → the frame that draws
//! it; how many were measured).

use std::collections::HashMap;

use enlace_shared::graph::{Graph, MapFilter};
use enlace_shared::layout::{EDGE_LENGTH, Layout, Point};
use enlace_shared::schema::Collection;
use leptos::leptos_dom::helpers::request_animation_frame;
use leptos::prelude::*;

use crate::browser;
use crate::components::map_canvas::{MapCanvas, Placed, ViewBox};
use crate::components::map_export::MapExport;
use crate::components::map_filters::MapFilters;
use crate::components::map_legend::MapLegend;
use crate::components::map_views::MapViews;
use crate::context::{use_language, use_sync, use_workspace};
use crate::i18n::{Text, text};
use crate::pages::record_detail::RecordDetail;

/// The layout's seed: every browser draws the same first map.
const SEED: u64 = 13;

#[component]
pub fn MapPage() -> impl IntoView {
    let (workspace, language) = (use_workspace(), use_language());
    let filter = RwSignal::new(MapFilter::default());
    let graph = Memo::new(move |_| {
        filter.with(|filter| {
            workspace
                .snapshot
                .with(|snapshot| Graph::build(&**snapshot, filter))
        })
    });
    // The live work-plan lines in the records' order: a tie's colour is its line's place here.
    let lines = Memo::new(move |_| {
        workspace.snapshot.with(|snapshot| {
            snapshot
                .records(Collection::WorkplanLines)
                .iter()
                .filter(|line| !line.deleted)
                .map(|line| (line.id.clone(), line.title().to_owned()))
                .collect::<Vec<_>>()
        })
    });
    let layout = StoredValue::new(Layout::new(SEED));
    let moved = RwSignal::new(0u64);
    let bounds = StoredValue::new(None::<ViewBox>);
    let placed = Memo::new(move |_| {
        moved.track();
        graph.with(|graph| {
            layout.update_value(|layout| {
                layout.update(graph);
            });
            layout.with_value(|layout| {
                let positions: HashMap<String, (Point, bool)> = graph
                    .nodes
                    .iter()
                    .filter_map(|node| {
                        let point = layout.position(&node.key)?;
                        Some((node.key.clone(), (point, layout.is_pinned(&node.key))))
                    })
                    .collect();
                bounds.update_value(|bounds| *bounds = Some(grown(*bounds, &positions)));
                Placed(positions)
            })
        })
    });
    let view_box = Memo::new(move |_| {
        placed.track();
        bounds.get_value().unwrap_or(ViewBox {
            x: -200.0,
            y: -200.0,
            width: 400.0,
            height: 400.0,
        })
    });
    let figures = MapFigures::measure(graph);
    let selected = RwSignal::new(None::<(Collection, String)>);
    let drag = Callback::new(move |(key, point): (String, Point)| {
        layout.update_value(|layout| layout.pin(&key, point));
        moved.update(|count| *count += 1);
    });
    let pinned = Callback::new(move |()| {
        graph.with_untracked(|graph| {
            layout.with_value(|layout| {
                graph
                    .nodes
                    .iter()
                    .filter(|node| layout.is_pinned(&node.key))
                    .filter_map(|node| Some((node.key.clone(), layout.position(&node.key)?)))
                    .collect::<Vec<_>>()
            })
        })
    });
    let apply_pins = Callback::new(move |pins: Vec<(String, Point)>| {
        layout.update_value(|layout| {
            for (key, point) in &pins {
                layout.pin(key, *point);
            }
        });
        moved.update(|count| *count += 1);
    });
    let unpin = Callback::new(move |key: String| {
        layout.update_value(|layout| layout.unpin(&key));
        moved.update(|count| *count += 1);
    });
    let side = move || {
        selected.get().map(|(collection, id)| {
            view! {
                <aside class="map-side card" data-testid="map-side">
                    <button type="button" class="map-close" on:click=move |_| selected.set(None)>
                        {move || text(language.get(), Text::MapClose)}
                    </button>
                    <RecordDetail collection=collection id=id />
                </aside>
            }
        })
    };
    view! {
        <section class="map-page" data-testid="map-page"
            data-first-render-ms=move || figures.first_render_ms.get().map(|ms| format!("{ms:.1}"))
            data-remote-ms=move || figures.remote.get().1.map(|ms| format!("{ms:.1}"))
            data-remote-count=move || figures.remote.get().0>
            <div class="page-heading">
                <h2>{move || text(language.get(), Text::Map)}</h2>
                <MapExport />
                <MapViews filter=filter pinned=pinned apply_pins=apply_pins />
            </div>
            <MapFilters filter=filter lines=lines />
            <div class="map-body">
                <figure class="map-figure card">
                    <MapCanvas graph=graph placed=placed view_box=view_box lines=lines
                        selected=selected drag=drag unpin=unpin />
                    <MapLegend lines=lines />
                </figure>
                {side}
            </div>
        </section>
    }
}

/// The page's own figures (see the module comment).
#[derive(Clone, Copy)]
struct MapFigures {
    first_render_ms: RwSignal<Option<f64>>,
    /// Remote changes measured, and the latest one's delay.
    remote: RwSignal<(u32, Option<f64>)>,
}

impl MapFigures {
    fn measure(graph: Memo<Graph>) -> Self {
        let sync = use_sync();
        let opened = browser::performance_now();
        let figures = Self {
            first_render_ms: RwSignal::new(None),
            remote: RwSignal::new((0, None)),
        };
        // When the graph last changed: a remote change that arrived before
        // it was already drawn then (or changed nothing on the map).
        let last_change = StoredValue::new(opened);
        Effect::new(move |_| {
            let nodes = graph.with(|graph| graph.nodes.len());
            let changed_at = browser::performance_now();
            let since = last_change.try_get_value().unwrap_or(changed_at);
            last_change.set_value(changed_at);
            let arrived = sync.remote_change_at().filter(|arrived| *arrived >= since);
            // Leptos has patched the DOM by the next animation frame, which
            // is the one the browser paints it in.
            request_animation_frame(move || {
                let drawn = browser::performance_now();
                let first = figures.first_render_ms.try_get_untracked().flatten();
                if first.is_none() {
                    if nodes > 0 {
                        let _ = figures.first_render_ms.try_set(Some(drawn - opened));
                    }
                } else if let Some(arrived) = arrived {
                    let _ = figures.remote.try_update(|(count, latest)| {
                        *count += 1;
                        *latest = Some(drawn - arrived);
                    });
                }
            });
        });
        figures
    }
}

/// The view box grown to hold every position (never shrunk: a node that
/// leaves does not rescale the rest of the map).
fn grown(bounds: Option<ViewBox>, positions: &HashMap<String, (Point, bool)>) -> ViewBox {
    let margin = EDGE_LENGTH;
    let (mut left, mut top, mut right, mut bottom) = match bounds {
        Some(bounds) => (
            bounds.x,
            bounds.y,
            bounds.x + bounds.width,
            bounds.y + bounds.height,
        ),
        None => (f64::MAX, f64::MAX, f64::MIN, f64::MIN),
    };
    for (point, _) in positions.values() {
        left = left.min(point.x - margin);
        top = top.min(point.y - margin);
        right = right.max(point.x + margin);
        bottom = bottom.max(point.y + margin);
    }
    if left > right {
        return ViewBox {
            x: -200.0,
            y: -200.0,
            width: 400.0,
            height: 400.0,
        };
    }
    ViewBox {
        x: left,
        y: top,
        width: right - left,
        height: bottom - top,
    }
}
