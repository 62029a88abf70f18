//! Saved views of the map: a `map_views` record holds a view's filters
//! ([`MapFilter`]) and the positions of its pinned nodes, so everyone who
//! opens it sees the same map; saving is an ordinary attributed edit (the
//! presidency's and the secretariat's: `EditPresidencyAndWorkplan`).

use automerge::Automerge;

use crate::graph::MapFilter;
use crate::layout::Point;
use crate::model::{Authorship, ModelError};
use crate::records::{self, Initial, ItemAt, Record};
use crate::schema::Collection;

/// A saved view as the map applies it.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedView {
    pub id: String,
    pub name: String,
    pub filter: MapFilter,
    /// Pinned nodes by key, with their places. A place that does not read
    /// as a finite number is left out (the node is laid out as usual).
    pub pins: Vec<(String, Point)>,
}

impl SavedView {
    /// The view a `map_views` record describes.
    pub fn from_record(record: &Record) -> Self {
        let filter = MapFilter {
            line: record.text("line").to_owned(),
            status: record.text("status").to_owned(),
            kind: record.text("kind").to_owned(),
            membership: record.text("membership").to_owned(),
            from: record.text("from").to_owned(),
            to: record.text("to").to_owned(),
            focus: record.text("focus").to_owned(),
        };
        let number = |text: &str| text.trim().parse::<f64>().ok().filter(|value| value.is_finite());
        let pins = record
            .items("pinned")
            .iter()
            .filter_map(|item| {
                let (x, y) = (number(item.text("x"))?, number(item.text("y"))?);
                Some((item.text("node").to_owned(), Point { x, y }))
            })
            .filter(|(node, _)| !node.is_empty())
            .collect();
        Self {
            id: record.id.clone(),
            name: record.title().to_owned(),
            filter,
            pins,
        }
    }
}

/// Saves the map as the view `name` under the new record id `id`: its
/// filters, then each pinned node (`new_item_id` gives each a fresh id).
pub fn save_view(
    document: &mut Automerge,
    (id, name): (&str, &str),
    filter: &MapFilter,
    pins: &[(String, Point)],
    new_item_id: &mut dyn FnMut() -> String,
    authorship: &Authorship<'_>,
) -> Result<(), ModelError> {
    let text = |value: &str| Initial::Text(value.to_owned());
    let mut initial = vec![("name", text(name))];
    for (key, value) in [
        ("line", &filter.line),
        ("status", &filter.status),
        ("kind", &filter.kind),
        ("membership", &filter.membership),
        ("from", &filter.from),
        ("to", &filter.to),
        ("focus", &filter.focus),
    ] {
        if !value.is_empty() {
            initial.push((key, text(value)));
        }
    }
    records::create_record(document, Collection::MapViews, id, &initial, authorship)?;
    for (node, point) in pins {
        let item_id = new_item_id();
        let at = ItemAt {
            collection: Collection::MapViews,
            record_id: id,
            field: "pinned",
            item_id: &item_id,
        };
        let place = [
            ("node", text(node)),
            ("x", text(&format!("{:.1}", point.x))),
            ("y", text(&format!("{:.1}", point.y))),
        ];
        records::add_item(document, at, None, &place, authorship)?;
    }
    Ok(())
}
