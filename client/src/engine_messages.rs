//! What the page and the sync engine's worker say to each other, and the
//! values both sides share. The engine ([`crate::sync_core`]) owns the
//! document, the socket, the local copy and the tab coordination in a
//! dedicated worker; the page ([`crate::sync`]) keeps a mirror of what the
//! interface shows and sends edits and questions as data. Every message is
//! CBOR in a `Uint8Array`. No Leptos and no browser here, so native tests
//! cover the encoding.

use automerge::ChangeHash;
use enlace_shared::api::PersonView;
use enlace_shared::ids::DocumentId;
use enlace_shared::intent::{Intent, Outcome};
use enlace_shared::language::Language;
use enlace_shared::presence::PresenceBoard;
use enlace_shared::query::{Answer, Query};
use enlace_shared::records::Record;
use enlace_shared::refusal::Refusal;
use enlace_shared::roles::Role;
use enlace_shared::schema::Collection;
use enlace_shared::timetravel::RecordDiff;
use serde::{Deserialize, Serialize};

use crate::connection_state::ConnectionState;
use crate::i18n::{self, Text};

/// This tab's part among the person's tabs (see [`crate::tab_link`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TabRole {
    /// Not decided yet (or nobody signed in).
    Deciding,
    /// Has the socket and writes the local copy, for every tab of the person.
    Leader,
    /// Follows the leading tab over a `BroadcastChannel`: no socket of its own.
    Follower,
}

impl TabRole {
    /// The indicator's `data-tab` attribute.
    pub fn as_attribute(self) -> &'static str {
        match self {
            Self::Deciding => "deciding",
            Self::Leader => "leader",
            Self::Follower => "follower",
        }
    }
}

/// Why a local edit was not made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EditError {
    /// The workspace document has not arrived from the server yet.
    NotLoaded,
    /// A required field would be left empty.
    Required,
    /// The model refused the edit (a record that vanished, ...): its words.
    Failed(String),
    /// The person's role does not allow it (the server would refuse it too).
    Forbidden(Refusal),
}

impl EditError {
    /// What to tell the person.
    pub fn message(&self) -> i18n::Message {
        match self {
            Self::NotLoaded => i18n::Message::Text(Text::ErrorNotLoaded),
            Self::Required => i18n::Message::Text(Text::FillRequired),
            Self::Failed(_) => i18n::Message::Text(Text::ErrorUnexpected),
            Self::Forbidden(refusal) => i18n::Message::Refusal(*refusal),
        }
    }
}

/// The server refused local changes, which the session then dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub dropped: usize,
    /// What the dropped changes had written, record by record: the
    /// document before the drop compared with after it (so the person can
    /// copy what they wrote).
    pub lost: Vec<RecordDiff>,
    /// The server's English sentence.
    pub reason: String,
    /// Why, when the server named a refusal the client can say in the
    /// person's language.
    pub refusal: Option<Refusal>,
}

impl Rejection {
    /// The reason in `language` if the server named the refusal, else its English sentence.
    pub fn text(&self, language: Language) -> &str {
        self.refusal
            .map_or(self.reason.as_str(), |refusal| refusal.text(language))
    }
}

/// The local copy's own figures, for `cargo xtask bench` (never asserted):
/// milliseconds, `None` until measured. Moments are `performance.now()`
/// of the page (the worker's are moved onto the page's clock).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct LocalFigures {
    /// When the app started (`performance.now()`, from the navigation):
    /// the page, script and wasm fetched and the module instantiated.
    pub started_at_ms: Option<f64>,
    /// When reading the copy began (after signing in from it and taking
    /// this tab's part).
    pub read_at_ms: Option<f64>,
    /// Reading the copy from IndexedDB.
    pub read_ms: Option<f64>,
    /// Loading it into a document (snapshot, then chunks), in the worker.
    pub load_ms: Option<f64>,
    /// From the page's start (`performance.now()` is measured from the
    /// navigation) to the first frame drawn with the copy's workspace.
    pub open_ms: Option<f64>,
    /// Decoding the workspace's image kept beside the copy.
    pub image_read_ms: Option<f64>,
    /// From the page's start to the first frame drawn from that image
    /// (before the document is loaded).
    pub image_ms: Option<f64>,
    /// Encoding the last image kept, in the worker.
    pub image_encode_ms: Option<f64>,
    /// Images kept since the page opened.
    pub images_kept: u64,
    /// The last image kept shows the document as it is now.
    pub image_current: bool,
    /// In the worker, the last change's part of persisting: its bytes taken
    /// and queued (the write itself runs after).
    pub persist_ms: Option<f64>,
    /// In the page, the last edit's cost: encoding it and posting it to
    /// the worker.
    pub edit_post_ms: Option<f64>,
    /// Changes persisted since the page opened (so a script can wait for
    /// the next one, whatever it cost).
    pub persisted: u64,
    /// The last IndexedDB write, from its start to its transaction's end.
    pub write_ms: Option<f64>,
    /// Writes queued or under way.
    pub pending: usize,
}

/// What the connection indicator and the workspace's frame show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    pub connection: ConnectionState,
    pub role: Option<Role>,
    pub workspace_id: Option<DocumentId>,
    pub workspace_name: Option<String>,
    pub waiting: usize,
    pub from_local_copy: bool,
    pub tab_role: TabRole,
}

/// The records that changed since the last [`Records`] the page got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Records {
    /// The page drops what it had and takes `records` as the whole workspace.
    pub whole: bool,
    /// Read from the workspace's image, the document not loaded yet.
    pub from_image: bool,
    /// A frame from the server changed the document since the last records.
    pub remote: bool,
    pub heads: Vec<ChangeHash>,
    pub secretariat: Option<String>,
    /// New or changed records (every record when `whole`).
    pub records: Vec<Record>,
    /// Records gone from the workspace (never with `whole`).
    pub removed: Vec<(Collection, String)>,
    /// The actor the engine edits with, in hex, once the document is loaded.
    pub actor: Option<String>,
}

