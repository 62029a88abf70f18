//! `enlace-fuzz [--seconds N] [--seed S] [--target NAME]`: runs the fuzz
//! targets for N seconds in all (split evenly), prints per target the inputs
//! tried and the distinct crashes, and saves each crash's input under
//! `fuzz/regressions/<target>/`. Exits non-zero if anything crashed.
//! `--replay <file>` runs one saved input with the default panic hook.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("enlace-fuzz: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> anyhow::Result<bool> {
    let mut seconds = 60u64;
    let mut seed = enlace_fuzz::input_hash(
        &std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos())
            .to_le_bytes(),
    )
    .get(..16)
    .and_then(|hex| u64::from_str_radix(hex, 16).ok())
    .unwrap_or(1);
    let mut only: Option<String> = None;
    let mut arguments = std::env::args().skip(1);
    while let Some(argument) = arguments.next() {
        let mut value = || {
            arguments
                .next()
                .with_context(|| format!("{argument} needs a value"))
        };
        match argument.as_str() {
            "--seconds" => seconds = value()?.parse().context("--seconds")?,
            "--seed" => seed = value()?.parse().context("--seed")?,
            "--target" => only = Some(value()?),
            "--replay" => {
                // Runs one saved input without catching its panic, so that
                // RUST_BACKTRACE shows where it happens.
                let path = std::path::PathBuf::from(value()?);
                let name = path
                    .parent()
                    .and_then(|dir| dir.file_name())
                    .and_then(|name| name.to_str())
                    .unwrap_or_default()
                    .to_owned();
                let input = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
                let target = enlace_fuzz::targets()
                    .into_iter()
                    .find(|target| target.name() == name)
                    .with_context(|| format!("{} is not under regressions/<target>/", path.display()))?;
                target.run(&input);
                eprintln!("enlace-fuzz: {} ran without a crash", path.display());
                return Ok(true);
            }
            other => bail!(
                "unknown argument {other:?} (usage: enlace-fuzz [--seconds N] [--seed S] [--target frame|hub] [--replay regressions/<target>/<file>])"
            ),
        }
    }
    let regressions = enlace_fuzz::regressions_dir();
    eprintln!(
        "enlace-fuzz: {seconds} s in all, seed {seed}, crashes saved under {}",
        regressions.display()
    );
    let targets: Vec<_> = enlace_fuzz::targets()
        .into_iter()
        .filter(|target| only.as_deref().is_none_or(|name| name == target.name()))
        .collect();
    if targets.is_empty() {
        bail!("no target named {only:?}");
    }
    let share = Duration::from_secs(seconds) / u32::try_from(targets.len()).unwrap_or(1);
    let mut clean = true;
    for (index, target) in targets.iter().enumerate() {
        let report = enlace_fuzz::fuzz(
            target.as_ref(),
            share,
            seed.wrapping_add(index as u64),
            &regressions,
        )?;
        eprintln!(
            "  {:<6} {:>9} inputs tried, {} distinct crashes",
            report.target,
            report.tried,
            report.crashes.len()
        );
        for (location, (message, path)) in &report.crashes {
            clean = false;
            let first_line = message.lines().next().unwrap_or_default();
            let saved = if report.known.contains(location) {
                "already saved as"
            } else {
                "input saved as"
            };
            eprintln!(
                "    crash at {location}: {first_line}\n      {saved} {}",
                path.display()
            );
        }
    }
    Ok(clean)
}
