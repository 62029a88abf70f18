//! CSV in and out, for every collection: export, parsing, column mapping, an
//! import plan (values, problems, likely duplicates; nothing written) and the
//! import itself as one change. `docs/schema.md` ("CSV") describes the
//! format for people. The `csv` crate does the quoting and parsing.
//!
//! Pure like the rest of this crate: fresh ids come from the caller.

use std::collections::{BTreeMap, HashMap};

use automerge::transaction::Transactable as _;
use automerge::{Automerge, ObjType, ROOT, ReadDoc as _, ScalarValue};

use crate::language::{Bilingual, Language, fold};
use crate::model::{Authorship, DocRead, ModelError, object};
use crate::records::{self, FieldValue, Item, Record};
use crate::schema::{Collection, FieldKind, FieldSpec, ItemSpec};
use crate::validation::{self, Index, Problem};

/// The byte-order mark that makes spreadsheet programs read the file as UTF-8.
pub const BOM: char = '\u{feff}';

/// Separator of list items (references, strings) in one cell.
pub const LIST_SEPARATOR: &str = "; ";

/// Separator of an item's sub-fields (an alliance's commitment: `text |
/// due | done`); items are one per line of the cell.
pub const ITEM_SEPARATOR: &str = " | ";

/// The most data rows a file may have; beyond this `parse` refuses it.
pub const MAX_ROWS: usize = 20_000;

/// The most columns a file may have.
pub const MAX_COLUMNS: usize = 200;

/// The header of the record id column.
pub const ID_HEADER: &str = "id";

const ID_SUFFIX: &str = " (id)";

fn deleted_label() -> Bilingual {
    Bilingual::new("Eliminado", "Deleted")
}

fn flag_text(value: bool, language: Language) -> &'static str {
    match (value, language) {
        (true, Language::Spanish) => "sí",
        (true, Language::English) => "yes",
        (false, _) => "no",
    }
}

/// Reads a flag cell: sí/si/yes/y/s/true/1/x, or no/n/false/0/empty.
fn parse_flag(text: &str) -> Option<bool> {
    match fold(text).as_str() {
        "si" | "s" | "yes" | "y" | "true" | "1" | "x" | "verdadero" => Some(true),
        "no" | "n" | "false" | "0" | "" | "falso" => Some(false),
        _ => None,
    }
}

/// Fields written as titles with their ids in a column of their own.
fn is_reference(kind: FieldKind) -> bool {
    matches!(
        kind,
        FieldKind::Reference(_) | FieldKind::References(_) | FieldKind::Links
    )
}

/// A link (`<collection key>/<id>`) as a cell shows it: `<collection
/// label>: <record title>`, or the link itself when it names no record.
fn link_title(titles: &HashMap<(Collection, &str), String>, link: &str, language: Language) -> String {
    match validation::parse_link(link) {
        Some((target, id)) if titles.contains_key(&(target, id)) => {
            format!("{}: {}", target.label(language), title_of(titles, target, id))
        }
        _ => link.to_owned(),
    }
}

/// The header row of a collection's export, in `language`.
pub fn headers(collection: Collection, language: Language, include_deleted: bool) -> Vec<String> {
    let mut headers = vec![ID_HEADER.to_owned()];
    for spec in collection.fields() {
        headers.push(spec.label(language).to_owned());
        if is_reference(spec.kind) {
            headers.push(format!("{}{ID_SUFFIX}", spec.label(language)));
        }
    }
    if include_deleted {
        headers.push(deleted_label().get(language).to_owned());
    }
    headers
}

fn title_of(titles: &HashMap<(Collection, &str), String>, target: Collection, id: &str) -> String {
    titles.get(&(target, id)).cloned().unwrap_or_default()
}

/// The title each record of `all` is written as where a cell refers to
/// it: its title field, except in collections named by a reference (a
/// presidency term by its organisation), where it is the referenced
/// record's title followed by the record's date in parentheses
/// (`Embajada de España (2020-07-01)`), so that terms of one organisation
/// stay apart.
pub fn reference_titles(all: &[Record]) -> HashMap<(Collection, &str), String> {
    let own: HashMap<(Collection, &str), &str> = all
        .iter()
        .map(|record| ((record.collection, record.id.as_str()), record.title()))
        .collect();
    all.iter()
        .map(|record| {
            let collection = record.collection;
            let title = match collection.field(collection.title_field()).map(|spec| spec.kind) {
                Some(FieldKind::Reference(target)) => {
                    let named = own
                        .get(&(target, record.title()))
                        .copied()
                        .unwrap_or(record.title());
                    match collection.spec().sort_date.map(|date| record.text(date)) {
                        Some(date) if !date.is_empty() => format!("{named} ({date})"),
                        _ => named.to_owned(),
                    }
                }
                _ => record.title().to_owned(),
            };
            ((collection, record.id.as_str()), title)
        })
        .collect()
}

