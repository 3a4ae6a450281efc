//! `export`: bundles built from a vault with a history, unpacked with the system `tar`, checked
//! with `sha256sum -c` and `verify`, tampered with, and the usage errors.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use evidence_agent::evidence::{RunStatus, Severity};

use crate::history::{Run, Window, commit, day};
use crate::util::{Env, bin, text};

const WINDOW: Window = Window {
    name: "2026-q1",
    start: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
    end: chrono::NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
};

/// A long artifact path, so the tar needs its long-name support.
const LONG: &str = "repositories/example-organisation-with-a-long-name/a-repository-with-an-even-longer-name-for-the-test/pulls.json";

/// A config whose window matches [`WINDOW`], and a vault with runs of four collectors over three
/// months (one failed). Returns the run folders relative to the window folder.
fn setup() -> (Env, Vec<String>) {
    let env = Env::new("");
    std::fs::write(
        env.config(),
        "[agent]\nvault_dir = \"vault\"\ncollectors_dir = \"collectors\"\n\n[http]\nenabled = false\n\n[[windows]]\nname = \"2026-q1\"\nstart = \"2026-01-01\"\nend = \"2026-03-31\"\n",
    )
    .unwrap();
    let runs = vec![
        Run::new("aws-iam", &["CC6.1", "CC6.2"], day("2026-01-05"))
            .artifact("users.csv", "user,mfa\nalice,true\nbob,false\n")
            .artifact(
                "credential-report.csv",
                "user,arn\nalice,arn:aws:iam::1:user/alice\n",
            )
            .finding(
                "console-user-without-mfa",
                Severity::High,
                "bob",
                Some("users.csv"),
            ),
        Run::new("github-pull-requests", &["CC8.1"], day("2026-01-06"))
            .artifact(LONG, "[{\"number\":1}]")
            .artifact("protection.json", "{}"),
        Run::new("aws-iam", &["CC6.1", "CC6.2"], day("2026-01-20"))
            .failed(RunStatus::Failed, "AWS said no: check the role"),
        Run::new("github-pull-requests", &["CC8.1"], day("2026-02-10"))
            .artifact("pulls.json", "[{\"number\":2},{\"number\":3}]"),
        Run::new("host-baseline", &["CC6.1"], day("2026-02-15"))
            .artifact("sshd.txt", "PermitRootLogin no\n"),
        Run::new("tls-endpoints", &["CC6.7"], day("2026-03-01"))
            .artifact("endpoints.json", "[{\"host\":\"example.org\"}]"),
    ];
    let vault = env.vault();
    let window_dir = vault.join(WINDOW.name);
    let rels = runs
        .into_iter()
        .map(|r| {
            let dir = commit(&vault, &WINDOW, r);
            rel(&dir, &window_dir)
        })
        .collect();
    (env, rels)
}

fn rel(path: &Path, base: &Path) -> String {
    path.strip_prefix(base)
        .expect("inside the base folder")
        .to_string_lossy()
        .into_owned()
}

/// Runs `export` into `<env>/out/<name>`; returns the output and the bundle path.
fn export(env: &Env, name: &str, extra: &[&str]) -> (Output, PathBuf) {
    let out_dir = env.path().join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    let out = out_dir.join(name);
    let out_s = out.to_string_lossy().into_owned();
    let mut args = vec!["export", "--out", &out_s];
    if !extra.contains(&"--window") {
        args.extend_from_slice(&["--window", WINDOW.name]);
    }
    args.extend_from_slice(extra);
    (env.run(&args), out)
}

/// Unpacks `bundle` with the system tar into a fresh folder; returns the bundle's top folder.
fn unpack(bundle: &Path, into: &Path) -> PathBuf {
    std::fs::create_dir_all(into).unwrap();
    let out = Command::new("tar")
        .arg("-xzf")
        .arg(bundle)
        .arg("-C")
        .arg(into)
        .output()
        .expect("the system `tar` is needed by this test");
    assert!(out.status.success(), "tar -xzf: {}", text(&out));
    let top = bundle
        .file_name()
        .unwrap()
        .to_string_lossy()
        .trim_end_matches(".tar.gz")
        .to_string();
    into.join(top)
}

fn sh(dir: &Path, script: &str) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .output()
        .expect("run sh")
}

