//! What a hub checks in a peer's sync message before automerge sees it.
//!
//! automerge 0.12 trusts the bytes it loads: it inflates compressed change
//! chunks and deflated document columns with no bound on the result, and it
//! walks run-length encoded columns value by value, so a few bytes can ask
//! for gigabytes of memory or hours of work. [`inspect`] reads the storage
//! chunks of a message itself, with a budget: it inflates under a limit, and
//! counts the values of every column run by run (a run of a billion costs one
//! step), then refuses a message that goes past its [`InboundLimits`].
//! Bundle chunks, which no sync message carries, are refused.
//! [`check_summaries`] bounds what automerge trusts in the rest of the
//! message: the number of hashes and the headers of bloom filters.
//!
//! The format (automerge's `storage/chunk.rs`, `storage/change.rs`,
//! `storage/document.rs`, `storage/columns/`): a chunk is the magic bytes,
//! a 4-byte checksum, a type byte (0 document, 1 change, 2 compressed change,
//! 3 bundle) and a LEB128 length, then that many bytes. A change holds its
//! dependencies, actor, counters, message, other actors, then column
//! metadata (LEB128 count, then spec and length per column) and the columns.
//! A compressed change is a change's data deflated as a whole. A document
//! holds actors, heads, two column metadata lists (changes, then operations)
//! and their columns, any of which may be deflated on its own (bit 3 of the
//! spec), and last the head indices.

use std::io::Read as _;
use std::ops::Range;

use automerge::sync::Message;

/// How much one sync message may ask of the server.
///
/// The defaults leave room for every honest message the clients send (a
/// whole-document message of a large workspace included) while keeping the
/// worst message to a bounded, modest amount of memory and work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InboundLimits {
    /// Bytes of one encoded sync message (heads, bloom filters and changes).
    pub max_message_bytes: usize,
    /// Bytes of change data in one message once every compressed chunk and
    /// deflated column is inflated (uncompressed data counts as it is).
    pub max_inflated_bytes: usize,
    /// Operations in one message: for each chunk, the values of its fullest
    /// column (a column holds one value per operation, or in a document's
    /// change columns one per change), summed over the chunks. This caps the
    /// operations automerge decodes and applies for one message.
    pub max_operations: u64,
    /// Bytes of a connection's changes the hub holds while it asks for their
    /// missing dependencies (see `DocumentHub::receive_checked`).
    pub max_waiting_bytes: usize,
    /// How many missing dependencies those changes may have; the hub asks
    /// for each and checks for each on every message of the connection.
    pub max_missing_dependencies: usize,
}

impl Default for InboundLimits {
    /// 8 MiB per message, 64 MiB inflated, 1 000 000 operations, 8 MiB
    /// waiting per connection with at most 1 024 missing dependencies.
    ///
    /// Operations are what honest messages have most of: typing or pasting
    /// text costs one per character, and automerge sends a client's whole
    /// document (every operation of the history) when the client has more
    /// than a third of the changes to send. A million is a pasted book, or
    /// years of a busy roundtable's history; applying 100 000 took 0.9 s in
    /// the test profile, so a message at the cap costs its hub seconds, not
    /// minutes. Bytes matter less: the demo workspace saves to 2.3 KiB and a
    /// 100 000-character text to 2.6 KiB (run-length encoding, then deflate),
    /// and a change message with 100 000 operations is 100 KB. 8 MiB leaves
    /// room for long string values and stays under the 16 MiB frame limit;
    /// 64 MiB inflated is room for a million operations' columns and values.
    /// Waiting changes are at most one message's worth; an honest peer's
    /// lack a handful of dependencies (one per bloom-filter false positive,
    /// about one change in a hundred).
    fn default() -> Self {
        Self {
            max_message_bytes: 8 * 1024 * 1024,
            max_inflated_bytes: 64 * 1024 * 1024,
            max_operations: 1_000_000,
            max_waiting_bytes: 8 * 1024 * 1024,
            max_missing_dependencies: 1024,
        }
    }
}

