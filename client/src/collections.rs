//! Plain logic behind the collection pages: one read of the document per
//! revision ([`Snapshot`]), search, filters and sorting over its records,
//! an organisation's related records, dates in the reader's language and the
//! alliance pipeline. No Leptos here, so native tests cover all of it.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap, HashSet};

use automerge::{Automerge, ChangeHash, PatchAction, Prop, ReadDoc as _};
use enlace_shared::image::WorkspaceImage;
use enlace_shared::language::Language;
use enlace_shared::model::DocRead;
use enlace_shared::records::{self, Record};
use enlace_shared::schema::{self, ALLIANCE_STATUSES, Choice, Collection, FieldKind, FieldSpec};
use enlace_shared::validation::{self, Index, Issue};

/// Every record of the workspace as of one document revision, with a
/// folded search text per record so searching never re-reads the document.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub revision: u64,
    records: HashMap<Collection, Vec<Record>>,
    /// Per collection, per record (same order): the folded text searched.
    haystacks: HashMap<Collection, Vec<String>>,
    positions: HashMap<(Collection, String), usize>,
    pub secretariat: Option<String>,
    /// The document heads this snapshot was read at.
    heads: Vec<ChangeHash>,
    /// Read at past heads (viewing the workspace as of a moment), not the
    /// document's current ones.
    pub past: bool,
    /// When patched from another snapshot: that one's revision and the
    /// records touched since (what [`Self::changes_since`] sends on).
    changed_since: Option<(u64, Vec<(Collection, String)>)>,
}

/// Snapshots are compared by revision and heads only: the memo holding one
/// then notifies exactly when the document, or the moment it is read at,
/// changed.
impl PartialEq for Snapshot {
    fn eq(&self, other: &Self) -> bool {
        self.revision == other.revision && self.heads == other.heads && self.past == other.past
    }
}

impl Snapshot {
    /// Reads every collection (a document not received yet reads as empty),
    /// as it is now (`&Automerge`) or as it was at some heads
    /// (`&enlace_shared::model::At`).
    pub fn read<R: DocRead + ?Sized>(document: &R, revision: u64) -> Self {
        let records = Collection::ALL
            .into_iter()
            .map(|collection| {
                (
                    collection,
                    records::read_all(document, collection).unwrap_or_default(),
                )
            })
            .collect();
        Self::indexed(
            records,
            records::technical_secretariat(document),
            document.view_heads(),
            revision,
        )
    }

    /// The workspace as an image kept in this browser last showed it
    /// (drawn before the document is loaded; see [`WorkspaceImage`]).
    pub fn from_image(image: WorkspaceImage, revision: u64) -> Self {
        let mut records: HashMap<Collection, Vec<Record>> = HashMap::new();
        for record in image.records {
            records.entry(record.collection).or_default().push(record);
        }
        for list in records.values_mut() {
            records::sort_records(list);
        }
        Self::indexed(records, image.secretariat, image.heads, revision)
    }

    /// This snapshot as an image to keep (`None` for a view of the past).
    pub fn image(&self) -> Option<WorkspaceImage> {
        (!self.past && !self.heads.is_empty()).then(|| WorkspaceImage {
            heads: self.heads.clone(),
            secretariat: self.secretariat.clone(),
            records: Collection::ALL
                .into_iter()
                .flat_map(|collection| self.records(collection).iter().cloned())
                .collect(),
        })
    }

    /// A snapshot of `records` (sorted), with its positions and search texts.
    fn indexed(
        records: HashMap<Collection, Vec<Record>>,
        secretariat: Option<String>,
        heads: Vec<ChangeHash>,
        revision: u64,
    ) -> Self {
        let mut snapshot = Self {
            revision,
            records,
            secretariat,
            heads,
            ..Self::default()
        };
        snapshot.index_positions();
        for collection in Collection::ALL {
            let haystacks = snapshot
                .records(collection)
                .iter()
                .map(|record| snapshot.haystack(record))
                .collect();
            snapshot.haystacks.insert(collection, haystacks);
        }
        snapshot
    }

    /// The snapshot at the document's current heads, re-reading only the
    /// records that changed since `previous` (found from Automerge's diff of
    /// the two heads), so anyone's keystroke re-reads one record rather than
    /// the whole workspace.
    pub fn advance(previous: &Snapshot, document: &Automerge, revision: u64) -> Self {
        let known = !previous.past
            && !previous.heads.is_empty()
            && previous
                .heads
                .iter()
                .all(|hash| document.get_change_by_hash(hash).is_some());
        let Some(touched) = known
            .then(|| touched_records(document, &previous.heads))
            .flatten()
        else {
            return Self::read(document, revision);
        };
        let fresh = touched
            .iter()
            .filter_map(|(collection, id)| records::read_one(document, *collection, id))
            .collect();
        // The secretariat is the workspace's meta, not a record: read
        // again each time (one lookup), or a snapshot taken before the meta
        // arrived would keep it unset.
        Self::patch(
            previous,
            &touched,
            fresh,
            records::technical_secretariat(document),
            document.get_heads(),
            revision,
        )
    }

