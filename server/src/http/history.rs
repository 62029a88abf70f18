//! The workspace's timeline: entries (who, when, which records and fields,
//! before → after), the same as CSV, the refused attempts (secretariat),
//! and the document's heads at a moment.
//!
//! Everyone with a role in the workspace reads the timeline; the authors'
//! email addresses (read from the accounts at answer time) and the refused
//! attempts are the secretariat's alone. Every read is a bounded range of
//! one index (`storage::history`), run off the async threads.

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use enlace_shared::DocumentId;
use enlace_shared::api::{
    HistoryEntry, HistoryPage, HistoryQuery, HistoryValue, Moment, MomentQuery, PageQuery, RefusedPage,
};
use enlace_shared::refusal::Refusal;
use enlace_shared::roles::Role;
use enlace_shared::schema::Collection;

use super::caller::Caller;
use super::error::ApiError;
use super::{AppState, blocking};
use crate::storage::{HistorySlice, Storage, StorageError};

/// Entries per page when the request names no limit.
const DEFAULT_PAGE: usize = 50;
/// The most entries (or refused attempts) one page may ask for.
const MAX_PAGE: usize = 500;
/// The longest filter value accepted (ids are far shorter).
const MAX_FILTER_BYTES: usize = 256;
/// Entries the CSV export reads per step of its stream.
const CSV_STEP: usize = 500;
/// The author's own time is shown apart from the receipt time when the two
/// differ by at least this much (an edit made offline, a wrong clock).
const AUTHOR_TIME_SHOWN_FROM_MS: i64 = 60_000;

/// The workspace `workspace` names and the caller's role there; 404 when
/// there is no such workspace or the caller has no role in it.
fn workspace_role(caller: &Caller, workspace: &str) -> Result<(DocumentId, Role), ApiError> {
    let id = DocumentId::parse(workspace)
        .map_err(|error| ApiError::new(StatusCode::NOT_FOUND, format!("no such workspace: {error}")))?;
    let role = caller
        .0
        .user
        .role_in(&id)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "no such workspace"))?;
    Ok((id, role))
}

fn bad_query(rejection: &QueryRejection) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, rejection.body_text())
}

/// Refuses filters that cannot match anything meaningful: a record without
/// its collection, an unknown collection, a range that ends before it
/// starts, overlong values.
fn validate(query: &HistoryQuery) -> Result<(), ApiError> {
    let bad = |message: String| Err(ApiError::new(StatusCode::BAD_REQUEST, message));
    if query.record.is_some() && query.collection.is_none() {
        return bad("`record` needs `collection`".into());
    }
    if let Some(collection) = &query.collection
        && Collection::from_key(collection).is_none()
    {
        return bad(format!("no collection `{collection}`"));
    }
    if let (Some(from), Some(to)) = (query.from_ms, query.to_ms)
        && from > to
    {
        return bad("`from_ms` is after `to_ms`".into());
    }
    for (name, value) in [
        ("person", &query.person),
        ("organisation", &query.organisation),
        ("record", &query.record),
    ] {
        if value.as_ref().is_some_and(|value| value.len() > MAX_FILTER_BYTES) {
            return bad(format!("`{name}` is longer than {MAX_FILTER_BYTES} bytes"));
        }
    }
    Ok(())
}

/// Fills each entry's `user_email` from the accounts as they are now.
fn add_emails(storage: &Storage, entries: &mut [HistoryEntry]) -> Result<(), StorageError> {
    let mut known: std::collections::HashMap<String, Option<String>> = std::collections::HashMap::new();
    for entry in entries {
        let user_id = &entry.receipt.user_id;
        if !known.contains_key(user_id) {
            let email = storage.user(user_id)?.map(|user| user.email);
            known.insert(user_id.clone(), email);
        }
        entry.user_email = known.get(user_id).cloned().flatten();
    }
    Ok(())
}

/// One page of the timeline, emails added for the secretariat.
fn read_page(
    storage: &Storage,
    id: &DocumentId,
    query: &HistoryQuery,
    limit: usize,
    with_emails: bool,
) -> Result<HistorySlice, StorageError> {
    let mut slice = storage.history_page(id, query, limit)?;
    if with_emails {
        add_emails(storage, &mut slice.entries)?;
    }
    Ok(slice)
}

