//! Strategies for the model's values, requests and whole runs.

use proptest::prelude::*;
use proptest::sample::select;

use super::reference::ReferenceState;
use super::step::{ImageRef, Step};
use crate::service::{CancelCopyImage, CopyImage, DescribeImages, Tag};
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

/// The next step of a run from `state`: mostly calls that reach deep into
/// the model, illegal ones too.
pub fn step(
    state: &ReferenceState,
    accounts: &'static [&'static str],
    regions: &'static [&'static str],
) -> BoxedStrategy<Step> {
    let region = || select(regions).prop_map(str::to_owned);
    // An image, mostly with its owner as the caller and its own region, so
    // that runs reach deep; else any caller, any region.
    let homes = homes(state);
    let locate = move |image: BoxedStrategy<ImageRef>| {
        let homes = homes.clone();
        (
            image,
            prop::bool::weighted(0.85),
            account(accounts),
            region(),
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
    };
    let located = locate(image(state));
    let create =
        (account(accounts), region(), select(NAMES)).prop_map(|(account, region, name)| {
            let create = MockCreateImage {
                region_id: Some(region),
                image_name: Some(name.to_owned()),
                ..MockCreateImage::default()
            };
            Step::new(account, create)
        });
    let copy = (locate(source(state)), copy_image(regions)).prop_map(
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
        region(),
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
    prop_oneof![
        3 => create,
        6 => copy,
        5 => cancel,
        1 => describe,
        3 => progress,
        2 => complete,
        1 => fail,
        1 => cancellable,
        1 => advance,
    ]
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
