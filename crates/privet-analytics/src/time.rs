//! Time ranges and calendar buckets in a time zone.
//!
//! A query's range comes as calendar dates in the query's time zone (`to` covers its whole day) or as RFC 3339
//! instants. Buckets are calendar hours, days, weeks (starting Monday) or months *in that zone*, so a day in
//! `Europe/Berlin` is 23 or 25 hours long around DST changes. Bucket boundaries are computed once per query as
//! UTC microseconds; a row finds its bucket by binary search, which keeps the per-row cost independent of the
//! zone's rules.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

use crate::error::{AnalyticsError, Result};

const MICROS: i64 = 1_000_000;

/// The calendar unit of buckets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    Hour,
    Day,
    Week,
    Month,
    /// The whole range as one bucket.
    All,
}

impl Unit {
    pub fn parse(text: &str, field: &str) -> Result<Unit> {
        Ok(match text {
            "hour" => Unit::Hour,
            "day" => Unit::Day,
            "week" => Unit::Week,
            "month" => Unit::Month,
            "all" => Unit::All,
            _ => {
                return Err(AnalyticsError::invalid(
                    field,
                    format!("unknown bucket `{text}`; use hour, day, week, month or all"),
                ));
            }
        })
    }
}

/// A half-open range `[start, end)` of UTC microseconds, with the zone it was expressed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub start: i64,
    pub end: i64,
    pub tz: Tz,
}

impl Range {
    /// Parses `from`/`to`/`timezone` (field names as given), defaulting to the last 30 days up to today.
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        timezone: Option<&str>,
        now_us: i64,
    ) -> Result<Range> {
        let tz: Tz = match timezone {
            None => Tz::UTC,
            Some(name) => name.parse().map_err(|_| {
                AnalyticsError::invalid(
                    "timezone",
                    format!("unknown time zone `{name}`; use an IANA name such as Europe/Berlin"),
                )
            })?,
        };
        let today = DateTime::<Utc>::from_timestamp_micros(now_us)
            .unwrap_or_default()
            .with_timezone(&tz)
            .date_naive();
        let end = match to {
            Some(text) => parse_bound(text, tz, true, "to")?,
            None => local_midnight(tz, today + Days::new(1)),
        };
        let start = match from {
            Some(text) => parse_bound(text, tz, false, "from")?,
            None => local_midnight(tz, today - Days::new(29)),
        };
        if start >= end {
            return Err(AnalyticsError::invalid(
                if from.is_some() { "from" } else { "to" },
                "the range is empty or reversed: `from` must come before `to`",
            ));
        }
        Ok(Range { start, end, tz })
    }

    /// The bucket boundaries of this range.
    pub fn buckets(&self, unit: Unit) -> Buckets {
        Buckets::new(self.start, self.end, self.tz, unit)
    }
}

fn parse_bound(text: &str, tz: Tz, is_end: bool, field: &str) -> Result<i64> {
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let date = if is_end { date + Days::new(1) } else { date };
        return Ok(local_midnight(tz, date));
    }
    if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
        return Ok(instant.timestamp_micros());
    }
    Err(AnalyticsError::invalid(
        field,
        format!("`{text}` is not a date (YYYY-MM-DD) or an RFC 3339 time (2026-10-01T12:00:00Z)"),
    ))
}

/// The first instant of `date` in `tz` (DST gaps at midnight resolve to the first valid instant).
pub fn local_midnight(tz: Tz, date: NaiveDate) -> i64 {
    local_instant(tz, date.and_hms_opt(0, 0, 0).expect("midnight exists"))
}

fn local_instant(tz: Tz, local: NaiveDateTime) -> i64 {
    let mut probe = local;
    // A local time inside a DST gap does not exist; the next one that does is the bucket's start.
    for _ in 0..48 {
        if let Some(t) = tz.from_local_datetime(&probe).earliest() {
            return t.timestamp_micros();
        }
        probe += chrono::Duration::minutes(30);
    }
    tz.from_utc_datetime(&local).timestamp_micros()
}

/// Bucket boundaries: `starts[i]` (UTC microseconds) begins bucket `i`; the last bucket ends at `end`.
#[derive(Clone, Debug)]
pub struct Buckets {
    pub starts: Vec<i64>,
    pub end: i64,
    pub tz: Tz,
    pub unit: Unit,
}

