//! The image's life around a copy: DeleteImage, ModifyImageAttribute,
//! sharing, tags, regions and snapshots, and per-account copy slots. Each
//! action's checks walked in order with exact code, status and message, and
//! what success does.

use std::num::NonZeroU32;

use ecs_image_copy::{
    Action, CancelCopyImage, Config, CopyImage, DeleteImage, DeleteSnapshot,
    DescribeImageSharePermission, DescribeImages, DescribeRegions, EcsError, ImageId, ImageStatus,
    LifeStep, ListTagResources, ModifyImageAttribute, ModifyImageSharePermission, Percent, Request,
    Tag, TagResources, Timestamp, UntagResources, World,
};

const NOW: Timestamp = Timestamp::from_unix_seconds(1_795_780_800);
const ALL_STATUSES: &str = "Creating,Waiting,Available,UnAvailable,CreateFailed,Deprecated";

/// A two-region world, two copies at once per account and region, with
/// alice's `web` and `db` and bob's `web` in Hangzhou.
struct Fixture {
    world: World,
    web: String,
    db: String,
    bobs: String,
}

fn fixture() -> Fixture {
    let limit = NonZeroU32::new(2).unwrap();
    let config = Config::new(["cn-hangzhou", "cn-beijing"]).with_copy_limit(limit);
    let mut world = World::new(config);
    let mut create = |owner, name| {
        let id = world.create_image(owner, "cn-hangzhou", name, NOW);
        id.expect("a valid image").to_string()
    };
    let (web, db, bobs) = (
        create("alice", "web"),
        create("alice", "db"),
        create("bob", "web"),
    );
    Fixture {
        world,
        web,
        db,
        bobs,
    }
}

impl Fixture {
    /// A copy of alice's image `source` into Beijing.
    fn copy(&mut self, source: &str) -> String {
        let mut copy = CopyImage::new("cn-hangzhou", source);
        copy.destination_region_id = Some("cn-beijing".into());
        let id = self.world.copy_image("alice", &copy, NOW);
        id.expect("a valid copy").to_string()
    }

    /// Every request's error, in order, asserting that none changed the
    /// world.
    fn walk(&mut self, caller: &str, requests: Vec<Request>) -> Vec<EcsError> {
        let before = format!("{:?}", self.world);
        let mut seen = Vec::new();
        for request in requests {
            let answer = self.world.handle(caller, &request, NOW).map(|_| ());
            let error = answer.expect_err(&format!("{request:?} breaks one check"));
            seen.push(error.ecs_error());
            assert_eq!(
                format!("{:?}", self.world),
                before,
                "{request:?} changed the world"
            );
        }
        seen
    }

    fn describe(&self, caller: &str, region: &str, id: &str) -> Vec<(String, String, String)> {
        let mut describe = DescribeImages::new(region);
        describe.image_id = Some(id.to_owned());
        describe.status = Some(ALL_STATUSES.into());
        let page = self
            .world
            .describe_images(caller, &describe)
            .expect("valid");
        (page.images.iter())
            .map(|view| {
                let status = view.status().to_string();
                (view.id().to_string(), status, view.owner_alias().to_owned())
            })
            .collect()
    }
}

fn errors(action: Action) -> Vec<EcsError> {
    action.checks().iter().map(|check| check.error).collect()
}

fn assert_wire(error: EcsError, status: u16, code: &str, message: &str) {
    assert_eq!(
        (error.status(), error.code().as_ref(), error.message()),
        (status, code, message)
    );
}

fn owned(text: &str) -> Option<String> {
    Some(text.to_owned())
}

