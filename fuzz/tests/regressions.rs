//! Every input that ever crashed a fuzz target, replayed; plus a short
//! fuzzing run so that each `cargo test` looks a little further.

use std::time::Duration;

#[test]
fn saved_crashes_no_longer_crash() {
    let regressions = enlace_fuzz::regressions_dir();
    let mut failing = Vec::new();
    for target in enlace_fuzz::targets() {
        for (path, crash) in enlace_fuzz::replay(target.as_ref(), &regressions).expect("regressions readable")
        {
            failing.push(format!(
                "{}: {} at {}",
                path.display(),
                crash.message,
                crash.location
            ));
        }
    }
    assert!(
        failing.is_empty(),
        "saved fuzz inputs still crash:\n{}",
        failing.join("\n")
    );
}

#[test]
fn seeds_run_clean() {
    for target in enlace_fuzz::targets() {
        for seed in target.seeds() {
            if let Err(crash) = enlace_fuzz::run_one(target.as_ref(), &seed) {
                panic!(
                    "{} seed crashes: {} at {}",
                    target.name(),
                    crash.message,
                    crash.location
                );
            }
        }
    }
}

#[test]
fn the_hub_base_is_the_same_in_every_process() {
    // Saved hub inputs replay against this base: it must depend on neither
    // the clock nor the process. A change here (say, a new automerge
    // encoding) means the saved hub inputs may no longer reach what they did.
    let heads: Vec<String> = enlace_fuzz::hub::HubTarget::new()
        .base_heads()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(heads, vec![EXPECTED_BASE_HEAD.to_owned()]);
}

const EXPECTED_BASE_HEAD: &str = "c7f88ba1668ec2ece77899282ded315bd1443b7b945a61e99061cd01138bcc7a";

/// `ENLACE_FUZZ_SECONDS` (default 10) of fuzzing, split between the targets;
/// new crashes are saved to the regression corpus and fail the test (known
/// ones fail `saved_crashes_no_longer_crash` instead).
#[test]
fn short_fuzzing_run_finds_no_crash() {
    let seconds = std::env::var("ENLACE_FUZZ_SECONDS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(10);
    let seed = enlace_fuzz::input_hash(format!("{:?}", std::time::SystemTime::now()).as_bytes())
        .get(..12)
        .and_then(|hex| u64::from_str_radix(hex, 16).ok())
        .unwrap_or(1);
    let reports = enlace_fuzz::fuzz_all(
        Duration::from_secs(seconds),
        seed,
        &enlace_fuzz::regressions_dir(),
    )
    .expect("fuzzing runs");
    for report in &reports {
        eprintln!("{}: {} inputs tried (seed {seed})", report.target, report.tried);
    }
    let crashes: Vec<String> = reports
        .iter()
        .flat_map(|report| {
            report.new_crashes().map(|(location, (message, path))| {
                format!("{location}: {message} (saved as {})", path.display())
            })
        })
        .collect();
    assert!(
        crashes.is_empty(),
        "fuzzing found crashes (seed {seed}):\n{}",
        crashes.join("\n")
    );
}
