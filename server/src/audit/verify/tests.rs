//! `verify` on a synthetic export: an honest one passes, and each kind of
//! tampering is rejected with the error that names it.

use std::borrow::Cow;

use automerge::transaction::{CommitOptions, Transactable as _};
use automerge::{ActorId, Automerge, ROOT};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::SigningKey;
use enlace_shared::api::Receipt;
use enlace_shared::roles::Role;
use sha2::{Digest as _, Sha256};

use super::*;
use crate::audit::export::sign;
use crate::audit::{ExportedReceipt, ExportedWorkspace};

fn server_key() -> SigningKey {
    SigningKey::from_bytes(&[1; 32])
}

/// The actor of each person in the synthetic history.
const PEOPLE: [(&str, &str, &str); 3] = [
    ("00aa", "system", "Enlace"),
    ("00bb", "ana", "Ana Ruiz"),
    ("00cc", "luis", "Luis Pérez"),
];

fn actor(hex: &str) -> ActorId {
    ActorId::from(ids::from_hex(hex).expect("hex"))
}

fn commit(document: &mut Automerge, key: &str, value: &str, message: &str) {
    let mut transaction = document.transaction();
    transaction.put(ROOT, key, value).expect("put");
    transaction.commit_with(
        CommitOptions::default()
            .with_message(message.to_owned())
            .with_time(1_000),
    );
}

/// The system's first change, then Ana's two and Luis's one made beside
/// Ana's second: two heads, and a chain behind them.
fn history() -> Automerge {
    let mut system = Automerge::new().with_actor(actor("00aa"));
    commit(&mut system, "name", "MCIG", "create the workspace");
    let mut ana = system.fork().with_actor(actor("00bb"));
    commit(&mut ana, "a", "1", "ana adds an alliance");
    let mut luis = ana.fork().with_actor(actor("00cc"));
    commit(&mut ana, "a", "2", "ana edits it");
    commit(&mut luis, "b", "1", "luis adds a member");
    ana.merge(&mut luis).expect("merge");
    ana
}

fn signed_export(document: &Automerge) -> SignedExport<'static> {
    let history = document.get_changes(&[]);
    let receipts = history
        .iter()
        .zip(0u64..)
        .map(|(change, receipt_seq)| {
            let actor = change.actor_id().to_hex_string();
            let (_, user_id, user_name) = PEOPLE
                .iter()
                .find(|(hex, _, _)| *hex == actor)
                .expect("a known actor");
            ExportedReceipt {
                receipt_seq,
                receipt: Receipt {
                    hash: change.hash().to_string(),
                    actor,
                    seq: change.seq(),
                    client_time_ms: change.timestamp(),
                    message: change.message().map(str::to_owned),
                    user_id: (*user_id).to_owned(),
                    user_name: (*user_name).to_owned(),
                    organisation_id: None,
                    role: Role::Member,
                    received_at_ms: 1_700_000_000_000 + i64::try_from(receipt_seq).expect("small") * 60_000,
                    records: Vec::new(),
                },
            }
        })
        .collect();
    let mut heads: Vec<String> = document.get_heads().iter().map(ToString::to_string).collect();
    heads.sort_unstable();
    SignedExport {
        format: FORMAT.into(),
        workspace: ExportedWorkspace {
            id: "2Vjk5fJ8w9gsSeN3ijUPkwsN7GPe".into(),
            name: "MCIG".into(),
        },
        exported_at_ms: 1_700_000_600_000,
        heads,
        changes: history
            .iter()
            .map(|change| Cow::Owned(BASE64.encode(change.raw_bytes())))
            .collect(),
        receipts,
        bindings: PEOPLE
            .iter()
            .map(|(actor, user_id, user_name)| ActorBinding {
                actor: (*actor).to_owned(),
                user_id: (*user_id).to_owned(),
                user_name: (*user_name).to_owned(),
            })
            .collect(),
    }
}

fn honest_file() -> Vec<u8> {
    sign(&signed_export(&history()), &server_key()).expect("sign")
}

