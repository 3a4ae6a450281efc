//! `[tls]`: the endpoints the `tls-endpoints` collector probes and what it expects of them.

use serde::Deserialize;

/// `[tls]`, read by the `tls-endpoints` collector.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSettings {
    /// The endpoints probed on every run.
    #[serde(default)]
    pub endpoints: Vec<TlsEndpoint>,
    /// A certificate that expires within this many days is a finding.
    #[serde(default = "default_expiry_warning_days")]
    pub expiry_warning_days: u32,
}

impl Default for TlsSettings {
    fn default() -> Self {
        TlsSettings {
            endpoints: Vec::new(),
            expiry_warning_days: default_expiry_warning_days(),
        }
    }
}

fn default_expiry_warning_days() -> u32 {
    30
}

/// `[[tls.endpoints]]`: one TLS service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsEndpoint {
    /// Host name or IP address to connect to.
    pub host: String,
    /// TCP port.
    #[serde(default = "default_port")]
    pub port: u16,
}

fn default_port() -> u16 {
    443
}

impl TlsSettings {
    /// Problems as (key relative to `[tls]`, message).
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if self.endpoints.is_empty() {
            out.push((
                "endpoints".into(),
                "no endpoints to probe; add `[[tls.endpoints]]` with a `host`".into(),
            ));
        }
        for (i, e) in self.endpoints.iter().enumerate() {
            if e.host.trim().is_empty() {
                out.push((
                    format!("endpoints[{i}].host"),
                    "empty host; write a DNS name or IP address".into(),
                ));
            }
        }
        out
    }
}
