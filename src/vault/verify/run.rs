//! Checks one run folder named by a ledger line: its run record and SHA256SUMS against the line,
//! SHA256SUMS against the run record, and the folder's files against the record's artifacts.
//! Artifact hashing is queued as jobs for the worker threads.

use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::path::Path;

use serde::Deserialize;

use super::hash::Job;
use super::ledger::{Line, is_sha256_hex, split_run};
use super::report::{Kind, Problem};
use super::tree::{self, Expect, Found};
use crate::evidence::RunStatus;
use crate::vault::canonical::sha256_hex;
use crate::vault::fsutil::open_nofollow;
use crate::vault::layout::{self, RUN_JSON, SUMS};
use crate::vault::writer::FORMAT_VERSION;

/// The parts of `run.json` verification relies on; other keys are covered by its hash.
#[derive(Debug, Deserialize)]
struct RunRecord {
    format: u64,
    run_id: String,
    collector: NameOnly,
    window: NameOnly,
    started_at: String,
    finished_at: String,
    status: RunStatus,
    artifacts: Vec<Artifact>,
}

#[derive(Debug, Deserialize)]
struct NameOnly {
    name: String,
}

#[derive(Debug, Deserialize)]
struct Artifact {
    path: String,
    size: u64,
    sha256: String,
}

/// What one run folder contributes to the totals.
#[derive(Debug, Default)]
pub struct Counts {
    pub files: u64,
    pub bytes: u64,
}

/// A file's expected hash and, when the run record gives it, its size.
struct Want {
    sha256: String,
    size: Option<u64>,
    source: &'static str,
}

/// Checks the run folder of `line` in the window folder `window_dir` (shown as `window`).
pub fn check(
    window_dir: &Path,
    window: &str,
    ledger_shown: &str,
    line: &Line,
    jobs: &mut Vec<Job>,
    problems: &mut Vec<Problem>,
) -> Counts {
    let mut counts = Counts::default();
    let e = &line.entry;
    let n = line.number;
    let shown = format!("{window}/{}", e.run);
    let dir = window_dir.join(&e.run);
    match std::fs::symlink_metadata(&dir) {
        Ok(m) if m.is_dir() => {}
        Ok(m) => {
            let what = tree::describe(&m.file_type());
            problems.push(Problem::new(
                Kind::Modified,
                &shown,
                format!("is a {what}, not the run folder {ledger_shown} line {n} names"),
            ));
            return counts;
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            problems.push(Problem::new(
                Kind::Missing,
                &shown,
                format!("the run folder {ledger_shown} line {n} names is not there"),
            ));
            return counts;
        }
        Err(err) => {
            problems.push(Problem::new(
                Kind::Unreadable,
                &shown,
                format!("cannot stat the run folder: {err}"),
            ));
            return counts;
        }
    }

    let run_json_shown = format!("{shown}/{RUN_JSON}");
    let run_json = read_vouched(
        &dir.join(RUN_JSON),
        &run_json_shown,
        &e.run_json_sha256,
        ledger_shown,
        n,
        &mut counts,
        problems,
    );
    let sums_shown = format!("{shown}/{SUMS}");
    let sums = read_vouched(
        &dir.join(SUMS),
        &sums_shown,
        &e.sums_sha256,
        ledger_shown,
        n,
        &mut counts,
        problems,
    );

    let record =
        run_json.as_ref().and_then(
            |(bytes, _)| match serde_json::from_slice::<RunRecord>(bytes) {
                Ok(r) => Some(r),
                Err(err) => {
                    problems.push(Problem::new(
                        Kind::Malformed,
                        &run_json_shown,
                        format!("not a run record: {err}"),
                    ));
                    None
                }
            },
        );
    if let Some(r) = &record {
        check_record(r, line, window, &run_json_shown, ledger_shown, problems);
    }
    let listed = sums
        .as_ref()
        .map(|(bytes, _)| parse_sums(bytes, &sums_shown, problems));

    // What the folder must hold: the record's artifacts, or SHA256SUMS' lines when the record
    // cannot be read, so a broken run.json does not hide the state of the artifacts.
    let mut want: BTreeMap<String, Want> = BTreeMap::new();
    match (&record, &listed) {
        (Some(r), _) => {
            let mut last: Option<&str> = None;
            for a in &r.artifacts {
                if let Err(reason) = check_listed_path(&a.path) {
                    problems.push(Problem::new(
                        Kind::Malformed,
                        &run_json_shown,
                        format!(
                            "lists artifact `{}`, which is not allowed: {reason}",
                            a.path
                        ),
                    ));
                    continue;
                }
                if !is_sha256_hex(&a.sha256) {
                    problems.push(Problem::new(
                        Kind::Malformed,
                        &run_json_shown,
                        format!(
                            "the `sha256` of artifact `{}` is not 64 lowercase hex digits",
                            a.path
                        ),
                    ));
                }
                if last.is_some_and(|l| l >= a.path.as_str()) {
                    problems.push(Problem::new(
                        Kind::Malformed,
                        &run_json_shown,
                        format!(
                            "`artifacts` is not sorted by path with each path once (at `{}`)",
                            a.path
                        ),
                    ));
                }
                last = Some(&a.path);
                want.insert(
                    a.path.clone(),
                    Want {
                        sha256: a.sha256.clone(),
                        size: Some(a.size),
                        source: "run.json",
                    },
                );
            }
        }
        (None, Some(listed)) => {
            problems.push(Problem::new(
                Kind::Malformed,
                &run_json_shown,
                "cannot be used: the artifacts are checked against SHA256SUMS instead",
            ));
            for (path, sha) in listed.iter().filter(|(p, _)| p.as_str() != RUN_JSON) {
                if check_listed_path(path).is_ok() {
                    want.insert(
                        path.clone(),
                        Want {
                            sha256: sha.clone(),
                            size: None,
                            source: "SHA256SUMS",
                        },
                    );
                }
            }
        }
        (None, None) => {
            problems.push(Problem::new(Kind::Malformed, &shown, "neither run.json nor SHA256SUMS can be used: the artifacts of this run cannot be checked"));
        }
    }
    if let (Some(record), Some(listed), Some((_, run_json_sha))) = (&record, &listed, &run_json) {
        compare_sums(listed, record, run_json_sha, &sums_shown, problems);
    }

    let mut expect = Expect::default();
    expect
        .files
        .extend([RUN_JSON.to_string(), SUMS.to_string()]);
    for path in want.keys() {
        expect.files.insert(path.clone());
        expect.dirs.extend(tree::parents(path).map(str::to_string));
    }
    let why = |_: &str, what: &str| {
        format!(
            "a {what} that {} does not list",
            if record.is_some() {
                "run.json"
            } else {
                "the run record"
            }
        )
    };
    let found = tree::walk(&dir, &shown, &expect, &why, problems);
    for (path, w) in want {
        let file_shown = format!("{shown}/{path}");
        match found.get(&path) {
            None => problems.push(Problem::new(
                Kind::Missing,
                file_shown,
                format!(
                    "{} lists it ({} bytes)",
                    w.source,
                    w.size.map_or("?".into(), |s| s.to_string())
                ),
            )),
            Some(Found::NotFile(what)) => problems.push(Problem::new(
                Kind::Modified,
                file_shown,
                format!("is a {what}, not the regular file {} lists", w.source),
            )),
            Some(Found::File(size)) => match w.size {
                Some(expected) if expected != *size => {
                    problems.push(Problem::new(
                        Kind::Modified,
                        file_shown,
                        format!("size is {size} bytes, {} says {expected}", w.source),
                    ));
                }
                _ => jobs.push(Job {
                    path: dir.join(&path),
                    display: file_shown,
                    size: *size,
                    sha256: w.sha256,
                    source: w.source,
                }),
            },
        }
    }
    counts
}

