//! `report`: the auditor's HTML site over a vault with a history of runs on many days, failed
//! runs and gaps. The calendar cells, the counts per criterion and the populations are read back
//! from the HTML and compared with what an independent reading of the history expects; every
//! link of the site must lead to a file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate, Weekday};
use evidence_agent::evidence::{RunStatus, Severity};

use crate::history::{Run, Window, commit, day};
use crate::util::{Env, text};

const WINDOW: Window = Window {
    name: "2026-q1",
    start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
    end: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
};

const AWS: &[&str] = &["CC6.1", "CC6.2", "CC6.3"];

fn config(env: &Env) {
    std::fs::write(
        env.config(),
        "[agent]\nvault_dir = \"vault\"\ncollectors_dir = \"collectors\"\njitter_secs = 0\n\n\
         [http]\nenabled = false\n\n[[windows]]\nname = \"2026-q1\"\nstart = 2026-01-01\nend = 2026-03-31\n\n\
         [collectors.aws-iam]\nschedule = \"0 0 3 * * Mon\"\n\n\
         [collectors.github-pull-requests]\nschedule = \"0 0 4 * * *\"\n",
    )
    .unwrap();
}

fn users(rows: &[(&str, bool)]) -> String {
    let mut s = String::from("user,arn,mfa_active\n");
    for (u, mfa) in rows {
        s.push_str(&format!("{u},arn:aws:iam::123456789012:user/{u},{mfa}\n"));
    }
    s
}

fn prs(numbers: &[u32]) -> String {
    let mut s = String::from("repository,number,title,approvals\n");
    for n in numbers {
        s.push_str(&format!("acme/api,{n},\"Change {n}, with a comma\",1\n"));
    }
    s
}

/// The history: what happened, run by run.
fn history() -> Vec<Run> {
    let mut runs = vec![
        Run::new("aws-iam", AWS, day("2026-01-05"))
            .artifact("users.csv", users(&[("alice", false), ("bob", true)]))
            .finding(
                "console-without-mfa",
                Severity::High,
                "alice",
                Some("users.csv"),
            ),
        Run::new("aws-iam", AWS, day("2026-01-12"))
            .artifact("users.csv", users(&[("alice", false), ("bob", true)]))
            .finding(
                "console-without-mfa",
                Severity::High,
                "alice",
                Some("users.csv"),
            ),
        Run::new("aws-iam", AWS, day("2026-01-19")).failed(
            RunStatus::Failed,
            "AccessDenied: iam:GenerateCredentialReport is not allowed",
        ),
        Run::new("aws-iam", AWS, day("2026-01-20"))
            .failed(RunStatus::Skipped, "not configured: add [aws]"),
        Run::new("aws-iam", AWS, day("2026-02-02"))
            .artifact(
                "users.csv",
                users(&[("alice", true), ("bob", true), ("carol", false)]),
            )
            .finding(
                "console-without-mfa",
                Severity::High,
                "carol",
                Some("users.csv"),
            ),
        Run::new("aws-iam", AWS, day("2026-02-09"))
            .failed(RunStatus::Interrupted, "stopped by the run's deadline"),
        Run::new("aws-iam", AWS, day("2026-02-09"))
            .at(5, 0)
            .artifact(
                "users.csv",
                users(&[("alice", true), ("bob", true), ("carol", true)]),
            )
            .finding("root-mfa", Severity::Critical, "root", None),
        Run::new("github-pull-requests", &["CC8.1"], day("2026-01-15"))
            .at(4, 0)
            .failed(RunStatus::Failed, "GitHub API rate limit exhausted"),
        Run::new("backup-check", &["A1.2"], day("2026-01-07"))
            .artifact("nested/dir/backup status.txt", "last backup: ok\n"),
    ];
    for d in 1..=10u32 {
        let mut run = Run::new(
            "github-pull-requests",
            &["CC8.1"],
            NaiveDate::from_ymd_opt(2026, 1, d).unwrap(),
        )
        .at(4, 0)
        .artifact("population.csv", prs(&[d, d + 1]));
        if d == 3 {
            run = run.finding(
                "pr-not-approved",
                Severity::High,
                "acme/api#3",
                Some("population.csv"),
            );
        }
        runs.push(run);
    }
    runs
}

