//! The error catalog: every ECS error this crate answers, as one table.
//!
//! Like the `http` crate's status codes, a single declarative table below
//! generates the [`EcsError`] variants, their wire code, HTTP status and
//! message, their `Display` text and the rendered docs. Messages are the
//! service's own, byte for byte, misspellings included.

macro_rules! error_codes {
    ($( $(#[doc = $doc:literal])* $name:ident = $wire:literal; )+) => {
        /// The error code an ECS endpoint puts in an error body's `Code`.
        ///
        /// [`Display`](core::fmt::Display) and [`FromStr`](core::str::FromStr) use
        /// the dotted wire spelling.
        ///
        /// ```
        /// use ecs_image_copy::ErrorCode;
        ///
        /// assert_eq!(ErrorCode::InvalidRegionIdNotFound.to_string(), "InvalidRegionId.NotFound");
        /// assert_eq!("CancelNotSupported".parse(), Ok(ErrorCode::CancelNotSupported));
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
            strum::AsRefStr,
        )]
        #[non_exhaustive]
        pub enum ErrorCode {
            $(
                #[doc = concat!("`", $wire, "`")]
                $(#[doc = ""] #[doc = $doc])*
                #[strum(serialize = $wire)]
                $name,
            )+
        }
    };
}

// One row per code: the variant and its wire spelling, written once.
error_codes! {
    InvalidRegionIdNotFound = "InvalidRegionId.NotFound";
    InvalidImageIdNotFound = "InvalidImageId.NotFound";
    IncorrectImageStatus = "IncorrectImageStatus";
    InvalidDescriptionMalformed = "InvalidDescription.Malformed";
    CancelNotSupported = "CancelNotSupported";
    /// Newer pages' code for an image that is no copy.
    ImageCreatedNotFromCopy = "ImageCreatedNotFromCopy";
    InvalidImageNameMalformed = "InvalidImageName.Malformed";
    InvalidImageNameDuplicated = "InvalidImageName.Duplicated";
    SourceRegionNotFound = "SourceRegion.NotFound";
    DestinationRegionNotFound = "DestinationRegion.NotFound";
    InvalidParameterEncryptedIllegal = "InvalidParameter.EncryptedIllegal";
    QuotaExceedImage = "QuotaExceed.Image";
    MissingParameter = "MissingParameter";
    InvalidParameter = "InvalidParameter";
    IdempotentParameterMismatch = "IdempotentParameterMismatch";
    DryRunOperation = "DryRunOperation";
    InvalidActionNotFound = "InvalidAction.NotFound";
    InternalError = "InternalError";
    ServiceUnavailable = "ServiceUnavailable";
    InvalidVersion = "InvalidVersion";
    UnsupportedHttpMethod = "UnsupportedHTTPMethod";
    RequestEntityTooLarge = "RequestEntityTooLarge";
    SignatureDoesNotMatch = "SignatureDoesNotMatch";
    IncompleteSignature = "IncompleteSignature";
    InvalidAccessKeyIdNotFound = "InvalidAccessKeyId.NotFound";
    SignatureNonceUsed = "SignatureNonceUsed";
    IllegalTimestamp = "IllegalTimestamp";
    /// Of the mock control actions.
    InvalidOperationCopyPhase = "InvalidOperation.CopyPhase";
    OperationDeniedImageCopying = "OperationDenied.ImageCopying";
    ImageUseShared = "ImageUseShared";
    InvalidStatusImageIsCreating = "InvalidStatus.ImageIsCreating";
    ImageStatusNotAvailable = "ImageStatus.NotAvailable";
    QuotaExceedShareImageUser = "QuotaExceed.ShareImageUser";
    OperationDeniedInvalidImageStatus = "OperationDenied.InvalidImageStatus";
    InvalidAccountNotFound = "InvalidAccount.NotFound";
    /// The service's spelling.
    InvalidAccountForbbiden = "InvalidAccount.Forbbiden";
    NumberExceedResourceIds = "NumberExceed.ResourceIds";
    NumberExceedTags = "NumberExceed.Tags";
    DuplicateTagKey = "Duplicate.TagKey";
    InvalidTagKeyMalformed = "InvalidTagKey.Malformed";
    OperationDeniedQuotaExceed = "OperationDenied.QuotaExceed";
    BothEmptyTagsAndResources = "BothEmpty.TagsAndResources";
    InvalidNextToken = "Invalid.NextToken";
    InvalidResourceIdNotFound = "InvalidResourceId.NotFound";
    InvalidResourceTypeNotFound = "InvalidResourceType.NotFound";
    SnapshotCreatedImage = "SnapshotCreatedImage";
    InvalidSnapshotIdNotFound = "InvalidSnapshotId.NotFound";
}

/// The layer of the crate that raises an error: the lowest one, when
/// several do (a cancelled copy's `InvalidImageId.NotFound` comes from the
/// task, and the service answers it for unknown IDs too).
///
/// The catalog holds every layer's errors, so that
/// [`EcsError::from_wire`] reads any code an endpoint sends whatever the
/// crate's features; a layer raises only its own rows and those below it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, strum::Display)]
#[non_exhaustive]
pub enum Layer {
    /// One copy task: [`CopyTask::cancel`](crate::CopyTask::cancel).
    #[strum(serialize = "task")]
    Task,
    /// The service's actions and their checks.
    #[strum(serialize = "service")]
    Service,
    /// The mock control actions (`MockCreateImage`, ...), which only a
    /// mock serves.
    #[strum(serialize = "mock")]
    Mock,
    /// The wire protocol: requests, versions, signatures.
    #[strum(serialize = "protocol")]
    Protocol,
    /// A server around the endpoint, for failures of its own.
    #[strum(serialize = "server")]
    Server,
}

/// Where an error's message comes from.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, strum::Display)]
#[non_exhaustive]
pub enum Provenance {
    /// The CancelCopyImage page this crate started from
    /// (`docs/reference/CancelCopyImage.md`).
    #[strum(serialize = "CancelCopyImage page")]
    CancelCopyImagePage,
    /// The CopyImage page.
    #[strum(serialize = "CopyImage page")]
    CopyImagePage,
    /// The page of the action that raises it (DeleteImage,
    /// ModifyImageAttribute, ModifyImageSharePermission, TagResources,
    /// DeleteSnapshot), as `image-lifecycle.md` quotes it.
    #[strum(serialize = "its action's page")]
    ActionPage,
    /// ECS's common errors, message seen in Alibaba's docs or SDKs.
    #[strum(serialize = "common errors")]
    CommonErrors,
    /// Code known, message unconfirmed: this crate's wording.
    #[strum(serialize = "this crate's wording")]
    Decided,
}

macro_rules! catalog {
    ($(
        $(#[doc = $doc:literal])+
        $name:ident: $layer:ident $status:literal $code:ident $message:literal, $from:ident;
    )+) => {
        /// An ECS error: one row of the catalog, with its exact wire code,
        /// HTTP status and message.
        ///
        /// `Display` writes `Code: Message`.
        ///
        /// ```
        /// use ecs_image_copy::{EcsError, ErrorCode};
        ///
        /// let error = EcsError::CopyFinished;
        /// assert_eq!(error.code(), ErrorCode::IncorrectImageStatus);
        /// assert_eq!(error.status(), 400);
        /// assert_eq!(error.message(), "The image is copied finished.");
        /// assert_eq!(error.to_string(), "IncorrectImageStatus: The image is copied finished.");
        /// ```
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, thiserror::Error)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[non_exhaustive]
        pub enum EcsError {
            $(
                $(#[doc = $doc])+
                #[doc = concat!("\n\nHTTP ", stringify!($status), ": \"", $message, "\"")]
                #[error("{}: {}", ErrorCode::$code, $message)]
                $name,
            )+
        }

        impl EcsError {
            /// Every error in the catalog, in table order.
            pub const ALL: &'static [EcsError] = &[$(EcsError::$name),+];

            /// The wire `Code`.
            pub const fn code(self) -> ErrorCode {
                match self { $(EcsError::$name => ErrorCode::$code),+ }
            }

            /// The HTTP status the error is answered with.
            pub const fn status(self) -> u16 {
                match self { $(EcsError::$name => $status),+ }
            }

            /// The wire `Message`, byte for byte.
            pub const fn message(self) -> &'static str {
                match self { $(EcsError::$name => $message),+ }
            }

            /// Where the message comes from.
            pub const fn provenance(self) -> Provenance {
                match self { $(EcsError::$name => Provenance::$from),+ }
            }

            /// The layer that raises it.
            pub const fn layer(self) -> Layer {
                match self { $(EcsError::$name => Layer::$layer),+ }
            }
        }
    };
}

catalog! {
    /// The region in `RegionId` does not exist.
    RegionNotFound: Service 404 InvalidRegionIdNotFound
        "The specified RegionId does not exist.", CancelCopyImagePage;
    /// No image with that ID is visible to the caller in that region. Another
    /// account's image and a cancelled copy answer this too.
    ImageNotFound: Task 404 InvalidImageIdNotFound
        "The specified ImageId does not exist.", CancelCopyImagePage;
    /// Cancel of a completed copy.
    CopyFinished: Task 400 IncorrectImageStatus
        "The image is copied finished.", CancelCopyImagePage;
    /// A description that is not 2 to 256 characters or starts with
    /// `http://` or `https://`.
    DescriptionMalformed: Service 400 InvalidDescriptionMalformed
        "The specified description is wrongly formed.", CancelCopyImagePage;
    /// Cancel of a copy that is finalizing: its snapshot data is all copied.
    SnapshotNotCopying: Task 400 IncorrectImageStatus
        "The specified snapshot is not coping.", CancelCopyImagePage;
    /// Cancel of an image that is not the destination of a copy.
    ImageNotCopying: Service 400 IncorrectImageStatus
        "The specified image is not coping.", CancelCopyImagePage;
    /// Cancel of a failed copy.
    CopyFailed: Task 400 IncorrectImageStatus
        "The Image copy has been failed.", CancelCopyImagePage;
    /// Cancel of a copy created as not cancellable, while it still runs.
    CancelNotSupported: Task 400 CancelNotSupported
        "The specified image copying can not be cancelled.", CancelCopyImagePage;
    /// A `DestinationImageName` that breaks the naming rules.
    ImageNameMalformed: Service 400 InvalidImageNameMalformed
        "The specified destination Image name is wrongly formed.", CopyImagePage;
    /// CopyImage from a region that does not exist.
    SourceRegionNotFound: Service 400 SourceRegionNotFound
        "The source region not found", CopyImagePage;
    /// CopyImage to a region that does not exist.
    DestinationRegionNotFound: Service 400 DestinationRegionNotFound
        "The destination region not found", CopyImagePage;
    /// CopyImage of an image that is not `Available`.
    ImageNotAvailable: Service 400 IncorrectImageStatus
        "The image not available.", CopyImagePage;
    /// CopyImage to a name the caller already uses in the destination region.
    ImageNameDuplicated: Service 400 InvalidImageNameDuplicated
        "The destination image is exist.", CopyImagePage;
    /// `KMSKeyId` given without `Encrypted=true`.
    EncryptedIllegal: Service 400 InvalidParameterEncryptedIllegal
        "The specified parameter Encrypted must be true when kmsKeyId is not empty.", CopyImagePage;
    /// CopyImage when the world holds as many images as its image table
    /// addresses (2^32 slots); the model has no other image quota.
    ImageQuotaExceeded: Service 403 QuotaExceedImage
        "The Image Quota exceeds.", CopyImagePage;
    /// The request has no `RegionId`.
    MissingRegionId: Service 400 MissingParameter
        "The input parameter \"RegionId\" that is mandatory for processing this request is not supplied.", CommonErrors;
    /// The request has no `ImageId`.
    MissingImageId: Service 400 MissingParameter
        "The input parameter \"ImageId\" that is mandatory for processing this request is not supplied.", CommonErrors;
    /// A parameter's value breaks its constraint.
    InvalidParameter: Service 400 InvalidParameter
        "The specified parameter is not valid.", CommonErrors;
    /// A `ClientToken` reused with different parameters.
    IdempotentParameterMismatch: Service 400 IdempotentParameterMismatch
        "The request uses the same client token as a previous, but non-identical request.", Decided;
    /// A dry run whose checks all passed; nothing was changed.
    DryRunOperation: Service 400 DryRunOperation
        "Request validation has been passed with DryRun flag set.", Decided;
    /// An `Action` this endpoint does not know.
    ActionNotFound: Protocol 400 InvalidActionNotFound
        "Specified api is not found, please check your url and method.", Decided;
    /// The service failed for a reason the caller cannot act on.
    InternalError: Server 500 InternalError
        "The request processing has failed due to some unknown error.", CommonErrors;
    /// The service cannot take the change now, but may later: a mock
    /// server whose disk is full or read-only. The message is Alibaba
    /// Cloud's common one, as its API references list it.
    ServiceUnavailable: Server 503 ServiceUnavailable
        "The request has failed due to a temporary failure of the server.", CommonErrors;
    /// The request has no `Action` (nor `x-acs-action` header).
    MissingAction: Protocol 400 MissingParameter
        "The input parameter \"Action\" that is mandatory for processing this request is not supplied.", CommonErrors;
    /// The request has no `Version` (nor `x-acs-version` header).
    MissingVersion: Protocol 400 MissingParameter
        "The input parameter \"Version\" that is mandatory for processing this request is not supplied.", CommonErrors;
    /// A `Version` other than `2014-05-26`.
    InvalidVersion: Protocol 400 InvalidVersion
        "Specified parameter Version is not valid.", Decided;
    /// A method other than GET and POST.
    UnsupportedHttpMethod: Protocol 400 UnsupportedHttpMethod
        "This http method is not supported.", Decided;
    /// A query string or body over 64 KiB.
    RequestTooLarge: Protocol 413 RequestEntityTooLarge
        "The request is larger than 64 KiB.", Decided;
    /// A signature that does not match the request and the key's secret.
    SignatureDoesNotMatch: Protocol 400 SignatureDoesNotMatch
        "Specified signature is not matched with our calculation.", CommonErrors;
    /// A signed request that lacks a part of its signature.
    IncompleteSignature: Protocol 400 IncompleteSignature
        "The request signature does not conform to Aliyun standards.", Decided;
    /// An `AccessKeyId` the endpoint does not know.
    AccessKeyNotFound: Protocol 404 InvalidAccessKeyIdNotFound
        "Specified access key is not found.", CommonErrors;
    /// A `SignatureNonce` that an earlier request used.
    SignatureNonceUsed: Protocol 400 SignatureNonceUsed
        "Specified signature nonce was used already.", Decided;
    /// A `Timestamp` more than 15 minutes from the endpoint's time.
    IllegalTimestamp: Protocol 400 IllegalTimestamp
        "Specified time stamp or date value is expired.", Decided;
    /// The mock actions' `ImageName` is absent.
    MissingImageName: Mock 400 MissingParameter
        "The input parameter \"ImageName\" that is mandatory for processing this request is not supplied.", CommonErrors;
    /// The mock actions' `Progress` is absent.
    MissingProgress: Mock 400 MissingParameter
        "The input parameter \"Progress\" that is mandatory for processing this request is not supplied.", CommonErrors;
    /// The mock actions' `Cancellable` is absent.
    MissingCancellable: Mock 400 MissingParameter
        "The input parameter \"Cancellable\" that is mandatory for processing this request is not supplied.", CommonErrors;
    /// A mock control action that the copy's phase cannot take.
    CopyPhaseMismatch: Mock 400 InvalidOperationCopyPhase
        "The copy is not in a phase that allows this operation.", Decided;

    /// DeleteImage of a copy that is queued, copying or finalizing: cancel
    /// it with CancelCopyImage.
    ImageCopying: Service 403 OperationDeniedImageCopying
        "The image is being copied. Please use the CancelCopyImage API.", ActionPage;
    /// CopyImage of a source that is itself a copy in progress.
    SourceCopying: Service 403 OperationDeniedImageCopying
        "The image is currently being copied. Please try again later.", CopyImagePage;
    /// DeleteImage of an image shared with other accounts.
    ImageShared: Service 403 ImageUseShared
        "The specified image has been shared to others.", ActionPage;
    /// ModifyImageAttribute deprecating an image shared with other accounts.
    DeprecateShared: Service 403 ImageUseShared
        "The specified image has been shared to others, please remove shared accounts first.", ActionPage;
    /// ModifyImageAttribute of a copy in progress.
    ImageIsCreating: Service 403 InvalidStatusImageIsCreating
        "The operation cannot be performed because the image is creating. Please wait until the creation is complete and try again.", ActionPage;
    /// ModifyImageAttribute setting the `Status` of a failed copy.
    ImageStatusNotAvailable: Service 403 ImageStatusNotAvailable
        "The specified image status is not available.", ActionPage;
    /// ModifyImageAttribute's `ImageName` breaks the naming rules.
    NewImageNameMalformed: Service 400 InvalidImageNameMalformed
        "The specified Image name is wrongly formed.", Decided;
    /// ModifyImageAttribute's `ImageName` is another image's of the caller
    /// in the region.
    NewImageNameDuplicated: Service 400 InvalidImageNameDuplicated
        "The specified Image name has already bean used.", ActionPage;
    /// ModifyImageSharePermission past 50 accounts.
    ShareQuotaExceeded: Service 403 QuotaExceedShareImageUser
        "The shared Image user Quota exceeds.", ActionPage;
    /// ModifyImageSharePermission adding accounts to a Deprecated image.
    ShareDeprecated: Service 403 OperationDeniedInvalidImageStatus
        "The specified image cannot be shared when it is deprecated.", ActionPage;
    /// ModifyImageSharePermission adding an account the service does not have.
    AccountNotFound: Service 404 InvalidAccountNotFound
        "The specified parameter \"AddAccount.n\" or \"RemoveAccount.n\" does not exist.", ActionPage;
    /// ModifyImageSharePermission adding the caller itself.
    ShareWithSelf: Service 404 InvalidAccountForbbiden
        "The specified Account does not yourself.", ActionPage;
    /// Over 50 `ResourceId.N`.
    TooManyResourceIds: Service 400 NumberExceedResourceIds
        "The ResourceIds parameter's number is exceed , Valid : 50", ActionPage;
    /// Over 20 `Tag.N` or `TagKey.N`.
    TooManyTags: Service 400 NumberExceedTags
        "The Tags parameter's number is exceed , Valid : 20", ActionPage;
    /// A tag key given twice.
    DuplicateTagKey: Service 400 DuplicateTagKey
        "The Tag.N.Key contain duplicate key.", ActionPage;
    /// A tag key that is empty, over 128 characters, or starts with
    /// `aliyun`, `acs:`, `http://` or `https://`.
    TagKeyMalformed: Service 400 InvalidTagKeyMalformed
        "The specified Tag.n.Key is not valid.", ActionPage;
    /// TagResources past 20 tags on an image.
    TagQuotaExceeded: Service 400 OperationDeniedQuotaExceed
        "The quota of tags on resource is beyond permitted range.", ActionPage;
    /// ListTagResources with neither `ResourceId.N` nor `Tag.N`.
    TagsAndResourcesEmpty: Service 403 BothEmptyTagsAndResources
        "The specified Tags and ResourcesIds are not allow to both empty.", ActionPage;
    /// ListTagResources with a `NextToken` it did not issue.
    NextTokenInvalid: Service 403 InvalidNextToken
        "The specified NextToken is not valid.", ActionPage;
    /// A `ResourceId.N` that is not one of the caller's images in the region.
    ResourceNotFound: Service 404 InvalidResourceIdNotFound
        "The specified ResourceIds are not found in our records.", ActionPage;
    /// A `ResourceType` other than `image`.
    ResourceTypeNotFound: Service 404 InvalidResourceTypeNotFound
        "The specified ResourceType is not found.", Decided;
    /// The request has no `ResourceType`.
    MissingResourceType: Service 400 MissingParameter
        "The input parameter \"ResourceType\" that is mandatory for processing this request is not supplied.", CommonErrors;
    /// The request has no `ResourceId.N`.
    MissingResourceId: Service 400 MissingParameter
        "The input parameter \"ResourceId.N\" that is mandatory for processing this request is not supplied.", CommonErrors;
    /// TagResources has no `Tag.N`.
    MissingTag: Service 400 MissingParameter
        "The input parameter \"Tag.N\" that is mandatory for processing this request is not supplied.", CommonErrors;
    /// The request has no `SnapshotId`.
    MissingSnapshotId: Service 400 MissingParameter
        "The input parameter \"SnapshotId\" that is mandatory for processing this request is not supplied.", CommonErrors;
    /// DeleteSnapshot of a snapshot an image uses.
    SnapshotInUse: Service 403 SnapshotCreatedImage
        "The snapshot has been used to create user defined image(s).", ActionPage;
    /// No snapshot with that ID is the caller's.
    SnapshotNotFound: Service 404 InvalidSnapshotIdNotFound
        "The specified snapshot is not found", ActionPage;
}

const WIRE_ALIASES: &[(ErrorCode, &str, EcsError)] = &[
    (
        ErrorCode::IncorrectImageStatus,
        "The image has completed copy.",
        EcsError::CopyFinished,
    ),
    (
        ErrorCode::IncorrectImageStatus,
        "The image copy has completed.",
        EcsError::CopyFinished,
    ),
    (
        ErrorCode::CancelNotSupported,
        "The specified image coping can not be cancelled.",
        EcsError::CancelNotSupported,
    ),
    (
        ErrorCode::ImageCreatedNotFromCopy,
        "The specified image is not the target image of a copy action.",
        EcsError::ImageNotCopying,
    ),
    (
        ErrorCode::InvalidDescriptionMalformed,
        "The specified destination description is wrongly formed.",
        EcsError::DescriptionMalformed,
    ),
    (
        ErrorCode::OperationDeniedImageCopying,
        "The Image is coping.",
        EcsError::ImageCopying,
    ),
    (
        ErrorCode::OperationDeniedImageCopying,
        "The specified image is being copied.",
        EcsError::ImageCopying,
    ),
    (
        ErrorCode::OperationDeniedImageCopying,
        "The Image are coping.",
        EcsError::SourceCopying,
    ),
];

impl EcsError {
    /// Wordings seen on the wire for a catalog error that this crate words
    /// differently: `(code, message, the error this crate emits instead)`.
    ///
    /// The CancelCopyImage page lists "The image has completed copy." beside
    /// "The image is copied finished." for the same condition, and newer
    /// pages say "The image copy has completed."; this crate emits the
    /// page's first wording.
    pub const WIRE_ALIASES: &'static [(ErrorCode, &'static str, EcsError)] = WIRE_ALIASES;

    /// The catalog entry for a `Code` and `Message` seen on the wire, such as
    /// from a real ECS endpoint, or `None` for one this crate does not know.
    ///
    /// Known alternative wordings ([`EcsError::WIRE_ALIASES`]) map to the entry this
    /// crate emits for the same condition.
    ///
    /// ```
    /// use ecs_image_copy::EcsError;
    ///
    /// let seen = EcsError::from_wire("IncorrectImageStatus", "The image has completed copy.");
    /// assert_eq!(seen, Some(EcsError::CopyFinished));
    /// assert_eq!(EcsError::from_wire("IncorrectImageStatus", "Something else."), None);
    /// ```
    pub fn from_wire(code: &str, message: &str) -> Option<EcsError> {
        let code: ErrorCode = code.parse().ok()?;
        let own = EcsError::ALL
            .iter()
            .find(|error| error.code() == code && error.message() == message);
        let alias = || {
            WIRE_ALIASES
                .iter()
                .find(|(alias_code, text, _)| *alias_code == code && *text == message)
                .map(|(_, _, error)| error)
        };
        own.or_else(alias).copied()
    }
}
