//! Trivy JSON: schema 2 (`SchemaVersion: 2`) and the legacy top-level array.
//!
//! Findings counted, each by its `Severity` (`CRITICAL`, `HIGH`, `MEDIUM`, `LOW`, `UNKNOWN`;
//! anything else is unknown):
//! - every entry of `Results[].Vulnerabilities`;
//! - entries of `Results[].Misconfigurations` whose `Status` is `FAIL` (passed and exception
//!   checks are not findings);
//! - every entry of `Results[].Secrets`: an exposed secret is a finding like a vulnerability.
//!
//! Scanner version from `Trivy.Version` (newer Trivy), time from `CreatedAt` (newer Trivy; absent
//! before 0.48 and in the legacy array), targets from `ArtifactName`, else each result's `Target`.

use std::io::BufRead;

use serde::Deserialize;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::json::{
    Fold, Folded, Tally, Targets, has_key, parse_time, read_document, severity_name, title,
};
use super::{Format, ParseError, ReportFinding, Summary};

/// The format of a report whose first bytes are `head`, if it is this module's.
pub(super) fn detect(head: &str) -> Option<Format> {
    let schema_2 = head.starts_with('{')
        && has_key(head, "SchemaVersion")
        && (has_key(head, "ArtifactName") || has_key(head, "Results"));
    // The legacy array: objects with a `Target` and their `Vulnerabilities`.
    let legacy = head.starts_with('[')
        && head[1..].trim_start().starts_with('{')
        && has_key(head, "Target")
        && (has_key(head, "Vulnerabilities") || has_key(head, "Type"))
        && !has_key(head, "status_code");
    (schema_2 || legacy).then_some(Format::TrivyJson)
}

/// Reads a whole report of `format` (one this module detected).
pub(super) fn parse(format: Format, r: &mut dyn BufRead) -> Result<Summary, ParseError> {
    let report = read_document(format, r, ReportSeed)?;
    let mut targets = Targets::default();
    match &report.artifact_name {
        Some(name) if !name.trim().is_empty() => targets.add(name),
        _ => report
            .results
            .targets
            .into_vec()
            .iter()
            .for_each(|t| targets.add(t)),
    }
    Ok(Summary {
        format,
        scanner: "Trivy".into(),
        scanner_version: report.version,
        targets: targets.into_vec(),
        scanned_at: report.created_at.as_deref().and_then(parse_time),
        counts: report.results.tally.counts,
        findings: report.results.tally.findings,
    })
}

/// The report, either shape.
#[derive(Default)]
struct Report {
    artifact_name: Option<String>,
    version: Option<String>,
    created_at: Option<String>,
    results: Results,
}

/// Schema 2's top-level object; `Results` is folded as it is read.
#[derive(Deserialize)]
struct Schema2 {
    /// Required: it is what marks a Trivy report, and its absence a file of another kind.
    #[serde(rename = "SchemaVersion")]
    _schema_version: serde::de::IgnoredAny,
    #[serde(rename = "ArtifactName")]
    artifact_name: Option<String>,
    #[serde(rename = "CreatedAt")]
    created_at: Option<String>,
    #[serde(rename = "Trivy")]
    trivy: Option<TrivyInfo>,
    #[serde(rename = "Results", default)]
    results: Option<Folded<Results, TrivyResult>>,
}

#[derive(Deserialize)]
struct TrivyInfo {
    #[serde(rename = "Version")]
    version: Option<String>,
}

/// Picks the shape from the first token: an object is schema 2, an array the legacy output.
struct ReportSeed;

impl<'de> DeserializeSeed<'de> for ReportSeed {
    type Value = Report;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Report, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ReportSeed {
    type Value = Report;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a Trivy report (an object with `Results`, or the legacy array)")
    }

    fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Report, M::Error> {
        let r = Schema2::deserialize(MapAccessDeserializer::new(map))?;
        Ok(Report {
            artifact_name: r.artifact_name,
            version: r.trivy.and_then(|t| t.version),
            created_at: r.created_at,
            results: r.results.map(|f| f.0).unwrap_or_default(),
        })
    }

    fn visit_seq<S: SeqAccess<'de>>(self, seq: S) -> Result<Report, S::Error> {
        let results: Folded<Results, TrivyResult> =
            Deserialize::deserialize(SeqAccessDeserializer::new(seq))?;
        Ok(Report {
            results: results.0,
            ..Report::default()
        })
    }

    fn visit_unit<E: de::Error>(self) -> Result<Report, E> {
        // `trivy --format json` on a clean legacy scan printed `null`.
        Ok(Report::default())
    }
}

