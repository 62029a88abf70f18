//! Target `frame`: the WebSocket frame decoder, `Message::decode`.
//!
//! An input whose first byte is even is a frame as it is: decoding must not
//! panic, and whatever decodes must encode to a frame that decodes to the
//! same message. An odd first byte makes the rest an [`ArbitraryMessage`],
//! which must survive encode → decode unchanged.

use arbitrary::{Arbitrary, Unstructured};
use enlace_shared::protocol::{EphemeralSender, Message, PeerMetadata};
use enlace_shared::refusal::Refusal;
use enlace_shared::{DocumentId, PeerId};

use crate::Target;

pub struct FrameTarget;

/// Every message kind with arbitrary field values.
#[derive(Debug, Arbitrary)]
pub enum ArbitraryMessage {
    Join {
        sender: String,
        versions: Vec<String>,
        metadata: ArbitraryMetadata,
    },
    Peer {
        sender: String,
        target: String,
        version: String,
        metadata: ArbitraryMetadata,
    },
    Error {
        sender: String,
        target: Option<String>,
        message: String,
    },
    Leave {
        sender: String,
    },
    Request {
        sender: String,
        target: String,
        document: [u8; 16],
        data: Vec<u8>,
    },
    Sync {
        sender: String,
        target: String,
        document: [u8; 16],
        data: Vec<u8>,
    },
    DocUnavailable {
        sender: String,
        target: String,
        document: [u8; 16],
    },
    Ephemeral {
        sender: String,
        target: String,
        count: u64,
        session: String,
        document: [u8; 16],
        data: Vec<u8>,
        /// Enlace's stamp of who sent it: person id, name, organisation.
        stamp: Option<(String, String, Option<String>)>,
    },
    RemoteSubscriptionChange {
        sender: String,
        target: String,
        add: Vec<String>,
        remove: Vec<String>,
    },
    RemoteHeadsChanged {
        sender: String,
        target: String,
        document: [u8; 16],
    },
    Rejected {
        sender: String,
        target: String,
        document: [u8; 16],
        hashes: Vec<String>,
        message: String,
        refusal: Option<u8>,
    },
}

#[derive(Debug, Arbitrary)]
pub struct ArbitraryMetadata {
    storage_id: Option<String>,
    is_ephemeral: Option<bool>,
    enlace: Option<u32>,
}

impl From<ArbitraryMetadata> for PeerMetadata {
    fn from(metadata: ArbitraryMetadata) -> Self {
        Self {
            storage_id: metadata.storage_id,
            is_ephemeral: metadata.is_ephemeral,
            enlace: metadata.enlace,
        }
    }
}

impl From<ArbitraryMessage> for Message {
    fn from(message: ArbitraryMessage) -> Self {
        use ArbitraryMessage as A;
        let document = DocumentId::from_bytes;
        match message {
            A::Join {
                sender,
                versions,
                metadata,
            } => Self::Join {
                sender_id: PeerId(sender),
                supported_protocol_versions: versions,
                peer_metadata: metadata.into(),
            },
            A::Peer {
                sender,
                target,
                version,
                metadata,
            } => Self::Peer {
                sender_id: PeerId(sender),
                target_id: PeerId(target),
                selected_protocol_version: version,
                peer_metadata: metadata.into(),
            },
            A::Error {
                sender,
                target,
                message,
            } => Self::Error {
                sender_id: PeerId(sender),
                target_id: target.map(PeerId),
                message,
            },
            A::Leave { sender } => Self::Leave {
                sender_id: PeerId(sender),
            },
            A::Request {
                sender,
                target,
                document: bytes,
                data,
            } => Self::Request {
                sender_id: PeerId(sender),
                target_id: PeerId(target),
                document_id: document(bytes),
                data,
            },
            A::Sync {
                sender,
                target,
                document: bytes,
                data,
            } => Self::Sync {
                sender_id: PeerId(sender),
                target_id: PeerId(target),
                document_id: document(bytes),
                data,
            },
            A::DocUnavailable {
                sender,
                target,
                document: bytes,
            } => Self::DocUnavailable {
                sender_id: PeerId(sender),
                target_id: PeerId(target),
                document_id: document(bytes),
            },
            A::Ephemeral {
                sender,
                target,
                count,
                session,
                document: bytes,
                data,
                stamp,
            } => Self::Ephemeral {
                sender_id: PeerId(sender),
                target_id: PeerId(target),
                count,
                session_id: session,
                document_id: document(bytes),
                data,
                enlace_sender: stamp.map(|(person_id, display_name, organisation_id)| EphemeralSender {
                    person_id,
                    display_name,
                    organisation_id,
                }),
            },
            A::RemoteSubscriptionChange {
                sender,
                target,
                add,
                remove,
            } => Self::RemoteSubscriptionChange {
                sender_id: PeerId(sender),
                target_id: PeerId(target),
                add,
                remove,
            },
            A::RemoteHeadsChanged {
                sender,
                target,
                document: bytes,
            } => Self::RemoteHeadsChanged {
                sender_id: PeerId(sender),
                target_id: PeerId(target),
                document_id: document(bytes),
            },
            A::Rejected {
                sender,
                target,
                document: bytes,
                hashes,
                message,
                refusal,
            } => Self::Rejected {
                sender_id: PeerId(sender),
                target_id: PeerId(target),
                document_id: document(bytes),
                change_hashes: hashes,
                message,
                refusal: refusal.and_then(|index| Refusal::ALL.get(usize::from(index)).copied()),
            },
        }
    }
}

