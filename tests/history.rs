//! Builds a vault with a history: runs on chosen days with chosen outcomes, committed through the
//! real vault writer (as the agent would have over weeks), for the report and export tests.

use std::path::{Path, PathBuf};

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use evidence_agent::evidence::{Finding, RunStatus, Severity};
use evidence_agent::vault::{CollectorInfo, Outcome, RunMeta, Vault, WindowRef, layout};

/// One run to commit.
pub struct Run {
    pub collector: String,
    pub criteria: Vec<String>,
    pub day: NaiveDate,
    /// UTC hour and minute the run started.
    pub at: (u32, u32),
    pub status: RunStatus,
    pub error: Option<String>,
    /// `(path under artifacts/, content)`.
    pub artifacts: Vec<(String, Vec<u8>)>,
    pub findings: Vec<Finding>,
}

impl Run {
    /// A succeeded run of `collector` at 03:00 UTC on `day`, with no artifacts yet.
    pub fn new(collector: &str, criteria: &[&str], day: NaiveDate) -> Run {
        Run {
            collector: collector.to_string(),
            criteria: criteria.iter().map(|c| c.to_string()).collect(),
            day,
            at: (3, 0),
            status: RunStatus::Succeeded,
            error: None,
            artifacts: Vec::new(),
            findings: Vec::new(),
        }
    }

    pub fn failed(mut self, status: RunStatus, error: &str) -> Run {
        self.status = status;
        self.error = Some(error.to_string());
        self
    }

    pub fn at(mut self, hour: u32, minute: u32) -> Run {
        self.at = (hour, minute);
        self
    }

    pub fn artifact(mut self, path: &str, content: impl Into<Vec<u8>>) -> Run {
        self.artifacts.push((path.to_string(), content.into()));
        self
    }

    pub fn finding(
        mut self,
        rule: &str,
        severity: Severity,
        subject: &str,
        artifact: Option<&str>,
    ) -> Run {
        self.findings.push(Finding {
            rule: rule.to_string(),
            severity,
            subject: subject.to_string(),
            message: format!("{rule} on {subject}"),
            artifact: artifact.map(str::to_string),
        });
        self
    }
}

/// The audit window runs are filed under.
pub struct Window {
    pub name: &'static str,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

pub fn day(s: &str) -> NaiveDate {
    s.parse().expect("a YYYY-MM-DD date in the test")
}

/// Commits `run` into the vault at `root` (created if needed); returns the run folder.
pub fn commit(root: &Path, window: &Window, run: Run) -> PathBuf {
    let vault = Vault::open(root).expect("open the test vault");
    let started = Utc.from_utc_datetime(
        &run.day
            .and_hms_opt(run.at.0, run.at.1, 0)
            .expect("a valid time"),
    );
    let mut staged = vault
        .begin(RunMeta {
            run_id: layout::new_run_id(started),
            collector: CollectorInfo {
                name: run.collector.clone(),
                version: "1.0.0".into(),
                kind: "custom".into(),
            },
            criteria: run.criteria.clone(),
            window: WindowRef {
                name: window.name.into(),
                start: Some(window.start),
                end: Some(window.end),
            },
            started_at: started,
        })
        .expect("stage a run");
    for (path, content) in &run.artifacts {
        staged
            .add_bytes(path, media_type(path), content)
            .expect("add an artifact");
    }
    let mut outcome = Outcome::new(run.status, run.error.clone());
    outcome.finished_at = started + Duration::seconds(7);
    outcome.findings = run.findings;
    staged.commit(outcome).expect("commit the run").dir
}

fn media_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("csv") => "text/csv",
        Some("json") => "application/json",
        _ => "text/plain",
    }
}

#[test]
fn runs_land_on_their_day_and_verify() {
    let dir = tempfile::tempdir().expect("tempdir");
    let window = Window {
        name: "2026-q1",
        start: day("2026-01-01"),
        end: day("2026-03-31"),
    };
    let run = commit(
        dir.path(),
        &window,
        Run::new("aws-iam", &["CC6.1"], day("2026-01-05"))
            .at(4, 30)
            .artifact("users.csv", "user,mfa\nalice,true\n"),
    );
    let rel = run.strip_prefix(dir.path()).expect("inside the vault");
    let rel = rel.to_string_lossy();
    assert!(
        rel.starts_with("2026-q1/2026-01-05/aws-iam/20260105T043000Z-"),
        "{rel}"
    );
    let out = std::process::Command::new(crate::util::bin())
        .args(["verify", "--vault"])
        .arg(dir.path())
        .output()
        .expect("run verify");
    assert!(out.status.success(), "{}", crate::util::text(&out));
}
