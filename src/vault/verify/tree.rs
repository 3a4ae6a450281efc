//! Walks a folder against what the records say should be in it: everything else is extra.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::report::{Kind, Problem};

/// What a folder should hold, as paths relative to it (`/`-separated).
#[derive(Debug, Default)]
pub struct Expect {
    /// Folders to walk into.
    pub dirs: HashSet<String>,
    /// Folders accounted for and checked elsewhere (or not at all, like `derived/`): not walked.
    pub stops: HashSet<String>,
    /// Files that should be there.
    pub files: HashSet<String>,
}

/// A file the records name, as found on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// A regular file of this size.
    File(u64),
    /// Something else where a regular file should be.
    NotFile(&'static str),
}

/// Walks `dir` (shown as `shown`) without following links. Files in `expect.files` are returned
/// with what was found; every entry not expected is reported as extra once (a whole unexpected
/// folder is one problem), with `why` saying what should have accounted for it.
pub fn walk(
    dir: &Path,
    shown: &str,
    expect: &Expect,
    why: &dyn Fn(&str, &str) -> String,
    problems: &mut Vec<Problem>,
) -> HashMap<String, Found> {
    let mut found = HashMap::new();
    walk_in(dir, "", shown, expect, why, problems, &mut found);
    found
}

fn walk_in(
    dir: &Path,
    rel: &str,
    shown: &str,
    expect: &Expect,
    why: &dyn Fn(&str, &str) -> String,
    problems: &mut Vec<Problem>,
    found: &mut HashMap<String, Found>,
) {
    let unlistable = |e: std::io::Error| {
        Problem::new(
            Kind::Unreadable,
            join(shown, rel),
            format!("cannot list the folder: {e}"),
        )
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => return problems.push(unlistable(e)),
    };
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => return problems.push(unlistable(e)),
        };
        let name = entry.file_name().to_string_lossy().into_owned();
        let child = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        let shown_child = join(shown, &child);
        let file_type = match entry.file_type() {
            Ok(t) => t,
            Err(e) => {
                problems.push(Problem::new(
                    Kind::Unreadable,
                    shown_child,
                    format!("cannot stat: {e}"),
                ));
                continue;
            }
        };
        if expect.stops.contains(&child) {
            continue;
        }
        if file_type.is_dir() && expect.dirs.contains(&child) {
            walk_in(&entry.path(), &child, shown, expect, why, problems, found);
            continue;
        }
        let what = describe(&file_type);
        if expect.files.contains(&child) {
            let f = match (file_type.is_file(), entry.metadata()) {
                (true, Ok(m)) => Found::File(m.len()),
                (true, Err(e)) => {
                    problems.push(Problem::new(
                        Kind::Unreadable,
                        shown_child,
                        format!("cannot stat: {e}"),
                    ));
                    continue;
                }
                (false, _) => Found::NotFile(what),
            };
            found.insert(child, f);
            continue;
        }
        problems.push(Problem::new(Kind::Extra, shown_child, why(&child, what)));
    }
}

/// `a/b` from a shown prefix and a relative path, either of which may be empty.
pub fn join(shown: &str, rel: &str) -> String {
    match (shown.is_empty(), rel.is_empty()) {
        (true, _) => rel.to_string(),
        (_, true) => shown.to_string(),
        _ => format!("{shown}/{rel}"),
    }
}

pub fn describe(t: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_dir() {
        "folder"
    } else if t.is_file() {
        "file"
    } else if t.is_symlink() {
        "symbolic link"
    } else if t.is_fifo() {
        "named pipe"
    } else if t.is_socket() {
        "socket"
    } else {
        "device file"
    }
}

/// Every proper parent folder of a `/`-separated relative path: `a/b/c` gives `a`, `a/b`.
pub fn parents(rel: &str) -> impl Iterator<Item = &str> {
    rel.match_indices('/').map(move |(i, _)| &rel[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_unexpected_entries_once_and_returns_expected_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("a/b")).unwrap();
        std::fs::create_dir_all(d.join("junk/deep")).unwrap();
        std::fs::create_dir_all(d.join("stop/inner")).unwrap();
        std::fs::write(d.join("a/b/f"), b"123").unwrap();
        std::fs::write(d.join("a/stray"), b"").unwrap();
        std::fs::write(d.join("junk/deep/x"), b"").unwrap();
        std::os::unix::fs::symlink(d.join("a/b/f"), d.join("a/link")).unwrap();
        let mut expect = Expect::default();
        expect.dirs.extend(["a".to_string(), "a/b".to_string()]);
        expect.files.extend([
            "a/b/f".to_string(),
            "a/link".to_string(),
            "a/gone".to_string(),
        ]);
        expect.stops.insert("stop".to_string());
        let mut problems = Vec::new();
        let found = walk(
            d,
            "v",
            &expect,
            &|rel, what| format!("{what} {rel}"),
            &mut problems,
        );
        assert_eq!(found.get("a/b/f"), Some(&Found::File(3)));
        assert_eq!(found.get("a/link"), Some(&Found::NotFile("symbolic link")));
        assert_eq!(found.get("a/gone"), None);
        let mut extra: Vec<(String, String)> = problems
            .iter()
            .map(|p| (p.path.clone(), p.detail.clone()))
            .collect();
        extra.sort();
        assert_eq!(
            extra,
            vec![
                ("v/a/stray".into(), "file a/stray".into()),
                ("v/junk".into(), "folder junk".into())
            ]
        );
    }

    #[test]
    fn parents_lists_every_enclosing_folder() {
        assert_eq!(
            parents("artifacts/a/b.json").collect::<Vec<_>>(),
            vec!["artifacts", "artifacts/a"]
        );
        assert_eq!(parents("run.log").count(), 0);
    }
}