/// All results folded together.
#[derive(Default)]
struct Results {
    tally: Tally,
    targets: Targets,
}

impl Fold<TrivyResult> for Results {
    fn add(&mut self, mut r: TrivyResult) {
        let target = r.target;
        if !target.is_empty() {
            // Entries come back as `pkg@version`, `:line` or nothing, for want of the target.
            for f in &mut r.tally.findings {
                f.location = if f.location.is_empty() {
                    target.clone()
                } else if f.location.starts_with(':') {
                    format!("{target}{}", f.location)
                } else {
                    format!("{} in {target}", f.location)
                };
            }
            self.targets.add(&target);
        }
        self.tally.merge(r.tally);
    }
}

/// One entry of `Results`, its lists already folded into one tally.
struct TrivyResult {
    target: String,
    tally: Tally,
}

impl<'de> Deserialize<'de> for TrivyResult {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            /// Required: every Trivy result has one, and other arrays of objects do not.
            #[serde(rename = "Target")]
            target: String,
            #[serde(rename = "Vulnerabilities", default)]
            vulnerabilities: Option<Folded<Tally, Vulnerability>>,
            #[serde(rename = "Misconfigurations", default)]
            misconfigurations: Option<Folded<Tally, Misconfiguration>>,
            #[serde(rename = "Secrets", default)]
            secrets: Option<Folded<Tally, Secret>>,
        }
        let raw = Raw::deserialize(d)?;
        let mut tally = Tally::default();
        for t in [
            raw.vulnerabilities.map(|f| f.0),
            raw.misconfigurations.map(|f| f.0),
            raw.secrets.map(|f| f.0),
        ]
        .into_iter()
        .flatten()
        {
            tally.merge(t);
        }
        Ok(TrivyResult {
            target: raw.target,
            tally,
        })
    }
}

#[derive(Deserialize)]
struct Vulnerability {
    #[serde(rename = "VulnerabilityID")]
    id: Option<String>,
    #[serde(rename = "PkgName")]
    pkg_name: Option<String>,
    #[serde(rename = "InstalledVersion")]
    installed_version: Option<String>,
    #[serde(rename = "Severity")]
    severity: Option<String>,
    #[serde(rename = "Title")]
    title: Option<String>,
}

impl Fold<Vulnerability> for Tally {
    fn add(&mut self, v: Vulnerability) {
        let sev = severity_name(v.severity.as_deref());
        self.count(sev, || ReportFinding {
            id: v.id.unwrap_or_default(),
            severity: sev,
            location: format!(
                "{}@{}",
                v.pkg_name.as_deref().unwrap_or("?"),
                v.installed_version.as_deref().unwrap_or("?")
            ),
            title: v.title.as_deref().and_then(title),
        });
    }
}

#[derive(Deserialize)]
struct Misconfiguration {
    #[serde(rename = "ID")]
    id: Option<String>,
    #[serde(rename = "Status")]
    status: Option<String>,
    #[serde(rename = "Severity")]
    severity: Option<String>,
    #[serde(rename = "Title")]
    title: Option<String>,
    #[serde(rename = "CauseMetadata")]
    cause: Option<Cause>,
}

#[derive(Deserialize)]
struct Cause {
    #[serde(rename = "StartLine")]
    start_line: Option<u64>,
}

impl Fold<Misconfiguration> for Tally {
    fn add(&mut self, m: Misconfiguration) {
        if !m
            .status
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("FAIL"))
        {
            return;
        }
        let line = m.cause.and_then(|c| c.start_line);
        let sev = severity_name(m.severity.as_deref());
        self.count(sev, || ReportFinding {
            id: m.id.unwrap_or_default(),
            severity: sev,
            location: line.map(|l| format!(":{l}")).unwrap_or_default(),
            title: m.title.as_deref().and_then(title),
        });
    }
}

#[derive(Deserialize)]
struct Secret {
    #[serde(rename = "RuleID")]
    rule_id: Option<String>,
    #[serde(rename = "Severity")]
    severity: Option<String>,
    #[serde(rename = "Title")]
    title: Option<String>,
    #[serde(rename = "StartLine")]
    start_line: Option<u64>,
}

impl Fold<Secret> for Tally {
    fn add(&mut self, s: Secret) {
        let sev = severity_name(s.severity.as_deref());
        self.count(sev, || ReportFinding {
            id: s.rule_id.unwrap_or_default(),
            severity: sev,
            location: s.start_line.map(|l| format!(":{l}")).unwrap_or_default(),
            title: s.title.as_deref().and_then(title),
        });
    }
}
