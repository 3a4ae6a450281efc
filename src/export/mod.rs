//! The auditor's bundle of one window: the selected run folders unchanged, the whole ledger, an
//! export manifest, the report and VERIFY.md, as one `.tar.gz`. See docs/vault-format.md,
//! "Exports".
//!
//! - [`select`]: which runs the dates and criteria pick from the window's ledger.
//! - [`runs`]: one run folder into the bundle, checked against its records on the way.
//! - [`bundle`]: the tar.gz stream, hashing every file, and the bundle's `SHA256SUMS`.
//! - [`manifest`]: `export.json`, also read back by `verify`.
//! - [`guide`]: VERIFY.md for the auditor.

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::report::{ReportError, Selection};
use crate::vault::fsutil::{FILE_MODE, fsync_parent, rename_noreplace};
use crate::vault::{VaultError, canonical, layout};

pub mod bundle;
pub mod guide;
pub mod manifest;
pub mod runs;
pub mod select;

use bundle::{Bundle, Expect, Partial};
use manifest::{AgentInfo, LedgerInfo, Manifest, SelectionInfo, WindowInfo};
pub use select::Ask;

/// The hint every evidence error ends with.
const RUN_VERIFY: &str = "run `evidence-agent verify` and export once the vault verifies";

/// Why no bundle was written. Nothing is left behind in any case.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(
        "{0} exists already: an export never replaces a file; give another `--out` or move that file away"
    )]
    OutExists(PathBuf),
    #[error("the folder of {0} does not exist: create it first or give another `--out`")]
    OutFolderMissing(PathBuf),
    #[error(
        "`--out {0}` must be a file name ending in `.tar.gz` whose stem uses only letters, digits, `-`, `_` and `.` (the bundle's top folder is named after it), e.g. `evidence-2026-q1.tar.gz`"
    )]
    OutName(PathBuf),
    #[error("window `{0}` has no committed runs in the vault yet: there is nothing to export")]
    EmptyWindow(String),
    #[error(
        "no collector supports {unknown} in this selection: criteria known here are {known}; give one of them with `--criteria`"
    )]
    UnknownCriteria { unknown: String, known: String },
    #[error("{path}: {reason}: the vault does not verify; {RUN_VERIFY}")]
    Evidence { path: PathBuf, reason: String },
    #[error("ledger {path} line {line}: {reason}; {RUN_VERIFY}")]
    Ledger {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the bundle: {0}")]
    Write(std::io::Error),
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error("cannot write the report for the bundle: {0}")]
    Report(#[from] ReportError),
}

impl ExportError {
    pub(crate) fn evidence(path: impl Into<PathBuf>, reason: impl Into<String>) -> ExportError {
        ExportError::Evidence {
            path: path.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> ExportError {
        ExportError::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// Whether the user asked for something impossible (exit 2) rather than the vault or the
    /// disk failing (exit 1).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            ExportError::OutExists(_)
                | ExportError::OutFolderMissing(_)
                | ExportError::OutName(_)
                | ExportError::EmptyWindow(_)
                | ExportError::UnknownCriteria { .. }
        )
    }
}

/// One export to write.
#[derive(Debug, Clone)]
pub struct Request {
    /// The vault folder.
    pub vault: PathBuf,
    /// The window: folder name and dates.
    pub window: WindowInfo,
    /// Dates and criteria asked for.
    pub ask: Ask,
    /// Installed collectors and the criteria their descriptors declare.
    pub supported: Vec<(String, Vec<String>)>,
    /// The bundle file to create.
    pub out: PathBuf,
    /// The time recorded as `created_at`.
    pub now: DateTime<Utc>,
}

/// What a written bundle holds.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The bundle file.
    pub out: PathBuf,
    /// Runs in the bundle.
    pub runs: u64,
    /// Ledger lines whose runs were left out.
    pub left_out: u64,
    /// Files in the bundle's `SHA256SUMS`.
    pub files: u64,
    /// SHA-256 of the ledger's last line.
    pub last_line_sha256: String,
}

