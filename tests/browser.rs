//! The HTML report in a real browser: headless Chromium (tests/cdp.rs) opens the report of a vault
//! with a history from disk, crawls every page of the site, and checks that no page logs an
//! error, that the pages have the accessibility basics, that every sortable table sorts, and saves
//! screenshots under `target/report-screenshots/` for a person to look at.

use std::cmp::Ordering;
use std::collections::{BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

use chrono::{Datelike, Duration, NaiveDate};
use evidence_agent::evidence::{RunStatus, Severity};
use serde_json::Value;

use crate::cdp::{Browser, Page, problem};
use crate::history::{Run, Window, commit, day};
use crate::util::{self, Env};

/// Pages crawled at most per site.
const MAX_PAGES: usize = 40;

/// What a browser found wrong on one page.
#[derive(Debug, Default)]
struct PageCheck {
    /// Errors, warnings, exceptions, broken links, missing accessibility basics.
    problems: Vec<String>,
    /// Absolute `file://` URLs of the site's own pages this page links to.
    pages: Vec<String>,
    /// Sortable tables checked and header buttons clicked.
    sortable_tables: usize,
    sort_clicks: usize,
}

/// A `file://` URL's path, percent-decoded, without query or fragment; `None` for other schemes.
fn file_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("file://")?;
    let rest = rest.split(['#', '?']).next().unwrap_or(rest);
    let mut bytes = Vec::with_capacity(rest.len());
    let mut it = rest.bytes();
    while let Some(b) = it.next() {
        if b == b'%' {
            let hex: Vec<u8> = it.by_ref().take(2).collect();
            let v = std::str::from_utf8(&hex)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            bytes.push(v?);
        } else {
            bytes.push(b);
        }
    }
    use std::os::unix::ffi::OsStringExt;
    Some(PathBuf::from(std::ffi::OsString::from_vec(bytes)))
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// Compares two cells of a column: as numbers when `numeric`, else by code point, as JavaScript's
/// `<` orders strings (the report's contract, docs/report.md).
fn compare(a: &str, b: &str, numeric: bool) -> Ordering {
    if numeric {
        let (x, y) = (a.parse::<f64>(), b.parse::<f64>());
        if let (Ok(x), Ok(y)) = (x, y) {
            return x.total_cmp(&y);
        }
    }
    a.cmp(b)
}

/// Whether every cell of the column is a number (then the column sorts numerically).
fn is_numeric(cells: &[String]) -> bool {
    !cells.is_empty()
        && cells
            .iter()
            .all(|c| c.trim().parse::<f64>().is_ok_and(|n| !n.is_nan()))
}

/// The rows of the `t`-th sortable table as cell texts, and the header buttons' column indices.
fn read_table(browser: &mut Browser, page: &Page, t: usize) -> Result<Value, String> {
    browser.eval(
        page,
        &format!(
            "(() => {{ const t = document.querySelectorAll('table.sortable')[{t}];
               const rows = Array.from(t.tBodies).flatMap(b => Array.from(b.rows))
                 .map(r => Array.from(r.cells).map(c => c.textContent.trim()));
               const buttons = t.tHead ? Array.from(t.tHead.querySelectorAll('th button')) : [];
               return {{ rows, columns: buttons.map(b => b.closest('th').cellIndex),
                        aria: buttons.map(b => b.closest('th').getAttribute('aria-sort')) }}; }})()"
        ),
    )
}