/// Why a peer's sync message was not handed to automerge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InboundError {
    #[error("not an automerge sync message: {0}")]
    Malformed(String),
    #[error("the sync message has {bytes} bytes; the limit is {limit}")]
    MessageTooLarge { bytes: usize, limit: usize },
    #[error("the changes inflate to more than {limit} bytes")]
    InflatesTooMuch { limit: usize },
    #[error("the changes hold more than {limit} operations")]
    TooManyOperations { limit: u64 },
    #[error("a sync message carries changes and documents, not a {0} chunk")]
    UnexpectedChunk(&'static str),
    #[error("changes waiting for their dependencies would pass {limit} bytes")]
    TooMuchWaiting { limit: usize },
    #[error("changes waiting for their dependencies would lack more than {limit} of them")]
    TooManyMissing { limit: usize },
}

impl InboundError {
    /// Whether the message was refused for asking too much (a limit of
    /// [`InboundLimits`]) rather than for being malformed; a server may
    /// close with "message too big" (1009) for these and "invalid payload"
    /// (1007) for the rest.
    pub fn exceeds_limit(&self) -> bool {
        !matches!(self, Self::Malformed(_) | Self::UnexpectedChunk(_))
    }
}

/// The kinds of storage chunk a sync message may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkKind {
    /// A whole document (automerge's v2 "send the whole doc" message).
    Document,
    /// One change.
    Change,
    /// One change, deflated as a whole.
    CompressedChange,
}

/// One storage chunk of a message: which entry of the message's change list
/// holds it, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkAt {
    pub entry: usize,
    pub bytes: Range<usize>,
    pub kind: ChunkKind,
}

/// What [`inspect`] found in a message within its limits.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Inspection {
    pub chunks: Vec<ChunkAt>,
    /// Bytes of change data after inflating.
    pub inflated_bytes: usize,
    /// Operations, as [`InboundLimits::max_operations`] counts them.
    pub operations: u64,
}

const MAGIC_BYTES: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const DEFLATE_BIT: u32 = 0b1000;
/// A document's column of successor actors (column 8, actor type): one
/// value per successor of an operation.
const SUCCESSOR_ACTOR_COLUMN: u32 = (8 << 4) | 1;

/// Checks the size of an encoded message; the first check, before decoding.
pub fn check_size(data: &[u8], limits: &InboundLimits) -> Result<(), InboundError> {
    if data.len() > limits.max_message_bytes {
        return Err(InboundError::MessageTooLarge {
            bytes: data.len(),
            limit: limits.max_message_bytes,
        });
    }
    Ok(())
}

/// The most bloom filters (`have`) a message may carry; automerge sends one.
const MAX_HAVES: usize = 4;
/// The most hashes in a message's heads, needs or a filter's last sync. A
/// peer has as many heads as concurrent branches and needs the few changes
/// that lead to the hub's heads; the hub checks each hash against its own
/// recent messages, so thousands of them would cost every message dearly.
const MAX_HASHES: usize = 4096;
/// Bounds on a bloom filter's header; automerge writes 10 bits per entry
/// and 7 probes.
const MAX_BITS_PER_ENTRY: u64 = 32;
const MAX_PROBES: u64 = 16;

/// Checks a message's summaries of the peer's changes: no more hashes than
/// a peer has reason to send, and bloom filters automerge can probe safely.
/// automerge trusts a filter's header when the hub next answers: it divides
/// by the filter's size, zero when a header claims entries but no bits per
/// entry, and it computes as many probes per lookup as the header says
/// (billions stall a hub for minutes), for each of the hub's changes.
pub fn check_summaries(message: &Message) -> Result<(), InboundError> {
    if message.have.len() > MAX_HAVES {
        return Err(malformed("more bloom filters than a peer sends"));
    }
    let lists = [&message.heads, &message.need]
        .into_iter()
        .chain(message.have.iter().map(|have| &have.last_sync));
    for list in lists {
        if list.len() > MAX_HASHES {
            return Err(malformed("more hashes than a peer sends"));
        }
    }
    for have in &message.have {
        let bytes = have.bloom.to_bytes();
        if bytes.is_empty() {
            // No entries: automerge never probes it.
            continue;
        }
        let mut input = Input::new(&bytes);
        input.unsigned()?; // entries
        let bits_per_entry = input.unsigned()?;
        let probes = input.unsigned()?;
        if !(1..=MAX_BITS_PER_ENTRY).contains(&bits_per_entry) || !(1..=MAX_PROBES).contains(&probes) {
            return Err(malformed("a bloom filter automerge cannot probe safely"));
        }
    }
    Ok(())
}

