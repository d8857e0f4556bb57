//! Where a copy task is in its life, and what DescribeImages shows for it.

/// The phase of one image copy task: the lifecycle of the destination image.
///
/// | phase | DescribeImages `Status` | `Progress` |
/// |---|---|---|
/// | [`Queued`](CopyPhase::Queued) | `Waiting` | `0%` |
/// | [`Copying`](CopyPhase::Copying) | `Creating` | `0%`..=`99%` |
/// | [`Finalizing`](CopyPhase::Finalizing) | `Creating` | `100%` |
/// | [`Completed`](CopyPhase::Completed) | `Available` | `100%` |
/// | [`Failed`](CopyPhase::Failed) | `CreateFailed` | the last progress |
/// | [`Cancelled`](CopyPhase::Cancelled) | not visible | - |
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
    strum::EnumString,
    strum::IntoStaticStr,
    strum::EnumCount,
)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum CopyPhase {
    /// Waiting for one of the destination region's copy slots.
    Queued,
    /// Snapshot data is being transferred; progress is below 100%.
    Copying,
    /// All snapshot data is copied and the image is being registered.
    Finalizing,
    /// The destination image is available.
    Completed,
    /// The copy failed; the destination image stays, in `CreateFailed`.
    Failed,
    /// The copy was cancelled and the destination image deleted.
    Cancelled,
}

impl CopyPhase {
    /// Every phase, in lifecycle order.
    pub const ALL: [CopyPhase; 6] = [
        CopyPhase::Queued,
        CopyPhase::Copying,
        CopyPhase::Finalizing,
        CopyPhase::Completed,
        CopyPhase::Failed,
        CopyPhase::Cancelled,
    ];

    /// Whether the task has ended: no lifecycle event moves it any more.
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            CopyPhase::Completed | CopyPhase::Failed | CopyPhase::Cancelled
        )
    }

    /// The `Status` DescribeImages reports, or `None` for a cancelled copy,
    /// whose destination image no longer exists.
    pub const fn status(self) -> Option<ImageStatus> {
        match self {
            CopyPhase::Queued => Some(ImageStatus::Waiting),
            CopyPhase::Copying | CopyPhase::Finalizing => Some(ImageStatus::Creating),
            CopyPhase::Completed => Some(ImageStatus::Available),
            CopyPhase::Failed => Some(ImageStatus::CreateFailed),
            CopyPhase::Cancelled => None,
        }
    }
}

/// An image's `Status` as DescribeImages reports it and filters on.
///
/// The names are the wire values, so [`Display`](core::fmt::Display) and
/// [`FromStr`](core::str::FromStr) (case-sensitive, as the API is) convert to
/// and from the wire.
///
/// ```
/// use ecs_image_copy::ImageStatus;
///
/// assert_eq!("CreateFailed".parse(), Ok(ImageStatus::CreateFailed));
/// assert_eq!(ImageStatus::Waiting.to_string(), "Waiting");
/// ```
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
    strum::EnumString,
    strum::IntoStaticStr,
    strum::EnumCount,
)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum ImageStatus {
    /// Being created, or being copied.
    Creating,
    /// A copy waiting for a slot in its destination region.
    Waiting,
    /// Ready to use.
    Available,
    /// Not usable.
    UnAvailable,
    /// Creation or copy failed.
    CreateFailed,
    /// Deprecated by its owner.
    Deprecated,
}

impl ImageStatus {
    /// Every status, in the order the API documentation lists them.
    pub const ALL: [ImageStatus; 6] = [
        ImageStatus::Creating,
        ImageStatus::Waiting,
        ImageStatus::Available,
        ImageStatus::UnAvailable,
        ImageStatus::CreateFailed,
        ImageStatus::Deprecated,
    ];
}