/// `GET /api/workspaces/{id}/history`: a page of the timeline, newest first.
pub async fn history(
    State(state): State<AppState>,
    caller: Caller,
    Path(workspace): Path<String>,
    query: Result<Query<HistoryQuery>, QueryRejection>,
) -> Result<Json<HistoryPage>, ApiError> {
    let (id, role) = workspace_role(&caller, &workspace)?;
    let Query(query) = query.map_err(|rejection| bad_query(&rejection))?;
    validate(&query)?;
    let limit = query.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    let storage = state.hubs.storage().clone();
    let slice = blocking(move || {
        read_page(&storage, &id, &query, limit, role == Role::Secretariat).map_err(ApiError::internal)
    })
    .await?;
    Ok(Json(HistoryPage {
        entries: slice.entries,
        next_before: slice.next_before,
    }))
}

/// `GET /api/workspaces/{id}/history/refused`: refused attempts, newest
/// first (the secretariat only; the presidency's audit right does not
/// include them).
pub async fn refused(
    State(state): State<AppState>,
    caller: Caller,
    Path(workspace): Path<String>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<RefusedPage>, ApiError> {
    let (id, role) = workspace_role(&caller, &workspace)?;
    if role != Role::Secretariat {
        return Err(ApiError::refused(Refusal::ReadAudit));
    }
    let Query(page) = query.map_err(|rejection| bad_query(&rejection))?;
    let limit = page.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    let storage = state.hubs.storage().clone();
    let attempts = blocking(move || {
        let mut attempts = storage
            .refused_attempts(&id, page.before, limit)
            .map_err(ApiError::internal)?;
        for attempt in &mut attempts {
            attempt.user_email = storage
                .user(&attempt.user_id)
                .map_err(ApiError::internal)?
                .map(|user| user.email);
        }
        Ok(attempts)
    })
    .await?;
    let next_before = (attempts.len() == limit)
        .then(|| attempts.last().map(|attempt| attempt.seq))
        .flatten()
        .filter(|seq| *seq > 0);
    Ok(Json(RefusedPage {
        attempts,
        next_before,
    }))
}

/// `GET /api/workspaces/{id}/history/moment?at_ms=…` (or `?seq=…`): the
/// last entry received at or before a time (or one entry) and the
/// document's heads once it was applied.
pub async fn moment(
    State(state): State<AppState>,
    caller: Caller,
    Path(workspace): Path<String>,
    query: Result<Query<MomentQuery>, QueryRejection>,
) -> Result<Json<Moment>, ApiError> {
    let (id, _) = workspace_role(&caller, &workspace)?;
    let Query(query) = query.map_err(|rejection| bad_query(&rejection))?;
    let storage = state.hubs.storage().clone();
    let entry = match (query.at_ms, query.seq) {
        (Some(at_ms), None) => {
            blocking(move || storage.history_at(&id, at_ms).map_err(ApiError::internal)).await?
        }
        (None, Some(seq)) => Some(
            blocking(move || storage.history_entry(&id, seq).map_err(ApiError::internal))
                .await?
                .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("no history entry {seq}")))?,
        ),
        _ => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "give exactly one of `at_ms` and `seq`",
            ));
        }
    };
    Ok(Json(match entry {
        Some(entry) => Moment {
            seq: Some(entry.seq),
            at_ms: Some(entry.receipt.received_at_ms),
            heads: entry.heads_after,
        },
        None => Moment {
            seq: None,
            at_ms: None,
            heads: Vec::new(),
        },
    }))
}

/// `GET /api/workspaces/{id}/history.csv`: every entry matching the
/// filters (`before` and `limit` are ignored), newest first, one row per
/// field a change wrote. Streamed: the server reads [`CSV_STEP`] entries
/// at a time, each step off the async threads, and holds no thread while
/// the client is slow to read.
pub async fn history_csv(
    State(state): State<AppState>,
    caller: Caller,
    Path(workspace): Path<String>,
    query: Result<Query<HistoryQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let (id, role) = workspace_role(&caller, &workspace)?;
    let Query(mut query) = query.map_err(|rejection| bad_query(&rejection))?;
    validate(&query)?;
    query.before = None;
    let with_emails = role == Role::Secretariat;
    let storage = state.hubs.storage().clone();

    /// Where the stream is: the header next, entries below a sequence
    /// number next (`None`: from the newest), or done.
    enum Step {
        Header,
        Below(Option<u64>),
        Done,
    }
    let stream = futures_util::stream::unfold(Step::Header, move |step| {
        let storage = storage.clone();
        let mut query = query.clone();
        async move {
            match step {
                Step::Done => None,
                Step::Header => Some((Ok(csv_header(with_emails)), Step::Below(None))),
                Step::Below(before) => {
                    query.before = before;
                    let read = tokio::task::spawn_blocking(move || {
                        read_page(&storage, &id, &query, CSV_STEP, with_emails)
                    })
                    .await;
                    match read {
                        Ok(Ok(slice)) => {
                            let next = match slice.next_before {
                                Some(seq) => Step::Below(Some(seq)),
                                None => Step::Done,
                            };
                            Some((csv_rows(&slice.entries, with_emails), next))
                        }
                        Ok(Err(error)) => {
                            tracing::error!(%error, "history export failed");
                            Some((Err(std::io::Error::other("history export failed")), Step::Done))
                        }
                        Err(error) => Some((Err(std::io::Error::other(error)), Step::Done)),
                    }
                }
            }
        }
    });
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    let disposition = format!("attachment; filename=\"enlace-history-{id}.csv\"");
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).map_err(ApiError::internal)?,
    );
    Ok(response)
}

