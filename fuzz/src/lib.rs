//! Fuzzing on stable Rust for what any signed-in account can send.
//!
//! Every target takes raw bytes. Some read them as a frame or a sync message
//! as they are; others read them through [`arbitrary::Unstructured`] as
//! structured operations. The engine ([`fuzz`]) keeps a small corpus per
//! target (the target's seeds, then every input the target calls "deep"),
//! mutates its entries byte-wise (flips, overwrites with edge values,
//! insertions, deletions, copies, splices) or makes fresh random bytes, and
//! runs each input under `catch_unwind`. A panic is a crash: its input is
//! saved under `regressions/<target>/<hash>` and the `regressions` test
//! replays every saved input on each `cargo test`.
//!
//! There is no coverage feedback (that needs nightly's sanitizer
//! instrumentation); the seeds are real protocol traffic so that mutations
//! start deep in the code. Aborts (stack overflow, out of memory) end the
//! process instead of being caught; inputs are capped at [`MAX_INPUT`] bytes.

pub mod frame;
pub mod hub;

use std::collections::{BTreeMap, BTreeSet};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::Digest as _;

/// The largest input the engine makes.
pub const MAX_INPUT: usize = 64 * 1024;

/// One thing to fuzz.
pub trait Target {
    /// The directory name under `regressions/`.
    fn name(&self) -> &'static str;
    /// Inputs to start mutating from.
    fn seeds(&self) -> Vec<Vec<u8>>;
    /// Runs one input and panics if an invariant does not hold. Returns true
    /// when the input got past the first parsing layer (worth keeping in the
    /// corpus to mutate further).
    fn run(&self, input: &[u8]) -> bool;
}

/// Every target, in the order `cargo xtask fuzz` runs them.
///
/// The CSV import target belongs here once CSV import exists: rows of
/// arbitrary text fed to the importer must never panic, and every row it
/// accepts must pass `policy::check` like a synced change.
pub fn targets() -> Vec<Box<dyn Target>> {
    vec![Box::new(frame::FrameTarget), Box::new(hub::HubTarget::new())]
}

/// The regression corpus: `ENLACE_FUZZ_REGRESSIONS`, else `regressions/` of
/// this crate (cargo sets `CARGO_MANIFEST_DIR` at run time; the compiled-in
/// value can name another checkout that shares the target directory).
pub fn regressions_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("ENLACE_FUZZ_REGRESSIONS") {
        return PathBuf::from(dir);
    }
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .filter(|dir| dir.join("regressions").is_dir() && dir.ends_with("fuzz"))
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest.join("regressions")
}

/// What one target's run found.
#[derive(Debug, Default)]
pub struct Report {
    pub target: &'static str,
    pub tried: u64,
    /// Distinct crashes (by panic location): the message and the file that
    /// reproduces it (a new one, or the saved input that already did).
    pub crashes: BTreeMap<String, (String, PathBuf)>,
    /// The locations among `crashes` that a saved input already reproduced
    /// (the `regressions` test fails on those until they are fixed).
    pub known: BTreeSet<String>,
}

impl Report {
    /// Crashes no saved input reproduced before this run.
    pub fn new_crashes(&self) -> impl Iterator<Item = (&String, &(String, PathBuf))> {
        self.crashes
            .iter()
            .filter(|(location, _)| !self.known.contains(*location))
    }
}

/// A crash caught while running one input.
#[derive(Debug, Clone)]
pub struct Crash {
    /// `file:line:column` of the panic (the crash's identity).
    pub location: String,
    pub message: String,
}

thread_local! {
    static LAST_PANIC: std::cell::RefCell<Option<Crash>> = const { std::cell::RefCell::new(None) };
    /// True while [`run_one`] runs an input on this thread.
    static CATCHING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Makes panics inside [`run_one`] quiet and remembered; every other panic
/// (a failing test's) goes to the hook that was there before.
fn install_panic_hook() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !CATCHING.with(std::cell::Cell::get) {
                previous(info);
                return;
            }
            let location = info.location().map_or_else(
                || "unknown".to_owned(),
                |at| format!("{}:{}:{}", at.file(), at.line(), at.column()),
            );
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .map(|text| (*text).to_owned())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_default();
            LAST_PANIC.with(|slot| *slot.borrow_mut() = Some(Crash { location, message }));
        }));
    });
}

