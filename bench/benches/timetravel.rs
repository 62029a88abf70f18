//! Criterion benchmark of time travel on a large workspace: ~500 records
//! and 100,000 changes (random edits of every kind by eight people, a few
//! of them concurrent; deterministic seed).
//!
//! - `read_workspace/now` vs `read_workspace/at_*`: every record of every
//!   collection read now, and as of past heads through `model::At`
//!   (automerge's `_at` reads, no copy): what "view as of" costs;
//! - `read_workspace/hydrate_*`: automerge's own one-pass read of the whole
//!   document (`Automerge::hydrate`), for reference;
//! - `fork_at/middle`: the copy `At` avoids, for comparison;
//! - `compare/*`: two moments compared (`timetravel::compare`), and the
//!   same over snapshots already read (`compare_records`);
//! - `revert_plan/1000_entries`: the secretariat's revert preview of one
//!   person's last 1,000 changes.
//!
//! `cargo bench -p enlace-bench --bench timetravel` (add `-- --quick` for a
//! short run). Native figures; the browser (wasm) runs the same code about
//! 2–3× slower.

use std::hint::black_box;
use std::time::Duration;

use automerge::{ActorId, Automerge, ChangeHash};
use criterion::{Criterion, criterion_group, criterion_main};
use enlace_shared::api::{EntryKind, FieldChange, HistoryEntry, Receipt, RecordChange};
use enlace_shared::model::{self, At, Authorship};
use enlace_shared::records::{self, Initial, ItemAt};
use enlace_shared::roles::Role;
use enlace_shared::schema::Collection;
use enlace_shared::timetravel;

const CHANGES: usize = 100_000;
const PEOPLE: usize = 8;

/// A small deterministic generator (xorshift64*), so every run builds the
/// same workspace without a dependency.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }
}

const WORDS: &[&str] = &[
    "cooperación",
    "género",
    "igualdad",
    "mujeres",
    "empleo",
    "México",
    "alianza",
    "taller",
    "diálogo",
    "política",
    "pública",
    "niñas",
    "derechos",
    "acción",
    "clima",
];

fn sentence(random: &mut Random, words: usize) -> String {
    (0..words)
        .map(|_| WORDS[random.below(WORDS.len())])
        .collect::<Vec<_>>()
        .join(" ")
}

struct Fixture {
    document: Automerge,
    /// Heads after 25 %, 50 % and 90 % of the changes.
    quarter: Vec<ChangeHash>,
    middle: Vec<ChangeHash>,
    late: Vec<ChangeHash>,
    /// Person 0's last 1,000 changes as timeline entries.
    entries: Vec<HistoryEntry>,
}