#[test]
fn the_new_errors_are_worded_as_the_pages_word_them() {
    let rows = [
        (
            EcsError::ImageCopying,
            403,
            "OperationDenied.ImageCopying",
            "The image is being copied. Please use the CancelCopyImage API.",
        ),
        (
            EcsError::SourceCopying,
            403,
            "OperationDenied.ImageCopying",
            "The image is currently being copied. Please try again later.",
        ),
        (
            EcsError::ImageShared,
            403,
            "ImageUseShared",
            "The specified image has been shared to others.",
        ),
        (
            EcsError::ImageIsCreating,
            403,
            "InvalidStatus.ImageIsCreating",
            "The operation cannot be performed because the image is creating. Please wait until the creation is complete and try again.",
        ),
        (
            EcsError::ImageStatusNotAvailable,
            403,
            "ImageStatus.NotAvailable",
            "The specified image status is not available.",
        ),
        (
            EcsError::NewImageNameDuplicated,
            400,
            "InvalidImageName.Duplicated",
            "The specified Image name has already bean used.",
        ),
        (
            EcsError::ShareQuotaExceeded,
            403,
            "QuotaExceed.ShareImageUser",
            "The shared Image user Quota exceeds.",
        ),
        (
            EcsError::ShareDeprecated,
            403,
            "OperationDenied.InvalidImageStatus",
            "The specified image cannot be shared when it is deprecated.",
        ),
        (
            EcsError::AccountNotFound,
            404,
            "InvalidAccount.NotFound",
            "The specified parameter \"AddAccount.n\" or \"RemoveAccount.n\" does not exist.",
        ),
        (
            EcsError::ShareWithSelf,
            404,
            "InvalidAccount.Forbbiden",
            "The specified Account does not yourself.",
        ),
        (
            EcsError::TooManyResourceIds,
            400,
            "NumberExceed.ResourceIds",
            "The ResourceIds parameter's number is exceed , Valid : 50",
        ),
        (
            EcsError::TooManyTags,
            400,
            "NumberExceed.Tags",
            "The Tags parameter's number is exceed , Valid : 20",
        ),
        (
            EcsError::DuplicateTagKey,
            400,
            "Duplicate.TagKey",
            "The Tag.N.Key contain duplicate key.",
        ),
        (
            EcsError::TagKeyMalformed,
            400,
            "InvalidTagKey.Malformed",
            "The specified Tag.n.Key is not valid.",
        ),
        (
            EcsError::TagQuotaExceeded,
            400,
            "OperationDenied.QuotaExceed",
            "The quota of tags on resource is beyond permitted range.",
        ),
        (
            EcsError::TagsAndResourcesEmpty,
            403,
            "BothEmpty.TagsAndResources",
            "The specified Tags and ResourcesIds are not allow to both empty.",
        ),
        (
            EcsError::NextTokenInvalid,
            403,
            "Invalid.NextToken",
            "The specified NextToken is not valid.",
        ),
        (
            EcsError::ResourceNotFound,
            404,
            "InvalidResourceId.NotFound",
            "The specified ResourceIds are not found in our records.",
        ),
        (
            EcsError::SnapshotInUse,
            403,
            "SnapshotCreatedImage",
            "The snapshot has been used to create user defined image(s).",
        ),
        (
            EcsError::SnapshotNotFound,
            404,
            "InvalidSnapshotId.NotFound",
            "The specified snapshot is not found",
        ),
    ];
    for (error, status, code, message) in rows {
        assert_wire(error, status, code, message);
        assert_eq!(EcsError::from_wire(code, message), Some(error));
    }
    let aliases = [
        ("The Image is coping.", EcsError::ImageCopying),
        (
            "The specified image is being copied.",
            EcsError::ImageCopying,
        ),
        ("The Image are coping.", EcsError::SourceCopying),
    ];
    for (message, error) in aliases {
        assert_eq!(
            EcsError::from_wire("OperationDenied.ImageCopying", message),
            Some(error)
        );
    }
}

