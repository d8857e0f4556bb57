//! What moves a copy task: the backend's lifecycle events and the API's cancel.

use core::fmt;

use crate::task::Percent;

/// Something that happens to one copy task.
///
/// `Start`, `Progress`, `Complete` and `Fail` are the backend's lifecycle
/// events, fed by the embedder; `Cancel` is the CancelCopyImage API call.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum CopyEvent {
    /// A copy slot freed up in the destination region and the copy starts.
    Start,
    /// The transfer reached this progress; `100%` means all snapshot data
    /// is copied and the image is being registered (finalizing).
    Progress(Percent),
    /// The destination image was registered and is available.
    Complete,
    /// The copy failed.
    Fail,
    /// CancelCopyImage was called on the destination image.
    Cancel,
}

impl CopyEvent {
    /// The event without its data, as the transition table keys it.
    pub const fn kind(self) -> EventKind {
        match self {
            CopyEvent::Start => EventKind::Start,
            CopyEvent::Progress(_) => EventKind::Progress,
            CopyEvent::Complete => EventKind::Complete,
            CopyEvent::Fail => EventKind::Fail,
            CopyEvent::Cancel => EventKind::Cancel,
        }
    }
}

/// Writes the event as the decision table names it: `progress to 30%`.
impl fmt::Display for CopyEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CopyEvent::Progress(percent) => write!(f, "progress to {percent}"),
            other => f.write_str(other.kind().into()),
        }
    }
}

/// The kind of a [`CopyEvent`], without its data.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Debug,
    strum::Display,
    strum::IntoStaticStr,
    strum::EnumCount,
)]
#[strum(serialize_all = "lowercase")]
#[non_exhaustive]
pub enum EventKind {
    /// [`CopyEvent::Start`].
    Start,
    /// [`CopyEvent::Progress`].
    Progress,
    /// [`CopyEvent::Complete`].
    Complete,
    /// [`CopyEvent::Fail`].
    Fail,
    /// [`CopyEvent::Cancel`].
    Cancel,
}

impl EventKind {
    /// Every kind of event, lifecycle events first.
    pub const ALL: [EventKind; 5] = [
        EventKind::Start,
        EventKind::Progress,
        EventKind::Complete,
        EventKind::Fail,
        EventKind::Cancel,
    ];

    /// Whether this is a backend lifecycle event rather than the API's cancel.
    pub const fn is_lifecycle(self) -> bool {
        !matches!(self, EventKind::Cancel)
    }
}
