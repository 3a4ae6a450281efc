//! `tls-endpoints` (CC6.7): the TLS configuration each configured endpoint serves: protocol
//! versions accepted, negotiated cipher, certificate chain, chain and name validation, HSTS.
//! docs/collectors/tls-endpoints.md is the user's page.
//!
//! - [`config`]: `[tls]`: endpoints, profile, limits.

pub mod config;

pub use config::TlsSettings;

use async_trait::async_trait;

use super::{CollectError, Collected, Collector, Descriptor, Kind, RunContext};
use crate::vault::StagedRun;

/// The collector's name in the config, the vault and the CLI.
pub const NAME: &str = "tls-endpoints";

/// The built-in TLS endpoint collector.
pub struct TlsEndpoints {
    descriptor: Descriptor,
}

impl Default for TlsEndpoints {
    fn default() -> Self {
        TlsEndpoints {
            descriptor: Descriptor {
                name: NAME.to_string(),
                version: crate::AGENT_VERSION.to_string(),
                description: "TLS protocols, ciphers, certificate chains and HSTS of endpoints"
                    .to_string(),
                kind: Kind::BuiltIn,
                criteria: vec!["CC6.7".into()],
                default_schedule: "0 30 2 * * *".to_string(),
                timeout: None,
                required_secrets: Vec::new(),
            },
        }
    }
}

#[async_trait]
impl Collector for TlsEndpoints {
    fn descriptor(&self) -> &Descriptor {
        &self.descriptor
    }

    async fn collect(
        &self,
        ctx: &RunContext,
        _staged: &mut StagedRun,
    ) -> Result<Collected, CollectError> {
        let Some(_settings) = &ctx.config.tls else {
            return Err(CollectError::Skipped(
                "not configured: add a `[tls]` section with `[[tls.endpoints]]` (see \
                 docs/collectors/tls-endpoints.md), or set `enabled = false` in \
                 `[collectors.tls-endpoints]`"
                    .to_string(),
            ));
        };
        // Replaced by the probe in the next commits of this branch.
        Err(CollectError::Failed {
            reason: "the TLS probe is not built yet".into(),
            partial: Box::default(),
        })
    }
}
