//! The load generator against the real `enlace` server for a few seconds.
//! Asserts correctness only — no edit lost, every peer converged — never a
//! time, so the benchmark harness cannot rot unnoticed.

use std::time::Duration;

use enlace_bench::load::{self, LoadConfig};
use enlace_tests::{Credential, ServerProcess, document_id};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_peers_editing_lose_nothing_and_converge() -> anyhow::Result<()> {
    let data_dir = tempfile::tempdir()?;
    let server = ServerProcess::start(data_dir.path()).await?;
    let workspace = server.first_workspace().await?;
    let Credential::Bearer(token) = server.admin() else {
        anyhow::bail!("the test server's admin credential is not a bearer token");
    };
    let config = LoadConfig {
        peers: 5,
        edits_per_second: 5.0,
        duration: Duration::from_secs(3),
        drain_deadline: Duration::from_secs(20),
        setup_deadline: Duration::from_secs(30),
        server_pid: server.pid(),
        bearer_token: Some(token),
        ..LoadConfig::new(server.ws_url(), document_id(&workspace)?)
    };
    let report = load::run(config).await?;
    assert!(
        report.peer_errors.is_empty(),
        "peer errors: {:?}",
        report.peer_errors
    );
    assert!(report.edits_sent > 0, "no edit was made: {report:?}");
    assert_eq!(report.deliveries_lost, 0, "lost edits: {}", report.human_line());
    assert_eq!(
        report.deliveries,
        report.deliveries_expected,
        "{}",
        report.human_line()
    );
    assert_eq!(report.deliveries_expected, report.edits_sent * 4);
    assert!(
        report.converged,
        "peers ended with {} distinct heads",
        report.distinct_heads
    );
    assert!(report.server.is_some(), "the server process was not sampled");
    Ok(())
}
