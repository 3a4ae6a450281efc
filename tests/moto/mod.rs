//! A real AWS IAM/STS implementation for tests and the benchmark: `moto_server` (PyPI
//! `moto[server]`, installed by `tests/run.sh` into `target/moto-venv`) on loopback, behind a
//! tiny in-process proxy that records the `Action` of every request, so tests can assert how
//! many API calls a collection cost. Seeding helpers (`seed`) create users, MFA devices, keys,
//! a password policy and cross-account roles through the real AWS SDK.
//!
//! The server binary is `$MOTO_SERVER`, else `target/moto-venv/bin/moto_server`; when neither
//! exists `Moto::start` panics with what to run: a missing moto fails the tests, never skips them.
#![allow(dead_code)]

pub mod seed;
#[cfg(test)]
mod selftest;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Response, StatusCode};

/// How long moto may take to import and bind (it is a large Python package).
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// Port clashes (the free port taken between probe and bind) are retried this often.
const START_ATTEMPTS: usize = 5;

/// A running `moto_server` plus the counting proxy in front of it; both stop on drop.
pub struct Moto {
    /// The moto process, leader of its own process group (killed as a group).
    child: Child,
    /// Where moto itself listens (requests sent here are not counted).
    moto: SocketAddr,
    /// Where the counting proxy listens.
    proxy: SocketAddr,
    /// `Action` names seen by the proxy, in arrival order.
    actions: Arc<Mutex<Vec<String>>>,
    /// Role ARNs whose `AssumeRole` the proxy refuses (moto itself accepts any role).
    refused_roles: Arc<Mutex<Vec<String>>>,
    /// Actions the proxy answers with an AWS error instead of moto: (action, status, code).
    failing: Arc<Mutex<Vec<(String, u16, String)>>>,
    /// Stops the proxy's runtime.
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    /// The proxy's thread, joined on drop.
    thread: Option<std::thread::JoinHandle<()>>,
}

/// The `moto_server` to run: `$MOTO_SERVER`, else the venv `tests/run.sh` installs.
pub fn server_path() -> PathBuf {
    match std::env::var_os("MOTO_SERVER") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/moto-venv/bin/moto_server"),
    }
}

impl Moto {
    /// Starts moto on a free loopback port and the counting proxy; waits until moto answers.
    pub fn start() -> Moto {
        let server = server_path();
        assert!(
            server.is_file(),
            "moto_server not found at {}: run `bash tests/run.sh` once (it installs moto[server] \
             into target/moto-venv) or set MOTO_SERVER to a moto_server binary",
            server.display()
        );
        let mut last_error = String::new();
        for _ in 0..START_ATTEMPTS {
            match spawn_moto(&server) {
                Ok((child, moto)) => return Moto::with_proxy(child, moto),
                Err(error) => last_error = error,
            }
        }
        panic!("moto_server did not start after {START_ATTEMPTS} attempts: {last_error}");
    }

    fn with_proxy(child: Child, moto: SocketAddr) -> Moto {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the moto proxy");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let proxy = listener.local_addr().expect("proxy address");
        let actions = Arc::new(Mutex::new(Vec::new()));
        let refused_roles = Arc::new(Mutex::new(Vec::new()));
        let failing = Arc::new(Mutex::new(Vec::new()));
        let state = ProxyState {
            upstream: format!("http://{moto}"),
            client: reqwest::Client::new(),
            actions: actions.clone(),
            refused_roles: refused_roles.clone(),
            failing: failing.clone(),
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("proxy runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let app = axum::Router::new().fallback(forward).with_state(state);
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await;
            });
        });
        Moto {
            child,
            moto,
            proxy,
            actions,
            refused_roles,
            failing,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// The counted endpoint, for `[aws] endpoint_url` and the SDK.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.proxy)
    }

    /// Moto itself, bypassing the count (for seeding that should not show in `requests()`).
    pub fn direct_endpoint(&self) -> String {
        format!("http://{}", self.moto)
    }

    /// The `Action` of every request through `endpoint()` so far (e.g. `ListUsers`,
    /// `AssumeRole`), in order; requests without one are listed as `-`.
    pub fn requests(&self) -> Vec<String> {
        self.actions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// From now on `AssumeRole` on `role_arn` through `endpoint()` is answered as AWS answers a
    /// role whose trust policy does not name the caller (403 `AccessDenied`), without reaching
    /// moto, which would accept any role. The request is still counted.
    pub fn refuse_assume_role(&self, role_arn: &str) {
        self.refused_roles
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(role_arn.to_string());
    }

    /// From now on every `action` through `endpoint()` is answered with the AWS error `code` and
    /// HTTP `status` (e.g. 403 `AccessDenied`, 400 `Throttling`) without reaching moto, which
    /// grants everything and never throttles. The requests are still counted.
    pub fn fail_action(&self, action: &str, status: u16, code: &str) {
        self.failing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((action.to_string(), status, code.to_string()));
    }

    /// Forgets the requests counted so far.
    pub fn clear_requests(&self) {
        self.actions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// Empties every account in moto (`POST /moto-api/reset`) and the request log.
    pub fn reset(&self) {
        let status = raw_request(self.moto, "POST", "/moto-api/reset").expect("reset moto");
        assert_eq!(status, 200, "POST /moto-api/reset answered {status}");
        self.clear_requests();
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        kill_group(&mut self.child);
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn kill_group(child: &mut Child) {
    // moto_server may fork workers; the whole group goes.
    if let Ok(pid) = i32::try_from(child.id()) {
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.wait();
}

/// One attempt: a port that was free a moment ago, moto on it, waiting until it answers.
fn spawn_moto(server: &PathBuf) -> Result<(Child, SocketAddr), String> {
    use std::os::unix::process::CommandExt;
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free port: {e}"))?
        .port();
    let mut child = Command::new(server)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", server.display()))?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let started = Instant::now();
    while started.elapsed() < START_TIMEOUT {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "moto_server on port {port} exited early ({status})"
            ));
        }
        if raw_request(addr, "GET", "/moto-api/data.json") == Ok(200) {
            return Ok((child, addr));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    kill_group(&mut child);
    Err(format!(
        "moto_server on port {port} did not answer within {START_TIMEOUT:?}"
    ))
}

/// A minimal HTTP/1.0 request; returns the status code.
fn raw_request(addr: SocketAddr, method: &str, path: &str) -> Result<u16, String> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))
        .map_err(|e| format!("connect {addr}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Length: 0\r\n\r\n"
    )
    .map_err(|e| format!("write {addr}: {e}"))?;
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("no HTTP status from {addr}: {answer:.80}"))
}

