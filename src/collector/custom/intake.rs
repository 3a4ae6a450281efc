//! Taking a finished collector's output: regular files become artifacts, anything else is
//! refused with a reason; stdout becomes findings and a summary.

use std::fs::{self, File};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::evidence::{Finding, Refusal};
use crate::vault::fsutil::FILE_MODE;
use crate::vault::{StagedRun, VaultError, layout};

/// A granted secret, to keep out of the vault.
pub struct SecretValue<'a> {
    pub name: &'a str,
    pub value: &'a [u8],
}

/// What intake took and refused.
#[derive(Debug, Default)]
pub struct Taken {
    /// Artifact paths relative to `artifacts/`.
    pub paths: Vec<String>,
    pub bytes: u64,
    pub refused: Vec<Refusal>,
}

/// Refuses (and removes from the run folder) what the collector wrote beside its output folder
/// through `..`: `scratch` holds the output folder and HOME (both named in `keep`), `run_dir`
/// holds `scratch` and the agent's `artifacts`. Nothing there may come from the collector.
pub fn sweep_outside(
    run_dir: &Path,
    scratch: &Path,
    keep: &[&str],
    secrets: &[SecretValue],
) -> Result<Vec<Refusal>, VaultError> {
    let why = "written outside EVIDENCE_OUT_DIR (a `..` path escapes the output folder); not kept";
    let mut refused = Vec::new();
    for (name, _) in entries(scratch)? {
        let name = name.to_string_lossy();
        if !keep.contains(&name.as_ref()) {
            refused.push(refusal(format!("../{name}"), why, secrets)); // the commit removes `scratch`
        }
    }
    let scratch_name = scratch
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for (name, path) in entries(run_dir)? {
        let name = name.to_string_lossy().into_owned();
        if name == scratch_name {
            continue;
        }
        if name == layout::ARTIFACTS && path.is_dir() {
            for (inner, inner_path) in entries(&path)? {
                refused.push(refusal(
                    format!("../../{name}/{}", inner.to_string_lossy()),
                    why,
                    secrets,
                ));
                remove(&inner_path)?;
            }
        } else {
            refused.push(refusal(format!("../../{name}"), why, secrets));
            remove(&path)?;
        }
    }
    Ok(refused)
}

/// Moves every acceptable regular file under `out` into the run's artifacts, at the same
/// relative path. Links are never followed; refused files stay behind and are discarded.
pub fn take_files(
    run: &mut StagedRun,
    out: &Path,
    secrets: &[SecretValue],
) -> Result<Taken, VaultError> {
    let mut taken = Taken::default();
    let mut stack = vec![(out.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        for (name, path) in entries(&dir)? {
            let shown = format!("{prefix}{}", name.to_string_lossy());
            let ft = fs::symlink_metadata(&path)
                .map_err(VaultError::io("cannot stat", &path))?
                .file_type();
            let Some(name) = name.to_str() else {
                let what = if ft.is_dir() {
                    "folder name is not valid UTF-8; nothing inside it was taken"
                } else {
                    "name is not valid UTF-8"
                };
                taken.refused.push(refusal(shown, what, secrets));
                continue;
            };
            let rel = format!("{prefix}{name}");
            if ft.is_dir() {
                stack.push((path, format!("{rel}/")));
                continue;
            }
            if let Some(reason) = refuse_file(&rel, &path, &ft, secrets) {
                taken.refused.push(refusal(rel, &reason, secrets));
                continue;
            }
            taken.bytes += run.add_file(&rel, media_type(&rel), &path)?;
            taken.paths.push(rel);
        }
    }
    taken.paths.sort();
    taken.refused.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(taken)
}

/// Why a (non-folder) entry of the output folder is not taken, if it is not.
fn refuse_file(
    rel: &str,
    path: &Path,
    ft: &fs::FileType,
    secrets: &[SecretValue],
) -> Option<String> {
    let kind = if ft.is_symlink() {
        Some("symbolic link: links are never followed; write the file itself")
    } else if ft.is_fifo() {
        Some("FIFO (named pipe): only regular files are taken")
    } else if ft.is_socket() {
        Some("socket: only regular files are taken")
    } else if ft.is_block_device() || ft.is_char_device() {
        Some("device file: only regular files are taken")
    } else if !ft.is_file() {
        Some("not a regular file")
    } else {
        None
    };
    if let Some(k) = kind {
        return Some(k.to_string());
    }
    if let Err(reason) = layout::check_artifact_path(rel) {
        return Some(format!("name refused: {reason}"));
    }
    if let Some(s) = secrets.iter().find(|s| contains(rel.as_bytes(), s.value)) {
        return Some(secret_reason(s.name));
    }
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) => return Some(format!("cannot be read: {e}")),
    };
    if meta.nlink() > 1 {
        // A hard link shares its contents with a file outside the vault, which could change it.
        return Some(format!(
            "hard link ({} names for one file): write a file of its own",
            meta.nlink()
        ));
    }
    // The collector may have left it unreadable (e.g. copied from a 0400 file); it is ours now.
    if let Err(e) = fs::set_permissions(path, fs::Permissions::from_mode(FILE_MODE)) {
        return Some(format!("cannot be read: {e}"));
    }
    match find_secret(path, secrets) {
        Ok(Some(name)) => Some(secret_reason(name)),
        Ok(None) => None,
        Err(e) => Some(format!("cannot be read: {e}")),
    }
}

