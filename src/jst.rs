//! Japan time (UTC+9, no daylight saving) and durations, as pages, charts and exports write them. The one
//! place a unix time becomes a day number or text: learners and instructors read Japanese dates, whatever
//! zone the server's clock is set to, and a date must read the same on `/me`, the class grid and in a CSV.

/// Seconds in a day.
pub const DAY: i64 = 86_400;
/// Japan's offset from UTC, in seconds.
pub const OFFSET: i64 = 9 * 3600;

/// The Japan-time day of a unix time: days since 1970-01-01 in Japan (day boundaries at midnight JST).
pub fn day(unix: i64) -> i64 {
    (unix + OFFSET).div_euclid(DAY)
}

/// The unix time at which a Japan-time [`day`] begins.
pub fn day_start(day: i64) -> i64 {
    day * DAY - OFFSET
}

/// The wall-clock time in Japan, or `None` for a time `time` cannot represent (never a stored time).
fn local(unix: i64) -> Option<time::OffsetDateTime> {
    let offset = time::UtcOffset::from_whole_seconds(OFFSET as i32).ok()?;
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .map(|t| t.to_offset(offset))
}

/// "2026-11-26 17:05": dates and times shown on pages.
pub fn date_time(unix: i64) -> String {
    local(unix).map_or_else(String::new, |t| {
        format!(
            "{}-{:02}-{:02} {:02}:{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute()
        )
    })
}

/// "2026-11-26T17:05:09+09:00" (ISO 8601 with the offset): times in exports, which spreadsheets and
/// scripts read back without guessing the zone.
pub fn iso(unix: i64) -> String {
    local(unix).map_or_else(String::new, |t| {
        format!(
            "{}-{:02}-{:02}T{:02}:{:02}:{:02}+09:00",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    })
}

/// "20261126": the date in file names.
pub fn compact_date(unix: i64) -> String {
    local(unix).map_or_else(String::new, |t| {
        format!("{}{:02}{:02}", t.year(), u8::from(t.month()), t.day())
    })
}

/// "11/26": chart axes and week labels, where the year goes without saying.
pub fn month_day(unix: i64) -> String {
    local(unix).map_or_else(String::new, |t| {
        format!("{}/{}", u8::from(t.month()), t.day())
    })
}

/// "17:05:09": the live panel's clock.
pub fn clock(unix: i64) -> String {
    let s = (unix + OFFSET).rem_euclid(DAY);
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// How long ago `then` was at `now`: "12 分前", "5 時間前", "3 日前" (a future time reads as now).
pub fn ago(now: i64, then: i64) -> String {
    let secs = (now - then).max(0);
    if secs < 3600 {
        format!("{} 分前", secs / 60)
    } else if secs < DAY {
        format!("{} 時間前", secs / 3600)
    } else {
        format!("{} 日前", secs / DAY)
    }
}

/// Milliseconds as "12.3 秒", or "2 分 05 秒" from a minute on.
pub fn duration(ms: i64) -> String {
    let ms = ms.max(0);
    if ms < 60_000 {
        format!("{:.1} 秒", ms as f64 / 1000.0)
    } else {
        format!("{} 分 {:02} 秒", ms / 60_000, ms / 1000 % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2025-11-24T16:00:00Z: already 01:00 on the 25th in Japan.
    const T: i64 = 1_764_000_000;

    #[test]
    fn days_turn_at_midnight_in_japan() {
        // 2025-11-24 15:00:00 UTC is midnight at the start of the 25th in Japan.
        let midnight = 1_763_996_400;
        assert_eq!(day(midnight), day(midnight - 1) + 1);
        assert_eq!(day_start(day(midnight)), midnight);
        assert_eq!(day_start(day(T)), midnight);
        assert_eq!(day(-OFFSET - 1), -1, "before 1970 in Japan is still a day");
    }

    #[test]
    fn every_format_is_japan_time() {
        assert_eq!(date_time(0), "1970-01-01 09:00");
        assert_eq!(iso(0), "1970-01-01T09:00:00+09:00");
        assert_eq!(iso(T), "2025-11-25T01:00:00+09:00");
        assert_eq!(date_time(T), "2025-11-25 01:00");
        assert_eq!(compact_date(T), "20251125");
        assert_eq!(month_day(T), "11/25");
        assert_eq!(clock(T + 309), "01:05:09");
        assert_eq!(
            date_time(i64::MAX),
            "",
            "out of range: nothing, never a panic"
        );
    }

    #[test]
    fn durations_read_in_japanese() {
        assert_eq!(ago(T, T - 59), "0 分前");
        assert_eq!(ago(T, T - 3 * 3600), "3 時間前");
        assert_eq!(ago(T, T - 3 * DAY), "3 日前");
        assert_eq!(ago(T, T + 60), "0 分前");
        assert_eq!(duration(1_000), "1.0 秒");
        assert_eq!(duration(125_000), "2 分 05 秒");
        assert_eq!(duration(-5), "0.0 秒");
    }
}
