//! `[scan_reports]`: where the `scan-reports` collector picks reports up, and how often each
//! scanner is expected to produce one.

use std::path::PathBuf;

use serde::Deserialize;

/// `[scan_reports]`, read by the `scan-reports` collector.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanReportSettings {
    /// Folders whose files are imported (relative to the config file's folder).
    #[serde(default)]
    pub directories: Vec<PathBuf>,
    /// Single report files imported (relative to the config file's folder).
    #[serde(default)]
    pub files: Vec<PathBuf>,
    /// Also import the files of sub-folders of `directories` (symlinked folders are not followed).
    #[serde(default = "default_true")]
    pub recursive: bool,
    /// A file modified less than this many seconds ago is left for the next run: its scanner
    /// may still be writing it.
    #[serde(default = "default_settle_secs")]
    pub settle_secs: u64,
    /// A larger file is recorded as too large and not imported.
    #[serde(default = "default_max_file_bytes")]
    pub max_file_bytes: u64,
    /// `[[scan_reports.expect]]`: scanners expected to report at a cadence; a gap is a finding.
    #[serde(default)]
    pub expect: Vec<Expectation>,
}

/// `[[scan_reports.expect]]`: one scanner (and optionally one target) expected to produce a
/// report at least every `max_age_days`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// The scanner's name as its reports give it (`Trivy`, `CodeQL`) or the format family
    /// (`trivy`, `grype`, `sarif`, `zap`, `nessus`, `prowler`, `testssl`, `sslyze`); any case.
    pub scanner: String,
    /// Only reports naming this target (image, host, URL, repository; any case) count.
    #[serde(default)]
    pub target: Option<String>,
    /// The latest matching report must have been scanned at most this many days ago.
    pub max_age_days: u32,
}

fn default_true() -> bool {
    true
}
fn default_settle_secs() -> u64 {
    60
}
fn default_max_file_bytes() -> u64 {
    2 * 1024 * 1024 * 1024
}

impl Default for ScanReportSettings {
    fn default() -> Self {
        ScanReportSettings {
            directories: Vec::new(),
            files: Vec::new(),
            recursive: true,
            settle_secs: default_settle_secs(),
            max_file_bytes: default_max_file_bytes(),
            expect: Vec::new(),
        }
    }
}

impl ScanReportSettings {
    /// Problems as (key relative to `[scan_reports]`, message), all at once.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if self.directories.is_empty() && self.files.is_empty() {
            out.push((
                "directories".into(),
                "nothing to import; name the `directories` scanners drop reports into, or \
                 the report `files`"
                    .into(),
            ));
        }
        for (key, paths) in [("directories", &self.directories), ("files", &self.files)] {
            for (i, p) in paths.iter().enumerate() {
                if p.as_os_str().is_empty() {
                    out.push((format!("{key}[{i}]"), "is empty; name a path".into()));
                }
            }
        }
        if self.settle_secs > 86_400 {
            out.push((
                "settle_secs".into(),
                format!("must be from 0 to 86400, got {}", self.settle_secs),
            ));
        }
        if self.max_file_bytes == 0 {
            out.push(("max_file_bytes".into(), "must be at least 1, got 0".into()));
        }
        for (i, e) in self.expect.iter().enumerate() {
            if e.scanner.trim().is_empty() {
                out.push((
                    format!("expect[{i}].scanner"),
                    "is empty; name the scanner, e.g. `trivy`".into(),
                ));
            }
            if !(1..=3650).contains(&e.max_age_days) {
                out.push((
                    format!("expect[{i}].max_age_days"),
                    format!("must be from 1 to 3650, got {}", e.max_age_days),
                ));
            }
            if self.expect[..i].iter().any(|o| o.key() == e.key()) {
                out.push((
                    format!("expect[{i}]"),
                    format!("`{}` is expected twice; keep one", e.key()),
                ));
            }
        }
        out
    }
}

impl Expectation {
    /// `scanner` or `scanner@target`, lowercase: how the expectation is named in findings and
    /// in the state's latest scan times.
    pub fn key(&self) -> String {
        key(&self.scanner, self.target.as_deref())
    }
}

/// `scanner` or `scanner@target`, lowercase.
pub fn key(scanner: &str, target: Option<&str>) -> String {
    match target {
        Some(t) => format!("{}@{}", scanner.trim(), t.trim()).to_lowercase(),
        None => scanner.trim().to_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_are_reported_together() {
        let e = |scanner: &str, days| Expectation {
            scanner: scanner.into(),
            target: None,
            max_age_days: days,
        };
        let s = ScanReportSettings {
            directories: vec![PathBuf::new()],
            settle_secs: 90_000,
            max_file_bytes: 0,
            expect: vec![e("trivy", 31), e(" ", 0), e("Trivy", 7)],
            ..Default::default()
        };
        let keys: Vec<String> = s.problems().into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            [
                "directories[0]",
                "settle_secs",
                "max_file_bytes",
                "expect[1].scanner",
                "expect[1].max_age_days",
                "expect[2]"
            ]
        );
        let ok = ScanReportSettings {
            files: vec!["a.json".into()],
            ..Default::default()
        };
        assert!(ok.problems().is_empty());
        assert_eq!(ScanReportSettings::default().problems().len(), 1);
    }
}
