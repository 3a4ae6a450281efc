//! sslyze: the JSON output (`--json_out`) of sslyze 5.x.
//!
//! sslyze reports facts, not severities; the findings are derived from them, one per fact per
//! server (`server_location` `hostname:port`), with the id named here:
//!
//! | id | when | severity |
//! |---|---|---|
//! | `heartbleed` | `heartbleed.is_vulnerable_to_heartbleed` | critical |
//! | `openssl_ccs_injection` | `openssl_ccs_injection.is_vulnerable_to_ccs_injection` | high |
//! | `robot` | `robot.robot_result` is `VULNERABLE_STRONG_ORACLE` | high |
//! | `robot` | `robot.robot_result` is `VULNERABLE_WEAK_ORACLE` | medium |
//! | `ssl_2_0_accepted`, `ssl_3_0_accepted` | the protocol is accepted | high |
//! | `tls_1_0_accepted`, `tls_1_1_accepted` | the protocol is accepted | medium |
//! | `weak_cipher_suites_<protocol>` | an accepted suite is anonymous, NULL, EXPORT or RC4 | high |
//! | `insecure_renegotiation` | `session_renegotiation.supports_secure_renegotiation` is false | medium |
//! | `client_renegotiation_dos` | `session_renegotiation.is_vulnerable_to_client_renegotiation_dos` | medium |
//! | `tls_compression` | `tls_compression.supports_compression` (CRIME) | medium |
//! | `no_tls_fallback_scsv` | `tls_fallback_scsv.supports_fallback_scsv` is false | low |
//! | `certificate_untrusted` | a trust store's `path_validation_results` entry has no verified chain | high |
//! | `certificate_hostname_mismatch` | `leaf_certificate_subject_matches_hostname` is false | high |
//! | `certificate_expired` | the leaf's `not_valid_after` is before `date_scans_started` | high |
//! | `certificate_sha1_signature` | `verified_chain_has_sha1_signature` | medium |
//! | `scan_command_error` | a scan command's `status` is `ERROR` | unknown |
//! | `server_not_scanned` | a server's `scan_status` or `connectivity_status` is `ERROR` | unknown |
//!
//! A protocol is accepted when its `is_tls_version_supported` is true, or, without that field,
//! when it has accepted cipher suites. Certificate findings are per certificate deployment.
//! Commands not scheduled (`NOT_SCHEDULED`, no result) yield nothing. `date_scans_started`
//! (no zone; sslyze writes UTC) is the scan time, else `date_scans_completed`. Certificates'
//! PEM text and every other field are skipped, not kept.

use std::io::BufRead;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;
use serde::de::IgnoredAny;

use super::tally::{Scalar, Tally, read_json};
use super::{Format, ParseError, ScanSeverity, Summary};

const SCANNER: &str = "sslyze";

/// The format of a report whose first bytes are `head`, if it is this module's.
pub(super) fn detect(head: &str) -> Option<Format> {
    (head.starts_with('{') && head.contains("\"server_scan_results\""))
        .then_some(Format::SslyzeJson)
}

#[derive(Deserialize)]
struct Report {
    #[serde(default)]
    date_scans_started: Option<String>,
    #[serde(default)]
    date_scans_completed: Option<String>,
    #[serde(default)]
    sslyze_version: Option<String>,
    server_scan_results: Vec<Server>,
}

#[derive(Deserialize)]
struct Server {
    #[serde(default)]
    server_location: Option<Location>,
    #[serde(default)]
    scan_status: Option<String>,
    #[serde(default)]
    connectivity_status: Option<String>,
    #[serde(default)]
    scan_result: Option<Results>,
}

#[derive(Deserialize)]
struct Location {
    #[serde(default)]
    hostname: Option<String>,
    #[serde(default)]
    ip_address: Option<String>,
    #[serde(default)]
    port: Option<Scalar>,
}

/// A scan command's outcome: `result` is null unless `status` is `COMPLETED`.
#[derive(Deserialize)]
#[serde(bound = "T: Deserialize<'de>")]
struct Command<T> {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    result: Option<T>,
}

