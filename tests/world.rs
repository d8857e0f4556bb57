//! The service model, action by action: every error in its precedence
//! order, with exact code, status and message, and what success does.

use std::num::NonZeroU32;

use ecs_image_copy::mock::{
    MockAdvanceCopies, MockCreateImage, MockSetCancellable, MockSetCopyProgress,
};
use ecs_image_copy::{
    Action, CancelCopyImage, Check, Config, CopyImage, CopyPhase, DescribeImages, EcsError,
    ImageId, ImageStatus, Percent, Request, Tag, Timestamp, TransitionError, World, WorldError,
};

const NOW: Timestamp = Timestamp::from_unix_seconds(1_795_780_800);
const ALL_STATUSES: &str = "Creating,Waiting,Available,UnAvailable,CreateFailed,Deprecated";

/// A two-region world with two copies at once per region, and alice's and
/// bob's images in Hangzhou.
struct Fixture {
    world: World,
    alice_web: String,
    bob_web: String,
}

fn fixture() -> Fixture {
    let limit = NonZeroU32::new(2).unwrap();
    let mut world = World::new(Config::new(["cn-hangzhou", "cn-beijing"]).with_copy_limit(limit));
    let alice_web = world
        .create_image("alice", "cn-hangzhou", "web", NOW)
        .unwrap();
    let bob_web = world
        .create_image("bob", "cn-hangzhou", "web", NOW)
        .unwrap();
    Fixture {
        world,
        alice_web: alice_web.to_string(),
        bob_web: bob_web.to_string(),
    }
}

/// A copy of alice's `web` into Beijing.
fn copy_to_beijing(f: &mut Fixture) -> ImageId {
    let mut request = CopyImage::new("cn-hangzhou", &f.alice_web);
    request.destination_region_id = Some("cn-beijing".into());
    f.world.copy_image("alice", &request, NOW).unwrap()
}

fn assert_error(
    result: Result<impl std::fmt::Debug, EcsError>,
    status: u16,
    code: &str,
    message: &str,
) {
    let error = result.expect_err("the call should fail");
    assert_eq!(
        (error.status(), error.code().as_ref(), error.message()),
        (status, code, message)
    );
}

/// A request built from its constructor and a few edits: request structs
/// are `#[non_exhaustive]`, so other crates cannot use struct literals.
fn with<R>(mut request: R, edit: impl FnOnce(&mut R)) -> R {
    edit(&mut request);
    request
}

/// The distinct errors of a walk, in the order first seen after each other.
fn in_order(seen: &[EcsError]) -> Vec<EcsError> {
    let mut order = seen.to_vec();
    order.dedup();
    order
}

fn errors(checks: &[Check]) -> Vec<EcsError> {
    checks.iter().map(|check| check.error).collect()
}

fn phase(world: &World, id: ImageId) -> Option<CopyPhase> {
    world.image(id)?.copy_task().map(|task| task.phase())
}

