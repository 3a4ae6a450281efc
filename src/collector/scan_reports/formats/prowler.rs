//! Prowler OCSF JSON (`prowler --output-formats json-ocsf`): a top-level array of Detection
//! Findings.
//!
//! Only failed checks are findings: entries whose `status_code` is `FAIL`; `PASS` and `MANUAL`
//! are not counted. Severity from `severity`: `Critical`, `High`, `Medium`, `Low`,
//! `Informational` (info); anything else is unknown.
//!
//! Scanner version from `metadata.product.version`; targets are the cloud accounts
//! (`cloud.account.uid`, as `provider:uid`); the scan's time is the latest finding `time` (Unix
//! seconds). An empty array (`[]`) is taken as a Prowler report with no findings.

use std::io::BufRead;
use std::marker::PhantomData;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::json::{Fold, Folded, Tally, Targets, has_key, read_document, severity_name, title};
use super::{Format, ParseError, ReportFinding, Summary};

/// The format of a report whose first bytes are `head`, if it is this module's.
pub(super) fn detect(head: &str) -> Option<Format> {
    let rest = head.strip_prefix('[')?.trim_start();
    let empty = rest.starts_with(']');
    let ocsf = rest.starts_with('{')
        && has_key(head, "status_code")
        && (has_key(head, "class_uid") || has_key(head, "finding_info"));
    (empty || ocsf).then_some(Format::ProwlerOcsf)
}

/// Reads a whole report of `format` (one this module detected).
pub(super) fn parse(format: Format, r: &mut dyn BufRead) -> Result<Summary, ParseError> {
    let report: Folded<Report, Finding> = read_document(format, r, PhantomData)?;
    let report = report.0;
    Ok(Summary {
        format,
        scanner: "Prowler".into(),
        scanner_version: report.version,
        targets: report.targets.into_vec(),
        scanned_at: report.latest,
        counts: report.tally.counts,
        findings: report.tally.findings,
    })
}

/// The findings folded together.
#[derive(Default)]
struct Report {
    tally: Tally,
    version: Option<String>,
    targets: Targets,
    /// The latest finding time: the scan's end.
    latest: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct Finding {
    /// Required: Prowler writes it on every finding, and other arrays of objects lack it.
    status_code: String,
    severity: Option<String>,
    time: Option<i64>,
    metadata: Option<Metadata>,
    finding_info: Option<FindingInfo>,
    cloud: Option<Cloud>,
    #[serde(default)]
    resources: Option<Vec<Resource>>,
}

#[derive(Deserialize)]
struct Metadata {
    event_code: Option<String>,
    product: Option<Product>,
}

#[derive(Deserialize)]
struct Product {
    version: Option<String>,
}

#[derive(Deserialize)]
struct FindingInfo {
    title: Option<String>,
}

#[derive(Deserialize)]
struct Cloud {
    provider: Option<String>,
    account: Option<Account>,
}

#[derive(Deserialize)]
struct Account {
    uid: Option<String>,
}

#[derive(Deserialize)]
struct Resource {
    uid: Option<String>,
}

impl Fold<Finding> for Report {
    fn add(&mut self, f: Finding) {
        let (check, version) = match f.metadata {
            Some(m) => (m.event_code, m.product.and_then(|p| p.version)),
            None => (None, None),
        };
        if self.version.is_none() {
            self.version = version;
        }
        let time = f.time.and_then(|t| DateTime::from_timestamp(t, 0));
        self.latest = self.latest.max(time);
        let account = f.cloud.and_then(|c| {
            let uid = c.account.and_then(|a| a.uid)?;
            Some(match c.provider {
                Some(p) if !p.is_empty() => format!("{p}:{uid}"),
                _ => uid,
            })
        });
        if let Some(a) = &account {
            self.targets.add(a);
        }
        if !f.status_code.eq_ignore_ascii_case("FAIL") {
            return;
        }
        let sev = severity_name(f.severity.as_deref());
        self.tally.count(sev, || {
            let resource = f
                .resources
                .into_iter()
                .flatten()
                .find_map(|r| r.uid.filter(|u| !u.is_empty()));
            ReportFinding {
                id: check.unwrap_or_default(),
                severity: sev,
                location: resource.or(account).unwrap_or_default(),
                title: f
                    .finding_info
                    .and_then(|i| i.title)
                    .as_deref()
                    .and_then(title),
            }
        });
    }
}
