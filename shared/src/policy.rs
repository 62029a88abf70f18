//! Who may change what: the server places every operation of an incoming
//! change in the workspace document ([`edits_in_change`]) and decides each
//! with [`check`]. Roles and capabilities are in [`crate::roles`]; which
//! capability a collection needs is in its [`crate::schema::CollectionSpec`].
//! Nothing here knows about sockets or storage.

use crate::refusal::Refusal;
use crate::roles::{Capability, Role, reason};
use crate::schema::Collection;

/// Where an operation lands in the workspace document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A key of the root map itself (collections, `meta`).
    Root { key: String },
    /// Inside `meta` (workspace settings).
    Settings,
    /// A key of a collection map: creating, replacing or removing a record.
    /// Only creating is ever allowed (see [`EditKind::Replace`]).
    Collection { collection: String, record_id: String },
    /// Inside a record (a field, or anything nested in a field).
    Record {
        collection: String,
        record_id: String,
        field: String,
    },
    /// An object the server could not place (no longer reachable from the root).
    Unknown,
}

/// What an operation does at its location.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditKind {
    /// Creates an object or sets a value.
    Write,
    /// Removes a key or list elements.
    Remove,
    /// Sets a record's `deleted` tombstone to true.
    Tombstone,
    /// At a collection key, anything but creating a new record: a value put
    /// over the key's current record, a value that is not a map (`null`, a
    /// string, a list), or a record created concurrently with another under
    /// the same key (automerge would show only one of the two, so a peer
    /// could hide someone's record by creating one "before" it).
    Replace,
}

/// One operation of an incoming change, as the policy sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub location: Location,
    pub kind: EditKind,
    /// For edits inside a record: whether the person editing created the record.
    pub own_record: bool,
}

/// Decides one edit for a person with `role`.
///
/// Records are never removed or replaced, by anyone: a collection key may
/// only receive a new record, and a record leaves through its `deleted`
/// tombstone, so every reference to it keeps resolving and its history stays.
pub fn check(role: Role, edit: &Edit) -> Result<(), Refusal> {
    let require = |capability| reason(role, capability).map_or(Ok(()), Err);
    if !role.may_write() {
        return Err(Refusal::ReadOnlyRole);
    }
    if let Location::Root { key } = &edit.location
        && Collection::from_key(key).is_some()
        && matches!(edit.kind, EditKind::Remove | EditKind::Replace)
    {
        return Err(Refusal::CollectionReplaced);
    }
    if let Location::Collection { .. } = edit.location {
        match edit.kind {
            EditKind::Remove => return Err(Refusal::RecordRemoved),
            EditKind::Replace | EditKind::Tombstone => return Err(Refusal::RecordReplaced),
            EditKind::Write => {}
        }
    }
    if role == Role::Secretariat {
        return Ok(());
    }
    match &edit.location {
        Location::Root { .. } => Err(Refusal::WorkspaceStructure),
        Location::Settings => require(Capability::EditSettings),
        Location::Unknown => Err(Refusal::DetachedObject),
        Location::Collection { collection, .. } | Location::Record { collection, .. } => {
            let Some(collection) = Collection::from_key(collection) else {
                return Err(Refusal::UnknownCollection);
            };
            require(collection.edit_capability())?;
            match (&edit.location, edit.kind) {
                (Location::Record { .. }, EditKind::Tombstone) if !edit.own_record => {
                    require(Capability::DeleteOthersRecords)
                }
                _ => Ok(()),
            }
        }
    }
}

/// An object and its path from the root (each step: object, key of the next level).
type PlacedObject = (automerge::ObjId, Vec<(automerge::ObjId, automerge::Prop)>);

