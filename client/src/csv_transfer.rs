//! The plain logic behind CSV export and import in the browser, on top of
//! `enlace_shared::csv_io`: the download's file name, the checks a chosen
//! file passes before it is parsed, the choices of the mapping step, and
//! what the preview and the summary show. No Leptos here, so native tests
//! cover all of it; `pages/csv_import.rs` and `components/csv_*.rs` draw it.

use std::collections::BTreeMap;

use enlace_shared::csv_io::{
    self, Column, CsvError, DuplicateChoice, DuplicateOf, ImportPlan, ImportSummary, RowAction, Table,
};
use enlace_shared::language::{Language, fold};
use enlace_shared::records::FieldValue;
use enlace_shared::schema::{self, Collection, FieldKind, FieldSpec};

use crate::history::HistoryFilters;
use crate::route::{HistoryScreen, Route};

/// The largest file the import reads (checked before reading it): 2,000
/// organisations with descriptions take a few hundred KB; beyond this the
/// browser would hold the file, the table and the plan for nothing.
pub const MAX_IMPORT_BYTES: f64 = 5.0 * 1024.0 * 1024.0;

/// Rows of the file drawn in the preview table (problems are all listed).
pub const PREVIEW_ROWS: usize = 20;

/// Likely duplicates offered one by one; the rest follow "merge all" /
/// "all as new" (thousands of selects would make the page sluggish).
pub const DUPLICATES_SHOWN: usize = 200;

/// Long texts are cut to this many characters in the preview table.
const PREVIEW_CHARS: usize = 80;

