//! The map's graph: the roundtable's organisations and the ties between
//! them, read from the records ([`Graph::build`] over any
//! [`RecordSource`], the client's snapshot; [`Graph::read`] over a document
//! now or at past heads, through [`DocRead`] and [`records::read_all`]).
//!
//! # Ties are nodes of their own
//! An alliance joins its partner (a chamber or company) and the members
//! involved; a government collaboration joins its institution and the
//! members involved. Both are relations of *several* organisations at once.
//! Drawn as pairwise edges, one alliance of a chamber and three members
//! would become six edges that look like six relations, none of which can
//! be clicked as "the alliance", coloured by its line or filtered by its
//! status. So each tie is one small node ([`NodeKind::Tie`]) with one edge
//! to every organisation it involves: one clickable, colourable element per
//! record, and no hyperedge faked as pairs.
//!
//! # What shows
//! Deleted records never show, nor references to deleted or unknown
//! organisations or lines. An organisation shows when it passes the
//! organisation filters (kind, membership). A tie shows when it passes the
//! tie filters (work-plan line, status, period) and at least one of its
//! organisations shows (or it names none). A tie is in a period when it
//! has no start, or its start ≤ the period's end, and it has no end or its
//! end ≥ the period's start (dates are `YYYY-MM-DD`, compared as strings;
//! an empty bound is open). Degrees count the ties shown. Search then
//! keeps the focused node and every node within [`FOCUS_STEPS`] edges of
//! it. A tie's colour key is its first (live) work-plan line.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use crate::followup::RecordSource;
use crate::language::fold;
use crate::model::{DocRead, ModelError};
use crate::records::{self, Record};
use crate::schema::Collection;

/// How many edges away from the focused node search still shows a node:
/// two steps reach the ties of an organisation and their other organisations.
pub const FOCUS_STEPS: usize = 2;

/// A node's stable key, `<collection key>/<record id>` (the layout keys
/// positions by it, so a node keeps its place across rebuilds).
pub fn node_key(collection: Collection, id: &str) -> String {
    format!("{}/{id}", collection.key())
}

/// What a node stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    Organisation {
        /// The organisation's kind slug (`embassy`, `chamber`, …).
        kind: String,
        /// Marked a member of the roundtable.
        member: bool,
        /// How many ties shown involve it.
        degree: usize,
    },
    /// An alliance or a government collaboration.
    Tie {
        /// Its status slug.
        status: String,
        /// Its live work-plan lines, in the record's order; the first is its colour key.
        lines: Vec<String>,
    },
}

/// One node of the map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// [`node_key`] of the record.
    pub key: String,
    pub collection: Collection,
    pub id: String,
    /// The record's title (an organisation's full name).
    pub title: String,
    /// What the map writes beside it (an organisation's acronym when it has one).
    pub label: String,
    pub kind: NodeKind,
}

impl Node {
    pub fn is_tie(&self) -> bool {
        matches!(self.kind, NodeKind::Tie { .. })
    }

    /// A tie's colour key: its first work-plan line.
    pub fn line(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Tie { lines, .. } => lines.first().map(String::as_str),
            NodeKind::Organisation { .. } => None,
        }
    }
}

/// An edge from a tie to one organisation it involves (indices into [`Graph::nodes`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    pub tie: usize,
    pub organisation: usize,
}

/// Which part of the map shows. Empty strings set nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MapFilter {
    /// A work-plan line's id: ties on that line.
    pub line: String,
    /// An alliance or collaboration status slug.
    pub status: String,
    /// An organisation kind slug.
    pub kind: String,
    /// A membership slug (`member`, `ally`, `none`; `none` also matches unset).
    pub membership: String,
    /// The period's first day.
    pub from: String,
    /// The period's last day.
    pub to: String,
    /// The key of the node search focuses on.
    pub focus: String,
}

/// The map's nodes (organisations first, then ties, each in the records' order) and edges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

