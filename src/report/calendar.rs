//! The coverage calendar: one cell per collector and day of the window, saying honestly whether
//! evidence was collected, failed, was not due, or has no record at all.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use crate::config::Schedule;
use crate::evidence::RunStatus;
use crate::scheduler::next_fire;

/// What one day shows for one collector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    /// At least one run that day succeeded.
    Collected,
    /// Runs that day, none succeeded: failed or interrupted.
    Failed,
    /// Only skipped runs (not configured, a secret missing).
    Skipped,
    /// No run, and none was due: the schedule has no time that day or the collector is off.
    NotScheduled,
    /// No run although one was due: the agent was not running (or the collector not installed).
    NoRecord,
    /// Outside the runs this report covers (an export's date selection).
    NotSelected,
    /// After today.
    Future,
}

impl State {
    pub const ALL: [State; 7] = [
        State::Collected,
        State::Failed,
        State::Skipped,
        State::NotScheduled,
        State::NoRecord,
        State::NotSelected,
        State::Future,
    ];

    /// The `data-state` and CSS class name.
    pub fn key(self) -> &'static str {
        match self {
            State::Collected => "collected",
            State::Failed => "failed",
            State::Skipped => "skipped",
            State::NotScheduled => "not-scheduled",
            State::NoRecord => "no-record",
            State::NotSelected => "not-selected",
            State::Future => "future",
        }
    }

    /// Words for the legend and the cell's label.
    pub fn label(self) -> &'static str {
        match self {
            State::Collected => "collected",
            State::Failed => "failed",
            State::Skipped => "skipped (not configured)",
            State::NotScheduled => "not scheduled",
            State::NoRecord => "no run recorded (agent not running?)",
            State::NotSelected => "not in this export",
            State::Future => "not yet",
        }
    }

    /// A mark that does not rely on colour alone.
    pub fn mark(self) -> &'static str {
        match self {
            State::Collected => "✓",
            State::Failed => "✗",
            State::Skipped => "–",
            State::NotScheduled => "·",
            State::NoRecord => "?",
            State::NotSelected => " ",
            State::Future => " ",
        }
    }
}

/// One collector's runs on one day, folded as they are read.
#[derive(Debug, Clone, Default)]
pub struct Day {
    pub succeeded: u32,
    pub failed: u32,
    pub skipped: u32,
    /// The reasons of runs that did not succeed, de-duplicated, in order.
    pub reasons: Vec<String>,
}

impl Day {
    pub fn add(&mut self, status: RunStatus, error: Option<&str>) {
        match status {
            RunStatus::Succeeded => self.succeeded += 1,
            RunStatus::Failed | RunStatus::Interrupted => self.failed += 1,
            RunStatus::Skipped => self.skipped += 1,
        }
        if let Some(e) = error.filter(|_| status != RunStatus::Succeeded) {
            let e = format!("{status}: {e}");
            if !self.reasons.contains(&e) && self.reasons.len() < 5 {
                self.reasons.push(e);
            }
        }
    }

    pub fn runs(&self) -> u32 {
        self.succeeded + self.failed + self.skipped
    }
}

/// How the calendar judges a day without runs.
pub struct Plan<'a> {
    pub enabled: bool,
    pub schedule: Option<&'a Schedule>,
    pub timezone: chrono_tz::Tz,
}

impl Plan<'_> {
    /// Whether the schedule has a time on the UTC day `date` (vault folders are UTC days).
    fn due_on(&self, date: NaiveDate) -> bool {
        if !self.enabled {
            return false;
        }
        let Some(schedule) = self.schedule else {
            // A collector no longer configured: a day without a run is not claimed as a gap.
            return false;
        };
        let start = Utc.from_utc_datetime(&date.and_time(chrono::NaiveTime::MIN));
        let before: DateTime<Utc> = start - Duration::seconds(1);
        next_fire(schedule, self.timezone, before).is_some_and(|t| t < start + Duration::days(1))
    }
}

/// The state of one cell.
pub fn state(
    date: NaiveDate,
    today: NaiveDate,
    selected: bool,
    day: Option<&Day>,
    plan: &Plan,
) -> State {
    if !selected {
        return State::NotSelected;
    }
    match day {
        Some(d) if d.succeeded > 0 => State::Collected,
        Some(d) if d.failed > 0 => State::Failed,
        Some(d) if d.skipped > 0 => State::Skipped,
        _ if date > today => State::Future,
        _ if plan.due_on(date) => State::NoRecord,
        _ => State::NotScheduled,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn on(schedule: &Schedule, timezone: chrono_tz::Tz) -> Plan<'_> {
        Plan {
            enabled: true,
            schedule: Some(schedule),
            timezone,
        }
    }

    #[test]
    fn a_day_with_a_success_is_collected_even_with_failures() {
        let mut day = Day::default();
        day.add(RunStatus::Failed, Some("timeout"));
        day.add(RunStatus::Succeeded, None);
        let weekly = Schedule::parse("0 0 3 * * Mon").unwrap();
        let plan = on(&weekly, chrono_tz::UTC);
        let today = d("2026-02-01");
        assert_eq!(
            state(d("2026-01-07"), today, true, Some(&day), &plan),
            State::Collected
        );
        assert_eq!(day.reasons, vec!["failed: timeout".to_string()]);
    }

    #[test]
    fn days_without_runs_are_gaps_only_when_a_run_was_due() {
        let weekly = Schedule::parse("0 0 3 * * Mon").unwrap();
        let plan = on(&weekly, chrono_tz::UTC);
        let today = d("2026-02-01");
        // 2026-01-05 is a Monday, 2026-01-06 a Tuesday.
        assert_eq!(
            state(d("2026-01-05"), today, true, None, &plan),
            State::NoRecord
        );
        assert_eq!(
            state(d("2026-01-06"), today, true, None, &plan),
            State::NotScheduled
        );
        assert_eq!(
            state(d("2026-02-02"), today, true, None, &plan),
            State::Future
        );
        assert_eq!(
            state(d("2026-01-05"), today, false, None, &plan),
            State::NotSelected
        );
        let off = Plan {
            enabled: false,
            ..plan
        };
        assert_eq!(
            state(d("2026-01-05"), today, true, None, &off),
            State::NotScheduled
        );
    }

    #[test]
    fn a_schedule_in_another_zone_is_judged_on_utc_days() {
        // 01:00 in Tokyo is 16:00 UTC the day before.
        let daily = Schedule::parse("0 0 1 * * *").unwrap();
        let plan = on(&daily, chrono_tz::Asia::Tokyo);
        assert!(plan.due_on(d("2026-01-05")));
        let mut day = Day::default();
        day.add(RunStatus::Skipped, Some("no token"));
        assert_eq!(
            state(d("2026-01-05"), d("2026-02-01"), true, Some(&day), &plan),
            State::Skipped
        );
    }
}