    /// `previous` with `changed` records (new ones, or new versions) and
    /// without `removed` ones, at `heads`: the page's side of the engine's
    /// [`crate::engine_messages::Records`].
    pub fn patched(
        previous: &Snapshot,
        changed: Vec<Record>,
        removed: &[(Collection, String)],
        secretariat: Option<String>,
        heads: Vec<ChangeHash>,
        revision: u64,
    ) -> Self {
        let touched = changed
            .iter()
            .map(|record| (record.collection, record.id.clone()))
            .chain(removed.iter().cloned())
            .collect();
        Self::patch(previous, &touched, changed, secretariat, heads, revision)
    }

    /// `previous` with every `touched` record replaced by its `fresh`
    /// version (absent from `fresh`: gone), re-indexing only what it must.
    fn patch(
        previous: &Snapshot,
        touched: &HashSet<(Collection, String)>,
        fresh: Vec<Record>,
        secretariat: Option<String>,
        heads: Vec<ChangeHash>,
        revision: u64,
    ) -> Self {
        let mut records = previous.records.clone();
        let mut old_titles = HashMap::new();
        for (collection, id) in touched {
            let list = records.entry(*collection).or_default();
            if let Some(old) = list.iter().find(|record| record.id == *id) {
                old_titles.insert((*collection, id.clone()), old.title().to_owned());
            }
            list.retain(|record| record.id != *id);
        }
        let mut titles_changed = false;
        let mut collections_touched: HashSet<Collection> =
            touched.iter().map(|(collection, _)| *collection).collect();
        let mut arrived = HashSet::new();
        for record in fresh {
            let key = (record.collection, record.id.clone());
            titles_changed |= old_titles.get(&key).map(String::as_str) != Some(record.title());
            collections_touched.insert(record.collection);
            arrived.insert(key);
            records.entry(record.collection).or_default().push(record);
        }
        // A record gone changes the titles its referrers show.
        titles_changed |= old_titles.keys().any(|key| !arrived.contains(key));
        for collection in collections_touched {
            if let Some(list) = records.get_mut(&collection) {
                records::sort_records(list);
            }
        }
        let mut snapshot = Self {
            revision,
            records,
            secretariat,
            heads,
            changed_since: Some((previous.revision, touched.iter().cloned().collect())),
            ..Self::default()
        };
        snapshot.index_positions();
        // A record's search text includes the titles of what it references,
        // so a changed title refreshes every search text; otherwise only the
        // changed records' texts are recomputed.
        for collection in Collection::ALL {
            let haystacks = snapshot
                .records(collection)
                .iter()
                .map(|record| {
                    let unchanged = !titles_changed && !touched.contains(&(collection, record.id.clone()));
                    match previous.search_text(collection, &record.id) {
                        Some(text) if unchanged => text.to_owned(),
                        _ => snapshot.haystack(record),
                    }
                })
                .collect();
            snapshot.haystacks.insert(collection, haystacks);
        }
        snapshot
    }

    fn index_positions(&mut self) {
        self.positions.clear();
        for (collection, list) in &self.records {
            for (position, record) in list.iter().enumerate() {
                self.positions.insert((*collection, record.id.clone()), position);
            }
        }
    }

    /// The folded search text of a record, if this snapshot has it.
    fn search_text(&self, collection: Collection, id: &str) -> Option<&str> {
        let position = *self.positions.get(&(collection, id.to_owned()))?;
        self.haystacks.get(&collection)?.get(position).map(String::as_str)
    }

    /// This snapshot marked as a view of the past (the workspace read at
    /// a past moment's heads).
    pub fn into_past(mut self) -> Self {
        self.past = true;
        self
    }

    /// A past moment the document has not synced up to yet.
    pub fn empty_past(revision: u64) -> Self {
        Self {
            revision,
            past: true,
            ..Self::default()
        }
    }

    /// The heads this snapshot was read at.
    pub fn heads(&self) -> &[ChangeHash] {
        &self.heads
    }

    /// A workspace not received yet.
    pub fn empty(revision: u64) -> Self {
        Self {
            revision,
            ..Self::default()
        }
    }

    /// The records new or changed since `previous`, and those gone: from
    /// the records this snapshot was patched with when it was patched from
    /// `previous`, else by comparing every record.
    pub fn changes_since(&self, previous: &Snapshot) -> (Vec<Record>, Vec<(Collection, String)>) {
        if let Some((from, touched)) = &self.changed_since
            && *from == previous.revision
        {
            let mut changed = Vec::new();
            let mut removed = Vec::new();
            for (collection, id) in touched {
                match self.get(*collection, id) {
                    Some(record) => changed.push(record.clone()),
                    None => removed.push((*collection, id.clone())),
                }
            }
            return (changed, removed);
        }
        let before: HashMap<(Collection, &str), &Record> = previous
            .all_records()
            .map(|record| ((record.collection, record.id.as_str()), record))
            .collect();
        let mut seen = HashSet::new();
        let mut changed = Vec::new();
        for record in self.all_records() {
            let key = (record.collection, record.id.as_str());
            seen.insert(key);
            if before.get(&key).is_none_or(|old| *old != record) {
                changed.push(record.clone());
            }
        }
        let removed = before
            .keys()
            .filter(|key| !seen.contains(*key))
            .map(|(collection, id)| (*collection, (*id).to_owned()))
            .collect();
        (changed, removed)
    }

