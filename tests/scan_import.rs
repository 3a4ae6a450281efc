//! `collect scan-reports` through the built binary: real scanner reports from
//! ../shared/fixtures/scan-reports copied into a drop folder at test time.
//!
//! Asserts on parsed content (status `parsed`, scanner, counts, the critical/high finding, the
//! scan's own date) need the Trivy and Grype parsers of `formats/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::util::{Env, findings, run_folders, run_json, shared_fixtures, text};

fn fixture(rel: &str) -> PathBuf {
    shared_fixtures().join("scan-reports").join(rel)
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// An environment whose `[scan_reports]` imports `<dir>/drop` with `extra` keys added.
fn scan_env(extra: &str) -> Env {
    let env = Env::new(&format!(
        "[scan_reports]\ndirectories = [\"drop\"]\nsettle_secs = 0\n{extra}\n"
    ));
    std::fs::create_dir_all(env.path().join("drop")).unwrap();
    env
}

fn drop_file(env: &Env, name: &str, bytes: &[u8]) -> PathBuf {
    let p = env.path().join("drop").join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Runs `collect scan-reports` and returns the new run's folder.
fn collect(env: &Env, expect_code: i32) -> PathBuf {
    let before = run_folders(&env.vault());
    let out = env.run(&["collect", "scan-reports"]);
    assert_eq!(out.status.code(), Some(expect_code), "{}", text(&out));
    let after = run_folders(&env.vault());
    let new: Vec<_> = after.into_iter().filter(|r| !before.contains(r)).collect();
    assert_eq!(new.len(), 1, "one new run: {new:?}\n{}", text(&out));
    new[0].clone()
}

/// summary.json of every report stored in the run, by its `file_name`.
fn summaries(run: &Path) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    let Ok(dirs) = std::fs::read_dir(run.join("artifacts/reports")) else {
        return out;
    };
    for d in dirs.flatten() {
        let v: Value =
            serde_json::from_slice(&std::fs::read(d.path().join("summary.json")).unwrap()).unwrap();
        out.insert(v["file_name"].as_str().unwrap().to_string(), v);
    }
    out
}

/// reports.csv as rows keyed by file name.
fn csv_rows(run: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(run.join("artifacts/reports.csv")).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let mut out = BTreeMap::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        let row: BTreeMap<String, String> = header
            .iter()
            .cloned()
            .zip(rec.iter().map(String::from))
            .collect();
        out.insert(row["file_name"].clone(), row);
    }
    out
}

fn summary_count(run: &Path, key: &str) -> u64 {
    let record = run_json(run);
    record["summary"][key]
        .as_u64()
        .unwrap_or_else(|| panic!("summary.{key} in {record:#}"))
}