#[test]
fn delete_image_answers_its_errors_in_order_and_keeps_the_snapshot() {
    let mut f = fixture();
    let copying = f.copy(&f.web.clone());
    let mut shared = ModifyImageSharePermission::default();
    (shared.region_id, shared.image_id) = (owned("cn-hangzhou"), Some(f.db.clone()));
    shared.add_account = vec!["bob".into()];
    f.world
        .modify_image_share_permission("alice", &shared, NOW)
        .unwrap();
    let delete = |region: Option<&str>, image: Option<&str>| {
        let mut request = DeleteImage::default();
        request.region_id = region.map(str::to_owned);
        request.image_id = image.map(str::to_owned);
        Request::from(request)
    };
    let walked = f.walk(
        "alice",
        vec![
            delete(None, Some(&f.web)),
            delete(Some("cn-hangzhou"), None),
            delete(Some("nowhere"), Some(&f.web)),
            delete(Some("cn-hangzhou"), Some(&f.bobs)),
            delete(Some("cn-beijing"), Some(&copying)),
            delete(Some("cn-hangzhou"), Some(&f.db)),
        ],
    );
    assert_eq!(walked, errors(Action::DeleteImage));
    // A dry run passes, and changes nothing.
    let mut dry = DeleteImage::default();
    (dry.region_id, dry.image_id, dry.dry_run) = (owned("cn-hangzhou"), Some(f.web.clone()), true);
    assert_eq!(
        f.walk("alice", vec![dry.into()]),
        [EcsError::DryRunOperation]
    );
    // The copy in progress goes on when its source is deleted.
    let mut delete_web = DeleteImage::default();
    (delete_web.region_id, delete_web.image_id) = (owned("cn-hangzhou"), Some(f.web.clone()));
    f.world.delete_image("alice", &delete_web).unwrap();
    assert!(f.describe("alice", "cn-hangzhou", &f.web).is_empty());
    assert_eq!(f.describe("alice", "cn-beijing", &copying)[0].1, "Creating");
    // Its snapshot stays until DeleteSnapshot; an image's own is in use.
    let web: ImageId = f.web.parse().unwrap();
    let snapshot = |id: String| {
        let mut request = DeleteSnapshot::default();
        request.snapshot_id = Some(id);
        request
    };
    let copy: ImageId = copying.parse().unwrap();
    let in_use = f
        .world
        .delete_snapshot("alice", &snapshot(copy.snapshot().to_string()));
    assert_eq!(in_use, Err(EcsError::SnapshotInUse));
    let not_hers = f
        .world
        .delete_snapshot("bob", &snapshot(web.snapshot().to_string()));
    assert_eq!(not_hers, Err(EcsError::SnapshotNotFound));
    assert_eq!(
        f.world.delete_snapshot("alice", &snapshot(String::new())),
        Err(EcsError::MissingSnapshotId)
    );
    assert_eq!(
        f.world
            .delete_snapshot("alice", &snapshot("s-nothing".into())),
        Err(EcsError::SnapshotNotFound)
    );
    assert_eq!(
        f.world
            .delete_snapshot("alice", &snapshot(web.snapshot().to_string())),
        Ok(())
    );
    let again = f
        .world
        .delete_snapshot("alice", &snapshot(web.snapshot().to_string()));
    assert_eq!(again, Err(EcsError::SnapshotNotFound));
    assert_eq!(
        errors(Action::DeleteSnapshot),
        [
            EcsError::MissingSnapshotId,
            EcsError::SnapshotNotFound,
            EcsError::SnapshotInUse
        ]
    );
}

#[test]
fn completed_and_failed_copies_are_deleted_and_cancelled_copies_take_their_snapshot() {
    let mut f = fixture();
    let done = f.copy(&f.web.clone());
    let failed = f.copy(&f.db.clone());
    f.world
        .complete_copy("cn-beijing", done.parse().unwrap())
        .unwrap();
    f.world
        .fail_copy("cn-beijing", failed.parse().unwrap())
        .unwrap();
    for id in [&done, &failed] {
        let mut delete = DeleteImage::default();
        (delete.region_id, delete.image_id) = (owned("cn-beijing"), Some(id.clone()));
        assert_eq!(f.world.delete_image("alice", &delete), Ok(()));
    }
    let cancelled = f.copy(&f.web.clone());
    f.world
        .cancel_copy_image("alice", &CancelCopyImage::new("cn-beijing", &cancelled))
        .unwrap();
    let snapshot: ImageId = cancelled.parse().unwrap();
    let mut delete = DeleteSnapshot::default();
    delete.snapshot_id = Some(snapshot.snapshot().to_string());
    assert_eq!(
        f.world.delete_snapshot("alice", &delete),
        Err(EcsError::SnapshotNotFound)
    );
}

