//! A fake GitHub for tests and the benchmark: GitHub's REST and GraphQL over real HTTP on
//! loopback, answering from an organisation model (`model`). Every GraphQL query is validated
//! against GitHub's public schema and executed generically (`graphql`); REST bodies follow the
//! recorded octokit fixtures (`rest`). Faults can be injected per request.
//!
//! Tests should end with `assert!(gh.invalid_queries().is_empty())` and
//! `assert!(gh.gaps().is_empty())`: those list what real GitHub would reject and what this
//! server could not answer.
#![allow(dead_code)]

pub mod graphql;
pub mod model;
mod rest;

#[cfg(test)]
pub mod client;
#[cfg(test)]
mod selftest;

use std::collections::{HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Response, StatusCode};
use chrono::Utc;
use serde_json::{Value, json};

#[allow(unused_imports)]
pub use model::{Check, Org, Protection, Pull, Repo, Review, Rule, Ruleset};

/// Which requests a fault applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Any request.
    Any,
    /// `POST /graphql` only.
    Graphql,
    /// REST only.
    Rest,
}

/// A failure to answer with instead of the normal response.
#[derive(Clone, Debug)]
pub enum Fault {
    /// 401 `Bad credentials`.
    Unauthorized,
    /// 403 with `x-accepted-github-permissions: PERMISSION` (e.g. `pull_requests=read`).
    Forbidden(String),
    /// 404 `Not Found`.
    NotFound,
    /// 502/503 with an HTML body, as GitHub's front end sends.
    ServerError(u16),
    /// Answers normally after this delay.
    Slow(Duration),
    /// 200 with a truncated JSON body.
    MalformedJson,
    /// GraphQL 200 with `errors` of this `type` (NOT_FOUND, FORBIDDEN, RATE_LIMITED); `partial`
    /// keeps `data` but nulls the last root field, else `data` is null. GraphQL requests only.
    GraphqlError {
        /// GitHub's error `type`.
        kind: String,
        /// Keep the rest of `data`.
        partial: bool,
    },
    /// The primary rate limit runs out: every request answers "rate limit exceeded" (REST 403,
    /// GraphQL 200 RATE_LIMITED, `x-ratelimit-remaining: 0`) until the reset, this far away.
    RateLimited(Duration),
    /// A secondary rate limit: this status (403 or 429) with `retry-after` seconds.
    SecondaryLimit {
        /// 403 or 429.
        status: u16,
        /// The `retry-after` header, seconds.
        retry_after_secs: u64,
    },
}

/// One request the server saw.
#[derive(Clone, Debug)]
pub struct Logged {
    /// HTTP method.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// GraphQL, REST, or neither (an unserved route).
    pub graphql: bool,
    /// GraphQL: the operation name, or its root fields joined by commas.
    pub operation: Option<String>,
    /// The status answered.
    pub status: u16,
}

/// Mutable server state.
struct Inner {
    /// The organisation served.
    org: Org,
    /// `org` as a GraphQL object graph.
    graph: Arc<graphql::Graph>,
    /// Every request, in arrival order.
    log: Vec<Logged>,
    /// Queries GitHub would reject, with why.
    invalid: Vec<String>,
    /// Requests this server could not answer faithfully.
    gaps: Vec<String>,
    /// Pending faults: scope, fault, how many more requests it hits.
    faults: VecDeque<(Scope, Fault, usize)>,
    /// Accepted tokens (personal tokens and issued installation tokens).
    tokens: HashSet<String>,
    /// GitHub App id accepted in JWTs, and its installation ids.
    app: Option<(u64, Vec<u64>)>,
    /// Rate limit exhausted until this Unix time.
    exhausted_until: Option<i64>,
    /// Points used: (core, graphql).
    used: (i64, i64),
    /// Unix time of the next rate-limit reset.
    reset_at: i64,
}

/// Shared between the handle and the server task.
struct Shared {
    /// State behind a lock (requests are short).
    inner: Mutex<Inner>,
    /// Serve GraphQL at `/api/graphql` and REST under `/api/v3`, like GitHub Enterprise Server.
    enterprise: bool,
    /// `http://127.0.0.1:PORT`.
    origin: String,
}

/// A running fake GitHub; stops when dropped.
pub struct FakeGithub {
    /// State shared with the server.
    shared: Arc<Shared>,
    /// Stops the server.
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    /// The server's thread (its own runtime, so sync and async tests can both use it).
    thread: Option<std::thread::JoinHandle<()>>,
}