/// The signed part of `file`, owned.
fn signed_part(file: &[u8]) -> SignedExport<'static> {
    let outer: AuditFile<'_> = serde_json::from_slice(file).expect("a file");
    let signed: SignedExport<'_> = serde_json::from_str(outer.signed.get()).expect("signed part");
    SignedExport {
        changes: signed
            .changes
            .into_iter()
            .map(|change| Cow::Owned(change.into_owned()))
            .collect(),
        format: Cow::Owned(signed.format.into_owned()),
        ..signed
    }
}

/// `file` with its signed part edited by `edit`, keeping the original
/// signature and key: what someone without the server's key can make.
fn tampered(file: &[u8], edit: impl FnOnce(&mut SignedExport<'static>)) -> Vec<u8> {
    let outer: AuditFile<'_> = serde_json::from_slice(file).expect("a file");
    let mut signed = signed_part(file);
    edit(&mut signed);
    let raw =
        serde_json::value::RawValue::from_string(serde_json::to_string(&signed).expect("json")).expect("raw");
    serde_json::to_vec(&AuditFile {
        signed: &raw,
        ..outer
    })
    .expect("json")
}

fn change_bytes(signed: &SignedExport<'_>, index: usize) -> Vec<u8> {
    BASE64.decode(signed.changes[index].as_bytes()).expect("base64")
}

fn decoded(signed: &SignedExport<'_>, index: usize) -> Change {
    Change::try_from(change_bytes(signed, index).as_slice()).expect("a change")
}

/// The index of the change whose message is `message`.
fn change_with_message(signed: &SignedExport<'_>, message: &str) -> usize {
    (0..signed.changes.len())
        .find(|index| decoded(signed, *index).message() == Some(message))
        .expect("such a change")
}

/// Flips the case of the first letter of `message` inside the change's bytes.
fn flip_message_byte(bytes: &mut [u8], message: &str) {
    let at = bytes
        .windows(message.len())
        .position(|window| window == message.as_bytes())
        .expect("the message is in the bytes");
    bytes[at] ^= 0x20;
}

#[test]
fn an_honest_export_verifies_and_is_summarised() {
    let file = honest_file();
    let summary = verify(&file, None).expect("honest");
    assert_eq!(summary.changes, 4);
    assert_eq!(summary.key_used, KeyUsed::Embedded);
    assert_eq!(
        summary.public_key,
        ids::hex(server_key().verifying_key().as_bytes())
    );
    let people: Vec<(&str, usize)> = summary
        .people
        .iter()
        .map(|person| (person.name.as_str(), person.changes))
        .collect();
    assert_eq!(people, vec![("Ana Ruiz", 2), ("Enlace", 1), ("Luis Pérez", 1)]);
    assert_eq!(summary.heads.len(), 2);
    assert_eq!(summary.first_received_ms, Some(1_700_000_000_000));
    assert_eq!(summary.last_received_ms, Some(1_700_000_180_000));
    let text = summary.to_string();
    assert!(text.contains("without --key"), "{text}");
    assert!(
        text.contains("first change received: 2023-11-14T22:13:20.000Z"),
        "{text}"
    );

    let trusted = verify(&file, Some(&server_key().verifying_key())).expect("honest, with --key");
    assert_eq!(trusted.key_used, KeyUsed::Given);
    assert!(!trusted.to_string().contains("without --key"));
}

#[test]
fn a_removed_change_breaks_the_chain() {
    let file = honest_file();
    let signed = signed_part(&file);
    let removed = change_with_message(&signed, "ana adds an alliance");
    let removed_hash = decoded(&signed, removed).hash().to_string();
    let file = tampered(&file, |signed| {
        signed.changes.remove(removed);
    });
    match verify(&file, None) {
        Err(VerifyError::MissingDependency { dependency, .. }) => assert_eq!(dependency, removed_hash),
        other => panic!("expected a missing dependency, got {other:?}"),
    }
}

#[test]
fn a_removed_head_no_longer_matches_the_signed_heads() {
    let file = honest_file();
    let signed = signed_part(&file);
    let head = change_with_message(&signed, "luis adds a member");
    let file = tampered(&file, |signed| {
        signed.changes.remove(head);
    });
    assert!(matches!(
        verify(&file, None),
        Err(VerifyError::HeadsMismatch { .. })
    ));
}

#[test]
fn a_changes_edited_bytes_fail_its_checksum() {
    let file = honest_file();
    let signed = signed_part(&file);
    let edited = change_with_message(&signed, "ana adds an alliance");
    let file = tampered(&file, |signed| {
        let mut bytes = change_bytes(signed, edited);
        flip_message_byte(&mut bytes, "ana adds an alliance");
        signed.changes[edited] = Cow::Owned(BASE64.encode(&bytes));
    });
    assert!(matches!(
        verify(&file, None),
        Err(VerifyError::ChecksumMismatch { index, .. }) if index == edited
    ));
}

#[test]
fn an_edited_change_with_a_recomputed_checksum_breaks_the_chain() {
    let file = honest_file();
    let signed = signed_part(&file);
    let edited = change_with_message(&signed, "ana adds an alliance");
    let original_hash = decoded(&signed, edited).hash().to_string();
    let file = tampered(&file, |signed| {
        let mut bytes = change_bytes(signed, edited);
        flip_message_byte(&mut bytes, "ana adds an alliance");
        // The checksum is the first 4 bytes of the SHA-256 of everything
        // after it (chunk type, length, contents): make it agree again.
        let digest = Sha256::digest(&bytes[8..]);
        bytes[4..8].copy_from_slice(&digest[..4]);
        signed.changes[edited] = Cow::Owned(BASE64.encode(&bytes));
    });
    // The edited change decodes, with a new hash; the change built on it
    // still names the old one.
    match verify(&file, None) {
        Err(VerifyError::MissingDependency { dependency, .. }) => assert_eq!(dependency, original_hash),
        other => panic!("expected a missing dependency, got {other:?}"),
    }
}

#[test]
fn an_edited_receipt_is_caught() {
    let file = honest_file();
    // Given to someone else: the actor's binding disagrees.
    let reattributed = tampered(&file, |signed| {
        let receipt = signed
            .receipts
            .iter_mut()
            .find(|entry| entry.receipt.user_id == "ana")
            .expect("ana's receipt");
        receipt.receipt.user_id = "luis".into();
    });
    assert!(matches!(
        verify(&reattributed, None),
        Err(VerifyError::AttributionMismatch { receipt_user, bound_user, .. })
            if receipt_user == "luis" && bound_user == "ana"
    ));
    // Its time moved: only the signature knows.
    let backdated = tampered(&file, |signed| {
        signed.receipts[1].receipt.received_at_ms -= 86_400_000;
    });
    assert!(matches!(
        verify(&backdated, None),
        Err(VerifyError::BadSignature { .. })
    ));
    // Pointing at a change that is not there.
    let elsewhere = tampered(&file, |signed| {
        signed.receipts[1].receipt.hash = "00".repeat(32);
    });
    assert!(matches!(
        verify(&elsewhere, None),
        Err(VerifyError::ReceiptWithoutChange { receipt_seq: 1, .. })
    ));
    // Claiming another seq of the change's actor.
    let other_seq = tampered(&file, |signed| {
        signed.receipts[1].receipt.seq += 1;
    });
    assert!(matches!(
        verify(&other_seq, None),
        Err(VerifyError::ReceiptDisagrees { .. })
    ));
}

#[test]
fn a_missing_or_doubled_receipt_is_caught() {
    let file = honest_file();
    let missing = tampered(&file, |signed| {
        signed.receipts.pop();
    });
    assert!(matches!(
        verify(&missing, None),
        Err(VerifyError::ChangeWithoutReceipt { .. })
    ));
    let doubled = tampered(&file, |signed| {
        let mut copy = signed.receipts[0].clone();
        copy.receipt_seq = 99;
        signed.receipts.push(copy);
    });
    assert!(matches!(
        verify(&doubled, None),
        Err(VerifyError::DuplicateReceipt {
            first: 0,
            second: 99,
            ..
        })
    ));
}

#[test]
fn a_rebound_actor_is_caught() {
    let file = honest_file();
    let rebound = tampered(&file, |signed| {
        let binding = signed
            .bindings
            .iter_mut()
            .find(|binding| binding.user_id == "luis")
            .expect("luis's actor");
        binding.user_id = "ana".into();
    });
    assert!(matches!(
        verify(&rebound, None),
        Err(VerifyError::AttributionMismatch { receipt_user, bound_user, .. })
            if receipt_user == "luis" && bound_user == "ana"
    ));
    let unbound = tampered(&file, |signed| {
        signed.bindings.retain(|binding| binding.user_id != "luis");
    });
    assert!(matches!(
        verify(&unbound, None),
        Err(VerifyError::UnboundActor { actor, .. }) if actor == "00cc"
    ));
}

#[test]
fn a_dropped_head_is_caught() {
    let file = honest_file();
    let file = tampered(&file, |signed| {
        signed.heads.pop();
    });
    match verify(&file, None) {
        Err(VerifyError::HeadsMismatch { computed, signed }) => {
            assert_eq!((computed.len(), signed.len()), (2, 1));
        }
        other => panic!("expected a heads mismatch, got {other:?}"),
    }
}

#[test]
fn a_signature_by_another_key_is_caught() {
    let server = server_key().verifying_key();
    let forger = SigningKey::from_bytes(&[2; 32]);
    let forged = sign(&signed_export(&history()), &forger).expect("sign");
    // Consistent on its own terms: without --key it verifies against the key it names...
    assert_eq!(
        verify(&forged, None).expect("self-consistent").public_key,
        ids::hex(forger.verifying_key().as_bytes())
    );
    // ...and --key says it is not the server's.
    assert!(matches!(
        verify(&forged, Some(&server)),
        Err(VerifyError::OtherKey { .. })
    ));
    // Naming the server's key over the forger's signature fails the signature.
    let mut outer: serde_json::Value = serde_json::from_slice(&forged).expect("json");
    outer["public_key"] = ids::hex(server.as_bytes()).into();
    let relabelled = serde_json::to_vec(&outer).expect("json");
    assert!(matches!(
        verify(&relabelled, Some(&server)),
        Err(VerifyError::BadSignature { .. })
    ));
}

#[test]
fn the_signed_bytes_are_checked_as_written() {
    // Re-serialising the signed part with other whitespace keeps its meaning
    // but not its bytes: the signature covers the bytes.
    let file = honest_file();
    let text = String::from_utf8(file).expect("utf-8");
    let spaced = text.replacen("\"heads\":[", "\"heads\": [", 1);
    assert_ne!(spaced, text);
    assert!(matches!(
        verify(spaced.as_bytes(), None),
        Err(VerifyError::BadSignature { .. })
    ));
}

#[test]
fn malformed_input_is_named() {
    assert!(matches!(verify(b"{}", None), Err(VerifyError::Malformed(_))));
    let file = honest_file();
    let mut outer: serde_json::Value = serde_json::from_slice(&file).expect("json");
    outer["format"] = "enlace-audit/9".into();
    assert!(matches!(
        verify(&serde_json::to_vec(&outer).expect("json"), None),
        Err(VerifyError::UnknownFormat(_))
    ));
    assert!(matches!(
        parse_public_key("abc"),
        Err(VerifyError::BadPublicKey(_))
    ));
    let garbled = tampered(&file, |signed| {
        signed.changes[0] = Cow::Borrowed("not base64!");
    });
    assert!(matches!(
        verify(&garbled, None),
        Err(VerifyError::ChangeNotBase64 { index: 0 })
    ));
}
