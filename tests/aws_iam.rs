//! The `aws-iam` collector through the built binary. End-to-end runs against moto come with the
//! moto harness (tests/moto); here: what a host without AWS credentials records.

use std::time::{Duration, Instant};

use crate::util::{example_env, skipped_run};

#[test]
fn the_example_config_records_a_skip_naming_what_to_set_without_waiting() {
    let env = example_env();
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
    let record = skipped_run(&env, &out);
    assert_eq!(record["collector"]["name"], "aws-iam", "{record:#}");
    let error = record["error"].as_str().unwrap();
    assert!(
        error.contains("no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"),
        "{error}"
    );
    // Bounded by `credentials_timeout_secs` (5), not the SDK's default metadata retries.
    assert!(took < Duration::from_secs(8), "took {took:?}");
}
