//! Properties of the image's whole life around a copy, over random runs of
//! every action (the testkit's own generated steps) from three accounts.
#![cfg(feature = "proptest")]

mod support;

use std::collections::{HashMap, HashSet};

use ecs_image_copy::testing::{
    ImageRef, ReferenceState, ReferenceStateMachine, Reply, Setup, SmallWorld, Step, WorldMachine,
};
use ecs_image_copy::{
    Config, CopyPhase, DeleteSnapshot, DescribeImageSharePermission, DescribeImages, EcsError,
    ImageId, Request, SnapshotId, World,
};
use proptest::prelude::*;

/// Three accounts, so that two still share images without the first; and
/// real snapshot IDs, as the world issues the reference's IDs.
struct Three;

impl Setup for Three {
    fn config() -> Config {
        SmallWorld::config()
    }

    fn accounts() -> &'static [&'static str] {
        &["alice", "bob", "carol"]
    }

    fn issues_reference_ids() -> bool {
        true
    }
}

const ALL_STATUSES: &str = "Creating,Waiting,Available,UnAvailable,CreateFailed,Deprecated";

/// A run: the empty world and the steps to apply to it.
type Run = (ReferenceState, Vec<Step>, Vec<Step>);

fn runs() -> impl Strategy<Value = Run> {
    WorldMachine::<Three>::sequential_strategy(1..60).prop_map(|(start, steps, _)| {
        let none = Vec::new();
        (start, steps, none)
    })
}

/// The world's ID of `image`, if it names one the run issued.
fn id_of(state: &ReferenceState, image: &ImageRef) -> Option<ImageId> {
    match image {
        ImageRef::Issued(_) => state.ids.resolve(image).parse().ok(),
        _ => None,
    }
}

/// Every image the run issued, in issue order, with its world ID.
fn issued(state: &ReferenceState) -> Vec<ImageId> {
    (0..state.ids.len())
        .filter_map(|n| id_of(state, &ImageRef::Issued(n)))
        .collect()
}

/// The images a step names (DeleteImage, CancelCopyImage: the one gone).
fn image_named<I: Clone>(request: &Request<I>) -> Option<I> {
    match request {
        Request::DeleteImage(r) => r.image_id.clone(),
        Request::CancelCopyImage(r) => r.image_id.clone(),
        Request::DescribeImageSharePermission(r) => r.image_id.clone(),
        _ => None,
    }
}

/// The images a reply shows the caller.
fn images_shown(reply: &Reply) -> Vec<ImageRef> {
    match reply {
        Reply::Image(image) => vec![image.clone()],
        Reply::Images { images, .. } => images.iter().map(|seen| seen.image.clone()).collect(),
        Reply::Tags { tags, .. } => tags.iter().map(|(image, ..)| image.clone()).collect(),
        _ => Vec::new(),
    }
}

/// Whether `owner`'s image `id` is shared with `account`, as its owner
/// learns from DescribeImageSharePermission.
fn is_granted(world: &World, id: ImageId, account: &str) -> bool {
    let Some(view) = world.image(id) else {
        return false;
    };
    let mut ask = DescribeImageSharePermission::default();
    ask.region_id = Some(view.region().to_owned());
    ask.image_id = Some(id.to_string());
    ask.page_size = Some(100);
    let page = world.describe_image_share_permission(view.owner(), &ask);
    page.is_ok_and(|page| page.accounts.iter().any(|(shared, _)| *shared == account))
}

fn phase(world: &World, id: ImageId) -> Option<CopyPhase> {
    world.image(id)?.copy_task().map(|task| task.phase())
}