/// A sub-field's text in an item cell, with `\` written `\\`, a line
/// break `\n` and `|` `\|`, so that an item stays one line and its
/// sub-fields stay apart.
fn escape_part(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '\\' => escaped.push_str("\\\\"),
            '\n' => escaped.push_str("\\n"),
            '\r' => {}
            '|' => escaped.push_str("\\|"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// [`escape_part`] undone: `\\`, `\n` and `\|` read back; any other
/// backslash is kept as written.
fn unescape_part(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut characters = text.chars().peekable();
    while let Some(character) = characters.next() {
        let unescaped = match (character, characters.peek()) {
            ('\\', Some('\\')) => '\\',
            ('\\', Some('n')) => '\n',
            ('\\', Some('|')) => '|',
            (other, _) => {
                plain.push(other);
                continue;
            }
        };
        plain.push(unescaped);
        characters.next();
    }
    plain
}

/// The parts of an item line, split at each `|` not escaped by `\`,
/// trimmed and still escaped.
fn split_parts(line: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut escaped) = (0, false);
    for (position, character) in line.char_indices() {
        match character {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '|' => {
                parts.push(line[start..position].trim());
                start = position + 1;
            }
            _ => {}
        }
    }
    parts.push(line[start..].trim());
    parts
}

/// The cell of an items field: one item per line, its sub-fields in the
/// order of `shape` joined by [`ITEM_SEPARATOR`], each escaped
/// ([`escape_part`]): choices as labels, references as the titles of the
/// records (their ids when untitled or unknown), lists joined by
/// [`LIST_SEPARATOR`], flags as sí/no (yes/no). An alliance's commitments
/// come out as they always have: `text | due | done`.
pub fn item_cell(
    shape: &ItemSpec,
    items: &[Item],
    titles: &HashMap<(Collection, &str), String>,
    language: Language,
) -> String {
    let title = |target: Collection, id: &str| match title_of(titles, target, id) {
        title if title.is_empty() => id.to_owned(),
        title => title,
    };
    let part = |item: &Item, spec: &FieldSpec| match spec.kind {
        FieldKind::Choice(choices) => match item.text(spec.key) {
            "" => String::new(),
            slug => crate::schema::choice_label(choices, slug, language),
        },
        FieldKind::Reference(target) => match item.text(spec.key) {
            "" => String::new(),
            id => title(target, id),
        },
        FieldKind::References(target) => item
            .list(spec.key)
            .iter()
            .map(|id| title(target, id))
            .collect::<Vec<_>>()
            .join(LIST_SEPARATOR),
        FieldKind::Links => item
            .list(spec.key)
            .iter()
            .map(|link| link_title(titles, link, language))
            .collect::<Vec<_>>()
            .join(LIST_SEPARATOR),
        FieldKind::Strings => item.list(spec.key).join(LIST_SEPARATOR),
        FieldKind::Flag => flag_text(item.flag(spec.key), language).to_owned(),
        FieldKind::Items(_) => String::new(),
        FieldKind::Line | FieldKind::LongText | FieldKind::Date | FieldKind::Time => {
            item.text(spec.key).to_owned()
        }
    };
    items
        .iter()
        .map(|item| {
            shape
                .fields
                .iter()
                .map(|spec| escape_part(&part(item, spec)))
                .collect::<Vec<_>>()
                .join(ITEM_SEPARATOR)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The CSV of `records` of `collection`: a byte-order mark, the header row
/// ([`headers`]) and one row per record (deleted ones only if
/// `include_deleted`), in the order of [`records::read_all`]. References are
/// written as the titles of the records in `all` they point at, with their
/// ids in the column after; choices as their labels; flags as sí/no
/// (yes/no); lists joined by [`LIST_SEPARATOR`]; items one per line
/// ([`item_cell`]).
pub fn export(
    records: &[Record],
    collection: Collection,
    all: &[Record],
    language: Language,
    include_deleted: bool,
) -> String {
    let titles = reference_titles(all);
    let mut rows: Vec<Record> = records
        .iter()
        .filter(|record| record.collection == collection && (include_deleted || !record.deleted))
        .cloned()
        .collect();
    records::sort_records(&mut rows);
    let mut writer = csv::WriterBuilder::new().from_writer(Vec::new());
    // Writing into a Vec cannot fail.
    let _ = writer.write_record(headers(collection, language, include_deleted));
    for record in &rows {
        let mut cells = vec![record.id.clone()];
        for spec in collection.fields() {
            match spec.kind {
                FieldKind::Choice(choices) => {
                    let slug = record.text(spec.key);
                    cells.push(if slug.is_empty() {
                        String::new()
                    } else {
                        crate::schema::choice_label(choices, slug, language)
                    });
                }
                FieldKind::Reference(target) => {
                    let id = record.text(spec.key);
                    cells.push(title_of(&titles, target, id));
                    cells.push(id.to_owned());
                }
                FieldKind::References(target) => {
                    let ids = record.list(spec.key);
                    let names: Vec<String> = ids.iter().map(|id| title_of(&titles, target, id)).collect();
                    cells.push(names.join(LIST_SEPARATOR));
                    cells.push(ids.join(LIST_SEPARATOR));
                }
                FieldKind::Strings => cells.push(record.list(spec.key).join(LIST_SEPARATOR)),
                FieldKind::Flag => cells.push(flag_text(record.flag(spec.key), language).to_owned()),
                FieldKind::Line | FieldKind::LongText | FieldKind::Date | FieldKind::Time => {
                    cells.push(record.text(spec.key).to_owned());
                }
                FieldKind::Links => {
                    let links = record.list(spec.key);
                    let names: Vec<String> = links
                        .iter()
                        .map(|link| link_title(&titles, link, language))
                        .collect();
                    cells.push(names.join(LIST_SEPARATOR));
                    cells.push(links.join(LIST_SEPARATOR));
                }
                FieldKind::Items(shape) => {
                    cells.push(item_cell(shape, record.items(spec.key), &titles, language));
                }
            }
        }
        if include_deleted {
            cells.push(flag_text(record.deleted, language).to_owned());
        }
        let _ = writer.write_record(&cells);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    let mut text = String::with_capacity(bytes.len() + 3);
    text.push(BOM);
    text.push_str(&String::from_utf8_lossy(&bytes));
    text
}

/// A parsed CSV file: its header row and data rows (each as long as the header).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Why a file could not be read as a table.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CsvError {
    #[error("the file is empty")]
    Empty,
    #[error("the file has more than {MAX_ROWS} rows")]
    TooManyRows,
    #[error("the file has more than {MAX_COLUMNS} columns")]
    TooManyColumns,
    #[error("not a CSV file: {0}")]
    Malformed(String),
}

impl CsvError {
    pub fn message(&self, language: Language) -> String {
        match (self, language) {
            (Self::Empty, Language::Spanish) => "El archivo está vacío.".into(),
            (Self::Empty, Language::English) => "The file is empty.".into(),
            (Self::TooManyRows, Language::Spanish) => format!("El archivo tiene más de {MAX_ROWS} filas."),
            (Self::TooManyRows, Language::English) => format!("The file has more than {MAX_ROWS} rows."),
            (Self::TooManyColumns, Language::Spanish) => {
                format!("El archivo tiene más de {MAX_COLUMNS} columnas.")
            }
            (Self::TooManyColumns, Language::English) => {
                format!("The file has more than {MAX_COLUMNS} columns.")
            }
            (Self::Malformed(detail), Language::Spanish) => format!("No es un archivo CSV válido: {detail}"),
            (Self::Malformed(detail), Language::English) => format!("Not a valid CSV file: {detail}"),
        }
    }
}

/// The delimiter of a file: `;` (what spreadsheet programs write in Spanish
/// locales) if its first line has more semicolons than commas outside
/// quotes, else `,`.
fn sniff_delimiter(text: &str) -> u8 {
    let (mut commas, mut semicolons, mut quoted) = (0usize, 0usize, false);
    for character in text.chars() {
        match character {
            '"' => quoted = !quoted,
            ',' if !quoted => commas += 1,
            ';' if !quoted => semicolons += 1,
            '\n' if !quoted => break,
            _ => {}
        }
    }
    if semicolons > commas { b';' } else { b',' }
}

/// Reads a CSV file (with or without a byte-order mark; comma or semicolon
/// separated): the header row and the data rows, short rows padded with
/// empty cells, long ones cut to the header, blank rows dropped.
pub fn parse(text: &str) -> Result<Table, CsvError> {
    let text = text.strip_prefix(BOM).unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sniff_delimiter(text))
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let headers: Vec<String> = match records.next() {
        None => return Err(CsvError::Empty),
        Some(row) => row
            .map_err(|error| CsvError::Malformed(error.to_string()))?
            .iter()
            .map(|cell| cell.trim().to_owned())
            .collect(),
    };
    if headers.len() > MAX_COLUMNS {
        return Err(CsvError::TooManyColumns);
    }
    let mut rows = Vec::new();
    for row in records {
        let row = row.map_err(|error| CsvError::Malformed(error.to_string()))?;
        if row.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        if rows.len() == MAX_ROWS {
            return Err(CsvError::TooManyRows);
        }
        let mut cells: Vec<String> = row.iter().take(headers.len()).map(str::to_owned).collect();
        cells.resize(headers.len(), String::new());
        rows.push(cells);
    }
    Ok(Table { headers, rows })
}

/// What a column of a file is imported as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Column {
    /// The record id: a row whose id names an existing record updates it.
    Id,
    /// A field (for references: the titles of the records referred to).
    Field(#[serde(with = "crate::schema::serde_keys::key")] crate::schema::StaticKey),
    /// The ids of the records a reference field refers to.
    ReferenceIds(#[serde(with = "crate::schema::serde_keys::key")] crate::schema::StaticKey),
}

/// A column for each header: the record id (`id`), a field (its label in
/// either language, or its key), or the ids of a reference field
/// (`<label> (id)`, `<key> (id)`). Case, accents and spacing are ignored;
/// unknown headers and a second column for the same target get `None`.
pub fn suggest_mapping(headers: &[String], collection: Collection) -> Vec<Option<Column>> {
    let mut names: Vec<(String, Column)> = vec![(ID_HEADER.to_owned(), Column::Id)];
    for spec in collection.fields() {
        for name in [spec.key, spec.label.es, spec.label.en] {
            names.push((fold(name), Column::Field(spec.key)));
            if is_reference(spec.kind) {
                names.push((
                    fold(&format!("{name}{ID_SUFFIX}")),
                    Column::ReferenceIds(spec.key),
                ));
            }
        }
    }
    let mut taken: Vec<Column> = Vec::new();
    headers
        .iter()
        .map(|header| {
            let header = fold(header);
            let column = names
                .iter()
                .find(|(name, _)| *name == header)
                .map(|(_, column)| *column)?;
            if taken.contains(&column) {
                return None;
            }
            taken.push(column);
            Some(column)
        })
        .collect()
}

/// What is wrong with one cell of a row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ImportProblem {
    /// Not one of the field's choices (by slug or label, in either language).
    UnknownChoice { text: String },
    /// No record of the referenced collection has this id or title.
    ReferenceNotFound { text: String },
    /// Several records of the referenced collection have this title.
    AmbiguousReference { text: String, ids: Vec<String> },
    /// Not sí/no, yes/no.
    BadFlag { text: String },
    /// An item line that does not have a part for each sub-field
    /// (`text | due | done` for a commitment), or whose choice or flag
    /// part is not one.
    BadItem { text: String },
    /// A presidency term overlapping the one of an earlier row of the file
    /// (its index in [`ImportPlan::rows`]): one presidency at a time.
    OverlapsRow { index: usize },
    /// A rule of [`crate::validation`] (required, dates, kinds…).
    Invalid(Problem),
}

/// The form of an item line of `field`: its sub-fields' labels joined by
/// [`ITEM_SEPARATOR`] (`Compromiso | Fecha límite | Cumplido`).
fn item_form(collection: Collection, field: &str, language: Language) -> String {
    match collection.field(field).map(|spec| spec.kind) {
        Some(FieldKind::Items(shape)) => shape
            .fields
            .iter()
            .map(|spec| spec.label(language))
            .collect::<Vec<_>>()
            .join(ITEM_SEPARATOR),
        _ => String::new(),
    }
}

/// One problem of one row, next to its field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RowProblem {
    #[serde(with = "crate::schema::serde_keys::key")]
    pub field: crate::schema::StaticKey,
    pub problem: ImportProblem,
}

impl RowProblem {
    /// The message of the validation report.
    pub fn message(&self, collection: Collection, language: Language) -> String {
        let label = collection
            .field(self.field)
            .map_or(self.field, |spec| spec.label(language));
        let detail = match (&self.problem, language) {
            (ImportProblem::UnknownChoice { text }, Language::Spanish) => {
                format!("«{text}» no es una de las opciones.")
            }
            (ImportProblem::UnknownChoice { text }, Language::English) => {
                format!("“{text}” is not one of the choices.")
            }
            (ImportProblem::ReferenceNotFound { text }, Language::Spanish) => {
                format!("No se encuentra «{text}».")
            }
            (ImportProblem::ReferenceNotFound { text }, Language::English) => {
                format!("“{text}” was not found.")
            }
            (ImportProblem::AmbiguousReference { text, ids }, Language::Spanish) => {
                format!(
                    "Hay {} registros llamados «{text}»: use la columna de id.",
                    ids.len()
                )
            }
            (ImportProblem::AmbiguousReference { text, ids }, Language::English) => {
                format!("{} records are called “{text}”: use the id column.", ids.len())
            }
            (ImportProblem::BadFlag { text }, Language::Spanish) => format!("«{text}» no es sí o no."),
            (ImportProblem::BadFlag { text }, Language::English) => format!("“{text}” is not yes or no."),
            (ImportProblem::BadItem { text }, Language::Spanish) => {
                format!(
                    "«{text}» no es «{}».",
                    item_form(collection, self.field, language)
                )
            }
            (ImportProblem::BadItem { text }, Language::English) => {
                format!(
                    "“{text}” is not “{}”.",
                    item_form(collection, self.field, language)
                )
            }
            (ImportProblem::OverlapsRow { .. }, Language::Spanish) => {
                "Se superpone con otra presidencia de este archivo: solo puede haber una a la vez.".into()
            }
            (ImportProblem::OverlapsRow { .. }, Language::English) => {
                "Overlaps another presidency term of this file: there is one at a time.".into()
            }
            (ImportProblem::Invalid(problem), _) => validation::Issue {
                collection,
                record_id: String::new(),
                field: self.field,
                problem: problem.clone(),
            }
            .message(language),
        };
        format!("{label}: {detail}")
    }
}

/// What a row does if imported.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RowAction {
    /// Creates a new record.
    Create,
    /// Updates the existing record with the row's id: every mapped column is
    /// written, an empty cell clears its field.
    Update { id: String },
}

/// A record the row probably repeats.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DuplicateOf {
    /// An existing record.
    Existing { id: String },
    /// An earlier row of the file (its index in [`ImportPlan::rows`]).
    Row { index: usize },
}

