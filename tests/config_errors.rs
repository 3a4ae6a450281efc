//! Bad config files through the real binary: every problem reported at once, each with its
//! file:line:column and key, exit status 2, and never a panic or a secret's value.

use std::process::Output;

use crate::util::{Env, repo, text};

/// A scratch folder (with an empty `collectors/`) whose `config.toml` is exactly `config`.
fn env_with(config: &str) -> Env {
    let env = Env::new("");
    std::fs::write(env.config(), config).unwrap();
    env
}

/// `check-config` on `config`.
fn check(config: &str) -> (Env, Output) {
    let env = env_with(config);
    let out = env.run(&["check-config"]);
    (env, out)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Exit 2, no panic, and exactly these problems: each `(line:col, key, words)` must be one line
/// of the report, `config.toml:LINE:COL: `KEY`: …WORDS…`.
fn assert_problems(o: &Output, expected: &[(&str, &str, &str)]) {
    let all = text(o);
    assert_eq!(o.status.code(), Some(2), "{all}");
    assert!(!all.contains("panicked"), "{all}");
    let err = stderr(o);
    let n = expected.len();
    let count = format!("has {n} problem{}:", if n == 1 { "" } else { "s" });
    assert!(err.contains(&count), "expected `{count}`\n{all}");
    for (at, key, words) in expected {
        let head = format!("config.toml:{at}: `{key}`: ");
        let line = err.lines().find(|l| l.contains(&head));
        let line = line.unwrap_or_else(|| panic!("no problem `{head}`\n{all}"));
        assert!(line.contains(words), "`{head}` should say `{words}`\n{all}");
    }
}

#[test]
fn a_syntax_error_is_located() {
    let (_env, out) = check("[agent\nvault_dir = \"v\"\n");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(stderr(&out).contains("config.toml:1:7: "), "{all}");
    assert!(stderr(&out).contains("expected `]`"), "{all}");
    assert!(!all.contains("panicked"), "{all}");
}

#[test]
fn a_duplicate_key_names_the_key_and_its_second_line() {
    let (_env, out) = check("[agent]\nvault_dir = \"v\"\nvault_dir = \"w\"\n");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(
        stderr(&out).contains("config.toml:3:1: duplicate key `vault_dir`"),
        "{all}"
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let config = r#"[agent]
timezone = "Mars/Olympus"
max_concurrent_runs = 0
deadline_secs = 99999999
jitter_secs = -3
timezon = "UTC"

[http]
listen = "0.0.0.0:9464"

[[windows]]
name = "h1"
start = 2026-07-01
end = 2026-01-01

[[windows]]
name = "h2"
start = 2026-06-01
end = 2026-12-31

[[windows]]
name = "h3"
start = 2026-10-01
end = 2027-03-31

[collectors.host-baselin]
schedule = "0 0 3 * *"
max_files = 0
"#;
    let (_env, out) = check(config);
    assert_problems(
        &out,
        &[
            ("2:12", "agent.timezone", "unknown time zone `Mars/Olympus`"),
            ("3:23", "agent.max_concurrent_runs", "at least 1, got 0"),
            (
                "4:17",
                "agent.deadline_secs",
                "at most 604800, got 99999999",
            ),
            ("5:15", "agent.jitter_secs", "expected a whole number"),
            ("6:1", "agent.timezon", "did you mean `timezone`?"),
            ("9:10", "http.listen", "`http.allow_remote = true`"),
            ("14:7", "windows[0].end", "before it starts"),
            ("23:9", "windows[2].start", "overlaps window `h2`"),
            ("26:1", "collectors.host-baselin", "no collector named"),
            ("27:12", "collectors.host-baselin.schedule", "needs 6 or 7"),
            (
                "28:13",
                "collectors.host-baselin.max_files",
                "at least 1, got 0",
            ),
        ],
    );
}

#[test]
fn unknown_sections_and_keys_get_the_valid_ones() {
    let (_env, out) = check("[agnet]\nvault_dir = \"v\"\n\n[http]\nlisten_on = \"127.0.0.1:1\"\n");
    assert_problems(
        &out,
        &[
            ("1:2", "agnet", "did you mean `agent`?"),
            (
                "5:1",
                "http.listen_on",
                "valid keys are `enabled`, `listen`",
            ),
        ],
    );
}

#[test]
fn wrong_types_say_what_was_expected() {
    let config = "agent = 3\n\n[http]\nenabled = \"yes\"\nlisten = \"localhost:9464\"\n\n[windows]\nname = \"x\"\n";
    let (_env, out) = check(config);
    assert_problems(
        &out,
        &[
            ("1:9", "agent", "must be a table, not an integer"),
            ("4:11", "http.enabled", "expected a boolean"),
            ("5:10", "http.listen", "host names are not resolved"),
            ("7:1", "windows", "must be an array of tables, not a table"),
        ],
    );
}

#[test]
fn bad_windows_are_each_named() {
    let config = r#"[[windows]]
name = "a b"
start = "2026-13-01"
end = 2026-12-31

[[windows]]
name = "outside-window"
start = 2027-01-01T10:00:00Z
end = 2027-06-30

[[windows]]
name = "h"
start = 2027-07-01

[[windows]]
name = "dup"
start = 2028-01-01
end = 2028-06-30

[[windows]]
name = "dup"
start = 2028-07-01
end = 2028-12-31
"#;
    let (_env, out) = check(config);
    assert_problems(
        &out,
        &[
            ("2:8", "windows[0].name", "cannot be a folder name"),
            ("3:9", "windows[0].start", "`2026-13-01` is not a date"),
            ("7:8", "windows[1].name", "reserved"),
            ("8:9", "windows[1].start", "has a time of day"),
            ("11:1", "windows[2]", "missing required key `end`"),
            ("21:8", "windows[4].name", "already used by windows[3]"),
        ],
    );
}

#[test]
fn bad_cron_expressions_are_refused() {
    let config = r#"[collectors.a]
schedule = "0 0 31 2 * *"

[collectors.b]
schedule = "0 0 0 30 2 *"

[collectors.c]
schedule = "0 0 0 1 1 * 2020"

[collectors.d]
schedule = 5
"#;
    let (_env, out) = check(config);
    let err = stderr(&out);
    assert_problems(
        &out,
        &[
            (
                "1:1",
                "collectors.a",
                "known collectors are `aws-iam`, `github-pull-requests`, `scan-reports`, `tls-endpoints`;",
            ),
            ("2:12", "collectors.a.schedule", "invalid cron expression"),
            ("4:1", "collectors.b", "no collector named `b`"),
            ("5:12", "collectors.b.schedule", "never fires"),
            ("7:1", "collectors.c", "no collector named `c`"),
            ("8:12", "collectors.c.schedule", "never fires"),
            ("10:1", "collectors.d", "no collector named `d`"),
            ("11:12", "collectors.d.schedule", "expected a string"),
        ],
    );
    // The parser's caret line is left out: one problem, one line.
    assert!(!err.lines().any(|l| l.trim() == "^"), "{err}");
}

#[test]
fn secrets_must_be_references_and_their_values_are_never_printed() {
    let pasted = "ghp_Zq8RealLookingTokenValue1234567890";
    let config = format!(
        r#"[collectors.x.secrets]
TOKEN = "{pasted}"
KEY_FILE = "file:relative/key"
"1BAD" = "env:OK"
EVIDENCE_OUT_DIR = "env:X"
NUMBER = 42
ENV = "env:not-a-name"
"#
    );
    let (_env, out) = check(&config);
    assert_problems(
        &out,
        &[
            ("1:13", "collectors.x", "no collector named `x`"),
            (
                "2:9",
                "collectors.x.secrets.TOKEN",
                "inline values are not accepted",
            ),
            (
                "3:12",
                "collectors.x.secrets.KEY_FILE",
                "needs an absolute path",
            ),
            (
                "4:10",
                "collectors.x.secrets.1BAD",
                "cannot be an environment variable",
            ),
            ("5:20", "collectors.x.secrets.EVIDENCE_OUT_DIR", "reserves"),
            (
                "6:10",
                "collectors.x.secrets.NUMBER",
                "must be a string, not an integer",
            ),
            (
                "7:7",
                "collectors.x.secrets.ENV",
                "valid environment variable",
            ),
        ],
    );
    assert!(!text(&out).contains(pasted), "{}", text(&out));
    assert!(!text(&out).contains("RealLooking"), "{}", text(&out));
}

#[test]
fn limits_that_would_stop_the_agent_are_refused() {
    let config = r#"[agent]
shutdown_grace_secs = 86400
jitter_secs = 100000
deadline_secs = 0
vault_dir = ""

[collectors.x]
deadline_secs = 0
max_output_bytes = 0
max_files = 99999999
"#;
    let (_env, out) = check(config);
    assert_problems(
        &out,
        &[
            (
                "2:23",
                "agent.shutdown_grace_secs",
                "at most 3600, got 86400",
            ),
            ("3:15", "agent.jitter_secs", "at most 86400, got 100000"),
            ("4:17", "agent.deadline_secs", "at least 1, got 0"),
            ("5:13", "agent.vault_dir", "must not be empty"),
            ("7:1", "collectors.x", "no collector named"),
            ("8:17", "collectors.x.deadline_secs", "at least 1, got 0"),
            ("9:20", "collectors.x.max_output_bytes", "at least 1, got 0"),
            (
                "10:13",
                "collectors.x.max_files",
                "at most 1000000, got 99999999",
            ),
        ],
    );
}

#[test]
fn a_remote_listen_address_is_allowed_only_on_purpose() {
    let (_env, out) = check("[http]\nlisten = \"[::]:9464\"\n");
    assert_problems(&out, &[("2:10", "http.listen", "not a loopback address")]);

    let config = "[http]\nlisten = \"0.0.0.0:9464\"\nallow_remote = true\n\n[[windows]]\nname = \"w\"\nstart = 2000-01-01\nend = 2099-12-31\n";
    let (_env, out) = check(config);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        stderr(&out).contains("config.toml:2:10: `http.listen`"),
        "{all}"
    );
    assert!(stderr(&out).contains("behind a firewall"), "{all}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("warnings: 1"),
        "{all}"
    );
}

#[test]
fn unreadable_files_say_what_to_do() {
    let env = Env::new("");
    let missing = env.path().join("nope.toml");
    let dir = env.path().join("collectors");
    let binary = env.path().join("binary.toml");
    std::fs::write(&binary, [0xff, 0xfe, b'a', b'=', b'1']).unwrap();
    let large = env.path().join("large.toml");
    std::fs::write(&large, "#".repeat(2 << 20)).unwrap();
    for (path, says) in [
        (
            &missing,
            "no such file; pass the right path with `--config PATH`",
        ),
        (&dir, "it is a directory"),
        (&binary, "not UTF-8"),
        (&large, "larger than"),
    ] {
        let out = std::process::Command::new(crate::util::bin())
            .arg("--config")
            .arg(path)
            .arg("check-config")
            .output()
            .unwrap();
        let all = text(&out);
        assert_eq!(out.status.code(), Some(2), "{all}");
        assert!(
            stderr(&out).contains(&format!("cannot read config file {}", path.display())),
            "{all}"
        );
        assert!(stderr(&out).contains(says), "{all}");
        assert!(!all.contains("panicked"), "{all}");
    }
}

#[test]
fn no_collector_runs_when_the_config_is_bad() {
    let env = Env::new("[collectors.host-baselin]\nmax_files = 0\n");
    // Env::new writes 14 lines before the extra text.
    for args in [&["collect"][..], &["run"], &["collectors"], &["status"]] {
        let out = env.run(args);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}\n{all}");
        let err = stderr(&out);
        assert!(err.contains("has 2 problems"), "{args:?}\n{all}");
        assert!(
            err.contains(
                "config.toml:15:1: `collectors.host-baselin`: there is no collector named"
            ),
            "{args:?}\n{all}"
        );
        assert!(
            err.contains("config.toml:16:13: `collectors.host-baselin.max_files`"),
            "{args:?}\n{all}"
        );
    }
    assert!(!env.vault().exists(), "a bad config must write nothing");
}