/// The download's name: the collection in the file's language, folded to
/// ASCII words joined by `-`, and the day (`organizaciones-2026-12-01.csv`).
pub fn export_file_name(collection: Collection, language: Language, today: &str) -> String {
    let folded = fold(collection.label(language));
    let words: Vec<&str> = folded
        .split(|character: char| !character.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .collect();
    format!("{}-{today}.csv", words.join("-"))
}

/// Why a chosen file is not read as a table.
#[derive(Debug, PartialEq, Eq)]
pub enum FileProblem {
    /// Larger than [`MAX_IMPORT_BYTES`] (its size in bytes).
    TooLarge {
        bytes: u64,
    },
    /// Not UTF-8 (a spreadsheet's "CSV" in a legacy encoding).
    NotUtf8,
    /// The browser could not read it.
    Unreadable,
    Csv(CsvError),
}

impl FileProblem {
    pub fn message(&self, language: Language) -> String {
        let megabytes = |bytes: f64| format!("{:.1} MB", bytes / (1024.0 * 1024.0));
        match (self, language) {
            (Self::TooLarge { bytes }, Language::Spanish) => format!(
                "El archivo ocupa {}; el máximo es {}. Divídalo en varios archivos.",
                megabytes(*bytes as f64),
                megabytes(MAX_IMPORT_BYTES)
            ),
            (Self::TooLarge { bytes }, Language::English) => format!(
                "The file is {}; the most is {}. Split it into several files.",
                megabytes(*bytes as f64),
                megabytes(MAX_IMPORT_BYTES)
            ),
            (Self::NotUtf8, Language::Spanish) => "El archivo no está en UTF-8. Guárdelo como «CSV UTF-8» \
                 en su hoja de cálculo y vuelva a elegirlo."
                .into(),
            (Self::NotUtf8, Language::English) => "The file is not UTF-8 text. Save it as “CSV UTF-8” \
                 in your spreadsheet program and choose it again."
                .into(),
            (Self::Unreadable, Language::Spanish) => "No se pudo leer el archivo.".into(),
            (Self::Unreadable, Language::English) => "The file could not be read.".into(),
            (Self::Csv(error), language) => error.message(language),
        }
    }
}

/// Whether a file of `bytes` may be read at all.
pub fn check_size(bytes: f64) -> Result<(), FileProblem> {
    if bytes > MAX_IMPORT_BYTES {
        return Err(FileProblem::TooLarge { bytes: bytes as u64 });
    }
    Ok(())
}

/// The file's bytes as a table: UTF-8 (with or without a byte-order
/// mark), then [`csv_io::parse`].
pub fn read_table(bytes: &[u8]) -> Result<Table, FileProblem> {
    check_size(bytes.len() as f64)?;
    let text = std::str::from_utf8(bytes).map_err(|_| FileProblem::NotUtf8)?;
    csv_io::parse(text).map_err(FileProblem::Csv)
}

/// What a column may be imported as, in the order the select offers them:
/// the record id, then each field (a reference field followed by its ids).
pub fn column_options(collection: Collection) -> Vec<Column> {
    let mut options = vec![Column::Id];
    for spec in collection.fields() {
        options.push(Column::Field(spec.key));
        if matches!(spec.kind, FieldKind::Reference(_) | FieldKind::References(_)) {
            options.push(Column::ReferenceIds(spec.key));
        }
    }
    options
}

/// A column choice as the value of an `<option>` (`""`: ignored).
pub fn column_value(column: Option<Column>) -> String {
    match column {
        None => String::new(),
        Some(Column::Id) => "id".to_owned(),
        Some(Column::Field(key)) => format!("field:{key}"),
        Some(Column::ReferenceIds(key)) => format!("ids:{key}"),
    }
}

/// The column an `<option>` value names, if `collection` offers it.
pub fn column_from_value(collection: Collection, value: &str) -> Option<Column> {
    column_options(collection)
        .into_iter()
        .find(|column| column_value(Some(*column)) == value)
}

/// How the select names a column choice.
pub fn column_label(collection: Collection, column: Column, language: Language) -> String {
    let label = |key: &'static str| collection.field(key).map_or(key, |spec| spec.label(language));
    match (column, language) {
        (Column::Id, Language::Spanish) => "Id del registro (actualiza el existente)".to_owned(),
        (Column::Id, Language::English) => "Record id (updates the existing record)".to_owned(),
        (Column::Field(key), _) => label(key).to_owned(),
        (Column::ReferenceIds(key), _) => format!("{} (id)", label(key)),
    }
}

/// Sets column `position` to `chosen`; a column that had the same choice
/// is set to "ignore" (the import reads one column per target).
pub fn choose_column(mapping: &mut [Option<Column>], position: usize, chosen: Option<Column>) {
    if chosen.is_some() {
        for (other, column) in mapping.iter_mut().enumerate() {
            if other != position && *column == chosen {
                *column = None;
            }
        }
    }
    if let Some(column) = mapping.get_mut(position) {
        *column = chosen;
    }
}

/// The required fields no column is mapped to (every row would fail them).
pub fn missing_required(collection: Collection, mapping: &[Option<Column>]) -> Vec<&'static FieldSpec> {
    collection
        .fields()
        .iter()
        .filter(|spec| {
            spec.required
                && !mapping.iter().any(|column| {
                    matches!(column, Some(Column::Field(key) | Column::ReferenceIds(key)) if *key == spec.key)
                })
        })
        .collect()
}

/// The rows an import would write: those without problems (new ones,
/// updates and merges alike).
pub fn importable_rows(plan: &ImportPlan) -> usize {
    let counts = plan.counts();
    counts.creates + counts.updates
}

