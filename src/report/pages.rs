//! The pages of the site, each from what `gather` kept: the overview with the coverage calendar,
//! findings per criterion, populations, runs by day, and one page per day with every run record.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};

use chrono::{Datelike, NaiveDate};

use super::ReportError;
use super::calendar::{self, Plan, State};
use super::findings::Exception;
use super::gather::Gathered;
use super::html::{Frame, TABLE_END, Table, esc, num, td, td_hash, td_link};
use super::links::evidence;
use super::load::{Run, run_id};
use super::population::Merged;
use super::site::{Build, io};
use super::{PlannedCollector, Request};

/// The criteria every report lists, supported or not: a criterion no collector covers is a gap too.
pub const CORE_CRITERIA: [&str; 6] = ["CC6.1", "CC6.2", "CC6.3", "CC6.7", "CC7.1", "CC8.1"];

/// Everything the pages share.
pub struct Site<'a> {
    pub req: &'a Request,
    pub frame: Frame<'a>,
}

impl Site<'_> {
    fn link(&self, root: &str, rel: &str) -> String {
        evidence(&self.req.evidence_base, root, rel)
    }

    /// The page of the runs of one day (`days/<date>.html`).
    pub fn day(&self, date: NaiveDate, runs: &[Run], prev: Option<NaiveDate>) -> String {
        let root = "../";
        let mut body = String::new();
        let _ = writeln!(
            body,
            "<p>{} run(s) started on {date} (UTC), each with its run record, findings and every \
             file with its SHA-256. Open a file to see the evidence as it was stored.</p>",
            runs.len()
        );
        if let Some(p) = prev {
            let _ = writeln!(
                body,
                "<p><a href=\"{p}.html\">Previous day with runs: {p}</a></p>"
            );
        }
        let mut seen = BTreeSet::new();
        let mut ordered: Vec<&Run> = runs.iter().collect();
        ordered.sort_by(|a, b| {
            (&a.entry.collector, &a.entry.started_at)
                .cmp(&(&b.entry.collector, &b.entry.started_at))
        });
        for run in ordered {
            let collector = &run.entry.collector;
            let anchor = if seen.insert(collector.clone()) {
                format!(" id=\"c-{}\"", esc(collector))
            } else {
                String::new()
            };
            let _ = writeln!(
                body,
                "<section class=\"run\" aria-labelledby=\"r-{id}\"><h2{anchor}><span id=\"r-{id}\">{collector} \
                 · {time} UTC</span> <span class=\"status s-{status}\">{status}</span></h2>",
                id = esc(run.run_id()),
                collector = esc(collector),
                time = esc(run.entry.started_at.get(11..19).unwrap_or("")),
                status = run.status(),
            );
            self.run_record(&mut body, root, run);
            body.push_str("</section>\n");
        }
        self.frame.page(root, &format!("Runs on {date}"), &body)
    }

    fn run_record(&self, body: &mut String, root: &str, run: &Run) {
        if let Some(p) = &run.problem {
            let _ = writeln!(
                body,
                "<p class=\"warning\" role=\"alert\">This run record cannot be trusted: {}. Run \
                 <code>evidence-agent verify</code>.</p>",
                esc(p)
            );
        }
        body.push_str("<dl class=\"record\">");
        let mut dd = |k: &str, v: String| {
            let _ = write!(body, "<dt>{k}</dt><dd>{v}</dd>");
        };
        dd(
            "Run record",
            format!(
                "<a href=\"{}\">run.json</a> · <a href=\"{}\">SHA256SUMS</a> · folder <code>{}</code>",
                esc(&self.link(root, &format!("{}/run.json", run.rel()))),
                esc(&self.link(root, &format!("{}/SHA256SUMS", run.rel()))),
                esc(run.rel())
            ),
        );
        dd("Status", esc(run.status().as_str()));
        dd("Started", esc(&run.entry.started_at));
        dd("Finished", esc(&run.entry.finished_at));
        dd("Criteria", esc(&run.criteria.join(", ")));
        dd(
            "Collector",
            esc(&format!(
                "{} {} ({})",
                run.entry.collector, run.collector_version, run.collector_kind
            )),
        );
        if let Some(e) = &run.error {
            dd(
                "Why it did not succeed",
                format!("<span class=\"error\">{}</span>", esc(e)),
            );
        }
        if run.refused > 0 {
            dd(
                "Files refused",
                format!("{} (reasons in run.json)", run.refused),
            );
        }
        dd(
            "Ledger",
            format!(
                "line {}, run.json SHA-256 <code>{}</code>",
                run.entry.seq,
                esc(&run.entry.run_json_sha256)
            ),
        );
        body.push_str("</dl>\n");
        if !run.findings.is_empty() {
            let mut t = Table::new(
                "findings",
                "Findings of this run",
                &["Severity", "Rule", "Subject", "Message", "Evidence"],
            );
            for f in &run.findings {
                let link = match &f.artifact {
                    Some(a) => {
                        td_link(&self.link(root, &format!("{}/artifacts/{a}", run.rel())), a)
                    }
                    None => td(""),
                };
                t.row(
                    &format!(" class=\"sev-{}\"", severity(f.severity)),
                    &format!(
                        "{}{}{}{}{link}",
                        td(severity(f.severity)),
                        td(&f.rule),
                        td(&f.subject),
                        td(&f.message)
                    ),
                );
            }
            body.push_str(&t.finish());
        }
        if !run.artifacts.is_empty() {
            let mut t = Table::new(
                "artifacts",
                &format!("Files of this run, collected {}", run.entry.finished_at),
                &["File", "Bytes", "SHA-256", "Media type"],
            );
            for a in &run.artifacts {
                let href = self.link(root, &format!("{}/{}", run.rel(), a.path));
                t.row(
                    "",
                    &format!(
                        "{}{}{}{}",
                        td_link(&href, &a.path),
                        num(a.size),
                        td_hash(&a.sha256),
                        td(&a.media_type)
                    ),
                );
            }
            body.push_str(&t.finish());
        }
        for (name, map) in [("Parameters", &run.parameters), ("Summary", &run.summary)] {
            if !map.is_empty() {
                let pretty = serde_json::to_string_pretty(map).unwrap_or_default();
                let _ = writeln!(
                    body,
                    "<details><summary>{name}</summary><pre>{}</pre></details>",
                    esc(&pretty)
                );
            }
        }
    }

    /// `index.html`: the overview per criterion and the coverage calendar.
    pub fn index(&self, g: &Gathered) -> String {
        let today = self.req.now.date_naive();
        let cal = Calendar::new(self.req, g, today);
        let mut body = String::new();
        let (succeeded, failed, skipped) = g.days.iter().fold((0, 0, 0), |(s, f, k), d| {
            (s + d.succeeded, f + d.failed, k + d.skipped)
        });
        let _ = writeln!(
            body,
            "<p class=\"lead\">What the evidence vault holds for this audit window, per SOC 2 \
             criterion and per day. <span data-count=\"runs\">{}</span> runs ({succeeded} \
             succeeded, {failed} failed or interrupted, {skipped} skipped) with \
             <span data-count=\"artifacts\">{}</span> files and <span data-count=\"findings\">{}</span> \
             findings{}.</p>",
            g.runs,
            g.artifacts,
            g.findings,
            selection_note(self.req),
        );
        problems(&mut body, &g.problems);
        body.push_str("<h2 id=\"criteria\">Criteria</h2>\n<p>Days covered: days with at least one successful run of a collector supporting the criterion, out of the days of the window so far. Open findings: reported by the latest successful run of their collector. Exceptions: distinct findings seen at any time in the window.</p>\n");
        let mut t = Table::new(
            "criteria",
            "Coverage and findings per criterion",
            &[
                "Criterion",
                "Collectors",
                "Days covered",
                "Days so far",
                "Days failed",
                "Open findings",
                "Exceptions",
            ],
        );
        for (criterion, collectors) in criteria(g) {
            let collected = cal.days_where(&collectors, State::Collected);
            let covered = collected.len();
            let failed_days = cal
                .days_where(&collectors, State::Failed)
                .difference(&collected)
                .count();
            let exceptions = exceptions_for(g, &criterion, &collectors);
            let open = exceptions.iter().filter(|e| e.open).count();
            let links: Vec<String> = collectors
                .iter()
                .map(|c| format!("<a href=\"#c-{0}\">{0}</a>", esc(c)))
                .collect();
            let names = if links.is_empty() {
                "none: no collector supports it".to_string()
            } else {
                links.join(", ")
            };
            t.row(
                &format!(" data-criterion=\"{}\"", esc(&criterion)),
                &format!(
                    "<td><a href=\"findings.html#{c}\">{c}</a></td><td>{names}</td>{}{}{}{}{}",
                    num(covered),
                    num(cal.elapsed),
                    num(failed_days),
                    num(open),
                    num(exceptions.len()),
                    c = esc(&criterion),
                ),
            );
        }
        body.push_str(&t.finish());
        body.push_str(&cal.render());
        self.frame.page("", "Evidence overview", &body)
    }

    /// `findings.html`: every exception of the window, per criterion.
    pub fn findings(&self, g: &Gathered) -> String {
        let mut body = String::from(
            "<p>Each row is one finding (an exception) of the window: the same rule on the same \
             subject from the same collector, however many runs reported it. <em>In latest run</em> \
             says whether the collector's latest successful run still reports it; a collector that \
             reports an event once (a pull request merged without approval, a scan report imported \
             with critical findings) shows it as no longer reported, which does not mean it was \
             fixed. The evidence link opens the file the finding names, else the run.</p>\n",
        );
        for (criterion, collectors) in criteria(g) {
            let rows = exceptions_for(g, &criterion, &collectors);
            let _ = writeln!(body, "<h2 id=\"{0}\">{0}</h2>", esc(&criterion));
            if rows.is_empty() {
                body.push_str("<p>No findings.</p>\n");
                continue;
            }
            let mut t = Table::new(
                "exceptions",
                &format!("Findings for {criterion}"),
                &[
                    "Severity",
                    "Collector",
                    "Rule",
                    "Subject",
                    "Message",
                    "First seen",
                    "Last seen",
                    "Runs",
                    "In latest run",
                    "Evidence",
                ],
            );
            for e in rows {
                let target = match &e.last.artifact {
                    Some(a) => (
                        self.link("", &format!("{}/artifacts/{a}", e.last.run)),
                        a.clone(),
                    ),
                    None => (
                        format!("days/{}.html#r-{}", e.last.date, run_id(&e.last.run)),
                        "run record".to_string(),
                    ),
                };
                t.row(
                    &format!(" class=\"sev-{}\"", severity(e.severity)),
                    &format!(
                        "{}{}{}{}{}{}{}{}{}{}",
                        td(severity(e.severity)),
                        td(&e.collector),
                        td(&e.rule),
                        td(&e.subject),
                        td(&e.message),
                        td_link(
                            &format!("days/{}.html#r-{}", e.first.date, run_id(&e.first.run)),
                            &e.first.date.to_string()
                        ),
                        td_link(
                            &format!("days/{}.html#r-{}", e.last.date, run_id(&e.last.run)),
                            &e.last.date.to_string()
                        ),
                        num(e.runs),
                        td(if e.open { "yes" } else { "no" }),
                        td_link(&target.0, &target.1),
                    ),
                );
            }
            body.push_str(&t.finish());
        }
        self.frame.page("", "Findings", &body)
    }

    /// `populations.html`: the populations as tables, each beside its CSV. The rows were written
    /// to files of their own while merging; they are copied in here, never held whole.
    pub fn populations(&self, build: &Build, populations: &[Merged]) -> Result<(), ReportError> {
        let path = build.path("populations.html");
        let mut out = BufWriter::new(build.create("populations.html")?);
        let put = |out: &mut BufWriter<File>, s: &str| {
            out.write_all(s.as_bytes())
                .map_err(io("cannot write", &path))
        };
        put(&mut out, &self.frame.head("", "Populations"))?;
        put(
            &mut out,
            "<p>The populations an auditor samples from, merged from the window's runs. Changes and \
             scan reports are every row stored in the window (once each, from the first run that \
             stored it); users and endpoints are the latest successful run's list. Every row links \
             to the file it comes from.</p>\n",
        )?;
        for p in populations {
            let mut body = format!("<h2 id=\"{}\">{}</h2>\n", p.def.id, esc(p.def.title));
            problems(&mut body, &p.problems);
            if p.columns.is_empty() {
                let _ = writeln!(
                    body,
                    "<p>No <code>{}</code> from the <code>{}</code> collector in this window.</p>",
                    p.def.file, p.def.collector
                );
                put(&mut out, &body)?;
                continue;
            }
            let _ = writeln!(
                body,
                "<p><span data-population=\"{id}\">{}</span> rows from <code>{}</code>. As CSV: \
                 <a href=\"populations/{id}.csv\">populations/{id}.csv</a>.</p>",
                p.rows,
                p.def.collector,
                id = p.def.id,
            );
            let columns: Vec<&str> = p.columns.iter().map(String::as_str).collect();
            body.push_str(&Table::new("population", p.def.title, &columns).head());
            put(&mut out, &body)?;
            let rows = build.path(&rows_file(p.def.id));
            let mut f = File::open(&rows).map_err(io("cannot read", &rows))?;
            std::io::copy(&mut f, &mut out).map_err(io("cannot write", &path))?;
            let _ = std::fs::remove_file(&rows);
            put(&mut out, TABLE_END)?;
        }
        put(&mut out, &self.frame.tail())?;
        out.flush().map_err(io("cannot write", &path))
    }

    /// `runs.html`: every day with runs and its totals.
    pub fn runs(&self, g: &Gathered) -> String {
        let mut body =
            String::from("<p>Every day of the window with at least one run record.</p>\n");
        let mut t = Table::new(
            "days",
            "Runs by day (UTC)",
            &[
                "Day",
                "Runs",
                "Succeeded",
                "Failed or interrupted",
                "Skipped",
                "Files",
                "Bytes",
            ],
        );
        for d in &g.days {
            t.row(
                "",
                &format!(
                    "{}{}{}{}{}{}{}",
                    td_link(&format!("days/{}.html", d.date), &d.date.to_string()),
                    num(d.runs),
                    num(d.succeeded),
                    num(d.failed),
                    num(d.skipped),
                    num(d.artifacts),
                    num(d.bytes)
                ),
            );
        }
        body.push_str(&t.finish());
        self.frame.page("", "Runs by day", &body)
    }
}

