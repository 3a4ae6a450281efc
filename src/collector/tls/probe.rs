//! One endpoint probed (blocking; the run calls it in `spawn_blocking`): a handshake pinned to
//! each protocol version, newest first; on the first accepted one the certificate chain is taken
//! and the HSTS request made, so a probe costs four handshakes.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use openssl::ssl::{
    HandshakeError, Ssl, SslContext, SslMethod, SslStream, SslVerifyMode, SslVersion,
};
use openssl::x509::X509;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::config::TlsEndpoint;
use super::hsts::{self, Hsts};

/// The versions probed, oldest first (the order of tls.json's `protocols`).
pub const VERSIONS: [Version; 4] = [
    Version::Tls10,
    Version::Tls11,
    Version::Tls12,
    Version::Tls13,
];

/// The most bytes of HTTP response headers read for HSTS.
const MAX_HEADER_BYTES: usize = 16 * 1024;

/// A TLS protocol version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Version {
    Tls10,
    Tls11,
    Tls12,
    Tls13,
}

impl Version {
    pub fn as_str(self) -> &'static str {
        match self {
            Version::Tls10 => "TLSv1.0",
            Version::Tls11 => "TLSv1.1",
            Version::Tls12 => "TLSv1.2",
            Version::Tls13 => "TLSv1.3",
        }
    }

    /// As people write it: `TLS 1.0`.
    pub fn label(self) -> &'static str {
        match self {
            Version::Tls10 => "TLS 1.0",
            Version::Tls11 => "TLS 1.1",
            Version::Tls12 => "TLS 1.2",
            Version::Tls13 => "TLS 1.3",
        }
    }

    fn openssl(self) -> SslVersion {
        match self {
            Version::Tls10 => SslVersion::TLS1,
            Version::Tls11 => SslVersion::TLS1_1,
            Version::Tls12 => SslVersion::TLS1_2,
            Version::Tls13 => SslVersion::TLS1_3,
        }
    }
}

/// One client context per version, built once per run and shared by every endpoint.
pub struct Clients {
    contexts: Vec<(Version, SslContext)>,
}

impl Clients {
    /// Contexts pinned to one version each, at security level 0 so legacy protocols and ciphers
    /// can be offered at all (judging them is the findings' job). Certificates are not verified
    /// during the handshake: the served chain is verified afterwards, so an untrusted chain is
    /// recorded rather than refused.
    pub fn new() -> Result<Clients, openssl::error::ErrorStack> {
        let mut contexts = Vec::new();
        for v in VERSIONS {
            let mut b = SslContext::builder(SslMethod::tls_client())?;
            b.set_min_proto_version(Some(v.openssl()))?;
            b.set_max_proto_version(Some(v.openssl()))?;
            b.set_security_level(0);
            b.set_cipher_list("DEFAULT:@SECLEVEL=0")?;
            b.set_verify(SslVerifyMode::NONE);
            contexts.push((v, b.build()));
        }
        Ok(Clients { contexts })
    }
}

/// What one pinned handshake showed.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    /// The version offered (the only one).
    pub version: &'static str,
    pub accepted: bool,
    /// As the server negotiated it, when accepted.
    pub negotiated_version: Option<String>,
    /// The cipher suite negotiated, when accepted.
    pub cipher: Option<String>,
    /// Why not accepted: the server's alert or the connection error.
    pub error: Option<String>,
}

/// Everything learnt from one endpoint on the wire.
#[derive(Debug, Default)]
pub struct Probe {
    /// The address connected to.
    pub address: Option<SocketAddr>,
    /// Set when no TCP connection could be made (or name resolution failed): nothing else was
    /// probed.
    pub unreachable: Option<String>,
    /// Set when the endpoint's time ran out part way, or the run was stopped.
    pub cut_short: Option<String>,
    /// Per version, oldest first; versions not probed are absent.
    pub attempts: Vec<(Version, Attempt)>,
    /// TLS handshakes started.
    pub handshakes: u32,
    /// The chain as served, leaf first, from the newest accepted version.
    pub chain: Vec<X509>,
    /// The HSTS check, when the endpoint is HTTPS and a version was accepted.
    pub hsts: Option<Hsts>,
}

