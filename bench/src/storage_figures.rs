//! The storage micro-benchmarks' figures, read back from what Criterion wrote
//! (`<target>/criterion/<group>/<bench>/new/estimates.json`) so that the
//! harness's report carries them next to the load figures.
//!
//! The groups and names are those of `benches/storage.rs`: in
//! `durable_changes` one iteration is one change made durable (or one raw
//! write + fdatasync); in `cold_open_100k_changes` one iteration is one open;
//! in `acknowledgement` (`benches/sync.rs`) one iteration is one peer's
//! acknowledgement received, named `<how>/<changes in the history>`.

use std::path::Path;

use anyhow::{Context as _, anyhow};
use serde::{Deserialize, Serialize};

pub const DURABLE_GROUP: &str = "durable_changes";
pub const RAW_FSYNC: &str = "raw_fsync_write_128B";
pub const COLD_OPEN_GROUP: &str = "cold_open_100k_changes";
pub const AUTOMERGE_LOAD: &str = "automerge_load_saved_bytes";
pub const ACKNOWLEDGEMENT_GROUP: &str = "acknowledgement";

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

/// Reads every benchmark of the storage and sync groups under
/// `criterion_dir`. A benchmark with a parameter (`name/parameter`) is one
/// level deeper; its name keeps the parameter.
pub fn import(criterion_dir: &Path) -> anyhow::Result<StorageFigures> {
    let mut figures = StorageFigures::default();
    for group in [DURABLE_GROUP, COLD_OPEN_GROUP, ACKNOWLEDGEMENT_GROUP] {
        let group_dir = criterion_dir.join(group);
        let mut found = Vec::new();
        collect(&group_dir, "", &mut found)
            .with_context(|| format!("no Criterion results in {}", group_dir.display()))?;
        found.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, path) in found {
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
        return Err(anyhow!("no benchmark results under {}", criterion_dir.display()));
    }
    Ok(figures)
}

/// Benchmarks under `directory` (two levels at most), as (name, estimates file).
fn collect(
    directory: &Path,
    prefix: &str,
    found: &mut Vec<(String, std::path::PathBuf)>,
) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(directory)? {
        let entry = entry?;
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if file_name == "report" || !entry.path().is_dir() {
            continue;
        }
        let name = if prefix.is_empty() {
            file_name
        } else {
            format!("{prefix}/{file_name}")
        };
        let estimates = entry.path().join("new").join("estimates.json");
        if estimates.is_file() {
            found.push((name, estimates));
        } else if prefix.is_empty() {
            collect(&entry.path(), &name, found)?;
        }
    }
    Ok(())
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
        write_estimate(
            root.path(),
            ACKNOWLEDGEMENT_GROUP,
            "hub_receive/100000",
            300.0,
            310.0,
        );
        // A report directory without estimates (Criterion writes `report/`) is skipped.
        std::fs::create_dir_all(root.path().join(DURABLE_GROUP).join("report")).expect("mkdir");
        let figures = import(root.path()).expect("imports");
        assert_eq!(figures.estimates.len(), 4);
        assert_eq!(
            figures
                .find(ACKNOWLEDGEMENT_GROUP, "hub_receive/100000")
                .expect("parameterised benchmark")
                .median_ns,
            300.0
        );
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