/// One frame of every kind, as real peers send them.
fn sample_frames() -> Vec<Message> {
    let peer = |name: &str| PeerId::new(name);
    let document = DocumentId::from_bytes([7; 16]);
    vec![
        Message::Join {
            sender_id: peer("browser-1"),
            supported_protocol_versions: vec!["1".into()],
            peer_metadata: PeerMetadata {
                storage_id: None,
                is_ephemeral: Some(true),
                enlace: Some(1),
            },
        },
        Message::Peer {
            sender_id: peer("server"),
            target_id: peer("browser-1"),
            selected_protocol_version: "1".into(),
            peer_metadata: PeerMetadata::default(),
        },
        Message::Error {
            sender_id: peer("server"),
            target_id: None,
            message: "bad".into(),
        },
        Message::Leave {
            sender_id: peer("browser-1"),
        },
        Message::Request {
            sender_id: peer("browser-1"),
            target_id: peer("server"),
            document_id: document,
            data: vec![0x42, 0, 0, 1, 0],
        },
        Message::Sync {
            sender_id: peer("browser-1"),
            target_id: peer("server"),
            document_id: document,
            data: vec![0x43, 0, 0, 1, 0, 0, 0],
        },
        Message::DocUnavailable {
            sender_id: peer("server"),
            target_id: peer("browser-1"),
            document_id: document,
        },
        Message::Ephemeral {
            sender_id: peer("browser-1"),
            target_id: peer("server"),
            count: 3,
            session_id: "s".into(),
            document_id: document,
            data: vec![0xa1, 0x61, 0x78, 0x01],
            enlace_sender: Some(EphemeralSender {
                person_id: "p1".into(),
                display_name: "Ana".into(),
                organisation_id: Some("giz".into()),
            }),
        },
        Message::RemoteSubscriptionChange {
            sender_id: peer("browser-1"),
            target_id: peer("server"),
            add: vec!["storage".into()],
            remove: Vec::new(),
        },
        Message::RemoteHeadsChanged {
            sender_id: peer("browser-1"),
            target_id: peer("server"),
            document_id: document,
        },
        Message::Rejected {
            sender_id: peer("server"),
            target_id: peer("browser-1"),
            document_id: document,
            change_hashes: vec!["00".repeat(32)],
            message: "no".into(),
            refusal: Refusal::ALL.first().copied(),
        },
    ]
}

/// Decoding and re-encoding agree.
fn check_round_trip(message: &Message) {
    let encoded = message.encode();
    match Message::decode(&encoded) {
        Ok(again) => assert!(
            &again == message,
            "decode(encode(m)) != m: {message:?} came back as {again:?}"
        ),
        Err(error) => panic!("an encoded {} frame does not decode: {error}", message.kind()),
    }
}

impl Target for FrameTarget {
    fn name(&self) -> &'static str {
        "frame"
    }

    fn seeds(&self) -> Vec<Vec<u8>> {
        sample_frames()
            .iter()
            .map(|message| {
                let mut input = vec![0];
                input.extend(message.encode());
                input
            })
            .collect()
    }

    fn run(&self, input: &[u8]) -> bool {
        let Some((&mode, rest)) = input.split_first() else {
            return false;
        };
        if mode % 2 == 0 {
            match Message::decode(rest) {
                Ok(message) => {
                    check_round_trip(&message);
                    true
                }
                Err(_) => false,
            }
        } else {
            match ArbitraryMessage::arbitrary_take_rest(Unstructured::new(rest)) {
                Ok(message) => {
                    check_round_trip(&Message::from(message));
                    true
                }
                Err(_) => false,
            }
        }
    }
}