#[allow(clippy::expect_used)]
fn build() -> Fixture {
    let mut random = Random(0x5eed_1234_abcd_0001);
    let mut document = Automerge::new().with_actor(ActorId::from([0xee; 16]));
    model::create_workspace(&mut document, "bench", 0).expect("workspace");
    let people: Vec<ActorId> = (0..PEOPLE)
        .map(|index| ActorId::from([index as u8 + 1; 16]))
        .collect();
    let authorship = |now_ms| Authorship {
        now_ms,
        author: "bench",
    };
    // ~500 records.
    let mut all: Vec<(Collection, String)> = Vec::new();
    for index in 0..200 {
        let id = format!("org-{index:03}");
        records::create_record(
            &mut document,
            Collection::Organisations,
            &id,
            &[
                ("name", Initial::Text(format!("Organización {index}"))),
                ("kind", Initial::Text("embassy".into())),
                ("description", Initial::Text(sentence(&mut random, 30))),
                ("tags", Initial::List(vec!["género".into()])),
            ],
            &authorship(0),
        )
        .expect("organisation");
        all.push((Collection::Organisations, id));
    }
    for index in 0..150 {
        let id = format!("contact-{index:03}");
        records::create_record(
            &mut document,
            Collection::Contacts,
            &id,
            &[
                ("name", Initial::Text(format!("Persona {index}"))),
                ("organisation", Initial::Text(format!("org-{:03}", index % 200))),
            ],
            &authorship(0),
        )
        .expect("contact");
        all.push((Collection::Contacts, id));
    }
    for index in 0..150 {
        let id = format!("alliance-{index:03}");
        records::create_record(
            &mut document,
            Collection::Alliances,
            &id,
            &[
                ("title", Initial::Text(format!("Alianza {index}"))),
                ("partner", Initial::Text(format!("org-{:03}", index % 200))),
                ("status", Initial::Text("identified".into())),
                ("notes", Initial::Text(sentence(&mut random, 30))),
            ],
            &authorship(0),
        )
        .expect("alliance");
        records::add_item(
            &mut document,
            ItemAt {
                collection: Collection::Alliances,
                record_id: &id,
                field: "commitments",
                item_id: &format!("k-{index}"),
            },
            None,
            &[
                ("text", Initial::Text("Taller".into())),
                ("due", Initial::Text("2021-03-01".into())),
            ],
            &authorship(0),
        )
        .expect("commitment");
        all.push((Collection::Alliances, id));
    }

    let mut quarter = Vec::new();
    let mut middle = Vec::new();
    let mut late = Vec::new();
    let mut entries = Vec::new();
    let mut count = document.get_changes(&[]).len();
    while count < CHANGES {
        let person = random.below(PEOPLE);
        let (collection, id) = all[random.below(all.len())].clone();
        let now_ms = count as i64 * 1000;
        // Now and then two people edit at once: a fork merged back.
        let concurrent = random.below(100) == 0;
        let mut other = concurrent.then(|| {
            let mut fork = document.fork().with_actor(people[(person + 1) % PEOPLE].clone());
            records::set_text(
                &mut fork,
                collection,
                &id,
                collection.title_field(),
                "Concurrente",
                &authorship(now_ms),
            )
            .ok();
            fork
        });
        document.set_actor(people[person].clone());
        let heads_before = document.get_heads();
        let roll = random.below(100);
        let (kind, field): (EntryKind, &str) = match (collection, roll) {
            (_, 0..=1) => {
                let deleted =
                    records::read_one(&document, collection, &id).is_some_and(|record| record.deleted);
                records::set_deleted(&mut document, collection, &id, !deleted, &authorship(now_ms))
                    .expect("delete");
                (
                    if deleted {
                        EntryKind::Restored
                    } else {
                        EntryKind::Deleted
                    },
                    "",
                )
            }
            (Collection::Organisations, 2..=20) | (Collection::Alliances, 2..=20) => {
                let key = if collection == Collection::Organisations {
                    "description"
                } else {
                    "notes"
                };
                let record = records::read_one(&document, collection, &id).expect("record");
                let mut text = record.text(key).to_owned();
                if text.len() > 600 {
                    text = sentence(&mut random, 30);
                } else {
                    text.push(' ');
                    text.push_str(&sentence(&mut random, 3));
                }
                records::set_text(&mut document, collection, &id, key, &text, &authorship(now_ms))
                    .expect("text");
                (EntryKind::Edited, key)
            }
            (Collection::Organisations, 21..=30) => {
                let tag = WORDS[random.below(WORDS.len())];
                if random.below(2) == 0 {
                    records::add_to_list(&mut document, collection, &id, "tags", tag, &authorship(now_ms))
                        .expect("tag");
                } else {
                    records::remove_from_list(
                        &mut document,
                        collection,
                        &id,
                        "tags",
                        tag,
                        &authorship(now_ms),
                    )
                    .expect("untag");
                }
                (EntryKind::Edited, "tags")
            }
            (Collection::Alliances, 21..=30) => {
                let done = random.below(2) == 0;
                let index: usize = id
                    .trim_start_matches("alliance-")
                    .parse()
                    .expect("alliance index");
                let commitment = format!("k-{index}");
                let at = ItemAt {
                    collection,
                    record_id: &id,
                    field: "commitments",
                    item_id: &commitment,
                };
                records::set_item_flag(&mut document, at, "done", done, &authorship(now_ms))
                    .expect("commitment");
                (EntryKind::Edited, "commitments")
            }
            (Collection::Alliances, _) => {
                let status = ["identified", "in_dialogue", "signed", "active"][random.below(4)];
                records::set_text(
                    &mut document,
                    collection,
                    &id,
                    "status",
                    status,
                    &authorship(now_ms),
                )
                .expect("status");
                (EntryKind::Edited, "status")
            }
            (Collection::Contacts, _) => {
                let key = ["title", "email", "phone"][random.below(3)];
                let value = format!("{key} {count}");
                records::set_text(&mut document, collection, &id, key, &value, &authorship(now_ms))
                    .expect("line");
                (EntryKind::Edited, key)
            }
            _ => {
                let key = ["city", "country", "website"][random.below(3)];
                let value = format!("{key} {count}");
                records::set_text(&mut document, collection, &id, key, &value, &authorship(now_ms))
                    .expect("line");
                (EntryKind::Edited, key)
            }
        };
        // A local change depends on every head: the heads are now just it.
        let hash = document.get_heads()[0];
        let changed = document.get_heads() != heads_before;
        if changed && person == 0 {
            entries.push(HistoryEntry {
                seq: count as u64,
                receipt: Receipt {
                    hash: hash.to_string(),
                    actor: String::new(),
                    seq: 0,
                    client_time_ms: now_ms,
                    message: None,
                    user_id: "person-0".into(),
                    user_name: "Person 0".into(),
                    organisation_id: None,
                    role: Role::Member,
                    received_at_ms: now_ms,
                    records: Vec::new(),
                },
                user_email: None,
                records: vec![RecordChange {
                    collection: collection.key().into(),
                    record_id: id.clone(),
                    title: String::new(),
                    kind,
                    fields: if field.is_empty() {
                        Vec::new()
                    } else {
                        vec![FieldChange {
                            field: field.into(),
                            before: None,
                            after: None,
                        }]
                    },
                }],
                heads_after: Vec::new(),
            });
        }
        count += usize::from(changed);
        if let Some(other) = other.as_mut() {
            document.merge(other).expect("merge");
            count += 1;
        }
        if quarter.is_empty() && count >= CHANGES / 4 {
            quarter = document.get_heads();
        }
        if middle.is_empty() && count >= CHANGES / 2 {
            middle = document.get_heads();
        }
        if late.is_empty() && count >= CHANGES * 9 / 10 {
            late = document.get_heads();
        }
    }
    let keep = entries.len().saturating_sub(1000);
    entries.drain(..keep);
    Fixture {
        document,
        quarter,
        middle,
        late,
        entries,
    }
}