#[test]
fn copy_image_answers_its_errors_in_precedence_order() {
    let mut f = fixture();
    let running = copy_to_beijing(&mut f).to_string();
    let failed = copy_to_beijing(&mut f);
    f.world.fail_copy("cn-beijing", failed).unwrap();
    let (alice_web, bob_web) = (f.alice_web.clone(), f.bob_web.clone());
    let mut earlier = CopyImage::new("cn-hangzhou", &alice_web);
    earlier.client_token = Some("token-1".into());
    f.world.copy_image("alice", &earlier, NOW).unwrap();
    let before = format!("{:?}", f.world);
    let mut seen = Vec::new();
    let bad_tags = [Tag::new("aliyun-reserved", "x")];
    let good_tags = [Tag::new("team", "web")];
    let world = &mut f.world;
    let mut check = |r: &CopyImage, status, code, message| {
        let result = world.copy_image("alice", r, NOW);
        seen.extend(result.err());
        assert_error(result, status, code, message);
        assert_eq!(
            format!("{world:?}"),
            before,
            "a failed call changed the world"
        );
    };
    let not_valid = "The specified parameter is not valid.";
    let not_found = "The specified ImageId does not exist.";
    // Everything is wrong at first; each step mends the error just seen.
    let mut r = CopyImage::default();
    r.tags = bad_tags.to_vec();
    check(
        &r,
        400,
        "MissingParameter",
        "The input parameter \"RegionId\" that is mandatory for processing this request is not supplied.",
    );
    r.region_id = Some("nowhere".into());
    check(
        &r,
        400,
        "MissingParameter",
        "The input parameter \"ImageId\" that is mandatory for processing this request is not supplied.",
    );
    r.image_id = Some("m-doesnotexist".into());
    r.destination_region_id = Some("nowhere-else".into());
    r.destination_image_name = Some("1-starts-with-a-digit".into());
    r.destination_description = Some("https://example.com".into());
    r.kms_key_id = Some("key".into());
    r.client_token = Some("tökén".into());
    check(
        &r,
        400,
        "SourceRegion.NotFound",
        "The source region not found",
    );
    r.region_id = Some("cn-hangzhou".into());
    check(
        &r,
        400,
        "DestinationRegion.NotFound",
        "The destination region not found",
    );
    r.destination_region_id = Some("cn-beijing".into());
    check(
        &r,
        400,
        "InvalidImageName.Malformed",
        "The specified destination Image name is wrongly formed.",
    );
    r.destination_image_name = Some("web".into());
    check(
        &r,
        400,
        "InvalidDescription.Malformed",
        "The specified description is wrongly formed.",
    );
    r.destination_description = Some("nightly backup".into());
    check(
        &r,
        400,
        "InvalidParameter.EncryptedIllegal",
        "The specified parameter Encrypted must be true when kmsKeyId is not empty.",
    );
    r.encrypted = true;
    check(&r, 400, "InvalidParameter", not_valid);
    r.client_token = Some("token-1".into());
    check(&r, 400, "InvalidParameter", not_valid);
    r.tags = good_tags.to_vec();
    check(
        &r,
        400,
        "IdempotentParameterMismatch",
        "The request uses the same client token as a previous, but non-identical request.",
    );
    r.client_token = Some("token-2".into());
    check(&r, 404, "InvalidImageId.NotFound", not_found);
    r.image_id = Some(bob_web.to_string());
    check(&r, 404, "InvalidImageId.NotFound", not_found);
    r.region_id = Some("cn-beijing".into());
    check(&r, 404, "InvalidImageId.NotFound", not_found);
    r.image_id = Some(running.to_string());
    check(
        &r,
        403,
        "OperationDenied.ImageCopying",
        "The image is currently being copied. Please try again later.",
    );
    r.image_id = Some(failed.to_string());
    check(&r, 400, "IncorrectImageStatus", "The image not available.");
    r.region_id = Some("cn-hangzhou".into());
    r.image_id = Some(alice_web.to_string());
    r.destination_region_id = Some("cn-hangzhou".into());
    check(
        &r,
        400,
        "InvalidImageName.Duplicated",
        "The destination image is exist.",
    );
    r.destination_image_name = Some("web-copy".into());
    r.dry_run = true;
    check(
        &r,
        400,
        "DryRunOperation",
        "Request validation has been passed with DryRun flag set.",
    );
    let mut expected = errors(Action::CopyImage.checks());
    // A full image table (2^32 images) cannot be built here; the unit tests
    // of `src/service/world/tests.rs` walk that last check with a table of
    // two slots.
    assert_eq!(expected.pop(), Some(EcsError::ImageQuotaExceeded));
    expected.push(EcsError::DryRunOperation);
    assert_eq!(
        in_order(&seen),
        expected,
        "the walk follows Action::CopyImage.checks()"
    );
    r.dry_run = false;
    let copy = f.world.copy_image("alice", &r, NOW).unwrap();
    let view = f.world.image(copy).unwrap();
    assert_eq!(
        (view.name(), view.description()),
        ("web-copy", "nightly backup")
    );
    assert_eq!(view.tags().collect::<Vec<_>>(), [("team", "web")]);
    assert!(view.is_copied() && view.is_encrypted());
    assert_eq!(
        view.source_image().map(|id| id.to_string()),
        Some(alice_web)
    );
}

