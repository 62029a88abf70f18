//! Criterion benchmark of the network map's pure work on a large roundtable:
//! the roundtable of [`enlace_bench::map_fixture`] (500 organisations, 300
//! ties on 8 work-plan lines; deterministic).
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
use enlace_bench::map_fixture::{self, ALLIANCES, COLLABORATIONS, ORGANISATIONS, Random};
use enlace_shared::followup::AllRecords;
use enlace_shared::graph::{Graph, MapFilter};
use enlace_shared::layout::Layout;
use enlace_shared::model::{self, Authorship};
use enlace_shared::schema::Collection;

fn by() -> Authorship<'static> {
    Authorship {
        now_ms: 1_700_000_000_000,
        author: "bench",
    }
}

fn roundtable() -> Automerge {
    let mut document = Automerge::new().with_actor(ActorId::from(vec![3u8; 16]));
    model::create_workspace(&mut document, "bench", 1).expect("workspace");
    map_fixture::fill(&mut document, &by()).expect("roundtable");
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
    map_fixture::tie(&mut document, &mut Random(7), Collection::Alliances, "new", &by()).expect("tie");
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
