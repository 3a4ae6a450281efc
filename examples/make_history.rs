//! Builds a vault shaped like a real audit window, through the real vault writer, for the report
//! benchmark in `bench/report.sh`.
//!
//! ```text
//! cargo run --release --example make_history -- DIR [--artifacts 100000] [--days 180]
//!     [--window 2026-h1] [--start 2026-01-01]
//! ```
//!
//! Five collectors with their criteria: host-baseline hourly, github-pull-requests daily (a
//! `population.csv` and one JSON per merged PR), aws-iam daily (`users.csv` and the credential
//! report), tls-endpoints every six hours (`endpoints.csv` and one JSON per endpoint), scan-reports
//! daily (`reports.csv`, each report and its summary). About 2% of the runs fail with an error, the
//! agent was down on a few gap days, runs carry findings. `--artifacts` small artifacts in all.
//! Prints one `key=value` summary line.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use evidence_agent::collector::{aws_iam, github, scan_reports, tls};
use evidence_agent::evidence::{Finding, RunStatus, Severity};
use evidence_agent::vault::{CollectorInfo, Outcome, RunMeta, Vault, WindowRef, layout};

/// What to build.
struct Spec {
    /// The vault folder; must not exist yet.
    dir: PathBuf,
    /// Artifacts in all runs together.
    artifacts: u64,
    /// Days in the window.
    days: u32,
    /// The window's name (its folder).
    window: String,
    /// The window's first day.
    start: NaiveDate,
}

const USAGE: &str = "usage: make_history DIR [--artifacts 100000] [--days 180] [--window 2026-h1] [--start 2026-01-01]";

fn parse() -> Result<Spec, String> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().ok_or("give the vault folder to create")?;
    let mut spec = Spec {
        dir: dir.into(),
        artifacts: 100_000,
        days: 180,
        window: "2026-h1".into(),
        start: NaiveDate::from_ymd_opt(2026, 1, 1).ok_or("bad default start")?,
    };
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .ok_or_else(|| format!("`{flag}` needs a value"))?;
        let number = || {
            value
                .parse::<u64>()
                .map_err(|_| format!("`{flag}` needs a whole number, got `{value}`"))
        };
        match flag.as_str() {
            "--artifacts" => spec.artifacts = number()?,
            "--days" => {
                spec.days = u32::try_from(number()?)
                    .ok()
                    .filter(|d| (7..=3660).contains(d))
                    .ok_or_else(|| format!("`--days` must be 7 to 3660, got `{value}`"))?
            }
            "--window" => spec.window = value,
            "--start" => {
                spec.start = value
                    .parse()
                    .map_err(|_| format!("`--start` needs a YYYY-MM-DD date, got `{value}`"))?
            }
            _ => return Err(format!("unknown option `{flag}`")),
        }
    }
    if spec.dir.exists() {
        return Err(format!(
            "{} exists already: give a new folder",
            spec.dir.display()
        ));
    }
    Ok(spec)
}

/// A deterministic generator (xorshift64*), so every build of the history is the same.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// The collectors: name, criteria, runs per day, artifacts every run has, weight of its share of
/// the per-item artifacts (PRs, endpoints, reports, host checks).
const COLLECTORS: [(&str, &[&str], u32, u64, u64); 5] = [
    (
        "host-baseline",
        &["CC6.1", "CC6.6", "CC6.8", "CC7.1"],
        24,
        1,
        1,
    ),
    ("github-pull-requests", &["CC8.1"], 1, 1, 40),
    ("aws-iam", &["CC6.1", "CC6.2", "CC6.3"], 1, 4, 4),
    ("tls-endpoints", &["CC6.7"], 4, 1, 6),
    ("scan-reports", &["CC7.1"], 1, 1, 12),
];

/// One planned run.
struct Planned {
    collector: usize,
    day: NaiveDate,
    /// Minutes after midnight UTC.
    minute: u32,
    failed: bool,
    /// Per-item artifacts this run writes besides the fixed ones.
    items: u64,
}

