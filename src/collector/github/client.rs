//! HTTP to GitHub: GraphQL and REST with retries, rate-limit waits, the run's deadline and
//! cancellation, and a count of what the run cost.
//!
//! reqwest rather than octocrab: octocrab's `graphql` hands back only the body, and the
//! collector needs the `x-ratelimit-*` and `retry-after` headers of every response.

use std::sync::Mutex;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::config::Endpoints;
use super::model::RateLimit;

/// Attempts per request for transient faults (5xx, timeouts, connection errors).
const MAX_ATTEMPTS: u32 = 4;
/// First backoff; doubled per attempt.
const BACKOFF: Duration = Duration::from_millis(500);
/// Rate-limit waits per request before giving up (each wait is bounded by the deadline too).
const MAX_RATE_WAITS: u32 = 3;

/// Why GitHub could not be read. Each message says what to do.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GithubError {
    #[error(
        "GitHub rejected the credentials (401 Bad credentials) at {url}: the token is wrong, expired or revoked; create a new one and update the secret"
    )]
    BadCredentials { url: String },
    #[error("GitHub refused {url} (403: {message}){}", permission_hint(.permission))]
    Forbidden {
        url: String,
        message: String,
        permission: Option<String>,
    },
    #[error("not found: {what} (404); check the name, and that the token can see it")]
    NotFound { what: String },
    #[error("{0}")]
    RateLimited(String),
    #[error("GitHub answered {status} at {url} {attempts} times; try again later")]
    Server {
        status: u16,
        url: String,
        attempts: u32,
    },
    #[error("cannot reach {url} after {attempts} attempts: {reason}")]
    Transport {
        url: String,
        reason: String,
        attempts: u32,
    },
    #[error("GitHub sent a response that is not what its API documents, at {url}: {reason}")]
    Malformed { url: String, reason: String },
    #[error("GitHub's GraphQL API returned errors{}: {}", if *.partial { " (with partial data, not used)" } else { "" }, .messages.join("; "))]
    GraphQl {
        messages: Vec<String>,
        partial: bool,
    },
    #[error("stopped: the run was cancelled")]
    Cancelled,
}

fn permission_hint(p: &Option<String>) -> String {
    match p {
        Some(p) if !p.is_empty() => {
            format!("; the token needs the permission `{p}` (x-accepted-github-permissions)")
        }
        _ => "; check the token's permissions (see docs/collectors/github.md)".to_string(),
    }
}

/// What the run spent, for run.json's summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cost {
    /// HTTP requests sent, retries included.
    pub requests: u64,
    /// GraphQL rate-limit points spent (`rateLimit.cost`).
    pub graphql_points: u64,
    /// Points left after the last GraphQL call.
    pub graphql_remaining: Option<u64>,
    /// REST requests left after the last REST call.
    pub rest_remaining: Option<u64>,
    /// Seconds spent waiting for rate limits.
    pub rate_limit_wait_secs: u64,
}

/// A GitHub API client for one run.
pub struct Client {
    http: reqwest::Client,
    endpoints: Endpoints,
    /// `Authorization` header value, set once the token is known.
    auth: Mutex<String>,
    limit: Semaphore,
    deadline: Instant,
    cancel: CancellationToken,
    cost: Mutex<Cost>,
}

/// A successful response.
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

enum Verdict {
    Done(Response),
    Retry(String),
    Wait(Duration, String),
    Fail(GithubError),
}