/// Writes the bundle for `req`. `report` writes the report of a selection into a folder.
pub fn export(
    req: &Request,
    report: &dyn Fn(&Selection, &Path) -> Result<(), ReportError>,
) -> Result<Summary, ExportError> {
    let top = check_out(&req.out)?;
    let picked = select::pick(&req.vault, &req.window.name, &req.ask, &req.supported)?;
    let window = &req.window.name;
    let window_dir = layout::window_dir(&req.vault, window);

    let suffix = format!(".partial-{:08x}", crate::random::u32());
    let mut partial = Partial {
        file: path_with_suffix(&req.out, &suffix),
        scratch: path_with_suffix(&req.out, &format!("{suffix}.report")),
        keep_file: false,
    };
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(&partial.file)
        .map_err(|e| ExportError::io("cannot create", &partial.file, e))?;
    crate::vault::fsutil::create_dirs(&partial.scratch)?;
    let site = partial.scratch.join("report");
    report(&picked.selection, &site)?;

    let now = u64::try_from(req.now.timestamp()).unwrap_or(0);
    let mut bundle = Bundle::new(file, &top, now)?;
    bundle.add_file(layout::MARKER, &layout::marker(&req.vault), None, None)?;
    bundle.add_file(
        &format!("{window}/{}", layout::LEDGER),
        &layout::ledger(&req.vault, window),
        Some(picked.ledger_len),
        Some(Expect {
            sha256: &picked.ledger_sha256,
            size: Some(picked.ledger_len),
            source: "the ledger as read a moment before",
        }),
    )?;
    let mut runs = Vec::new();
    let mut files = 0u64;
    let mut bytes = 0u64;
    for &i in &picked.runs {
        let entry = &picked.lines[i];
        let added = runs::add(&mut bundle, &window_dir, window, entry)?;
        files += added.files;
        bytes += added.bytes;
        runs.push(entry.run.clone());
    }
    runs.sort();
    let mut site_files = Vec::new();
    runs::walk(&site, "", &mut site_files)?;
    site_files.sort();
    for rel in &site_files {
        let in_bundle = format!("{window}/{}/report/{rel}", layout::DERIVED);
        bundle.add_file(&in_bundle, &site.join(rel), None, None)?;
    }

    let manifest = Manifest {
        format: manifest::FORMAT,
        kind: manifest::KIND.to_string(),
        window: req.window.clone(),
        selection: SelectionInfo {
            from: picked.selection.from,
            to: picked.selection.to,
            criteria: picked.criteria.clone(),
            collectors: picked.selection.collectors.clone(),
        },
        created_at: canonical::timestamp(req.now),
        agent: AgentInfo {
            version: crate::AGENT_VERSION.to_string(),
            host: crate::vault::hostname(),
        },
        ledger: LedgerInfo {
            lines: picked.lines.len() as u64,
            last_line_sha256: picked.last_line_sha256.clone(),
        },
        runs,
    };
    bundle.add_bytes(manifest::FILE, &canonical::pretty(&manifest))?;
    bundle.add_bytes(
        guide::FILE,
        guide::render(&top, &manifest, files, bytes).as_bytes(),
    )?;
    let (file, count) = bundle.finish()?;
    file.sync_all()
        .map_err(|e| ExportError::io("cannot fsync", &partial.file, e))?;
    drop(file);
    rename_noreplace(&partial.file, &req.out)?;
    partial.keep_file = true;
    fsync_parent(&req.out)?;
    Ok(Summary {
        out: req.out.clone(),
        runs: manifest.runs.len() as u64,
        left_out: manifest.ledger.lines - manifest.runs.len() as u64,
        files: count,
        last_line_sha256: manifest.ledger.last_line_sha256,
    })
}

/// Checks the out path; returns the bundle's top folder name (the file name without `.tar.gz`).
fn check_out(out: &Path) -> Result<String, ExportError> {
    let top = out
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_suffix(".tar.gz"))
        .filter(|t| layout::valid_name(t))
        .ok_or_else(|| ExportError::OutName(out.to_path_buf()))?;
    let folder = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !folder.is_dir() {
        return Err(ExportError::OutFolderMissing(out.to_path_buf()));
    }
    if std::fs::symlink_metadata(out).is_ok() {
        return Err(ExportError::OutExists(out.to_path_buf()));
    }
    Ok(top.to_string())
}

fn path_with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}