impl Buckets {
    /// Buckets covering `[start, end)`. The first bucket starts at the calendar boundary at or before `start`.
    pub fn new(start: i64, end: i64, tz: Tz, unit: Unit) -> Buckets {
        let mut starts = Vec::new();
        if unit == Unit::All {
            starts.push(start);
            return Buckets {
                starts,
                end,
                tz,
                unit,
            };
        }
        let local = DateTime::<Utc>::from_timestamp_micros(start)
            .unwrap_or_default()
            .with_timezone(&tz)
            .naive_local();
        let mut cursor = floor(local, unit);
        loop {
            let instant = local_instant(tz, cursor);
            if instant >= end {
                break;
            }
            if starts.last().is_none_or(|last| *last < instant) {
                starts.push(instant);
            }
            cursor = next(cursor, unit);
        }
        if starts.is_empty() {
            starts.push(start);
        }
        Buckets {
            starts,
            end,
            tz,
            unit,
        }
    }

    pub fn len(&self) -> usize {
        self.starts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// The bucket of a time, or `None` outside `[starts[0], end)`.
    #[inline]
    pub fn index(&self, time_us: i64) -> Option<usize> {
        if time_us < self.starts[0] || time_us >= self.end {
            return None;
        }
        Some(self.starts.partition_point(|s| *s <= time_us) - 1)
    }

    /// Where bucket `b` starts and ends (exclusive).
    #[inline]
    pub fn bounds(&self, b: usize) -> (i64, i64) {
        (
            self.starts[b],
            self.starts.get(b + 1).copied().unwrap_or(self.end),
        )
    }

    /// Each bucket's start as RFC 3339 in the zone.
    pub fn labels(&self) -> Vec<String> {
        self.starts.iter().map(|s| label(*s, self.tz)).collect()
    }
}

/// An instant as RFC 3339 in `tz` (`2026-10-01T00:00:00+02:00`).
pub fn label(time_us: i64, tz: Tz) -> String {
    DateTime::<Utc>::from_timestamp_micros(time_us)
        .unwrap_or_default()
        .with_timezone(&tz)
        .to_rfc3339()
}

fn floor(local: NaiveDateTime, unit: Unit) -> NaiveDateTime {
    let date = local.date();
    match unit {
        Unit::Hour => date
            .and_hms_opt(local.time().hour_of(), 0, 0)
            .expect("valid hour"),
        Unit::Day | Unit::All => date.and_hms_opt(0, 0, 0).expect("midnight"),
        Unit::Week => {
            let monday = date - Days::new(date.weekday().num_days_from_monday() as u64);
            monday.and_hms_opt(0, 0, 0).expect("midnight")
        }
        Unit::Month => date
            .with_day(1)
            .expect("day one exists")
            .and_hms_opt(0, 0, 0)
            .expect("midnight"),
    }
}

fn next(local: NaiveDateTime, unit: Unit) -> NaiveDateTime {
    match unit {
        Unit::Hour => local + chrono::Duration::hours(1),
        Unit::Day | Unit::All => local + Days::new(1),
        Unit::Week => local + Days::new(7),
        Unit::Month => local + Months::new(1),
    }
}

trait HourOf {
    fn hour_of(&self) -> u32;
}

impl HourOf for chrono::NaiveTime {
    fn hour_of(&self) -> u32 {
        chrono::Timelike::hour(self)
    }
}

/// Parses a conversion window: `"30m"`, `"12h"`, `"7d"`, `"2w"`, or a number of seconds. Returns microseconds.
pub fn parse_window(value: &serde_json::Value, field: &str) -> Result<i64> {
    let invalid = || {
        AnalyticsError::invalid(
            field,
            "the window must be a positive duration such as \"30m\", \"12h\", \"7d\", \"2w\" or a number of seconds",
        )
    };
    let seconds: f64 = match value {
        serde_json::Value::Number(n) => n.as_f64().ok_or_else(invalid)?,
        serde_json::Value::String(text) => {
            let text = text.trim();
            let split = text
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(text.len());
            let (number, unit) = text.split_at(split);
            let number: f64 = number.parse().map_err(|_| invalid())?;
            let scale = match unit.trim() {
                "" | "s" => 1.0,
                "m" | "min" => 60.0,
                "h" => 3600.0,
                "d" => 86_400.0,
                "w" => 7.0 * 86_400.0,
                _ => return Err(invalid()),
            };
            number * scale
        }
        _ => return Err(invalid()),
    };
    if !(seconds > 0.0 && seconds.is_finite()) {
        return Err(invalid());
    }
    Ok((seconds * MICROS as f64) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(text: &str) -> i64 {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .timestamp_micros()
    }

    #[test]
    fn dates_cover_whole_days_in_the_zone() {
        let range = Range::parse(
            Some("2026-03-28"),
            Some("2026-03-30"),
            Some("Europe/Berlin"),
            0,
        )
        .unwrap();
        assert_eq!(range.start, us("2026-03-28T00:00:00+01:00"));
        assert_eq!(range.end, us("2026-03-31T00:00:00+02:00"));
        let days = range.buckets(Unit::Day);
        assert_eq!(
            days.labels(),
            [
                "2026-03-28T00:00:00+01:00",
                "2026-03-29T00:00:00+01:00",
                "2026-03-30T00:00:00+02:00"
            ]
        );
        // 29 March 2026 is the spring-forward day: 23 hours long.
        assert_eq!(days.starts[2] - days.starts[1], 23 * 3600 * MICROS);
        assert_eq!(days.index(us("2026-03-29T23:30:00+02:00")), Some(1));
        assert_eq!(days.index(us("2026-03-30T00:00:00+02:00")), Some(2));
        assert_eq!(days.index(us("2026-03-31T00:00:00+02:00")), None);
        assert_eq!(days.index(us("2026-03-27T23:59:59+01:00")), None);
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        let range = Range::parse(Some("2026-10-01"), Some("2026-11-10"), None, 0).unwrap();
        let weeks = range.buckets(Unit::Week);
        assert_eq!(weeks.labels()[0], "2026-09-28T00:00:00+00:00");
        assert_eq!(weeks.labels()[1], "2026-10-05T00:00:00+00:00");
        let months = range.buckets(Unit::Month);
        assert_eq!(
            months.labels(),
            ["2026-10-01T00:00:00+00:00", "2026-11-01T00:00:00+00:00"]
        );
        let all = range.buckets(Unit::All);
        assert_eq!(all.len(), 1);
        assert_eq!(all.index(range.end - 1), Some(0));
    }

    #[test]
    fn hours_in_a_zone_with_half_hour_offset() {
        let range = Range::parse(
            Some("2026-10-01T00:00:00Z"),
            Some("2026-10-01T03:00:00Z"),
            Some("Asia/Kolkata"),
            0,
        )
        .unwrap();
        let hours = range.buckets(Unit::Hour);
        assert_eq!(hours.labels()[0], "2026-10-01T05:00:00+05:30");
        assert_eq!(hours.index(us("2026-10-01T00:00:00Z")), Some(0));
        assert_eq!(hours.index(us("2026-10-01T00:30:00Z")), Some(1));
    }

    #[test]
    fn bad_ranges_name_the_field() {
        let error = Range::parse(Some("2026-10-05"), Some("2026-10-01"), None, 0).unwrap_err();
        assert_eq!(error.field(), Some("from"));
        let error = Range::parse(Some("yesterday"), None, None, 0).unwrap_err();
        assert_eq!(error.field(), Some("from"));
        let error = Range::parse(None, None, Some("Mars/Olympus"), 0).unwrap_err();
        assert_eq!(error.field(), Some("timezone"));
        // The default is the last 30 days.
        let now = us("2026-11-23T12:00:00Z");
        let range = Range::parse(None, None, None, now).unwrap();
        assert_eq!(range.start, us("2026-10-25T00:00:00Z"));
        assert_eq!(range.end, us("2026-11-24T00:00:00Z"));
    }

    #[test]
    fn windows() {
        use serde_json::json;
        assert_eq!(
            parse_window(&json!("7d"), "w").unwrap(),
            7 * 86_400 * MICROS
        );
        assert_eq!(parse_window(&json!("30m"), "w").unwrap(), 1800 * MICROS);
        assert_eq!(parse_window(&json!(90), "w").unwrap(), 90 * MICROS);
        assert_eq!(
            parse_window(&json!("2w"), "w").unwrap(),
            14 * 86_400 * MICROS
        );
        for bad in [json!(0), json!(-5), json!("7x"), json!("d"), json!(null)] {
            assert_eq!(
                parse_window(&bad, "window").unwrap_err().field(),
                Some("window")
            );
        }
    }
}
