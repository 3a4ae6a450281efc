//! One candidate file: settled and small enough? already stored? Otherwise copied into the
//! run's scratch folder while hashed (streaming), parsed from the copy, and stored with its
//! `summary.json` under `reports/<sha256[..12]>/`.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::formats::{self, Format, ParseError, Summary};
use super::state::{Imported, Seen, State};
use crate::vault::{StagedRun, VaultError, canonical, fsutil};

/// What became of one file this run; the `status` column of reports.csv.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// Stored and parsed.
    Imported,
    /// Its content was stored by an earlier run (or earlier in this one).
    AlreadyImported,
    /// Stored as-is: not a format the importer knows.
    Unrecognised,
    /// Stored as-is: a known format that could not be parsed.
    Malformed,
    /// Over `max_file_bytes`: not stored, looked at again next run.
    TooLarge,
    /// Modified within `settle_secs` (or while being copied): left for the next run.
    Unsettled,
    /// Gone between listing and reading.
    Vanished,
    /// Present but could not be read; fails the run.
    Unreadable,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Imported => "imported",
            Status::AlreadyImported => "already_imported",
            Status::Unrecognised => "unrecognised",
            Status::Malformed => "malformed",
            Status::TooLarge => "too_large",
            Status::Unsettled => "unsettled",
            Status::Vanished => "vanished",
            Status::Unreadable => "unreadable",
        }
    }

    pub const ALL: [Status; 8] = [
        Status::Imported,
        Status::AlreadyImported,
        Status::Unrecognised,
        Status::Malformed,
        Status::TooLarge,
        Status::Unsettled,
        Status::Vanished,
        Status::Unreadable,
    ];
}

/// One line of reports.csv: a file seen this run.
#[derive(Debug, Clone)]
pub struct Row {
    pub source: String,
    pub file_name: String,
    pub size: u64,
    pub sha256: Option<String>,
    pub status: Status,
    pub reason: Option<String>,
    /// The parsed summary of a report imported this run.
    pub summary: Option<Summary>,
    /// The report's own scan time, else the import time.
    pub effective_at: Option<DateTime<Utc>>,
    /// `summary.json` of a file stored this run, or of the run that stored it.
    pub artifact: Option<String>,
}

/// What the file importer needs from the run.
pub struct Importer<'a> {
    pub run_id: &'a str,
    pub now: DateTime<Utc>,
    pub settle_secs: u64,
    pub max_file_bytes: u64,
    pub scratch: PathBuf,
    pub cancel: CancellationToken,
    /// Names scratch copies.
    pub counter: u64,
}