impl Client {
    pub fn new(
        endpoints: Endpoints,
        timeout: Duration,
        concurrency: usize,
        deadline: Instant,
        cancel: CancellationToken,
    ) -> Result<Client, GithubError> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("evidence-agent/", env!("CARGO_PKG_VERSION")))
            .timeout(timeout)
            .build()
            .map_err(|e| GithubError::Transport {
                url: endpoints.rest.clone(),
                reason: e.to_string(),
                attempts: 0,
            })?;
        Ok(Client {
            http,
            endpoints,
            auth: Mutex::new(String::new()),
            limit: Semaphore::new(concurrency.max(1)),
            deadline,
            cancel,
            cost: Mutex::new(Cost::default()),
        })
    }

    pub fn set_token(&self, token: &str) {
        *lock(&self.auth) = format!("Bearer {token}");
    }

    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    pub fn cost(&self) -> Cost {
        lock(&self.cost).clone()
    }

    /// A GraphQL query; any `errors` fail it, even beside partial data.
    pub async fn graphql(&self, query: &str, variables: Value) -> Result<Value, GithubError> {
        let (data, errors) = self.graphql_partial(query, variables).await?;
        if !errors.is_empty() {
            return Err(GithubError::GraphQl {
                messages: errors,
                partial: !data.is_null(),
            });
        }
        Ok(data)
    }

    /// A GraphQL query returning `data` and the `errors` messages, for callers that can say
    /// which part failed (per-repository aliases). Rate-limit errors are waited out here.
    pub async fn graphql_partial(
        &self,
        query: &str,
        variables: Value,
    ) -> Result<(Value, Vec<String>), GithubError> {
        let url = self.endpoints.graphql.clone();
        let body = json!({"query": query, "variables": variables}).to_string();
        let mut waits = 0;
        loop {
            let r = self
                .send(|| self.http.post(&url).body(body.clone()), &url)
                .await?;
            let mut v: Value = parse(&r.body, &url)?;
            let errors = graphql_errors(&v);
            if errors.iter().any(|(kind, _)| kind == "RATE_LIMITED") && waits < MAX_RATE_WAITS {
                waits += 1;
                let wait = reset_wait(&r.headers).unwrap_or(Duration::from_secs(60));
                self.pause(wait, "GraphQL rate limit (RATE_LIMITED)")
                    .await?;
                continue;
            }
            let data = v.get_mut("data").map(Value::take).unwrap_or(Value::Null);
            if data.is_null() && errors.is_empty() {
                return Err(GithubError::Malformed {
                    url,
                    reason: "neither `data` nor `errors`".into(),
                });
            }
            if let Some(rl) = data
                .get("rateLimit")
                .and_then(|r| serde_json::from_value::<RateLimit>(r.clone()).ok())
            {
                let mut c = lock(&self.cost);
                c.graphql_points += rl.cost;
                c.graphql_remaining = Some(rl.remaining);
            }
            let messages = errors
                .into_iter()
                .map(|(kind, m)| {
                    if kind.is_empty() {
                        m
                    } else {
                        format!("{kind}: {m}")
                    }
                })
                .collect();
            return Ok((data, messages));
        }
    }

    /// `GET <rest>/<path>`; `Ok(None)` on 404 with the body, for callers where 404 has meaning.
    pub async fn rest_get(&self, path: &str) -> Result<Result<Value, Value>, GithubError> {
        let url = format!("{}{path}", self.endpoints.rest);
        match self.send(|| self.http.get(&url), &url).await {
            Ok(r) => {
                if let Some(n) = header_u64(&r.headers, "x-ratelimit-remaining") {
                    lock(&self.cost).rest_remaining = Some(n);
                }
                Ok(Ok(parse(&r.body, &url)?))
            }
            Err(GithubError::NotFound { what }) => {
                Ok(Err(serde_json::from_str(&what).unwrap_or(Value::Null)))
            }
            Err(e) => Err(e),
        }
    }

    /// `POST <rest>/<path>` with a bearer of the caller's choice (GitHub App JWT).
    pub async fn rest_post_as(&self, path: &str, bearer: &str) -> Result<Value, GithubError> {
        let url = format!("{}{path}", self.endpoints.rest);
        let auth = format!("Bearer {bearer}");
        let r = self
            .send_with_auth(|| self.http.post(&url), &url, Some(&auth))
            .await?;
        parse(&r.body, &url)
    }

    async fn send(
        &self,
        build: impl Fn() -> reqwest::RequestBuilder,
        url: &str,
    ) -> Result<Response, GithubError> {
        self.send_with_auth(build, url, None).await
    }

    async fn send_with_auth(
        &self,
        build: impl Fn() -> reqwest::RequestBuilder,
        url: &str,
        auth: Option<&str>,
    ) -> Result<Response, GithubError> {
        let mut attempts = 0;
        let mut waits = 0;
        loop {
            attempts += 1;
            let auth = auth
                .map(str::to_string)
                .unwrap_or_else(|| lock(&self.auth).clone());
            let request = build()
                .header("authorization", auth)
                .header("accept", "application/vnd.github+json")
                .header("x-github-api-version", "2022-11-28");
            let outcome = {
                let _permit = self
                    .limit
                    .acquire()
                    .await
                    .map_err(|_| GithubError::Cancelled)?;
                lock(&self.cost).requests += 1;
                tokio::select! {
                    r = request.send() => r,
                    _ = self.cancel.cancelled() => return Err(GithubError::Cancelled),
                }
            };
            let verdict = match outcome {
                Err(e) => Verdict::Retry(transport_reason(&e)),
                Ok(resp) => {
                    let status = resp.status();
                    let headers = resp.headers().clone();
                    let body = tokio::select! {
                        b = resp.bytes() => b,
                        _ = self.cancel.cancelled() => return Err(GithubError::Cancelled),
                    };
                    match body {
                        Err(e) => Verdict::Retry(transport_reason(&e)),
                        Ok(body) => judge(status, headers, body.to_vec(), url),
                    }
                }
            };
            match verdict {
                Verdict::Done(r) => return Ok(r),
                Verdict::Fail(e) => return Err(e),
                Verdict::Wait(wait, why) => {
                    waits += 1;
                    attempts -= 1;
                    if waits > MAX_RATE_WAITS {
                        return Err(GithubError::RateLimited(format!(
                            "{why} at {url} persisted after {MAX_RATE_WAITS} waits; try again later"
                        )));
                    }
                    self.pause(wait, &why).await?;
                }
                Verdict::Retry(reason) => {
                    if attempts >= MAX_ATTEMPTS {
                        return Err(match reason.strip_prefix("status ") {
                            Some(code) => GithubError::Server {
                                status: code.parse().unwrap_or(0),
                                url: url.to_string(),
                                attempts,
                            },
                            None => GithubError::Transport {
                                url: url.to_string(),
                                reason,
                                attempts,
                            },
                        });
                    }
                    tracing::warn!(message = "GitHub request failed; retrying.", %url, attempt = attempts, %reason);
                    let backoff = BACKOFF * 2u32.pow(attempts - 1);
                    self.pause(backoff, &reason).await?;
                }
            }
        }
    }

    /// Sleeps `wait`, unless that would pass the run's deadline or the run is cancelled.
    async fn pause(&self, wait: Duration, why: &str) -> Result<(), GithubError> {
        if Instant::now() + wait >= self.deadline {
            return Err(GithubError::RateLimited(format!(
                "{why}: GitHub asks to wait {}s, which passes the run's deadline; the run stops here and the next one resumes where this one's stored evidence ends",
                wait.as_secs()
            )));
        }
        tracing::info!(message = "Waiting before the next GitHub request.", wait_secs = wait.as_secs_f64(), reason = %why);
        lock(&self.cost).rate_limit_wait_secs += wait.as_secs();
        tokio::select! {
            _ = tokio::time::sleep(wait) => Ok(()),
            _ = self.cancel.cancelled() => Err(GithubError::Cancelled),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding one of these small locks leaves plain data behind; keep going.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn transport_reason(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        format!("cannot connect: {e}")
    } else {
        e.to_string()
    }
}

fn header_str<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

fn header_u64(h: &HeaderMap, name: &str) -> Option<u64> {
    header_str(h, name).and_then(|v| v.parse().ok())
}

/// Time until `x-ratelimit-reset` (epoch seconds), at least a second.
fn reset_wait(h: &HeaderMap) -> Option<Duration> {
    let reset = header_u64(h, "x-ratelimit-reset")?;
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0);
    Some(Duration::from_secs(reset.saturating_sub(now).max(1)))
}

