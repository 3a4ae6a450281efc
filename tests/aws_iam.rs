//! The `aws-iam` collector through the built binary. End-to-end runs against moto come with the
//! moto harness (tests/moto); here: what a host without AWS credentials records.

use std::time::{Duration, Instant};

use crate::util::{Env, run_folders, run_json, text};

#[test]
fn the_example_config_records_a_skip_naming_what_to_set_without_waiting() {
    let env = Env::new("");
    let example = std::fs::read_to_string(crate::util::repo().join("config.example.toml")).unwrap();
    std::fs::write(env.config(), example).unwrap();
    env.add_collector("host-baseline", "", "exit 0");
    let mut cmd = env.command(&["collect", "aws-iam"]);
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ] {
        cmd.env_remove(var);
    }
    // No ~/.aws of the machine running the tests.
    cmd.env("HOME", env.path());
    let started = Instant::now();
    let out = cmd.output().unwrap();
    let took = started.elapsed();
    assert_eq!(
        out.status.code(),
        Some(0),
        "a skip is not an evidence problem\n{}",
        text(&out)
    );
    let record = run_json(&run_folders(&env.path().join("vault")).pop().expect("a run"));
    assert_eq!(record["collector"]["name"], "aws-iam", "{record:#}");
    assert_eq!(record["status"], "skipped", "{record:#}");
    let error = record["error"].as_str().unwrap();
    assert!(
        error.contains("no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"),
        "{error}"
    );
    // Bounded by `credentials_timeout_secs` (5), not the SDK's default metadata retries.
    assert!(took < Duration::from_secs(8), "took {took:?}");
}
