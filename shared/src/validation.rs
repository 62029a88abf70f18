//! The rules a workspace should satisfy. The document can still hold a
//! state that breaks one (two people's concurrent edits merged), so the
//! rules report issues for the interface to show next to the field; they
//! never refuse to load anything.

use std::collections::HashMap;

use crate::language::{Bilingual, Language};
use crate::records::{FieldValue, Record};
use crate::schema::{Collection, FieldKind, FieldSpec, ORGANISATION_KINDS, choice_label};

/// What is wrong. Crosses message boundaries as [`WireProblem`], its
/// schema references written as keys and read back through the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A required field is empty.
    Required,
    /// Not a `YYYY-MM-DD` date.
    BadDate,
    /// Not a `HH:MM` time of day (00:00 to 23:59).
    BadTime,
    /// A link that is not `<collection key>/<record id>`.
    BadLink { link: String },
    /// `field` comes before `earlier_field` (e.g. an end before its start).
    DateOrder { earlier_field: &'static str },
    /// Another presidency term covers some of the same dates.
    OverlappingPresidency { other_id: String },
    /// The id points at no record.
    UnresolvedReference { id: String },
    /// The referenced organisation is not of an expected kind.
    WrongKind {
        id: String,
        expected: &'static [&'static str],
    },
    /// A sub-field of one item of an items field (reported on the items
    /// field, naming the item).
    InItem {
        item_id: String,
        /// The item's place in the list, from 0.
        position: usize,
        /// The item's title (a referenced record's title for a reference).
        title: String,
        sub_field: &'static FieldSpec,
        problem: Box<Problem>,
    },
}

/// [`Problem`] with owned strings where it holds the schema's own.
#[derive(serde::Serialize, serde::Deserialize)]
enum WireProblem {
    Required,
    BadDate,
    BadTime,
    BadLink {
        link: String,
    },
    DateOrder {
        earlier_field: String,
    },
    OverlappingPresidency {
        other_id: String,
    },
    UnresolvedReference {
        id: String,
    },
    WrongKind {
        id: String,
        expected: Vec<String>,
    },
    InItem {
        item_id: String,
        position: usize,
        title: String,
        /// The items' noun and the sub-field's key.
        noun: String,
        sub_field: String,
        problem: Box<WireProblem>,
    },
}

