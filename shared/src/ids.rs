//! Identifiers that cross the wire.

use std::fmt;
use std::str::FromStr;

/// The prefix of a document URL, as automerge-repo writes it.
pub const URL_PREFIX: &str = "automerge:";

/// A document id: 16 random bytes, written on the wire as their bs58check
/// encoding and in URLs as `automerge:<bs58check>`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocumentId([u8; 16]);

/// Why a string is not a document id.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DocumentIdError {
    #[error("document id is not valid bs58check: {0}")]
    Encoding(String),
    #[error("document id must be 16 bytes, found {0}")]
    Length(usize),
}

impl DocumentId {
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The `automerge:` URL a stock automerge-repo client uses to find this document.
    pub fn url(&self) -> String {
        format!("{URL_PREFIX}{self}")
    }

    /// Parses either a bare bs58check id or an `automerge:` URL.
    pub fn parse(text: &str) -> Result<Self, DocumentIdError> {
        let bare = text.strip_prefix(URL_PREFIX).unwrap_or(text);
        let bytes = bs58::decode(bare)
            .with_check(None)
            .into_vec()
            .map_err(|error| DocumentIdError::Encoding(error.to_string()))?;
        let array: [u8; 16] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| DocumentIdError::Length(bytes.len()))?;
        Ok(Self(array))
    }
}

impl fmt::Display for DocumentId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&bs58::encode(self.0).with_check().into_string())
    }
}

impl fmt::Debug for DocumentId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "DocumentId({self})")
    }
}

impl FromStr for DocumentId {
    type Err = DocumentIdError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl serde::Serialize for DocumentId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for DocumentId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A peer id as automerge-repo uses them: an opaque string chosen by the peer.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct PeerId(pub String);

impl PeerId {
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PeerId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// Lowercase hexadecimal of `bytes`: how record ids, secrets and hashes are
/// written.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

/// The bytes of hexadecimal `text` (either case), or `None` if it is not
/// an even number of hex digits.
pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    fn digit(byte: u8) -> Option<u8> {
        char::from(byte)
            .to_digit(16)
            .and_then(|value| u8::try_from(value).ok())
    }
    let text = text.as_bytes();
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.chunks_exact(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

/// A record id: 16 random bytes (chosen by the caller) as 32 hex digits.
pub fn record_id(random: [u8; 16]) -> String {
    hex(&random)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_hex_reads_what_hex_writes_and_nothing_else() {
        let bytes = [0u8, 1, 0x7f, 0x80, 0xab, 0xff];
        assert_eq!(from_hex(&hex(&bytes)).as_deref(), Some(&bytes[..]));
        assert_eq!(from_hex("ABcd").as_deref(), Some(&[0xab, 0xcd][..]));
        assert_eq!(from_hex(""), Some(Vec::new()));
        for bad in ["a", "0g", "+1", "é1"] {
            assert_eq!(from_hex(bad), None, "{bad}");
        }
    }

    #[test]
    fn hex_is_lowercase_two_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0xab, 0x0f, 0xff]), "00ab0fff");
        assert_eq!(record_id([0xab; 16]).len(), 32);
        assert!(record_id([0; 16]).chars().all(|digit| digit == '0'));
    }

    #[test]
    fn url_round_trips() {
        let id = DocumentId::from_bytes([7; 16]);
        let url = id.url();
        assert!(url.starts_with("automerge:"));
        assert_eq!(DocumentId::parse(&url), Ok(id));
        assert_eq!(DocumentId::parse(&id.to_string()), Ok(id));
    }

    #[test]
    fn rejects_bad_checksum_and_length() {
        let id = DocumentId::from_bytes([1; 16]).to_string();
        let mut corrupted = id;
        let last = corrupted.pop().map_or('1', |c| if c == '2' { '3' } else { '2' });
        corrupted.push(last);
        assert!(matches!(
            DocumentId::parse(&corrupted),
            Err(DocumentIdError::Encoding(_))
        ));
        let short = bs58::encode([1u8; 8]).with_check().into_string();
        assert_eq!(DocumentId::parse(&short), Err(DocumentIdError::Length(8)));
    }

    #[test]
    fn matches_a_url_made_by_automerge_repo() {
        // Produced by `repo.create()` in @automerge/automerge-repo 2.5.6.
        let url = "automerge:xDZpW1KbCAM9Qc3kML3ZvzuRSMe";
        let id = DocumentId::parse(url).expect("a real automerge-repo URL parses");
        assert_eq!(id.url(), url);
    }
}