/// Reads every storage chunk of `message`'s changes within `limits`.
///
/// Each entry of the change list must hold whole chunks (automerge's
/// encoders write one change, or one run of changes, or one document per
/// entry). Bundle chunks are refused: no sync message carries one.
pub fn inspect(message: &Message, limits: &InboundLimits) -> Result<Inspection, InboundError> {
    inspect_entries(message.changes.iter(), limits)
}

/// [`inspect`] for a list of change-list entries.
pub fn inspect_entries<'a>(
    entries: impl Iterator<Item = &'a [u8]>,
    limits: &InboundLimits,
) -> Result<Inspection, InboundError> {
    let mut budget = Budget {
        limits,
        inspection: Inspection::default(),
    };
    for (entry, bytes) in entries.enumerate() {
        let mut offset = 0;
        while offset < bytes.len() {
            let mut input = Input::new(&bytes[offset..]);
            let (kind, data) = chunk(&mut input)?;
            match kind {
                ChunkKind::Change => {
                    budget.inflate_by(data.len())?;
                    change(data, &mut budget)?;
                }
                ChunkKind::CompressedChange => {
                    let inflated = budget.inflate(data)?;
                    change(&inflated, &mut budget)?;
                }
                ChunkKind::Document => document(data, &mut budget)?,
            }
            let end = offset + input.position;
            budget.inspection.chunks.push(ChunkAt {
                entry,
                bytes: offset..end,
                kind,
            });
            offset = end;
        }
    }
    Ok(budget.inspection)
}

struct Budget<'a> {
    limits: &'a InboundLimits,
    inspection: Inspection,
}

impl Budget<'_> {
    fn inflate_by(&mut self, bytes: usize) -> Result<(), InboundError> {
        let limit = self.limits.max_inflated_bytes;
        self.inspection.inflated_bytes = self.inspection.inflated_bytes.saturating_add(bytes);
        if self.inspection.inflated_bytes > limit {
            return Err(InboundError::InflatesTooMuch { limit });
        }
        Ok(())
    }

    /// Inflates `deflated`, reading at most one byte past what the budget
    /// has left, so a deflate bomb costs no more than the limit.
    fn inflate(&mut self, deflated: &[u8]) -> Result<Vec<u8>, InboundError> {
        let limit = self.limits.max_inflated_bytes;
        let left = limit.saturating_sub(self.inspection.inflated_bytes);
        let mut inflated = Vec::new();
        flate2::read::DeflateDecoder::new(deflated)
            .take(u64::try_from(left).unwrap_or(u64::MAX).saturating_add(1))
            .read_to_end(&mut inflated)
            .map_err(|error| InboundError::Malformed(format!("bad deflate data: {error}")))?;
        if inflated.len() > left {
            return Err(InboundError::InflatesTooMuch { limit });
        }
        self.inflate_by(inflated.len())?;
        Ok(inflated)
    }

    fn count_operations(&mut self, values: u64) -> Result<(), InboundError> {
        let limit = self.limits.max_operations;
        self.inspection.operations = self.inspection.operations.saturating_add(values);
        if self.inspection.operations > limit {
            return Err(InboundError::TooManyOperations { limit });
        }
        Ok(())
    }

    /// What is left of the operation budget, for counting one chunk's columns.
    fn operations_left(&self) -> u64 {
        self.limits
            .max_operations
            .saturating_sub(self.inspection.operations)
    }
}

