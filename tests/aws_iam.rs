//! The `aws-iam` collector through the built binary: what a host without AWS credentials
//! records, and full runs against moto (tests/moto), a real IAM/STS implementation.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use crate::moto::Moto;
use crate::moto::seed::{self, PasswordPolicy, SeedUser};
use crate::util::{Env, example_env, findings, run_folders, run_json, skipped_run, text};

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

/// The agent's environment for moto: the test credentials and region, nothing of the host's.
fn collect_on(env: &Env) -> Output {
    let mut cmd = env.command(&["collect", "aws-iam"]);
    for var in [
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_ENDPOINT_URL",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("AWS_ACCESS_KEY_ID", seed::ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", seed::ACCESS_KEY)
        .env("AWS_REGION", seed::REGION)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("HOME", env.path())
        .output()
        .expect("run evidence-agent")
}

/// A config with `[aws]` pointing at moto's counted endpoint; `extra` goes inside `[aws]`.
fn moto_env(moto: &Moto, extra: &str) -> Env {
    Env::new(&format!(
        "[aws]\nendpoint_url = \"{}\"\n{extra}",
        moto.endpoint()
    ))
}

/// The policy the tests set: 8 characters, no symbols, no numbers (upper and lower required).
fn weak_policy() -> PasswordPolicy {
    PasswordPolicy {
        min_length: 8,
        require_symbols: false,
        require_numbers: false,
        max_age_days: None,
        reuse_prevention: None,
        ..PasswordPolicy::default()
    }
}

/// The only aws-iam run of the vault.
fn the_run(env: &Env) -> PathBuf {
    let runs: Vec<PathBuf> = run_folders(&env.vault())
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("/aws-iam/"))
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    runs.into_iter().next().unwrap_or_default()
}

fn pair(rule: &str, subject: String) -> (String, String) {
    (rule.to_string(), subject)
}

fn user_arn(account: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:user/{name}")
}

fn root_arn(account: &str) -> String {
    format!("arn:aws:iam::{account}:root")
}

/// The credential report moto holds for `account`, read past the request count.
fn report_from_moto(moto: &Moto, account: &str) -> Vec<u8> {
    let endpoint = moto.direct_endpoint();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let iam = seed::iam_client(&endpoint, account).await.unwrap();
            let report = iam.get_credential_report().send().await.unwrap();
            report.content().unwrap().as_ref().to_vec()
        })
}

/// users.csv as rows of column name → value (no field of the moto data holds a comma).
fn users_csv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(!text.contains('"'), "no quoted fields expected:\n{text}");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            assert_eq!(fields.len(), header.len(), "{line}");
            header
                .iter()
                .zip(fields)
                .map(|(h, f)| (h.to_string(), f.to_string()))
                .collect()
        })
        .collect()
}

