//! Tests: the daemon's `/healthz` and `/metrics`, its catch-up run, and its clean stop on SIGTERM.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::util::{Env, run_folders, text};

fn get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn daemon_catches_up_serves_metrics_and_stops_on_sigterm() {
    let port = free_port();
    let env = Env::new("");
    let config = std::fs::read_to_string(env.config()).unwrap().replace(
        "[http]\nenabled = false",
        &format!("[http]\nlisten = \"127.0.0.1:{port}\""),
    );
    std::fs::write(env.config(), config).unwrap();
    env.add_collector("baseline", "", "echo ok > \"$EVIDENCE_OUT_DIR/ok.txt\"");

    let child = env
        .command(&["run"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let mut metrics = String::new();
    while start.elapsed() < Duration::from_secs(30) {
        if let Some(body) = get(port, "/metrics")
            && body.contains(
                "evidence_agent_runs_total{collector=\"baseline\",status=\"succeeded\"} 1",
            )
        {
            metrics = body;
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let health = get(port, "/healthz");
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    assert!(
        !metrics.is_empty(),
        "the catch-up run shows in /metrics within 30 s: {}",
        text(&out)
    );
    assert!(
        metrics.contains("evidence_agent_last_success_timestamp_seconds{collector=\"baseline\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("evidence_agent_bytes_written_total{collector=\"baseline\"}"),
        "{metrics}"
    );
    assert!(
        health
            .as_deref()
            .is_some_and(|h| h.starts_with("HTTP/1.1 200") && h.ends_with("ok\n")),
        "{health:?}"
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "SIGTERM stops the daemon cleanly: {}",
        text(&out)
    );
    assert_eq!(
        run_folders(&env.vault()).len(),
        1,
        "exactly the catch-up run"
    );
}
