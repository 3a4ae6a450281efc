//! The walk over the vault: `vault.json`, every window (ledger, run folders, extras), staging.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::json;

use super::export::{self, Scope};
use super::hash::{self, Job};
use super::ledger;
use super::report::{Kind, Note, Problem, Report};
use super::run;
use super::tree::{self, Expect};
use crate::vault::canonical;
use crate::vault::fsutil::open_nofollow;
use crate::vault::layout::{self, DERIVED, LEDGER, MARKER, STAGING};
use crate::vault::writer::FORMAT_VERSION;

/// Why a folder could not be verified at all (as opposed to a vault with problems).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(
        "{0} does not exist: give the vault folder with `--vault DIR` or set `agent.vault_dir` in the config"
    )]
    NotFound(PathBuf),
    #[error(
        "{path} is not an evidence-agent vault ({reason}): give the vault folder with `--vault DIR`"
    )]
    NotAVault { path: PathBuf, reason: String },
    #[error(
        "the vault has no window `{window}` (windows: {known}): give one of them with `--window`, or leave it out to verify every window"
    )]
    NoWindow { window: String, known: String },
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Verifies the vault at `root`, hashing on `threads` threads. Reads only; changes nothing.
/// With `only`, checks `vault.json` and that one window, leaving out other windows, stray files
/// in the vault folder and staging. `exports`: whether a folder with `export.json` is checked as
/// an unpacked export (runs outside its selection may be absent); the agent's own vault never
/// is one, so there the manifest is an extra file, and deleting runs cannot hide behind one.
pub fn verify(
    root: &Path,
    threads: usize,
    only: Option<&str>,
    exports: bool,
) -> Result<Report, VerifyError> {
    match std::fs::metadata(root) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(VerifyError::NotAVault {
                path: root.to_path_buf(),
                reason: "not a folder".into(),
            });
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(VerifyError::NotFound(root.to_path_buf()));
        }
        Err(source) => {
            return Err(VerifyError::Io {
                path: root.to_path_buf(),
                source,
            });
        }
    }
    let io = |source| VerifyError::Io {
        path: root.to_path_buf(),
        source,
    };
    let mut windows = Vec::new();
    let mut others = Vec::new();
    for entry in std::fs::read_dir(root).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let file_type = entry.file_type().map_err(io)?;
        if file_type.is_dir() && !name.starts_with('.') {
            windows.push(name);
        } else if name != MARKER && name != STAGING {
            others.push((name, tree::describe(&file_type)));
        }
    }
    windows.sort();

    let mut report = Report {
        threads,
        ..Report::default()
    };
    check_marker(root, &windows, &mut report)?;
    let scope = (exports
        && others
            .iter()
            .any(|(n, _)| n == crate::export::manifest::FILE))
    .then(|| {
        others.retain(|(n, _)| !export::ROOT_FILES.contains(&n.as_str()));
        export::load(root, &mut report)
    })
    .flatten();
    if let Some(s) = &scope {
        only_exported_window(&s.manifest.window.name, &mut windows, &mut report);
    }
    if let Some(window) = only {
        if !windows.iter().any(|w| w == window) {
            let known = if windows.is_empty() {
                "none".to_string()
            } else {
                windows.join(", ")
            };
            return Err(VerifyError::NoWindow {
                window: window.to_string(),
                known,
            });
        }
        windows.retain(|w| w == window);
        others.clear();
    }
    for (name, what) in others {
        report.problems.push(Problem::new(
            Kind::Extra,
            name,
            format!("a {what} in the vault folder that is not part of the vault"),
        ));
    }
    let mut jobs = Vec::new();
    for window in &windows {
        check_window(root, window, &mut jobs, &mut report, scope.as_ref());
    }
    if only.is_none() {
        staging_notes(root, &mut report);
    }
    let hashed = hash::run(jobs, threads);
    report.problems.extend(hashed.problems);
    report.files += hashed.files;
    report.bytes += hashed.bytes;
    report.sort();
    Ok(report)
}