/// A chunk header and its data.
fn chunk<'a>(input: &mut Input<'a>) -> Result<(ChunkKind, &'a [u8]), InboundError> {
    if input.take(4)? != MAGIC_BYTES {
        return Err(malformed("a chunk without automerge's magic bytes"));
    }
    input.take(4)?; // checksum: automerge verifies it
    let kind = match input.take(1)?[0] {
        0 => ChunkKind::Document,
        1 => ChunkKind::Change,
        2 => ChunkKind::CompressedChange,
        3 => return Err(InboundError::UnexpectedChunk("bundle")),
        _ => return Err(malformed("an unknown chunk type")),
    };
    let length = input.length()?;
    Ok((kind, input.take(length)?))
}

/// A change chunk's data (for a compressed change, once inflated).
fn change(data: &[u8], budget: &mut Budget<'_>) -> Result<(), InboundError> {
    let mut input = Input::new(data);
    let dependencies = input.length()?;
    for _ in 0..dependencies {
        input.take(32)?;
    }
    input.bytes()?; // actor
    input.unsigned()?; // seq
    input.unsigned()?; // start op
    input.signed()?; // time
    input.bytes()?; // message
    let other_actors = input.length()?;
    for _ in 0..other_actors {
        input.bytes()?;
    }
    let columns = input.columns()?;
    if columns.iter().any(|(spec, _)| spec & DEFLATE_BIT != 0) {
        // automerge refuses these too; refusing here spares the inflating.
        return Err(malformed("a change with deflated columns"));
    }
    let mut most = 0;
    for (spec, length) in columns {
        most = most.max(count_values(spec, input.take(length)?, budget.operations_left())?);
    }
    budget.count_operations(most)
}

/// A document chunk's data: every deflated column is inflated under the
/// budget, and the changes and operations are counted.
fn document(data: &[u8], budget: &mut Budget<'_>) -> Result<(), InboundError> {
    let mut input = Input::new(data);
    let actors = input.length()?;
    for _ in 0..actors {
        input.bytes()?;
    }
    let heads = input.length()?;
    for _ in 0..heads {
        input.take(32)?;
    }
    let change_columns = input.columns()?;
    let operation_columns = input.columns()?;
    let mut counted: u64 = 0;
    for (columns, operations) in [(change_columns, false), (operation_columns, true)] {
        let mut most: u64 = 0;
        let mut successors: u64 = 0;
        for (spec, length) in columns {
            let raw = input.take(length)?;
            let values = if spec & DEFLATE_BIT == 0 {
                budget.inflate_by(raw.len())?;
                count_values(spec, raw, budget.operations_left())?
            } else {
                let inflated = budget.inflate(raw)?;
                count_values(spec, &inflated, budget.operations_left())?
            };
            most = most.max(values);
            if operations && spec & !DEFLATE_BIT == SUCCESSOR_ACTOR_COLUMN {
                successors = values;
            }
        }
        // A document stores a deletion as a successor of what it deleted,
        // not as an operation of its own; rebuilding the changes makes it
        // one again.
        counted = counted.max(most.saturating_add(successors));
    }
    budget.count_operations(counted)
}

