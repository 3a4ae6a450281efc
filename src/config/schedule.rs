//! A cron expression, parsed when the config is loaded so a bad one is a config error.

use std::str::FromStr;

use chrono::{DateTime, TimeZone};
use serde::Deserialize;

/// A validated cron expression with a seconds field.
#[derive(Debug, Clone)]
pub struct Schedule {
    expr: String,
    inner: cron::Schedule,
}

impl Schedule {
    pub fn parse(expr: &str) -> Result<Schedule, String> {
        let fields = expr.split_whitespace().count();
        if !(6..=7).contains(&fields) {
            return Err(format!(
                "cron expression `{expr}` has {fields} fields; it needs 6 or 7: \
                 sec min hour day-of-month month day-of-week [year], e.g. `0 0 3 * * *`"
            ));
        }
        cron::Schedule::from_str(expr)
            .map(|inner| Schedule {
                expr: expr.to_string(),
                inner,
            })
            .map_err(|e| {
                // The parser's message repeats the expression with a caret line; keep the reason.
                let text = e.to_string();
                let reason = text
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("");
                format!(
                    "invalid cron expression `{expr}`: {}; the fields are sec min hour \
                     day-of-month month day-of-week [year]",
                    reason.trim().trim_end_matches('.')
                )
            })
    }

    pub fn as_str(&self) -> &str {
        &self.expr
    }

    /// The first fire time strictly after `after`, in the same time zone.
    pub fn next_after<Z: TimeZone>(&self, after: &DateTime<Z>) -> Option<DateTime<Z>> {
        self.inner.after(after).next()
    }
}

impl<'de> Deserialize<'de> for Schedule {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let expr = String::deserialize(d)?;
        Schedule::parse(&expr).map_err(serde::de::Error::custom)
    }
}