/// Reads a small file whose SHA-256 a ledger line gives; reports it missing, unreadable or
/// modified. Returns the bytes and their SHA-256 when the file could be read.
fn read_vouched(
    path: &Path,
    shown: &str,
    expected: &str,
    ledger_shown: &str,
    n: u64,
    counts: &mut Counts,
    problems: &mut Vec<Problem>,
) -> Option<(Vec<u8>, String)> {
    let mut bytes = Vec::new();
    if let Err(err) = open_nofollow(path).and_then(|mut f| f.read_to_end(&mut bytes)) {
        let (kind, detail) = match err.raw_os_error() {
            Some(libc::ENOENT) => (
                Kind::Missing,
                format!("{ledger_shown} line {n} gives its SHA-256"),
            ),
            Some(libc::ELOOP) => (Kind::Modified, "is a symbolic link, not a file".to_string()),
            _ => (Kind::Unreadable, format!("cannot read: {err}")),
        };
        problems.push(Problem::new(kind, shown, detail));
        return None;
    }
    counts.files += 1;
    counts.bytes += bytes.len() as u64;
    let sha = sha256_hex(&bytes);
    if sha != expected {
        problems.push(Problem::new(
            Kind::Modified,
            shown,
            format!("SHA-256 is {sha}, {ledger_shown} line {n} says {expected}"),
        ));
    }
    Some((bytes, sha))
}

/// The run record must say what its ledger line says.
fn check_record(
    r: &RunRecord,
    line: &Line,
    window: &str,
    shown: &str,
    ledger_shown: &str,
    problems: &mut Vec<Problem>,
) {
    let e = &line.entry;
    let n = line.number;
    let (date, _, id) = split_run(&e.run).unwrap_or_default();
    let mut differ = |key: &str, record: &str, ledger: &str| {
        if record != ledger {
            problems.push(Problem::new(
                Kind::Modified,
                shown,
                format!("`{key}` is `{record}` but {ledger_shown} line {n} says `{ledger}`"),
            ));
        }
    };
    differ("run_id", &r.run_id, id);
    differ("collector.name", &r.collector.name, &e.collector);
    differ("window.name", &r.window.name, window);
    differ("status", r.status.as_str(), e.status.as_str());
    differ("started_at", &r.started_at, &e.started_at);
    differ("finished_at", &r.finished_at, &e.finished_at);
    differ(
        "started_at date",
        r.started_at.get(..10).unwrap_or(&r.started_at),
        date,
    );
    if r.format != FORMAT_VERSION {
        problems.push(Problem::new(
            Kind::Malformed,
            shown,
            format!("`format` is {}, not {FORMAT_VERSION}", r.format),
        ));
    }
}

