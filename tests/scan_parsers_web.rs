//! The ZAP, Nessus, testssl.sh and sslyze parsers against real scanner output, counted
//! independently by python3's xml.etree, csv and json; reports the tests build for the formats
//! without fixtures; truncated, wrong and random input.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use evidence_agent::collector::scan_reports::formats::{
    self, Format, ParseError, ScanSeverity, Summary,
};
use serde_json::Value;

fn fixtures() -> PathBuf {
    crate::util::repo().join("../shared/fixtures/scan-reports")
}

/// python3 counting a report its own way: prints {"counts": {...}, "high": n} as JSON.
const INDEPENDENT: &str = r#"
import csv, json, sys, datetime
import xml.etree.ElementTree as ET
kind, path = sys.argv[1], sys.argv[2]
counts = {k: 0 for k in ["critical", "high", "medium", "low", "info", "unknown"]}
def add(sev):
    counts[sev] += 1
if kind == "zap":
    for a in ET.parse(path).getroot().iter("alertitem"):
        add({"3": "high", "2": "medium", "1": "low", "0": "info"}.get((a.findtext("riskcode") or "").strip(), "unknown"))
elif kind == "nessus":
    for i in ET.parse(path).getroot().iter("ReportItem"):
        add({"4": "critical", "3": "high", "2": "medium", "1": "low", "0": "info"}.get(i.get("severity"), "unknown"))
