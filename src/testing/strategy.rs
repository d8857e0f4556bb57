//! Strategies for the model's values, requests and whole runs.

use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::{LazyJust, Union};

use super::reference::{ReferenceState, visible_step};
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

/// Image names that keep the rules: the shortest (2 characters) and the
/// longest (128) among them, and one thrice, so that names collide.
const GOOD_NAMES: &[&str] = &[
    "web",
    "db-2",
    "web",
    "cache",
    "web",
    "api.v1",
    "ab",
    LONGEST_NAME,
];
/// Image names that break a rule each: empty (missing), a digit first,
/// too short, reserved prefixes, a space, one character too long.
const BAD_NAMES: &[&str] = &[
    "",
    "1-digit-first",
    "a",
    "acs:reserved",
    "aliyun-x",
    "has space",
    TOO_LONG_NAME,
];
const LONGEST_NAME: &str = "n2345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678";
const TOO_LONG_NAME: &str = "n23456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789";

/// A name: mostly one that keeps the rules, so that runs have images.
fn name() -> impl Strategy<Value = &'static str> {
    prop_oneof![3 => select(GOOD_NAMES), 1 => select(BAD_NAMES)]
}

/// Descriptions that keep and that break the rules: 2 and 128 characters
/// keep them, 1 and 257 and a link break them; empty is absent.
const DESCRIPTIONS: &[&str] = &[
    "nightly",
    "x",
    "http://not.allowed",
    "ab",
    "",
    LONGEST_NAME,
    TOO_LONG_DESCRIPTION,
];
const TOO_LONG_DESCRIPTION: &str = "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd";
/// Client tokens: reused ones, one that is not ASCII, the longest (64)
/// and one character longer.
const TOKENS: &[&str] = &[
    "token-1",
    "token-2",
    "token-1",
    "tökén",
    "t234567890123456789012345678901234567890123456789012345678901234",
    "t2345678901234567890123456789012345678901234567890123456789012345",
];

