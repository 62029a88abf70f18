//! The map's graph (`enlace_shared::graph`) read from a small roundtable
//! written through `records`: organisations and tie nodes, edges and
//! degrees, deleted records, each filter, and search's neighbourhood.

use automerge::{ActorId, Automerge};
use enlace_shared::graph::{Graph, MapFilter, NodeKind, node_key};
use enlace_shared::model::{self, Authorship};
use enlace_shared::records::{self, Initial};
use enlace_shared::schema::Collection;

fn by() -> Authorship<'static> {
    Authorship {
        now_ms: 1_700_000_000_000,
        author: "Secretaría",
    }
}

fn text(value: &str) -> Initial {
    Initial::Text(value.to_owned())
}

fn list(values: &[&str]) -> Initial {
    Initial::List(values.iter().map(|value| (*value).to_owned()).collect())
}

fn add(document: &mut Automerge, collection: Collection, id: &str, fields: &[(&str, Initial)]) {
    records::create_record(document, collection, id, fields, &by()).expect("create");
}

fn organisation(document: &mut Automerge, id: &str, kind: &str, membership: &str) {
    add(
        document,
        Collection::Organisations,
        id,
        &[
            ("name", text(&format!("Organización {id}"))),
            ("kind", text(kind)),
            ("membership", text(membership)),
        ],
    );
}

/// Members `m1`, `m2`, `m3` (m3 an ally), chamber `c1`, ministry `g1`,
/// deleted member `gone`; lines `l1`, `l2` and deleted `l3`; alliance `a1`
/// (c1 with m1, m2, on l1, signed, from 2020-03-01), alliance `a2` (c1 with
/// m3, on l3 then l2, identified, from 2022-01-01), deleted alliance `a3`,
/// collaboration `k1` (g1 with m2 and the deleted member, on l2, in
/// progress, 2019-01-01 to 2019-12-31).
fn roundtable() -> Automerge {
    let mut document = Automerge::new().with_actor(ActorId::from(vec![1u8; 16]));
    model::create_workspace(&mut document, "MCIG", 1).expect("workspace");
    let d = &mut document;
    organisation(d, "m1", "embassy", "member");
    organisation(d, "m2", "cooperation_agency", "member");
    organisation(d, "m3", "embassy", "ally");
    organisation(d, "c1", "private_sector_chamber", "");
    organisation(d, "g1", "government_institution", "none");
    organisation(d, "gone", "embassy", "member");
    records::set_deleted(d, Collection::Organisations, "gone", true, &by()).expect("delete");
    for line in ["l1", "l2", "l3"] {
        add(
            d,
            Collection::WorkplanLines,
            line,
            &[
                ("title", text(&format!("Línea {line}"))),
                ("period", text("2020-2021")),
            ],
        );
    }
    records::set_deleted(d, Collection::WorkplanLines, "l3", true, &by()).expect("delete");
    add(
        d,
        Collection::Alliances,
        "a1",
        &[
            ("title", text("Alianza exportadora")),
            ("partner", text("c1")),
            ("members", list(&["m1", "m2"])),
            ("workplan_lines", list(&["l1"])),
            ("status", text("signed")),
            ("start", text("2020-03-01")),
        ],
    );
    add(
        d,
        Collection::Alliances,
        "a2",
        &[
            ("title", text("Alianza verde")),
            ("partner", text("c1")),
            ("members", list(&["m3"])),
            ("workplan_lines", list(&["l3", "l2"])),
            ("status", text("identified")),
            ("start", text("2022-01-01")),
        ],
    );
    add(
        d,
        Collection::Alliances,
        "a3",
        &[
            ("title", text("Borrada")),
            ("partner", text("c1")),
            ("status", text("active")),
        ],
    );
    records::set_deleted(d, Collection::Alliances, "a3", true, &by()).expect("delete");
    add(
        d,
        Collection::Collaborations,
        "k1",
        &[
            ("institution", text("g1")),
            ("programme", text("Programa de empleo")),
            ("members", list(&["m2", "gone"])),
            ("workplan_lines", list(&["l2"])),
            ("status", text("in_progress")),
            ("start", text("2019-01-01")),
            ("end", text("2019-12-31")),
        ],
    );
    document
}

