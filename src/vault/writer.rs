//! Staging a run and committing it: the only code that adds evidence to the vault.

use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::fsutil::{self, FILE_MODE};
use super::ledger::{self, NewEntry};
use super::{VaultError, canonical, layout};
use crate::evidence::{Finding, Refusal, RunStatus, findings_summary};

/// Format version written to vault.json and run.json.
pub const FORMAT_VERSION: u64 = 1;

/// An open vault folder.
#[derive(Debug, Clone)]
pub struct Vault {
    root: PathBuf,
    host: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectorInfo {
    pub name: String,
    pub version: String,
    /// `built-in` or `custom`.
    pub kind: String,
}

/// The window a run is filed under, as recorded in run.json.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowRef {
    pub name: String,
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
}

/// What is known about a run when it starts; written to staging first so a crash leaves a trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunMeta {
    pub run_id: String,
    pub collector: CollectorInfo,
    pub criteria: Vec<String>,
    pub window: WindowRef,
    pub started_at: DateTime<Utc>,
}

/// How a run ended; everything run.json needs besides what `RunMeta` and the artifacts give.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: RunStatus,
    pub finished_at: DateTime<Utc>,
    pub error: Option<String>,
    pub findings: Vec<Finding>,
    pub summary: serde_json::Map<String, serde_json::Value>,
    pub parameters: serde_json::Map<String, serde_json::Value>,
    pub refused: Vec<Refusal>,
    /// Written as `run.log` when not empty.
    pub log: Vec<u8>,
    /// Set by recovery: why the ledger line was written late.
    pub ledger_note: Option<String>,
    /// The collector's resume point (e.g. a watermark), handed to its next run in the window.
    pub state: Option<serde_json::Value>,
}

