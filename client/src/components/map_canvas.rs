//! The map's SVG: edges as lines, organisations as shapes by kind (size by
//! degree, members ringed), ties as small diamonds (alliances) or squares
//! (collaborations) in their first line's colour. Each node is a `<g>`
//! moved by a CSS `transform` (so a move glides); dragging one pins it
//! there, a double click unpins it, a click (or Enter) opens its record.

use std::collections::HashMap;

use enlace_shared::graph::{Graph, Node, NodeKind};
use enlace_shared::layout::Point;
use enlace_shared::schema::Collection;
use leptos::prelude::*;

use crate::presence::PresenceHandle;

use crate::components::map_style::{
    Shape, TIE_SIZE, diamond_path, kind_style, line_colour, organisation_radius, shape_path,
};

/// Where each shown node is, and whether it is pinned.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed(pub HashMap<String, (Point, bool)>);

impl Placed {
    fn at(&self, key: &str) -> (Point, bool) {
        self.0
            .get(key)
            .copied()
            .unwrap_or((Point { x: 0.0, y: 0.0 }, false))
    }
}

/// One signal per node for its place, set only when that node moves.
///
/// Every drawn coordinate reads its own node's signal rather than
/// [`Placed`]: with thousands of readers on one signal, every change made
/// each of them unsubscribe and subscribe again, and leptos' subscriber
/// set removes in order (linear), so one drag step on the 800-node map cost
/// about half a second. Now a drag step wakes one node and its edges.
#[derive(Clone, Copy)]
struct Places {
    placed: Memo<Placed>,
    signals: StoredValue<HashMap<String, ArcRwSignal<(Point, bool)>>, LocalStorage>,
}

impl Places {
    fn new(placed: Memo<Placed>) -> Self {
        let places = Self {
            placed,
            signals: StoredValue::new_local(HashMap::new()),
        };
        Effect::new(move |_| {
            placed.with(|placed| {
                places.signals.update_value(|signals| {
                    for (key, place) in &placed.0 {
                        match signals.get(key) {
                            Some(signal) => {
                                if signal.get_untracked() != *place {
                                    signal.set(*place);
                                }
                            }
                            None => {
                                signals.insert(key.clone(), ArcRwSignal::new(*place));
                            }
                        }
                    }
                });
            });
        });
        places
    }

    /// The signal of `key`'s place (created from the current places if the
    /// node is drawn before the effect above has seen it).
    fn of(&self, key: &str) -> ArcRwSignal<(Point, bool)> {
        if let Some(signal) = self.signals.with_value(|signals| signals.get(key).cloned()) {
            return signal;
        }
        let signal = ArcRwSignal::new(self.placed.with_untracked(|placed| placed.at(key)));
        self.signals
            .try_update_value(|signals| signals.entry(key.to_owned()).or_insert(signal).clone())
            .unwrap_or_else(|| ArcRwSignal::new((Point { x: 0.0, y: 0.0 }, false)))
    }
}

/// The SVG's view box, in the layout's units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ViewBox {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

/// The id of the map's `<svg>` (the export serialises it).
pub const SVG_ID: &str = "map-svg";

/// A drag under way: the node, where the pointer went down, whether it moved.
#[derive(Debug, Clone)]
struct Drag {
    key: String,
    record: (Collection, String),
    start: (f64, f64),
    moved: bool,
}

/// The point of the map under the pointer (the SVG keeps its aspect ratio, centred).
fn to_map(event: &web_sys::PointerEvent, view_box: ViewBox) -> Option<Point> {
    let svg = web_sys::window()?.document()?.get_element_by_id(SVG_ID)?;
    let rect = svg.get_bounding_client_rect();
    let scale = (rect.width() / view_box.width).min(rect.height() / view_box.height);
    if scale <= 0.0 {
        return None;
    }
    let left = rect.left() + (rect.width() - view_box.width * scale) / 2.0;
    let top = rect.top() + (rect.height() - view_box.height * scale) / 2.0;
    Some(Point {
        x: view_box.x + (f64::from(event.client_x()) - left) / scale,
        y: view_box.y + (f64::from(event.client_y()) - top) / scale,
    })
}

