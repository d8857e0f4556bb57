//! The error catalog against literal lists and against the CancelCopyImage
//! page it started from (`docs/reference/CancelCopyImage.md`).
//!
//! The lists below are written out in full: a change to a code, a status or
//! a message in the catalog fails a test here, and so does a catalog that
//! drifts from that page's error table.

use ecs_image_copy::{
    Action, CopyPhase, CopyTask, EcsError, ErrorCode, Layer, Outcome, Percent, Transition,
};

/// Every catalog entry, in catalog order: error, wire code, HTTP status,
/// message.
const CATALOG: &[(EcsError, &str, u16, &str)] = &[
    (
        EcsError::RegionNotFound,
        "InvalidRegionId.NotFound",
        404,
        "The specified RegionId does not exist.",
    ),
    (
        EcsError::ImageNotFound,
        "InvalidImageId.NotFound",
        404,
        "The specified ImageId does not exist.",
    ),
    (
        EcsError::CopyFinished,
        "IncorrectImageStatus",
        400,
        "The image is copied finished.",
    ),
    (
        EcsError::DescriptionMalformed,
        "InvalidDescription.Malformed",
        400,
        "The specified description is wrongly formed.",
    ),
    (
        EcsError::SnapshotNotCopying,
        "IncorrectImageStatus",
        400,
        "The specified snapshot is not coping.",
    ),
    (
        EcsError::ImageNotCopying,
        "IncorrectImageStatus",
        400,
        "The specified image is not coping.",
    ),
    (
        EcsError::CopyFailed,
        "IncorrectImageStatus",
        400,
        "The Image copy has been failed.",
    ),
    (
        EcsError::CancelNotSupported,
        "CancelNotSupported",
        400,
        "The specified image copying can not be cancelled.",
    ),
    (
        EcsError::ImageNameMalformed,
        "InvalidImageName.Malformed",
        400,
        "The specified destination Image name is wrongly formed.",
    ),
    (
        EcsError::SourceRegionNotFound,
        "SourceRegion.NotFound",
        400,
        "The source region not found",
    ),
    (
        EcsError::DestinationRegionNotFound,
        "DestinationRegion.NotFound",
        400,
        "The destination region not found",
    ),
    (
        EcsError::ImageNotAvailable,
        "IncorrectImageStatus",
        400,
        "The image not available.",
    ),
    (
        EcsError::ImageNameDuplicated,
        "InvalidImageName.Duplicated",
        400,
        "The destination image is exist.",
    ),
    (
        EcsError::EncryptedIllegal,
        "InvalidParameter.EncryptedIllegal",
        400,
        "The specified parameter Encrypted must be true when kmsKeyId is not empty.",
    ),
    (
        EcsError::ImageQuotaExceeded,
        "QuotaExceed.Image",
        403,
        "The Image Quota exceeds.",
    ),
    (
        EcsError::MissingRegionId,
        "MissingParameter",
        400,
        "The input parameter \"RegionId\" that is mandatory for processing this request is not supplied.",
    ),
    (
        EcsError::MissingImageId,
        "MissingParameter",
        400,
        "The input parameter \"ImageId\" that is mandatory for processing this request is not supplied.",
    ),
    (
        EcsError::InvalidParameter,
        "InvalidParameter",
        400,
        "The specified parameter is not valid.",
    ),
    (
        EcsError::IdempotentParameterMismatch,
        "IdempotentParameterMismatch",
        400,
        "The request uses the same client token as a previous, but non-identical request.",
    ),
    (
        EcsError::DryRunOperation,
        "DryRunOperation",
        400,
        "Request validation has been passed with DryRun flag set.",
    ),
    (
        EcsError::ActionNotFound,
        "InvalidAction.NotFound",
        400,
        "Specified api is not found, please check your url and method.",
    ),
    (
        EcsError::InternalError,
        "InternalError",
        500,
        "The request processing has failed due to some unknown error.",
    ),
    (
        EcsError::ServiceUnavailable,
        "ServiceUnavailable",
        503,
        "The request has failed due to a temporary failure of the server.",
    ),
    (
        EcsError::MissingAction,
        "MissingParameter",
        400,
        "The input parameter \"Action\" that is mandatory for processing this request is not supplied.",
    ),
    (
        EcsError::MissingVersion,
        "MissingParameter",
        400,
        "The input parameter \"Version\" that is mandatory for processing this request is not supplied.",
    ),
    (
        EcsError::InvalidVersion,
        "InvalidVersion",
        400,
        "Specified parameter Version is not valid.",
    ),
    (
        EcsError::UnsupportedHttpMethod,
        "UnsupportedHTTPMethod",
        400,
        "This http method is not supported.",
    ),
    (
        EcsError::RequestTooLarge,
        "RequestEntityTooLarge",
        413,
        "The request is larger than 64 KiB.",
    ),
    (
        EcsError::SignatureDoesNotMatch,
        "SignatureDoesNotMatch",
        400,
        "Specified signature is not matched with our calculation.",
    ),
    (
        EcsError::IncompleteSignature,
        "IncompleteSignature",
        400,
        "The request signature does not conform to Aliyun standards.",
    ),
    (
        EcsError::AccessKeyNotFound,
        "InvalidAccessKeyId.NotFound",
        404,
        "Specified access key is not found.",
    ),
    (
        EcsError::SignatureNonceUsed,
        "SignatureNonceUsed",
        400,
        "Specified signature nonce was used already.",
    ),
    (
        EcsError::IllegalTimestamp,
        "IllegalTimestamp",
        400,
        "Specified time stamp or date value is expired.",
    ),
    (
        EcsError::MissingImageName,
        "MissingParameter",
        400,
        "The input parameter \"ImageName\" that is mandatory for processing this request is not supplied.",
    ),
    (
        EcsError::MissingProgress,
        "MissingParameter",
        400,
        "The input parameter \"Progress\" that is mandatory for processing this request is not supplied.",
    ),
    (
        EcsError::MissingCancellable,
        "MissingParameter",
        400,
        "The input parameter \"Cancellable\" that is mandatory for processing this request is not supplied.",
    ),
    (
        EcsError::CopyPhaseMismatch,
        "InvalidOperation.CopyPhase",
        400,
        "The copy is not in a phase that allows this operation.",
    ),
    (
        EcsError::ImageCopying,
        "OperationDenied.ImageCopying",
        403,
        "The image is being copied. Please use the CancelCopyImage API.",
    ),
    (
        EcsError::SourceCopying,
        "OperationDenied.ImageCopying",
        403,
        "The image is currently being copied. Please try again later.",
    ),
    (
        EcsError::ImageShared,
        "ImageUseShared",
        403,
        "The specified image has been shared to others.",
    ),
    (
        EcsError::DeprecateShared,
        "ImageUseShared",
        403,
        "The specified image has been shared to others, please remove shared accounts first.",
    ),
    (
        EcsError::ImageIsCreating,
        "InvalidStatus.ImageIsCreating",
        403,
        "The operation cannot be performed because the image is creating. Please wait until the creation is complete and try again.",
    ),
    (
        EcsError::ImageStatusNotAvailable,
        "ImageStatus.NotAvailable",
        403,
        "The specified image status is not available.",
    ),
    (
        EcsError::NewImageNameMalformed,
        "InvalidImageName.Malformed",
        400,
        "The specified Image name is wrongly formed.",
    ),
    (
        EcsError::NewImageNameDuplicated,
        "InvalidImageName.Duplicated",
        400,
        "The specified Image name has already bean used.",
    ),
    (
        EcsError::ShareQuotaExceeded,
        "QuotaExceed.ShareImageUser",
        403,
        "The shared Image user Quota exceeds.",
    ),
    (
        EcsError::ShareDeprecated,
        "OperationDenied.InvalidImageStatus",
        403,
        "The specified image cannot be shared when it is deprecated.",
    ),
    (
        EcsError::AccountNotFound,
        "InvalidAccount.NotFound",
        404,
        "The specified parameter \"AddAccount.n\" or \"RemoveAccount.n\" does not exist.",
    ),
    (
        EcsError::ShareWithSelf,
        "InvalidAccount.Forbbiden",
        404,
        "The specified Account does not yourself.",
    ),
    (
        EcsError::TooManyResourceIds,
        "NumberExceed.ResourceIds",
        400,
        "The ResourceIds parameter's number is exceed , Valid : 50",
    ),
    (
        EcsError::TooManyTags,
        "NumberExceed.Tags",
        400,
        "The Tags parameter's number is exceed , Valid : 20",
    ),
    (
        EcsError::DuplicateTagKey,
        "Duplicate.TagKey",
        400,
        "The Tag.N.Key contain duplicate key.",
    ),
    (
        EcsError::TagKeyMalformed,
        "InvalidTagKey.Malformed",
        400,
        "The specified Tag.n.Key is not valid.",
    ),
    (
        EcsError::TagQuotaExceeded,
        "OperationDenied.QuotaExceed",
        400,
        "The quota of tags on resource is beyond permitted range.",
    ),
    (
        EcsError::TagsAndResourcesEmpty,
        "BothEmpty.TagsAndResources",
        403,
        "The specified Tags and ResourcesIds are not allow to both empty.",
    ),
    (
        EcsError::NextTokenInvalid,
        "Invalid.NextToken",
        403,
        "The specified NextToken is not valid.",
    ),
    (
        EcsError::ResourceNotFound,
        "InvalidResourceId.NotFound",
        404,
        "The specified ResourceIds are not found in our records.",
    ),
    (
        EcsError::ResourceTypeNotFound,
        "InvalidResourceType.NotFound",
        404,
        "The specified ResourceType is not found.",
    ),
    (
        EcsError::MissingResourceType,
        "MissingParameter",
        400,
        "The input parameter \"ResourceType\" that is mandatory for processing this request is not supplied.",
    ),
    (
        EcsError::MissingResourceId,
        "MissingParameter",
        400,
        "The input parameter \"ResourceId.N\" that is mandatory for processing this request is not supplied.",
    ),
    (
        EcsError::MissingTag,
        "MissingParameter",
        400,
        "The input parameter \"Tag.N\" that is mandatory for processing this request is not supplied.",
    ),
    (
        EcsError::MissingSnapshotId,
        "MissingParameter",
        400,
        "The input parameter \"SnapshotId\" that is mandatory for processing this request is not supplied.",
    ),
    (
        EcsError::SnapshotInUse,
        "SnapshotCreatedImage",
        403,
        "The snapshot has been used to create user defined image(s).",
    ),
    (
        EcsError::SnapshotNotFound,
        "InvalidSnapshotId.NotFound",
        404,
        "The specified snapshot is not found",
    ),
];