/// Runs one input; `Err` if it panicked.
pub fn run_one(target: &dyn Target, input: &[u8]) -> Result<bool, Crash> {
    install_panic_hook();
    LAST_PANIC.with(|slot| slot.borrow_mut().take());
    CATCHING.with(|catching| catching.set(true));
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| target.run(input)));
    CATCHING.with(|catching| catching.set(false));
    outcome.map_err(|_| {
        LAST_PANIC
            .with(|slot| slot.borrow_mut().take())
            .unwrap_or_else(|| Crash {
                location: "unknown".into(),
                message: "panic without a hook report".into(),
            })
    })
}

/// The file name of a saved input: its SHA-256, first 16 hex digits.
pub fn input_hash(input: &[u8]) -> String {
    let digest = sha2::Sha256::digest(input);
    enlace_shared::ids::hex(&digest[..8])
}

/// Fuzzes `target` for `budget`, saving each new crash's input under
/// `regressions/<target>/`.
pub fn fuzz(target: &dyn Target, budget: Duration, seed: u64, regressions: &Path) -> anyhow::Result<Report> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut corpus: Vec<Vec<u8>> = target.seeds();
    // Saved inputs are good starting points (near a bug). Those that still
    // crash are known: finding their crash again saves nothing new.
    let mut known: BTreeMap<String, PathBuf> = BTreeMap::new();
    for (path, bytes) in saved_inputs(&regressions.join(target.name()))? {
        if let Err(crash) = run_one(target, &bytes) {
            known.entry(crash.location).or_insert(path);
        }
        corpus.push(bytes);
    }
    if corpus.is_empty() {
        corpus.push(Vec::new());
    }
    let seeds = corpus.len();
    let mut report = Report {
        target: target.name(),
        ..Report::default()
    };
    let started = Instant::now();
    while started.elapsed() < budget {
        let input = next_input(&mut rng, &corpus);
        report.tried += 1;
        match run_one(target, &input) {
            Ok(true) => {
                // Keep deep inputs, replacing older finds once the corpus is full.
                if corpus.len() < seeds + 512 {
                    corpus.push(input);
                } else {
                    let slot = seeds + rng.usize(..512);
                    corpus[slot] = input;
                }
            }
            Ok(false) => {}
            Err(crash) => {
                if report.crashes.contains_key(&crash.location) {
                    continue;
                }
                if let Some(path) = known.get(&crash.location) {
                    report.known.insert(crash.location.clone());
                    report
                        .crashes
                        .insert(crash.location, (crash.message, path.clone()));
                    continue;
                }
                let dir = regressions.join(target.name());
                std::fs::create_dir_all(&dir)?;
                let path = dir.join(input_hash(&input));
                std::fs::write(&path, &input)?;
                report.crashes.insert(crash.location, (crash.message, path));
            }
        }
    }
    Ok(report)
}

/// The saved inputs of one target's regression directory, sorted by name.
pub fn saved_inputs(dir: &Path) -> anyhow::Result<Vec<(PathBuf, Vec<u8>)>> {
    let mut inputs = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(inputs),
        Err(error) => return Err(error.into()),
    };
    for entry in entries {
        let path = entry?.path();
        let hidden = path
            .file_name()
            .and_then(|name| name.to_str())
            .is_none_or(|name| name.starts_with('.'));
        if path.is_file() && !hidden {
            let bytes = std::fs::read(&path)?;
            inputs.push((path, bytes));
        }
    }
    inputs.sort();
    Ok(inputs)
}

/// Replays every saved input of `target`; returns those that still crash.
pub fn replay(target: &dyn Target, regressions: &Path) -> anyhow::Result<Vec<(PathBuf, Crash)>> {
    let mut failing = Vec::new();
    for (path, input) in saved_inputs(&regressions.join(target.name()))? {
        if let Err(crash) = run_one(target, &input) {
            failing.push((path, crash));
        }
    }
    Ok(failing)
}

/// Values that often sit on a boundary.
const EDGES: [u8; 10] = [0x00, 0x01, 0x02, 0x7f, 0x80, 0xff, 0xfe, 0x40, 0x20, 0x10];

/// A fresh input: random bytes now and then, otherwise a corpus entry with
/// one to eight mutations.
fn next_input(rng: &mut fastrand::Rng, corpus: &[Vec<u8>]) -> Vec<u8> {
    if rng.u8(..) < 8 {
        let length = rng.usize(..256);
        return std::iter::repeat_with(|| rng.u8(..)).take(length).collect();
    }
    let mut input = corpus[rng.usize(..corpus.len())].clone();
    for _ in 0..=rng.usize(..8) {
        mutate(rng, &mut input, corpus);
    }
    input.truncate(MAX_INPUT);
    input
}

