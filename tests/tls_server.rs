//! Real TLS peers on loopback for the `tls-endpoints` tests: certificates made with the openssl
//! crate, servers built with it (any protocol range, an HTTP answer with or without HSTS), and
//! the system's `openssl s_server`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::ssl::{Ssl, SslContext, SslMethod, SslVersion};
use openssl::x509::extension::{BasicConstraints, KeyUsage, SubjectAlternativeName};
use openssl::x509::{X509, X509NameBuilder};

const DAY: i64 = 86_400;

/// A certificate and its key.
pub struct Issued {
    pub cert: X509,
    pub key: PKey<Private>,
}

impl Issued {
    /// Writes `<name>.pem` (certificate) and `<name>.key` into `dir`.
    pub fn write(&self, dir: &Path, name: &str) -> (PathBuf, PathBuf) {
        let cert = dir.join(format!("{name}.pem"));
        let key = dir.join(format!("{name}.key"));
        std::fs::write(&cert, self.cert.to_pem().unwrap()).unwrap();
        std::fs::write(&key, self.key.private_key_to_pem_pkcs8().unwrap()).unwrap();
        (cert, key)
    }
}

pub fn ec_key() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
}

pub fn rsa_key(bits: u32) -> PKey<Private> {
    PKey::from_rsa(Rsa::generate(bits).unwrap()).unwrap()
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// What a certificate to make looks like.
pub struct Spec<'a> {
    pub cn: &'a str,
    /// DNS names, or IP addresses where they parse as one.
    pub sans: &'a [&'a str],
    /// Valid from now plus this many seconds (negative: in the past).
    pub from_secs: i64,
    /// Valid until now plus this many seconds.
    pub until_secs: i64,
    pub ca: bool,
}

impl Spec<'_> {
    /// A leaf valid from yesterday for 90 days and one hour (so `days_left` is 90).
    pub fn leaf<'a>(sans: &'a [&'a str]) -> Spec<'a> {
        Spec {
            cn: sans[0],
            sans,
            from_secs: -DAY,
            until_secs: 90 * DAY + 3600,
            ca: false,
        }
    }

    pub fn days(mut self, from: i64, until: i64) -> Self {
        self.from_secs = from * DAY;
        self.until_secs = until * DAY + 3600;
        self
    }
}

static SERIAL: AtomicU32 = AtomicU32::new(0x1000);

/// Makes a certificate for `key`, signed by `issuer` (self-signed when `None`).
pub fn make(spec: Spec<'_>, key: PKey<Private>, issuer: Option<&Issued>) -> Issued {
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_nid(Nid::ORGANIZATIONNAME, "evidence-agent tests")
        .unwrap();
    name.append_entry_by_nid(Nid::COMMONNAME, spec.cn).unwrap();
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    let serial = BigNum::from_u32(SERIAL.fetch_add(1, Ordering::SeqCst))
        .unwrap()
        .to_asn1_integer()
        .unwrap();
    b.set_serial_number(&serial).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(issuer.map_or(&name, |i| i.cert.subject_name()))
        .unwrap();
    b.set_not_before(&Asn1Time::from_unix(now() + spec.from_secs).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::from_unix(now() + spec.until_secs).unwrap())
        .unwrap();
    b.set_pubkey(&key).unwrap();
    if spec.ca {
        b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
            .unwrap();
        b.append_extension(
            KeyUsage::new()
                .critical()
                .key_cert_sign()
                .crl_sign()
                .build()
                .unwrap(),
        )
        .unwrap();
    }
    if !spec.sans.is_empty() {
        let mut san = SubjectAlternativeName::new();
        for s in spec.sans {
            if s.parse::<std::net::IpAddr>().is_ok() {
                san.ip(s);
            } else {
                san.dns(s);
            }
        }
        let ext = san.build(&b.x509v3_context(None, None)).unwrap();
        b.append_extension(ext).unwrap();
    }
    let signer = issuer.map_or(&key, |i| &i.key);
    b.sign(signer, MessageDigest::sha256()).unwrap();
    Issued {
        cert: b.build(),
        key,
    }
}

/// A test CA (EC P-256, ten years).
pub fn ca() -> Issued {
    make(
        Spec {
            cn: "evidence-agent test CA",
            sans: &[],
            from_secs: -DAY,
            until_secs: 3650 * DAY,
            ca: true,
        },
        ec_key(),
        None,
    )
}

/// A free loopback port (bound, then released for the server to take).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A TLS server in this process for the rest of the test binary's life, one thread per
/// connection. After the handshake it answers an HTTP request with 200 and, if given, the
/// `Strict-Transport-Security` header.
pub fn serve(
    issued: &Issued,
    versions: (SslVersion, SslVersion),
    hsts: Option<&'static str>,
) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut b = SslContext::builder(SslMethod::tls_server()).unwrap();
    // Level 0 so a 1024-bit key can be served at all.
    b.set_security_level(0);
    b.set_cipher_list("DEFAULT:@SECLEVEL=0").unwrap();
    b.set_min_proto_version(Some(versions.0)).unwrap();
    b.set_max_proto_version(Some(versions.1)).unwrap();
    b.set_certificate(&issued.cert).unwrap();
    b.set_private_key(&issued.key).unwrap();
    let ctx = b.build();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let ctx = ctx.clone();
            std::thread::spawn(move || answer(&ctx, stream, hsts));
        }
    });
    port
}

fn answer(ctx: &SslContext, stream: TcpStream, hsts: Option<&str>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let Ok(ssl) = Ssl::new(ctx) else { return };
    let Ok(mut tls) = ssl.accept(stream) else {
        return;
    };
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match tls.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    let header = hsts.map_or(String::new(), |h| {
        format!("Strict-Transport-Security: {h}\r\n")
    });
    let _ = tls.write_all(
        format!("HTTP/1.1 200 OK\r\n{header}Content-Length: 0\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    );
    let _ = tls.shutdown();
}

/// A port that accepts TCP connections and never says a word.
pub fn silent() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s);
        }
    });
    port
}

/// `openssl s_server -www` on a free loopback port, killed on drop.
pub struct SServer {
    child: Child,
    pub port: u16,
}

impl SServer {
    /// `extra` are further s_server arguments (e.g. `-tls1`).
    pub fn start(cert: &Path, key: &Path, extra: &[&str]) -> SServer {
        let port = free_port();
        let child = Command::new("openssl")
            .args(["s_server", "-www", "-quiet", "-accept"])
            .arg(port.to_string())
            .arg("-cert")
            .arg(cert)
            .arg("-key")
            .arg(key)
            .args(["-cipher", "DEFAULT:@SECLEVEL=0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the `openssl` command (Debian package openssl; tests/run.sh installs it)");
        let server = SServer { child, port };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "openssl s_server did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }
}

impl Drop for SServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