#[derive(Deserialize, Default)]
struct Results {
    #[serde(default)]
    certificate_info: Option<Command<CertificateInfo>>,
    #[serde(default)]
    heartbleed: Option<Command<Flags>>,
    #[serde(default)]
    openssl_ccs_injection: Option<Command<Flags>>,
    #[serde(default)]
    robot: Option<Command<Robot>>,
    #[serde(default)]
    session_renegotiation: Option<Command<Flags>>,
    #[serde(default)]
    tls_compression: Option<Command<Flags>>,
    #[serde(default)]
    tls_fallback_scsv: Option<Command<Flags>>,
    #[serde(default)]
    ssl_2_0_cipher_suites: Option<Command<Suites>>,
    #[serde(default)]
    ssl_3_0_cipher_suites: Option<Command<Suites>>,
    #[serde(default)]
    tls_1_0_cipher_suites: Option<Command<Suites>>,
    #[serde(default)]
    tls_1_1_cipher_suites: Option<Command<Suites>>,
    #[serde(default)]
    tls_1_2_cipher_suites: Option<Command<Suites>>,
    #[serde(default)]
    tls_1_3_cipher_suites: Option<Command<Suites>>,
    /// The other commands, read only to notice their errors.
    #[serde(default)]
    elliptic_curves: Option<Command<IgnoredAny>>,
    #[serde(default)]
    http_headers: Option<Command<IgnoredAny>>,
    #[serde(default)]
    session_resumption: Option<Command<IgnoredAny>>,
    #[serde(default)]
    tls_1_3_early_data: Option<Command<IgnoredAny>>,
}

/// The boolean results of the simple commands, by sslyze's names.
#[derive(Deserialize, Default)]
struct Flags {
    #[serde(default)]
    is_vulnerable_to_heartbleed: Option<bool>,
    #[serde(default)]
    is_vulnerable_to_ccs_injection: Option<bool>,
    #[serde(default)]
    supports_secure_renegotiation: Option<bool>,
    #[serde(default)]
    is_vulnerable_to_client_renegotiation_dos: Option<bool>,
    #[serde(default)]
    supports_compression: Option<bool>,
    #[serde(default)]
    supports_fallback_scsv: Option<bool>,
}

#[derive(Deserialize)]
struct Robot {
    #[serde(default)]
    robot_result: Option<String>,
}

#[derive(Deserialize)]
struct Suites {
    #[serde(default)]
    is_tls_version_supported: Option<bool>,
    #[serde(default)]
    accepted_cipher_suites: Vec<Accepted>,
}

#[derive(Deserialize)]
struct Accepted {
    cipher_suite: Suite,
}

#[derive(Deserialize)]
struct Suite {
    #[serde(default)]
    name: String,
    #[serde(default)]
    is_anonymous: bool,
}

#[derive(Deserialize)]
struct CertificateInfo {
    #[serde(default)]
    certificate_deployments: Vec<Deployment>,
}

#[derive(Deserialize)]
struct Deployment {
    #[serde(default)]
    leaf_certificate_subject_matches_hostname: Option<bool>,
    #[serde(default)]
    verified_chain_has_sha1_signature: Option<bool>,
    #[serde(default)]
    path_validation_results: Vec<PathValidation>,
    #[serde(default)]
    received_certificate_chain: Vec<Certificate>,
}