#[test]
fn copy_image_checks_each_parameter_rule() {
    let mut f = fixture();
    let source = f.alice_web.clone();
    let long = |n| "a".repeat(n);
    let names = [
        ("a", false),
        ("ab", true),
        ("A.b:c_d-1", true),
        ("1ab", false),
        ("-ab", false),
        ("ab/c", false),
        ("ab c", false),
        ("acs:thing", false),
        ("aliyun-x", false),
        ("AliYun-x", false),
        ("镜像备份", true),
    ];
    for (name, valid) in names {
        let mut r = CopyImage::new("cn-hangzhou", &source);
        r.destination_image_name = Some(name.to_string());
        r.dry_run = true;
        let expected = if valid {
            EcsError::DryRunOperation
        } else {
            EcsError::ImageNameMalformed
        };
        assert_eq!(
            f.world.copy_image("alice", &r, NOW),
            Err(expected),
            "name {name:?}"
        );
    }
    for (len, valid) in [(1, false), (2, true), (128, true), (129, false)] {
        let name = long(len);
        let mut r = CopyImage::new("cn-hangzhou", &source);
        r.destination_image_name = Some(name.to_string());
        r.dry_run = true;
        assert_eq!(
            f.world.copy_image("alice", &r, NOW).unwrap_err() == EcsError::DryRunOperation,
            valid,
            "name of {len}"
        );
    }
    for (text, valid) in [
        (long(1), false),
        (long(2), true),
        (long(256), true),
        (long(257), false),
        ("http://x".into(), false),
        ("HTTPS://x".into(), false),
        ("see http://x".into(), true),
    ] {
        let mut r = CopyImage::new("cn-hangzhou", &source);
        r.destination_description = Some(text.to_string());
        r.dry_run = true;
        let expected = if valid {
            EcsError::DryRunOperation
        } else {
            EcsError::DescriptionMalformed
        };
        assert_eq!(
            f.world.copy_image("alice", &r, NOW),
            Err(expected),
            "description {text:?}"
        );
    }
    let token_64 = long(64);
    let token_65 = long(65);
    for (token, valid) in [
        (token_64.as_str(), true),
        (token_65.as_str(), false),
        ("naïve", false),
    ] {
        let mut r = CopyImage::new("cn-hangzhou", &source);
        r.client_token = Some(token.to_string());
        r.dry_run = true;
        let expected = if valid {
            EcsError::DryRunOperation
        } else {
            EcsError::InvalidParameter
        };
        assert_eq!(
            f.world.copy_image("alice", &r, NOW),
            Err(expected),
            "token {token:?}"
        );
    }
    let key_128 = long(128);
    let key_129 = long(129);
    let value_129 = long(129);
    let twenty: Vec<Tag> = (0..20).map(|_| Tag::new("k", "v")).collect();
    let keys: Vec<String> = (0..21).map(|i| format!("k{i}")).collect();
    let distinct: Vec<Tag> = keys.iter().map(|key| Tag::new(key, "")).collect();
    let one = |key: &str, value: &str| vec![Tag::new(key, value)];
    let tag_cases: Vec<(Vec<Tag>, bool)> = vec![
        (one(&key_128, ""), true),
        (one(&key_129, ""), false),
        (one("", "v"), false),
        (one("acs:x", "v"), false),
        (one("k", &value_129), false),
        (twenty[..2].to_vec(), false),
        (distinct[..20].to_vec(), true),
        (distinct[..21].to_vec(), false),
    ];
    for (tags, valid) in &tag_cases {
        let mut r = CopyImage::new("cn-hangzhou", &source);
        r.tags = tags.clone();
        r.dry_run = true;
        let expected = if *valid {
            EcsError::DryRunOperation
        } else {
            EcsError::InvalidParameter
        };
        assert_eq!(
            f.world.copy_image("alice", &r, NOW),
            Err(expected),
            "{} tags",
            tags.len()
        );
    }
    assert_eq!(f.world.image_count(), 2, "dry runs created nothing");
}

