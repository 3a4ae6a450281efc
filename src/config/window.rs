//! Audit windows: the Type II observation periods runs are filed under.

use chrono::NaiveDate;
use serde::Deserialize;

/// A named audit window, both dates inclusive (UTC calendar days).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// Used as a folder name in the vault: letters, digits, `-`, `_`, `.`.
    pub name: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl Window {
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.start <= date && date <= self.end
    }

    /// Days in the window up to and including `today` (0 before it starts).
    pub fn days_elapsed(&self, today: NaiveDate) -> i64 {
        if today < self.start {
            return 0;
        }
        let last = today.min(self.end);
        (last - self.start).num_days() + 1
    }
}

/// Runs outside every configured window are kept here rather than lost.
pub const OUTSIDE_WINDOW: &str = "outside-window";
