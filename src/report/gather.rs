//! One pass over the window's runs, day by day: each day's page is written as soon as its runs
//! are read, and only what the overview, calendar, findings and populations need is kept.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use super::calendar::Day;
use super::findings::{Exception, Findings};
use super::load::{self, Run};
use super::population::{Merged, Population};
use super::{ReportError, Request};
use crate::evidence::RunStatus;

/// What the report knows about one collector.
#[derive(Debug, Default)]
pub struct CollectorView {
    /// From the config (current) and the run records (history).
    pub criteria: BTreeSet<String>,
    pub days: BTreeMap<NaiveDate, Day>,
    pub runs: u64,
}

/// Counts for the "runs by day" table.
#[derive(Debug, Clone, Default)]
pub struct DayTotals {
    pub date: NaiveDate,
    pub runs: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub skipped: u64,
    pub artifacts: u64,
    pub bytes: u64,
}

#[derive(Debug, Default)]
pub struct Gathered {
    pub collectors: BTreeMap<String, CollectorView>,
    pub exceptions: Vec<Exception>,
    pub populations: Vec<Merged>,
    pub days: Vec<DayTotals>,
    pub runs: u64,
    pub artifacts: u64,
    pub findings: u64,
    pub ledger_lines: usize,
    /// Ledger lines that could not be read, and run records that differ from their line.
    pub problems: Vec<String>,
}

/// Reads every selected run, merging `populations` into their files; `page` is called once per
/// day with that day's runs.
pub fn gather(
    req: &Request,
    mut populations: Vec<Population>,
    mut page: impl FnMut(NaiveDate, &[Run]) -> Result<(), ReportError>,
) -> Result<Gathered, ReportError> {
    let window_dir = crate::vault::layout::window_dir(&req.vault, &req.window);
    let ledger = load::ledger(&req.vault, &req.window, &req.selection)?;
    let mut g = Gathered {
        ledger_lines: ledger.lines,
        ..Gathered::default()
    };
    if ledger.unreadable > 0 {
        g.problems.push(format!(
            "{} ledger line(s) could not be read and are not in this report",
            ledger.unreadable
        ));
    }
    for c in &req.collectors {
        let view = g.collectors.entry(c.name.clone()).or_default();
        view.criteria.extend(c.criteria.iter().cloned());
    }
    let mut findings = Findings::default();
    for (date, entries) in ledger.days {
        let mut runs: Vec<Run> = entries
            .into_iter()
            .map(|e| load::run(&window_dir, e))
            .collect();
        runs.sort_by(|a, b| a.entry.started_at.cmp(&b.entry.started_at));
        let mut totals = DayTotals {
            date,
            ..DayTotals::default()
        };
        for run in &runs {
            fold(&mut g, &mut totals, run);
            findings.add(run);
            for p in populations.iter_mut() {
                let wanted: Vec<_> = run.artifacts.iter().filter(|a| p.wants(run, a)).collect();
                for a in wanted {
                    match load::artifact_bytes(&window_dir, run, a) {
                        Some(bytes) => p.add(run, a, &bytes).map_err(written(&req.out))?,
                        None => p.problems.push(format!(
                            "{}/{}: missing or not the file its run record hashes; run `evidence-agent verify`",
                            run.rel(),
                            a.path
                        )),
                    }
                }
            }
        }
        page(date, &runs)?;
        g.days.push(totals);
    }
    g.exceptions = findings.finish();
    for p in populations {
        g.populations.push(p.finish().map_err(written(&req.out))?);
    }
    Ok(g)
}

fn written(out: &std::path::Path) -> impl Fn(std::io::Error) -> ReportError + '_ {
    move |source| ReportError::Io {
        action: "cannot write a population into",
        path: out.to_path_buf(),
        source,
    }
}

fn fold(g: &mut Gathered, totals: &mut DayTotals, run: &Run) {
    let view = g.collectors.entry(run.entry.collector.clone()).or_default();
    view.criteria.extend(run.criteria.iter().cloned());
    view.runs += 1;
    view.days
        .entry(run.date)
        .or_default()
        .add(run.status(), run.error.as_deref());
    totals.runs += 1;
    match run.status() {
        RunStatus::Succeeded => totals.succeeded += 1,
        RunStatus::Failed | RunStatus::Interrupted => totals.failed += 1,
        RunStatus::Skipped => totals.skipped += 1,
    }
    totals.artifacts += run.artifacts.len() as u64;
    totals.bytes += run.artifacts.iter().map(|a| a.size).sum::<u64>();
    g.runs += 1;
    g.artifacts += run.artifacts.len() as u64;
    g.findings += run.findings.len() as u64;
    if let Some(p) = &run.problem {
        g.problems.push(format!("{}: {p}", run.rel()));
    }
}