/// Every wire alias: code, message, the entry it stands for.
const ALIASES: &[(&str, &str, EcsError)] = &[
    (
        "IncorrectImageStatus",
        "The image has completed copy.",
        EcsError::CopyFinished,
    ),
    (
        "IncorrectImageStatus",
        "The image copy has completed.",
        EcsError::CopyFinished,
    ),
    (
        "CancelNotSupported",
        "The specified image coping can not be cancelled.",
        EcsError::CancelNotSupported,
    ),
    (
        "ImageCreatedNotFromCopy",
        "The specified image is not the target image of a copy action.",
        EcsError::ImageNotCopying,
    ),
    (
        "InvalidDescription.Malformed",
        "The specified destination description is wrongly formed.",
        EcsError::DescriptionMalformed,
    ),
    (
        "OperationDenied.ImageCopying",
        "The Image is coping.",
        EcsError::ImageCopying,
    ),
    (
        "OperationDenied.ImageCopying",
        "The specified image is being copied.",
        EcsError::ImageCopying,
    ),
    (
        "OperationDenied.ImageCopying",
        "The Image are coping.",
        EcsError::SourceCopying,
    ),
];

/// Every error code and its dotted wire spelling.
const CODES: &[(ErrorCode, &str)] = &[
    (
        ErrorCode::InvalidRegionIdNotFound,
        "InvalidRegionId.NotFound",
    ),
    (ErrorCode::InvalidImageIdNotFound, "InvalidImageId.NotFound"),
    (ErrorCode::IncorrectImageStatus, "IncorrectImageStatus"),
    (
        ErrorCode::InvalidDescriptionMalformed,
        "InvalidDescription.Malformed",
    ),
    (ErrorCode::CancelNotSupported, "CancelNotSupported"),
    (
        ErrorCode::ImageCreatedNotFromCopy,
        "ImageCreatedNotFromCopy",
    ),
    (
        ErrorCode::InvalidImageNameMalformed,
        "InvalidImageName.Malformed",
    ),
    (
        ErrorCode::InvalidImageNameDuplicated,
        "InvalidImageName.Duplicated",
    ),
    (ErrorCode::SourceRegionNotFound, "SourceRegion.NotFound"),
    (
        ErrorCode::DestinationRegionNotFound,
        "DestinationRegion.NotFound",
    ),
    (
        ErrorCode::InvalidParameterEncryptedIllegal,
        "InvalidParameter.EncryptedIllegal",
    ),
    (ErrorCode::QuotaExceedImage, "QuotaExceed.Image"),
    (ErrorCode::MissingParameter, "MissingParameter"),
    (ErrorCode::InvalidParameter, "InvalidParameter"),
    (
        ErrorCode::IdempotentParameterMismatch,
        "IdempotentParameterMismatch",
    ),
    (ErrorCode::DryRunOperation, "DryRunOperation"),
    (ErrorCode::InvalidActionNotFound, "InvalidAction.NotFound"),
    (ErrorCode::InternalError, "InternalError"),
    (ErrorCode::ServiceUnavailable, "ServiceUnavailable"),
    (ErrorCode::InvalidVersion, "InvalidVersion"),
    (ErrorCode::UnsupportedHttpMethod, "UnsupportedHTTPMethod"),
    (ErrorCode::RequestEntityTooLarge, "RequestEntityTooLarge"),
    (ErrorCode::SignatureDoesNotMatch, "SignatureDoesNotMatch"),
    (ErrorCode::IncompleteSignature, "IncompleteSignature"),
    (
        ErrorCode::InvalidAccessKeyIdNotFound,
        "InvalidAccessKeyId.NotFound",
    ),
    (ErrorCode::SignatureNonceUsed, "SignatureNonceUsed"),
    (ErrorCode::IllegalTimestamp, "IllegalTimestamp"),
    (
        ErrorCode::InvalidOperationCopyPhase,
        "InvalidOperation.CopyPhase",
    ),
    (
        ErrorCode::OperationDeniedImageCopying,
        "OperationDenied.ImageCopying",
    ),
    (ErrorCode::ImageUseShared, "ImageUseShared"),
    (
        ErrorCode::InvalidStatusImageIsCreating,
        "InvalidStatus.ImageIsCreating",
    ),
    (
        ErrorCode::ImageStatusNotAvailable,
        "ImageStatus.NotAvailable",
    ),
    (
        ErrorCode::QuotaExceedShareImageUser,
        "QuotaExceed.ShareImageUser",
    ),
    (
        ErrorCode::OperationDeniedInvalidImageStatus,
        "OperationDenied.InvalidImageStatus",
    ),
    (ErrorCode::InvalidAccountNotFound, "InvalidAccount.NotFound"),
    (
        ErrorCode::InvalidAccountForbbiden,
        "InvalidAccount.Forbbiden",
    ),
    (
        ErrorCode::NumberExceedResourceIds,
        "NumberExceed.ResourceIds",
    ),
    (ErrorCode::NumberExceedTags, "NumberExceed.Tags"),
    (ErrorCode::DuplicateTagKey, "Duplicate.TagKey"),
    (ErrorCode::InvalidTagKeyMalformed, "InvalidTagKey.Malformed"),
    (
        ErrorCode::OperationDeniedQuotaExceed,
        "OperationDenied.QuotaExceed",
    ),
    (
        ErrorCode::BothEmptyTagsAndResources,
        "BothEmpty.TagsAndResources",
    ),
    (ErrorCode::InvalidNextToken, "Invalid.NextToken"),
    (
        ErrorCode::InvalidResourceIdNotFound,
        "InvalidResourceId.NotFound",
    ),
    (
        ErrorCode::InvalidResourceTypeNotFound,
        "InvalidResourceType.NotFound",
    ),
    (ErrorCode::SnapshotCreatedImage, "SnapshotCreatedImage"),
    (
        ErrorCode::InvalidSnapshotIdNotFound,
        "InvalidSnapshotId.NotFound",
    ),
];

