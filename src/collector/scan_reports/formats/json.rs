//! Streaming helpers shared by the JSON report parsers (Trivy, Grype, SARIF, Prowler).
//!
//! Big arrays are never collected: [`Folded`] hands each element to an accumulator as it is read,
//! and [`Tally`] keeps only counts and the critical and high findings.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::BufRead;
use std::marker::PhantomData;

use chrono::{DateTime, Utc};
use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, SeqAccess, Visitor};

use super::{Format, ParseError, ReportFinding, ScanSeverity};

/// Most targets a summary lists; a report naming more is summarised by its first ones.
const MAX_TARGETS: usize = 1000;

/// Longest title kept, in characters: a scanner's message can be a page of text.
const MAX_TITLE_CHARS: usize = 200;

/// A severity by the names scanners give it, in any case: `critical`, `high`, `medium`, `low`,
/// `negligible` (Grype's; counted as low), `informational` (Prowler's); anything else is unknown.
pub(super) fn severity_name(s: Option<&str>) -> ScanSeverity {
    match s.map(str::trim).map(str::to_ascii_lowercase).as_deref() {
        Some("critical") => ScanSeverity::Critical,
        Some("high") => ScanSeverity::High,
        Some("medium") => ScanSeverity::Medium,
        Some("low") | Some("negligible") => ScanSeverity::Low,
        Some("informational") => ScanSeverity::Info,
        _ => ScanSeverity::Unknown,
    }
}

/// Every severity at zero.
pub(super) fn empty_counts() -> BTreeMap<ScanSeverity, u64> {
    ScanSeverity::ALL.into_iter().map(|s| (s, 0)).collect()
}

/// Counts by severity and the critical and high findings.
#[derive(Debug)]
pub(super) struct Tally {
    /// Findings by severity, every severity present.
    pub counts: BTreeMap<ScanSeverity, u64>,
    /// Only the critical and high findings, so memory follows those, not the report's size.
    pub findings: Vec<ReportFinding>,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            counts: empty_counts(),
            findings: Vec::new(),
        }
    }
}

impl Tally {
    /// Counts one finding; builds its entry only when it is critical or high.
    pub fn count(&mut self, severity: ScanSeverity, finding: impl FnOnce() -> ReportFinding) {
        *self.counts.entry(severity).or_insert(0) += 1;
        if matches!(severity, ScanSeverity::Critical | ScanSeverity::High) {
            self.findings.push(finding());
        }
    }

    /// Adds another tally's counts and findings.
    pub fn merge(&mut self, other: Tally) {
        for (s, n) in other.counts {
            *self.counts.entry(s).or_insert(0) += n;
        }
        self.findings.extend(other.findings);
    }
}

/// Something that takes the elements of a JSON array one at a time.
pub(super) trait Fold<T>: Default {
    fn add(&mut self, item: T);
}

/// A JSON array (or `null`, taken as empty) folded element by element into `A`.
pub(super) struct Folded<A, T>(pub A, PhantomData<T>);

impl<'de, A: Fold<T>, T: Deserialize<'de>> Deserialize<'de> for Folded<A, T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FoldVisitor(PhantomData))
    }
}

struct FoldVisitor<A, T>(PhantomData<(A, T)>);

impl<'de, A: Fold<T>, T: Deserialize<'de>> Visitor<'de> for FoldVisitor<A, T> {
    type Value = Folded<A, T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Folded(A::default(), PhantomData))
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Self::Value, S::Error> {
        let mut acc = A::default();
        while let Some(item) = seq.next_element::<T>()? {
            acc.add(item);
        }
        Ok(Folded(acc, PhantomData))
    }
}

/// Deserializes one whole JSON document from `r` with `seed`, then checks nothing follows it.
pub(super) fn read_document<'de, S: DeserializeSeed<'de>>(
    format: Format,
    r: &mut dyn BufRead,
    seed: S,
) -> Result<S::Value, ParseError> {
    let mut de = serde_json::Deserializer::from_reader(r);
    let value = seed
        .deserialize(&mut de)
        .map_err(|e| malformed(format, e))?;
    de.end().map_err(|e| malformed(format, e))?;
    Ok(value)
}

/// A serde_json error as a parse error that says where the report went wrong.
fn malformed(format: Format, e: serde_json::Error) -> ParseError {
    use serde_json::error::Category;
    match e.classify() {
        Category::Io => ParseError::Io(e.into()),
        Category::Eof => ParseError::Malformed {
            format,
            reason: format!(
                "the file ends before the JSON does (truncated?) at line {} column {}",
                e.line(),
                e.column()
            ),
        },
        Category::Syntax | Category::Data => ParseError::Malformed {
            format,
            reason: e.to_string(),
        },
    }
}

/// Whether `head` has `"key"` followed by a colon, i.e. an object key named `key`.
pub(super) fn has_key(head: &str, key: &str) -> bool {
    let quoted = format!("\"{key}\"");
    head.match_indices(&quoted).any(|(i, m)| {
        head[i + m.len()..]
            .trim_start_matches([' ', '\t', '\r', '\n'])
            .starts_with(':')
    })
}

/// An RFC 3339 time; `None` for anything else (a report's time is informative, not required).
pub(super) fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A title cut to a sane length, on one line.
pub(super) fn title(s: &str) -> Option<String> {
    let line = s.lines().map(str::trim).find(|l| !l.is_empty())?;
    let mut t: String = line.chars().take(MAX_TITLE_CHARS).collect();
    if line.chars().nth(MAX_TITLE_CHARS).is_some() {
        t.push('…');
    }
    Some(t)
}

/// The distinct targets of a report, in order, at most [`MAX_TARGETS`].
#[derive(Debug, Default)]
pub(super) struct Targets {
    /// Seen already, to keep each once.
    seen: BTreeSet<String>,
    /// In the order first seen.
    list: Vec<String>,
}

impl Targets {
    pub fn add(&mut self, target: &str) {
        let target = target.trim();
        if target.is_empty() || self.list.len() >= MAX_TARGETS || self.seen.contains(target) {
            return;
        }
        self.seen.insert(target.to_owned());
        self.list.push(target.to_owned());
    }

    pub fn into_vec(self) -> Vec<String> {
        self.list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_key_needs_a_colon() {
        assert!(has_key(r#"{ "runs" : []}"#, "runs"));
        assert!(!has_key(r#"["runs", 1]"#, "runs"));
    }

    #[test]
    fn titles_are_cut() {
        let long = "x".repeat(500);
        let t = title(&long).unwrap_or_default();
        assert_eq!(t.chars().count(), MAX_TITLE_CHARS + 1);
        assert_eq!(title("\n  first \nsecond").as_deref(), Some("first"));
    }
}
