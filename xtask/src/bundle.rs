//! `build-client`: the browser bundle the server embeds.
//!
//! cargo builds `enlace-client` for wasm32, the `wasm-bindgen-cli-support`
//! crate generates the JS glue (no downloaded binaries), and the static files
//! join them, each with a gzip -9 (`X.gz`) and a brotli quality 11 (`X.br`)
//! copy that the server sends to browsers that accept them. The bundle is assembled in a
//! scratch directory and renamed into place, so a half-built bundle never
//! appears at `<target>/enlace-client`.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, bail};
use flate2::Compression;
use flate2::write::GzEncoder;

use crate::{Workspace, run};

/// The environment variable the server's build script reads.
pub const CLIENT_DIST_ENV: &str = "ENLACE_CLIENT_DIST";
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// The package the bundle is built from.
pub const CLIENT_PACKAGE: &str = "enlace-client";
/// The static files copied from `client/` into the bundle.
const STATIC_FILES: [&str; 4] = ["index.html", "style.css", "sw.js", "worker.js"];

/// In `sw.js`, replaced by the build's version (see [`shell_version`]).
const VERSION_PLACEHOLDER: &str = "__ENLACE_VERSION__";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// `wasm-release`: size-optimised, LTO, name section removed.
    Release,
    /// `dev`: fast to build, with debug names for readable panics.
    Dev,
}

impl Profile {
    pub fn cargo_name(self) -> &'static str {
        match self {
            Self::Release => "wasm-release",
            Self::Dev => "dev",
        }
    }

    fn output_directory(self) -> &'static str {
        match self {
            Self::Release => "wasm-release",
            Self::Dev => "debug",
        }
    }
}

/// Installs the wasm32 target through rustup if the toolchain lacks it
/// (`RUSTUP_AUTO_INSTALL=0` means plain cargo will not).
pub fn ensure_wasm_target(workspace: &Workspace) -> anyhow::Result<()> {
    if !run::on_path("rustup") {
        eprintln!("  rustup not found; assuming the toolchain already has {WASM_TARGET}");
        return Ok(());
    }
    let mut list = std::process::Command::new("rustup");
    list.args(["target", "list", "--installed"])
        .current_dir(&workspace.root);
    let installed = run::output(&mut list)?;
    if installed.lines().any(|line| line.trim() == WASM_TARGET) {
        return Ok(());
    }
    let mut add = std::process::Command::new("rustup");
    add.args(["target", "add", WASM_TARGET])
        .current_dir(&workspace.root);
    run::status(&mut add).context("could not install the wasm32 target")
}

/// Builds the bundle and returns its directory.
pub fn build_client(workspace: &Workspace, profile: Profile) -> anyhow::Result<PathBuf> {
    ensure_wasm_target(workspace)?;
    let started = Instant::now();
    let mut cargo = run::cargo(workspace);
    cargo.args([
        "build",
        "-p",
        CLIENT_PACKAGE,
        "--target",
        WASM_TARGET,
        "--profile",
        profile.cargo_name(),
    ]);
    run::status(&mut cargo)?;
    let compiled = started.elapsed();

    let wasm = workspace
        .target_dir
        .join(WASM_TARGET)
        .join(profile.output_directory())
        .join("enlace_client.wasm");
    let dist = workspace.client_dist();
    let staging = workspace
        .target_dir
        .join(format!(".enlace-client.tmp-{}", std::process::id()));
    remove_if_present(&staging)?;
    fs::create_dir_all(&staging).with_context(|| format!("could not create {}", staging.display()))?;

    let bindgen_started = Instant::now();
    let release = profile == Profile::Release;
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&wasm)
        .web(true)?
        // As a library, Bindgen omits the default `new URL('enlace_bg.wasm',
        // import.meta.url)`; without it `init()` fails in the browser.
        .omit_default_module_path(false)
        .out_name("enlace")
        .typescript(false)
        .debug(!release)
        .keep_debug(!release)
        .remove_name_section(release)
        .remove_producers_section(release)
        .generate(&staging)
        .with_context(|| format!("wasm-bindgen failed on {}", wasm.display()))?;
    let bound = bindgen_started.elapsed();

    for name in STATIC_FILES {
        let source = workspace.root.join("client").join(name);
        fs::copy(&source, staging.join(name))
            .with_context(|| format!("could not copy {}", source.display()))?;
    }
    let worker = staging.join("sw.js");
    let version = shell_version(&staging)?;
    let script = fs::read_to_string(&worker)?.replace(VERSION_PLACEHOLDER, &version);
    fs::write(&worker, script)?;
    let compress_started = Instant::now();
    compress_every_file(&staging, &dist)?;
    let compressed = compress_started.elapsed();
    keep_unchanged_timestamps(&staging, &dist)?;
    replace_directory(&staging, &dist)?;

    let wasm = Sizes::of(&dist, "enlace_bg.wasm")?;
    let mut total = Sizes::default();
    for name in ["index.html", "style.css", "enlace.js", "enlace_bg.wasm"] {
        total.add(&Sizes::of(&dist, name)?);
    }
    eprintln!(
        "  bundle: {} ({} profile)\n  wasm:   {wasm}\n  total:  {total}\n  time: cargo {:.1} s, wasm-bindgen {:.1} s, gzip + brotli {:.1} s",
        dist.display(),
        profile.cargo_name(),
        compiled.as_secs_f64(),
        bound.as_secs_f64(),
        compressed.as_secs_f64(),
    );
    Ok(dist)
}