#[derive(Deserialize)]
struct PathValidation {
    #[serde(default)]
    trust_store: Option<TrustStore>,
    /// Null when the chain could not be verified against this store.
    #[serde(default)]
    verified_certificate_chain: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct TrustStore {
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct Certificate {
    #[serde(default)]
    not_valid_after: Option<String>,
}

fn sslyze_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim().trim_end_matches('Z');
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
        .or_else(|| DateTime::parse_from_rfc3339(text).ok().map(|t| t.to_utc()))
}

/// Whether a suite is one no server should accept.
fn weak(suite: &Suite) -> bool {
    let name = suite.name.to_ascii_uppercase();
    suite.is_anonymous
        || ["_NULL_", "_EXPORT", "_RC4_", "_ANON_"]
            .iter()
            .any(|w| name.contains(w))
        || name.ends_with("_NULL")
}

/// One server's findings, as `(severity, id, title)`.
fn server_findings(
    results: &Results,
    scan_start: Option<DateTime<Utc>>,
) -> Vec<(ScanSeverity, &'static str, String)> {
    use ScanSeverity::*;
    let mut out = Vec::new();
    let flag = |c: &Option<Command<Flags>>, f: fn(&Flags) -> Option<bool>| {
        c.as_ref().and_then(|c| c.result.as_ref()).and_then(f)
    };
    if flag(&results.heartbleed, |f| f.is_vulnerable_to_heartbleed) == Some(true) {
        out.push((
            Critical,
            "heartbleed",
            "Vulnerable to Heartbleed (CVE-2014-0160)".into(),
        ));
    }
    if flag(&results.openssl_ccs_injection, |f| {
        f.is_vulnerable_to_ccs_injection
    }) == Some(true)
    {
        out.push((
            High,
            "openssl_ccs_injection",
            "Vulnerable to OpenSSL CCS injection (CVE-2014-0224)".into(),
        ));
    }
    if let Some(r) = results
        .robot
        .as_ref()
        .and_then(|c| c.result.as_ref())
        .and_then(|r| r.robot_result.as_deref())
    {
        match r {
            "VULNERABLE_STRONG_ORACLE" => {
                out.push((High, "robot", "Vulnerable to ROBOT (strong oracle)".into()))
            }
            "VULNERABLE_WEAK_ORACLE" => {
                out.push((Medium, "robot", "Vulnerable to ROBOT (weak oracle)".into()))
            }
            _ => {}
        }
    }
    let protocols = [
        (
            &results.ssl_2_0_cipher_suites,
            "SSL 2.0",
            "ssl_2_0_accepted",
            Some(High),
            "weak_cipher_suites_ssl_2_0",
        ),
        (
            &results.ssl_3_0_cipher_suites,
            "SSL 3.0",
            "ssl_3_0_accepted",
            Some(High),
            "weak_cipher_suites_ssl_3_0",
        ),
        (
            &results.tls_1_0_cipher_suites,
            "TLS 1.0",
            "tls_1_0_accepted",
            Some(Medium),
            "weak_cipher_suites_tls_1_0",
        ),
        (
            &results.tls_1_1_cipher_suites,
            "TLS 1.1",
            "tls_1_1_accepted",
            Some(Medium),
            "weak_cipher_suites_tls_1_1",
        ),
        (
            &results.tls_1_2_cipher_suites,
            "TLS 1.2",
            "",
            None,
            "weak_cipher_suites_tls_1_2",
        ),
        (
            &results.tls_1_3_cipher_suites,
            "TLS 1.3",
            "",
            None,
            "weak_cipher_suites_tls_1_3",
        ),
    ];
    for (command, label, accepted_id, accepted_severity, weak_id) in protocols {
        let Some(suites) = command.as_ref().and_then(|c| c.result.as_ref()) else {
            continue;
        };
        let accepted = suites
            .is_tls_version_supported
            .unwrap_or(!suites.accepted_cipher_suites.is_empty());
        if let (true, Some(severity)) = (accepted, accepted_severity) {
            out.push((severity, accepted_id, format!("{label} is accepted")));
        }
        let weak: Vec<&str> = suites
            .accepted_cipher_suites
            .iter()
            .map(|a| &a.cipher_suite)
            .filter(|s| weak(s))
            .map(|s| s.name.as_str())
            .collect();
        if !weak.is_empty() {
            // A handful names the problem; the rest would only grow the summary.
            let more = match weak.len() {
                n if n > 5 => format!(" and {} more", n - 5),
                _ => String::new(),
            };
            let shown = weak[..weak.len().min(5)].join(", ");
            out.push((
                High,
                weak_id,
                format!("{label} accepts weak cipher suites: {shown}{more}"),
            ));
        }
    }
    if flag(&results.session_renegotiation, |f| {
        f.supports_secure_renegotiation
    }) == Some(false)
    {
        out.push((
            Medium,
            "insecure_renegotiation",
            "Secure renegotiation is not supported".into(),
        ));
    }
    if flag(&results.session_renegotiation, |f| {
        f.is_vulnerable_to_client_renegotiation_dos
    }) == Some(true)
    {
        out.push((
            Medium,
            "client_renegotiation_dos",
            "Client-initiated renegotiation allows denial of service".into(),
        ));
    }
    if flag(&results.tls_compression, |f| f.supports_compression) == Some(true) {
        out.push((
            Medium,
            "tls_compression",
            "TLS compression is supported (CRIME)".into(),
        ));
    }
    if flag(&results.tls_fallback_scsv, |f| f.supports_fallback_scsv) == Some(false) {
        out.push((
            Low,
            "no_tls_fallback_scsv",
            "TLS_FALLBACK_SCSV is not supported".into(),
        ));
    }
    let deployments = results
        .certificate_info
        .as_ref()
        .and_then(|c| c.result.as_ref())
        .map(|c| c.certificate_deployments.as_slice())
        .unwrap_or_default();
    for d in deployments {
        let failed: Vec<&str> = d
            .path_validation_results
            .iter()
            .filter(|p| p.verified_certificate_chain.is_none())
            .map(|p| {
                p.trust_store
                    .as_ref()
                    .and_then(|t| t.name.as_deref())
                    .unwrap_or("a trust store")
            })
            .collect();
        if !failed.is_empty() {
            out.push((
                High,
                "certificate_untrusted",
                format!(
                    "The certificate chain is not trusted by {}",
                    failed.join(", ")
                ),
            ));
        }
        if d.leaf_certificate_subject_matches_hostname == Some(false) {
            out.push((
                High,
                "certificate_hostname_mismatch",
                "The certificate does not match the host name".into(),
            ));
        }
        let expiry = d
            .received_certificate_chain
            .first()
            .and_then(|c| c.not_valid_after.as_deref())
            .and_then(sslyze_time);
        if let (Some(expiry), Some(start)) = (expiry, scan_start)
            && expiry < start
        {
            out.push((
                High,
                "certificate_expired",
                format!("The certificate expired on {expiry}"),
            ));
        }
        if d.verified_chain_has_sha1_signature == Some(true) {
            out.push((
                Medium,
                "certificate_sha1_signature",
                "The verified chain has a SHA-1 signature".into(),
            ));
        }
    }
    let statuses = [
        results
            .certificate_info
            .as_ref()
            .map(|c| c.status.as_deref()),
        results.heartbleed.as_ref().map(|c| c.status.as_deref()),
        results
            .openssl_ccs_injection
            .as_ref()
            .map(|c| c.status.as_deref()),
        results.robot.as_ref().map(|c| c.status.as_deref()),
        results
            .session_renegotiation
            .as_ref()
            .map(|c| c.status.as_deref()),
        results
            .tls_compression
            .as_ref()
            .map(|c| c.status.as_deref()),
        results
            .tls_fallback_scsv
            .as_ref()
            .map(|c| c.status.as_deref()),
    ];
    let suites_statuses = protocols
        .iter()
        .map(|p| p.0.as_ref().map(|c| c.status.as_deref()));
    let other = [
        &results.elliptic_curves,
        &results.http_headers,
        &results.session_resumption,
        &results.tls_1_3_early_data,
    ]
    .map(|c| c.as_ref().map(|c| c.status.as_deref()));
    for status in statuses.into_iter().chain(suites_statuses).chain(other) {
        if status.flatten() == Some("ERROR") {
            out.push((
                Unknown,
                "scan_command_error",
                "A scan command failed; its check was not made".into(),
            ));
        }
    }
    out
}

/// Reads a whole report of `format` (one this module detected).
pub(super) fn parse(format: Format, r: &mut dyn BufRead) -> Result<Summary, ParseError> {
    let report: Report = read_json(format, r)?;
    let scan_start = report
        .date_scans_started
        .as_deref()
        .and_then(sslyze_time)
        .or_else(|| report.date_scans_completed.as_deref().and_then(sslyze_time));
    let mut tally = Tally::new();
    for server in &report.server_scan_results {
        let location = server
            .server_location
            .as_ref()
            .map(|l| {
                let host = l
                    .hostname
                    .as_deref()
                    .or(l.ip_address.as_deref())
                    .unwrap_or_default();
                let port = l.port.as_ref().map(|p| p.0.as_str()).unwrap_or_default();
                format!("{host}:{port}")
            })
            .unwrap_or_default();
        if !location.is_empty() {
            tally.target(location.clone());
        }
        let failed = [&server.scan_status, &server.connectivity_status]
            .iter()
            .any(|s| s.as_deref() == Some("ERROR"));
        if failed {
            tally.add(ScanSeverity::Unknown, || {
                let title = "The server could not be scanned".to_string();
                ("server_not_scanned".into(), location.clone(), Some(title))
            });
            continue;
        }
        let Some(results) = &server.scan_result else {
            continue;
        };
        for (severity, id, title) in server_findings(results, scan_start) {
            tally.add(severity, || (id.to_string(), location.clone(), Some(title)));
        }
    }
    Ok(tally.into_summary(format, SCANNER, report.sslyze_version, scan_start))
}
