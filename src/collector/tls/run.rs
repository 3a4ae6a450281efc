//! One run: every endpoint probed (concurrently, bounded), each into `endpoints/<host>_<port>/`,
//! and `endpoints.csv` over them all. An unreachable endpoint is a finding, never a failed run.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use super::certificate::{self, CertInfo, Trust};
use super::config::{TlsEndpoint, TlsSettings};
use super::findings::{self, Observed};
use super::probe::{self, Clients, Probe};
use crate::collector::{CollectError, Collected, RunContext};
use crate::evidence::Finding;
use crate::vault::{StagedRun, canonical};

/// The columns of endpoints.csv (docs/collectors/tls-endpoints.md).
pub const COLUMNS: [&str; 16] = [
    "endpoint",
    "name",
    "sni",
    "reachable",
    "tls1.0",
    "tls1.1",
    "tls1.2",
    "tls1.3",
    "best_cipher",
    "leaf_subject",
    "not_after",
    "days_left",
    "chain_trusted",
    "name_matches",
    "hsts",
    "findings",
];

/// One endpoint's outcome.
struct Done {
    probe: Probe,
    certs: Vec<CertInfo>,
    validation: Option<certificate::Validation>,
    name_ok: bool,
    probed_at: DateTime<Utc>,
}

pub async fn collect(
    ctx: &RunContext,
    staged: &mut StagedRun,
    settings: &TlsSettings,
) -> Result<Collected, CollectError> {
    let failed = |reason: String| CollectError::Failed {
        reason,
        partial: Box::default(),
    };
    let ca_file = settings.ca_file.as_ref().map(|p| {
        ctx.config
            .path
            .parent()
            .unwrap_or_else(|| std::path::Path::new("."))
            .join(p)
    });
    let trust = Trust::load(ca_file.as_deref()).map_err(|e| failed(e.to_string()))?;
    let clients =
        Clients::new().map_err(|e| failed(format!("setting up the TLS client failed: {e}")))?;
    let mut collected = Collected {
        parameters: parameters(settings, &trust.source),
        ..Collected::default()
    };
    let trust = Arc::new(trust);
    let clients = Arc::new(clients);
    let limit = Arc::new(Semaphore::new(settings.max_concurrent.max(1)));
    let deadline = ctx.deadline.into_std();
    let timeout = Duration::from_secs(settings.timeout_secs);
    let mut tasks = tokio::task::JoinSet::new();
    for (i, endpoint) in settings.endpoints.iter().enumerate() {
        let (trust, clients, limit) = (trust.clone(), clients.clone(), limit.clone());
        let cancel = ctx.cancel.clone();
        let endpoint = endpoint.clone();
        tasks.spawn(async move {
            // The semaphore is never closed.
            let _permit = limit.acquire_owned().await.ok();
            let done = tokio::task::spawn_blocking(move || {
                let probed_at = Utc::now();
                let probe = probe::probe(&endpoint, &clients, timeout, deadline, &cancel);
                examine(&endpoint, probe, &trust, probed_at)
            })
            .await;
            (i, done)
        });
    }
    let mut results: Vec<Option<Done>> = settings.endpoints.iter().map(|_| None).collect();
    let mut crashed = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((i, Ok(done))) => results[i] = Some(done),
            Ok((i, Err(e))) => crashed.push(format!("{}: {e}", settings.endpoints[i].subject())),
            Err(e) => crashed.push(e.to_string()),
        }
    }

    let mut rows = Vec::new();
    let mut endpoints_summary = serde_json::Map::new();
    let mut handshakes = 0u64;
    for (endpoint, done) in settings.endpoints.iter().zip(&results) {
        let Some(done) = done else { continue };
        let folder = format!("endpoints/{}", endpoint.folder());
        let json_path = format!("{folder}/tls.json");
        let seen = Observed {
            probe: &done.probe,
            certs: &done.certs,
            validation: done.validation.as_ref(),
            name_ok: done.name_ok,
        };
        let found = findings::for_endpoint(endpoint, settings, &seen, done.probed_at, &json_path);
        let chain_path = (!done.probe.chain.is_empty()).then(|| format!("{folder}/chain.pem"));
        if let Some(p) = &chain_path {
            staged.add_bytes(
                p,
                "application/x-pem-file",
                &certificate::pem_chain(&done.probe.chain),
            )?;
        }
        let doc = document(endpoint, done, &found, chain_path.as_deref(), &trust.source);
        staged.add_bytes(&json_path, "application/json", &canonical::pretty(&doc))?;
        rows.push(row(endpoint, done, &found));
        handshakes += u64::from(done.probe.handshakes);
        endpoints_summary.insert(
            endpoint.subject(),
            json!({
                "reachable": done.probe.unreachable.is_none(),
                "handshakes": done.probe.handshakes,
                "findings": found.len(),
            }),
        );
        collected.findings.extend(found);
    }
    let mut csv = String::new();
    crate::collector::github::population::line(&mut csv, COLUMNS.iter().map(|c| c.to_string()));
    for r in rows {
        crate::collector::github::population::line(&mut csv, r.into_iter());
    }
    staged.add_bytes("endpoints.csv", "text/csv", csv.as_bytes())?;

    let probed = results.iter().flatten().count();
    let unreachable = results
        .iter()
        .flatten()
        .filter(|d| d.probe.unreachable.is_some())
        .count();
    let s = &mut collected.summary;
    s.insert("endpoints".into(), json!(settings.endpoints.len()));
    s.insert("probed".into(), json!(probed));
    s.insert("unreachable".into(), json!(unreachable));
    s.insert("handshakes".into(), json!(handshakes));
    s.insert(
        "handshakes_per_endpoint".into(),
        json!(format!("{:.2}", handshakes as f64 / probed.max(1) as f64)),
    );
    s.insert("by_endpoint".into(), Value::Object(endpoints_summary));
    tracing::info!(
        message = "TLS endpoints probed.",
        endpoints = probed,
        unreachable,
        handshakes
    );
    if ctx.cancel.is_cancelled() {
        return Err(CollectError::Interrupted {
            reason: "stopped while probing TLS endpoints".into(),
            partial: Box::new(collected),
        });
    }
    if !crashed.is_empty() {
        return Err(CollectError::Failed {
            reason: format!(
                "{} endpoint probe(s) crashed (the rest is stored): {}",
                crashed.len(),
                crashed.join("; ")
            ),
            partial: Box::new(collected),
        });
    }
    Ok(collected)
}

