//! `[github]`: what the `github-pull-requests` collector looks at and what protection it expects.

use serde::Deserialize;

/// The REST base URL of github.com.
pub const GITHUB_COM_API: &str = "https://api.github.com";

/// Secret holding a fine-grained personal access token (or any token GitHub accepts).
pub const TOKEN_SECRET: &str = "GITHUB_TOKEN";
/// Secret holding a GitHub App's private key (PEM), when `app_id` is set.
pub const APP_KEY_SECRET: &str = "GITHUB_APP_PRIVATE_KEY";

/// `[github]`, read by the `github-pull-requests` collector.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GithubSettings {
    /// The REST base URL: `https://api.github.com`, or `https://HOST/api/v3` for GitHub
    /// Enterprise Server (GraphQL is then read from `https://HOST/api/graphql`).
    #[serde(default = "default_api_url")]
    pub api_url: String,
    /// Organisations whose repositories are all in scope (archived ones included: their merged
    /// PRs are still changes of the window).
    #[serde(default)]
    pub organizations: Vec<String>,
    /// Single repositories in scope, as `OWNER/NAME`, besides those of `organizations`.
    #[serde(default)]
    pub repositories: Vec<String>,
    /// Base branches whose merged PRs are collected; empty means each repository's default branch.
    #[serde(default)]
    pub base_branches: Vec<String>,
    /// Expected protection: approving reviews required before merge.
    #[serde(default = "default_required_approving_reviews")]
    pub required_approving_reviews: u64,
    /// Expected protection: a code owner must approve.
    #[serde(default)]
    pub require_code_owner_review: bool,
    /// Expected protection: approvals are dismissed when new commits are pushed.
    #[serde(default)]
    pub dismiss_stale_reviews: bool,
    /// Expected protection: status checks (by context name) required before merge.
    #[serde(default)]
    pub required_checks: Vec<String>,
    /// GitHub App authentication: the app's id. With it, `installation_id` and the secret
    /// `GITHUB_APP_PRIVATE_KEY` are needed instead of `GITHUB_TOKEN`.
    #[serde(default)]
    pub app_id: Option<u64>,
    /// GitHub App authentication: the installation on the organisation.
    #[serde(default)]
    pub installation_id: Option<u64>,
    /// Most API requests in flight at once; GitHub's secondary limits punish bursts.
    #[serde(default = "default_max_concurrent_requests")]
    pub max_concurrent_requests: usize,
    /// PRs merged this recently are left to the next run: GitHub's search index lags behind.
    #[serde(default = "default_index_lag_secs")]
    pub index_lag_secs: u64,
    /// One HTTP request may take this long before it is retried.
    #[serde(default = "default_request_timeout_secs")]
    pub request_timeout_secs: u64,
}

fn default_api_url() -> String {
    GITHUB_COM_API.to_string()
}
fn default_required_approving_reviews() -> u64 {
    1
}
fn default_max_concurrent_requests() -> usize {
    4
}
fn default_index_lag_secs() -> u64 {
    300
}
fn default_request_timeout_secs() -> u64 {
    30
}

impl Default for GithubSettings {
    fn default() -> Self {
        GithubSettings {
            api_url: default_api_url(),
            organizations: Vec::new(),
            repositories: Vec::new(),
            base_branches: Vec::new(),
            required_approving_reviews: default_required_approving_reviews(),
            require_code_owner_review: false,
            dismiss_stale_reviews: false,
            required_checks: Vec::new(),
            app_id: None,
            installation_id: None,
            max_concurrent_requests: default_max_concurrent_requests(),
            index_lag_secs: default_index_lag_secs(),
            request_timeout_secs: default_request_timeout_secs(),
        }
    }
}

/// Where the two APIs live, from `api_url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// REST base, without a trailing `/`.
    pub rest: String,
    /// The GraphQL endpoint.
    pub graphql: String,
}

impl GithubSettings {
    /// github.com serves GraphQL at `<api>/graphql`; GHES at `/api/graphql`, beside `/api/v3`.
    pub fn endpoints(&self) -> Endpoints {
        let rest = self.api_url.trim_end_matches('/').to_string();
        let graphql = match rest.strip_suffix("/api/v3") {
            Some(host) => format!("{host}/api/graphql"),
            None => format!("{rest}/graphql"),
        };
        Endpoints { rest, graphql }
    }