#[test]
fn every_entry_has_its_exact_code_status_and_message() {
    assert_eq!(
        EcsError::ALL.len(),
        CATALOG.len(),
        "the catalog has {:?}",
        EcsError::ALL
    );
    for (&error, &(want, code, status, message)) in EcsError::ALL.iter().zip(CATALOG) {
        assert_eq!(error, want, "catalog order");
        assert_eq!(error.code().to_string(), code, "{error:?}");
        assert_eq!(error.status(), status, "{error:?}");
        assert_eq!(error.message(), message, "{error:?}");
        assert_eq!(error.to_string(), format!("{code}: {message}"), "{error:?}");
    }
}

#[test]
fn display_is_code_colon_message() {
    assert_eq!(
        EcsError::CancelNotSupported.to_string(),
        "CancelNotSupported: The specified image copying can not be cancelled."
    );
    assert_eq!(
        EcsError::ImageNotFound.to_string(),
        "InvalidImageId.NotFound: The specified ImageId does not exist."
    );
    assert_eq!(
        EcsError::SnapshotNotCopying.to_string(),
        "IncorrectImageStatus: The specified snapshot is not coping."
    );
}

#[test]
fn every_alias_is_listed_and_words_no_entry() {
    assert_eq!(
        EcsError::WIRE_ALIASES.len(),
        ALIASES.len(),
        "{:?}",
        EcsError::WIRE_ALIASES
    );
    for (&(code, message, target), &(want_code, want_message, want_target)) in
        EcsError::WIRE_ALIASES.iter().zip(ALIASES)
    {
        assert_eq!(code.to_string(), want_code);
        assert_eq!(message, want_message);
        assert_eq!(target, want_target);
        assert!(
            EcsError::ALL.iter().all(|error| error.message() != message),
            "the alias {message:?} is also a wording the crate emits"
        );
    }
}

