//! Strategies for the model's values, requests and whole runs.

use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::Union;

use super::reference::ReferenceState;
use super::step::{ImageRef, Step};
use crate::service::{CancelCopyImage, CopyImage, DescribeImages, ImageId, Tag};
use crate::service::{
    DeleteImage, DeleteSnapshot, DescribeImageSharePermission, DescribeRegions, ListTagResources,
    ModifyImageAttribute, ModifyImageSharePermission, TagResources, UntagResources,
};
use crate::service::{
    MockAdvanceCopies, MockCompleteCopy, MockCreateImage, MockFailCopy, MockSetCancellable,
    MockSetCopyProgress,
};
use crate::task::{CopyEvent, CopyPhase, CopyTask, Percent};

/// Any phase.
pub fn phase() -> impl Strategy<Value = CopyPhase> {
    select(CopyPhase::ALL.to_vec())
}

/// Any percentage from 0 to 100, the ends often.
pub fn percent() -> impl Strategy<Value = Percent> {
    prop_oneof![
        1 => Just(Percent::ZERO),
        1 => Just(Percent::FULL),
        4 => (0..=100u8).prop_map(|n| Percent::new(n).unwrap_or(Percent::FULL)),
    ]
}

/// Any event, lifecycle or cancel.
pub fn copy_event() -> impl Strategy<Value = CopyEvent> {
    prop_oneof![
        Just(CopyEvent::Start),
        percent().prop_map(CopyEvent::Progress),
        Just(CopyEvent::Complete),
        Just(CopyEvent::Fail),
        Just(CopyEvent::Cancel),
    ]
}

/// A task in any phase it can reach: events applied to a new task, the
/// refused ones skipped.
pub fn task() -> impl Strategy<Value = CopyTask> {
    (any::<bool>(), prop::collection::vec(copy_event(), 0..12)).prop_map(|(cancellable, events)| {
        let start = CopyTask::new().with_cancellable(cancellable);
        events
            .into_iter()
            .fold(start, |task, event| task.apply(event).unwrap_or(task))
    })
}

/// One of `accounts`.
pub fn account(accounts: &'static [&'static str]) -> impl Strategy<Value = String> {
    select(accounts).prop_map(str::to_owned)
}

/// Image names that keep and that break each naming rule.
const NAMES: &[&str] = &[
    "web",
    "db-2",
    "web",
    "1-digit-first",
    "a",
    "acs:reserved",
    "has space",
];
/// Descriptions that keep and that break the rules.
const DESCRIPTIONS: &[&str] = &["nightly", "x", "http://not.allowed"];
/// Client tokens: reused ones, and one that is not ASCII.
const TOKENS: &[&str] = &["token-1", "token-2", "tökén"];

/// CopyImage's optional parameters, mostly valid, each constraint broken
/// now and then: names, descriptions, `KMSKeyId` without `Encrypted`,
/// tokens, tags. `RegionId` and `ImageId` are left for the caller.
pub fn copy_image(regions: &'static [&'static str]) -> impl Strategy<Value = CopyImage<ImageRef>> {
    let tag = prop_oneof![
        4 => Just(Tag::new("team", "web")),
        1 => Just(Tag::new("aliyun-reserved", "x")),
        1 => Just(Tag::new("k", "v".repeat(129))),
    ];
    (
        prop::option::weighted(0.6, select(regions)),
        prop::option::weighted(0.3, select(NAMES)),
        prop::option::weighted(0.1, select(DESCRIPTIONS)),
        (
            prop::bool::weighted(0.1),
            prop::option::weighted(0.05, Just("key-1")),
        ),
        prop::option::weighted(0.3, select(TOKENS)),
        prop::bool::weighted(0.05),
        prop::collection::vec(tag, 0..2),
    )
        .prop_map(
            |(destination, name, description, (encrypted, kms), token, dry_run, tags)| {
                let owned = |text: Option<&str>| text.map(str::to_owned);
                CopyImage {
                    destination_region_id: owned(destination),
                    destination_image_name: owned(name),
                    destination_description: owned(description),
                    encrypted,
                    kms_key_id: owned(kms),
                    client_token: owned(token),
                    dry_run,
                    tags,
                    ..CopyImage::default()
                }
            },
        )
}

