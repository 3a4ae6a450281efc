//! One run of the collector: repositories, protection, then merged PRs per scope, each scope
//! written only when complete so its watermark never passes PRs that were not stored.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::collector::{CollectError, Collected, RunContext};
use crate::evidence::Finding;
use crate::vault::{StagedRun, canonical};

use super::client::{Client, GithubError};
use super::config::GithubSettings;
use super::findings::{self, Verdict};
use super::model::{Connection, PullRequest, Repository};
use super::protection::Effective;
use super::state::{self, State};
use super::{app, population, queries};

/// Repositories per batched GraphQL request (details and rulesets).
const BATCH: usize = 25;
/// GitHub's search returns at most this many results, whatever `issueCount` says.
const SEARCH_CAP: u64 = 1000;

/// A repository in scope and the branches whose merges are collected.
struct Target {
    repo: Repository,
    branches: Vec<String>,
    /// `rulesets.nodes` as GitHub sent them.
    rulesets: Value,
    /// Required checks per branch (protection plus `[github] required_checks`).
    required: BTreeMap<String, Vec<String>>,
}

/// What one run has found so far.
struct Run<'a> {
    client: Client,
    settings: &'a GithubSettings,
    /// Per-target failures; any of them fails the run, but the rest is still collected.
    errors: Vec<String>,
    findings: Vec<Finding>,
}

pub async fn collect(
    ctx: &RunContext,
    staged: &mut StagedRun,
    settings: &GithubSettings,
) -> Result<Collected, CollectError> {
    let Some(window) = &ctx.window else {
        return Err(CollectError::Skipped(
            "no audit window covers today, so there is no range of merged PRs to collect; add the current window to `[[windows]]`".into(),
        ));
    };
    let secret = settings.auth_secret();
    let Some(credential) = ctx.secrets.get(secret) else {
        return Err(CollectError::Skipped(format!(
            "needs secret {secret}: grant it in the config, e.g. `[collectors.{}.secrets] {secret} = \"env:{secret}\"`, and set that variable",
            super::NAME
        )));
    };
    let client = Client::new(
        settings.endpoints(),
        std::time::Duration::from_secs(settings.request_timeout_secs),
        settings.max_concurrent_requests,
        ctx.deadline,
        ctx.cancel.clone(),
    )
    .map_err(|e| failed(e.to_string(), Collected::default()))?;
    let mut collected = Collected {
        parameters: parameters(settings, ctx),
        ..Collected::default()
    };
    let auth = match (settings.app_id, settings.installation_id) {
        (Some(app_id), Some(installation)) => {
            app::installation_token(&client, app_id, installation, credential.expose()).await
        }
        _ => Ok(credential.expose().to_string()),
    };
    match auth {
        Ok(token) => client.set_token(&token),
        Err(e) => return Err(stop(e, collected)),
    }
    let mut run = Run {
        client,
        settings,
        errors: Vec::new(),
        findings: Vec::new(),
    };
    let mut state = State::from_previous(ctx.previous_state.as_ref());
    let before = ctx.config.window_before(window);
    if let Some(from) = ctx.state_window.as_ref().filter(|w| *w != window) {
        tracing::info!(message = "Resuming from the state of the window before this one; its last merges are collected into this run.", window = %window.name, state_window = %from.name);
    }
    let span = Span {
        current: (
            window.name.clone(),
            state::window_bounds(window.start, window.end),
        ),
        previous: before.map(|w| (w.name.clone(), state::window_bounds(w.start, w.end))),
        lagged: state::floor_second(
            Utc::now() - chrono::Duration::seconds(settings.index_lag_secs as i64),
        ),
    };
    let upper = span.lagged.min(span.current.1.1);

    let result = run.collect_all(ctx, staged, &mut state, &span).await;
    collected.findings = std::mem::take(&mut run.findings);
    collected.state = Some(state.to_value());
    let cost = run.client.cost();
    let counts = match result {
        Ok(counts) => counts,
        Err(Stop::Github(e)) => {
            collected.summary = summary(&cost, &Counts::default());
            return Err(stop(e, collected));
        }
        Err(Stop::Vault(e)) => return Err(CollectError::Vault(e)),
    };
    collected.summary = summary(&cost, &counts);
    collected
        .parameters
        .insert("merged_through".into(), json!(upper.to_rfc3339()));
    tracing::info!(
        message = "GitHub collection done.",
        prs = counts.prs,
        repositories = counts.repositories,
        requests = cost.requests,
        graphql_points = cost.graphql_points
    );
    if run.errors.is_empty() {
        Ok(collected)
    } else {
        let reason = format!(
            "{} part(s) of the GitHub scope could not be collected (the rest is stored, and their watermarks did not move): {}",
            run.errors.len(),
            run.errors.join("; ")
        );
        Err(failed(reason, collected))
    }
}