impl serde::Serialize for Problem {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        WireProblem::from(self.clone()).serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for Problem {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Self::try_from(WireProblem::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

impl From<Problem> for WireProblem {
    fn from(problem: Problem) -> Self {
        match problem {
            Problem::Required => Self::Required,
            Problem::BadDate => Self::BadDate,
            Problem::BadTime => Self::BadTime,
            Problem::BadLink { link } => Self::BadLink { link },
            Problem::DateOrder { earlier_field } => Self::DateOrder {
                earlier_field: earlier_field.to_owned(),
            },
            Problem::OverlappingPresidency { other_id } => Self::OverlappingPresidency { other_id },
            Problem::UnresolvedReference { id } => Self::UnresolvedReference { id },
            Problem::WrongKind { id, expected } => Self::WrongKind {
                id,
                expected: expected.iter().map(|kind| (*kind).to_owned()).collect(),
            },
            Problem::InItem {
                item_id,
                position,
                title,
                sub_field,
                problem,
            } => Self::InItem {
                item_id,
                position,
                title,
                noun: crate::schema::item_noun(sub_field).unwrap_or_default().to_owned(),
                sub_field: sub_field.key.to_owned(),
                problem: Box::new((*problem).into()),
            },
        }
    }
}

impl TryFrom<WireProblem> for Problem {
    type Error = String;

    fn try_from(wire: WireProblem) -> Result<Self, String> {
        Ok(match wire {
            WireProblem::Required => Self::Required,
            WireProblem::BadDate => Self::BadDate,
            WireProblem::BadTime => Self::BadTime,
            WireProblem::BadLink { link } => Self::BadLink { link },
            WireProblem::DateOrder { earlier_field } => Self::DateOrder {
                earlier_field: crate::schema::static_key(&earlier_field)
                    .ok_or_else(|| format!("no field `{earlier_field}` in the schema"))?,
            },
            WireProblem::OverlappingPresidency { other_id } => Self::OverlappingPresidency { other_id },
            WireProblem::UnresolvedReference { id } => Self::UnresolvedReference { id },
            WireProblem::WrongKind { id, expected } => Self::WrongKind {
                expected: crate::schema::static_kinds(&expected)
                    .ok_or_else(|| format!("no rule expects kinds {expected:?}"))?,
                id,
            },
            WireProblem::InItem {
                item_id,
                position,
                title,
                noun,
                sub_field,
                problem,
            } => Self::InItem {
                sub_field: crate::schema::item_sub_field(&noun, &sub_field)
                    .ok_or_else(|| format!("no sub-field `{sub_field}` of {noun} items"))?,
                problem: Box::new((*problem).try_into()?),
                item_id,
                position,
                title,
            },
        })
    }
}

/// One issue of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub collection: Collection,
    pub record_id: String,
    /// The field the issue belongs next to.
    pub field: &'static str,
    pub problem: Problem,
}

impl Issue {
    /// The message shown next to the field.
    pub fn message(&self, language: Language) -> String {
        let words = |es: &'static str, en: &'static str| Bilingual::new(es, en).get(language).to_owned();
        match &self.problem {
            Problem::Required => words("Este campo es obligatorio.", "This field is required."),
            Problem::BadDate => words("Fecha no válida (AAAA-MM-DD).", "Not a valid date (YYYY-MM-DD)."),
            Problem::BadTime => words("Hora no válida (HH:MM).", "Not a valid time (HH:MM)."),
            Problem::BadLink { link } => match language {
                Language::Spanish => format!("Vínculo no válido: «{link}»."),
                Language::English => format!("Not a valid link: “{link}”."),
            },
            Problem::DateOrder { .. } => words(
                "La fecha final es anterior a la inicial.",
                "The end date is before the start date.",
            ),
            Problem::OverlappingPresidency { .. } => words(
                "Otra presidencia cubre parte de estas fechas: solo puede haber una presidencia a la vez.",
                "Another presidency term covers some of these dates: there is one presidency at a time.",
            ),
            Problem::UnresolvedReference { .. } => words(
                "El registro referido no existe.",
                "The referenced record does not exist.",
            ),
            Problem::InItem {
                position,
                title,
                sub_field,
                problem,
                ..
            } => {
                let inner = Issue {
                    problem: (**problem).clone(),
                    ..self.clone()
                };
                let title = if title.is_empty() {
                    String::new()
                } else {
                    match language {
                        Language::Spanish => format!(" («{title}»)"),
                        Language::English => format!(" (“{title}”)"),
                    }
                };
                let item = words("Elemento", "Item");
                format!(
                    "{item} {}{title}, {}: {}",
                    position + 1,
                    sub_field.label(language),
                    inner.message(language)
                )
            }
            Problem::WrongKind { expected, .. } => {
                let kinds: Vec<String> = expected
                    .iter()
                    .map(|slug| choice_label(ORGANISATION_KINDS, slug, language))
                    .collect();
                match language {
                    Language::Spanish => format!("Debe ser una organización de tipo {}.", kinds.join(" o ")),
                    Language::English => format!("Must be an organisation of kind {}.", kinds.join(" or ")),
                }
            }
        }
    }
}

/// True for a real calendar date written `YYYY-MM-DD`.
pub fn is_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let [year, month, day] = parts.as_slice() else {
        return false;
    };
    if year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return false;
    }
    let (Ok(year), Ok(month), Ok(day)) = (year.parse::<u32>(), month.parse::<u32>(), day.parse::<u32>())
    else {
        return false;
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// True for a time of day written `HH:MM`, 24-hour (00:00 to 23:59).
pub fn is_time(text: &str) -> bool {
    let Some((hours, minutes)) = text.split_once(':') else {
        return false;
    };
    let two_digits = |part: &str| part.len() == 2 && part.bytes().all(|byte| byte.is_ascii_digit());
    two_digits(hours)
        && two_digits(minutes)
        && hours.parse::<u8>().is_ok_and(|hours| hours < 24)
        && minutes.parse::<u8>().is_ok_and(|minutes| minutes < 60)
}

/// The collection and record id of a link `<collection key>/<record id>`.
pub fn parse_link(link: &str) -> Option<(Collection, &str)> {
    let (key, id) = link.split_once('/')?;
    let collection = Collection::from_key(key)?;
    (!id.is_empty() && !id.contains('/')).then_some((collection, id))
}

/// Kinds a reference field must point at, where the schema says so.
fn expected_kinds(collection: Collection, field: &str) -> Option<&'static [&'static str]> {
    collection
        .spec()
        .reference_kinds
        .iter()
        .find(|(key, _)| *key == field)
        .map(|(_, kinds)| *kinds)
}

/// Every record of a workspace, indexed for validation.
pub struct Index<'a> {
    by_id: HashMap<(Collection, &'a str), &'a Record>,
    presidencies: Vec<&'a Record>,
}

impl<'a> Index<'a> {
    pub fn new(records: impl IntoIterator<Item = &'a Record>) -> Self {
        let mut by_id = HashMap::new();
        let mut presidencies = Vec::new();
        for record in records {
            by_id.insert((record.collection, record.id.as_str()), record);
            if record.collection == Collection::PresidencyTerms && !record.deleted {
                presidencies.push(record);
            }
        }
        Self { by_id, presidencies }
    }

