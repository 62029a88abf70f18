//! Three cycles of the crash suite (`cargo xtask crash` runs fifty): 20
//! peers write, the server is SIGKILLed and restarted, no acknowledged write
//! may be lost. The 5 s reconvergence target is the xtask's to enforce; the
//! bound here only catches a peer that never resyncs.

use std::time::Duration;

use enlace_tests::crash::{self, CrashOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill() -> anyhow::Result<()> {
    let scratch = tempfile::tempdir()?;
    let options = CrashOptions {
        cycles: 3,
        reconvergence_limit: Duration::from_secs(30),
        ..CrashOptions::default()
    };
    let report = crash::run(&options, scratch.path()).await?;
    eprintln!("seed {}\n{}", options.seed, report.summary());
    assert_eq!(report.cycles, 3);
    assert!(
        report.acknowledged_writes > 0,
        "no write was acknowledged: {}",
        report.summary()
    );
    assert_eq!(report.lost_writes, 0, "{}", report.summary());
    Ok(())
}
