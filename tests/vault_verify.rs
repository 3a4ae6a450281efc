//! Tests: vault_verify. A small real vault is built through the library API, then tampered with
//! in every way the format promises to catch; the built binary must catch and name each one.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::{DateTime, TimeZone, Utc};
use evidence_agent::evidence::RunStatus;
use evidence_agent::vault::{CollectorInfo, Outcome, RunMeta, StagedRun, Vault, WindowRef, layout};

use crate::util::{bin, run_folders, text};

fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 7, 9).unwrap()
}

fn window(name: &str, start: &str, end: &str) -> WindowRef {
    WindowRef {
        name: name.into(),
        start: Some(start.parse().unwrap()),
        end: Some(end.parse().unwrap()),
    }
}

fn outside() -> WindowRef {
    WindowRef {
        name: "outside-window".into(),
        start: None,
        end: None,
    }
}

fn begin(vault: &Vault, window: WindowRef, collector: &str, started: DateTime<Utc>) -> StagedRun {
    vault
        .begin(RunMeta {
            run_id: layout::new_run_id(started),
            collector: CollectorInfo {
                name: collector.into(),
                version: "1.0.0".into(),
                kind: "custom".into(),
            },
            criteria: vec!["CC6.1".into()],
            window,
            started_at: started,
        })
        .unwrap()
}

/// Commits one run with `files` (path under `artifacts/`, bytes) and the given status and log.
fn commit(
    vault: &Vault,
    window: WindowRef,
    collector: &str,
    started: DateTime<Utc>,
    files: &[(&str, &[u8])],
    status: RunStatus,
    log: &[u8],
) {
    let mut staged = begin(vault, window, collector, started);
    for (path, bytes) in files {
        staged
            .add_bytes(path, "application/octet-stream", bytes)
            .unwrap();
    }
    let error = (status != RunStatus::Succeeded)
        .then(|| "the collector exited with status 3; see run.log".to_string());
    let mut outcome = Outcome::new(status, error);
    outcome.finished_at = started + chrono::Duration::seconds(2);
    outcome.log = log.to_vec();
    staged.commit(outcome).unwrap();
}

/// Three windows, seven runs: nested artifacts, a binary and an empty file, a failed run with a
/// log, a skipped run without artifacts.
fn build(root: &Path) {
    let vault = Vault::open(root).unwrap();
    let q1 = || window("2026-q1", "2026-01-01", "2026-03-31");
    let q2 = || window("2026-q2", "2026-04-01", "2026-06-30");
    let binary: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 256) as u8).collect();
    commit(
        &vault,
        q1(),
        "host-baseline",
        at(2026, 1, 5, 3),
        &[
            ("sshd.txt", b"PermitRootLogin no\n"),
            ("net/ports/listening.json", b"[22,443]\n"),
        ],
        RunStatus::Succeeded,
        b"",
    );
    commit(
        &vault,
        q1(),
        "host-baseline",
        at(2026, 1, 6, 3),
        &[
            ("sshd.txt", b"PermitRootLogin yes\n"),
            ("bin/blob.dat", &binary),
        ],
        RunStatus::Succeeded,
        b"",
    );
    commit(
        &vault,
        q1(),
        "tls",
        at(2026, 1, 6, 4),
        &[],
        RunStatus::Failed,
        b"connect to example.test:443: connection refused\n",
    );
    commit(
        &vault,
        q1(),
        "tls",
        at(2026, 2, 1, 4),
        &[
            ("empty.txt", b""),
            ("a/b/c/deep.json", b"{\"deep\":true}\n"),
        ],
        RunStatus::Succeeded,
        b"",
    );
    commit(
        &vault,
        q2(),
        "host-baseline",
        at(2026, 4, 2, 3),
        &[("sshd.txt", b"PermitRootLogin no\n")],
        RunStatus::Succeeded,
        b"",
    );
    commit(
        &vault,
        q2(),
        "github",
        at(2026, 4, 2, 5),
        &[],
        RunStatus::Skipped,
        b"",
    );
    commit(
        &vault,
        outside(),
        "host-baseline",
        at(2027, 1, 1, 3),
        &[("sshd.txt", b"x\n")],
        RunStatus::Succeeded,
        b"",
    );
}

