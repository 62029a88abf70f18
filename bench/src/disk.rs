//! The disk's fsync latency, measured the way a commit pays it: write 128
//! bytes to a file and `fdatasync` it, many times, in a temporary directory
//! (the servers' data directories are temporary directories too).
//!
//! Enlace acknowledges and forwards a change only after its commit's fsync,
//! so the tail of this distribution is the floor under Enlace's p99 at light
//! load; the report prints it next to the load figures.

use std::io::Write as _;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::load::Latency;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FsyncProbe {
    pub syncs: usize,
    pub latency: Latency,
}

/// `syncs` writes + fdatasyncs; blocking.
pub fn probe(syncs: usize) -> std::io::Result<FsyncProbe> {
    let directory = tempfile::Builder::new().prefix("enlace-fsync-probe-").tempdir()?;
    let mut file = std::fs::File::create(directory.path().join("probe"))?;
    let block = [0x5au8; 128];
    let mut samples = Vec::with_capacity(syncs);
    for _ in 0..syncs {
        let started = Instant::now();
        file.write_all(&block)?;
        file.sync_data()?;
        samples.push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX));
    }
    Ok(FsyncProbe {
        syncs,
        latency: Latency::from_micros(&mut samples),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_times_every_sync() {
        let probe = probe(20).expect("probe");
        assert_eq!(probe.syncs, 20);
        assert_eq!(probe.latency.samples, 20);
        assert!(probe.latency.p50_ms <= probe.latency.p99_ms && probe.latency.p99_ms <= probe.latency.max_ms);
    }
}
