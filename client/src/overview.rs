//! The home page's figures, from one [`Snapshot`]: who holds the presidency
//! today, the members by kind, the alliances by stage, the collaborations
//! by status and the newest records; and how long ago something happened.
//! No Leptos here, so native tests cover all of it.

use std::cmp::Reverse;

use enlace_shared::language::Language;
use enlace_shared::records::Record;
use enlace_shared::schema::{self, Choice, Collection, ORGANISATION_KINDS};
use enlace_shared::validation;

use crate::collections::Snapshot;
use crate::i18n::{Text, text};

/// The membership slug of the roundtable's members.
pub const MEMBER: &str = "member";

/// The presidency term covering `today` (`YYYY-MM-DD`, both ends included),
/// deleted and undated terms aside. Overlapping terms (which validation
/// reports) resolve to the one that started last.
pub fn current_presidency<'a>(snapshot: &'a Snapshot, today: &str) -> Option<&'a Record> {
    dated_terms(snapshot)
        .filter(|term| term.text("start") <= today && today <= term.text("end"))
        .max_by(|left, right| left.text("start").cmp(right.text("start")))
}

/// The term that ended most recently before `today`, for when no term covers it.
pub fn latest_presidency<'a>(snapshot: &'a Snapshot, today: &str) -> Option<&'a Record> {
    dated_terms(snapshot)
        .filter(|term| term.text("end") < today)
        .max_by(|left, right| left.text("end").cmp(right.text("end")))
}

/// What the home page says about the presidency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presidency {
    /// Whether the term covers today; otherwise it is the latest one that ended.
    pub current: bool,
    pub organisation_id: String,
    /// The organisation's name (its id if the record is missing).
    pub organisation: String,
    pub start: String,
    pub end: String,
}

/// The current presidency, or failing that the latest one, with the
/// organisation's name.
pub fn presidency(snapshot: &Snapshot, today: &str) -> Option<Presidency> {
    let (term, current) = match current_presidency(snapshot, today) {
        Some(term) => (term, true),
        None => (latest_presidency(snapshot, today)?, false),
    };
    let organisation_id = term.text("organisation").to_owned();
    Some(Presidency {
        current,
        organisation: snapshot.label(Collection::Organisations, &organisation_id).0,
        organisation_id,
        start: term.text("start").to_owned(),
        end: term.text("end").to_owned(),
    })
}

fn dated_terms(snapshot: &Snapshot) -> impl Iterator<Item = &Record> {
    snapshot
        .records(Collection::PresidencyTerms)
        .iter()
        .filter(|term| !term.deleted)
        .filter(|term| validation::is_date(term.text("start")) && validation::is_date(term.text("end")))
}

/// One line of a count: what is counted, its label, and how many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count {
    pub slug: String,
    pub label: String,
    pub count: usize,
}

/// The roundtable's members (organisations with membership `member`, not
/// deleted) by kind, in the schema's order of kinds; kinds without members
/// are left out, kinds the schema does not know come last.
pub fn members_by_kind(snapshot: &Snapshot, language: Language) -> Vec<Count> {
    let members: Vec<&Record> = snapshot
        .records(Collection::Organisations)
        .iter()
        .filter(|organisation| !organisation.deleted && organisation.text("membership") == MEMBER)
        .collect();
    let mut slugs: Vec<&str> = ORGANISATION_KINDS.iter().map(|kind| kind.slug).collect();
    for member in &members {
        let kind = member.text("kind");
        if !slugs.contains(&kind) {
            slugs.push(kind);
        }
    }
    slugs
        .into_iter()
        .map(|slug| Count {
            slug: slug.to_owned(),
            label: kind_label(slug, language),
            count: members
                .iter()
                .filter(|member| member.text("kind") == slug)
                .count(),
        })
        .filter(|count| count.count > 0)
        .collect()
}

fn kind_label(slug: &str, language: Language) -> String {
    if slug.is_empty() {
        return text(language, Text::NotSet).to_owned();
    }
    schema::choice_label(ORGANISATION_KINDS, slug, language)
}

