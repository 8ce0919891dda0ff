//! Calendar dates and instants: the one place that knows month lengths and leap years.
//!
//! Instants are microseconds since the Unix epoch (UTC), as in
//! [`Frame::ts_us`](crate::frame::Frame::ts_us). Dates are proleptic Gregorian and written
//! `YYYY-MM-DD` (RFC 3339's `full-date`), years 0000 to 9999. The conversions between days
//! and dates are Howard Hinnant's `days_from_civil` and `civil_from_days`
//! (<https://howardhinnant.github.io/date_algorithms.html>), exact for any `i64` day count
//! that fits.

use std::fmt;

/// A valid calendar date, years 0000 to 9999.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// The date of that year, month (1–12) and day, if it exists: `Date::new(2024, 2, 29)`
    /// does, `Date::new(2025, 2, 29)` and `Date::new(2025, 4, 31)` do not.
    pub(crate) fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        let last = days_in_month(i64::from(year), month)?;
        (year <= 9999 && (1..=last).contains(&day)).then_some(Date { year, month, day })
    }

    /// Reads exactly `YYYY-MM-DD` (ASCII digits, no sign, no surrounding space).
    pub(crate) fn parse(text: &str) -> Option<Date> {
        let b = text.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !text.is_ascii() {
            return None;
        }
        Date::from_digits(&text[0..4], &text[5..7], &text[8..10])
    }

    /// Reads exactly `YYYYMMDD` (RFC 3339's basic format; ASCII digits only).
    pub(crate) fn parse_basic(text: &str) -> Option<Date> {
        if text.len() != 8 || !text.is_ascii() {
            return None;
        }
        Date::from_digits(&text[0..4], &text[4..6], &text[6..8])
    }

    /// The date of year, month and day given as runs of ASCII digits.
    fn from_digits(year: &str, month: &str, day: &str) -> Option<Date> {
        fn number<T: std::str::FromStr>(s: &str) -> Option<T> {
            if s.bytes().all(|b| b.is_ascii_digit()) {
                s.parse().ok()
            } else {
                None
            }
        }
        Date::new(number(year)?, number(month)?, number(day)?)
    }

    /// The year, 0 to 9999.
    pub(crate) fn year(self) -> u16 {
        self.year
    }

    /// The month, 1 to 12.
    #[cfg(test)]
    pub(crate) fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, from 1.
    #[cfg(test)]
    pub(crate) fn day(self) -> u8 {
        self.day
    }

    /// Days since 1970-01-01 (negative before it).
    pub(crate) fn days_since_epoch(self) -> i64 {
        days_from_civil(
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        )
    }
}

/// `YYYY-MM-DD`.
impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// True for a Gregorian leap year: divisible by 4, and by 400 when divisible by 100.
pub(crate) fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// The number of days in that month (1–12) of that year; `None` for another month number.
pub(crate) fn days_in_month(year: i64, month: u8) -> Option<u8> {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => Some(31),
        4 | 6 | 9 | 11 => Some(30),
        2 if is_leap_year(year) => Some(29),
        2 => Some(28),
        _ => None,
    }
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date; `None` when the text is not exactly
/// such a date or names a day that does not exist (2025-02-31, 2023-02-29).
pub(crate) fn days_from_ymd(text: &str) -> Option<i64> {
    Date::parse(text).map(Date::days_since_epoch)
}

/// A duration a person reads at a glance: `850 µs`, `45 ms`, `5.8 s`,
/// `3 min 12 s`, `2 h 05 min`.
pub(crate) fn duration_text(seconds: f64) -> String {
    let s = seconds.max(0.0);
    if s < 0.001 {
        format!("{:.0} µs", s * 1e6)
    } else if s < 1.0 {
        format!("{:.0} ms", s * 1e3)
    } else if s < 60.0 {
        format!("{s:.1} s")
    } else if s < 3600.0 {
        let m = (s / 60.0).floor();
        format!("{m:.0} min {:.0} s", (s - m * 60.0).floor())
    } else {
        let h = (s / 3600.0).floor();
        format!("{h:.0} h {:02.0} min", ((s - h * 3600.0) / 60.0).floor())
    }
}

/// Formats microseconds since the epoch as RFC 3339 UTC with microseconds,
/// e.g. `2026-11-28T16:03:47.123456Z`.
///
/// Instants before the epoch are fine; outside the years 0000 to 9999 (more than about
/// 8,000 years away) the year is printed as is, with a sign when negative, which RFC 3339
/// does not allow but which never panics.
pub(crate) fn rfc3339_us(ts_us: i64) -> String {
    let mut s = String::with_capacity(27);
    push_rfc3339_us(&mut s, ts_us);
    s
}

