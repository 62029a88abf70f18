//! The workspace image: every record of the demo roundtable (items
//! included) survives encoding; what this build does not know is dropped
//! or refused, never misread.

use automerge::{ActorId, Automerge};
use ciborium::Value;
use enlace_shared::demo;
use enlace_shared::image::{FORMAT, ImageError, WorkspaceImage};
use enlace_shared::model;
use enlace_shared::records::{self, FieldValue};
use enlace_shared::schema::Collection;

fn demo_image() -> WorkspaceImage {
    let mut document = Automerge::new().with_actor(ActorId::from(vec![3u8; 16]));
    model::create_workspace(&mut document, "MCIG", 1).expect("workspace");
    let mut next = 0u32;
    demo::seed(&mut document, 1_600_000_000_000, &mut || {
        next += 1;
        format!("{next:032x}")
    })
    .expect("seed");
    let records = Collection::ALL
        .into_iter()
        .flat_map(|collection| records::read_all(&document, collection).expect("read"))
        .collect();
    WorkspaceImage {
        heads: document.get_heads(),
        secretariat: records::technical_secretariat(&document),
        records,
    }
}

#[test]
fn every_record_of_the_demo_round_trips_items_and_all() {
    let image = demo_image();
    assert!(
        image.records.len() > 30,
        "the demo has {} records",
        image.records.len()
    );
    assert!(
        image
            .records
            .iter()
            .any(|record| matches!(record.fields.get("agenda"), Some(FieldValue::Items(items)) if !items.is_empty())),
        "the demo's meetings have agendas, so items are covered"
    );
    assert!(image.secretariat.is_some());
    let back = WorkspaceImage::decode(&image.encode()).expect("decodes");
    assert_eq!(back, image);
}

/// The image's CBOR as a generic value, to forge variants of it.
fn as_value(image: &WorkspaceImage) -> Vec<(Value, Value)> {
    let value: Value = ciborium::from_reader(image.encode().as_slice()).expect("CBOR");
    value.into_map().expect("a map")
}

fn encode(map: Vec<(Value, Value)>) -> Vec<u8> {
    let mut bytes = Vec::new();
    ciborium::into_writer(&Value::Map(map), &mut bytes).expect("encodes");
    bytes
}

fn entry<'a>(map: &'a mut [(Value, Value)], key: &str) -> &'a mut Value {
    &mut map
        .iter_mut()
        .find(|(name, _)| name.as_text() == Some(key))
        .expect("key present")
        .1
}

#[test]
fn fields_and_collections_this_build_does_not_know_are_left_out() {
    let image = demo_image();
    let first = image.records[0].clone();
    let mut map = as_value(&image);
    let records = entry(&mut map, "records").as_array_mut().expect("records");
    // The first record gains a field nobody defined; the second claims a
    // collection nobody defined.
    let record = records[0].as_map_mut().expect("a record");
    let fields = entry(record, "fields").as_array_mut().expect("fields");
    fields.push(Value::Array(vec![
        Value::Text("from_a_later_build".into()),
        Value::Map(vec![(Value::Text("Text".into()), Value::Text("?".into()))]),
    ]));
    let second = records[1].as_map_mut().expect("a record");
    *entry(second, "collection") = Value::Text("no_such_collection".into());
    let back = WorkspaceImage::decode(&encode(map)).expect("decodes");
    assert_eq!(back.records.len(), image.records.len() - 1);
    assert_eq!(
        back.records[0], first,
        "the unknown field is dropped, the rest kept"
    );
}

#[test]
fn another_format_or_garbage_is_refused() {
    let mut map = as_value(&demo_image());
    *entry(&mut map, "format") = Value::Integer((FORMAT + 1).into());
    assert!(matches!(
        WorkspaceImage::decode(&encode(map)),
        Err(ImageError::OtherFormat(format)) if format == FORMAT + 1
    ));
    assert!(matches!(
        WorkspaceImage::decode(b"not an image"),
        Err(ImageError::Malformed(_))
    ));
    let mut truncated = demo_image().encode();
    truncated.truncate(truncated.len() / 2);
    assert!(matches!(
        WorkspaceImage::decode(&truncated),
        Err(ImageError::Malformed(_))
    ));
}
