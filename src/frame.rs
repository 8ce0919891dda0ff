//! One captured frame as it enters the analysis: the only input type of the core.
//!
//! Every capture source (files, standard input, and later live interfaces) turns
//! what it reads into a [`Frame`] that borrows the bytes; nothing downstream knows
//! where they came from.

/// A frame borrowed from the capture source.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// Capture time, microseconds since the Unix epoch (UTC).
    pub ts_us: i64,
    /// The link-layer type of the interface the frame was captured on (LINKTYPE_*).
    pub linktype: u32,
    /// Length of the frame on the wire; larger than `data.len()` when the
    /// capture's snap length cut it.
    pub wire_len: u32,
    /// The captured bytes.
    pub data: &'a [u8],
}

impl Frame<'_> {
    /// True when the snap length cut this frame short.
    pub fn is_cut(&self) -> bool {
        (self.wire_len as usize) > self.data.len()
    }
}

/// Formats microseconds since the epoch as RFC 3339 UTC with microseconds,
/// e.g. `2026-11-28T16:03:47.123456Z`.
pub fn rfc3339_us(ts_us: i64) -> String {
    let secs = ts_us.div_euclid(1_000_000);
    let micros = ts_us.rem_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    )
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (Howard Hinnant's
/// `days_from_civil`); `None` when it is not such a date.
pub fn days_from_ymd(s: &str) -> Option<i64> {
    let mut it = s.split('-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let d: i64 = it.next()?.parse().ok()?;
    if it.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day)
/// (Howard Hinnant's `civil_from_days`).
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
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339_us(0), "1970-01-01T00:00:00.000000Z");
        // `date -u -d @1700000000` = 2023-11-14 22:13:20
        assert_eq!(
            rfc3339_us(1_700_000_000_000_001),
            "2023-11-14T22:13:20.000001Z"
        );
        // leap day
        assert_eq!(
            rfc3339_us(951_782_400_000_000),
            "2000-02-29T00:00:00.000000Z"
        );
        assert_eq!(rfc3339_us(-1), "1969-12-31T23:59:59.999999Z");
        assert_eq!(days_from_ymd("1970-01-01"), Some(0));
        assert_eq!(days_from_ymd("2000-02-29"), Some(11_016));
        assert_eq!(
            days_from_ymd("2025-11-06").map(|d| d * 86_400),
            Some(1_762_387_200)
        );
        assert_eq!(days_from_ymd("2025-13-01"), None);
    }
}