#[test]
fn copy_image_client_token_makes_retries_idempotent_per_account() {
    let mut f = fixture();
    let mut r = CopyImage::new("cn-hangzhou", &f.alice_web);
    r.destination_image_name = Some("web-copy".into());
    r.client_token = Some("retry-me".into());
    let first = f.world.copy_image("alice", &r, NOW).unwrap();
    let count = f.world.image_count();
    // The same call again: the same copy, though its name is now taken.
    assert_eq!(f.world.copy_image("alice", &r, NOW), Ok(first));
    r.dry_run = true;
    assert_eq!(
        f.world.copy_image("alice", &r, NOW),
        Err(EcsError::DryRunOperation)
    );
    r.dry_run = false;
    assert_eq!(f.world.image_count(), count);
    // Different parameters under the same token.
    r.destination_image_name = Some("other-name".into());
    assert_error(
        f.world.copy_image("alice", &r, NOW),
        400,
        "IdempotentParameterMismatch",
        "The request uses the same client token as a previous, but non-identical request.",
    );
    // An absent destination region is the source region: the same call.
    r.destination_image_name = Some("web-copy".into());
    r.destination_region_id = Some("cn-hangzhou".into());
    assert_eq!(f.world.copy_image("alice", &r, NOW), Ok(first));
    // Bob's token space is his own.
    let mut bob = CopyImage::new("cn-hangzhou", &f.bob_web);
    bob.client_token = Some("retry-me".into());
    let bobs = f.world.copy_image("bob", &bob, NOW).unwrap();
    assert_ne!(bobs, first);
}

#[test]
fn copies_past_the_limit_queue_and_start_in_order() {
    let mut f = fixture();
    let copies: Vec<ImageId> = (0..5).map(|_| copy_to_beijing(&mut f)).collect();
    let phases = |w: &World| copies.iter().map(|&c| phase(w, c)).collect::<Vec<_>>();
    use CopyPhase::{Completed, Copying, Failed, Queued};
    assert_eq!(
        phases(&f.world),
        [
            Some(Copying),
            Some(Copying),
            Some(Queued),
            Some(Queued),
            Some(Queued)
        ]
    );
    // Cancelling a queued copy frees no slot.
    let third = copies[2].to_string();
    f.world
        .cancel_copy_image("alice", &CancelCopyImage::new("cn-beijing", &third))
        .unwrap();
    assert_eq!(
        phases(&f.world),
        [
            Some(Copying),
            Some(Copying),
            None,
            Some(Queued),
            Some(Queued)
        ]
    );
    // Completion, failure and cancellation free a slot for the oldest queued.
    f.world.complete_copy("cn-beijing", copies[0]).unwrap();
    assert_eq!(
        phases(&f.world),
        [
            Some(Completed),
            Some(Copying),
            None,
            Some(Copying),
            Some(Queued)
        ]
    );
    f.world.fail_copy("cn-beijing", copies[1]).unwrap();
    assert_eq!(
        phases(&f.world),
        [
            Some(Completed),
            Some(Failed),
            None,
            Some(Copying),
            Some(Copying)
        ]
    );
    let fourth = copies[3].to_string();
    f.world
        .cancel_copy_image("alice", &CancelCopyImage::new("cn-beijing", &fourth))
        .unwrap();
    assert_eq!(phases(&f.world)[4], Some(Copying));
}

#[test]
fn cancel_copy_image_answers_its_errors_in_precedence_order() {
    let mut f = fixture();
    let copy = copy_to_beijing(&mut f).to_string();
    let before = format!("{:?}", f.world);
    let missing_region = "The input parameter \"RegionId\" that is mandatory for processing this request is not supplied.";
    let cases: [(CancelCopyImage, u16, &str, &str); 9] = [
        (
            CancelCopyImage::default(),
            400,
            "MissingParameter",
            missing_region,
        ),
        (
            with(CancelCopyImage::default(), |r| {
                r.image_id = Some(copy.to_string())
            }),
            400,
            "MissingParameter",
            missing_region,
        ),
        (
            CancelCopyImage::new("", &copy),
            400,
            "MissingParameter",
            missing_region,
        ),
        (
            with(CancelCopyImage::default(), |r| {
                r.region_id = Some("nowhere".into())
            }),
            400,
            "MissingParameter",
            "The input parameter \"ImageId\" that is mandatory for processing this request is not supplied.",
        ),
        (
            CancelCopyImage::new("nowhere", &copy),
            404,
            "InvalidRegionId.NotFound",
            "The specified RegionId does not exist.",
        ),
        (
            CancelCopyImage::new("cn-hangzhou", &copy),
            404,
            "InvalidImageId.NotFound",
            "The specified ImageId does not exist.",
        ),
        (
            CancelCopyImage::new("cn-beijing", "m-imageid1"),
            404,
            "InvalidImageId.NotFound",
            "The specified ImageId does not exist.",
        ),
        (
            CancelCopyImage::new("cn-hangzhou", &f.bob_web),
            404,
            "InvalidImageId.NotFound",
            "The specified ImageId does not exist.",
        ),
        (
            CancelCopyImage::new("cn-hangzhou", &f.alice_web),
            400,
            "IncorrectImageStatus",
            "The specified image is not coping.",
        ),
    ];
    let mut seen = Vec::new();
    for (request, status, code, message) in cases {
        let result = f.world.cancel_copy_image("alice", &request);
        seen.extend(result.err());
        assert_error(result, status, code, message);
        assert_eq!(
            format!("{:?}", f.world),
            before,
            "a failed call changed the world"
        );
    }
    assert_eq!(in_order(&seen), errors(Action::CancelCopyImage.checks()));
    // Bob cannot tell alice's copy from an image that never existed.
    let foreign = f
        .world
        .cancel_copy_image("bob", &CancelCopyImage::new("cn-beijing", &copy));
    let unknown = f.world.cancel_copy_image(
        "bob",
        &CancelCopyImage::new("cn-beijing", "m-0000000000000000000a"),
    );
    assert_eq!(foreign, unknown);
    assert_eq!(foreign, Err(EcsError::ImageNotFound));
}

