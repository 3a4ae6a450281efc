//! `[tls]`: the endpoints the `tls-endpoints` collector probes and what it expects of them.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;

use serde::Deserialize;

/// `[tls]`, read by the `tls-endpoints` collector.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSettings {
    /// The endpoints probed on every run.
    #[serde(default)]
    pub endpoints: Vec<TlsEndpoint>,
    /// The protocol versions an endpoint may accept: Mozilla's `intermediate` (TLS 1.2 and
    /// 1.3) or `modern` (TLS 1.3 only). Anything older accepted is a finding.
    #[serde(default)]
    pub profile: Profile,
    /// A certificate that expires within this many days is a finding.
    #[serde(default = "default_expiry_warning_days")]
    pub expiry_warning_days: u32,
    /// RSA and DSA keys shorter than this many bits are a finding.
    #[serde(default = "default_min_rsa_bits")]
    pub min_rsa_bits: u32,
    /// Elliptic-curve keys shorter than this many bits are a finding.
    #[serde(default = "default_min_ec_bits")]
    pub min_ec_bits: u32,
    /// A PEM bundle of the CAs trusted to issue the endpoints' certificates (relative to the
    /// config file's folder). Unset: the system's trust store.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Endpoints probed at the same time.
    #[serde(default = "default_max_concurrent")]
    pub max_concurrent: usize,
    /// Time allowed for each endpoint: every connection and handshake it takes, together.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
}

impl Default for TlsSettings {
    fn default() -> Self {
        TlsSettings {
            endpoints: Vec::new(),
            profile: Profile::default(),
            expiry_warning_days: default_expiry_warning_days(),
            min_rsa_bits: default_min_rsa_bits(),
            min_ec_bits: default_min_ec_bits(),
            ca_file: None,
            max_concurrent: default_max_concurrent(),
            timeout_secs: default_timeout_secs(),
        }
    }
}

fn default_expiry_warning_days() -> u32 {
    30
}
fn default_min_rsa_bits() -> u32 {
    2048
}
fn default_min_ec_bits() -> u32 {
    256
}
fn default_max_concurrent() -> usize {
    8
}
fn default_timeout_secs() -> u64 {
    10
}

/// The protocol profile endpoints are judged against (Mozilla's server-side TLS guidelines).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// TLS 1.2 and 1.3.
    #[default]
    Intermediate,
    /// TLS 1.3 only.
    Modern,
}

impl Profile {
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Intermediate => "intermediate",
            Profile::Modern => "modern",
        }
    }
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
    /// The server name sent (SNI) and checked against the certificate. Unset: `host`, unless
    /// `host` is an IP address (then no SNI is sent and the certificate's IP SANs are checked).
    #[serde(default)]
    pub sni: Option<String>,
    /// Ask for `/` over HTTPS and check the `Strict-Transport-Security` header. Unset: true on
    /// port 443.
    #[serde(default)]
    pub https: Option<bool>,
    /// A label for people (e.g. `public website`), shown in tls.json and endpoints.csv.
    #[serde(default)]
    pub name: Option<String>,
}

fn default_port() -> u16 {
    443
}

impl TlsEndpoint {
    /// The server name sent as SNI, if any.
    pub fn server_name(&self) -> Option<&str> {
        match &self.sni {
            Some(s) => Some(s.as_str()),
            None if self.host.parse::<IpAddr>().is_ok() => None,
            None => Some(self.host.as_str()),
        }
    }

    /// The name the certificate must match: the SNI name, else the host (an IP address).
    pub fn expected_name(&self) -> &str {
        self.server_name().unwrap_or(&self.host)
    }

    pub fn checks_hsts(&self) -> bool {
        self.https.unwrap_or(self.port == 443)
    }

