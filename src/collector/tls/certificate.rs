//! The served certificate chain: what each certificate says, whether the chain leads to a
//! trusted root, and whether the leaf names the endpoint.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use openssl::asn1::{Asn1Time, Asn1TimeRef};
use openssl::hash::MessageDigest;
use openssl::pkey::Id;
use openssl::stack::Stack;
use openssl::x509::store::{X509Store, X509StoreBuilder};
use openssl::x509::verify::X509VerifyFlags;
use openssl::x509::{X509, X509NameRef, X509Ref, X509StoreContext, X509VerifyResult};
use serde::Serialize;

use crate::vault::canonical;

/// Why the trust roots could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error(
        "cannot read the CA bundle `{path}` (`[tls] ca_file`): {source}; point it at a PEM file of trusted CA certificates"
    )]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the CA bundle `{path}` (`[tls] ca_file`) holds no PEM certificate ({detail}); point it at a PEM file of trusted CA certificates"
    )]
    Parse { path: PathBuf, detail: String },
    #[error(
        "no system trust store found (looked for the usual CA bundle files and folders); install ca-certificates, set SSL_CERT_FILE, or set `[tls] ca_file`"
    )]
    NoSystemRoots,
    #[error("building the trust store: {0}")]
    OpenSsl(#[from] openssl::error::ErrorStack),
}

/// The trust roots, as two stores: one checking validity dates as a client would, one not, so
/// an expired certificate is reported as expired and not also as an untrusted chain.
pub struct Trust {
    with_time: X509Store,
    without_time: X509Store,
    /// Where the roots came from, for tls.json and the run's parameters.
    pub source: String,
}