#[test]
fn one_account_on_moto_gives_the_exact_findings_rows_and_report() {
    let moto = Moto::start();
    let direct = moto.direct_endpoint();
    let account = seed::DEFAULT_ACCOUNT;
    seed::seed_users(&direct, account, &seed::standard_users()).unwrap();
    seed::seed_password_policy(&direct, account, &weak_policy()).unwrap();
    let env = moto_env(&moto, "");

    let out = collect_on(&env);
    // Findings are evidence, not a failed collection.
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let run = the_run(&env);
    let record = run_json(&run);
    assert_eq!(record["status"], "succeeded", "{record:#}");
    assert_eq!(
        findings(&run),
        vec![
            pair("aws-console-without-mfa", user_arn(account, "bob")),
            pair("aws-password-policy-weaker", root_arn(account)),
            // moto's AccountMFAEnabled is always 0 and its report has no root row.
            pair("aws-root-without-mfa", root_arn(account)),
        ]
    );
    let weaker = record["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "aws-password-policy-weaker")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    for shortfall in ["14", "symbols", "numbers"] {
        assert!(weaker.contains(shortfall), "{weaker}");
    }
    assert!(!weaker.contains("uppercase"), "{weaker}");

    // The raw report, byte for byte as AWS (moto) returns it.
    let dir = run.join("artifacts/accounts").join(account);
    let stored = std::fs::read(dir.join("credential-report.csv")).unwrap();
    assert_eq!(stored, report_from_moto(&moto, account));
    assert!(String::from_utf8_lossy(&stored).contains("\nbob,"));

    let rows = users_csv(&dir.join("users.csv"));
    let by_user: BTreeMap<&str, &BTreeMap<String, String>> =
        rows.iter().map(|r| (r["user"].as_str(), r)).collect();
    assert_eq!(
        by_user.keys().copied().collect::<Vec<_>>(),
        ["alice", "bob", "carol", "dave"]
    );
    let expect = |user: &str, column: &str, value: &str| {
        assert_eq!(
            by_user[user][column], value,
            "{user}.{column}: {:?}",
            by_user[user]
        );
    };
    for (user, console, mfa, key1, key2, found) in [
        ("alice", "true", "true", "true", "false", ""),
        (
            "bob",
            "true",
            "false",
            "true",
            "false",
            "aws-console-without-mfa",
        ),
        ("carol", "false", "false", "true", "false", ""),
        ("dave", "false", "false", "false", "false", ""),
    ] {
        expect(user, "arn", &user_arn(account, user));
        expect(user, "console_access", console);
        expect(user, "mfa_active", mfa);
        expect(user, "key_1_active", key1);
        expect(user, "key_2_active", key2);
        expect(user, "findings", found);
    }
    // Fresh keys: age 0 days; alice's virtual device is listed by serial.
    expect("alice", "key_1_age_days", "0");
    expect("carol", "key_1_age_days", "0");
    assert_eq!(
        by_user["alice"]["mfa_devices"],
        format!("arn:aws:iam::{account}:mfa/alice")
    );

    let requests = moto.requests();
    let counted = record["summary"]["requests"].as_u64().unwrap();
    assert_eq!(counted as usize, requests.len(), "{requests:?}");
    assert!(counted <= 10, "{requests:?}");
    let summary = &record["summary"]["accounts"][account];
    assert_eq!(summary["status"], "succeeded", "{summary:#}");
    assert_eq!(summary["users"], 4, "{summary:#}");
    assert_eq!(summary["findings"], 3, "{summary:#}");

    let verify = env.run(&["verify"]);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
}

