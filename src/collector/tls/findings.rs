//! The exceptions of one endpoint, each naming it as `host:port`.

use chrono::{DateTime, Utc};

use super::certificate::{CertInfo, Validation};
use super::config::{Profile, TlsEndpoint, TlsSettings};
use super::hsts::Hsts;
use super::probe::{Probe, Version};
use crate::evidence::{Finding, Severity};

/// What the findings are judged on.
pub struct Observed<'a> {
    pub probe: &'a Probe,
    /// The served chain, leaf first.
    pub certs: &'a [CertInfo],
    pub validation: Option<&'a Validation>,
    /// The leaf names the endpoint.
    pub name_ok: bool,
}

/// Findings of one endpoint; `artifact` is its tls.json.
pub fn for_endpoint(
    endpoint: &TlsEndpoint,
    settings: &TlsSettings,
    seen: &Observed<'_>,
    now: DateTime<Utc>,
    artifact: &str,
) -> Vec<Finding> {
    let subject = endpoint.subject();
    let mut out = Vec::new();
    let mut push = |rule: &str, severity, message: String| {
        out.push(Finding {
            rule: rule.into(),
            severity,
            subject: subject.clone(),
            message,
            artifact: Some(artifact.into()),
        })
    };
    let probe = seen.probe;
    if let Some(reason) = &probe.unreachable {
        push(
            "tls-endpoint-unreachable",
            Severity::High,
            format!("{subject} could not be probed: {reason}."),
        );
        return out;
    }
    let lowest = match settings.profile {
        Profile::Intermediate => Version::Tls12,
        Profile::Modern => Version::Tls13,
    };
    for (version, attempt) in &probe.attempts {
        if attempt.accepted && *version < lowest {
            push(
                "tls-protocol-below-profile",
                if *version < Version::Tls12 {
                    Severity::High
                } else {
                    Severity::Medium
                },
                format!(
                    "{subject} accepts {} (cipher {}); the {} profile allows {} only.",
                    version.label(),
                    attempt.cipher.as_deref().unwrap_or("unknown"),
                    settings.profile.as_str(),
                    match settings.profile {
                        Profile::Intermediate => "TLS 1.2 and 1.3",
                        Profile::Modern => "TLS 1.3",
                    }
                ),
            );
        }
    }
    if !probe.attempts.iter().any(|(_, a)| a.accepted) {
        let why = probe
            .cut_short
            .clone()
            .or_else(|| {
                probe
                    .attempts
                    .iter()
                    .rev()
                    .find_map(|(v, a)| Some(format!("{}: {}", v.label(), a.error.as_deref()?)))
            })
            .unwrap_or_else(|| "no handshake was made".into());
        if probe.cut_short.is_some() {
            // Connected but out of time before any version was accepted: as good as unreachable.
            let tried: Vec<String> = probe
                .attempts
                .iter()
                .filter_map(|(v, a)| Some(format!("{}: {}", v.label(), a.error.as_deref()?)))
                .collect();
            push(
                "tls-endpoint-unreachable",
                Severity::High,
                format!(
                    "{subject} accepted a TCP connection but completed no TLS handshake in time ({}{why}).",
                    tried.iter().map(|t| format!("{t}; ")).collect::<String>()
                ),
            );
        } else {
            push(
                "tls-handshake-failed",
                Severity::High,
                format!(
                    "{subject} accepts a TCP connection but completed no TLS handshake ({why})."
                ),
            );
        }
        return out;
    }
    if let Some(reason) = &probe.cut_short {
        push(
            "tls-endpoint-unreachable",
            Severity::Medium,
            format!("{subject} was only partly probed: {reason}."),
        );
    }
    for (i, cert) in seen.certs.iter().enumerate() {
        let which = if i == 0 {
            "certificate".to_string()
        } else {
            format!("chain certificate {i} ({})", cert.subject)
        };
        match (cert.not_before_at, cert.not_after_at) {
            (_, Some(end)) if end < now => push(
                "tls-certificate-expired",
                Severity::High,
                format!(
                    "{subject}'s {which} expired on {} ({} days ago).",
                    cert.not_after, -cert.days_left
                ),
            ),
            (Some(start), _) if start > now => push(
                "tls-certificate-not-yet-valid",
                Severity::High,
                format!(
                    "{subject}'s {which} is not valid before {}.",
                    cert.not_before
                ),
            ),
            (_, Some(_)) if cert.days_left < i64::from(settings.expiry_warning_days) => push(
                "tls-certificate-expiring",
                Severity::Medium,
                format!(
                    "{subject}'s {which} expires on {}, in {} days (warning at {}).",
                    cert.not_after, cert.days_left, settings.expiry_warning_days
                ),
            ),
            _ => {}
        }
    }
    if let Some(reason) = seen
        .validation
        .and_then(|v| v.error_ignoring_dates.as_ref())
    {
        push(
            "tls-chain-invalid",
            Severity::High,
            format!(
                "{subject}'s certificate chain does not verify against the trust roots: {reason}."
            ),
        );
    }
    if let Some(leaf) = seen.certs.first()
        && !seen.name_ok
    {
        let names: Vec<&str> = leaf
            .sans
            .dns
            .iter()
            .chain(&leaf.sans.ip)
            .map(String::as_str)
            .collect();
        push(
            "tls-hostname-mismatch",
            Severity::High,
            format!(
                "{subject}'s certificate is not valid for `{}`; it names {}.",
                endpoint.expected_name(),
                if names.is_empty() {
                    "no subject alternative names".to_string()
                } else {
                    names.join(", ")
                }
            ),
        );
    }
    let weak: Vec<String> = seen
        .certs
        .iter()
        .filter(|c| !(c.self_signed && seen.certs.len() > 1))
        .filter_map(|c| {
            let min = c.weak_key(settings.min_rsa_bits, settings.min_ec_bits)?;
            Some(format!(
                "{} has a {}-bit {} key (at least {min} expected)",
                c.subject, c.key_bits, c.key_type
            ))
        })
        .collect();
    if !weak.is_empty() {
        push(
            "tls-weak-key",
            Severity::High,
            format!("{subject}: {}.", weak.join("; ")),
        );
    }
    if endpoint.checks_hsts() {
        match &probe.hsts {
            Some(h) if h.enabled() => {}
            Some(h) => push(
                "tls-hsts-missing",
                Severity::Medium,
                format!("{subject} {}.", hsts_gap(h)),
            ),
            None => {}
        }
    }
    out
}

fn hsts_gap(h: &Hsts) -> String {
    match (&h.error, &h.header) {
        (Some(e), _) => format!("sent no readable HTTP response, so HSTS is not shown: {e}"),
        (None, Some(v)) => format!(
            "sends `Strict-Transport-Security: {v}`, which does not enable HSTS (max-age must be above 0)"
        ),
        (None, None) => format!(
            "answers `HEAD /` (HTTP {}) without a Strict-Transport-Security header",
            h.status.unwrap_or(0)
        ),
    }
}