impl Trust {
    /// From `ca_file`, else the system's store as `openssl_probe` finds it (the vendored
    /// OpenSSL's compiled-in paths are not the system's).
    pub fn load(ca_file: Option<&Path>) -> Result<Trust, TrustError> {
        let (certs, dirs, source) = match ca_file {
            Some(path) => (read_bundle(path)?, Vec::new(), path.display().to_string()),
            None => {
                let probe = openssl_probe::probe();
                let certs = match &probe.cert_file {
                    Some(f) => read_bundle(f)?,
                    None => Vec::new(),
                };
                let dirs: Vec<PathBuf> = if certs.is_empty() {
                    probe.cert_dir.clone()
                } else {
                    Vec::new()
                };
                if certs.is_empty() && dirs.is_empty() {
                    return Err(TrustError::NoSystemRoots);
                }
                let source = match &probe.cert_file {
                    Some(f) if !certs.is_empty() => format!("system: {}", f.display()),
                    _ => format!(
                        "system: {}",
                        dirs.iter()
                            .map(|d| d.display().to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                (certs, dirs, source)
            }
        };
        let build = |flags: Option<X509VerifyFlags>| -> Result<X509Store, TrustError> {
            let mut b = X509StoreBuilder::new()?;
            for c in &certs {
                b.add_cert(c.clone())?;
            }
            if !dirs.is_empty() {
                let lookup = b.add_lookup(openssl::x509::store::X509Lookup::hash_dir())?;
                for d in &dirs {
                    if let Some(d) = d.to_str() {
                        lookup.add_dir(d, openssl::ssl::SslFiletype::PEM)?;
                    }
                }
            }
            if let Some(f) = flags {
                b.set_flags(f)?;
            }
            Ok(b.build())
        };
        Ok(Trust {
            with_time: build(None)?,
            without_time: build(Some(X509VerifyFlags::NO_CHECK_TIME))?,
            source,
        })
    }

    /// The verdict on a served chain (leaf first).
    pub fn verify(&self, chain: &[X509]) -> Validation {
        let Some((leaf, rest)) = chain.split_first() else {
            return Validation {
                trusted: false,
                error: Some("the server sent no certificate".into()),
                error_ignoring_dates: Some("the server sent no certificate".into()),
            };
        };
        Validation {
            trusted: false,
            error: verify_with(&self.with_time, leaf, rest),
            error_ignoring_dates: verify_with(&self.without_time, leaf, rest),
        }
        .settled()
    }
}

fn read_bundle(path: &Path) -> Result<Vec<X509>, TrustError> {
    let pem = std::fs::read(path).map_err(|source| TrustError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let certs = X509::stack_from_pem(&pem).map_err(|e| TrustError::Parse {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    if certs.is_empty() {
        return Err(TrustError::Parse {
            path: path.to_path_buf(),
            detail: "no `BEGIN CERTIFICATE` block".into(),
        });
    }
    Ok(certs)
}

/// `None` when the chain verifies, else OpenSSL's reason and the depth it applies to.
fn verify_with(store: &X509Store, leaf: &X509, rest: &[X509]) -> Option<String> {
    let run = || -> Result<Option<String>, openssl::error::ErrorStack> {
        let mut untrusted = Stack::new()?;
        for c in rest {
            untrusted.push(c.clone())?;
        }
        let mut ctx = X509StoreContext::new()?;
        ctx.init(store, leaf, &untrusted, |c| {
            Ok(if c.verify_cert()? {
                None
            } else {
                Some(format!(
                    "{} (certificate at depth {})",
                    c.error().error_string(),
                    c.error_depth()
                ))
            })
        })
    };
    match run() {
        Ok(v) => v,
        Err(e) => Some(format!("verification could not run: {e}")),
    }
}

/// Chain validation against the trust roots.
#[derive(Debug, Clone, Serialize)]
pub struct Validation {
    /// The chain verifies, dates included, as a client would see it.
    pub trusted: bool,
    /// OpenSSL's reason when it does not.
    pub error: Option<String>,
    /// The reason with validity dates ignored: set when the chain is untrusted for a reason
    /// other than an expired or not-yet-valid certificate.
    pub error_ignoring_dates: Option<String>,
}

impl Validation {
    fn settled(mut self) -> Validation {
        self.trusted = self.error.is_none();
        self
    }
}

/// One certificate of the chain, as tls.json records it.
#[derive(Debug, Clone, Serialize)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    /// Subject alternative names.
    pub sans: Sans,
    /// Hexadecimal, as `openssl x509 -serial` prints it.
    pub serial: String,
    pub not_before: String,
    pub not_after: String,
    /// Whole days from the probe to `not_after`; negative once expired.
    pub days_left: i64,
    pub key_type: String,
    pub key_bits: u32,
    /// The curve of an EC key.
    pub key_curve: Option<String>,
    pub signature_algorithm: String,
    /// `AB:CD:…`, as `openssl x509 -fingerprint -sha256` prints it.
    pub sha256_fingerprint: String,
    /// Issued by itself and signed with its own key.
    pub self_signed: bool,
    #[serde(skip)]
    pub not_before_at: Option<DateTime<Utc>>,
    #[serde(skip)]
    pub not_after_at: Option<DateTime<Utc>>,
}

/// DNS names and IP addresses a certificate is valid for.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Sans {
    pub dns: Vec<String>,
    pub ip: Vec<String>,
}

impl CertInfo {
    pub fn of(cert: &X509Ref, now: DateTime<Utc>) -> CertInfo {
        let not_before_at = time(cert.not_before());
        let not_after_at = time(cert.not_after());
        let pem_time = |t: Option<DateTime<Utc>>, raw: &Asn1TimeRef| {
            t.map_or_else(|| raw.to_string(), canonical::timestamp)
        };
        let (key_type, key_bits, key_curve) = match cert.public_key() {
            Ok(k) => {
                let curve = k
                    .ec_key()
                    .ok()
                    .and_then(|ec| ec.group().curve_name())
                    .and_then(|n| n.short_name().ok().map(str::to_string));
                (key_name(k.id()).to_string(), k.bits(), curve)
            }
            Err(_) => ("unreadable".to_string(), 0, None),
        };
        CertInfo {
            subject: name(cert.subject_name()),
            issuer: name(cert.issuer_name()),
            sans: sans(cert),
            serial: cert
                .serial_number()
                .to_bn()
                .and_then(|b| b.to_hex_str().map(|s| s.to_string()))
                .unwrap_or_default(),
            not_before: pem_time(not_before_at, cert.not_before()),
            not_after: pem_time(not_after_at, cert.not_after()),
            days_left: not_after_at.map_or(0, |t| (t - now).num_seconds().div_euclid(86_400)),
            key_type,
            key_bits,
            key_curve,
            signature_algorithm: cert
                .signature_algorithm()
                .object()
                .nid()
                .long_name()
                .map(str::to_string)
                .unwrap_or_else(|_| cert.signature_algorithm().object().to_string()),
            sha256_fingerprint: cert
                .digest(MessageDigest::sha256())
                .map(|d| {
                    d.iter()
                        .map(|b| format!("{b:02X}"))
                        .collect::<Vec<_>>()
                        .join(":")
                })
                .unwrap_or_default(),
            self_signed: cert.issued(cert) == X509VerifyResult::OK
                && cert
                    .public_key()
                    .and_then(|k| cert.verify(&k))
                    .unwrap_or(false),
            not_before_at,
            not_after_at,
        }
    }

    /// RSA and DSA keys are judged by `min_rsa`, EC keys by `min_ec`; Ed25519/Ed448 are strong.
    pub fn weak_key(&self, min_rsa: u32, min_ec: u32) -> Option<u32> {
        let min = match self.key_type.as_str() {
            "RSA" | "RSA-PSS" | "DSA" | "DH" => min_rsa,
            "EC" => min_ec,
            _ => return None,
        };
        (self.key_bits < min).then_some(min)
    }
}

fn key_name(id: Id) -> &'static str {
    match id {
        Id::RSA => "RSA",
        Id::RSA_PSS => "RSA-PSS",
        Id::DSA => "DSA",
        Id::DH => "DH",
        Id::EC => "EC",
        Id::ED25519 => "Ed25519",
        Id::ED448 => "Ed448",
        _ => "other",
    }
}

/// `C=US, O=Example, CN=www.example.com`, in the certificate's order.
fn name(n: &X509NameRef) -> String {
    n.entries()
        .map(|e| {
            let key = e
                .object()
                .nid()
                .short_name()
                .map(str::to_string)
                .unwrap_or_else(|_| e.object().to_string());
            let value = e
                .data()
                .to_string()
                .unwrap_or_else(|_| hex::encode(e.data().as_slice()));
            format!("{key}={value}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn sans(cert: &X509Ref) -> Sans {
    let mut out = Sans::default();
    for gn in cert.subject_alt_names().iter().flatten() {
        if let Some(d) = gn.dnsname() {
            out.dns.push(d.to_string());
        } else if let Some(ip) = gn.ipaddress() {
            match ip_of(ip) {
                Some(ip) => out.ip.push(ip.to_string()),
                None => out.ip.push(hex::encode(ip)),
            }
        }
    }
    out
}

fn ip_of(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

/// An ASN.1 time as UTC, via its distance from the Unix epoch.
fn time(t: &Asn1TimeRef) -> Option<DateTime<Utc>> {
    let epoch = Asn1Time::from_unix(0).ok()?;
    let d = epoch.diff(t).ok()?;
    DateTime::from_timestamp(i64::from(d.days) * 86_400 + i64::from(d.secs), 0)
}

/// Whether the leaf is valid for `expected` (a DNS name, or an IP address matched against IP
/// SANs only). The subject CN is not consulted, as browsers no longer do (RFC 6125 6.4.4).
pub fn name_matches(leaf: &CertInfo, expected: &str) -> bool {
    if let Ok(ip) = expected.parse::<IpAddr>() {
        return leaf
            .sans
            .ip
            .iter()
            .any(|s| s.parse::<IpAddr>().is_ok_and(|s| s == ip));
    }
    let want = expected.trim_end_matches('.').to_ascii_lowercase();
    leaf.sans.dns.iter().any(|p| dns_matches(p, &want))
}

/// RFC 6125 6.4.3 as browsers apply it: a wildcard only as the whole leftmost label, standing
/// for exactly one label, and never directly under a public suffix-like single label.
fn dns_matches(pattern: &str, name: &str) -> bool {
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(base) => {
            if !base.contains('.') || base.contains('*') {
                return false;
            }
            match name.split_once('.') {
                Some((first, rest)) => !first.is_empty() && rest == base,
                None => false,
            }
        }
        None => !pattern.contains('*') && pattern == name,
    }
}

/// The PEM chain as served, leaf first.
pub fn pem_chain(chain: &[X509]) -> Vec<u8> {
    let mut out = Vec::new();
    for c in chain {
        if let Ok(pem) = c.to_pem() {
            out.extend_from_slice(&pem);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_cover_one_leftmost_label_only() {
        assert!(dns_matches("*.example.com", "www.example.com"));
        assert!(dns_matches("WWW.Example.com.", "www.example.com"));
        assert!(!dns_matches("*.example.com", "example.com"));
        assert!(!dns_matches("*.example.com", "a.b.example.com"));
        assert!(!dns_matches("*.com", "example.com"));
        assert!(!dns_matches("w*.example.com", "www.example.com"));
        assert!(!dns_matches("www.*.com", "www.example.com"));
    }

    #[test]
    fn ip_addresses_match_ip_sans_only() {
        let leaf = CertInfo {
            subject: String::new(),
            issuer: String::new(),
            sans: Sans {
                dns: vec!["127.0.0.1".into()],
                ip: vec!["::1".into()],
            },
            serial: String::new(),
            not_before: String::new(),
            not_after: String::new(),
            days_left: 0,
            key_type: "EC".into(),
            key_bits: 256,
            key_curve: None,
            signature_algorithm: String::new(),
            sha256_fingerprint: String::new(),
            self_signed: false,
            not_before_at: None,
            not_after_at: None,
        };
        assert!(!name_matches(&leaf, "127.0.0.1"));
        assert!(name_matches(&leaf, "0:0::1"));
        assert_eq!(leaf.weak_key(2048, 384), Some(384));
        assert_eq!(leaf.weak_key(2048, 256), None);
    }
}