#[test]
fn cancel_copy_image_applies_the_task_table_in_every_phase() {
    let mut f = fixture();
    let queued_pinned = {
        let ids: Vec<ImageId> = (0..3).map(|_| copy_to_beijing(&mut f)).collect();
        f.world
            .set_cancellable("cn-beijing", ids[2], false)
            .unwrap();
        ids
    };
    let [running, finalizing, pinned] = [queued_pinned[0], queued_pinned[1], queued_pinned[2]];
    f.world
        .set_copy_progress("cn-beijing", finalizing, Percent::FULL)
        .unwrap();
    let cancel = |w: &mut World, id: ImageId| {
        let id = id.to_string();
        w.cancel_copy_image("alice", &CancelCopyImage::new("cn-beijing", &id))
    };
    assert_eq!(phase(&f.world, pinned), Some(CopyPhase::Queued));
    assert_error(
        cancel(&mut f.world, pinned),
        400,
        "CancelNotSupported",
        "The specified image copying can not be cancelled.",
    );
    assert_error(
        cancel(&mut f.world, finalizing),
        400,
        "IncorrectImageStatus",
        "The specified snapshot is not coping.",
    );
    f.world.complete_copy("cn-beijing", finalizing).unwrap();
    assert_error(
        cancel(&mut f.world, finalizing),
        400,
        "IncorrectImageStatus",
        "The image is copied finished.",
    );
    // Completing freed a slot: the pinned copy runs, still not cancellable.
    assert_eq!(phase(&f.world, pinned), Some(CopyPhase::Copying));
    assert_error(
        cancel(&mut f.world, pinned),
        400,
        "CancelNotSupported",
        "The specified image copying can not be cancelled.",
    );
    f.world.fail_copy("cn-beijing", pinned).unwrap();
    assert_error(
        cancel(&mut f.world, pinned),
        400,
        "IncorrectImageStatus",
        "The Image copy has been failed.",
    );
    // Success: the copy is gone, its source untouched.
    let source = f.world.image(running).unwrap().source_image().unwrap();
    let source_before = format!("{:?}", f.world.image(source));
    assert_eq!(cancel(&mut f.world, running), Ok(()));
    assert!(f.world.image(running).is_none());
    assert_eq!(format!("{:?}", f.world.image(source)), source_before);
    assert_error(
        cancel(&mut f.world, running),
        404,
        "InvalidImageId.NotFound",
        "The specified ImageId does not exist.",
    );
}