/// [`rfc3339_us`], appended to `out` (what a CSV row does twice per flow).
pub(crate) fn push_rfc3339_us(out: &mut String, ts_us: i64) {
    let (y, m, d, h, mi, s) = civil_utc(ts_us);
    let micros = ts_us.rem_euclid(1_000_000) as u32;
    if !(0..=9999).contains(&y) {
        let _ = std::fmt::Write::write_fmt(
            out,
            format_args!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{micros:06}Z"),
        );
        return;
    }
    let mut b = *b"0000-00-00T00:00:00.000000Z";
    let mut put = |at: usize, width: usize, mut v: u32| {
        for i in (0..width).rev() {
            b[at + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, y as u32);
    put(5, 2, m.into());
    put(8, 2, d.into());
    put(11, 2, h.into());
    put(14, 2, mi.into());
    put(17, 2, s.into());
    put(20, 6, micros);
    out.push_str(std::str::from_utf8(&b).unwrap_or_default());
}

/// The UTC calendar date and time of µs since the epoch: (year, month,
/// day, hour, minute, second).
pub(crate) fn civil_utc(ts_us: i64) -> (i64, u8, u8, u8, u8, u8) {
    let secs = ts_us.div_euclid(1_000_000);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    (
        y,
        m as u8,
        d as u8,
        (sod / 3600) as u8,
        ((sod / 60) % 60) as u8,
        (sod % 60) as u8,
    )
}

/// Days since 1970-01-01 of a proleptic Gregorian (year, month 1–12, day 1–31).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod duration_tests {
    use super::*;

    /// The digits written one by one read as `format!` writes them, over
    /// the whole range, negative times included.
    #[test]
    fn rfc3339_matches_format() {
        let by_format = |ts_us: i64| {
            let secs = ts_us.div_euclid(1_000_000);
            let micros = ts_us.rem_euclid(1_000_000);
            let sod = secs.rem_euclid(86_400);
            let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
            format!(
                "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z",
                sod / 3600,
                (sod / 60) % 60,
                sod % 60
            )
        };
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let ts = (x % 500_000_000_000_000_000) as i64 - 250_000_000_000_000_000;
            assert_eq!(rfc3339_us(ts), by_format(ts), "{ts}");
        }
        for ts in [
            0,
            -1,
            1_700_000_000_123_456,
            crate::frame::MAX_TS_US,
            -crate::frame::MAX_TS_US,
        ] {
            assert_eq!(rfc3339_us(ts), by_format(ts), "{ts}");
        }
    }

    #[test]
    fn durations_read_at_a_glance() {
        assert_eq!(duration_text(0.000_85), "850 µs");
        assert_eq!(duration_text(0.045), "45 ms");
        assert_eq!(duration_text(5.83), "5.8 s");
        assert_eq!(duration_text(192.4), "3 min 12 s");
        assert_eq!(duration_text(7_500.0), "2 h 05 min");
        assert_eq!(duration_text(-1.0), "0 µs");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impossible_days_are_rejected() {
        for bad in [
            "2025-02-31",
            "2023-02-29",
            "2100-02-29",
            "1900-02-29",
            "2025-04-31",
            "2025-06-31",
            "2025-09-31",
            "2025-11-31",
            "2025-01-32",
            "2025-01-00",
            "2025-00-10",
            "2025-13-01",
        ] {
            assert_eq!(days_from_ymd(bad), None, "{bad}");
            assert_eq!(Date::parse(bad), None, "{bad}");
            assert_eq!(Date::parse_basic(&bad.replace('-', "")), None, "{bad}");
        }
    }

    #[test]
    fn leap_days_follow_the_gregorian_rule() {
        assert_eq!(days_from_ymd("2024-02-29"), Some(19_782));
        assert_eq!(days_from_ymd("2000-02-29"), Some(11_016));
        assert_eq!(days_from_ymd("1600-02-29"), Some(-135_081));
        assert!(is_leap_year(2024) && is_leap_year(2000) && is_leap_year(0));
        assert!(!is_leap_year(2023) && !is_leap_year(2100) && !is_leap_year(1900));
        assert_eq!(days_in_month(2024, 2), Some(29));
        assert_eq!(days_in_month(2100, 2), Some(28));
        assert_eq!(days_in_month(2025, 0), None);
        assert_eq!(days_in_month(2025, 13), None);
    }

    #[test]
    fn only_the_exact_forms_are_read() {
        assert_eq!(days_from_ymd("1970-01-01"), Some(0));
        assert_eq!(days_from_ymd("1969-12-31"), Some(-1));
        assert_eq!(days_from_ymd("0000-01-01"), Some(-719_528));
        assert_eq!(days_from_ymd("9999-12-31"), Some(2_932_896));
        assert_eq!(
            days_from_ymd("2025-11-06").map(|d| d * 86_400),
            Some(1_762_387_200)
        );
        for bad in [
            "",
            "2025-1-06",
            "2025-11-6",
            "25-11-06",
            "+2025-11-06",
            "-2025-11-06",
            "02025-11-06",
            " 2025-11-06",
            "2025-11-06 ",
            "2025/11/06",
            "2025-11-06T00:00:00Z",
            "20251106",
            "2025-+1-06",
            "2025-11-+6",
            "２０２５-11-06",
            "2025-11-0\u{e9}",
        ] {
            assert_eq!(days_from_ymd(bad), None, "{bad:?}");
        }
        let d = Date::parse_basic("20240229").unwrap();
        assert_eq!((d.year(), d.month(), d.day()), (2024, 2, 29));
        assert_eq!(d.to_string(), "2024-02-29");
        assert_eq!(Date::parse("0042-03-01").unwrap().to_string(), "0042-03-01");
        for bad in [
            "2025-11-06",
            "2025116",
            "202511061",
            "+2025116",
            "2025110\u{e9}",
        ] {
            assert_eq!(Date::parse_basic(bad), None, "{bad:?}");
        }
        assert_eq!(Date::new(10_000, 1, 1), None);
        assert!(Date::new(2024, 12, 31) > Date::new(2024, 2, 29));
    }

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339_us(0), "1970-01-01T00:00:00.000000Z");
        // `date -u -d @1700000000` = 2023-11-14 22:13:20
        assert_eq!(
            rfc3339_us(1_700_000_000_000_000),
            "2023-11-14T22:13:20.000000Z"
        );
        assert_eq!(
            rfc3339_us(1_700_000_000_000_001),
            "2023-11-14T22:13:20.000001Z"
        );
        // leap days
        assert_eq!(
            rfc3339_us(951_782_400_000_000),
            "2000-02-29T00:00:00.000000Z"
        );
        assert_eq!(
            rfc3339_us(1_709_164_799_999_999),
            "2024-02-28T23:59:59.999999Z"
        );
        assert_eq!(
            rfc3339_us(1_709_251_199_999_999),
            "2024-02-29T23:59:59.999999Z"
        );
        assert_eq!(
            rfc3339_us(4_107_542_400_000_000),
            "2100-03-01T00:00:00.000000Z"
        );
    }

    #[test]
    fn instants_before_the_epoch_do_not_panic() {
        assert_eq!(rfc3339_us(-1), "1969-12-31T23:59:59.999999Z");
        assert_eq!(rfc3339_us(-1_000_000), "1969-12-31T23:59:59.000000Z");
        assert_eq!(rfc3339_us(-86_400_000_000), "1969-12-31T00:00:00.000000Z");
        assert_eq!(
            rfc3339_us(-62_135_596_800_000_000),
            "0001-01-01T00:00:00.000000Z"
        );
        assert_eq!(
            rfc3339_us(-62_167_219_200_000_000),
            "0000-01-01T00:00:00.000000Z"
        );
        // Far outside RFC 3339's years: no panic, and the clock part stays right.
        assert!(rfc3339_us(i64::MIN).ends_with("T19:59:05.224192Z"));
        assert!(rfc3339_us(i64::MIN).starts_with('-'));
        assert!(rfc3339_us(i64::MAX).ends_with("T04:00:54.775807Z"));
    }

    /// Every day of 1600–2400 formats as a date that reads back as the same day: the
    /// validator and the formatter agree on month lengths and leap years.
    #[test]
    fn formatting_and_reading_agree_day_by_day() {
        let first = days_from_ymd("1600-01-01").unwrap();
        let last = days_from_ymd("2400-12-31").unwrap();
        let mut previous: Option<Date> = None;
        for day in first..=last {
            let text = rfc3339_us(day * 86_400_000_000);
            let date = Date::parse(&text[..10]).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(date.days_since_epoch(), day, "{text}");
            assert_eq!(date.to_string(), text[..10]);
            if let Some(p) = previous {
                assert!(p < date, "{p} {date}");
                let next_day = Date::new(p.year, p.month, p.day + 1)
                    .or_else(|| Date::new(p.year, p.month + 1, 1))
                    .or_else(|| Date::new(p.year + 1, 1, 1));
                assert_eq!(next_day, Some(date), "after {p}");
            }
            previous = Some(date);
        }
    }
}