/// A likely duplicate and the field it was found by.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Duplicate {
    pub of: DuplicateOf,
    /// `name`/`title` (the collection's title field) or `acronym`.
    #[serde(with = "crate::schema::serde_keys::key")]
    pub field: crate::schema::StaticKey,
}

/// One row of the file, as it would be imported.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PlannedRow {
    /// The row's line in the file, counting the header as line 1 (a cell
    /// spanning lines makes later rows' lines differ from this).
    pub line: usize,
    pub action: RowAction,
    /// The values it would write, for the mapped fields (ids for references;
    /// items without ids: they get theirs on import).
    #[serde(with = "crate::schema::serde_keys::pairs")]
    pub values: Vec<(&'static str, FieldValue)>,
    pub problems: Vec<RowProblem>,
    /// For new records only: existing records or earlier rows with the same
    /// title or acronym (case and accents ignored).
    pub duplicates: Vec<Duplicate>,
}

/// The whole import, before anything is written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImportPlan {
    pub collection: Collection,
    pub rows: Vec<PlannedRow>,
}

/// The counts of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PlanCounts {
    pub rows: usize,
    pub creates: usize,
    pub updates: usize,
    pub with_problems: usize,
    pub with_duplicates: usize,
}

impl ImportPlan {
    pub fn counts(&self) -> PlanCounts {
        let mut counts = PlanCounts {
            rows: self.rows.len(),
            ..PlanCounts::default()
        };
        for row in &self.rows {
            if !row.problems.is_empty() {
                counts.with_problems += 1;
                continue;
            }
            match row.action {
                RowAction::Create => counts.creates += 1,
                RowAction::Update { .. } => counts.updates += 1,
            }
            if !row.duplicates.is_empty() {
                counts.with_duplicates += 1;
            }
        }
        counts
    }
}