#[test]
fn wire_code_and_message_pairs_are_unique() {
    let mut pairs = std::collections::HashSet::new();
    for error in EcsError::ALL {
        assert!(pairs.insert((error.code(), error.message())), "{error:?}");
    }
    for &(code, message, _) in EcsError::WIRE_ALIASES {
        assert!(pairs.insert((code, message)), "{code} {message}");
    }
}

/// One row of the CancelCopyImage page's error table.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct PageRow {
    status: u16,
    code: &'static str,
    message: &'static str,
}

/// What produces a row of the page's table.
#[derive(Clone, Copy, Debug)]
enum Condition {
    /// `CopyTask::cancel` in this phase; `None`: whether or not the task is
    /// cancellable, `Some(c)`: only when its cancellability is `c`.
    Task(CopyPhase, Option<bool>),
    /// A wire alias of this entry: the crate reads it, never emits it.
    Alias(EcsError),
    /// The service layer around the task, with this entry, in this case.
    ServiceLayer(EcsError, &'static str),
}

/// The page's nine rows, in its order, with what produces each.
const PAGE_ROWS: &[(PageRow, &[Condition])] = &[
    (
        PageRow {
            status: 404,
            code: "InvalidRegionId.NotFound",
            message: "The specified RegionId does not exist.",
        },
        &[Condition::ServiceLayer(
            EcsError::RegionNotFound,
            "RegionId names no region",
        )],
    ),
    (
        PageRow {
            status: 404,
            code: "InvalidImageId.NotFound",
            message: "The specified ImageId does not exist.",
        },
        &[
            Condition::Task(CopyPhase::Cancelled, None),
            Condition::ServiceLayer(
                EcsError::ImageNotFound,
                "an unknown image, or another account's",
            ),
        ],
    ),
    (
        PageRow {
            status: 400,
            code: "IncorrectImageStatus",
            message: "The image is copied finished.",
        },
        &[Condition::Task(CopyPhase::Completed, None)],
    ),
    (
        PageRow {
            status: 400,
            code: "InvalidDescription.Malformed",
            message: "The specified description is wrongly formed.",
        },
        &[Condition::ServiceLayer(
            EcsError::DescriptionMalformed,
            "CopyImage's DestinationDescription is not 2 to 256 characters or starts with http:// or https://",
        )],
    ),
    (
        PageRow {
            status: 400,
            code: "IncorrectImageStatus",
            message: "The specified snapshot is not coping.",
        },
        &[Condition::Task(CopyPhase::Finalizing, None)],
    ),
    (
        PageRow {
            status: 400,
            code: "IncorrectImageStatus",
            message: "The specified image is not coping.",
        },
        &[Condition::ServiceLayer(
            EcsError::ImageNotCopying,
            "the image exists but is not the destination of a copy",
        )],
    ),
    (
        PageRow {
            status: 400,
            code: "IncorrectImageStatus",
            message: "The image has completed copy.",
        },
        &[Condition::Alias(EcsError::CopyFinished)],
    ),
    (
        PageRow {
            status: 400,
            code: "IncorrectImageStatus",
            message: "The Image copy has been failed.",
        },
        &[Condition::Task(CopyPhase::Failed, None)],
    ),
    (
        PageRow {
            status: 400,
            code: "CancelNotSupported",
            message: "The specified image copying can not be cancelled.",
        },
        &[
            Condition::Task(CopyPhase::Queued, Some(false)),
            Condition::Task(CopyPhase::Copying, Some(false)),
        ],
    ),
];

/// The rows of the "Error codes" table of the page, as the file has them.
fn parse_seed_error_table() -> Vec<(u16, String, String)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/reference/CancelCopyImage.md"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let section = text
        .split("\n## ")
        .find(|section| section.starts_with("Error codes"))
        .expect("the page has an \"Error codes\" section");
    let mut lines = section.lines().filter(|line| line.starts_with('|'));
    assert_eq!(
        lines.next(),
        Some("|HTTP status code|Error code|Error message|Description|")
    );
    assert_eq!(
        lines.next(),
        Some("|----------------|----------|-------------|-----------|")
    );
    lines
        .map(|line| {
            let cells: Vec<&str> = line.split('|').collect();
            assert_eq!(cells.len(), 6, "{line}");
            assert_eq!((cells[0], cells[5]), ("", ""), "{line}");
            (
                cells[1].parse().unwrap(),
                cells[2].to_owned(),
                cells[3].to_owned(),
            )
        })
        .collect()
}

