//! What a run yields, independent of where it came from or where it is stored.

use serde::{Deserialize, Serialize};

/// How serious a finding (an exception, in audit terms) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

/// One exception a collector flags, naming the thing it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// A stable identifier of the check, e.g. `sshd-password-authentication`.
    pub rule: String,
    pub severity: Severity,
    /// What the finding names: a user, a pull request, an endpoint, a host setting.
    pub subject: String,
    /// A sentence for the auditor.
    pub message: String,
    /// The artifact (path inside the run folder's `artifacts/`) that shows it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<String>,
}

/// The end state of a run, as recorded in `run.json` and the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// The collector finished and its evidence is complete.
    Succeeded,
    /// The collector failed or broke the contract; the reason is in `error`.
    Failed,
    /// The agent stopped (signal, crash, deadline) before the run finished.
    Interrupted,
    /// The run could not start, e.g. a granted secret is not available; the reason says what to set.
    Skipped,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Skipped => "skipped",
        }
    }

    /// Whether this outcome is an evidence problem (exit code 1 for `collect`).
    pub fn is_problem(self) -> bool {
        matches!(self, RunStatus::Failed | RunStatus::Interrupted)
    }
}

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A file the agent would not take from a collector, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// The name as the collector wrote it (lossily decoded if not UTF-8).
    pub path: String,
    pub reason: String,
}

/// Counts of findings by severity, for the run record and the ledger.
pub fn findings_summary(findings: &[Finding]) -> std::collections::BTreeMap<Severity, u64> {
    let mut counts = std::collections::BTreeMap::new();
    for f in findings {
        *counts.entry(f.severity).or_insert(0) += 1;
    }
    counts
}
