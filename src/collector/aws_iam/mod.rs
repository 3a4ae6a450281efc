//! `aws-iam` (CC6.1–CC6.3): per AWS account, the IAM credential report as AWS returns it, the
//! account summary, the password policy, users with MFA and keys, and the access findings.
//! docs/collectors/aws-iam.md is the user's page.
//!
//! - [`config`]: `[aws]`: endpoint, region, accounts, ages and the expected password policy.
//! - [`client`]: credentials (standard chain, assumed roles), request counting, AWS errors.
//! - [`report`]: the credential report CSV parser.
//! - [`findings`]: the exceptions per user, root and password policy.
//! - [`users`]: users.json and users.csv.
//! - [`run`]: one run over every account.

pub mod client;
pub mod config;
pub mod findings;
pub mod report;
mod run;
pub mod users;

pub use config::AwsSettings;

use async_trait::async_trait;

use super::{CollectError, Collected, Collector, Descriptor, Kind, RunContext};
use crate::vault::StagedRun;

/// The collector's name in the config, the vault and the CLI.
pub const NAME: &str = "aws-iam";

/// The built-in AWS IAM access collector.
pub struct AwsIam {
    descriptor: Descriptor,
}

impl Default for AwsIam {
    fn default() -> Self {
        AwsIam {
            descriptor: Descriptor {
                name: NAME.to_string(),
                version: crate::AGENT_VERSION.to_string(),
                description:
                    "IAM credential report, users, MFA, access keys, root and password policy (AWS)"
                        .to_string(),
                kind: Kind::BuiltIn,
                criteria: vec!["CC6.1".into(), "CC6.2".into(), "CC6.3".into()],
                default_schedule: "0 15 2 * * *".to_string(),
                timeout: None,
                // The standard AWS credential chain, not agent secrets: the run says what to set.
                required_secrets: Vec::new(),
            },
        }
    }
}

#[async_trait]
impl Collector for AwsIam {
    fn descriptor(&self) -> &Descriptor {
        &self.descriptor
    }

    async fn collect(
        &self,
        ctx: &RunContext,
        staged: &mut StagedRun,
    ) -> Result<Collected, CollectError> {
        let Some(settings) = &ctx.config.aws else {
            return Err(CollectError::not_configured(
                NAME,
                "an `[aws]` section",
                "aws-iam",
            ));
        };
        run::collect(ctx, staged, settings).await
    }
}
