//! The resume point between runs: per scope (`org:NAME`, `repo:OWNER/NAME`), the moment up to
//! which every merged PR is stored. A scope's watermark moves only when all of its PRs up to the
//! new mark are written into the run, so a failed scope is collected again next time.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, SecondsFormat, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// The `state` object in run.json.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// Format of this object.
    pub version: u32,
    /// Scope → last second (inclusive) whose merged PRs are all stored.
    pub through: BTreeMap<String, DateTime<Utc>>,
}

pub const VERSION: u32 = 1;

/// A span of merge times, both ends included.
pub type Range = (DateTime<Utc>, DateTime<Utc>);

impl State {
    /// Reads the previous run's state; one this version cannot read means starting afresh
    /// (evidence may be stored again, never skipped).
    pub fn from_previous(v: Option<&serde_json::Value>) -> State {
        match v.map(|v| serde_json::from_value::<State>(v.clone())) {
            Some(Ok(s)) if s.version == VERSION => s,
            Some(_) => {
                tracing::warn!(
                    message = "The previous run's state is not readable; collecting the window from its start."
                );
                State::default()
            }
            None => State::default(),
        }
    }

    /// The range still to collect for `scope`, or `None` when it is up to date.
    pub fn pending(
        &self,
        scope: &str,
        window_start: DateTime<Utc>,
        upper: DateTime<Utc>,
    ) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let from = match self.through.get(scope) {
            Some(t) => (*t + Duration::seconds(1)).max(window_start),
            None => window_start,
        };
        (from <= upper).then_some((from, upper))
    }

    pub fn advance(&mut self, scope: &str, through: DateTime<Utc>) {
        self.version = VERSION;
        self.through.insert(scope.to_string(), through);
    }

    pub fn to_value(&self) -> serde_json::Value {
        let mut s = self.clone();
        s.version = VERSION;
        serde_json::to_value(s).unwrap_or(serde_json::Value::Null)
    }
}

/// The first second of `day` and the last second of `end`, in UTC.
pub fn window_bounds(start: NaiveDate, end: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let at = |d: NaiveDate| Utc.from_utc_datetime(&d.and_time(chrono::NaiveTime::MIN));
    (
        at(start),
        at(end) + Duration::days(1) - Duration::seconds(1),
    )
}

/// Whole seconds: GitHub's search compares `merged:` at second precision.
pub fn floor_second(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

/// A search for PRs merged in `[from, to]` (both inclusive) within `qualifier` (`org:X`, `repo:O/N`).
pub fn search_query(qualifier: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let f = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    format!("{qualifier} is:pr is:merged merged:{}..{}", f(from), f(to))
}

/// Halves a range GitHub would cap at 1,000 results; `None` for a single second.
pub fn split(from: DateTime<Utc>, to: DateTime<Utc>) -> Option<(Range, Range)> {
    let secs = (to - from).num_seconds();
    if secs < 1 {
        return None;
    }
    let mid = from + Duration::seconds(secs / 2);
    Some(((from, mid), (mid + Duration::seconds(1), to)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_first_run_backfills_and_later_ones_start_after_the_watermark() {
        let (start, end) = window_bounds(
            NaiveDate::from_ymd_opt(2026, 7, 1).unwrap(),
            NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
        );
        assert_eq!(
            (start, end),
            (t("2026-07-01T00:00:00Z"), t("2026-12-31T23:59:59Z"))
        );
        let mut s = State::from_previous(None);
        let now = t("2026-11-23T10:00:00Z");
        assert_eq!(s.pending("org:acme", start, now), Some((start, now)));
        s.advance("org:acme", now);
        let s = State::from_previous(Some(&s.to_value()));
        let later = t("2026-11-24T10:00:00Z");
        assert_eq!(
            s.pending("org:acme", start, later),
            Some((t("2026-11-23T10:00:01Z"), later))
        );
        assert_eq!(s.pending("org:acme", start, now), None, "nothing new");
        assert_eq!(
            s.pending("org:other", start, later),
            Some((start, later)),
            "a new scope backfills"
        );
    }

    #[test]
    fn unreadable_state_starts_afresh() {
        let s = State::from_previous(Some(&serde_json::json!({"version": 99, "through": {}})));
        assert_eq!(s, State::default());
        let s = State::from_previous(Some(&serde_json::json!("garbage")));
        assert_eq!(s, State::default());
    }

    #[test]
    fn ranges_split_without_gap_or_overlap() {
        let (a, b) = split(t("2026-07-01T00:00:00Z"), t("2026-07-01T00:00:09Z")).unwrap();
        assert_eq!(a, (t("2026-07-01T00:00:00Z"), t("2026-07-01T00:00:04Z")));
        assert_eq!(b, (t("2026-07-01T00:00:05Z"), t("2026-07-01T00:00:09Z")));
        let (a, b) = split(t("2026-07-01T00:00:00Z"), t("2026-07-01T00:00:01Z")).unwrap();
        assert_eq!((a.1, b.0), (a.0, b.1));
        assert!(split(t("2026-07-01T00:00:00Z"), t("2026-07-01T00:00:00Z")).is_none());
        assert_eq!(
            search_query(
                "org:acme",
                t("2026-07-01T00:00:00Z"),
                t("2026-11-23T10:00:00Z")
            ),
            "org:acme is:pr is:merged merged:2026-07-01T00:00:00Z..2026-11-23T10:00:00Z"
        );
    }
}