    /// Every record, collection by collection.
    pub fn all_records(&self) -> impl Iterator<Item = &Record> {
        Collection::ALL
            .into_iter()
            .flat_map(|collection| self.records(collection).iter())
    }

    pub fn records(&self, collection: Collection) -> &[Record] {
        self.records.get(&collection).map_or(&[], Vec::as_slice)
    }

    pub fn get(&self, collection: Collection, id: &str) -> Option<&Record> {
        let position = *self.positions.get(&(collection, id.to_owned()))?;
        self.records(collection).get(position)
    }

    /// What a reference shows: the target's title (its id if it has none or
    /// is missing) and whether it is deleted.
    pub fn label(&self, collection: Collection, id: &str) -> (String, bool) {
        match self.get(collection, id) {
            Some(record) => (display_title(self, record), record.deleted),
            None => (id.to_owned(), false),
        }
    }

    /// The validation issues of one record against the whole workspace.
    pub fn issues(&self, collection: Collection, id: &str) -> Vec<Issue> {
        let Some(record) = self.get(collection, id) else {
            return Vec::new();
        };
        let index = Index::new(self.records.values().flatten());
        validation::validate(record, &index)
    }

    /// The record's text fields, and the titles of what it references, folded.
    fn haystack(&self, record: &Record) -> String {
        let mut text = String::new();
        for spec in record.collection.fields() {
            match spec.kind {
                FieldKind::Reference(target) => {
                    text.push_str(&self.label(target, record.text(spec.key)).0);
                }
                FieldKind::References(target) => {
                    for id in record.list(spec.key) {
                        text.push_str(&self.label(target, id).0);
                        text.push(' ');
                    }
                }
                FieldKind::Strings => text.push_str(&record.list(spec.key).join(" ")),
                FieldKind::Choice(choices) => {
                    let slug = record.text(spec.key);
                    if let Some(choice) = choices.iter().find(|choice| choice.slug == slug) {
                        text.push_str(&format!("{} {}", choice.label.es, choice.label.en));
                    }
                }
                FieldKind::Items(shape) => {
                    for item in record.items(spec.key) {
                        for sub_field in shape.fields {
                            match sub_field.kind {
                                FieldKind::Reference(target) => {
                                    text.push_str(&self.label(target, item.text(sub_field.key)).0);
                                }
                                FieldKind::Line | FieldKind::LongText => {
                                    text.push_str(item.text(sub_field.key));
                                }
                                _ => {}
                            }
                            text.push(' ');
                        }
                    }
                }
                _ => text.push_str(record.text(spec.key)),
            }
            text.push('\n');
        }
        fold(&text)
    }
}

/// The records changed between `since` and the document's heads, or `None`
/// when something outside the collections changed (then read everything).
fn touched_records(document: &Automerge, since: &[ChangeHash]) -> Option<HashSet<(Collection, String)>> {
    let mut touched = HashSet::new();
    for patch in document.diff(since, &document.get_heads()) {
        match patch.path.as_slice() {
            [(_, Prop::Map(collection)), (_, Prop::Map(id)), ..] => {
                touched.insert((Collection::from_key(collection)?, id.clone()));
            }
            [(_, Prop::Map(collection))] => {
                let collection = Collection::from_key(collection)?;
                match &patch.action {
                    PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key } => {
                        touched.insert((collection, key.clone()));
                    }
                    _ => return None,
                }
            }
            _ => return None,
        }
    }
    Some(touched)
}

/// The title shown for a record: presidency terms have none of their own,
/// so they show their organisation and years.
pub fn display_title(snapshot: &Snapshot, record: &Record) -> String {
    if record.collection == Collection::PresidencyTerms {
        let organisation = snapshot
            .get(Collection::Organisations, record.text("organisation"))
            .map_or_else(
                || record.text("organisation").to_owned(),
                |org| org.title().to_owned(),
            );
        let year = |date: &str| date.get(..4).unwrap_or_default().to_owned();
        return format!(
            "{organisation} {}–{}",
            year(record.text("start")),
            year(record.text("end"))
        );
    }
    let title = record.title().trim();
    if title.is_empty() {
        record.id.clone()
    } else {
        title.to_owned()
    }
}

/// Lower case without accents, so `mexico` finds `México` (one folding for
/// search, sorting and the CSV import: `enlace_shared::language::fold`).
pub use enlace_shared::language::fold;

