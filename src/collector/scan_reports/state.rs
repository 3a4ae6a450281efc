//! What the importer remembers between runs (run.json `state`, handed on across windows): every
//! file content already stored, by SHA-256, and the latest scan time per scanner and target.
//! A failed run's state counts: its artifacts are committed with it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const VERSION: u32 = 1;

/// The `state` object in run.json.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// Format of this object.
    pub version: u32,
    /// SHA-256 of every file stored (parsed, unrecognised or malformed) → what it was.
    pub imported: BTreeMap<String, Imported>,
    /// `scanner` and `scanner@target` (lowercase) → the latest effective date of a parsed
    /// report; for people reading run.json, the cadence check reads `imported`.
    pub latest: BTreeMap<String, DateTime<Utc>>,
    /// Source path → the file's size, modification time and hash when last read: an unchanged
    /// file already stored is not read again.
    pub seen: BTreeMap<String, Seen>,
}

/// One stored file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Imported {
    /// The name the file had when it was imported.
    pub file_name: String,
    /// The run that stored it (its folder holds the original and summary.json).
    pub run_id: String,
    /// `parsed`, `unrecognised` or `malformed`.
    pub status: String,
    /// The format family (`trivy`, `sarif`, …) of a parsed report.
    #[serde(default)]
    pub format: Option<String>,
    /// The scanner of a parsed report.
    #[serde(default)]
    pub scanner: Option<String>,
    #[serde(default)]
    pub targets: Vec<String>,
    /// The report's own scan time, or the import time when it has none.
    #[serde(default)]
    pub scanned_at: Option<DateTime<Utc>>,
}

/// A source file as last read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub modified_ns: i128,
    pub sha256: String,
}

impl State {
    /// Reads the previous run's state; one this version cannot read means starting afresh
    /// (reports may be stored again, never skipped).
    pub fn from_previous(v: Option<&serde_json::Value>) -> State {
        crate::collector::previous_state(
            v,
            |s: &State| s.version == VERSION,
            "every report found is imported again",
        )
        .unwrap_or_else(State::fresh)
    }

    fn fresh() -> State {
        State {
            version: VERSION,
            ..State::default()
        }
    }

    /// The hash of `path` if it was read before with this size and modification time and its
    /// content is stored.
    pub fn known(&self, path: &str, size: u64, modified_ns: i128) -> Option<&str> {
        self.seen
            .get(path)
            .filter(|s| s.size == size && s.modified_ns == modified_ns)
            .map(|s| s.sha256.as_str())
            .filter(|sha| self.imported.contains_key(*sha))
    }

    /// Records a stored file, moving the latest scan times of its scanner and targets.
    pub fn record(&mut self, sha256: &str, entry: Imported) {
        if let (Some(scanner), Some(at)) = (&entry.scanner, entry.scanned_at) {
            let mut keys = vec![super::config::key(scanner, None)];
            keys.extend(
                entry
                    .targets
                    .iter()
                    .map(|t| super::config::key(scanner, Some(t))),
            );
            for k in keys {
                let slot = self.latest.entry(k).or_insert(at);
                *slot = (*slot).max(at);
            }
        }
        self.imported.insert(sha256.to_string(), entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_or_older_state_starts_afresh() {
        let fresh = State::from_previous(Some(&serde_json::json!({"version": 99})));
        assert_eq!(fresh.version, VERSION);
        assert!(fresh.imported.is_empty());
        let fresh = State::from_previous(Some(&serde_json::json!("garbage")));
        assert_eq!(fresh.version, VERSION);
    }

    #[test]
    fn latest_moves_forward_only_and_known_needs_the_content_stored() {
        let mut s = State::from_previous(None);
        let at = |d: &str| d.parse::<DateTime<Utc>>().ok();
        let entry = |when| Imported {
            file_name: "r.json".into(),
            run_id: "r1".into(),
            status: "parsed".into(),
            format: Some("trivy".into()),
            scanner: Some("Trivy".into()),
            targets: vec!["App:1".into()],
            scanned_at: when,
        };
        s.record("aa", entry(at("2026-02-01T00:00:00Z")));
        s.record("bb", entry(at("2026-01-01T00:00:00Z")));
        assert_eq!(s.latest["trivy"], at("2026-02-01T00:00:00Z").unwrap());
        assert_eq!(s.latest["trivy@app:1"], at("2026-02-01T00:00:00Z").unwrap());
        s.seen.insert(
            "/d/r.json".into(),
            Seen {
                size: 3,
                modified_ns: 7,
                sha256: "aa".into(),
            },
        );
        assert_eq!(s.known("/d/r.json", 3, 7), Some("aa"));
        assert_eq!(s.known("/d/r.json", 4, 7), None);
        s.imported.remove("aa");
        assert_eq!(s.known("/d/r.json", 3, 7), None);
    }
}