/// The collections the graph reads.
const READ: [Collection; 4] = [
    Collection::Organisations,
    Collection::WorkplanLines,
    Collection::Alliances,
    Collection::Collaborations,
];

/// The records [`Graph::read`] read.
#[derive(Default)]
struct MapRecords(BTreeMap<Collection, Vec<Record>>);

impl RecordSource for MapRecords {
    fn records(&self, collection: Collection) -> &[Record] {
        self.0.get(&collection).map_or(&[], Vec::as_slice)
    }
}

/// A tie's organisation fields: the one it is with, then the members.
fn tie_organisations(record: &Record) -> impl Iterator<Item = &str> {
    let main = match record.collection {
        Collection::Alliances => record.text("partner"),
        _ => record.text("institution"),
    };
    std::iter::once(main)
        .chain(record.list("members").iter().map(String::as_str))
        .filter(|id| !id.is_empty())
}

fn in_period(record: &Record, from: &str, to: &str) -> bool {
    let start = record.text("start");
    let end = record.text("end");
    let starts_in_time = start.is_empty() || to.is_empty() || start <= to;
    let not_ended_before = end.is_empty() || from.is_empty() || end >= from;
    starts_in_time && not_ended_before
}

impl Graph {
    /// Reads the records the map needs from `document` and builds the graph.
    pub fn read<R: DocRead + ?Sized>(document: &R, filter: &MapFilter) -> Result<Self, ModelError> {
        let mut records = MapRecords::default();
        for collection in READ {
            records
                .0
                .insert(collection, records::read_all(document, collection)?);
        }
        Ok(Self::build(&records, filter))
    }

    /// The graph of `source`'s records under `filter`.
    pub fn build(source: &impl RecordSource, filter: &MapFilter) -> Self {
        let live_lines: HashSet<&str> = source
            .records(Collection::WorkplanLines)
            .iter()
            .filter(|line| !line.deleted)
            .map(|line| line.id.as_str())
            .collect();
        let mut graph = Self::default();
        let mut organisation_index: HashMap<&str, usize> = HashMap::new();
        for record in source.records(Collection::Organisations) {
            if record.deleted {
                continue;
            }
            let kind = record.text("kind");
            let membership = record.text("membership");
            let membership_matches = filter.membership.is_empty()
                || membership == filter.membership
                || (filter.membership == "none" && membership.is_empty());
            if (!filter.kind.is_empty() && kind != filter.kind) || !membership_matches {
                continue;
            }
            organisation_index.insert(record.id.as_str(), graph.nodes.len());
            graph.nodes.push(Node {
                key: node_key(record.collection, &record.id),
                collection: record.collection,
                id: record.id.clone(),
                title: record.title().to_owned(),
                label: organisation_label(record),
                kind: NodeKind::Organisation {
                    kind: kind.to_owned(),
                    member: membership == "member",
                    degree: 0,
                },
            });
        }
        let organisations_filtered = !filter.kind.is_empty() || !filter.membership.is_empty();
        for collection in [Collection::Alliances, Collection::Collaborations] {
            for record in source.records(collection) {
                if record.deleted {
                    continue;
                }
                let lines: Vec<String> = record
                    .list("workplan_lines")
                    .iter()
                    .filter(|line| live_lines.contains(line.as_str()))
                    .cloned()
                    .collect();
                let status = record.text("status");
                if (!filter.line.is_empty() && !lines.contains(&filter.line))
                    || (!filter.status.is_empty() && status != filter.status)
                    || !in_period(record, &filter.from, &filter.to)
                {
                    continue;
                }
                let involved: BTreeSet<usize> = tie_organisations(record)
                    .filter_map(|id| organisation_index.get(id).copied())
                    .collect();
                if involved.is_empty()
                    && (organisations_filtered || tie_organisations(record).next().is_some())
                {
                    continue;
                }
                let tie = graph.nodes.len();
                graph.nodes.push(Node {
                    key: node_key(collection, &record.id),
                    collection,
                    id: record.id.clone(),
                    title: record.title().to_owned(),
                    label: record.title().to_owned(),
                    kind: NodeKind::Tie {
                        status: status.to_owned(),
                        lines,
                    },
                });
                for organisation in involved {
                    graph.edges.push(Edge { tie, organisation });
                    if let NodeKind::Organisation { degree, .. } = &mut graph.nodes[organisation].kind {
                        *degree += 1;
                    }
                }
            }
        }
        if !filter.focus.is_empty()
            && let Some(focus) = graph.index_of(&filter.focus)
        {
            let keep = graph.within(focus, FOCUS_STEPS);
            graph = graph.restricted_to(&keep);
        }
        graph
    }