/// A task in `phase`, reached through public methods.
fn task_in(phase: CopyPhase, cancellable: bool) -> CopyTask {
    let queued = CopyTask::new().with_cancellable(cancellable);
    let copying = || {
        queued
            .start()
            .unwrap()
            .progress_to(Percent::new(45).unwrap())
            .unwrap()
    };
    let finalizing = || copying().progress_to(Percent::FULL).unwrap();
    let task = match phase {
        CopyPhase::Queued => queued,
        CopyPhase::Copying => copying(),
        CopyPhase::Finalizing => finalizing(),
        CopyPhase::Completed => finalizing().complete().unwrap(),
        CopyPhase::Failed => copying().fail().unwrap(),
        CopyPhase::Cancelled => copying()
            .with_cancellable(true)
            .cancel()
            .unwrap()
            .with_cancellable(cancellable),
        other => panic!("a phase this test does not know: {other:?}"),
    };
    assert_eq!(task.phase(), phase);
    task
}

#[test]
fn the_seed_copy_is_the_nine_row_table() {
    let parsed = parse_seed_error_table();
    let literal: Vec<(u16, String, String)> = PAGE_ROWS
        .iter()
        .map(|(row, _)| (row.status, row.code.to_owned(), row.message.to_owned()))
        .collect();
    assert_eq!(parsed, literal);
}

