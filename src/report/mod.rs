//! The auditor's view of one audit window: a static HTML site (overview per criterion, coverage
//! calendar, findings, populations, every run and artifact) written from the vault alone.
//! Derived files: rebuilt at will, never part of the chain. `docs/report.md` describes it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};

use crate::config::Schedule;

pub mod links;
pub mod plan;

/// Which runs of the window a report (or an export) covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// First run-folder date included (UTC); `None`: the window's start.
    pub from: Option<NaiveDate>,
    /// Last run-folder date included (UTC); `None`: no end.
    pub to: Option<NaiveDate>,
    /// Only runs of these collectors; `None`: every collector.
    pub collectors: Option<BTreeSet<String>>,
}

impl Selection {
    /// Whether the run filed under `date` by `collector` is selected.
    pub fn includes(&self, date: NaiveDate, collector: &str) -> bool {
        self.from.is_none_or(|f| date >= f)
            && self.to.is_none_or(|t| date <= t)
            && self
                .collectors
                .as_ref()
                .is_none_or(|c| c.contains(collector))
    }
}

/// A collector as the config knows it today: its criteria, schedule and whether it is on.
#[derive(Debug, Clone)]
pub struct PlannedCollector {
    pub name: String,
    pub criteria: Vec<String>,
    pub enabled: bool,
    pub schedule: Option<Schedule>,
}

/// Everything a report needs besides the vault.
#[derive(Debug, Clone)]
pub struct Request {
    /// The vault folder to read.
    pub vault: PathBuf,
    /// The window folder name.
    pub window: String,
    /// The window's first and last day; `None` for `outside-window` or a window no longer in
    /// the config (the calendar then spans the days that have runs).
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
    /// The collectors of the config (registry), for schedules and criteria of collectors that
    /// have not run yet; collectors seen only in the vault are added from their run records.
    pub collectors: Vec<PlannedCollector>,
    /// The time zone the schedules are read in.
    pub timezone: chrono_tz::Tz,
    pub selection: Selection,
    /// The site folder to (re)create.
    pub out: PathBuf,
    /// URL from the site folder to the window folder, ending in `/` (`../../` in the vault).
    pub evidence_base: String,
    /// "Today" for the calendar: days after it are not yet due.
    pub now: DateTime<Utc>,
}

/// What a written report holds, for the command's summary line and for tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub runs: u64,
    pub artifacts: u64,
    pub findings: u64,
    pub pages: u64,
    pub index: PathBuf,
}

/// Why a report could not be written. Every variant names the path.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Vault(#[from] crate::vault::VaultError),
}

/// The site folder inside the vault: `<vault>/<window>/derived/report/`.
pub fn default_out(vault: &Path, window: &str) -> PathBuf {
    crate::vault::layout::window_dir(vault, window)
        .join(crate::vault::layout::DERIVED)
        .join("report")
}

/// Writes the site for `req` into `req.out`, replacing what was there only once the new site is
/// complete.
pub fn write(req: &Request) -> Result<Summary, ReportError> {
    // Stub until the renderer lands: a page that names the window.
    std::fs::create_dir_all(&req.out).map_err(|source| ReportError::Io {
        action: "cannot create",
        path: req.out.clone(),
        source,
    })?;
    let index = req.out.join("index.html");
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Evidence report: {w}</title></head><body><h1>Evidence report: {w}</h1></body></html>\n",
        w = req.window
    );
    std::fs::write(&index, html).map_err(|source| ReportError::Io {
        action: "cannot write",
        path: index.clone(),
        source,
    })?;
    Ok(Summary {
        pages: 1,
        index,
        ..Summary::default()
    })
}