/// What the calendar must show, worked out from the history and the schedules alone.
fn expected_state(collector: &str, date: NaiveDate, runs: &[Run]) -> &'static str {
    let mine: Vec<&Run> = runs
        .iter()
        .filter(|r| r.collector == collector && r.day == date)
        .collect();
    if mine.iter().any(|r| r.status == RunStatus::Succeeded) {
        return "collected";
    }
    if mine
        .iter()
        .any(|r| matches!(r.status, RunStatus::Failed | RunStatus::Interrupted))
    {
        return "failed";
    }
    if !mine.is_empty() {
        return "skipped";
    }
    let due = match collector {
        "aws-iam" => date.weekday() == Weekday::Mon,
        "github-pull-requests" => true,
        _ => false, // not installed: no schedule
    };
    if due { "no-record" } else { "not-scheduled" }
}

struct Site {
    dir: PathBuf,
}

impl Site {
    fn page(&self, rel: &str) -> String {
        std::fs::read_to_string(self.dir.join(rel))
            .unwrap_or_else(|e| panic!("{rel} in {}: {e}", self.dir.display()))
    }

    /// `(day, state, title)` of every cell of a collector's calendar.
    fn cells(&self, collector: &str) -> Vec<(String, String, String)> {
        let index = self.page("index.html");
        let start = format!("<table class=\"calendar\" data-collector=\"{collector}\">");
        let table = index
            .split_once(&start)
            .unwrap_or_else(|| panic!("no calendar for {collector}"))
            .1;
        let table = table.split_once("</table>").unwrap().0;
        table
            .split("<td ")
            .skip(1)
            .filter_map(|cell| {
                Some((
                    attr(cell, "data-day")?,
                    attr(cell, "data-state")?,
                    attr(cell, "title")?,
                ))
            })
            .collect()
    }

    /// The cells of the overview row of a criterion, as text.
    fn criterion(&self, criterion: &str) -> Vec<String> {
        let index = self.page("index.html");
        let row = index
            .split_once(&format!("<tr data-criterion=\"{criterion}\">"))
            .unwrap_or_else(|| panic!("no overview row for {criterion}"))
            .1;
        let row = row.split_once("</tr>").unwrap().0;
        row.split("<td")
            .skip(1)
            .map(|c| strip_tags(c.split_once('>').unwrap().1))
            .collect()
    }

    fn html_files(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let mut stack = vec![self.dir.clone()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "html") {
                    out.push(p);
                }
            }
        }
        out.sort();
        out
    }

    /// Every local link of every page, resolved to a path: `(page, target)`.
    fn links(&self) -> Vec<(PathBuf, PathBuf)> {
        let mut out = Vec::new();
        for page in self.html_files() {
            let html = std::fs::read_to_string(&page).unwrap();
            for href in html.split("href=\"").skip(1) {
                let href = unescape(href.split_once('"').unwrap().0);
                let path = href.split('#').next().unwrap();
                if path.is_empty() {
                    continue;
                }
                assert!(
                    !path.contains("://"),
                    "{}: external link {href}",
                    page.display()
                );
                out.push((
                    page.clone(),
                    normalize(&page.parent().unwrap().join(decode(path))),
                ));
            }
        }
        out
    }
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let head = tag.split_once('>')?.0;
    let v = head.split_once(&format!("{name}=\""))?.1;
    Some(unescape(v.split_once('"')?.0))
}

fn strip_tags(s: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in s.chars() {
        match c {
            '<' => inside = true,
            '>' => inside = false,
            c if !inside => out.push(c),
            _ => {}
        }
    }
    unescape(out.trim())
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() + 1 {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).expect("a %XX escape"));
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

fn built() -> (Env, Vec<Run>) {
    let env = Env::new("");
    config(&env);
    for run in history() {
        commit(&env.vault(), &WINDOW, run);
    }
    (env, history())
}

fn report(env: &Env, extra: &[&str]) -> Site {
    let mut args = vec!["report", "--window", "2026-q1"];
    args.extend_from_slice(extra);
    let out = env.run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let dir = match extra.iter().position(|a| *a == "--out") {
        Some(i) => PathBuf::from(extra[i + 1]),
        None => env.vault().join("2026-q1/derived/report"),
    };
    Site { dir }
}