#[test]
fn every_seed_row_is_in_the_catalog_byte_for_byte() {
    let rows = parse_seed_error_table();
    assert_eq!(rows.len(), 9);
    for (status, code, message) in rows {
        let entry = EcsError::ALL.iter().find(|error| {
            error.code().to_string() == code
                && error.status() == status
                && error.message() == message
        });
        let alias = EcsError::WIRE_ALIASES
            .iter()
            .find(|(alias_code, alias_message, target)| {
                alias_code.to_string() == code
                    && *alias_message == message
                    && target.status() == status
            });
        assert!(
            entry.is_some() || alias.is_some(),
            "{status} {code} {message:?} is neither an entry nor an alias"
        );
        assert!(
            entry.is_none() || alias.is_none(),
            "{status} {code} {message:?} is both an entry and an alias"
        );
    }
}

#[test]
fn every_seed_row_is_produced_where_it_says() {
    for &(row, conditions) in PAGE_ROWS {
        assert!(!conditions.is_empty());
        let seen = |error: EcsError| {
            error.code().to_string() == row.code
                && error.status() == row.status
                && error.message() == row.message
        };
        for &condition in conditions {
            match condition {
                Condition::Task(phase, cancellable) => {
                    let flags = match cancellable {
                        Some(flag) => vec![flag],
                        None => vec![true, false],
                    };
                    for flag in flags {
                        let task = task_in(phase, flag);
                        let error = task.cancel().unwrap_err();
                        assert!(
                            seen(error),
                            "{phase:?} cancellable={flag} gave {error:?} for {row:?}"
                        );
                        // The refusal leaves the task as it was.
                        assert_eq!(task.cancel(), Err(error));
                    }
                }
                Condition::Alias(target) => {
                    assert_eq!(EcsError::from_wire(row.code, row.message), Some(target));
                    assert_eq!(target.status(), row.status);
                    assert_eq!(target.code().to_string(), row.code);
                    assert!(!seen(target), "{row:?} is an entry, not an alias");
                }
                Condition::ServiceLayer(error, why) => {
                    assert!(seen(error), "{error:?} for {row:?} ({why})");
                }
            }
        }
        // Rows for the service layer only come from no task at all.
        let from_task = conditions
            .iter()
            .any(|condition| matches!(condition, Condition::Task(..)));
        for phase in CopyPhase::ALL {
            for flag in [true, false] {
                if let Err(error) = task_in(phase, flag).cancel() {
                    assert!(
                        from_task || !seen(error),
                        "{phase:?} cancellable={flag} answers {row:?}, which is not listed as a task row"
                    );
                }
            }
        }
    }
}

