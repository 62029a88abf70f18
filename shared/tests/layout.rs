//! The map's layout (`enlace_shared::layout`) on graphs built in memory:
//! determinism, stable positions across an update, a new node placed near
//! its neighbours, pinned nodes that never move.

use enlace_shared::graph::{Edge, Graph, Node, NodeKind};
use enlace_shared::layout::{EDGE_LENGTH, Layout, Point};
use enlace_shared::schema::Collection;

fn organisation(id: &str) -> Node {
    Node {
        key: format!("organisations/{id}"),
        collection: Collection::Organisations,
        id: id.to_owned(),
        title: id.to_owned(),
        label: id.to_owned(),
        kind: NodeKind::Organisation {
            kind: "embassy".into(),
            member: true,
            degree: 0,
        },
    }
}

fn tie(id: &str) -> Node {
    Node {
        key: format!("alliances/{id}"),
        collection: Collection::Alliances,
        id: id.to_owned(),
        title: id.to_owned(),
        label: id.to_owned(),
        kind: NodeKind::Tie {
            status: "signed".into(),
            lines: Vec::new(),
        },
    }
}

/// Adds a tie joining the organisations at `organisations` (indices).
fn add_tie(graph: &mut Graph, id: &str, organisations: &[usize]) {
    let index = graph.nodes.len();
    graph.nodes.push(tie(id));
    for &organisation in organisations {
        graph.edges.push(Edge {
            tie: index,
            organisation,
        });
    }
}

/// 40 organisations in a few clusters joined by 20 ties.
fn network() -> Graph {
    let mut graph = Graph::default();
    for index in 0..40 {
        graph.nodes.push(organisation(&format!("o{index}")));
    }
    for index in 0..20 {
        add_tie(
            &mut graph,
            &format!("t{index}"),
            &[index, (index + 1) % 40, (index * 7 + 3) % 40],
        );
    }
    graph
}

fn distance(a: Point, b: Point) -> f64 {
    ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt()
}

fn positions(layout: &Layout, graph: &Graph) -> Vec<Point> {
    graph
        .nodes
        .iter()
        .map(|node| layout.position(&node.key).expect("placed"))
        .collect()
}

#[test]
fn the_same_seed_and_graph_give_the_same_positions_and_another_seed_others() {
    let graph = network();
    let mut first = Layout::new(7);
    let mut second = Layout::new(7);
    assert_eq!(first.update(&graph), graph.nodes.len());
    second.update(&graph);
    assert_eq!(positions(&first, &graph), positions(&second, &graph));
    let mut other = Layout::new(8);
    other.update(&graph);
    assert_ne!(positions(&first, &graph), positions(&other, &graph));
    assert!(
        positions(&first, &graph)
            .iter()
            .all(|point| point.x.is_finite() && point.y.is_finite())
    );
}

#[test]
fn the_first_layout_keeps_tied_nodes_closer_than_untied_ones() {
    let graph = network();
    let mut layout = Layout::new(1);
    layout.update(&graph);
    let points = positions(&layout, &graph);
    let tied: f64 = graph
        .edges
        .iter()
        .map(|edge| distance(points[edge.tie], points[edge.organisation]))
        .sum::<f64>()
        / graph.edges.len() as f64;
    let mut all = 0.0;
    let mut pairs = 0.0;
    for a in 0..points.len() {
        for b in a + 1..points.len() {
            all += distance(points[a], points[b]);
            pairs += 1.0;
        }
    }
    assert!(tied < all / pairs, "edges {tied} vs any pair {}", all / pairs);
}

#[test]
fn an_update_leaves_every_placed_node_exactly_where_it_was() {
    let mut graph = network();
    let mut layout = Layout::new(3);
    layout.update(&graph);
    let before = positions(&layout, &graph);
    let old_count = graph.nodes.len();
    // A new organisation and a new tie joining it to two far-apart nodes.
    graph.nodes.push(organisation("new"));
    add_tie(&mut graph, "new-tie", &[old_count, 5, 30]);
    assert_eq!(layout.update(&graph), 2);
    let after = positions(&layout, &graph);
    for (index, (was, is)) in before.iter().zip(&after).enumerate() {
        assert!(
            distance(*was, *is) < 1e-9,
            "node {index} moved from {was:?} to {is:?}"
        );
    }
    assert_eq!(layout.update(&graph), 0, "nothing new: nothing placed");
    assert_eq!(positions(&layout, &graph)[..old_count], after[..old_count]);
}

#[test]
fn a_new_tie_lands_near_the_organisations_it_joins() {
    let mut graph = network();
    let mut layout = Layout::new(5);
    layout.update(&graph);
    add_tie(&mut graph, "fresh", &[2, 3]);
    layout.update(&graph);
    let points = positions(&layout, &graph);
    let fresh = *points.last().expect("fresh");
    let centroid = Point {
        x: (points[2].x + points[3].x) / 2.0,
        y: (points[2].y + points[3].y) / 2.0,
    };
    let spread = distance(points[2], points[3]) / 2.0;
    assert!(
        distance(fresh, centroid) <= spread + 2.0 * EDGE_LENGTH,
        "{fresh:?} is {} from its neighbours' centroid {centroid:?}",
        distance(fresh, centroid)
    );
}

#[test]
fn nodes_hidden_by_a_filter_come_back_where_they_were() {
    let graph = network();
    let mut layout = Layout::new(9);
    layout.update(&graph);
    let before = positions(&layout, &graph);
    let mut fewer = graph.clone();
    fewer.nodes.truncate(40);
    fewer.edges.clear();
    layout.update(&fewer);
    layout.update(&graph);
    assert_eq!(positions(&layout, &graph), before);
}

#[test]
fn pinned_nodes_never_move_and_unpinning_keeps_the_place() {
    let mut graph = network();
    let mut layout = Layout::new(11);
    let pinned_at = Point { x: 500.0, y: -400.0 };
    layout.pin("organisations/o4", pinned_at);
    layout.update(&graph);
    assert_eq!(
        layout.position("organisations/o4"),
        Some(pinned_at),
        "the first layout does not move it"
    );
    assert!(layout.is_pinned("organisations/o4"));
    add_tie(&mut graph, "near-pinned", &[4, 6]);
    layout.update(&graph);
    assert_eq!(layout.position("organisations/o4"), Some(pinned_at));
    layout.unpin("organisations/o4");
    assert!(!layout.is_pinned("organisations/o4"));
    assert_eq!(layout.position("organisations/o4"), Some(pinned_at));
}
