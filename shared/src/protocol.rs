//! The automerge-repo WebSocket protocol, version "1".
//!
//! Every binary WebSocket frame carries one CBOR map. Field names are exactly
//! those the JavaScript implementation (`@automerge/automerge-repo` and
//! `@automerge/automerge-repo-network-websocket`) sends: `senderId`,
//! `targetId`, `documentId`, `peerMetadata`, `supportedProtocolVersions`, ...
//!
//! Decoding goes through a permissive wire struct so that unknown fields are
//! ignored and a missing required field gets an error that names it.

use serde::{Deserialize, Serialize};

use crate::ids::{DocumentId, DocumentIdError, PeerId};
use crate::refusal::Refusal;

/// The only protocol version this implementation speaks.
pub const PROTOCOL_VERSION: &str = "1";

/// What a peer says about itself in `join` and `peer` messages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeerMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_ephemeral: Option<bool>,
    /// Enlace's extension version. A client that sets it understands
    /// `enlace-rejected`; stock clients omit it and get `error` instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enlace: Option<u32>,
}

/// Who sent an `ephemeral` message, as the server knows it from the
/// connection (Enlace's addition, field `enlaceSender`; stock clients ignore
/// it). Whatever a client writes there is replaced before it is relayed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EphemeralSender {
    pub person_id: String,
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation_id: Option<String>,
}

/// The version of Enlace's additions to the protocol (`enlace-rejected`).
pub const ENLACE_EXTENSION_VERSION: u32 = 1;

/// One protocol message.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// Client → server: the first message on a connection.
    Join {
        sender_id: PeerId,
        supported_protocol_versions: Vec<String>,
        peer_metadata: PeerMetadata,
    },
    /// Server → client: the answer to `join`.
    Peer {
        sender_id: PeerId,
        target_id: PeerId,
        selected_protocol_version: String,
        peer_metadata: PeerMetadata,
    },
    /// Either way: the connection is about to be closed because of `message`.
    Error {
        sender_id: PeerId,
        target_id: Option<PeerId>,
        message: String,
    },
    /// Client → server: the client is going away.
    Leave { sender_id: PeerId },
    /// Asks for a document; `data` is an automerge sync message.
    Request {
        sender_id: PeerId,
        target_id: PeerId,
        document_id: DocumentId,
        data: Vec<u8>,
    },
    /// An automerge sync message for one document.
    Sync {
        sender_id: PeerId,
        target_id: PeerId,
        document_id: DocumentId,
        data: Vec<u8>,
    },
    /// The answer to a `request` for a document the sender does not have.
    DocUnavailable {
        sender_id: PeerId,
        target_id: PeerId,
        document_id: DocumentId,
    },
    /// Presence and other transient data, relayed but never stored.
    Ephemeral {
        sender_id: PeerId,
        target_id: PeerId,
        count: u64,
        session_id: String,
        document_id: DocumentId,
        data: Vec<u8>,
        /// Set by the server when it relays the message; `None` from clients.
        enlace_sender: Option<EphemeralSender>,
    },
    /// Storage-id subscriptions; Enlace tolerates and ignores them.
    RemoteSubscriptionChange {
        sender_id: PeerId,
        target_id: PeerId,
        add: Vec<String>,
        remove: Vec<String>,
    },
    /// Heads of other storage peers; Enlace tolerates and ignores them.
    RemoteHeadsChanged {
        sender_id: PeerId,
        target_id: PeerId,
        document_id: DocumentId,
    },
    /// Enlace extension, server → Enlace client: these changes were refused
    /// and never applied, stored or forwarded; drop them and anything built
    /// on them, then resync.
    Rejected {
        sender_id: PeerId,
        target_id: PeerId,
        document_id: DocumentId,
        /// Hex change hashes.
        change_hashes: Vec<String>,
        /// An English sentence: which edit, and why.
        message: String,
        /// Why, as a [`Refusal`] the client can say in the person's
        /// language (`refusal`: its code on the wire; absent if unknown).
        refusal: Option<Refusal>,
    },
}

/// Why a frame is not a protocol message.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("frame is not a CBOR map of a protocol message: {0}")]
    Cbor(String),
    #[error("`{kind}` message lacks the field `{field}`")]
    MissingField { kind: String, field: &'static str },
    #[error("unknown message type `{0}`")]
    UnknownType(String),
    #[error("invalid documentId: {0}")]
    DocumentId(#[from] DocumentIdError),
}

/// The union of every field of every message, as it appears in CBOR.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireMessage {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sender_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    target_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    document_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "serde_bytes")]
    data: Option<Vec<u8>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    session_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    peer_metadata: Option<PeerMetadata>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    supported_protocol_versions: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    selected_protocol_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    add: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    remove: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    change_hashes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refusal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    enlace_sender: Option<EphemeralSender>,
}