fn graph(filter: &MapFilter) -> Graph {
    Graph::read(&roundtable(), filter).expect("graph")
}

fn keys(graph: &Graph) -> Vec<&str> {
    let mut keys: Vec<&str> = graph.nodes.iter().map(|node| node.key.as_str()).collect();
    keys.sort_unstable();
    keys
}

/// Each edge as `(tie key, organisation key)`, sorted.
fn edges(graph: &Graph) -> Vec<(&str, &str)> {
    let mut edges: Vec<(&str, &str)> = graph
        .edges
        .iter()
        .map(|edge| {
            (
                graph.nodes[edge.tie].key.as_str(),
                graph.nodes[edge.organisation].key.as_str(),
            )
        })
        .collect();
    edges.sort_unstable();
    edges
}

fn degree(graph: &Graph, key: &str) -> usize {
    let index = graph.index_of(key).expect("node");
    match graph.nodes[index].kind {
        NodeKind::Organisation { degree, .. } => degree,
        NodeKind::Tie { .. } => panic!("{key} is a tie"),
    }
}

#[test]
fn the_graph_has_live_organisations_and_one_node_per_tie_joined_to_its_organisations() {
    let graph = graph(&MapFilter::default());
    assert_eq!(
        keys(&graph),
        [
            "alliances/a1",
            "alliances/a2",
            "collaborations/k1",
            "organisations/c1",
            "organisations/g1",
            "organisations/m1",
            "organisations/m2",
            "organisations/m3",
        ]
    );
    assert_eq!(
        edges(&graph),
        [
            ("alliances/a1", "organisations/c1"),
            ("alliances/a1", "organisations/m1"),
            ("alliances/a1", "organisations/m2"),
            ("alliances/a2", "organisations/c1"),
            ("alliances/a2", "organisations/m3"),
            ("collaborations/k1", "organisations/g1"),
            ("collaborations/k1", "organisations/m2"),
        ],
        "no edge to the deleted member, none between organisations"
    );
    assert_eq!(degree(&graph, "organisations/c1"), 2);
    assert_eq!(degree(&graph, "organisations/m2"), 2);
    assert_eq!(degree(&graph, "organisations/m3"), 1);
    let m1 = &graph.nodes[graph.index_of("organisations/m1").expect("m1")];
    assert!(matches!(&m1.kind, NodeKind::Organisation { member: true, kind, .. } if kind == "embassy"));
    let m3 = &graph.nodes[graph.index_of("organisations/m3").expect("m3")];
    assert!(
        matches!(m3.kind, NodeKind::Organisation { member: false, .. }),
        "an ally is not a member"
    );
    let a2 = &graph.nodes[graph.index_of("alliances/a2").expect("a2")];
    assert_eq!(a2.line(), Some("l2"), "the deleted line is not its colour");
    assert!(a2.is_tie());
    assert_eq!(a2.title, "Alianza verde");
    let k1 = &graph.nodes[graph.index_of("collaborations/k1").expect("k1")];
    assert_eq!(k1.title, "Programa de empleo");
    assert_eq!(node_key(Collection::Collaborations, "k1"), "collaborations/k1");
}

#[test]
fn the_line_filter_keeps_the_ties_on_that_line_and_every_organisation() {
    let on_l2 = graph(&MapFilter {
        line: "l2".into(),
        ..MapFilter::default()
    });
    let ties: Vec<&str> = keys(&on_l2)
        .into_iter()
        .filter(|key| !key.starts_with("organisations/"))
        .collect();
    assert_eq!(ties, ["alliances/a2", "collaborations/k1"]);
    assert_eq!(
        degree(&on_l2, "organisations/m1"),
        0,
        "degrees count the ties shown"
    );
    let on_deleted = graph(&MapFilter {
        line: "l3".into(),
        ..MapFilter::default()
    });
    assert!(
        on_deleted.nodes.iter().all(|node| !node.is_tie()),
        "a deleted line names no tie"
    );
}

