//! Seeds a running moto server with IAM users, for the aws-iam benchmark in `bench/`.
//!
//! ```text
//! cargo run --example moto_seed -- --endpoint http://127.0.0.1:5000 [--users 500]
//!     [--account 123456789012] [--no-password-policy]
//! ```
//!
//! Creates `--users` users `user-0000`… cycling through four cases (console+MFA+key, console
//! without MFA+key, two keys with one inactive, nothing), the `evidence-reader` role and, unless
//! `--no-password-policy`, a strong password policy. Prints `{"users":N,"account":"…"}`.
//! Start the server with `target/moto-venv/bin/moto_server -H 127.0.0.1 -p PORT`.

// Shared with the tests; the example uses only part of it.
#[allow(dead_code)]
#[path = "../tests/moto/seed.rs"]
mod seed;

use std::process::ExitCode;

const USAGE: &str =
    "usage: moto_seed --endpoint URL [--users 500] [--account 123456789012] [--no-password-policy]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut endpoint = None;
    let mut users = 500usize;
    let mut account = seed::DEFAULT_ACCOUNT.to_string();
    let mut policy = true;
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1).cloned();
        let mut step = 2;
        let ok = match (args[i].as_str(), value) {
            ("--endpoint", Some(v)) => {
                endpoint = Some(v);
                true
            }
            ("--users", Some(v)) => v.parse().map(|n| users = n).is_ok(),
            ("--account", Some(v)) => {
                account = v;
                true
            }
            ("--no-password-policy", _) => {
                policy = false;
                step = 1;
                true
            }
            _ => false,
        };
        if !ok {
            let value = args.get(i + 1).map_or("", String::as_str);
            eprintln!("error: bad argument `{} {value}`\n{USAGE}", args[i]);
            return ExitCode::from(2);
        }
        i += step;
    }
    let Some(endpoint) = endpoint else {
        eprintln!("error: --endpoint is required\n{USAGE}");
        return ExitCode::from(2);
    };
    let result = seed::create_reader_role(&endpoint, &account)
        .and_then(|_| seed::seed_users(&endpoint, &account, &seed::many_users(users)))
        .and_then(|_| match policy {
            true => seed::seed_password_policy(&endpoint, &account, &Default::default()),
            false => Ok(()),
        });
    match result {
        Ok(()) => {
            println!(r#"{{"users":{users},"account":"{account}"}}"#);
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: seeding {endpoint} failed: {error}");
            ExitCode::from(1)
        }
    }
}