/// One calendar cell: the day, its state and the words behind it.
type Cell = (NaiveDate, State, String);

/// The calendar of every collector over the window.
struct Calendar {
    first: NaiveDate,
    last: NaiveDate,
    /// Days of the calendar up to today, inside the selection.
    elapsed: u64,
    /// Per collector: each day's state and its explanation.
    rows: Vec<(String, Vec<Cell>)>,
}

impl Calendar {
    fn new(req: &Request, g: &Gathered, today: NaiveDate) -> Calendar {
        let seen_first = g.days.first().map(|d| d.date);
        let seen_last = g.days.last().map(|d| d.date);
        let first = req.start.or(seen_first).unwrap_or(today);
        let last = req.end.or(seen_last).unwrap_or(today).max(first);
        let planned: BTreeMap<&str, &PlannedCollector> = req
            .collectors
            .iter()
            .map(|c| (c.name.as_str(), c))
            .collect();
        let mut rows = Vec::new();
        for (name, view) in &g.collectors {
            let p = planned.get(name.as_str());
            let plan = Plan {
                enabled: p.is_some_and(|p| p.enabled),
                schedule: p.and_then(|p| p.schedule.as_ref()),
                timezone: req.timezone,
            };
            let mut cells = Vec::new();
            for date in first.iter_days().take_while(|d| *d <= last) {
                let selected = req.selection.includes(date, name);
                let day = view.days.get(&date);
                let state = calendar::state(date, today, selected, day, &plan);
                let title = match day {
                    Some(d) if !d.reasons.is_empty() => format!(
                        "{date}: {} ({} succeeded, {} failed, {} skipped): {}",
                        state.label(),
                        d.succeeded,
                        d.failed,
                        d.skipped,
                        d.reasons.join("; ")
                    ),
                    Some(d) => format!("{date}: {} ({} run(s))", state.label(), d.runs()),
                    None => format!("{date}: {}", state.label()),
                };
                cells.push((date, state, title));
            }
            rows.push((name.clone(), cells));
        }
        let elapsed = first
            .iter_days()
            .take_while(|d| *d <= last.min(today))
            .filter(|d| {
                req.selection.from.is_none_or(|f| *d >= f)
                    && req.selection.to.is_none_or(|t| *d <= t)
            })
            .count() as u64;
        Calendar {
            first,
            last,
            elapsed,
            rows,
        }
    }