#[test]
fn modify_image_attribute_answers_its_errors_in_order_and_renames() {
    let mut f = fixture();
    let copying = f.copy(&f.web.clone());
    let failed = f.copy(&f.db.clone());
    f.world
        .fail_copy("cn-beijing", failed.parse().unwrap())
        .unwrap();
    let modify =
        |region: Option<&str>, image: Option<&str>, name: Option<&str>, status: Option<&str>| {
            let mut request = ModifyImageAttribute::default();
            request.region_id = region.map(str::to_owned);
            request.image_id = image.map(str::to_owned);
            request.image_name = name.map(str::to_owned);
            request.status = status.map(str::to_owned);
            request
        };
    let mut bad_description = modify(Some("cn-hangzhou"), Some(&f.web), None, None);
    bad_description.description = Some("http://x".into());
    let mut shared = ModifyImageSharePermission::default();
    (shared.region_id, shared.image_id) = (owned("cn-hangzhou"), Some(f.db.clone()));
    shared.add_account = vec!["bob".into()];
    f.world
        .modify_image_share_permission("alice", &shared, NOW)
        .unwrap();
    let walked = f.walk(
        "alice",
        vec![
            modify(None, Some(&f.web), None, None).into(),
            modify(Some("cn-hangzhou"), None, None, None).into(),
            modify(Some("nowhere"), Some(&f.web), None, None).into(),
            modify(Some("cn-hangzhou"), Some(&f.web), Some("1x"), None).into(),
            bad_description.into(),
            modify(Some("cn-hangzhou"), Some(&f.web), None, Some("Gone")).into(),
            modify(Some("cn-hangzhou"), Some(&f.bobs), Some("mine"), None).into(),
            modify(Some("cn-beijing"), Some(&copying), Some("renamed"), None).into(),
            modify(Some("cn-hangzhou"), Some(&f.web), Some("db"), None).into(),
            modify(Some("cn-beijing"), Some(&failed), None, Some("Deprecated")).into(),
            modify(Some("cn-hangzhou"), Some(&f.db), None, Some("Deprecated")).into(),
        ],
    );
    assert_eq!(walked, errors(Action::ModifyImageAttribute));
    assert_wire(
        walked[3],
        400,
        "InvalidImageName.Malformed",
        "The specified Image name is wrongly formed.",
    );
    // Renaming frees the old name and takes the new one; deprecating shows
    // and stops copies.
    let rename = modify(
        Some("cn-hangzhou"),
        Some(&f.web),
        Some("site"),
        Some("Deprecated"),
    );
    f.world.modify_image_attribute("alice", &rename).unwrap();
    assert_eq!(
        f.describe("alice", "cn-hangzhou", &f.web)[0].1,
        "Deprecated"
    );
    let mut copy = CopyImage::new("cn-hangzhou", &f.web);
    copy.destination_region_id = Some("cn-beijing".into());
    assert_eq!(
        f.world.copy_image("alice", &copy, NOW),
        Err(EcsError::ImageNotAvailable)
    );
    let taken = modify(Some("cn-hangzhou"), Some(&f.db), Some("site"), None);
    assert_eq!(
        f.world.modify_image_attribute("alice", &taken),
        Err(EcsError::NewImageNameDuplicated)
    );
    let freed = modify(Some("cn-hangzhou"), Some(&f.db), Some("web"), None);
    assert_eq!(f.world.modify_image_attribute("alice", &freed), Ok(()));
    let back = modify(Some("cn-hangzhou"), Some(&f.web), None, Some("Available"));
    f.world.modify_image_attribute("alice", &back).unwrap();
    assert!(f.world.copy_image("alice", &copy, NOW).is_ok());
}