/// Where an artifact may be in a run folder: a plain relative path that is not one of the two
/// files the agent writes itself.
fn check_listed_path(path: &str) -> Result<(), String> {
    layout::check_artifact_path(path)?;
    if path == RUN_JSON || path == SUMS {
        return Err(format!("`{path}` is written by the agent"));
    }
    Ok(())
}

/// Parses SHA256SUMS: `<64 lowercase hex>  <path>\n` per line, sorted by path, each path once.
/// Returns path → hash for the lines that parse.
fn parse_sums(bytes: &[u8], shown: &str, problems: &mut Vec<Problem>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut last: Option<String> = None;
    for (i, line) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
        let k = i + 1;
        let Some(body) = line.strip_suffix(b"\n") else {
            problems.push(Problem::new(
                Kind::Malformed,
                shown,
                format!("line {k} has no final newline"),
            ));
            continue;
        };
        let parsed = std::str::from_utf8(body).ok().and_then(|t| {
            let (hash, path) = t.split_at_checked(64)?;
            let path = path.strip_prefix("  ")?;
            (is_sha256_hex(hash) && !path.is_empty()).then(|| (hash.to_string(), path.to_string()))
        });
        let Some((hash, path)) = parsed else {
            problems.push(Problem::new(
                Kind::Malformed,
                shown,
                format!("line {k} is not `<64 lowercase hex>  <path>`"),
            ));
            continue;
        };
        if last.as_ref().is_some_and(|l| *l >= path) {
            problems.push(Problem::new(
                Kind::Malformed,
                shown,
                format!("line {k}: lines are not sorted by path with each path once (at `{path}`)"),
            ));
        }
        last = Some(path.clone());
        out.insert(path, hash);
    }
    out
}

/// SHA256SUMS must list exactly run.json (with its actual hash) and the record's artifacts (with
/// the record's hashes).
fn compare_sums(
    listed: &BTreeMap<String, String>,
    record: &RunRecord,
    run_json_sha: &str,
    shown: &str,
    problems: &mut Vec<Problem>,
) {
    let mut expected: BTreeMap<&str, &str> = record
        .artifacts
        .iter()
        .map(|a| (a.path.as_str(), a.sha256.as_str()))
        .collect();
    expected.insert(RUN_JSON, run_json_sha);
    for (path, sha) in &expected {
        match listed.get(*path) {
            None => problems.push(Problem::new(
                Kind::Missing,
                shown,
                format!("does not list `{path}`, which run.json records"),
            )),
            Some(listed_sha) if listed_sha != sha => {
                let source = if *path == RUN_JSON {
                    "the file's SHA-256"
                } else {
                    "run.json's"
                };
                problems.push(Problem::new(
                    Kind::Modified,
                    shown,
                    format!("gives {listed_sha} for `{path}`, {source} is {sha}"),
                ));
            }
            Some(_) => {}
        }
    }
    let known: HashSet<&str> = expected.keys().copied().collect();
    for path in listed.keys().filter(|p| !known.contains(p.as_str())) {
        problems.push(Problem::new(
            Kind::Extra,
            shown,
            format!("lists `{path}`, which run.json does not record"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_lines_must_be_exact_and_sorted() {
        let h = "a".repeat(64);
        let good = format!("{h}  artifacts/x\n{h}  run.json\n");
        let mut problems = Vec::new();
        let parsed = parse_sums(good.as_bytes(), "S", &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            parsed.keys().collect::<Vec<_>>(),
            vec!["artifacts/x", "run.json"]
        );
        for bad in [
            format!("{h} run.json\n"),
            format!("{h} *run.json\n"),
            format!("{}  run.json\n", "A".repeat(64)),
            format!("{h}  run.json"),
            format!("{h}  run.json\n{h}  artifacts/x\n"),
            format!("{h}  \n"),
        ] {
            let mut problems = Vec::new();
            parse_sums(bad.as_bytes(), "S", &mut problems);
            assert_eq!(problems.len(), 1, "{bad:?}: {problems:?}");
            assert_eq!(problems[0].kind, Kind::Malformed);
        }
    }

    #[test]
    fn listed_paths_may_not_escape_or_shadow_the_agents_files() {
        assert!(check_listed_path("artifacts/a/b.json").is_ok());
        assert!(check_listed_path("run.log").is_ok());
        for bad in [
            "../x",
            "artifacts/../../etc/passwd",
            "/etc/passwd",
            "run.json",
            "SHA256SUMS",
            "a//b",
            "",
        ] {
            assert!(check_listed_path(bad).is_err(), "{bad}");
        }
    }
}
