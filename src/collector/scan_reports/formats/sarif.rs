//! SARIF 2.1.0 (code scanners, and the SARIF output of Trivy, Grype, Semgrep, CodeQL…).
//!
//! Each result of each run is a finding (results whose `kind` is set and is not `fail` —
//! `pass`, `notApplicable`, `review`, `open`, `informational` — are not). Its severity:
//! 1. `properties.security-severity` of the result, else of its rule, read as a CVSS score in
//!    GitHub code scanning's bands: ≥ 9.0 critical, ≥ 7.0 high, ≥ 4.0 medium, > 0 low, 0 info;
//! 2. else its `level`, else the rule's `defaultConfiguration.level`, else `warning` (the spec's
//!    default): `error` high, `warning` medium, `note` low, `none` info.
//!
//! Suppressed results are counted too: the report still records them.
//!
//! The rule of a result is `ruleIndex` (or `rule.index`) into `tool.driver.rules`, else
//! `ruleId` (or `rule.id`), matched exactly or by its first hierarchical component (`CA2101/1`).
//! Rules may come after results in a file: results whose severity depends on a rule not yet read
//! are kept as small records and resolved at the end of their run.
//!
//! Scanner from `tool.driver.name` (the runs' names joined by `, `; `SARIF` when there is no run),
//! version from `semanticVersion`, else `version`; targets from `versionControlProvenance`'s
//! repository URIs, else the `originalUriBaseIds`' absolute URIs, else `automationDetails.id`;
//! time from the first `invocations[].startTimeUtc`, else `endTimeUtc`.

use std::collections::HashMap;
use std::fmt;
use std::io::BufRead;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::json::{Tally, Targets, has_key, parse_time, read_document, title};
use super::{Format, ParseError, ReportFinding, ScanSeverity, Summary};

/// The format of a report whose first bytes are `head`, if it is this module's.
pub(super) fn detect(head: &str) -> Option<Format> {
    let sarif = head.starts_with('{')
        && has_key(head, "runs")
        && (head.contains("sarif-2.1.0")
            || head.contains("sarif-schema-2.1.0")
            || has_key(head, "driver"));
    sarif.then_some(Format::Sarif)
}

/// Reads a whole report of `format` (one this module detected).
pub(super) fn parse(format: Format, r: &mut dyn BufRead) -> Result<Summary, ParseError> {
    let mut log = Log::default();
    read_document(format, r, LogSeed(&mut log))?;
    let scanner = if log.scanners.is_empty() {
        "SARIF".to_owned()
    } else {
        log.scanners.join(", ")
    };
    Ok(Summary {
        format,
        scanner,
        scanner_version: log.version,
        targets: log.targets.into_vec(),
        scanned_at: log.scanned_at,
        counts: log.tally.counts,
        findings: log.tally.findings,
    })
}

/// What the whole log adds up to, across runs.
#[derive(Default)]
struct Log {
    tally: Tally,
    /// Distinct `tool.driver.name`s.
    scanners: Vec<String>,
    version: Option<String>,
    targets: Targets,
    scanned_at: Option<DateTime<Utc>>,
}

/// The top-level object; only `runs` matters.
struct LogSeed<'a>(&'a mut Log);

impl<'de> DeserializeSeed<'de> for LogSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for LogSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a SARIF log object")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
        let mut runs = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "runs" {
                runs = true;
                map.next_value_seed(RunsSeed(&mut *self.0))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        // Required by the spec, and what tells a SARIF log from other JSON.
        if !runs {
            return Err(serde::de::Error::missing_field("runs"));
        }
        Ok(())
    }
}

/// `runs`: each run read in turn (`null` is no run).
struct RunsSeed<'a>(&'a mut Log);

impl<'de> DeserializeSeed<'de> for RunsSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RunsSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of runs")
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<(), S::Error> {
        while seq.next_element_seed(RunSeed(&mut *self.0))?.is_some() {}
        Ok(())
    }
}

/// A rule's severity inputs.
#[derive(Clone, Default)]
struct RuleInfo {
    id: Option<String>,
    security_severity: Option<f64>,
    default_level: Option<String>,
    title: Option<String>,
}

/// What one run knows while it is read.
#[derive(Default)]
struct Run {
    /// `tool.driver.rules` in order, once `tool` has been read.
    rules: Option<Vec<RuleInfo>>,
    /// Rule index by id.
    rule_ids: HashMap<String, usize>,
    /// Results read before the rules, waiting for them.
    pending: Vec<Pending>,
}

/// A result whose severity waits for its rule.
struct Pending {
    rule: RuleRef,
    level: Option<String>,
    location: String,
    message: Option<String>,
}

/// How a result names its rule.
#[derive(Default)]
struct RuleRef {
    index: Option<usize>,
    id: Option<String>,
}

impl Run {
    fn rule(&self, r: &RuleRef) -> Option<&RuleInfo> {
        let rules = self.rules.as_ref()?;
        if let Some(rule) = r.index.and_then(|i| rules.get(i)) {
            return Some(rule);
        }
        let id = r.id.as_deref()?;
        let i = self
            .rule_ids
            .get(id)
            .or_else(|| self.rule_ids.get(id.split('/').next()?))?;
        rules.get(*i)
    }