fn rows_of(v: &Value) -> Vec<Vec<String>> {
    v["rows"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    r.as_array()
                        .map(|cells| {
                            cells
                                .iter()
                                .map(|c| c.as_str().unwrap_or_default().to_string())
                                .collect()
                        })
                        .unwrap_or_default()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Clicks every header button of every `table.sortable` twice and checks the rows: same rows,
/// sorted by that column ascending after the first click and descending after the second, with
/// `aria-sort` set to match. Returns the problems, tables and clicks.
fn check_sorting(
    browser: &mut Browser,
    page: &Page,
) -> Result<(Vec<String>, usize, usize), String> {
    let tables = browser
        .eval(page, "document.querySelectorAll('table.sortable').length")?
        .as_u64()
        .unwrap_or(0) as usize;
    let mut problems = Vec::new();
    let mut clicks = 0;
    for t in 0..tables {
        let before = read_table(browser, page, t)?;
        let mut original = rows_of(&before);
        original.sort();
        let columns: Vec<usize> = before["columns"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_u64)
                    .map(|c| c as usize)
                    .collect()
            })
            .unwrap_or_default();
        if columns.is_empty() {
            problems.push(format!("sortable table {t} has no `thead th button`"));
        }
        for (b, &col) in columns.iter().enumerate() {
            for (direction, aria) in [
                (Ordering::Less, "ascending"),
                (Ordering::Greater, "descending"),
            ] {
                browser.eval(
                    page,
                    &format!(
                        "(async () => {{ document.querySelectorAll('table.sortable')[{t}]
                           .tHead.querySelectorAll('th button')[{b}].click();
                           await new Promise(r => setTimeout(r, 0)); }})()"
                    ),
                )?;
                clicks += 1;
                let after = read_table(browser, page, t)?;
                let rows = rows_of(&after);
                let mut same = rows.clone();
                same.sort();
                if same != original {
                    problems.push(format!(
                        "table {t}, column {col}: clicking the header changed the rows themselves"
                    ));
                    continue;
                }
                let cells: Vec<String> = rows
                    .iter()
                    .map(|r| r.get(col).cloned().unwrap_or_default())
                    .collect();
                let numeric = is_numeric(&cells);
                let mut expected = cells.clone();
                expected.sort_by(|x, y| compare(x, y, numeric));
                if direction == Ordering::Greater {
                    expected.reverse();
                }
                let sorted = cells
                    .iter()
                    .zip(&expected)
                    .all(|(x, y)| compare(x, y, numeric) == Ordering::Equal);
                if !sorted {
                    problems.push(format!(
                        "table {t}, column {col}: not sorted {aria} ({}) after a click: got {cells:?}, expected {expected:?}",
                        if numeric { "numbers" } else { "text" }
                    ));
                }
                let got = after["aria"][b].as_str().unwrap_or("none");
                if got != aria {
                    problems.push(format!(
                        "table {t}, column {col}: aria-sort is `{got}` after sorting {aria}"
                    ));
                }
            }
        }
    }
    Ok((problems, tables, clicks))
}

/// Opens `url` in a fresh tab and checks it; `site` is the site folder (links inside it are pages
/// to crawl).
fn check_page(browser: &mut Browser, url: &str, site: &Path) -> Result<PageCheck, String> {
    let page = browser.new_page()?;
    browser.navigate(&page, url)?;
    let facts = browser.eval(
        &page,
        "({ h1: document.querySelectorAll('h1').length,
            lang: document.documentElement.getAttribute('lang') || '',
            tables: Array.from(document.querySelectorAll('table'))
              .map(t => t.querySelectorAll('th').length),
            links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
            assets: Array.from(document.querySelectorAll('script[src], link[href], img[src]'))
              .map(e => e.src || e.href) })",
    )?;
    let mut check = PageCheck::default();
    if facts["h1"].as_u64() == Some(0) {
        check.problems.push("no <h1>".into());
    }
    if facts["lang"].as_str().unwrap_or_default().is_empty() {
        check.problems.push("no `lang` on <html>".into());
    }
    for (i, ths) in facts["tables"].as_array().into_iter().flatten().enumerate() {
        if ths.as_u64() == Some(0) {
            check.problems.push(format!("table {i} has no <th> cells"));
        }
    }
    for asset in facts["assets"].as_array().into_iter().flatten() {
        let asset = asset.as_str().unwrap_or_default();
        if !asset.starts_with("file://") {
            check.problems.push(format!(
                "external asset {asset}: the report must be self-contained"
            ));
        }
    }
    for link in facts["links"].as_array().into_iter().flatten() {
        let link = link.as_str().unwrap_or_default();
        let Some(path) = file_path(link) else {
            continue;
        };
        if !path.exists() {
            check.problems.push(format!("broken link {link}"));
        } else if path.starts_with(site) && path.extension().is_some_and(|e| e == "html") {
            check.pages.push(file_url(&path));
        }
    }
    let (sort_problems, tables, clicks) = check_sorting(browser, &page)?;
    check.problems.extend(sort_problems);
    check.sortable_tables = tables;
    check.sort_clicks = clicks;
    // After the clicks, so an exception thrown by the sort script is caught too.
    check.problems.extend(
        browser
            .take_events(&page.session)?
            .iter()
            .filter_map(problem),
    );
    browser.close(page)?;
    Ok(check)
}

