//! Copy progress, a whole percentage from 0 to 100.

use core::fmt;
use core::str::FromStr;

/// How much of a copy's snapshot data has been transferred, `0%..=100%`.
///
/// DescribeImages shows it as a string such as `"32%"`, which is what
/// [`Display`](fmt::Display) writes and [`FromStr`] reads.
///
/// ```
/// use ecs_image_copy::Percent;
///
/// let p = Percent::new(32).unwrap();
/// assert_eq!(p.to_string(), "32%");
/// assert_eq!("32%".parse::<Percent>(), Ok(p));
/// assert_eq!(Percent::new(101), None);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "u8", into = "u8")
)]
pub struct Percent(u8);

impl Percent {
    /// No data transferred yet.
    pub const ZERO: Percent = Percent(0);
    /// All data transferred.
    pub const FULL: Percent = Percent(100);

    /// The percentage `value`, or `None` above 100.
    pub const fn new(value: u8) -> Option<Percent> {
        if value <= 100 {
            Some(Percent(value))
        } else {
            None
        }
    }

    /// The percentage as a number from 0 to 100.
    pub const fn get(self) -> u8 {
        self.0
    }

    /// Whether this is 100%.
    pub const fn is_full(self) -> bool {
        self.0 == 100
    }

    /// `32%` in `buffer`, as `Display` writes it, without `core::fmt`: a
    /// response body writes one or two per image.
    pub(crate) fn ascii(self, buffer: &mut [u8; 4]) -> &[u8] {
        let digit = |value: u8| b'0' + value % 10;
        *buffer = [digit(self.0 / 100), digit(self.0 / 10), digit(self.0), b'%'];
        let leading_zeros = match self.0 {
            100.. => 0,
            10.. => 1,
            _ => 2,
        };
        &buffer[leading_zeros..]
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buffer = [0; 4];
        // Digits and `%` are ASCII, so this never fails.
        f.write_str(core::str::from_utf8(self.ascii(&mut buffer)).map_err(|_| fmt::Error)?)
    }
}

/// A number that is not a percentage from 0 to 100.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[error("`{0}` is not a progress between 0% and 100%")]
pub struct PercentError(String);

impl TryFrom<u8> for Percent {
    type Error = PercentError;

    fn try_from(value: u8) -> Result<Percent, PercentError> {
        Percent::new(value).ok_or_else(|| PercentError(value.to_string()))
    }
}

impl From<Percent> for u8 {
    fn from(percent: Percent) -> u8 {
        percent.0
    }
}

/// Reads `"32%"` as DescribeImages writes it; the `%` may be left out.
impl FromStr for Percent {
    type Err = PercentError;

    fn from_str(text: &str) -> Result<Percent, PercentError> {
        let digits = text.strip_suffix('%').unwrap_or(text);
        // `u8::from_str` alone would accept a leading `+`, which no progress has.
        let value = match digits.bytes().all(|b| b.is_ascii_digit()) {
            true => digits.parse().ok(),
            false => None,
        };
        value
            .and_then(Percent::new)
            .ok_or_else(|| PercentError(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_percentage_is_written_as_format_wrote_it() {
        for value in 0..=100 {
            let percent = Percent(value);
            assert_eq!(percent.to_string(), format!("{value}%"));
            assert_eq!(percent.to_string().parse(), Ok(percent));
        }
    }
}