/// How many values a column holds (for a group column, how many grouped
/// values its counts add up to, if more); counting stops once past `limit`.
///
/// Column types (the low three bits of the spec): 0 group, 1 actor,
/// 2 integer, 3 delta integer, 4 boolean, 5 string, 6 value metadata,
/// 7 value. All but boolean and value are run-length encoded: a signed
/// LEB128 count, then for a positive count one value repeated, for a
/// negative count that many values, for zero an unsigned count of nulls.
/// Booleans are alternating run lengths. Values are raw bytes whose lengths
/// the value metadata column holds, so they add no values of their own.
fn count_values(spec: u32, column: &[u8], limit: u64) -> Result<u64, InboundError> {
    let mut input = Input::new(column);
    let mut values: u64 = 0;
    // For a group column: the sum of its counts.
    let mut grouped: u64 = 0;
    let column_type = spec & 0b111;
    // Reads one value of the column, returning it if it is a group count.
    let read_value = |input: &mut Input<'_>| -> Result<u64, InboundError> {
        match column_type {
            3 => input.signed().map(|_| 0),
            5 => input.bytes().map(|_| 0),
            0 => input.unsigned(),
            _ => input.unsigned().map(|_| 0),
        }
    };
    match column_type {
        7 => {}
        4 => {
            while !input.is_empty() && values <= limit {
                values = values.saturating_add(input.unsigned()?);
            }
        }
        _ => {
            while !input.is_empty() && values.max(grouped) <= limit {
                let count = input.signed()?;
                if count > 0 {
                    let repeated = count.unsigned_abs();
                    values = values.saturating_add(repeated);
                    grouped = grouped.saturating_add(read_value(&mut input)?.saturating_mul(repeated));
                } else if count < 0 {
                    let literals = count.unsigned_abs();
                    values = values.saturating_add(literals);
                    if values > limit {
                        break;
                    }
                    for _ in 0..literals {
                        grouped = grouped.saturating_add(read_value(&mut input)?);
                    }
                } else {
                    values = values.saturating_add(input.unsigned()?);
                }
            }
        }
    }
    Ok(values.max(grouped))
}

fn malformed(what: &str) -> InboundError {
    InboundError::Malformed(what.to_owned())
}

/// A cursor over bytes whose every read is bounds-checked.
struct Input<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Input<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, position: 0 }
    }

    fn is_empty(&self) -> bool {
        self.position >= self.bytes.len()
    }

    fn take(&mut self, count: usize) -> Result<&'a [u8], InboundError> {
        let rest = &self.bytes[self.position..];
        if rest.len() < count {
            return Err(malformed("a chunk ends early"));
        }
        self.position += count;
        Ok(&rest[..count])
    }

    fn unsigned(&mut self) -> Result<u64, InboundError> {
        let mut rest = &self.bytes[self.position..];
        let before = rest.len();
        let value = leb128::read::unsigned(&mut rest).map_err(|_| malformed("a bad LEB128 number"))?;
        self.position += before - rest.len();
        Ok(value)
    }

    fn signed(&mut self) -> Result<i64, InboundError> {
        let mut rest = &self.bytes[self.position..];
        let before = rest.len();
        let value = leb128::read::signed(&mut rest).map_err(|_| malformed("a bad LEB128 number"))?;
        self.position += before - rest.len();
        Ok(value)
    }

    /// A length or count, which must fit in what is left of the input (every
    /// counted item takes at least a byte), so no loop runs past the data.
    fn length(&mut self) -> Result<usize, InboundError> {
        let value = self.unsigned()?;
        let left = self.bytes.len() - self.position;
        usize::try_from(value)
            .ok()
            .filter(|length| *length <= left)
            .ok_or_else(|| malformed("a length past the end of the chunk"))
    }

    /// A LEB128 length and that many bytes.
    fn bytes(&mut self) -> Result<&'a [u8], InboundError> {
        let length = self.length()?;
        self.take(length)
    }

    /// Column metadata: a count, then a spec and a length per column. The
    /// lengths together must fit in the rest of the input.
    fn columns(&mut self) -> Result<Vec<(u32, usize)>, InboundError> {
        let count = self.length()?;
        let mut columns = Vec::with_capacity(count);
        let mut total: usize = 0;
        for _ in 0..count {
            let spec = u32::try_from(self.unsigned()?).map_err(|_| malformed("a bad column spec"))?;
            let length = usize::try_from(self.unsigned()?).map_err(|_| malformed("a bad column length"))?;
            total = total
                .checked_add(length)
                .ok_or_else(|| malformed("column lengths overflow"))?;
            columns.push((spec, length));
        }
        if total > self.bytes.len() - self.position {
            return Err(malformed("columns past the end of the chunk"));
        }
        Ok(columns)
    }
}
