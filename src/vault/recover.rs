//! Start-up recovery: every run the last process left unfinished gets an honest record.

use std::collections::BTreeSet;
use std::fs::{self, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::fsutil::FILE_MODE;
use super::ledger::{self, NewEntry};
use super::writer::{Outcome, RunMeta};
use super::{Vault, VaultError, canonical, layout};
use crate::evidence::RunStatus;

/// What recovery did, for the log.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Runs found in staging and recorded as interrupted.
    pub interrupted: Vec<String>,
    /// Committed runs that were missing from their ledger and were appended.
    pub appended: Vec<String>,
    /// Ledgers whose torn last line was cut off.
    pub torn_ledgers: Vec<String>,
}

impl Report {
    pub fn is_empty(&self) -> bool {
        self.interrupted.is_empty() && self.appended.is_empty() && self.torn_ledgers.is_empty()
    }
}

/// Runs recovery over the whole vault. Runs still held by a live process are left alone.
pub fn recover(vault: &Vault) -> Result<Report, VaultError> {
    let mut report = Report::default();
    recover_staging(vault, &mut report)?;
    for window in window_names(vault.root())? {
        recover_ledger(vault.root(), &window, &mut report)?;
    }
    for r in &report.interrupted {
        tracing::warn!(message = "Recorded a run left unfinished by an earlier process as interrupted.", run = %r);
    }
    for r in &report.appended {
        tracing::warn!(message = "Appended a committed run missing from its ledger.", run = %r);
    }
    Ok(report)
}

