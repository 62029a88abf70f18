//! The timeline at 100,000 changes (`enlace-history`): builds a data
//! directory whose workspace has that many real changes (about 500
//! records, several people), each stored with its receipt and timeline
//! entry through the storage writer, then measures
//!
//! - the cost the timeline adds to each commit: computing a change's
//!   entry (the hub's plain-read path and the reads at past heads) at
//!   that history length;
//! - the first page of the timeline (unfiltered, by person, by record)
//!   and one record's whole history, at the storage layer and through
//!   HTTP against a release server.
//!
//! Figures only; nothing here asserts a time.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow};
use automerge::Automerge;
use enlace_server::storage::{AppendRequest, Storage, StorageWriter};
use enlace_shared::DocumentId;
use enlace_shared::api::{HistoryQuery, Receipt, TouchedRecord, paths};
use enlace_shared::history::{self, Effects};
use enlace_shared::model::Authorship;
use enlace_shared::records::{self, Initial};
use enlace_shared::roles::Role;
use enlace_shared::schema::Collection;
use tokio::io::{AsyncBufReadExt as _, BufReader};

use crate::servers::{self, Account};

/// What to build.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub changes: usize,
    pub records: usize,
    pub people: usize,
    /// Timed repetitions of each read.
    pub repetitions: usize,
    /// Characters of pseudo-random filler appended to every new name (0:
    /// none), to make a workspace of a given size without more changes.
    pub padding: usize,
}

impl Shape {
    /// The roundtable the history and offline figures share: 500
    /// organisations edited by 8 people, each read timed once, no filler.
    pub fn roundtable(changes: usize) -> Self {
        Self {
            changes,
            records: 500,
            people: 8,
            repetitions: 1,
            padding: 0,
        }
    }
}

/// `length` characters of deterministic filler for change `index`, from a
/// 64-letter alphabet (little for deflate to squeeze).
fn filler(index: usize, length: usize) -> String {
    const LETTERS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut state = (index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..length)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            char::from(LETTERS[(state % 64) as usize])
        })
        .collect()
}

/// `name`, then `padding` characters of filler (none when 0).
fn padded(name: String, index: usize, padding: usize) -> String {
    if padding == 0 {
        name
    } else {
        format!("{name} {}", filler(index, padding))
    }
}

/// Changes stored per writer request while building.
const BATCH: usize = 1000;

/// Median and slowest of some durations, in microseconds.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Spread {
    pub median_us: u64,
    pub max_us: u64,
}

fn spread(mut samples: Vec<Duration>) -> Spread {
    samples.sort_unstable();
    let micros = |duration: Option<&Duration>| duration.map_or(0, |duration| duration.as_micros() as u64);
    Spread {
        median_us: micros(samples.get(samples.len() / 2)),
        max_us: micros(samples.last()),
    }
}

fn person(index: usize) -> (String, String, Option<String>) {
    (
        format!("person-{index:02}"),
        format!("Persona {index}"),
        Some(format!("org-{:02}", index % 4)),
    )
}

/// A history built by [`build`].
pub struct Built {
    pub document_id: DocumentId,
    /// The document as stored (every change loaded).
    pub document: Automerge,
    /// One record and one person to filter by.
    pub record_id: String,
    pub person_id: String,
    /// When the first and the last change were received (ms since the
    /// epoch, one second apart): the span the browser's moments fall in.
    pub first_ms: i64,
    pub last_ms: i64,
}

impl Built {
    /// Organisations not deleted at the end: what the browser's list shows
    /// once it has synced the whole document.
    pub fn live_organisations(&self) -> usize {
        records::read_all(&self.document, Collection::Organisations)
            .unwrap_or_default()
            .iter()
            .filter(|record| !record.deleted)
            .count()
    }
}

/// Prepares `data_dir` as the server would (a first workspace, no demo
/// data) and reads that workspace's document.
pub fn first_workspace(data_dir: &Path) -> anyhow::Result<(Storage, DocumentId, Automerge)> {
    let storage = enlace_server::prepare_storage(data_dir, false)?;
    let document_id = storage
        .workspaces()?
        .first()
        .and_then(|workspace| workspace.id)
        .ok_or_else(|| anyhow!("no workspace"))?;
    let stored = storage.load_document(&document_id)?;
    let mut document = Automerge::new();
    document.load_incremental(&stored.changes.concat())?;
    Ok((storage, document_id, document))
}

/// The offline figures' workspace (`enlace-offline`, `enlace-load-modes`):
/// [`Shape::roundtable`] of `changes` changes with every new name padded
/// with `padding` characters, built in a fresh temporary directory named
/// `prefix…`, which lives as long as the returned guard.
pub async fn build_padded(
    prefix: &str,
    changes: usize,
    padding: usize,
) -> anyhow::Result<(tempfile::TempDir, Built)> {
    let shape = Shape {
        padding,
        ..Shape::roundtable(changes)
    };
    let data = tempfile::Builder::new().prefix(prefix).tempdir()?;
    let built = build(data.path(), shape).await?;
    Ok((data, built))
}

