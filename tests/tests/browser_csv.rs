//! Browser end to end of CSV in and out (`tests/js/browser-csv.mjs`), in
//! headless Chromium against the real server and its embedded client.
//!
//! Part one, on a workspace with one organisation (OIT, no city): a member
//! imports a small file with Spanish headers holding two new organisations,
//! one with an unknown kind and one that repeats OIT's acronym. The mapping
//! is pre-filled, the validation report names the bad row and its reason,
//! the repeat is offered for merging and merged: OIT gets its empty city
//! filled and no second OIT appears. The History shows one `import … from
//! CSV` change by the member (checked in the page and through the API). An
//! observer can download but sees Import disabled, and the import page
//! itself refuses them.
//!
//! Part two, on an empty workspace: 2,000 organisations generated here in
//! the export's format (Spanish headers, the `id` column empty, rows
//! shuffled; names, kinds, memberships, dates, tags, descriptions with
//! commas, quotes and line breaks) are imported through the page and
//! exported again from the list. The download must be the input with each
//! row's id filled in: the same header row, and for every row every other
//! cell the same, rows in the export's order (by name); each id is a fresh
//! 32-hex id. Its size must be the input's plus exactly 32 bytes per row,
//! so quoting, line ends and the byte-order mark match too. The import's
//! time measured in the page is logged (no assertion on it).

use std::collections::HashSet;
use std::path::Path;

use anyhow::{Context as _, ensure};
use enlace_shared::api::{HistoryPage, paths};
use enlace_shared::csv_io::{self, BOM, Table};
use enlace_shared::language::Language;
use enlace_shared::schema::{Collection, MEMBERSHIP, ORGANISATION_KINDS};
use enlace_tests::browser::{
    ADMIN_NAME, browser_server, check_screenshot, fresh_screenshot, prerequisites, run_script,
};
use enlace_tests::{RustClient, TEST_PASSWORD};

const BULK_ROWS: usize = 2_000;