/// IDs that name no image: the CancelCopyImage page's example, an empty one, and a
/// well-formed one that was never issued.
const STRANGERS: &[&str] = &["m-imageid1", "", "m-0000000000000000000a"];

/// An image of the run: mostly one it issued, often the latest, so that
/// chains such as copy, progress, cancel happen to one image.
fn image(state: &ReferenceState) -> BoxedStrategy<ImageRef> {
    let stranger = select(STRANGERS).prop_map(|id| ImageRef::Literal(id.to_owned()));
    match state.ids.len() {
        0 => stranger.boxed(),
        issued => prop_oneof![
            6 => Just(ImageRef::Issued(issued - 1)),
            6 => (0..issued).prop_map(ImageRef::Issued),
            1 => stranger,
        ]
        .boxed(),
    }
}

/// The region and owner of each image the run issued, in the reference
/// (none for an image that is gone).
fn homes(state: &ReferenceState) -> Vec<Option<(String, String)>> {
    let home = |n| {
        let view = issued_view(state, n)?;
        Some((view.region().to_owned(), view.owner().to_owned()))
    };
    (0..state.ids.len()).map(home).collect()
}

fn issued_view(state: &ReferenceState, n: usize) -> Option<crate::service::ImageView<'_>> {
    let id = state.ids.resolve(&ImageRef::Issued(n)).parse().ok()?;
    state.world.image(id)
}

/// A source for CopyImage: mostly an `Available` image, which can be
/// copied, else any image.
fn source(state: &ReferenceState) -> BoxedStrategy<ImageRef> {
    let available = |n: &usize| {
        let view = issued_view(state, *n);
        view.is_some_and(|v| v.status() == crate::task::ImageStatus::Available)
    };
    let copyable: Vec<usize> = (0..state.ids.len()).filter(available).collect();
    match copyable.is_empty() {
        true => image(state),
        false => prop_oneof![
            4 => select(copyable).prop_map(ImageRef::Issued),
            1 => image(state),
        ]
        .boxed(),
    }
}

/// An image with the caller and region to name it in: mostly its owner and
/// its own region, so that runs reach deep; else any caller, any region.
type Located = BoxedStrategy<(String, String, ImageRef)>;

/// Where each issued image lives, to pick callers and regions from.
#[derive(Clone)]
struct Places {
    homes: Vec<Option<(String, String)>>,
    accounts: &'static [&'static str],
    regions: &'static [&'static str],
}

impl Places {
    fn new(
        state: &ReferenceState,
        accounts: &'static [&'static str],
        regions: &'static [&'static str],
    ) -> Places {
        Places {
            homes: homes(state),
            accounts,
            regions,
        }
    }

    fn region(&self) -> BoxedStrategy<String> {
        select(self.regions).prop_map(str::to_owned).boxed()
    }

    fn locate(&self, image: BoxedStrategy<ImageRef>) -> Located {
        let homes = self.homes.clone();
        (
            image,
            prop::bool::weighted(0.85),
            account(self.accounts),
            self.region(),
        )
            .prop_map(move |(image, own, other_account, other_region)| {
                let home = match &image {
                    ImageRef::Issued(n) if own => homes.get(*n).cloned().flatten(),
                    _ => None,
                };
                let (region, account) = home.unwrap_or((other_region, other_account));
                (account, region, image)
            })
            .boxed()
    }
}

