//! The HTTP API's contract: every path, request and response body, and the
//! WebSocket close codes. The server, the browser client and the tests all
//! use these types, so the JSON each side writes is the JSON the other reads.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::refusal::Refusal;
use crate::roles::Role;

/// The paths of the HTTP API and the sync socket.
pub mod paths {
    pub const HEALTH: &str = "/healthz";
    pub const LOGIN: &str = "/api/login";
    pub const LOGOUT: &str = "/api/logout";
    pub const ME: &str = "/api/me";
    pub const SETUP: &str = "/api/setup";
    pub const WORKSPACES: &str = "/api/workspaces";
    /// The router's pattern for [`workspace_changes`].
    pub const WORKSPACE_CHANGES: &str = "/api/workspaces/{id}/changes";
    /// The router's pattern for [`workspace_audit_export`].
    pub const WORKSPACE_AUDIT_EXPORT: &str = "/api/workspaces/{id}/audit-export";
    pub const USERS: &str = "/api/users";
    /// The router's pattern for [`user`].
    pub const USER: &str = "/api/users/{id}";
    /// The caller's own bearer tokens.
    pub const TOKENS: &str = "/api/tokens";
    /// The router's pattern for [`token`].
    pub const TOKEN: &str = "/api/tokens/{id}";
    /// The router's pattern for [`user_tokens`].
    pub const USER_TOKENS: &str = "/api/users/{id}/tokens";
    /// The router's pattern for [`record_authorship`].
    pub const RECORD_AUTHORSHIP: &str = "/api/workspaces/{id}/records/{collection}/{record_id}/authorship";
    /// The router's pattern for [`history`].
    pub const HISTORY: &str = "/api/workspaces/{id}/history";
    /// The router's pattern for [`history_csv`].
    pub const HISTORY_CSV: &str = "/api/workspaces/{id}/history.csv";
    /// The router's pattern for [`history_refused`].
    pub const HISTORY_REFUSED: &str = "/api/workspaces/{id}/history/refused";
    /// The router's pattern for [`history_moment`].
    pub const HISTORY_MOMENT: &str = "/api/workspaces/{id}/history/moment";
    pub const SYNC: &str = "/sync";
    /// The browser's first-start setup page.
    pub const SETUP_PAGE: &str = "/setup";

    /// The audit trail of one workspace.
    pub fn workspace_changes(workspace_id: &str) -> String {
        WORKSPACE_CHANGES.replace("{id}", workspace_id)
    }

    /// The workspace's timeline (query: [`super::HistoryQuery`]).
    pub fn history(workspace_id: &str) -> String {
        HISTORY.replace("{id}", workspace_id)
    }

    /// The timeline as CSV, same filters as [`history`].
    pub fn history_csv(workspace_id: &str) -> String {
        HISTORY_CSV.replace("{id}", workspace_id)
    }

    /// Refused attempts (secretariat; query: [`super::PageQuery`]).
    pub fn history_refused(workspace_id: &str) -> String {
        HISTORY_REFUSED.replace("{id}", workspace_id)
    }

    /// The document heads at a moment (query: [`super::MomentQuery`]).
    pub fn history_moment(workspace_id: &str) -> String {
        HISTORY_MOMENT.replace("{id}", workspace_id)
    }

    /// The signed audit export of one workspace (secretariat).
    pub fn workspace_audit_export(workspace_id: &str) -> String {
        WORKSPACE_AUDIT_EXPORT.replace("{id}", workspace_id)
    }

    /// One person, for the secretariat's changes.
    pub fn user(user_id: &str) -> String {
        USER.replace("{id}", user_id)
    }

    /// One bearer token, to revoke (`DELETE`): the caller's own, or one of
    /// a person the caller administers.
    pub fn token(token_id: &str) -> String {
        TOKEN.replace("{id}", token_id)
    }

    /// A person's bearer tokens, for the secretariat.
    pub fn user_tokens(user_id: &str) -> String {
        USER_TOKENS.replace("{id}", user_id)
    }

    /// Who added and who last edited one record. The record id is
    /// percent-encoded, since a client chooses it.
    pub fn record_authorship(workspace_id: &str, collection: &str, record_id: &str) -> String {
        let record_id: String = record_id
            .bytes()
            .map(|byte| {
                if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
                    char::from(byte).to_string()
                } else {
                    format!("%{byte:02X}")
                }
            })
            .collect();
        RECORD_AUTHORSHIP
            .replace("{id}", workspace_id)
            .replace("{collection}", collection)
            .replace("{record_id}", &record_id)
    }
}

/// The user id of the server itself, in the receipts of every workspace's
/// first changes (its root and the demo roundtable) and the binding of the
/// actor that made them. No account has it (account ids are 32 hex digits),
/// so nobody signs in as it and a client reusing that actor is refused.
pub const SYSTEM_USER_ID: &str = "system";