impl Importer<'_> {
    /// Imports `path` unless it is stored already; only vault errors stop the run.
    pub async fn one(
        &mut self,
        path: &Path,
        state: &mut State,
        staged: &mut StagedRun,
    ) -> Result<Row, VaultError> {
        let source = path.display().to_string();
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| source.clone());
        let mut row = Row {
            source: source.clone(),
            file_name,
            size: 0,
            sha256: None,
            status: Status::Unreadable,
            reason: None,
            summary: None,
            effective_at: None,
            artifact: None,
        };
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => return Ok(unread(row, &e)),
        };
        row.size = meta.len();
        let modified_ns = modified_ns(meta.modified().ok());
        if meta.len() > self.max_file_bytes {
            row.status = Status::TooLarge;
            row.reason = Some(format!(
                "{} bytes, more than `scan_reports.max_file_bytes` = {}; raise it to import this file",
                meta.len(),
                self.max_file_bytes
            ));
            return Ok(row);
        }
        if self.unsettled(modified_ns) {
            row.status = Status::Unsettled;
            row.reason = Some(format!(
                "modified less than `scan_reports.settle_secs` = {}s ago; imported by a later run",
                self.settle_secs
            ));
            return Ok(row);
        }
        if let Some(sha) = state.known(&source, meta.len(), modified_ns) {
            return Ok(already(row, sha.to_string(), state));
        }
        self.counter += 1;
        let copy = self.scratch.join(format!("copy-{}", self.counter));
        let copied = {
            let (src, dst, limit, cancel) = (
                path.to_path_buf(),
                copy.clone(),
                self.max_file_bytes,
                self.cancel.clone(),
            );
            tokio::task::spawn_blocking(move || copy_hashing(&src, &dst, limit, &cancel)).await
        };
        let copied = match copied {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                remove(&copy);
                return Ok(match e {
                    CopyError::Read(e) => unread(row, &e),
                    CopyError::Write(e) => {
                        return Err(VaultError::Io {
                            action: "cannot write the copy",
                            path: copy,
                            source: e,
                        });
                    }
                    CopyError::Changed => {
                        row.status = Status::Unsettled;
                        row.reason =
                            Some("changed while being copied; imported by a later run".into());
                        row
                    }
                    CopyError::Grew => {
                        row.status = Status::TooLarge;
                        row.reason = Some(format!(
                            "grew past `scan_reports.max_file_bytes` = {} while being copied",
                            self.max_file_bytes
                        ));
                        row
                    }
                    CopyError::Stopped => {
                        row.reason = Some("the run was stopped while copying it".into());
                        row
                    }
                });
            }
            Err(e) => {
                remove(&copy);
                row.reason = Some(format!("copying failed: {e}"));
                return Ok(row);
            }
        };
        row.size = copied.size;
        state.seen.insert(
            source.clone(),
            Seen {
                size: copied.size,
                modified_ns,
                sha256: copied.sha256.clone(),
            },
        );
        if state.imported.contains_key(&copied.sha256) {
            remove(&copy);
            return Ok(already(row, copied.sha256, state));
        }
        let parsed = {
            let c = copy.clone();
            tokio::task::spawn_blocking(move || formats::read(&c))
                .await
                .unwrap_or_else(|e| Err(ParseError::Io(std::io::Error::other(e.to_string()))))
        };
        self.store(row, copied.sha256, &copy, parsed, state, staged)
    }

    fn unsettled(&self, modified_ns: i128) -> bool {
        let now_ns = i128::from(self.now.timestamp_nanos_opt().unwrap_or(i64::MAX));
        now_ns - modified_ns < i128::from(self.settle_secs) * 1_000_000_000
    }

    /// Stores the copy and its summary.json, and remembers the content.
    fn store(
        &self,
        mut row: Row,
        sha256: String,
        copy: &Path,
        parsed: Result<Summary, ParseError>,
        state: &mut State,
        staged: &mut StagedRun,
    ) -> Result<Row, VaultError> {
        let dir = format!("reports/{}", &sha256[..12]);
        let stored = format!("{dir}/{}", artifact_name(&row.file_name));
        let media = match &parsed {
            Ok(s) => media_type(s.format),
            Err(_) => "application/octet-stream",
        };
        staged.add_file(&stored, media, copy)?;
        let mut doc = serde_json::Map::new();
        doc.insert("source".into(), json!(row.source));
        doc.insert("file_name".into(), json!(row.file_name));
        doc.insert("size".into(), json!(row.size));
        doc.insert("sha256".into(), json!(sha256));
        doc.insert("artifact".into(), json!(stored));
        doc.insert("run_id".into(), json!(self.run_id));
        doc.insert("imported_at".into(), json!(canonical::timestamp(self.now)));
        let mut entry = Imported {
            file_name: row.file_name.clone(),
            run_id: self.run_id.to_string(),
            status: String::new(),
            format: None,
            scanner: None,
            targets: Vec::new(),
            scanned_at: None,
        };
        match parsed {
            Ok(summary) => {
                let effective = summary.scanned_at.unwrap_or(self.now);
                row.status = Status::Imported;
                row.effective_at = Some(effective);
                doc.insert("status".into(), json!("parsed"));
                doc.insert("format".into(), json!(summary.format));
                doc.insert("scanner".into(), json!(summary.scanner));
                doc.insert("scanner_version".into(), json!(summary.scanner_version));
                doc.insert("targets".into(), json!(summary.targets));
                doc.insert(
                    "scanned_at".into(),
                    json!(summary.scanned_at.map(canonical::timestamp)),
                );
                doc.insert(
                    "effective_date".into(),
                    json!(canonical::timestamp(effective)),
                );
                doc.insert(
                    "effective_date_source".into(),
                    json!(if summary.scanned_at.is_some() {
                        "report"
                    } else {
                        "import"
                    }),
                );
                doc.insert("counts".into(), json!(summary.counts));
                doc.insert("findings".into(), json!(summary.findings));
                entry.status = "parsed".into();
                entry.format = Some(family(summary.format));
                entry.scanner = Some(summary.scanner.clone());
                entry.targets = summary.targets.clone();
                entry.scanned_at = Some(effective);
                row.summary = Some(summary);
            }
            Err(e) => {
                let (status, reason) = match &e {
                    ParseError::UnknownFormat(_) => (Status::Unrecognised, e.to_string()),
                    _ => (Status::Malformed, e.to_string()),
                };
                row.status = status;
                entry.status = status.as_str().into();
                doc.insert("status".into(), json!(status.as_str()));
                doc.insert("reason".into(), json!(reason));
                row.reason = Some(reason);
            }
        }
        let summary_path = format!("{dir}/summary.json");
        staged.add_bytes(
            &summary_path,
            "application/json",
            &canonical::pretty(&Value::Object(doc)),
        )?;
        row.artifact = Some(summary_path);
        row.sha256 = Some(sha256.clone());
        tracing::info!(
            message = "Scan report stored.",
            source = %row.source,
            status = row.status.as_str(),
            sha256 = %sha256
        );
        state.record(&sha256, entry);
        Ok(row)
    }
}

fn already(mut row: Row, sha256: String, state: &State) -> Row {
    row.status = Status::AlreadyImported;
    if let Some(prev) = state.imported.get(&sha256) {
        row.reason = Some(format!(
            "the same content was stored as `{}` by run {}",
            prev.file_name, prev.run_id
        ));
        row.artifact = Some(format!("reports/{}/summary.json", &sha256[..12]));
    }
    row.sha256 = Some(sha256);
    row
}