#[component]
pub fn MapCanvas(
    graph: Memo<Graph>,
    placed: Memo<Placed>,
    view_box: Memo<ViewBox>,
    lines: Memo<Vec<(String, String)>>,
    selected: RwSignal<Option<(Collection, String)>>,
    drag: Callback<(String, Point)>,
    unpin: Callback<String>,
) -> impl IntoView {
    let dragging = StoredValue::new(None::<Drag>);
    let places = Places::new(placed);
    let presence = use_context::<PresenceHandle>();
    let box_text = move || {
        let view_box = view_box.get();
        format!(
            "{:.1} {:.1} {:.1} {:.1}",
            view_box.x, view_box.y, view_box.width, view_box.height
        )
    };
    let edges = move || {
        graph.with(|graph| {
            graph
                .edges
                .iter()
                .map(|edge| {
                    (
                        graph.nodes[edge.tie].key.clone(),
                        graph.nodes[edge.organisation].key.clone(),
                    )
                })
                .collect::<Vec<_>>()
        })
    };
    let edge = move |(tie, organisation): (String, String)| {
        let end = move |key: &str, pick: fn(Point) -> f64| {
            let place = places.of(key);
            move || format!("{:.1}", place.with(|(point, _)| pick(*point)))
        };
        view! {
            <line class="map-edge" data-testid="map-edge" data-tie=tie.clone() data-organisation=organisation.clone()
                stroke="#9aa1ad" stroke-width="1.2"
                x1=end(&tie, |point| point.x) y1=end(&tie, |point| point.y)
                x2=end(&organisation, |point| point.x) y2=end(&organisation, |point| point.y) />
        }
    };
    let node = move |node: Node| {
        let key = node.key.clone();
        let record = (node.collection, node.id.clone());
        let place = places.of(&key);
        let transform = {
            let place = place.clone();
            move || {
                let (point, _) = place.get();
                format!("transform: translate({:.1}px, {:.1}px)", point.x, point.y)
            }
        };
        let coordinate = |pick: fn(Point) -> f64| {
            let place = place.clone();
            move || format!("{:.1}", pick(place.get().0))
        };
        let pinned = {
            let place = place.clone();
            Signal::derive(move || place.get().1)
        };
        let is_selected = {
            let record = record.clone();
            move || selected.with(|selected| selected.as_ref() == Some(&record))
        };
        let start = {
            let (key, record) = (key.clone(), record.clone());
            move |event: web_sys::PointerEvent| {
                event.prevent_default();
                if let Some(svg) = web_sys::window()
                    .and_then(|window| window.document())
                    .and_then(|document| document.get_element_by_id(SVG_ID))
                {
                    let _ = svg.set_pointer_capture(event.pointer_id());
                }
                dragging.set_value(Some(Drag {
                    key: key.clone(),
                    record: record.clone(),
                    start: (f64::from(event.client_x()), f64::from(event.client_y())),
                    moved: false,
                }));
            }
        };
        let open = {
            move |event: web_sys::KeyboardEvent| {
                if event.key() == "Enter" {
                    selected.set(Some(record.clone()));
                }
            }
        };
        let release = {
            let key = key.clone();
            move |_| unpin.run(key.clone())
        };
        // Who else has this record open: their initials beside the node.
        let here = presence
            .as_ref()
            .map(|presence| presence.on_record(node.collection, node.id.clone()));
        let present = move || here.is_some_and(|here| here.with(|people| !people.is_empty()));
        let badge = move || {
            let people = here?.get();
            (!people.is_empty()).then(|| {
                let initials: Vec<String> = people.iter().map(|person| person.initials()).collect();
                let initials = initials.join(" ");
                let names: Vec<&str> = people
                    .iter()
                    .map(|person| person.sender.display_name.as_str())
                    .collect();
                let names = names.join(", ");
                let title = names.clone();
                view! {
                    <g class="map-presence" data-testid="map-presence" data-people=names
                        transform="translate(9 -11)" pointer-events="none">
                        <title>{title}</title>
                        <rect x="-2" y="-7" rx="4" width=format!("{}", 6 * initials.chars().count() + 4)
                            height="10" fill="#b8860b" />
                        <text x="0" y="1" font-size="7" fill="#ffffff">{initials}</text>
                    </g>
                }
            })
        };
        let (testid, shape) = shape_of(&node, &lines.get_untracked());
        let name = (!node.is_tie()).then(|| label(&node));
        let line_count = match &node.kind {
            NodeKind::Tie { lines, .. } => lines.len().to_string(),
            NodeKind::Organisation { .. } => String::new(),
        };
        view! {
            <g class="map-node" class:pinned=pinned class:selected=is_selected class:present=present data-testid=testid
                data-record=node.id.clone() data-collection=node.collection.key() data-key=key data-lines=line_count
                data-x=coordinate(|point| point.x) data-y=coordinate(|point| point.y)
                style=transform tabindex="0" role="button" aria-label=node.title.clone()
                on:pointerdown=start on:keydown=open on:dblclick=release>
                <title>{node.title.clone()}</title>
                {shape}
                <path class="map-pin" d="M-3 -3L3 3M3 -3L-3 3" stroke="#1d2330" stroke-width="1.5"
                    visibility=move || if pinned.get() { "visible" } else { "hidden" } />
                {name}
                {badge}
            </g>
        }
    };
    let moving = move |event: web_sys::PointerEvent| {
        let Some(mut current) = dragging.get_value() else {
            return;
        };
        let (dx, dy) = (
            f64::from(event.client_x()) - current.start.0,
            f64::from(event.client_y()) - current.start.1,
        );
        if !current.moved && dx * dx + dy * dy < 9.0 {
            return;
        }
        current.moved = true;
        if let Some(point) = to_map(&event, view_box.get_untracked()) {
            drag.run((current.key.clone(), point));
        }
        dragging.set_value(Some(current));
    };
    let end = move |_: web_sys::PointerEvent| {
        if let Some(current) = dragging.get_value()
            && !current.moved
        {
            selected.set(Some(current.record));
        }
        dragging.set_value(None);
    };
    view! {
        <svg id=SVG_ID class="map-svg" data-testid="map" xmlns="http://www.w3.org/2000/svg"
            viewBox=box_text preserveAspectRatio="xMidYMid meet"
            font-family="system-ui, sans-serif"
            on:pointermove=moving on:pointerup=end on:pointercancel=move |_| dragging.set_value(None)>
            <g class="map-edges">
                <For each=edges key=|pair| pair.clone() children=edge />
            </g>
            <g class="map-nodes">
                // Keyed by everything drawn, so a node whose kind, degree or
                // line changes is drawn again; its place comes from `placed`.
                <For each=move || graph.get().nodes key=|node| format!("{node:?}") children=node />
            </g>
        </svg>
    }
}