#[test]
fn sharing_answers_its_errors_in_order_and_shows_the_image_to_the_grantee_only() {
    let mut f = fixture();
    let copying = f.copy(&f.web.clone());
    let share = |image: &str, add: &[&str], remove: &[&str]| {
        let mut request = ModifyImageSharePermission::default();
        (request.region_id, request.image_id) = (owned("cn-hangzhou"), Some(image.to_owned()));
        request.add_account = add.iter().map(|a| a.to_string()).collect();
        request.remove_account = remove.iter().map(|a| a.to_string()).collect();
        request
    };
    let mut no_region = share(&f.web, &["bob"], &[]);
    no_region.region_id = None;
    let mut no_image = share(&f.web, &["bob"], &[]);
    no_image.image_id = None;
    let mut nowhere = share(&f.web, &["bob"], &[]);
    nowhere.region_id = owned("nowhere");
    let eleven: Vec<String> = (0..11).map(|n| format!("a{n}")).collect();
    let eleven: Vec<&str> = eleven.iter().map(String::as_str).collect();
    let mut deprecated = ModifyImageAttribute::default();
    (deprecated.region_id, deprecated.image_id) = (owned("cn-hangzhou"), Some(f.db.clone()));
    deprecated.status = owned("Deprecated");
    f.world
        .modify_image_attribute("alice", &deprecated)
        .unwrap();
    let mut full = share(&f.web, &[], &[]);
    for batch in 0..5 {
        let names: Vec<String> = (0..10).map(|n| format!("g{batch}{n}")).collect();
        full.add_account = names;
        f.world
            .modify_image_share_permission("alice", &full, NOW)
            .unwrap();
    }
    let closed = {
        let config = Config::new(["cn-hangzhou"]).with_accounts(["alice", "bob"]);
        let mut world = World::new(config);
        let web = world
            .create_image("alice", "cn-hangzhou", "web", NOW)
            .unwrap()
            .to_string();
        let refused =
            world.modify_image_share_permission("alice", &share(&web, &["carol"], &[]), NOW);
        assert_eq!(
            world.modify_image_share_permission("alice", &share(&web, &["bob"], &[]), NOW),
            Ok(())
        );
        refused.unwrap_err()
    };
    let walked = f.walk(
        "alice",
        vec![
            no_region.into(),
            no_image.into(),
            nowhere.into(),
            share(&f.web, &eleven, &[]).into(),
            share(&f.bobs, &["carol"], &[]).into(),
            share(&f.web, &["alice"], &[]).into(),
        ],
    );
    let mut walked = walked;
    walked.push(closed);
    walked.extend(f.walk(
        "alice",
        vec![
            share(&f.db, &["bob"], &[]).into(),
            share(&f.web, &["one-more"], &[]).into(),
        ],
    ));
    assert_eq!(walked, errors(Action::ModifyImageSharePermission));
    // Packer's calls: a copy in progress shared, and both lists empty.
    let mut packer = share(&copying, &["bob"], &[]);
    packer.region_id = owned("cn-beijing");
    assert_eq!(
        f.world.modify_image_share_permission("alice", &packer, NOW),
        Ok(())
    );
    packer.add_account.clear();
    assert_eq!(
        f.world.modify_image_share_permission("alice", &packer, NOW),
        Ok(())
    );
    // Bob sees it as `others`, carol does not; bob cannot cancel it.
    assert_eq!(
        f.describe("bob", "cn-beijing", &copying),
        [(copying.clone(), "Creating".to_owned(), "others".to_owned())]
    );
    assert!(f.describe("carol", "cn-beijing", &copying).is_empty());
    let cancel = CancelCopyImage::new("cn-beijing", &copying);
    assert_eq!(
        f.world.cancel_copy_image("bob", &cancel),
        Err(EcsError::ImageNotFound)
    );
    let mut permission = DescribeImageSharePermission::default();
    (permission.region_id, permission.image_id) = (owned("cn-beijing"), Some(copying.clone()));
    let page = f
        .world
        .describe_image_share_permission("alice", &permission)
        .unwrap();
    assert_eq!((page.total_count, page.accounts[0].0), (1, "bob"));
    let foreign = f.world.describe_image_share_permission("bob", &permission);
    assert_eq!(foreign.map(|_| ()), Err(EcsError::ImageNotFound));
    // Cancelling the copy takes it from bob's view too.
    f.world.cancel_copy_image("alice", &cancel).unwrap();
    assert!(f.describe("bob", "cn-beijing", &copying).is_empty());
}