/// Builds the workspace's history in `data_dir` (see [`Built`]).
pub async fn build(data_dir: &Path, shape: Shape) -> anyhow::Result<Built> {
    let (storage, document_id, mut document) = first_workspace(data_dir)?;
    let (writer, writer_thread) = StorageWriter::start(storage.clone());
    let record_ids: Vec<String> = (0..shape.records)
        .map(|index| format!("rec-{index:04}"))
        .collect();
    let actors: Vec<automerge::ActorId> = (0..shape.people)
        .map(|index| automerge::ActorId::from([u8::try_from(index + 1).unwrap_or(255); 16]))
        .collect();
    let start_ms = crate::unix_ms() - i64::try_from(shape.changes).unwrap_or(0) * 1000;
    let mut heads = document.get_heads();
    let mut pending = AppendRequest::changes_only(document_id, Vec::new());
    let started = Instant::now();
    for index in 0..shape.changes {
        let who = index % shape.people;
        document.set_actor(actors[who].clone());
        let now_ms = start_ms + i64::try_from(index).unwrap_or(0) * 1000;
        let authorship = Authorship {
            now_ms,
            author: "bench",
        };
        let record_id = &record_ids[index % shape.records];
        let created = index < shape.records;
        if created {
            let fields = [
                ("name", Initial::Text(format!("Organización {index}"))),
                ("kind", Initial::Text("cooperation_agency".into())),
                ("country", Initial::Text("MX".into())),
            ];
            records::create_record(
                &mut document,
                Collection::Organisations,
                record_id,
                &fields,
                &authorship,
            )?;
        } else if index % 50 == 0 {
            let deleted = (index / 50) % 2 == 1;
            records::set_deleted(
                &mut document,
                Collection::Organisations,
                record_id,
                deleted,
                &authorship,
            )?;
        } else {
            let (field, value) = match index % 3 {
                0 => (
                    "name",
                    padded(format!("Organización {index}"), index, shape.padding),
                ),
                1 => ("acronym", format!("O{index}")),
                _ => ("country", ["MX", "DE", "ES", "US"][index % 4].to_owned()),
            };
            records::set_text(
                &mut document,
                Collection::Organisations,
                record_id,
                field,
                &value,
                &authorship,
            )?;
        }
        let change = document
            .get_last_local_change()
            .ok_or_else(|| anyhow!("no change made"))?;
        let touched = vec![TouchedRecord {
            collection: Collection::Organisations.key().to_owned(),
            record_id: record_id.clone(),
            created,
        }];
        history::advance_heads(&mut heads, &change);
        let effects = history::effects_at(&document, &change, &touched, &heads);
        let (user_id, user_name, organisation_id) = person(who);
        pending.changes.push(change.raw_bytes().to_vec());
        pending
            .bindings
            .push((actors[who].to_bytes().to_vec(), user_id.clone()));
        pending.receipts.push(Receipt {
            hash: change.hash().to_string(),
            actor: change.actor_id().to_hex_string(),
            seq: change.seq(),
            client_time_ms: change.timestamp(),
            message: change.message().map(str::to_owned),
            user_id,
            user_name,
            organisation_id,
            role: Role::Member,
            received_at_ms: now_ms,
            records: touched,
        });
        pending.effects.push(effects);
        if pending.changes.len() == BATCH || index + 1 == shape.changes {
            let request =
                std::mem::replace(&mut pending, AppendRequest::changes_only(document_id, Vec::new()));
            writer.append_with(request).await?;
        }
        if (index + 1) % 10_000 == 0 {
            eprintln!("built {} changes in {:.0?}", index + 1, started.elapsed());
        }
    }
    drop(writer);
    writer_thread.join().map_err(|_| anyhow!("the writer panicked"))?;
    let next_seq = storage.load_document(&document_id)?.next_seq;
    storage.compact(&document_id, &document.save(), next_seq)?;
    let step = i64::try_from(shape.changes.saturating_sub(1)).unwrap_or(0) * 1000;
    Ok(Built {
        document_id,
        document,
        record_id: record_ids[7].clone(),
        person_id: person(3).0,
        first_ms: start_ms,
        last_ms: start_ms + step,
    })
}

/// The cost of one change's timeline entry at this history length: the
/// hub's plain reads (document before, fork after) and reads at past heads.
pub fn cost_per_change(
    document: &Automerge,
    record_id: &str,
    samples: usize,
) -> anyhow::Result<(Spread, Spread)> {
    let mut plain = Vec::new();
    let mut past = Vec::new();
    let touched = [TouchedRecord {
        collection: Collection::Organisations.key().to_owned(),
        record_id: record_id.to_owned(),
        created: false,
    }];
    for index in 0..samples {
        let mut fork = document.fork();
        let authorship = Authorship {
            now_ms: crate::unix_ms(),
            author: "bench",
        };
        records::set_text(
            &mut fork,
            Collection::Organisations,
            record_id,
            "acronym",
            &format!("S{index}"),
            &authorship,
        )?;
        let change = fork.get_last_local_change().ok_or_else(|| anyhow!("no change"))?;
        let heads = fork.get_heads();
        let started = Instant::now();
        let fast: Effects = history::effects(document, &fork, &change, &touched, &heads);
        plain.push(started.elapsed());
        let started = Instant::now();
        let slow = history::effects_at(&fork, &change, &touched, &heads);
        past.push(started.elapsed());
        if fast != slow {
            return Err(anyhow!("the two ways of reading a change disagree"));
        }
    }
    Ok((spread(plain), spread(past)))
}