/// Where screenshots go: `target/report-screenshots/`, beside the binary's profile folder.
fn screenshot_dir() -> PathBuf {
    let bin = util::bin();
    let target = bin
        .parent()
        .and_then(Path::parent)
        .expect("the binary lives in target/<profile>/");
    let dir = target.join("report-screenshots");
    std::fs::create_dir_all(&dir).expect("create target/report-screenshots");
    dir
}

/// Saves a full-page screenshot of `url` as `name`, checked to be a real, non-trivial PNG.
fn screenshot(browser: &mut Browser, url: &str, name: &str) -> PathBuf {
    let page = browser.new_page().expect("a tab");
    browser.navigate(&page, url).expect("open the page");
    let png = browser.screenshot(&page).expect("screenshot");
    browser.close(page).expect("close the tab");
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{name}: not a PNG ({} bytes)",
        png.len()
    );
    // An all-blank page compresses to well under this; a rendered report is far above it.
    assert!(png.len() > 5_000, "{name}: PNG of only {} bytes", png.len());
    let width = u32::from_be_bytes([png[16], png[17], png[18], png[19]]);
    let height = u32::from_be_bytes([png[20], png[21], png[22], png[23]]);
    assert!(width >= 800 && height >= 600, "{name}: {width}x{height}");
    let path = screenshot_dir().join(name);
    std::fs::write(&path, &png).expect("write the screenshot");
    path
}

/// The collectors of the history: name and criteria.
const HOST: (&str, &[&str]) = ("host-baseline", &["CC6.1", "CC6.6", "CC6.8", "CC7.1"]);
const GITHUB: (&str, &[&str]) = ("github-pull-requests", &["CC8.1"]);
const AWS: (&str, &[&str]) = ("aws-iam", &["CC6.1", "CC6.2", "CC6.3"]);
const TLS: (&str, &[&str]) = ("tls-endpoints", &["CC6.7"]);
const SCAN: (&str, &[&str]) = ("scan-reports", &["CC7.1"]);

fn csv_line(cells: &[String]) -> String {
    let quoted: Vec<String> = cells
        .iter()
        .map(|c| {
            if c.contains([',', '"', '\n']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.clone()
            }
        })
        .collect();
    format!("{}\r\n", quoted.join(","))
}

fn csv(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let head: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    let mut out = csv_line(&head);
    for r in rows {
        out.push_str(&csv_line(&r));
    }
    out
}

/// github-pull-requests' population.csv: `n` merged PRs up to `d`, some without approval.
fn population(d: NaiveDate, n: usize) -> String {
    use evidence_agent::collector::github::population::COLUMNS;
    let authors = ["alice", "Bob", "carol", "dave_ops", "erin-2"];
    let rows = (0..n)
        .map(|i| {
            let number = 100 + (i * 37) % 250;
            let approvals = (i * 7) % 3;
            vec![
                format!("acme/{}", ["api", "web", "infra"][i % 3]),
                number.to_string(),
                format!("https://github.com/acme/api/pull/{number}"),
                format!(
                    "Change {i}: {}",
                    ["fix, retry", "bump \"deps\"", "docs"][i % 3]
                ),
                authors[i % 5].to_string(),
                authors[(i + 2) % 5].to_string(),
                format!("{d}T{:02}:{:02}:00Z", i % 24, (i * 13) % 60),
                "2026-q1".to_string(),
                "main".to_string(),
                format!("{:040x}", i * 7919 + 1),
                format!("{:040x}", i * 104_729 + 3),
                approvals.to_string(),
                (approvals > 0 && i % 5 != 0).to_string(),
                ["success", "failure", "pending"][i % 3].to_string(),
                if approvals == 0 {
                    "no-approval".into()
                } else {
                    String::new()
                },
                format!("artifacts/prs/acme/api/{number}.json"),
            ]
        })
        .collect();
    csv(COLUMNS, rows)
}

/// aws-iam's users.csv.
fn users() -> String {
    use evidence_agent::collector::aws_iam::users::COLUMNS;
    let rows = [
        "<root_account>",
        "alice",
        "bob",
        "ci-deploy",
        "Zed",
        "mallory",
    ]
    .iter()
    .enumerate()
    .map(|(i, u)| {
        let mfa = i % 3 != 2;
        let mut r = vec![
            u.to_string(),
            format!("arn:aws:iam::123456789012:user/{u}"),
            format!("2025-0{}-1{i}T08:00:00Z", 1 + i % 9),
            (i != 3).to_string(),
            if i == 3 {
                String::new()
            } else {
                format!("2026-01-2{i}T10:00:00Z")
            },
            mfa.to_string(),
            if mfa {
                format!("arn:aws:iam::123456789012:mfa/{u}")
            } else {
                String::new()
            },
            "true".into(),
            (i * 97 % 400).to_string(),
            "2026-01-20T00:00:00Z".into(),
            String::new(),
            String::new(),
            String::new(),
            format!("2026-01-2{i}T10:00:00Z"),
            if mfa {
                String::new()
            } else {
                "console-user-without-mfa".into()
            },
        ];
        r.truncate(COLUMNS.len());
        r
    })
    .collect();
    csv(COLUMNS, rows)
}

