//! Criterion benchmark of the network map's pure work on a large roundtable:
//! 500 organisations and 300 ties (200 alliances, 100 collaborations, each
//! with two to four members, on 8 work-plan lines; deterministic).
//!
//! - `map/build_graph`: the graph from the document's records
//!   (`Graph::build`, records already read, as the client's snapshot has them);
//! - `map/first_layout`: the first layout of that graph (every node placed);
//! - `map/update_one_tie`: the graph rebuilt after one new alliance and
//!   `Layout::update` placing it (what a remote change costs the map).
//!
//! `cargo bench -p enlace-bench --bench map` (add `-- --quick` for a short
//! run). Native figures; wasm in the browser runs the same code slower.

use std::hint::black_box;

use automerge::{ActorId, Automerge};
use criterion::{Criterion, criterion_group, criterion_main};
use enlace_shared::followup::AllRecords;
use enlace_shared::graph::{Graph, MapFilter};
use enlace_shared::layout::Layout;
use enlace_shared::model::{self, Authorship};
use enlace_shared::records::{self, Initial};
use enlace_shared::schema::Collection;

const ORGANISATIONS: usize = 500;
const ALLIANCES: usize = 200;
const COLLABORATIONS: usize = 100;
const LINES: usize = 8;
const KINDS: [&str; 5] = [
    "embassy",
    "cooperation_agency",
    "private_sector_chamber",
    "company",
    "government_institution",
];

fn by() -> Authorship<'static> {
    Authorship {
        now_ms: 1_700_000_000_000,
        author: "bench",
    }
}

fn text(value: &str) -> Initial {
    Initial::Text(value.to_owned())
}

/// A small deterministic generator (xorshift64*).
struct Random(u64);

impl Random {
    fn below(&mut self, limit: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % limit as u64) as usize
    }
}

fn tie(document: &mut Automerge, random: &mut Random, collection: Collection, id: &str) {
    let main = format!("o{}", random.below(ORGANISATIONS));
    let members: Vec<String> = (0..2 + random.below(3))
        .map(|_| format!("o{}", random.below(ORGANISATIONS)))
        .collect();
    let line = format!("l{}", random.below(LINES));
    let (main_field, title_field, status) = match collection {
        Collection::Alliances => ("partner", "title", "signed"),
        _ => ("institution", "programme", "in_progress"),
    };
    records::create_record(
        document,
        collection,
        id,
        &[
            (title_field, text(id)),
            (main_field, text(&main)),
            ("members", Initial::List(members)),
            ("workplan_lines", Initial::List(vec![line])),
            ("status", text(status)),
        ],
        &by(),
    )
    .expect("tie");
}

fn roundtable() -> Automerge {
    let mut document = Automerge::new().with_actor(ActorId::from(vec![3u8; 16]));
    model::create_workspace(&mut document, "bench", 1).expect("workspace");
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    for index in 0..ORGANISATIONS {
        records::create_record(
            &mut document,
            Collection::Organisations,
            &format!("o{index}"),
            &[
                ("name", text(&format!("Organisation {index}"))),
                ("kind", text(KINDS[index % KINDS.len()])),
                ("membership", text(if index % 4 == 0 { "member" } else { "none" })),
            ],
            &by(),
        )
        .expect("organisation");
    }
    for index in 0..LINES {
        records::create_record(
            &mut document,
            Collection::WorkplanLines,
            &format!("l{index}"),
            &[
                ("title", text(&format!("Line {index}"))),
                ("period", text("2020–2021")),
            ],
            &by(),
        )
        .expect("line");
    }
    for index in 0..ALLIANCES {
        tie(
            &mut document,
            &mut random,
            Collection::Alliances,
            &format!("a{index}"),
        );
    }
    for index in 0..COLLABORATIONS {
        tie(
            &mut document,
            &mut random,
            Collection::Collaborations,
            &format!("k{index}"),
        );
    }
    document
}

fn bench_map(criterion: &mut Criterion) {
    let mut document = roundtable();
    let records = AllRecords::read(&document).expect("records");
    let filter = MapFilter::default();
    let graph = Graph::build(&records, &filter);
    assert_eq!(graph.nodes.len(), ORGANISATIONS + ALLIANCES + COLLABORATIONS);
    let mut group = criterion.benchmark_group("map");
    group.sample_size(10);
    group.bench_function("build_graph", |bench| {
        bench.iter(|| black_box(Graph::build(&records, &filter)));
    });
    group.bench_function("first_layout", |bench| {
        bench.iter(|| {
            let mut layout = Layout::new(13);
            black_box(layout.update(&graph))
        });
    });
    let mut laid_out = Layout::new(13);
    laid_out.update(&graph);
    tie(&mut document, &mut Random(7), Collection::Alliances, "new");
    let records = AllRecords::read(&document).expect("records");
    group.bench_function("update_one_tie", |bench| {
        bench.iter(|| {
            let mut layout = laid_out.clone();
            let graph = Graph::build(&records, &filter);
            black_box(layout.update(&graph))
        });
    });
    group.finish();
}

criterion_group!(benches, bench_map);
criterion_main!(benches);
