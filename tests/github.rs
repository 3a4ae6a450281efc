//! The `github-pull-requests` collector end to end: the real binary against the fake GitHub
//! (tests/github_server), which validates every query against GitHub's public schema.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeZone, Timelike, Utc};

use crate::github_server::{
    Check, FakeGithub, Fault, Org, Protection, Pull, Repo, Ruleset, Scope, TOKEN,
};
use crate::util::{Env, findings, run_folders, run_json, text};

/// The variable the test config reads the token from (never the real `GITHUB_TOKEN`).
const TOKEN_VAR: &str = "EA_TEST_GITHUB_TOKEN";

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 8, day, hour, 0, 0).unwrap()
}

/// Four repositories covering every finding: classic protection, none, weak, ruleset only.
fn scenario() -> Org {
    let api = Repo::new("api")
        .protected(Protection::strong(&["ci/build"]))
        .pull(
            Pull::merged(1, "alice", at(3, 10))
                .merged_by("bob")
                .approved_by("bob")
                .check(Check::status("ci/build", "SUCCESS")),
        )
        .pull(Pull::merged(2, "alice", at(4, 10)).check(Check::status("ci/build", "SUCCESS")))
        .pull(
            Pull::merged(3, "carol", at(5, 10))
                .self_approved()
                .check(Check::status("ci/build", "SUCCESS")),
        )
        .pull(
            Pull::merged(4, "dave", at(6, 10))
                .stale_approval("erin")
                .check(Check::status("ci/build", "SUCCESS")),
        )
        .pull(
            Pull::merged(5, "erin", at(7, 10))
                .approved_by("alice")
                .check(Check::status("ci/build", "FAILURE")),
        )
        .pull(
            Pull::merged(6, "frank", at(8, 10))
                .into_branch("release")
                .approved_by("alice"),
        )
        .pull(Pull::open(7, "grace", at(9, 10)))
        // Over a page of reviews: the approval on the head is the 121st.
        .pull(
            Pull::merged(8, "heidi", at(10, 10))
                .comments("bob", 120)
                .approved_by("carol")
                .check(Check::status("ci/build", "SUCCESS")),
        )
        .pull(
            Pull::merged(9, "bob", at(11, 10))
                .changes_then_approved("carol")
                .check(Check::status("ci/build", "SUCCESS")),
        );
    let web = Repo::new("web").pull(Pull::merged(1, "alice", at(3, 11)).approved_by("bob"));
    let docs = Repo::new("docs")
        .protected(Protection::empty())
        .pull(Pull::merged(1, "bob", at(3, 12)).approved_by("alice"));
    let rules = Repo::new("rules")
        .ruleset(Ruleset::default_branch("main-rules", 1, &["build"]))
        .pull(
            Pull::merged(1, "carol", at(3, 13))
                .approved_by("dave")
                .check(Check::run("build", "FAILURE").required()),
        );
    Org::new("acme").repo(api).repo(web).repo(docs).repo(rules)
}

fn env_for(gh: &FakeGithub, extra: &str) -> Env {
    Env::new(&env_text(gh, extra))
}

/// The config's GitHub part; `extra` comes first so it may open the collector's table.
fn env_text(gh: &FakeGithub, extra: &str) -> String {
    format!(
        "{extra}\n[collectors.github-pull-requests.secrets]\nGITHUB_TOKEN = \"env:{TOKEN_VAR}\"\n\n[github]\napi_url = \"{}\"\norganizations = [\"acme\"]\nindex_lag_secs = 0\n",
        gh.api_url()
    )
}

fn collect(env: &Env) -> Output {
    env.command(&["collect", "github-pull-requests"])
        .env(TOKEN_VAR, TOKEN)
        .output()
        .expect("run evidence-agent")
}

/// The GitHub run folders, oldest first (by start time: run ids of one second sort at random).
fn runs(env: &Env) -> Vec<PathBuf> {
    let mut runs: Vec<PathBuf> = run_folders(&env.vault())
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("/github-pull-requests/"))
        .collect();
    runs.sort_by_key(|r| run_json(r)["started_at"].as_str().unwrap_or("").to_string());
    runs
}

/// Lets the next `n` GraphQL requests through, so that a fault queued after it lands mid-run
/// (repositories, then repository details, then the search).
fn pass_graphql(n: usize) -> (Scope, Fault, usize) {
    (Scope::Graphql, Fault::Slow(Duration::ZERO), n)
}