/// Times `read` `repetitions` times.
fn timed<T>(repetitions: usize, mut read: impl FnMut() -> anyhow::Result<T>) -> anyhow::Result<Spread> {
    let mut samples = Vec::with_capacity(repetitions);
    for _ in 0..repetitions {
        let started = Instant::now();
        read()?;
        samples.push(started.elapsed());
    }
    Ok(spread(samples))
}

/// The reads measured, as (label, query string, query).
pub fn reads(record_id: &str, person_id: &str) -> Vec<(&'static str, String, HistoryQuery, usize)> {
    vec![
        (
            "first page, unfiltered",
            "limit=50".into(),
            HistoryQuery::default(),
            50,
        ),
        (
            "first page, one person",
            format!("limit=50&person={person_id}"),
            HistoryQuery {
                person: Some(person_id.into()),
                ..HistoryQuery::default()
            },
            50,
        ),
        (
            "first page, one record",
            format!("limit=50&collection=organisations&record={record_id}"),
            HistoryQuery {
                collection: Some("organisations".into()),
                record: Some(record_id.into()),
                ..HistoryQuery::default()
            },
            50,
        ),
        (
            "one record's whole history (500 per page)",
            format!("limit=500&collection=organisations&record={record_id}"),
            HistoryQuery {
                collection: Some("organisations".into()),
                record: Some(record_id.into()),
                ..HistoryQuery::default()
            },
            500,
        ),
    ]
}

/// Each read at the storage layer.
pub fn storage_reads(
    storage: &Storage,
    document_id: DocumentId,
    record_id: &str,
    person_id: &str,
    repetitions: usize,
) -> anyhow::Result<Vec<(&'static str, usize, Spread)>> {
    reads(record_id, person_id)
        .into_iter()
        .map(|(label, _, query, limit)| {
            let found = storage.history_page(&document_id, &query, limit)?.entries.len();
            let spread = timed(repetitions, || {
                Ok(storage.history_page(&document_id, &query, limit)?)
            })?;
            Ok((label, found, spread))
        })
        .collect()
}

/// A release server on a built data directory, with a secretariat account
/// provisioned through the CLI (killed when dropped).
pub struct Served {
    child: tokio::process::Child,
    pub address: String,
    pub token: String,
    pub account: Account,
}

impl Served {
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.child.kill().await?;
        Ok(())
    }
}

/// Provisions the secretariat account in `data_dir` and starts the release
/// server on it.
pub async fn serve(data_dir: &Path) -> anyhow::Result<Served> {
    let account = Account {
        email: "secretaria@bench.invalid".into(),
        role: "secretariat",
        password: format!("bench-{:016x}", crate::random_u64()),
    };
    serve_as(data_dir, account, &[]).await
}

/// Provisions `account` (whose token [`Served`] keeps) and `others` in
/// `data_dir`, then starts the release server on it.
pub async fn serve_as(data_dir: &Path, account: Account, others: &[Account]) -> anyhow::Result<Served> {
    let binary = servers::enlace_binary()?;
    for other in others {
        servers::provision_enlace(&binary, data_dir, other)?;
    }
    let token = servers::provision_enlace(&binary, data_dir, &account)?;
    let mut child = tokio::process::Command::new(binary)
        .args(["serve", "--addr", "127.0.0.1:0", "--data"])
        .arg(data_dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("cannot start enlace")?;
    let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
    let mut lines = BufReader::new(stdout).lines();
    let address = tokio::time::timeout(Duration::from_secs(120), async {
        while let Some(line) = lines.next_line().await? {
            if let Some(rest) = line.strip_prefix("enlace listening on http://") {
                return Ok(rest.trim().to_owned());
            }
        }
        Err(anyhow!("enlace exited before it was ready"))
    })
    .await
    .context("enlace did not start in time")??;
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(Served {
        child,
        address,
        token,
        account,
    })
}

/// Each read through HTTP against the server.
pub async fn http_reads(
    served: &Served,
    document_id: DocumentId,
    record_id: &str,
    person_id: &str,
    repetitions: usize,
) -> anyhow::Result<Vec<(&'static str, Spread)>> {
    let mut results = Vec::new();
    for (label, query, _, _) in reads(record_id, person_id) {
        let path = format!("{}?{query}", paths::history(&document_id.to_string()));
        let mut samples = Vec::with_capacity(repetitions);
        for _ in 0..repetitions {
            let started = Instant::now();
            let (status, _) = servers::http_get(&served.address, &path, Some(&served.token)).await?;
            samples.push(started.elapsed());
            if status != 200 {
                return Err(anyhow!("GET {path} answered {status}"));
            }
        }
        results.push((label, spread(samples)));
    }
    Ok(results)
}
