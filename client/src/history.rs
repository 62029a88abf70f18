//! Plain logic behind the History screens: the timeline's filters (in the
//! URL fragment and as the API's query string), local times and dates, a
//! field's value in words, and keeping live updates and older pages
//! together. No Leptos here, so native tests cover all of it.

use std::collections::BTreeMap;

use automerge::ChangeHash;
use enlace_shared::api::{
    EntryKind, FieldChange, HistoryEntry, HistoryPage, HistoryQuery, HistoryValue, ITEM_PART_SEPARATOR,
};
use enlace_shared::language::{Bilingual, Language};
use enlace_shared::schema::{self, Collection, FieldKind};

use crate::collections::{Snapshot, format_date};

/// Entries fetched per page of the timeline.
pub const PAGE_SIZE: usize = 50;
/// How many pages a revert preview gathers at most (the server caps a
/// page's size; this caps the preview's cost).
pub const REVERT_MAX_PAGES: usize = 20;
/// A change whose author's clock differs from its receipt by more than this
/// was written offline (or on a wrong clock): the timeline shows both times.
pub const CLOCK_DIFFERENCE_MS: i64 = 60_000;

/// The timeline's filters as the History page and its URL fragment hold
/// them (`#/history?person=u1&kind=edited`); empty means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryFilters {
    /// A user id.
    pub person: String,
    /// An organisation id.
    pub organisation: String,
    pub collection: Option<Collection>,
    /// A record id, only with a collection.
    pub record: String,
    /// First day, `YYYY-MM-DD`, in the reader's time zone.
    pub from: String,
    /// Last day (included), `YYYY-MM-DD`.
    pub to: String,
    pub kind: Option<EntryKind>,
}

impl HistoryFilters {
    /// Reads `person=…&collection=…` (unknown names and bad values ignored).
    pub fn from_query(query: &str) -> Self {
        let mut filters = Self::default();
        for pair in query.split('&') {
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            let value = percent_decode(value);
            match name {
                "person" => filters.person = value,
                "organisation" => filters.organisation = value,
                "collection" => filters.collection = Collection::from_key(&value),
                "record" => filters.record = value,
                "from" if is_day(&value) => filters.from = value,
                "to" if is_day(&value) => filters.to = value,
                "kind" => filters.kind = EntryKind::ALL.into_iter().find(|kind| kind.code() == value),
                _ => {}
            }
        }
        if filters.collection.is_none() {
            filters.record.clear();
        }
        filters
    }

    /// The fragment's query (without `?`), empty when nothing is filtered.
    pub fn to_query(&self) -> String {
        let collection = self.collection.map(Collection::key).unwrap_or_default();
        let record = if self.collection.is_some() {
            self.record.as_str()
        } else {
            ""
        };
        let kind = self.kind.map(EntryKind::code).unwrap_or_default();
        let pairs = [
            ("person", self.person.as_str()),
            ("organisation", self.organisation.as_str()),
            ("collection", collection),
            ("record", record),
            ("from", self.from.as_str()),
            ("to", self.to.as_str()),
            ("kind", kind),
        ];
        join_pairs(pairs.iter().map(|(name, value)| (*name, (*value).to_owned())))
    }

    /// The API's query for these filters: days become the first and last
    /// millisecond of those days in the reader's time zone, whose offset
    /// from UTC (minutes, east positive) `offset_minutes` gives for an instant.
    pub fn to_api(&self, offset_minutes: impl Fn(i64) -> i64) -> HistoryQuery {
        let text = |value: &str| Some(value.to_owned()).filter(|value| !value.is_empty());
        let day = |value: &str, end: bool| {
            let utc = day_start_utc_ms(value)? + if end { DAY_MS - 1 } else { 0 };
            Some(utc - offset_minutes(utc) * 60_000)
        };
        HistoryQuery {
            person: text(&self.person),
            organisation: text(&self.organisation),
            collection: self.collection.map(|collection| collection.key().to_owned()),
            record: self.collection.and_then(|_| text(&self.record)),
            from_ms: day(&self.from, false),
            to_ms: day(&self.to, true),
            kind: self.kind,
            ..HistoryQuery::default()
        }
    }
}

