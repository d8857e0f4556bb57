//! Points in time, which always come from the caller.

/// A point in time, in whole seconds since the Unix epoch (UTC).
///
/// The model never reads a clock: every action that records a time takes
/// one. DescribeImages shows it as `CreationTime`, e.g. `2026-11-27T10:00:00Z`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(transparent)
)]
pub struct Timestamp(u64);

impl Timestamp {
    /// The time `seconds` after 1970-01-01T00:00:00Z.
    pub const fn from_unix_seconds(seconds: u64) -> Timestamp {
        Timestamp(seconds)
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub const fn unix_seconds(self) -> u64 {
        self.0
    }
}