/// The time the searches may cover: the run's window, the one before it (for a mark handed over
/// from it), each by name and bounds, and the index lag's cut-off.
struct Span {
    current: (String, state::Range),
    previous: Option<(String, state::Range)>,
    lagged: DateTime<Utc>,
}

/// Counts for the summary.
#[derive(Default)]
struct Counts {
    repositories: usize,
    prs: usize,
}

/// Why a run stops altogether.
enum Stop {
    Github(GithubError),
    Vault(crate::vault::VaultError),
}

impl From<crate::vault::VaultError> for Stop {
    fn from(e: crate::vault::VaultError) -> Stop {
        Stop::Vault(e)
    }
}

/// Errors that say nothing else can work either: bad token, cancelled.
fn fatal(e: &GithubError) -> bool {
    matches!(
        e,
        GithubError::BadCredentials { .. } | GithubError::Cancelled
    )
}

fn stop(e: GithubError, partial: Collected) -> CollectError {
    match e {
        GithubError::Cancelled => CollectError::Interrupted {
            reason: "stopped while reading GitHub".into(),
            partial: Box::new(partial),
        },
        e => failed(e.to_string(), partial),
    }
}

fn failed(reason: String, partial: Collected) -> CollectError {
    CollectError::Failed {
        reason,
        partial: Box::new(partial),
    }
}

fn parameters(s: &GithubSettings, ctx: &RunContext) -> serde_json::Map<String, Value> {
    let mut p = serde_json::Map::new();
    p.insert("api_url".into(), json!(s.api_url));
    p.insert("organizations".into(), json!(s.organizations));
    p.insert("repositories".into(), json!(s.repositories));
    p.insert("base_branches".into(), json!(s.base_branches));
    p.insert(
        "state_window".into(),
        json!(ctx.state_window.as_ref().map(|w| &w.name)),
    );
    p.insert(
        "auth".into(),
        json!(if s.app_id.is_some() {
            "github-app"
        } else {
            "token"
        }),
    );
    p.insert(
        "expected_protection".into(),
        json!({
            "required_approving_reviews": s.required_approving_reviews,
            "require_code_owner_review": s.require_code_owner_review,
            "dismiss_stale_reviews": s.dismiss_stale_reviews,
            "required_checks": s.required_checks,
        }),
    );
    p
}

fn summary(cost: &super::client::Cost, counts: &Counts) -> serde_json::Map<String, Value> {
    let mut s = serde_json::Map::new();
    s.insert("pull_requests".into(), json!(counts.prs));
    s.insert("repositories".into(), json!(counts.repositories));
    s.insert(
        "api".into(),
        json!({
            "requests": cost.requests,
            "graphql_points": cost.graphql_points,
            "graphql_remaining": cost.graphql_remaining,
            "rest_remaining": cost.rest_remaining,
            "rate_limit_wait_secs": cost.rate_limit_wait_secs,
        }),
    );
    s
}