/// WebSocket close codes the server uses (`docs/protocol.md` has the table).
pub mod close {
    /// The connection ended normally (either side said goodbye).
    pub const NORMAL: u16 = 1000;
    /// The server is shutting down, or the socket or its document went away.
    pub const GOING_AWAY: u16 = 1001;
    /// A message out of order (anything before `join`, a second `join`).
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// A text frame: the protocol is binary CBOR.
    pub const UNSUPPORTED_DATA: u16 = 1003;
    /// Undecodable CBOR or sync data automerge refuses.
    pub const INVALID_PAYLOAD: u16 = 1007;
    /// A stock client sent a change its role does not allow.
    pub const POLICY_VIOLATION: u16 = 1008;
    /// A frame over the size limit.
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    /// The server failed; the client may reconnect.
    pub const INTERNAL_ERROR: u16 = 1011;
    /// The document was reloaded from storage after a failed commit; reconnect.
    pub const SERVICE_RESTART: u16 = 1012;
    /// The server is busy or shutting down; reconnect later.
    pub const TRY_AGAIN_LATER: u16 = 1013;
    /// The session ended (signed out, disabled, credential revoked): sign in again.
    pub const SIGNED_OUT: u16 = 4001;
    /// The person lost their role in a workspace this connection follows
    /// (still signed in): stop syncing it; reconnecting syncs what remains.
    pub const ACCESS_REMOVED: u16 = 4010;
    /// More refused sync messages than the limit within its window
    /// (`--max-refusals`, `--refusal-window-seconds`).
    pub const TOO_MANY_REFUSALS: u16 = 4011;
    /// The person already holds the most sync connections allowed
    /// (`--max-connections-per-person`); close another first.
    pub const TOO_MANY_CONNECTIONS: u16 = 4012;
}

/// `POST /api/login`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// A person as the API shows them (never a password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonView {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub organisation_id: Option<String>,
    /// Workspace id → role there.
    #[serde(default)]
    pub roles: BTreeMap<String, Role>,
    #[serde(default)]
    pub disabled: bool,
}

/// `GET /api/setup`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct SetupStatus {
    pub pending: bool,
}

/// `POST /api/setup`: the first secretariat account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetupRequest {
    pub token: String,
    pub email: String,
    pub display_name: String,
    pub password: String,
}

/// One entry of `GET /api/workspaces`: a workspace the caller may open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceSummary {
    pub id: String,
    pub name: String,
    /// The `automerge:` URL a stock automerge-repo client opens.
    pub url: String,
    pub role: Role,
}

/// Paging of `GET /api/workspaces/{id}/changes`.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct PageQuery {
    pub before: Option<u64>,
    pub limit: Option<usize>,
}

/// The server's record of one accepted change: who made it, from which
/// connection, and when it arrived. Written in the same transaction as the
/// change; nothing in it comes from what the client claims but the change's
/// own fields (hash, actor, seq, time, message).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub hash: String,
    pub actor: String,
    pub seq: u64,
    /// The client's own timestamp (ms), as written in the change.
    pub client_time_ms: i64,
    pub message: Option<String>,
    pub user_id: String,
    pub user_name: String,
    pub organisation_id: Option<String>,
    pub role: Role,
    pub received_at_ms: i64,
    /// The records the change touched, placed by the server when it judged
    /// the change (receipts stored before this field have none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<TouchedRecord>,
}

/// A record one accepted change wrote into.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TouchedRecord {
    /// The collection's key (`organisations`).
    pub collection: String,
    pub record_id: String,
    /// Whether the change wrote the record's own key in its collection (created it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub created: bool,
}

/// Who made a change to a record, as the server's receipt says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordAuthor {
    pub user_id: String,
    pub user_name: String,
    pub organisation_id: Option<String>,
    /// When the server received the change (ms since the epoch).
    pub at_ms: i64,
}

/// `GET /api/workspaces/{id}/records/{collection}/{record_id}/authorship`:
/// who added a record and who last edited it, from the receipts. `None`
/// where the server has no receipt (a record written before receipts named
/// records, or no such record).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordAuthorship {
    pub created: Option<RecordAuthor>,
    pub last_edited: Option<RecordAuthor>,
}

/// One accepted change of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeView {
    pub receipt_seq: u64,
    #[serde(flatten)]
    pub receipt: Receipt,
}

/// A page of the audit trail, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangesPage {
    pub changes: Vec<ChangeView>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next_before: Option<u64>,
}

