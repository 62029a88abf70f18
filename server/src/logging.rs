//! The log filter the `enlace` binary installs.
//!
//! automerge 0.12 puts `#[tracing::instrument]` on functions the sync path
//! calls for every incoming change (`storage::load::load_changes`). Those spans
//! are at INFO and record their arguments with `Debug`, so an INFO filter
//! makes the server format large parts of the document on every message,
//! which under load costs most of its CPU (docs/performance.md).
//! automerge's own spans and events are therefore capped at WARN unless
//! `RUST_LOG` names automerge itself.

use tracing_subscriber::EnvFilter;

/// The level every target gets when `RUST_LOG` is not set.
const DEFAULT_DIRECTIVES: &str = "info";

/// Where automerge's spans and events stop, unless `RUST_LOG` says otherwise.
const AUTOMERGE_CAP: &str = "automerge=warn";

/// The filter for `RUST_LOG`'s value (`None` when unset or unreadable).
pub fn filter(rust_log: Option<&str>) -> EnvFilter {
    let directives = rust_log
        .filter(|value| !value.trim().is_empty())
        .unwrap_or(DEFAULT_DIRECTIVES);
    let filter = EnvFilter::try_new(directives).unwrap_or_else(|_| EnvFilter::new(DEFAULT_DIRECTIVES));
    if directives.contains("automerge") {
        filter
    } else {
        filter.add_directive(AUTOMERGE_CAP.parse().expect("a valid directive"))
    }
}

#[cfg(test)]
mod tests {
    use super::filter;
    use tracing::Level;

    fn enabled(rust_log: Option<&str>, target_is_automerge: bool, level: Level) -> bool {
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(filter(rust_log))
            .with_writer(std::io::sink)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            // `enabled!` needs literal targets, hence one arm per target and level.
            match (target_is_automerge, level) {
                (true, Level::INFO) => tracing::enabled!(target: "automerge::storage::load", Level::INFO),
                (true, Level::WARN) => tracing::enabled!(target: "automerge::storage::load", Level::WARN),
                (true, _) => tracing::enabled!(target: "automerge::storage::load", Level::TRACE),
                (false, Level::INFO) => tracing::enabled!(target: "enlace_server::hub", Level::INFO),
                (false, _) => tracing::enabled!(target: "enlace_server::hub", Level::DEBUG),
            }
        })
    }

    #[test]
    fn automerge_info_spans_are_off_by_default_and_ours_are_on() {
        assert!(!enabled(None, true, Level::INFO));
        assert!(enabled(None, true, Level::WARN));
        assert!(enabled(None, false, Level::INFO));
        assert!(!enabled(None, false, Level::DEBUG));
    }

    #[test]
    fn a_general_rust_log_keeps_the_automerge_cap() {
        assert!(enabled(Some("debug"), false, Level::DEBUG));
        assert!(!enabled(Some("debug"), true, Level::INFO));
        assert!(!enabled(Some("trace"), true, Level::TRACE));
    }

    #[test]
    fn naming_automerge_in_rust_log_lifts_the_cap() {
        assert!(enabled(Some("info,automerge=trace"), true, Level::TRACE));
    }

    #[test]
    fn an_unreadable_rust_log_falls_back_to_info() {
        assert!(enabled(Some("=[not a directive"), false, Level::INFO));
        assert!(!enabled(Some("=[not a directive"), true, Level::INFO));
    }
}