fn verify(env: &Env) {
    let out = env.run(&["verify"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

/// The SHA256SUMS line of `artifacts/<rel>`.
fn listed_sha(run: &Path, rel: &str) -> Option<String> {
    let sums = std::fs::read_to_string(run.join("SHA256SUMS")).unwrap();
    sums.lines().find_map(|l| {
        let (sha, name) = l.split_once("  ")?;
        (name.trim_start_matches('*') == format!("artifacts/{rel}")).then(|| sha.to_string())
    })
}

#[test]
fn reports_are_stored_once_with_their_original_bytes_and_a_summary() {
    let env = scan_env("");
    let sources = [
        ("trivy.json", "trivy/scheme_2_many_vulns.json"),
        (
            "grype.json",
            "anchore_grype/many_vulns_with_epss_values.json",
        ),
        ("nested/zap.xml", "zap/zap_2.16.1_with_req_resp.xml"),
    ];
    for (name, rel) in sources {
        drop_file(&env, name, &std::fs::read(fixture(rel)).unwrap());
    }
    drop_file(&env, ".hidden.json", b"{}");
    drop_file(&env, "half.json.part", b"{");
    let run = collect(&env, 0);
    let stored = summaries(&run);
    for (name, rel) in sources {
        let bytes = std::fs::read(fixture(rel)).unwrap();
        let sha = sha256(&bytes);
        let file_name = Path::new(name).file_name().unwrap().to_str().unwrap();
        let artifact = format!("reports/{}/{file_name}", &sha[..12]);
        assert_eq!(
            std::fs::read(run.join("artifacts").join(&artifact)).unwrap(),
            bytes,
            "{artifact} is the original"
        );
        assert_eq!(listed_sha(&run, &artifact), Some(sha.clone()), "{artifact}");
        let s = &stored[file_name];
        assert_eq!(s["sha256"], sha.as_str());
        assert_eq!(s["size"], bytes.len() as u64);
        assert_eq!(s["artifact"], artifact.as_str());
        assert!(s["source"].as_str().unwrap().ends_with(name), "{s:#}");
    }
    assert_eq!(stored.len(), 3, "hidden and partial files are passed over");
    assert_eq!(summary_count(&run, "files_seen"), 3);
    let trivy = &stored["trivy.json"];
    // Needs the Trivy parser.
    assert_eq!(trivy["status"], "parsed", "{trivy:#}");
    assert_eq!(trivy["scanner"], "Trivy");
    assert_eq!(trivy["targets"], serde_json::json!(["teamdojo:latest"]));
    assert_eq!(
        trivy["effective_date_source"], "import",
        "no CreatedAt in this report"
    );
    let critical = trivy["counts"]["critical"].as_u64().unwrap();
    let high = trivy["counts"]["high"].as_u64().unwrap();
    assert!(critical + high > 0, "{trivy:#}");
    let csv = csv_rows(&run);
    assert_eq!(csv["trivy.json"]["status"], "imported");
    assert_eq!(csv["trivy.json"]["critical"], critical.to_string());
    assert_eq!(csv["trivy.json"]["high"], high.to_string());
    let record = run_json(&run);
    let found = record["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "scan-critical-high" && f["subject"] == "teamdojo:latest")
        .unwrap_or_else(|| panic!("a scan-critical-high finding: {record:#}"))
        .clone();
    let expected = if critical > 0 { "critical" } else { "high" };
    assert_eq!(found["severity"], expected);
    assert!(
        found["message"]
            .as_str()
            .unwrap()
            .contains(&format!("{critical} critical and {high} high")),
        "{found:#}"
    );
    assert_eq!(
        found["artifact"],
        format!(
            "reports/{}/summary.json",
            &trivy["sha256"].as_str().unwrap()[..12]
        )
        .as_str()
    );
    verify(&env);
}

#[test]
fn the_same_report_dropped_twice_is_imported_once() {
    let env = scan_env("");
    let bytes = std::fs::read(fixture("trivy/scheme_2_many_vulns.json")).unwrap();
    drop_file(&env, "scan.json", &bytes);
    drop_file(&env, "scan2.json", &bytes);
    let first = collect(&env, 0);
    assert_eq!(summaries(&first).len(), 1, "one copy stored");
    assert_eq!(summary_count(&first, "files_seen"), 2);
    assert_eq!(summary_count(&first, "already_imported"), 1);
    let csv = csv_rows(&first);
    assert_eq!(csv["scan2.json"]["status"], "already_imported");
    assert_eq!(csv["scan2.json"]["sha256"], sha256(&bytes));

    // A later run, and the same bytes under a third name: nothing stored again.
    drop_file(&env, "sub/renamed.json", &bytes);
    let second = collect(&env, 0);
    assert!(summaries(&second).is_empty(), "nothing new stored");
    assert_eq!(summary_count(&second, "files_seen"), 3);
    assert_eq!(summary_count(&second, "already_imported"), 3);
    assert_eq!(summary_count(&second, "imported"), 0);
    assert!(
        !findings(&second)
            .iter()
            .any(|(rule, _)| rule == "scan-critical-high"),
        "a report's findings are raised once, when it is imported"
    );
    let reason = &csv_rows(&second)["renamed.json"]["reason"];
    assert!(reason.contains("scan.json"), "{reason}");
    verify(&env);
}

#[test]
fn malformed_and_unknown_files_are_kept_with_their_reason_and_the_others_imported() {
    let env = scan_env("");
    let good = std::fs::read(fixture("anchore_grype/many_vulns_with_epss_values.json")).unwrap();
    let trivy = std::fs::read(fixture("trivy/scheme_2_many_vulns.json")).unwrap();
    let truncated = &trivy[..trivy.len() / 2];
    let random: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    drop_file(&env, "a-truncated.json", truncated);
    drop_file(&env, "b-random.bin", &random);
    drop_file(&env, "c-grype.json", &good);
    let run = collect(&env, 0);
    let stored = summaries(&run);
    assert_eq!(stored.len(), 3, "every file is kept");
    for (name, bytes) in [
        ("a-truncated.json", truncated),
        ("b-random.bin", &random[..]),
    ] {
        let sha = sha256(bytes);
        assert_eq!(
            std::fs::read(run.join(format!("artifacts/reports/{}/{name}", &sha[..12]))).unwrap(),
            bytes
        );
    }
    let random_summary = &stored["b-random.bin"];
    assert_eq!(random_summary["status"], "unrecognised");
    assert!(
        random_summary["reason"]
            .as_str()
            .unwrap()
            .contains("not a recognised scan report format"),
        "{random_summary:#}"
    );
    // Needs the Trivy and Grype parsers.
    assert_eq!(stored["a-truncated.json"]["status"], "malformed");
    assert!(
        stored["a-truncated.json"]["reason"]
            .as_str()
            .unwrap()
            .contains("malformed"),
        "{:#}",
        stored["a-truncated.json"]
    );
    assert_eq!(stored["c-grype.json"]["status"], "parsed");
    assert_eq!(summary_count(&run, "imported"), 1);
    assert_eq!(summary_count(&run, "malformed"), 1);
    assert_eq!(summary_count(&run, "unrecognised"), 1);
    let unreadable: Vec<String> = findings(&run)
        .into_iter()
        .filter(|(rule, _)| rule == "scan-report-unreadable")
        .map(|(_, subject)| subject)
        .collect();
    assert_eq!(unreadable.len(), 2, "{unreadable:?}");
    assert!(unreadable[0].ends_with("a-truncated.json") && unreadable[1].ends_with("b-random.bin"));

    // Remembered by hash: not stored (nor flagged) again.
    let again = collect(&env, 0);
    assert!(summaries(&again).is_empty());
    assert_eq!(summary_count(&again, "already_imported"), 3);
    assert!(findings(&again).is_empty(), "{:?}", findings(&again));
    verify(&env);
}

#[test]
fn a_file_still_being_written_is_left_for_the_next_run() {
    let env = scan_env("");
    env.write_config("[scan_reports]\ndirectories = [\"drop\"]\nsettle_secs = 3600\n");
    let p = drop_file(&env, "fresh.json", b"{\"SchemaVersion\": 2}");
    let first = collect(&env, 0);
    assert!(summaries(&first).is_empty());
    assert_eq!(summary_count(&first, "unsettled"), 1);
    assert_eq!(csv_rows(&first)["fresh.json"]["status"], "unsettled");
    // Two hours later by its clock, it has settled.
    let touch = std::process::Command::new("touch")
        .args(["-d", "2 hours ago"])
        .arg(&p)
        .status()
        .unwrap();
    assert!(touch.success());
    let second = collect(&env, 0);
    assert_eq!(summaries(&second).len(), 1);
    assert_eq!(summary_count(&second, "unsettled"), 0);
    verify(&env);
}

#[test]
fn a_missing_folder_fails_the_run_naming_it_and_the_rest_is_imported() {
    let env = scan_env("");
    env.write_config(
        "[scan_reports]\ndirectories = [\"drop\", \"not-there\"]\nfiles = [\"single.json\"]\nsettle_secs = 0\n",
    );
    let grype = std::fs::read(fixture("anchore_grype/no_vuln.json")).unwrap();
    let sarif = std::fs::read(fixture("sarif/bash-report.sarif")).unwrap();
    drop_file(&env, "g.json", &grype);
    std::fs::write(env.path().join("single.json"), &sarif).unwrap();
    let run = collect(&env, 1);
    let record = run_json(&run);
    assert_eq!(record["status"], "failed");
    let error = record["error"].as_str().unwrap();
    assert!(
        error.contains("scan_reports.directories[1]") && error.contains("not-there"),
        "{error}"
    );
    let stored = summaries(&run);
    assert_eq!(
        stored.keys().collect::<Vec<_>>(),
        ["g.json", "single.json"],
        "the other sources are imported"
    );
    assert!(record["state"]["imported"].as_object().unwrap().len() == 2);
    verify(&env);

    // The failed run's imports count: the next one stores nothing again.
    std::fs::create_dir_all(env.path().join("not-there")).unwrap();
    let next = collect(&env, 0);
    assert!(summaries(&next).is_empty());
    assert_eq!(summary_count(&next, "already_imported"), 2);
}

/// A small Trivy schema 2 report scanned at `at` with one high vulnerability.
fn trivy_report(target: &str, at: chrono::DateTime<chrono::Utc>) -> Vec<u8> {
    serde_json::to_vec_pretty(&serde_json::json!({
        "SchemaVersion": 2,
        "CreatedAt": at.to_rfc3339(),
        "ArtifactName": target,
        "ArtifactType": "container_image",
        "Metadata": {"OS": {"Family": "alpine", "Name": "3.19.1"}},
        "Results": [{
            "Target": format!("{target} (alpine 3.19.1)"),
            "Class": "os-pkgs",
            "Type": "alpine",
            "Vulnerabilities": [{
                "VulnerabilityID": "CVE-2024-0001",
                "PkgName": "openssl",
                "InstalledVersion": "3.1.4-r0",
                "Severity": "HIGH"
            }]
        }]
    }))
    .unwrap()
}

#[test]
fn an_overdue_scanner_is_a_finding_and_a_fresh_report_is_not() {
    let env = scan_env(
        "[[scan_reports.expect]]\nscanner = \"trivy\"\ntarget = \"app:1\"\nmax_age_days = 31\n\n\
         [[scan_reports.expect]]\nscanner = \"Trivy\"\ntarget = \"app:old\"\nmax_age_days = 31\n\n\
         [[scan_reports.expect]]\nscanner = \"grype\"\nmax_age_days = 7\n",
    );
    let now = chrono::Utc::now();
    let fresh_at = now - chrono::Duration::days(2);
    let old_at = now - chrono::Duration::days(60);
    drop_file(&env, "fresh.json", &trivy_report("app:1", fresh_at));
    drop_file(&env, "old.json", &trivy_report("app:old", old_at));
    let run = collect(&env, 0);
    let overdue: Vec<String> = findings(&run)
        .into_iter()
        .filter(|(rule, _)| rule == "scan-report-overdue")
        .map(|(_, subject)| subject)
        .collect();
    // Needs the Trivy parser (the scan's own CreatedAt).
    assert_eq!(overdue, ["grype", "trivy@app:old"]);
    let record = run_json(&run);
    let messages: Vec<&str> = record["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "scan-report-overdue")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        messages.iter().any(|m| m.contains("No `grype` report")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("60 days ago")),
        "{messages:?}"
    );
    let stored = summaries(&run);
    let fresh = &stored["fresh.json"];
    assert_eq!(fresh["effective_date_source"], "report");
    let scanned: chrono::DateTime<chrono::Utc> =
        fresh["scanned_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        scanned.timestamp(),
        fresh_at.timestamp(),
        "the scan's own time"
    );
    assert_eq!(
        csv_rows(&run)["old.json"]["scanned_at"],
        stored["old.json"]["effective_date"].as_str().unwrap()
    );
    let high: Vec<(String, String)> = findings(&run)
        .into_iter()
        .filter(|(rule, _)| rule == "scan-critical-high")
        .collect();
    assert_eq!(high.len(), 2, "one per report with high findings: {high:?}");

    // Checked every run: still overdue with nothing new imported.
    let again = collect(&env, 0);
    let overdue: Vec<String> = findings(&again)
        .into_iter()
        .map(|(rule, subject)| format!("{rule} {subject}"))
        .collect();
    assert_eq!(
        overdue,
        [
            "scan-report-overdue grype",
            "scan-report-overdue trivy@app:old"
        ]
    );
    verify(&env);
}

#[test]
fn a_file_over_the_size_limit_is_recorded_and_not_stored() {
    let env = scan_env("");
    env.write_config(
        "[scan_reports]\ndirectories = [\"drop\"]\nsettle_secs = 0\nmax_file_bytes = 1000\n",
    );
    drop_file(&env, "big.json", &[b' '; 1001]);
    drop_file(&env, "small.json", &[b' '; 1000]);
    let run = collect(&env, 0);
    assert_eq!(
        summaries(&run).keys().collect::<Vec<_>>(),
        ["small.json"],
        "only the file within the limit is stored"
    );
    let csv = csv_rows(&run);
    assert_eq!(csv["big.json"]["status"], "too_large");
    assert!(csv["big.json"]["reason"].contains("max_file_bytes"));
    assert_eq!(summary_count(&run, "too_large"), 1);
    let too_large: Vec<String> = findings(&run)
        .into_iter()
        .filter(|(rule, _)| rule == "scan-report-too-large")
        .map(|(_, subject)| subject)
        .collect();
    assert!(
        too_large.len() == 1 && too_large[0].ends_with("big.json"),
        "{too_large:?}"
    );
    verify(&env);
}
