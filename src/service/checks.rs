//! The order in which each action checks its request: the first check that
//! fails is the answer. The actions follow these lists, tests walk them
//! error by error, and the docs render them; [`Action::checks`] finds an
//! action's list.
//!
//! [`Action::checks`]: crate::Action::checks

use crate::task::EcsError;

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
pub(crate) const COPY_IMAGE: &[Check] = &[
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
        EcsError::SourceCopying,
        "the source image is a copy that is queued, copying or finalizing",
    ),
    check(
        EcsError::ImageNotAvailable,
        "the source image is not `Available` (a failed copy, a `Deprecated` image)",
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
pub(crate) const CANCEL_COPY_IMAGE: &[Check] = &CALLERS_COPY;

/// DescribeImages' checks, in order.
pub(crate) const DESCRIBE_IMAGES: &[Check] = &[
    check(EcsError::MissingRegionId, "`RegionId` is absent or empty"),
    check(EcsError::RegionNotFound, "`RegionId` is not a region"),
    check(
        EcsError::InvalidParameter,
        "a `Status` is not an image status, `PageNumber` is 0, `PageSize` is not 1 to 100, `ImageOwnerAlias` is not `self`, `system`, `others` or `marketplace`, or `ImageId` lists over 100 IDs",
    ),
];

/// The checks that find one of the caller's copies: CancelCopyImage's, and
/// the mock control actions' after their own parameter's, which see no more
/// of the world than the caller's API calls do.
const CALLERS_COPY: [Check; 5] = [
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

/// `MockCreateImage`'s checks, in order.
pub(crate) const MOCK_CREATE_IMAGE: &[Check] = &[
    check(EcsError::MissingRegionId, "`RegionId` is absent or empty"),
    check(EcsError::MissingImageName, "`ImageName` is absent or empty"),
    check(EcsError::RegionNotFound, "`RegionId` is not a region"),
    check(
        EcsError::ImageNameMalformed,
        "`ImageName` breaks CopyImage's naming rules",
    ),
    check(
        EcsError::ImageNameDuplicated,
        "the caller has an image named `ImageName` in the region",
    ),
    check(
        EcsError::ImageQuotaExceeded,
        "the world's image table is full (2^32 images at once)",
    ),
];

/// `MockSetCopyProgress`'s checks, in order.
pub(crate) const MOCK_SET_COPY_PROGRESS: &[Check] = &join::<8>(
    &[
        check(EcsError::MissingProgress, "`Progress` is absent or empty"),
        check(
            EcsError::InvalidParameter,
            "`Progress` is not a number from 0 to 100 (a `%` may follow)",
        ),
    ],
    &CALLERS_COPY,
    &[check(
        EcsError::CopyPhaseMismatch,
        "the copy's phase cannot take the progress, or it is below the copy's (see the transition table)",
    )],
);

/// `MockCompleteCopy`'s and `MockFailCopy`'s checks, in order.
pub(crate) const MOCK_COPY_EVENT: &[Check] = &join::<6>(
    &[],
    &CALLERS_COPY,
    &[check(
        EcsError::CopyPhaseMismatch,
        "the copy's phase cannot take the event (see the transition table)",
    )],
);

/// `MockSetCancellable`'s checks, in order; every phase takes it.
pub(crate) const MOCK_SET_CANCELLABLE: &[Check] = &join::<7>(
    &[
        check(
            EcsError::MissingCancellable,
            "`Cancellable` is absent or empty",
        ),
        check(
            EcsError::InvalidParameter,
            "`Cancellable` is not `true` or `false` (in any case)",
        ),
    ],
    &CALLERS_COPY,
    &[],
);

/// `head`, then `middle`, then `tail`, in an array of exactly their length.
const fn join<const N: usize>(head: &[Check], middle: &[Check], tail: &[Check]) -> [Check; N] {
    assert!(head.len() + middle.len() + tail.len() == N);
    let mut joined = [check(EcsError::InternalError, ""); N];
    let mut at = 0;
    while at < N {
        joined[at] = match at {
            _ if at < head.len() => head[at],
            _ if at < head.len() + middle.len() => middle[at - head.len()],
            _ => tail[at - head.len() - middle.len()],
        };
        at += 1;
    }
    joined
}

/// `MockAdvanceCopies`' checks.
pub(crate) const MOCK_ADVANCE_COPIES: &[Check] = &[check(
    EcsError::InvalidParameter,
    "`Step` is given and is not a number from 0 to 100 (a `%` may follow)",
)];

/// The checks that find one of the caller's images, of any kind.
const CALLERS_IMAGE: [Check; 4] = [
    check(EcsError::MissingRegionId, "`RegionId` is absent or empty"),
    check(EcsError::MissingImageId, "`ImageId` is absent or empty"),
    check(EcsError::RegionNotFound, "`RegionId` is not a region"),
    check(
        EcsError::ImageNotFound,
        "the caller has no image `ImageId` in region `RegionId` (another account's image, one shared with the caller, a deleted or cancelled one and an ID of no image all answer this)",
    ),
];

/// DeleteImage's checks, in order. A `DryRun` that passes them all answers
/// `DryRunOperation`.
pub(crate) const DELETE_IMAGE: &[Check] = &join::<6>(
    &[],
    &CALLERS_IMAGE,
    &[
        check(
            EcsError::ImageCopying,
            "the image is a copy that is queued, copying or finalizing",
        ),
        check(
            EcsError::ImageShared,
            "the image is shared with other accounts",
        ),
    ],
);

/// ModifyImageAttribute's checks, in order. A `DryRun` that passes them all
/// answers `DryRunOperation`.
pub(crate) const MODIFY_IMAGE_ATTRIBUTE: &[Check] = &join::<11>(
    &[
        check(EcsError::MissingRegionId, "`RegionId` is absent or empty"),
        check(EcsError::MissingImageId, "`ImageId` is absent or empty"),
        check(EcsError::RegionNotFound, "`RegionId` is not a region"),
        check(
            EcsError::NewImageNameMalformed,
            "`ImageName` breaks CopyImage's naming rules",
        ),
        check(
            EcsError::DescriptionMalformed,
            "`Description` breaks CopyImage's description rules",
        ),
        check(
            EcsError::InvalidParameter,
            "`Status` is given and is not `Deprecated` or `Available`",
        ),
    ],
    &[CALLERS_IMAGE[3]],
    &[
        check(
            EcsError::ImageIsCreating,
            "the image is a copy that is queued, copying or finalizing",
        ),
        check(
            EcsError::NewImageNameDuplicated,
            "another image of the caller in the region is named `ImageName`",
        ),
        check(
            EcsError::ImageStatusNotAvailable,
            "`Status` is given and the image is a failed copy",
        ),
        check(
            EcsError::DeprecateShared,
            "`Status` is `Deprecated` and the image is shared with other accounts",
        ),
    ],
);

/// ModifyImageSharePermission's checks, in order. A `DryRun` that passes
/// them all answers `DryRunOperation`.
pub(crate) const MODIFY_IMAGE_SHARE_PERMISSION: &[Check] = &join::<9>(
    &[
        check(EcsError::MissingRegionId, "`RegionId` is absent or empty"),
        check(EcsError::MissingImageId, "`ImageId` is absent or empty"),
        check(EcsError::RegionNotFound, "`RegionId` is not a region"),
        check(
            EcsError::InvalidParameter,
            "over 10 `AddAccount.N` or `RemoveAccount.N`, an empty one, or `IsPublic=true` (publishing is not modelled)",
        ),
    ],
    &[CALLERS_IMAGE[3]],
    &[
        check(EcsError::ShareWithSelf, "an `AddAccount.N` is the caller"),
        check(
            EcsError::AccountNotFound,
            "the service has a closed list of accounts (`Config::with_accounts`) and an `AddAccount.N` is not on it",
        ),
        check(
            EcsError::ShareDeprecated,
            "accounts are added to a `Deprecated` image",
        ),
        check(
            EcsError::ShareQuotaExceeded,
            "the image would be shared with over 50 accounts",
        ),
    ],
);

/// DescribeImageSharePermission's checks, in order.
pub(crate) const DESCRIBE_IMAGE_SHARE_PERMISSION: &[Check] = &join::<5>(
    &[
        check(EcsError::MissingRegionId, "`RegionId` is absent or empty"),
        check(EcsError::MissingImageId, "`ImageId` is absent or empty"),
        check(EcsError::RegionNotFound, "`RegionId` is not a region"),
        check(
            EcsError::InvalidParameter,
            "`PageNumber` is 0 or `PageSize` is not 1 to 100",
        ),
    ],
    &[CALLERS_IMAGE[3]],
    &[],
);

/// The checks of the tag actions' region and resource type.
const TAGGED_RESOURCES: [Check; 4] = [
    check(EcsError::MissingRegionId, "`RegionId` is absent or empty"),
    check(
        EcsError::MissingResourceType,
        "`ResourceType` is absent or empty",
    ),
    check(EcsError::RegionNotFound, "`RegionId` is not a region"),
    check(
        EcsError::ResourceTypeNotFound,
        "`ResourceType` is not `image` (in any case)",
    ),
];

/// TagResources' checks, in order.
pub(crate) const TAG_RESOURCES: &[Check] = &join::<13>(
    &TAGGED_RESOURCES,
    &[
        check(EcsError::MissingResourceId, "no `ResourceId.N` is given"),
        check(
            EcsError::TooManyResourceIds,
            "over 50 `ResourceId.N` are given",
        ),
        check(EcsError::MissingTag, "no `Tag.N` is given"),
        check(EcsError::TooManyTags, "over 20 `Tag.N` are given"),
        check(
            EcsError::TagKeyMalformed,
            "a key is empty, over 128 characters, or starts with `aliyun`, `acs:`, `http://` or `https://`",
        ),
        check(
            EcsError::InvalidParameter,
            "a value is over 128 characters or starts with `http://` or `https://`",
        ),
        check(EcsError::DuplicateTagKey, "a key is given twice"),
    ],
    &[
        check(
            EcsError::ResourceNotFound,
            "a `ResourceId.N` is not one of the caller's images in the region",
        ),
        check(
            EcsError::TagQuotaExceeded,
            "an image would have over 20 tags",
        ),
    ],
);

/// UntagResources' checks, in order.
pub(crate) const UNTAG_RESOURCES: &[Check] = &join::<8>(
    &TAGGED_RESOURCES,
    &[
        check(EcsError::MissingResourceId, "no `ResourceId.N` is given"),
        check(
            EcsError::TooManyResourceIds,
            "over 50 `ResourceId.N` are given",
        ),
        check(EcsError::TooManyTags, "over 20 `TagKey.N` are given"),
    ],
    &[check(
        EcsError::ResourceNotFound,
        "a `ResourceId.N` is not one of the caller's images in the region",
    )],
);

/// ListTagResources' checks, in order.
pub(crate) const LIST_TAG_RESOURCES: &[Check] = &join::<8>(
    &TAGGED_RESOURCES,
    &[
        check(
            EcsError::TooManyResourceIds,
            "over 50 `ResourceId.N` are given",
        ),
        check(EcsError::TooManyTags, "over 20 `Tag.N` are given"),
        check(
            EcsError::TagsAndResourcesEmpty,
            "neither `ResourceId.N` nor `Tag.N` is given",
        ),
    ],
    &[check(
        EcsError::NextTokenInvalid,
        "`NextToken` is not one a page of this listing answered",
    )],
);

/// DescribeRegions has no check of its own: every parameter is optional.
pub(crate) const DESCRIBE_REGIONS: &[Check] = &[];

/// DeleteSnapshot's checks, in order.
pub(crate) const DELETE_SNAPSHOT: &[Check] = &[
    check(
        EcsError::MissingSnapshotId,
        "`SnapshotId` is absent or empty",
    ),
    check(
        EcsError::SnapshotNotFound,
        "the caller has no snapshot `SnapshotId` (another account's, a deleted one and an ID of no snapshot all answer this)",
    ),
    check(
        EcsError::SnapshotInUse,
        "an image of the caller's (its own image, the one it was taken of) still uses the snapshot",
    ),
];