#[test]
fn describe_images_answers_its_errors_in_precedence_order() {
    let f = fixture();
    let too_many = vec![f.alice_web.as_str(); 101].join(",");
    let cases: [(DescribeImages, u16, &str, &str); 9] = [
        (
            DescribeImages::default(),
            400,
            "MissingParameter",
            "The input parameter \"RegionId\" that is mandatory for processing this request is not supplied.",
        ),
        (
            with(DescribeImages::new("nowhere"), |r| {
                r.status = Some("Bogus".into())
            }),
            404,
            "InvalidRegionId.NotFound",
            "The specified RegionId does not exist.",
        ),
        (
            with(DescribeImages::new("cn-hangzhou"), |r| {
                r.status = Some("Available,Bogus".into())
            }),
            400,
            "InvalidParameter",
            "The specified parameter is not valid.",
        ),
        (
            with(DescribeImages::new("cn-hangzhou"), |r| {
                r.status = Some("available".into())
            }),
            400,
            "InvalidParameter",
            "The specified parameter is not valid.",
        ),
        (
            with(DescribeImages::new("cn-hangzhou"), |r| {
                r.page_size = Some(0)
            }),
            400,
            "InvalidParameter",
            "The specified parameter is not valid.",
        ),
        (
            with(DescribeImages::new("cn-hangzhou"), |r| {
                r.page_size = Some(101)
            }),
            400,
            "InvalidParameter",
            "The specified parameter is not valid.",
        ),
        (
            with(DescribeImages::new("cn-hangzhou"), |r| {
                r.page_number = Some(0)
            }),
            400,
            "InvalidParameter",
            "The specified parameter is not valid.",
        ),
        (
            with(DescribeImages::new("cn-hangzhou"), |r| {
                r.image_owner_alias = Some("everyone".into())
            }),
            400,
            "InvalidParameter",
            "The specified parameter is not valid.",
        ),
        (
            with(DescribeImages::new("cn-hangzhou"), |r| {
                r.image_id = Some(too_many.to_string())
            }),
            400,
            "InvalidParameter",
            "The specified parameter is not valid.",
        ),
    ];
    let mut seen = Vec::new();
    for (request, status, code, message) in cases {
        let result = f
            .world
            .describe_images("alice", &request)
            .map(|p| p.total_count);
        seen.extend(result.err());
        assert_error(result, status, code, message);
    }
    assert_eq!(in_order(&seen), errors(Action::DescribeImages.checks()));
}