#[test]
fn from_wire_reads_every_entry_and_alias() {
    for &(error, code, _, message) in CATALOG {
        assert_eq!(
            EcsError::from_wire(code, message),
            Some(error),
            "{code} {message}"
        );
    }
    for error in EcsError::ALL {
        let code = error.code().to_string();
        assert_eq!(EcsError::from_wire(&code, error.message()), Some(*error));
    }
    for &(code, message, target) in ALIASES {
        assert_eq!(
            EcsError::from_wire(code, message),
            Some(target),
            "{code} {message}"
        );
    }
}

#[test]
fn from_wire_knows_nothing_else() {
    let unknown = [
        ("IncorrectImageStatus", "Something else."),
        ("NoSuchCode", "The specified ImageId does not exist."),
        ("", ""),
        ("IncorrectImageStatus", ""),
        // A known message under another known code.
        ("CancelNotSupported", "The image is copied finished."),
        (
            "IncorrectImageStatus",
            "The specified image copying can not be cancelled.",
        ),
        (
            "IncorrectImageStatus",
            "The specified image coping can not be cancelled.",
        ),
        (
            "InvalidImageId.NotFound",
            "The specified RegionId does not exist.",
        ),
        // Case, spacing and spelling are the service's, exactly.
        ("incorrectimagestatus", "The image is copied finished."),
        ("IncorrectImageStatus", "the image is copied finished."),
        ("IncorrectImageStatus", "The image is copied finished"),
        ("IncorrectImageStatus", "The image is copied finished. "),
        (
            "IncorrectImageStatus",
            "The specified snapshot is not copying.",
        ),
        (
            "InvalidImageIdNotFound",
            "The specified ImageId does not exist.",
        ),
        (
            " InvalidImageId.NotFound",
            "The specified ImageId does not exist.",
        ),
        (
            "ImageCreatedNotFromCopy",
            "The specified image is not coping.",
        ),
    ];
    for (code, message) in unknown {
        assert_eq!(
            EcsError::from_wire(code, message),
            None,
            "{code:?} {message:?}"
        );
    }
}