#[test]
fn tags_answer_their_errors_in_order_and_are_the_tags_describe_images_shows() {
    let mut f = fixture();
    let tag = |region: Option<&str>, kind: Option<&str>, ids: &[&str], tags: Vec<Tag>| {
        let mut request = TagResources::default();
        request.region_id = region.map(str::to_owned);
        request.resource_type = kind.map(str::to_owned);
        request.resource_id = ids.iter().map(|id| id.to_string()).collect();
        request.tags = tags;
        request
    };
    let one = || vec![Tag::new("team", "web")];
    let many = |n: usize| {
        (0..n)
            .map(|i| Tag::new(format!("k{i}"), "v"))
            .collect::<Vec<_>>()
    };
    let web = f.web.clone();
    let fifty_one: Vec<String> = (0..51).map(|_| web.clone()).collect();
    let fifty_one: Vec<&str> = fifty_one.iter().map(String::as_str).collect();
    f.world
        .tag_resources(
            "alice",
            &tag(Some("cn-hangzhou"), Some("image"), &[&f.db], many(20)),
        )
        .unwrap();
    let walked = f.walk(
        "alice",
        vec![
            tag(None, Some("image"), &[&web], one()).into(),
            tag(Some("cn-hangzhou"), None, &[&web], one()).into(),
            tag(Some("nowhere"), Some("image"), &[&web], one()).into(),
            tag(Some("cn-hangzhou"), Some("instance"), &[&web], one()).into(),
            tag(Some("cn-hangzhou"), Some("image"), &[], one()).into(),
            tag(Some("cn-hangzhou"), Some("image"), &fifty_one, one()).into(),
            tag(Some("cn-hangzhou"), Some("image"), &[&web], vec![]).into(),
            tag(Some("cn-hangzhou"), Some("image"), &[&web], many(21)).into(),
            tag(
                Some("cn-hangzhou"),
                Some("image"),
                &[&web],
                vec![Tag::new("acs:x", "v")],
            )
            .into(),
            tag(
                Some("cn-hangzhou"),
                Some("image"),
                &[&web],
                vec![Tag::new("k", "v".repeat(129))],
            )
            .into(),
            tag(
                Some("cn-hangzhou"),
                Some("image"),
                &[&web],
                vec![Tag::new("k", "1"), Tag::new("k", "2")],
            )
            .into(),
            tag(Some("cn-hangzhou"), Some("image"), &[&web, &f.bobs], one()).into(),
            tag(Some("cn-hangzhou"), Some("image"), &[&web, &f.db], one()).into(),
        ],
    );
    assert_eq!(walked, errors(Action::TagResources));
    // Tags set, a key set again takes the new value; CopyImage's tags are
    // the same tags; DescribeImages filters by them.
    f.world
        .tag_resources(
            "alice",
            &tag(Some("cn-hangzhou"), Some("IMAGE"), &[&web], one()),
        )
        .unwrap();
    f.world
        .tag_resources(
            "alice",
            &tag(
                Some("cn-hangzhou"),
                Some("image"),
                &[&web],
                vec![Tag::new("team", "db")],
            ),
        )
        .unwrap();
    let mut filtered = DescribeImages::new("cn-hangzhou");
    filtered.tags = vec![Tag::new("team", "")];
    let page = f.world.describe_images("alice", &filtered).unwrap();
    assert_eq!(page.images.len(), 1);
    assert_eq!(page.images[0].tags().collect::<Vec<_>>(), [("team", "db")]);
    let mut list = ListTagResources::default();
    (list.region_id, list.resource_type) = (owned("cn-hangzhou"), owned("image"));
    assert_eq!(
        f.world.list_tag_resources("alice", &list).map(|_| ()),
        Err(EcsError::TagsAndResourcesEmpty)
    );
    list.resource_id = vec![f.db.clone(), web.clone(), f.bobs.clone()];
    let page = f.world.list_tag_resources("alice", &list).unwrap();
    assert_eq!(page.tags.len(), 21, "bob's image is left out");
    assert!(page.next_token.is_none());
    list.next_token = Some("21".into());
    assert_eq!(
        f.world.list_tag_resources("alice", &list).map(|_| ()),
        Err(EcsError::NextTokenInvalid)
    );
    let mut untag = UntagResources::default();
    (untag.region_id, untag.resource_type) = (owned("cn-hangzhou"), owned("image"));
    untag.resource_id = vec![f.db.clone()];
    (untag.tag_key, untag.all) = (vec!["k0".into()], true);
    f.world.untag_resources("alice", &untag).unwrap();
    list.next_token = None;
    assert_eq!(
        f.world
            .list_tag_resources("alice", &list)
            .unwrap()
            .tags
            .len(),
        20
    );
    untag.tag_key.clear();
    f.world.untag_resources("alice", &untag).unwrap();
    assert_eq!(
        f.world
            .list_tag_resources("alice", &list)
            .unwrap()
            .tags
            .len(),
        1
    );
}