/// A node's test id and its shape.
fn shape_of(node: &Node, lines: &[(String, String)]) -> (&'static str, AnyView) {
    match &node.kind {
        NodeKind::Organisation { kind, member, degree } => {
            let (shape, colour) = kind_style(kind);
            let radius = organisation_radius(*degree);
            let ring = member.then(|| {
                view! {
                    <path class="map-member-ring" d=shape_path(Shape::Circle, radius + 4.0)
                        fill="none" stroke="#1d2330" stroke-width="2" />
                }
            });
            let view = view! {
                {ring}
                <path d=shape_path(shape, radius) fill=colour stroke="#ffffff" stroke-width="1.5" />
            }
            .into_any();
            ("map-node", view)
        }
        NodeKind::Tie { .. } => {
            let position = node
                .line()
                .and_then(|line| lines.iter().position(|(id, _)| id == line));
            let colour = line_colour(position);
            let d = match node.collection {
                Collection::Alliances => diamond_path(TIE_SIZE + 1.5),
                _ => shape_path(Shape::Square, TIE_SIZE + 1.0),
            };
            let view = view! { <path d=d fill=colour stroke="#ffffff" stroke-width="1" /> }.into_any();
            ("map-tie", view)
        }
    }
}

fn label(node: &Node) -> impl IntoView + use<> {
    let radius = match node.kind {
        NodeKind::Organisation { degree, .. } => organisation_radius(degree),
        NodeKind::Tie { .. } => 0.0,
    };
    view! {
        <text class="map-label" y=format!("{:.1}", radius + 12.0) text-anchor="middle" font-size="10" fill="#1d2330" pointer-events="none">
            {node.label.clone()}
        </text>
    }
}