/// A pristine vault, built once per test.
struct Pristine {
    dir: tempfile::TempDir,
}

impl Pristine {
    fn new() -> Pristine {
        let dir = tempfile::tempdir().unwrap();
        build(&dir.path().join("vault"));
        Pristine { dir }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("vault")
    }

    /// A fresh copy of the pristine vault.
    fn copy(&self) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let dst = dir.path().join("vault");
        let out = Command::new("cp")
            .arg("-a")
            .arg(self.root())
            .arg(&dst)
            .output()
            .unwrap();
        assert!(out.status.success(), "cp: {}", text(&out));
        (dir, dst)
    }
}

fn verify(vault: &Path, extra: &[&str]) -> Output {
    Command::new(bin())
        .arg("verify")
        .arg("--vault")
        .arg(vault)
        .args(extra)
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Runs `verify` on `root` and asserts its exit code and that its output (stdout, then stderr)
/// holds each of `says`. Returns stdout.
fn verdict(root: &Path, extra: &[&str], code: i32, says: &[&str]) -> String {
    let out = verify(root, extra);
    let all = format!("{}{}", stdout(&out), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(code), "{}", text(&out));
    for s in says {
        assert!(all.contains(s), "expected `{s}` in\n{}", text(&out));
    }
    stdout(&out)
}

/// Every file and every folder below `root` (relative, `/`-separated), except the staging area,
/// which holds no evidence.
fn walk(root: &Path) -> (Vec<String>, Vec<String>) {
    let (mut files, mut dirs) = (Vec::new(), vec![String::new()]);
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let rel = e
                .path()
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if rel == layout::STAGING {
                continue;
            }
            if e.file_type().unwrap().is_dir() {
                dirs.push(rel);
                stack.push(e.path());
            } else {
                files.push(rel);
            }
        }
    }
    files.sort();
    dirs.sort();
    (files, dirs)
}

fn ledgers(root: &Path) -> Vec<String> {
    walk(root)
        .0
        .into_iter()
        .filter(|f| f.ends_with(layout::LEDGER))
        .collect()
}

fn ledger_lines(path: &Path) -> Vec<Vec<u8>> {
    std::fs::read(path)
        .unwrap()
        .split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

/// Tamper cases over copies of one pristine vault, collecting the ones not caught.
struct Matrix<'a> {
    pristine: &'a Pristine,
    cases: usize,
    failures: Vec<String>,
}

impl Matrix<'_> {
    /// Copies the vault, applies `tamper`, runs the binary and checks exit 1 and `names` on stdout.
    fn case(&mut self, what: String, names: String, tamper: impl FnOnce(&Path)) {
        self.cases += 1;
        let (_keep, root) = self.pristine.copy();
        tamper(&root);
        let out = verify(&root, &[]);
        if out.status.code() != Some(1) || !stdout(&out).contains(&names) {
            self.failures.push(format!(
                "{what}: expected exit 1 naming `{names}`\n{}",
                text(&out)
            ));
        }
    }
}

/// Rewrites the ledger at `path` after `edit` changed its lines.
fn edit_ledger(path: &Path, edit: impl FnOnce(&mut Vec<Vec<u8>>)) {
    let mut lines = ledger_lines(path);
    edit(&mut lines);
    std::fs::write(path, lines.concat()).unwrap();
}

