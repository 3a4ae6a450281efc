//! Tests: the commands end to end on a temporary vault, including start-up recovery and a full disk.

use std::fs;

use crate::util::{Env, run_folders, run_json, text};

const WRITES_TWO_FILES: &str = "echo 'PermitRootLogin no' > \"$EVIDENCE_OUT_DIR/sshd.txt\"\nmkdir -p \"$EVIDENCE_OUT_DIR/sub\"\necho data > \"$EVIDENCE_OUT_DIR/sub/ports.txt\"\necho '{\"findings\":[],\"summary\":{\"checked\":2}}'";

fn ledger_lines(env: &Env, window: &str) -> Vec<serde_json::Value> {
    fs::read_to_string(env.vault().join(window).join("ledger.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn collect_commits_a_verifiable_run_and_status_shows_coverage() {
    let env = Env::new("");
    env.add_collector("baseline", "", WRITES_TWO_FILES);
    let out = env.run(&["collect"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let runs = run_folders(&env.vault());
    assert_eq!(runs.len(), 1, "one run folder: {runs:?}");
    let record = run_json(&runs[0]);
    assert_eq!(record["status"], "succeeded");
    assert_eq!(record["window"]["name"], "test-window");
    let paths: Vec<&str> = record["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["path"].as_str().unwrap())
        .collect();
    assert!(
        paths.contains(&"artifacts/sshd.txt") && paths.contains(&"artifacts/sub/ports.txt"),
        "{paths:?}"
    );
    assert_eq!(record["summary"]["checked"], 2);

    let check = std::process::Command::new("sha256sum")
        .args(["-c", "--strict", "SHA256SUMS"])
        .current_dir(&runs[0])
        .output()
        .unwrap();
    assert!(check.status.success(), "sha256sum -c: {}", text(&check));

    let verify = env.run(&["verify"]);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
    assert_modes(&env.vault());

    let status = env.run(&["status", "--json"]);
    assert_eq!(status.status.code(), Some(0), "{}", text(&status));
    let rows: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    // Built-in collectors are listed too (off without their sections).
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "baseline")
        .expect("a row for baseline");
    assert_eq!(row["last_run"]["status"], "succeeded");
    assert_eq!(row["days_covered"], 1);
    assert!(
        row["days_elapsed"].as_i64().unwrap() > 9000,
        "window started in 2000: {row}"
    );
    assert!(
        row["next_run"]
            .as_str()
            .unwrap()
            .ends_with("T03:00:00.000Z"),
        "{row}"
    );
}

#[test]
fn collectors_lists_criteria_and_next_run() {
    let env = Env::new("");
    env.add_collector("baseline", "", WRITES_TWO_FILES);
    let out = env.run(&["collectors"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("baseline"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        line.contains("custom") && line.contains("CC6.1") && line.contains("T03:00:00.000Z"),
        "{line}"
    );
}

#[test]
fn unknown_collector_name_is_a_usage_error_naming_the_known_ones() {
    let env = Env::new("");
    env.add_collector("baseline", "", WRITES_TWO_FILES);
    let out = env.run(&["collect", "nosuch"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("unknown collector `nosuch`") && stderr.contains("baseline"),
        "{stderr}"
    );
    assert!(!env.vault().exists(), "a usage error writes nothing");
}

#[test]
fn a_run_outside_every_window_is_kept_not_lost() {
    let env = Env::new("");
    let config = fs::read_to_string(env.config())
        .unwrap()
        .replace("end = \"2099-12-31\"", "end = \"2001-12-31\"");
    fs::write(env.config(), config).unwrap();
    env.add_collector("baseline", "", WRITES_TWO_FILES);
    let out = env.run(&["collect"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let runs = run_folders(&env.vault());
    assert_eq!(runs.len(), 1);
    assert!(
        runs[0].starts_with(env.vault().join("outside-window")),
        "{runs:?}"
    );
    assert_eq!(
        run_json(&runs[0])["window"]["start"],
        serde_json::Value::Null
    );
    assert_eq!(env.run(&["verify"]).status.code(), Some(0));
}

#[test]
fn recovery_repairs_a_torn_ledger_line_and_appends_the_missing_run() {
    let env = Env::new("");
    env.add_collector("baseline", "", WRITES_TWO_FILES);
    for _ in 0..2 {
        assert_eq!(env.run(&["collect"]).status.code(), Some(0));
    }
    // A crash mid-append: the last line lost its tail and newline.
    let ledger = env.vault().join("test-window/ledger.jsonl");
    let bytes = fs::read(&ledger).unwrap();
    fs::write(&ledger, &bytes[..bytes.len() - 40]).unwrap();
    let torn = env.run(&["verify"]);
    assert_eq!(
        torn.status.code(),
        Some(1),
        "verify must see the torn line: {}",
        text(&torn)
    );

    let out = env.run(&["collect"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let lines = ledger_lines(&env, "test-window");
    assert_eq!(
        lines.len(),
        3,
        "two original runs (one re-appended) and the new one"
    );
    assert!(
        lines[1]["note"].as_str().unwrap().contains("torn"),
        "{}",
        lines[1]
    );
    let runs: std::collections::BTreeSet<&str> =
        lines.iter().map(|l| l["run"].as_str().unwrap()).collect();
    assert_eq!(runs.len(), 3, "each run once: {lines:?}");
    let verify = env.run(&["verify"]);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
}

#[test]
fn recovery_appends_a_committed_run_missing_from_the_ledger() {
    let env = Env::new("");
    env.add_collector("baseline", "", WRITES_TWO_FILES);
    assert_eq!(env.run(&["collect"]).status.code(), Some(0));
    assert_eq!(env.run(&["collect"]).status.code(), Some(0));
    // A crash between the rename into place and the ledger append: drop the last line whole.
    let ledger = env.vault().join("test-window/ledger.jsonl");
    let text_before = fs::read_to_string(&ledger).unwrap();
    let first_line = text_before.lines().next().unwrap();
    fs::write(&ledger, format!("{first_line}\n")).unwrap();
    let missing = env.run(&["verify"]);
    assert_eq!(
        missing.status.code(),
        Some(1),
        "a run folder not in the ledger is extra: {}",
        text(&missing)
    );

    assert_eq!(env.run(&["collect"]).status.code(), Some(0));
    let lines = ledger_lines(&env, "test-window");
    assert_eq!(lines.len(), 3);
    assert!(
        lines[1]["note"]
            .as_str()
            .unwrap()
            .contains("missing from the ledger"),
        "{}",
        lines[1]
    );
    assert_eq!(env.run(&["verify"]).status.code(), Some(0));
}

/// A vault on a tiny tmpfs: a run that fills the disk fails with a clear message, and what was
/// committed before still verifies. Needs root for `mount` (CI and the dev machines run as root).
#[test]
fn a_full_vault_disk_fails_the_run_clearly_and_keeps_earlier_evidence() {
    let env = Env::new("");
    fs::create_dir_all(env.vault()).unwrap();
    let mount = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m"])
        .arg("tmpfs")
        .arg(env.vault())
        .output()
        .unwrap();
    assert!(
        mount.status.success(),
        "mounting a tmpfs for the vault (needs root): {}",
        text(&mount)
    );
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount")
                .arg("-l")
                .arg(&self.0)
                .status();
        }
    }
    let _guard = Unmount(env.vault());

    env.add_collector("small", "", WRITES_TWO_FILES);
    env.add_collector(
        "flood",
        "",
        "head -c 4000000 /dev/zero > \"$EVIDENCE_OUT_DIR/big.bin\" || exit 3",
    );
    let ok = env.run(&["collect", "small"]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));

    let full = env.run(&["collect", "flood"]);
    assert_eq!(full.status.code(), Some(1), "{}", text(&full));
    let stderr = String::from_utf8_lossy(&full.stderr);
    assert!(
        stderr.contains("No space left") || stderr.contains("disk is full"),
        "the message says the disk is full: {stderr}"
    );

    let verify = env.run(&["verify"]);
    assert_eq!(
        verify.status.code(),
        Some(0),
        "earlier evidence still verifies: {}",
        text(&verify)
    );
}

/// Directories 0750, files 0640, everywhere in the vault.
fn assert_modes(dir: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let mode = fs::symlink_metadata(&path).unwrap().permissions().mode() & 0o777;
        if path.is_dir() {
            assert_eq!(mode, 0o750, "{}", path.display());
            assert_modes(&path);
        } else {
            assert_eq!(mode, 0o640, "{}", path.display());
        }
    }
}
