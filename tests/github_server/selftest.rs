//! The fake GitHub answers like GitHub: the same shapes, limits, paging and errors.

use std::collections::HashSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Value, json};

use super::client::{get, graphql, send};
use super::model::oid;
use super::*;

fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 8, day, 12, 0, 0).unwrap()
}

fn window() -> (DateTime<Utc>, DateTime<Utc>) {
    (at(1), at(31))
}

/// Asserts the server saw nothing GitHub would reject and answered everything.
fn clean(gh: &FakeGithub) {
    assert_eq!(gh.invalid_queries(), Vec::<String>::new());
    assert_eq!(gh.gaps(), Vec::<String>::new());
}

const PR_FIELDS: &str = r#"
fragment Pr on PullRequest {
  id databaseId number url title author { login } authorAssociation mergedBy { login }
  mergedAt baseRefName headRefName headRefOid mergeCommit { oid } repository { nameWithOwner }
  reviews(first: 100) { totalCount pageInfo { hasNextPage endCursor }
    nodes { author { login } state submittedAt authorAssociation commit { oid } } }
  commits(last: 1) { nodes { commit { oid statusCheckRollup { state
    contexts(first: 100) { totalCount pageInfo { hasNextPage endCursor }
      nodes { __typename ... on CheckRun { name conclusion status } ... on StatusContext { context state } } } } } } }
}"#;

#[test]
fn search_with_fragments_aliases_and_variables_returns_the_pull_requests() {
    let org = Org::new("acme").repo(
        Repo::new("api")
            .protected(Protection::strong(&["ci/build"]))
            .pull(
                Pull::merged(1, "alice", at(3))
                    .approved_by("bob")
                    .check(Check::run("build", "SUCCESS"))
                    .check(Check::status("ci/build", "FAILURE")),
            )
            .pull(Pull::merged(2, "carol", at(4)).self_approved())
            .pull(Pull::merged(
                3,
                "dave",
                Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap(),
            ))
            .pull(Pull::merged(4, "erin", at(5)).into_branch("release"))
            .pull(Pull::open(5, "frank", at(6))),
    );
    let gh = FakeGithub::start(org);
    let query = format!(
        "query Merged($q: String!, $after: String) {{
           limits: rateLimit {{ cost limit remaining used resetAt }}
           found: search(query: $q, type: ISSUE, first: 100, after: $after) {{
             issueCount pageInfo {{ hasNextPage endCursor }}
             nodes {{ __typename ...Pr }} }} }} {PR_FIELDS}"
    );
    let q = "org:acme is:pr is:merged merged:2026-08-01T00:00:00Z..2026-08-31T23:59:59Z base:main";
    let reply = graphql(&gh.graphql_url(), &query, json!({ "q": q }));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("x-ratelimit-resource"), Some("graphql"));
    let body = reply.json();
    assert!(body.get("errors").is_none(), "{body}");
    let found = &body["data"]["found"];
    assert_eq!(
        found["issueCount"], 2,
        "only #1 and #2 are merged into main in August"
    );
    let numbers: Vec<_> = found["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["number"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [2, 1], "newest merge first");
    let pr = &found["nodes"][1];
    assert_eq!(pr["__typename"], "PullRequest");
    assert_eq!(pr["repository"]["nameWithOwner"], "acme/api");
    assert_eq!(pr["mergedAt"], "2026-08-03T12:00:00Z");
    assert_eq!(pr["author"]["login"], "alice");
    assert_eq!(pr["reviews"]["nodes"][0]["author"]["login"], "bob");
    assert_eq!(pr["reviews"]["nodes"][0]["state"], "APPROVED");
    assert_eq!(pr["reviews"]["nodes"][0]["commit"]["oid"], pr["headRefOid"]);
    let rollup = &pr["commits"]["nodes"][0]["commit"]["statusCheckRollup"];
    assert_eq!(rollup["state"], "FAILURE");
    assert_eq!(
        rollup["contexts"]["nodes"],
        json!([
            { "__typename": "CheckRun", "name": "build", "conclusion": "SUCCESS", "status": "COMPLETED" },
            { "__typename": "StatusContext", "context": "ci/build", "state": "FAILURE" }
        ])
    );
    assert_eq!(
        found["nodes"][0]["reviews"]["nodes"][0]["author"]["login"],
        "carol"
    );
    assert_eq!(
        found["nodes"][0]["commits"]["nodes"][0]["commit"]["statusCheckRollup"],
        Value::Null
    );
    // GitHub's model: search 1 + reviews, commits and contexts 100 each = 301 requests = 3 points.
    assert_eq!(body["data"]["limits"]["cost"], 3);
    assert_eq!(body["data"]["limits"]["limit"], 5000);
    assert_eq!(reply.header("x-ratelimit-used"), Some("3"));
    assert_eq!(gh.requests()[0].operation.as_deref(), Some("Merged"));
    clean(&gh);
}