#[test]
fn pristine_vault_verifies_and_every_file_is_read() {
    let p = Pristine::new();
    let out = verify(&p.root(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let files = walk(&p.root()).0.len();
    let bytes: u64 = walk(&p.root())
        .0
        .iter()
        .map(|f| std::fs::metadata(p.root().join(f)).unwrap().len())
        .sum();
    let last = stdout(&out).lines().last().unwrap_or_default().to_string();
    let expected = format!("verified 7 runs, {files} files, {bytes} bytes in ");
    assert!(
        last.starts_with(&expected) && last.ends_with(": OK"),
        "summary `{last}` should start `{expected}`\n{}",
        text(&out)
    );
    assert_eq!(
        stdout(&out).lines().count(),
        1,
        "no problem or note lines: {}",
        text(&out)
    );
}

#[test]
fn coreutils_sha256sum_accepts_every_run_folder() {
    let p = Pristine::new();
    let runs = run_folders(&p.root());
    assert_eq!(runs.len(), 7);
    for run in runs {
        let out = Command::new("sha256sum")
            .args(["-c", "--strict", layout::SUMS])
            .current_dir(&run)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}: {}", run.display(), text(&out));
        let listed = std::fs::read_to_string(run.join(layout::SUMS))
            .unwrap()
            .lines()
            .count();
        assert_eq!(
            stdout(&out).matches(": OK\n").count(),
            listed,
            "{}",
            text(&out)
        );
    }
}

#[test]
fn every_tampering_of_every_file_and_folder_is_caught_and_named() {
    let p = Pristine::new();
    let (files, dirs) = walk(&p.root());
    assert!(
        files.len() >= 25 && dirs.len() >= 20,
        "the vault is big enough to mean something: {files:?}"
    );
    let mut m = Matrix {
        pristine: &p,
        cases: 0,
        failures: Vec::new(),
    };
    for f in &files {
        let len = std::fs::metadata(p.root().join(f)).unwrap().len() as usize;
        // (a) flip one bit of the first, middle and last byte (an empty file gains a byte instead).
        let positions: Vec<usize> = if len == 0 {
            vec![]
        } else {
            vec![0, len / 2, len - 1]
        };
        for pos in positions {
            let f2 = f.clone();
            m.case(format!("flip byte {pos} of {f}"), f.clone(), move |root| {
                let path = root.join(&f2);
                let mut bytes = std::fs::read(&path).unwrap();
                bytes[pos] ^= 0x01;
                std::fs::write(&path, bytes).unwrap();
            });
        }
        if len == 0 {
            let f2 = f.clone();
            m.case(format!("add a byte to empty {f}"), f.clone(), move |root| {
                std::fs::write(root.join(&f2), b"x").unwrap()
            });
        }
        // (b) delete it.
        let f2 = f.clone();
        m.case(format!("delete {f}"), f.clone(), move |root| {
            std::fs::remove_file(root.join(&f2)).unwrap()
        });
    }
    // (c) an extra file in every folder.
    for d in &dirs {
        let rel = if d.is_empty() {
            "extra.txt".to_string()
        } else {
            format!("{d}/extra.txt")
        };
        let rel2 = rel.clone();
        m.case(format!("add {rel}"), format!("EXTRA {rel}:"), move |root| {
            std::fs::write(root.join(&rel2), b"planted\n").unwrap()
        });
    }
    // (d) swap two ledger lines, (e) delete a line, (f) truncate mid-line: at every line.
    for ledger in ledgers(&p.root()) {
        let n = ledger_lines(&p.root().join(&ledger)).len();
        for i in 0..n {
            if i + 1 < n {
                let l = ledger.clone();
                m.case(
                    format!("swap lines {} and {} of {ledger}", i + 1, i + 2),
                    format!("REORDERED {ledger}:{}", i + 1),
                    move |root| {
                        edit_ledger(&root.join(&l), |lines| {
                            lines.swap(i, i + 1);
                        });
                    },
                );
            }
            let l = ledger.clone();
            m.case(
                format!("delete line {} of {ledger}", i + 1),
                ledger.clone(),
                move |root| {
                    edit_ledger(&root.join(&l), |lines| {
                        lines.remove(i);
                    });
                },
            );
            let l = ledger.clone();
            m.case(
                format!("truncate {ledger} in line {}", i + 1),
                format!("TORN {ledger}:{}", i + 1),
                move |root| {
                    let lines = ledger_lines(&root.join(&l));
                    let mut bytes = lines[..i].concat();
                    bytes.extend_from_slice(&lines[i][..lines[i].len() / 2]);
                    std::fs::write(root.join(&l), bytes).unwrap();
                },
            );
        }
    }
    assert!(m.cases > 150, "{} cases", m.cases);
    assert!(
        m.failures.is_empty(),
        "{} of {} tamperings not caught:\n{}",
        m.failures.len(),
        m.cases,
        m.failures.join("\n\n")
    );
}

#[test]
fn ledger_problems_name_the_line_and_the_kind() {
    let p = Pristine::new();
    let (_keep, root) = p.copy();
    let ledger = root.join("2026-q1").join(layout::LEDGER);
    edit_ledger(&ledger, |lines| {
        lines.swap(1, 2);
    });
    let s = verdict(
        &root,
        &[],
        1,
        &[
            "REORDERED 2026-q1/ledger.jsonl:2: `seq` 3 is out of order",
            "REORDERED 2026-q1/ledger.jsonl:3: `seq` 2 is out of order",
        ],
    );
    assert!(
        s.trim_end().ends_with(": 2 problems"),
        "only the two swapped lines are reported: {s}"
    );
}

#[test]
fn a_modified_artifact_is_reported_once_with_both_hashes_and_the_same_on_one_thread() {
    let p = Pristine::new();
    let (_keep, root) = p.copy();
    let run = run_folders(&root)
        .into_iter()
        .find(|r| r.join("artifacts/bin/blob.dat").exists())
        .unwrap();
    let blob = run.join("artifacts/bin/blob.dat");
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes[4000] ^= 0x80;
    std::fs::write(&blob, &bytes).unwrap();
    let rel = blob
        .strip_prefix(&root)
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let out = verify(&root, &[]);
    let s = stdout(&out);
    let expected = format!(
        "MODIFIED {rel}: SHA-256 is {}, run.json says ",
        evidence_agent::vault::canonical::sha256_hex(&bytes)
    );
    assert!(s.starts_with(&expected), "{s}");
    assert!(s.trim_end().ends_with(": 1 problem"), "{s}");
    let one = verify(&root, &["--threads", "1"]);
    let body = |o: &Output| {
        stdout(o)
            .lines()
            .filter(|l| !l.starts_with("verified"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(body(&one), body(&out));
    assert_eq!(one.status.code(), Some(1));
}

#[test]
fn json_report_carries_each_problem() {
    let p = Pristine::new();
    let ok = verify(&p.root(), &["--json"]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    let v: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["report"]["runs"], 7);
    let (_keep, root) = p.copy();
    std::fs::remove_file(root.join("vault.json")).unwrap();
    let bad = verify(&root, &["--json"]);
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad));
    let v: serde_json::Value = serde_json::from_slice(&bad.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(
        v["report"]["problems"],
        serde_json::json!([{"kind": "missing", "path": "vault.json", "detail": "the vault's marker file is gone"}])
    );
}

#[test]
fn a_folder_that_is_not_a_vault_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    verdict(&dir.path().join("nope"), &[], 2, &["does not exist"]);
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    std::fs::create_dir(dir.path().join("empty").join("photos")).unwrap();
    let empty = dir.path().join("empty");
    verdict(&empty, &[], 2, &["is not an evidence-agent vault"]);
    verdict(dir.path(), &["--threads", "0"], 2, &["must be at least 1"]);
}

#[test]
fn derived_views_are_not_verified() {
    let p = Pristine::new();
    let (_keep, root) = p.copy();
    std::fs::create_dir_all(root.join("2026-q1/derived/csv")).unwrap();
    std::fs::write(root.join("2026-q1/derived/report.html"), b"<html></html>").unwrap();
    std::fs::write(root.join("2026-q1/derived/csv/population.csv"), b"a,b\n").unwrap();
    let out = verify(&root, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn runs_in_staging_are_notes_not_failures() {
    let p = Pristine::new();
    let (_keep, root) = p.copy();
    let vault = Vault::open(&root).unwrap();
    let mut dead = begin(&vault, outside(), "tls", at(2027, 2, 1, 1));
    dead.add_bytes("partial.txt", "text/plain", b"half")
        .unwrap();
    let dead_id = dead.meta().run_id.clone();
    drop(dead);
    let live = begin(&vault, outside(), "tls", at(2027, 2, 1, 2));
    let live_id = live.meta().run_id.clone();
    verdict(
        &root,
        &[],
        0,
        &[
            &format!("NOTE .staging/{dead_id}: a run left unfinished"),
            &format!("NOTE .staging/{live_id}: a run in progress"),
        ],
    );
    drop(live);
}

#[test]
fn a_torn_ledger_is_reported_then_verifies_after_recovery() {
    let p = Pristine::new();
    let (_keep, root) = p.copy();
    let ledger = root.join("2026-q1").join(layout::LEDGER);
    let bytes = std::fs::read(&ledger).unwrap();
    let last_start = bytes[..bytes.len() - 1]
        .iter()
        .rposition(|&b| b == b'\n')
        .unwrap()
        + 1;
    std::fs::write(&ledger, &bytes[..last_start + 40]).unwrap();
    let out = verify(&root, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let s = stdout(&out);
    assert!(
        s.contains("TORN 2026-q1/ledger.jsonl:4: the last line is torn (40 bytes"),
        "{s}"
    );
    assert!(
        s.contains("EXTRA 2026-q1/2026-02-01/tls/"),
        "the torn line's run is unaccounted for: {s}"
    );

    let vault = Vault::open(&root).unwrap();
    let report = evidence_agent::vault::recover::recover(&vault).unwrap();
    assert_eq!(report.torn_ledgers, vec!["2026-q1".to_string()]);
    // The repair is shown.
    verdict(
        &root,
        &[],
        0,
        &["NOTE 2026-q1/ledger.jsonl:4: 2026-02-01/tls/"],
    );
}

#[test]
fn a_run_missing_from_its_ledger_verifies_after_recovery() {
    let p = Pristine::new();
    let (_keep, root) = p.copy();
    let ledger = root.join("2026-q2").join(layout::LEDGER);
    edit_ledger(&ledger, |lines| {
        lines.pop();
    });
    verdict(&root, &[], 1, &["EXTRA 2026-q2/2026-04-02/github/"]);
    let vault = Vault::open(&root).unwrap();
    evidence_agent::vault::recover::recover(&vault).unwrap();
    verdict(&root, &[], 0, &[": OK"]);
}

#[test]
fn a_symlink_in_place_of_an_artifact_is_caught_even_with_the_right_content() {
    let p = Pristine::new();
    let (_keep, root) = p.copy();
    let run = run_folders(&root)
        .into_iter()
        .find(|r| r.join("artifacts/bin/blob.dat").exists())
        .unwrap();
    let blob = run.join("artifacts/bin/blob.dat");
    let copy = root.parent().unwrap().join("blob.dat");
    std::fs::rename(&blob, &copy).unwrap();
    std::os::unix::fs::symlink(&copy, &blob).unwrap();
    verdict(
        &root,
        &[],
        1,
        &["artifacts/bin/blob.dat: is a symbolic link"],
    );
}

#[test]
fn window_option_verifies_one_window_and_names_the_known_ones() {
    let p = Pristine::new();
    let (_keep, root) = p.copy();
    let q2_run = run_folders(&root)
        .into_iter()
        .find(|r| r.starts_with(root.join("2026-q2")) && r.join("artifacts/sshd.txt").exists())
        .unwrap();
    std::fs::write(q2_run.join("artifacts/sshd.txt"), b"PermitRootLogin yes\n").unwrap();
    verdict(&root, &["--window", "2026-q1"], 0, &["verified 4 runs,"]);
    let q2 = verdict(&root, &["--window", "2026-q2"], 1, &[]);
    assert!(
        q2.starts_with("MODIFIED 2026-q2/2026-04-02/host-baseline/"),
        "{q2}"
    );
    let known = "no window `2026-q3` (windows: 2026-q1, 2026-q2, outside-window)";
    verdict(&root, &["--window", "2026-q3"], 2, &[known]);
}

/// A custom collector writing two files, one big enough to truncate meaningfully.
const WRITES_FILES: &str = "echo 'PermitRootLogin no' > \"$EVIDENCE_OUT_DIR/sshd.txt\"\nmkdir -p \"$EVIDENCE_OUT_DIR/sub\"\nseq 1 2000 > \"$EVIDENCE_OUT_DIR/sub/ports.txt\"";

/// Replaces every occurrence of `from` with `to` in a text file; the file must contain it.
fn replace_in(path: &Path, from: &str, to: &str) {
    let s = std::fs::read_to_string(path).unwrap();
    assert!(s.contains(from), "{} lacks `{from}`", path.display());
    std::fs::write(path, s.replace(from, to)).unwrap();
}

type Tamper = Box<dyn Fn(&Path, &[String])>;

#[test]
fn tamper_matrix_over_collect_runs_each_exits_1_naming_the_path() {
    use evidence_agent::vault::canonical::sha256_hex;
    let env = crate::util::Env::new("");
    env.add_collector("baseline", "", WRITES_FILES);
    for _ in 0..3 {
        let out = env.run(&["collect"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    let vault = env.vault();
    let runs: Vec<String> = run_folders(&vault)
        .iter()
        .map(|r| {
            r.strip_prefix(&vault)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(runs.len(), 3, "{runs:?}");
    let ledger = "test-window/ledger.jsonl";
    let (r0, r1, r2) = (runs[0].clone(), runs[1].clone(), runs[2].clone());
    let cases: Vec<(&str, String, Tamper)> = vec![
        ("nothing", String::new(), Box::new(|_, _| {})),
        (
            "a staging leftover",
            String::new(),
            Box::new(|root, _| {
                std::fs::create_dir_all(root.join(".staging/20260101T000000Z-0badc0de/artifacts"))
                    .unwrap();
                std::fs::write(
                    root.join(".staging/20260101T000000Z-0badc0de/artifacts/half.txt"),
                    b"ha",
                )
                .unwrap();
            }),
        ),
        (
            "flip a byte of an artifact",
            format!("MODIFIED {r0}/artifacts/sshd.txt: SHA-256 is "),
            Box::new(|root, runs| {
                let path = root.join(&runs[0]).join("artifacts/sshd.txt");
                let mut b = std::fs::read(&path).unwrap();
                b[0] ^= 0x20;
                std::fs::write(&path, b).unwrap();
            }),
        ),
        (
            "truncate an artifact",
            format!("MODIFIED {r1}/artifacts/sub/ports.txt: size is "),
            Box::new(|root, runs| {
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .open(root.join(&runs[1]).join("artifacts/sub/ports.txt"))
                    .unwrap();
                f.set_len(1000).unwrap();
            }),
        ),
        (
            "delete an artifact",
            format!("MISSING {r2}/artifacts/sshd.txt: run.json lists it"),
            Box::new(|root, runs| {
                std::fs::remove_file(root.join(&runs[2]).join("artifacts/sshd.txt")).unwrap()
            }),
        ),
        (
            "add a file",
            format!("EXTRA {r0}/artifacts/planted.txt: "),
            Box::new(|root, runs| {
                std::fs::write(root.join(&runs[0]).join("artifacts/planted.txt"), b"x").unwrap()
            }),
        ),
        (
            "delete a run folder",
            format!("MISSING {r1}: "),
            Box::new(|root, runs| std::fs::remove_dir_all(root.join(&runs[1])).unwrap()),
        ),
        (
            "edit run.json",
            format!("MODIFIED {r0}/run.json: SHA-256 is "),
            Box::new(|root, runs| {
                replace_in(
                    &root.join(&runs[0]).join("run.json"),
                    "\"succeeded\"",
                    "\"failed\"",
                )
            }),
        ),
        (
            "forge an artifact with run.json and SHA256SUMS to match",
            format!("MODIFIED {r2}/run.json: SHA-256 is "),
            Box::new(|root, runs| {
                let run = root.join(&runs[2]);
                let old = sha256_hex(&std::fs::read(run.join("artifacts/sshd.txt")).unwrap());
                std::fs::write(run.join("artifacts/sshd.txt"), b"PermitRootLogin on\n").unwrap();
                let new = sha256_hex(b"PermitRootLogin on\n");
                let old_json = sha256_hex(&std::fs::read(run.join("run.json")).unwrap());
                replace_in(&run.join("run.json"), &old, &new);
                let new_json = sha256_hex(&std::fs::read(run.join("run.json")).unwrap());
                replace_in(&run.join("SHA256SUMS"), &old, &new);
                replace_in(&run.join("SHA256SUMS"), &old_json, &new_json);
                // The forgery fools coreutils: only the ledger catches it.
                let out = Command::new("sha256sum")
                    .args(["-c", "--quiet", "SHA256SUMS"])
                    .current_dir(&run)
                    .output()
                    .unwrap();
                assert!(out.status.success(), "{}", text(&out));
            }),
        ),
        (
            "edit SHA256SUMS",
            format!("MODIFIED {r2}/SHA256SUMS: SHA-256 is "),
            Box::new(|root, runs| {
                let path = root.join(&runs[2]).join("SHA256SUMS");
                let mut b = std::fs::read(&path).unwrap();
                b[0] = if b[0] == b'0' { b'1' } else { b'0' };
                std::fs::write(&path, b).unwrap();
            }),
        ),
        (
            "edit a ledger line",
            format!("MODIFIED {ledger}:2: "),
            Box::new(|root, _| {
                let path = root.join("test-window/ledger.jsonl");
                let mut lines = ledger_lines(&path);
                let pos = lines[1]
                    .windows(8)
                    .position(|w| w == b"\"time\":\"")
                    .unwrap()
                    + 9;
                lines[1][pos] = if lines[1][pos] == b'1' { b'2' } else { b'1' };
                std::fs::write(&path, lines.concat()).unwrap();
            }),
        ),
        (
            "delete a ledger line",
            format!("MISSING {ledger}:2: `seq` 2 is missing"),
            Box::new(|root, _| {
                edit_ledger(&root.join("test-window/ledger.jsonl"), |lines| {
                    lines.remove(1);
                });
            }),
        ),
        (
            "swap two ledger lines",
            format!("REORDERED {ledger}:1: `seq` 2 is out of order"),
            Box::new(|root, _| {
                edit_ledger(&root.join("test-window/ledger.jsonl"), |lines| {
                    lines.swap(0, 1);
                });
            }),
        ),
    ];
    let mut failures = Vec::new();
    for (what, names, tamper) in &cases {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("vault");
        let cp = Command::new("cp")
            .arg("-a")
            .arg(&vault)
            .arg(&root)
            .output()
            .unwrap();
        assert!(cp.status.success(), "{}", text(&cp));
        tamper(&root, &runs);
        let out = verify(&root, &[]);
        let s = stdout(&out);
        let ok = if names.is_empty() {
            out.status.code() == Some(0) && s.trim_end().ends_with(": OK")
        } else {
            out.status.code() == Some(1) && s.lines().any(|l| l.starts_with(names.as_str()))
        };
        if !ok {
            failures.push(format!(
                "{what}: expected {}\n{}",
                if names.is_empty() {
                    "exit 0".into()
                } else {
                    format!("exit 1 and a line `{names}…`")
                },
                text(&out)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases wrong:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}