fn mutate(rng: &mut fastrand::Rng, input: &mut Vec<u8>, corpus: &[Vec<u8>]) {
    let length = input.len();
    match rng.u8(..9) {
        0 if length > 0 => {
            let at = rng.usize(..length);
            input[at] ^= 1 << rng.u8(..8);
        }
        1 if length > 0 => {
            let at = rng.usize(..length);
            input[at] = EDGES[rng.usize(..EDGES.len())];
        }
        2 if length > 0 => {
            let at = rng.usize(..length);
            input[at] = rng.u8(..);
        }
        3 => {
            let at = rng.usize(..=length);
            let count = 1 + rng.usize(..16);
            let bytes: Vec<u8> = std::iter::repeat_with(|| rng.u8(..)).take(count).collect();
            input.splice(at..at, bytes);
        }
        4 if length > 0 => {
            let start = rng.usize(..length);
            let end = (start + 1 + rng.usize(..32)).min(length);
            input.drain(start..end);
        }
        5 if length > 0 => {
            // Copy a range somewhere else (repeats structures).
            let start = rng.usize(..length);
            let end = (start + 1 + rng.usize(..64)).min(length);
            let piece = input[start..end].to_vec();
            let at = rng.usize(..=length);
            input.splice(at..at, piece);
        }
        6 => {
            // Splice: our head, another entry's tail.
            let other = &corpus[rng.usize(..corpus.len())];
            let cut = rng.usize(..=length);
            let other_cut = rng.usize(..=other.len());
            input.truncate(cut);
            input.extend_from_slice(&other[other_cut..]);
        }
        7 if length >= 4 => {
            // A little-endian or big-endian integer with an edge value.
            let at = rng.usize(..length - 3);
            let value: u32 = match rng.u8(..4) {
                0 => 0,
                1 => u32::MAX,
                2 => 1 << rng.u32(..32),
                _ => rng.u32(..),
            };
            let bytes = if rng.bool() {
                value.to_le_bytes()
            } else {
                value.to_be_bytes()
            };
            input[at..at + 4].copy_from_slice(&bytes);
        }
        _ if length > 0 => input.truncate(rng.usize(..length)),
        _ => input.push(rng.u8(..)),
    }
}

/// Runs every target for an equal share of `total` (the `enlace-fuzz`
/// binary and the short run in the tests both use this).
pub fn fuzz_all(total: Duration, seed: u64, regressions: &Path) -> anyhow::Result<Vec<Report>> {
    let targets = targets();
    let share = total / u32::try_from(targets.len()).unwrap_or(1).max(1);
    targets
        .iter()
        .enumerate()
        .map(|(index, target)| {
            fuzz(
                target.as_ref(),
                share,
                seed.wrapping_add(index as u64),
                regressions,
            )
        })
        .collect()
}

/// Every distinct crash location of a set of reports.
pub fn crash_locations(reports: &[Report]) -> BTreeSet<String> {
    reports
        .iter()
        .flat_map(|report| report.crashes.keys().cloned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Panics on any input that contains the byte 0x42 after a 0x41.
    struct Planted;

    impl Target for Planted {
        fn name(&self) -> &'static str {
            "planted"
        }

        fn seeds(&self) -> Vec<Vec<u8>> {
            vec![vec![0x41, 0x00, 0x00]]
        }

        fn run(&self, input: &[u8]) -> bool {
            assert!(!input.windows(2).any(|pair| pair == [0x41, 0x42]), "planted bug");
            true
        }
    }

    #[test]
    fn finds_saves_and_replays_a_planted_crash() {
        let directory = std::env::temp_dir().join(format!("enlace-fuzz-planted-{}", std::process::id()));
        let report = fuzz(&Planted, Duration::from_secs(2), 1, &directory).expect("fuzzing runs");
        assert!(report.tried > 0);
        assert_eq!(report.crashes.len(), 1, "{report:?}");
        let failing = replay(&Planted, &directory).expect("replay");
        assert_eq!(failing.len(), 1);
        assert_eq!(failing[0].1.message, "planted bug");
        // A second run knows the crash: nothing new is saved.
        let again = fuzz(&Planted, Duration::from_millis(500), 2, &directory).expect("fuzzing runs");
        assert_eq!(again.new_crashes().count(), 0);
        assert_eq!(saved_inputs(&directory.join("planted")).expect("saved").len(), 1);
        let _ = std::fs::remove_dir_all(&directory);
    }
}
