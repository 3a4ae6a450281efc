//! Audit windows: the Type II observation periods runs are filed under.

use std::fmt;

use chrono::NaiveDate;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

/// A named audit window, both dates inclusive (UTC calendar days).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// Used as a folder name in the vault: letters, digits, `-`, `_`, `.`.
    pub name: String,
    /// The first day of the window (UTC).
    #[serde(deserialize_with = "date")]
    pub start: NaiveDate,
    /// The last day of the window (UTC), included.
    #[serde(deserialize_with = "date")]
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

/// A date written either as a TOML date (`2026-07-01`) or as a string (`"2026-07-01"`).
fn date<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    d.deserialize_any(DateVisitor)
}

struct DateVisitor;

impl<'de> Visitor<'de> for DateVisitor {
    type Value = NaiveDate;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a date such as 2026-07-01")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<NaiveDate, E> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
            E::custom(format!(
                "`{s}` is not a date: write YYYY-MM-DD, e.g. 2026-07-01"
            ))
        })
    }

    // TOML dates reach serde as a one-entry map; toml's own type reads it back.
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<NaiveDate, A::Error> {
        let dt = toml::value::Datetime::deserialize(de::value::MapAccessDeserializer::new(map))?;
        let whole_day = "a window runs over whole UTC days: write the date alone, e.g. 2026-07-01";
        match (dt.date, dt.time, dt.offset) {
            (Some(d), None, None) => {
                NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
                    .ok_or_else(|| {
                        de::Error::custom(format!("`{dt}` is not a date in the calendar"))
                    })
            }
            (Some(_), _, _) => Err(de::Error::custom(format!(
                "`{dt}` has a time of day; {whole_day}"
            ))),
            (None, _, _) => Err(de::Error::custom(format!(
                "`{dt}` is a time, not a date; {whole_day}"
            ))),
        }
    }
}