/// A value of the plan as the preview shows it: choices by label,
/// references by title, lists joined, long texts cut.
pub fn value_text(
    spec: &FieldSpec,
    value: &FieldValue,
    language: Language,
    title: &dyn Fn(Collection, &str) -> String,
) -> String {
    let text = match (spec.kind, value) {
        (_, FieldValue::Text(text)) if text.is_empty() => String::new(),
        (FieldKind::Choice(choices), FieldValue::Text(slug)) => schema::choice_label(choices, slug, language),
        (FieldKind::Reference(target), FieldValue::Text(id)) => title(target, id),
        (FieldKind::References(target), FieldValue::List(ids)) => ids
            .iter()
            .map(|id| title(target, id))
            .collect::<Vec<_>>()
            .join(csv_io::LIST_SEPARATOR),
        (_, FieldValue::Text(text)) => text.clone(),
        (_, FieldValue::List(items)) => items.join(csv_io::LIST_SEPARATOR),
        (_, FieldValue::Flag(flag)) => match (flag, language) {
            (true, Language::Spanish) => "sí".to_owned(),
            (true, Language::English) => "yes".to_owned(),
            (false, _) => "no".to_owned(),
        },
        // Each item by its title sub-field (a reference by its record's title).
        (FieldKind::Items(shape), FieldValue::Items(items)) => {
            let kind = shape.field(shape.title_field).map(|field| field.kind);
            items
                .iter()
                .map(|item| {
                    let text = item.text(shape.title_field);
                    match kind {
                        Some(FieldKind::Reference(target)) if !text.is_empty() => title(target, text),
                        _ => text.to_owned(),
                    }
                })
                .collect::<Vec<_>>()
                .join(csv_io::LIST_SEPARATOR)
        }
        (_, FieldValue::Items(items)) => items.len().to_string(),
    };
    match text.char_indices().nth(PREVIEW_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// What a row of the preview table says it will do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowStatus {
    New,
    Update,
    Duplicate,
    Problem,
}

impl RowStatus {
    pub fn slug(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Update => "update",
            Self::Duplicate => "duplicate",
            Self::Problem => "problem",
        }
    }

    pub fn label(self, language: Language) -> &'static str {
        match (self, language) {
            (Self::New, Language::Spanish) => "nuevo",
            (Self::New, Language::English) => "new",
            (Self::Update, Language::Spanish) => "actualiza",
            (Self::Update, Language::English) => "update",
            (Self::Duplicate, Language::Spanish) => "posible duplicado",
            (Self::Duplicate, Language::English) => "likely duplicate",
            (Self::Problem, Language::Spanish) => "con problemas",
            (Self::Problem, Language::English) => "has problems",
        }
    }
}

/// One row of the preview table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewRow {
    pub line: usize,
    pub status: RowStatus,
    /// One cell per field of [`preview_fields`].
    pub cells: Vec<String>,
}

/// The fields the plan has values for, in the schema's order: the preview's columns.
pub fn preview_fields(plan: &ImportPlan) -> Vec<&'static FieldSpec> {
    let keys: Vec<&str> = plan
        .rows
        .first()
        .map(|row| row.values.iter().map(|(key, _)| *key).collect())
        .unwrap_or_default();
    plan.collection
        .fields()
        .iter()
        .filter(|spec| keys.contains(&spec.key))
        .collect()
}

/// The first [`PREVIEW_ROWS`] rows of the plan as the table shows them.
pub fn preview_rows(
    plan: &ImportPlan,
    language: Language,
    title: &dyn Fn(Collection, &str) -> String,
) -> Vec<PreviewRow> {
    let fields = preview_fields(plan);
    plan.rows
        .iter()
        .take(PREVIEW_ROWS)
        .map(|row| {
            let status = if !row.problems.is_empty() {
                RowStatus::Problem
            } else if !row.duplicates.is_empty() {
                RowStatus::Duplicate
            } else if matches!(row.action, RowAction::Update { .. }) {
                RowStatus::Update
            } else {
                RowStatus::New
            };
            let cells = fields
                .iter()
                .map(|spec| {
                    row.values
                        .iter()
                        .find(|(key, _)| *key == spec.key)
                        .map(|(_, value)| value_text(spec, value, language, title))
                        .unwrap_or_default()
                })
                .collect();
            PreviewRow {
                line: row.line,
                status,
                cells,
            }
        })
        .collect()
}

/// One line of the validation report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProblemLine {
    /// The row's line in the file (the header is line 1).
    pub line: usize,
    pub field: &'static str,
    /// The field's label and the reason, in the language.
    pub message: String,
}

/// Every problem of every row, in file order.
pub fn problem_lines(plan: &ImportPlan, language: Language) -> Vec<ProblemLine> {
    plan.rows
        .iter()
        .flat_map(|row| {
            row.problems.iter().map(|problem| ProblemLine {
                line: row.line,
                field: problem.field,
                message: problem.message(plan.collection, language),
            })
        })
        .collect()
}