#[test]
fn describe_images_shows_the_callers_images_newest_first() {
    let mut f = fixture();
    let copies: Vec<ImageId> = (0..3).map(|_| copy_to_beijing(&mut f)).collect();
    f.world
        .set_copy_progress("cn-beijing", copies[1], Percent::new(32).unwrap())
        .unwrap();
    let all = with(DescribeImages::new("cn-beijing"), |r| {
        r.status = Some(ALL_STATUSES.to_string())
    });
    let page = f.world.describe_images("alice", &all).unwrap();
    let seen: Vec<_> = page
        .images
        .iter()
        .map(|v| {
            (
                v.id(),
                v.status(),
                v.progress().to_string(),
                v.is_copied(),
                v.owner_alias(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (
                copies[2],
                ImageStatus::Waiting,
                "0%".to_owned(),
                true,
                "self"
            ),
            (
                copies[1],
                ImageStatus::Creating,
                "32%".to_owned(),
                true,
                "self"
            ),
            (
                copies[0],
                ImageStatus::Creating,
                "0%".to_owned(),
                true,
                "self"
            ),
        ]
    );
    assert_eq!(
        (page.total_count, page.page_number, page.page_size),
        (3, 1, 10)
    );
    assert_eq!(page.images[0].creation_time(), NOW);
    assert_eq!(page.images[0].size_gib(), 40);
    // The default Status filter is Available, as the real API's.
    let default = f
        .world
        .describe_images("alice", &DescribeImages::new("cn-beijing"))
        .unwrap();
    assert_eq!(default.total_count, 0);
    let commas = with(DescribeImages::new("cn-beijing"), |r| {
        r.status = Some(",,".into())
    });
    assert_eq!(
        f.world
            .describe_images("alice", &commas)
            .unwrap()
            .total_count,
        0
    );
    f.world.complete_copy("cn-beijing", copies[0]).unwrap();
    let default = f
        .world
        .describe_images("alice", &DescribeImages::new("cn-beijing"))
        .unwrap();
    assert_eq!(
        default.images.iter().map(|v| v.id()).collect::<Vec<_>>(),
        [copies[0]]
    );
    // Bob sees none of it, and no other owner alias has images.
    assert_eq!(f.world.describe_images("bob", &all).unwrap().total_count, 0);
    let system = with(all, |r| r.image_owner_alias = Some("system".into()));
    assert_eq!(
        f.world
            .describe_images("alice", &system)
            .unwrap()
            .total_count,
        0
    );
}

#[test]
fn describe_images_filters_by_id_and_name_and_pages() {
    let mut f = fixture();
    let copies: Vec<ImageId> = (0..5).map(|_| copy_to_beijing(&mut f)).collect();
    let ids = format!("{},{},m-imageid1,,{}", copies[0], copies[3], copies[0]);
    let by_id = with(DescribeImages::new("cn-beijing"), |r| {
        r.image_id = Some(ids.to_string());
        r.status = Some(ALL_STATUSES.to_string());
    });
    let page = f.world.describe_images("alice", &by_id).unwrap();
    assert_eq!(
        page.images.iter().map(|v| v.id()).collect::<Vec<_>>(),
        [copies[3], copies[0]]
    );
    let named = with(DescribeImages::new("cn-hangzhou"), |r| {
        r.image_name = Some("web".into())
    });
    let page = f.world.describe_images("alice", &named).unwrap();
    assert_eq!(
        page.images
            .iter()
            .map(|v| v.id().to_string())
            .collect::<Vec<_>>(),
        [f.alice_web.clone()]
    );
    let paged = |number, size| {
        with(DescribeImages::new("cn-beijing"), |r| {
            r.status = Some(ALL_STATUSES.to_string());
            r.page_number = Some(number);
            r.page_size = Some(size);
        })
    };
    let second = f.world.describe_images("alice", &paged(2, 2)).unwrap();
    assert_eq!(
        second.images.iter().map(|v| v.id()).collect::<Vec<_>>(),
        [copies[2], copies[1]]
    );
    assert_eq!(second.total_count, 5);
    let beyond = f.world.describe_images("alice", &paged(4, 2)).unwrap();
    assert!(beyond.images.is_empty());
    let last = f
        .world
        .describe_images("alice", &paged(u32::MAX, 100))
        .unwrap();
    assert!(last.images.is_empty());
}

#[test]
fn backend_operations_report_misuse_with_typed_errors() {
    let mut f = fixture();
    let copies: Vec<ImageId> = (0..3).map(|_| copy_to_beijing(&mut f)).collect();
    let queued = copies[2];
    let source: ImageId = f.alice_web.parse().unwrap();
    let half = Percent::new(50).unwrap();
    assert_eq!(
        f.world.set_copy_progress("cn-beijing", queued, half),
        Err(WorldError::Transition(TransitionError::NotAllowed {
            phase: CopyPhase::Queued,
            event: ecs_image_copy::CopyEvent::Progress(half),
        }))
    );
    assert_eq!(
        f.world
            .complete_copy("cn-beijing", queued)
            .unwrap_err()
            .to_string(),
        "`complete` is not allowed while the copy is Queued"
    );
    f.world
        .set_copy_progress("cn-beijing", copies[0], half)
        .unwrap();
    assert_eq!(
        f.world
            .set_copy_progress("cn-beijing", copies[0], Percent::new(10).unwrap())
            .unwrap_err()
            .to_string(),
        "`progress to 10%` is not allowed while the copy is Copying at 50%: progress never goes backwards"
    );
    fn refused<T>(error: EcsError) -> Result<T, WorldError> {
        Err(WorldError::Refused(error))
    }
    assert_eq!(
        f.world.fail_copy("nowhere", queued),
        refused(EcsError::RegionNotFound)
    );
    assert_eq!(
        f.world.fail_copy("cn-hangzhou", queued),
        refused(EcsError::ImageNotFound)
    );
    assert_eq!(
        f.world.fail_copy("cn-hangzhou", source),
        refused(EcsError::ImageNotCopying)
    );
    assert_eq!(
        f.world.create_image("alice", "cn-hangzhou", "web", NOW),
        refused(EcsError::ImageNameDuplicated)
    );
    assert_eq!(
        f.world.create_image("alice", "cn-hangzhou", "9lives", NOW),
        refused(EcsError::ImageNameMalformed)
    );
    assert_eq!(
        f.world.create_image("alice", "nowhere", "web", NOW),
        refused(EcsError::RegionNotFound)
    );
}

#[test]
fn advancing_time_drives_every_copy_to_completion_in_order() {
    let mut f = fixture();
    let copies: Vec<ImageId> = (0..3).map(|_| copy_to_beijing(&mut f)).collect();
    let step = Percent::new(40).unwrap();
    let mut ticks = 0;
    while copies
        .iter()
        .any(|&c| phase(&f.world, c) != Some(CopyPhase::Completed))
    {
        assert!(
            f.world.advance_copies(step) > 0,
            "a tick with running copies moves one"
        );
        ticks += 1;
        assert!(ticks < 20);
    }
    // 0 → 40 → 80 → 100 (finalizing) → completed: four ticks, twice over.
    assert_eq!(ticks, 8);
    assert_eq!(f.world.advance_copies(step), 0);
}

/// The mock control actions through `World::handle`, the endpoint's path:
/// each action's checks walked in order, each failure changing nothing.
/// (`Cancellable=maybe` cannot be a request: the wire refuses it, see
/// `tests/rpc.rs`.)
#[test]
fn mock_control_actions_answer_their_errors_in_precedence_order() {
    let mut f = fixture();
    let copy = copy_to_beijing(&mut f).to_string();
    let finalizing = copy_to_beijing(&mut f);
    f.world
        .set_copy_progress("cn-beijing", finalizing, Percent::FULL)
        .unwrap();
    let before = format!("{:?}", f.world);
    // (RegionId, ImageId) breaking the common checks of the caller's copy,
    // in their order; the last names alice's `web`, which is no copy.
    let own_copy_walk = [
        (None, Some(copy.as_str())),
        (Some("cn-beijing"), None),
        (Some("nowhere"), Some(copy.as_str())),
        (Some("cn-beijing"), Some("m-imageid1")),
        (Some("cn-hangzhou"), Some(f.alice_web.as_str())),
    ];
    let owned = |text: Option<&str>| text.map(str::to_owned);
    let progress = |region: Option<&str>, image: Option<&str>, progress: Option<&str>| {
        let mut request = MockSetCopyProgress::default();
        request.region_id = owned(region);
        request.image_id = owned(image);
        request.progress = owned(progress);
        Request::from(request)
    };
    let mut requests = vec![
        progress(Some("cn-beijing"), Some(&copy), None),
        progress(Some("cn-beijing"), Some(&copy), Some("101")),
    ];
    for (region, image) in own_copy_walk {
        requests.push(progress(region, image, Some("50")));
    }
    let finalizing = finalizing.to_string();
    requests.push(progress(Some("cn-beijing"), Some(&finalizing), Some("50")));
    let walked = walk(&mut f.world, &requests, &before);
    assert_eq!(walked, errors(Action::MockSetCopyProgress.checks()));

    let cancellable = |region: Option<&str>, image: Option<&str>, value: Option<bool>| {
        let mut request = MockSetCancellable::default();
        request.region_id = owned(region);
        request.image_id = owned(image);
        request.cancellable = value;
        Request::from(request)
    };
    let mut requests = vec![cancellable(Some("cn-beijing"), Some(&copy), None)];
    for (region, image) in own_copy_walk {
        requests.push(cancellable(region, image, Some(false)));
    }
    let walked = walk(&mut f.world, &requests, &before);
    let checks = errors(Action::MockSetCancellable.checks());
    assert_eq!(walked[..1], checks[..1]);
    assert_eq!(checks[1], EcsError::InvalidParameter, "the wire's refusal");
    assert_eq!(walked[1..], checks[2..]);

    let create = |region: Option<&str>, name: Option<&str>| {
        let mut request = MockCreateImage::default();
        request.region_id = owned(region);
        request.image_name = owned(name);
        Request::from(request)
    };
    let requests = [
        create(None, Some("web")),
        create(Some("cn-hangzhou"), Some("")),
        create(Some("nowhere"), Some("web")),
        create(Some("cn-hangzhou"), Some("1-digit")),
        create(Some("cn-hangzhou"), Some("web")),
    ];
    let walked = walk(&mut f.world, &requests, &before);
    let checks = errors(Action::MockCreateImage.checks());
    assert_eq!(walked, checks[..checks.len() - 1], "all but the full table");

    let mut tick = MockAdvanceCopies::default();
    tick.step = Some("101".into());
    let walked = walk(&mut f.world, &[tick.into()], &before);
    assert_eq!(walked, errors(Action::MockAdvanceCopies.checks()));
}

/// The error of each request, asserting that none changed the world.
fn walk(world: &mut World, requests: &[Request], before: &str) -> Vec<EcsError> {
    let mut seen = Vec::new();
    for request in requests {
        let answer = world.handle("alice", request, NOW).map(|_| ());
        let error = answer.expect_err("each request breaks one check");
        seen.push(error.ecs_error());
        assert_eq!(
            format!("{world:?}"),
            before,
            "{request:?} changed the world"
        );
    }
    seen
}