/// `vault.json` must be exactly what the agent writes. Without it, a folder holding no ledger is
/// not a vault at all (exit 2), while one holding ledgers is a vault that lost its marker.
fn check_marker(root: &Path, windows: &[String], report: &mut Report) -> Result<(), VerifyError> {
    let expected =
        canonical::pretty(&json!({"format": "evidence-agent-vault", "version": FORMAT_VERSION}));
    let mut bytes = Vec::new();
    match open_nofollow(&layout::marker(root)).and_then(|mut f| f.read_to_end(&mut bytes)) {
        Ok(_) => {
            report.files += 1;
            report.bytes += bytes.len() as u64;
            if bytes == expected {
                return Ok(());
            }
            let detail = match serde_json::from_slice::<serde_json::Value>(&bytes) {
                Ok(v)
                    if v == json!({"format": "evidence-agent-vault", "version": FORMAT_VERSION}) =>
                {
                    (
                        Kind::Modified,
                        "not the exact bytes the agent writes".to_string(),
                    )
                }
                Ok(v) => (
                    Kind::Malformed,
                    format!(
                        "unknown vault format {v}: expected {{\"format\":\"evidence-agent-vault\",\"version\":{FORMAT_VERSION}}}"
                    ),
                ),
                Err(e) => (Kind::Malformed, format!("not JSON: {e}")),
            };
            report
                .problems
                .push(Problem::new(detail.0, MARKER, detail.1));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if !windows.iter().any(|w| layout::ledger(root, w).exists()) {
                return Err(VerifyError::NotAVault {
                    path: root.to_path_buf(),
                    reason: "no vault.json and no window ledger".into(),
                });
            }
            report.problems.push(Problem::new(
                Kind::Missing,
                MARKER,
                "the vault's marker file is gone",
            ));
        }
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => report.problems.push(Problem::new(
            Kind::Modified,
            MARKER,
            "is a symbolic link, not a file",
        )),
        Err(e) => report.problems.push(Problem::new(
            Kind::Unreadable,
            MARKER,
            format!("cannot read: {e}"),
        )),
    }
    Ok(())
}

/// One window: its ledger, the run folder of each line, and anything no line accounts for.
fn check_window(
    root: &Path,
    window: &str,
    jobs: &mut Vec<Job>,
    report: &mut Report,
    scope: Option<&Scope>,
) {
    let window_dir = layout::window_dir(root, window);
    let ledger_shown = format!("{window}/{LEDGER}");
    let lines = match ledger::check(
        &layout::ledger(root, window),
        &ledger_shown,
        window,
        &mut report.problems,
        &mut report.notes,
    ) {
        Ok(checked) => {
            report.files += 1;
            report.bytes += checked.bytes;
            checked.runs
        }
        Err(e) => {
            let (kind, detail) = match e.raw_os_error() {
                Some(libc::ENOENT) => (
                    Kind::Missing,
                    "the window folder has no ledger, so nothing in it is accounted for"
                        .to_string(),
                ),
                Some(libc::ELOOP) => (Kind::Modified, "is a symbolic link, not a file".to_string()),
                _ => (Kind::Unreadable, format!("cannot read: {e}")),
            };
            report
                .problems
                .push(Problem::new(kind, &ledger_shown, detail));
            Vec::new()
        }
    };
    let lines = match scope {
        Some(s) => s.filter(
            lines,
            &layout::ledger(root, window),
            window,
            &ledger_shown,
            report,
        ),
        None => lines,
    };

    let mut expect = Expect::default();
    expect.files.insert(LEDGER.to_string());
    expect.stops.insert(DERIVED.to_string());
    for line in &lines {
        expect
            .dirs
            .extend(tree::parents(&line.entry.run).map(str::to_string));
        expect.stops.insert(line.entry.run.clone());
    }
    // Run folders no line names are reported one by one, whatever else shares their folders.
    let orphans: Vec<String> = run_shaped_folders(&window_dir)
        .into_iter()
        .filter(|r| !expect.stops.contains(r))
        .collect();
    for orphan in orphans {
        let detail = match scope {
            Some(s) => s.orphan_detail(),
            None => format!(
                "a run folder that no line of {ledger_shown} names: a ledger line was removed, or the agent stopped between committing the run and appending its line (its next start appends it)"
            ),
        };
        report.problems.push(Problem::new(
            Kind::Extra,
            format!("{window}/{orphan}"),
            detail,
        ));
        expect
            .dirs
            .extend(tree::parents(&orphan).map(str::to_string));
        expect.stops.insert(orphan);
    }
    let why = |_: &str, what: &str| format!("a {what} that no line of {ledger_shown} accounts for");
    // The ledger file itself was read above; the walk only looks for what should not be there.
    tree::walk(&window_dir, window, &expect, &why, &mut report.problems);

    for line in &lines {
        let counts = run::check(
            &window_dir,
            window,
            &ledger_shown,
            line,
            jobs,
            &mut report.problems,
        );
        report.runs += 1;
        report.files += counts.files;
        report.bytes += counts.bytes;
    }
}

