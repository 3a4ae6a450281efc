//! `github-pull-requests` (CC8.1): every pull request merged in the audit window with its
//! reviews and checks, the population as CSV, and the protection of the branches merged into.
//! docs/collectors/github.md is the user's page.
//!
//! - [`config`]: `[github]`, its checks and the API endpoints (github.com or GHES).
//! - [`client`]: HTTP with retries, rate-limit waits, deadline and cost accounting.
//! - [`app`]: GitHub App installation tokens.
//! - [`queries`]: the GraphQL documents (`queries/*.graphql`).
//! - [`model`]: GitHub's objects as read.
//! - [`protection`]: classic protection and rulesets folded into what a branch requires.
//! - [`findings`]: the exceptions per PR and per branch.
//! - [`population`]: the population CSV.
//! - [`state`]: watermarks and search ranges.
//! - [`run`]: one run, start to end.

mod app;
pub mod client;
pub mod config;
pub mod findings;
pub mod model;
pub mod population;
pub mod protection;
mod queries;
mod run;
pub mod state;

pub use config::GithubSettings;

use async_trait::async_trait;

use super::{CollectError, Collected, Collector, Descriptor, Kind, RunContext};
use crate::vault::StagedRun;

/// The collector's name in the config, the vault and the CLI.
pub const NAME: &str = "github-pull-requests";

/// The built-in GitHub change-management collector.
pub struct GithubPullRequests {
    descriptor: Descriptor,
}

impl Default for GithubPullRequests {
    fn default() -> Self {
        GithubPullRequests {
            descriptor: Descriptor {
                name: NAME.to_string(),
                version: crate::AGENT_VERSION.to_string(),
                description:
                    "Merged pull requests with reviews and checks, and branch protection (GitHub)"
                        .to_string(),
                kind: Kind::BuiltIn,
                criteria: vec!["CC8.1".to_string()],
                default_schedule: "0 30 2 * * *".to_string(),
                timeout: None,
                // Token or App key, depending on `[github]`: the run says which is missing.
                required_secrets: Vec::new(),
            },
        }
    }
}

#[async_trait]
impl Collector for GithubPullRequests {
    fn descriptor(&self) -> &Descriptor {
        &self.descriptor
    }

    async fn collect(
        &self,
        ctx: &RunContext,
        staged: &mut StagedRun,
    ) -> Result<Collected, CollectError> {
        let Some(settings) = &ctx.config.github else {
            return Err(CollectError::not_configured(
                NAME,
                "a `[github]` section listing `organizations` or `repositories`",
                "github",
            ));
        };
        run::collect(ctx, staged, settings).await
    }
}