    /// Days on which any of `collectors` is in state `want`.
    fn days_where(&self, collectors: &BTreeSet<String>, want: State) -> BTreeSet<NaiveDate> {
        let mut days = BTreeSet::new();
        for (name, cells) in &self.rows {
            if collectors.contains(name) {
                days.extend(cells.iter().filter(|c| c.1 == want).map(|c| c.0));
            }
        }
        days
    }

    fn render(&self) -> String {
        let mut out = format!(
            "<h2 id=\"calendar\">Coverage calendar</h2>\n<p>One cell per day (UTC) from {} to {} \
             for each collector. Days without a run are shown as gaps only when the collector's \
             schedule had a time that day. Hover over a cell for the reason; click it for that \
             day's runs.</p>\n<ul class=\"legend\">",
            self.first, self.last
        );
        for s in State::ALL {
            let _ = write!(
                out,
                "<li><span class=\"cell s-{}\" aria-hidden=\"true\">{}</span> {}</li>",
                s.key(),
                s.mark(),
                s.label()
            );
        }
        out.push_str("</ul>\n");
        for (name, cells) in &self.rows {
            let count = |s: State| cells.iter().filter(|c| c.1 == s).count();
            let _ = writeln!(
                out,
                "<h3 id=\"c-{0}\">{0}</h3>\n<p class=\"tally\" data-collector=\"{0}\">{1} day(s) collected, {2} failed, \
                 {3} skipped, {4} with no run recorded, {5} not scheduled.</p>",
                esc(name),
                count(State::Collected),
                count(State::Failed),
                count(State::Skipped),
                count(State::NoRecord),
                count(State::NotScheduled),
            );
            let _ = write!(
                out,
                "<div class=\"scroll\"><table class=\"calendar\" data-collector=\"{0}\">\n<caption>Coverage of {0}</caption>\n<thead><tr><th scope=\"col\">Month</th>",
                esc(name)
            );
            for d in 1..=31 {
                let _ = write!(out, "<th scope=\"col\">{d}</th>");
            }
            out.push_str("</tr></thead>\n<tbody>\n");
            let mut month: Option<(i32, u32)> = None;
            for (date, state, title) in cells {
                let ym = (date.year(), date.month());
                if month != Some(ym) {
                    if month.is_some() {
                        out.push_str("</tr>\n");
                    }
                    let _ = write!(out, "<tr><th scope=\"row\">{}-{:02}</th>", ym.0, ym.1);
                    for _ in 1..date.day() {
                        out.push_str("<td class=\"out\"></td>");
                    }
                    month = Some(ym);
                }
                let has_runs = matches!(state, State::Collected | State::Failed | State::Skipped);
                let inner = if has_runs {
                    format!(
                        "<a href=\"days/{date}.html#c-{}\" aria-label=\"{}\">{}</a>",
                        esc(name),
                        esc(title),
                        state.mark()
                    )
                } else {
                    format!(
                        "<span aria-label=\"{}\">{}</span>",
                        esc(title),
                        state.mark()
                    )
                };
                let _ = write!(
                    out,
                    "<td class=\"s-{key}\" data-day=\"{date}\" data-state=\"{key}\" title=\"{}\">{inner}</td>",
                    esc(title),
                    key = state.key()
                );
            }
            if month.is_some() {
                out.push_str("</tr>\n");
            }
            out.push_str("</tbody>\n</table></div>\n");
        }
        out
    }
}