/// Records by folded title, per collection: how references written as
/// titles are resolved and duplicates found.
struct Titles<'a> {
    by_title: HashMap<(Collection, String), Vec<&'a str>>,
    /// Organisations by folded acronym, for references no title matches.
    by_acronym: HashMap<String, Vec<&'a str>>,
}

impl<'a> Titles<'a> {
    fn new(records: &'a [Record]) -> Self {
        let mut by_title: HashMap<(Collection, String), Vec<&'a str>> = HashMap::new();
        let mut by_acronym: HashMap<String, Vec<&'a str>> = HashMap::new();
        let titles = reference_titles(records);
        for record in records.iter().filter(|record| !record.deleted) {
            let acronym = fold(record.text("acronym"));
            if record.collection == Collection::Organisations && !acronym.is_empty() {
                by_acronym.entry(acronym).or_default().push(record.id.as_str());
            }
            let title = fold(&title_of(&titles, record.collection, &record.id));
            if !title.is_empty() {
                by_title
                    .entry((record.collection, title))
                    .or_default()
                    .push(record.id.as_str());
            }
        }
        Self { by_title, by_acronym }
    }

    /// The records of `collection` titled `title`; for organisations, if
    /// none is, those with `title` as their acronym.
    fn find(&self, collection: Collection, title: &str) -> &[&'a str] {
        let folded = fold(title);
        match self.by_title.get(&(collection, folded.clone())) {
            Some(found) => found,
            None if collection == Collection::Organisations => {
                self.by_acronym.get(&folded).map_or(&[], Vec::as_slice)
            }
            None => &[],
        }
    }
}