fn unread(mut row: Row, e: &std::io::Error) -> Row {
    if e.kind() == std::io::ErrorKind::NotFound {
        row.status = Status::Vanished;
        row.reason = Some("removed before it could be read".into());
    } else {
        row.status = Status::Unreadable;
        row.reason = Some(format!(
            "cannot be read ({e}); let the agent's user read it"
        ));
    }
    row
}

fn remove(p: &Path) {
    if let Err(error) = std::fs::remove_file(p)
        && error.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(message = "Cannot remove a scratch copy.", path = %p.display(), %error);
    }
}

fn modified_ns(t: Option<SystemTime>) -> i128 {
    t.and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i128)
}

/// The format family: `trivy-json` → `trivy`, `sarif` → `sarif`.
pub fn family(f: Format) -> String {
    let name = serde_json::to_value(f)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    name.split('-').next().unwrap_or_default().to_string()
}

fn media_type(f: Format) -> &'static str {
    match f {
        Format::Sarif => "application/sarif+json",
        Format::ZapXml | Format::NessusXml => "application/xml",
        Format::TestsslCsv => "text/csv",
        _ => "application/json",
    }
}

/// The original name, with what an artifact name may not hold replaced.
fn artifact_name(name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_control() || c == '\\' || c == '/' {
                '_'
            } else {
                c
            }
        })
        .collect();
    match clean.as_str() {
        "" | "." | ".." | "summary.json" => format!("report-{clean}"),
        _ => clean,
    }
}

struct Copied {
    sha256: String,
    size: u64,
}

enum CopyError {
    Read(std::io::Error),
    Write(std::io::Error),
    /// Size or modification time moved during the copy: a writer is still at it.
    Changed,
    Grew,
    Stopped,
}

/// Reads the source for `hash_reader`, writing each chunk to the copy on the way.
struct Tee {
    src: File,
    dst: File,
    limit: u64,
    read: u64,
    cancel: CancellationToken,
    failed: Option<CopyError>,
}

impl Read for Tee {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.cancel.is_cancelled() {
            self.failed = Some(CopyError::Stopped);
            return Err(std::io::Error::other("stopped"));
        }
        let n = self.src.read(buf)?;
        self.read += n as u64;
        if self.read > self.limit {
            self.failed = Some(CopyError::Grew);
            return Err(std::io::Error::other("too large"));
        }
        if let Err(e) = self.dst.write_all(&buf[..n]) {
            self.failed = Some(CopyError::Write(e));
            return Err(std::io::Error::other("write failed"));
        }
        Ok(n)
    }
}

fn copy_hashing(
    src: &Path,
    dst: &Path,
    limit: u64,
    cancel: &CancellationToken,
) -> Result<Copied, CopyError> {
    let src = File::open(src).map_err(CopyError::Read)?;
    let before = src.metadata().map_err(CopyError::Read)?;
    let dst = File::create_new(dst).map_err(CopyError::Write)?;
    let mut tee = Tee {
        src,
        dst,
        limit,
        read: 0,
        cancel: cancel.clone(),
        failed: None,
    };
    let (sha256, size) = match fsutil::hash_reader(&mut tee, &mut vec![0u8; 256 * 1024]) {
        Ok(r) => r,
        Err(e) => return Err(tee.failed.take().unwrap_or(CopyError::Read(e))),
    };
    let after = tee.src.metadata().map_err(CopyError::Read)?;
    if after.len() != before.len() || after.modified().ok() != before.modified().ok() {
        return Err(CopyError::Changed);
    }
    Ok(Copied { sha256, size })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_names_stay_inside_their_folder() {
        assert_eq!(artifact_name("a\\b\nc.json"), "a_b_c.json");
        assert_eq!(artifact_name(".."), "report-..");
        assert_eq!(artifact_name("summary.json"), "report-summary.json");
        assert_eq!(family(Format::TrivyJson), "trivy");
        assert_eq!(family(Format::Sarif), "sarif");
        assert_eq!(family(Format::ZapXml), "zap");
    }

    #[test]
    fn a_copy_over_the_limit_stops_and_the_hash_matches_the_source() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        std::fs::write(&src, vec![7u8; 300_000]).unwrap();
        let cancel = CancellationToken::new();
        let ok = copy_hashing(&src, &dir.path().join("c1"), 300_000, &cancel);
        let Ok(c) = ok else { panic!("copy failed") };
        assert_eq!(c.size, 300_000);
        assert_eq!(c.sha256, fsutil::hash_file(&src).unwrap().0);
        assert_eq!(std::fs::read(dir.path().join("c1")).unwrap().len(), 300_000);
        let over = copy_hashing(&src, &dir.path().join("c2"), 299_999, &cancel);
        assert!(matches!(over, Err(CopyError::Grew)));
        cancel.cancel();
        let stopped = copy_hashing(&src, &dir.path().join("c3"), 300_000, &cancel);
        assert!(matches!(stopped, Err(CopyError::Stopped)));
    }
}