/// The criteria to list, each with the collectors supporting it: the core six, then any other a
/// collector declares.
fn criteria(g: &Gathered) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = CORE_CRITERIA
        .iter()
        .map(|c| (c.to_string(), BTreeSet::new()))
        .collect();
    for (name, view) in &g.collectors {
        for c in &view.criteria {
            out.entry(c.clone()).or_default().insert(name.clone());
        }
    }
    out
}

/// Where a population's table rows are written while merging (removed once in their page).
pub fn rows_file(id: &str) -> String {
    format!("populations/.{id}.rows.html")
}

/// One population row as `<tr>`: every cell as text, the last (`evidence`) as a link to the file.
pub fn population_row(evidence_base: &str, row: &[String]) -> String {
    let mut cells = String::from("<tr>");
    if let Some((link, rest)) = row.split_last() {
        for cell in rest {
            cells.push_str(&td(cell));
        }
        let name = link.rsplit('/').next().unwrap_or(link);
        cells.push_str(&td_link(&evidence(evidence_base, "", link), name));
    }
    cells.push_str("</tr>\n");
    cells
}

/// The exceptions filed under `criterion`: by their run's criteria, else by their collector's.
fn exceptions_for<'g>(
    g: &'g Gathered,
    criterion: &str,
    collectors: &BTreeSet<String>,
) -> Vec<&'g Exception> {
    g.exceptions
        .iter()
        .filter(|e| {
            e.criteria.iter().any(|c| c == criterion)
                || (e.criteria.is_empty() && collectors.contains(&e.collector))
        })
        .collect()
}