fn recover_staging(vault: &Vault, report: &mut Report) -> Result<(), VaultError> {
    let root = vault.root();
    let staging = layout::staging_root(root);
    let mut metas = Vec::new();
    for e in fs::read_dir(&staging)
        .map_err(VaultError::io("cannot list", &staging))?
        .flatten()
    {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(id) = name.strip_suffix(".json") {
            metas.push(id.to_string());
        }
    }
    metas.sort();
    for id in metas {
        let lock_path = layout::staging_lock(root, &id);
        let lock = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(FILE_MODE)
            .open(&lock_path)
            .map_err(VaultError::io("cannot open", &lock_path))?;
        if lock.try_lock().is_err() {
            continue; // a live process is running it
        }
        let meta_path = layout::staging_meta(root, &id);
        let meta: RunMeta = match fs::read(&meta_path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
        {
            Some(m) => m,
            None => {
                tracing::warn!(message = "Removed an unreadable staging marker.", path = %meta_path.display());
                remove_staging(root, &id);
                continue;
            }
        };
        let rel = layout::run_rel(
            meta.started_at.date_naive(),
            &meta.collector.name,
            &meta.run_id,
        );
        if layout::run_dir(root, &meta.window.name, &rel)
            .join(layout::RUN_JSON)
            .exists()
        {
            // Committed; the process died before removing its marker. The ledger pass checks it.
            remove_staging(root, &id);
            continue;
        }
        let mut staged = vault.resume(meta.clone(), lock)?;
        let (files, bytes) = staged.discard_artifacts()?;
        let mut outcome = Outcome::new(
            RunStatus::Interrupted,
            Some(format!(
                "the agent stopped before this run finished (found in staging at start-up); \
                 {files} partial file(s), {bytes} byte(s) were discarded, not kept as evidence"
            )),
        );
        outcome.ledger_note = Some("recorded at start-up recovery".into());
        staged.commit(outcome)?;
        report
            .interrupted
            .push(format!("{}/{rel}", meta.window.name));
    }
    // Staging folders without a marker never started a run: nothing to record.
    for e in fs::read_dir(&staging)
        .map_err(VaultError::io("cannot list", &staging))?
        .flatten()
    {
        let name = e.file_name().to_string_lossy().into_owned();
        if e.path().is_dir() && !layout::staging_meta(root, &name).exists() {
            let _ = fs::remove_dir_all(e.path());
        }
        // A kill between taking the lock and renaming the marker into place leaves the lock
        // and the marker's temporary file; remove them once no live run holds the lock.
        let id = name
            .strip_suffix(".lock")
            .or_else(|| name.strip_suffix(".tmp"));
        if let Some(id) = id
            && !layout::staging_meta(root, id).exists()
            && fs::File::open(layout::staging_lock(root, id))
                .map(|l| l.try_lock().is_ok())
                .unwrap_or(true)
        {
            let _ = fs::remove_file(e.path());
        }
    }
    Ok(())
}

fn remove_staging(root: &Path, id: &str) {
    let _ = fs::remove_dir_all(layout::staging_dir(root, id));
    let _ = fs::remove_file(layout::staging_meta(root, id));
    let _ = fs::remove_file(layout::staging_lock(root, id));
}

/// Window folders: every top-level folder that is not hidden.
pub fn window_names(root: &Path) -> Result<Vec<String>, VaultError> {
    let mut out = Vec::new();
    for e in fs::read_dir(root)
        .map_err(VaultError::io("cannot list", root))?
        .flatten()
    {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.starts_with('.') && e.path().is_dir() {
            out.push(name);
        }
    }
    out.sort();
    Ok(out)
}

/// Committed run folders of a window (`<date>/<collector>/<run-id>` with a run.json), sorted.
pub fn run_folders(window_dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let subdirs = |p: &Path| -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(p)
            .map(|rd| {
                rd.flatten()
                    .filter(|e| e.path().is_dir())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    for date in subdirs(window_dir) {
        if date == layout::DERIVED {
            continue;
        }
        for collector in subdirs(&window_dir.join(&date)) {
            for run in subdirs(&window_dir.join(&date).join(&collector)) {
                let rel = format!("{date}/{collector}/{run}");
                if window_dir.join(&rel).join(layout::SUMS).exists() {
                    out.push(rel);
                }
            }
        }
    }
    out
}

fn recover_ledger(root: &Path, window: &str, report: &mut Report) -> Result<(), VaultError> {
    let path = layout::ledger(root, window);
    let window_dir = layout::window_dir(root, window);
    let mut locked = ledger::Locked::open(&path)?;
    if locked.torn_bytes.is_some() {
        report.torn_ledgers.push(window.to_string());
    }
    let known: BTreeSet<String> = ledger::read(&path)?
        .into_iter()
        .filter_map(|r| r.ok())
        .map(|(_, e)| e.run)
        .collect();
    let mut missing: Vec<String> = run_folders(&window_dir)
        .into_iter()
        .filter(|r| !known.contains(r))
        .collect();
    // Run ids start with the start time: sort by id so late appends keep commit order.
    missing.sort_by(|a, b| a.rsplit('/').next().cmp(&b.rsplit('/').next()));
    for rel in missing {
        let dir = window_dir.join(&rel);
        let run_json = fs::read(dir.join(layout::RUN_JSON))
            .map_err(VaultError::io("cannot read", dir.join(layout::RUN_JSON)))?;
        let sums = fs::read(dir.join(layout::SUMS))
            .map_err(VaultError::io("cannot read", dir.join(layout::SUMS)))?;
        let record: serde_json::Value = serde_json::from_slice(&run_json).unwrap_or_default();
        let status: RunStatus =
            serde_json::from_value(record["status"].clone()).unwrap_or(RunStatus::Interrupted);
        let text = |k: &str| record[k].as_str().unwrap_or_default().to_string();
        let note = match locked.torn_bytes {
            Some(_) => "re-appended at start-up recovery after a torn ledger line".to_string(),
            None => {
                "appended at start-up recovery: the run was committed but missing from the ledger"
                    .to_string()
            }
        };
        locked.append(
            NewEntry {
                window: window.to_string(),
                run: rel.clone(),
                collector: record["collector"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                status,
                started_at: text("started_at"),
                finished_at: text("finished_at"),
                run_json_sha256: canonical::sha256_hex(&run_json),
                sums_sha256: canonical::sha256_hex(&sums),
                note: Some(note),
            },
            canonical::timestamp(chrono::Utc::now()),
        )?;
        report.appended.push(format!("{window}/{rel}"));
    }
    Ok(())
}