/// CopyImage's optional parameters, mostly valid, each constraint broken
/// now and then: names, descriptions, `KMSKeyId` without `Encrypted`,
/// tokens, tags. `RegionId` and `ImageId` are left for the caller.
pub fn copy_image(regions: &'static [&'static str]) -> impl Strategy<Value = CopyImage<ImageRef>> {
    let tag = prop_oneof![
        10 => Just(Tag::new("team", "web")),
        1 => Just(Tag::new("aliyun-reserved", "x")),
        1 => LazyJust::new(|| Tag::new("k", "v".repeat(129))),
    ];
    let tags = prop_oneof![
        12 => prop::collection::vec(tag, 0..2),
        1 => LazyJust::new(|| numbered_tags(0, 20)),
        1 => LazyJust::new(|| numbered_tags(0, 21)),
    ];
    (
        prop::option::weighted(0.25, select(regions)),
        prop::option::weighted(0.3, name()),
        prop::option::weighted(0.1, select(DESCRIPTIONS)),
        (
            prop::bool::weighted(0.1),
            prop::option::weighted(0.05, Just("key-1")),
        ),
        prop::option::weighted(0.4, select(TOKENS)),
        prop::bool::weighted(0.05),
        tags,
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
            2 => stranger,
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
    // The latest often, so that copies of one account and region wait
    // for its slots.
    match copyable.last().copied() {
        None => image(state),
        Some(latest) => prop_oneof![
            3 => Just(ImageRef::Issued(latest)),
            3 => select(copyable).prop_map(ImageRef::Issued),
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

    /// The owner and region with the most images alive, if any.
    fn busiest(&self) -> Option<(String, String)> {
        let mut counts: Vec<(&(String, String), usize)> = Vec::new();
        for home in self.homes.iter().flatten() {
            match counts.iter_mut().find(|(h, _)| *h == home) {
                Some((_, count)) => *count += 1,
                None => counts.push((home, 1)),
            }
        }
        let (home, _) = counts.into_iter().max_by_key(|(_, count)| *count)?;
        Some((home.1.clone(), home.0.clone()))
    }

    /// One of the setup's regions, the last (which does not exist) a
    /// fourth as often as each real one, and now and then an empty one
    /// (missing).
    fn region(&self) -> BoxedStrategy<String> {
        let regions = self.regions;
        let real = regions.len().saturating_sub(1);
        let region = (0..=real * 4).prop_map(move |k| {
            let at = (k / 4).min(real);
            regions.get(at).copied().unwrap_or_default().to_owned()
        });
        prop_oneof![
            15 => region,
            1 => Just(String::new()),
        ]
        .boxed()
    }

    fn locate(&self, image: BoxedStrategy<ImageRef>) -> Located {
        let homes = self.homes.clone();
        let located = (
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
            .boxed();
        // Now and then the owner names its own image without a region, or
        // in the region that does not exist.
        let nowhere = self.regions.last().copied().unwrap_or_default();
        (located, 0..20u8)
            .prop_map(move |((account, region, image), roll)| match roll {
                0 => (account, String::new(), image),
                1 => (account, nowhere.to_owned(), image),
                _ => (account, region, image),
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
    let groups = kinds(state);
    let mut steps = copy_steps(state, &groups, &places);
    let lifecycle = lifecycle_steps(state, &groups, &places);
    // Until there are images, steps on images only reach their first
    // checks: make images first.
    let images_weigh = match state.ids.is_empty() {
        true => 0,
        false => 1,
    };
    let lifecycle = lifecycle
        .into_iter()
        .map(|(weight, step)| ((weight * images_weigh).max(1), step));
    steps.extend(lifecycle);
    steps.extend(chain_steps(state, &groups, &places));
    Union::new_weighted(steps).boxed()
}

/// The steps that end a chain toward a rare rule, while the world holds
/// its start, each by the image's owner in its region: each event of the
/// phase table put to a copy in the phases where the table's rows are rare
/// (queued, finalizing, completed; copying and not cancellable, cancelled);
/// a queued copy made not cancellable; a shared image unshared, deprecated
/// or deleted; an image renamed, or a new one named, as an image of its
/// owner in its region is; a tagged image given twenty tags more; a page
/// of one or two where an account has several images. Without them, these
/// take three or four generated steps in a row on one image, and some
/// seeds reach them too seldom.
fn chain_steps(
    state: &ReferenceState,
    groups: &[(Kind, Vec<usize>)],
    places: &Places,
) -> Vec<(u32, BoxedStrategy<Step>)> {
    let of = |wanted: &dyn Fn(Kind) -> bool| -> Vec<usize> {
        let chosen = groups.iter().filter(|(kind, _)| wanted(*kind));
        chosen
            .flat_map(|(_, group)| group.iter().copied())
            .collect()
    };
    let phase = |phase: CopyPhase| of(&move |kind| matches!(kind, Kind::Copy(p, _) if p == phase));
    let at_home = AtHome(places.homes.clone());
    let mut steps = Vec::new();
    for (copies, weight) in [
        (phase(CopyPhase::Queued), 2),
        (phase(CopyPhase::Finalizing), 4),
        (phase(CopyPhase::Completed), 2),
    ] {
        if !copies.is_empty() {
            steps.extend(events(&at_home, &copies, weight));
        }
    }
    if let Some(queue) = queue(state) {
        steps.push((3, queue));
    }
    let queued = phase(CopyPhase::Queued);
    if !queued.is_empty() {
        steps.push((
            3,
            at_home.step(&queued, |region_id, image_id| MockSetCancellable {
                region_id,
                image_id,
                cancellable: Some(false),
                ..MockSetCancellable::default()
            }),
        ));
    }
    for (stuck, weight) in [
        (of(&|kind| kind == Kind::Copy(CopyPhase::Queued, false)), 6),
        (of(&|kind| kind == Kind::Copy(CopyPhase::Copying, false)), 4),
    ] {
        if !stuck.is_empty() {
            steps.push((weight, at_home.step(&stuck, cancel_at)));
        }
    }
    // Finalizing copies live until the next tick: make them.
    let copying = phase(CopyPhase::Copying);
    if !copying.is_empty() {
        steps.push((
            1,
            at_home.step(&copying, |region_id, image_id| MockSetCancellable {
                region_id,
                image_id,
                cancellable: Some(false),
                ..MockSetCancellable::default()
            }),
        ));
        steps.push((
            3,
            at_home.step(&copying, |region_id, image_id| MockSetCopyProgress {
                region_id,
                image_id,
                progress: Some("100".to_owned()),
                ..MockSetCopyProgress::default()
            }),
        ));
    }
    let shared = shared(state, places);
    if !shared.is_empty() {
        let images: Vec<usize> = shared.iter().map(|(n, _)| *n).collect();
        steps.push((
            2,
            at_home.step(&images, |region_id, image_id| ModifyImageAttribute {
                region_id,
                image_id,
                status: Some("Deprecated".to_owned()),
                ..ModifyImageAttribute::default()
            }),
        ));
        steps.push((
            1,
            at_home.step(&images, |region_id, image_id| DeleteImage {
                region_id,
                image_id,
                ..DeleteImage::default()
            }),
        ));
        steps.push((2, unshare(&at_home, shared)));
    }
    steps.extend(same_names(state));
    let tagged = tagged(state);
    if !tagged.is_empty() {
        steps.push((
            2,
            at_home.step(&tagged, |region_id, image_id| TagResources {
                region_id,
                resource_type: Some("image".to_owned()),
                resource_id: image_id.into_iter().collect(),
                tags: numbered_tags(0, 20),
                ..TagResources::default()
            }),
        ));
    }
    if let Some(page) = small_page(places) {
        steps.push((2, page));
    }
    steps
}

/// A copy that waits: CopyImage of an available image of an account that
/// runs a copy, into the running copy's region, by that account.
fn queue(state: &ReferenceState) -> Option<BoxedStrategy<Step>> {
    let mut running = Vec::new();
    let mut available = Vec::new();
    for n in 0..state.ids.len() {
        let Some(view) = issued_view(state, n) else {
            continue;
        };
        let (region, owner) = (view.region().to_owned(), view.owner().to_owned());
        match view.copy_task().map(|task| task.phase()) {
            Some(CopyPhase::Copying | CopyPhase::Finalizing) => running.push((owner, region)),
            _ if view.status() == crate::task::ImageStatus::Available => {
                available.push((n, owner, region));
            }
            _ => {}
        }
    }
    let pairs: Vec<(String, String, usize, String)> = (running.iter())
        .flat_map(|(owner, into)| {
            let own = available.iter().filter(move |(_, o, _)| o == owner);
            own.map(move |(n, _, from)| (owner.clone(), from.clone(), *n, into.clone()))
        })
        .collect();
    if pairs.is_empty() {
        return None;
    }
    let copy = select(pairs).prop_map(|(owner, from, n, into)| {
        let copy = CopyImage {
            region_id: Some(from),
            image_id: Some(ImageRef::Issued(n)),
            destination_region_id: Some(into),
            ..CopyImage::default()
        };
        Step::new(owner, copy)
    });
    Some(copy.boxed())
}

fn cancel_at(region_id: Option<String>, image_id: Option<ImageRef>) -> CancelCopyImage<ImageRef> {
    CancelCopyImage {
        region_id,
        image_id,
        ..CancelCopyImage::default()
    }
}

/// Each event of the phase table put to one of `copies`: progress (a
/// valid percentage, 99 and 100 often), complete, fail, cancel.
fn events(at_home: &AtHome, copies: &[usize], weight: u32) -> Vec<(u32, BoxedStrategy<Step>)> {
    let progress = at_home.step(copies, |region_id, image_id| MockSetCopyProgress {
        region_id,
        image_id,
        ..MockSetCopyProgress::default()
    });
    let percent = select(&["0", "40", "99", "100"][..]);
    let progress = (progress, percent).prop_map(|(mut step, percent)| {
        if let crate::service::Request::MockSetCopyProgress(set) = &mut step.request {
            set.progress = Some(percent.to_owned());
        }
        step
    });
    vec![
        (weight, progress.boxed()),
        (
            weight,
            at_home.step(copies, |region_id, image_id| MockCompleteCopy {
                region_id,
                image_id,
                ..MockCompleteCopy::default()
            }),
        ),
        (
            weight,
            at_home.step(copies, |region_id, image_id| MockFailCopy {
                region_id,
                image_id,
                ..MockFailCopy::default()
            }),
        ),
        (weight, at_home.step(copies, cancel_at)),
    ]
}

/// An image renamed to the name of another image of its owner in its
/// region, and an image created there with that name: both taken.
fn same_names(state: &ReferenceState) -> Vec<(u32, BoxedStrategy<Step>)> {
    let named: Vec<(usize, String, String, String)> = (0..state.ids.len())
        .filter_map(|n| {
            let view = issued_view(state, n)?;
            let (region, owner) = (view.region().to_owned(), view.owner().to_owned());
            Some((n, region, owner, view.name().to_owned()))
        })
        .collect();
    if named.is_empty() {
        return Vec::new();
    }
    let create = select(named.clone()).prop_map(|(_, region, owner, name)| {
        let create = MockCreateImage {
            region_id: Some(region),
            image_name: Some(name),
            ..MockCreateImage::default()
        };
        Step::new(owner, create)
    });
    let pairs: Vec<(usize, String, String, String)> = (named.iter())
        .flat_map(|(n, region, owner, _)| {
            let siblings = named
                .iter()
                .filter(move |(m, r, o, _)| m != n && r == region && o == owner);
            siblings.map(move |(_, _, _, name)| (*n, region.clone(), owner.clone(), name.clone()))
        })
        .collect();
    let mut steps = vec![(1, create.boxed())];
    if !pairs.is_empty() {
        let rename = select(pairs).prop_map(|(n, region, owner, name)| {
            let modify = ModifyImageAttribute {
                region_id: Some(region),
                image_id: Some(ImageRef::Issued(n)),
                image_name: Some(name),
                ..ModifyImageAttribute::default()
            };
            Step::new(owner, modify)
        });
        steps.push((2, rename.boxed()));
    }
    steps
}

/// The images of the run at home: each named by its owner in its region.
struct AtHome(Vec<Option<(String, String)>>);

impl AtHome {
    /// `make(region, image)` for one of `images` (alive, so at home), by
    /// its owner.
    fn step<R: Into<crate::service::Request<ImageRef>>>(
        &self,
        images: &[usize],
        make: impl Fn(Option<String>, Option<ImageRef>) -> R + 'static,
    ) -> BoxedStrategy<Step> {
        let homed: Vec<(usize, String, String)> = (images.iter())
            .filter_map(|&n| {
                let (region, owner) = self.0.get(n)?.clone()?;
                Some((n, region, owner))
            })
            .collect();
        select(homed)
            .prop_map(move |(n, region, owner)| {
                Step::new(owner, make(Some(region), Some(ImageRef::Issued(n))))
            })
            .boxed()
    }
}

/// The images of the run shared with someone, and with whom.
fn shared(state: &ReferenceState, places: &Places) -> Vec<(usize, Vec<String>)> {
    let shares = |n: usize| {
        let (region, owner) = places.homes.get(n)?.clone()?;
        let request = DescribeImageSharePermission {
            region_id: Some(region),
            image_id: Some(state.ids.resolve(&ImageRef::Issued(n))),
            page_size: Some(100),
            ..DescribeImageSharePermission::default()
        };
        let page = state
            .world
            .describe_image_share_permission(&owner, &request)
            .ok()?;
        let accounts: Vec<String> = page.accounts.iter().map(|(a, _)| (*a).to_owned()).collect();
        (!accounts.is_empty()).then_some((n, accounts))
    };
    (0..state.ids.len()).filter_map(shares).collect()
}

/// The images of the run with a tag.
fn tagged(state: &ReferenceState) -> Vec<usize> {
    let has_tags =
        |n: &usize| issued_view(state, *n).is_some_and(|view| view.tags().next().is_some());
    (0..state.ids.len()).filter(has_tags).collect()
}

/// ModifyImageSharePermission removing one account a shared image is
/// shared with, by its owner.
fn unshare(at_home: &AtHome, shared: Vec<(usize, Vec<String>)>) -> BoxedStrategy<Step> {
    let images: Vec<usize> = shared.iter().map(|(n, _)| *n).collect();
    let removal = at_home.step(&images, |region_id, image_id| ModifyImageSharePermission {
        region_id,
        image_id,
        ..ModifyImageSharePermission::default()
    });
    (removal, any::<prop::sample::Index>())
        .prop_map(move |(mut step, pick)| {
            if let crate::service::Request::ModifyImageSharePermission(share) = &mut step.request {
                let n = share.image_id.as_ref().and_then(|image| match image {
                    ImageRef::Issued(n) => Some(*n),
                    ImageRef::Literal(_) => None,
                });
                let accounts = shared.iter().find(|(m, _)| Some(*m) == n).map(|(_, a)| a);
                if let Some(accounts) = accounts.filter(|a| !a.is_empty()) {
                    share.remove_account = vec![accounts[pick.index(accounts.len())].clone()];
                }
            }
            step
        })
        .boxed()
}

/// DescribeImages of every status, one or two a page, where an account
/// has the most images, if it has two or more.
fn small_page(places: &Places) -> Option<BoxedStrategy<Step>> {
    let (account, region) = places.busiest()?;
    let count = (places.homes.iter().flatten())
        .filter(|(r, a)| *r == region && *a == account)
        .count();
    if count < 2 {
        return None;
    }
    let page = (
        select(&[1u32, 1, 2][..]),
        prop::option::weighted(0.3, 1..=3u32),
    )
        .prop_map(move |(size, number)| {
            let mut describe = visible_step::<ImageRef>(&account, &region);
            if let crate::service::Request::DescribeImages(d) = &mut describe.request {
                d.page_size = Some(size);
                d.page_number = number;
            }
            describe
        });
    Some(page.boxed())
}

/// What an image of the run is now: a copy in a phase, cancellable or
/// not, or another image in a status.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    Copy(CopyPhase, bool),
    Image(crate::task::ImageStatus),
}

/// The images alive in the reference, grouped by [`Kind`], each group in
/// issue order.
fn kinds(state: &ReferenceState) -> Vec<(Kind, Vec<usize>)> {
    let mut groups: Vec<(Kind, Vec<usize>)> = Vec::new();
    for n in 0..state.ids.len() {
        let Some(view) = issued_view(state, n) else {
            continue;
        };
        let kind = match view.copy_task() {
            Some(task) => Kind::Copy(task.phase(), task.is_cancellable()),
            None => Kind::Image(view.status()),
        };
        match groups.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, group)) => group.push(n),
            None => groups.push((kind, vec![n])),
        }
    }
    groups
}

/// The groups, each as many times as `weight` says.
fn weighted(groups: &[(Kind, Vec<usize>)], weight: impl Fn(Kind) -> usize) -> Vec<Vec<usize>> {
    let repeated = groups
        .iter()
        .flat_map(|(kind, group)| vec![group.clone(); weight(*kind)]);
    repeated.collect()
}

/// An image for the actions around a copy: mostly one of each kind as
/// likely as another, `Deprecated` images (which may not be shared) and
/// failed copies (which may not be deprecated) more; else any image.
fn target(state: &ReferenceState, groups: &[(Kind, Vec<usize>)], places: &Places) -> Located {
    let weight = |kind| match kind {
        Kind::Image(crate::task::ImageStatus::Deprecated) => 4,
        Kind::Copy(CopyPhase::Failed, _) => 3,
        Kind::Image(_) => 2,
        Kind::Copy(..) => 1,
    };
    of_kinds(weighted(groups, weight), state, places)
}

/// A copy to act on, mostly: each phase present as likely as another, so
/// that a finalizing copy that is not cancellable is cancelled about as
/// often as a running one. Queued and finalizing copies are few and
/// short-lived: they come five times as often, and copies that are not
/// cancellable (which take a control step first), failed and completed
/// ones twice.
fn copy_target(state: &ReferenceState, groups: &[(Kind, Vec<usize>)], places: &Places) -> Located {
    let weight = |kind| match kind {
        Kind::Copy(CopyPhase::Queued, false) => 10,
        Kind::Copy(CopyPhase::Queued | CopyPhase::Finalizing, _) => 5,
        Kind::Copy(_, false) | Kind::Copy(CopyPhase::Failed | CopyPhase::Completed, _) => 2,
        Kind::Copy(..) => 1,
        Kind::Image(_) => 0,
    };
    of_kinds(weighted(groups, weight), state, places)
}

/// One of `groups` mostly, each group as likely as another; else any image.
fn of_kinds(groups: Vec<Vec<usize>>, state: &ReferenceState, places: &Places) -> Located {
    if groups.is_empty() {
        return places.locate(image(state));
    }
    // Now and then the latest image of the biggest group, so that chains
    // (set not cancellable, then cancel) happen to one image.
    let latest = groups
        .iter()
        .max_by_key(|group| group.len())
        .and_then(|g| g.last())
        .copied();
    let latest = latest.map_or(ImageRef::Issued(0), ImageRef::Issued);
    let copy = (0..groups.len(), any::<prop::sample::Index>())
        .prop_map(move |(group, n)| ImageRef::Issued(groups[group][n.index(groups[group].len())]));
    prop_oneof![
        6 => places.locate(copy.boxed()),
        1 => places.locate(Just(latest).boxed()),
        2 => places.locate(image(state)),
    ]
    .boxed()
}

/// `Progress` texts: mostly a percentage, and each boundary: 0, 99, 100
/// (finalizing), 101, a `%`, empty (missing), not a number, absent.
fn progress_text() -> impl Strategy<Value = Option<String>> {
    let boundary = select(&["0", "99", "100", "100", "101", "40%", "", "abc"][..]);
    let text = prop_oneof![
        2 => percent().prop_map(|p| p.get().to_string()),
        2 => boundary.prop_map(str::to_owned),
    ];
    prop::option::weighted(0.93, text)
}

/// `Step` texts: mostly a few percent, and each boundary: absent (the
/// default), 0 (nothing moves but finalizing copies), 100, 101, empty,
/// not a number.
fn advance_step() -> impl Strategy<Value = Option<String>> {
    let boundary = select(&["0", "0", "100", "101", "", "x"][..]);
    prop_oneof![
        2 => Just(None),
        4 => (1..=60u8).prop_map(|step| Some(step.to_string())),
        3 => boundary.prop_map(|step| Some(step.to_owned())),
    ]
}

/// The steps of the copy actions and the mock control actions: copies
/// often, from images that can be copied, so that an account's slots fill
/// and copies wait; control steps mostly on copies, in every phase.
fn copy_steps(
    state: &ReferenceState,
    groups: &[(Kind, Vec<usize>)],
    places: &Places,
) -> Vec<(u32, BoxedStrategy<Step>)> {
    let (accounts, regions) = (places.accounts, places.regions);
    let located = copy_target(state, groups, places);
    let create =
        (account(accounts), places.region(), name()).prop_map(|(account, region, name)| {
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
    // The same call twice is a retry: the same source, token and nothing
    // else, so that a retry answers the first copy.
    let retry = places
        .locate(source(state))
        .prop_map(|(account, region, source)| {
            let copy = CopyImage {
                region_id: Some(region),
                image_id: Some(source),
                client_token: Some("retry".to_owned()),
                ..CopyImage::default()
            };
            Step::new(account, copy)
        });
    let cancel = located.clone().prop_map(|(account, region, image)| {
        let cancel = CancelCopyImage {
            region_id: Some(region),
            image_id: Some(image),
            ..CancelCopyImage::default()
        };
        Step::new(account, cancel)
    });
    let progress =
        (located.clone(), progress_text()).prop_map(|((account, region, image), progress)| {
            let progress = MockSetCopyProgress {
                region_id: Some(region),
                image_id: Some(image),
                progress,
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
    let cancellable = prop_oneof![3 => Just(Some(false)), 2 => Just(Some(true)), 1 => Just(None)];
    let cancellable = (located, cancellable).prop_map(|((account, region, image), cancellable)| {
        let set = MockSetCancellable {
            region_id: Some(region),
            image_id: Some(image),
            cancellable,
            ..MockSetCancellable::default()
        };
        Step::new(account, set)
    });
    // A tick moves every account's copies, whoever asks: the first account.
    let ticker = accounts.first().copied().unwrap_or_default();
    let advance = advance_step().prop_map(move |step| {
        let tick = MockAdvanceCopies {
            step,
            ..MockAdvanceCopies::default()
        };
        Step::new(ticker, tick)
    });
    // Weights by what the world has: images to copy first, then copies to
    // act on.
    let has_copies = groups
        .iter()
        .any(|(kind, _)| matches!(kind, Kind::Copy(..)));
    // While a copy waits or finalizes, act on copies four times as often:
    // those phases are short.
    let deep = (groups.iter()).any(|(kind, _)| {
        matches!(
            kind,
            Kind::Copy(CopyPhase::Queued | CopyPhase::Finalizing, _)
        )
    });
    let boost = if deep { 4 } else { 1 };
    // A queued copy that is not cancellable lives a few steps: cancel it
    // then, thrice as often again.
    let stuck = (groups.iter()).any(|(kind, _)| *kind == Kind::Copy(CopyPhase::Queued, false));
    let cancel_weight = if stuck { 15 } else { 5 };
    let (create_weight, copy_weight) = match (state.ids.len(), has_copies) {
        (0, _) => (12, 1),
        (_, false) => (3, 10),
        (1..8, true) => (2, 9),
        (_, true) => (1, 9),
    };
    let on_copies = |weight: u32| match has_copies {
        true => weight * boost,
        false => 1,
    };
    vec![
        (create_weight, create.boxed()),
        (copy_weight, copy.boxed()),
        (if has_copies { 2 } else { 1 }, retry.boxed()),
        (on_copies(cancel_weight), cancel.boxed()),
        (4, describe_images(state, places)),
        (on_copies(4), progress.boxed()),
        (on_copies(2), complete.boxed()),
        (on_copies(4), fail.boxed()),
        (on_copies(4), cancellable.boxed()),
        // Ticks end finalizing copies: fewer while there are some.
        (if has_copies && !deep { 2 } else { 1 }, advance.boxed()),
    ]
}

/// DescribeImages: every parameter absent now and then (`Status` absent is
/// the default filter, `Available` only), and each at its boundaries:
/// `PageSize` 0, 1, 2, 100, 101, `PageNumber` 0 to 3, 100 and 101 IDs.
fn describe_images(state: &ReferenceState, places: &Places) -> BoxedStrategy<Step> {
    let ids = prop_oneof![
        6 => image(state),
        1 => LazyJust::new(|| ImageRef::Literal(many_ids(100))),
        1 => LazyJust::new(|| ImageRef::Literal(many_ids(101))),
    ];
    let filters = (
        prop::option::weighted(0.2, ids),
        prop::option::weighted(0.5, select(DESCRIBED_STATUSES)),
        prop::option::weighted(0.1, select(&GOOD_NAMES[..2])),
        prop::option::weighted(0.1, select(&["self", "system", "others", "bogus"][..])),
        prop::option::weighted(0.2, 0..=3u32),
        prop::option::weighted(0.6, select(&[0u32, 1, 1, 2, 2, 100, 101][..])),
        prop::option::weighted(0.1, Just(Tag::new("team", "web"))),
    );
    // Mostly where the run's images are, by their owner: pages of several
    // images.
    let place = places
        .locate(image(state))
        .prop_map(|(account, region, _)| (account, region));
    let anywhere = (account(places.accounts), places.region());
    let busiest = places.busiest();
    let place = match busiest {
        Some(busiest) => prop_oneof![
            2 => Just(busiest),
            2 => place,
            1 => anywhere,
        ]
        .boxed(),
        None => prop_oneof![3 => place, 1 => anywhere].boxed(),
    };
    (place, filters)
        .prop_map(
            |((account, region), (image, status, name, alias, page, size, tags))| {
                let describe = DescribeImages {
                    region_id: Some(region),
                    image_id: image,
                    status: status.map(str::to_owned),
                    image_name: name.map(str::to_owned),
                    image_owner_alias: alias.map(str::to_owned),
                    page_number: page,
                    page_size: size,
                    tags: tags.into_iter().collect(),
                    ..DescribeImages::default()
                };
                Step::new(account, describe)
            },
        )
        .boxed()
}

/// `Status` filters of DescribeImages: lists, one that is no status, and
/// an empty one.
const DESCRIBED_STATUSES: &[&str] = &[
    "Creating,Waiting",
    "Available",
    "Bogus",
    "Waiting",
    "CreateFailed,UnAvailable",
    "Deprecated,Available",
    "",
];

/// `count` well-formed IDs of no image, comma-separated.
fn many_ids(count: usize) -> String {
    let ids = (0..count).map(|n| format!("m-{n:020}"));
    ids.collect::<Vec<_>>().join(",")
}

/// `count` tags `k<first>` to `k<first + count - 1>`, each `v`.
fn numbered_tags(first: usize, count: usize) -> Vec<Tag> {
    (first..first + count)
        .map(|k| Tag::new(format!("k{k}"), "v"))
        .collect()
}

/// The steps of the actions around a copy: deleting, modifying, sharing
/// and tagging images, regions and snapshots.
fn lifecycle_steps(
    state: &ReferenceState,
    groups: &[(Kind, Vec<usize>)],
    places: &Places,
) -> Vec<(u32, BoxedStrategy<Step>)> {
    let located = target(state, groups, places);
    // A `Deprecated` image is shared (refused) and a shared one deprecated
    // (refused) more often while there is one: each takes a step first.
    let deprecated =
        (groups.iter()).any(|(kind, _)| *kind == Kind::Image(crate::task::ImageStatus::Deprecated));
    let share_weight = if deprecated { 6 } else { 3 };
    vec![
        (2, delete_image(located.clone())),
        (5, modify_image_attribute(located.clone(), names(state))),
        (share_weight, share(located.clone(), places.accounts)),
        (2, describe_shares(located.clone())),
        (4, tag(state, located.clone())),
        (2, untag(state, located.clone())),
        (3, list_tags(state, located.clone())),
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

/// The names of the images alive in the reference, or a good name if
/// there is none.
fn names(state: &ReferenceState) -> Vec<String> {
    let name = |n| issued_view(state, n).map(|view| view.name().to_owned());
    let mut names: Vec<String> = (0..state.ids.len()).filter_map(name).collect();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        names.push(GOOD_NAMES[0].to_owned());
    }
    names
}

/// ModifyImageAttribute: a new name half the time, often one an image of
/// the run has (so that it may be the caller's in the region: taken).
fn modify_image_attribute(located: Located, names: Vec<String>) -> BoxedStrategy<Step> {
    let name = prop_oneof![
        1 => select(names),
        1 => name().prop_map(str::to_owned),
    ];
    (
        located,
        prop::option::weighted(0.5, name),
        prop::option::weighted(0.2, select(DESCRIPTIONS)),
        prop::option::weighted(0.8, select(STATUSES)),
        prop::bool::weighted(0.05),
    )
        .prop_map(
            |((account, region, image), name, description, status, dry_run)| {
                let owned = |text: Option<&str>| text.map(str::to_owned);
                let modify = ModifyImageAttribute {
                    region_id: Some(region),
                    image_id: Some(image),
                    image_name: name,
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
/// removing some half the time; both lists empty now and then, and now and
/// then `carol`, an account of no setup (which a closed list of accounts
/// refuses).
fn share(located: Located, accounts: &'static [&'static str]) -> BoxedStrategy<Step> {
    (
        located,
        pick(),
        prop::option::weighted(0.5, pick()),
        prop::option::weighted(0.1, any::<bool>()),
        prop::bool::weighted(0.1),
    )
        .prop_map(
            move |((account, region, image), add, remove, is_public, stranger)| {
                let remove =
                    remove.map_or_else(Vec::new, |remove| picked(accounts, remove, &account));
                let mut add = picked(accounts, add, &account);
                if stranger {
                    add.push("carol".to_owned());
                }
                let share = ModifyImageSharePermission {
                    region_id: Some(region),
                    image_id: Some(image),
                    add_account: add,
                    remove_account: remove,
                    is_public,
                    ..ModifyImageSharePermission::default()
                };
                Step::new(account, share)
            },
        )
        .boxed()
}

fn describe_shares(located: Located) -> BoxedStrategy<Step> {
    (
        located,
        prop::option::weighted(0.3, 0..3u32),
        prop::option::weighted(0.3, select(&[0u32, 1, 100, 101][..])),
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

/// The located image, mostly alone, now and then with another of the run,
/// none at all, or with IDs of no image up to 50 or 51 in all.
fn resources(state: &ReferenceState, located: Located) -> BoxedStrategy<ResourcesOf> {
    (
        located,
        prop::option::weighted(0.15, image(state)),
        select(
            &[
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                Some(0),
                Some(50),
                Some(51),
            ][..],
        ),
    )
        .prop_map(|((account, region, image), other, count)| {
            let images = match count {
                None => [image].into_iter().chain(other).collect(),
                // 50 are the most a call takes: the image and 49 of none.
                Some(count) => [image]
                    .into_iter()
                    .chain(strangers(count))
                    .take(count)
                    .collect(),
            };
            (account, region, images)
        })
        .boxed()
}

/// Well-formed IDs of no image, `count` of them.
fn strangers(count: usize) -> impl Iterator<Item = ImageRef> {
    (0..count).map(|n| ImageRef::Literal(format!("m-{n:020}")))
}

/// A caller, a region and images.
type ResourcesOf = (String, String, Vec<ImageRef>);

/// Tags to set: mostly one or two, now and then eleven distinct ones (two
/// such calls pass an image's quota of 20), twenty (a call's most; with
/// any other tag, over an image's), twenty-one (over a call's), a key
/// twice, or a malformed key or value.
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
    prop_oneof![
        6 => prop::collection::vec(tag, 1..4),
        4 => eleven,
        5 => LazyJust::new(|| numbered_tags(0, 20)),
        1 => LazyJust::new(|| numbered_tags(0, 21)),
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
    let some = prop::collection::vec(select(&["team", "env", "k0", "k11"][..]), 0..3)
        .prop_map(|keys| keys.into_iter().map(str::to_owned).collect::<Vec<_>>());
    let keys = prop_oneof![
        6 => some,
        1 => LazyJust::new(|| (0..21).map(|k| format!("k{k}")).collect()),
    ];
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
                tag_key: keys,
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

fn list_tags(state: &ReferenceState, located: Located) -> BoxedStrategy<Step> {
    let some = prop::collection::vec(
        select(vec![
            Tag::new("team", "web"),
            Tag::new("team", ""),
            Tag::new("env", "x"),
        ]),
        0..2,
    );
    let filters = prop_oneof![
        12 => some,
        1 => LazyJust::new(|| numbered_tags(0, 20)),
        1 => LazyJust::new(|| numbered_tags(0, 21)),
    ];
    (
        resources(state, located),
        resource_type(),
        prop::bool::weighted(0.3),
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
