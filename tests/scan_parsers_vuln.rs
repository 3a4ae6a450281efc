//! The JSON scan report parsers (Trivy, Grype, SARIF, Prowler OCSF) on every fixture file.
//!
//! Expected counts are computed here by walking each file as a `serde_json::Value`, by the rules
//! the parsers document, never copied from the parsers' output.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use evidence_agent::collector::scan_reports::formats::{
    self, Format, ParseError, ScanSeverity, Summary,
};
use serde_json::Value;

use crate::util;

fn fixtures() -> PathBuf {
    util::repo().join("../shared/fixtures/scan-reports")
}

/// Every fixture file of a family folder.
fn family(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures().join(dir))
        .unwrap_or_else(|e| panic!("fixture folder {dir}: {e}"))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {dir}");
    files
}

/// Every fixture file of every family, recursively.
fn all_fixtures() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).expect("read fixtures") {
            let p = e.expect("dir entry").path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x != "md") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&fixtures(), &mut out);
    out.sort();
    out
}

const OURS: [(&str, Format); 4] = [
    ("trivy", Format::TrivyJson),
    ("anchore_grype", Format::GrypeJson),
    ("sarif", Format::Sarif),
    ("prowler", Format::ProwlerOcsf),
];

fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("read fixture");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn load_opt(path: &Path) -> Option<Value> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

fn head(path: &Path) -> Vec<u8> {
    let mut bytes = std::fs::read(path).expect("read fixture");
    bytes.truncate(formats::HEAD_BYTES);
    bytes
}

fn zero() -> BTreeMap<ScanSeverity, u64> {
    use ScanSeverity::*;
    [Critical, High, Medium, Low, Info, Unknown]
        .into_iter()
        .map(|s| (s, 0))
        .collect()
}

fn arr(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or(&[])
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or("").to_ascii_lowercase()
}

fn by_name(name: &str) -> ScanSeverity {
    match name {
        "critical" => ScanSeverity::Critical,
        "high" => ScanSeverity::High,
        "medium" => ScanSeverity::Medium,
        "low" | "negligible" => ScanSeverity::Low,
        "informational" => ScanSeverity::Info,
        _ => ScanSeverity::Unknown,
    }
}

fn expected_trivy(v: &Value) -> BTreeMap<ScanSeverity, u64> {
    let mut counts = zero();
    let results = if v.is_array() { v } else { &v["Results"] };
    for r in arr(results) {
        let vulns = arr(&r["Vulnerabilities"]).iter();
        let misconfs = arr(&r["Misconfigurations"])
            .iter()
            .filter(|m| m["Status"] == "FAIL");
        let secrets = arr(&r["Secrets"]).iter();
        for f in vulns.chain(misconfs).chain(secrets) {
            *counts.get_mut(&by_name(&text(&f["Severity"]))).unwrap() += 1;
        }
    }
    counts
}

fn expected_grype(v: &Value) -> BTreeMap<ScanSeverity, u64> {
    let mut counts = zero();
    for m in arr(&v["matches"]) {
        *counts
            .get_mut(&by_name(&text(&m["vulnerability"]["severity"])))
            .unwrap() += 1;
    }
    counts
}

fn expected_prowler(v: &Value) -> BTreeMap<ScanSeverity, u64> {
    let mut counts = zero();
    for f in arr(v).iter().filter(|f| f["status_code"] == "FAIL") {
        *counts.get_mut(&by_name(&text(&f["severity"]))).unwrap() += 1;
    }
    counts
}

fn score(v: &Value) -> Option<f64> {
    let s = &v["properties"]["security-severity"];
    s.as_f64().or_else(|| s.as_str()?.parse().ok())
}

