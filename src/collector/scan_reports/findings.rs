//! The importer's exceptions: critical or high findings in a report stored this run, a scanner
//! overdue for its expected cadence (checked every run), and files stored but not understood.

use chrono::{DateTime, Utc};

use super::config::Expectation;
use super::formats::{ScanSeverity, Summary};
use super::import::{Row, Status};
use super::state::State;
use crate::evidence::{Finding, Severity};

/// Findings about the files seen this run.
pub fn for_rows(rows: &[Row]) -> Vec<Finding> {
    let mut out = Vec::new();
    for row in rows {
        match row.status {
            Status::Imported => {
                if let Some(s) = &row.summary
                    && let Some(f) = critical_high(s, row)
                {
                    out.push(f);
                }
            }
            Status::Unrecognised | Status::Malformed => out.push(Finding {
                rule: "scan-report-unreadable".into(),
                severity: Severity::Low,
                subject: row.source.clone(),
                message: format!(
                    "`{}` is stored as-is but was not imported as a report: {}.",
                    row.file_name,
                    row.reason.as_deref().unwrap_or("no reason given")
                ),
                artifact: row.artifact.clone(),
            }),
            Status::TooLarge => out.push(Finding {
                rule: "scan-report-too-large".into(),
                severity: Severity::Low,
                subject: row.source.clone(),
                message: format!(
                    "`{}` is not imported: {}.",
                    row.file_name,
                    row.reason.as_deref().unwrap_or("too large")
                ),
                artifact: None,
            }),
            _ => {}
        }
    }
    out
}

fn critical_high(s: &Summary, row: &Row) -> Option<Finding> {
    let n = |sev| s.counts.get(&sev).copied().unwrap_or(0);
    let (critical, high) = (n(ScanSeverity::Critical), n(ScanSeverity::High));
    if critical + high == 0 {
        return None;
    }
    let subject = if s.targets.is_empty() {
        row.file_name.clone()
    } else {
        s.targets.join(", ")
    };
    let version = s
        .scanner_version
        .as_deref()
        .map(|v| format!(" {v}"))
        .unwrap_or_default();
    let when = match s.scanned_at {
        Some(t) => format!("scanned {}", t.format("%Y-%m-%d")),
        None => "with no scan time of its own".into(),
    };
    Some(Finding {
        rule: "scan-critical-high".into(),
        severity: if critical > 0 {
            Severity::Critical
        } else {
            Severity::High
        },
        subject,
        message: format!(
            "The {}{version} report `{}` ({when}) has {critical} critical and {high} high findings.",
            s.scanner, row.file_name
        ),
        artifact: row.artifact.clone(),
    })
}

/// One `scan-report-overdue` per expectation whose latest matching report is older than its
/// `max_age_days` at `now`, or that has none.
pub fn overdue(expect: &[Expectation], state: &State, now: DateTime<Utc>) -> Vec<Finding> {
    let mut out = Vec::new();
    for e in expect {
        let latest = latest(e, state);
        let limit = chrono::Duration::days(i64::from(e.max_age_days));
        let message = match latest {
            Some(at) if now - at <= limit => continue,
            Some(at) => format!(
                "The latest `{}` report{} was scanned {} ({} days ago), more than the expected {} days.",
                e.scanner,
                target_words(e),
                at.format("%Y-%m-%d"),
                (now - at).num_days(),
                e.max_age_days
            ),
            None => format!(
                "No `{}` report{} has been imported; one is expected every {} days.",
                e.scanner,
                target_words(e),
                e.max_age_days
            ),
        };
        out.push(Finding {
            rule: "scan-report-overdue".into(),
            severity: Severity::Medium,
            subject: e.key(),
            message,
            artifact: None,
        });
    }
    out
}

fn target_words(e: &Expectation) -> String {
    e.target
        .as_deref()
        .map(|t| format!(" for `{t}`"))
        .unwrap_or_default()
}

/// The latest effective date of a parsed report matching `e`.
pub fn latest(e: &Expectation, state: &State) -> Option<DateTime<Utc>> {
    let scanner = e.scanner.trim().to_lowercase();
    state
        .imported
        .values()
        .filter(|i| i.status == "parsed")
        .filter(|i| {
            i.scanner.as_deref().map(str::to_lowercase).as_deref() == Some(scanner.as_str())
                || i.format.as_deref() == Some(scanner.as_str())
        })
        .filter(|i| match &e.target {
            Some(t) => i
                .targets
                .iter()
                .any(|x| x.trim().eq_ignore_ascii_case(t.trim())),
            None => true,
        })
        .filter_map(|i| i.scanned_at)
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collector::scan_reports::state::Imported;

    #[test]
    fn an_expectation_matches_scanner_or_family_and_its_target() {
        let mut state = State::from_previous(None);
        let at = |d: &str| d.parse::<DateTime<Utc>>().unwrap();
        state.record(
            "aa",
            Imported {
                file_name: "r.sarif".into(),
                run_id: "r".into(),
                status: "parsed".into(),
                format: Some("sarif".into()),
                scanner: Some("CodeQL".into()),
                targets: vec!["org/repo".into()],
                scanned_at: Some(at("2026-01-10T00:00:00Z")),
            },
        );
        let e = |scanner: &str, target: Option<&str>| Expectation {
            scanner: scanner.into(),
            target: target.map(Into::into),
            max_age_days: 30,
        };
        let now = at("2026-02-01T00:00:00Z");
        let rules = |e: Expectation| overdue(&[e], &state, now).len();
        assert_eq!(rules(e("codeql", None)), 0);
        assert_eq!(rules(e("SARIF", Some("ORG/repo"))), 0);
        assert_eq!(rules(e("codeql", Some("other"))), 1);
        assert_eq!(rules(e("trivy", None)), 1);
        let late = overdue(&[e("codeql", None)], &state, at("2026-03-01T00:00:00Z"));
        assert_eq!(late.len(), 1);
        assert!(
            late[0].message.contains("50 days ago"),
            "{}",
            late[0].message
        );
    }
}