/// The fields a collection's list can be filtered by (from its schema).
pub fn filter_fields(collection: Collection) -> &'static [&'static str] {
    collection.spec().list_filters
}

/// The date field a collection's list can be sorted by, if any (from its schema).
pub fn date_field(collection: Collection) -> Option<&'static str> {
    collection.spec().sort_date
}

/// The options of a filter: `(value, label)`, sorted by label.
pub fn filter_options(
    snapshot: &Snapshot,
    collection: Collection,
    field: &str,
    language: Language,
) -> Vec<(String, String)> {
    let Some(spec) = collection.field(field) else {
        return Vec::new();
    };
    let mut options: Vec<(String, String)> = match spec.kind {
        FieldKind::Choice(choices) => {
            return choices
                .iter()
                .map(|choice| (choice.slug.to_owned(), choice.label(language).to_owned()))
                .collect();
        }
        FieldKind::Reference(target) | FieldKind::References(target) => snapshot
            .records(target)
            .iter()
            .filter(|record| !record.deleted)
            .map(|record| (record.id.clone(), display_title(snapshot, record)))
            .collect(),
        _ => {
            let values: BTreeSet<&str> = snapshot
                .records(collection)
                .iter()
                .map(|record| record.text(field).trim())
                .filter(|value| !value.is_empty())
                .collect();
            values
                .into_iter()
                .map(|value| (value.to_owned(), value.to_owned()))
                .collect()
        }
    };
    options.sort_by_key(|(_, label)| fold(label));
    options
}

/// How a list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    #[default]
    Title,
    /// Newest first by the collection's date field; undated last.
    DateDescending,
    DateAscending,
}

impl SortOrder {
    pub fn slug(self) -> &'static str {
        match self {
            Self::Title => "title",
            Self::DateDescending => "date-desc",
            Self::DateAscending => "date-asc",
        }
    }

    pub fn from_slug(slug: &str) -> Self {
        match slug {
            "date-desc" => Self::DateDescending,
            "date-asc" => Self::DateAscending,
            _ => Self::Title,
        }
    }
}

/// What the list shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListQuery {
    pub search: String,
    /// `(field, value)`; an empty value means no filter.
    pub filters: Vec<(&'static str, String)>,
    pub sort: SortOrder,
    pub show_deleted: bool,
}

/// One line of a list, cheap to compare so unchanged rows are not redrawn.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Row {
    pub id: String,
    pub title: String,
    pub detail: String,
    pub deleted: bool,
    pub example: bool,
}

fn matches_filter(record: &Record, field: &str, value: &str) -> bool {
    let list = record.list(field);
    if list.is_empty() {
        record.text(field).trim() == value
    } else {
        list.iter().any(|item| item == value)
    }
}

/// The positions (in `snapshot.records(collection)`) the query selects, in order.
pub fn select(snapshot: &Snapshot, collection: Collection, query: &ListQuery) -> Vec<usize> {
    let records = snapshot.records(collection);
    let haystacks = snapshot.haystacks.get(&collection);
    let words: Vec<String> = fold(&query.search)
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let filters: Vec<&(&str, String)> = query
        .filters
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .collect();
    let mut selected: Vec<usize> = records
        .iter()
        .enumerate()
        .filter(|(_, record)| query.show_deleted || !record.deleted)
        .filter(|(_, record)| {
            filters
                .iter()
                .all(|(field, value)| matches_filter(record, field, value))
        })
        .filter(|(position, _)| {
            let haystack = haystacks.and_then(|all| all.get(*position));
            words
                .iter()
                .all(|word| haystack.is_some_and(|text| text.contains(word.as_str())))
        })
        .map(|(position, _)| position)
        .collect();
    if let Some(field) = date_field(collection).filter(|_| query.sort != SortOrder::Title) {
        let date = |position: &usize| records[*position].text(field);
        selected.sort_by(
            |left, right| match (date(left).is_empty(), date(right).is_empty()) {
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                _ if query.sort == SortOrder::DateAscending => date(left).cmp(date(right)),
                _ => date(right).cmp(date(left)),
            },
        );
    } else if collection == Collection::PresidencyTerms {
        selected.sort_by_key(|position| display_title(snapshot, &records[*position]));
    }
    selected
}

/// The row shown for a record: its title and a short line of context.
pub fn row(snapshot: &Snapshot, record: &Record, language: Language) -> Row {
    let mut details = Vec::new();
    for spec in record.collection.fields().iter().skip(1).take(4) {
        let value = match spec.kind {
            FieldKind::Choice(choices) => schema::choice_label(choices, record.text(spec.key), language),
            FieldKind::Reference(target) if spec.key != record.collection.title_field() => {
                snapshot.label(target, record.text(spec.key)).0
            }
            FieldKind::Date => format_date(record.text(spec.key), language),
            FieldKind::Line => record.text(spec.key).to_owned(),
            _ => String::new(),
        };
        if !value.trim().is_empty() {
            details.push(value);
        }
    }
    Row {
        id: record.id.clone(),
        title: display_title(snapshot, record),
        detail: details.join(" · "),
        deleted: record.deleted,
        example: record.example,
    }
}