elif kind == "testssl":
    for row in csv.DictReader(open(path, newline="")):
        s = row["severity"].strip().upper()
        if s in ("OK", "DEBUG"):
            continue
        add(s.lower() if s in ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO") else "unknown")
elif kind == "sslyze":
    d = json.load(open(path))
    start = datetime.datetime.fromisoformat(d["date_scans_started"])
    for srv in d["server_scan_results"]:
        r = srv["scan_result"]
        def res(name):
            c = r.get(name) or {}
            return c.get("result") or {}
        if res("heartbleed").get("is_vulnerable_to_heartbleed"): add("critical")
        if res("openssl_ccs_injection").get("is_vulnerable_to_ccs_injection"): add("high")
        robot = res("robot").get("robot_result")
        if robot == "VULNERABLE_STRONG_ORACLE": add("high")
        if robot == "VULNERABLE_WEAK_ORACLE": add("medium")
        for name, sev in [("ssl_2_0", "high"), ("ssl_3_0", "high"), ("tls_1_0", "medium"), ("tls_1_1", "medium"), ("tls_1_2", None), ("tls_1_3", None)]:
            s = res(name + "_cipher_suites")
            if not s: continue
            if sev and s.get("is_tls_version_supported"): add(sev)
            weak = [a for a in s["accepted_cipher_suites"] if a["cipher_suite"]["is_anonymous"] or any(w in a["cipher_suite"]["name"].upper() for w in ("_NULL_", "_EXPORT", "_RC4_", "_ANON_")) or a["cipher_suite"]["name"].upper().endswith("_NULL")]
            if weak: add("high")
        reneg = res("session_renegotiation")
        if reneg.get("supports_secure_renegotiation") is False: add("medium")
        if reneg.get("is_vulnerable_to_client_renegotiation_dos"): add("medium")
        if res("tls_compression").get("supports_compression"): add("medium")
        if res("tls_fallback_scsv").get("supports_fallback_scsv") is False: add("low")
        for dep in res("certificate_info").get("certificate_deployments", []):
            if any(p["verified_certificate_chain"] is None for p in dep["path_validation_results"]): add("high")
            if dep["leaf_certificate_subject_matches_hostname"] is False: add("high")
            if datetime.datetime.fromisoformat(dep["received_certificate_chain"][0]["not_valid_after"]) < start: add("high")
            if dep["verified_chain_has_sha1_signature"]: add("medium")
        for c in r.values():
            if c.get("status") == "ERROR": add("unknown")
print(json.dumps({"counts": counts, "high": counts["critical"] + counts["high"]}))
"#;

fn independent(kind: &str, path: &Path) -> Value {
    let out = Command::new("python3")
        .args(["-c", INDEPENDENT, kind])
        .arg(path)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "python3: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("python3 prints JSON")
}

fn head(path: &Path) -> Vec<u8> {
    let mut bytes = std::fs::read(path).expect("read fixture");
    bytes.truncate(formats::HEAD_BYTES);
    bytes
}

/// Detects and parses `path`, checks the format and the counts against python3's.
fn check(kind: &str, path: &Path, format: Format) -> Summary {
    assert_eq!(
        formats::detect(&head(path)),
        Some(format),
        "{}",
        path.display()
    );
    let summary = formats::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(summary.format, format);
    let expected = independent(kind, path);
    for (name, severity) in [
        ("critical", ScanSeverity::Critical),
        ("high", ScanSeverity::High),
        ("medium", ScanSeverity::Medium),
        ("low", ScanSeverity::Low),
        ("info", ScanSeverity::Info),
        ("unknown", ScanSeverity::Unknown),
    ] {
        assert_eq!(
            Some(summary.counts[&severity]),
            expected["counts"][name].as_u64(),
            "{name} in {}",
            path.display()
        );
    }
    assert_eq!(
        Some(summary.findings.len() as u64),
        expected["high"].as_u64()
    );
    summary
}

fn time(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    Some(text.parse().expect("test time"))
}

#[test]
fn zap_xml_fixtures_counted_as_python_counts_them() {
    let s = check(
        "zap",
        &fixtures().join("zap/zap_2.16.1_with_req_resp.xml"),
        Format::ZapXml,
    );
    assert_eq!(s.scanner, "OWASP ZAP");
    assert_eq!(s.scanner_version.as_deref(), Some("2.16.1"));
    assert_eq!(s.targets, ["https://example-domain.com"]);
    assert_eq!(s.scanned_at, time("2025-06-22T04:04:14Z"));
    assert_eq!(s.counts[&ScanSeverity::Info], 4);

    let s = check(
        "zap",
        &fixtures().join("zap/empty_2.9.0.xml"),
        Format::ZapXml,
    );
    assert_eq!(s.scanner_version.as_deref(), Some("2.9.0"));
    assert_eq!(s.targets, ["https://isaac.nl"]);
    assert_eq!(s.scanned_at, time("2020-05-12T20:59:12Z"));
    assert!(s.counts.values().all(|&n| n == 0));
}

#[test]
fn nessus_fixture_counted_as_python_counts_it() {
    let s = check(
        "nessus",
        &fixtures().join("tenable/nessus/nessus_many_vuln.xml"),
        Format::NessusXml,
    );
    assert_eq!(s.scanner, "Nessus");
    assert_eq!(s.scanner_version.as_deref(), Some("5.2.1"));
    assert_eq!(s.targets, ["preprod.boardvantage.net"]);
    assert_eq!(s.scanned_at, time("2013-06-25T10:32:42Z"));
}

#[test]
fn testssl_csv_fixtures_counted_as_python_counts_them() {
    let s = check(
        "testssl",
        &fixtures().join("testssl/demo.csv"),
        Format::TestsslCsv,
    );
    assert_eq!(s.scanner, "testssl.sh");
    assert_eq!(s.targets, ["demo.defectdojo.org/104.131.110.75:443"]);
    assert_eq!(s.scanned_at, None);
    assert_eq!(s.counts[&ScanSeverity::Info], 12);

    let s = check(
        "testssl",
        &fixtures().join("testssl/overall_critical.csv"),
        Format::TestsslCsv,
    );
    assert_eq!(s.counts[&ScanSeverity::Critical], 12);
    let a_null = s
        .findings
        .iter()
        .find(|f| f.id == "cipherlist_aNULL")
        .expect("aNULL finding");
    assert_eq!(a_null.location, "www.test.com/127.0.0.1:443");
    assert_eq!(a_null.title.as_deref(), Some("offered"));
}

#[test]
fn sslyze_fixtures_counted_from_the_mapping_inputs() {
    let s = check(
        "sslyze",
        &fixtures().join("sslyze/one_target_many_vuln_new.json"),
        Format::SslyzeJson,
    );
    assert_eq!(s.scanner, "sslyze");
    assert_eq!(s.scanner_version.as_deref(), Some("5.0.1"));
    assert_eq!(s.targets, ["example.com:443"]);
    assert_eq!(s.scanned_at, time("2022-01-17T16:45:07.847329Z"));
    // TLS 1.0 and 1.1 accepted.
    assert!(s.counts[&ScanSeverity::Medium] >= 2);

    let s = check(
        "sslyze",
        &fixtures().join("sslyze/one_target_zero_vuln_new.json"),
        Format::SslyzeJson,
    );
    assert_eq!(s.scanner_version.as_deref(), Some("5.0.2"));
    assert_eq!(s.counts[&ScanSeverity::Medium], 0);
}

/// The real report with its facts turned bad: each mapped fact yields its finding.
#[test]
fn sslyze_vulnerable_facts_become_findings() {
    // python3, as serde_json's Value cannot hold the report's RSA moduli (JSON numbers).
    const MUTATE: &str = r#"
import json, sys
d = json.load(open(sys.argv[1]))
r = d["server_scan_results"][0]["scan_result"]
r["heartbleed"]["result"]["is_vulnerable_to_heartbleed"] = True
r["robot"]["result"]["robot_result"] = "VULNERABLE_STRONG_ORACLE"
r["ssl_3_0_cipher_suites"]["result"]["is_tls_version_supported"] = True
r["session_renegotiation"]["result"]["supports_secure_renegotiation"] = False
r["tls_compression"] = {"status": "ERROR", "result": None}
dep = r["certificate_info"]["result"]["certificate_deployments"][0]
dep["leaf_certificate_subject_matches_hostname"] = False
dep["received_certificate_chain"][0]["not_valid_after"] = "2021-01-01T00:00:00"
dep["path_validation_results"][1]["verified_certificate_chain"] = None
json.dump(d, open(sys.argv[2], "w"))
"#;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sslyze.json");
    let status = Command::new("python3")
        .args(["-c", MUTATE])
        .arg(fixtures().join("sslyze/one_target_many_vuln_new.json"))
        .arg(&path)
        .status()
        .expect("python3 runs");
    assert!(status.success());
    let s = check("sslyze", &path, Format::SslyzeJson);
    let ids: Vec<&str> = s.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "heartbleed",
            "robot",
            "ssl_3_0_accepted",
            "certificate_untrusted",
            "certificate_hostname_mismatch",
            "certificate_expired"
        ]
    );
    assert!(s.findings.iter().all(|f| f.location == "example.com:443"));
    assert_eq!(
        s.findings[3].title.as_deref(),
        Some("The certificate chain is not trusted by Apple")
    );
    assert_eq!(s.counts[&ScanSeverity::Unknown], 1);
}