/// The certificates, validation and name check of what the probe brought back.
fn examine(endpoint: &TlsEndpoint, probe: Probe, trust: &Trust, now: DateTime<Utc>) -> Done {
    let certs: Vec<CertInfo> = probe.chain.iter().map(|c| CertInfo::of(c, now)).collect();
    let validation = (!probe.chain.is_empty()).then(|| trust.verify(&probe.chain));
    let name_ok = certs
        .first()
        .is_some_and(|leaf| certificate::name_matches(leaf, endpoint.expected_name()));
    Done {
        probe,
        certs,
        validation,
        name_ok,
        probed_at: now,
    }
}

fn document(
    endpoint: &TlsEndpoint,
    done: &Done,
    found: &[Finding],
    chain_path: Option<&str>,
    trust_source: &str,
) -> Value {
    let p = &done.probe;
    let best = p.attempts.iter().rev().find(|(_, a)| a.accepted);
    json!({
        "endpoint": {
            "host": endpoint.host,
            "port": endpoint.port,
            "sni": endpoint.server_name(),
            "name": endpoint.name,
            "https": endpoint.checks_hsts(),
        },
        "subject": endpoint.subject(),
        "probed_at": canonical::timestamp(done.probed_at),
        "address": p.address.map(|a| a.to_string()),
        "reachable": p.unreachable.is_none(),
        "error": p.unreachable.as_ref().or(p.cut_short.as_ref()),
        "handshakes": p.handshakes,
        "protocols": p.attempts.iter().map(|(_, a)| a).collect::<Vec<_>>(),
        "best_protocol": best.map(|(v, _)| v.as_str()),
        "certificates": done.certs,
        "chain_pem": chain_path,
        "validation": done.validation.as_ref().map(|v| json!({
            "trust_roots": trust_source,
            "trusted": v.trusted,
            "error": v.error,
            "error_ignoring_dates": v.error_ignoring_dates,
            "hostname": endpoint.expected_name(),
            "hostname_matches": done.name_ok,
        })),
        "hsts": p.hsts,
        "findings": found.iter().map(|f| json!({
            "rule": f.rule,
            "severity": f.severity,
            "message": f.message,
        })).collect::<Vec<_>>(),
    })
}

fn row(endpoint: &TlsEndpoint, done: &Done, found: &[Finding]) -> Vec<String> {
    let p = &done.probe;
    let mut cells = vec![
        endpoint.subject(),
        endpoint.name.clone().unwrap_or_default(),
        endpoint.server_name().unwrap_or_default().to_string(),
        p.unreachable.is_none().to_string(),
    ];
    for v in probe::VERSIONS {
        cells.push(
            match p.attempts.iter().find(|(av, _)| *av == v) {
                Some((_, a)) if a.accepted => "accepted",
                Some(_) => "refused",
                None => "not probed",
            }
            .to_string(),
        );
    }
    let best = p.attempts.iter().rev().find(|(_, a)| a.accepted);
    cells.push(best.and_then(|(_, a)| a.cipher.clone()).unwrap_or_default());
    let leaf = done.certs.first();
    cells.push(leaf.map(|c| c.subject.clone()).unwrap_or_default());
    cells.push(leaf.map(|c| c.not_after.clone()).unwrap_or_default());
    cells.push(leaf.map(|c| c.days_left.to_string()).unwrap_or_default());
    cells.push(
        done.validation
            .as_ref()
            .map(|v| v.trusted.to_string())
            .unwrap_or_default(),
    );
    cells.push(if leaf.is_some() {
        done.name_ok.to_string()
    } else {
        String::new()
    });
    cells.push(match &p.hsts {
        Some(h) if h.enabled() => h.header.clone().unwrap_or_default(),
        Some(_) => "missing".into(),
        None => String::new(),
    });
    cells.push(found.len().to_string());
    cells
}

fn parameters(s: &TlsSettings, trust_source: &str) -> serde_json::Map<String, Value> {
    let mut p = serde_json::Map::new();
    p.insert(
        "endpoints".into(),
        json!(
            s.endpoints
                .iter()
                .map(TlsEndpoint::subject)
                .collect::<Vec<_>>()
        ),
    );
    p.insert("profile".into(), json!(s.profile.as_str()));
    p.insert("expiry_warning_days".into(), json!(s.expiry_warning_days));
    p.insert("min_rsa_bits".into(), json!(s.min_rsa_bits));
    p.insert("min_ec_bits".into(), json!(s.min_ec_bits));
    p.insert("trust_roots".into(), json!(trust_source));
    p.insert("max_concurrent".into(), json!(s.max_concurrent));
    p.insert("timeout_secs".into(), json!(s.timeout_secs));
    p
}