const MONTHS_ES: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `2020-03-05` as "5 de marzo de 2020" or "5 March 2020"; anything else unchanged.
pub fn format_date(date: &str, language: Language) -> String {
    if !validation::is_date(date) {
        return date.to_owned();
    }
    let (year, rest) = date.split_at(4);
    let month: usize = rest[1..3].parse().unwrap_or(1);
    let day: u32 = rest[4..6].parse().unwrap_or(1);
    match language {
        Language::Spanish => format!("{day} de {} de {year}", MONTHS_ES[month - 1]),
        Language::English => format!("{day} {} {year}", MONTHS_EN[month - 1]),
    }
}

/// The alliance pipeline's steps in order (`paused` stands aside).
pub fn pipeline_steps() -> &'static [Choice] {
    &ALLIANCE_STATUSES[..ALLIANCE_STATUSES.len() - 1]
}

/// The step before and after `status` on the pipeline (none from `paused`).
pub fn pipeline_neighbours(status: &str) -> (Option<&'static str>, Option<&'static str>) {
    let steps = pipeline_steps();
    let Some(position) = steps.iter().position(|step| step.slug == status) else {
        return (None, None);
    };
    (
        position.checked_sub(1).map(|before| steps[before].slug),
        steps.get(position + 1).map(|after| after.slug),
    )
}

/// The records related to an organisation, by collection and then by the
/// role it plays (`partner`, `members`, ...), deleted ones left out.
pub fn related_to_organisation<'a>(
    snapshot: &'a Snapshot,
    organisation_id: &str,
) -> Vec<(Collection, &'static str, &'a Record)> {
    let mut related = Vec::new();
    for collection in Collection::ALL {
        if collection == Collection::Organisations {
            continue;
        }
        for record in snapshot
            .records(collection)
            .iter()
            .filter(|record| !record.deleted)
        {
            let role = collection.fields().iter().find(|spec| match spec.kind {
                FieldKind::Reference(Collection::Organisations) => record.text(spec.key) == organisation_id,
                FieldKind::References(Collection::Organisations) => {
                    record.list(spec.key).iter().any(|id| id == organisation_id)
                }
                _ => false,
            });
            if let Some(spec) = role {
                related.push((collection, spec.key, record));
            }
        }
    }
    related
}

/// Records related to an organisation, gathered by collection and role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelatedGroup {
    pub collection: Collection,
    /// The field through which they refer to the organisation (its label names the role).
    pub field: &'static FieldSpec,
    /// `(id, title)` of each record, in the collection's order.
    pub records: Vec<(String, String)>,
}