/// Every other scanner's fixture is left to its own parser.
#[test]
fn other_scanners_fixtures_are_not_claimed() {
    let ours = [
        Format::ZapXml,
        Format::ZapJson,
        Format::NessusXml,
        Format::TestsslCsv,
        Format::TestsslJson,
        Format::SslyzeJson,
    ];
    let mut checked = 0;
    for dir in ["anchore_grype", "prowler", "sarif", "trivy"] {
        for entry in std::fs::read_dir(fixtures().join(dir)).expect("fixture dir") {
            let path = entry.expect("entry").path();
            let detected = formats::detect(&head(&path));
            assert!(
                !detected.is_some_and(|f| ours.contains(&f)),
                "{} taken as {detected:?}",
                path.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 10);
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write report");
    path
}

#[test]
fn zap_json_report_built_from_the_documented_template() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(
        dir.path(),
        "zap.json",
        r#"{
  "@programName": "ZAP", "@version": "2.14.0", "@generated": "Thu, 20 Jul 2023 09:32:06",
  "site": [
    {"@name": "https://a.example", "@host": "a.example", "@port": "443", "@ssl": "true",
     "alerts": [
       {"pluginid": "40012", "alertRef": "40012", "alert": "Cross Site Scripting (Reflected)",
        "name": "Cross Site Scripting (Reflected)", "riskcode": "3", "confidence": "2",
        "instances": [{"uri": "https://a.example/q?x=1", "method": "GET"},
                      {"uri": "https://a.example/q?x=2", "method": "GET"}], "count": "2"},
       {"pluginid": "10038", "alertRef": "10038-1", "name": "CSP Header Not Set", "riskcode": "2",
        "instances": [{"uri": "https://a.example/"}], "count": "1"},
       {"pluginid": "10021", "name": "X-Content-Type-Options Missing", "riskcode": "1", "instances": []}
     ]},
    {"@name": "https://b.example", "alerts": [
       {"pluginid": "10096", "name": "Timestamp Disclosure", "riskcode": 0, "instances": []},
       {"pluginid": "1", "name": "Odd", "riskcode": "7", "instances": []}]}
  ]
}"#,
    );
    assert_eq!(formats::detect(&head(&path)), Some(Format::ZapJson));
    let s = formats::read(&path).expect("parse");
    assert_eq!(s.scanner_version.as_deref(), Some("2.14.0"));
    assert_eq!(s.targets, ["https://a.example", "https://b.example"]);
    assert_eq!(s.scanned_at, time("2023-07-20T09:32:06Z"));
    let counts: Vec<u64> = s.counts.values().copied().collect();
    assert_eq!(counts, [0, 1, 1, 1, 1, 1]);
    assert_eq!(s.findings.len(), 1);
    assert_eq!(s.findings[0].id, "40012");
    assert_eq!(
        s.findings[0].location,
        "https://a.example/q?x=1 (and 1 more)"
    );
    assert_eq!(
        s.findings[0].title.as_deref(),
        Some("Cross Site Scripting (Reflected)")
    );
}