fn time_travel(criterion: &mut Criterion) {
    let fixture = build();
    let document = &fixture.document;
    let records_now = timetravel::read_workspace(document).len();
    eprintln!(
        "workspace: {} changes, {} records, {} entries for the revert",
        document.get_changes(&[]).len(),
        records_now,
        fixture.entries.len()
    );
    let at = |heads| At { document, heads };

    let mut group = criterion.benchmark_group("read_workspace");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("now", |bench| {
        bench.iter(|| black_box(timetravel::read_workspace(document)));
    });
    group.bench_function("at_quarter", |bench| {
        bench.iter(|| black_box(timetravel::read_workspace(&at(&fixture.quarter))));
    });
    group.bench_function("at_middle", |bench| {
        bench.iter(|| black_box(timetravel::read_workspace(&at(&fixture.middle))));
    });
    group.bench_function("at_late", |bench| {
        bench.iter(|| black_box(timetravel::read_workspace(&at(&fixture.late))));
    });
    group.bench_function("hydrate_now", |bench| {
        bench.iter(|| black_box(document.hydrate(None)));
    });
    group.bench_function("hydrate_middle", |bench| {
        bench.iter(|| black_box(document.hydrate(Some(&fixture.middle))));
    });
    group.finish();

    let mut group = criterion.benchmark_group("fork_at");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("middle", |bench| {
        #[allow(clippy::expect_used)]
        bench.iter(|| black_box(document.fork_at(&fixture.middle).expect("fork")));
    });
    group.finish();

    let mut group = criterion.benchmark_group("compare");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("middle_vs_now", |bench| {
        bench.iter(|| black_box(timetravel::compare(&at(&fixture.middle), document)));
    });
    group.bench_function("quarter_vs_late", |bench| {
        bench.iter(|| black_box(timetravel::compare(&at(&fixture.quarter), &at(&fixture.late))));
    });
    let before = timetravel::read_workspace(&at(&fixture.quarter));
    let after = timetravel::read_workspace(document);
    eprintln!(
        "quarter vs now: {} records differ",
        timetravel::compare_records(&before, &after).len()
    );
    group.bench_function("records_quarter_vs_now", |bench| {
        bench.iter(|| black_box(timetravel::compare_records(&before, &after)));
    });
    group.finish();

    let mut group = criterion.benchmark_group("revert_plan");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    eprintln!(
        "revert plan: {} steps",
        timetravel::revert_plan(document, &fixture.entries).len()
    );
    group.bench_function("1000_entries", |bench| {
        bench.iter(|| black_box(timetravel::revert_plan(document, &fixture.entries)));
    });
    group.finish();
}

criterion_group!(benches, time_travel);
criterion_main!(benches);