#[derive(Clone)]
struct ProxyState {
    /// moto's base URL.
    upstream: String,
    /// Shared connection pool to moto.
    client: reqwest::Client,
    /// Where each request's `Action` is recorded.
    actions: Arc<Mutex<Vec<String>>>,
    /// Role ARNs whose `AssumeRole` is refused.
    refused_roles: Arc<Mutex<Vec<String>>>,
    /// Actions answered with an error: (action, status, code).
    failing: Arc<Mutex<Vec<(String, u16, String)>>>,
}

/// The role ARN of an `AssumeRole` form body among `refused`, if any.
fn refused_role(body: &[u8], refused: &[String]) -> Option<String> {
    let body = String::from_utf8_lossy(body);
    refused
        .iter()
        .find(|arn| {
            let encoded = arn.replace(':', "%3A").replace('/', "%2F");
            body.split('&').any(|pair| {
                pair == format!("RoleArn={arn}") || pair == format!("RoleArn={encoded}")
            })
        })
        .cloned()
}

/// The `Action` of an AWS query-protocol request: from the form body, else the query string.
pub fn action_of(query: Option<&str>, body: &[u8]) -> Option<String> {
    let from = |text: &str| {
        text.split('&')
            .find_map(|pair| pair.strip_prefix("Action="))
            .map(str::to_string)
    };
    from(&String::from_utf8_lossy(body)).or_else(|| query.and_then(from))
}

async fn forward(State(state): State<ProxyState>, request: Request) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, 64 << 20).await {
        Ok(bytes) => bytes,
        Err(error) => return answer(StatusCode::BAD_REQUEST, error.to_string()),
    };
    let action = action_of(parts.uri.query(), &bytes).unwrap_or_else(|| "-".to_string());
    state
        .actions
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(action.clone());
    let failure = state
        .failing
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .find(|(a, _, _)| *a == action)
        .cloned();
    if let Some((_, status, code)) = failure {
        let xml = format!(
            "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>User: arn:aws:iam::{}:user/testing is not authorized to perform: iam:{action} (injected by the test proxy)</Message></Error><RequestId>failed-by-test-proxy</RequestId></ErrorResponse>",
            seed::DEFAULT_ACCOUNT
        );
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN);
        let mut response = answer(status, xml);
        response.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("text/xml"),
        );
        return response;
    }
    if action == "AssumeRole" {
        let refused = state
            .refused_roles
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some(arn) = refused_role(&bytes, &refused) {
            let xml = format!(
                "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::{}:user/testing is not authorized to perform: sts:AssumeRole on resource: {arn}</Message></Error><RequestId>refused-by-test-proxy</RequestId></ErrorResponse>",
                seed::DEFAULT_ACCOUNT
            );
            let mut response = answer(StatusCode::FORBIDDEN, xml);
            response.headers_mut().insert(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("text/xml"),
            );
            return response;
        }
    }
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut outgoing = state
        .client
        .request(parts.method, format!("{}{path}", state.upstream))
        .body(bytes);
    for (name, value) in &parts.headers {
        if name != "host" && name != "content-length" {
            outgoing = outgoing.header(name, value);
        }
    }
    let reply = match outgoing.send().await {
        Ok(reply) => reply,
        Err(error) => return answer(StatusCode::BAD_GATEWAY, error.to_string()),
    };
    let mut response = Response::builder().status(reply.status());
    for (name, value) in reply.headers() {
        if name != "content-length" && name != "transfer-encoding" && name != "connection" {
            response = response.header(name, value);
        }
    }
    match reply.bytes().await {
        Ok(body) => response
            .body(Body::from(body))
            .unwrap_or_else(|e| answer(StatusCode::BAD_GATEWAY, e.to_string())),
        Err(error) => answer(StatusCode::BAD_GATEWAY, error.to_string()),
    }
}

fn answer(status: StatusCode, text: String) -> Response<Body> {
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = status;
    response
}
