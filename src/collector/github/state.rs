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

/// The window a searched range lies in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The window before the run's own: the remainder after a mark handed over from it.
    Previous,
    /// The run's own window.
    Current,
}

impl State {
    /// Reads the previous run's state; one this version cannot read means starting afresh
    /// (evidence may be stored again, never skipped).
    pub fn from_previous(v: Option<&serde_json::Value>) -> State {
        crate::collector::previous_state(
            v,
            |s: &State| s.version == VERSION,
            "collecting the window from its start",
        )
        .unwrap_or_default()
    }

    /// The ranges still to collect for `scope`, oldest first, each with the window it lies in.
    /// `current` and `previous` are the bounds of the run's window and of the one before it;
    /// nothing merged after `lagged` is searched yet. A mark before the current window (handed
    /// over from the window before) leaves that window's remainder to collect first; the days
    /// between two windows are never searched. A scope without a mark backfills its window.
    pub fn pending(
        &self,
        scope: &str,
        current: Range,
        previous: Option<Range>,
        lagged: DateTime<Utc>,
    ) -> Vec<(Part, Range)> {
        let mark = self.through.get(scope).copied();
        let mut out = Vec::new();
        if let (Some(mark), Some((start, end))) = (mark, previous)
            && mark < end
        {
            let from = (mark + Duration::seconds(1)).max(start);
            let to = end.min(lagged);
            if from <= to {
                out.push((Part::Previous, (from, to)));
            }
        }
        let from = match mark {
            Some(mark) if mark >= current.0 => mark + Duration::seconds(1),
            _ => current.0,
        };
        let to = current.1.min(lagged);
        if from <= to {
            out.push((Part::Current, (from, to)));
        }
        out
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

    fn day(d: &str) -> NaiveDate {
        d.parse().unwrap()
    }

    #[test]
    fn the_first_run_backfills_and_later_ones_start_after_the_watermark() {
        let window = window_bounds(day("2026-07-01"), day("2026-12-31"));
        let (start, end) = window;
        assert_eq!(
            (start, end),
            (t("2026-07-01T00:00:00Z"), t("2026-12-31T23:59:59Z"))
        );
        let mut s = State::from_previous(None);
        let now = t("2026-11-23T10:00:00Z");
        let current = |from, to| vec![(Part::Current, (from, to))];
        assert_eq!(
            s.pending("org:acme", window, None, now),
            current(start, now)
        );
        s.advance("org:acme", now);
        let s = State::from_previous(Some(&s.to_value()));
        let later = t("2026-11-24T10:00:00Z");
        assert_eq!(
            s.pending("org:acme", window, None, later),
            current(t("2026-11-23T10:00:01Z"), later)
        );
        assert_eq!(s.pending("org:acme", window, None, now), [], "nothing new");
        assert_eq!(
            s.pending("org:other", window, None, later),
            current(start, later),
            "a new scope backfills"
        );
        let after_end = t("2027-01-02T00:00:00Z");
        assert_eq!(
            s.pending("org:acme", window, None, after_end),
            current(t("2026-11-23T10:00:01Z"), end),
            "never past the window's end"
        );
    }

    /// The window before, in every case below: the first half of 2026.
    fn h1() -> Range {
        window_bounds(day("2026-01-01"), day("2026-06-30"))
    }

    /// The ranges after `org:acme`'s `mark`, handed over from `h1()`, in a window from
    /// `current_start` to the year's end, with merges up to `lagged` searchable.
    fn handed_over(mark: &str, current_start: &str, lagged: &str) -> Vec<(Part, Range)> {
        let mut s = State::default();
        s.advance("org:acme", t(mark));
        let current = window_bounds(day(current_start), day("2026-12-31"));
        s.pending("org:acme", current, Some(h1()), t(lagged))
    }

    fn part(part: Part, from: &str, to: &str) -> (Part, Range) {
        (part, (t(from), t(to)))
    }

    #[test]
    fn a_handed_over_mark_collects_the_previous_windows_tail_then_the_current_window() {
        let (mark, now) = ("2026-06-30T20:00:00Z", "2026-07-01T09:00:00Z");
        assert_eq!(
            handed_over(mark, "2026-07-01", now),
            [
                part(
                    Part::Previous,
                    "2026-06-30T20:00:01Z",
                    "2026-06-30T23:59:59Z"
                ),
                part(Part::Current, "2026-07-01T00:00:00Z", now),
            ]
        );
        // Minutes after midnight, the index lag holds back the tail's last seconds and all
        // of the current window; the next run takes up from the tail's new mark.
        let lagged = "2026-06-30T23:55:00Z";
        assert_eq!(
            handed_over(mark, "2026-07-01", lagged),
            [part(Part::Previous, "2026-06-30T20:00:01Z", lagged)]
        );
        // A scope new in the current window backfills only that window.
        let current = window_bounds(day("2026-07-01"), day("2026-12-31"));
        assert_eq!(
            State::default().pending("org:new", current, Some(h1()), t(now)),
            [part(Part::Current, "2026-07-01T00:00:00Z", now)]
        );
    }

    #[test]
    fn a_mark_already_at_the_previous_windows_end_leaves_no_tail() {
        let now = "2026-07-02T09:00:00Z";
        assert_eq!(
            handed_over("2026-06-30T23:59:59Z", "2026-07-01", now),
            [part(Part::Current, "2026-07-01T00:00:00Z", now)]
        );
    }

    #[test]
    fn the_days_between_two_windows_are_never_searched() {
        let (mark, now) = ("2026-06-30T12:00:00Z", "2026-08-05T09:00:00Z");
        assert_eq!(
            handed_over(mark, "2026-08-01", now),
            [
                part(
                    Part::Previous,
                    "2026-06-30T12:00:01Z",
                    "2026-06-30T23:59:59Z"
                ),
                part(Part::Current, "2026-08-01T00:00:00Z", now),
            ]
        );
        // Without a window before it, an old mark only means starting at the window's start.
        let mut s = State::default();
        s.advance("org:acme", t(mark));
        let current = window_bounds(day("2026-08-01"), day("2026-12-31"));
        assert_eq!(
            s.pending("org:acme", current, None, t(now)),
            [part(Part::Current, "2026-08-01T00:00:00Z", now)]
        );
    }

    #[test]
    fn a_mark_older_than_the_previous_window_collects_all_of_it() {
        // The previous window's runs never completed this scope: its mark is older still.
        let now = "2026-07-02T09:00:00Z";
        assert_eq!(
            handed_over("2025-12-31T23:00:00Z", "2026-07-01", now),
            [
                (Part::Previous, h1()),
                part(Part::Current, "2026-07-01T00:00:00Z", now),
            ]
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