    pub fn get(&self, collection: Collection, id: &str) -> Option<&'a Record> {
        self.by_id.get(&(collection, id)).copied()
    }
}

/// The problems of one field's value (`None`: absent): required, dates,
/// times, references and links that resolve, reference kinds (`expected`,
/// where the schema asks for them). Items fields are checked by
/// [`item_problems`].
fn value_problems(
    spec: &FieldSpec,
    value: Option<&FieldValue>,
    expected: Option<&'static [&'static str]>,
    index: &Index<'_>,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    if spec.required && value.is_none_or(FieldValue::is_blank) {
        problems.push(Problem::Required);
    }
    let text = match value {
        Some(FieldValue::Text(text)) => text.trim(),
        _ => "",
    };
    let list = match value {
        Some(FieldValue::List(entries)) => entries.as_slice(),
        _ => &[],
    };
    match spec.kind {
        FieldKind::Date if !text.is_empty() && !is_date(text) => problems.push(Problem::BadDate),
        FieldKind::Time if !text.is_empty() && !is_time(text) => problems.push(Problem::BadTime),
        FieldKind::Reference(target) if !text.is_empty() => match index.get(target, text) {
            None => problems.push(Problem::UnresolvedReference { id: text.to_owned() }),
            Some(found) => {
                if let Some(expected) = expected
                    && !expected.contains(&found.text("kind"))
                {
                    problems.push(Problem::WrongKind {
                        id: text.to_owned(),
                        expected,
                    });
                }
            }
        },
        FieldKind::References(target) => {
            for id in list {
                if index.get(target, id).is_none() {
                    problems.push(Problem::UnresolvedReference { id: id.clone() });
                }
            }
        }
        FieldKind::Links => {
            for link in list {
                match parse_link(link) {
                    None => problems.push(Problem::BadLink { link: link.clone() }),
                    Some((target, id)) if index.get(target, id).is_none() => {
                        problems.push(Problem::UnresolvedReference { id: link.clone() });
                    }
                    Some(_) => {}
                }
            }
        }
        _ => {}
    }
    problems
}

/// The problems of the items of an items field, each naming its item.
fn item_problems(spec: &FieldSpec, value: Option<&FieldValue>, index: &Index<'_>) -> Vec<Problem> {
    let (FieldKind::Items(shape), Some(FieldValue::Items(items))) = (spec.kind, value) else {
        return Vec::new();
    };
    let mut problems = Vec::new();
    for (position, item) in items.iter().enumerate() {
        let mut title = item.text(shape.title_field).trim().to_owned();
        if let Some(FieldKind::Reference(target)) = shape.field(shape.title_field).map(|title| title.kind)
            && let Some(found) = index.get(target, &title)
        {
            title = found.title().to_owned();
        }
        for sub_field in shape.fields {
            for problem in value_problems(sub_field, item.fields.get(sub_field.key), None, index) {
                problems.push(Problem::InItem {
                    item_id: item.id.clone(),
                    position,
                    title: title.clone(),
                    sub_field,
                    problem: Box::new(problem),
                });
            }
        }
    }
    problems
}

/// The issues of one record.
pub fn validate(record: &Record, index: &Index<'_>) -> Vec<Issue> {
    let mut issues = Vec::new();
    let mut push = |field: &'static str, problem: Problem| {
        issues.push(Issue {
            collection: record.collection,
            record_id: record.id.clone(),
            field,
            problem,
        });
    };
    for spec in record.collection.fields() {
        let value = record.fields.get(spec.key);
        let expected = expected_kinds(record.collection, spec.key);
        for problem in value_problems(spec, value, expected, index) {
            push(spec.key, problem);
        }
        for problem in item_problems(spec, value, index) {
            push(spec.key, problem);
        }
    }
    for (start, end) in record.collection.spec().date_order {
        let (from, to) = (record.text(start), record.text(end));
        if is_date(from) && is_date(to) && to < from {
            push(end, Problem::DateOrder { earlier_field: start });
        }
    }
    if record.collection == Collection::PresidencyTerms && !record.deleted {
        let (start, end) = (record.text("start"), record.text("end"));
        if is_date(start) && is_date(end) {
            for other in &index.presidencies {
                let (other_start, other_end) = (other.text("start"), other.text("end"));
                if other.id != record.id
                    && is_date(other_start)
                    && is_date(other_end)
                    && start <= other_end
                    && other_start <= end
                {
                    push(
                        "start",
                        Problem::OverlappingPresidency {
                            other_id: other.id.clone(),
                        },
                    );
                }
            }
        }
    }
    issues
}

/// The issues of every non-deleted record.
pub fn validate_all<'a>(records: impl IntoIterator<Item = &'a Record> + Clone) -> Vec<Issue> {
    let index = Index::new(records.clone());
    records
        .into_iter()
        .filter(|record| !record.deleted)
        .flat_map(|record| validate(record, &index))
        .collect()
}
