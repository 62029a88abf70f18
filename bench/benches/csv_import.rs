//! Criterion benchmark of a CSV import of 2,000 organisations
//! (`csv_io`): the file parsed and planned against an empty workspace
//! (`plan/2000_organisations`), planned and written as one change
//! (`plan_and_apply/2000_organisations`), the same records written one
//! change each as the editor does (`create_record_each/2000_organisations`,
//! for comparison), and the export of the result
//! (`export/2000_organisations`).
//!
//! `cargo bench -p enlace-bench --bench csv_import` (add `-- --quick` for a
//! short run). Native figures; the browser (wasm) runs the same code about
//! 2–3× slower.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use automerge::{ActorId, Automerge};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use enlace_shared::Language;
use enlace_shared::csv_io;
use enlace_shared::model::{self, Authorship};
use enlace_shared::records::{self, FieldValue, Initial};
use enlace_shared::schema::Collection;

const ROWS: usize = 2000;

/// 2,000 organisations in the export's format (Spanish headers), ids empty.
fn organisations_csv() -> String {
    let mut csv = String::from("\u{feff}");
    csv.push_str(&csv_io::headers(Collection::Organisations, Language::Spanish, false).join(","));
    csv.push('\n');
    let kinds = [
        "Empresa",
        "Academia",
        "Embajada o delegación",
        "Entidad de la ONU",
    ];
    for number in 1..=ROWS {
        csv.push_str(&format!(
            ",Organización número {number:05},ON{number},{},México,Oaxaca,https://example.org/{number},\"Una descripción,\ncon dos líneas\",Miembro,2020-07-01,,género; paz\n",
            kinds[number % kinds.len()]
        ));
    }
    csv
}

fn workspace() -> Automerge {
    let mut document = Automerge::new().with_actor(ActorId::from(vec![1u8; 16]));
    model::create_workspace(&mut document, "MCIG", 1).expect("workspace");
    document
}

fn plan(document: &Automerge, csv: &str) -> csv_io::ImportPlan {
    let table = csv_io::parse(csv).expect("parse");
    let mapping = csv_io::suggest_mapping(&table.headers, Collection::Organisations);
    csv_io::plan_import(document, &table, &mapping, Collection::Organisations)
}

fn import(document: &mut Automerge, csv: &str) -> csv_io::ImportSummary {
    let plan = plan(document, csv);
    let mut next = 0u32;
    let mut new_id = move || {
        next += 1;
        format!("id{next:06}")
    };
    let by = Authorship {
        now_ms: 1_700_000_000_000,
        author: "bench",
    };
    csv_io::apply_import(document, &plan, &BTreeMap::new(), &by, &mut new_id).expect("import")
}

fn bench(criterion: &mut Criterion) {
    let csv = organisations_csv();
    let mut group = criterion.benchmark_group("csv_import");
    group.sample_size(10).measurement_time(Duration::from_secs(10));
    group.bench_function("plan/2000_organisations", |bencher| {
        let document = workspace();
        bencher.iter(|| black_box(plan(&document, &csv)));
    });
    group.bench_function("plan_and_apply/2000_organisations", |bencher| {
        bencher.iter_batched(
            workspace,
            |mut document| {
                let summary = import(&mut document, &csv);
                assert_eq!(summary.created, ROWS);
                document
            },
            BatchSize::LargeInput,
        );
    });
    // For comparison: the same records written one change each, as the
    // editor writes them (`records::create_record`).
    group.bench_function("create_record_each/2000_organisations", |bencher| {
        let document = workspace();
        let planned = plan(&document, &csv);
        let by = Authorship {
            now_ms: 1_700_000_000_000,
            author: "bench",
        };
        bencher.iter_batched(
            workspace,
            |mut document| {
                for (number, row) in planned.rows.iter().enumerate() {
                    let initial: Vec<(&str, Initial)> = row
                        .values
                        .iter()
                        .map(|(key, value)| {
                            let value = match value {
                                FieldValue::Text(text) => Initial::Text(text.clone()),
                                FieldValue::List(items) => Initial::List(items.clone()),
                                FieldValue::Flag(flag) => Initial::Flag(*flag),
                                FieldValue::Items(_) => Initial::List(Vec::new()),
                            };
                            (*key, value)
                        })
                        .collect();
                    records::create_record(
                        &mut document,
                        Collection::Organisations,
                        &format!("id{number:06}"),
                        &initial,
                        &by,
                    )
                    .expect("create");
                }
                document
            },
            BatchSize::LargeInput,
        );
    });
    group.bench_function("export/2000_organisations", |bencher| {
        let mut document = workspace();
        import(&mut document, &csv);
        bencher.iter(|| {
            let all = records::read_all(&document, Collection::Organisations).expect("read");
            black_box(csv_io::export(
                &all,
                Collection::Organisations,
                &all,
                Language::Spanish,
                false,
            ))
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
