//! Tests: custom collectors run as real processes under the contract of collectors/README.md.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::util::{Env, run_folders, run_json, text};

/// A string no other process on the machine has in its command line.
pub fn marker(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("evtest-{tag}-{}-{nanos}", std::process::id())
}

/// Live processes whose command line contains `marker` (what `pgrep -f` finds), waiting up to
/// `grace` for them to go: a process killed a moment ago may still be on its way out.
pub fn processes_with(marker: &str, grace: Duration) -> Vec<String> {
    let until = Instant::now() + grace;
    loop {
        let mut found = Vec::new();
        for e in std::fs::read_dir("/proc").unwrap().flatten() {
            let pid = e.file_name().to_string_lossy().into_owned();
            if !pid.chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
            if let Ok(cmd) = std::fs::read(e.path().join("cmdline")) {
                let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
                if cmd.contains(marker) {
                    found.push(format!("{pid}: {cmd}"));
                }
            }
        }
        if found.is_empty() || Instant::now() >= until {
            return found;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The one run folder of `collector` in the vault.
pub fn only_run(env: &Env, collector: &str) -> PathBuf {
    let runs: Vec<PathBuf> = run_folders(&env.vault())
        .into_iter()
        .filter(|r| r.parent().unwrap().ends_with(collector))
        .collect();
    assert_eq!(
        runs.len(),
        1,
        "expected one run of {collector}, found {runs:?}"
    );
    runs.into_iter().next().unwrap()
}

/// `sha256sum -c SHA256SUMS` in the run folder: coreutils alone accept it.
pub fn assert_sums_ok(run: &Path) {
    let sums = Command::new("sha256sum")
        .arg("-c")
        .arg("--strict")
        .arg("SHA256SUMS")
        .current_dir(run)
        .output()
        .unwrap();
    assert!(sums.status.success(), "{}: {}", run.display(), text(&sums));
}

pub fn sha256_file(p: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(p).unwrap()))
}

fn artifact_paths(record: &serde_json::Value) -> Vec<String> {
    record["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["path"].as_str().unwrap().to_string())
        .collect()
}

fn refused(record: &serde_json::Value) -> Vec<(String, String)> {
    record["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["path"].as_str().unwrap().to_string(),
                r["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn reason_for<'a>(refusals: &'a [(String, String)], path: &str) -> &'a str {
    refusals
        .iter()
        .find(|(p, _)| p == path)
        .map(|(_, r)| r.as_str())
        .unwrap_or_else(|| panic!("`{path}` not refused: {refusals:?}"))
}

#[test]
fn success_stores_files_and_findings() {
    let env = Env::new("");
    env.add_collector(
        "inventory",
        "",
        r#"
mkdir -p "$EVIDENCE_OUT_DIR/hosts"
printf 'host,ssh\nweb-1,yes\n' > "$EVIDENCE_OUT_DIR/hosts/list.csv"
printf '{"users": 3}\n' > "$EVIDENCE_OUT_DIR/users.json"
head -c 5000 /dev/urandom > "$EVIDENCE_OUT_DIR/blob.bin"
echo "collected 3 users" >&2
echo '{"findings":[{"rule":"ssh-open","severity":"medium","subject":"web-1","message":"ssh is reachable","artifact":"hosts/list.csv"}],"summary":{"hosts":1,"note":"ok"}}'
"#,
    );
    let out = env.run(&["collect", "inventory"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let run = only_run(&env, "inventory");
    let record = run_json(&run);
    assert_eq!(record["status"], "succeeded");
    assert_eq!(record["error"], serde_json::Value::Null);
    assert_eq!(record["collector"]["kind"], "custom");
    assert_eq!(record["collector"]["version"], "1.0.0");
    assert_eq!(record["criteria"], serde_json::json!(["CC6.1"]));
    assert_eq!(
        artifact_paths(&record),
        [
            "artifacts/blob.bin",
            "artifacts/hosts/list.csv",
            "artifacts/users.json",
            "run.log"
        ]
    );
    for a in record["artifacts"].as_array().unwrap() {
        let file = run.join(a["path"].as_str().unwrap());
        assert_eq!(a["sha256"].as_str().unwrap(), sha256_file(&file), "{a}");
        assert_eq!(
            a["size"].as_u64().unwrap(),
            std::fs::metadata(&file).unwrap().len(),
            "{a}"
        );
    }
    let media: Vec<&str> = record["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["media_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        media,
        [
            "application/octet-stream",
            "text/csv",
            "application/json",
            "text/plain"
        ]
    );
    assert_eq!(
        record["findings"],
        serde_json::json!([{"rule":"ssh-open","severity":"medium","subject":"web-1","message":"ssh is reachable","artifact":"hosts/list.csv"}])
    );
    assert_eq!(record["findings_summary"], serde_json::json!({"medium": 1}));
    assert_eq!(
        record["summary"],
        serde_json::json!({"hosts": 1, "note": "ok"})
    );
    assert_eq!(record["refused"], serde_json::json!([]));
    assert_eq!(
        std::fs::read_to_string(run.join("run.log")).unwrap(),
        "collected 3 users\n"
    );
    // Provenance: what ran and with which limits.
    let params = &record["parameters"];
    assert_eq!(params["command"], serde_json::json!(["./collect.sh"]));
    assert_eq!(params["version"], "1.0.0");
    assert_eq!(
        params["manifest_sha256"].as_str().unwrap(),
        sha256_file(&env.collectors().join("inventory/collector.toml"))
    );
    assert_eq!(
        params["program"].as_str().unwrap(),
        env.collectors()
            .join("inventory/collect.sh")
            .to_str()
            .unwrap()
    );
    assert_eq!(
        params["program_sha256"].as_str().unwrap(),
        sha256_file(&env.collectors().join("inventory/collect.sh"))
    );
    assert_eq!(params["timeout_secs"], 300);
    assert_eq!(params["max_output_bytes"], 100 * 1024 * 1024);
    assert_eq!(params["max_files"], 1000);
    assert_eq!(params["secrets"], serde_json::json!([]));
    // The run folder checks with coreutils alone.
    assert_sums_ok(&run);
    assert!(
        !env.vault()
            .join(".staging")
            .read_dir()
            .unwrap()
            .any(|e| e.unwrap().path().is_dir()),
        "staging left behind"
    );
}

#[test]
fn non_zero_exit_fails_and_keeps_what_it_wrote() {
    let env = Env::new("");
    env.add_collector(
        "broken",
        "",
        r#"
echo "half of it" > "$EVIDENCE_OUT_DIR/partial.txt"
echo "starting" >&2
echo "boom: the API said 503" >&2
exit 3
"#,
    );
    let out = env.run(&["collect", "broken"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let run = only_run(&env, "broken");
    let record = run_json(&run);
    assert_eq!(record["status"], "failed");
    let error = record["error"].as_str().unwrap();
    assert!(error.contains("exited with status 3"), "{error}");
    assert!(
        error.contains("last stderr line: boom: the API said 503"),
        "{error}"
    );
    assert_eq!(
        artifact_paths(&record),
        ["artifacts/partial.txt", "run.log"]
    );
    assert_eq!(
        std::fs::read_to_string(run.join("artifacts/partial.txt")).unwrap(),
        "half of it\n"
    );
    assert_eq!(
        std::fs::read_to_string(run.join("run.log")).unwrap(),
        "starting\nboom: the API said 503\n"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("exited with status 3"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_hang_is_interrupted_and_its_whole_process_group_killed() {
    let env = Env::new("");
    let mark = marker("hang");
    let pids = env.path().join("pids");
    // Ignores SIGTERM (and so do its children), so only SIGKILL ends it.
    env.add_collector(
        "hang",
        "timeout_secs = 2",
        &format!(
            r#"
trap '' TERM
sh -c 'sleep 1000 & echo $! >> {pids}; wait; : {mark}-grandchild' &
echo $! >> {pids}
echo "some" > "$EVIDENCE_OUT_DIR/early.txt"
echo "waiting forever" >&2
sh -c 'sleep 1000; : {mark}-child'
"#,
            pids = pids.display()
        ),
    );
    let start = Instant::now();
    let out = env.run(&["collect", "hang"]);
    let took = start.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        took < Duration::from_secs(9),
        "took {took:?}: {}",
        text(&out)
    );
    assert!(
        took >= Duration::from_secs(4),
        "SIGKILL came before the 2 s grace: {took:?}"
    );
    let record = run_json(&only_run(&env, "hang"));
    assert_eq!(record["status"], "interrupted");
    let error = record["error"].as_str().unwrap();
    assert!(error.contains("deadline of 2s"), "{error}");
    assert!(error.contains("SIGTERM, then SIGKILL"), "{error}");
    // An interrupted run keeps no partial evidence, only its log.
    assert_eq!(artifact_paths(&record), ["run.log"]);
    assert_eq!(
        processes_with(&mark, Duration::from_secs(2)),
        Vec::<String>::new()
    );
    // The `sleep` grandchild and its parent, by pid: started, and dead now.
    let pids = read_pids(&pids);
    assert_eq!(pids.len(), 2, "{pids:?}");
    assert_dead(&pids, Duration::from_secs(2));
}

/// The pids a collector appended to `file`, one a line.
pub fn read_pids(file: &Path) -> Vec<i32> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect()
}

/// Waits up to `grace` for each pid to be gone (or a zombie: dead, not yet reaped).
pub fn assert_dead(pids: &[i32], grace: Duration) {
    let alive = |pid: &i32| {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| {
                let state = s.rsplit(')').next().unwrap_or("").trim_start();
                !state.starts_with('Z')
            })
            .unwrap_or(false)
    };
    let until = Instant::now() + grace;
    loop {
        let left: Vec<i32> = pids.iter().copied().filter(alive).collect();
        if left.is_empty() {
            return;
        }
        assert!(Instant::now() < until, "still running: {left:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn shutdown_interrupts_a_running_collector() {
    // The test config gives in-flight runs 2 s after SIGTERM.
    let env = Env::new("");
    let mark = marker("shutdown");
    env.add_collector(
        "slowpoke",
        "",
        &format!("sh -c 'sleep 1000; : {mark}' &\nsleep 1000\n"),
    );
    let mut child = env
        .command(&["collect", "slowpoke"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(10);
    while processes_with(&mark, Duration::ZERO).is_empty() {
        assert!(Instant::now() < until, "the collector did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let start = Instant::now();
    // SAFETY: plain syscall on our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "shutdown took {:?}",
        start.elapsed()
    );
    assert_eq!(status.code(), Some(1));
    let record = run_json(&only_run(&env, "slowpoke"));
    assert_eq!(record["status"], "interrupted");
    assert!(
        record["error"].as_str().unwrap().contains("shut down"),
        "{}",
        record["error"]
    );
    assert_eq!(
        processes_with(&mark, Duration::from_secs(2)),
        Vec::<String>::new()
    );
}

#[test]
fn an_output_flood_is_stopped_and_discarded() {
    // The config's limit overrides collector.toml's; the flood would never end by itself.
    let env = Env::new("[collectors.flood]\nmax_output_bytes = 100000\n");
    env.add_collector(
        "flood",
        "timeout_secs = 60\nmax_output_bytes = 1000000000",
        r#"
while true; do
  head -c 10000 /dev/zero >> "$EVIDENCE_OUT_DIR/flood.bin"
  sleep 0.01
done
"#,
    );
    let start = Instant::now();
    let out = env.run(&["collect", "flood"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "the flood ran {:?}",
        start.elapsed()
    );
    let record = run_json(&only_run(&env, "flood"));
    assert_eq!(record["status"], "failed");
    let error = record["error"].as_str().unwrap();
    assert!(error.contains("more than 100000 bytes"), "{error}");
    assert!(
        error.contains("raise max_output_bytes in [collectors.flood]"),
        "{error}"
    );
    assert_eq!(artifact_paths(&record), Vec::<String>::new());
    assert_eq!(record["parameters"]["max_output_bytes"], 100000);
}

#[test]
fn too_many_files_fail_the_run_even_when_written_just_before_exit() {
    let env = Env::new("");
    env.add_collector(
        "many",
        "max_files = 5",
        r#"for i in 1 2 3 4 5 6 7 8; do echo $i > "$EVIDENCE_OUT_DIR/f$i.txt"; done"#,
    );
    let out = env.run(&["collect", "many"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let record = run_json(&only_run(&env, "many"));
    assert_eq!(record["status"], "failed");
    let error = record["error"].as_str().unwrap();
    assert!(error.contains("more than 5 files"), "{error}");
    assert!(
        error.contains("raise max_files in [collectors.many]"),
        "{error}"
    );
    assert_eq!(artifact_paths(&record), Vec::<String>::new());
}

#[test]
fn links_special_files_and_escapes_are_refused_and_the_run_succeeds() {
    let env = Env::new("");
    let outside = env.path().join("outside.txt");
    std::fs::write(&outside, "not evidence\n").unwrap();
    env.add_collector(
        "tricky",
        "",
        &format!(
            r#"
echo "good" > "$EVIDENCE_OUT_DIR/good.txt"
ln -s /etc/hostname "$EVIDENCE_OUT_DIR/link.txt"
mkdir "$EVIDENCE_OUT_DIR/dir"
ln -s .. "$EVIDENCE_OUT_DIR/dir/up"
mkfifo "$EVIDENCE_OUT_DIR/pipe"
ln {outside} "$EVIDENCE_OUT_DIR/hard.txt"
printf 'x' > "$EVIDENCE_OUT_DIR/back\\slash.txt"
echo "escaped" > "$EVIDENCE_OUT_DIR/../escape.txt"
echo "sneaky" > "$EVIDENCE_OUT_DIR/../../artifacts/sneak.txt"
"#,
            outside = outside.display()
        ),
    );
    let out = env.run(&["collect", "tricky"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let run = only_run(&env, "tricky");
    let record = run_json(&run);
    assert_eq!(record["status"], "succeeded");
    assert_eq!(artifact_paths(&record), ["artifacts/good.txt"]);
    let r = refused(&record);
    assert_eq!(r.len(), 7, "{r:?}");
    assert!(reason_for(&r, "link.txt").contains("symbolic link"));
    assert!(reason_for(&r, "dir/up").contains("symbolic link"));
    assert!(reason_for(&r, "pipe").contains("FIFO"));
    assert!(reason_for(&r, "hard.txt").contains("hard link"));
    assert!(reason_for(&r, "back\\slash.txt").contains("backslash"));
    assert!(reason_for(&r, "../escape.txt").contains("outside EVIDENCE_OUT_DIR"));
    assert!(reason_for(&r, "../../artifacts/sneak.txt").contains("outside EVIDENCE_OUT_DIR"));
    // Nothing refused reached the run folder, and the file behind the hard link is untouched.
    let mut files = Vec::new();
    for e in walk(&run) {
        files.push(e.strip_prefix(&run).unwrap().to_string_lossy().into_owned());
    }
    assert_eq!(files, ["SHA256SUMS", "artifacts/good.txt", "run.json"]);
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "not evidence\n");
    assert_sums_ok(&run);
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if e.file_type().unwrap().is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn stdout_that_breaks_the_contract_fails_the_run() {
    let cases = [
        ("chatty", "echo 'Collecting now...'", "expected value"),
        (
            "extra-key",
            r#"echo '{"findings":[],"status":"ok"}'"#,
            "unknown field `status`",
        ),
        (
            "two-objects",
            r#"echo '{"summary":{}}'; echo '{"summary":{}}'"#,
            "more than one JSON value",
        ),
        (
            "bad-severity",
            r#"echo '{"findings":[{"rule":"r","severity":"severe","subject":"s","message":"m"}]}'"#,
            "at `findings[0].severity`",
        ),
    ];
    let env = Env::new("");
    for (name, script, _) in cases {
        env.add_collector(
            name,
            "",
            &format!("echo kept > \"$EVIDENCE_OUT_DIR/a.txt\"\n{script}"),
        );
    }
    let out = env.run(&["collect"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    for (name, script, expected) in cases {
        let run = only_run(&env, name);
        let record = run_json(&run);
        assert_eq!(record["status"], "failed", "{name}");
        let error = record["error"].as_str().unwrap();
        assert!(error.contains("stdout is not valid"), "{name}: {error}");
        assert!(error.contains(expected), "{name}: {error}");
        let log = std::fs::read_to_string(run.join("run.log")).unwrap();
        let printed = Command::new("sh")
            .arg("-c")
            .arg(script)
            .output()
            .unwrap()
            .stdout;
        assert!(
            log.ends_with(&*String::from_utf8_lossy(&printed)),
            "{name}: raw stdout not in the log: {log}"
        );
        assert!(
            artifact_paths(&record).contains(&"artifacts/a.txt".to_string()),
            "{name}"
        );
    }
}

#[test]
fn the_environment_holds_only_the_contract_and_granted_secrets() {
    let env = Env::new(
        "[collectors.envdump.secrets]\nAPI_TOKEN = \"env:EVTEST_TOKEN_SOURCE\"\n\n[collectors.other.secrets]\nOTHER_TOKEN = \"env:EVTEST_OTHER_SOURCE\"\n",
    );
    let dir = env.add_collector(
        "envdump",
        "secrets = [\"API_TOKEN\"]\n[environment]\nREGION = \"eu-west-1\"",
        r#"
env | cut -d= -f1 | sort > "$EVIDENCE_OUT_DIR/names.txt"
for v in LANG EVIDENCE_COLLECTOR EVIDENCE_RUN_ID EVIDENCE_WINDOW EVIDENCE_WINDOW_START EVIDENCE_WINDOW_END EVIDENCE_DEADLINE EVIDENCE_OUT_DIR HOME PATH REGION; do
  printf '%s=%s\n' "$v" "$(printenv $v)"
done > "$EVIDENCE_OUT_DIR/values.txt"
pwd > "$EVIDENCE_OUT_DIR/cwd.txt"
test -d "$HOME" && test -w "$HOME" && echo yes > "$EVIDENCE_OUT_DIR/home-ok.txt"
cat > "$EVIDENCE_OUT_DIR/stdin.txt"
"#,
    );
    env.add_collector("other", "", "true");
    let out = env
        .command(&["collect", "envdump"])
        .env("EVTEST_AGENT_ONLY", "must-not-leak")
        .env("EVTEST_TOKEN_SOURCE", "token-value-1234")
        .env("EVTEST_OTHER_SOURCE", "other-value-5678")
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let run = only_run(&env, "envdump");
    let read = |f: &str| std::fs::read_to_string(run.join("artifacts").join(f)).unwrap();
    // sh itself adds PWD (and some shells SHLVL and _): not from the agent.
    let names: BTreeSet<String> = read("names.txt")
        .lines()
        .filter(|n| !matches!(*n, "PWD" | "SHLVL" | "_" | "OLDPWD"))
        .map(String::from)
        .collect();
    let expected: BTreeSet<String> = [
        "API_TOKEN",
        "EVIDENCE_COLLECTOR",
        "EVIDENCE_DEADLINE",
        "EVIDENCE_OUT_DIR",
        "EVIDENCE_RUN_ID",
        "EVIDENCE_WINDOW",
        "EVIDENCE_WINDOW_END",
        "EVIDENCE_WINDOW_START",
        "HOME",
        "LANG",
        "PATH",
        "REGION",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(names, expected);
    let values = read("values.txt");
    let record = run_json(&run);
    for line in [
        "LANG=C.UTF-8".to_string(),
        "EVIDENCE_COLLECTOR=envdump".to_string(),
        format!("EVIDENCE_RUN_ID={}", record["run_id"].as_str().unwrap()),
        "EVIDENCE_WINDOW=test-window".to_string(),
        "EVIDENCE_WINDOW_START=2000-01-01".to_string(),
        "EVIDENCE_WINDOW_END=2099-12-31".to_string(),
        "PATH=/usr/bin:/bin".to_string(),
        "REGION=eu-west-1".to_string(),
    ] {
        assert!(
            values.lines().any(|l| l == line),
            "{line} missing in\n{values}"
        );
    }
    let value = |k: &str| {
        values
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .unwrap()
            .to_string()
    };
    let out_dir = value("EVIDENCE_OUT_DIR");
    assert!(
        out_dir.starts_with('/') && out_dir.contains("/.staging/"),
        "{out_dir}"
    );
    assert!(value("HOME").starts_with('/') && value("HOME") != out_dir);
    let deadline = chrono::DateTime::parse_from_rfc3339(&value("EVIDENCE_DEADLINE")).unwrap();
    let started =
        chrono::DateTime::parse_from_rfc3339(record["started_at"].as_str().unwrap()).unwrap();
    let ahead = (deadline - started).num_seconds();
    assert!(
        (295..=305).contains(&ahead),
        "deadline {ahead}s after the start, expected the 300 s timeout"
    );
    assert_eq!(
        read("cwd.txt").trim(),
        dir.canonicalize().unwrap().to_str().unwrap()
    );
    assert_eq!(read("home-ok.txt"), "yes\n");
    assert_eq!(read("stdin.txt"), "", "stdin is /dev/null");
    assert_eq!(
        record["parameters"]["secrets"],
        serde_json::json!(["API_TOKEN"])
    );
    assert_eq!(
        record["parameters"]["environment"],
        serde_json::json!({"REGION": "eu-west-1"})
    );
}

#[test]
fn a_missing_grant_skips_the_run_with_what_to_set() {
    let env = Env::new("");
    env.add_collector(
        "needy",
        "secrets = [\"GITLAB_TOKEN\"]",
        "echo should-not-run > \"$EVIDENCE_OUT_DIR/ran.txt\"",
    );
    let out = env.run(&["collect", "needy"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "a skipped run is not an evidence problem: {}",
        text(&out)
    );
    let record = run_json(&only_run(&env, "needy"));
    assert_eq!(record["status"], "skipped");
    let error = record["error"].as_str().unwrap();
    assert!(
        error.contains("GITLAB_TOKEN") && error.contains("[collectors.needy.secrets]"),
        "{error}"
    );
    assert_eq!(artifact_paths(&record), Vec::<String>::new());
}

/// Writes a collector folder with the given collector.toml and an executable script.
fn write_collector(env: &Env, folder: &str, toml: &str) -> PathBuf {
    let dir = env.collectors().join(folder);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("collector.toml"), toml).unwrap();
    let script = dir.join("collect.sh");
    std::fs::write(&script, "#!/bin/sh\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

fn check_config_fails(env: &Env) -> String {
    let out = env.run(&["check-config"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn collector_toml_errors_name_file_line_and_key() {
    let base = "name = \"c\"\ndescription = \"d\"\nversion = \"1\"\ncommand = [\"./collect.sh\"]\n";
    let cases = [
        (format!("{base}timeout_secs = \"soon\"\n"), "collector.toml:5:16: `timeout_secs`: invalid type: string \"soon\", expected u64"),
        (format!("{base}colour = \"red\"\n"), "collector.toml:5:1: `colour`: unknown field `colour`"),
        (format!("{base}schedule = \"every day\"\n"), "collector.toml:5:12: `schedule`: cron expression `every day` has 2 fields"),
        ("name = \"other\"\ndescription = \"d\"\nversion = \"1\"\ncommand = [\"./collect.sh\"]\n".to_string(), "collector.toml:1:8: `name`: `other` must equal the folder name `c`"),
        ("name = \"c\"\ndescription = \"d\"\nversion = \"1\"\ncommand = [\"./missing.sh\"]\n".to_string(), "collector.toml:4:11: `command`: `./missing.sh` does not exist"),
        ("name = \"c\"\ndescription = \"d\"\nversion = \"1\"\ncommand = []\n".to_string(), "collector.toml:4:11: `command`: `command` is empty"),
        (format!("{base}max_files = 0\n"), "collector.toml:5:13: `max_files`: `max_files` must be at least 1"),
        (format!("{base}secrets = [\"EVIDENCE_X\"]\n"), "`secrets[0]`: `EVIDENCE_X`: names starting with EVIDENCE_ are set by the agent"),
        ("name = \"c\"\nversion = \"1\"\ncommand = [\"./collect.sh\"]\n".to_string(), "missing field `description`"),
        ("name = \"c\"\ndescription = \"d\"\nversion = \"1\"\ncommand = [\"./collect.sh\"\n".to_string(), "collector.toml:4:26: unclosed array"),
    ];
    for (toml, expected) in cases {
        let env = Env::new("");
        let dir = write_collector(&env, "c", &toml);
        let err = check_config_fails(&env);
        assert!(
            err.contains(&dir.join("collector.toml").display().to_string()),
            "the file is not named:\n{err}"
        );
        assert!(
            err.contains(expected),
            "expected `{expected}` for\n{toml}\ngot:\n{err}"
        );
    }
}

#[test]
fn a_non_executable_program_is_a_config_error() {
    let env = Env::new("");
    let dir = write_collector(
        &env,
        "c",
        "name = \"c\"\ndescription = \"d\"\nversion = \"1\"\ncommand = [\"./collect.sh\"]\n",
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        dir.join("collect.sh"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let err = check_config_fails(&env);
    assert!(
        err.contains("`./collect.sh` is not executable: run `chmod +x` on it"),
        "{err}"
    );
}

#[test]
fn every_broken_folder_is_reported_at_once() {
    let env = Env::new("");
    std::fs::create_dir_all(env.collectors().join("half-installed")).unwrap();
    write_collector(
        &env,
        "typo",
        "name = \"typo\"\ndescription = \"d\"\nversion = \"1\"\ncommand = [\"./collect.sh\"]\ntimout_secs = 5\n",
    );
    let err = check_config_fails(&env);
    assert!(err.contains("2 problem(s)"), "{err}");
    assert!(
        err.contains(&format!(
            "{}: this folder has no collector.toml",
            env.collectors().join("half-installed").display()
        )),
        "{err}"
    );
    assert!(
        err.contains("typo/collector.toml:5:1: `timout_secs`: unknown field"),
        "{err}"
    );
    // `collect` refuses to start as well: a broken collector never silently vanishes.
    let out = env.run(&["collect"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        !env.vault().join("vault.json").exists(),
        "nothing may be collected with a broken collectors folder"
    );
}

#[test]
fn hidden_folders_and_plain_files_are_ignored_and_no_folder_is_fine() {
    let env = Env::new("");
    std::fs::create_dir_all(env.collectors().join(".git/objects")).unwrap();
    std::fs::write(env.collectors().join("README.md"), "# collectors\n").unwrap();
    env.add_collector("real", "", "true");
    let listed = |env: &Env| {
        let out = env.run(&["check-config"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.trim().strip_prefix("collector "))
            .filter_map(|l| l.split(':').next().map(String::from))
            .collect::<Vec<String>>()
    };
    // Built-in collectors are always listed; only `real` comes from the folder.
    assert_eq!(
        listed(&env),
        [
            "aws-iam",
            "github-pull-requests",
            "real",
            "scan-reports",
            "tls-endpoints"
        ]
    );

    std::fs::remove_dir_all(env.collectors()).unwrap();
    assert_eq!(
        listed(&env),
        [
            "aws-iam",
            "github-pull-requests",
            "scan-reports",
            "tls-endpoints"
        ]
    );
}
