//! The auditor's view of one audit window: a static HTML site (overview per criterion, coverage
//! calendar, findings, populations, every run and artifact) written from the vault alone.
//! Derived files: rebuilt at will, never part of the chain. `docs/report.md` describes it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};

use crate::config::Schedule;

mod calendar;
mod findings;
mod gather;
mod html;
pub mod links;
mod load;
mod pages;
pub mod plan;
mod population;
mod refresh;
mod site;

pub use refresh::Refresher;

use html::Frame;
use pages::Site;

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
    #[error(
        "{0} exists and is not a report written by evidence-agent (no report.json in it): give `--out` an empty or new folder; nothing was changed"
    )]
    NotAReport(PathBuf),
    #[error(
        "{0} is not an evidence vault yet (no vault.json): run `evidence-agent collect` first, or point `agent.vault_dir` at the vault"
    )]
    NoVault(PathBuf),
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
    // Never create folders in what is not a vault: the agent would then refuse it as one.
    if !crate::vault::layout::marker(&req.vault).is_file() {
        return Err(ReportError::NoVault(req.vault.clone()));
    }
    let build = site::Build::start(&req.out)?;
    let generated = crate::vault::canonical::timestamp(req.now);
    let period = match (req.start, req.end) {
        (Some(s), Some(e)) => format!("{s} to {e}"),
        _ => "runs outside every configured window".to_string(),
    };
    let site = Site {
        req,
        frame: Frame {
            window: &req.window,
            period: &period,
            generated: &generated,
        },
    };
    let mut populations = Vec::new();
    for def in population::DEFINITIONS {
        let base = req.evidence_base.clone();
        populations.push(population::Population::new(
            *def,
            population::Sink::new(
                build.create(&format!("populations/{}.csv", def.id))?,
                build.create(&pages::rows_file(def.id))?,
                Box::new(move |row| pages::population_row(&base, row)),
            ),
        ));
    }
    let mut prev = None;
    let mut pages = 0u64;
    let g = gather::gather(req, populations, |date, runs| {
        build.write(
            &format!("days/{date}.html"),
            site.day(date, runs, prev).as_bytes(),
        )?;
        prev = Some(date);
        pages += 1;
        Ok(())
    })?;
    build.write("index.html", site.index(&g).as_bytes())?;
    build.write("findings.html", site.findings(&g).as_bytes())?;
    site.populations(&build, &g.populations)?;
    build.write("runs.html", site.runs(&g).as_bytes())?;
    build.write("report.css", include_str!("assets/report.css").as_bytes())?;
    build.write("report.js", include_str!("assets/report.js").as_bytes())?;
    let marker = serde_json::json!({
        "kind": "evidence-agent-report",
        "window": req.window,
        "generated_at": generated,
        "agent_version": crate::AGENT_VERSION,
        "runs": g.runs,
        "artifacts": g.artifacts,
        "findings": g.findings,
        "exceptions": g.exceptions.len(),
        "ledger_lines": g.ledger_lines,
        "problems": g.problems,
    });
    build.write(site::MARKER, &crate::vault::canonical::pretty(&marker))?;
    let out = build.finish()?;
    Ok(Summary {
        runs: g.runs,
        artifacts: g.artifacts,
        findings: g.findings,
        pages: pages + 4,
        index: out.join("index.html"),
    })
}