/// How many records of `collection` (not deleted) have each of `choices` in
/// `field`, in the order of `choices`, zeros included.
pub fn counts_by_choice(
    snapshot: &Snapshot,
    collection: Collection,
    field: &str,
    choices: &[Choice],
    language: Language,
) -> Vec<Count> {
    let records = snapshot.records(collection);
    choices
        .iter()
        .map(|choice| Count {
            slug: choice.slug.to_owned(),
            label: choice.label(language).to_owned(),
            count: records
                .iter()
                .filter(|record| !record.deleted && record.text(field) == choice.slug)
                .count(),
        })
        .collect()
}

/// The `limit` most recently created records of any collection, deleted
/// ones aside, newest first.
pub fn latest_records(snapshot: &Snapshot, limit: usize) -> Vec<&Record> {
    let mut records: Vec<&Record> = Collection::ALL
        .into_iter()
        .flat_map(|collection| snapshot.records(collection))
        .filter(|record| !record.deleted && record.created_at > 0)
        .collect();
    records.sort_by_key(|record| Reverse(record.created_at));
    records.truncate(limit);
    records
}

/// How long before `now_ms` something happened at `then_ms`, as people say it.
pub fn time_ago(now_ms: i64, then_ms: i64, language: Language) -> String {
    let minutes = (now_ms - then_ms).max(0) / 60_000;
    let (amount, spanish_unit, english_unit) = match minutes {
        0 => return text(language, Text::JustNow).to_owned(),
        1..60 => (minutes, "min", "min"),
        60..1440 => (minutes / 60, "h", "h"),
        _ if minutes / 1440 == 1 => (1, "día", "day"),
        _ => (minutes / 1440, "días", "days"),
    };
    match language {
        Language::Spanish => format!("hace {amount} {spanish_unit}"),
        Language::English => format!("{amount} {english_unit} ago"),
    }
}

#[cfg(test)]
mod tests {
    use automerge::Automerge;
    use enlace_shared::model::{Authorship, create_workspace};
    use enlace_shared::records::{Initial, create_record, set_deleted};
    use enlace_shared::schema::ALLIANCE_STATUSES;

    use super::*;