/// The next step of a run from `state`: mostly calls that reach deep into
/// the model, illegal ones too. Every action is generated, the mock control
/// actions included.
pub fn step(
    state: &ReferenceState,
    accounts: &'static [&'static str],
    regions: &'static [&'static str],
) -> BoxedStrategy<Step> {
    let places = Places::new(state, accounts, regions);
    let mut steps = copy_steps(state, &places);
    steps.extend(lifecycle_steps(state, &places));
    Union::new_weighted(steps).boxed()
}

/// The steps of the copy actions and the mock control actions, with the
/// weights they had before the lifecycle actions came, so that runs still
/// reach as deep into copies.
fn copy_steps(state: &ReferenceState, places: &Places) -> Vec<(u32, BoxedStrategy<Step>)> {
    let (accounts, regions) = (places.accounts, places.regions);
    let located = places.locate(image(state));
    // Mostly a name that keeps the rules, so that runs have images to copy.
    let name = prop_oneof![2 => select(&NAMES[..3]), 1 => select(NAMES)];
    let create = (account(accounts), places.region(), name).prop_map(|(account, region, name)| {
        let create = MockCreateImage {
            region_id: Some(region),
            image_name: Some(name.to_owned()),
            ..MockCreateImage::default()
        };
        Step::new(account, create)
    });
    let copy = (places.locate(source(state)), copy_image(regions)).prop_map(
        |((account, region, source), mut copy)| {
            copy.region_id = Some(region);
            copy.image_id = Some(source);
            Step::new(account, copy)
        },
    );
    let cancel = located.clone().prop_map(|(account, region, image)| {
        let cancel = CancelCopyImage {
            region_id: Some(region),
            image_id: Some(image),
            ..CancelCopyImage::default()
        };
        Step::new(account, cancel)
    });
    let describe = (
        account(accounts),
        places.region(),
        prop::option::weighted(0.3, image(state)),
        select(&["Creating,Waiting", "Available", "Bogus"][..]),
    )
        .prop_map(|(account, region, image, status)| {
            let describe = DescribeImages {
                region_id: Some(region),
                image_id: image,
                status: Some(status.to_owned()),
                ..DescribeImages::default()
            };
            Step::new(account, describe)
        });
    let progress = (located.clone(), percent()).prop_map(|((account, region, image), progress)| {
        let progress = MockSetCopyProgress {
            region_id: Some(region),
            image_id: Some(image),
            progress: Some(progress.get().to_string()),
            ..MockSetCopyProgress::default()
        };
        Step::new(account, progress)
    });
    let complete = located.clone().prop_map(|(account, region, image)| {
        let complete = MockCompleteCopy {
            region_id: Some(region),
            image_id: Some(image),
            ..MockCompleteCopy::default()
        };
        Step::new(account, complete)
    });
    let fail = located.clone().prop_map(|(account, region, image)| {
        let fail = MockFailCopy {
            region_id: Some(region),
            image_id: Some(image),
            ..MockFailCopy::default()
        };
        Step::new(account, fail)
    });
    let cancellable =
        (located, any::<bool>()).prop_map(|((account, region, image), cancellable)| {
            let set = MockSetCancellable {
                region_id: Some(region),
                image_id: Some(image),
                cancellable: Some(cancellable),
                ..MockSetCancellable::default()
            };
            Step::new(account, set)
        });
    // A tick moves every account's copies, whoever asks: the first account.
    let ticker = accounts.first().copied().unwrap_or_default();
    let advance = (1..=60u8).prop_map(move |step| {
        let tick = MockAdvanceCopies {
            step: Some(step.to_string()),
            ..MockAdvanceCopies::default()
        };
        Step::new(ticker, tick)
    });
    vec![
        (3, create.boxed()),
        (6, copy.boxed()),
        (5, cancel.boxed()),
        (1, describe.boxed()),
        (3, progress.boxed()),
        (2, complete.boxed()),
        (1, fail.boxed()),
        (1, cancellable.boxed()),
        (1, advance.boxed()),
    ]
}