proptest! {
    #![proptest_config(support::cases(48))]

    #[test]
    fn failed_calls_change_nothing((mut state, steps, _) in runs()) {
        for step in &steps {
            let before = format!("{:?}", state.world);
            let reply = state.perform(step);
            if let Reply::Error { .. } = reply {
                prop_assert_eq!(&format!("{:?}", state.world), &before, "failed {:?} changed the world", step);
            }
        }
    }

    #[test]
    fn deleted_and_cancelled_ids_are_never_reused_and_stay_invisible((mut state, steps, _) in runs()) {
        let mut gone = HashSet::new();
        for step in &steps {
            let named = image_named(&step.request).and_then(|image| id_of(&state, &image));
            let issued_before = issued(&state);
            let reply = state.perform(step);
            if let Reply::Image(image) = &reply {
                let id = id_of(&state, image).expect("an issued image");
                // A retry answers its first copy's ID, even once that copy
                // is gone (docs/semantics.md, `ClientToken`): not an issue.
                let retried = matches!(&step.request, Request::CopyImage(copy) if copy.client_token.is_some());
                prop_assert!(retried || !gone.contains(&id), "{} was issued again", id);
                prop_assert!(retried || !issued_before.contains(&id), "{} was issued twice", id);
            }
            let removes = matches!(step.request, Request::DeleteImage(_) | Request::CancelCopyImage(_));
            if let (true, Reply::Done, Some(id)) = (removes, &reply, named) {
                gone.insert(id);
            }
            for &id in &gone {
                prop_assert!(state.world.image(id).is_none(), "{} is back after {:?}", id, step);
                for account in Three::accounts() {
                    prop_assert_eq!(seen_by_id(&state.world, account, id), 0, "{} sees {}", account, id);
                }
            }
        }
    }

    #[test]
    fn every_image_lists_a_snapshot_that_exists((mut state, steps, _) in runs()) {
        for step in &steps {
            state.perform(step);
            for id in issued(&state) {
                let Some(view) = state.world.image(id) else { continue };
                let snapshot = view.snapshot();
                let owner = view.owner().to_owned();
                prop_assert_eq!(
                    delete_snapshot(&state.world, &owner, snapshot),
                    Err(EcsError::SnapshotInUse),
                    "{}'s {} after {:?}", owner, snapshot, step
                );
            }
        }
    }

    #[test]
    fn no_account_sees_an_image_it_neither_owns_nor_was_granted((mut state, steps, _) in runs()) {
        for step in &steps {
            let named = image_named(&step.request).and_then(|image| id_of(&state, &image));
            let issued_before = issued(&state);
            let reply = state.perform(step);
            let caller = step.account.as_str();
            for image in images_shown(&reply) {
                // A retry answers its first copy's ID, even once that copy
                // is gone (docs/semantics.md, `ClientToken`).
                let replayed = matches!(&step.request, Request::CopyImage(copy) if copy.client_token.is_some())
                    && id_of(&state, &image).is_some_and(|id| issued_before.contains(&id));
                if replayed {
                    continue;
                }
                let id = id_of(&state, &image);
                let view = id.and_then(|id| state.world.image(id));
                prop_assert!(view.is_some(), "{:?} shows {:?}, which is not an image", step, image);
                let (id, owner) = (id.unwrap(), view.unwrap().owner().to_owned());
                // A grantee sees the image, never its tags.
                let tags = matches!(reply, Reply::Tags { .. });
                let allowed = owner == caller || (!tags && is_granted(&state.world, id, caller));
                prop_assert!(allowed, "{} sees {}'s {} in {:?}", caller, owner, id, reply);
            }
            if let (Reply::Shares { .. }, Some(id)) = (&reply, named) {
                let owner = state.world.image(id).map(|view| view.owner().to_owned());
                prop_assert_eq!(owner.as_deref(), Some(caller), "{:?} answered {:?}", step, reply);
            }
        }
    }

    #[test]
    fn copies_run_at_most_the_limit_and_queue_first_in_first_out_per_account_and_region(
        (mut state, steps, _) in runs()
    ) {
        let mut phases = HashMap::new();
        for step in &steps {
            state.perform(step);
            check_slots(&state, &phases)?;
            phases = issued(&state).into_iter().filter_map(|id| Some((id, phase(&state.world, id)?))).collect();
        }
    }

    #[test]
    fn an_account_never_changes_what_another_sees((start, steps, _) in runs()) {
        isolation(start, &steps)?;
    }
}

