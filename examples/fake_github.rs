//! The tests' fake GitHub as a standalone process, for the benchmark in `bench/`.
//!
//! ```text
//! cargo run --example fake_github -- [--repos 20] [--prs 2000] [--port 0] [--seed 1]
//!     [--since 2026-07-01] [--until 2026-11-23] [--enterprise]
//! ```
//!
//! Serves a generated organisation `acme` (`--prs` merged pull requests spread over `--repos`
//! repositories, merged between `--since` and `--until`, default the last 120 days), accepting
//! the token `ghp_fake_token_0123456789`. Prints the base URL as stdout's first line, serves
//! until stdin closes or SIGTERM, then prints `{"total":…,"graphql":…,"rest":…}`.

#[path = "../tests/github_server/mod.rs"]
mod github_server;

use std::io::Read;
use std::process::ExitCode;

use chrono::{Duration, NaiveDate, Utc};
use tokio::signal::unix::{SignalKind, signal};

const USAGE: &str = "usage: fake_github [--repos 20] [--prs 2000] [--port 0] [--seed 1] [--since YYYY-MM-DD] [--until YYYY-MM-DD] [--enterprise]";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mut repos, mut prs, mut port, mut seed) = (20usize, 2000usize, 0u16, 1u64);
    let mut until = Utc::now();
    let mut since = None;
    let mut enterprise = false;
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1).map(String::as_str).unwrap_or_default();
        let day = |v: &str| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .ok()
                .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
        };
        let mut step = 2;
        let ok = match args[i].as_str() {
            "--repos" => value.parse().map(|v| repos = v).is_ok(),
            "--prs" => value.parse().map(|v| prs = v).is_ok(),
            "--port" => value.parse().map(|v| port = v).is_ok(),
            "--seed" => value.parse().map(|v| seed = v).is_ok(),
            "--since" => day(value).map(|v| since = Some(v)).is_some(),
            "--until" => day(value).map(|v| until = v).is_some(),
            "--enterprise" => {
                enterprise = true;
                step = 1;
                true
            }
            _ => false,
        };
        if !ok || repos == 0 {
            eprintln!("fake_github: bad argument `{}`\n{USAGE}", args[i]);
            return ExitCode::from(2);
        }
        i += step;
    }
    let since = since.unwrap_or(until - Duration::days(120));
    let org = github_server::Org::generate(seed, repos, prs.div_ceil(repos), (since, until));
    let gh = match github_server::FakeGithub::start_at(org, enterprise, port) {
        Ok(gh) => gh,
        Err(e) => {
            eprintln!("fake_github: cannot listen on 127.0.0.1:{port}: {e}");
            return ExitCode::from(2);
        }
    };
    println!("{}", gh.base_url());

    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("fake_github: cannot watch SIGTERM: {e}");
            return ExitCode::from(1);
        }
    };
    // A plain thread: a blocked stdin read must not keep the process alive after SIGTERM.
    let (closed, stdin_closed) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 256];
        while matches!(std::io::stdin().read(&mut buf), Ok(n) if n > 0) {}
        let _ = closed.send(());
    });
    tokio::select! {
        _ = stdin_closed => {}
        _ = term.recv() => {}
    }
    let (total, graphql, rest) = gh.counts();
    println!(
        "{}",
        serde_json::json!({ "total": total, "graphql": graphql, "rest": rest })
    );
    ExitCode::SUCCESS
}