    /// The index of the node with this key.
    pub fn index_of(&self, key: &str) -> Option<usize> {
        self.nodes.iter().position(|node| node.key == key)
    }

    /// Each node's neighbours (indices), in edge order.
    pub fn neighbours(&self) -> Vec<Vec<usize>> {
        let mut neighbours = vec![Vec::new(); self.nodes.len()];
        for edge in &self.edges {
            neighbours[edge.tie].push(edge.organisation);
            neighbours[edge.organisation].push(edge.tie);
        }
        neighbours
    }

    /// The nodes at most `steps` edges from `start` (itself included).
    pub fn within(&self, start: usize, steps: usize) -> BTreeSet<usize> {
        let neighbours = self.neighbours();
        let mut seen = BTreeSet::from([start]);
        let mut queue = VecDeque::from([(start, 0)]);
        while let Some((node, distance)) = queue.pop_front() {
            if distance == steps {
                continue;
            }
            for &next in &neighbours[node] {
                if seen.insert(next) {
                    queue.push_back((next, distance + 1));
                }
            }
        }
        seen
    }

    /// The graph of only the nodes in `keep` (degrees counted again).
    fn restricted_to(self, keep: &BTreeSet<usize>) -> Self {
        let mut new_index = BTreeMap::new();
        let mut nodes = Vec::with_capacity(keep.len());
        for (old, node) in self.nodes.into_iter().enumerate() {
            if keep.contains(&old) {
                new_index.insert(old, nodes.len());
                nodes.push(node);
            }
        }
        for node in &mut nodes {
            if let NodeKind::Organisation { degree, .. } = &mut node.kind {
                *degree = 0;
            }
        }
        let mut edges = Vec::new();
        for edge in self.edges {
            if let (Some(&tie), Some(&organisation)) =
                (new_index.get(&edge.tie), new_index.get(&edge.organisation))
            {
                edges.push(Edge { tie, organisation });
                if let NodeKind::Organisation { degree, .. } = &mut nodes[organisation].kind {
                    *degree += 1;
                }
            }
        }
        Self { nodes, edges }
    }

    /// The key of the first node whose title or label contains `query` (accent- and
    /// case-blind), organisations before ties; `None` for a blank query.
    pub fn search(&self, query: &str) -> Option<String> {
        let query = fold(query);
        if query.is_empty() {
            return None;
        }
        self.nodes
            .iter()
            .find(|node| fold(&node.title).contains(&query) || fold(&node.label).contains(&query))
            .map(|node| node.key.clone())
    }
}

/// An organisation's label on the map: its acronym when it has one.
fn organisation_label(record: &Record) -> String {
    let acronym = record.text("acronym").trim();
    if acronym.is_empty() {
        record.title().to_owned()
    } else {
        acronym.to_owned()
    }
}

/// The date range of a presidency term (`start`, `end`), if it is live and dated.
pub fn term_range(source: &impl RecordSource, term_id: &str) -> Option<(String, String)> {
    source
        .records(Collection::PresidencyTerms)
        .iter()
        .find(|term| term.id == term_id && !term.deleted)
        .map(|term| (term.text("start").to_owned(), term.text("end").to_owned()))
}