/// The token accepted by default.
pub const TOKEN: &str = "ghp_fake_token_0123456789";
/// Points per hour, core and GraphQL.
const LIMIT: i64 = 5000;

impl FakeGithub {
    /// Serves `org` like github.com on 127.0.0.1 with a free port.
    pub fn start(org: Org) -> FakeGithub {
        FakeGithub::start_at(org, false, 0).expect("bind 127.0.0.1:0")
    }

    /// Serves `org` like GitHub Enterprise Server (`/api/graphql`, `/api/v3`).
    pub fn start_enterprise(org: Org) -> FakeGithub {
        FakeGithub::start_at(org, true, 0).expect("bind 127.0.0.1:0")
    }

    /// Serves `org` on 127.0.0.1:`port` (0: a free one), as GHES if `enterprise`.
    pub fn start_at(org: Org, enterprise: bool, port: u16) -> std::io::Result<FakeGithub> {
        graphql::schema();
        let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
        listener.set_nonblocking(true)?;
        let addr: SocketAddr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                graph: Arc::new(graphql::Graph::build(&org)),
                org,
                log: vec![],
                invalid: vec![],
                gaps: vec![],
                faults: VecDeque::new(),
                tokens: HashSet::from([TOKEN.to_string()]),
                app: None,
                exhausted_until: None,
                used: (0, 0),
                reset_at: Utc::now().timestamp() + 3600,
            }),
            enterprise,
            origin: format!("http://{addr}"),
        });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let state = shared.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let app = axum::Router::new().fallback(handle).with_state(state);
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = stopped.await;
                    })
                    .await;
            });
        });
        Ok(FakeGithub {
            shared,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.shared.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `http://127.0.0.1:PORT`: the REST root for github.com, the host for GHES.
    pub fn base_url(&self) -> String {
        self.shared.origin.clone()
    }

    /// The REST API root: `base_url()` for github.com, `base_url()/api/v3` for GHES.
    pub fn api_url(&self) -> String {
        if self.shared.enterprise {
            format!("{}/api/v3", self.shared.origin)
        } else {
            self.shared.origin.clone()
        }
    }

    /// The GraphQL endpoint.
    pub fn graphql_url(&self) -> String {
        if self.shared.enterprise {
            format!("{}/api/graphql", self.shared.origin)
        } else {
            format!("{}/graphql", self.shared.origin)
        }
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Logged> {
        self.inner().log.clone()
    }

    /// (total, graphql, rest) request counts.
    pub fn counts(&self) -> (usize, usize, usize) {
        let log = &self.inner().log;
        let graphql = log.iter().filter(|r| r.graphql).count();
        (log.len(), graphql, log.len() - graphql)
    }

    /// Queries real GitHub would reject: schema violations, bad paging, unserved search terms.
    pub fn invalid_queries(&self) -> Vec<String> {
        self.inner().invalid.clone()
    }

    /// Requests this server could not answer faithfully (unserved routes, missing data).
    pub fn gaps(&self) -> Vec<String> {
        self.inner().gaps.clone()
    }

    /// The next `times` requests in `scope` answer `fault` (faults queue in order).
    pub fn inject(&self, scope: Scope, fault: Fault, times: usize) {
        self.inner().faults.push_back((scope, fault, times));
    }

    /// Replaces the organisation (e.g. new pull requests merged between two runs).
    pub fn set_org(&self, org: Org) {
        let graph = Arc::new(graphql::Graph::build(&org));
        let mut inner = self.inner();
        inner.org = org;
        inner.graph = graph;
    }

    /// Accepts another token.
    pub fn add_token(&self, token: &str) {
        self.inner().tokens.insert(token.to_string());
    }

    /// Accepts JWTs issued by GitHub App `app_id` for `installation_id`.
    pub fn enable_app(&self, app_id: u64, installation_id: u64) {
        let mut inner = self.inner();
        let app = inner.app.get_or_insert((app_id, vec![]));
        app.0 = app_id;
        app.1.push(installation_id);
    }

    /// GraphQL points used so far.
    pub fn graphql_points(&self) -> i64 {
        self.inner().used.1
    }
}

impl Drop for FakeGithub {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A response being built.
struct Answer {
    status: u16,
    body: String,
    headers: Vec<(String, String)>,
    html: bool,
}

impl Answer {
    fn json(status: u16, body: &Value) -> Answer {
        Answer {
            status,
            body: body.to_string(),
            headers: vec![],
            html: false,
        }
    }

    fn header(mut self, name: &str, value: impl ToString) -> Answer {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response<Body> {
    let method = request.method().to_string();
    let uri = request.uri().clone();
    let path_and_query = uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
    let auth = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = axum::body::to_bytes(request.into_body(), 64 << 20)
        .await
        .unwrap_or_default();

    let path = uri.path();
    let (route, graphql) = match (shared.enterprise, path) {
        (false, "/graphql") | (true, "/api/graphql") => (Some(""), true),
        (true, p) => (p.strip_prefix("/api/v3"), false),
        (false, p) => (Some(p), false),
    };

    let slow = {
        let mut inner = shared.inner.lock().unwrap_or_else(|e| e.into_inner());
        match peek_fault(&inner, graphql) {
            Some(Fault::Slow(d)) => {
                let d = *d;
                next_fault(&mut inner, graphql);
                Some(d)
            }
            _ => None,
        }
    };
    if let Some(delay) = slow {
        tokio::time::sleep(delay).await;
    }

    let mut inner = shared.inner.lock().unwrap_or_else(|e| e.into_inner());
    let mut operation = None;
    let answer = match route {
        None => {
            inner
                .gaps
                .push(format!("unserved route {method} {path_and_query}"));
            Answer::json(404, &rest::error("Not Found", 404))
        }
        Some(route) => answer(
            &shared,
            &mut inner,
            &method,
            route,
            &path_and_query,
            &auth,
            graphql,
            slow.is_some(),
            &body,
            &mut operation,
        ),
    };
    inner.log.push(Logged {
        method,
        path: path_and_query,
        graphql,
        operation,
        status: answer.status,
    });
    let remaining = if inner.exhausted_until.is_some() {
        0
    } else {
        LIMIT - if graphql { inner.used.1 } else { inner.used.0 }
    };
    let reset = inner.exhausted_until.unwrap_or(inner.reset_at);
    let used = if graphql { inner.used.1 } else { inner.used.0 };
    drop(inner);

    let mut response = Response::builder()
        .status(StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header(
            "content-type",
            if answer.html {
                "text/html; charset=utf-8"
            } else {
                "application/json; charset=utf-8"
            },
        )
        .header("x-github-media-type", "github.v3; format=json")
        .header("x-github-request-id", "0000:00000:0000000:0000000:00000000")
        .header("x-ratelimit-limit", LIMIT.to_string())
        .header("x-ratelimit-remaining", remaining.to_string())
        .header("x-ratelimit-used", used.to_string())
        .header("x-ratelimit-reset", reset.to_string())
        .header(
            "x-ratelimit-resource",
            if graphql { "graphql" } else { "core" },
        );
    for (name, value) in answer.headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response = response.header(name, value);
        }
    }
    response
        .body(Body::from(answer.body))
        .unwrap_or_else(|_| Response::new(Body::from("fake GitHub: bad response")))
}

/// Where the next queued fault that applies to this request is.
fn fault_position(inner: &Inner, graphql: bool) -> Option<usize> {
    let applies = |scope: Scope, fault: &Fault| {
        let in_scope = match scope {
            Scope::Any => true,
            Scope::Graphql => graphql,
            Scope::Rest => !graphql,
        };
        in_scope && (graphql || !matches!(fault, Fault::GraphqlError { .. }))
    };
    inner.faults.iter().position(|(s, f, _)| applies(*s, f))
}

fn peek_fault(inner: &Inner, graphql: bool) -> Option<&Fault> {
    fault_position(inner, graphql).map(|pos| &inner.faults[pos].1)
}

/// Takes the next queued fault that applies to this request.
fn next_fault(inner: &mut Inner, graphql: bool) -> Option<Fault> {
    let pos = fault_position(inner, graphql)?;
    let (scope, fault, times) = inner.faults.remove(pos)?;
    if times > 1 {
        inner.faults.insert(pos, (scope, fault.clone(), times - 1));
    }
    Some(fault)
}

const HTML_ERROR: &str = "<!DOCTYPE html>\n<html><head><title>Unicorn! &middot; GitHub</title></head><body><p>We had issues producing the response to your request.</p></body></html>\n";

#[allow(clippy::too_many_arguments)]
fn answer(
    shared: &Shared,
    inner: &mut Inner,
    method: &str,
    route: &str,
    path_and_query: &str,
    auth: &str,
    graphql: bool,
    slowed: bool,
    body: &[u8],
    operation: &mut Option<String>,
) -> Answer {
    let now = Utc::now().timestamp();
    if inner.reset_at <= now {
        inner.reset_at = now + 3600;
        inner.used = (0, 0);
    }
    if inner.exhausted_until.is_some_and(|t| t <= now) {
        inner.exhausted_until = None;
        inner.used = (0, 0);
    }
    let segments: Vec<&str> = route.trim_matches('/').split('/').collect();
    let app_route = method == "POST"
        && matches!(
            segments.as_slice(),
            ["app", "installations", _, "access_tokens"]
        );
    // GitHub accepts either scheme, in any case.
    let token = auth
        .split_once(' ')
        .filter(|(scheme, _)| {
            scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token")
        })
        .map_or("", |(_, t)| t.trim());
    if !app_route && !inner.tokens.contains(token) {
        return Answer::json(401, &rest::error("Bad credentials", 401));
    }

    // A slow request already took its fault unit before sleeping; it is then answered normally.
    let fault = if slowed {
        None
    } else {
        next_fault(inner, graphql)
    };
    let mut inject = None;
    match fault {
        None | Some(Fault::Slow(_)) => {}
        Some(Fault::Unauthorized) => {
            return Answer::json(401, &rest::error("Bad credentials", 401));
        }
        Some(Fault::Forbidden(permission)) => {
            return Answer::json(
                403,
                &rest::error("Resource not accessible by personal access token", 403),
            )
            .header("x-accepted-github-permissions", permission);
        }
        Some(Fault::NotFound) => return Answer::json(404, &rest::error("Not Found", 404)),
        Some(Fault::ServerError(status)) => {
            return Answer {
                status,
                body: HTML_ERROR.into(),
                headers: vec![],
                html: true,
            };
        }
        Some(Fault::MalformedJson) => {
            return Answer {
                status: 200,
                body: r#"{"data":{"organization":{"repositories":{"nodes":[{"name":"#.into(),
                headers: vec![],
                html: false,
            };
        }
        Some(Fault::RateLimited(reset_in)) => {
            inner.exhausted_until = Some(now + reset_in.as_secs().max(1) as i64);
        }
        Some(Fault::SecondaryLimit {
            status,
            retry_after_secs,
        }) => {
            let message = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:00000:0000000:0000000:00000000.";
            return Answer::json(status, &rest::error(message, status))
                .header("retry-after", retry_after_secs);
        }
        Some(Fault::GraphqlError { kind, partial }) => {
            let message = match kind.as_str() {
                "NOT_FOUND" => "Could not resolve to a node.",
                "FORBIDDEN" => "Resource not accessible by personal access token",
                "RATE_LIMITED" => "API rate limit exceeded for user ID 1.",
                _ => "Something went wrong while executing your query.",
            };
            inject = Some(graphql::Injected {
                kind,
                message: message.into(),
                partial,
            });
        }
    }
    if let Some(until) = inner.exhausted_until {
        let message = "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID 0000:00000:0000000:0000000:00000000.";
        return if graphql {
            Answer::json(
                200,
                &json!({ "errors": [{ "type": "RATE_LIMITED", "message": message }] }),
            )
        } else {
            Answer::json(403, &rest::error(message, 403))
        }
        .header("x-ratelimit-reset", until);
    }

    if graphql {
        if method != "POST" {
            return Answer::json(404, &rest::error("Not Found", 404));
        }
        return run_graphql(inner, body, operation, inject);
    }

    inner.used.0 += 1;
    let api = if shared.enterprise {
        format!("{}/api/v3", shared.origin)
    } else {
        shared.origin.clone()
    };
    let query = path_and_query.split_once('?').map_or("", |(_, q)| q);
    let param = |name: &str| {
        query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == name)
            .and_then(|(_, v)| v.parse::<usize>().ok())
    };
    match (method, segments.as_slice()) {
        ("GET", ["repos", owner, name, "branches", branch, "protection"]) => {
            let org = &inner.org;
            let repo = org.repos.iter().find(|r| {
                owner.eq_ignore_ascii_case(&org.login) && r.name.eq_ignore_ascii_case(name)
            });
            match repo {
                None => Answer::json(404, &rest::error("Not Found", 404)),
                Some(r)
                    if r.default_branch != *branch
                        && !r.pulls.iter().any(|p| p.base == *branch) =>
                {
                    Answer::json(404, &rest::error("Branch not found", 404))
                }
                Some(r) => match (&r.protection, r.default_branch == *branch) {
                    (Some(p), true) => {
                        Answer::json(200, &rest::protection(&api, &org.login, &r.name, branch, p))
                    }
                    _ => Answer::json(404, &rest::not_protected()),
                },
            }
        }
        ("GET", ["orgs", login, "repos"]) | ("GET", ["organizations", login, "repos"]) => {
            let org = &inner.org;
            let known =
                login.eq_ignore_ascii_case(&org.login) || *login == org.database_id.to_string();
            if !known {
                return Answer::json(404, &rest::error("Not Found", 404));
            }
            let per_page = param("per_page").unwrap_or(30).clamp(1, 100);
            let page = param("page").unwrap_or(1).max(1);
            let last = org.repos.len().div_ceil(per_page).max(1);
            let items: Vec<Value> = org
                .repos
                .iter()
                .skip((page - 1) * per_page)
                .take(per_page)
                .map(|r| rest::repo(&api, org, r))
                .collect();
            let base = format!("{api}/organizations/{}/repos", org.database_id);
            let answer = Answer::json(200, &Value::Array(items));
            match rest::link(&base, per_page, page, last) {
                Some(link) => answer.header("link", link),
                None => answer,
            }
        }
        ("POST", ["app", "installations", id, "access_tokens"]) => {
            let Some((app_id, installations)) = inner.app.clone() else {
                return Answer::json(401, &rest::error("Integration not found", 401));
            };
            let jwt = token;
            if let Err(message) = rest::check_app_jwt(jwt, app_id, now) {
                return Answer::json(401, &rest::error(&message, 401));
            }
            if !id.parse().is_ok_and(|id: u64| installations.contains(&id)) {
                return Answer::json(404, &rest::error("Not Found", 404));
            }
            let token = format!("ghs_fake_installation_{}", inner.tokens.len());
            inner.tokens.insert(token.clone());
            let expires = (Utc::now() + chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ");
            Answer::json(
                201,
                &json!({
                    "token": token,
                    "expires_at": expires.to_string(),
                    "permissions": { "metadata": "read", "contents": "read", "pull_requests": "read", "administration": "read" },
                    "repository_selection": "all"
                }),
            )
        }
        ("GET", ["rate_limit"]) => {
            inner.used.0 -= 1; // GitHub does not count this call.
            let entry = |used: i64| json!({ "limit": LIMIT, "used": used, "remaining": LIMIT - used, "reset": inner.reset_at });
            Answer::json(
                200,
                &json!({
                    "resources": { "core": entry(inner.used.0), "graphql": entry(inner.used.1), "search": entry(0) },
                    "rate": entry(inner.used.0)
                }),
            )
        }
        _ => {
            inner
                .gaps
                .push(format!("unserved route {method} {path_and_query}"));
            Answer::json(404, &rest::error("Not Found", 404))
        }
    }
}

fn run_graphql(
    inner: &mut Inner,
    body: &[u8],
    operation: &mut Option<String>,
    inject: Option<graphql::Injected>,
) -> Answer {
    let request: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            inner.invalid.push(format!("GraphQL body is not JSON: {e}"));
            return Answer::json(400, &json!({ "message": "Problems parsing JSON" }));
        }
    };
    let query = request["query"].as_str().unwrap_or_default();
    let variables = request.get("variables").cloned().unwrap_or(Value::Null);
    let op_name = request["operationName"].as_str();
    let prepared = match graphql::prepare(query, op_name, &variables) {
        Ok(p) => p,
        Err(errors) => {
            *operation = Some("invalid".into());
            inner.invalid.push(format!("{errors:?} in query {query}"));
            return Answer::json(200, &json!({ "errors": errors }));
        }
    };
    *operation = Some(prepared.label.clone());
    inner.used.1 += prepared.cost;
    let used = inner.used.1;
    let reset = chrono::DateTime::from_timestamp(inner.reset_at, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let rate = [
        ("cost", prepared.cost.into()),
        ("limit", LIMIT.into()),
        ("nodeCount", prepared.node_count.into()),
        ("remaining", (LIMIT - used).into()),
        ("used", used.into()),
        ("resetAt", reset.into()),
    ];
    let graph = inner.graph.clone();
    let (body, problems) = graphql::execute(&graph, &prepared, op_name, &variables, rate, inject);
    for p in problems {
        if p.starts_with("fake GitHub holds no data") {
            inner.gaps.push(p);
        } else {
            inner.invalid.push(format!("{p} in query {query}"));
        }
    }
    Answer::json(200, &body)
}
