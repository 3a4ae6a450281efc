//! One run folder into the bundle, checked on the way against its ledger line, `run.json` and
//! `SHA256SUMS`: evidence that does not verify is never handed over.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use serde::Deserialize;

use super::ExportError;
use super::bundle::{Bundle, Expect};
use crate::vault::canonical::sha256_hex;
use crate::vault::fsutil::open_nofollow;
use crate::vault::layout::{RUN_JSON, SUMS};
use crate::vault::ledger::Entry;

/// The part of run.json the export checks.
#[derive(Deserialize)]
struct Record {
    artifacts: Vec<Artifact>,
}

#[derive(Deserialize)]
struct Artifact {
    path: String,
    size: u64,
    sha256: String,
}

/// Files and bytes a run folder added.
#[derive(Debug, Default, Clone, Copy)]
pub struct Added {
    pub files: u64,
    pub bytes: u64,
}

/// Adds the run folder of `entry` (in `window_dir`) to `bundle` under `prefix` (the window
/// folder's path in the bundle).
pub fn add(
    bundle: &mut Bundle,
    window_dir: &Path,
    prefix: &str,
    entry: &Entry,
) -> Result<Added, ExportError> {
    let dir = window_dir.join(&entry.run);
    let run_json = read_small(&dir.join(RUN_JSON))?;
    vouched(&dir.join(RUN_JSON), &run_json, &entry.run_json_sha256)?;
    let sums_bytes = read_small(&dir.join(SUMS))?;
    vouched(&dir.join(SUMS), &sums_bytes, &entry.sums_sha256)?;
    let sums = parse_sums(&dir.join(SUMS), &sums_bytes)?;

    let record: Record = serde_json::from_slice(&run_json)
        .map_err(|e| ExportError::evidence(dir.join(RUN_JSON), format!("not a run record: {e}")))?;
    let mut sizes = BTreeMap::new();
    for a in &record.artifacts {
        if sums.get(&a.path) != Some(&a.sha256) {
            return Err(ExportError::evidence(
                dir.join(SUMS),
                format!("does not list `{}` with the SHA-256 run.json gives", a.path),
            ));
        }
        sizes.insert(a.path.as_str(), a.size);
    }
    if sums.get(RUN_JSON) != Some(&sha256_hex(&run_json)) || sums.len() != sizes.len() + 1 {
        return Err(ExportError::evidence(
            dir.join(SUMS),
            "does not list exactly run.json and the artifacts of run.json",
        ));
    }
    let mut on_disk = Vec::new();
    walk(&dir, "", &mut on_disk)?;
    on_disk.sort();
    let mut added = Added::default();
    for rel in &on_disk {
        let src = dir.join(rel);
        let in_bundle = format!("{prefix}/{}/{rel}", entry.run);
        let expect = match rel.as_str() {
            SUMS => Expect {
                sha256: &entry.sums_sha256,
                size: Some(sums_bytes.len() as u64),
                source: "its ledger line",
            },
            RUN_JSON => Expect {
                sha256: &entry.run_json_sha256,
                size: Some(run_json.len() as u64),
                source: "its ledger line",
            },
            other => match (sums.get(other), sizes.get(other)) {
                (Some(sha), Some(size)) => Expect {
                    sha256: sha,
                    size: Some(*size),
                    source: "run.json",
                },
                _ => {
                    return Err(ExportError::evidence(
                        &src,
                        "is in the run folder but not in its run.json or SHA256SUMS",
                    ));
                }
            },
        };
        let (size, _) = bundle.add_file(&in_bundle, &src, None, Some(expect))?;
        added.files += 1;
        added.bytes += size;
    }
    if let Some(gone) = sums.keys().find(|k| !on_disk.contains(k)) {
        return Err(ExportError::evidence(
            dir.join(gone),
            "is listed in SHA256SUMS but missing",
        ));
    }
    Ok(added)
}

/// Reads a run record or checksum list; these stay small next to the artifacts they describe.
fn read_small(path: &Path) -> Result<Vec<u8>, ExportError> {
    let mut bytes = Vec::new();
    open_nofollow(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ExportError::evidence(path, "is missing"),
            _ => ExportError::io("cannot read", path, e),
        })?;
    Ok(bytes)
}

fn vouched(path: &Path, bytes: &[u8], want: &str) -> Result<(), ExportError> {
    let sha = sha256_hex(bytes);
    if sha == want {
        Ok(())
    } else {
        Err(ExportError::evidence(
            path,
            format!("SHA-256 is {sha}, its ledger line says {want}"),
        ))
    }
}

/// `path → sha256` from a run's `SHA256SUMS`.
fn parse_sums(path: &Path, bytes: &[u8]) -> Result<BTreeMap<String, String>, ExportError> {
    let text =
        std::str::from_utf8(bytes).map_err(|_| ExportError::evidence(path, "is not UTF-8 text"))?;
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let parsed = line
            .split_once("  ")
            .filter(|(sha, _)| sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()));
        let Some((sha, file)) = parsed else {
            return Err(ExportError::evidence(
                path,
                format!("line {} is not `<sha256>  <path>`", i + 1),
            ));
        };
        out.insert(file.to_string(), sha.to_string());
    }
    Ok(out)
}

/// Every regular file under `dir` (relative, `/`-separated); anything else is refused.
pub(super) fn walk(dir: &Path, rel: &str, out: &mut Vec<String>) -> Result<(), ExportError> {
    let here = dir.join(rel);
    let entries = std::fs::read_dir(&here).map_err(|e| ExportError::io("cannot list", &here, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| ExportError::io("cannot list", &here, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let child = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        let kind = entry
            .file_type()
            .map_err(|e| ExportError::io("cannot stat", entry.path(), e))?;
        if kind.is_dir() {
            walk(dir, &child, out)?;
        } else if kind.is_file() {
            out.push(child);
        } else {
            return Err(ExportError::evidence(
                entry.path(),
                "is not a regular file or folder",
            ));
        }
    }
    Ok(())
}