    /// Every problem as (key under `github`, message), all at once.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        match self.api_url.split_once("://") {
            Some(("https", rest)) if !rest.is_empty() => {}
            Some(("http", rest)) if is_loopback_host(rest) => {}
            Some(("http", _)) => out.push((
                "api_url",
                format!(
                    "`{}` would send the token unencrypted; use `https://` (plain `http://` is only \
                     accepted on loopback, for tests)",
                    self.api_url
                ),
            )),
            _ => out.push((
                "api_url",
                format!(
                    "`{}` is not an http(s) URL; write `{GITHUB_COM_API}` or, for GitHub Enterprise \
                     Server, `https://HOST/api/v3`",
                    self.api_url
                ),
            )),
        }
        for org in &self.organizations {
            if !valid_login(org) {
                out.push((
                    "organizations",
                    format!("`{org}` is not a GitHub organisation login (letters, digits and `-`)"),
                ));
            }
        }
        for repo in &self.repositories {
            let ok = repo
                .split_once('/')
                .is_some_and(|(o, n)| valid_login(o) && valid_repo_name(n));
            if !ok {
                out.push((
                    "repositories",
                    format!("`{repo}` is not a repository; write it as `OWNER/NAME`"),
                ));
            }
        }
        if self.organizations.is_empty() && self.repositories.is_empty() {
            out.push((
                "organizations",
                "nothing to collect: list `organizations` and/or `repositories` (`OWNER/NAME`)"
                    .to_string(),
            ));
        }
        if self.app_id.is_some() != self.installation_id.is_some() {
            out.push((
                "installation_id",
                "GitHub App authentication needs both `app_id` and `installation_id`".to_string(),
            ));
        }
        if !(1..=10).contains(&self.max_concurrent_requests) {
            out.push((
                "max_concurrent_requests",
                format!(
                    "must be from 1 to 10, got {}: GitHub's secondary rate limits punish more",
                    self.max_concurrent_requests
                ),
            ));
        }
        if self.index_lag_secs > 86_400 {
            out.push((
                "index_lag_secs",
                format!("must be at most 86400, got {}", self.index_lag_secs),
            ));
        }
        if !(1..=600).contains(&self.request_timeout_secs) {
            out.push((
                "request_timeout_secs",
                format!("must be from 1 to 600, got {}", self.request_timeout_secs),
            ));
        }
        out
    }

    /// The secret the configured authentication needs.
    pub fn auth_secret(&self) -> &'static str {
        if self.app_id.is_some() {
            APP_KEY_SECRET
        } else {
            TOKEN_SECRET
        }
    }
}

fn is_loopback_host(rest: &str) -> bool {
    let authority = rest.split('/').next().unwrap_or("");
    let host = match authority.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => authority,
    };
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

/// GitHub logins: letters, digits and single hyphens, at most 39 characters.
fn valid_login(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 39
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !s.starts_with('-')
}

fn valid_repo_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s != "."
        && s != ".."
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(f: impl FnOnce(&mut GithubSettings)) -> GithubSettings {
        let mut s = GithubSettings {
            organizations: vec!["acme".into()],
            ..GithubSettings::default()
        };
        f(&mut s);
        s
    }

    #[test]
    fn github_com_and_enterprise_server_endpoints() {
        let e = with(|_| {}).endpoints();
        assert_eq!(e.rest, "https://api.github.com");
        assert_eq!(e.graphql, "https://api.github.com/graphql");
        let e = with(|s| s.api_url = "https://ghe.example.com/api/v3/".into()).endpoints();
        assert_eq!(e.rest, "https://ghe.example.com/api/v3");
        assert_eq!(e.graphql, "https://ghe.example.com/api/graphql");
    }

    #[test]
    fn every_problem_is_reported_with_its_key() {
        let s = with(|s| {
            s.api_url = "http://github.example.com".into();
            s.organizations = vec!["bad org".into()];
            s.repositories = vec!["no-slash".into(), "a/b".into()];
            s.app_id = Some(1);
            s.max_concurrent_requests = 0;
        });
        let keys: Vec<&str> = s.problems().iter().map(|(k, _)| *k).collect();
        assert_eq!(
            keys,
            [
                "api_url",
                "organizations",
                "repositories",
                "installation_id",
                "max_concurrent_requests"
            ]
        );
        assert!(with(|_| {}).problems().is_empty());
        assert!(
            with(|s| s.api_url = "http://127.0.0.1:8080".into())
                .problems()
                .is_empty()
        );
        let empty = with(|s| s.organizations.clear()).problems();
        assert!(empty[0].1.contains("nothing to collect"), "{empty:?}");
    }
}