/// What to do with one HTTP response.
fn judge(status: StatusCode, headers: HeaderMap, body: Vec<u8>, url: &str) -> Verdict {
    let message = || {
        serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_else(|| String::from_utf8_lossy(&body).chars().take(200).collect())
    };
    if status.is_success() {
        return Verdict::Done(Response {
            status,
            headers,
            body,
        });
    }
    let retry_after = header_u64(&headers, "retry-after").map(Duration::from_secs);
    let exhausted = header_u64(&headers, "x-ratelimit-remaining") == Some(0);
    match status.as_u16() {
        401 => Verdict::Fail(GithubError::BadCredentials {
            url: url.to_string(),
        }),
        403 | 429 if retry_after.is_some() => Verdict::Wait(
            retry_after.unwrap_or_default(),
            format!("secondary rate limit ({status})"),
        ),
        403 | 429 if exhausted => Verdict::Wait(
            reset_wait(&headers).unwrap_or(Duration::from_secs(60)),
            format!(
                "rate limit exhausted ({} resource)",
                header_str(&headers, "x-ratelimit-resource").unwrap_or("core")
            ),
        ),
        403 => Verdict::Fail(GithubError::Forbidden {
            url: url.to_string(),
            message: message(),
            permission: header_str(&headers, "x-accepted-github-permissions").map(str::to_string),
        }),
        404 => Verdict::Fail(GithubError::NotFound {
            what: String::from_utf8_lossy(&body).into_owned(),
        }),
        429 => Verdict::Wait(Duration::from_secs(60), "too many requests (429)".into()),
        s if s >= 500 => Verdict::Retry(format!("status {s}")),
        s => Verdict::Fail(GithubError::Malformed {
            url: url.to_string(),
            reason: format!("unexpected status {s}: {}", message()),
        }),
    }
}