/// Rewrites the config with `windows` as (name, first day, last day) and `index_lag_secs`.
fn set_windows(env: &Env, gh: &FakeGithub, windows: &[(&str, NaiveDate, NaiveDate)], lag: u64) {
    let windows: String = windows
        .iter()
        .map(|(name, start, end)| {
            format!("[[windows]]\nname = \"{name}\"\nstart = \"{start}\"\nend = \"{end}\"\n")
        })
        .collect();
    env.write_config(&env_text(gh, ""));
    let config = std::fs::read_to_string(env.config())
        .unwrap()
        .replace(
            "[[windows]]\nname = \"test-window\"\nstart = \"2000-01-01\"\nend = \"2099-12-31\"\n",
            &windows,
        )
        .replace("index_lag_secs = 0", &format!("index_lag_secs = {lag}"));
    assert!(config.contains(&windows), "the test window was replaced");
    std::fs::write(env.config(), config).unwrap();
}

fn last_run(env: &Env) -> PathBuf {
    runs(env).pop().expect("a github-pull-requests run")
}

fn pr_files(run: &Path) -> Vec<String> {
    let record = run_json(run);
    let artifacts = record["artifacts"].as_array().unwrap();
    artifacts
        .iter()
        .filter_map(|a| a["path"].as_str())
        .filter(|p| p.starts_with("artifacts/prs/"))
        .map(str::to_string)
        .collect()
}

fn clean(gh: &FakeGithub) {
    assert_eq!(
        gh.invalid_queries(),
        Vec::<String>::new(),
        "queries real GitHub would reject"
    );
    assert_eq!(
        gh.gaps(),
        Vec::<String>::new(),
        "requests the fake could not answer"
    );
}