fn seen_by_id(world: &World, account: &str, id: ImageId) -> usize {
    let region = world
        .config()
        .regions()
        .map(|(region, _)| region.to_owned());
    let describe = |region: String| {
        let mut describe = DescribeImages::new(region);
        describe.image_id = Some(id.to_string());
        describe.status = Some(ALL_STATUSES.to_owned());
        world
            .describe_images(account, &describe)
            .map_or(0, |page| page.total_count)
    };
    region.map(describe).sum()
}

/// DeleteSnapshot's answer, on a copy of the world.
fn delete_snapshot(world: &World, owner: &str, snapshot: SnapshotId) -> Result<(), EcsError> {
    let mut delete = DeleteSnapshot::default();
    delete.snapshot_id = Some(snapshot.to_string());
    world.clone().delete_snapshot(owner, &delete)
}

/// At most the limit of copies run per account and region; a copy waits
/// only when its account's slots there are full; and a copy that started
/// since `before` was older than every copy still waiting in its queue.
fn check_slots(
    state: &ReferenceState,
    before: &HashMap<ImageId, CopyPhase>,
) -> Result<(), TestCaseError> {
    let limit = |region: &str| {
        let limits = state.world.config().regions();
        limits
            .into_iter()
            .find(|(r, _)| *r == region)
            .map_or(0, |(_, l)| l.get() as usize)
    };
    let mut running = HashMap::<(String, String), usize>::new();
    let mut queued = HashMap::<(String, String), Vec<usize>>::new();
    let ids = issued(state);
    for (order, &id) in ids.iter().enumerate() {
        let Some(view) = state.world.image(id) else {
            continue;
        };
        let slots = (view.owner().to_owned(), view.region().to_owned());
        match phase(&state.world, id) {
            Some(CopyPhase::Copying | CopyPhase::Finalizing) => {
                *running.entry(slots).or_default() += 1
            }
            Some(CopyPhase::Queued) => queued.entry(slots).or_default().push(order),
            _ => {}
        }
    }
    for ((owner, region), count) in &running {
        prop_assert!(
            *count <= limit(region),
            "{} runs {} copies into {}",
            owner,
            count,
            region
        );
    }
    for (owner, region) in queued.keys() {
        let count = running
            .get(&(owner.clone(), region.clone()))
            .copied()
            .unwrap_or(0);
        prop_assert_eq!(
            count,
            limit(region),
            "{} queues into {} with a free slot",
            owner,
            region
        );
    }
    for (order, &id) in ids.iter().enumerate() {
        let started = before.get(&id) == Some(&CopyPhase::Queued)
            && matches!(
                phase(&state.world, id),
                Some(CopyPhase::Copying | CopyPhase::Finalizing)
            );
        let Some(view) = state.world.image(id).filter(|_| started) else {
            continue;
        };
        let slots = (view.owner().to_owned(), view.region().to_owned());
        let waiting = queued.get(&slots).map_or(&[][..], |w| &w[..]);
        prop_assert!(
            waiting.iter().all(|&w| w > order),
            "{} started before an older copy",
            id
        );
    }
    Ok(())
}

/// A well-formed ID that no world of these runs issues: what an image of
/// the left-out account is, to the others.
const NEVER: &str = "m-0000000000000000000a";

/// The first account's steps in one world, left out of another (its ticks,
/// which move every account's copies, kept), and every answer another
/// account gets compared, images named by their issue order among the
/// others'. The first account shares nothing, which would show its images.
fn isolation(start: ReferenceState, steps: &[Step]) -> Result<(), TestCaseError> {
    let first = Three::accounts()[0];
    let mut with = start.clone();
    let mut without = start;
    // Issue order in `with` to issue order in `without`; none for the
    // first account's images.
    let mut renamed: Vec<Option<usize>> = Vec::new();
    for step in steps {
        let tick = matches!(step.request, Request::MockAdvanceCopies(_));
        let theirs = step.account == first && !tick;
        if theirs && matches!(step.request, Request::ModifyImageSharePermission(_)) {
            continue;
        }
        let (had, others_had) = (with.ids.len(), without.ids.len());
        let answer = with.perform(step);
        if theirs {
            renamed.resize(with.ids.len(), None);
        } else {
            let other = without.perform(&translate(step, &renamed, &with, &without));
            if with.ids.len() > had {
                renamed.push((without.ids.len() > others_had).then(|| without.ids.len() - 1));
            }
            let answer = answer.map_images(|image| rename(image, &renamed));
            if !tick {
                prop_assert_eq!(
                    answer,
                    other,
                    "{:?} answered differently without {}",
                    step,
                    first
                );
            }
        }
        for account in &Three::accounts()[1..] {
            for region in Three::regions().iter().filter(|r| **r != "nowhere") {
                let seen = with
                    .visible(account, region)
                    .map_images(|image| rename(image, &renamed));
                let alone = without.visible(account, region);
                prop_assert_eq!(
                    seen,
                    alone,
                    "after {:?}, {} sees in {} what it would not without {}",
                    step,
                    account,
                    region,
                    first
                );
            }
        }
    }
    Ok(())
}