fn parse(body: &[u8], url: &str) -> Result<Value, GithubError> {
    serde_json::from_slice(body).map_err(|e| GithubError::Malformed {
        url: url.to_string(),
        reason: format!("not JSON ({e})"),
    })
}

/// `(type, message with path)` of each GraphQL error.
fn graphql_errors(v: &Value) -> Vec<(String, String)> {
    let Some(errors) = v.get("errors").and_then(Value::as_array) else {
        return Vec::new();
    };
    errors
        .iter()
        .map(|e| {
            let kind = e
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let mut m = e
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("(no message)")
                .to_string();
            if let Some(path) = e.get("path").and_then(Value::as_array) {
                let path: Vec<String> = path
                    .iter()
                    .map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_string))
                    .collect();
                m = format!("{m} (at {})", path.join("."));
            }
            (kind, m)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    fn verdict(status: u16, h: &[(&'static str, &str)], body: &str) -> Verdict {
        judge(
            StatusCode::from_u16(status).unwrap(),
            headers(h),
            body.as_bytes().to_vec(),
            "https://api.github.com/x",
        )
    }

    #[test]
    fn errors_map_to_what_the_user_must_do() {
        let Verdict::Fail(e) = verdict(401, &[], r#"{"message":"Bad credentials"}"#) else {
            panic!("401 fails");
        };
        assert!(e.to_string().contains("401 Bad credentials"), "{e}");
        let Verdict::Fail(e) = verdict(
            403,
            &[("x-accepted-github-permissions", "administration=read")],
            r#"{"message":"Resource not accessible by personal access token"}"#,
        ) else {
            panic!("403 fails");
        };
        assert!(
            e.to_string()
                .contains("needs the permission `administration=read`")
                && e.to_string().contains("Resource not accessible"),
            "{e}"
        );
        assert!(matches!(
            verdict(404, &[], r#"{"message":"Not Found"}"#),
            Verdict::Fail(GithubError::NotFound { .. })
        ));
        assert!(
            matches!(verdict(502, &[], "<html>bad gateway</html>"), Verdict::Retry(r) if r == "status 502")
        );
    }

    #[test]
    fn rate_limits_are_waited_out() {
        let Verdict::Wait(d, why) = verdict(403, &[("retry-after", "7")], "{}") else {
            panic!("secondary limit waits");
        };
        assert_eq!(
            (d, why.contains("secondary")),
            (Duration::from_secs(7), true)
        );
        let reset = (chrono::Utc::now().timestamp() + 30).to_string();
        let Verdict::Wait(d, _) = verdict(
            403,
            &[
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", &reset),
            ],
            r#"{"message":"API rate limit exceeded"}"#,
        ) else {
            panic!("exhausted primary limit waits");
        };
        assert!((28..=30).contains(&d.as_secs()), "{d:?}");
    }

    #[test]
    fn graphql_errors_keep_type_and_path() {
        let v: Value = serde_json::from_str(
            r#"{"data":{"r0":null},"errors":[{"type":"NOT_FOUND","path":["r0"],"message":"Could not resolve to a Repository with the name 'acme/gone'."}]}"#,
        )
        .unwrap();
        assert_eq!(
            graphql_errors(&v),
            [(
                "NOT_FOUND".to_string(),
                "Could not resolve to a Repository with the name 'acme/gone'. (at r0)".to_string()
            )]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_past_the_deadline_ends_the_run_instead() {
        let c = Client::new(
            Endpoints {
                rest: "http://127.0.0.1:9".into(),
                graphql: "http://127.0.0.1:9/graphql".into(),
            },
            Duration::from_secs(1),
            1,
            Instant::now() + Duration::from_secs(10),
            CancellationToken::new(),
        )
        .unwrap();
        let e = c
            .pause(Duration::from_secs(60), "rate limit exhausted")
            .await
            .unwrap_err();
        assert!(e.to_string().contains("passes the run's deadline"), "{e}");
        c.pause(Duration::from_secs(5), "short").await.unwrap();
        assert_eq!(c.cost().rate_limit_wait_secs, 5);
    }
}