/// The CSV's columns, in order (`email` only for the secretariat).
pub const CSV_COLUMNS: [&str; 15] = [
    "entry",
    "received_at",
    "author_time",
    "person",
    "organisation",
    "role",
    "email",
    "collection",
    "record_id",
    "record_title",
    "kind",
    "field",
    "before",
    "after",
    "message",
];

/// The byte-order mark and the header row.
fn csv_header(with_emails: bool) -> Vec<u8> {
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    let columns: Vec<&str> = CSV_COLUMNS
        .iter()
        .copied()
        .filter(|column| with_emails || *column != "email")
        .collect();
    bytes.extend(csv_line(&columns));
    bytes
}

fn csv_line(cells: &[&str]) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    // Writing into a Vec cannot fail; a failure would only drop the line.
    let _ = writer.write_record(cells.iter().map(|cell| spreadsheet_safe(cell).into_owned()));
    writer.into_inner().unwrap_or_default()
}

/// A cell a spreadsheet will not run as a formula: texts that start with
/// `=`, `+`, `-`, `@` or a tab/return get a leading `'` (what people write
/// into a record must not become a formula on the secretariat's computer).
fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

fn value_text(value: Option<&HistoryValue>) -> String {
    match value {
        None => String::new(),
        Some(HistoryValue::Text { text, cut }) => {
            if *cut {
                format!("{text}…")
            } else {
                text.clone()
            }
        }
        Some(HistoryValue::List(items) | HistoryValue::Items(items)) => items.join("; "),
        Some(HistoryValue::Flag(flag)) => flag.to_string(),
    }
}

/// The rows of `entries`: one per field change, one per record a change
/// touched without changing a field (a deletion), one per change that
/// touched no record.
fn csv_rows(entries: &[HistoryEntry], with_emails: bool) -> Result<Vec<u8>, std::io::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for entry in entries {
        let receipt = &entry.receipt;
        let seq = entry.seq.to_string();
        let received = crate::system::iso8601_utc(receipt.received_at_ms);
        let author_time =
            if (receipt.client_time_ms - receipt.received_at_ms).abs() >= AUTHOR_TIME_SHOWN_FROM_MS {
                crate::system::iso8601_utc(receipt.client_time_ms)
            } else {
                String::new()
            };
        let email = entry.user_email.clone().unwrap_or_default();
        let message = receipt.message.clone().unwrap_or_default();
        let mut row = |collection: &str,
                       record_id: &str,
                       title: &str,
                       kind: &str,
                       field: &str,
                       before: &str,
                       after: &str| {
            let mut cells = vec![
                seq.as_str(),
                received.as_str(),
                author_time.as_str(),
                receipt.user_name.as_str(),
                receipt.organisation_id.as_deref().unwrap_or_default(),
                receipt.role.slug(),
            ];
            if with_emails {
                cells.push(email.as_str());
            }
            cells.extend([
                collection,
                record_id,
                title,
                kind,
                field,
                before,
                after,
                message.as_str(),
            ]);
            writer.write_record(cells.iter().map(|cell| spreadsheet_safe(cell).into_owned()))
        };
        if entry.records.is_empty() {
            row("", "", "", "", "", "", "")?;
        }
        for record in &entry.records {
            let kind = record.kind.code();
            if record.fields.is_empty() {
                row(
                    &record.collection,
                    &record.record_id,
                    &record.title,
                    kind,
                    "",
                    "",
                    "",
                )?;
            }
            for field in &record.fields {
                let before = value_text(field.before.as_ref());
                let after = value_text(field.after.as_ref());
                row(
                    &record.collection,
                    &record.record_id,
                    &record.title,
                    kind,
                    &field.field,
                    &before,
                    &after,
                )?;
            }
        }
    }
    writer
        .into_inner()
        .map_err(|error| std::io::Error::other(error.to_string()))
}