/// The version of the app shell the service worker caches: FNV-1a over the
/// page, the stylesheet, the script and the wasm, in hex. The same bytes give
/// the same version, so an unchanged build keeps browsers' cached shell.
fn shell_version(staging: &Path) -> anyhow::Result<String> {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for name in [
        "index.html",
        "style.css",
        "worker.js",
        "enlace.js",
        "enlace_bg.wasm",
    ] {
        let path = staging.join(name);
        let bytes = fs::read(&path).with_context(|| format!("could not read {}", path.display()))?;
        for byte in bytes {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    Ok(format!("{hash:016x}"))
}

/// The encodings written next to every bundle file, by file suffix.
const ENCODED_SUFFIXES: [&str; 2] = ["gz", "br"];

/// Writes `X.gz` (gzip -9) and `X.br` (brotli, quality 11) next to every
/// file `X` under `directory`. A file whose bytes equal its copy in
/// `previous` (the last bundle) takes that bundle's encoded copies instead:
/// brotli at quality 11 spends seconds on the wasm.
fn compress_every_file(directory: &Path, previous: &Path) -> anyhow::Result<()> {
    let entries =
        fs::read_dir(directory).with_context(|| format!("could not list {}", directory.display()))?;
    for entry in entries {
        let path = entry?.path();
        let Some(name) = path.file_name() else {
            continue;
        };
        let old = previous.join(name);
        if path.is_dir() {
            compress_every_file(&path, &old)?;
            continue;
        }
        if path
            .extension()
            .is_some_and(|extension| ENCODED_SUFFIXES.iter().any(|suffix| extension == *suffix))
        {
            continue;
        }
        let bytes = fs::read(&path).with_context(|| format!("could not read {}", path.display()))?;
        if fs::read(&old).is_ok_and(|old_bytes| old_bytes == bytes)
            && ENCODED_SUFFIXES
                .iter()
                .all(|suffix| fs::copy(beside(&old, suffix), beside(&path, suffix)).is_ok())
        {
            continue;
        }
        write_beside(&path, "gz", &gzip(&bytes)?)?;
        write_beside(&path, "br", &brotli(&bytes)?)?;
    }
    Ok(())
}

/// `X` → `X.<suffix>`.
fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut target = path.as_os_str().to_owned();
    target.push(".");
    target.push(suffix);
    PathBuf::from(target)
}

fn write_beside(path: &Path, suffix: &str, bytes: &[u8]) -> anyhow::Result<()> {
    fs::write(beside(path, suffix), bytes)
        .with_context(|| format!("could not write {}.{suffix}", path.display()))
}

fn gzip(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(bytes.len() / 2), Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

/// Brotli at its best quality (11) with the default 4 MiB window, which
/// every browser that sends `Accept-Encoding: br` decodes.
fn brotli(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        size_hint: bytes.len(),
        ..Default::default()
    };
    let mut output = Vec::with_capacity(bytes.len() / 3);
    brotli::BrotliCompress(&mut &bytes[..], &mut output, &params)?;
    Ok(output)
}

/// A bundle file's size raw and in each encoding.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Sizes {
    raw: u64,
    gzip: u64,
    brotli: u64,
}