/// What a change did to one record, as a timeline entry shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// The change created the record.
    Created,
    /// The change wrote fields of an existing record.
    Edited,
    /// The change set the record's `deleted` tombstone.
    Deleted,
    /// The change cleared the tombstone (undelete), or its message says it
    /// restored earlier values (`restore …`).
    Restored,
}

impl EntryKind {
    pub const ALL: [EntryKind; 4] = [Self::Created, Self::Edited, Self::Deleted, Self::Restored];

    /// The wire name (`created`, …), also the query value.
    pub fn code(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Edited => "edited",
            Self::Deleted => "deleted",
            Self::Restored => "restored",
        }
    }
}

/// A field's value in the timeline, as read from the document at one moment.
/// Long texts are cut at [`HISTORY_VALUE_CHARS`] characters (`cut`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum HistoryValue {
    /// Line, long text, date, choice or reference id.
    Text {
        text: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        cut: bool,
    },
    /// References (record ids) or strings.
    List(Vec<String>),
    Flag(bool),
    /// The items of an items field (an agenda, an attendance list, an
    /// alliance's commitments), each as one line: its title sub-field, then
    /// its other non-empty sub-fields in the schema's order, separated by
    /// [`ITEM_PART_SEPARATOR`] (reference ids and choice slugs as stored,
    /// each entry of a list its own part, a set flag as `✓`). Entries that
    /// earlier versions stored say `commitments` (each "text (due) ✓") and
    /// read as this.
    #[serde(alias = "commitments")]
    Items(Vec<String>),
}

/// What separates the parts of one item's line in [`HistoryValue::Items`].
pub const ITEM_PART_SEPARATOR: &str = " · ";

/// Characters of a text kept in a timeline value.
pub const HISTORY_VALUE_CHARS: usize = 4000;

/// One field one change wrote: its value before the change (at the change's
/// dependencies) and after it (`None`: absent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub before: Option<HistoryValue>,
    pub after: Option<HistoryValue>,
}

/// What one change did to one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordChange {
    /// The collection's key (`organisations`).
    pub collection: String,
    pub record_id: String,
    /// The record's title after the change (before it, if the change removed it).
    pub title: String,
    pub kind: EntryKind,
    /// The fields whose value the change altered, in the schema's order.
    pub fields: Vec<FieldChange>,
}

/// One accepted change in the timeline: its receipt (who, organisation, role
/// at that moment, when received, the author's own time, message), what it
/// did to each record, and the document's heads once it was applied (to
/// view the workspace as of this entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The receipt's sequence number: the timeline's order and cursor.
    pub seq: u64,
    pub receipt: Receipt,
    /// The author's email, only in answers to the secretariat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_email: Option<String>,
    pub records: Vec<RecordChange>,
    pub heads_after: Vec<String>,
}

/// Filters and paging of `GET /api/workspaces/{id}/history` (and `.csv`).
/// Every filter is optional; `record` needs `collection`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryQuery {
    /// Entries with `seq` below this (the previous page's `next_before`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// A user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
    /// An organisation id (the author's organisation at the time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
    /// A collection key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection: Option<String>,
    /// A record id (with `collection`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// Received at or after (ms since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_ms: Option<i64>,
    /// Received at or before (ms since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<EntryKind>,
}

/// `GET /api/workspaces/{id}/history`: newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryPage {
    pub entries: Vec<HistoryEntry>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next_before: Option<u64>,
}

/// A sync message the server refused: who tried what, when, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedAttempt {
    pub seq: u64,
    pub at_ms: i64,
    pub user_id: String,
    pub user_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_email: Option<String>,
    pub organisation_id: Option<String>,
    pub role: Role,
    /// The [`Refusal::code`]; `None` when the server could not judge (its
    /// storage failed).
    pub refusal: Option<String>,
    /// Where the refused edit landed (`organisations/<id>/name`), or why.
    pub place: String,
    pub change_hashes: Vec<String>,
    /// The refused changes' messages (cut to the change-message limit).
    pub messages: Vec<String>,
}

impl RefusedAttempt {
    /// The reason, for the client to say in the reader's language.
    pub fn refusal(&self) -> Option<Refusal> {
        self.refusal.as_deref().and_then(Refusal::from_code)
    }
}

/// `GET /api/workspaces/{id}/history/refused` (secretariat): newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedPage {
    pub attempts: Vec<RefusedAttempt>,
    pub next_before: Option<u64>,
}

/// `GET /api/workspaces/{id}/history/moment?at_ms=…` (or `?seq=…`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MomentQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
}

/// The workspace as of a moment: the last entry received at or before it
/// and the document's heads then (`None` before the first change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moment {
    pub seq: Option<u64>,
    pub at_ms: Option<i64>,
    pub heads: Vec<String>,
}

