//! The map's layout: a force-directed placement (Fruchterman–Reingold, with
//! repulsion only between nodes in neighbouring cells of a grid of side
//! `2k`, so one step costs about O(nodes + edges) instead of O(nodes²)),
//! seeded and stable across updates.
//!
//! Why not a crate: `fdg-sim`, `forceatlas2` and `force_graph` lay out a
//! whole graph from scratch; none keeps existing positions while placing
//! new nodes, moves only some nodes, or pins one (and `fdg-sim` seeds its
//! start from an unseeded random source). Those are this module's point, and
//! the force model itself is a few dozen lines (ARCHITECTURE.md, "Map").
//!
//! Guarantees ([`Layout::update`]):
//! - deterministic: the same seed and the same sequence of graphs give the
//!   same positions (no clock, no randomness but a hash of seed and key);
//! - stable: a node that already has a position keeps it exactly (updates
//!   only move the nodes they place); positions are kept for nodes a filter
//!   hides, so they come back where they were;
//! - a new node starts at the centroid of its placed neighbours plus a small
//!   offset derived from its key, then relaxes among fixed neighbours;
//! - pinned nodes never move.

use std::collections::{HashMap, HashSet};

use crate::graph::Graph;

/// The ideal edge length, in the map's units (SVG user units).
pub const EDGE_LENGTH: f64 = 60.0;

/// Relaxation steps of the first layout.
const FIRST_STEPS: usize = 180;

/// Relaxation steps of an update (new nodes only).
const UPDATE_STEPS: usize = 40;

/// A point of the map.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

/// The positions of the map's nodes by key, and which are pinned.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    seed: u64,
    positions: HashMap<String, Point>,
    pinned: HashSet<String>,
}