fn split_list(text: &str) -> Vec<String> {
    text.split(';')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Resolves one reference: its id if it names a record of `target`, else
/// its title if exactly one record has it (for organisations, else their
/// acronym).
fn resolve(
    index: &Index<'_>,
    titles: &Titles<'_>,
    target: Collection,
    title: Option<&str>,
    id: Option<&str>,
) -> Result<String, ImportProblem> {
    if let Some(id) = id.filter(|id| index.get(target, id).is_some()) {
        return Ok(id.to_owned());
    }
    let text = title.filter(|title| !title.is_empty()).or(id).unwrap_or_default();
    match titles.find(target, text) {
        [one] => Ok((*one).to_owned()),
        [] => Err(ImportProblem::ReferenceNotFound {
            text: text.to_owned(),
        }),
        many => Err(ImportProblem::AmbiguousReference {
            text: text.to_owned(),
            ids: many.iter().map(|id| (*id).to_owned()).collect(),
        }),
    }
}

/// Reads an items cell ([`item_cell`]'s format): one item per non-empty
/// line, with a part for each sub-field of `shape` in its order; extra
/// unescaped `|` belong to the first sub-field (as in commitments written
/// before `|` was escaped). Choices by slug or label, flags as sí/no,
/// references by title or id. Items come without ids (an import gives
/// them theirs). The first line that does not read is the problem.
/// Resolves one link: `link` if it names a record (`<collection key>/<id>`),
/// else `title` as `<collection label or key>: <record title or id>` (or
/// itself a link), the record found as [`resolve`] finds references.
fn resolve_link(
    index: &Index<'_>,
    titles: &Titles<'_>,
    title: Option<&str>,
    link: Option<&str>,
) -> Result<String, ImportProblem> {
    let names_a_record =
        |link: &str| validation::parse_link(link).is_some_and(|(target, id)| index.get(target, id).is_some());
    if let Some(link) = link.map(str::trim).filter(|link| names_a_record(link)) {
        return Ok(link.to_owned());
    }
    let text = title
        .map(str::trim)
        .filter(|title| !title.is_empty())
        .or(link)
        .unwrap_or_default();
    if names_a_record(text) {
        return Ok(text.to_owned());
    }
    let not_found = || ImportProblem::ReferenceNotFound {
        text: text.to_owned(),
    };
    let (label, title) = text.split_once(':').ok_or_else(not_found)?;
    let label = fold(label);
    let target = Collection::ALL
        .into_iter()
        .find(|collection| {
            let spec = collection.spec();
            [spec.key, spec.label.es, spec.label.en]
                .iter()
                .any(|name| fold(name) == label)
        })
        .ok_or_else(not_found)?;
    let title = title.trim();
    let id = resolve(index, titles, target, Some(title), Some(title))?;
    Ok(format!("{}/{id}", target.key()))
}

fn parse_items(
    shape: &ItemSpec,
    text: &str,
    index: &Index<'_>,
    titles: &Titles<'_>,
) -> Result<Vec<Item>, ImportProblem> {
    let count = shape.fields.len();
    let mut items = Vec::new();
    for line in text.lines().map(str::trim).filter(|line| !line.is_empty()) {
        let bad = || ImportProblem::BadItem {
            text: line.to_owned(),
        };
        let parts = split_parts(line);
        if parts.len() < count {
            return Err(bad());
        }
        let extra = parts.len() - count;
        let first = parts[..=extra].join(ITEM_SEPARATOR);
        let values = std::iter::once(first.as_str()).chain(parts[extra + 1..].iter().copied());
        let mut item = Item::default();
        for (spec, part) in shape.fields.iter().zip(values) {
            let plain = unescape_part(part);
            let value = match spec.kind {
                FieldKind::Items(_) => continue,
                FieldKind::Flag => FieldValue::Flag(parse_flag(&plain).ok_or_else(bad)?),
                FieldKind::Choice(choices) => FieldValue::Text(match fold(&plain) {
                    wanted if wanted.is_empty() => String::new(),
                    wanted => choices
                        .iter()
                        .find(|choice| {
                            [choice.slug, choice.label.es, choice.label.en]
                                .iter()
                                .any(|name| fold(name) == wanted)
                        })
                        .ok_or_else(bad)?
                        .slug
                        .to_owned(),
                }),
                FieldKind::Reference(target) if !plain.is_empty() => {
                    FieldValue::Text(resolve(index, titles, target, Some(&plain), Some(&plain))?)
                }
                FieldKind::References(target) => FieldValue::List(
                    split_list(&plain)
                        .iter()
                        .map(|entry| resolve(index, titles, target, Some(entry), Some(entry)))
                        .collect::<Result<_, _>>()?,
                ),
                FieldKind::Links => FieldValue::List(
                    split_list(&plain)
                        .iter()
                        .map(|entry| resolve_link(index, titles, Some(entry), Some(entry)))
                        .collect::<Result<_, _>>()?,
                ),
                FieldKind::Strings => FieldValue::List(split_list(&plain)),
                FieldKind::LongText => FieldValue::Text(plain),
                _ => FieldValue::Text(plain.trim().to_owned()),
            };
            item.fields.insert(spec.key, value);
        }
        items.push(item);
    }
    Ok(items)
}

/// The cells of one row for one field: the field's own column and, for
/// references, its id column (`None`: not mapped).
struct Cells<'a> {
    value: Option<&'a str>,
    ids: Option<&'a str>,
}

/// Reads one field of a row into the value it would write.
fn read_cells(
    spec: &FieldSpec,
    cells: &Cells<'_>,
    index: &Index<'_>,
    titles: &Titles<'_>,
    problems: &mut Vec<RowProblem>,
) -> FieldValue {
    let mut problem = |problem| {
        problems.push(RowProblem {
            field: spec.key,
            problem,
        });
    };
    let text = cells.value.unwrap_or_default();
    match spec.kind {
        FieldKind::Line | FieldKind::Date | FieldKind::Time => FieldValue::Text(text.trim().to_owned()),
        FieldKind::Links => {
            let mut names = cells.value.map(split_list).unwrap_or_default();
            let links = cells.ids.map(split_list).unwrap_or_default();
            // As for references: titles count only if they pair up with links.
            if !links.is_empty() && names.len() != links.len() {
                names.clear();
            }
            let mut resolved = Vec::new();
            for position in 0..names.len().max(links.len()) {
                match resolve_link(
                    index,
                    titles,
                    names.get(position).map(String::as_str),
                    links.get(position).map(String::as_str),
                ) {
                    Ok(link) => resolved.push(link),
                    Err(found) => problem(found),
                }
            }
            FieldValue::List(resolved)
        }
        FieldKind::Items(shape) => match parse_items(shape, text, index, titles) {
            Ok(items) => FieldValue::Items(items),
            Err(found) => {
                problem(found);
                FieldValue::Items(Vec::new())
            }
        },
        FieldKind::LongText => FieldValue::Text(text.to_owned()),
        FieldKind::Choice(choices) => {
            let wanted = fold(text);
            if wanted.is_empty() {
                return FieldValue::Text(String::new());
            }
            match choices.iter().find(|choice| {
                [choice.slug, choice.label.es, choice.label.en]
                    .iter()
                    .any(|name| fold(name) == wanted)
            }) {
                Some(choice) => FieldValue::Text(choice.slug.to_owned()),
                None => {
                    problem(ImportProblem::UnknownChoice {
                        text: text.trim().to_owned(),
                    });
                    FieldValue::Text(String::new())
                }
            }
        }
        FieldKind::Reference(target) => {
            let (title, id) = (text.trim(), cells.ids.unwrap_or_default().trim());
            if title.is_empty() && id.is_empty() {
                return FieldValue::Text(String::new());
            }
            match resolve(
                index,
                titles,
                target,
                Some(title),
                Some(id).filter(|id| !id.is_empty()),
            ) {
                Ok(id) => FieldValue::Text(id),
                Err(found) => {
                    problem(found);
                    FieldValue::Text(String::new())
                }
            }
        }
        FieldKind::References(target) => {
            let mut names = cells.value.map(split_list).unwrap_or_default();
            let ids = cells.ids.map(split_list).unwrap_or_default();
            // With ids given, titles count only if they pair up with them
            // (a title holding `;` splits in two and would shift the rest).
            if !ids.is_empty() && names.len() != ids.len() {
                names.clear();
            }
            let count = names.len().max(ids.len());
            let mut resolved = Vec::with_capacity(count);
            for position in 0..count {
                match resolve(
                    index,
                    titles,
                    target,
                    names.get(position).map(String::as_str),
                    ids.get(position).map(String::as_str),
                ) {
                    Ok(id) => resolved.push(id),
                    Err(found) => problem(found),
                }
            }
            FieldValue::List(resolved)
        }
        FieldKind::Strings => FieldValue::List(split_list(text)),
        FieldKind::Flag => match parse_flag(text) {
            Some(flag) => FieldValue::Flag(flag),
            None => {
                problem(ImportProblem::BadFlag {
                    text: text.trim().to_owned(),
                });
                FieldValue::Flag(false)
            }
        },
    }
}

