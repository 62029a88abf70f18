//! The storage micro-benchmarks' figures, read back from what Criterion wrote
//! (`<target>/criterion/<group>/<bench>/new/estimates.json`) so that the
//! harness's report carries them next to the load figures.
//!
//! The groups and names are those of `benches/storage.rs`: in
//! `durable_changes` one iteration is one change made durable (or one raw
//! write + fdatasync); in `cold_open_100k_changes` one iteration is one open.

use std::path::Path;

use anyhow::{Context as _, anyhow};
use serde::{Deserialize, Serialize};

pub const DURABLE_GROUP: &str = "durable_changes";
pub const RAW_FSYNC: &str = "raw_fsync_write_128B";
pub const COLD_OPEN_GROUP: &str = "cold_open_100k_changes";
pub const AUTOMERGE_LOAD: &str = "automerge_load_saved_bytes";

/// One Criterion benchmark: its median and mean time per iteration.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Estimate {
    pub group: String,
    pub name: String,
    pub median_ns: f64,
    pub mean_ns: f64,
}

impl Estimate {
    /// Iterations per second at the median.
    pub fn per_second(&self) -> f64 {
        1e9 / self.median_ns
    }

    pub fn median_ms(&self) -> f64 {
        self.median_ns / 1e6
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct StorageFigures {
    pub estimates: Vec<Estimate>,
}

impl StorageFigures {
    pub fn find(&self, group: &str, name: &str) -> Option<&Estimate> {
        self.estimates
            .iter()
            .find(|estimate| estimate.group == group && estimate.name == name)
    }

    pub fn group(&self, group: &str) -> impl Iterator<Item = &Estimate> {
        self.estimates
            .iter()
            .filter(move |estimate| estimate.group == group)
    }
}

#[derive(Deserialize)]
struct PointEstimate {
    point_estimate: f64,
}

#[derive(Deserialize)]
struct Estimates {
    mean: PointEstimate,
    median: PointEstimate,
}

/// Reads every benchmark of the storage groups under `criterion_dir`.
pub fn import(criterion_dir: &Path) -> anyhow::Result<StorageFigures> {
    let mut figures = StorageFigures::default();
    for group in [DURABLE_GROUP, COLD_OPEN_GROUP] {
        let group_dir = criterion_dir.join(group);
        let entries = std::fs::read_dir(&group_dir)
            .with_context(|| format!("no Criterion results in {}", group_dir.display()))?;
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter(|entry| entry.path().join("new").join("estimates.json").is_file())
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        for name in names {
            let path = group_dir.join(&name).join("new").join("estimates.json");
            let estimates: Estimates = serde_json::from_slice(
                &std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?,
            )
            .with_context(|| format!("unexpected JSON in {}", path.display()))?;
            figures.estimates.push(Estimate {
                group: group.to_owned(),
                name,
                median_ns: estimates.median.point_estimate,
                mean_ns: estimates.mean.point_estimate,
            });
        }
    }
    if figures.estimates.is_empty() {
        return Err(anyhow!(
            "no storage benchmark results under {}",
            criterion_dir.display()
        ));
    }
    Ok(figures)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_estimate(root: &Path, group: &str, name: &str, median: f64, mean: f64) {
        let directory = root.join(group).join(name).join("new");
        std::fs::create_dir_all(&directory).expect("mkdir");
        let json = format!(
            r#"{{"mean":{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":2.0}},"point_estimate":{mean},"standard_error":0.1}},
               "median":{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":2.0}},"point_estimate":{median},"standard_error":0.1}},
               "median_abs_dev":{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":2.0}},"point_estimate":1.0,"standard_error":0.1}},
               "slope":null,"std_dev":{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":2.0}},"point_estimate":1.0,"standard_error":0.1}}}}"#
        );
        std::fs::write(directory.join("estimates.json"), json).expect("write");
    }

    #[test]
    fn imports_both_groups_with_medians_and_rates() {
        let root = tempfile::tempdir().expect("tempdir");
        write_estimate(root.path(), DURABLE_GROUP, RAW_FSYNC, 2_000_000.0, 2_500_000.0);
        write_estimate(
            root.path(),
            DURABLE_GROUP,
            "group_commit_16_appenders",
            100_000.0,
            120_000.0,
        );
        write_estimate(
            root.path(),
            COLD_OPEN_GROUP,
            AUTOMERGE_LOAD,
            300_000_000.0,
            310_000_000.0,
        );
        // A report directory without estimates (Criterion writes `report/`) is skipped.
        std::fs::create_dir_all(root.path().join(DURABLE_GROUP).join("report")).expect("mkdir");
        let figures = import(root.path()).expect("imports");
        assert_eq!(figures.estimates.len(), 3);
        let fsync = figures.find(DURABLE_GROUP, RAW_FSYNC).expect("fsync");
        assert!((fsync.per_second() - 500.0).abs() < 1e-9);
        let group = figures
            .find(DURABLE_GROUP, "group_commit_16_appenders")
            .expect("group commit");
        assert!((group.per_second() - 10_000.0).abs() < 1e-9);
        assert_eq!(
            figures
                .find(COLD_OPEN_GROUP, AUTOMERGE_LOAD)
                .expect("load")
                .median_ms(),
            300.0
        );
        assert_eq!(figures.group(DURABLE_GROUP).count(), 2);
    }

    #[test]
    fn a_missing_group_is_an_error() {
        let root = tempfile::tempdir().expect("tempdir");
        write_estimate(root.path(), DURABLE_GROUP, RAW_FSYNC, 1.0, 1.0);
        assert!(import(root.path()).is_err());
    }
}