#[test]
fn an_unknown_collector_is_refused_with_the_known_names() {
    let env = Env::new("[collectors.host-baselin]\nschedule = \"0 0 4 * * *\"\n");
    env.add_collector("host-baseline", "", "exit 0");
    env.add_collector("other", "", "exit 0");
    for args in [&["check-config"][..], &["collect"], &["run"]] {
        let out = env.run(args);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}\n{all}");
        let err = stderr(&out);
        assert!(
            err.contains("config.toml:15:1: `collectors.host-baselin`"),
            "{all}"
        );
        assert!(err.contains("(did you mean `host-baseline`?)"), "{all}");
        assert!(
            err.contains(
                "known collectors are `aws-iam`, `github-pull-requests`, `host-baseline`, `other`, `scan-reports`, `tls-endpoints`"
            ),
            "{all}"
        );
    }
    assert!(!env.vault().exists(), "a bad config must write nothing");
}

#[test]
fn check_config_summarises_a_good_config_without_secret_values() {
    let secret_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(secret_file.path(), "file-secret-value-4242\n").unwrap();
    let env = Env::new(&format!(
        "[collectors.baseline]\nschedule = \"0 30 4 * * *\"\n[collectors.baseline.secrets]\nTOKEN = \"env:EVIDENCE_AGENT_TEST_TOKEN\"\nKEY = \"file:{}\"\nGONE = \"env:EVIDENCE_AGENT_TEST_UNSET\"\n\n[collectors.off]\nenabled = false\n",
        secret_file.path().display()
    ));
    env.add_collector("baseline", "", "exit 0");
    env.add_collector("off", "", "exit 0");
    let out = env
        .command(&["check-config"])
        .env("EVIDENCE_AGENT_TEST_TOKEN", "env-secret-value-1717")
        .env_remove("EVIDENCE_AGENT_TEST_UNSET")
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("is valid"), "{all}");
    assert!(
        stdout.contains("window: test-window (2000-01-01 to 2099-12-31, contains today)"),
        "{all}"
    );
    assert!(
        stdout.contains("collector baseline: schedule `0 30 4 * * *` (config), next run "),
        "{all}"
    );
    assert!(stdout.contains(":30:00.000Z"), "{all}");
    assert!(
        stdout.contains("secret TOKEN from env:EVIDENCE_AGENT_TEST_TOKEN: available"),
        "{all}"
    );
    assert!(
        stdout.contains(&format!(
            "secret KEY from file:{}: available",
            secret_file.path().display()
        )),
        "{all}"
    );
    assert!(stdout.contains("secret GONE from env:EVIDENCE_AGENT_TEST_UNSET: not available: environment variable EVIDENCE_AGENT_TEST_UNSET is not set"), "{all}");
    assert!(stdout.contains("collector off: disabled"), "{all}");
    assert!(!all.contains("env-secret-value-1717"), "{all}");
    assert!(!all.contains("file-secret-value-4242"), "{all}");
}