/// One cell as the `csv` crate writes it: quoted only when it must be.
fn cell(text: &str) -> String {
    if text.contains(['"', ',', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// The cells of generated organisation `n` after the id, in the order of
/// the Spanish headers: name, acronym, kind, country, city, website,
/// description, membership, since, until, tags.
fn organisation_cells(n: usize) -> Vec<String> {
    let words = ["Ñandú", "Café", "Árbol", "Río", "Señal"];
    let countries = ["México", "Guatemala", "El Salvador", "Honduras"];
    let description = match n % 5 {
        0 => format!("Línea uno, con coma y \"comillas\"\nLínea dos de {n}"),
        1 => String::new(),
        _ => format!("Descripción {n}; con punto y coma"),
    };
    let membership = if n.is_multiple_of(7) {
        ""
    } else {
        MEMBERSHIP[n % MEMBERSHIP.len()].label(Language::Spanish)
    };
    let tags = match n % 3 {
        0 => "salud; educación",
        1 => "género",
        _ => "",
    };
    vec![
        format!("Organización {n:04} {}", words[n % words.len()]),
        if n.is_multiple_of(3) {
            format!("ORG{n:04}")
        } else {
            String::new()
        },
        ORGANISATION_KINDS[n % ORGANISATION_KINDS.len()]
            .label(Language::Spanish)
            .to_owned(),
        countries[n % countries.len()].to_owned(),
        if n.is_multiple_of(2) {
            format!("Ciudad {n}")
        } else {
            String::new()
        },
        format!("https://org{n}.example.org"),
        description,
        membership.to_owned(),
        if n.is_multiple_of(4) {
            format!("20{:02}-{:02}-01", 15 + n % 6, 1 + n % 12)
        } else {
            String::new()
        },
        if n.is_multiple_of(8) {
            "2030-12-31".to_owned()
        } else {
            String::new()
        },
        tags.to_owned(),
    ]
}

/// The bulk file: the export's Spanish header row, then one row per
/// organisation with an empty id, shuffled.
fn bulk_csv() -> String {
    let mut rows: Vec<usize> = (1..=BULK_ROWS).collect();
    fastrand::Rng::with_seed(12).shuffle(&mut rows);
    let mut text = String::from(BOM);
    let headers = csv_io::headers(Collection::Organisations, Language::Spanish, false);
    text.push_str(
        &headers
            .iter()
            .map(|header| cell(header))
            .collect::<Vec<_>>()
            .join(","),
    );
    text.push('\n');
    for n in rows {
        let mut cells = vec![String::new()];
        cells.extend(organisation_cells(n).iter().map(|text| cell(text)));
        text.push_str(&cells.join(","));
        text.push('\n');
    }
    text
}

/// Checks the export is the input with ids filled in (see the module's doc).
fn compare_round_trip(input: &str, output: &[u8]) -> anyhow::Result<()> {
    let output = std::str::from_utf8(output).context("the export is not UTF-8")?;
    ensure!(output.starts_with(BOM), "the export has no byte-order mark");
    let (input_table, output_table): (Table, Table) = (csv_io::parse(input)?, csv_io::parse(output)?);
    ensure!(
        output_table.headers == input_table.headers,
        "headers differ: {:?} vs {:?}",
        output_table.headers,
        input_table.headers
    );
    ensure!(
        output_table.rows.len() == BULK_ROWS,
        "the export has {} rows, not {BULK_ROWS}",
        output_table.rows.len()
    );
    let mut expected = input_table.rows;
    // The export's order: by name, lower-cased (`records::sort_records`).
    expected.sort_by_key(|row| row[1].to_lowercase());
    let mut ids = HashSet::new();
    for (position, (exported, wanted)) in output_table.rows.iter().zip(&expected).enumerate() {
        let id = &exported[0];
        ensure!(
            id.len() == 32 && id.chars().all(|character| character.is_ascii_hexdigit()),
            "row {position} has id {id:?}"
        );
        ensure!(ids.insert(id.clone()), "id {id} appears twice");
        ensure!(wanted[0].is_empty(), "the input had an id");
        ensure!(
            exported[1..] == wanted[1..],
            "row {position} differs:\nexported {:?}\nimported {:?}",
            &exported[1..],
            &wanted[1..]
        );
    }
    ensure!(
        output.len() == input.len() + 32 * BULK_ROWS,
        "the export is {} bytes, not the input's {} plus 32 per id",
        output.len(),
        input.len()
    );
    Ok(())
}

/// A small file with Spanish headers: two new organisations, one with an
/// unknown kind (file line 4) and one repeating OIT's acronym (line 5).
const SMALL_CSV: &str = "Nombre,Siglas,Tipo,País,Ciudad\n\
    Fundación Semilla,FS,Academia,México,Puebla\n\
    Red de Mujeres Empresarias,RME,Cámara del sector privado,Guatemala,\n\
    Colectivo Sin Tipo,CST,ONG,Honduras,Tegucigalpa\n\
    Organización Internacional del Trabajo (Ginebra),OIT,Entidad de la ONU,Suiza,Ginebra\n";

const OIT_NAME: &str = "Organización Internacional del Trabajo";

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

async fn import_with_report_merge_history_and_observer(files: &Path) -> anyhow::Result<()> {
    let (_data, mut server) = browser_server().await?;
    let (member_id, member) = server
        .add_person("marta@mesa.test", "Marta Miembro", "member")
        .await?;
    server
        .add_person("oscar@mesa.test", "Óscar Observador", "observer")
        .await?;
    let workspace = server.first_workspace().await?;
    let mut secretariat = RustClient::connect_named(&server, &workspace, ADMIN_NAME).await?;
    let oit = secretariat
        .add_organisation(OIT_NAME, "un_entity", "Suiza")
        .await?;
    secretariat.set_field(&oit, "acronym", "OIT").await?;
    drop(secretariat);

    let small = files.join("pequeno.csv");
    write(&small, SMALL_CSV)?;
    let screenshot = fresh_screenshot("csv-import-preview.png")?;
    let done = fresh_screenshot("csv-import-done.png")?;
    let list = fresh_screenshot("csv-list-observer.png")?;
    run_script(
        "browser-csv.mjs",
        &server,
        &screenshot,
        &[
            ("ENLACE_CSV_PART", "small"),
            ("ENLACE_CSV_FILE", &small.display().to_string()),
            ("ENLACE_CSV_DONE_SCREENSHOT", &done.display().to_string()),
            ("ENLACE_CSV_LIST_SCREENSHOT", &list.display().to_string()),
            ("ENLACE_PASSWORD", TEST_PASSWORD),
            ("ENLACE_MEMBER_EMAIL", "marta@mesa.test"),
            ("ENLACE_MEMBER_NAME", "Marta Miembro"),
            ("ENLACE_OBSERVER_EMAIL", "oscar@mesa.test"),
            ("ENLACE_OBSERVER_NAME", "Óscar Observador"),
            ("ENLACE_OIT_NAME", OIT_NAME),
        ],
    )
    .await?;
    check_screenshot(&done)?;
    check_screenshot(&list)?;

    // What the page wrote, read by another client.
    let reader = RustClient::connect_named(&server, &workspace, ADMIN_NAME).await?;
    let organisations = reader.organisations();
    let mut names: Vec<&str> = organisations.iter().map(|record| record.title()).collect();
    names.sort_unstable();
    ensure!(
        names == ["Fundación Semilla", OIT_NAME, "Red de Mujeres Empresarias"],
        "the workspace holds {names:?}"
    );
    let merged = organisations
        .iter()
        .find(|record| record.id == oit)
        .context("OIT is gone")?;
    ensure!(
        (
            merged.text("city"),
            merged.text("country"),
            merged.text("acronym")
        ) == ("Ginebra", "Suiza", "OIT"),
        "the merge left OIT as {merged:?}"
    );

    // The server attributes exactly one change, the import, to the member.
    let path = format!("{}?person={member_id}", paths::history(&workspace.id));
    let (status, body, _) = server.api("GET", &path, Some(&member), None).await?;
    ensure!(status == 200, "history answered {status}: {body}");
    let page: HistoryPage = serde_json::from_value(body)?;
    let messages: Vec<Option<&str>> = page
        .entries
        .iter()
        .map(|entry| entry.receipt.message.as_deref())
        .collect();
    ensure!(
        messages == [Some("import 3 organisations from CSV")],
        "the member's changes are {messages:?}"
    );
    ensure!(
        page.entries[0].records.len() == 3,
        "the import touched {:?}",
        page.entries[0].records
    );
    server.stop().await?;
    Ok(())
}

async fn two_thousand_organisations_round_trip(files: &Path) -> anyhow::Result<()> {
    let (_data, mut server) = browser_server().await?;
    server
        .add_person("marta@mesa.test", "Marta Miembro", "member")
        .await?;
    let input = bulk_csv();
    let (input_path, output_path, report_path) = (
        files.join("organizaciones-2000.csv"),
        files.join("exportadas.csv"),
        files.join("informe.json"),
    );
    write(&input_path, &input)?;
    let screenshot = fresh_screenshot("csv-import-2000.png")?;
    run_script(
        "browser-csv.mjs",
        &server,
        &screenshot,
        &[
            ("ENLACE_CSV_PART", "bulk"),
            ("ENLACE_CSV_FILE", &input_path.display().to_string()),
            ("ENLACE_CSV_OUT", &output_path.display().to_string()),
            ("ENLACE_CSV_REPORT", &report_path.display().to_string()),
            ("ENLACE_CSV_ROWS", &BULK_ROWS.to_string()),
            ("ENLACE_PASSWORD", TEST_PASSWORD),
            ("ENLACE_MEMBER_EMAIL", "marta@mesa.test"),
            ("ENLACE_MEMBER_NAME", "Marta Miembro"),
        ],
    )
    .await?;
    let output = std::fs::read(&output_path).context("no exported file")?;
    compare_round_trip(&input, &output)?;
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&report_path)?)?;
    eprintln!(
        "browser_csv: {BULK_ROWS} organisations imported in {} ms (in the page, click to summary), \
         {} input bytes; the export ({}) matches",
        report["import_ms"],
        input.len(),
        report["file_name"]
    );
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn csv_import_reports_merges_and_round_trips_2000_organisations() -> anyhow::Result<()> {
    prerequisites()?;
    let files = tempfile::tempdir()?;
    // One after the other: two Chromiums at once would only slow each other.
    import_with_report_merge_history_and_observer(files.path()).await?;
    two_thousand_organisations_round_trip(files.path()).await
}

#[test]
fn generated_rows_are_valid_and_distinct() {
    let input = bulk_csv();
    let table = csv_io::parse(&input).expect("parses");
    assert_eq!(table.rows.len(), BULK_ROWS);
    // Into an empty workspace every row is new, with no problem and no duplicate.
    let mut document = automerge::Automerge::new();
    enlace_shared::model::create_workspace(&mut document, "Mesa", 0).expect("workspace");
    let mapping = csv_io::suggest_mapping(&table.headers, Collection::Organisations);
    assert!(mapping.iter().all(Option::is_some), "{mapping:?}");
    let counts = csv_io::plan_import(&document, &table, &mapping, Collection::Organisations).counts();
    assert_eq!(
        (counts.creates, counts.with_problems, counts.with_duplicates),
        (BULK_ROWS, 0, 0)
    );
    let names: HashSet<&str> = table.rows.iter().map(|row| row[1].as_str()).collect();
    assert_eq!(names.len(), BULK_ROWS);
    // Every cell after the id as generated: quoting undone by the parser.
    let first = table
        .rows
        .iter()
        .find(|row| row[1].starts_with("Organización 0010 "))
        .expect("row 10");
    assert_eq!(first[1..], organisation_cells(10)[..]);
    assert!(first[7].contains('\n') && first[7].contains('"'));
}