#[test]
fn calendar_cells_show_collected_failed_skipped_gaps_and_unscheduled_days() {
    let (env, runs) = built();
    let site = report(&env, &[]);
    for collector in ["aws-iam", "github-pull-requests", "backup-check"] {
        let cells = site.cells(collector);
        let days: Vec<NaiveDate> = WINDOW
            .start
            .iter_days()
            .take_while(|d| *d <= WINDOW.end)
            .collect();
        assert_eq!(
            cells.len(),
            days.len(),
            "{collector}: one cell per day of the window"
        );
        let mut tally: BTreeMap<String, usize> = BTreeMap::new();
        for ((cell_day, state, _), date) in cells.iter().zip(&days) {
            assert_eq!(cell_day, &date.to_string());
            assert_eq!(
                state,
                expected_state(collector, *date, &runs),
                "{collector} on {date}"
            );
            *tally.entry(state.clone()).or_default() += 1;
        }
        // The tally line above the calendar agrees with the cells.
        let index = site.page("index.html");
        let line = index
            .split_once(&format!("data-collector=\"{collector}\">"))
            .unwrap()
            .1
            .split_once("</p>")
            .unwrap()
            .0;
        let n = |k: &str| tally.get(k).copied().unwrap_or(0);
        assert!(
            line.starts_with(&format!(
                "{} day(s) collected, {} failed, {} skipped, {} with no run recorded, {} not scheduled.",
                n("collected"),
                n("failed"),
                n("skipped"),
                n("no-record"),
                n("not-scheduled")
            )),
            "{collector}: {line}"
        );
    }
    // The reason of a failed day is on the cell, and the cell links to that day's runs.
    let aws = site.cells("aws-iam");
    let failed = aws.iter().find(|c| c.0 == "2026-01-19").unwrap();
    assert!(
        failed
            .2
            .contains("AccessDenied: iam:GenerateCredentialReport"),
        "{failed:?}"
    );
    let index = site.page("index.html");
    assert!(index.contains("<a href=\"days/2026-01-19.html#c-aws-iam\""));
    let day = site.page("days/2026-01-19.html");
    assert!(day.contains("AccessDenied: iam:GenerateCredentialReport is not allowed"));
    // A day with an interrupted run and a later success counts as collected, and says so.
    let mixed = aws.iter().find(|c| c.0 == "2026-02-09").unwrap();
    assert!(mixed.2.contains("1 succeeded, 1 failed"), "{mixed:?}");
}

#[test]
fn overview_counts_days_and_findings_per_criterion() {
    let (env, runs) = built();
    let site = report(&env, &[]);
    let days_with = |collector: &str, ok: bool| -> usize {
        let mut days: Vec<NaiveDate> = runs
            .iter()
            .filter(|r| r.collector == collector)
            .filter(|r| (r.status == RunStatus::Succeeded) == ok)
            .filter(|r| ok || r.status != RunStatus::Skipped)
            .map(|r| r.day)
            .filter(|d| {
                ok || !runs.iter().any(|o| {
                    o.collector == collector && o.day == *d && o.status == RunStatus::Succeeded
                })
            })
            .collect();
        days.dedup();
        days.len()
    };
    // Criterion, Collectors, Days covered, Days so far, Days failed, Open findings, Exceptions.
    let cc61 = site.criterion("CC6.1");
    assert_eq!(cc61[0], "CC6.1");
    assert!(cc61[1].contains("aws-iam"), "{cc61:?}");
    assert_eq!(cc61[2], days_with("aws-iam", true).to_string());
    assert_eq!(cc61[3], "90");
    assert_eq!(cc61[4], days_with("aws-iam", false).to_string());
    // Open: what the latest successful aws-iam run reports; exceptions: distinct (rule, subject).
    let latest = runs
        .iter()
        .filter(|r| r.collector == "aws-iam" && r.status == RunStatus::Succeeded)
        .max_by_key(|r| (r.day, r.at))
        .unwrap();
    assert_eq!(cc61[5], latest.findings.len().to_string());
    let mut distinct: Vec<(String, String)> = runs
        .iter()
        .filter(|r| r.collector == "aws-iam")
        .flat_map(|r| {
            r.findings
                .iter()
                .map(|f| (f.rule.clone(), f.subject.clone()))
        })
        .collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(cc61[6], distinct.len().to_string());

    let cc81 = site.criterion("CC8.1");
    assert_eq!(cc81[2], days_with("github-pull-requests", true).to_string());
    assert_eq!(cc81[4], "1");
    assert_eq!(
        cc81[5], "0",
        "the latest successful GitHub run reports nothing"
    );
    assert_eq!(cc81[6], "1");
    // A custom collector's own criterion is listed; a core criterion nobody supports is a gap.
    let a12 = site.criterion("A1.2");
    assert_eq!(a12[1], "backup-check");
    assert_eq!(a12[2], "1");
    let index = site.page("index.html");
    let runs_total = runs.len();
    let artifacts: usize = runs.iter().map(|r| r.artifacts.len()).sum();
    assert!(index.contains(&format!("<span data-count=\"runs\">{runs_total}</span>")));
    assert!(index.contains(&format!(
        "<span data-count=\"artifacts\">{artifacts}</span>"
    )));

    // Findings page: each exception once per criterion, linking to the file that shows it.
    let findings = site.page("findings.html");
    let cc61_section = findings
        .split_once("<h2 id=\"CC6.1\">")
        .unwrap()
        .1
        .split_once("<h2")
        .unwrap()
        .0;
    assert_eq!(
        cc61_section.matches("<tr class=\"sev-").count(),
        distinct.len()
    );
    assert!(cc61_section.contains("carol"));
    assert!(cc61_section.contains("/artifacts/users.csv\">users.csv</a>"));
}