fn problems(body: &mut String, problems: &[String]) {
    if problems.is_empty() {
        return;
    }
    body.push_str("<div class=\"warning\" role=\"alert\"><p>Problems found while reading the vault; run <code>evidence-agent verify</code>:</p><ul>");
    for p in problems.iter().take(50) {
        let _ = write!(body, "<li>{}</li>", esc(p));
    }
    if problems.len() > 50 {
        let _ = write!(body, "<li>and {} more</li>", problems.len() - 50);
    }
    body.push_str("</ul></div>\n");
}

fn selection_note(req: &Request) -> String {
    let s = &req.selection;
    let mut parts = Vec::new();
    if s.from.is_some() || s.to.is_some() {
        parts.push(format!(
            "runs from {} to {}",
            s.from.map_or("the start".into(), |d| d.to_string()),
            s.to.map_or("the end".into(), |d| d.to_string())
        ));
    }
    if let Some(c) = &s.collectors {
        parts.push(format!(
            "collectors {}",
            c.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(", selected: {}", esc(&parts.join("; ")))
    }
}

fn severity(s: crate::evidence::Severity) -> &'static str {
    use crate::evidence::Severity::*;
    match s {
        Critical => "critical",
        High => "high",
        Medium => "medium",
        Low => "low",
        Info => "info",
    }
}