fn secret_reason(name: &str) -> String {
    format!("contains the value of secret {name}; the agent never stores secrets")
}

/// A refusal whose path shows no secret value (a file may be named after one).
fn refusal(path: String, reason: &str, secrets: &[SecretValue]) -> Refusal {
    let mut path = path;
    for s in secrets {
        if let Ok(v) = std::str::from_utf8(s.value) {
            path = path.replace(v, &format!("[redacted secret {}]", s.name));
        }
    }
    Refusal {
        path,
        reason: reason.to_string(),
    }
}

/// The first secret whose value occurs in the file, read in blocks so memory stays flat.
fn find_secret<'a>(path: &Path, secrets: &[SecretValue<'a>]) -> io::Result<Option<&'a str>> {
    let longest = secrets.iter().map(|s| s.value.len()).max().unwrap_or(0);
    if longest == 0 {
        return Ok(None);
    }
    let mut f = File::open(path)?;
    let mut buf = vec![0u8; 256 * 1024 + longest];
    let mut kept = 0;
    loop {
        let n = match f.read(&mut buf[kept..]) {
            Ok(0) => return Ok(None),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let end = kept + n;
        if let Some(s) = secrets.iter().find(|s| contains(&buf[..end], s.value)) {
            return Ok(Some(s.name));
        }
        // Keep the tail so a value split across two reads is still found.
        kept = (longest - 1).min(end);
        buf.copy_within(end - kept..end, 0);
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Entries of a folder, sorted by name.
fn entries(dir: &Path) -> Result<Vec<(std::ffi::OsString, PathBuf)>, VaultError> {
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(VaultError::io("cannot list", dir)(e)),
    };
    let mut out = Vec::new();
    for e in rd {
        let e = e.map_err(VaultError::io("cannot list", dir))?;
        out.push((e.file_name(), e.path()));
    }
    out.sort();
    Ok(out)
}

fn remove(path: &Path) -> Result<(), VaultError> {
    let is_dir = fs::symlink_metadata(path)
        .map(|m| m.is_dir())
        .unwrap_or(false);
    let r = if is_dir {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    };
    r.map_err(VaultError::io("cannot remove", path))
}

/// The media type recorded for an artifact, by its extension.
pub fn media_type(path: &str) -> &'static str {
    let ext = path
        .rsplit('/')
        .next()
        .and_then(|n| n.rsplit_once('.'))
        .map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("json") => "application/json",
        Some("csv") => "text/csv",
        Some("txt" | "log" | "conf") => "text/plain",
        Some("xml") => "application/xml",
        Some("html" | "htm") => "text/html",
        Some("pdf") => "application/pdf",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

/// stdout as the contract allows it: nothing, or one object with these keys.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Report {
    #[serde(default)]
    findings: Vec<Finding>,
    #[serde(default)]
    summary: Option<Summary>,
}

/// A summary object of the collector's choice, or one sentence (kept as `{"text": …}`).
#[derive(Deserialize)]
#[serde(untagged, expecting = "`summary` must be an object or a string")]
enum Summary {
    Object(serde_json::Map<String, serde_json::Value>),
    Text(String),
}

/// Parses a collector's stdout into findings and a summary; the error says what is wrong.
pub fn parse_report(
    stdout: &[u8],
) -> Result<(Vec<Finding>, serde_json::Map<String, serde_json::Value>), String> {
    if stdout.iter().all(u8::is_ascii_whitespace) {
        return Ok(Default::default());
    }
    let mut de = serde_json::Deserializer::from_slice(stdout);
    let report: Report = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let at = e.path().to_string();
        let at = if at == "." {
            String::new()
        } else {
            format!("at `{at}`: ")
        };
        format!("{at}{}", e.inner())
    })?;
    de.end()
        .map_err(|e| format!("more than one JSON value ({e})"))?;
    let summary = match report.summary {
        None => serde_json::Map::new(),
        Some(Summary::Object(m)) => m,
        Some(Summary::Text(t)) => {
            serde_json::Map::from_iter([("text".to_string(), serde_json::Value::String(t))])
        }
    };
    Ok((report.findings, summary))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_may_be_an_object_or_a_sentence() {
        let (_, s) = parse_report(br#"{"summary":{"hosts":2}}"#).unwrap();
        assert_eq!(
            serde_json::Value::Object(s),
            serde_json::json!({"hosts": 2})
        );
        let (_, s) = parse_report(br#"{"summary":"all 12 checks passed"}"#).unwrap();
        assert_eq!(
            serde_json::Value::Object(s),
            serde_json::json!({"text": "all 12 checks passed"})
        );
        let e = parse_report(br#"{"summary":[1]}"#).unwrap_err();
        assert!(e.contains("must be an object or a string"), "{e}");
        assert_eq!(parse_report(b" \n").unwrap(), Default::default());
    }
}