/// `POST /api/users` (secretariat).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreateUserRequest {
    pub email: String,
    pub display_name: String,
    pub password: Option<String>,
    pub organisation_id: Option<String>,
    /// The workspace the new person joins.
    pub workspace: String,
    pub role: Role,
}

/// `PATCH /api/users/{id}` (secretariat).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UpdateUserRequest {
    /// With `role`: the workspace whose role changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    /// Absent: unchanged; a role; or `null` to remove access to `workspace`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present_or_null"
    )]
    pub role: Option<Option<Role>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
}

/// Tells a field set to `null` (`Some(None)`) from an absent one (`None`).
fn present_or_null<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A bearer token as `GET /api/tokens` and `GET /api/users/{id}/tokens`
/// list it: never its secret, which is shown once, when it is created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenView {
    /// What `DELETE /api/tokens/{id}` and `enlace token revoke --id` take.
    pub id: String,
    pub user_id: String,
    pub created_at_ms: i64,
    /// Absent only for a token stored before tokens expired, until the
    /// server's next start gives it the default lifetime.
    pub expires_at_ms: Option<i64>,
    /// When it was last used, to the hour; absent if never.
    pub last_used_at_ms: Option<i64>,
}

/// The body of every error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A sentence in English, for logs and scripts.
    pub error: String,
    /// When a role's limit refused the request: its code
    /// ([`Refusal::code`]), for the client to say in the person's language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
}

impl ErrorBody {
    pub fn refusal(&self) -> Option<Refusal> {
        self.refusal.as_deref().and_then(Refusal::from_code)
    }
}

impl From<Refusal> for ErrorBody {
    fn from(refusal: Refusal) -> Self {
        Self {
            error: refusal.to_string(),
            refusal: Some(refusal.code().to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_fill_their_ids() {
        assert_eq!(paths::workspace_changes("abc"), "/api/workspaces/abc/changes");
        assert_eq!(paths::user("u1"), "/api/users/u1");
        assert_eq!(paths::token("t1"), "/api/tokens/t1");
        assert_eq!(paths::user_tokens("u1"), "/api/users/u1/tokens");
        assert_eq!(
            paths::record_authorship("abc", "organisations", "r1/ñ"),
            "/api/workspaces/abc/records/organisations/r1%2F%C3%B1/authorship"
        );
    }

    #[test]
    fn a_role_set_to_null_differs_from_an_absent_role() {
        let absent: UpdateUserRequest = serde_json::from_str(r#"{"disabled":true}"#).expect("parses");
        assert_eq!(absent.role, None);
        assert_eq!(absent.disabled, Some(true));
        let removed: UpdateUserRequest =
            serde_json::from_str(r#"{"workspace":"w","role":null}"#).expect("parses");
        assert_eq!(removed.role, Some(None));
        let set: UpdateUserRequest =
            serde_json::from_str(r#"{"workspace":"w","role":"member"}"#).expect("parses");
        assert_eq!(set.role, Some(Some(Role::Member)));
    }

    #[test]
    fn refusals_travel_as_codes() {
        let body = ErrorBody::from(Refusal::ManagePeople);
        let json = serde_json::to_string(&body).expect("serialises");
        let back: ErrorBody = serde_json::from_str(&json).expect("parses");
        assert_eq!(back.refusal(), Some(Refusal::ManagePeople));
        let plain: ErrorBody = serde_json::from_str(r#"{"error":"sign in first"}"#).expect("parses");
        assert_eq!(plain.refusal(), None);
    }

    #[test]
    fn receipts_flatten_into_change_views() {
        let view = ChangeView {
            receipt_seq: 7,
            receipt: Receipt {
                hash: "h".into(),
                actor: "a".into(),
                seq: 1,
                client_time_ms: 2,
                message: None,
                user_id: "u".into(),
                user_name: "Ana".into(),
                organisation_id: None,
                role: Role::Member,
                received_at_ms: 3,
                records: vec![TouchedRecord {
                    collection: "organisations".into(),
                    record_id: "r1".into(),
                    created: true,
                }],
            },
        };
        let json: serde_json::Value = serde_json::to_value(&view).expect("serialises");
        assert_eq!(json["receipt_seq"], 7);
        assert_eq!(json["user_name"], "Ana");
        assert_eq!(json["role"], "member");
        assert_eq!(json["records"][0]["created"], true);
        assert_eq!(serde_json::from_value::<ChangeView>(json).expect("parses"), view);
    }

    #[test]
    fn receipts_stored_without_records_still_load() {
        let stored = r#"{"hash":"h","actor":"a","seq":1,"client_time_ms":2,"message":null,
            "user_id":"u","user_name":"Ana","organisation_id":null,"role":"member","received_at_ms":3}"#;
        let receipt: Receipt = serde_json::from_str(stored).expect("parses");
        assert!(receipt.records.is_empty());
    }
}