#[test]
fn collects_the_population_with_exact_findings_then_only_what_is_new() {
    let gh = FakeGithub::start(scenario());
    let env = env_for(&gh, "");
    let out = collect(&env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let run = last_run(&env);
    let record = run_json(&run);
    assert_eq!(record["status"], "succeeded", "{record:#}");
    assert_eq!(record["criteria"], serde_json::json!(["CC8.1"]));
    let pair = |r: &str, s: &str| (r.to_string(), s.to_string());
    assert_eq!(
        findings(&run),
        [
            pair("branch-protection-weaker", "acme/docs:main"),
            pair("branch-unprotected", "acme/web:main"),
            pair("no-independent-approval", "acme/api#2"),
            pair("required-checks-not-passing", "acme/api#5"),
            pair("required-checks-not-passing", "acme/rules#1"),
            pair("self-approval-only", "acme/api#3"),
            pair("stale-approval", "acme/api#4"),
        ]
    );

    // The population: every PR merged into a default branch, none into `release`, no open one.
    let csv = std::fs::read_to_string(run.join("artifacts/population.csv")).unwrap();
    let org = scenario();
    let mut expected = vec!["repository,number,url,title,author,merged_by,merged_at,window,base,head_sha,merge_commit,approvals,approved_on_head,checks_state,findings,evidence".to_string()];
    let rows: [(&str, u64, &str, &str, &str); 10] = [
        ("api", 1, "1", "true", ""),
        ("api", 2, "0", "false", "no-independent-approval"),
        ("api", 3, "0", "false", "self-approval-only"),
        ("api", 4, "1", "false", "stale-approval"),
        ("api", 5, "1", "true", "required-checks-not-passing"),
        ("api", 8, "1", "true", ""),
        ("api", 9, "1", "true", ""),
        ("docs", 1, "1", "true", ""),
        ("rules", 1, "1", "true", "required-checks-not-passing"),
        ("web", 1, "1", "true", ""),
    ];
    for (repo, number, approvals, on_head, rules) in rows {
        let r = org.repos.iter().find(|r| r.name == *repo).unwrap();
        let p = r.pulls.iter().find(|p| p.number == number).unwrap();
        let checks = if p.checks.is_empty() {
            "NONE"
        } else {
            p.rollup_state()
        };
        expected.push(format!(
            "acme/{repo},{number},https://github.com/acme/{repo}/pull/{number},{},{},{},{},test-window,main,{},{},{approvals},{on_head},{checks},{rules},artifacts/prs/acme/{repo}/{number}.json",
            p.title,
            p.author,
            p.merged_by.as_deref().unwrap_or(""),
            p.merged_at.unwrap().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            p.head_oid,
            p.merge_oid,
        ));
    }
    assert_eq!(
        csv.split("\r\n")
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>(),
        expected
    );

    // Each PR's evidence holds every review, the second page included.
    let pr8: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("artifacts/prs/acme/api/8.json")).unwrap())
            .unwrap();
    assert_eq!(pr8["reviews"]["nodes"].as_array().unwrap().len(), 121);
    assert!(pr8["reviews"].get("pageInfo").is_none());
    let protection: serde_json::Value = serde_json::from_slice(
        &std::fs::read(run.join("artifacts/protection/acme/api.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        protection["branches"]["main"]["effective"]["required_checks"],
        serde_json::json!(["ci/build"])
    );
    let summary = &record["summary"];
    assert_eq!(summary["pull_requests"], 10);
    let first_requests = gh.counts().0;
    assert_eq!(
        summary["api"]["requests"], first_requests as u64,
        "the cost recorded is the cost paid"
    );
    // ceil(PRs / 100) + 2 × repositories + 5, plus the one extra page of PR 8's reviews.
    assert!(
        first_requests <= 1 + 2 * 4 + 5 + 1,
        "{first_requests} requests: {:#?}",
        gh.requests()
    );

    // Nothing new: a handful of requests and no PR stored twice.
    let out = collect(&env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let second = last_run(&env);
    let second_requests = gh.counts().0 - first_requests;
    assert!(
        second_requests <= 4 + 5,
        "{second_requests} requests on an unchanged second run"
    );
    assert_eq!(pr_files(&second), Vec::<String>::new());
    assert_eq!(run_json(&second)["summary"]["pull_requests"], 0);

    // A PR merged since: only it is stored.
    // Merged after the second run's watermark (whole seconds), collected by the third.
    std::thread::sleep(Duration::from_millis(1100));
    let now = DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    let mut org = scenario();
    org.repos[1]
        .pulls
        .push(Pull::merged(2, "dave", now).approved_by("erin"));
    org.repos[1].pulls[1].base = "main".into();
    gh.set_org(org);
    let out = collect(&env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(pr_files(&last_run(&env)), ["artifacts/prs/acme/web/2.json"]);
    clean(&gh);
}

#[test]
fn enterprise_server_paths_and_explicit_repositories() {
    let gh = FakeGithub::start_enterprise(scenario());
    let env = Env::new(&format!(
        "[collectors.github-pull-requests.secrets]\nGITHUB_TOKEN = \"env:{TOKEN_VAR}\"\n\n[github]\napi_url = \"{}\"\nrepositories = [\"acme/web\"]\nindex_lag_secs = 0\n",
        gh.api_url()
    ));
    assert!(gh.api_url().ends_with("/api/v3"));
    let out = collect(&env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let run = last_run(&env);
    assert_eq!(pr_files(&run), ["artifacts/prs/acme/web/1.json"]);
    assert_eq!(
        findings(&run),
        [(
            "branch-unprotected".to_string(),
            "acme/web:main".to_string()
        )]
    );
    clean(&gh);
}

/// A run that hits `fault` fails with a reason containing `says`; the next run, with GitHub
/// healthy again, stores every PR: the failed run moved no watermark past unstored PRs.
fn fails_then_recovers(faults: &[(Scope, Fault, usize)], says: &str) {
    fails_then_recovers_after(faults, says, "", |_| String::new());
}

fn fails_then_recovers_after(
    faults: &[(Scope, Fault, usize)],
    says: &str,
    extra: &str,
    between: impl Fn(&FakeGithub) -> String,
) {
    let gh = FakeGithub::start(scenario());
    let env = env_for(&gh, extra);
    for (scope, fault, times) in faults {
        gh.inject(*scope, fault.clone(), *times);
    }
    let out = collect(&env);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let failed = run_json(&last_run(&env));
    assert_eq!(failed["status"], "failed", "{failed:#}");
    let reason = failed["error"].as_str().unwrap();
    assert!(reason.contains(says), "`{reason}` should say `{says}`");
    let stored_before = pr_files(&last_run(&env)).len();

    let extra = between(&gh);
    if !extra.is_empty() {
        env.write_config(&extra);
    }
    let out = collect(&env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let after = pr_files(&last_run(&env)).len();
    assert_eq!(
        stored_before + after,
        10,
        "every PR stored exactly once across both runs"
    );
    assert_eq!(after, 10, "the failed run stored no partial scope");
    clean(&gh);
}

#[test]
fn bad_credentials_fail_the_run_saying_so() {
    fails_then_recovers(
        &[(Scope::Any, Fault::Unauthorized, 1)],
        "401 Bad credentials",
    );
}

#[test]
fn a_missing_permission_is_named() {
    let forbidden = Fault::Forbidden("pull_requests=read".into());
    fails_then_recovers(
        &[pass_graphql(2), (Scope::Graphql, forbidden, 1)],
        "needs the permission `pull_requests=read`",
    );
}

#[test]
fn graphql_errors_with_partial_data_are_not_dropped() {
    // Partial data: one aliased repository of the details request is nulled with an error.
    let partial = Fault::GraphqlError {
        kind: "FORBIDDEN".into(),
        partial: true,
    };
    fails_then_recovers(
        &[pass_graphql(1), (Scope::Graphql, partial, 1)],
        "FORBIDDEN: Resource not accessible by personal access token (at r3)",
    );
    // No data at all: the search (a non-null root field) fails whole.
    let whole = Fault::GraphqlError {
        kind: "NOT_FOUND".into(),
        partial: false,
    };
    fails_then_recovers(
        &[pass_graphql(2), (Scope::Graphql, whole, 1)],
        "org:acme: GitHub's GraphQL API returned errors: NOT_FOUND: Could not resolve to a node.",
    );
}

#[test]
fn malformed_json_fails_clearly() {
    fails_then_recovers(&[(Scope::Graphql, Fault::MalformedJson, 1)], "not JSON");
}

#[test]
fn server_errors_are_retried_then_reported() {
    // Four answers of 502 use up the retries of one request.
    fails_then_recovers(
        &[(Scope::Graphql, Fault::ServerError(502), 4)],
        "GitHub answered 502",
    );
}

#[test]
fn a_rate_limit_past_the_deadline_ends_the_run_without_moving_the_watermark() {
    // The limit resets in 3 s, past the first run's 2 s deadline; the next run comes after it.
    let reset = Duration::from_secs(3);
    fails_then_recovers_after(
        &[
            pass_graphql(2),
            (Scope::Graphql, Fault::RateLimited(reset), 1),
        ],
        "passes the run's deadline",
        "[collectors.github-pull-requests]\ndeadline_secs = 2\n",
        |gh| {
            std::thread::sleep(reset + Duration::from_secs(1));
            env_text(gh, "")
        },
    );
}

#[test]
fn transient_faults_and_short_rate_limits_are_waited_out() {
    let gh = FakeGithub::start(scenario());
    let env = env_for(&gh, "");
    gh.inject(Scope::Graphql, Fault::ServerError(503), 1);
    gh.inject(
        Scope::Rest,
        Fault::SecondaryLimit {
            status: 403,
            retry_after_secs: 1,
        },
        1,
    );
    let (scope, fault, times) = pass_graphql(1);
    gh.inject(scope, fault, times);
    gh.inject(
        Scope::Graphql,
        Fault::RateLimited(Duration::from_secs(1)),
        1,
    );
    let out = collect(&env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let record = run_json(&last_run(&env));
    assert_eq!(pr_files(&last_run(&env)).len(), 10);
    assert!(
        record["summary"]["api"]["rate_limit_wait_secs"]
            .as_u64()
            .unwrap()
            >= 1,
        "{record:#}"
    );
    clean(&gh);
}

#[test]
fn the_example_config_records_a_skip_naming_github_token() {
    let env = crate::util::example_env();
    let out = env
        .command(&["collect", "github-pull-requests"])
        .env_remove("GITHUB_TOKEN")
        .output()
        .unwrap();
    let record = crate::util::skipped_run(&env, &out);
    assert!(
        record["error"]
            .as_str()
            .unwrap()
            .contains("environment variable GITHUB_TOKEN is not set"),
        "{record:#}"
    );
}

#[test]
fn a_github_app_installation_token_is_used() {
    let gh = FakeGithub::start(scenario());
    gh.enable_app(4242, 777);
    let env = Env::new("");
    let key = env.path().join("app.pem");
    let out = std::process::Command::new("openssl")
        .args(["genrsa", "-traditional", "-out"])
        .arg(&key)
        .arg("2048")
        .output()
        .expect("openssl is installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    env.write_config(&format!(
        "[collectors.github-pull-requests.secrets]\nGITHUB_APP_PRIVATE_KEY = \"file:{}\"\n\n[github]\napi_url = \"{}\"\nrepositories = [\"acme/web\"]\napp_id = 4242\ninstallation_id = 777\nindex_lag_secs = 0\n",
        key.display(),
        gh.api_url()
    ));
    let out = env.run(&["collect", "github-pull-requests"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(pr_files(&last_run(&env)), ["artifacts/prs/acme/web/1.json"]);
    let first = &gh.requests()[0];
    assert_eq!(
        (first.method.as_str(), first.path.as_str()),
        ("POST", "/app/installations/777/access_tokens")
    );
    assert_eq!(
        run_json(&last_run(&env))["parameters"]["auth"],
        "github-app"
    );
    clean(&gh);
}

#[test]
fn a_missing_repository_is_named_and_the_others_are_still_stored() {
    let gh = FakeGithub::start(scenario());
    let env = Env::new(&format!(
        "[collectors.github-pull-requests.secrets]\nGITHUB_TOKEN = \"env:{TOKEN_VAR}\"\n\n[github]\napi_url = \"{}\"\nrepositories = [\"acme/web\", \"acme/gone\"]\nindex_lag_secs = 0\n",
        gh.api_url()
    ));
    let out = collect(&env);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let run = last_run(&env);
    let record = run_json(&run);
    let reason = record["error"].as_str().unwrap();
    assert!(
        reason.contains("NOT_FOUND") && reason.contains("acme/gone"),
        "{reason}"
    );
    assert_eq!(pr_files(&run), ["artifacts/prs/acme/web/1.json"]);
    // The stored repository's watermark moved: its PR is not stored again.
    let out = collect(&env);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(pr_files(&last_run(&env)), Vec::<String>::new());
    clean(&gh);
}

#[test]
fn more_than_a_thousand_merges_are_split_across_searches_and_stored_once() {
    // A realistic window around today (the shared test window spans a century, which would
    // take many halvings to reach the merges).
    let today = Utc::now().date_naive();
    let (start, end) = (
        today - chrono::Days::new(150),
        today + chrono::Days::new(30),
    );
    let from = start.and_hms_opt(0, 0, 0).unwrap().and_utc() + chrono::Duration::days(1);
    let until = Utc::now() - chrono::Duration::days(1);
    let gh = FakeGithub::start(Org::generate(7, 2, 600, (from, until)));
    let env = env_for(&gh, "");
    set_windows(&env, &gh, &[("test-window", start, end)], 0);
    let out = collect(&env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let run = last_run(&env);
    let mut files = pr_files(&run);
    files.sort();
    files.dedup();
    assert_eq!(files.len(), 1200, "every merged PR, once");
    let csv = std::fs::read_to_string(run.join("artifacts/population.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 1200);
    // ceil(PRs / 100) + 2 × repositories + 5, the split's discarded first page included.
    let requests = gh.counts().0;
    assert!(requests <= 12 + 2 * 2 + 5, "{requests} requests");
    let searches = gh
        .requests()
        .iter()
        .filter(|r| r.operation.as_deref() == Some("MergedPullRequests"))
        .count();
    // One capped search, then two halves of about 600 PRs, six or seven pages each.
    assert!((1 + 12..=1 + 14).contains(&searches), "{searches} searches");
    clean(&gh);
}

/// The `window` cell of each population row, by evidence file.
fn population_windows(run: &Path) -> Vec<(String, String)> {
    let csv = std::fs::read_to_string(run.join("artifacts/population.csv")).unwrap();
    let mut lines = csv.split("\r\n").filter(|l| !l.is_empty());
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = |name: &str| header.iter().position(|c| *c == name).unwrap();
    let (window, evidence) = (column("window"), column("evidence"));
    lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[evidence].to_string(), cells[window].to_string())
        })
        .collect()
}

/// Run 1 in one long window with a day's index lag, so its mark lies on yesterday, which then
/// becomes the last day of window `w1`; window `w2` starts today. Run 2 stores exactly `w1`'s
/// merges after the mark (its tail) and today's, each once; run 3 nothing.
#[test]
fn merges_on_a_windows_last_day_after_its_last_run_are_collected_by_the_next_window() {
    // The merges below sit between run 1's mark and midnight, and between midnight and now:
    // keep clear of midnight, so that both spans exist and the day does not change mid-test.
    let secs = Utc::now().num_seconds_from_midnight();
    if secs < 30 {
        std::thread::sleep(Duration::from_secs(u64::from(31 - secs)));
    } else if secs > 86_400 - 120 {
        std::thread::sleep(Duration::from_secs(u64::from(86_400 - secs + 31)));
    }
    let now = Utc::now();
    let today = now.date_naive();
    let w1_end = today - chrono::Days::new(1);
    let first_second = |d: NaiveDate| d.and_hms_opt(0, 0, 0).unwrap().and_utc();
    let w1_last_second =
        first_second(w1_end) + chrono::Duration::days(1) - chrono::Duration::seconds(1);
    let w1 = |end| ("w1", today - chrono::Days::new(60), end);
    let far = NaiveDate::from_ymd_opt(2099, 12, 31).unwrap();

    // PR 1 is before run 1's mark; PR 2 is merged on w1's last second, hidden from run 1 by the lag.
    let repo = Repo::new("api")
        .pull(
            Pull::merged(
                1,
                "alice",
                first_second(w1_end) - chrono::Duration::hours(12),
            )
            .approved_by("bob"),
        )
        .pull(Pull::merged(2, "bob", w1_last_second).approved_by("alice"));
    let gh = FakeGithub::start(Org::new("acme").repo(repo.clone()));
    let env = env_for(&gh, "");
    set_windows(&env, &gh, &[w1(far)], 86_400);
    let out = collect(&env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let first = last_run(&env);
    assert_eq!(pr_files(&first), ["artifacts/prs/acme/api/1.json"]);
    let mark: DateTime<Utc> = run_json(&first)["state"]["through"]["org:acme"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        mark.date_naive(),
        w1_end,
        "run 1's mark is on w1's last day"
    );
    assert!(mark < w1_last_second);

    // Cut w1 at the mark's day; w2 starts today. Merges arrive in w1's tail and today.
    set_windows(&env, &gh, &[w1(w1_end), ("w2", today, far)], 0);
    let tail = mark + (w1_last_second - mark) / 2;
    let repo = repo
        .pull(Pull::merged(3, "carol", tail).approved_by("dave"))
        .pull(Pull::merged(4, "dave", first_second(today)).approved_by("erin"))
        .pull(Pull::merged(
            5,
            "erin",
            first_second(today) + (now - first_second(today)) / 2,
        ));
    gh.set_org(Org::new("acme").repo(repo));
    let out = collect(&env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let second = last_run(&env);
    assert!(
        second.to_string_lossy().contains("/w2/"),
        "{}",
        second.display()
    );
    let record = run_json(&second);
    assert_eq!(record["parameters"]["state_window"], "w1", "{record:#}");
    let evidence = |n: u64| format!("artifacts/prs/acme/api/{n}.json");
    let mut files = pr_files(&second);
    files.sort();
    assert_eq!(
        files,
        [2, 3, 4, 5].map(evidence),
        "the tail and today, each once"
    );
    let cell = |n: u64, w: &str| (evidence(n), w.to_string());
    assert_eq!(
        population_windows(&second),
        [cell(2, "w1"), cell(3, "w1"), cell(4, "w2"), cell(5, "w2")]
    );
    for (n, window) in [(2, "w1"), (3, "w1"), (4, "w2"), (5, "w2")] {
        let pr: serde_json::Value =
            serde_json::from_slice(&std::fs::read(second.join(evidence(n))).unwrap()).unwrap();
        assert_eq!(pr["window"], window, "PR {n}");
    }
    let pair = |r: &str, s: &str| (r.to_string(), s.to_string());
    assert_eq!(
        findings(&second),
        [
            pair("branch-unprotected", "acme/api:main"),
            pair("no-independent-approval", "acme/api#5"),
        ]
    );

    // The next run resumes from w2's own state: nothing new.
    let out = collect(&env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let third = last_run(&env);
    assert_eq!(pr_files(&third), Vec::<String>::new());
    assert_eq!(run_json(&third)["parameters"]["state_window"], "w2");

    let out = env.run(&["verify"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    clean(&gh);
}