/// tls-endpoints' endpoints.csv.
fn endpoints(d: NaiveDate) -> String {
    let header = evidence_agent::collector::tls::ENDPOINT_COLUMNS;
    let rows = [
        ("www.acme.test:443", 80),
        ("api.acme.test:443", 9),
        ("legacy.acme.test:8443", 400),
    ]
    .iter()
    .enumerate()
    .map(|(i, (e, left))| {
        let host = e.split(':').next().unwrap_or_default();
        vec![
            e.to_string(),
            ["public website", "API", "legacy portal"][i].into(),
            host.into(),
            "true".into(),
            (i == 2).to_string(),
            (i == 2).to_string(),
            "true".into(),
            (i != 2).to_string(),
            "TLS_AES_256_GCM_SHA384".into(),
            format!("CN={host}"),
            (d + Duration::days(*left)).to_string(),
            left.to_string(),
            "true".into(),
            "true".into(),
            (i == 0).to_string(),
            match i {
                1 => "certificate-expiring".into(),
                2 => "tls-legacy-protocol".into(),
                _ => String::new(),
            },
        ]
    })
    .collect();
    csv(&header, rows)
}

/// scan-reports' reports.csv.
fn reports(d: NaiveDate) -> String {
    let header = evidence_agent::collector::scan_reports::report_columns();
    let rows = [
        ("trivy.json", "trivy", "Trivy", 2, 14),
        ("zap.xml", "zap", "ZAP", 0, 3),
    ]
    .iter()
    .enumerate()
    .map(|(i, (file, format, scanner, critical, high))| {
        vec![
            format!("/srv/drop/{file}"),
            file.to_string(),
            (48_213 * (i + 1) + d.ordinal() as usize).to_string(),
            format!("{:064x}", d.ordinal() as usize * 31 + i),
            "imported".into(),
            String::new(),
            format.to_string(),
            scanner.to_string(),
            "0.5".into(),
            "registry.acme.test/api:1.4".into(),
            format!("{d}T01:00:00Z"),
            d.to_string(),
            critical.to_string(),
            high.to_string(),
            (7 * (i + 1)).to_string(),
            (11 + i).to_string(),
            "0".into(),
            "0".into(),
            format!("artifacts/reports/{i}/summary.json"),
        ]
    })
    .collect();
    csv(&header, rows)
}

/// Commits a history over the window: daily host-baseline runs (two gap days, one failure), PRs
/// every third day, IAM weekly, TLS every other day (one failure), scans weekly.
fn build_history(vault: &Path, window: &Window) {
    let gaps = [day("2026-01-13"), day("2026-01-14")];
    let mut d = window.start;
    while d <= day("2026-02-10") {
        let i = (d - window.start).num_days();
        if !gaps.contains(&d) {
            let run = Run::new(HOST.0, HOST.1, d)
                .artifact("baseline.json", format!("{{\"day\":\"{d}\"}}"));
            let run = if i == 20 {
                run.failed(
                    RunStatus::Failed,
                    "collect.sh exited with status 3: sshd_config unreadable",
                )
            } else if i % 9 == 4 {
                run.finding(
                    "sshd-password-authentication",
                    Severity::Medium,
                    "sshd",
                    Some("baseline.json"),
                )
            } else {
                run
            };
            commit(vault, window, run);
        }
        if i % 3 == 0 {
            let n = 4 + i as usize / 3;
            let run = Run::new(GITHUB.0, GITHUB.1, d)
                .at(4, 15)
                .artifact("population.csv", population(d, n))
                .artifact("prs/acme/api/100.json", "{\"number\":100}")
                .finding(
                    "merged-without-approval",
                    Severity::High,
                    "acme/api#100",
                    Some("prs/acme/api/100.json"),
                );
            commit(vault, window, run);
        }
        if i % 7 == 1 {
            let run = Run::new(AWS.0, AWS.1, d)
                .at(5, 0)
                .artifact("users.csv", users())
                .artifact("credential-report.csv", "user,arn\n")
                .finding(
                    "console-user-without-mfa",
                    Severity::High,
                    "ci-deploy",
                    Some("users.csv"),
                );
            commit(vault, window, run);
        }
        if i % 2 == 0 {
            let run = Run::new(TLS.0, TLS.1, d).at(6, 30);
            let run = if i == 10 {
                run.failed(
                    RunStatus::Interrupted,
                    "the agent stopped before the run finished",
                )
            } else {
                run.artifact("endpoints.csv", endpoints(d))
                    .artifact("tls.json", "{}")
                    .finding(
                        "certificate-expiring",
                        Severity::Medium,
                        "api.acme.test:443",
                        Some("endpoints.csv"),
                    )
            };
            commit(vault, window, run);
        }
        if i % 7 == 3 {
            let run = Run::new(SCAN.0, SCAN.1, d)
                .at(7, 45)
                .artifact("reports.csv", reports(d))
                .artifact("reports/0/summary.json", "{\"critical\":2}")
                .finding(
                    "scan-critical",
                    Severity::Critical,
                    "registry.acme.test/api:1.4",
                    Some("reports/0/summary.json"),
                );
            commit(vault, window, run);
        }
        d += Duration::days(1);
    }
}