impl Run<'_> {
    async fn collect_all(
        &mut self,
        ctx: &RunContext,
        staged: &mut StagedRun,
        state: &mut State,
        span: &Span,
    ) -> Result<Counts, Stop> {
        ctx.progress.message("listing repositories");
        // A scope is also its search qualifier: `org:NAME` or `repo:OWNER/NAME`.
        let mut scopes: Vec<String> = Vec::new();
        let mut names: Vec<(String, String)> = Vec::new();
        let mut listed: Vec<(String, Vec<String>)> = Vec::new();
        for org in &self.settings.organizations {
            match self.org_repositories(org).await {
                Ok(repos) => {
                    let full = repos.iter().map(|r| r.name_with_owner.to_lowercase());
                    listed.push((org.clone(), full.collect()));
                    names.extend(repos.into_iter().map(|r| (org.clone(), r.name)));
                }
                Err(e) if fatal(&e) => return Err(Stop::Github(e)),
                Err(e) => self.errors.push(format!("organization {org}: {e}")),
            }
        }
        let orgs: BTreeSet<String> = self
            .settings
            .organizations
            .iter()
            .map(|o| o.to_lowercase())
            .collect();
        let mut explicit = Vec::new();
        for full in &self.settings.repositories {
            let Some((owner, name)) = full.split_once('/') else {
                continue;
            };
            // A repository of a listed organisation is already in that organisation's scope.
            if !orgs.contains(&owner.to_lowercase()) {
                names.push((owner.to_string(), name.to_string()));
                explicit.push(full.to_lowercase());
            }
        }
        let mut targets = self.targets(&names).await.map_err(Stop::Github)?;
        // Without every repository's default branch, an organisation's merges cannot be told
        // apart; its search waits for a run that has them all.
        for (org, repos) in listed {
            match repos.iter().find(|r| !targets.contains_key(*r)) {
                None => scopes.push(format!("org:{org}")),
                Some(missing) => self.errors.push(format!(
                    "organization {org}: the details of {missing} could not be read, so its merged PRs are left for the next run"
                )),
            }
        }
        for full in explicit {
            if let Some(t) = targets.get(&full) {
                scopes.push(format!("repo:{}", t.repo.name_with_owner));
            }
        }
        self.protection(staged, &mut targets).await?;

        let mut stored: BTreeSet<String> = BTreeSet::new();
        let mut rows: Vec<(PullRequest, Verdict, String)> = Vec::new();
        let previous = span.previous.as_ref().map(|(_, bounds)| *bounds);
        for scope in &scopes {
            let pending = state.pending(scope, span.current.1, previous, span.lagged);
            for (part, (from, to)) in pending {
                let window = match (part, &span.previous) {
                    (state::Part::Previous, Some((name, _))) => name,
                    _ => &span.current.0,
                };
                ctx.progress
                    .message(&format!("searching {scope} (window {window})"));
                let prs = match self.search(scope, from, to).await {
                    Ok(prs) => prs,
                    Err(e) if fatal(&e) => return Err(Stop::Github(e)),
                    Err(e) => {
                        self.errors.push(format!("{scope}: {e}"));
                        // The mark stays before this range, so no later range may pass it.
                        break;
                    }
                };
                for mut pr in prs {
                    let repo = targets.get(&pr.repository.name_with_owner.to_lowercase());
                    if let Some(t) = repo
                        && !t.branches.contains(&pr.base_ref_name)
                    {
                        continue;
                    }
                    if !stored.insert(pr.id.clone()) {
                        continue;
                    }
                    pr.window = Some(window.clone());
                    let path = pr_path(&pr);
                    let required = repo
                        .and_then(|t| t.required.get(&pr.base_ref_name).cloned())
                        .unwrap_or_else(|| self.settings.required_checks.clone());
                    let artifact = format!("artifacts/{path}");
                    let verdict = findings::judge(&pr, &required, &path);
                    staged.add_bytes(&path, "application/json", &canonical::pretty(&pr))?;
                    rows.push((pr, verdict, artifact));
                }
                state.advance(scope, to);
            }
        }
        rows.sort_by(|a, b| {
            (&a.0.repository.name_with_owner, a.0.number)
                .cmp(&(&b.0.repository.name_with_owner, b.0.number))
        });
        for (_, v, _) in &rows {
            self.findings.extend(v.findings.iter().cloned());
        }
        let csv = population::csv(rows.iter().map(|(p, v, a)| (p, v, a.as_str())));
        staged.add_bytes("population.csv", "text/csv", &csv)?;
        Ok(Counts {
            repositories: targets.len(),
            prs: rows.len(),
        })
    }

    async fn org_repositories(&self, org: &str) -> Result<Vec<Repository>, GithubError> {
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let data = self
                .client
                .graphql(
                    &queries::repositories(),
                    json!({"org": org, "after": after}),
                )
                .await?;
            let conn: Connection<Repository> = take(
                &data["organization"]["repositories"],
                "organization.repositories",
            )
            .map_err(|reason| GithubError::NotFound {
                what: format!("organization {org} ({reason})"),
            })?;
            out.extend(conn.items().cloned());
            match conn.next_cursor() {
                Some(c) => after = Some(c),
                None => return Ok(out),
            }
        }
    }

    /// Details (default branch) and rulesets of every repository, batched.
    async fn targets(
        &mut self,
        names: &[(String, String)],
    ) -> Result<BTreeMap<String, Target>, GithubError> {
        let mut out = BTreeMap::new();
        for chunk in names.chunks(BATCH) {
            let pairs: Vec<(&str, &str)> = chunk
                .iter()
                .map(|(o, n)| (o.as_str(), n.as_str()))
                .collect();
            let (query, vars) = queries::repositories_by_name(&pairs);
            let (data, errors) = match self.client.graphql_partial(&query, vars).await {
                Ok(r) => r,
                Err(e) if fatal(&e) => return Err(e),
                Err(e) => {
                    self.errors.push(format!("repository details: {e}"));
                    continue;
                }
            };
            for e in errors {
                self.errors.push(format!("repository details: {e}"));
            }
            for (i, (owner, name)) in chunk.iter().enumerate() {
                let node = &data[format!("r{i}")];
                if node.is_null() {
                    continue; // named in the errors above
                }
                let repo: Repository = match take(node, "repository") {
                    Ok(r) => r,
                    Err(reason) => {
                        self.errors.push(format!("{owner}/{name}: {reason}"));
                        continue;
                    }
                };
                let branches = if self.settings.base_branches.is_empty() {
                    repo.default_branch_ref
                        .iter()
                        .map(|b| b.name.clone())
                        .collect()
                } else {
                    self.settings.base_branches.clone()
                };
                let t = Target {
                    repo,
                    branches,
                    rulesets: node["rulesets"]["nodes"].clone(),
                    required: BTreeMap::new(),
                };
                out.insert(t.repo.name_with_owner.to_lowercase(), t);
            }
        }
        Ok(out)
    }

    /// Classic protection of each target branch, folded with rulesets; writes the snapshots and
    /// the protection findings.
    async fn protection(
        &mut self,
        staged: &mut StagedRun,
        targets: &mut BTreeMap<String, Target>,
    ) -> Result<(), Stop> {
        let requests = targets.values().flat_map(|t| {
            t.branches.iter().map(move |b| {
                let path = format!(
                    "/repos/{}/branches/{}/protection",
                    t.repo.name_with_owner,
                    encode(b)
                );
                (t.repo.name_with_owner.to_lowercase(), b.clone(), path)
            })
        });
        let requests: Vec<(String, String, String)> = requests.collect();
        let client = &self.client;
        let answers = futures_util::future::join_all(
            requests.iter().map(|(_, _, path)| client.rest_get(path)),
        )
        .await;
        let mut classic: BTreeMap<(String, String), Result<Value, GithubError>> = BTreeMap::new();
        for ((key, branch, _), answer) in requests.into_iter().zip(answers) {
            let v = match answer {
                Ok(Ok(p)) => Ok(p),
                // 404 "Branch not protected" is an answer; any other 404 means no access.
                Ok(Err(body)) if body["message"] == "Branch not protected" => Ok(Value::Null),
                Ok(Err(body)) => Err(GithubError::NotFound {
                    what: format!(
                        "branch protection of {key}:{branch} ({})",
                        body["message"].as_str().unwrap_or("no message")
                    ),
                }),
                Err(e) => Err(e),
            };
            classic.insert((key, branch), v);
        }
        for (key, t) in targets.iter_mut() {
            let rulesets = &t.rulesets;
            let full = t.repo.name_with_owner.clone();
            let default = t.repo.default_branch_ref.as_ref().map(|b| b.name.as_str());
            let path = format!("protection/{full}.json");
            let mut branches = serde_json::Map::new();
            for branch in &t.branches {
                let p = match classic.remove(&(key.clone(), branch.clone())) {
                    Some(Ok(p)) => p,
                    Some(Err(e)) if fatal(&e) => return Err(Stop::Github(e)),
                    Some(Err(e)) => {
                        self.errors.push(format!("{full}:{branch} protection: {e}"));
                        continue;
                    }
                    None => Value::Null,
                };
                let mut eff = Effective::default();
                if !p.is_null() {
                    eff.add_classic(&p);
                }
                eff.add_rulesets(rulesets, branch, default);
                let shortfalls = eff.shortfalls(self.settings);
                let subject = format!("{full}:{branch}");
                self.findings
                    .extend(findings::protection(&subject, &eff, &shortfalls, &path));
                let mut required = eff.required_checks.clone();
                required.extend(self.settings.required_checks.iter().cloned());
                required.sort();
                required.dedup();
                t.required.insert(branch.clone(), required);
                branches.insert(
                    branch.clone(),
                    json!({"classic_protection": p, "effective": eff, "shortfalls": shortfalls}),
                );
            }
            let snapshot = json!({
                "repository": t.repo,
                "rulesets": rulesets,
                "branches": branches,
            });
            staged.add_bytes(&path, "application/json", &canonical::pretty(&snapshot))?;
        }
        Ok(())
    }

    /// Every PR merged in `[from, to]` within `qualifier`, halving the range while GitHub's
    /// 1,000-result cap would hide some.
    async fn search(
        &self,
        qualifier: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<PullRequest>, GithubError> {
        let mut out = Vec::new();
        let mut ranges = vec![(from, to)];
        while let Some((from, to)) = ranges.pop() {
            let q = state::search_query(qualifier, from, to);
            let mut after: Option<String> = None;
            let mut page = Vec::new();
            loop {
                let data = self
                    .client
                    .graphql(&queries::search(), json!({"q": q, "after": after}))
                    .await?;
                let search = &data["search"];
                let total = search["issueCount"].as_u64().unwrap_or(0);
                if total > SEARCH_CAP && after.is_none() {
                    match state::split(from, to) {
                        Some((a, b)) => {
                            ranges.push(b);
                            ranges.push(a);
                            page.clear();
                            break;
                        }
                        None => {
                            return Err(GithubError::Malformed {
                                url: q,
                                reason: format!(
                                    "{total} PRs merged within one second, more than GitHub's search can list"
                                ),
                            });
                        }
                    }
                }
                let conn: Connection<Value> =
                    take(search, "search").map_err(|reason| GithubError::Malformed {
                        url: q.clone(),
                        reason,
                    })?;
                for node in conn.items() {
                    if node["__typename"] != "PullRequest" {
                        continue;
                    }
                    let pr: PullRequest =
                        take(node, "PullRequest").map_err(|reason| GithubError::Malformed {
                            url: q.clone(),
                            reason,
                        })?;
                    page.push(pr);
                }
                match conn.next_cursor() {
                    Some(c) => after = Some(c),
                    None => {
                        out.append(&mut page);
                        break;
                    }
                }
            }
        }
        for pr in &mut out {
            self.complete(pr).await?;
        }
        Ok(out)
    }

    /// Pages in the reviews and checks beyond the first 100.
    async fn complete(&self, pr: &mut PullRequest) -> Result<(), GithubError> {
        while let Some(after) = pr.reviews.next_cursor() {
            let data = self
                .client
                .graphql(
                    &queries::more_reviews(),
                    json!({"id": pr.id, "after": after}),
                )
                .await?;
            let more: Connection<super::model::Review> = take(&data["node"]["reviews"], "reviews")
                .map_err(|reason| GithubError::Malformed {
                    url: pr.url.clone(),
                    reason,
                })?;
            pr.reviews.nodes.extend(more.nodes);
            pr.reviews.page_info = more.page_info;
        }
        pr.reviews.page_info = None;
        let id = pr.id.clone();
        let url = pr.url.clone();
        if let Some(rollup) = pr.rollup_mut() {
            while let Some(after) = rollup.contexts.next_cursor() {
                let data = self
                    .client
                    .graphql(&queries::more_checks(), json!({"id": id, "after": after}))
                    .await?;
                let more: Connection<super::model::Check> = take(
                    &data["node"]["commits"]["nodes"][0]["commit"]["statusCheckRollup"]["contexts"],
                    "contexts",
                )
                .map_err(|reason| GithubError::Malformed {
                    url: url.clone(),
                    reason,
                })?;
                rollup.contexts.nodes.extend(more.nodes);
                rollup.contexts.page_info = more.page_info;
            }
            rollup.contexts.page_info = None;
        }
        Ok(())
    }
}

fn take<T: serde::de::DeserializeOwned>(v: &Value, what: &str) -> Result<T, String> {
    if v.is_null() {
        return Err(format!("no `{what}` in the response"));
    }
    serde_json::from_value(v.clone()).map_err(|e| format!("`{what}` is not as documented: {e}"))
}

/// `prs/OWNER/NAME/NUMBER.json`.
fn pr_path(pr: &PullRequest) -> String {
    format!("prs/{}/{}.json", pr.repository.name_with_owner, pr.number)
}

/// Branch names in a URL path: `/` stays (GitHub accepts it), the rest is percent-encoded.
fn encode(branch: &str) -> String {
    let mut out = String::new();
    for b in branch.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
