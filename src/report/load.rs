//! Reading a window for the report: its ledger, then the run records day by day, so memory holds
//! one day's runs at a time however long the window.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Deserialize;

use super::{ReportError, Selection};
use crate::evidence::{Finding, RunStatus};
use crate::vault::ledger::{self, Entry};
use crate::vault::{canonical, layout};

/// One file of a run folder as its run record lists it (`path` relative to the run folder, so
/// `artifacts/…` or `run.log`).
#[derive(Debug, Clone, Deserialize)]
pub struct Artifact {
    pub path: String,
    pub size: u64,
    pub sha256: String,
    #[serde(default)]
    pub media_type: String,
}

/// The parts of run.json the report shows; unknown keys are ignored so a newer record still reads.
#[derive(Debug, Clone, Default, Deserialize)]
struct RunJson {
    #[serde(default)]
    criteria: Vec<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    artifacts: Vec<Artifact>,
    #[serde(default)]
    findings: Vec<Finding>,
    #[serde(default)]
    parameters: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    summary: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    refused: Vec<serde_json::Value>,
    #[serde(default)]
    collector: Option<CollectorJson>,
}

#[derive(Debug, Clone, Default, Deserialize)]
struct CollectorJson {
    #[serde(default)]
    version: String,
    #[serde(default)]
    kind: String,
}

/// A committed run as the report sees it: its ledger line and what its record says.
#[derive(Debug, Clone)]
pub struct Run {
    pub entry: Entry,
    /// The UTC date of its folder.
    pub date: NaiveDate,
    pub criteria: Vec<String>,
    pub error: Option<String>,
    pub artifacts: Vec<Artifact>,
    pub findings: Vec<Finding>,
    pub parameters: serde_json::Map<String, serde_json::Value>,
    pub summary: serde_json::Map<String, serde_json::Value>,
    pub refused: usize,
    pub collector_version: String,
    pub collector_kind: String,
    /// Why the record cannot be trusted or read (it differs from its ledger line, is missing or
    /// malformed); the report says so and points at `verify`.
    pub problem: Option<String>,
}

impl Run {
    pub fn status(&self) -> RunStatus {
        self.entry.status
    }

    /// The run folder, from the window folder: `<date>/<collector>/<run-id>`.
    pub fn rel(&self) -> &str {
        &self.entry.run
    }

    pub fn run_id(&self) -> &str {
        run_id(&self.entry.run)
    }
}

/// The run id, the last part of a run folder path.
pub fn run_id(run: &str) -> &str {
    run.rsplit('/').next().unwrap_or(run)
}

/// The selected ledger entries of a window grouped by run-folder date, in ledger order per day,
/// and how many ledger lines could not be read.
pub struct Ledger {
    pub days: BTreeMap<NaiveDate, Vec<Entry>>,
    pub unreadable: usize,
    pub lines: usize,
}

pub fn ledger(vault: &Path, window: &str, selection: &Selection) -> Result<Ledger, ReportError> {
    let lines = ledger::read(&layout::ledger(vault, window))?;
    let mut out = Ledger {
        days: BTreeMap::new(),
        unreadable: 0,
        lines: lines.len(),
    };
    for line in lines {
        let Ok((_, entry)) = line else {
            out.unreadable += 1;
            continue;
        };
        let Some(date) = run_date(&entry.run) else {
            out.unreadable += 1;
            continue;
        };
        if selection.includes(date, &entry.collector) {
            out.days.entry(date).or_default().push(entry);
        }
    }
    Ok(out)
}

/// The date of a run folder path `<YYYY-MM-DD>/<collector>/<run-id>`.
fn run_date(run: &str) -> Option<NaiveDate> {
    layout::split_run_rel(run).map(|(date, _, _)| date)
}

/// Reads the run record of `entry`, checking it against the ledger's hash. A missing, altered or
/// malformed record still yields a run (from the ledger line) carrying the problem.
pub fn run(window_dir: &Path, entry: Entry) -> Run {
    let date = run_date(&entry.run).unwrap_or_default();
    let path = window_dir.join(&entry.run).join(layout::RUN_JSON);
    let (record, problem) = match std::fs::read(&path) {
        Err(e) => (
            RunJson::default(),
            Some(format!("run.json cannot be read: {e}")),
        ),
        Ok(bytes) => {
            let altered = canonical::sha256_hex(&bytes) != entry.run_json_sha256;
            match serde_json::from_slice::<RunJson>(&bytes) {
                Ok(r) if altered => (
                    r,
                    Some("run.json differs from the hash its ledger line records".to_string()),
                ),
                Ok(r) => (r, None),
                Err(e) => (
                    RunJson::default(),
                    Some(format!("run.json is not a run record: {e}")),
                ),
            }
        }
    };
    let collector = record.collector.unwrap_or_default();
    Run {
        date,
        criteria: record.criteria,
        error: record.error,
        artifacts: record.artifacts,
        findings: record.findings,
        parameters: record.parameters,
        summary: record.summary,
        refused: record.refused.len(),
        collector_version: collector.version,
        collector_kind: collector.kind,
        problem,
        entry,
    }
}

/// The bytes of an artifact of `run`, only when they still have the SHA-256 its record gives.
pub fn artifact_bytes(window_dir: &Path, run: &Run, artifact: &Artifact) -> Option<Vec<u8>> {
    let path: PathBuf = window_dir.join(run.rel()).join(&artifact.path);
    let bytes = std::fs::read(&path).ok()?;
    (canonical::sha256_hex(&bytes) == artifact.sha256).then_some(bytes)
}