#[test]
fn assumed_accounts_are_collected_apart_and_a_refused_role_fails_only_itself() {
    let moto = Moto::start();
    let direct = moto.direct_endpoint();
    let first = seed::DEFAULT_ACCOUNT;
    let second = seed::SECOND_ACCOUNT;
    let refused = "222222222222";
    seed::seed_users(&direct, first, &seed::standard_users()).unwrap();
    seed::seed_password_policy(&direct, first, &weak_policy()).unwrap();
    let second_role = seed::create_reader_role(&direct, second).unwrap();
    // The second account: other users, no password policy.
    let erin = SeedUser {
        console: true,
        ..SeedUser::new("erin")
    };
    let frank = SeedUser {
        active_keys: 2,
        ..SeedUser::new("frank")
    };
    seed::seed_users(&direct, second, &[erin, frank]).unwrap();
    let refused_role = seed::reader_role_arn(refused);
    moto.refuse_assume_role(&refused_role);
    let env = moto_env(
        &moto,
        &format!(
            "[[aws.accounts]]\nrole_arn = \"{second_role}\"\n\n[[aws.accounts]]\nrole_arn = \"{refused_role}\"\nexternal_id = \"evidence-agent\"\n"
        ),
    );

    let out = collect_on(&env);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let run = the_run(&env);
    let record = run_json(&run);
    assert_eq!(record["status"], "failed", "{record:#}");
    let error = record["error"].as_str().unwrap();
    assert!(error.contains(&format!("account {refused}")), "{error}");
    assert!(
        error.contains("AccessDenied") || error.contains("not authorized"),
        "{error}"
    );
    assert!(!error.contains(&format!("account {first}")), "{error}");
    assert!(!error.contains(&format!("account {second}")), "{error}");

    assert_eq!(
        findings(&run),
        vec![
            pair("aws-console-without-mfa", user_arn(second, "erin")),
            pair("aws-console-without-mfa", user_arn(first, "bob")),
            pair("aws-password-policy-missing", root_arn(second)),
            pair("aws-password-policy-weaker", root_arn(first)),
            pair("aws-root-without-mfa", root_arn(second)),
            pair("aws-root-without-mfa", root_arn(first)),
        ]
    );
    let accounts = &record["summary"]["accounts"];
    for (account, users) in [
        (first, ["alice", "bob", "carol", "dave"].as_slice()),
        (second, &["erin", "frank"]),
    ] {
        assert_eq!(accounts[account]["status"], "succeeded", "{accounts:#}");
        let dir = run.join("artifacts/accounts").join(account);
        let mut names: Vec<String> = users_csv(&dir.join("users.csv"))
            .into_iter()
            .map(|r| r["user"].clone())
            .collect();
        // In the report's order, which is moto's creation order (seeded concurrently).
        names.sort();
        assert_eq!(names, users, "{account}");
        assert_eq!(
            std::fs::read(dir.join("credential-report.csv")).unwrap(),
            report_from_moto(&moto, account)
        );
    }
    assert_eq!(accounts[second]["role_arn"], second_role.as_str());
    assert_eq!(accounts[refused]["status"], "failed", "{accounts:#}");
    assert_eq!(accounts[refused]["role_arn"], refused_role.as_str());
    assert!(!run.join("artifacts/accounts").join(refused).exists());

    let requests = moto.requests();
    assert_eq!(
        record["summary"]["requests"].as_u64().unwrap() as usize,
        requests.len(),
        "{requests:?}"
    );
    assert_eq!(
        requests.iter().filter(|a| *a == "AssumeRole").count(),
        2,
        "{requests:?}"
    );

    let verify = env.run(&["verify"]);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
}

#[test]
fn a_denied_action_is_named_and_the_rest_is_still_collected() {
    let moto = Moto::start();
    let direct = moto.direct_endpoint();
    seed::seed_users(&direct, seed::DEFAULT_ACCOUNT, &seed::standard_users()).unwrap();
    moto.fail_action("GetAccountPasswordPolicy", 403, "AccessDenied");
    let env = moto_env(&moto, "");

    let out = collect_on(&env);
    let run = the_run(&env);
    let record = run_json(&run);
    let said = format!("{record:#}\n{}", text(&out));
    assert!(said.contains("GetAccountPasswordPolicy"), "{said}");
    // What was allowed is still evidence: the report and every user.
    let csv = walk(&run)
        .into_iter()
        .find(|p| p.ends_with("users.csv"))
        .unwrap_or_else(|| panic!("users.csv stored: {said}"));
    assert_eq!(users_csv(&csv).len(), 4, "{said}");
    assert_eq!(env.run(&["verify"]).status.code(), Some(0));
}

#[test]
fn throttling_that_outlasts_the_retries_fails_the_run_with_the_reason() {
    let moto = Moto::start();
    seed::seed_users(
        &moto.direct_endpoint(),
        seed::DEFAULT_ACCOUNT,
        &seed::standard_users(),
    )
    .unwrap();
    moto.fail_action("GetAccountSummary", 400, "Throttling");
    let env = moto_env(&moto, "max_attempts = 2\n");

    let out = collect_on(&env);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let record = run_json(&the_run(&env));
    assert_eq!(record["status"], "failed", "{record:#}");
    let said = format!("{record:#}");
    assert!(said.to_lowercase().contains("throttl"), "{said}");
    // The SDK retried: more than one GetAccountSummary reached the endpoint.
    let tries = moto
        .requests()
        .iter()
        .filter(|a| *a == "GetAccountSummary")
        .count();
    assert!(tries >= 2, "{:?}", moto.requests());
    assert_eq!(env.run(&["verify"]).status.code(), Some(0));
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