fn rename(image: ImageRef, renamed: &[Option<usize>]) -> ImageRef {
    match image {
        ImageRef::Issued(n) => match renamed.get(n).copied().flatten() {
            Some(m) => ImageRef::Issued(m),
            None => ImageRef::Literal(NEVER.to_owned()),
        },
        other => other,
    }
}

/// `step` as the world without the first account gets it: its images, and
/// the snapshot it deletes, renamed to that world's.
fn translate(
    step: &Step,
    renamed: &[Option<usize>],
    with: &ReferenceState,
    without: &ReferenceState,
) -> Step {
    let mut step = step.clone().map_images(|image| rename(image, renamed));
    if let Request::DeleteSnapshot(delete) = &mut step.request {
        let image = (delete.snapshot_id.as_deref())
            .and_then(|text| text.parse::<SnapshotId>().ok())
            .map(|snapshot| snapshot.image().to_string());
        let n = image.and_then(|id| {
            (0..with.ids.len()).find(|&n| with.ids.resolve(&ImageRef::Issued(n)) == id)
        });
        if let Some(n) = n {
            let there = rename(ImageRef::Issued(n), renamed);
            let id = without.ids.resolve(&there).parse::<ImageId>().ok();
            delete.snapshot_id = Some(id.map_or_else(
                || "s-0000000000000000000a".to_owned(),
                |id| id.snapshot().to_string(),
            ));
        }
    }
    step
}

#[test]
fn the_runs_reach_the_lifecycle_errors() {
    use proptest::strategy::ValueTree;
    let wanted = [
        EcsError::ImageCopying,
        EcsError::ImageShared,
        EcsError::SnapshotInUse,
        EcsError::ShareDeprecated,
        EcsError::TagQuotaExceeded,
        EcsError::ImageIsCreating,
    ];
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut seen = HashSet::<&EcsError>::new();
    for _ in 0..500 {
        let (mut state, steps, _) = runs().new_tree(&mut runner).unwrap().current();
        for step in &steps {
            if let Reply::Error { code, message, .. } = state.perform(step) {
                seen.extend(
                    wanted
                        .iter()
                        .filter(|e| e.code().to_string() == code && e.message() == message),
                );
            }
        }
    }
    let missing: Vec<_> = wanted.iter().filter(|e| !seen.contains(e)).collect();
    assert!(missing.is_empty(), "never reached: {missing:?}");
}

#[cfg(feature = "serde")]
proptest! {
    #![proptest_config(support::cases(48))]

    #[test]
    fn a_restored_world_behaves_identically_mid_run(
        (mut state, steps, _) in runs(),
        split in any::<prop::sample::Index>(),
    ) {
        let (prefix, suffix) = steps.split_at(split.index(steps.len() + 1));
        for step in prefix {
            state.perform(step);
        }
        let saved = serde_json::to_string(&state.world).unwrap();
        let mut restored = state.clone();
        restored.world = serde_json::from_str(&saved).unwrap();
        for step in suffix {
            prop_assert_eq!(state.perform(step), restored.perform(step), "after {:?}", step);
        }
        let world = serde_json::to_string(&state.world).unwrap();
        prop_assert_eq!(world, serde_json::to_string(&restored.world).unwrap());
    }
}