    /// Counts a result now that its rule is known (or known to be missing).
    fn resolve(&self, tally: &mut Tally, p: Pending, own_score: Option<f64>) {
        let rule = self.rule(&p.rule);
        let sev = match own_score.or(rule.and_then(|r| r.security_severity)) {
            Some(score) => band(score),
            None => level(
                p.level
                    .as_deref()
                    .or(rule.and_then(|r| r.default_level.as_deref())),
            ),
        };
        tally.count(sev, || ReportFinding {
            id: p
                .rule
                .id
                .clone()
                .or_else(|| rule.and_then(|r| r.id.clone()))
                .unwrap_or_default(),
            severity: sev,
            location: p.location,
            title: rule
                .and_then(|r| r.title.clone())
                .or_else(|| p.message.as_deref().and_then(title)),
        });
    }
}

/// GitHub code scanning's CVSS bands.
fn band(score: f64) -> ScanSeverity {
    if score >= 9.0 {
        ScanSeverity::Critical
    } else if score >= 7.0 {
        ScanSeverity::High
    } else if score >= 4.0 {
        ScanSeverity::Medium
    } else if score > 0.0 {
        ScanSeverity::Low
    } else if score == 0.0 {
        ScanSeverity::Info
    } else {
        // Negative or NaN: not a score.
        ScanSeverity::Unknown
    }
}

/// A SARIF level; absent means `warning`.
fn level(l: Option<&str>) -> ScanSeverity {
    match l.unwrap_or("warning") {
        "error" => ScanSeverity::High,
        "warning" => ScanSeverity::Medium,
        "note" => ScanSeverity::Low,
        "none" => ScanSeverity::Info,
        _ => ScanSeverity::Unknown,
    }
}

/// One run, folded into the log.
struct RunSeed<'a>(&'a mut Log);

impl<'de> DeserializeSeed<'de> for RunSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RunSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a SARIF run object")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
        let log = self.0;
        let mut run = Run::default();
        let mut targets = RunTargets::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "tool" => {
                    let tool: Tool = map.next_value()?;
                    run.set_driver(log, tool.driver);
                }
                "results" => map.next_value_seed(ResultsSeed {
                    run: &mut run,
                    tally: &mut log.tally,
                })?,
                "invocations" => {
                    let invocations: Option<Vec<Invocation>> = map.next_value()?;
                    if log.scanned_at.is_none() {
                        log.scanned_at = invocations.into_iter().flatten().find_map(|i| {
                            i.start_time_utc
                                .as_deref()
                                .and_then(parse_time)
                                .or_else(|| i.end_time_utc.as_deref().and_then(parse_time))
                        });
                    }
                }
                "versionControlProvenance" => targets.repositories = map.next_value()?,
                "originalUriBaseIds" => targets.bases = map.next_value()?,
                "automationDetails" => targets.automation = map.next_value()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        // Rules never came (or came after results): settle what waited for them.
        for p in std::mem::take(&mut run.pending) {
            run.resolve(&mut log.tally, p, None);
        }
        targets.add_to(&mut log.targets);
        Ok(())
    }
}

impl Run {
    fn set_driver(&mut self, log: &mut Log, driver: Option<Driver>) {
        let driver = driver.unwrap_or_default();
        if let Some(name) = driver.name.filter(|n| !n.trim().is_empty())
            && !log.scanners.contains(&name)
        {
            log.scanners.push(name);
        }
        if log.version.is_none() {
            log.version = driver.semantic_version.or(driver.version);
        }
        let rules: Vec<RuleInfo> = driver
            .rules
            .unwrap_or_default()
            .into_iter()
            .map(|r| RuleInfo {
                id: r.id,
                security_severity: r.properties.and_then(|p| p.security_severity?.score()),
                default_level: r.default_configuration.and_then(|c| c.level),
                title: r
                    .short_description
                    .and_then(|d| d.text)
                    .as_deref()
                    .and_then(title),
            })
            .collect();
        self.rule_ids = rules
            .iter()
            .enumerate()
            .filter_map(|(i, r)| Some((r.id.clone()?, i)))
            .rev() // the first rule with an id wins
            .collect();
        self.rules = Some(rules);
    }
}

/// A run's candidates for its targets, applied once the run is read.
#[derive(Default)]
struct RunTargets {
    repositories: Option<Vec<Provenance>>,
    bases: Option<HashMap<String, ArtifactLocation>>,
    automation: Option<Automation>,
}

impl RunTargets {
    fn add_to(self, targets: &mut Targets) {
        let repos: Vec<String> = self
            .repositories
            .into_iter()
            .flatten()
            .filter_map(|p| p.repository_uri)
            .collect();
        if !repos.is_empty() {
            repos.iter().for_each(|r| targets.add(r));
            return;
        }
        let mut bases: Vec<String> = self
            .bases
            .into_iter()
            .flatten()
            .filter_map(|(_, l)| l.uri)
            .filter(|u| u.contains("://"))
            .collect();
        bases.sort();
        if !bases.is_empty() {
            bases.iter().for_each(|b| targets.add(b));
            return;
        }
        if let Some(id) = self.automation.and_then(|a| a.id) {
            targets.add(&id);
        }
    }
}