impl Message {
    /// The message's `type` field.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Join { .. } => "join",
            Self::Peer { .. } => "peer",
            Self::Error { .. } => "error",
            Self::Leave { .. } => "leave",
            Self::Request { .. } => "request",
            Self::Sync { .. } => "sync",
            Self::DocUnavailable { .. } => "doc-unavailable",
            Self::Ephemeral { .. } => "ephemeral",
            Self::RemoteSubscriptionChange { .. } => "remote-subscription-change",
            Self::RemoteHeadsChanged { .. } => "remote-heads-changed",
            Self::Rejected { .. } => "enlace-rejected",
        }
    }

    /// Who sent the message.
    pub fn sender_id(&self) -> &PeerId {
        match self {
            Self::Join { sender_id, .. }
            | Self::Peer { sender_id, .. }
            | Self::Error { sender_id, .. }
            | Self::Leave { sender_id }
            | Self::Request { sender_id, .. }
            | Self::Sync { sender_id, .. }
            | Self::DocUnavailable { sender_id, .. }
            | Self::Ephemeral { sender_id, .. }
            | Self::RemoteSubscriptionChange { sender_id, .. }
            | Self::RemoteHeadsChanged { sender_id, .. }
            | Self::Rejected { sender_id, .. } => sender_id,
        }
    }

    /// Encodes the message as one CBOR frame.
    pub fn encode(&self) -> Vec<u8> {
        let wire = self.to_wire();
        let mut bytes = Vec::with_capacity(64 + wire.data.as_ref().map_or(0, Vec::len));
        // Invariant: serialising a struct of strings, integers and byte
        // strings into a Vec cannot fail.
        #[allow(clippy::expect_used)]
        ciborium::into_writer(&wire, &mut bytes).expect("CBOR encoding into memory is infallible");
        bytes
    }

    /// Decodes one CBOR frame.
    pub fn decode(frame: &[u8]) -> Result<Self, DecodeError> {
        let wire: WireMessage =
            ciborium::from_reader(frame).map_err(|error| DecodeError::Cbor(error.to_string()))?;
        Self::from_wire(wire)
    }

    fn to_wire(&self) -> WireMessage {
        let mut wire = WireMessage {
            kind: self.kind().to_owned(),
            sender_id: Some(self.sender_id().0.clone()),
            ..WireMessage::default()
        };
        match self {
            Self::Join {
                supported_protocol_versions,
                peer_metadata,
                ..
            } => {
                wire.supported_protocol_versions = Some(supported_protocol_versions.clone());
                wire.peer_metadata = Some(peer_metadata.clone());
            }
            Self::Peer {
                target_id,
                selected_protocol_version,
                peer_metadata,
                ..
            } => {
                wire.target_id = Some(target_id.0.clone());
                wire.selected_protocol_version = Some(selected_protocol_version.clone());
                wire.peer_metadata = Some(peer_metadata.clone());
            }
            Self::Error {
                target_id, message, ..
            } => {
                wire.target_id = target_id.as_ref().map(|id| id.0.clone());
                wire.message = Some(message.clone());
            }
            Self::Leave { .. } => {}
            Self::Request {
                target_id,
                document_id,
                data,
                ..
            }
            | Self::Sync {
                target_id,
                document_id,
                data,
                ..
            } => {
                wire.target_id = Some(target_id.0.clone());
                wire.document_id = Some(document_id.to_string());
                wire.data = Some(data.clone());
            }
            Self::DocUnavailable {
                target_id,
                document_id,
                ..
            }
            | Self::RemoteHeadsChanged {
                target_id,
                document_id,
                ..
            } => {
                wire.target_id = Some(target_id.0.clone());
                wire.document_id = Some(document_id.to_string());
            }
            Self::Ephemeral {
                target_id,
                count,
                session_id,
                document_id,
                data,
                enlace_sender,
                ..
            } => {
                wire.target_id = Some(target_id.0.clone());
                wire.count = Some(*count);
                wire.session_id = Some(session_id.clone());
                wire.document_id = Some(document_id.to_string());
                wire.data = Some(data.clone());
                wire.enlace_sender.clone_from(enlace_sender);
            }
            Self::RemoteSubscriptionChange {
                target_id,
                add,
                remove,
                ..
            } => {
                wire.target_id = Some(target_id.0.clone());
                wire.add = Some(add.clone());
                wire.remove = Some(remove.clone());
            }
            Self::Rejected {
                target_id,
                document_id,
                change_hashes,
                message,
                refusal,
                ..
            } => {
                wire.target_id = Some(target_id.0.clone());
                wire.document_id = Some(document_id.to_string());
                wire.change_hashes = Some(change_hashes.clone());
                wire.message = Some(message.clone());
                wire.refusal = refusal.map(|refusal| refusal.code().to_owned());
            }
        }
        wire
    }

    fn from_wire(wire: WireMessage) -> Result<Self, DecodeError> {
        let kind = wire.kind;
        let missing = |field: &'static str| DecodeError::MissingField {
            kind: kind.clone(),
            field,
        };
        let sender_id = PeerId(wire.sender_id.ok_or_else(|| missing("senderId"))?);
        let target = |value: Option<String>| value.map(PeerId).ok_or_else(|| missing("targetId"));
        let document = |value: Option<String>| -> Result<DocumentId, DecodeError> {
            Ok(DocumentId::parse(&value.ok_or_else(|| missing("documentId"))?)?)
        };
        let message = match kind.as_str() {
            "join" => Self::Join {
                sender_id,
                supported_protocol_versions: wire
                    .supported_protocol_versions
                    .ok_or_else(|| missing("supportedProtocolVersions"))?,
                peer_metadata: wire.peer_metadata.unwrap_or_default(),
            },
            "peer" => Self::Peer {
                sender_id,
                target_id: target(wire.target_id)?,
                selected_protocol_version: wire
                    .selected_protocol_version
                    .ok_or_else(|| missing("selectedProtocolVersion"))?,
                peer_metadata: wire.peer_metadata.unwrap_or_default(),
            },
            "error" => Self::Error {
                sender_id,
                target_id: wire.target_id.map(PeerId),
                message: wire.message.ok_or_else(|| missing("message"))?,
            },
            "leave" => Self::Leave { sender_id },
            "request" | "sync" => {
                let target_id = target(wire.target_id)?;
                let document_id = document(wire.document_id)?;
                let data = wire.data.ok_or_else(|| missing("data"))?;
                if kind == "request" {
                    Self::Request {
                        sender_id,
                        target_id,
                        document_id,
                        data,
                    }
                } else {
                    Self::Sync {
                        sender_id,
                        target_id,
                        document_id,
                        data,
                    }
                }
            }
            "doc-unavailable" => Self::DocUnavailable {
                sender_id,
                target_id: target(wire.target_id)?,
                document_id: document(wire.document_id)?,
            },
            "ephemeral" => Self::Ephemeral {
                sender_id,
                target_id: target(wire.target_id)?,
                count: wire.count.ok_or_else(|| missing("count"))?,
                session_id: wire.session_id.ok_or_else(|| missing("sessionId"))?,
                document_id: document(wire.document_id)?,
                data: wire.data.ok_or_else(|| missing("data"))?,
                enlace_sender: wire.enlace_sender,
            },
            "remote-subscription-change" => Self::RemoteSubscriptionChange {
                sender_id,
                target_id: target(wire.target_id)?,
                add: wire.add.unwrap_or_default(),
                remove: wire.remove.unwrap_or_default(),
            },
            "remote-heads-changed" => Self::RemoteHeadsChanged {
                sender_id,
                target_id: target(wire.target_id)?,
                document_id: document(wire.document_id)?,
            },
            "enlace-rejected" => Self::Rejected {
                sender_id,
                target_id: target(wire.target_id)?,
                document_id: document(wire.document_id)?,
                change_hashes: wire.change_hashes.ok_or_else(|| missing("changeHashes"))?,
                message: wire.message.ok_or_else(|| missing("message"))?,
                refusal: wire.refusal.as_deref().and_then(Refusal::from_code),
            },
            _ => return Err(DecodeError::UnknownType(kind)),
        };
        Ok(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(name: &str) -> PeerId {
        PeerId::new(name)
    }

    fn every_kind() -> Vec<Message> {
        let document_id = DocumentId::from_bytes([3; 16]);
        vec![
            Message::Join {
                sender_id: peer("client"),
                supported_protocol_versions: vec!["1".into()],
                peer_metadata: PeerMetadata {
                    storage_id: Some("storage".into()),
                    is_ephemeral: Some(false),
                    enlace: None,
                },
            },
            Message::Peer {
                sender_id: peer("server"),
                target_id: peer("client"),
                selected_protocol_version: "1".into(),
                peer_metadata: PeerMetadata::default(),
            },
            Message::Error {
                sender_id: peer("server"),
                target_id: Some(peer("client")),
                message: "frame too large".into(),
            },
            Message::Leave {
                sender_id: peer("client"),
            },
            Message::Request {
                sender_id: peer("client"),
                target_id: peer("server"),
                document_id,
                data: vec![0x42, 0, 0, 1, 0, 0],
            },
            Message::Sync {
                sender_id: peer("client"),
                target_id: peer("server"),
                document_id,
                data: vec![1, 2, 3],
            },
            Message::DocUnavailable {
                sender_id: peer("server"),
                target_id: peer("client"),
                document_id,
            },
            Message::Ephemeral {
                sender_id: peer("client"),
                target_id: peer("server"),
                count: 4,
                session_id: "session".into(),
                document_id,
                data: vec![0xa0],
                enlace_sender: Some(EphemeralSender {
                    person_id: "u1".into(),
                    display_name: "Ana".into(),
                    organisation_id: None,
                }),
            },
            Message::RemoteSubscriptionChange {
                sender_id: peer("client"),
                target_id: peer("server"),
                add: vec!["storage-a".into()],
                remove: vec![],
            },
            Message::RemoteHeadsChanged {
                sender_id: peer("client"),
                target_id: peer("server"),
                document_id,
            },
            Message::Rejected {
                sender_id: peer("server"),
                target_id: peer("client"),
                document_id,
                change_hashes: vec!["ab".repeat(32)],
                message: "observers can read but not edit".into(),
                refusal: Some(Refusal::ReadOnlyRole),
            },
        ]
    }

    #[test]
    fn every_message_round_trips() {
        for message in every_kind() {
            let decoded = Message::decode(&message.encode()).expect("decodes");
            assert_eq!(decoded, message);
        }
    }

    #[test]
    fn field_names_are_the_javascript_ones() {
        let frame = every_kind()[7].encode();
        let value: ciborium::Value = ciborium::from_reader(frame.as_slice()).expect("cbor");
        let keys: Vec<String> = value
            .as_map()
            .expect("a map")
            .iter()
            .filter_map(|(key, _)| key.as_text().map(str::to_owned))
            .collect();
        for expected in [
            "type",
            "senderId",
            "targetId",
            "count",
            "sessionId",
            "documentId",
            "data",
        ] {
            assert!(
                keys.iter().any(|key| key == expected),
                "missing {expected} in {keys:?}"
            );
        }
        let data = value
            .as_map()
            .and_then(|map| map.iter().find(|(key, _)| key.as_text() == Some("data")))
            .map(|(_, value)| value.clone());
        assert!(
            matches!(data, Some(ciborium::Value::Bytes(_))),
            "data must be a CBOR byte string"
        );
    }

    #[test]
    fn malformed_frames_are_errors_not_panics() {
        assert!(matches!(
            Message::decode(&[0xff, 0x00, 0x13]),
            Err(DecodeError::Cbor(_))
        ));
        assert!(matches!(Message::decode(&[]), Err(DecodeError::Cbor(_))));
        let mut no_sender = Vec::new();
        ciborium::into_writer(
            &ciborium::Value::Map(vec![("type".into(), "leave".into())]),
            &mut no_sender,
        )
        .expect("encode");
        assert!(matches!(
            Message::decode(&no_sender),
            Err(DecodeError::MissingField {
                field: "senderId",
                ..
            })
        ));
        let mut unknown = Vec::new();
        ciborium::into_writer(
            &ciborium::Value::Map(vec![
                ("type".into(), "teleport".into()),
                ("senderId".into(), "x".into()),
            ]),
            &mut unknown,
        )
        .expect("encode");
        assert!(
            matches!(Message::decode(&unknown), Err(DecodeError::UnknownType(kind)) if kind == "teleport")
        );
    }

    #[test]
    fn bad_document_id_is_reported() {
        let mut frame = Vec::new();
        ciborium::into_writer(
            &ciborium::Value::Map(vec![
                ("type".into(), "sync".into()),
                ("senderId".into(), "x".into()),
                ("targetId".into(), "y".into()),
                ("documentId".into(), "not-an-id".into()),
                ("data".into(), ciborium::Value::Bytes(vec![])),
            ]),
            &mut frame,
        )
        .expect("encode");
        assert!(matches!(Message::decode(&frame), Err(DecodeError::DocumentId(_))));
    }
}