fn main() -> ExitCode {
    let spec = match parse() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match build(&spec) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// Every run of the window, with the artifacts spread so that they add up to `spec.artifacts`.
fn plan(spec: &Spec, rng: &mut Rng) -> (Vec<Planned>, Vec<NaiveDate>) {
    // The agent was down on a few days: one early, two in a row mid-window, one late.
    let gaps: Vec<NaiveDate> = [
        spec.days / 9,
        spec.days / 2,
        spec.days / 2 + 1,
        spec.days * 5 / 6,
    ]
    .iter()
    .map(|d| spec.start + Duration::days(i64::from(*d)))
    .collect();
    let mut runs = Vec::new();
    for d in 0..spec.days {
        let day = spec.start + Duration::days(i64::from(d));
        if gaps.contains(&day) {
            continue;
        }
        for (c, (_, _, per_day, _, _)) in COLLECTORS.iter().enumerate() {
            for k in 0..*per_day {
                runs.push(Planned {
                    collector: c,
                    day,
                    minute: k * (24 * 60 / per_day) + 5 * c as u32 + rng.below(4) as u32,
                    failed: rng.below(50) == 0,
                    items: 0,
                });
            }
        }
    }
    let fixed: u64 = runs
        .iter()
        .map(|r| {
            if r.failed {
                1
            } else {
                COLLECTORS[r.collector].3
            }
        })
        .sum();
    let items = spec.artifacts.saturating_sub(fixed);
    let weights: Vec<u64> = runs
        .iter()
        .map(|r| {
            if r.failed {
                0
            } else {
                COLLECTORS[r.collector].4
            }
        })
        .collect();
    let total: u64 = weights.iter().sum::<u64>().max(1);
    let (mut cum, mut given) = (0u64, 0u64);
    for (r, w) in runs.iter_mut().zip(weights) {
        cum += w;
        let upto = (u128::from(items) * u128::from(cum) / u128::from(total)) as u64;
        r.items = upto - given;
        given = upto;
    }
    (runs, gaps)
}

fn csv_line(out: &mut String, cells: &[String]) {
    let quoted: Vec<String> = cells
        .iter()
        .map(|c| {
            if c.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.clone()
            }
        })
        .collect();
    out.push_str(&quoted.join(","));
    out.push_str("\r\n");
}

fn header(out: &mut String, columns: &[&str]) {
    csv_line(
        out,
        &columns.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
    );
}

const PEOPLE: [&str; 12] = [
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
    "niaj",
];
const REPOS: [&str; 6] = ["api", "web", "infra", "billing", "auth", "mobile"];