/// A scratch folder holding `config.example.toml` as shipped, with a `host-baseline` stub.
fn example_env(with_host_baseline: bool) -> Env {
    let env = Env::new("");
    let example = std::fs::read_to_string(repo().join("config.example.toml")).unwrap();
    std::fs::write(env.config(), example).unwrap();
    if with_host_baseline {
        env.add_collector("host-baseline", "", "exit 0");
    }
    env
}

#[test]
fn the_example_config_checks_out() {
    let env = example_env(true);
    let out = env.run(&["check-config"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("window: 2026-h2 (2026-07-01 to 2026-12-31"),
        "{all}"
    );
    assert!(
        stdout.contains("collector host-baseline: schedule `0 0 3 * * *` (config), next run "),
        "{all}"
    );
    assert!(stdout.contains("T03:00:00.000Z"), "{all}");
    assert!(
        !stderr(&out).contains("WARN"),
        "the example should raise no warning\n{all}"
    );
}

#[test]
fn the_example_without_its_collector_names_the_table() {
    let env = example_env(false);
    let out = env.run(&["check-config"]);
    let line = std::fs::read_to_string(env.config())
        .unwrap()
        .lines()
        .position(|l| l == "[collectors.host-baseline]")
        .expect("the example configures host-baseline")
        + 1;
    assert_problems(
        &out,
        &[(
            &format!("{line}:1"),
            "collectors.host-baseline",
            "known collectors are `aws-iam`, `github-pull-requests`, `scan-reports`, `tls-endpoints`;",
        )],
    );
}
