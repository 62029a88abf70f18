//! `docs/schema.md` documents every collection with a table per collection
//! (and one per nested items field). This test builds those tables from
//! `schema.rs` and checks that the document holds each one verbatim, so the
//! written contract cannot drift from the code. On a failure it prints the
//! table the document should hold.

use enlace_shared::schema::{Collection, FieldKind, FieldSpec};

fn stored_as(kind: FieldKind) -> String {
    match kind {
        FieldKind::Line => "string (scalar)".into(),
        FieldKind::LongText => "text (Automerge text)".into(),
        FieldKind::Date => "string `YYYY-MM-DD` (empty = none)".into(),
        FieldKind::Time => "string `HH:MM`, 24-hour (empty = none)".into(),
        FieldKind::Choice(choices) => {
            let slugs: Vec<String> = choices
                .iter()
                .map(|choice| format!("`{}`", choice.slug))
                .collect();
            format!("one of {}", slugs.join(", "))
        }
        FieldKind::Reference(target) => format!("id of a record in `{}`", target.key()),
        FieldKind::References(target) => format!("list of ids in `{}`", target.key()),
        FieldKind::Strings => "list of strings".into(),
        FieldKind::Flag => "boolean".into(),
        FieldKind::Links => "list of links `<collection>/<record id>` to records of any collection".into(),
        FieldKind::Items(spec) => format!("list of {} maps (`id` and the fields below)", spec.noun),
    }
}

fn table(heading: &str, fields: &[FieldSpec]) -> String {
    let mut table = format!(
        "{heading}\n\n| field | stored as | required | English | Español |\n| --- | --- | --- | --- | --- |\n"
    );
    for field in fields {
        table.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            field.key,
            stored_as(field.kind),
            if field.required { "yes" } else { "" },
            field.label.en,
            field.label.es,
        ));
    }
    table
}

/// Every table `docs/schema.md` must hold, in order.
fn tables() -> Vec<String> {
    let mut tables = Vec::new();
    for collection in Collection::ALL {
        tables.push(table(&format!("### `{}`", collection.key()), collection.fields()));
        for field in collection.fields() {
            if let FieldKind::Items(spec) = field.kind {
                tables.push(table(
                    &format!("#### `{}.{}`: each {}", collection.key(), field.key, spec.noun),
                    spec.fields,
                ));
            }
        }
    }
    tables
}

#[test]
fn the_schema_document_holds_every_table_of_the_schema() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/schema.md");
    let document = std::fs::read_to_string(path).expect("docs/schema.md");
    let missing: Vec<String> = tables()
        .into_iter()
        .filter(|table| !document.contains(table.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/schema.md lacks or differs from these tables (generated from schema.rs):\n\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_root_table_names_every_collection() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/schema.md");
    let document = std::fs::read_to_string(path).expect("docs/schema.md");
    for collection in Collection::ALL {
        let row = format!("| `{}` | map: record id → ", collection.key());
        assert!(
            document.contains(&row),
            "the root table lacks `{}`",
            collection.key()
        );
    }
}
