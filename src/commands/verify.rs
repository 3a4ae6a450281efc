//! `verify`: the read-only integrity check. One line per problem on stdout, then a summary.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::anyhow;

use super::{Failure, Outcome};
use crate::exit;
use crate::vault::verify::{self, VerifyError};

/// `exports`: the folder was named with `--vault`, so it may be an unpacked export; the
/// configured vault is checked as a vault, whatever it holds.
pub fn run(
    vault: Option<PathBuf>,
    exports: bool,
    threads: Option<usize>,
    window: Option<&str>,
    json: bool,
) -> Outcome {
    let Some(vault) = vault else {
        return Err(Failure::usage(anyhow!(
            "no vault folder: give it with `--vault DIR` or set `agent.vault_dir` in the config"
        )));
    };
    let threads = match threads {
        Some(0) => return Err(Failure::usage(anyhow!("`--threads` must be at least 1"))),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let started = Instant::now();
    let report = verify::verify(&vault, threads, window, exports).map_err(|e| match e {
        VerifyError::NotFound(_) | VerifyError::NotAVault { .. } | VerifyError::NoWindow { .. } => {
            Failure::usage(e)
        }
        VerifyError::Io { .. } => Failure::evidence(e),
    })?;
    let secs = started.elapsed().as_secs_f64();
    let verdict = if report.is_ok() {
        "OK".to_string()
    } else {
        format!(
            "{} problem{}",
            report.problems.len(),
            if report.problems.len() == 1 { "" } else { "s" }
        )
    };
    tracing::info!(message = "Verified the vault.", vault = %vault.display(), runs = report.runs, files = report.files, bytes = report.bytes, seconds = secs, problems = report.problems.len());

    let mut out = std::io::stdout().lock();
    let written = if json {
        let value = serde_json::json!({
            "vault": vault.display().to_string(),
            "ok": report.is_ok(),
            "seconds": secs,
            "report": report,
        });
        writeln!(out, "{value}")
    } else {
        (|| {
            for p in &report.problems {
                writeln!(out, "{p}")?;
            }
            for n in &report.notes {
                writeln!(out, "{n}")?;
            }
            writeln!(
                out,
                "verified {} runs, {} files, {} bytes in {secs:.2} s: {verdict}",
                report.runs, report.files, report.bytes
            )
        })()
    };
    // A closed pipe (e.g. `| head`) must not turn a verdict into a panic.
    if let Err(e) = written.and_then(|()| out.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(Failure::evidence(
            anyhow::Error::new(e).context("cannot write the report to stdout"),
        ));
    }
    Ok(if report.is_ok() {
        exit::OK
    } else {
        exit::EVIDENCE
    })
}