/// Crawls the site from `index` in one browser; returns every page's problems and the totals.
fn crawl(
    browser: &mut Browser,
    index: &Path,
    site: &Path,
) -> (Vec<String>, BTreeSet<String>, usize, usize) {
    let start = file_url(index);
    let mut queue = VecDeque::from([start.clone()]);
    let mut seen = BTreeSet::from([start]);
    let (mut problems, mut tables, mut clicks) = (Vec::new(), 0, 0);
    while let Some(url) = queue.pop_front() {
        let check = check_page(browser, &url, site).unwrap_or_else(|e| PageCheck {
            problems: vec![e],
            ..PageCheck::default()
        });
        problems.extend(check.problems.iter().map(|p| format!("{url}: {p}")));
        tables += check.sortable_tables;
        clicks += check.sort_clicks;
        for next in check.pages {
            if seen.len() < MAX_PAGES && seen.insert(next.clone()) {
                queue.push_back(next);
            }
        }
    }
    (problems, seen, tables, clicks)
}

#[test]
fn report_site_has_no_errors_and_sortable_tables_sort() {
    let env = Env::new("");
    env.add_collector("host-baseline", "", "exit 0");
    let window = Window {
        name: "2026-q1",
        start: day("2026-01-01"),
        end: day("2026-03-31"),
    };
    std::fs::write(
        env.config(),
        "[agent]\nvault_dir = \"vault\"\ncollectors_dir = \"collectors\"\n\n[http]\nenabled = false\n\n\
         [[windows]]\nname = \"2026-q1\"\nstart = 2026-01-01\nend = 2026-03-31\n",
    )
    .expect("write the config");
    build_history(&env.vault(), &window);
    let out = env.run(&["report", "--window", "2026-q1"]);
    assert_eq!(out.status.code(), Some(0), "{}", util::text(&out));
    let site = evidence_agent::report::default_out(&env.vault(), "2026-q1");
    let index = site.join("index.html");
    assert!(
        index.is_file(),
        "no {}\n{}",
        index.display(),
        util::text(&out)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let pages_written: u64 = stdout
        .split(" pages")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no page count in the summary line: {stdout}"));

    let mut browser = Browser::launch();
    let (problems, visited, tables, clicks) = crawl(&mut browser, &index, &site);
    eprintln!(
        "crawled {} pages, {tables} sortable tables, {clicks} header clicks",
        visited.len()
    );
    assert!(
        problems.is_empty(),
        "problems in the report:\n{}",
        problems.join("\n")
    );
    assert!(!visited.is_empty());
    if pages_written > 1 {
        // The real site: the crawl must reach every kind of page, and sort real tables.
        for page in ["findings.html", "populations.html"] {
            assert!(
                visited.contains(&file_url(&site.join(page))),
                "{page} not linked from index.html: visited {visited:?}"
            );
        }
        assert!(
            visited.iter().any(|u| u.contains("/days/")),
            "no days/<date>.html reached: {visited:?}"
        );
        assert!(
            tables > 0 && clicks > 0,
            "no sortable table was found on the site"
        );
    }
    let shot = screenshot(&mut browser, &file_url(&index), "index.png");
    eprintln!("screenshot: {}", shot.display());
    if let Some(other) = visited
        .iter()
        .find(|u| u.contains("/days/"))
        .or_else(|| visited.iter().find(|u| !u.ends_with("/index.html")))
    {
        let shot = screenshot(&mut browser, other, "page.png");
        eprintln!("screenshot: {}", shot.display());
    }
}

/// The sort script the checker is proven against: sorts on click, numeric columns as numbers.
const GOOD_SORT: &str = r#"
document.querySelectorAll('table.sortable th button').forEach(button => {
  button.addEventListener('click', () => {
    const th = button.closest('th'), table = th.closest('table'), col = th.cellIndex;
    const asc = th.getAttribute('aria-sort') !== 'ascending';
    table.querySelectorAll('thead th').forEach(h => h.removeAttribute('aria-sort'));
    th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
    const body = table.tBodies[0], rows = Array.from(body.rows);
    const text = r => r.cells[col].textContent.trim();
    const numeric = rows.every(r => text(r) !== '' && !isNaN(Number(text(r))));
    rows.sort((a, b) => {
      const c = numeric ? Number(text(a)) - Number(text(b)) : (text(a) < text(b) ? -1 : text(a) > text(b) ? 1 : 0);
      return asc ? c : -c;
    });
    rows.forEach(r => body.appendChild(r));
  });
});
"#;

fn fixture_page(dir: &Path, name: &str, script: &str) -> PathBuf {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>t</title></head><body>\
         <h1>Fixture</h1><table class=\"sortable\"><thead><tr>\
         <th scope=\"col\"><button type=\"button\">User</button></th>\
         <th scope=\"col\"><button type=\"button\">Age (days)</button></th></tr></thead><tbody>\
         <tr><td>carol</td><td>9</td></tr><tr><td>Alice</td><td>120</td></tr>\
         <tr><td>bob-2</td><td>30</td></tr><tr><td>dave</td><td>4</td></tr>\
         </tbody></table>{script}</body></html>"
    );
    let path = dir.join(name);
    std::fs::write(&path, html).expect("write the fixture page");
    path
}

