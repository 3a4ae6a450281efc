//! `tls-endpoints` (CC6.7): the TLS configuration each configured endpoint serves: protocol
//! versions accepted, negotiated cipher, certificate chain, chain and name validation, HSTS.
//! docs/collectors/tls-endpoints.md is the user's page.
//!
//! - [`config`]: `[tls]`: endpoints, profile, limits.
//! - [`probe`]: the handshakes pinned to each protocol version, the served chain, the HSTS request.
//! - [`certificate`]: what each certificate says, chain validation, the hostname check.
//! - [`hsts`]: the `Strict-Transport-Security` header.
//! - [`findings`]: the exceptions per endpoint.
//! - [`run`]: one run over every endpoint.

pub mod certificate;
pub mod config;
pub mod findings;
pub mod hsts;
pub mod probe;
mod run;

pub use config::TlsSettings;
pub use run::COLUMNS as ENDPOINT_COLUMNS;

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
        staged: &mut StagedRun,
    ) -> Result<Collected, CollectError> {
        let Some(settings) = &ctx.config.tls else {
            return Err(CollectError::not_configured(
                NAME,
                "a `[tls]` section with `[[tls.endpoints]]`",
                "tls-endpoints",
            ));
        };
        run::collect(ctx, staged, settings).await
    }
}