fn expected_sarif(v: &Value) -> BTreeMap<ScanSeverity, u64> {
    let mut counts = zero();
    for run in arr(&v["runs"]) {
        let rules = arr(&run["tool"]["driver"]["rules"]);
        for r in arr(&run["results"]) {
            if r.get("kind").is_some_and(|k| k != "fail") {
                continue;
            }
            let rule = r["ruleIndex"]
                .as_u64()
                .and_then(|i| rules.get(i as usize))
                .or_else(|| rules.iter().find(|x| x["id"] == r["ruleId"]));
            let sev = match score(r).or_else(|| rule.and_then(score)) {
                Some(s) if s >= 9.0 => ScanSeverity::Critical,
                Some(s) if s >= 7.0 => ScanSeverity::High,
                Some(s) if s >= 4.0 => ScanSeverity::Medium,
                Some(s) if s > 0.0 => ScanSeverity::Low,
                Some(_) => ScanSeverity::Info,
                None => {
                    let level = r["level"]
                        .as_str()
                        .or_else(|| rule?["defaultConfiguration"]["level"].as_str())
                        .unwrap_or("warning");
                    match level {
                        "error" => ScanSeverity::High,
                        "warning" => ScanSeverity::Medium,
                        "note" => ScanSeverity::Low,
                        "none" => ScanSeverity::Info,
                        _ => ScanSeverity::Unknown,
                    }
                }
            };
            *counts.get_mut(&sev).unwrap() += 1;
        }
    }
    counts
}