#[test]
fn checker_passes_a_working_sort_and_catches_a_broken_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = fixture_page(
        dir.path(),
        "good.html",
        &format!("<script>{GOOD_SORT}</script>"),
    );
    // Sorts the wrong way round, references a script that is not there, and logs an error.
    let broken_sort = GOOD_SORT.replace("return asc ? c : -c;", "return asc ? -c : c;");
    let broken = fixture_page(
        dir.path(),
        "broken.html",
        &format!(
            "<script src=\"missing-sort.js\"></script><script>{broken_sort}\nconsole.error('sort script failed');</script>"
        ),
    );
    let mut browser = Browser::launch();

    let check = check_page(&mut browser, &file_url(&good), dir.path()).expect("check good.html");
    assert!(check.problems.is_empty(), "{:#?}", check.problems);
    assert_eq!((check.sortable_tables, check.sort_clicks), (1, 4));

    let check =
        check_page(&mut browser, &file_url(&broken), dir.path()).expect("check broken.html");
    let all = check.problems.join("\n");
    assert!(
        all.contains("column 0: not sorted ascending (text)"),
        "{all}"
    );
    assert!(
        all.contains("column 1: not sorted ascending (numbers)"),
        "{all}"
    );
    assert!(all.contains("console.error: sort script failed"), "{all}");
    assert!(
        all.contains("log error") && all.contains("missing-sort.js"),
        "a missing script is a log error naming it:\n{all}"
    );

    // A page without the basics, with a broken link and an external asset.
    let bare = dir.path().join("bare.html");
    std::fs::write(
        &bare,
        "<!doctype html><html><body><p>x</p><table><tr><td>1</td></tr></table>\
         <a href=\"nowhere.html\">gone</a><img src=\"http://127.0.0.1:9/x.png\" alt=\"\"></body></html>",
    )
    .expect("write bare.html");
    let check = check_page(&mut browser, &file_url(&bare), dir.path()).expect("check bare.html");
    let all = check.problems.join("\n");
    for expected in [
        "no <h1>",
        "no `lang`",
        "table 0 has no <th>",
        "broken link",
        "external asset",
    ] {
        assert!(all.contains(expected), "missing `{expected}` in:\n{all}");
    }
}