/// [`related_to_organisation`], one group per collection and role.
pub fn related_groups(snapshot: &Snapshot, organisation_id: &str) -> Vec<RelatedGroup> {
    let mut groups: Vec<RelatedGroup> = Vec::new();
    for (collection, key, record) in related_to_organisation(snapshot, organisation_id) {
        let Some(field) = collection.field(key) else {
            continue;
        };
        let entry = (record.id.clone(), display_title(snapshot, record));
        match groups
            .iter_mut()
            .find(|group| group.collection == collection && group.field.key == key)
        {
            Some(group) => group.records.push(entry),
            None => groups.push(RelatedGroup {
                collection,
                field,
                records: vec![entry],
            }),
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable as _;
    use enlace_shared::model::{Authorship, create_workspace};
    use enlace_shared::records::{Initial, add_to_list, create_record, set_deleted};

    use super::*;

    const AUTHOR: Authorship<'static> = Authorship {
        now_ms: 1_700_000_000_000,
        author: "test",
    };

    fn text(value: &str) -> Initial {
        Initial::Text(value.to_owned())
    }

    fn workspace() -> Automerge {
        let mut document = Automerge::new();
        create_workspace(&mut document, "MCIG", 0).expect("workspace");
        let orgs = [
            (
                "o1",
                "Cámara de Comercio de México",
                "private_sector_chamber",
                "México",
            ),
            ("o2", "GIZ", "cooperation_agency", "Alemania"),
            ("o3", "AECID", "cooperation_agency", "España"),
        ];
        for (id, name, kind, country) in orgs {
            let fields = [
                ("name", text(name)),
                ("kind", text(kind)),
                ("country", text(country)),
            ];
            create_record(&mut document, Collection::Organisations, id, &fields, &AUTHOR).expect("org");
        }
        let alliance = [
            ("title", text("Pacto por la igualdad")),
            ("partner", text("o1")),
            ("status", text("signed")),
            ("start", text("2021-03-05")),
        ];
        create_record(&mut document, Collection::Alliances, "a1", &alliance, &AUTHOR).expect("alliance");
        add_to_list(
            &mut document,
            Collection::Alliances,
            "a1",
            "members",
            "o2",
            &AUTHOR,
        )
        .expect("member");
        let other = [
            ("title", text("Mentoría")),
            ("partner", text("o1")),
            ("status", text("identified")),
            ("start", text("2020-01-01")),
        ];
        create_record(&mut document, Collection::Alliances, "a2", &other, &AUTHOR).expect("alliance");
        document
    }

    /// The workspace at `heads` as the workspace page reads it: asked as a
    /// query, drawn as a past snapshot.
    fn read_at(document: &Automerge, heads: &[ChangeHash], revision: u64) -> Option<Snapshot> {
        let query = enlace_shared::query::Query::Workspace {
            heads: heads.to_vec(),
        };
        match query.answer(document) {
            enlace_shared::query::Answer::Workspace(Some(image)) => {
                Some(Snapshot::from_image(image, revision).into_past())
            }
            _ => None,
        }
    }

    fn titles(snapshot: &Snapshot, collection: Collection, query: &ListQuery) -> Vec<String> {
        select(snapshot, collection, query)
            .into_iter()
            .map(|position| snapshot.records(collection)[position].title().to_owned())
            .collect()
    }

    #[test]
    fn search_ignores_case_and_accents_and_reaches_referenced_titles() {
        let snapshot = Snapshot::read(&workspace(), 1);
        let mut query = ListQuery {
            search: "MEXICO camara".into(),
            ..ListQuery::default()
        };
        assert_eq!(
            titles(&snapshot, Collection::Organisations, &query),
            ["Cámara de Comercio de México"]
        );
        query.search = "giz".into();
        assert_eq!(
            titles(&snapshot, Collection::Alliances, &query),
            ["Pacto por la igualdad"]
        );
        query.search = "firmada".into();
        assert_eq!(
            titles(&snapshot, Collection::Alliances, &query),
            ["Pacto por la igualdad"]
        );
    }

    #[test]
    fn filters_match_scalars_and_lists_and_deleted_records_hide() {
        let mut document = workspace();
        let mut query = ListQuery {
            filters: vec![("kind", "cooperation_agency".into())],
            ..ListQuery::default()
        };
        let snapshot = Snapshot::read(&document, 1);
        assert_eq!(
            titles(&snapshot, Collection::Organisations, &query),
            ["AECID", "GIZ"]
        );
        query.filters = vec![("status", "identified".into())];
        assert_eq!(titles(&snapshot, Collection::Alliances, &query), ["Mentoría"]);
        query.filters = vec![("members", "o2".into())];
        assert_eq!(
            titles(&snapshot, Collection::Alliances, &query),
            ["Pacto por la igualdad"]
        );
        set_deleted(&mut document, Collection::Organisations, "o3", true, &AUTHOR).expect("delete");
        let snapshot = Snapshot::read(&document, 2);
        query.filters = vec![("kind", "cooperation_agency".into())];
        assert_eq!(titles(&snapshot, Collection::Organisations, &query), ["GIZ"]);
        query.show_deleted = true;
        assert_eq!(
            titles(&snapshot, Collection::Organisations, &query),
            ["AECID", "GIZ"]
        );
    }

    #[test]
    fn sorting_by_date_puts_undated_records_last() {
        let snapshot = Snapshot::read(&workspace(), 1);
        let mut query = ListQuery {
            sort: SortOrder::DateAscending,
            ..ListQuery::default()
        };
        assert_eq!(
            titles(&snapshot, Collection::Alliances, &query),
            ["Mentoría", "Pacto por la igualdad"]
        );
        query.sort = SortOrder::DateDescending;
        assert_eq!(
            titles(&snapshot, Collection::Alliances, &query),
            ["Pacto por la igualdad", "Mentoría"]
        );
        assert_eq!(SortOrder::from_slug(query.sort.slug()), query.sort);
    }

    #[test]
    fn country_options_are_the_distinct_values() {
        let snapshot = Snapshot::read(&workspace(), 1);
        let options = filter_options(&snapshot, Collection::Organisations, "country", Language::Spanish);
        let labels: Vec<&str> = options.iter().map(|(_, label)| label.as_str()).collect();
        assert_eq!(labels, ["Alemania", "España", "México"]);
        let statuses = filter_options(&snapshot, Collection::Alliances, "status", Language::English);
        assert_eq!(statuses[0], ("identified".to_owned(), "Identified".to_owned()));
    }

    #[test]
    fn an_organisation_page_finds_what_refers_to_it() {
        let snapshot = Snapshot::read(&workspace(), 1);
        let related: Vec<(&str, &str)> = related_to_organisation(&snapshot, "o1")
            .into_iter()
            .map(|(_, role, record)| (role, record.id.as_str()))
            .collect();
        assert_eq!(related, [("partner", "a2"), ("partner", "a1")]);
        let member: Vec<&str> = related_to_organisation(&snapshot, "o2")
            .into_iter()
            .map(|(_, role, _)| role)
            .collect();
        assert_eq!(member, ["members"]);
        let groups = related_groups(&snapshot, "o1");
        assert_eq!(groups.len(), 1);
        assert_eq!(
            (groups[0].collection, groups[0].field.key, groups[0].records.len()),
            (Collection::Alliances, "partner", 2)
        );
    }

    #[test]
    fn dates_read_in_either_language() {
        assert_eq!(format_date("2020-03-05", Language::Spanish), "5 de marzo de 2020");
        assert_eq!(format_date("2020-03-05", Language::English), "5 March 2020");
        assert_eq!(format_date("soon", Language::English), "soon");
    }

    #[test]
    fn the_pipeline_moves_one_step_at_a_time_and_paused_stands_aside() {
        assert_eq!(pipeline_steps().len(), 6);
        assert_eq!(pipeline_neighbours("identified"), (None, Some("in_dialogue")));
        assert_eq!(pipeline_neighbours("active"), (Some("signed"), Some("concluded")));
        assert_eq!(pipeline_neighbours("paused"), (None, None));
    }

    #[test]
    fn rows_and_issues_come_from_the_snapshot() {
        let snapshot = Snapshot::read(&workspace(), 1);
        let alliance = snapshot.get(Collection::Alliances, "a1").expect("a1");
        let row = row(&snapshot, alliance, Language::English);
        assert!(
            row.detail.contains("Cámara de Comercio de México"),
            "{}",
            row.detail
        );
        assert!(row.detail.contains("Signed"), "{}", row.detail);
        assert!(snapshot.issues(Collection::Alliances, "a1").is_empty());
        let (label, deleted) = snapshot.label(Collection::Organisations, "missing");
        assert_eq!((label.as_str(), deleted), ("missing", false));
    }

    /// The alliance's partner renamed, and a new organisation.
    fn rename_o1_and_add_o4(document: &mut Automerge) {
        enlace_shared::records::set_text(
            document,
            Collection::Organisations,
            "o1",
            "name",
            "CANACINTRA",
            &AUTHOR,
        )
        .expect("rename");
        create_record(
            document,
            Collection::Organisations,
            "o4",
            &[("name", text("USAID"))],
            &AUTHOR,
        )
        .expect("add");
    }

    /// The ids of `changes`' changed records, sorted.
    fn changed_ids(changes: &(Vec<Record>, Vec<(Collection, String)>)) -> Vec<&str> {
        let mut ids: Vec<&str> = changes.0.iter().map(|record| record.id.as_str()).collect();
        ids.sort_unstable();
        ids
    }

    #[test]
    fn advancing_a_snapshot_rereads_only_what_changed_and_matches_a_full_read() {
        let mut document = workspace();
        let before = Snapshot::read(&document, 1);
        // A title edit (referenced by the alliance), a new record and a deletion.
        rename_o1_and_add_o4(&mut document);
        enlace_shared::records::set_deleted(&mut document, Collection::Organisations, "o3", true, &AUTHOR)
            .expect("delete");
        // The secretariat (the workspace's meta, not a record) is named.
        let mut transaction = document.transaction();
        let meta = match transaction.get(automerge::ROOT, "meta").expect("read") {
            Some((_, meta)) => meta,
            None => transaction
                .put_object(automerge::ROOT, "meta", automerge::ObjType::Map)
                .expect("meta"),
        };
        transaction
            .put(&meta, "technical_secretariat", "o2")
            .expect("secretariat");
        transaction.commit();
        let advanced = Snapshot::advance(&before, &document, 2);
        let full = Snapshot::read(&document, 2);
        // What changed, from the records the advance touched and by
        // comparing every record (a full read knows no predecessor).
        let touched = advanced.changes_since(&before);
        assert_eq!(changed_ids(&touched), ["o1", "o3", "o4"]);
        assert_eq!(changed_ids(&touched), changed_ids(&full.changes_since(&before)));
        assert!(touched.1.is_empty() && full.changes_since(&before).1.is_empty());
        assert_eq!(before.secretariat, None);
        assert_eq!(advanced.secretariat.as_deref(), Some("o2"));
        for collection in Collection::ALL {
            assert_eq!(
                advanced.records(collection),
                full.records(collection),
                "{collection:?}"
            );
            assert_eq!(
                advanced.haystacks.get(&collection),
                full.haystacks.get(&collection),
                "{collection:?}"
            );
        }
        let query = ListQuery {
            search: "canacintra".into(),
            ..ListQuery::default()
        };
        let found = titles(&advanced, Collection::Alliances, &query);
        assert!(found.contains(&"Pacto por la igualdad".to_owned()), "{found:?}");
        assert_eq!(found, titles(&full, Collection::Alliances, &query));
        // A document that does not contain the old heads is read in full.
        let unrelated = workspace();
        let fallback = Snapshot::advance(&advanced, &unrelated, 3);
        assert_eq!(fallback.records(Collection::Organisations).len(), 3);
    }

    #[test]
    fn a_snapshot_at_past_heads_shows_the_old_values_and_the_next_one_reads_now() {
        let mut document = workspace();
        let before_rename = document.get_heads();
        enlace_shared::records::set_text(
            &mut document,
            Collection::Organisations,
            "o1",
            "name",
            "CANACINTRA",
            &AUTHOR,
        )
        .expect("rename");
        let past = read_at(&document, &before_rename, 2).expect("heads known");
        assert!(past.past);
        assert_eq!(
            past.get(Collection::Organisations, "o1").map(Record::title),
            Some("Cámara de Comercio de México")
        );
        assert_ne!(past, Snapshot::read(&document, 2), "same revision, other heads");
        // Back to now: the past snapshot is not advanced from, but read again.
        let now = Snapshot::advance(&past, &document, 3);
        assert!(!now.past);
        assert_eq!(
            now.get(Collection::Organisations, "o1").map(Record::title),
            Some("CANACINTRA")
        );
        // Heads the document does not have cannot be shown.
        let unknown = [ChangeHash([7; 32])];
        assert!(read_at(&document, &unknown, 4).is_none());
    }

    #[test]
    fn an_image_draws_the_same_workspace_and_the_document_then_advances_from_it() {
        let mut document = workspace();
        let read = Snapshot::read(&document, 1);
        let image = read.image().expect("a present snapshot has an image");
        let bytes = image.encode();
        let drawn = Snapshot::from_image(WorkspaceImage::decode(&bytes).expect("decodes"), 1);
        assert_eq!(drawn, read, "same revision and heads");
        for collection in Collection::ALL {
            assert_eq!(drawn.records(collection), read.records(collection));
        }
        let query = ListQuery {
            search: "giz".into(),
            ..ListQuery::default()
        };
        assert_eq!(titles(&drawn, Collection::Organisations, &query), ["GIZ"]);
        // The document (loaded after the image is drawn) moved on: the next
        // snapshot re-reads what changed since the image's heads.
        enlace_shared::records::set_text(
            &mut document,
            Collection::Organisations,
            "o2",
            "name",
            "GIZ México",
            &AUTHOR,
        )
        .expect("rename");
        let advanced = Snapshot::advance(&drawn, &document, 2);
        assert_eq!(
            advanced.get(Collection::Organisations, "o2").map(Record::title),
            Some("GIZ México")
        );
        assert_eq!(advanced.heads(), document.get_heads().as_slice());
        assert_eq!(
            advanced.records(Collection::Alliances),
            read.records(Collection::Alliances)
        );
        // A view of the past is never kept as an image.
        let past = read_at(&document, read.heads(), 3).expect("heads known");
        assert!(past.image().is_none());
    }

    #[test]
    fn the_pages_snapshot_patched_with_the_engines_changes_matches_a_full_read() {
        use crate::engine_messages::{self, Records, ToPage};

        let mut document = workspace();
        // The page has a record the engine's document will not (a change
        // the server refused, dropped since).
        let mut with_extra = document.fork();
        create_record(
            &mut with_extra,
            Collection::Organisations,
            "o9",
            &[("name", text("Dropped"))],
            &AUTHOR,
        )
        .expect("add");
        let before = Snapshot::read(&with_extra, 1);
        rename_o1_and_add_o4(&mut document);
        let full = Snapshot::read(&document, 2);
        let changes = full.changes_since(&before);
        assert_eq!(changed_ids(&changes), ["o1", "o4"], "only what differs is sent");
        let (changed, removed) = changes;
        assert_eq!(removed, [(Collection::Organisations, "o9".to_owned())]);
        // Through the message's encoding, as the worker sends it.
        let message = ToPage::Records(Records {
            whole: false,
            from_image: false,
            remote: true,
            heads: full.heads().to_vec(),
            secretariat: full.secretariat.clone(),
            records: changed,
            removed,
            actor: None,
        });
        let ToPage::Records(records) =
            engine_messages::decode::<ToPage>(&engine_messages::encode(&message)).expect("decodes")
        else {
            panic!("records come back as records");
        };
        let patched = Snapshot::patched(
            &before,
            records.records,
            &records.removed,
            records.secretariat,
            records.heads,
            2,
        );
        assert_eq!(patched, full, "same revision and heads");
        for collection in Collection::ALL {
            assert_eq!(
                patched.records(collection),
                full.records(collection),
                "{collection:?}"
            );
            assert_eq!(
                patched.haystacks.get(&collection),
                full.haystacks.get(&collection),
                "{collection:?}"
            );
        }
        // The alliance's search text follows its partner's new title.
        let query = ListQuery {
            search: "canacintra".into(),
            ..ListQuery::default()
        };
        assert_eq!(
            titles(&patched, Collection::Alliances, &query),
            titles(&full, Collection::Alliances, &query)
        );
        assert!(!titles(&patched, Collection::Alliances, &query).is_empty());
    }
}