/// The edits an incoming change makes, placed in `document` (a fork that
/// already contains the change). `is_own_actor` says whether an actor id
/// belongs to the person who sent the change; a record belongs to whoever's
/// actor created its map.
pub fn edits_in_change(
    document: &automerge::Automerge,
    change: &automerge::Change,
    is_own_actor: &dyn Fn(&automerge::ActorId) -> bool,
) -> Vec<Edit> {
    use automerge::legacy::{Key, ObjectId, OpType};
    use automerge::{ObjId, ObjType, Prop, ReadDoc as _, ScalarValue};

    let expanded = change.decode();
    let mut paths: std::collections::HashMap<String, Option<PlacedObject>> = std::collections::HashMap::new();
    expanded
        .operations
        .iter()
        .enumerate()
        .map(|(index, operation)| {
            // The operation's own id: counters run on from the change's start.
            let counter = expanded.start_op.get().saturating_add(index as u64);
            let key = match &operation.key {
                Key::Map(key) => Some(key.to_string()),
                Key::Seq(_) => None,
            };
            let mut kind = match &operation.action {
                OpType::Delete => EditKind::Remove,
                OpType::Put(ScalarValue::Boolean(true)) if key.as_deref() == Some("deleted") => {
                    EditKind::Tombstone
                }
                _ => EditKind::Write,
            };
            let mut own_record = true;
            let location = match &operation.obj {
                ObjectId::Root => match key.as_deref() {
                    Some(key) => {
                        // A collection's map holds every record of it: it may
                        // only be created where nothing was (as the workspace
                        // is made), never removed or put over.
                        if Collection::from_key(key).is_some() && kind == EditKind::Write {
                            let creates = matches!(operation.action, OpType::Make(ObjType::Map))
                                && operation.pred.is_empty()
                                && document.get_all(automerge::ROOT, key).is_ok_and(|values| {
                                    match values.as_slice() {
                                        [(_, ObjId::Id(value_counter, value_actor, _))] => {
                                            *value_counter == counter && *value_actor == expanded.actor_id
                                        }
                                        _ => false,
                                    }
                                });
                            if !creates {
                                kind = EditKind::Replace;
                            }
                        }
                        Location::Root { key: key.to_owned() }
                    }
                    None => Location::Unknown,
                },
                ObjectId::Id(op_id) => {
                    // Many operations share an object (a record's fields): find
                    // each object's place once per change.
                    let exported = format!("{}@{}", op_id.0, op_id.1);
                    let parent_path = paths
                        .entry(exported)
                        .or_insert_with_key(|exported| {
                            let object = document.import_obj(exported).ok()?;
                            let path = document.parents(&object).ok()?.visible_path()?;
                            Some((object, path))
                        })
                        .clone();
                    let path = parent_path.map(|(object, mut path)| {
                        path.push((object, Prop::Map(key.clone().unwrap_or_default())));
                        path
                    });
                    match path.as_deref() {
                        // path[i] = (object, the key under which the next level lives)
                        Some([(_, Prop::Map(root_key)), ..]) if root_key == "meta" => Location::Settings,
                        Some(
                            [
                                (_, Prop::Map(collection)),
                                (collection_object, Prop::Map(record_id)),
                            ],
                        ) => {
                            // Only a new map under a key that held nothing,
                            // and that is the key's only value once applied.
                            let creates = matches!(operation.action, OpType::Make(ObjType::Map))
                                && operation.pred.is_empty()
                                && key.is_some()
                                && document.get_all(collection_object, record_id.as_str()).is_ok_and(
                                    |values| match values.as_slice() {
                                        [(_, ObjId::Id(value_counter, value_actor, _))] => {
                                            *value_counter == counter && *value_actor == expanded.actor_id
                                        }
                                        _ => false,
                                    },
                                );
                            kind = match kind {
                                EditKind::Remove => EditKind::Remove,
                                _ if creates => EditKind::Write,
                                _ => EditKind::Replace,
                            };
                            Location::Collection {
                                collection: collection.clone(),
                                record_id: record_id.clone(),
                            }
                        }
                        Some(
                            [
                                (_, Prop::Map(collection)),
                                (_, Prop::Map(record_id)),
                                (record, Prop::Map(field)),
                                ..,
                            ],
                        ) => {
                            if let ObjId::Id(_, actor, _) = record {
                                own_record = is_own_actor(actor);
                            }
                            Location::Record {
                                collection: collection.clone(),
                                record_id: record_id.clone(),
                                field: field.clone(),
                            }
                        }
                        Some(
                            [
                                (_, Prop::Map(collection)),
                                (_, Prop::Map(record_id)),
                                (record, _),
                                ..,
                            ],
                        ) => {
                            if let ObjId::Id(_, actor, _) = record {
                                own_record = is_own_actor(actor);
                            }
                            Location::Record {
                                collection: collection.clone(),
                                record_id: record_id.clone(),
                                field: String::new(),
                            }
                        }
                        _ => Location::Unknown,
                    }
                }
            };
            Edit {
                location,
                kind,
                own_record,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roles::allows;

    fn record(collection: &str, field: &str, kind: EditKind, own_record: bool) -> Edit {
        Edit {
            location: Location::Record {
                collection: collection.into(),
                record_id: "r1".into(),
                field: field.into(),
            },
            kind,
            own_record,
        }
    }

    #[test]
    fn observers_write_nothing() {
        let edit = record("organisations", "name", EditKind::Write, true);
        assert!(check(Role::Observer, &edit).is_err());
        for capability in [Capability::EditRecords, Capability::ReadAudit] {
            assert!(!allows(Role::Observer, capability));
        }
    }

    #[test]
    fn members_edit_records_but_not_presidency_terms_or_settings() {
        assert_eq!(
            check(
                Role::Member,
                &record("alliances", "status", EditKind::Write, false)
            ),
            Ok(())
        );
        let create = Edit {
            location: Location::Collection {
                collection: "organisations".into(),
                record_id: "new".into(),
            },
            kind: EditKind::Write,
            own_record: true,
        };
        assert_eq!(check(Role::Member, &create), Ok(()));
        assert!(
            check(
                Role::Member,
                &record("presidency_terms", "start", EditKind::Write, true)
            )
            .is_err()
        );
        assert!(
            check(
                Role::Member,
                &record("workplan_lines", "title", EditKind::Write, true)
            )
            .is_err()
        );
        let settings = Edit {
            location: Location::Settings,
            kind: EditKind::Write,
            own_record: false,
        };
        assert!(check(Role::Member, &settings).is_err());
        assert!(check(Role::Secretariat, &settings).is_ok());
    }

    #[test]
    fn only_the_secretariat_writes_reports_and_everyone_writes_meetings() {
        let create_report = Edit {
            location: Location::Collection {
                collection: "reports".into(),
                record_id: "new".into(),
            },
            kind: EditKind::Write,
            own_record: true,
        };
        let introduction = record("reports", "introduction", EditKind::Write, true);
        for role in [Role::Member, Role::Presidency] {
            assert_eq!(check(role, &create_report), Err(Refusal::Reports), "{role:?}");
            assert_eq!(check(role, &introduction), Err(Refusal::Reports), "{role:?}");
        }
        assert_eq!(check(Role::Observer, &introduction), Err(Refusal::ReadOnlyRole));
        assert_eq!(check(Role::Secretariat, &create_report), Ok(()));
        assert_eq!(check(Role::Secretariat, &introduction), Ok(()));
        for (collection, field) in [
            ("meetings", "minutes"),
            ("meetings", "agenda"),
            ("action_items", "status"),
            ("working_groups", "members"),
        ] {
            assert_eq!(
                check(Role::Member, &record(collection, field, EditKind::Write, false)),
                Ok(()),
                "{collection}.{field}"
            );
        }
    }

    #[test]
    fn members_delete_only_what_they_created() {
        assert_eq!(
            check(
                Role::Member,
                &record("organisations", "deleted", EditKind::Tombstone, true)
            ),
            Ok(())
        );
        let denial = check(
            Role::Member,
            &record("organisations", "deleted", EditKind::Tombstone, false),
        )
        .expect_err("others' records");
        assert_eq!(denial, Refusal::DeleteOthersRecords);
        assert!(
            check(
                Role::Secretariat,
                &record("organisations", "deleted", EditKind::Tombstone, false)
            )
            .is_ok()
        );
        let removal = Edit {
            location: Location::Collection {
                collection: "organisations".into(),
                record_id: "r1".into(),
            },
            kind: EditKind::Remove,
            own_record: true,
        };
        assert!(check(Role::Member, &removal).is_err());
    }

    #[test]
    fn presidency_edits_terms_and_workplan() {
        assert!(
            check(
                Role::Presidency,
                &record("presidency_terms", "start", EditKind::Write, false)
            )
            .is_ok()
        );
        assert!(
            check(
                Role::Presidency,
                &record("workplan_lines", "title", EditKind::Write, false)
            )
            .is_ok()
        );
        assert!(
            check(
                Role::Presidency,
                &Edit {
                    location: Location::Settings,
                    kind: EditKind::Write,
                    own_record: false
                }
            )
            .is_err()
        );
        assert!(allows(Role::Presidency, Capability::ReadAudit));
        assert!(!allows(Role::Member, Capability::ReadAudit));
    }

    #[test]
    fn structure_and_unknown_objects_are_secretariat_only() {
        let root = Edit {
            location: Location::Root {
                key: "organisations".into(),
            },
            kind: EditKind::Write,
            own_record: false,
        };
        assert!(check(Role::Presidency, &root).is_err());
        assert!(check(Role::Secretariat, &root).is_ok());
        let unknown = Edit {
            location: Location::Unknown,
            kind: EditKind::Write,
            own_record: false,
        };
        assert!(check(Role::Member, &unknown).is_err());
    }

    mod from_changes {
        use super::super::*;
        use crate::model::{self, Authorship};
        use crate::records::{self, Initial};
        use automerge::{ActorId, Automerge};

        fn create_organisation(document: &mut Automerge, id: &str, name: &str) {
            records::create_record(
                document,
                Collection::Organisations,
                id,
                &[
                    ("name", Initial::Text(name.into())),
                    ("kind", Initial::Text("cooperation_agency".into())),
                ],
                &Authorship {
                    now_ms: 1,
                    author: "Ana",
                },
            )
            .expect("create");
        }

        fn workspace() -> Automerge {
            let mut document = Automerge::new().with_actor(ActorId::from(vec![1u8; 16]));
            model::create_workspace(&mut document, "MCIG", 0).expect("workspace");
            document
        }

        fn last_edits(document: &Automerge, own: &ActorId) -> Vec<Edit> {
            let change = document.get_last_local_change().expect("a change");
            let own = own.clone();
            edits_in_change(document, &change, &move |actor| *actor == own)
        }

        #[test]
        fn creating_an_organisation_places_every_operation() {
            let ana = ActorId::from(vec![2u8; 16]);
            let mut document = workspace().with_actor(ana.clone());
            create_organisation(&mut document, "r1", "GIZ");
            let edits = last_edits(&document, &ana);
            assert_eq!(
                edits[0].location,
                Location::Collection {
                    collection: "organisations".into(),
                    record_id: "r1".into()
                }
            );
            assert!(edits[1..].iter().all(|edit| matches!(&edit.location, Location::Record { collection, record_id, .. } if collection == "organisations" && record_id == "r1")));
            assert!(edits.iter().all(|edit| check(Role::Member, edit).is_ok()));
            assert!(edits.iter().all(|edit| check(Role::Observer, edit).is_err()));
        }

        #[test]
        fn tombstoning_another_persons_record_is_detected() {
            let ana = ActorId::from(vec![2u8; 16]);
            let ben = ActorId::from(vec![3u8; 16]);
            let mut document = workspace().with_actor(ana.clone());
            create_organisation(&mut document, "r1", "GIZ");
            let mut document = document.with_actor(ben.clone());
            records::set_deleted(
                &mut document,
                Collection::Organisations,
                "r1",
                true,
                &Authorship {
                    now_ms: 2,
                    author: "Ben",
                },
            )
            .expect("delete");
            let edits = last_edits(&document, &ben);
            assert_eq!(edits.len(), 1);
            assert_eq!(edits[0].kind, EditKind::Tombstone);
            assert!(!edits[0].own_record);
            assert!(check(Role::Member, &edits[0]).is_err());
            // Ana deleting her own record is fine.
            let edits = {
                let change = document.get_last_local_change().expect("change");
                edits_in_change(&document, &change, &|actor| *actor == ana)
            };
            assert!(edits[0].own_record);
            assert!(check(Role::Member, &edits[0]).is_ok());
        }

        #[test]
        fn settings_and_root_are_placed() {
            let ana = ActorId::from(vec![2u8; 16]);
            let mut document = workspace().with_actor(ana.clone());
            let mut transaction = document.transaction();
            let Ok(Some((_, meta))) = automerge::ReadDoc::get(&transaction, automerge::ROOT, "meta") else {
                panic!("the workspace has meta")
            };
            automerge::transaction::Transactable::put(&mut transaction, &meta, "name", "Otra").expect("put");
            automerge::transaction::Transactable::put(&mut transaction, automerge::ROOT, "rogue", 1)
                .expect("put");
            transaction.commit();
            let edits = last_edits(&document, &ana);
            assert_eq!(edits[0].location, Location::Settings);
            assert_eq!(edits[1].location, Location::Root { key: "rogue".into() });
        }

        /// Ben's edit at the root key of a collection, as the policy decides
        /// it for each role that writes (the secretariat included).
        fn decisions_at_the_root(
            edit: impl FnOnce(&mut automerge::transaction::Transaction<'_>),
        ) -> Vec<(Role, Result<(), Refusal>)> {
            let ana = ActorId::from(vec![2u8; 16]);
            let ben = ActorId::from(vec![3u8; 16]);
            let mut document = workspace().with_actor(ana);
            create_organisation(&mut document, "r1", "GIZ");
            let mut document = document.with_actor(ben.clone());
            let mut transaction = document.transaction();
            edit(&mut transaction);
            transaction.commit();
            let edits = last_edits(&document, &ben);
            assert_eq!(edits.len(), 1);
            assert_eq!(
                edits[0].location,
                Location::Root {
                    key: "organisations".into()
                }
            );
            [Role::Member, Role::Presidency, Role::Secretariat]
                .into_iter()
                .map(|role| (role, check(role, &edits[0])))
                .collect()
        }

        #[test]
        fn nobody_removes_or_replaces_a_whole_collection() {
            use automerge::transaction::Transactable as _;
            refused_for_everyone(
                decisions_at_the_root(|transaction| {
                    transaction
                        .delete(automerge::ROOT, "organisations")
                        .expect("delete");
                }),
                Refusal::CollectionReplaced,
            );
            refused_for_everyone(
                decisions_at_the_root(|transaction| {
                    transaction
                        .put_object(automerge::ROOT, "organisations", automerge::ObjType::Map)
                        .expect("put");
                }),
                Refusal::CollectionReplaced,
            );
            refused_for_everyone(
                decisions_at_the_root(|transaction| {
                    transaction
                        .put(automerge::ROOT, "organisations", automerge::ScalarValue::Null)
                        .expect("put");
                }),
                Refusal::CollectionReplaced,
            );
        }

        fn organisations(document: &Automerge) -> automerge::ObjId {
            match automerge::ReadDoc::get(document, automerge::ROOT, "organisations") {
                Ok(Some((_, organisations))) => organisations,
                _ => panic!("the workspace has organisations"),
            }
        }

        /// Ben's edit at the key of Ana's record `r1`, as the policy decides
        /// it for each role that writes.
        fn decisions_at_the_key(
            edit: impl FnOnce(&mut automerge::transaction::Transaction<'_>, &automerge::ObjId),
        ) -> Vec<(Role, Result<(), Refusal>)> {
            let ana = ActorId::from(vec![2u8; 16]);
            let ben = ActorId::from(vec![3u8; 16]);
            let mut document = workspace().with_actor(ana);
            create_organisation(&mut document, "r1", "GIZ");
            let mut document = document.with_actor(ben.clone());
            let organisations = organisations(&document);
            let mut transaction = document.transaction();
            edit(&mut transaction, &organisations);
            transaction.commit();
            let edits = last_edits(&document, &ben);
            assert_eq!(edits.len(), 1);
            assert_eq!(
                edits[0].location,
                Location::Collection {
                    collection: "organisations".into(),
                    record_id: "r1".into()
                }
            );
            [Role::Member, Role::Presidency, Role::Secretariat]
                .into_iter()
                .map(|role| (role, check(role, &edits[0])))
                .collect()
        }

        fn refused_for_everyone(decisions: Vec<(Role, Result<(), Refusal>)>, refusal: Refusal) {
            for (role, decision) in decisions {
                assert_eq!(decision, Err(refusal), "{role:?}");
            }
        }

        #[test]
        fn nobody_removes_a_record() {
            refused_for_everyone(
                decisions_at_the_key(|transaction, organisations| {
                    automerge::transaction::Transactable::delete(transaction, organisations, "r1")
                        .expect("delete");
                }),
                Refusal::RecordRemoved,
            );
        }

        #[test]
        fn nobody_puts_null_or_a_scalar_over_a_record() {
            refused_for_everyone(
                decisions_at_the_key(|transaction, organisations| {
                    automerge::transaction::Transactable::put(
                        transaction,
                        organisations,
                        "r1",
                        automerge::ScalarValue::Null,
                    )
                    .expect("put");
                }),
                Refusal::RecordReplaced,
            );
            refused_for_everyone(
                decisions_at_the_key(|transaction, organisations| {
                    automerge::transaction::Transactable::put(transaction, organisations, "r1", "GIZ")
                        .expect("put");
                }),
                Refusal::RecordReplaced,
            );
        }

        #[test]
        fn nobody_replaces_a_record_with_a_new_map() {
            refused_for_everyone(
                decisions_at_the_key(|transaction, organisations| {
                    automerge::transaction::Transactable::put_object(
                        transaction,
                        organisations,
                        "r1",
                        automerge::ObjType::Map,
                    )
                    .expect("put");
                }),
                Refusal::RecordReplaced,
            );
        }

        /// A record created without seeing Ana's (its change does not depend
        /// on hers) lands beside hers under the same key, and automerge shows
        /// only one of the two: refused, whichever wins.
        #[test]
        fn a_record_created_concurrently_under_an_existing_key_is_refused() {
            let ana = ActorId::from(vec![2u8; 16]);
            let base = workspace();
            for ben in [ActorId::from(vec![1u8; 16]), ActorId::from(vec![3u8; 16])] {
                let mut document = base.fork().with_actor(ana.clone());
                create_organisation(&mut document, "r1", "GIZ");
                let mut concurrent = base.fork().with_actor(ben.clone());
                create_organisation(&mut concurrent, "r1", "Otra");
                let change = concurrent.get_last_local_change().expect("change");
                document.apply_changes([change.clone()]).expect("merge");
                let own = ben.clone();
                let edits = edits_in_change(&document, &change, &move |actor| *actor == own);
                assert_eq!(edits[0].kind, EditKind::Replace);
                for role in [Role::Member, Role::Secretariat] {
                    assert_eq!(check(role, &edits[0]), Err(Refusal::RecordReplaced));
                }
            }
        }

        /// The same, with the conflict settled in a second change of the
        /// same message: the first is judged in a document where the key's
        /// only value is the second's, and is still not a new record.
        #[test]
        fn a_concurrent_record_settled_by_a_later_change_is_refused() {
            let ana = ActorId::from(vec![2u8; 16]);
            let ben = ActorId::from(vec![3u8; 16]);
            let base = workspace();
            let mut document = base.fork().with_actor(ana);
            create_organisation(&mut document, "r1", "GIZ");
            let mut attacker = base.fork().with_actor(ben.clone());
            create_organisation(&mut attacker, "r1", "Otra");
            let concurrent = attacker.get_last_local_change().expect("change");
            attacker.merge(&mut document.clone()).expect("merge");
            let organisations = organisations(&attacker);
            let mut transaction = attacker.transaction();
            automerge::transaction::Transactable::put_object(
                &mut transaction,
                &organisations,
                "r1",
                automerge::ObjType::Map,
            )
            .expect("put");
            transaction.commit();
            let settling = attacker.get_last_local_change().expect("change");
            document
                .apply_changes([concurrent.clone(), settling.clone()])
                .expect("merge");
            for change in [&concurrent, &settling] {
                let own = ben.clone();
                let edits = edits_in_change(&document, change, &move |actor| *actor == own);
                assert_eq!(edits[0].kind, EditKind::Replace);
                assert!(check(Role::Secretariat, &edits[0]).is_err());
            }
        }

        #[test]
        fn a_scalar_under_a_new_key_is_not_a_record() {
            let ben = ActorId::from(vec![3u8; 16]);
            let mut document = workspace().with_actor(ben.clone());
            let organisations = organisations(&document);
            let mut transaction = document.transaction();
            automerge::transaction::Transactable::put(&mut transaction, &organisations, "deleted", true)
                .expect("put");
            transaction.commit();
            let edits = last_edits(&document, &ben);
            assert_eq!(edits[0].kind, EditKind::Replace);
            assert_eq!(check(Role::Member, &edits[0]), Err(Refusal::RecordReplaced));
        }

        #[test]
        fn creating_and_tombstoning_records_still_pass() {
            let ana = ActorId::from(vec![2u8; 16]);
            let mut document = workspace().with_actor(ana.clone());
            create_organisation(&mut document, "r1", "GIZ");
            let created = last_edits(&document, &ana);
            assert_eq!(created[0].kind, EditKind::Write);
            records::set_deleted(
                &mut document,
                Collection::Organisations,
                "r1",
                true,
                &Authorship {
                    now_ms: 2,
                    author: "Ana",
                },
            )
            .expect("delete");
            let tombstoned = last_edits(&document, &ana);
            for role in [Role::Member, Role::Secretariat] {
                assert!(created.iter().all(|edit| check(role, edit).is_ok()), "{role:?}");
                assert!(
                    tombstoned.iter().all(|edit| check(role, edit).is_ok()),
                    "{role:?}"
                );
            }
        }
    }
}