/// What a likely duplicate would be merged into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeTarget {
    /// An existing record: its id and title.
    Existing { id: String, title: String },
    /// An earlier row of the file: its line.
    Row { line: usize },
}

/// A row offered for merging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateOffer {
    /// The row's index in the plan (the key of the choices).
    pub row: usize,
    pub line: usize,
    /// The row's title cell.
    pub title: String,
    /// The field it was found by (title or acronym) and its label.
    pub field_label: &'static str,
    pub target: MergeTarget,
}

/// The rows without problems that have likely duplicates, each with the
/// first of them (the one `apply_import` merges into).
pub fn duplicate_offers(
    plan: &ImportPlan,
    language: Language,
    title: &dyn Fn(Collection, &str) -> String,
) -> Vec<DuplicateOffer> {
    let collection = plan.collection;
    plan.rows
        .iter()
        .enumerate()
        .filter(|(_, row)| row.problems.is_empty())
        .filter_map(|(index, row)| {
            let first = row.duplicates.first()?;
            let target = match &first.of {
                DuplicateOf::Existing { id } => MergeTarget::Existing {
                    id: id.clone(),
                    title: title(collection, id),
                },
                DuplicateOf::Row { index } => MergeTarget::Row {
                    line: plan.rows.get(*index).map_or(0, |row| row.line),
                },
            };
            let row_title = row
                .values
                .iter()
                .find(|(key, _)| *key == collection.title_field())
                .and_then(|(_, value)| match value {
                    FieldValue::Text(text) => Some(text.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            Some(DuplicateOffer {
                row: index,
                line: row.line,
                title: row_title,
                field_label: collection
                    .field(first.field)
                    .map_or(first.field, |spec| spec.label(language)),
                target,
            })
        })
        .collect()
}

/// Every offer set to `choice` (the "merge all" / "all as new" buttons).
pub fn choose_all(offers: &[DuplicateOffer], choice: DuplicateChoice) -> BTreeMap<usize, DuplicateChoice> {
    offers.iter().map(|offer| (offer.row, choice)).collect()
}

/// The summary's lines: what was written, then what was left out, each
/// `(slug, label, count)`; zero counts other than "created" are left out.
pub fn summary_lines(
    summary: &ImportSummary,
    language: Language,
) -> Vec<(&'static str, &'static str, usize)> {
    let spanish = language == Language::Spanish;
    let lines = [
        (
            "created",
            if spanish { "creados" } else { "created" },
            summary.created,
        ),
        (
            "updated",
            if spanish { "actualizados" } else { "updated" },
            summary.updated,
        ),
        (
            "merged",
            if spanish {
                "filas fusionadas con un registro"
            } else {
                "rows merged into a record"
            },
            summary.merged,
        ),
        (
            "unchanged",
            if spanish { "sin cambios" } else { "unchanged" },
            summary.unchanged,
        ),
        (
            "skipped-problems",
            if spanish {
                "filas omitidas por problemas"
            } else {
                "rows skipped for problems"
            },
            summary.skipped_problems,
        ),
        (
            "skipped-duplicates",
            if spanish {
                "duplicados omitidos"
            } else {
                "duplicates skipped"
            },
            summary.skipped_duplicates,
        ),
    ];
    lines
        .into_iter()
        .filter(|(slug, _, count)| *slug == "created" || *count > 0)
        .collect()
}

/// The History showing the import: the person's changes to the collection
/// today (`today` in the reader's time zone, as the History's days are).
pub fn history_route(person_id: &str, collection: Collection, today: &str) -> Route {
    Route::History(HistoryScreen::Timeline(HistoryFilters {
        person: person_id.to_owned(),
        collection: Some(collection),
        from: today.to_owned(),
        to: today.to_owned(),
        ..HistoryFilters::default()
    }))
}

#[cfg(test)]
mod tests {
    use automerge::Automerge;
    use enlace_shared::csv_io::{plan_import, suggest_mapping};
    use enlace_shared::model::{self, Authorship};
    use enlace_shared::records::{self, Initial};

    use super::*;

    const AUTHOR: Authorship<'static> = Authorship {
        now_ms: 1_700_000_000_000,
        author: "Prueba",
    };

    fn workspace_with_oit() -> (Automerge, String) {
        let mut document = Automerge::new();
        model::create_workspace(&mut document, "Mesa", 0).expect("workspace");
        let id = "a".repeat(32);
        records::create_record(
            &mut document,
            Collection::Organisations,
            &id,
            &[
                (
                    "name",
                    Initial::Text("Organización Internacional del Trabajo".into()),
                ),
                ("kind", Initial::Text("un_entity".into())),
                ("acronym", Initial::Text("OIT".into())),
            ],
            &AUTHOR,
        )
        .expect("record");
        (document, id)
    }

    fn plan_of(document: &Automerge, text: &str) -> ImportPlan {
        let table = read_table(text.as_bytes()).expect("table");
        let mapping = suggest_mapping(&table.headers, Collection::Organisations);
        plan_import(document, &table, &mapping, Collection::Organisations)
    }

    #[test]
    fn file_names_fold_the_collection_label() {
        assert_eq!(
            export_file_name(Collection::Organisations, Language::Spanish, "2026-12-01"),
            "organizaciones-2026-12-01.csv"
        );
        assert_eq!(
            export_file_name(Collection::Alliances, Language::Spanish, "2026-12-01"),
            "alianzas-con-el-sector-privado-2026-12-01.csv"
        );
        assert_eq!(
            export_file_name(Collection::ActionItems, Language::English, "2027-01-31"),
            "action-items-2027-01-31.csv"
        );
    }

    #[test]
    fn files_too_large_or_not_utf8_are_refused_with_a_reason() {
        assert_eq!(
            check_size(MAX_IMPORT_BYTES + 1.0),
            Err(FileProblem::TooLarge {
                bytes: MAX_IMPORT_BYTES as u64 + 1
            })
        );
        assert_eq!(check_size(MAX_IMPORT_BYTES), Ok(()));
        // "Organización" in Windows-1252: ó is one byte, 0xF3.
        let latin1 = b"Nombre,Tipo\nOrganizaci\xf3n,Academia\n";
        assert_eq!(read_table(latin1), Err(FileProblem::NotUtf8));
        assert!(FileProblem::NotUtf8.message(Language::Spanish).contains("UTF-8"));
        assert!(
            FileProblem::TooLarge {
                bytes: 7 * 1024 * 1024
            }
            .message(Language::English)
            .contains("7.0 MB")
        );
        assert_eq!(read_table(b""), Err(FileProblem::Csv(CsvError::Empty)));
        let table =
            read_table("\u{feff}Nombre;Tipo\nAECID;Agencia de cooperación\n".as_bytes()).expect("table");
        assert_eq!(table.headers, ["Nombre", "Tipo"]);
        assert_eq!(table.rows, [["AECID", "Agencia de cooperación"]]);
    }

    #[test]
    fn column_choices_round_trip_through_option_values() {
        let options = column_options(Collection::Contacts);
        assert!(options.contains(&Column::ReferenceIds("organisation")));
        assert!(!options.contains(&Column::ReferenceIds("name")));
        for column in options {
            assert_eq!(
                column_from_value(Collection::Contacts, &column_value(Some(column))),
                Some(column)
            );
        }
        assert_eq!(column_from_value(Collection::Contacts, ""), None);
        assert_eq!(column_from_value(Collection::Contacts, "field:nonsense"), None);
        assert_eq!(
            column_label(
                Collection::Contacts,
                Column::ReferenceIds("organisation"),
                Language::Spanish
            ),
            "Organización (id)"
        );
    }

    #[test]
    fn choosing_a_column_twice_moves_it() {
        let mut mapping = vec![Some(Column::Field("name")), None, Some(Column::Field("kind"))];
        choose_column(&mut mapping, 1, Some(Column::Field("name")));
        assert_eq!(
            mapping,
            [None, Some(Column::Field("name")), Some(Column::Field("kind"))]
        );
        choose_column(&mut mapping, 2, None);
        assert_eq!(mapping, [None, Some(Column::Field("name")), None]);
        assert_eq!(
            missing_required(Collection::Organisations, &mapping)
                .iter()
                .map(|spec| spec.key)
                .collect::<Vec<_>>(),
            ["kind"]
        );
    }

    #[test]
    fn the_preview_reports_problems_and_offers_duplicates() {
        let (document, oit) = workspace_with_oit();
        let plan = plan_of(
            &document,
            "Nombre,Siglas,Tipo,País\n\
             Fundación Semilla,FS,Academia,México\n\
             Ministerio X,MX,Ministerio,Chile\n\
             Organización Int. del Trabajo,oit,Entidad de la ONU,Suiza\n\
             Fundación  semilla,,academia,\n",
        );
        assert_eq!(importable_rows(&plan), 3);
        let titles = |_: Collection, id: &str| {
            if id == oit {
                "OIT (title)".to_owned()
            } else {
                id.to_owned()
            }
        };
        let rows = preview_rows(&plan, Language::English, &titles);
        assert_eq!(
            rows.iter().map(|row| (row.line, row.status)).collect::<Vec<_>>(),
            [
                (2, RowStatus::New),
                (3, RowStatus::Problem),
                (4, RowStatus::Duplicate),
                (5, RowStatus::Duplicate)
            ]
        );
        // Choices by label in the preview's language, whatever the file said.
        assert_eq!(rows[0].cells, ["Fundación Semilla", "FS", "Academia", "México"]);
        assert_eq!(rows[3].cells[2], "Academia");
        let problems = problem_lines(&plan, Language::English);
        assert_eq!(problems.len(), 1);
        assert_eq!((problems[0].line, problems[0].field), (3, "kind"));
        assert_eq!(
            problems[0].message,
            "Kind: “Ministerio” is not one of the choices."
        );
        let offers = duplicate_offers(&plan, Language::Spanish, &titles);
        assert_eq!(
            offers,
            [
                DuplicateOffer {
                    row: 2,
                    line: 4,
                    title: "Organización Int. del Trabajo".into(),
                    field_label: "Siglas",
                    target: MergeTarget::Existing {
                        id: oit.clone(),
                        title: "OIT (title)".into()
                    },
                },
                DuplicateOffer {
                    row: 3,
                    line: 5,
                    title: "Fundación  semilla".into(),
                    field_label: "Nombre",
                    target: MergeTarget::Row { line: 2 },
                },
            ]
        );
        assert_eq!(
            choose_all(&offers, DuplicateChoice::CreateNew),
            BTreeMap::from([(2, DuplicateChoice::CreateNew), (3, DuplicateChoice::CreateNew)])
        );
    }

    #[test]
    fn preview_values_are_shown_as_people_read_them() {
        let description = Collection::Organisations.field("description").expect("field");
        let long = "palabra ".repeat(30);
        let shown = value_text(
            description,
            &FieldValue::Text(long),
            Language::Spanish,
            &|_, id| id.to_owned(),
        );
        assert_eq!(shown.chars().count(), PREVIEW_CHARS + 1);
        assert!(shown.ends_with('…'));
        let focal = Collection::Contacts.field("focal_point_for").expect("field");
        let shown = value_text(
            focal,
            &FieldValue::List(vec!["l1".into(), "l2".into()]),
            Language::Spanish,
            &|_, id| format!("Línea {id}"),
        );
        assert_eq!(shown, "Línea l1; Línea l2");
    }

    #[test]
    fn the_summary_names_what_was_written_and_left_out() {
        let summary = ImportSummary {
            created: 2,
            merged: 1,
            updated: 1,
            skipped_problems: 1,
            ..ImportSummary::default()
        };
        assert_eq!(
            summary_lines(&summary, Language::English),
            [
                ("created", "created", 2),
                ("updated", "updated", 1),
                ("merged", "rows merged into a record", 1),
                ("skipped-problems", "rows skipped for problems", 1),
            ]
        );
        assert_eq!(
            history_route("u7", Collection::Organisations, "2026-12-01").href(),
            "#/history?person=u7&collection=organisations&from=2026-12-01&to=2026-12-01"
        );
    }
}
