//! Grype JSON (`grype -o json`).
//!
//! Every entry of `matches` is a finding, by `vulnerability.severity`: `Critical`, `High`,
//! `Medium`, `Low`; `Negligible` is counted as low (Grype's own ranking puts it below low and we
//! have no lower finding severity); `Unknown` and anything else as unknown.
//!
//! Scanner version from `descriptor.version`, time from `descriptor.timestamp`, target from
//! `source.target.userInput` (images) or `source.target` when it is a plain path.

use std::io::BufRead;
use std::marker::PhantomData;

use serde::Deserialize;

use super::json::{Folded, Tally, has_key, parse_time, read_document, severity_name};
use super::{Format, ParseError, ReportFinding, ScanSeverity, Summary};

/// The format of a report whose first bytes are `head`, if it is this module's.
pub(super) fn detect(head: &str) -> Option<Format> {
    let grype = head.starts_with('{')
        && has_key(head, "matches")
        && (has_key(head, "matchDetails") || has_key(head, "descriptor"))
        && !has_key(head, "runs");
    grype.then_some(Format::GrypeJson)
}

/// Reads a whole report of `format` (one this module detected).
pub(super) fn parse(format: Format, r: &mut dyn BufRead) -> Result<Summary, ParseError> {
    let report: Report = read_document(format, r, PhantomData)?;
    let target = report.source.and_then(|s| s.target).and_then(|t| match t {
        Target::Image { user_input } => user_input,
        Target::Path(p) => Some(p),
        Target::Other(_) => None,
    });
    let mut tally = report.matches.0;
    if let Some(t) = target.as_deref().filter(|t| !t.is_empty()) {
        for f in &mut tally.findings {
            f.location = format!("{} in {t}", f.location);
        }
    }
    let descriptor = report.descriptor.unwrap_or_default();
    Ok(Summary {
        format,
        scanner: descriptor
            .name
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| "grype".into()),
        scanner_version: descriptor.version,
        targets: target.into_iter().filter(|t| !t.is_empty()).collect(),
        scanned_at: descriptor.timestamp.as_deref().and_then(parse_time),
        counts: tally.counts,
        findings: tally.findings,
    })
}

#[derive(Deserialize)]
struct Report {
    /// Required (`[]` when clean): what marks a Grype report.
    matches: Folded<Tally, Match>,
    source: Option<Source>,
    descriptor: Option<Descriptor>,
}

#[derive(Deserialize)]
struct Source {
    target: Option<Target>,
}

/// `source.target`: an object for images, a string for directories and files.
#[derive(Deserialize)]
#[serde(untagged)]
enum Target {
    Image {
        #[serde(rename = "userInput")]
        user_input: Option<String>,
    },
    Path(String),
    Other(serde::de::IgnoredAny),
}

#[derive(Deserialize, Default)]
struct Descriptor {
    name: Option<String>,
    version: Option<String>,
    timestamp: Option<String>,
}

#[derive(Deserialize)]
struct Match {
    vulnerability: Option<Vulnerability>,
    artifact: Option<Artifact>,
}

#[derive(Deserialize)]
struct Vulnerability {
    id: Option<String>,
    severity: Option<String>,
    description: Option<String>,
}

#[derive(Deserialize)]
struct Artifact {
    name: Option<String>,
    version: Option<String>,
}

impl super::json::Fold<Match> for Tally {
    fn add(&mut self, m: Match) {
        let (id, sev, description) = match m.vulnerability {
            Some(v) => (v.id, severity_name(v.severity.as_deref()), v.description),
            None => (None, ScanSeverity::Unknown, None),
        };
        self.count(sev, || {
            let (name, version) = m.artifact.map(|a| (a.name, a.version)).unwrap_or_default();
            ReportFinding {
                id: id.unwrap_or_default(),
                severity: sev,
                location: format!(
                    "{}@{}",
                    name.as_deref().unwrap_or("?"),
                    version.as_deref().unwrap_or("?")
                ),
                title: description.as_deref().and_then(super::json::title),
            }
        });
    }
}
