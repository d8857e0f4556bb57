//! The order in which each action checks its request: the first check that
//! fails is the answer. The actions follow these lists, tests walk them
//! error by error, and the docs render them.

use crate::EcsError;

/// One check an action makes, and the error it answers when it fails.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub struct Check {
    /// The error answered.
    pub error: EcsError,
    /// When it is answered.
    pub condition: &'static str,
}

const fn check(error: EcsError, condition: &'static str) -> Check {
    Check { error, condition }
}

/// CopyImage's checks, in order. A `DryRun` that passes them all answers
/// `DryRunOperation`.
pub const COPY_IMAGE_CHECKS: &[Check] = &[
    check(EcsError::MissingRegionId, "`RegionId` is absent or empty"),
    check(EcsError::MissingImageId, "`ImageId` is absent or empty"),
    check(EcsError::SourceRegionNotFound, "`RegionId` is not a region"),
    check(
        EcsError::DestinationRegionNotFound,
        "`DestinationRegionId` is given and is not a region",
    ),
    check(
        EcsError::ImageNameMalformed,
        "`DestinationImageName` breaks the naming rules",
    ),
    check(
        EcsError::DescriptionMalformed,
        "`DestinationDescription` breaks the description rules",
    ),
    check(
        EcsError::EncryptedIllegal,
        "`KMSKeyId` is given without `Encrypted=true`",
    ),
    check(
        EcsError::InvalidParameter,
        "`ClientToken` is not ASCII or over 64 characters, or a tag breaks the tag rules",
    ),
    check(
        EcsError::IdempotentParameterMismatch,
        "the caller used `ClientToken` before with other parameters (the same parameters answer the first call's `ImageId`)",
    ),
    check(
        EcsError::ImageNotFound,
        "the caller has no image `ImageId` in region `RegionId`",
    ),
    check(
        EcsError::ImageNotAvailable,
        "the source image is not `Available`",
    ),
    check(
        EcsError::ImageNameDuplicated,
        "the caller has an image named `DestinationImageName` in the destination region",
    ),
    check(
        EcsError::ImageQuotaExceeded,
        "the world's image table is full (2^32 images at once)",
    ),
];

/// CancelCopyImage's checks, in order; then the copy task's cancel table.
pub const CANCEL_COPY_IMAGE_CHECKS: &[Check] = &[
    check(EcsError::MissingRegionId, "`RegionId` is absent or empty"),
    check(EcsError::MissingImageId, "`ImageId` is absent or empty"),
    check(EcsError::RegionNotFound, "`RegionId` is not a region"),
    check(
        EcsError::ImageNotFound,
        "the caller has no image `ImageId` in region `RegionId` (another account's image, a cancelled copy and an ID of no image all answer this)",
    ),
    check(
        EcsError::ImageNotCopying,
        "the image is not the destination of a copy",
    ),
];

/// DescribeImages' checks, in order.
pub const DESCRIBE_IMAGES_CHECKS: &[Check] = &[
    check(EcsError::MissingRegionId, "`RegionId` is absent or empty"),
    check(EcsError::RegionNotFound, "`RegionId` is not a region"),
    check(
        EcsError::InvalidParameter,
        "a `Status` is not an image status, `PageNumber` is 0, `PageSize` is not 1 to 100, `ImageOwnerAlias` is not `self`, `system`, `others` or `marketplace`, or `ImageId` lists over 100 IDs",
    ),
];