/// From the page to the engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ToEngine {
    /// Sync as `person`, writing `author` into every change; a test may
    /// hold the local copy's load (see [`hold_load_ms`]).
    Start {
        author: String,
        person: PersonView,
        hold_load_ms: u32,
    },
    /// Signed out here (`tell_tabs`: tell the person's other tabs too).
    Stop {
        tell_tabs: bool,
    },
    Edit {
        id: u64,
        intent: Intent,
    },
    Ask {
        id: u64,
        query: Query,
    },
    /// This tab's presence, encoded.
    Presence(#[serde(with = "serde_bytes")] Vec<u8>),
    ExpirePresence,
    /// The browser's `online` event.
    ReconnectNow,
    /// The browser's `offline` event.
    WentOffline,
    DismissRejection,
}

/// From the engine to the page.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub enum ToPage {
    /// The worker's clock (`performance.timeOrigin`), to move its moments
    /// onto the page's.
    Ready {
        time_origin: f64,
    },
    Status(Status),
    Figures(Box<LocalFigures>),
    Records(Records),
    Presence(PresenceBoard),
    Rejection(Option<Rejection>),
    Edited {
        id: u64,
        result: Result<Outcome, EditError>,
    },
    Answered {
        id: u64,
        answer: Option<Answer>,
    },
    /// The server ended the session (or another tab signed out).
    SignedOut,
    /// The engine stopped as asked: it writes nothing more to the copy.
    Stopped,
}

/// The longest a test may hold the local copy's load.
pub const MAX_HOLD_LOAD_MS: u32 = 10_000;

/// The pause a test asks for between drawing the local copy's image and
/// loading its document, from the page's query string
/// (`?hold-load-ms=1500`), to watch the page while a large workspace would
/// be loading; 0 without it.
pub fn hold_load_ms(query_string: &str) -> u32 {
    query_string
        .trim_start_matches('?')
        .split('&')
        .find_map(|pair| pair.strip_prefix("hold-load-ms="))
        .and_then(|value| value.parse::<u32>().ok())
        .map_or(0, |ms| ms.min(MAX_HOLD_LOAD_MS))
}

/// CBOR of any message.
pub fn encode<T: Serialize>(message: &T) -> Vec<u8> {
    let mut bytes = Vec::new();
    ciborium::into_writer(message, &mut bytes).expect("CBOR encoding into memory is infallible");
    bytes
}

/// A message back from its CBOR.
pub fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    ciborium::from_reader(bytes).map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use enlace_shared::intent::RecordRef;

    use super::*;

    #[test]
    fn a_test_holds_the_load_only_when_it_asks_and_never_long() {
        assert_eq!(hold_load_ms(""), 0);
        assert_eq!(hold_load_ms("?hold-load-ms=1500"), 1_500);
        assert_eq!(hold_load_ms("?a=1&hold-load-ms=250"), 250);
        assert_eq!(hold_load_ms("?hold-load-ms=99999999"), MAX_HOLD_LOAD_MS);
        assert_eq!(hold_load_ms("?hold-load-ms=soon"), 0);
        assert_eq!(hold_load_ms("?other-hold-load-ms=5"), 0);
    }

    #[test]
    fn messages_come_back_as_they_went() {
        let edit = ToEngine::Edit {
            id: 7,
            intent: Intent::SetText {
                record: RecordRef {
                    collection: Collection::Organisations,
                    id: "o1".into(),
                },
                key: "name".into(),
                value: "GIZ".into(),
            },
        };
        assert_eq!(decode::<ToEngine>(&encode(&edit)), Ok(edit));
        let refused = ToPage::Edited {
            id: 7,
            result: Err(EditError::Forbidden(Refusal::ReadOnlyRole)),
        };
        assert_eq!(decode::<ToPage>(&encode(&refused)), Ok(refused));
        let status = ToPage::Status(Status {
            connection: ConnectionState::Offline,
            role: Some(Role::Member),
            workspace_id: Some(DocumentId::from_bytes([3; 16])),
            workspace_name: Some("MCIG".into()),
            waiting: 2,
            from_local_copy: true,
            tab_role: TabRole::Leader,
        });
        assert_eq!(decode::<ToPage>(&encode(&status)), Ok(status));
        assert!(decode::<ToPage>(b"\xff\x00garbage").is_err());
    }

    #[test]
    fn a_rejection_speaks_the_language_when_the_server_named_the_refusal() {
        let named = Rejection {
            dropped: 1,
            lost: Vec::new(),
            reason: "Observers can read but not edit.".to_owned(),
            refusal: Some(Refusal::ReadOnlyRole),
        };
        assert!(
            named
                .text(enlace_shared::language::Language::Spanish)
                .contains("observadoras")
        );
        let unnamed = Rejection {
            refusal: None,
            reason: "a reason without a code".to_owned(),
            ..named
        };
        assert_eq!(
            unnamed.text(enlace_shared::language::Language::Spanish),
            "a reason without a code"
        );
    }

    #[test]
    fn edit_errors_say_what_went_wrong() {
        assert_eq!(
            EditError::Forbidden(Refusal::PresidencyAndWorkplan).message(),
            i18n::Message::Refusal(Refusal::PresidencyAndWorkplan)
        );
        assert_eq!(
            EditError::Required.message(),
            i18n::Message::Text(Text::FillRequired)
        );
        assert_eq!(
            EditError::NotLoaded.message(),
            i18n::Message::Text(Text::ErrorNotLoaded)
        );
    }
}