#[test]
fn testssl_flat_and_pretty_json_built_from_the_documented_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let flat = write(
        dir.path(),
        "flat.json",
        r#"[
  {"id": "engine_problem", "severity": "WARN", "finding": "No engine or GOST support"},
  {"id": "service", "ip": "a.example/192.0.2.1", "port": "443", "severity": "INFO", "finding": "HTTP"},
  {"id": "SSLv3", "ip": "a.example/192.0.2.1", "port": "443", "severity": "HIGH", "finding": "offered"},
  {"id": "heartbleed", "ip": "a.example/192.0.2.1", "port": "443", "severity": "CRITICAL", "cve": "CVE-2014-0160", "cwe": "CWE-119", "finding": "VULNERABLE"},
  {"id": "TLS1_2", "ip": "b.example/192.0.2.2", "port": "8443", "severity": "OK", "finding": "offered"},
  {"id": "x", "ip": "b.example/192.0.2.2", "port": "8443", "severity": "DEBUG", "finding": "-"},
  {"id": "BEAST", "ip": "b.example/192.0.2.2", "port": "8443", "severity": "LOW", "finding": "CBC"}
]"#,
    );
    assert_eq!(formats::detect(&head(&flat)), Some(Format::TestsslJson));
    let s = formats::read(&flat).expect("flat");
    assert_eq!(
        s.targets,
        ["a.example/192.0.2.1:443", "b.example/192.0.2.2:8443"]
    );
    assert_eq!((s.scanner_version.clone(), s.scanned_at), (None, None));
    let counts: Vec<u64> = s.counts.values().copied().collect();
    assert_eq!(counts, [1, 1, 0, 1, 1, 1]);
    assert_eq!(s.findings[0].id, "SSLv3");
    assert_eq!(s.findings[1].id, "heartbleed CVE-2014-0160");
    assert_eq!(s.findings[1].location, "a.example/192.0.2.1:443");

    let pretty = write(
        dir.path(),
        "pretty.json",
        r#"{
  "Invocation": "testssl.sh --jsonfile-pretty x.json a.example",
  "at": "host:/usr/bin/openssl", "version": "3.2 ", "openssl": "OpenSSL 3.0",
  "startTime": "1700000000",
  "scanResult": [
    {"targetHost": "a.example", "ip": "192.0.2.1", "port": "443", "rDNS": "", "service": "HTTP",
     "protocols": [{"id": "SSLv2", "severity": "OK", "finding": "not offered"},
                   {"id": "SSLv3", "severity": "HIGH", "finding": "offered"}],
     "vulnerabilities": [{"id": "ROBOT", "severity": "MEDIUM", "cve": "CVE-2017-13099", "finding": "weak oracle"}]}
  ],
  "scanTime": 42
}"#,
    );
    assert_eq!(formats::detect(&head(&pretty)), Some(Format::TestsslJson));
    let s = formats::read(&pretty).expect("pretty");
    assert_eq!(s.scanner_version.as_deref(), Some("3.2"));
    assert_eq!(s.scanned_at, time("2023-11-14T22:13:20Z"));
    assert_eq!(s.targets, ["a.example/192.0.2.1:443"]);
    let counts: Vec<u64> = s.counts.values().copied().collect();
    assert_eq!(counts, [0, 1, 1, 0, 0, 0]);
    assert_eq!(s.findings[0].location, "a.example/192.0.2.1:443");
}

