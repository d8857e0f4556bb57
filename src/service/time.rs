//! Points in time, which always come from the caller.

use core::fmt;

/// A point in time, in whole seconds since the Unix epoch (UTC).
///
/// The model never reads a clock: every action that records a time takes
/// one. DescribeImages shows it as `CreationTime`, in RFC 3339 as
/// [`Display`](fmt::Display) writes it; times past the year 9999 are
/// written as its last second.
///
/// ```
/// use ecs_image_copy::Timestamp;
///
/// let time = Timestamp::from_unix_seconds(1_795_773_600);
/// assert_eq!(time.to_string(), "2026-11-27T10:00:00Z");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(transparent)
)]
pub struct Timestamp(u64);

/// `9999-12-31T23:59:59Z`: RFC 3339 has four digits for the year.
const LAST_SECOND_OF_9999: u64 = 253_402_300_799;
const SECONDS_PER_DAY: u64 = 86_400;

impl Timestamp {
    /// The time `seconds` after 1970-01-01T00:00:00Z.
    pub const fn from_unix_seconds(seconds: u64) -> Timestamp {
        Timestamp(seconds)
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub const fn unix_seconds(self) -> u64 {
        self.0
    }

    /// `2026-11-27T10:00:00Z`, as `Display` writes it, without
    /// `core::fmt`: a response body writes one per image.
    pub(crate) fn ascii(self) -> [u8; 20] {
        let seconds = self.0.min(LAST_SECOND_OF_9999);
        let (year, month, day) = civil_date(seconds / SECONDS_PER_DAY);
        let second_of_day = seconds % SECONDS_PER_DAY;
        let (hour, minute, second) = (
            second_of_day / 3600,
            second_of_day / 60 % 60,
            second_of_day % 60,
        );
        let mut text = *b"0000-00-00T00:00:00Z";
        let fields = [
            (0..4, year),
            (5..7, month),
            (8..10, day),
            (11..13, hour),
            (14..16, minute),
            (17..19, second),
        ];
        for (span, mut value) in fields {
            for digit in text[span].iter_mut().rev() {
                *digit = b'0' + (value % 10) as u8;
                value /= 10;
            }
        }
        text
    }
}

/// The year, month and day of the `days`-th day after 1970-01-01, in the
/// proleptic Gregorian calendar: Howard Hinnant's `civil_from_days`, with
/// years counted from March so that a leap day is a year's last.
const fn civil_date(days: u64) -> (u64, u64, u64) {
    const DAYS_PER_ERA: u64 = 146_097;
    // From 0000-03-01, the start of an era of 400 years, to 1970-01-01.
    let since_era_start = days + 719_468;
    let era = since_era_start / DAYS_PER_ERA;
    let day_of_era = since_era_start % DAYS_PER_ERA;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = era * 400 + year_of_era + (month <= 2) as u64;
    (year, month, day)
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Digits and `-:TZ` are ASCII, so this never fails.
        f.write_str(core::str::from_utf8(&self.ascii()).map_err(|_| fmt::Error)?)
    }
}

#[cfg(all(test, feature = "rpc"))]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    /// What `humantime` writes, as response bodies first did.
    fn humantime(seconds: u64) -> String {
        let time = UNIX_EPOCH + Duration::from_secs(seconds.min(LAST_SECOND_OF_9999));
        humantime::format_rfc3339_seconds(time).to_string()
    }

    #[test]
    fn times_are_written_as_humantime_wrote_them() {
        let edges = [
            0,
            59,
            SECONDS_PER_DAY - 1,
            951_782_400,   // 2000-02-29
            4_107_542_400, // 2100-03-01, after a century without a leap day
            1_795_780_800,
            LAST_SECOND_OF_9999,
            LAST_SECOND_OF_9999 + 1,
            u64::MAX,
        ];
        // Every day for 400 years, and a spread of seconds to the end.
        let days = (0..146_097 + 1).map(|day| day * SECONDS_PER_DAY + day % SECONDS_PER_DAY);
        let spread = (0..100_000u64).map(|n| n.wrapping_mul(2_534_023_007) % LAST_SECOND_OF_9999);
        for seconds in edges.into_iter().chain(days).chain(spread) {
            let time = Timestamp(seconds);
            assert_eq!(time.to_string(), humantime(seconds), "{seconds}");
        }
    }
}