/// The steps of the actions around a copy: deleting, modifying, sharing
/// and tagging images, regions and snapshots.
fn lifecycle_steps(state: &ReferenceState, places: &Places) -> Vec<(u32, BoxedStrategy<Step>)> {
    let located = places.locate(image(state));
    vec![
        (2, delete_image(located.clone())),
        (2, modify_image_attribute(located.clone())),
        (2, share(located.clone(), places.accounts)),
        (1, describe_shares(located.clone())),
        (2, tag(state, located.clone())),
        (1, untag(state, located.clone())),
        (1, list_tags(state, places)),
        (1, describe_regions(places.accounts)),
        (1, delete_snapshot(places.accounts)),
    ]
}

fn delete_image(located: Located) -> BoxedStrategy<Step> {
    (
        located,
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.05),
    )
        .prop_map(|((account, region, image), force, dry_run)| {
            let delete = DeleteImage {
                region_id: Some(region),
                image_id: Some(image),
                force,
                dry_run,
                ..DeleteImage::default()
            };
            Step::new(account, delete)
        })
        .boxed()
}

/// `Status` values: both legal ones, often, and one that is not.
const STATUSES: &[&str] = &[
    "Deprecated",
    "Available",
    "Deprecated",
    "Available",
    "Bogus",
];

fn modify_image_attribute(located: Located) -> BoxedStrategy<Step> {
    (
        located,
        prop::option::weighted(0.3, select(NAMES)),
        prop::option::weighted(0.2, select(DESCRIPTIONS)),
        prop::option::weighted(0.6, select(STATUSES)),
        prop::bool::weighted(0.05),
    )
        .prop_map(
            |((account, region, image), name, description, status, dry_run)| {
                let owned = |text: Option<&str>| text.map(str::to_owned);
                let modify = ModifyImageAttribute {
                    region_id: Some(region),
                    image_id: Some(image),
                    image_name: owned(name),
                    description: owned(description),
                    status: owned(status),
                    dry_run,
                    ..ModifyImageAttribute::default()
                };
                Step::new(account, modify)
            },
        )
        .boxed()
}

/// A pick of the setup's accounts: which of the others, and whether the
/// caller too (who may not be added), now and then.
type Pick = (u8, bool);

fn pick() -> impl Strategy<Value = Pick> {
    (any::<u8>(), prop::bool::weighted(0.1))
}

/// The accounts `pick` picks, with `caller` among them or not.
fn picked(accounts: &[&str], (mask, with_caller): Pick, caller: &str) -> Vec<String> {
    let chosen = |(n, account): &(usize, &&str)| match **account == caller {
        true => with_caller,
        false => mask & (1 << (n % 8)) != 0,
    };
    let chosen = accounts.iter().enumerate().filter(chosen);
    chosen.map(|(_, account)| (*account).to_owned()).collect()
}

/// ModifyImageSharePermission: adding some of the setup's accounts,
/// removing some half the time; both lists empty now and then.
fn share(located: Located, accounts: &'static [&'static str]) -> BoxedStrategy<Step> {
    (
        located,
        pick(),
        prop::option::weighted(0.5, pick()),
        prop::option::weighted(0.05, any::<bool>()),
    )
        .prop_map(move |((account, region, image), add, remove, is_public)| {
            let remove = remove.map_or_else(Vec::new, |remove| picked(accounts, remove, &account));
            let share = ModifyImageSharePermission {
                region_id: Some(region),
                image_id: Some(image),
                add_account: picked(accounts, add, &account),
                remove_account: remove,
                is_public,
                ..ModifyImageSharePermission::default()
            };
            Step::new(account, share)
        })
        .boxed()
}

fn describe_shares(located: Located) -> BoxedStrategy<Step> {
    (
        located,
        prop::option::weighted(0.2, 0..3u32),
        prop::option::weighted(0.2, prop_oneof![Just(1u32), Just(100), Just(101)]),
    )
        .prop_map(|((account, region, image), page_number, page_size)| {
            let describe = DescribeImageSharePermission {
                region_id: Some(region),
                image_id: Some(image),
                page_number,
                page_size,
                ..DescribeImageSharePermission::default()
            };
            Step::new(account, describe)
        })
        .boxed()
}

