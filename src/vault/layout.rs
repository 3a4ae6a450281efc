//! All path arithmetic of the vault: nothing else builds vault paths by hand.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};

pub const MARKER: &str = "vault.json";
pub const STAGING: &str = ".staging";
pub const LEDGER: &str = "ledger.jsonl";
pub const RUN_JSON: &str = "run.json";
pub const SUMS: &str = "SHA256SUMS";
pub const RUN_LOG: &str = "run.log";
pub const ARTIFACTS: &str = "artifacts";
/// Derived views (reports, CSV) inside a window folder: rebuilt at will, never verified.
pub const DERIVED: &str = "derived";
/// Inside a staging folder: where a custom collector writes before the agent takes its files.
pub const SCRATCH: &str = "scratch";

pub fn marker(root: &Path) -> PathBuf {
    root.join(MARKER)
}

pub fn staging_root(root: &Path) -> PathBuf {
    root.join(STAGING)
}

pub fn staging_dir(root: &Path, run_id: &str) -> PathBuf {
    staging_root(root).join(run_id)
}

pub fn staging_meta(root: &Path, run_id: &str) -> PathBuf {
    staging_root(root).join(format!("{run_id}.json"))
}

pub fn staging_lock(root: &Path, run_id: &str) -> PathBuf {
    staging_root(root).join(format!("{run_id}.lock"))
}

pub fn window_dir(root: &Path, window: &str) -> PathBuf {
    root.join(window)
}

pub fn ledger(root: &Path, window: &str) -> PathBuf {
    window_dir(root, window).join(LEDGER)
}

/// The run folder relative to its window folder: `<YYYY-MM-DD>/<collector>/<run-id>`.
pub fn run_rel(date: NaiveDate, collector: &str, run_id: &str) -> String {
    format!("{}/{collector}/{run_id}", date.format("%Y-%m-%d"))
}

/// The date, collector and run id of a run folder path `<YYYY-MM-DD>/<collector>/<run-id>`, when
/// it has that shape.
pub fn split_run_rel(rel: &str) -> Option<(NaiveDate, &str, &str)> {
    let mut parts = rel.split('/');
    let (date, collector, id) = (parts.next()?, parts.next()?, parts.next()?);
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    (parts.next().is_none() && valid_name(collector) && valid_name(id))
        .then_some((date, collector, id))
}

pub fn run_dir(root: &Path, window: &str, run_rel: &str) -> PathBuf {
    window_dir(root, window).join(run_rel)
}

/// A new run id: the UTC start time and 8 random hex digits, so ids sort by time.
pub fn new_run_id(started: DateTime<Utc>) -> String {
    format!(
        "{}-{:08x}",
        started.format("%Y%m%dT%H%M%SZ"),
        crate::random::u32()
    )
}

/// Collector and window names become folder names: keep them plain.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Checks a `/`-separated artifact path relative to `artifacts/`: no escape, nothing that would
/// need escaping in SHA256SUMS. Returns the reason it is refused.
pub fn check_artifact_path(rel: &str) -> Result<(), String> {
    if rel.is_empty() {
        return Err("empty name".into());
    }
    if rel.len() > 1024 {
        return Err("name longer than 1024 bytes".into());
    }
    if rel.starts_with('/') {
        return Err("absolute path".into());
    }
    if rel.chars().any(|c| c.is_control() || c == '\\') {
        return Err("control character or backslash in the name".into());
    }
    for part in rel.split('/') {
        match part {
            "" => return Err("empty path component".into()),
            "." | ".." => return Err("`.` or `..` component escapes the output folder".into()),
            _ => {}
        }
    }
    Ok(())
}
