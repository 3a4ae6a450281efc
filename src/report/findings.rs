//! Findings (exceptions) across a window: the same rule on the same subject from the same
//! collector is one exception, with when it was first and last seen and whether the collector's
//! latest successful run still reports it.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::load::Run;
use crate::evidence::{RunStatus, Severity};

/// Where a finding was seen: the run folder and, if the finding names one, its artifact (a path
/// under the run folder's `artifacts/`).
#[derive(Debug, Clone)]
pub struct Sighting {
    pub date: NaiveDate,
    pub run: String,
    pub artifact: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Exception {
    pub collector: String,
    pub rule: String,
    pub subject: String,
    pub severity: Severity,
    pub message: String,
    pub criteria: Vec<String>,
    pub first: Sighting,
    pub last: Sighting,
    /// Runs that reported it.
    pub runs: u64,
    /// Reported by the collector's latest successful run.
    pub open: bool,
}

type Key = (String, String, String);

/// Folds runs (in time order) into exceptions.
#[derive(Debug, Default)]
pub struct Findings {
    by_key: BTreeMap<Key, Exception>,
    /// Per collector: the latest successful run and the keys it reported.
    latest: BTreeMap<String, (String, Vec<Key>)>,
}

impl Findings {
    pub fn add(&mut self, run: &Run) {
        let collector = &run.entry.collector;
        let mut keys = Vec::new();
        for f in &run.findings {
            let key = (collector.clone(), f.rule.clone(), f.subject.clone());
            let seen = Sighting {
                date: run.date,
                run: run.rel().to_string(),
                artifact: f.artifact.clone(),
            };
            self.by_key
                .entry(key.clone())
                .and_modify(|e| {
                    e.severity = e.severity.min(f.severity);
                    e.message = f.message.clone();
                    e.last = seen.clone();
                    e.runs += 1;
                })
                .or_insert_with(|| Exception {
                    collector: collector.clone(),
                    rule: f.rule.clone(),
                    subject: f.subject.clone(),
                    severity: f.severity,
                    message: f.message.clone(),
                    criteria: run.criteria.clone(),
                    first: seen.clone(),
                    last: seen,
                    runs: 1,
                    open: false,
                });
            keys.push(key);
        }
        if run.status() == RunStatus::Succeeded {
            self.latest
                .insert(collector.clone(), (run.rel().to_string(), keys));
        }
    }

    /// The exceptions, most severe first, then by collector, rule and subject.
    pub fn finish(mut self) -> Vec<Exception> {
        for (_, keys) in self.latest.values() {
            for k in keys {
                if let Some(e) = self.by_key.get_mut(k) {
                    e.open = true;
                }
            }
        }
        let mut out: Vec<Exception> = self.by_key.into_values().collect();
        out.sort_by(|a, b| {
            (a.severity, &a.collector, &a.rule, &a.subject).cmp(&(
                b.severity,
                &b.collector,
                &b.rule,
                &b.subject,
            ))
        });
        out
    }
}