/// `ResourceType`: mostly `image`, in any case, now and then another or
/// none.
fn resource_type() -> impl Strategy<Value = Option<String>> {
    let types = prop_oneof![
        12 => Just("image"),
        1 => Just("Image"),
        1 => Just("instance"),
        1 => Just(""),
    ];
    prop::option::weighted(0.97, types.prop_map(str::to_owned))
}

/// The located image, mostly alone, now and then with another of the run
/// or none at all.
fn resources(state: &ReferenceState, located: Located) -> BoxedStrategy<ResourcesOf> {
    (
        located,
        prop::option::weighted(0.15, image(state)),
        prop::bool::weighted(0.05),
    )
        .prop_map(|((account, region, image), other, none)| {
            let images = match none {
                true => Vec::new(),
                false => [image].into_iter().chain(other).collect(),
            };
            (account, region, images)
        })
        .boxed()
}

/// A caller, a region and images.
type ResourcesOf = (String, String, Vec<ImageRef>);

/// Tags to set: mostly one or two, now and then eleven distinct ones (two
/// such calls pass an image's quota of 20), twenty-one (over a call's), a
/// key twice, or a malformed key or value.
fn tags() -> impl Strategy<Value = Vec<Tag>> {
    let tag = prop_oneof![
        6 => select(&["team", "env", "owner"][..]).prop_map(|key| Tag::new(key, "web")),
        1 => Just(Tag::new("aliyun-reserved", "x")),
        1 => Just(Tag::new("k", "http://not.allowed")),
    ];
    let eleven = (0..2usize).prop_map(|batch| {
        let keys = (0..11).map(move |k| Tag::new(format!("k{}", batch * 11 + k), "v"));
        keys.collect()
    });
    let too_many = (0..21).map(|k| Tag::new(format!("k{k}"), "v")).collect();
    prop_oneof![
        6 => prop::collection::vec(tag, 1..3),
        4 => eleven,
        1 => Just(too_many),
        1 => Just(Vec::new()),
    ]
}

fn tag(state: &ReferenceState, located: Located) -> BoxedStrategy<Step> {
    (resources(state, located), resource_type(), tags())
        .prop_map(|((account, region, images), resource_type, tags)| {
            let tag = TagResources {
                region_id: Some(region),
                resource_type,
                resource_id: images,
                tags,
                ..TagResources::default()
            };
            Step::new(account, tag)
        })
        .boxed()
}

fn untag(state: &ReferenceState, located: Located) -> BoxedStrategy<Step> {
    let keys = prop::collection::vec(select(&["team", "env", "k0", "k11"][..]), 0..3);
    (
        resources(state, located),
        resource_type(),
        keys,
        any::<bool>(),
    )
        .prop_map(|((account, region, images), resource_type, keys, all)| {
            let untag = UntagResources {
                region_id: Some(region),
                resource_type,
                resource_id: images,
                tag_key: keys.into_iter().map(str::to_owned).collect(),
                all,
                ..UntagResources::default()
            };
            Step::new(account, untag)
        })
        .boxed()
}

/// `NextToken`s are each system's own, so generated ones are never valid
/// ones: absent mostly, else not a token any system gave.
const NEXT_TOKENS: &[&str] = &["not-a-token", "", "0"];