fn verify(dir: &Path) -> Output {
    Command::new(bin())
        .args(["verify", "--vault"])
        .arg(dir)
        .env_remove("RUST_LOG")
        .output()
        .expect("run verify")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Every file under `dir`, relative path → content.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.insert(rel(&p, base), std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn manifest(bundle: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(bundle.join("export.json")).unwrap()).unwrap()
}

fn manifest_runs(bundle: &Path) -> Vec<String> {
    manifest(bundle)["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_string())
        .collect()
}

/// Run folders present in an unpacked bundle's window folder (date/collector/run-id).
fn bundle_runs(bundle: &Path) -> Vec<String> {
    let window = bundle.join(WINDOW.name);
    let mut out: Vec<String> = files(&window)
        .keys()
        .filter(|p| p.ends_with("/run.json"))
        .map(|p| p.trim_end_matches("/run.json").to_string())
        .filter(|p| !p.starts_with("derived/"))
        .collect();
    out.sort();
    out
}

/// The export is whole and checkable: every standard check passes and nothing changed.
fn assert_checks_pass(env: &Env, bundle: &Path, expected: &[String]) {
    let sums = sh(bundle, "sha256sum -c SHA256SUMS");
    assert!(
        sums.status.success(),
        "sha256sum -c at the root: {}",
        text(&sums)
    );
    let listed = stdout(&sums).lines().count();
    assert!(
        listed > expected.len() * 2,
        "too few files checked: {}",
        text(&sums)
    );
    for run in expected {
        let dir = bundle.join(WINDOW.name).join(run);
        let c = sh(&dir, "sha256sum -c SHA256SUMS");
        assert!(c.status.success(), "sha256sum -c in {run}: {}", text(&c));
        assert_eq!(
            files(&dir),
            files(&env.vault().join(WINDOW.name).join(run)),
            "run folder {run} differs from the vault's"
        );
    }
    assert_eq!(bundle_runs(bundle), expected, "run folders in the bundle");
    assert_eq!(manifest_runs(bundle), expected, "runs in export.json");
    assert_eq!(
        std::fs::read(bundle.join(WINDOW.name).join("ledger.jsonl")).unwrap(),
        std::fs::read(env.vault().join(WINDOW.name).join("ledger.jsonl")).unwrap(),
        "the ledger is exported whole, byte for byte"
    );
    let v = verify(bundle);
    assert_eq!(
        v.status.code(),
        Some(0),
        "verify on the unpacked bundle: {}",
        text(&v)
    );
    assert!(
        stdout(&v).contains(&format!("verified {} runs", expected.len())),
        "{}",
        text(&v)
    );
}

/// Every relative link of the bundle's report leads to a file in the bundle.
fn assert_report_links_resolve(bundle: &Path) {
    let site = bundle.join(WINDOW.name).join("derived/report");
    let pages: Vec<String> = files(&site)
        .into_keys()
        .filter(|p| p.ends_with(".html"))
        .collect();
    assert!(!pages.is_empty(), "no report pages in {}", site.display());
    let mut checked = 0;
    for page in pages {
        let html = std::fs::read_to_string(site.join(&page)).unwrap();
        let dir = site.join(&page).parent().unwrap().to_path_buf();
        for href in html
            .split("href=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
        {
            let target = href.split(['#', '?']).next().unwrap_or("");
            if target.is_empty() || target.contains(':') {
                continue;
            }
            let target = target.replace("%20", " ");
            assert!(
                dir.join(&target).exists(),
                "{page} links to {href}, which is not in the bundle"
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "the report has no relative links to check");
}

#[test]
fn a_whole_window_round_trips_through_tar_sha256sum_and_verify() {
    let (env, runs) = setup();
    let (out, bundle_file) = export(&env, "evidence-2026-q1.tar.gz", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        stdout(&out).contains("exported 6 runs of 2026-q1"),
        "{}",
        text(&out)
    );
    let bundle = unpack(&bundle_file, &env.path().join("unpacked"));
    let mut expected = runs.clone();
    expected.sort();
    assert_checks_pass(&env, &bundle, &expected);

    // The coreutils-only command VERIFY.md gives works as written.
    let guide = std::fs::read_to_string(bundle.join("VERIFY.md")).unwrap();
    let command = evidence_agent::export::guide::RUN_FOLDERS_COMMAND;
    assert!(guide.contains(command), "{guide}");
    let find = sh(&bundle, command);
    assert!(find.status.success(), "{}", text(&find));
    assert!(
        stdout(&find).contains("every run folder: OK"),
        "{}",
        text(&find)
    );
    let m = manifest(&bundle);
    let head = m["ledger"]["last_line_sha256"].as_str().unwrap();
    assert!(
        guide.contains(head),
        "VERIFY.md gives the ledger head: {guide}"
    );
    assert_eq!(m["ledger"]["lines"], 6);
    assert_eq!(m["window"]["start"], "2026-01-01");
    assert_eq!(m["selection"]["collectors"], serde_json::Value::Null);
    assert!(
        bundle.join("2026-q1/derived/report/index.html").is_file(),
        "the report is in the bundle"
    );
    assert_report_links_resolve(&bundle);
    let long = bundle
        .join(WINDOW.name)
        .join(&runs[1])
        .join("artifacts")
        .join(LONG);
    assert_eq!(std::fs::read(long).unwrap(), b"[{\"number\":1}]");

    // Entries carry the vault's permissions and no owner of this machine.
    let listing = Command::new("tar")
        .args(["--numeric-owner", "-tvzf"])
        .arg(&bundle_file)
        .output()
        .unwrap();
    assert!(listing.status.success(), "{}", text(&listing));
    for line in stdout(&listing).lines() {
        assert!(
            line.starts_with("-rw-r----- 0/0 ") || line.starts_with("drwxr-x--- 0/0 "),
            "unexpected mode or owner: {line}"
        );
    }
}

#[test]
fn tampering_with_an_unpacked_bundle_fails_verify_naming_the_file() {
    let (env, runs) = setup();
    let (out, bundle_file) = export(&env, "evidence-2026-q1.tar.gz", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // A changed artifact.
    let bundle = unpack(&bundle_file, &env.path().join("tampered"));
    let artifact = format!("{}/{}/artifacts/users.csv", WINDOW.name, runs[0]);
    std::fs::write(bundle.join(&artifact), "user,mfa\nalice,true\nbob,true\n").unwrap();
    let v = verify(&bundle);
    assert_eq!(v.status.code(), Some(1), "{}", text(&v));
    assert!(
        stdout(&v).contains(&format!("MODIFIED {artifact}")),
        "{}",
        text(&v)
    );
    let sums = sh(&bundle, "sha256sum -c SHA256SUMS");
    assert!(
        !sums.status.success(),
        "sha256sum -c notices too: {}",
        text(&sums)
    );

    // A listed run folder deleted.
    let bundle = unpack(&bundle_file, &env.path().join("deleted"));
    let gone = format!("{}/{}", WINDOW.name, runs[3]);
    std::fs::remove_dir_all(bundle.join(&gone)).unwrap();
    let v = verify(&bundle);
    assert_eq!(v.status.code(), Some(1), "{}", text(&v));
    assert!(
        stdout(&v).contains(&format!("MISSING {gone}")),
        "{}",
        text(&v)
    );

    // The manifest edited to hide a deleted run.
    let bundle = unpack(&bundle_file, &env.path().join("hidden"));
    let mut m = manifest(&bundle);
    let kept: Vec<serde_json::Value> = m["runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.as_str() != Some(runs[4].as_str()))
        .cloned()
        .collect();
    m["runs"] = serde_json::Value::Array(kept);
    std::fs::write(
        bundle.join("export.json"),
        serde_json::to_vec_pretty(&m).unwrap(),
    )
    .unwrap();
    std::fs::remove_dir_all(bundle.join(WINDOW.name).join(&runs[4])).unwrap();
    let v = verify(&bundle);
    assert_eq!(v.status.code(), Some(1), "{}", text(&v));
    assert!(
        stdout(&v).contains(&format!("MISSING {}/{}", WINDOW.name, runs[4])),
        "{}",
        text(&v)
    );

    // A manifest whose ledger head is not the ledger's.
    let bundle = unpack(&bundle_file, &env.path().join("head"));
    let mut m = manifest(&bundle);
    m["ledger"]["lines"] = serde_json::json!(5);
    std::fs::write(
        bundle.join("export.json"),
        serde_json::to_vec_pretty(&m).unwrap(),
    )
    .unwrap();
    let v = verify(&bundle);
    assert_eq!(v.status.code(), Some(1), "{}", text(&v));
    assert!(
        stdout(&v).contains("MODIFIED 2026-q1/ledger.jsonl: has 6 lines"),
        "{}",
        text(&v)
    );

    // A run of the vault added to a bundle that does not list it.
    let (out, subset_file) = export(&env, "january.tar.gz", &["--to", "2026-01-31"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let bundle = unpack(&subset_file, &env.path().join("extra"));
    let extra = format!("{}/{}", WINDOW.name, runs[5]);
    std::fs::create_dir_all(bundle.join(&extra)).unwrap();
    for (path, content) in files(&env.vault().join(&extra)) {
        let to = bundle.join(&extra).join(path);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(to, content).unwrap();
    }
    let v = verify(&bundle);
    assert_eq!(v.status.code(), Some(1), "{}", text(&v));
    assert!(
        stdout(&v).contains(&format!("EXTRA {extra}")),
        "{}",
        text(&v)
    );
}

#[test]
fn subsets_by_date_and_by_criteria_hold_exactly_their_runs_and_verify() {
    let (env, runs) = setup();
    let (out, by_date) = export(
        &env,
        "mid.tar.gz",
        &["--from", "2026-01-06", "--to", "2026-02-10"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let bundle = unpack(&by_date, &env.path().join("by-date"));
    let mut expected = vec![runs[1].clone(), runs[2].clone(), runs[3].clone()];
    expected.sort();
    assert_checks_pass(&env, &bundle, &expected);
    assert_report_links_resolve(&bundle);
    let v = verify(&bundle);
    assert!(
        stdout(&v).contains(
            "NOTE 2026-q1/ledger.jsonl: 3 runs of the ledger are outside this export's selection"
        ),
        "{}",
        text(&v)
    );
    let m = manifest(&bundle);
    assert_eq!(m["selection"]["from"], "2026-01-06");
    assert_eq!(m["selection"]["to"], "2026-02-10");

    let (out, by_criteria) = export(&env, "changes.tar.gz", &["--criteria", "cc8.1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let bundle = unpack(&by_criteria, &env.path().join("by-criteria"));
    let mut expected = vec![runs[1].clone(), runs[3].clone()];
    expected.sort();
    assert_checks_pass(&env, &bundle, &expected);
    let m = manifest(&bundle);
    assert_eq!(m["selection"]["criteria"], serde_json::json!(["CC8.1"]));
    assert_eq!(
        m["selection"]["collectors"],
        serde_json::json!(["github-pull-requests"])
    );
    let guide = std::fs::read_to_string(bundle.join("VERIFY.md")).unwrap();
    assert!(guide.contains("| runs in this bundle | 2 |"), "{guide}");
}

/// Nothing was left in the out folder but what was there before.
fn assert_nothing_left(env: &Env, before: &[String]) {
    let mut names: Vec<String> = std::fs::read_dir(env.path().join("out"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, before, "files left in the out folder");
}

#[test]
fn bad_requests_exit_2_saying_what_to_do_and_leave_nothing() {
    let (env, _) = setup();
    let cases: &[(&[&str], &str)] = &[
        (&["--window", "nope"], "no audit window named `nope`"),
        (
            &["--from", "2026-02-01", "--to", "2026-01-31"],
            "`--from 2026-02-01` is after `--to 2026-01-31`",
        ),
        (
            &["--criteria", "CC8.1,CC9.9"],
            "no collector supports CC9.9",
        ),
    ];
    for (extra, message) in cases {
        let (out, _) = export(&env, "bundle.tar.gz", extra);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(message),
            "{extra:?}: {}",
            text(&out)
        );
        assert_nothing_left(&env, &[]);
    }
    let (out, _) = export(&env, "bundle.tar.gz", &["--criteria", "CC9.9"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("CC6.1, CC6.2"),
        "the known criteria are named: {}",
        text(&out)
    );

    std::fs::write(env.path().join("out/taken.tar.gz"), "mine").unwrap();
    let (out, taken) = export(&env, "taken.tar.gz", &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("exists already"),
        "{}",
        text(&out)
    );
    assert_eq!(std::fs::read(&taken).unwrap(), b"mine");
    assert_nothing_left(&env, &["taken.tar.gz".to_string()]);

    let missing = env.path().join("no-such-folder/b.tar.gz");
    let out = env.run(&[
        "export",
        "--window",
        "2026-q1",
        "--out",
        &missing.to_string_lossy(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("does not exist"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_tampered_vault_is_not_exported() {
    let (env, runs) = setup();
    let artifact = env
        .vault()
        .join(WINDOW.name)
        .join(&runs[4])
        .join("artifacts/sshd.txt");
    std::fs::write(&artifact, "PermitRootLogin yes\n").unwrap();
    let (out, bundle) = export(&env, "evidence.tar.gz", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&artifact.to_string_lossy().into_owned()),
        "{}",
        text(&out)
    );
    assert!(stderr.contains("evidence-agent verify"), "{}", text(&out));
    assert!(!bundle.exists());
    assert_nothing_left(&env, &[]);
}

#[test]
fn a_manifest_dropped_into_the_agents_vault_cannot_hide_removed_runs() {
    let (env, runs) = setup();
    let (out, bundle) = export(
        &env,
        "mid.tar.gz",
        &["--from", "2026-01-06", "--to", "2026-02-10"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let bundle = unpack(&bundle, &env.path().join("mid"));
    // Someone copies the manifest into the vault and removes a run outside its selection.
    std::fs::copy(bundle.join("export.json"), env.vault().join("export.json")).unwrap();
    let removed = &runs[0];
    std::fs::remove_dir_all(env.vault().join(WINDOW.name).join(removed)).unwrap();
    let v = env.run(&["verify"]);
    assert_eq!(v.status.code(), Some(1), "{}", text(&v));
    let said = stdout(&v);
    assert!(
        said.contains(&format!("MISSING {}/{removed}", WINDOW.name)),
        "{said}"
    );
    assert!(said.contains("EXTRA export.json"), "{said}");
}