/// `results`: each result counted, or kept briefly if its rule is not known yet.
struct ResultsSeed<'a> {
    run: &'a mut Run,
    tally: &'a mut Tally,
}

impl<'de> DeserializeSeed<'de> for ResultsSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ResultsSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of results")
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<(), S::Error> {
        while let Some(r) = seq.next_element::<SarifResult>()? {
            if r.kind.as_deref().is_some_and(|k| k != "fail") {
                continue;
            }
            let own_score = r.properties.and_then(|p| p.security_severity?.score());
            let rule = r.rule.unwrap_or_default();
            let p = Pending {
                rule: RuleRef {
                    index: r.rule_index.or(rule.index),
                    id: r.rule_id.or(rule.id),
                },
                level: r.level,
                location: r
                    .locations
                    .into_iter()
                    .flatten()
                    .find_map(|l| l.physical_location)
                    .map(|p| p.describe())
                    .unwrap_or_default(),
                message: r.message.and_then(|m| m.text),
            };
            if own_score.is_some() || self.run.rules.is_some() {
                self.run.resolve(self.tally, p, own_score);
            } else {
                // Only the first line of the message, so waiting results stay small.
                let message = p.message.as_deref().and_then(title);
                self.run.pending.push(Pending { message, ..p });
            }
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct Tool {
    driver: Option<Driver>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: Option<String>,
    version: Option<String>,
    semantic_version: Option<String>,
    rules: Option<Vec<Rule>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: Option<String>,
    properties: Option<Properties>,
    default_configuration: Option<Configuration>,
    short_description: Option<Message>,
}

#[derive(Deserialize)]
struct Properties {
    #[serde(rename = "security-severity")]
    security_severity: Option<Score>,
}

/// A CVSS score as SARIF producers write it: a string (GitHub's form) or a number.
#[derive(Deserialize)]
#[serde(untagged)]
enum Score {
    Number(f64),
    Text(String),
    Other(IgnoredAny),
}

impl Score {
    fn score(self) -> Option<f64> {
        match self {
            Score::Number(n) => Some(n),
            Score::Text(s) => s.trim().parse().ok(),
            Score::Other(_) => None,
        }
    }
}

#[derive(Deserialize)]
struct Configuration {
    level: Option<String>,
}

#[derive(Deserialize)]
struct Message {
    text: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: Option<String>,
    rule_index: Option<usize>,
    rule: Option<ReportingDescriptorReference>,
    kind: Option<String>,
    level: Option<String>,
    message: Option<Message>,
    locations: Option<Vec<Location>>,
    properties: Option<Properties>,
}

#[derive(Deserialize, Default)]
struct ReportingDescriptorReference {
    id: Option<String>,
    index: Option<usize>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: Option<PhysicalLocation>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: Option<ArtifactLocation>,
    region: Option<Region>,
}

impl PhysicalLocation {
    /// `file:line`, or what of it there is.
    fn describe(self) -> String {
        let uri = self
            .artifact_location
            .and_then(|a| a.uri)
            .unwrap_or_default();
        match self.region.and_then(|r| r.start_line) {
            Some(line) => format!("{uri}:{line}"),
            None => uri,
        }
    }
}

#[derive(Deserialize)]
struct ArtifactLocation {
    uri: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    start_time_utc: Option<String>,
    end_time_utc: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Provenance {
    repository_uri: Option<String>,
}

#[derive(Deserialize)]
struct Automation {
    id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cvss_bands() {
        assert_eq!(band(9.0), ScanSeverity::Critical);
        assert_eq!(band(8.9), ScanSeverity::High);
        assert_eq!(band(7.0), ScanSeverity::High);
        assert_eq!(band(4.0), ScanSeverity::Medium);
        assert_eq!(band(0.1), ScanSeverity::Low);
        assert_eq!(band(0.0), ScanSeverity::Info);
        assert_eq!(band(-1.0), ScanSeverity::Unknown);
    }

    #[test]
    fn rules_after_results_are_applied() {
        let log = br#"{"runs":[{"results":[
            {"ruleId":"A","message":{"text":"m"}},
            {"ruleIndex":1,"level":"note"},
            {"ruleId":"C/1"}],
          "tool":{"driver":{"name":"X","rules":[
            {"id":"A","properties":{"security-severity":"9.1"}},
            {"id":"B","defaultConfiguration":{"level":"error"}},
            {"id":"C","defaultConfiguration":{"level":"error"}}]}}}]}"#;
        let s = parse(Format::Sarif, &mut &log[..]).expect("parses");
        assert_eq!(s.counts[&ScanSeverity::Critical], 1);
        // The result's own level wins over the rule's default.
        assert_eq!(s.counts[&ScanSeverity::Low], 1);
        // A hierarchical id finds its rule.
        assert_eq!(s.counts[&ScanSeverity::High], 1);
        assert_eq!(s.findings.len(), 2);
    }
}
