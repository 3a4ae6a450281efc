//! Scan report formats: detection from content and the normalized summary every parser yields.
//!
//! Parsers read from a `BufRead` and keep only counts and the critical and high findings, so a
//! large report is never held in memory whole.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// A recognised report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    TrivyJson,
    GrypeJson,
    Sarif,
    ZapXml,
    ZapJson,
    NessusXml,
    ProwlerOcsf,
    TestsslCsv,
    TestsslJson,
    SslyzeJson,
}

/// A scanner's severity, normalized.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ScanSeverity {
    Critical,
    High,
    Medium,
    Low,
    Info,
    Unknown,
}

impl ScanSeverity {
    /// Every severity, most serious first: the columns of counts.
    pub const ALL: [ScanSeverity; 6] = [
        ScanSeverity::Critical,
        ScanSeverity::High,
        ScanSeverity::Medium,
        ScanSeverity::Low,
        ScanSeverity::Info,
        ScanSeverity::Unknown,
    ];
}

/// One critical or high finding, as the summary lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportFinding {
    /// The scanner's identifier: a CVE or GHSA id, a rule or plugin id.
    pub id: String,
    pub severity: ScanSeverity,
    /// What it was found in: a package and version, a URL, a host and port, a file.
    pub location: String,
    /// The scanner's title, if it has one.
    pub title: Option<String>,
}

/// What every parser yields.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub format: Format,
    /// The scanner's name, e.g. `Trivy`.
    pub scanner: String,
    pub scanner_version: Option<String>,
    /// What was scanned: image names, hosts, URLs, repositories.
    pub targets: Vec<String>,
    /// When the scan ran, by the report itself; the evidence's effective date.
    pub scanned_at: Option<DateTime<Utc>>,
    /// Findings by severity; every severity is present, zero or not.
    pub counts: BTreeMap<ScanSeverity, u64>,
    /// The critical and high findings.
    pub findings: Vec<ReportFinding>,
}

/// Why a file could not be read as a report.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("not a recognised scan report format ({0})")]
    UnknownFormat(String),
    #[error("malformed {format:?} report: {reason}")]
    Malformed { format: Format, reason: String },
    #[error("cannot read the report: {0}")]
    Io(#[from] std::io::Error),
}

mod grype;
mod json;
mod nessus;
mod prowler;
mod sarif;
mod sslyze;
mod tally;
mod testssl;
mod trivy;
mod zap;

use std::io::{BufRead, BufReader, Read, Seek};
use std::path::Path;

/// How much of a file detection looks at.
pub const HEAD_BYTES: usize = 64 * 1024;

/// The format of a report from its first bytes (at most [`HEAD_BYTES`]), if recognised.
pub fn detect(head: &[u8]) -> Option<Format> {
    let head = String::from_utf8_lossy(head);
    let head = head.trim_start_matches('\u{feff}').trim_start();
    [
        trivy::detect,
        grype::detect,
        sarif::detect,
        prowler::detect,
        zap::detect,
        nessus::detect,
        testssl::detect,
        sslyze::detect,
    ]
    .iter()
    .find_map(|d| d(head))
}

/// Reads a whole report of a known format.
pub fn parse(format: Format, r: &mut dyn BufRead) -> Result<Summary, ParseError> {
    match format {
        Format::TrivyJson => trivy::parse(format, r),
        Format::GrypeJson => grype::parse(format, r),
        Format::Sarif => sarif::parse(format, r),
        Format::ProwlerOcsf => prowler::parse(format, r),
        Format::ZapXml | Format::ZapJson => zap::parse(format, r),
        Format::NessusXml => nessus::parse(format, r),
        Format::TestsslCsv | Format::TestsslJson => testssl::parse(format, r),
        Format::SslyzeJson => sslyze::parse(format, r),
    }
}

/// Detects the format of the file at `path` and parses it, streaming.
pub fn read(path: &Path) -> Result<Summary, ParseError> {
    let mut file = std::fs::File::open(path)?;
    let mut head = Vec::with_capacity(HEAD_BYTES);
    (&mut file).take(HEAD_BYTES as u64).read_to_end(&mut head)?;
    let format = detect(&head).ok_or_else(|| {
        ParseError::UnknownFormat(
            "expected Trivy, Grype, SARIF 2.1.0, OWASP ZAP, Nessus, Prowler OCSF, testssl.sh or \
             sslyze output"
                .into(),
        )
    })?;
    file.rewind()?;
    parse(format, &mut BufReader::with_capacity(64 * 1024, file))
}