/// `?limit=…&person=…` for `GET …/history` (empty when nothing is set).
pub fn query_string(query: &HistoryQuery) -> String {
    let number = |value: Option<i64>| value.map(|value| value.to_string()).unwrap_or_default();
    let pairs = [
        (
            "before",
            query.before.map(|value| value.to_string()).unwrap_or_default(),
        ),
        (
            "limit",
            query.limit.map(|value| value.to_string()).unwrap_or_default(),
        ),
        ("person", query.person.clone().unwrap_or_default()),
        ("organisation", query.organisation.clone().unwrap_or_default()),
        ("collection", query.collection.clone().unwrap_or_default()),
        ("record", query.record.clone().unwrap_or_default()),
        ("from_ms", number(query.from_ms)),
        ("to_ms", number(query.to_ms)),
        (
            "kind",
            query.kind.map(|kind| kind.code().to_owned()).unwrap_or_default(),
        ),
    ];
    let joined = join_pairs(pairs.into_iter());
    if joined.is_empty() {
        joined
    } else {
        format!("?{joined}")
    }
}

fn join_pairs(pairs: impl Iterator<Item = (&'static str, String)>) -> String {
    pairs
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| format!("{name}={}", percent_encode(&value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Escapes everything but unreserved characters (RFC 3986).
pub fn percent_encode(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Undoes [`percent_encode`] (and `+` as a space); bad escapes stay as written.
pub fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escaped = (bytes[index] == b'%')
            .then(|| value.get(index + 1..index + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (bytes[index], escaped) {
            (_, Some(byte)) => {
                decoded.push(byte);
                index += 3;
            }
            (b'+', None) => {
                decoded.push(b' ');
                index += 1;
            }
            (byte, None) => {
                decoded.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

const DAY_MS: i64 = 86_400_000;

fn is_day(value: &str) -> bool {
    day_start_utc_ms(value).is_some()
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The civil date of a day number from [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Midnight UTC of `YYYY-MM-DD`, in ms since the epoch.
fn day_start_utc_ms(value: &str) -> Option<i64> {
    let mut parts = value.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return None;
    }
    let (year, month, day): (i64, i64, i64) = (year.parse().ok()?, month.parse().ok()?, day.parse().ok()?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    // 31 February and the like: the date must survive the round trip.
    (civil_from_days(days) == (year, month, day)).then_some(days * DAY_MS)
}

/// `ms` as the value of an `<input type="datetime-local">`
/// (`2026-11-29T14:03`) at `offset_minutes` from UTC.
pub fn datetime_local(ms: i64, offset_minutes: i64) -> String {
    let local = ms + offset_minutes * 60_000;
    let (year, month, day) = civil_from_days(local.div_euclid(DAY_MS));
    let minutes = local.rem_euclid(DAY_MS) / 60_000;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}",
        minutes / 60,
        minutes % 60
    )
}

/// An `<input type="datetime-local">` value (seconds optional) as ms since
/// the epoch, the reader's offset given by `offset_minutes` for an instant.
pub fn parse_datetime_local(value: &str, offset_minutes: impl Fn(i64) -> i64) -> Option<i64> {
    let (date, time) = value.trim().split_once('T')?;
    let mut parts = time.split(':');
    let hours: i64 = parts.next()?.parse().ok()?;
    let minutes: i64 = parts.next()?.parse().ok()?;
    let seconds: f64 = parts.next().map_or(Some(0.0), |seconds| seconds.parse().ok())?;
    if !(0..24).contains(&hours) || !(0..60).contains(&minutes) || !(0.0..60.0).contains(&seconds) {
        return None;
    }
    let utc = day_start_utc_ms(date)? + (hours * 60 + minutes) * 60_000 + (seconds * 1000.0) as i64;
    Some(utc - offset_minutes(utc) * 60_000)
}

/// A moment in the reader's words and time zone: "29 de noviembre de 2026, 14:03".
pub fn format_moment(ms: i64, offset_minutes: i64, language: Language) -> String {
    let (date, time) = datetime_local(ms, offset_minutes)
        .split_once('T')
        .map(|(date, time)| (date.to_owned(), time.to_owned()))
        .unwrap_or_default();
    format!("{}, {time}", format_date(&date, language))
}

/// A moment as a change message names it, the same for every reader:
/// `2026-11-29 14:03 UTC`.
pub fn utc_label(ms: i64) -> String {
    format!("{} UTC", datetime_local(ms, 0).replace('T', " "))
}

/// Whether an entry's author wrote it at a different time than the server
/// received it (an edit made offline): then both times are shown.
pub fn written_elsewhen(entry: &HistoryEntry) -> bool {
    let receipt = &entry.receipt;
    receipt.client_time_ms > 0
        && (receipt.client_time_ms - receipt.received_at_ms).abs() > CLOCK_DIFFERENCE_MS
}

/// The words for an entry kind.
pub fn kind_label(kind: EntryKind, language: Language) -> &'static str {
    match kind {
        EntryKind::Created => Bilingual::new("creado", "created"),
        EntryKind::Edited => Bilingual::new("editado", "edited"),
        EntryKind::Deleted => Bilingual::new("eliminado", "deleted"),
        EntryKind::Restored => Bilingual::new("restaurado", "restored"),
    }
    .get(language)
}

/// The label of a field of `collection` (its key if the schema lacks it,
/// as for the tombstone).
pub fn field_label(collection: Option<Collection>, field: &str, language: Language) -> String {
    if field == "deleted" {
        return Bilingual::new("eliminado", "deleted").get(language).to_owned();
    }
    collection
        .and_then(|collection| collection.field(field))
        .map_or_else(|| field.to_owned(), |spec| spec.label(language).to_owned())
}

/// A field's value in words: choices by their label, references by the
/// referenced record's title (in `snapshot`), dates in the reader's
/// language, flags as yes/no, lists joined.
pub fn value_text(
    value: Option<&HistoryValue>,
    collection: Option<Collection>,
    field: &str,
    snapshot: &Snapshot,
    language: Language,
) -> String {
    let kind = collection
        .and_then(|collection| collection.field(field))
        .map(|spec| spec.kind);
    match value {
        None => String::new(),
        Some(HistoryValue::Text { text, cut }) => {
            let shown = match kind {
                Some(FieldKind::Choice(choices)) => schema::choice_label(choices, text, language),
                Some(FieldKind::Reference(target)) if !text.is_empty() => snapshot.label(target, text).0,
                Some(FieldKind::Date) => format_date(text, language),
                _ => text.clone(),
            };
            if *cut { format!("{shown}…") } else { shown }
        }
        Some(HistoryValue::Flag(flag)) => {
            Bilingual::new(if *flag { "sí" } else { "no" }, if *flag { "yes" } else { "no" })
                .get(language)
                .to_owned()
        }
        Some(HistoryValue::List(items)) => items
            .iter()
            .map(|item| item_text(item, kind, snapshot, language))
            .collect::<Vec<_>>()
            .join(", "),
        Some(HistoryValue::Items(lines)) => lines
            .iter()
            .map(|line| item_line_text(line, kind, snapshot, Some(language)))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// One item's line of the timeline in words: each part that is a
/// reference id, a link or a choice slug of the item's shape read as its
/// title or label (the line itself carries no types, so a part is matched
/// against what the shape's sub-fields could hold). Choices are read as
/// labels only when the `language` is given.
pub fn item_line_text(
    line: &str,
    kind: Option<FieldKind>,
    snapshot: &Snapshot,
    language: Option<Language>,
) -> String {
    let Some(FieldKind::Items(shape)) = kind else {
        return line.to_owned();
    };
    line.split(ITEM_PART_SEPARATOR)
        .map(|part| {
            shape
                .fields
                .iter()
                .find_map(|spec| match spec.kind {
                    FieldKind::Reference(target) | FieldKind::References(target) => {
                        let (title, _) = snapshot.label(target, part);
                        snapshot.get(target, part).is_some().then_some(title)
                    }
                    FieldKind::Links => link_parts(part)
                        .filter(|(target, id)| snapshot.get(*target, id).is_some())
                        .map(|(target, id)| snapshot.label(target, id).0),
                    FieldKind::Choice(choices) => choices
                        .iter()
                        .find(|choice| choice.slug == part)
                        .zip(language)
                        .map(|(choice, language)| choice.label(language).to_owned()),
                    _ => None,
                })
                .unwrap_or_else(|| part.to_owned())
        })
        .collect::<Vec<_>>()
        .join(ITEM_PART_SEPARATOR)
}

/// The collection and id of a link `<collection key>/<id>`.
fn link_parts(link: &str) -> Option<(Collection, &str)> {
    enlace_shared::validation::parse_link(link)
}

/// One list item in words: a referenced or linked record's title, an
/// item's line with the titles of the records it refers to and its
/// choices' labels in `language`, or the item itself.
pub fn item_text(item: &str, kind: Option<FieldKind>, snapshot: &Snapshot, language: Language) -> String {
    match kind {
        Some(FieldKind::Items(_)) => item_line_text(item, kind, snapshot, Some(language)),
        Some(FieldKind::References(target)) => snapshot.label(target, item).0,
        Some(FieldKind::Links) => match link_parts(item) {
            Some((target, id)) => snapshot.label(target, id).0,
            None => item.to_owned(),
        },
        _ => item.to_owned(),
    }
}

/// The items a list change added and removed (in their order), when both
/// sides are lists; `None` for other values.
pub fn list_changes(
    before: Option<&HistoryValue>,
    after: Option<&HistoryValue>,
) -> Option<(Vec<String>, Vec<String>)> {
    let items = |value: Option<&HistoryValue>| match value {
        None => Some(Vec::new()),
        Some(HistoryValue::List(items) | HistoryValue::Items(items)) => Some(items.clone()),
        Some(_) => None,
    };
    let (before, after) = (items(before)?, items(after)?);
    if before.is_empty() && after.is_empty() {
        return None;
    }
    let added = after
        .iter()
        .filter(|item| !before.contains(item))
        .cloned()
        .collect();
    let removed = before
        .iter()
        .filter(|item| !after.contains(item))
        .cloned()
        .collect();
    Some((added, removed))
}

/// Whether a value shows as nothing (absent, empty text or list, `false`).
pub fn is_blank(value: Option<&HistoryValue>) -> bool {
    match value {
        None => true,
        Some(HistoryValue::Text { text, .. }) => text.is_empty(),
        Some(HistoryValue::List(items) | HistoryValue::Items(items)) => items.is_empty(),
        Some(HistoryValue::Flag(flag)) => !flag,
    }
}

/// Whether a field change is worth a line: one whose two sides show the
/// same nothing (a new record's empty list) is not.
pub fn shows_change(change: &FieldChange) -> bool {
    !(is_blank(change.before.as_ref()) && is_blank(change.after.as_ref()))
}

/// The kind a group of entries on one record shows: created if its oldest
/// entry created the record, else what its newest entry did.
pub fn group_kind(oldest: EntryKind, newest: EntryKind) -> EntryKind {
    if oldest == EntryKind::Created {
        oldest
    } else {
        newest
    }
}

/// Whether a text change reads better as a word diff than as old → new:
/// long texts, or either side longer than a line.
pub fn wants_word_diff(
    collection: Option<Collection>,
    field: &str,
    before: Option<&HistoryValue>,
    after: Option<&HistoryValue>,
) -> bool {
    let long_field = collection
        .and_then(|collection| collection.field(field))
        .is_some_and(|spec| spec.kind == FieldKind::LongText);
    let long = |value: Option<&HistoryValue>| matches!(value, Some(HistoryValue::Text { text, .. }) if text.chars().count() > 80);
    let texts =
        |value: Option<&HistoryValue>| value.is_none_or(|value| matches!(value, HistoryValue::Text { .. }));
    texts(before) && texts(after) && (long_field || long(before) || long(after))
}

/// The people named by `entries`, `(user id, name)` sorted by name, one each.
pub fn people_seen<'a>(entries: impl IntoIterator<Item = &'a HistoryEntry>) -> Vec<(String, String)> {
    let mut people: BTreeMap<String, String> = BTreeMap::new();
    for entry in entries {
        people
            .entry(entry.receipt.user_id.clone())
            .or_insert_with(|| entry.receipt.user_name.clone());
    }
    let mut people: Vec<(String, String)> = people.into_iter().collect();
    people.sort_by(|left, right| left.1.cmp(&right.1).then_with(|| left.0.cmp(&right.0)));
    people
}

/// The entries a timeline has loaded, newest first, and where the next
/// (older) page starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loaded {
    pub entries: Vec<HistoryEntry>,
    /// `before` of the next older page; `None` once the oldest is loaded.
    pub next_before: Option<u64>,
}

impl Loaded {
    /// Takes a fresh first page (after the document changed): the fresh
    /// entries go in front of the older ones already loaded. When the fresh
    /// page reaches the end of the history, or no longer meets what was
    /// loaded (more changes arrived than a page holds), it replaces everything.
    pub fn first_page(&mut self, page: HistoryPage) {
        let oldest_fresh = page.entries.iter().map(|entry| entry.seq).min();
        let newest_loaded = self.entries.iter().map(|entry| entry.seq).max();
        let meets =
            matches!((oldest_fresh, newest_loaded), (Some(fresh), Some(loaded)) if fresh <= loaded + 1);
        if page.next_before.is_none() || !meets {
            self.entries = page.entries;
            self.next_before = page.next_before;
            return;
        }
        let oldest_fresh = oldest_fresh.unwrap_or_default();
        let mut merged = page.entries;
        merged.extend(
            self.entries
                .iter()
                .filter(|entry| entry.seq < oldest_fresh)
                .cloned(),
        );
        self.entries = merged;
    }

    /// Appends an older page ("load older").
    pub fn older_page(&mut self, page: HistoryPage) {
        let oldest_loaded = self
            .entries
            .iter()
            .map(|entry| entry.seq)
            .min()
            .unwrap_or(u64::MAX);
        self.entries
            .extend(page.entries.into_iter().filter(|entry| entry.seq < oldest_loaded));
        self.next_before = page.next_before;
    }
}

/// Hex change hashes (as the API writes them); `None` if one is malformed.
pub fn parse_heads(hashes: &[String]) -> Option<Vec<ChangeHash>> {
    hashes.iter().map(|hash| hash.parse().ok()).collect()
}

#[cfg(test)]
mod tests {
    use automerge::Automerge;
    use enlace_shared::api::Receipt;
    use enlace_shared::model::{Authorship, create_workspace};
    use enlace_shared::records::{Initial, create_record};
    use enlace_shared::roles::Role;

    use super::*;

    fn entry(seq: u64, user: &str, name: &str) -> HistoryEntry {
        HistoryEntry {
            seq,
            receipt: Receipt {
                hash: String::new(),
                actor: String::new(),
                seq,
                client_time_ms: 1_700_000_000_000,
                message: None,
                user_id: user.to_owned(),
                user_name: name.to_owned(),
                organisation_id: None,
                role: Role::Member,
                received_at_ms: 1_700_000_000_000,
                records: Vec::new(),
            },
            user_email: None,
            records: Vec::new(),
            heads_after: Vec::new(),
        }
    }

    #[test]
    fn filters_round_trip_through_the_fragment() {
        let filters = HistoryFilters {
            person: "u 1&x".into(),
            organisation: "giz".into(),
            collection: Some(Collection::Alliances),
            record: "a1".into(),
            from: "2026-01-31".into(),
            to: "2026-02-01".into(),
            kind: Some(EntryKind::Restored),
        };
        let query = filters.to_query();
        assert!(query.contains("person=u%201%26x"), "{query}");
        assert_eq!(HistoryFilters::from_query(&query), filters);
        assert_eq!(HistoryFilters::default().to_query(), "");
        // A record without a collection, bad dates and unknown kinds are dropped.
        let loose = HistoryFilters::from_query("record=a1&from=2026-02-30&to=soon&kind=burnt&colour=red");
        assert_eq!(loose, HistoryFilters::default());
    }

    #[test]
    fn days_become_the_readers_whole_days_in_the_api_query() {
        let filters = HistoryFilters {
            collection: Some(Collection::Organisations),
            record: "o1".into(),
            from: "2026-11-29".into(),
            to: "2026-11-29".into(),
            kind: Some(EntryKind::Edited),
            ..HistoryFilters::default()
        };
        // Mexico City: six hours behind UTC.
        let query = filters.to_api(|_| -360);
        let midnight_utc = 1_795_910_400_000; // 2026-11-29T00:00:00Z
        assert_eq!(query.from_ms, Some(midnight_utc + 6 * 3_600_000));
        assert_eq!(query.to_ms, Some(midnight_utc + 30 * 3_600_000 - 1));
        assert_eq!(query.person, None);
        assert_eq!(
            query_string(&query),
            format!(
                "?collection=organisations&record=o1&from_ms={}&to_ms={}&kind=edited",
                midnight_utc + 6 * 3_600_000,
                midnight_utc + 30 * 3_600_000 - 1
            )
        );
        let paged = HistoryQuery {
            before: Some(40),
            limit: Some(50),
            ..HistoryQuery::default()
        };
        assert_eq!(query_string(&paged), "?before=40&limit=50");
        assert_eq!(query_string(&HistoryQuery::default()), "");
    }

    #[test]
    fn local_date_times_convert_both_ways() {
        let ms = 1_795_961_000_000; // 2026-11-29T14:03:20Z
        assert_eq!(datetime_local(ms, 0), "2026-11-29T14:03");
        assert_eq!(datetime_local(ms, -360), "2026-11-29T08:03");
        assert_eq!(datetime_local(0, 0), "1970-01-01T00:00");
        assert_eq!(
            parse_datetime_local("2026-11-29T08:03", |_| -360),
            Some(ms - 20_000)
        );
        assert_eq!(parse_datetime_local("2026-11-29T14:03:20", |_| 0), Some(ms));
        assert_eq!(parse_datetime_local("2026-11-29", |_| 0), None);
        assert_eq!(parse_datetime_local("2026-11-29T25:00", |_| 0), None);
        assert_eq!(utc_label(ms), "2026-11-29 14:03 UTC");
        assert_eq!(
            format_moment(ms, 60, Language::Spanish),
            "29 de noviembre de 2026, 15:03"
        );
        assert_eq!(
            format_moment(ms, 60, Language::English),
            "29 November 2026, 15:03"
        );
        // Leap days and the end of a year survive the round trip.
        for day in ["2024-02-29", "2025-12-31", "2000-03-01"] {
            let start = day_start_utc_ms(day).expect("a day");
            assert_eq!(datetime_local(start, 0), format!("{day}T00:00"));
        }
    }

    #[test]
    fn percent_encoding_round_trips() {
        for value in ["plain", "a b&c=d", "ñandú/ü", "100%"] {
            assert_eq!(percent_decode(&percent_encode(value)), value);
        }
        assert_eq!(percent_decode("%zz+x"), "%zz x");
    }

    #[test]
    fn values_read_in_words_with_titles_for_references() {
        let mut document = Automerge::new();
        create_workspace(&mut document, "MCIG", 1).expect("workspace");
        let by = Authorship {
            now_ms: 1,
            author: "test",
        };
        create_record(
            &mut document,
            Collection::Organisations,
            "o1",
            &[("name", Initial::Text("GIZ".into()))],
            &by,
        )
        .expect("record");
        let snapshot = Snapshot::read(&document, 1);
        let text = |text: &str| HistoryValue::Text {
            text: text.into(),
            cut: false,
        };
        let alliances = Some(Collection::Alliances);
        let words = |value: &HistoryValue, field: &str| {
            value_text(Some(value), alliances, field, &snapshot, Language::English)
        };
        assert_eq!(words(&text("signed"), "status"), "Signed");
        assert_eq!(words(&text("o1"), "partner"), "GIZ");
        assert_eq!(
            words(&HistoryValue::List(vec!["o1".into(), "gone".into()]), "members"),
            "GIZ, gone"
        );
        assert_eq!(words(&text("2021-03-05"), "start"), "5 March 2021");
        // Items: reference ids, links and choice slugs in a line read as
        // titles and labels; other parts as they are.
        let meetings = Some(Collection::Meetings);
        let items = |lines: &[&str], field: &str| {
            let value = HistoryValue::Items(lines.iter().map(|line| (*line).to_owned()).collect());
            value_text(Some(&value), meetings, field, &snapshot, Language::English)
        };
        assert_eq!(
            items(&["Apertura · o1 · organisations/o1 · gone", "Cierre"], "agenda"),
            "Apertura · GIZ · GIZ · gone; Cierre"
        );
        assert_eq!(items(&["o1 · apologised"], "attendance"), "GIZ · Apologised");
        // One line of a list change, in the reader's language.
        let attendance = Collection::Meetings.field("attendance").map(|spec| spec.kind);
        assert_eq!(
            item_text("o1 · apologised", attendance, &snapshot, Language::Spanish),
            "GIZ · Se excusó"
        );
        assert_eq!(
            words(
                &HistoryValue::Items(vec!["Taller (2021-03-01) ✓".into()]),
                "commitments"
            ),
            "Taller (2021-03-01) ✓"
        );
        assert_eq!(
            words(
                &HistoryValue::Text {
                    text: "long".into(),
                    cut: true
                },
                "title"
            ),
            "long…"
        );
        assert_eq!(
            value_text(
                Some(&HistoryValue::Flag(true)),
                None,
                "deleted",
                &snapshot,
                Language::Spanish
            ),
            "sí"
        );
        assert_eq!(
            value_text(None, alliances, "title", &snapshot, Language::English),
            ""
        );
        assert_eq!(
            field_label(alliances, "partner", Language::English),
            "Chamber or company"
        );
        assert_eq!(field_label(alliances, "deleted", Language::English), "deleted");
    }

    #[test]
    fn list_changes_name_what_was_added_and_removed() {
        let list = |items: &[&str]| HistoryValue::List(items.iter().map(|item| (*item).to_owned()).collect());
        assert_eq!(
            list_changes(Some(&list(&["a", "b"])), Some(&list(&["b", "c", "d"]))),
            Some((vec!["c".to_owned(), "d".to_owned()], vec!["a".to_owned()]))
        );
        assert_eq!(
            list_changes(None, Some(&list(&["a"]))),
            Some((vec!["a".to_owned()], Vec::new()))
        );
        let text = HistoryValue::Text {
            text: "x".into(),
            cut: false,
        };
        assert_eq!(list_changes(Some(&text), None), None);
        assert_eq!(list_changes(None, None), None);
    }

    #[test]
    fn blank_changes_are_left_out_and_groups_keep_their_creation() {
        let change = |before: Option<HistoryValue>, after: Option<HistoryValue>| FieldChange {
            field: "tags".into(),
            before,
            after,
        };
        assert!(!shows_change(&change(None, Some(HistoryValue::List(Vec::new())))));
        assert!(!shows_change(&change(Some(HistoryValue::Flag(false)), None)));
        assert!(shows_change(&change(
            None,
            Some(HistoryValue::List(vec!["a".into()]))
        )));
        assert!(shows_change(&change(
            Some(HistoryValue::Flag(true)),
            Some(HistoryValue::Flag(false))
        )));
        assert_eq!(
            group_kind(EntryKind::Created, EntryKind::Edited),
            EntryKind::Created
        );
        assert_eq!(
            group_kind(EntryKind::Edited, EntryKind::Deleted),
            EntryKind::Deleted
        );
    }

    #[test]
    fn long_texts_get_a_word_diff() {
        let short = HistoryValue::Text {
            text: "short".into(),
            cut: false,
        };
        let long = HistoryValue::Text {
            text: "word ".repeat(20),
            cut: false,
        };
        let organisations = Some(Collection::Organisations);
        assert!(!wants_word_diff(
            organisations,
            "name",
            Some(&short),
            Some(&short)
        ));
        assert!(wants_word_diff(organisations, "name", Some(&short), Some(&long)));
        assert!(wants_word_diff(organisations, "description", None, Some(&short)));
        assert!(!wants_word_diff(
            organisations,
            "description",
            None,
            Some(&HistoryValue::Flag(true))
        ));
    }

    #[test]
    fn offline_edits_show_both_times() {
        let mut written = entry(1, "u1", "Ana");
        assert!(!written_elsewhen(&written));
        written.receipt.client_time_ms -= 3_600_000;
        assert!(written_elsewhen(&written));
        written.receipt.client_time_ms = 0;
        assert!(!written_elsewhen(&written));
    }

    #[test]
    fn people_are_listed_once_by_name() {
        let entries = [
            entry(3, "u2", "Zoe"),
            entry(2, "u1", "Ana"),
            entry(1, "u2", "Zoe"),
        ];
        assert_eq!(
            people_seen(&entries),
            [
                ("u1".to_owned(), "Ana".to_owned()),
                ("u2".to_owned(), "Zoe".to_owned())
            ]
        );
    }

    fn page(seqs: impl Iterator<Item = u64>, next_before: Option<u64>) -> HistoryPage {
        HistoryPage {
            entries: seqs.map(|seq| entry(seq, "u", "U")).collect(),
            next_before,
        }
    }

    fn seqs(loaded: &Loaded) -> Vec<u64> {
        loaded.entries.iter().map(|entry| entry.seq).collect()
    }

    #[test]
    fn a_fresh_first_page_keeps_the_older_pages_loaded() {
        let mut loaded = Loaded::default();
        loaded.first_page(page((5..=8).rev(), Some(5)));
        loaded.older_page(page((1..=4).rev(), Some(1)));
        assert_eq!(seqs(&loaded), [8, 7, 6, 5, 4, 3, 2, 1]);
        assert_eq!(loaded.next_before, Some(1));
        // Two new entries: the fresh page overlaps, older pages stay.
        loaded.first_page(page((7..=10).rev(), Some(7)));
        assert_eq!(seqs(&loaded), [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
        assert_eq!(loaded.next_before, Some(1));
        // More new entries than a page: what was loaded no longer joins on.
        loaded.first_page(page((20..=23).rev(), Some(20)));
        assert_eq!(seqs(&loaded), [23, 22, 21, 20]);
        assert_eq!(loaded.next_before, Some(20));
        // A first page that is the whole history replaces everything.
        loaded.first_page(page((1..=2).rev(), None));
        assert_eq!(seqs(&loaded), [2, 1]);
        assert_eq!(loaded.next_before, None);
    }

    #[test]
    fn heads_parse_from_hex() {
        let hash = "0".repeat(64);
        assert_eq!(
            parse_heads(std::slice::from_ref(&hash)).map(|heads| heads.len()),
            Some(1)
        );
        assert_eq!(parse_heads(&["xyz".to_owned()]), None);
        assert_eq!(parse_heads(&[]), Some(Vec::new()));
    }
}
