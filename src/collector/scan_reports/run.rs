//! One run: list the sources, import each new file, write reports.csv (every file seen, the
//! population), and check the expected cadences. A missing source or an unreadable file fails
//! the run with its reason; everything else found is still imported and kept.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::Utc;
use serde_json::{Value, json};

use super::config::ScanReportSettings;
use super::findings;
use super::formats::ScanSeverity;
use super::import::{Importer, Row, Status};
use super::source;
use super::state::State;
use crate::collector::{CollectError, Collected, RunContext};
use crate::vault::{StagedRun, VaultError, canonical};

pub async fn collect(
    ctx: &RunContext,
    staged: &mut StagedRun,
    settings: &ScanReportSettings,
) -> Result<Collected, CollectError> {
    let base = ctx
        .config
        .path
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default();
    let directories: Vec<PathBuf> = settings.directories.iter().map(|d| base.join(d)).collect();
    let files: Vec<PathBuf> = settings.files.iter().map(|f| base.join(f)).collect();
    let mut collected = Collected {
        parameters: parameters(settings, &directories, &files),
        ..Collected::default()
    };
    let mut state = State::from_previous(ctx.previous_state.as_ref());
    let listing = {
        let (d, f, r) = (directories.clone(), files.clone(), settings.recursive);
        tokio::task::spawn_blocking(move || source::list(&d, &f, r))
            .await
            .unwrap_or_else(|e| source::Listing {
                files: Vec::new(),
                failures: vec![format!("listing the sources failed: {e}")],
            })
    };
    let mut failures = listing.failures;
    let mut importer = Importer {
        run_id: &ctx.run_id,
        now: Utc::now(),
        settle_secs: settings.settle_secs,
        max_file_bytes: settings.max_file_bytes,
        scratch: staged.scratch_dir()?,
        cancel: ctx.cancel.clone(),
        counter: 0,
    };
    let mut rows = Vec::new();
    let mut stopped = false;
    for (i, candidate) in listing.files.iter().enumerate() {
        if ctx.cancel.is_cancelled() {
            stopped = true;
            break;
        }
        ctx.progress.message(&format!(
            "file {}/{}: {}",
            i + 1,
            listing.files.len(),
            candidate.path.display()
        ));
        let row = importer.one(&candidate.path, &mut state, staged).await?;
        if row.status == Status::Unreadable {
            failures.push(format!(
                "{}: {}",
                row.source,
                row.reason.as_deref().unwrap_or("cannot be read")
            ));
        }
        rows.push(row);
    }
    staged.add_bytes("reports.csv", "text/csv", &reports_csv(&rows)?)?;
    collected.findings = findings::for_rows(&rows);
    collected
        .findings
        .extend(findings::overdue(&settings.expect, &state, importer.now));
    collected.summary = summary(&rows, &state);
    collected.state = Some(serde_json::to_value(&state).unwrap_or(Value::Null));
    tracing::info!(
        message = "Scan report import done.",
        files = rows.len(),
        imported = rows.iter().filter(|r| r.status == Status::Imported).count(),
        failures = failures.len()
    );
    if stopped {
        return Err(CollectError::Interrupted {
            reason: "stopped while importing scan reports".into(),
            partial: Box::new(collected),
        });
    }
    if failures.is_empty() {
        Ok(collected)
    } else {
        Err(CollectError::Failed {
            reason: format!(
                "{} source(s) or file(s) not imported (everything else found is stored): {}",
                failures.len(),
                failures.join("; ")
            ),
            partial: Box::new(collected),
        })
    }
}

fn summary(rows: &[Row], state: &State) -> serde_json::Map<String, Value> {
    let mut by_status: BTreeMap<&str, u64> = Status::ALL.iter().map(|s| (s.as_str(), 0)).collect();
    for r in rows {
        *by_status.entry(r.status.as_str()).or_default() += 1;
    }
    let bytes: u64 = rows
        .iter()
        .filter(|r| {
            matches!(
                r.status,
                Status::Imported | Status::Unrecognised | Status::Malformed
            )
        })
        .map(|r| r.size)
        .sum();
    let mut out = serde_json::Map::new();
    out.insert("files_seen".into(), json!(rows.len()));
    for (k, v) in by_status {
        out.insert(k.into(), json!(v));
    }
    out.insert("bytes_imported".into(), json!(bytes));
    out.insert("known_files".into(), json!(state.imported.len()));
    out
}

/// The columns of reports.csv (docs/collectors/scan-reports.md): the file, the scan, counts by
/// severity, the summary's path.
pub fn columns() -> Vec<&'static str> {
    let mut header = vec![
        "source",
        "file_name",
        "size",
        "sha256",
        "status",
        "reason",
        "format",
        "scanner",
        "scanner_version",
        "targets",
        "scanned_at",
        "effective_date",
    ];
    header.extend(ScanSeverity::ALL.iter().map(|s| severity_name(*s)));
    header.push("summary");
    header
}

fn reports_csv(rows: &[Row]) -> Result<Vec<u8>, VaultError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = columns();
    let io = |e: csv::Error| VaultError::Io {
        action: "cannot write",
        path: "reports.csv".into(),
        source: std::io::Error::other(e.to_string()),
    };
    w.write_record(&header).map_err(io)?;
    for r in rows {
        let s = r.summary.as_ref();
        let mut line = vec![
            r.source.clone(),
            r.file_name.clone(),
            r.size.to_string(),
            r.sha256.clone().unwrap_or_default(),
            r.status.as_str().to_string(),
            r.reason.clone().unwrap_or_default(),
            s.map(|s| super::import::family(s.format))
                .unwrap_or_default(),
            s.map(|s| s.scanner.clone()).unwrap_or_default(),
            s.and_then(|s| s.scanner_version.clone())
                .unwrap_or_default(),
            s.map(|s| s.targets.join(" ")).unwrap_or_default(),
            // The report's own time (empty when it has none), and the date the evidence counts
            // for: that time, else the import's.
            s.and_then(|s| s.scanned_at)
                .map(canonical::timestamp)
                .unwrap_or_default(),
            r.effective_at.map(canonical::timestamp).unwrap_or_default(),
        ];
        line.extend(ScanSeverity::ALL.iter().map(|sev| {
            s.map(|s| s.counts.get(sev).copied().unwrap_or(0).to_string())
                .unwrap_or_default()
        }));
        line.push(r.artifact.clone().unwrap_or_default());
        w.write_record(&line).map_err(io)?;
    }
    w.into_inner()
        .map_err(|e| io(csv::Error::from(e.into_error())))
}

fn severity_name(s: ScanSeverity) -> &'static str {
    match s {
        ScanSeverity::Critical => "critical",
        ScanSeverity::High => "high",
        ScanSeverity::Medium => "medium",
        ScanSeverity::Low => "low",
        ScanSeverity::Info => "info",
        ScanSeverity::Unknown => "unknown",
    }
}

fn parameters(
    s: &ScanReportSettings,
    directories: &[PathBuf],
    files: &[PathBuf],
) -> serde_json::Map<String, Value> {
    let mut p = serde_json::Map::new();
    let show = |v: &[PathBuf]| {
        v.iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
    };
    p.insert("directories".into(), json!(show(directories)));
    p.insert("files".into(), json!(show(files)));
    p.insert("recursive".into(), json!(s.recursive));
    p.insert("settle_secs".into(), json!(s.settle_secs));
    p.insert("max_file_bytes".into(), json!(s.max_file_bytes));
    p.insert("expect".into(), json!(s.expect));
    p
}