    fn by(now_ms: i64) -> Authorship<'static> {
        Authorship {
            now_ms,
            author: "test",
        }
    }

    fn create(
        document: &mut Automerge,
        collection: Collection,
        id: &str,
        fields: &[(&str, &str)],
        now_ms: i64,
    ) {
        let fields: Vec<(&str, Initial)> = fields
            .iter()
            .map(|(key, value)| (*key, Initial::Text((*value).to_owned())))
            .collect();
        create_record(document, collection, id, &fields, &by(now_ms)).expect("record");
    }

    fn roundtable() -> Automerge {
        let mut document = Automerge::new();
        create_workspace(&mut document, "MCIG", 0).expect("workspace");
        let organisations = [
            ("fr", "Embajada de Francia", "embassy", "member"),
            ("ie", "Embajada de Irlanda", "embassy", "member"),
            ("es", "Embajada de España", "embassy", "member"),
            ("giz", "GIZ", "cooperation_agency", "member"),
            ("chamber", "Cámara", "private_sector_chamber", "ally"),
            ("future", "Fundación", "foundation", "member"),
        ];
        for (index, (id, name, kind, membership)) in organisations.into_iter().enumerate() {
            let fields = [("name", name), ("kind", kind), ("membership", membership)];
            create(
                &mut document,
                Collection::Organisations,
                id,
                &fields,
                1_000 + index as i64,
            );
        }
        for (id, organisation, start, end) in [
            ("t1", "fr", "2018-07-01", "2019-06-30"),
            ("t2", "ie", "2019-07-01", "2020-06-30"),
            ("t3", "es", "2020-07-01", "2021-06-30"),
        ] {
            let fields = [("organisation", organisation), ("start", start), ("end", end)];
            create(&mut document, Collection::PresidencyTerms, id, &fields, 2_000);
        }
        for (id, status) in [
            ("a1", "signed"),
            ("a2", "signed"),
            ("a3", "paused"),
            ("a4", "identified"),
        ] {
            let fields = [("title", id), ("partner", "chamber"), ("status", status)];
            create(&mut document, Collection::Alliances, id, &fields, 3_000);
        }
        set_deleted(&mut document, Collection::Alliances, "a4", true, &by(4_000)).expect("delete");
        document
    }

    #[test]
    fn the_current_presidency_is_the_term_covering_today() {
        let snapshot = Snapshot::read(&roundtable(), 1);
        let on = |today: &str| current_presidency(&snapshot, today).map(|term| term.id.as_str());
        assert_eq!(on("2019-07-01"), Some("t2"));
        assert_eq!(on("2020-06-30"), Some("t2"));
        assert_eq!(on("2021-06-30"), Some("t3"));
        assert_eq!(on("2018-06-30"), None);
        assert_eq!(on("2026-12-01"), None);
        let latest = latest_presidency(&snapshot, "2026-12-01").map(|term| term.id.as_str());
        assert_eq!(latest, Some("t3"));
        assert_eq!(latest_presidency(&snapshot, "2018-01-01"), None);
        assert_eq!(
            presidency(&snapshot, "2019-12-01"),
            Some(Presidency {
                current: true,
                organisation_id: "ie".into(),
                organisation: "Embajada de Irlanda".into(),
                start: "2019-07-01".into(),
                end: "2020-06-30".into(),
            })
        );
        let latest = presidency(&snapshot, "2026-12-01").expect("a past term");
        assert_eq!(
            (latest.current, latest.organisation.as_str()),
            (false, "Embajada de España")
        );
        assert_eq!(presidency(&snapshot, "2018-01-01"), None);
    }

    #[test]
    fn members_are_counted_by_kind_in_the_schemas_order() {
        let snapshot = Snapshot::read(&roundtable(), 1);
        let counts: Vec<(String, String, usize)> = members_by_kind(&snapshot, Language::English)
            .into_iter()
            .map(|count| (count.slug, count.label, count.count))
            .collect();
        assert_eq!(
            counts,
            [
                ("embassy".into(), "Embassy or delegation".into(), 3),
                ("cooperation_agency".into(), "Cooperation agency".into(), 1),
                ("foundation".into(), "foundation".into(), 1),
            ]
        );
    }

    #[test]
    fn alliances_are_counted_per_stage_in_pipeline_order() {
        let snapshot = Snapshot::read(&roundtable(), 1);
        let counts = counts_by_choice(
            &snapshot,
            Collection::Alliances,
            "status",
            ALLIANCE_STATUSES,
            Language::Spanish,
        );
        let slugs: Vec<&str> = counts.iter().map(|count| count.slug.as_str()).collect();
        let expected: Vec<&str> = ALLIANCE_STATUSES.iter().map(|status| status.slug).collect();
        assert_eq!(slugs, expected);
        let count = |slug: &str| {
            counts
                .iter()
                .find(|count| count.slug == slug)
                .map(|count| count.count)
        };
        assert_eq!(count("signed"), Some(2));
        assert_eq!(count("paused"), Some(1));
        // The deleted one does not count.
        assert_eq!(count("identified"), Some(0));
        assert_eq!(counts[3].label, "Firmada");
    }

    #[test]
    fn the_latest_records_are_the_newest_created() {
        let snapshot = Snapshot::read(&roundtable(), 1);
        let latest: Vec<&str> = latest_records(&snapshot, 4)
            .into_iter()
            .map(|record| record.id.as_str())
            .collect();
        assert_eq!(latest.len(), 4);
        assert!(
            latest[..3].iter().all(|id| ["a1", "a2", "a3"].contains(id)),
            "{latest:?}"
        );
        assert!(["t1", "t2", "t3"].contains(&latest[3]), "{latest:?}");
    }

    #[test]
    fn times_read_as_people_say_them() {
        let minute = 60_000;
        assert_eq!(time_ago(10 * minute, 10 * minute, Language::English), "just now");
        assert_eq!(time_ago(10 * minute, 5 * minute, Language::Spanish), "hace 5 min");
        assert_eq!(time_ago(200 * minute, 0, Language::English), "3 h ago");
        assert_eq!(time_ago(1_500 * minute, 0, Language::Spanish), "hace 1 día");
        assert_eq!(time_ago(5_000 * minute, 0, Language::English), "3 days ago");
        // A clock behind the server's is not "in the future".
        assert_eq!(time_ago(0, minute, Language::English), "just now");
    }
}