/// The fields duplicates are looked for by: the title field if it is a
/// line of text, and the acronym if the collection has one.
fn duplicate_fields(collection: Collection) -> Vec<&'static str> {
    let mut fields = Vec::new();
    if collection
        .field(collection.title_field())
        .is_some_and(|spec| spec.kind == FieldKind::Line)
    {
        fields.push(collection.title_field());
    }
    if collection.field("acronym").is_some() {
        fields.push("acronym");
    }
    fields
}

/// Reads every record of every collection (for references and validation).
fn read_workspace<R: DocRead + ?Sized>(document: &R) -> Vec<Record> {
    Collection::ALL
        .into_iter()
        .flat_map(|collection| records::read_all(document, collection).unwrap_or_default())
        .collect()
}

/// What importing `table` into `collection` of `document` would do, row by
/// row, with `mapping` (one entry per column, as [`suggest_mapping`]).
/// Nothing is written.
pub fn plan_import<R: DocRead + ?Sized>(
    document: &R,
    table: &Table,
    mapping: &[Option<Column>],
    collection: Collection,
) -> ImportPlan {
    let all = read_workspace(document);
    let index = Index::new(&all);
    let titles = Titles::new(&all);
    let column_of = |wanted: Column| mapping.iter().position(|column| *column == Some(wanted));
    let id_column = column_of(Column::Id);
    let columns: Vec<(&'static FieldSpec, Option<usize>, Option<usize>)> = collection
        .fields()
        .iter()
        .map(|spec| {
            (
                spec,
                column_of(Column::Field(spec.key)),
                column_of(Column::ReferenceIds(spec.key)),
            )
        })
        .filter(|(_, value, ids)| value.is_some() || ids.is_some())
        .collect();
    let duplicate_fields = duplicate_fields(collection);
    // Folded (field, value) → the records and earlier rows that have it.
    let mut seen: HashMap<(&'static str, String), Vec<DuplicateOf>> = HashMap::new();
    for record in all
        .iter()
        .filter(|record| record.collection == collection && !record.deleted)
    {
        for field in &duplicate_fields {
            let value = fold(record.text(field));
            if !value.is_empty() {
                seen.entry((field, value))
                    .or_default()
                    .push(DuplicateOf::Existing {
                        id: record.id.clone(),
                    });
            }
        }
    }
    // The presidency terms of earlier rows without problems: (start, end, index).
    let mut terms: Vec<(String, String, usize)> = Vec::new();
    let mut rows = Vec::with_capacity(table.rows.len());
    for (row_index, row) in table.rows.iter().enumerate() {
        let cell = |column: Option<usize>| column.and_then(|column| row.get(column)).map(String::as_str);
        let existing = cell(id_column)
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .and_then(|id| index.get(collection, id));
        let action = existing.map_or(RowAction::Create, |record| RowAction::Update {
            id: record.id.clone(),
        });
        let mut problems = Vec::new();
        let mut values = Vec::with_capacity(columns.len());
        for (spec, value, ids) in &columns {
            let cells = Cells {
                value: cell(*value),
                ids: cell(*ids),
            };
            values.push((spec.key, read_cells(spec, &cells, &index, &titles, &mut problems)));
        }
        // The record as it would be, checked by the workspace's rules.
        let mut record = existing.cloned().unwrap_or_else(|| Record {
            id: String::new(),
            collection,
            fields: BTreeMap::new(),
            created_at: 0,
            deleted: false,
            example: false,
        });
        for (key, value) in &values {
            record.fields.insert(key, value.clone());
        }
        for issue in validation::validate(&record, &index) {
            let already = problems.iter().any(|problem| problem.field == issue.field);
            // A reference that did not resolve is already reported.
            if !(already && matches!(issue.problem, Problem::Required)) {
                problems.push(RowProblem {
                    field: issue.field,
                    problem: ImportProblem::Invalid(issue.problem),
                });
            }
        }
        if collection == Collection::PresidencyTerms && !record.deleted {
            let (start, end) = (record.text("start"), record.text("end"));
            if validation::is_date(start) && validation::is_date(end) {
                if let Some(&(_, _, other)) = terms.iter().find(|(other_start, other_end, _)| {
                    start <= other_end.as_str() && other_start.as_str() <= end
                }) {
                    problems.push(RowProblem {
                        field: "start",
                        problem: ImportProblem::OverlapsRow { index: other },
                    });
                }
                if problems.is_empty() {
                    terms.push((start.to_owned(), end.to_owned(), row_index));
                }
            }
        }
        let mut duplicates = Vec::new();
        if matches!(action, RowAction::Create) {
            for field in &duplicate_fields {
                let value = fold(record.text(field));
                if value.is_empty() {
                    continue;
                }
                let entry = seen.entry((field, value)).or_default();
                for of in entry.iter() {
                    if !duplicates.iter().any(|duplicate: &Duplicate| duplicate.of == *of) {
                        duplicates.push(Duplicate {
                            of: of.clone(),
                            field,
                        });
                    }
                }
                entry.push(DuplicateOf::Row { index: row_index });
            }
        }
        rows.push(PlannedRow {
            line: row_index + 2,
            action,
            values,
            problems,
            duplicates,
        });
    }
    ImportPlan { collection, rows }
}

/// What to do with a new row that has likely duplicates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DuplicateChoice {
    /// Write the row's non-empty cells into the first duplicate (an existing
    /// record, or the record an earlier row created or updated).
    Merge,
    /// Create a new record anyway.
    CreateNew,
    /// Leave the row out.
    Skip,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct ImportSummary {
    pub created: usize,
    /// Existing records changed (updates by id and merges into them).
    pub updated: usize,
    /// Rows merged into a likely duplicate (existing or earlier in the file).
    pub merged: usize,
    /// Rows that named an existing record and changed nothing.
    pub unchanged: usize,
    pub skipped_problems: usize,
    pub skipped_duplicates: usize,
    /// For each row of the plan, the record it created or wrote into.
    pub record_ids: Vec<Option<String>>,
}

/// The plural noun of a collection in change messages.
fn plural(noun: &str) -> String {
    match noun.strip_suffix('y') {
        Some(stem) => format!("{stem}ies"),
        None => format!("{noun}s"),
    }
}

/// Items keep the id of an existing item of the field with the same
/// title sub-field (each existing id used once); others get fresh ids.
fn with_item_ids(
    spec: &FieldSpec,
    value: &FieldValue,
    current: Option<&Record>,
    new_id: &mut dyn FnMut() -> String,
) -> FieldValue {
    let (FieldKind::Items(shape), FieldValue::Items(items)) = (spec.kind, value) else {
        return value.clone();
    };
    let mut old: Vec<&Item> = current
        .map(|record| record.items(spec.key).iter().collect())
        .unwrap_or_default();
    FieldValue::Items(
        items
            .iter()
            .map(|item| {
                let title = item.text(shape.title_field);
                let id = match old
                    .iter()
                    .position(|known| known.text(shape.title_field) == title)
                {
                    Some(position) => old.remove(position).id.clone(),
                    None => new_id(),
                };
                Item { id, ..item.clone() }
            })
            .collect(),
    )
}

/// Imports `plan` into `document` as ONE change, `import N <nouns> from
/// CSV` (N: records created or changed). Rows with problems are skipped.
/// A new row with likely duplicates follows its entry in `choices` (by row
/// index; without one it is merged): merging fills in the fields of its
/// first duplicate that are empty (an existing record, or the record of an
/// earlier row) and never overwrites a value. A row with the id of an
/// existing record writes every mapped field (an empty cell clears it);
/// values already there are not written again. Fresh record and item
/// ids come from `new_id`. Nothing is committed if nothing changes.
pub fn apply_import(
    document: &mut Automerge,
    plan: &ImportPlan,
    choices: &BTreeMap<usize, DuplicateChoice>,
    authorship: &Authorship<'_>,
    new_id: &mut dyn FnMut() -> String,
) -> Result<ImportSummary, ModelError> {
    let collection = plan.collection;
    let parent =
        object(document, &ROOT, collection.key()).ok_or(ModelError::MissingCollection(collection.key()))?;
    let mut summary = ImportSummary {
        record_ids: vec![None; plan.rows.len()],
        ..ImportSummary::default()
    };
    // Decide every row first (ids, merges), then write in one transaction.
    struct Write {
        id: String,
        create: bool,
        /// Only fill in fields the record has empty.
        fill_in: bool,
        values: Vec<(&'static str, FieldValue)>,
    }
    let mut writes: Vec<Write> = Vec::new();
    for (index, row) in plan.rows.iter().enumerate() {
        if !row.problems.is_empty() {
            summary.skipped_problems += 1;
            continue;
        }
        // (record id, create, fill in) of a new write, if the row makes one.
        let decided: Option<(String, bool, bool)> = match (&row.action, row.duplicates.first()) {
            (RowAction::Update { id }, _) => Some((id.clone(), false, false)),
            (RowAction::Create, None) => Some((new_id(), true, false)),
            (RowAction::Create, Some(first)) => {
                match choices.get(&index).copied().unwrap_or(DuplicateChoice::Merge) {
                    DuplicateChoice::Skip => {
                        summary.skipped_duplicates += 1;
                        None
                    }
                    DuplicateChoice::CreateNew => Some((new_id(), true, false)),
                    DuplicateChoice::Merge => {
                        let (target, existing) = match &first.of {
                            DuplicateOf::Existing { id } => (Some(id.clone()), true),
                            DuplicateOf::Row { index: earlier } => {
                                (summary.record_ids.get(*earlier).cloned().flatten(), false)
                            }
                        };
                        let earlier = target
                            .as_ref()
                            .and_then(|id| writes.iter_mut().rev().find(|write| write.id == *id));
                        match (earlier, target) {
                            // An earlier row writes into that record: fill
                            // in its empty values, one write per record.
                            (Some(earlier), _) => {
                                summary.merged += 1;
                                summary.record_ids[index] = Some(earlier.id.clone());
                                for (key, value) in &row.values {
                                    match earlier.values.iter_mut().find(|(known, _)| known == key) {
                                        Some((_, known)) if known.is_blank() => {
                                            *known = value.clone();
                                        }
                                        Some(_) => {}
                                        None => earlier.values.push((key, value.clone())),
                                    }
                                }
                                None
                            }
                            (None, Some(id)) if existing => {
                                summary.merged += 1;
                                Some((id, false, true))
                            }
                            // The earlier row was left out: this one is new.
                            (None, _) => Some((new_id(), true, false)),
                        }
                    }
                }
            }
        };
        if let Some((id, create, fill_in)) = decided {
            summary.record_ids[index] = Some(id.clone());
            writes.push(Write {
                id,
                create,
                fill_in,
                values: row.values.clone(),
            });
        }
    }
    // Each write's values, without those that would change nothing (an
    // update that keeps every value is no write at all).
    let mut prepared: Vec<(&Write, Vec<(&'static FieldSpec, FieldValue)>)> = Vec::new();
    for write in &writes {
        let record = if write.create {
            None
        } else {
            records::read_one(document, collection, &write.id)
        };
        let values: Vec<(&'static FieldSpec, FieldValue)> = write
            .values
            .iter()
            .filter_map(|(key, value)| {
                let spec = collection.field(key)?;
                let now = record.as_ref().and_then(|record| record.fields.get(spec.key));
                let keep = if write.fill_in {
                    now.is_none_or(FieldValue::is_blank) && !value.is_blank()
                } else {
                    !same_value(now, value)
                };
                keep.then(|| (spec, with_item_ids(spec, value, record.as_ref(), new_id)))
            })
            .collect();
        if write.create {
            summary.created += 1;
        } else if values.is_empty() {
            summary.unchanged += 1;
            continue;
        } else {
            summary.updated += 1;
        }
        prepared.push((write, values));
    }
    let total = summary.created + summary.updated;
    if total == 0 {
        return Ok(summary);
    }
    let noun = if total == 1 {
        collection.noun().to_owned()
    } else {
        plural(collection.noun())
    };
    records::commit(
        document,
        authorship,
        format!("import {total} {noun} from CSV"),
        |transaction| {
            for (write, values) in &prepared {
                let record = if write.create {
                    transaction.put_object(&parent, write.id.as_str(), ObjType::Map)?
                } else {
                    match transaction.get(&parent, write.id.as_str())? {
                        Some((automerge::Value::Object(ObjType::Map), record)) => record,
                        _ => continue,
                    }
                };
                for (spec, value) in values {
                    records::restore_value(transaction, &record, spec, Some(value))?;
                }
                if write.create {
                    for spec in collection.fields() {
                        let listed = matches!(
                            spec.kind,
                            FieldKind::References(_)
                                | FieldKind::Strings
                                | FieldKind::Links
                                | FieldKind::Items(_)
                        );
                        if listed && transaction.get(&record, spec.key)?.is_none() {
                            transaction.put_object(&record, spec.key, ObjType::List)?;
                        }
                    }
                    transaction.put(&record, "created_at", ScalarValue::Timestamp(authorship.now_ms))?;
                    transaction.put(&record, "deleted", false)?;
                }
            }
            Ok(())
        },
    )?;
    Ok(summary)
}

/// Whether writing `value` into a field now holding `now` (`None`: absent)
/// would change nothing: an absent field and an empty one are the same.
fn same_value(now: Option<&FieldValue>, value: &FieldValue) -> bool {
    match (now, value) {
        // Items are compared without their ids (a file has none).
        (Some(FieldValue::Items(now)), FieldValue::Items(new)) => {
            now.len() == new.len() && now.iter().zip(new).all(|(now, new)| now.fields == new.fields)
        }
        (Some(now), value) => now == value,
        (None, value) => value.is_blank(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nouns_take_their_plural() {
        let plurals: Vec<String> = Collection::ALL
            .iter()
            .map(|collection| plural(collection.noun()))
            .collect();
        assert_eq!(
            plurals,
            [
                "organisations",
                "contacts",
                "presidency terms",
                "work-plan lines",
                "alliances",
                "collaborations",
                "activities",
                "working groups",
                "meetings",
                "action items",
                "reports",
                "map views",
            ]
        );
    }

    #[test]
    fn folding_ignores_case_accents_and_spacing() {
        assert_eq!(
            fold("  Organización   Internacional\tdel TRABAJO "),
            "organizacion internacional del trabajo"
        );
        assert_eq!(fold("Pai\u{0301}s"), "pais");
        assert_eq!(fold("Ñandú"), "nandu");
    }

    #[test]
    fn flags_read_both_languages() {
        for yes in ["sí", "SI", "yes", "Y", "true", "1", "x"] {
            assert_eq!(parse_flag(yes), Some(true), "{yes}");
        }
        for no in ["no", "No", "false", "0", "", "  "] {
            assert_eq!(parse_flag(no), Some(false), "{no:?}");
        }
        assert_eq!(parse_flag("quizá"), None);
        assert_eq!(flag_text(true, Language::Spanish), "sí");
        assert_eq!(flag_text(true, Language::English), "yes");
    }

    /// A workspace's index and titles with nothing in it.
    fn parse_alone(shape: &ItemSpec, text: &str) -> Result<Vec<Item>, ImportProblem> {
        let records: Vec<Record> = Vec::new();
        parse_items(shape, text, &Index::new(&records), &Titles::new(&records))
    }

    #[test]
    fn commitments_split_from_the_right() {
        let parsed = parse_alone(
            &crate::schema::COMMITMENT_ITEM,
            "Uno | dos | 2021-01-01 | sí\n\nTres || no",
        )
        .expect("commitments");
        assert_eq!(
            parsed
                .iter()
                .map(|item| (item.text("text"), item.text("due"), item.flag("done")))
                .collect::<Vec<_>>(),
            [("Uno | dos", "2021-01-01", true), ("Tres", "", false)]
        );
        assert!(parse_alone(&crate::schema::COMMITMENT_ITEM, "Uno | 2021-01-01 | quizá").is_err());
        assert!(parse_alone(&crate::schema::COMMITMENT_ITEM, "Uno | no").is_err());
    }

    #[test]
    fn item_parts_escape_line_breaks_bars_and_backslashes() {
        let text = "dos líneas\ncon | barra y \\ barra invertida, \\n literal";
        let escaped = escape_part(text);
        assert!(!escaped.contains('\n'), "{escaped}");
        assert_eq!(split_parts(&format!("{escaped} | x")).len(), 2);
        assert_eq!(unescape_part(&escaped), text);
        // A backslash before anything else stays as written (old cells).
        assert_eq!(unescape_part("C:\\temp"), "C:\\temp");
        let decision = Item {
            id: "d1".into(),
            fields: [("text", FieldValue::Text(text.to_owned()))]
                .into_iter()
                .collect(),
        };
        let cell = item_cell(
            &crate::schema::DECISION_ITEM,
            std::slice::from_ref(&decision),
            &HashMap::new(),
            Language::Spanish,
        );
        assert_eq!(cell.lines().count(), 1, "{cell}");
        let parsed = parse_alone(&crate::schema::DECISION_ITEM, &cell).expect("decision");
        assert_eq!(parsed[0].text("text"), text);
        assert!(parsed[0].list("workplan_lines").is_empty());
    }

    #[test]
    fn item_choices_read_by_label_and_unknown_ones_are_a_problem() {
        let shape = &crate::schema::ATTENDANCE_ITEM;
        // The organisation does not resolve (an empty workspace): a problem.
        assert_eq!(
            parse_alone(shape, "GIZ | | Asistió"),
            Err(ImportProblem::ReferenceNotFound { text: "GIZ".into() })
        );
        let parsed = parse_alone(shape, " | | Se excusó").expect("no organisation");
        assert_eq!(parsed[0].text("status"), "apologised");
        assert_eq!(
            parse_alone(shape, " | | quizá"),
            Err(ImportProblem::BadItem {
                text: "| | quizá".into()
            })
        );
    }
}