fn parse_file(path: &Path) -> Summary {
    formats::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The checks every summary must pass: counts as computed here, and the critical/high list.
fn check(path: &Path, format: Format, expected: BTreeMap<ScanSeverity, u64>) -> Summary {
    assert_eq!(
        formats::detect(&head(path)),
        Some(format),
        "detect {}",
        path.display()
    );
    let s = parse_file(path);
    assert_eq!(s.format, format);
    assert_eq!(s.counts, expected, "counts of {}", path.display());
    let serious = expected[&ScanSeverity::Critical] + expected[&ScanSeverity::High];
    assert_eq!(s.findings.len() as u64, serious, "{}", path.display());
    for f in &s.findings {
        assert!(
            matches!(f.severity, ScanSeverity::Critical | ScanSeverity::High),
            "{f:?}"
        );
        assert!(
            !f.id.is_empty(),
            "finding without an id in {}: {f:?}",
            path.display()
        );
        assert!(!f.location.is_empty(), "finding without a location: {f:?}");
    }
    s
}

fn time(s: &str) -> Option<DateTime<Utc>> {
    Some(s.parse().expect("test time"))
}

fn file(dir: &str, name: &str) -> PathBuf {
    fixtures().join(dir).join(name)
}

#[test]
fn trivy_fixtures_count_as_walked() {
    for path in family("trivy") {
        let v = load(&path);
        let s = check(&path, Format::TrivyJson, expected_trivy(&v));
        assert_eq!(s.scanner, "Trivy");
        let expected_targets: Vec<String> = match v["ArtifactName"].as_str() {
            Some(name) => vec![name.to_owned()],
            None => arr(&v)
                .iter()
                .filter_map(|r| r["Target"].as_str().map(str::to_owned))
                .collect(),
        };
        assert_eq!(s.targets, expected_targets, "{}", path.display());
        // None of these reports carries `CreatedAt` or `Trivy.Version`.
        assert_eq!(s.scanned_at, None);
        assert_eq!(s.scanner_version, None);
    }
}

#[test]
fn trivy_misconfigurations_and_secrets_are_findings() {
    let s = parse_file(&file("trivy", "misconfigurations_and_secrets.json"));
    let ids: Vec<&str> = s.findings.iter().map(|f| f.id.as_str()).collect();
    assert!(ids.contains(&"DS002"), "{ids:?}");
    assert!(ids.contains(&"github-pat"), "{ids:?}");
    let pat = s
        .findings
        .iter()
        .find(|f| f.id == "github-pat")
        .expect("secret finding");
    assert_eq!(pat.severity, ScanSeverity::Critical);
    assert!(
        pat.location.ends_with(":24") || pat.location.ends_with(":1"),
        "{pat:?}"
    );
    let vuln = s
        .findings
        .iter()
        .find(|f| f.id == "CVE-2021-33503")
        .expect("vulnerability finding");
    assert_eq!(vuln.location, "urllib3@1.26.3 in requirements.txt");
}

#[test]
fn grype_fixtures_count_as_walked() {
    for path in family("anchore_grype") {
        let v = load(&path);
        let s = check(&path, Format::GrypeJson, expected_grype(&v));
        assert_eq!(s.scanner, "grype");
        assert_eq!(
            s.scanner_version.as_deref(),
            v["descriptor"]["version"].as_str()
        );
        assert_eq!(
            s.targets,
            vec![
                v["source"]["target"]["userInput"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            ]
        );
        let stamp = v["descriptor"]["timestamp"].as_str();
        assert_eq!(s.scanned_at, stamp.and_then(time));
    }
    let s = parse_file(&file("anchore_grype", "many_vulns_with_epss_values.json"));
    assert_eq!(s.scanned_at, time("2025-06-19T11:43:35.523947199Z"));
    let f = s
        .findings
        .iter()
        .find(|f| f.id == "CVE-2022-28391")
        .expect("busybox finding");
    assert_eq!(f.location, "busybox@1.32.1 in busybox:1.32.1");
}

#[test]
fn sarif_fixtures_count_as_walked() {
    for path in family("sarif") {
        let v = load(&path);
        let s = check(&path, Format::Sarif, expected_sarif(&v));
        let names: Vec<&str> = arr(&v["runs"])
            .iter()
            .filter_map(|r| r["tool"]["driver"]["name"].as_str())
            .collect();
        if names.is_empty() {
            assert_eq!(s.scanner, "SARIF");
        } else {
            assert_eq!(s.scanner, names.join(", "));
        }
    }
    let k = parse_file(&file("sarif", "appendix_k.sarif"));
    assert_eq!(k.scanner_version.as_deref(), Some("2.1.0"));
    assert_eq!(k.scanned_at, time("2016-07-16T14:18:25Z"));
    assert_eq!(k.targets, ["https://github.com/example-corp/browser"]);
    let bash = parse_file(&file("sarif", "bash-report.sarif"));
    assert_eq!(bash.scanner_version.as_deref(), Some("1.0.0-scan"));
    assert_eq!(bash.scanned_at, time("2021-03-08T15:39:40Z"));
    assert_eq!(
        bash.targets,
        ["https://github.com/damiencarol/django-DefectDojo"]
    );
    // Grype's SARIF: severities only on the rules, by CVSS score.
    let cxf = parse_file(&file("sarif", "cxf-3.4.6.sarif"));
    assert_eq!(cxf.scanner, "Grype");
    assert_eq!(cxf.scanner_version.as_deref(), Some("0.34.7"));
    assert_eq!(cxf.scanned_at, None);
    assert!(cxf.targets.is_empty());
    assert!(cxf.counts[&ScanSeverity::Critical] > 0);
    let none = parse_file(&file("sarif", "no_runs.sarif"));
    assert_eq!(none.counts, zero());
    assert!(none.findings.is_empty());
}

#[test]
fn prowler_fixtures_count_as_walked() {
    for path in family("prowler") {
        let v = load(&path);
        let s = check(&path, Format::ProwlerOcsf, expected_prowler(&v));
        assert_eq!(s.scanner, "Prowler");
        let latest = arr(&v).iter().filter_map(|f| f["time"].as_i64()).max();
        assert_eq!(
            s.scanned_at,
            latest.and_then(|t| DateTime::from_timestamp(t, 0))
        );
        let version = arr(&v)
            .first()
            .and_then(|f| f["metadata"]["product"]["version"].as_str());
        assert_eq!(s.scanner_version.as_deref(), version);
    }
    let s = parse_file(&file("prowler", "example_output_aws.ocsf.json"));
    assert_eq!(s.targets, ["aws:<account_uid>"]);
    // MANUAL is not a finding: three entries, two failed.
    assert_eq!(s.counts.values().sum::<u64>(), 2);
    let zero_report = parse_file(&file("prowler", "prowler_zero_vul.json"));
    assert!(zero_report.targets.is_empty());
    assert_eq!(zero_report.scanned_at, None);
}

#[test]
fn other_scanners_files_are_not_claimed() {
    for path in all_fixtures() {
        let dir = path
            .strip_prefix(fixtures())
            .expect("under fixtures")
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .expect("family folder")
            .to_owned();
        let detected = formats::detect(&head(&path));
        match OURS.iter().find(|(d, _)| *d == dir) {
            Some((_, format)) => assert_eq!(detected, Some(*format), "{}", path.display()),
            None => assert!(
                !OURS.iter().any(|(_, f)| Some(*f) == detected),
                "{} claimed as {detected:?}",
                path.display()
            ),
        }
    }
}

fn parse_bytes(format: Format, bytes: &[u8]) -> Result<Summary, ParseError> {
    formats::parse(format, &mut &bytes[..])
}

#[test]
fn every_other_file_is_an_error_for_each_json_parser() {
    for path in all_fixtures() {
        let bytes = std::fs::read(&path).expect("read");
        for (dir, format) in OURS {
            if path.starts_with(fixtures().join(dir)) {
                continue;
            }
            // `[]` is also a clean legacy Trivy report: no findings either way.
            if format == Format::TrivyJson && load_opt(&path) == Some(Value::Array(vec![])) {
                let s = parse_bytes(format, &bytes).expect("empty array");
                assert_eq!(s.counts, zero());
                continue;
            }
            let err = parse_bytes(format, &bytes)
                .expect_err(&format!("{} parsed as {format:?}", path.display()));
            assert!(
                matches!(err, ParseError::Malformed { format: f, .. } if f == format),
                "{}: {err}",
                path.display()
            );
        }
    }
}

#[test]
fn empty_and_random_input_are_errors() {
    // A fixed xorshift sequence: random-looking bytes, the same on every run.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let random: Vec<u8> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    for (_, format) in OURS {
        for input in [&b""[..], &b"   \n"[..], &random[..], &b"{}"[..], &b"42"[..]] {
            let err = parse_bytes(format, input).expect_err(&format!("{format:?} {input:?}"));
            let text = err.to_string();
            assert!(text.contains("malformed"), "{format:?}: {text}");
        }
    }
    let err = parse_bytes(Format::TrivyJson, b"").expect_err("empty");
    assert!(err.to_string().contains("truncated"), "{err}");
}

#[test]
fn truncated_reports_are_errors_that_say_where() {
    for (dir, format) in OURS {
        for path in family(dir) {
            let bytes = std::fs::read(&path).expect("read");
            let len = String::from_utf8_lossy(&bytes).trim_end().len();
            for cut in [1, len / 4, len / 2, len * 3 / 4, len - 1] {
                let err = parse_bytes(format, &bytes[..cut])
                    .expect_err(&format!("{} cut at {cut} parsed", path.display()));
                let text = err.to_string();
                assert!(
                    text.contains("line") && text.contains("column"),
                    "{} cut at {cut}: {text}",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn a_truncated_file_read_from_disk_is_malformed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = std::fs::read(file("trivy", "legacy_many_vulns.json")).expect("read");
    let cut = dir.path().join("cut.json");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    match formats::read(&cut) {
        Err(ParseError::Malformed { format, reason }) => {
            assert_eq!(format, Format::TrivyJson);
            assert!(reason.contains("truncated"), "{reason}");
        }
        other => panic!("expected a malformed Trivy report, got {other:?}"),
    }
}