/// Probes `endpoint` until `timeout` has passed, `cancel` fires or `deadline` is reached.
pub fn probe(
    endpoint: &TlsEndpoint,
    clients: &Clients,
    timeout: Duration,
    deadline: Instant,
    cancel: &CancellationToken,
) -> Probe {
    let mut out = Probe::default();
    let until = deadline.min(Instant::now() + timeout);
    let address = match (endpoint.host.as_str(), endpoint.port).to_socket_addrs() {
        Ok(mut addrs) => match addrs.next() {
            Some(a) => a,
            None => {
                out.unreachable = Some(format!("`{}` resolves to no address", endpoint.host));
                return out;
            }
        },
        Err(e) => {
            out.unreachable = Some(format!("cannot resolve `{}`: {e}", endpoint.host));
            return out;
        }
    };
    out.address = Some(address);
    let mut best_taken = false;
    for (version, ctx) in clients.contexts.iter().rev() {
        if cancel.is_cancelled() {
            out.cut_short = Some("the run was stopped".into());
            break;
        }
        let Some(left) = until
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
        else {
            out.cut_short = Some(format!(
                "the endpoint's {}s ran out before {} was probed",
                timeout.as_secs(),
                version.label()
            ));
            break;
        };
        let tcp = match TcpStream::connect_timeout(&address, left) {
            Ok(s) => s,
            Err(e) if out.attempts.is_empty() => {
                out.unreachable = Some(connect_error(&address, &e, timeout));
                return out;
            }
            Err(e) => {
                out.attempts.push((
                    *version,
                    refused(*version, connect_error(&address, &e, timeout)),
                ));
                continue;
            }
        };
        let io_limit = until
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1));
        // Timeouts only fail on a platform that rejects them; the connect above bounded the rest.
        let _ = tcp.set_read_timeout(Some(io_limit));
        let _ = tcp.set_write_timeout(Some(io_limit));
        out.handshakes += 1;
        let attempt = handshake(ctx, endpoint, tcp);
        match attempt {
            Ok(mut stream) => {
                let ssl = stream.ssl();
                out.attempts.push((
                    *version,
                    Attempt {
                        version: version.as_str(),
                        accepted: true,
                        negotiated_version: Some(ssl.version_str().to_string()),
                        cipher: ssl.current_cipher().map(|c| c.name().to_string()),
                        error: None,
                    },
                ));
                if !best_taken {
                    best_taken = true;
                    out.chain = served_chain(&stream);
                    if endpoint.checks_hsts() {
                        out.hsts = Some(request_hsts(&mut stream, endpoint));
                    }
                }
                let _ = stream.shutdown();
            }
            Err(reason) => out.attempts.push((*version, refused(*version, reason))),
        }
    }
    out.attempts.sort_by_key(|(v, _)| *v);
    out
}

fn refused(version: Version, error: String) -> Attempt {
    Attempt {
        version: version.as_str(),
        accepted: false,
        negotiated_version: None,
        cipher: None,
        error: Some(error),
    }
}

fn connect_error(address: &SocketAddr, e: &std::io::Error, timeout: Duration) -> String {
    match e.kind() {
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => format!(
            "no TCP connection to {address} within {}s (timed out)",
            timeout.as_secs()
        ),
        _ => format!("no TCP connection to {address}: {e}"),
    }
}

fn handshake(
    ctx: &SslContext,
    endpoint: &TlsEndpoint,
    tcp: TcpStream,
) -> Result<SslStream<TcpStream>, String> {
    let mut ssl = Ssl::new(ctx).map_err(|e| e.to_string())?;
    if let Some(name) = endpoint.server_name() {
        ssl.set_hostname(name).map_err(|e| e.to_string())?;
    }
    ssl.connect(tcp).map_err(|e| match e {
        HandshakeError::SetupFailure(e) => e.to_string(),
        // A blocking socket only "would block" when its read or write timeout fired.
        HandshakeError::WouldBlock(_) => "the handshake timed out".to_string(),
        HandshakeError::Failure(mid) => {
            let err = mid.error();
            match (err.io_error(), err.ssl_error()) {
                (Some(io), _) if io.kind() == std::io::ErrorKind::TimedOut => {
                    "the handshake timed out".to_string()
                }
                (Some(io), _) => format!("connection error during the handshake: {io}"),
                (None, Some(stack)) if !stack.errors().is_empty() => stack
                    .errors()
                    .iter()
                    .map(|e| e.reason().unwrap_or("unknown error").to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
                _ => "the server closed the connection during the handshake".to_string(),
            }
        }
    })
}

/// The chain as the server sent it, leaf first.
fn served_chain(stream: &SslStream<TcpStream>) -> Vec<X509> {
    let ssl = stream.ssl();
    match ssl.peer_cert_chain() {
        // On the client side the stack includes the leaf.
        Some(stack) if !stack.is_empty() => stack.iter().map(|c| c.to_owned()).collect(),
        _ => ssl.peer_certificate().into_iter().collect(),
    }
}

fn request_hsts(stream: &mut SslStream<TcpStream>, endpoint: &TlsEndpoint) -> Hsts {
    let host = endpoint.expected_name();
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    let host = if endpoint.port == 443 {
        host
    } else {
        format!("{host}:{}", endpoint.port)
    };
    let request = format!(
        "HEAD / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: evidence-agent/{}\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        crate::AGENT_VERSION
    );
    if let Err(e) = stream.write_all(request.as_bytes()) {
        return Hsts::failed(format!("could not send the HTTP request: {e}"));
    }
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = hsts::header_end(&buf) {
            buf.truncate(end);
            break;
        }
        if buf.len() >= MAX_HEADER_BYTES {
            return Hsts::failed(format!(
                "the response headers are longer than {MAX_HEADER_BYTES} bytes"
            ));
        }
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if buf.is_empty() => {
                return Hsts::failed(format!("no HTTP response to `HEAD /`: {e}"));
            }
            Err(_) => break,
        }
    }
    hsts::parse_response(&buf)
}