impl Outcome {
    pub fn new(status: RunStatus, error: Option<String>) -> Outcome {
        Outcome {
            status,
            finished_at: Utc::now(),
            error,
            findings: Vec::new(),
            summary: Default::default(),
            parameters: Default::default(),
            refused: Vec::new(),
            log: Vec::new(),
            ledger_note: None,
            state: None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
struct ArtifactEntry {
    path: String,
    size: u64,
    sha256: String,
    media_type: String,
}

/// A committed run.
#[derive(Debug, Clone)]
pub struct Committed {
    pub dir: PathBuf,
    pub window: String,
    pub run: String,
    pub seq: u64,
    pub status: RunStatus,
    pub artifacts: usize,
    pub bytes: u64,
}

/// A run being written in `.staging/`. Dropping it without `commit` leaves the staging folder for
/// start-up recovery to record as interrupted.
pub struct StagedRun {
    root: PathBuf,
    host: String,
    meta: RunMeta,
    dir: PathBuf,
    artifacts: Vec<ArtifactEntry>,
    bytes: u64,
    /// Holds the staging lock: recovery in another process leaves a locked run alone.
    _lock: File,
}

impl Vault {
    /// Opens the vault at `root`, creating it if it does not exist.
    pub fn open(root: &Path) -> Result<Vault, VaultError> {
        fsutil::create_dirs(root)?;
        let marker = layout::marker(root);
        match fs::read(&marker) {
            Ok(bytes) => check_marker(root, &bytes)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let foreign = fs::read_dir(root)
                    .map_err(VaultError::io("cannot list", root))?
                    .filter_map(|e| e.ok())
                    // The marker's own temporary file is left by a kill mid-creation.
                    .any(|e| {
                        e.file_name() != layout::STAGING
                            && Some(e.file_name().as_os_str())
                                != marker.with_extension("tmp").file_name()
                    });
                if foreign {
                    return Err(VaultError::NotAVault {
                        path: root.to_path_buf(),
                        reason: "missing, and the folder is not empty".into(),
                    });
                }
                fsutil::write_atomic(
                    &marker,
                    &canonical::pretty(
                        &json!({"format": "evidence-agent-vault", "version": FORMAT_VERSION}),
                    ),
                )?;
            }
            Err(e) => return Err(VaultError::io("cannot read", &marker)(e)),
        }
        fsutil::create_dirs(&layout::staging_root(root))?;
        Ok(Vault {
            root: root.to_path_buf(),
            host: hostname(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Starts a run: records it in staging before anything else happens.
    pub fn begin(&self, meta: RunMeta) -> Result<StagedRun, VaultError> {
        if !layout::valid_name(&meta.collector.name) {
            return Err(VaultError::BadName {
                name: meta.collector.name.clone(),
                reason: "collector names use A-Z a-z 0-9 - _ . only".into(),
            });
        }
        let lock_path = layout::staging_lock(&self.root, &meta.run_id);
        let lock = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(FILE_MODE)
            .open(&lock_path)
            .map_err(VaultError::io("cannot create", &lock_path))?;
        lock.lock()
            .map_err(VaultError::io("cannot lock", &lock_path))?;
        fsutil::write_atomic(
            &layout::staging_meta(&self.root, &meta.run_id),
            &canonical::pretty(&meta),
        )?;
        self.resume(meta, lock)
    }

    /// Opens the staging folder of a run whose marker and lock exist (used by recovery).
    pub(crate) fn resume(&self, meta: RunMeta, lock: File) -> Result<StagedRun, VaultError> {
        let dir = layout::staging_dir(&self.root, &meta.run_id);
        fsutil::create_dirs(&dir.join(layout::ARTIFACTS))?;
        Ok(StagedRun {
            root: self.root.clone(),
            host: self.host.clone(),
            meta,
            dir,
            artifacts: Vec::new(),
            bytes: 0,
            _lock: lock,
        })
    }
}

fn check_marker(root: &Path, bytes: &[u8]) -> Result<(), VaultError> {
    let v: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| VaultError::NotAVault {
            path: root.to_path_buf(),
            reason: e.to_string(),
        })?;
    if v["format"] != "evidence-agent-vault" {
        return Err(VaultError::NotAVault {
            path: root.to_path_buf(),
            reason: "`format` is not `evidence-agent-vault`".into(),
        });
    }
    if v["version"] != FORMAT_VERSION {
        return Err(VaultError::NotAVault {
            path: root.to_path_buf(),
            reason: format!(
                "format version {} is not {FORMAT_VERSION}: use the evidence-agent release that wrote it",
                v["version"]
            ),
        });
    }
    Ok(())
}

impl StagedRun {
    pub fn meta(&self) -> &RunMeta {
        &self.meta
    }

    /// An empty folder a collector process may write into; its files are taken with `add_file`.
    pub fn scratch_dir(&self) -> Result<PathBuf, VaultError> {
        let dir = self.dir.join(layout::SCRATCH);
        fsutil::create_dirs(&dir)?;
        Ok(dir)
    }

    fn target(&self, rel: &str) -> Result<PathBuf, VaultError> {
        layout::check_artifact_path(rel).map_err(|reason| VaultError::BadName {
            name: rel.to_string(),
            reason,
        })?;
        if self
            .artifacts
            .iter()
            .any(|a| a.path == format!("{}/{rel}", layout::ARTIFACTS))
        {
            return Err(VaultError::BadName {
                name: rel.to_string(),
                reason: "written twice in one run".into(),
            });
        }
        let path = self.dir.join(layout::ARTIFACTS).join(rel);
        if let Some(parent) = path.parent() {
            fsutil::create_dirs(parent)?;
        }
        Ok(path)
    }

    /// Adds an artifact from memory at `artifacts/<rel>`.
    pub fn add_bytes(
        &mut self,
        rel: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<(), VaultError> {
        let path = self.target(rel)?;
        fsutil::write_new(&path, bytes)?;
        self.record(
            format!("{}/{rel}", layout::ARTIFACTS),
            bytes.len() as u64,
            canonical::sha256_hex(bytes),
            media_type,
        );
        Ok(())
    }

    /// Moves a regular file (on the vault's file system, e.g. from the scratch folder) to
    /// `artifacts/<rel>`, fsyncs and hashes it without reading it into memory.
    pub fn add_file(&mut self, rel: &str, media_type: &str, src: &Path) -> Result<u64, VaultError> {
        let path = self.target(rel)?;
        fsutil::rename_noreplace(src, &path)?;
        // Read-only is enough to chmod and fsync, and works for a file its writer made read-only.
        let f = File::open(&path).map_err(VaultError::io("cannot open", &path))?;
        f.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(FILE_MODE))
            .map_err(VaultError::io("cannot chmod", &path))?;
        f.sync_all()
            .map_err(VaultError::io("cannot fsync", &path))?;
        let (sha, size) = fsutil::hash_file(&path).map_err(VaultError::io("cannot read", &path))?;
        self.record(
            format!("{}/{rel}", layout::ARTIFACTS),
            size,
            sha,
            media_type,
        );
        Ok(size)
    }

    fn record(&mut self, path: String, size: u64, sha256: String, media_type: &str) {
        self.bytes += size;
        self.artifacts.push(ArtifactEntry {
            path,
            size,
            sha256,
            media_type: media_type.to_string(),
        });
    }

    /// Bytes of artifacts added so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Drops every artifact added so far (an interrupted run keeps no partial evidence).
    /// Returns the number of files and bytes discarded.
    pub fn discard_artifacts(&mut self) -> Result<(u64, u64), VaultError> {
        let (files, bytes) = count_files(&self.dir);
        if self.dir.exists() {
            fs::remove_dir_all(&self.dir)
                .map_err(VaultError::io("cannot clear staging", &self.dir))?;
        }
        fsutil::create_dirs(&self.dir.join(layout::ARTIFACTS))?;
        self.artifacts.clear();
        self.bytes = 0;
        Ok((files, bytes))
    }

    /// Writes run.json and SHA256SUMS, moves the run into place and appends it to the ledger.
    pub fn commit(mut self, outcome: Outcome) -> Result<Committed, VaultError> {
        let scratch = self.dir.join(layout::SCRATCH);
        if scratch.exists() {
            fs::remove_dir_all(&scratch)
                .map_err(VaultError::io("cannot remove scratch folder", &scratch))?;
        }
        if !outcome.log.is_empty() {
            let path = self.dir.join(layout::RUN_LOG);
            fsutil::write_new(&path, &outcome.log)?;
            self.record(
                layout::RUN_LOG.to_string(),
                outcome.log.len() as u64,
                canonical::sha256_hex(&outcome.log),
                "text/plain",
            );
        }
        self.artifacts.sort_by(|a, b| a.path.cmp(&b.path));
        let artifacts_dir = self.dir.join(layout::ARTIFACTS);
        if !self
            .artifacts
            .iter()
            .any(|a| a.path.starts_with("artifacts/"))
            && artifacts_dir.exists()
        {
            // An empty folder would be an unaccounted-for entry for verify.
            fs::remove_dir_all(&artifacts_dir)
                .map_err(VaultError::io("cannot remove", &artifacts_dir))?;
        }
        let run_json = canonical::pretty(&self.run_record(&outcome));
        fsutil::write_new(&self.dir.join(layout::RUN_JSON), &run_json)?;
        let run_json_sha256 = canonical::sha256_hex(&run_json);
        let mut lines: Vec<(String, String)> = self
            .artifacts
            .iter()
            .map(|a| (a.path.clone(), a.sha256.clone()))
            .collect();
        lines.push((layout::RUN_JSON.to_string(), run_json_sha256.clone()));
        lines.sort();
        let sums: String = lines.iter().map(|(p, h)| format!("{h}  {p}\n")).collect();
        fsutil::write_new(&self.dir.join(layout::SUMS), sums.as_bytes())?;
        sync_tree(&self.dir)?;

        let window = self.meta.window.name.clone();
        let window_dir = layout::window_dir(&self.root, &window);
        fsutil::create_dirs(&window_dir)?;
        let run_rel = layout::run_rel(
            self.meta.started_at.date_naive(),
            &self.meta.collector.name,
            &self.meta.run_id,
        );
        let final_dir = layout::run_dir(&self.root, &window, &run_rel);
        let mut ledger = ledger::Locked::open(&layout::ledger(&self.root, &window))?;
        let parent = final_dir.parent().expect("run folders have a parent");
        fsutil::create_dirs(parent)?;
        fsutil::rename_noreplace(&self.dir, &final_dir)?;
        for dir in [
            parent,
            parent.parent().unwrap_or(parent),
            &window_dir,
            &layout::staging_root(&self.root),
        ] {
            fsutil::fsync_dir(dir)?;
        }
        let entry = ledger.append(
            NewEntry {
                window: window.clone(),
                run: run_rel.clone(),
                collector: self.meta.collector.name.clone(),
                status: outcome.status,
                started_at: canonical::timestamp(self.meta.started_at),
                finished_at: canonical::timestamp(outcome.finished_at),
                run_json_sha256,
                sums_sha256: canonical::sha256_hex(sums.as_bytes()),
                note: outcome.ledger_note.clone(),
            },
            canonical::timestamp(Utc::now()),
        )?;
        drop(ledger);
        let _ = fs::remove_file(layout::staging_meta(&self.root, &self.meta.run_id));
        let _ = fs::remove_file(layout::staging_lock(&self.root, &self.meta.run_id));
        Ok(Committed {
            dir: final_dir,
            window,
            run: run_rel,
            seq: entry.seq,
            status: outcome.status,
            artifacts: self.artifacts.len(),
            bytes: self.bytes + run_json.len() as u64 + sums.len() as u64,
        })
    }

    fn run_record(&self, o: &Outcome) -> serde_json::Value {
        let mut record = json!({
            "format": FORMAT_VERSION,
            "run_id": self.meta.run_id,
            "collector": self.meta.collector,
            "criteria": self.meta.criteria,
            "window": self.meta.window,
            "started_at": canonical::timestamp(self.meta.started_at),
            "finished_at": canonical::timestamp(o.finished_at),
            "status": o.status,
            "error": o.error,
            "parameters": o.parameters,
            "agent": {"version": crate::AGENT_VERSION, "host": self.host},
            "artifacts": self.artifacts,
            "findings": o.findings,
            "findings_summary": findings_summary(&o.findings),
            "summary": o.summary,
            "refused": o.refused,
        });
        // Only collectors that resume carry `state`; other records keep their shape.
        if let (Some(state), Some(map)) = (&o.state, record.as_object_mut()) {
            map.insert("state".to_string(), state.clone());
        }
        record
    }
}

/// fsync every file and folder below `dir` (files first), then `dir` itself.
fn sync_tree(dir: &Path) -> Result<(), VaultError> {
    for entry in fs::read_dir(dir).map_err(VaultError::io("cannot list", dir))? {
        let entry = entry.map_err(VaultError::io("cannot list", dir))?;
        let path = entry.path();
        let ft = entry
            .file_type()
            .map_err(VaultError::io("cannot stat", &path))?;
        if ft.is_dir() {
            sync_tree(&path)?;
        } else if ft.is_file() {
            File::open(&path)
                .and_then(|f| f.sync_all())
                .map_err(VaultError::io("cannot fsync", &path))?;
        }
    }
    fsutil::fsync_dir(dir)
}

/// Files and bytes below `dir`, not following links.
fn count_files(dir: &Path) -> (u64, u64) {
    let mut files = 0;
    let mut bytes = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            match e.metadata() {
                Ok(m) if m.is_dir() => stack.push(e.path()),
                Ok(m) => {
                    files += 1;
                    bytes += m.len();
                }
                Err(_) => {}
            }
        }
    }
    (files, bytes)
}

pub(crate) fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}