#[test]
fn error_codes_display_and_parse_their_wire_spelling() {
    for &(code, text) in CODES {
        assert_eq!(code.to_string(), text);
        assert_eq!(code.as_ref(), text);
        assert_eq!(<&'static str>::from(code), text);
        assert_eq!(text.parse::<ErrorCode>(), Ok(code));
        assert!(text.to_lowercase().parse::<ErrorCode>().is_err(), "{text}");
        // The Rust name of a dotted code is not a wire spelling.
        let undotted = text.replace('.', "");
        if undotted != text {
            assert!(undotted.parse::<ErrorCode>().is_err(), "{undotted}");
        }
    }
    let listed: std::collections::HashSet<ErrorCode> =
        CODES.iter().map(|&(code, _)| code).collect();
    assert_eq!(listed.len(), CODES.len());
    for error in EcsError::ALL {
        assert!(listed.contains(&error.code()), "{error:?}");
    }
    for (code, _, _) in EcsError::WIRE_ALIASES {
        assert!(listed.contains(code), "{code:?}");
    }
    for text in ["", "NotFound", "InvalidImageId", "Throttling."] {
        assert!(text.parse::<ErrorCode>().is_err(), "{text:?}");
    }
}

/// The layering of `src/lib.rs` holds for errors: the task layer refuses
/// only with task rows, an API action's checks answer task and service
/// rows, a mock control action's also mock rows; protocol and server rows
/// come from above the model.
#[test]
fn each_layer_raises_only_its_own_errors_and_those_below() {
    for row in Transition::ALL {
        if let Outcome::Refuse(error) = row.outcome {
            assert_eq!(error.layer(), Layer::Task, "{row:?}");
        }
    }
    for &action in Action::ALL {
        let highest = if action.is_mock() {
            Layer::Mock
        } else {
            Layer::Service
        };
        for check in action.checks() {
            let layer = check.error.layer();
            assert!(
                layer <= highest,
                "{action} answers {:?} of the {layer} layer",
                check.error
            );
        }
    }
    let layers = |layer| EcsError::ALL.iter().filter(move |e| e.layer() == layer);
    assert_eq!(
        layers(Layer::Server).collect::<Vec<_>>(),
        [&EcsError::InternalError, &EcsError::ServiceUnavailable]
    );
    assert!(layers(Layer::Protocol).all(|e| {
        !Action::ALL
            .iter()
            .any(|a| a.checks().iter().any(|check| check.error == *e))
    }));
}