#[test]
fn nessus_built_report_lists_critical_and_high_with_cves() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(
        dir.path(),
        "scan.nessus",
        r#"<?xml version="1.0" ?>
<NessusClientData_v2><Policy><policyName>p</policyName></Policy>
<Report name="r">
<ReportHost name="10.0.0.2"><HostProperties><tag name="HOST_START_TIMESTAMP">1700000100</tag><tag name="HOST_START">Tue Nov 14 22:15:00 2023</tag></HostProperties>
<ReportItem port="443" protocol="tcp" severity="4" pluginID="73412" pluginName="OpenSSL Heartbleed"><cve>CVE-2014-0160</cve><plugin_output>&lt;big&gt; output</plugin_output></ReportItem>
<ReportItem port="22" protocol="tcp" severity="3" pluginID="1" pluginName="SSH &amp; weak"/>
<ReportItem port="22" protocol="tcp" severity="2" pluginID="2" pluginName="m"></ReportItem>
</ReportHost>
<ReportHost name="10.0.0.1"><HostProperties><tag name="HOST_START_TIMESTAMP">1700000000</tag></HostProperties>
<ReportItem port="0" protocol="tcp" severity="1" pluginID="3" pluginName="l"/>
</ReportHost>
</Report></NessusClientData_v2>
"#,
    );
    let s = check("nessus", &path, Format::NessusXml);
    assert_eq!(s.targets, ["10.0.0.2", "10.0.0.1"]);
    assert_eq!(s.scanned_at, time("2023-11-14T22:13:20Z"));
    assert_eq!(s.findings[0].id, "73412 CVE-2014-0160");
    assert_eq!(s.findings[0].location, "10.0.0.2:443/tcp");
    assert_eq!(s.findings[1].title.as_deref(), Some("SSH & weak"));
}