    /// `host:port` (`[v6]:port`), the subject of every finding about the endpoint.
    pub fn subject(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The endpoint's folder under `endpoints/`: `<host>_<port>`, with anything but letters,
    /// digits, `.` and `-` replaced by `_` so it is one safe path segment.
    pub fn folder(&self) -> String {
        let host: String = self
            .host
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let host = host.trim_start_matches('.');
        format!("{host}_{}", self.port)
    }
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
        let mut folders: BTreeMap<String, usize> = BTreeMap::new();
        for (i, e) in self.endpoints.iter().enumerate() {
            let host = e.host.trim();
            if host.is_empty() {
                out.push((
                    format!("endpoints[{i}].host"),
                    "empty host; write a DNS name or IP address".into(),
                ));
            } else if host != e.host || host.contains(['/', ' ']) || host.starts_with('[') {
                out.push((
                    format!("endpoints[{i}].host"),
                    format!(
                        "`{}` is not a host name or IP address; write e.g. `www.example.com` or `192.0.2.10` (no scheme, path, port or brackets)",
                        e.host
                    ),
                ));
            }
            if e.port == 0 {
                out.push((
                    format!("endpoints[{i}].port"),
                    "port 0 cannot be connected to; write the TLS port (e.g. 443)".into(),
                ));
            }
            if let Some(sni) = &e.sni
                && (sni.trim().is_empty() || sni.parse::<IpAddr>().is_ok())
            {
                out.push((
                    format!("endpoints[{i}].sni"),
                    format!(
                        "`{sni}` is not a server name; SNI is a DNS name (leave `sni` out for an IP address)"
                    ),
                ));
            }
            if !host.is_empty()
                && let Some(first) = folders.insert(e.folder(), i)
            {
                out.push((
                    format!("endpoints[{i}]"),
                    format!(
                        "`{}` is listed twice (also endpoints[{first}]); list each host and port once",
                        e.subject()
                    ),
                ));
            }
        }
        if self.max_concurrent == 0 {
            out.push((
                "max_concurrent".into(),
                "0 would probe nothing; write at least 1".into(),
            ));
        }
        if self.timeout_secs == 0 {
            out.push((
                "timeout_secs".into(),
                "0 leaves no time to connect; write the seconds allowed per endpoint (e.g. 10)"
                    .into(),
            ));
        }
        if self.min_rsa_bits > 16384 || self.min_ec_bits > 571 {
            out.push((
                if self.min_rsa_bits > 16384 {
                    "min_rsa_bits"
                } else {
                    "min_ec_bits"
                }
                .into(),
                "no certificate has a key that long; use e.g. 2048 (RSA) and 256 (EC)".into(),
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(host: &str, port: u16) -> TlsEndpoint {
        TlsEndpoint {
            host: host.into(),
            port,
            sni: None,
            https: None,
            name: None,
        }
    }

    #[test]
    fn sni_hsts_subject_and_folder_follow_the_host() {
        let web = endpoint("www.example.com", 443);
        assert_eq!(web.server_name(), Some("www.example.com"));
        assert!(web.checks_hsts());
        assert_eq!(web.subject(), "www.example.com:443");
        let ip = endpoint("2001:db8::1", 8443);
        assert_eq!(ip.server_name(), None);
        assert_eq!(ip.expected_name(), "2001:db8::1");
        assert!(!ip.checks_hsts());
        assert_eq!(ip.subject(), "[2001:db8::1]:8443");
        assert_eq!(ip.folder(), "2001_db8__1_8443");
        assert_eq!(endpoint("../etc", 1).folder(), "_etc_1");
    }

    #[test]
    fn problems_name_the_key() {
        let settings = TlsSettings {
            endpoints: vec![
                endpoint("https://x", 0),
                TlsEndpoint {
                    sni: Some("10.0.0.1".into()),
                    ..endpoint("a.example", 443)
                },
                endpoint("a.example", 443),
            ],
            timeout_secs: 0,
            ..TlsSettings::default()
        };
        let keys: Vec<String> = settings.problems().into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            [
                "endpoints[0].host",
                "endpoints[0].port",
                "endpoints[1].sni",
                "endpoints[2]",
                "timeout_secs"
            ]
        );
    }
}