#[cfg(test)]
mod tests {
    use enlace_shared::api::{EntryKind, FieldChange, Receipt, RecordChange};

    use super::*;

    fn entry() -> HistoryEntry {
        HistoryEntry {
            seq: 7,
            receipt: Receipt {
                hash: "h".into(),
                actor: "a".into(),
                seq: 1,
                client_time_ms: 0,
                message: Some("edit organisation GIZ: name".into()),
                user_id: "u1".into(),
                user_name: "Ana Ruiz".into(),
                organisation_id: Some("org-giz".into()),
                role: Role::Member,
                received_at_ms: 1_700_000_000_123,
                records: Vec::new(),
            },
            user_email: Some("ana@giz.de".into()),
            records: vec![RecordChange {
                collection: "organisations".into(),
                record_id: "org-1".into(),
                title: "GIZ, México".into(),
                kind: EntryKind::Edited,
                fields: vec![
                    FieldChange {
                        field: "name".into(),
                        before: Some(HistoryValue::Text {
                            text: "GIZ".into(),
                            cut: false,
                        }),
                        after: Some(HistoryValue::Text {
                            text: "=HYPERLINK(\"x\")".into(),
                            cut: false,
                        }),
                    },
                    FieldChange {
                        field: "tags".into(),
                        before: None,
                        after: Some(HistoryValue::List(vec!["a".into(), "b".into()])),
                    },
                ],
            }],
            heads_after: Vec::new(),
        }
    }

    fn parse(bytes: &[u8]) -> Vec<Vec<String>> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(bytes)
            .records()
            .map(|record| record.expect("a row").iter().map(str::to_owned).collect())
            .collect()
    }

    #[test]
    fn the_csv_has_a_row_per_field_and_no_formulas() {
        let mut bytes = csv_header(true);
        assert!(bytes.starts_with("\u{feff}".as_bytes()));
        bytes.extend(csv_rows(&[entry()], true).expect("rows"));
        let rows = parse(&bytes["\u{feff}".len()..]);
        assert_eq!(rows[0], CSV_COLUMNS);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1][1], "2023-11-14T22:13:20.123Z");
        // The author's clock said 1970: shown apart.
        assert_eq!(rows[1][2], "1970-01-01T00:00:00.000Z");
        assert_eq!(
            (rows[1][6].as_str(), rows[1][9].as_str(), rows[1][11].as_str()),
            ("ana@giz.de", "GIZ, México", "name")
        );
        assert_eq!(
            (rows[1][12].as_str(), rows[1][13].as_str()),
            ("GIZ", "'=HYPERLINK(\"x\")")
        );
        assert_eq!((rows[2][11].as_str(), rows[2][13].as_str()), ("tags", "a; b"));
        // Without emails the column is absent.
        let rows = parse(
            &[
                &csv_header(false)["\u{feff}".len()..],
                &csv_rows(&[entry()], false).expect("rows"),
            ]
            .concat(),
        );
        assert_eq!(rows[0].len(), CSV_COLUMNS.len() - 1);
        assert!(!rows.iter().flatten().any(|cell| cell.contains("ana@giz.de")));
    }

    #[test]
    fn filters_that_cannot_work_are_refused() {
        let record_alone = HistoryQuery {
            record: Some("org-1".into()),
            ..HistoryQuery::default()
        };
        assert!(validate(&record_alone).is_err());
        let unknown = HistoryQuery {
            collection: Some("spaceships".into()),
            ..HistoryQuery::default()
        };
        assert!(validate(&unknown).is_err());
        let backwards = HistoryQuery {
            from_ms: Some(2),
            to_ms: Some(1),
            ..HistoryQuery::default()
        };
        assert!(validate(&backwards).is_err());
        let fine = HistoryQuery {
            collection: Some("organisations".into()),
            record: Some("org-1".into()),
            kind: Some(EntryKind::Deleted),
            ..HistoryQuery::default()
        };
        assert!(validate(&fine).is_ok());
    }
}