#[test]
fn zap_xml_with_high_alerts_and_entities() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(
        dir.path(),
        "zap.xml",
        r#"<?xml version="1.0"?><OWASPZAPReport programName="ZAP" version="2.15.0" generated="Mon, 1 Jan 2024 10:00:00">
<site name="https://x.example"><alerts>
<alertitem><pluginid>40018</pluginid><alertRef>40018</alertRef><name>SQL Injection &amp; more</name><riskcode>3</riskcode>
<instances><instance><uri>https://x.example/a</uri><requestbody>&lt;lots&gt;</requestbody></instance><instance><uri>https://x.example/b</uri></instance></instances><count>2</count></alertitem>
<alertitem><pluginid>1</pluginid><name>m</name><riskcode>2</riskcode><instances></instances><count>0</count></alertitem>
</alerts></site></OWASPZAPReport>"#,
    );
    let s = check("zap", &path, Format::ZapXml);
    assert_eq!(s.scanned_at, time("2024-01-01T10:00:00Z"));
    assert_eq!(s.findings[0].title.as_deref(), Some("SQL Injection & more"));
    assert_eq!(s.findings[0].location, "https://x.example/a (and 1 more)");
}

fn our_fixtures() -> Vec<(PathBuf, Format)> {
    let f = fixtures();
    vec![
        (f.join("zap/zap_2.16.1_with_req_resp.xml"), Format::ZapXml),
        (
            f.join("tenable/nessus/nessus_many_vuln.xml"),
            Format::NessusXml,
        ),
        (f.join("testssl/overall_critical.csv"), Format::TestsslCsv),
        (
            f.join("sslyze/one_target_many_vuln_new.json"),
            Format::SslyzeJson,
        ),
    ]
}

fn parse_bytes(format: Format, bytes: &[u8]) -> Result<Summary, ParseError> {
    formats::parse(format, &mut std::io::BufReader::new(bytes))
}

#[test]
fn truncated_reports_are_malformed_with_a_position() {
    for (path, format) in our_fixtures() {
        let bytes = std::fs::read(&path).expect("fixture");
        for cut in [1, 40, bytes.len() / 3, bytes.len() / 2, bytes.len() - 3] {
            // A CSV cut right after a row end is a shorter valid file.
            if bytes[cut - 1] == b'\n' {
                continue;
            }
            match parse_bytes(format, &bytes[..cut]) {
                Err(ParseError::Malformed { reason, .. }) => assert!(
                    reason.contains("byte") || reason.contains("line"),
                    "{} cut at {cut}: {reason}",
                    path.display()
                ),
                other => panic!("{} cut at {cut}: {other:?}", path.display()),
            }
        }
    }
}

#[test]
fn wrong_format_random_and_empty_input_are_errors() {
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let random: Vec<u8> = (0..4096)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        })
        .collect();
    let other_json =
        std::fs::read(fixtures().join("trivy/scheme_2_many_vulns.json")).expect("trivy");
    let zap = std::fs::read(fixtures().join("zap/empty_2.9.0.xml")).expect("zap");
    let csv = std::fs::read(fixtures().join("testssl/demo.csv")).expect("csv");
    for (_, format) in our_fixtures().into_iter().chain([
        (PathBuf::new(), Format::ZapJson),
        (PathBuf::new(), Format::TestsslJson),
    ]) {
        for input in [
            &b""[..],
            &random,
            b"hello, world\n",
            &other_json,
            &zap,
            &csv,
        ] {
            if (format == Format::ZapXml && input == zap.as_slice())
                || (format == Format::TestsslCsv && input == csv.as_slice())
            {
                continue;
            }
            let result = parse_bytes(format, input);
            assert!(
                matches!(result, Err(ParseError::Malformed { .. })),
                "{format:?} on {:?}: {result:?}",
                String::from_utf8_lossy(&input[..input.len().min(30)])
            );
        }
    }
    // Detection through `read` names what it expected.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut file = std::fs::File::create(dir.path().join("r.bin")).expect("create");
    file.write_all(&random).expect("write");
    let error = formats::read(&dir.path().join("r.bin")).expect_err("random bytes");
    assert!(error.to_string().contains("testssl.sh"), "{error}");
}