/// An artifact to write: path under `artifacts/`, media type, content.
type Artifact = (String, &'static str, Vec<u8>);

/// The artifacts and findings of one succeeded run.
fn content(p: &Planned, rng: &mut Rng, window: &str) -> (Vec<Artifact>, Vec<Finding>) {
    let mut files = Vec::new();
    let mut findings = Vec::new();
    let mut finding = |rule: &str, severity, subject: String, artifact: &str| {
        findings.push(Finding {
            rule: rule.into(),
            severity,
            message: format!("{rule}: {subject}"),
            subject,
            artifact: Some(artifact.into()),
        })
    };
    let day = p.day;
    match COLLECTORS[p.collector].0 {
        "host-baseline" => {
            let checks = [
                "sshd", "firewall", "updates", "disk", "ports", "accounts", "time",
            ];
            files.push((
                "baseline.json".into(),
                "application/json",
                format!(
                    "{{\"host\":\"app-01\",\"day\":\"{day}\",\"checks\":{}}}",
                    checks.len()
                )
                .into_bytes(),
            ));
            for i in 0..p.items {
                let check = checks[(i % checks.len() as u64) as usize];
                files.push((
                    format!("checks/{check}-{i}.txt"),
                    "text/plain",
                    format!("{check}: ok\nvalue={}\n", rng.below(1000)).into_bytes(),
                ));
            }
            if rng.below(30) == 0 {
                finding(
                    "sshd-password-authentication",
                    Severity::Medium,
                    "sshd".into(),
                    "baseline.json",
                );
            }
        }
        "github-pull-requests" => {
            let mut csv = String::new();
            header(&mut csv, github::population::COLUMNS);
            for i in 0..p.items {
                let repo = REPOS[rng.below(REPOS.len() as u64) as usize];
                let number = u64::from(day.ordinal()) * 1000 + i;
                let author = PEOPLE[rng.below(12) as usize];
                let approvals = rng.below(3);
                let evidence = format!("prs/acme/{repo}/{number}.json");
                files.push((
                    evidence.clone(),
                    "application/json",
                    format!("{{\"repository\":\"acme/{repo}\",\"number\":{number},\"author\":\"{author}\",\"approvals\":{approvals}}}").into_bytes(),
                ));
                if approvals == 0 {
                    finding(
                        "merged-without-approval",
                        Severity::High,
                        format!("acme/{repo}#{number}"),
                        &evidence,
                    );
                }
                csv_line(
                    &mut csv,
                    &[
                        format!("acme/{repo}"),
                        number.to_string(),
                        format!("https://github.com/acme/{repo}/pull/{number}"),
                        format!("Change {number}, part {}", rng.below(9)),
                        author.into(),
                        PEOPLE[rng.below(12) as usize].into(),
                        format!("{day}T{:02}:{:02}:00Z", rng.below(24), rng.below(60)),
                        window.into(),
                        "main".into(),
                        format!(
                            "{:016x}{:016x}{:08x}",
                            rng.next(),
                            rng.next(),
                            rng.below(1 << 32)
                        ),
                        format!(
                            "{:016x}{:016x}{:08x}",
                            rng.next(),
                            rng.next(),
                            rng.below(1 << 32)
                        ),
                        approvals.to_string(),
                        (approvals > 0).to_string(),
                        ["success", "success", "success", "failure"][rng.below(4) as usize].into(),
                        if approvals == 0 {
                            "merged-without-approval".into()
                        } else {
                            String::new()
                        },
                        format!("artifacts/{evidence}"),
                    ],
                );
            }
            files.insert(0, ("population.csv".into(), "text/csv", csv.into_bytes()));
        }
        "aws-iam" => {
            let mut csv = String::new();
            header(&mut csv, aws_iam::users::COLUMNS);
            for (i, user) in PEOPLE.iter().enumerate() {
                let mfa = i % 5 != 4;
                let key_age = rng.below(400);
                let mut row = vec![
                    user.to_string(),
                    format!("arn:aws:iam::123456789012:user/{user}"),
                    "2025-03-01T09:00:00Z".into(),
                    "true".into(),
                    format!("{day}T08:00:00Z"),
                    mfa.to_string(),
                    if mfa {
                        format!("arn:aws:iam::123456789012:mfa/{user}")
                    } else {
                        String::new()
                    },
                    "true".into(),
                    key_age.to_string(),
                    format!("{day}T07:00:00Z"),
                    String::new(),
                    String::new(),
                    String::new(),
                    format!("{day}T08:00:00Z"),
                    if mfa {
                        String::new()
                    } else {
                        "console-user-without-mfa".into()
                    },
                ];
                row.resize(aws_iam::users::COLUMNS.len(), String::new());
                csv_line(&mut csv, &row);
                if !mfa {
                    finding(
                        "console-user-without-mfa",
                        Severity::High,
                        user.to_string(),
                        "users.csv",
                    );
                }
            }
            files.push(("users.csv".into(), "text/csv", csv.into_bytes()));
            files.push((
                "credential-report.csv".into(),
                "text/csv",
                b"user,arn,mfa_active\n".to_vec(),
            ));
            files.push((
                "account-summary.json".into(),
                "application/json",
                b"{\"AccountMFAEnabled\":1}".to_vec(),
            ));
            files.push((
                "password-policy.json".into(),
                "application/json",
                b"{\"MinimumPasswordLength\":14}".to_vec(),
            ));
            for i in 0..p.items {
                files.push((
                    format!("mfa-devices/{}-{i}.json", PEOPLE[(i % 12) as usize]),
                    "application/json",
                    format!("{{\"serial\":\"mfa-{i}\"}}").into_bytes(),
                ));
            }
        }
        "tls-endpoints" => {
            let mut csv = String::new();
            header(&mut csv, &tls::ENDPOINT_COLUMNS);
            for i in 0..p.items {
                let host = format!("svc{i}.acme.example");
                let left = rng.below(365);
                let legacy = i % 17 == 3;
                let json = format!("endpoints/{host}.json");
                files.push((
                    json.clone(),
                    "application/json",
                    format!("{{\"endpoint\":\"{host}:443\",\"days_left\":{left}}}").into_bytes(),
                ));
                let mut rules = Vec::new();
                if left < 14 {
                    rules.push("certificate-expiring");
                    finding(
                        "certificate-expiring",
                        Severity::Medium,
                        format!("{host}:443"),
                        &json,
                    );
                }
                if legacy {
                    rules.push("tls-legacy-protocol");
                    finding(
                        "tls-legacy-protocol",
                        Severity::High,
                        format!("{host}:443"),
                        &json,
                    );
                }
                csv_line(
                    &mut csv,
                    &[
                        format!("{host}:443"),
                        format!("service {i}"),
                        host.clone(),
                        "true".into(),
                        legacy.to_string(),
                        legacy.to_string(),
                        "true".into(),
                        (!legacy).to_string(),
                        "TLS_AES_256_GCM_SHA384".into(),
                        format!("CN={host}"),
                        (day + Duration::days(left as i64)).to_string(),
                        left.to_string(),
                        "true".into(),
                        "true".into(),
                        (i % 2 == 0).to_string(),
                        rules.join(" "),
                    ],
                );
            }
            files.insert(0, ("endpoints.csv".into(), "text/csv", csv.into_bytes()));
        }
        _ => {
            let mut csv = String::new();
            header(&mut csv, &scan_reports::report_columns());
            // Each report is stored as the original and its summary: two artifacts.
            for i in 0..p.items.div_ceil(2) {
                let (format, scanner) =
                    [("trivy", "Trivy"), ("sarif", "Semgrep"), ("zap", "ZAP")][(i % 3) as usize];
                let critical = rng.below(3);
                let summary = format!("reports/{i}/summary.json");
                let original = format!("{{\"scanner\":\"{scanner}\",\"critical\":{critical}}}");
                files.push((
                    format!("reports/{i}/original.json"),
                    "application/json",
                    original.clone().into_bytes(),
                ));
                if (files.len() as u64) < p.items {
                    files.push((
                        summary.clone(),
                        "application/json",
                        format!("{{\"critical\":{critical}}}").into_bytes(),
                    ));
                }
                if critical > 1 {
                    finding(
                        "scan-critical",
                        Severity::Critical,
                        format!("image-{i}"),
                        &summary,
                    );
                }
                csv_line(
                    &mut csv,
                    &[
                        format!("/srv/scans/{format}-{i}.json"),
                        format!("{format}-{i}.json"),
                        original.len().to_string(),
                        format!(
                            "{:016x}{:016x}{:016x}{:016x}",
                            rng.next(),
                            rng.next(),
                            rng.next(),
                            rng.next()
                        ),
                        "imported".into(),
                        String::new(),
                        format.into(),
                        scanner.into(),
                        "1.0".into(),
                        format!("registry.acme.example/app-{i}:1.{}", rng.below(20)),
                        format!("{day}T01:00:00Z"),
                        day.to_string(),
                        critical.to_string(),
                        rng.below(20).to_string(),
                        rng.below(40).to_string(),
                        rng.below(60).to_string(),
                        "0".into(),
                        "0".into(),
                        format!("artifacts/{summary}"),
                    ],
                );
            }
            files.insert(0, ("reports.csv".into(), "text/csv", csv.into_bytes()));
        }
    }
    (files, findings)
}

fn build(spec: &Spec) -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let vault = Vault::open(&spec.dir)?;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (runs, gaps) = plan(spec, &mut rng);
    let end = spec.start + Duration::days(i64::from(spec.days) - 1);
    let (mut artifacts, mut bytes, mut failed, mut findings) = (0u64, 0u64, 0u64, 0u64);
    for p in &runs {
        let (name, criteria, _, _, _) = COLLECTORS[p.collector];
        let at = Utc.from_utc_datetime(
            &p.day
                .and_hms_opt(p.minute / 60 % 24, p.minute % 60, 0)
                .ok_or("bad run time")?,
        );
        let mut staged = vault.begin(RunMeta {
            run_id: layout::new_run_id(at),
            collector: CollectorInfo {
                name: name.into(),
                version: "1.0.0".into(),
                kind: if name == "host-baseline" {
                    "custom"
                } else {
                    "builtin"
                }
                .into(),
            },
            criteria: criteria.iter().map(|c| c.to_string()).collect(),
            window: WindowRef {
                name: spec.window.clone(),
                start: Some(spec.start),
                end: Some(end),
            },
            started_at: at,
        })?;
        let mut outcome = if p.failed {
            failed += 1;
            let log = format!("{at} {name}: upstream answered 503 three times; gave up\n");
            staged.add_bytes("collector.log", "text/plain", log.as_bytes())?;
            artifacts += 1;
            bytes += log.len() as u64;
            Outcome::new(
                RunStatus::Failed,
                Some(format!(
                    "{name}: the API answered 503 Service Unavailable three times"
                )),
            )
        } else {
            let (files, found) = content(p, &mut rng, &spec.window);
            for (path, media, data) in &files {
                staged.add_bytes(path, media, data)?;
                bytes += data.len() as u64;
            }
            artifacts += files.len() as u64;
            findings += found.len() as u64;
            let mut o = Outcome::new(RunStatus::Succeeded, None);
            o.findings = found;
            o
        };
        outcome.finished_at = at + Duration::seconds(3 + rng.below(40) as i64);
        staged.commit(outcome)?;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "window={} days={} gap_days={} runs={} failed={failed} artifacts={artifacts} findings={findings} bytes={bytes} seconds={secs:.1}",
        spec.window,
        spec.days,
        gaps.len(),
        runs.len()
    );
    Ok(())
}
