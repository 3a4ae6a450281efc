//! Finding candidate files: the configured folders (recursively unless told otherwise) and
//! files. Hidden files and the usual partial-download names are passed over; a configured path
//! that does not exist is a failure naming its key, and the other sources are still listed.

use std::path::{Path, PathBuf};

/// Name endings of files still being written by a download or a copy.
const PARTIAL_SUFFIXES: &[&str] = &[".part", ".partial", ".tmp", ".crdownload", ".swp", "~"];

/// A file to consider.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub path: PathBuf,
}

/// What listing found.
#[derive(Debug, Default)]
pub struct Listing {
    /// Files, sorted by path, each once.
    pub files: Vec<Candidate>,
    /// Sources that could not be listed, each naming its key and path.
    pub failures: Vec<String>,
}

/// Lists the files of `directories` and `files`, already resolved against the config's folder.
pub fn list(directories: &[PathBuf], files: &[PathBuf], recursive: bool) -> Listing {
    let mut out = Listing::default();
    for (i, dir) in directories.iter().enumerate() {
        match std::fs::metadata(dir) {
            Ok(m) if m.is_dir() => walk(dir, recursive, &mut out),
            Ok(_) => out.failures.push(format!(
                "`scan_reports.directories[{i}]` {} is not a folder; name it under `files` instead",
                dir.display()
            )),
            Err(e) => out.failures.push(format!(
                "`scan_reports.directories[{i}]` {} cannot be read ({e}); create it or correct the path",
                dir.display()
            )),
        }
    }
    for (i, file) in files.iter().enumerate() {
        match std::fs::metadata(file) {
            Ok(m) if m.is_file() => out.files.push(Candidate { path: file.clone() }),
            Ok(_) => out.failures.push(format!(
                "`scan_reports.files[{i}]` {} is not a regular file; name folders under `directories`",
                file.display()
            )),
            Err(e) => out.failures.push(format!(
                "`scan_reports.files[{i}]` {} cannot be read ({e}); correct the path or remove it",
                file.display()
            )),
        }
    }
    out.files.sort_by(|a, b| a.path.cmp(&b.path));
    out.files.dedup_by(|a, b| a.path == b.path);
    out
}

fn walk(dir: &Path, recursive: bool, out: &mut Listing) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            out.failures
                .push(format!("folder {} cannot be listed ({e})", dir.display()));
            return;
        }
    };
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                out.failures
                    .push(format!("folder {} cannot be listed ({e})", dir.display()));
                continue;
            }
        };
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || PARTIAL_SUFFIXES.iter().any(|s| name.ends_with(s)) {
            continue;
        }
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if recursive {
                walk(&path, recursive, out);
            }
        } else if kind.is_file() {
            out.files.push(Candidate { path });
        } else if kind.is_symlink() && std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
            // A link to a file is imported; a link to a folder is not followed (no loops).
            out.files.push(Candidate { path });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_and_partial_files_are_passed_over_and_missing_sources_named() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("sub")).unwrap();
        for name in [
            "a.json",
            ".hidden.json",
            "b.json.part",
            "c.tmp",
            "sub/d.xml",
        ] {
            std::fs::write(d.join(name), b"x").unwrap();
        }
        let names = |l: &Listing| -> Vec<String> {
            l.files
                .iter()
                .map(|c| c.path.strip_prefix(d).unwrap().display().to_string())
                .collect()
        };
        let l = list(&[d.to_path_buf()], &[d.join("a.json")], true);
        assert_eq!(names(&l), ["a.json", "sub/d.xml"]);
        assert!(l.failures.is_empty());
        let l = list(&[d.to_path_buf(), d.join("nope")], &[d.join("gone")], false);
        assert_eq!(names(&l), ["a.json"]);
        assert_eq!(l.failures.len(), 2);
        assert!(l.failures[0].contains("directories[1]") && l.failures[0].contains("nope"));
        assert!(l.failures[1].contains("files[0]"));
    }
}