/// An export holds the one window its manifest names: other folders are extra.
fn only_exported_window(exported: &str, windows: &mut Vec<String>, report: &mut Report) {
    for other in windows.iter().filter(|w| *w != exported) {
        report.problems.push(Problem::new(
            Kind::Extra,
            other.as_str(),
            format!("a folder in an export of window `{exported}` that is not part of it"),
        ));
    }
    if !windows.iter().any(|w| w == exported) {
        report.problems.push(Problem::new(
            Kind::Missing,
            exported,
            "the window folder the export's manifest names is gone",
        ));
    }
    windows.retain(|w| w == exported);
}

/// Folders at `<YYYY-MM-DD>/<collector>/<run-id>` in a window folder, by name alone.
fn run_shaped_folders(window_dir: &Path) -> Vec<String> {
    let subdirs = |rel: &str| -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(window_dir.join(rel)) else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| tree::join(rel, &e.file_name().to_string_lossy()))
            .collect()
    };
    let mut out: Vec<String> = subdirs("")
        .iter()
        .flat_map(|d| subdirs(d))
        .flat_map(|c| subdirs(&c))
        .filter(|r| ledger::split_run(r).is_some())
        .collect();
    out.sort();
    out
}

/// Runs in `.staging/` are not evidence yet: each gets a note saying what will become of it.
fn staging_notes(root: &Path, report: &mut Report) {
    let staging = layout::staging_root(root);
    let Ok(entries) = std::fs::read_dir(&staging) else {
        return;
    };
    let names: HashSet<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let mut ids: HashSet<&str> = HashSet::new();
    for name in &names {
        let id = name
            .strip_suffix(".json")
            .or_else(|| name.strip_suffix(".lock"))
            .unwrap_or(name);
        ids.insert(id);
    }
    for id in ids {
        let path = format!("{STAGING}/{id}");
        let detail = if names.contains(&format!("{id}.json")) {
            if lock_held(&layout::staging_lock(root, id)) {
                "a run in progress (a running agent holds its lock); it becomes evidence when it commits".to_string()
            } else {
                "a run left unfinished by an agent that stopped; the agent's next start records it as an interrupted run".to_string()
            }
        } else {
            "leftover staging file(s) without a run marker: not evidence".to_string()
        };
        report.notes.push(Note { path, detail });
    }
}

/// Whether another process holds the lock file (probed with a shared lock, released at once).
fn lock_held(path: &Path) -> bool {
    match std::fs::File::open(path) {
        Ok(f) => matches!(f.try_lock_shared(), Err(std::fs::TryLockError::WouldBlock)),
        Err(_) => false,
    }
}