fn list_tags(state: &ReferenceState, places: &Places) -> BoxedStrategy<Step> {
    let filters = prop::collection::vec(
        select(vec![
            Tag::new("team", "web"),
            Tag::new("team", ""),
            Tag::new("env", "x"),
        ]),
        0..2,
    );
    let located = places.locate(image(state));
    (
        resources(state, located),
        resource_type(),
        prop::bool::weighted(0.4),
        filters,
        prop::option::weighted(0.15, select(NEXT_TOKENS)),
    )
        .prop_map(
            |((account, region, images), resource_type, all, tags, token)| {
                let list = ListTagResources {
                    region_id: Some(region),
                    resource_type,
                    resource_id: if all { Vec::new() } else { images },
                    tags,
                    next_token: token.map(str::to_owned),
                    ..ListTagResources::default()
                };
                Step::new(account, list)
            },
        )
        .boxed()
}

fn describe_regions(accounts: &'static [&'static str]) -> BoxedStrategy<Step> {
    let language = select(&["zh-CN", "en-US", "ja", "fr"][..]);
    (account(accounts), prop::option::weighted(0.5, language))
        .prop_map(|(account, language)| {
            let describe = DescribeRegions {
                accept_language: language.map(str::to_owned),
                ..DescribeRegions::default()
            };
            Step::new(account, describe)
        })
        .boxed()
}

/// Snapshot IDs that name no snapshot: an empty one, one of the wrong
/// form, and a well-formed one that was never issued. A system's own
/// snapshot IDs are its own, as its image IDs are; see
/// [`Setup::issues_reference_ids`](super::Setup::issues_reference_ids).
const STRANGE_SNAPSHOTS: &[&str] = &["", "s-snapshotid1", "s-0000000000000000000a"];

fn delete_snapshot(accounts: &'static [&'static str]) -> BoxedStrategy<Step> {
    let snapshot = prop::option::weighted(0.9, select(STRANGE_SNAPSHOTS));
    (account(accounts), snapshot)
        .prop_map(|(account, snapshot)| snapshot_step(account, snapshot.map(str::to_owned)))
        .boxed()
}

fn snapshot_step(account: String, snapshot: Option<String>) -> Step {
    let delete = DeleteSnapshot {
        snapshot_id: snapshot,
        ..DeleteSnapshot::default()
    };
    Step::new(account, delete)
}

/// DeleteSnapshot of the system disk snapshot of an image the run issued,
/// by the ID the reference gives it: mostly by its owner while the image
/// lives. Only for systems that issue the reference's IDs.
pub(crate) fn own_snapshot(
    state: &ReferenceState,
    accounts: &'static [&'static str],
) -> BoxedStrategy<Step> {
    let snapshots: Vec<(String, Option<String>)> = (0..state.ids.len())
        .filter_map(|n| {
            let id: ImageId = state.ids.resolve(&ImageRef::Issued(n)).parse().ok()?;
            let owner = state.world.image(id).map(|view| view.owner().to_owned());
            Some((id.snapshot().to_string(), owner))
        })
        .collect();
    if snapshots.is_empty() {
        return delete_snapshot(accounts);
    }
    (
        select(snapshots),
        prop::bool::weighted(0.8),
        account(accounts),
    )
        .prop_map(|((snapshot, owner), own, other)| {
            let caller = owner.filter(|_| own).unwrap_or(other);
            snapshot_step(caller, Some(snapshot))
        })
        .boxed()
}

/// A whole world, as a run of up to `steps` generated steps leaves it from
/// an empty world of the setup `S`, with the images it issued.
///
/// ```
/// use ecs_image_copy::testing::{SmallWorld, world};
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
///
/// let mut runner = TestRunner::deterministic();
/// let state = world::<SmallWorld>(20).new_tree(&mut runner).unwrap().current();
/// // Every image in the world was issued by a step; cancelled ones are gone.
/// assert!(state.world.image_count() <= state.ids.len());
/// ```
pub fn world<S: super::Setup>(steps: usize) -> impl Strategy<Value = ReferenceState> {
    use proptest_state_machine::ReferenceStateMachine;
    super::WorldMachine::<S>::sequential_strategy(0..=steps)
        .prop_map(|(start, steps, _)| steps.iter().fold(start, super::WorldMachine::<S>::apply))
}