#[test]
fn list_tag_resources_pages_by_fifty_with_tokens() {
    let mut f = fixture();
    let mut ids = Vec::new();
    for n in 0..3 {
        let id = f
            .world
            .create_image("alice", "cn-beijing", &format!("img-{n}"), NOW)
            .unwrap();
        ids.push(id.to_string());
    }
    let mut tag = TagResources::default();
    (tag.region_id, tag.resource_type) = (owned("cn-beijing"), owned("image"));
    tag.resource_id = ids.clone();
    tag.tags = (0..20).map(|i| Tag::new(format!("k{i}"), "v")).collect();
    f.world.tag_resources("alice", &tag).unwrap();
    let mut list = ListTagResources::default();
    (list.region_id, list.resource_type) = (owned("cn-beijing"), owned("image"));
    list.tags = vec![Tag::new("k3", "v")];
    let mut seen = 0;
    let mut pages = 0;
    loop {
        let page = f.world.list_tag_resources("alice", &list).unwrap();
        seen += page.tags.len();
        pages += 1;
        match page.next_token {
            Some(token) => list.next_token = Some(token),
            None => break,
        }
    }
    assert_eq!((seen, pages), (60, 2));
}

#[test]
fn describe_regions_lists_the_configured_regions() {
    let world = World::default();
    let mut request = DescribeRegions::default();
    let regions = world.describe_regions(&request);
    assert_eq!(regions.len(), 13);
    assert_eq!(regions[0].id, "cn-hangzhou");
    assert_eq!(regions[0].local_name, "华东1（杭州）");
    assert_eq!(regions[0].endpoint, "ecs.cn-hangzhou.aliyuncs.com");
    assert_eq!(regions[0].status, "available");
    request.accept_language = owned("en-US");
    assert_eq!(
        world.describe_regions(&request)[2].local_name,
        "China (Beijing)"
    );
    let odd = World::new(Config::new(["xx-test-1"]));
    assert_eq!(odd.describe_regions(&request)[0].local_name, "xx-test-1");
}

#[test]
fn copying_a_copy_in_progress_is_refused_before_its_status() {
    let mut f = fixture();
    let copying = f.copy(&f.web.clone());
    let mut copy = CopyImage::new("cn-beijing", &copying);
    copy.destination_region_id = Some("cn-hangzhou".into());
    assert_eq!(
        f.world.copy_image("alice", &copy, NOW),
        Err(EcsError::SourceCopying)
    );
    let id: ImageId = copying.parse().unwrap();
    f.world
        .set_copy_progress("cn-beijing", id, Percent::FULL)
        .unwrap();
    f.world.complete_copy("cn-beijing", id).unwrap();
    assert!(f.world.copy_image("alice", &copy, NOW).is_ok());
}