impl Sizes {
    fn of(directory: &Path, name: &str) -> anyhow::Result<Self> {
        Ok(Self {
            raw: file_size(&directory.join(name))?,
            gzip: file_size(&directory.join(format!("{name}.gz")))?,
            brotli: file_size(&directory.join(format!("{name}.br")))?,
        })
    }

    fn add(&mut self, other: &Self) {
        self.raw += other.raw;
        self.gzip += other.gzip;
        self.brotli += other.brotli;
    }
}

impl std::fmt::Display for Sizes {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "{} raw, {} gzip -9, {} brotli",
            human_size(self.raw),
            human_size(self.gzip),
            human_size(self.brotli)
        )
    }
}

/// Gives every new file whose bytes equal the old bundle's copy the old
/// modification time. The server's build script reruns (and the server
/// relinks) when a bundle file's mtime changes; an unchanged client then
/// costs no server rebuild.
fn keep_unchanged_timestamps(staging: &Path, previous: &Path) -> anyhow::Result<()> {
    let Ok(entries) = fs::read_dir(staging) else {
        return Ok(());
    };
    for entry in entries {
        let path = entry?.path();
        let Some(name) = path.file_name() else {
            continue;
        };
        let old = previous.join(name);
        if path.is_dir() {
            keep_unchanged_timestamps(&path, &old)?;
            continue;
        }
        let Ok(old_time) = old.metadata().and_then(|metadata| metadata.modified()) else {
            continue;
        };
        if fs::read(&old).ok() == Some(fs::read(&path)?) {
            fs::File::options()
                .write(true)
                .open(&path)
                .and_then(|file| file.set_modified(old_time))
                .with_context(|| format!("could not set the time of {}", path.display()))?;
        }
    }
    Ok(())
}

/// Moves `staging` to `destination`, replacing what was there.
fn replace_directory(staging: &Path, destination: &Path) -> anyhow::Result<()> {
    let Some(parent) = destination.parent() else {
        bail!("{} has no parent directory", destination.display());
    };
    let previous = parent.join(format!(".enlace-client.old-{}", std::process::id()));
    remove_if_present(&previous)?;
    if destination.exists() {
        fs::rename(destination, &previous)
            .with_context(|| format!("could not move the old bundle {} aside", destination.display()))?;
    }
    fs::rename(staging, destination)
        .with_context(|| format!("could not move the new bundle to {}", destination.display()))?;
    remove_if_present(&previous)
}

fn remove_if_present(path: &Path) -> anyhow::Result<()> {
    match fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error).with_context(|| format!("could not remove {}", path.display())),
    }
}

fn file_size(path: &Path) -> anyhow::Result<u64> {
    Ok(fs::metadata(path)
        .with_context(|| format!("missing {}", path.display()))?
        .len())
}

/// `1234567` → `"1.18 MiB (1234567 bytes)"`.
fn human_size(bytes: u64) -> String {
    let kib = bytes as f64 / 1024.0;
    if kib < 1024.0 {
        format!("{kib:.0} KiB ({bytes} bytes)")
    } else {
        format!("{:.2} MiB ({bytes} bytes)", kib / 1024.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compressed_copies_decode_to_the_original() {
        let original = b"<!doctype html><title>Enlace</title>".repeat(50);
        let brotli_bytes = brotli(&original).expect("brotli");
        let mut decoded = Vec::new();
        brotli::BrotliDecompress(&mut &brotli_bytes[..], &mut decoded).expect("brotli decode");
        assert_eq!(decoded, original);
        assert!(brotli_bytes.len() < original.len() / 10);

        let gzip_bytes = gzip(&original).expect("gzip");
        let mut decoded = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gzip_bytes[..]), &mut decoded)
            .expect("gzip decode");
        assert_eq!(decoded, original);
    }

    #[test]
    fn sizes_are_readable() {
        assert_eq!(human_size(2048), "2 KiB (2048 bytes)");
        assert_eq!(human_size(1_185_000), "1.13 MiB (1185000 bytes)");
    }
}
