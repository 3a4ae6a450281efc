//! Tests: the agent killed with SIGKILL mid-run loses nothing committed, and the next start
//! records the run it was doing as interrupted.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::custom_collectors::{assert_dead, assert_sums_ok, read_pids, sha256_file};
use crate::util::{Env, run_folders, run_json, text};

/// SIGKILLs the agent; whether it was still running (it may have finished first).
fn sigkill(child: &mut Child) -> bool {
    // SAFETY: plain syscall on our own child (not yet waited for, so its pid is still ours).
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        std::io::Read::read_to_string(&mut e, &mut err).unwrap();
    }
    let status = child.wait().unwrap();
    match std::os::unix::process::ExitStatusExt::signal(&status) {
        Some(libc::SIGKILL) => true,
        _ => {
            assert_eq!(status.code(), Some(0), "the agent failed on its own: {err}");
            false
        }
    }
}

/// Checks a window's ledger by hand (seq, prev chain, hashes of run.json and SHA256SUMS), so the
/// test does not depend on `verify`. Returns the run folders it names, in order.
fn check_ledger(vault: &Path, window: &str) -> Vec<PathBuf> {
    let text = std::fs::read_to_string(vault.join(window).join("ledger.jsonl")).unwrap();
    assert!(text.ends_with('\n'), "torn last line: {text}");
    let mut prev = "0".repeat(64);
    let mut runs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let entry: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(entry["seq"], i as u64 + 1, "{line}");
        assert_eq!(entry["prev"].as_str().unwrap(), prev, "{line}");
        let run = vault.join(window).join(entry["run"].as_str().unwrap());
        assert_eq!(
            entry["run_json_sha256"].as_str().unwrap(),
            sha256_file(&run.join("run.json")),
            "{line}"
        );
        assert_eq!(
            entry["sums_sha256"].as_str().unwrap(),
            sha256_file(&run.join("SHA256SUMS")),
            "{line}"
        );
        prev = hex::encode(Sha256::digest(line.as_bytes()));
        runs.push(run);
    }
    runs
}

/// Nothing is left in staging: every run was committed or recovered.
fn assert_staging_empty(vault: &Path) {
    let left: Vec<String> = std::fs::read_dir(vault.join(".staging"))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(left, Vec::<String>::new(), "left in staging");
}

#[test]
fn sigkill_mid_run_is_recorded_as_interrupted_at_the_next_start() {
    let env = Env::new("");
    let pids = env.path().join("pids");
    let started = env.path().join("started");
    env.add_collector(
        "slow",
        "",
        &format!(
            r#"
echo $$ >> {pids}
for i in 1 2 3; do echo "part $i" > "$EVIDENCE_OUT_DIR/part$i.txt"; done
sleep 1000 &
echo $! >> {pids}
touch {started}
sleep 1000
"#,
            pids = pids.display(),
            started = started.display()
        ),
    );
    env.add_collector("quick", "", "echo ok > \"$EVIDENCE_OUT_DIR/ok.txt\"");
    let mut agent = env.command(&["collect", "slow"]).spawn().unwrap();
    let until = Instant::now() + Duration::from_secs(10);
    while !started.exists() {
        assert!(Instant::now() < until, "the collector did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(sigkill(&mut agent), "the agent ended before the kill");
    let pids = read_pids(&pids);
    assert_eq!(pids.len(), 2, "{pids:?}");
    // The collector dies with the agent (PR_SET_PDEATHSIG).
    assert_dead(&pids[..1], Duration::from_secs(2));
    assert!(
        run_folders(&env.vault()).is_empty(),
        "nothing committed yet"
    );

    let out = env.run(&["collect", "quick"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // What the collector left running is killed at the next start.
    assert_dead(&pids, Duration::from_secs(2));
    let runs = check_ledger(&env.vault(), "test-window");
    assert_eq!(runs.len(), 2, "{runs:?}");
    let slow = run_json(&runs[0]);
    assert_eq!(slow["collector"]["name"], "slow");
    assert_eq!(slow["status"], "interrupted");
    assert_eq!(slow["artifacts"], serde_json::json!([]));
    assert!(slow["error"].as_str().is_some_and(|e| !e.is_empty()));
    assert_eq!(run_json(&runs[1])["status"], "succeeded");
    for run in &runs {
        assert_sums_ok(run);
    }
    assert_staging_empty(&env.vault());
    let verify = env.run(&["verify"]);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
}

#[test]
fn sigkill_at_random_moments_leaves_every_run_committed_or_interrupted() {
    const KILLS: usize = 50;
    let env = Env::new("");
    env.add_collector(
        "writer",
        "",
        r#"
for i in 1 2 3 4 5; do
  head -c 20000 /dev/urandom > "$EVIDENCE_OUT_DIR/file$i.bin"
  sleep 0.05
done
echo '{"summary":{"files":5}}'
"#,
    );
    // A small LCG: the seed is printed so a failure can be replayed.
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    println!("seed {seed}");
    let mut state = seed;
    let mut next_delay = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        Duration::from_millis((state >> 33) % 500)
    };
    let (mut killed, mut attempts) = (0, 0);
    while killed < KILLS {
        attempts += 1;
        assert!(
            attempts <= 3 * KILLS,
            "seed {seed}: the agent keeps finishing before the kill"
        );
        let mut agent = env
            .command(&["collect", "writer"])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(next_delay());
        killed += usize::from(sigkill(&mut agent));
    }
    let out = env.run(&["collect", "writer"]);
    assert_eq!(out.status.code(), Some(0), "seed {seed}: {}", text(&out));

    let ledger_runs = check_ledger(&env.vault(), "test-window");
    let folders = run_folders(&env.vault());
    assert_eq!(
        ledger_runs.iter().collect::<BTreeSet<_>>(),
        folders.iter().collect::<BTreeSet<_>>(),
        "seed {seed}: the ledger names each run folder exactly once"
    );
    assert_eq!(ledger_runs.len(), folders.len(), "seed {seed}");
    assert!(folders.len() <= attempts + 1);
    let mut statuses = BTreeSet::new();
    for run in &folders {
        let record = run_json(run);
        let status = record["status"].as_str().unwrap().to_string();
        match status.as_str() {
            "succeeded" => assert_eq!(record["artifacts"].as_array().unwrap().len(), 5),
            "interrupted" => assert_eq!(record["artifacts"], serde_json::json!([])),
            other => panic!("seed {seed}: {} is {other}", run.display()),
        }
        statuses.insert(status);
        assert_sums_ok(run);
    }
    assert!(statuses.contains("succeeded"), "the last run succeeds");
    assert!(
        statuses.contains("interrupted"),
        "seed {seed}: {KILLS} kills mid-run and no interrupted run"
    );
    assert_staging_empty(&env.vault());
    let verify = env.run(&["verify"]);
    assert_eq!(
        verify.status.code(),
        Some(0),
        "seed {seed}: {}",
        text(&verify)
    );
}