#[test]
fn each_account_has_its_own_copy_slots_per_region() {
    let mut f = fixture();
    // Alice fills her two slots and queues a third.
    let first = f.copy(&f.web.clone());
    f.copy(&f.db.clone());
    let third = f.copy(&f.web.clone());
    assert_eq!(f.describe("alice", "cn-beijing", &third)[0].1, "Waiting");
    // Bob's only copy starts at once.
    let mut copy = CopyImage::new("cn-hangzhou", &f.bobs);
    copy.destination_region_id = Some("cn-beijing".into());
    let bobs = f.world.copy_image("bob", &copy, NOW).unwrap().to_string();
    assert_eq!(f.describe("bob", "cn-beijing", &bobs)[0].1, "Creating");
    // Bob's cancel frees none of alice's slots; hers does.
    f.world
        .cancel_copy_image("bob", &CancelCopyImage::new("cn-beijing", &bobs))
        .unwrap();
    assert_eq!(f.describe("alice", "cn-beijing", &third)[0].1, "Waiting");
    f.world
        .cancel_copy_image("alice", &CancelCopyImage::new("cn-beijing", &first))
        .unwrap();
    assert_eq!(f.describe("alice", "cn-beijing", &third)[0].1, "Creating");
}

/// Every move of `LifeStep::ALL`, the table the docs draw, made by the
/// model: an image put in the step's status, the step's action on it, and
/// the status it then shows (or that it is gone).
#[test]
fn every_move_the_image_life_table_lists_is_the_models() {
    for step in LifeStep::ALL {
        let mut f = fixture();
        let (region, image) = match step.from {
            None => ("cn-beijing", String::new()),
            Some(status) => in_status(&mut f, status),
        };
        let made = act(&mut f, step.by, region, &image, step.to);
        let id = if image.is_empty() { made } else { image };
        let seen = f
            .describe("alice", region, &id)
            .first()
            .map(|(_, status, _)| status.clone());
        assert_eq!(seen, step.to.map(|s| s.to_string()), "{step:?}");
    }
}

/// An image of alice's in `status`, and its region.
fn in_status(f: &mut Fixture, status: ImageStatus) -> (&'static str, String) {
    let web = f.web.clone();
    let copy = |f: &mut Fixture| f.copy(&web);
    match status {
        ImageStatus::Available => ("cn-hangzhou", web.clone()),
        ImageStatus::Deprecated => {
            let mut deprecate = ModifyImageAttribute::default();
            (deprecate.region_id, deprecate.image_id) = (owned("cn-hangzhou"), Some(web.clone()));
            deprecate.status = owned("Deprecated");
            f.world.modify_image_attribute("alice", &deprecate).unwrap();
            ("cn-hangzhou", web.clone())
        }
        ImageStatus::Creating => ("cn-beijing", copy(f)),
        ImageStatus::Waiting => {
            copy(f);
            copy(f);
            ("cn-beijing", copy(f))
        }
        ImageStatus::CreateFailed => {
            let failed = copy(f);
            f.world
                .fail_copy("cn-beijing", failed.parse().unwrap())
                .unwrap();
            ("cn-beijing", failed)
        }
        other => panic!("no image of the model is {other}"),
    }
}

/// `action` on `image` as alice, the way that moves it to `to`; the image
/// an action made, if any.
fn act(
    f: &mut Fixture,
    action: Action,
    region: &str,
    image: &str,
    to: Option<ImageStatus>,
) -> String {
    let web = f.web.clone();
    match action {
        Action::MockCreateImage => {
            let made = f.world.create_image("alice", region, "new", NOW).unwrap();
            made.to_string()
        }
        Action::CopyImage => {
            if to == Some(ImageStatus::Waiting) {
                f.copy(&web);
                f.copy(&web);
            }
            f.copy(&web)
        }
        Action::CancelCopyImage => {
            f.world
                .cancel_copy_image("alice", &CancelCopyImage::new(region, image))
                .unwrap();
            String::new()
        }
        Action::ModifyImageAttribute => {
            let mut modify = ModifyImageAttribute::default();
            (modify.region_id, modify.image_id) = (owned(region), owned(image));
            modify.status = to.map(|status| status.to_string());
            f.world.modify_image_attribute("alice", &modify).unwrap();
            String::new()
        }
        Action::DeleteImage => {
            let mut delete = DeleteImage::default();
            (delete.region_id, delete.image_id) = (owned(region), owned(image));
            f.world.delete_image("alice", &delete).unwrap();
            String::new()
        }
        other => panic!("LifeStep::ALL has no move by {other}"),
    }
}