#[test]
fn a_wrong_field_is_rejected_like_github_and_recorded() {
    let gh = FakeGithub::start(Org::generate(1, 1, 1, window()));
    let reply = graphql(
        &gh.graphql_url(),
        "{ organization(login: \"acme\") { repositories(first: 10) { nodes { name mergedAt } } } }",
        Value::Null,
    );
    assert_eq!(reply.status, 200, "GitHub answers invalid queries with 200");
    let body = reply.json();
    assert!(body.get("data").is_none(), "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("mergedAt"), "{message}");
    let invalid = gh.invalid_queries();
    assert_eq!(invalid.len(), 1);
    assert!(invalid[0].contains("mergedAt"), "{invalid:?}");

    // Paging without a bound and beyond 100 are GitHub errors too.
    for (connection, kind) in [
        ("repositories", "MISSING_PAGINATION_BOUNDARIES"),
        ("repositories(first: 101)", "EXCESSIVE_PAGINATION"),
    ] {
        let query =
            format!("{{ organization(login: \"acme\") {{ {connection} {{ totalCount }} }} }}");
        let body = graphql(&gh.graphql_url(), &query, Value::Null).json();
        assert_eq!(body["errors"][0]["type"], kind, "{body}");
        assert_eq!(body["data"]["organization"], Value::Null);
    }
    assert_eq!(gh.invalid_queries().len(), 3);
}

/// Walks a connection at `path` (inside `data`) page by page, returning every node.
fn walk(gh: &FakeGithub, query: &str, vars: Value, path: &[&str]) -> (Vec<Value>, usize) {
    let (mut nodes, mut pages, mut after) = (vec![], 0, Value::Null);
    loop {
        let mut v = vars.clone();
        v["after"] = after;
        let body = graphql(&gh.graphql_url(), query, v).json();
        assert!(body.get("errors").is_none(), "{body}");
        let mut conn = &body["data"];
        for key in path {
            conn = match key.parse::<usize>() {
                Ok(i) => &conn[i],
                Err(_) => &conn[*key],
            };
        }
        nodes.extend(conn["nodes"].as_array().unwrap().iter().cloned());
        pages += 1;
        if conn["pageInfo"]["hasNextPage"] != true {
            return (nodes, pages);
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
}

#[test]
fn pagination_beyond_a_hundred_walks_every_item_once() {
    let head_commit_reviews = Pull::merged(1, "alice", at(2))
        .comments("bob", 150)
        .approved_by("carol");
    let mut many_checks = Pull::merged(2, "alice", at(3));
    for n in 0..130 {
        many_checks = many_checks.check(Check::run(&format!("job-{n}"), "SUCCESS"));
    }
    let mut org =
        Org::new("acme").repo(Repo::new("big").pull(head_commit_reviews).pull(many_checks));
    for n in 0..129 {
        org = org.repo(Repo::new(&format!("r{n:03}")));
    }
    let gh = FakeGithub::start(org);

    let (repos, pages) = walk(
        &gh,
        "query($after: String) { organization(login: \"acme\") { repositories(first: 100, after: $after, orderBy: {field: NAME, direction: ASC}) { totalCount pageInfo { hasNextPage endCursor } nodes { name isArchived isFork defaultBranchRef { name } } } } }",
        json!({}),
        &["organization", "repositories"],
    );
    assert_eq!(pages, 2);
    let names: HashSet<_> = repos
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!((repos.len(), names.len()), (130, 130));
    assert_eq!(repos[0]["defaultBranchRef"]["name"], "main");

    let id = graphql(
        &gh.graphql_url(),
        "{ repository(owner: \"acme\", name: \"big\") { a: pullRequests(first: 2) { nodes { id } } } }",
        Value::Null,
    )
    .json()["data"]["repository"]["a"]["nodes"]
        .clone();
    let (pr1, pr2) = (id[0]["id"].clone(), id[1]["id"].clone());
    let (reviews, pages) = walk(
        &gh,
        "query($id: ID!, $after: String) { node(id: $id) { ... on PullRequest { reviews(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { state author { login } } } } } }",
        json!({ "id": pr1 }),
        &["node", "reviews"],
    );
    assert_eq!((reviews.len(), pages), (151, 2));
    assert_eq!(reviews[150]["state"], "APPROVED");

    let (contexts, pages) = walk(
        &gh,
        "query($ids: [ID!]!, $after: String) { nodes(ids: $ids) { ... on PullRequest { commits(last: 1) { nodes { commit { statusCheckRollup { contexts(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { ... on CheckRun { name } } } } } } } } } }",
        json!({ "ids": [pr2] }),
        &[
            "nodes",
            "0",
            "commits",
            "nodes",
            "0",
            "commit",
            "statusCheckRollup",
            "contexts",
        ],
    );
    let unique: HashSet<_> = contexts.iter().map(|c| c["name"].to_string()).collect();
    assert_eq!((contexts.len(), unique.len(), pages), (130, 130, 2));
    clean(&gh);
}

#[test]
fn search_stops_at_a_thousand_results_but_counts_them_all() {
    let gh = FakeGithub::start(Org::generate(7, 1, 1050, window()));
    let (hits, pages) = walk(
        &gh,
        "query($after: String) { search(query: \"org:acme is:pr is:merged merged:2026-08-01..2026-08-31\", type: ISSUE, first: 100, after: $after) { issueCount pageInfo { hasNextPage endCursor } nodes { ... on PullRequest { number } } } }",
        json!({}),
        &["search"],
    );
    let unique: HashSet<_> = hits.iter().map(|h| h["number"].as_i64().unwrap()).collect();
    assert_eq!((hits.len(), unique.len(), pages), (1000, 1000, 10));
    let count = graphql(
        &gh.graphql_url(),
        "{ search(query: \"repo:acme/service-00 is:pr is:merged merged:>=2026-08-16\", type: ISSUE, first: 1) { issueCount } }",
        Value::Null,
    )
    .json();
    let later = Org::generate(7, 1, 1050, window()).repos[0]
        .pulls
        .iter()
        .filter(|p| p.merged_at.unwrap() >= Utc.with_ymd_and_hms(2026, 8, 16, 0, 0, 0).unwrap())
        .count();
    assert!(later > 0 && later < 1050);
    assert_eq!(count["data"]["search"]["issueCount"], later as i64);
    let total = graphql(
        &gh.graphql_url(),
        "{ search(query: \"org:acme is:pr is:merged\", type: ISSUE, first: 1) { issueCount } }",
        Value::Null,
    )
    .json();
    assert_eq!(total["data"]["search"]["issueCount"], 1050);
    clean(&gh);
}

#[test]
fn batched_rulesets_query_with_aliases_answers_each_repository() {
    let gh = FakeGithub::start(Org::generate(3, 4, 1, window()));
    let query = "fragment Rules on Repository { rulesets(first: 100, includeParents: true) { nodes { name enforcement target conditions { refName { include exclude } } rules(first: 100) { nodes { type parameters { __typename ... on PullRequestParameters { requiredApprovingReviewCount dismissStaleReviewsOnPush requireCodeOwnerReview requireLastPushApproval } ... on RequiredStatusChecksParameters { requiredStatusChecks { context integrationId } } } } } } } }
      query { r0: repository(owner: \"acme\", name: \"service-00\") { ...Rules } r2: repository(owner: \"acme\", name: \"service-02\") { ...Rules } gone: repository(owner: \"acme\", name: \"nope\") { ...Rules } }";
    let body = graphql(&gh.graphql_url(), query, Value::Null).json();
    assert_eq!(body["data"]["r0"]["rulesets"]["nodes"], json!([]));
    let ruleset = &body["data"]["r2"]["rulesets"]["nodes"][0];
    assert_eq!(ruleset["enforcement"], "ACTIVE");
    assert_eq!(
        ruleset["conditions"]["refName"]["include"],
        json!(["~DEFAULT_BRANCH"])
    );
    assert_eq!(
        ruleset["rules"]["nodes"],
        json!([
            { "type": "PULL_REQUEST", "parameters": { "__typename": "PullRequestParameters", "requiredApprovingReviewCount": 1, "dismissStaleReviewsOnPush": true, "requireCodeOwnerReview": false, "requireLastPushApproval": false } },
            { "type": "REQUIRED_STATUS_CHECKS", "parameters": { "__typename": "RequiredStatusChecksParameters", "requiredStatusChecks": [{ "context": "build", "integrationId": null }] } },
            { "type": "DELETION", "parameters": null }
        ])
    );
    assert_eq!(body["data"]["gone"], Value::Null, "{body}");
    assert_eq!(body["errors"][0]["type"], "NOT_FOUND");
    assert_eq!(body["errors"][0]["path"], json!(["gone"]));
    clean(&gh);
}

/// Drops keys that are volatile or newer than the recording.
fn shape(mut v: Value) -> Value {
    if let Some(reviews) = v.get_mut("required_pull_request_reviews") {
        reviews
            .as_object_mut()
            .unwrap()
            .remove("require_last_push_approval");
    }
    v
}

#[test]
fn branch_protection_bodies_equal_the_recorded_fixture() {
    let fixture = rest::fixture("branch-protection");
    let recorded = Protection {
        required_approving_review_count: Some(1),
        dismiss_stale_reviews: true,
        required_status_checks: Some(vec!["foo/bar".into()]),
        strict: true,
        enforce_admins: true,
        ..Protection::default()
    };
    let org = Org::new("octokit-fixture-org")
        .repo(Repo::new("branch-protection").protected(recorded))
        .repo(Repo::new("minimal").protected(Protection::empty()))
        .repo(Repo::new("open"));
    let gh = FakeGithub::start(org);
    let reply = get(&format!(
        "{}/repos/octokit-fixture-org/branch-protection/branches/main/protection",
        gh.api_url()
    ));
    assert_eq!(reply.status, 200);
    let mut expected = fixture[2]["response"].clone();
    expected.as_object_mut().unwrap().remove("restrictions");
    let text = expected
        .to_string()
        .replace(
            "octokit-fixture-org/tmp-scenario-branch-protection-20220719043700727-wbo1k",
            "octokit-fixture-org/branch-protection",
        )
        .replace("https://api.github.com", &gh.api_url());
    assert_eq!(
        shape(reply.json()),
        serde_json::from_str::<Value>(&text).unwrap()
    );

    let minimal = get(&format!(
        "{}/repos/octokit-fixture-org/minimal/branches/main/protection",
        gh.api_url()
    ));
    let text = fixture[1]["response"]
        .to_string()
        .replace(
            "octokit-fixture-org/tmp-scenario-branch-protection-20220719043700727-wbo1k",
            "octokit-fixture-org/minimal",
        )
        .replace(
            "octokit-fixture-org/branch-protection",
            "octokit-fixture-org/minimal",
        )
        .replace("https://api.github.com", &gh.api_url());
    assert_eq!(
        minimal.json(),
        serde_json::from_str::<Value>(&text).unwrap()
    );

    let open = get(&format!(
        "{}/repos/octokit-fixture-org/open/branches/main/protection",
        gh.api_url()
    ));
    assert_eq!(
        (open.status, open.json()),
        (404, fixture[0]["response"].clone())
    );
    let missing = get(&format!(
        "{}/repos/octokit-fixture-org/nope/branches/main/protection",
        gh.api_url()
    ));
    assert_eq!(
        (missing.status, missing.json()["message"].clone()),
        (404, json!("Not Found"))
    );
    clean(&gh);
}

#[test]
fn repository_list_pages_with_link_headers_like_the_fixture() {
    let gh = FakeGithub::start(Org::generate(2, 5, 0, window()));
    let first = get(&format!(
        "{}/orgs/acme/repos?per_page=2&page=1",
        gh.api_url()
    ));
    let base = format!("{}/organizations/9000/repos", gh.api_url());
    assert_eq!(
        first.header("link").unwrap(),
        format!(
            "<{base}?per_page=2&page=2>; rel=\"next\", <{base}?per_page=2&page=3>; rel=\"last\""
        )
    );
    // The recorded header's relations, in the recorded order.
    let recorded = rest::fixture("paginate-issues")[1]["headers"]["link"]
        .as_str()
        .unwrap()
        .to_string();
    let rels = |link: &str| {
        link.split(", ")
            .map(|p| p.rsplit("rel=").next().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let middle = get(&format!("{base}?per_page=2&page=2"));
    assert_eq!(rels(middle.header("link").unwrap()), rels(&recorded));

    let (mut names, mut next) = (
        vec![],
        Some(format!("{}/orgs/acme/repos?per_page=2", gh.api_url())),
    );
    while let Some(url) = next {
        let reply = get(&url);
        names.extend(
            reply
                .json()
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["full_name"].as_str().unwrap().to_string()),
        );
        next = reply.header("link").and_then(|l| {
            l.split(", ")
                .find(|p| p.ends_with("rel=\"next\""))
                .map(|p| p[1..p.find('>').unwrap()].to_string())
        });
    }
    assert_eq!(
        names,
        (0..5)
            .map(|n| format!("acme/service-{n:02}"))
            .collect::<Vec<_>>()
    );
    assert_eq!(gh.counts(), (5, 0, 5));
    clean(&gh);
}

#[test]
fn injected_faults_answer_like_github() {
    let gh = FakeGithub::start(Org::generate(4, 2, 2, window()));
    let protection = format!(
        "{}/repos/acme/service-00/branches/main/protection",
        gh.api_url()
    );
    let orgq = "{ organization(login: \"acme\") { login } r: repository(owner: \"acme\", name: \"service-01\") { name } }";

    let bad = send("GET", &protection, "token wrong", None);
    assert_eq!(
        (bad.status, bad.json()["message"].clone()),
        (401, json!("Bad credentials"))
    );

    gh.inject(
        Scope::Rest,
        Fault::Forbidden("administration=read".into()),
        1,
    );
    let denied = get(&protection);
    assert_eq!(denied.status, 403);
    assert_eq!(
        denied.header("x-accepted-github-permissions"),
        Some("administration=read")
    );
    assert_eq!(get(&protection).status, 200, "one request only");

    gh.inject(
        Scope::Any,
        Fault::SecondaryLimit {
            status: 429,
            retry_after_secs: 7,
        },
        1,
    );
    let slow_down = get(&protection);
    assert_eq!(
        (slow_down.status, slow_down.header("retry-after")),
        (429, Some("7"))
    );

    gh.inject(Scope::Graphql, Fault::ServerError(502), 2);
    assert_eq!(
        get(&protection).status,
        200,
        "a GraphQL fault leaves REST alone"
    );
    for _ in 0..2 {
        let down = graphql(&gh.graphql_url(), orgq, Value::Null);
        assert_eq!(down.status, 502);
        assert!(
            down.header("content-type")
                .unwrap()
                .starts_with("text/html")
        );
    }

    gh.inject(Scope::Graphql, Fault::MalformedJson, 1);
    let broken = graphql(&gh.graphql_url(), orgq, Value::Null);
    assert!(serde_json::from_str::<Value>(&broken.body).is_err());

    gh.inject(
        Scope::Graphql,
        Fault::GraphqlError {
            kind: "FORBIDDEN".into(),
            partial: true,
        },
        1,
    );
    let partial = graphql(&gh.graphql_url(), orgq, Value::Null).json();
    assert_eq!(partial["data"]["organization"]["login"], "acme");
    assert_eq!(partial["data"]["r"], Value::Null);
    assert_eq!(partial["errors"][0]["type"], "FORBIDDEN");

    gh.inject(
        Scope::Any,
        Fault::Slow(std::time::Duration::from_millis(300)),
        1,
    );
    let started = std::time::Instant::now();
    assert_eq!(get(&protection).status, 200);
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));

    gh.inject(
        Scope::Any,
        Fault::RateLimited(std::time::Duration::from_secs(2)),
        1,
    );
    let limited = get(&protection);
    assert_eq!(
        (limited.status, limited.header("x-ratelimit-remaining")),
        (403, Some("0"))
    );
    let reset: i64 = limited
        .header("x-ratelimit-reset")
        .unwrap()
        .parse()
        .unwrap();
    assert!(reset > Utc::now().timestamp() - 1);
    let gql = graphql(&gh.graphql_url(), orgq, Value::Null).json();
    assert_eq!(
        gql["errors"][0]["type"], "RATE_LIMITED",
        "exhausted until the reset"
    );
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert_eq!(get(&protection).status, 200, "served again after the reset");
    clean(&gh);
}

#[test]
fn enterprise_serves_graphql_under_api_only() {
    let gh = FakeGithub::start_enterprise(Org::generate(5, 1, 1, window()));
    let q = "{ organization(login: \"acme\") { login } }";
    assert_eq!(
        graphql(&format!("{}/graphql", gh.base_url()), q, Value::Null).status,
        404
    );
    assert_eq!(gh.gaps().len(), 1, "the wrong endpoint shows up as a gap");
    let ok = graphql(&gh.graphql_url(), q, Value::Null).json();
    assert_eq!(ok["data"]["organization"]["login"], "acme");
    assert_eq!(get(&format!("{}/rate_limit", gh.api_url())).status, 200);
}

fn b64(bytes: &[u8]) -> String {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |a, (i, b)| a | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

#[test]
fn app_installation_tokens_are_issued_for_a_valid_jwt_and_accepted() {
    let gh = FakeGithub::start(Org::generate(6, 1, 1, window()));
    gh.enable_app(42, 7);
    let now = Utc::now().timestamp();
    let jwt = |claims: Value| {
        format!(
            "{}.{}.c2ln",
            b64(br#"{"alg":"RS256","typ":"JWT"}"#),
            b64(claims.to_string().as_bytes())
        )
    };
    let url = format!("{}/app/installations/7/access_tokens", gh.api_url());
    let exchange = |claims: Value| send("POST", &url, &format!("Bearer {}", jwt(claims)), None);
    let expired = exchange(json!({ "iss": 42, "iat": now - 900, "exp": now - 300 }));
    assert_eq!(expired.status, 401);
    assert!(
        expired.json()["message"]
            .as_str()
            .unwrap()
            .contains("'exp'")
    );
    let wrong_app = exchange(json!({ "iss": 41, "iat": now, "exp": now + 500 }));
    assert_eq!(
        (wrong_app.status, wrong_app.json()["message"].clone()),
        (401, json!("Integration not found"))
    );
    let issued = exchange(json!({ "iss": "42", "iat": now - 60, "exp": now + 540 }));
    assert_eq!(issued.status, 201, "{}", issued.body);
    let token = issued.json()["token"].as_str().unwrap().to_string();
    let expires =
        DateTime::parse_from_rfc3339(issued.json()["expires_at"].as_str().unwrap()).unwrap();
    assert!(expires > Utc::now() + Duration::minutes(50));
    let protected = send(
        "GET",
        &format!(
            "{}/repos/acme/service-00/branches/main/protection",
            gh.api_url()
        ),
        &format!("token {token}"),
        None,
    );
    assert_eq!(protected.status, 200);
    assert_eq!(oid("x").len(), 40);
}
