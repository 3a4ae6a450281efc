//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary under test, built by cargo for this test run.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_evidence-agent"))
}

/// The repository root (for `collectors/`, `config.example.toml`).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A scratch folder with a config file, a vault folder and a collectors folder.
pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    /// A config whose vault is `<dir>/vault` and whose collectors are `<dir>/collectors`, with one
    /// window covering every date the tests run on. `extra` is appended to the TOML.
    pub fn new(extra: &str) -> Env {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("collectors")).unwrap();
        let env = Env { dir };
        env.write_config(extra);
        env
    }

    pub fn write_config(&self, extra: &str) {
        let text = format!(
            "[agent]\nvault_dir = \"vault\"\ncollectors_dir = \"collectors\"\njitter_secs = 0\nshutdown_grace_secs = 2\n\n[http]\nenabled = false\n\n[[windows]]\nname = \"test-window\"\nstart = \"2000-01-01\"\nend = \"2099-12-31\"\n\n{extra}\n"
        );
        std::fs::write(self.config(), text).unwrap();
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
    pub fn config(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }
    pub fn vault(&self) -> PathBuf {
        self.dir.path().join("vault")
    }
    pub fn collectors(&self) -> PathBuf {
        self.dir.path().join("collectors")
    }

    /// Adds a custom collector folder with `collector.toml` and an executable `collect.sh`.
    pub fn add_collector(&self, name: &str, toml_extra: &str, script: &str) -> PathBuf {
        let dir = self.collectors().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("collector.toml"),
            format!("name = \"{name}\"\ndescription = \"test collector {name}\"\nversion = \"1.0.0\"\ncriteria = [\"CC6.1\"]\ncommand = [\"./collect.sh\"]\nschedule = \"0 0 3 * * *\"\n{toml_extra}\n"),
        )
        .unwrap();
        let script_path = dir.join("collect.sh");
        std::fs::write(&script_path, format!("#!/bin/sh\n{script}\n")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script_path, std::fs::Permissions::from_mode(0o755)).unwrap();
        dir
    }

    /// Runs the agent with this config and the given arguments.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run evidence-agent")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(bin());
        c.arg("--config")
            .arg(self.config())
            .args(args)
            .env_remove("RUST_LOG");
        c
    }
}

pub fn text(o: &Output) -> String {
    format!(
        "--- status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Every committed run folder of the vault (`<window>/<date>/<collector>/<run-id>`).
pub fn run_folders(vault: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for w in read_dirs(vault) {
        if w.file_name().unwrap().to_string_lossy().starts_with('.') {
            continue;
        }
        // `derived/` (the report) is beside the date folders, not evidence.
        for d in read_dirs(&w)
            .into_iter()
            .filter(|d| !d.ends_with("derived"))
        {
            for c in read_dirs(&d) {
                out.extend(read_dirs(&c));
            }
        }
    }
    out.sort();
    out
}

fn read_dirs(p: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(p)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// The parsed run.json of a run folder.
pub fn run_json(run: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(run.join("run.json")).unwrap()).unwrap()
}

/// `(rule, subject)` of every finding of a run folder's run.json, sorted.
pub fn findings(run: &Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = run_json(run)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["subject"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

/// `../shared/fixtures`, which CI always has: a missing folder fails the test, never skips it.
pub fn shared_fixtures() -> PathBuf {
    let p = repo().join("..").join("shared").join("fixtures");
    assert!(
        p.is_dir(),
        "third-party fixtures missing at {}: the tests need ../shared beside the repository",
        p.display()
    );
    p
}

/// An environment holding `config.example.toml` as shipped, with a `host-baseline` stub.
pub fn example_env() -> Env {
    let env = Env::new("");
    let example = std::fs::read_to_string(repo().join("config.example.toml")).unwrap();
    std::fs::write(env.config(), example).unwrap();
    env.add_collector("host-baseline", "", "exit 0");
    env
}

/// The record of the one run a `collect` that exited 0 made, checked to be skipped.
pub fn skipped_run(env: &Env, out: &Output) -> serde_json::Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "a skip is not an evidence problem\n{}",
        text(out)
    );
    let record = run_json(&run_folders(&env.path().join("vault")).pop().expect("a run"));
    assert_eq!(record["status"], "skipped", "{record:#}");
    record
}