#[test]
fn the_status_filter_keeps_ties_of_that_status() {
    let signed = graph(&MapFilter {
        status: "signed".into(),
        ..MapFilter::default()
    });
    let ties: Vec<&str> = keys(&signed)
        .into_iter()
        .filter(|key| !key.starts_with("organisations/"))
        .collect();
    assert_eq!(ties, ["alliances/a1"]);
    let in_progress = graph(&MapFilter {
        status: "in_progress".into(),
        ..MapFilter::default()
    });
    let ties: Vec<&str> = keys(&in_progress)
        .into_iter()
        .filter(|key| !key.starts_with("organisations/"))
        .collect();
    assert_eq!(ties, ["collaborations/k1"]);
}

#[test]
fn the_kind_filter_keeps_those_organisations_and_the_ties_that_involve_one() {
    let embassies = graph(&MapFilter {
        kind: "embassy".into(),
        ..MapFilter::default()
    });
    assert_eq!(
        keys(&embassies),
        [
            "alliances/a1",
            "alliances/a2",
            "organisations/m1",
            "organisations/m3"
        ],
        "the collaboration involves no embassy"
    );
    assert_eq!(
        edges(&embassies),
        [
            ("alliances/a1", "organisations/m1"),
            ("alliances/a2", "organisations/m3")
        ]
    );
}

#[test]
fn the_membership_filter_matches_the_slug_and_none_matches_unset() {
    let members = graph(&MapFilter {
        membership: "member".into(),
        ..MapFilter::default()
    });
    let organisations: Vec<&str> = keys(&members)
        .into_iter()
        .filter(|key| key.starts_with("organisations/"))
        .collect();
    assert_eq!(organisations, ["organisations/m1", "organisations/m2"]);
    let none = graph(&MapFilter {
        membership: "none".into(),
        ..MapFilter::default()
    });
    let organisations: Vec<&str> = keys(&none)
        .into_iter()
        .filter(|key| key.starts_with("organisations/"))
        .collect();
    assert_eq!(organisations, ["organisations/c1", "organisations/g1"]);
}

#[test]
fn the_period_keeps_ties_started_by_its_end_and_not_ended_before_its_start() {
    let ties_in = |from: &str, to: &str| -> Vec<String> {
        let graph = graph(&MapFilter {
            from: from.into(),
            to: to.into(),
            ..MapFilter::default()
        });
        graph
            .nodes
            .iter()
            .filter(|node| node.is_tie())
            .map(|node| node.key.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ties_in("2020-01-01", "2021-12-31"),
        ["alliances/a1"],
        "k1 ended in 2019, a2 starts in 2022"
    );
    assert_eq!(
        ties_in("2019-12-31", "2020-03-01"),
        ["alliances/a1", "collaborations/k1"],
        "bounds are inclusive"
    );
    assert_eq!(
        ties_in("2023-01-01", ""),
        ["alliances/a1", "alliances/a2"],
        "an alliance has no end"
    );
    assert_eq!(ties_in("", "2019-06-30"), ["collaborations/k1"]);
}

#[test]
fn search_focuses_a_node_and_everything_within_two_steps() {
    let full = graph(&MapFilter::default());
    assert_eq!(
        full.search("ORGANIZACION M3"),
        Some("organisations/m3".to_owned()),
        "case-blind"
    );
    assert_eq!(full.search("verde"), Some("alliances/a2".to_owned()));
    assert_eq!(full.search("   "), None);
    assert_eq!(full.search("nadie"), None);
    let focused = graph(&MapFilter {
        focus: "organisations/m3".into(),
        ..MapFilter::default()
    });
    // m3 → a2 → c1: two steps; a1 (three steps away) and beyond are left out.
    assert_eq!(
        keys(&focused),
        ["alliances/a2", "organisations/c1", "organisations/m3"]
    );
    assert_eq!(
        degree(&focused, "organisations/c1"),
        1,
        "degrees count what is left"
    );
    let on_tie = graph(&MapFilter {
        focus: "alliances/a1".into(),
        ..MapFilter::default()
    });
    assert_eq!(
        keys(&on_tie),
        [
            "alliances/a1",
            "alliances/a2",
            "collaborations/k1",
            "organisations/c1",
            "organisations/m1",
            "organisations/m2",
        ]
    );
    let unknown = graph(&MapFilter {
        focus: "organisations/nobody".into(),
        ..MapFilter::default()
    });
    assert_eq!(
        unknown.nodes.len(),
        full.nodes.len(),
        "an unknown focus hides nothing"
    );
}