/// splitmix64 over the seed and an FNV-1a hash of the key: a fixed,
/// platform-independent number per node.
fn hash(seed: u64, key: &str, salt: u64) -> u64 {
    let mut fnv: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in key.bytes() {
        fnv = (fnv ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut z = seed ^ fnv ^ salt.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A number in [-1, 1) from the seed and key.
fn unit(seed: u64, key: &str, salt: u64) -> f64 {
    (hash(seed, key, salt) >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
}

impl Layout {
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            ..Self::default()
        }
    }

    pub fn position(&self, key: &str) -> Option<Point> {
        self.positions.get(key).copied()
    }

    pub fn is_pinned(&self, key: &str) -> bool {
        self.pinned.contains(key)
    }

    /// Puts a node at `point` and keeps it there.
    pub fn pin(&mut self, key: &str, point: Point) {
        self.positions.insert(key.to_owned(), point);
        self.pinned.insert(key.to_owned());
    }

    /// Lets the node move again (it stays where it is until a layout moves it).
    pub fn unpin(&mut self, key: &str) {
        self.pinned.remove(key);
    }

    /// Places the nodes of `graph` that have no position yet and returns
    /// how many it placed. The first call lays out the whole graph; later
    /// calls move only the new nodes.
    pub fn update(&mut self, graph: &Graph) -> usize {
        let first = graph
            .nodes
            .iter()
            .all(|node| !self.positions.contains_key(&node.key));
        let neighbours = graph.neighbours();
        let mut new: Vec<usize> = (0..graph.nodes.len())
            .filter(|&index| !self.positions.contains_key(&graph.nodes[index].key))
            .collect();
        if new.is_empty() {
            return 0;
        }
        let mut positions: Vec<Option<Point>> = graph
            .nodes
            .iter()
            .map(|node| self.positions.get(&node.key).copied())
            .collect();
        if first {
            // A square of about the area the relaxed graph will take.
            let side = (graph.nodes.len() as f64).sqrt() * EDGE_LENGTH;
            for &index in &new {
                let key = &graph.nodes[index].key;
                positions[index] = Some(Point {
                    x: unit(self.seed, key, 1) * side / 2.0,
                    y: unit(self.seed, key, 2) * side / 2.0,
                });
            }
        } else {
            self.seed_new_nodes(graph, &neighbours, &mut positions, &new);
        }
        new.retain(|&index| !self.pinned.contains(&graph.nodes[index].key));
        // Every position is set by now (the branches above place each new node).
        let mut points: Vec<Point> = positions
            .into_iter()
            .map(|point| point.unwrap_or(Point { x: 0.0, y: 0.0 }))
            .collect();
        let steps = if first { FIRST_STEPS } else { UPDATE_STEPS };
        let start_temperature = if first {
            EDGE_LENGTH * 2.0
        } else {
            EDGE_LENGTH / 2.0
        };
        relax(&mut points, &neighbours, &new, steps, start_temperature, first);
        let placed = graph.nodes.len() - self.positions_of(graph);
        for (node, point) in graph.nodes.iter().zip(points) {
            self.positions.entry(node.key.clone()).or_insert(point);
        }
        placed
    }

    fn positions_of(&self, graph: &Graph) -> usize {
        graph
            .nodes
            .iter()
            .filter(|node| self.positions.contains_key(&node.key))
            .count()
    }

    /// Starts each new node at the centroid of its placed neighbours plus a
    /// small offset from its key; nodes with no placed neighbour wait for
    /// one to be placed; the rest go on a ring just outside the map.
    fn seed_new_nodes(
        &self,
        graph: &Graph,
        neighbours: &[Vec<usize>],
        positions: &mut [Option<Point>],
        new: &[usize],
    ) {
        let mut waiting: Vec<usize> = new.to_vec();
        loop {
            let before = waiting.len();
            waiting.retain(|&index| {
                let placed: Vec<Point> = neighbours[index]
                    .iter()
                    .filter_map(|&next| positions[next])
                    .collect();
                if placed.is_empty() {
                    return true;
                }
                let count = placed.len() as f64;
                let key = &graph.nodes[index].key;
                positions[index] = Some(Point {
                    x: placed.iter().map(|point| point.x).sum::<f64>() / count
                        + unit(self.seed, key, 3) * EDGE_LENGTH / 3.0,
                    y: placed.iter().map(|point| point.y).sum::<f64>() / count
                        + unit(self.seed, key, 4) * EDGE_LENGTH / 3.0,
                });
                false
            });
            if waiting.is_empty() || waiting.len() == before {
                break;
            }
        }
        let placed: Vec<Point> = positions.iter().flatten().copied().collect();
        let radius = placed
            .iter()
            .map(|point| (point.x * point.x + point.y * point.y).sqrt())
            .fold(0.0, f64::max)
            + EDGE_LENGTH;
        for index in waiting {
            let angle = unit(self.seed, &graph.nodes[index].key, 5) * std::f64::consts::PI;
            positions[index] = Some(Point {
                x: radius * angle.cos(),
                y: radius * angle.sin(),
            });
        }
    }
}

/// Fruchterman–Reingold steps that move only `moving`, the others acting on
/// them as fixed points. Repulsion `k²/d` within `2k` (grid cells of side
/// `2k`), attraction `d²/k` along edges, a linear cooling of the largest
/// step from `temperature`, and on the first layout a weak pull to the
/// centre so that separate groups stay near each other.
fn relax(
    points: &mut [Point],
    neighbours: &[Vec<usize>],
    moving: &[usize],
    steps: usize,
    temperature: f64,
    gravity: bool,
) {
    let k = EDGE_LENGTH;
    let cell = 2.0 * k;
    let grid_of = |points: &[Point], keep: &dyn Fn(usize) -> bool| {
        let mut grid: HashMap<(i64, i64), Vec<usize>> = HashMap::new();
        for (index, point) in points.iter().enumerate().filter(|(index, _)| keep(*index)) {
            grid.entry(((point.x / cell).floor() as i64, (point.y / cell).floor() as i64))
                .or_default()
                .push(index);
        }
        grid
    };
    // An update moves a few nodes among many fixed ones: the fixed nodes'
    // grid is built once, and the few moving nodes are compared pairwise.
    let few = moving.len() * 4 < points.len();
    let is_moving: HashSet<usize> = moving.iter().copied().collect();
    let fixed_grid = if few {
        grid_of(points, &|index| !is_moving.contains(&index))
    } else {
        HashMap::new()
    };
    for step in 0..steps {
        let limit = temperature * (1.0 - step as f64 / steps as f64) + 0.5;
        let full_grid = (!few).then(|| grid_of(points, &|_| true));
        let grid = full_grid.as_ref().unwrap_or(&fixed_grid);
        let mut shifts = Vec::with_capacity(moving.len());
        for &index in moving {
            let here = points[index];
            let (cx, cy) = ((here.x / cell).floor() as i64, (here.y / cell).floor() as i64);
            let (mut fx, mut fy) = (0.0, 0.0);
            for gx in cx - 1..=cx + 1 {
                for gy in cy - 1..=cy + 1 {
                    for &other in grid.get(&(gx, gy)).map_or(&[][..], Vec::as_slice) {
                        if other == index {
                            continue;
                        }
                        let (dx, dy) = (here.x - points[other].x, here.y - points[other].y);
                        let distance = (dx * dx + dy * dy).sqrt().max(0.01);
                        if distance < cell {
                            let push = k * k / distance;
                            fx += dx / distance * push;
                            fy += dy / distance * push;
                        }
                    }
                }
            }
            if few {
                for &other in moving.iter().filter(|&&other| other != index) {
                    let (dx, dy) = (here.x - points[other].x, here.y - points[other].y);
                    let distance = (dx * dx + dy * dy).sqrt().max(0.01);
                    if distance < cell {
                        let push = k * k / distance;
                        fx += dx / distance * push;
                        fy += dy / distance * push;
                    }
                }
            }
            for &other in &neighbours[index] {
                let (dx, dy) = (points[other].x - here.x, points[other].y - here.y);
                let distance = (dx * dx + dy * dy).sqrt().max(0.01);
                let pull = distance * distance / k;
                fx += dx / distance * pull;
                fy += dy / distance * pull;
            }
            if gravity {
                fx -= here.x * 0.05;
                fy -= here.y * 0.05;
            }
            let length = (fx * fx + fy * fy).sqrt();
            let scale = if length > limit { limit / length } else { 1.0 };
            shifts.push((index, fx * scale, fy * scale));
        }
        for (index, dx, dy) in shifts {
            points[index].x += dx;
            points[index].y += dy;
        }
    }
}