#[test]
fn populations_merge_runs_and_every_link_leads_to_a_file() {
    let (env, runs) = built();
    let site = report(&env, &[]);
    // Changes: every PR stored in the window once, though consecutive runs overlap.
    let changes = std::fs::read_to_string(site.dir.join("populations/changes.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(changes.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header.last().map(String::as_str), Some("evidence"));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let mut numbers: Vec<u32> = rows.iter().map(|r| r[1].parse().unwrap()).collect();
    numbers.sort();
    assert_eq!(numbers, (1..=11).collect::<Vec<_>>());
    assert_eq!(&rows[0][2], "Change 1, with a comma");
    for r in &rows {
        let evidence = env.vault().join("2026-q1").join(&r[r.len() - 1]);
        assert!(evidence.is_file(), "{}", evidence.display());
    }
    // Users: the latest successful run's list only.
    let users = std::fs::read_to_string(site.dir.join("populations/users.csv")).unwrap();
    assert_eq!(users.lines().count(), 4, "{users}");
    assert!(
        users.lines().skip(1).all(|l| l.contains(",true,")),
        "{users}"
    );
    let populations = site.page("populations.html");
    assert!(populations.contains("<span data-population=\"changes\">11</span>"));
    assert!(populations.contains("No <code>endpoints.csv</code>"));

    // Every local link of the site resolves to a file, and every artifact is linked.
    let links = site.links();
    for (page, target) in &links {
        assert!(
            target.exists(),
            "{} links to missing {}",
            page.display(),
            target.display()
        );
    }
    let linked: std::collections::BTreeSet<&PathBuf> = links.iter().map(|l| &l.1).collect();
    let mut artifacts = 0;
    for run in crate::util::run_folders(&env.vault()) {
        let record = crate::util::run_json(&run);
        for a in record["artifacts"].as_array().unwrap() {
            let path = normalize(&run.join(a["path"].as_str().unwrap()));
            assert!(linked.contains(&path), "{} is not linked", path.display());
            // Shown with its SHA-256.
            let date = run.parent().unwrap().parent().unwrap().file_name().unwrap();
            let day = site.page(&format!("days/{}.html", date.to_string_lossy()));
            assert!(day.contains(a["sha256"].as_str().unwrap()));
            artifacts += 1;
        }
    }
    assert_eq!(
        artifacts,
        runs.iter().map(|r| r.artifacts.len()).sum::<usize>()
    );
    // The report is a derived view: the vault still verifies.
    let verify = env.run(&["verify"]);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
}

#[test]
fn a_report_elsewhere_links_back_and_only_replaces_a_report() {
    let (env, _) = built();
    let out = env.path().join("usb stick/report");
    let site = report(&env, &["--out", out.to_str().unwrap()]);
    let links = site.links();
    assert!(links.iter().any(|(_, t)| t.starts_with(env.vault())));
    for (page, target) in &links {
        assert!(
            target.exists(),
            "{} links to missing {}",
            page.display(),
            target.display()
        );
    }
    // Written again: the old site is replaced whole (a stray file is gone), and the build left
    // by a killed report process an hour ago is cleared, not one that may be in progress.
    std::fs::write(out.join("stale.html"), "old").unwrap();
    let killed = out.with_file_name(".report.tmp-0badc0de");
    let running = out.with_file_name(".report.tmp-0000beef");
    std::fs::create_dir_all(&killed).unwrap();
    std::fs::create_dir_all(&running).unwrap();
    let touched = std::process::Command::new("touch")
        .args(["-d", "2 hours ago"])
        .arg(&killed)
        .status()
        .unwrap();
    assert!(touched.success());
    report(&env, &["--out", out.to_str().unwrap()]);
    assert!(!out.join("stale.html").exists());
    assert!(!killed.exists(), "a build left two hours ago is removed");
    assert!(running.exists(), "a recent build is left alone");
    // A folder that is not a report is never touched.
    let mine = env.path().join("my documents");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::write(mine.join("thesis.txt"), "precious").unwrap();
    let refused = env.run(&[
        "report",
        "--window",
        "2026-q1",
        "--out",
        mine.to_str().unwrap(),
    ]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(text(&refused).contains("is not a report written by evidence-agent"));
    assert_eq!(
        std::fs::read_to_string(mine.join("thesis.txt")).unwrap(),
        "precious"
    );
    assert_eq!(std::fs::read_dir(&mine).unwrap().count(), 1);
    // An unknown window is a usage error naming it.
    let unknown = env.run(&["report", "--window", "2027-q9"]);
    assert_eq!(unknown.status.code(), Some(2), "{}", text(&unknown));
    assert!(text(&unknown).contains("no audit window named `2027-q9`"));
}

#[test]
fn an_altered_run_record_is_flagged_not_presented_as_evidence() {
    let (env, _) = built();
    let run = crate::util::run_folders(&env.vault())
        .into_iter()
        .find(|r| r.to_string_lossy().contains("2026-01-12/aws-iam"))
        .unwrap();
    let path = run.join("run.json");
    let altered = std::fs::read_to_string(&path)
        .unwrap()
        .replace("console-without-mfa", "console-with-mfa");
    std::fs::write(&path, altered).unwrap();
    let site = report(&env, &[]);
    let day = site.page("days/2026-01-12.html");
    assert!(day.contains("This run record cannot be trusted: run.json differs from the hash its ledger line records"), "{day}");
    let index = site.page("index.html");
    assert!(index.contains("Problems found while reading the vault"));
    assert!(index.contains("2026-01-12/aws-iam/"));
}

#[test]
fn collect_refreshes_the_report_in_the_vault() {
    let env = Env::new("");
    // Before the first run there is no vault: nothing to report, and nothing is created.
    let early = env.run(&["report"]);
    assert_eq!(early.status.code(), Some(2), "{}", text(&early));
    assert!(
        text(&early).contains("run `evidence-agent collect` first"),
        "{}",
        text(&early)
    );
    assert!(!env.vault().exists());
    env.add_collector("echo", "", "echo hello > \"$EVIDENCE_OUT_DIR/hello.txt\"");
    let out = env.run(&["collect", "echo"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let index = env.vault().join("test-window/derived/report/index.html");
    assert!(
        text(&out).contains(&format!("report: {}", index.display())),
        "{}",
        text(&out)
    );
    let html = std::fs::read_to_string(&index).unwrap();
    assert!(
        html.contains("<span data-count=\"runs\">1</span>"),
        "{html}"
    );
}

#[test]
fn the_daemon_refreshes_the_report_after_each_run() {
    let env = Env::new("");
    let today = chrono::Utc::now().date_naive();
    std::fs::write(
        env.config(),
        format!(
            "[agent]\nvault_dir = \"vault\"\ncollectors_dir = \"collectors\"\njitter_secs = 0\n\
             shutdown_grace_secs = 2\n\n[http]\nenabled = false\n\n[[windows]]\nname = \"now\"\n\
             start = {}\nend = {}\n\n[collectors.tick]\nschedule = \"*/2 * * * * *\"\n",
            today - chrono::Duration::days(3),
            today + chrono::Duration::days(3)
        ),
    )
    .unwrap();
    env.add_collector("tick", "", "date > \"$EVIDENCE_OUT_DIR/tick.txt\"");
    let child = env
        .command(&["run"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let marker = env.vault().join("now/derived/report/report.json");
    let started = std::time::Instant::now();
    let mut seen = Vec::new();
    while started.elapsed() < std::time::Duration::from_secs(40) && seen.len() < 3 {
        if let Ok(bytes) = std::fs::read(&marker)
            && let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes)
            && let Some(runs) = v["runs"].as_u64()
            && seen.last() != Some(&runs)
        {
            seen.push(runs);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    assert!(
        seen.len() >= 3 && seen.windows(2).all(|w| w[0] < w[1]),
        "the report's run count grows run after run: {seen:?}\n{}",
        text(&out)
    );
    // What the last refresh saw is in the vault, and the report is never half-written.
    let ledger = std::fs::read_to_string(env.vault().join("now/ledger.jsonl")).unwrap();
    assert!(ledger.lines().count() as u64 >= *seen.last().unwrap());
    assert!(env.vault().join("now/derived/report/index.html").is_file());
    let strays: Vec<_> = std::fs::read_dir(env.vault().join("now/derived"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != "report")
        .collect();
    assert!(strays.is_empty(), "no temporary folders left: {strays:?}");
}
