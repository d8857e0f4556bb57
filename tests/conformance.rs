//! The harness against the crate's own systems, and against deliberately
//! wrong ones that it must catch with a short run.
#![cfg(feature = "proptest")]

mod support;

use support::cases;

use std::num::NonZeroU32;

// Only the re-exports: a downstream crate needs no proptest-state-machine.
use ecs_image_copy::rpc::Endpoint;
use ecs_image_copy::testing::{
    Conformance, CopyService, ReferenceStateMachine, Reply, Setup, SmallWorld, StateMachineTest,
    Step, TaskMachine, WorldMachine, prop_state_machine,
};
use std::collections::HashMap;

use ecs_image_copy::testing::Seen;
use ecs_image_copy::{
    Action, CancelCopyImage, Config, CopyPhase, EcsError, ImageId, ModifyImageAttribute, Percent,
    Request, World,
};
use proptest::test_runner::{Config as ProptestConfig, TestError, TestRunner};

/// `SmallWorld` for this crate's own systems, which issue the reference's
/// IDs: runs also delete real snapshots.
#[derive(Debug)]
struct SameIds;

impl Setup for SameIds {
    fn config() -> Config {
        SmallWorld::config()
    }

    fn issues_reference_ids() -> bool {
        true
    }
}

prop_state_machine! {
    #![proptest_config(cases(128))]

    #[test]
    fn the_model_conforms_to_the_reference(sequential 1..50 => Conformance<World, SameIds>);

    #[test]
    fn the_protocol_in_process_conforms_to_the_reference(sequential 1..50 => Conformance<Endpoint, SameIds>);
}

/// The one-task reference against `CopyTask` itself.
struct TaskItself;

impl StateMachineTest for TaskItself {
    type SystemUnderTest = ecs_image_copy::CopyTask;
    type Reference = TaskMachine;

    fn init_test(reference: &ecs_image_copy::testing::TaskState) -> ecs_image_copy::CopyTask {
        reference.task
    }

    fn apply(
        task: ecs_image_copy::CopyTask,
        reference: &ecs_image_copy::testing::TaskState,
        event: ecs_image_copy::CopyEvent,
    ) -> ecs_image_copy::CopyTask {
        let answer = task.apply(event);
        assert_eq!(Some(answer), reference.last);
        answer.unwrap_or(task)
    }
}

prop_state_machine! {
    #![proptest_config(cases(256))]

    #[test]
    fn the_task_conforms_to_the_task_reference(sequential 1..40 => TaskItself);
}

/// A deliberately wrong system: the model, with one mistake.
#[derive(Debug)]
struct Mutant<M: Mistake> {
    world: World,
    mistake: std::marker::PhantomData<M>,
}

/// One mistake a real implementation could make.
trait Mistake: std::fmt::Debug + 'static {
    /// The world the mutant starts from.
    fn config(config: &Config) -> Config {
        config.clone()
    }

    /// The request the mutant's world gets for `step`: the step itself,
    /// unless the mistake misreads it.
    fn misread(step: &Step<String>) -> Step<String> {
        step.clone()
    }

    /// The mutant's answer, given the step, the model's answer, and the
    /// world after it (which the mistake may change).
    fn twist(step: &Step<String>, correct: Reply<String>, world: &mut World) -> Reply<String>;
}

impl<M: Mistake> CopyService for Mutant<M> {
    fn start(config: &Config) -> Mutant<M> {
        Mutant {
            world: World::new(M::config(config)),
            mistake: std::marker::PhantomData,
        }
    }

    fn send(&mut self, step: &Step<String>) -> Reply<String> {
        let correct = self.world.send(&M::misread(step));
        M::twist(step, correct, &mut self.world)
    }
}

fn is_error(reply: &Reply<String>, error: EcsError) -> bool {
    matches!(reply, Reply::Error { code, message, .. }
        if *code == error.code().to_string() && message == error.message())
}

/// Cancels a copy that is finalizing.
#[derive(Debug)]
struct CancelWhileFinalizing;

impl Mistake for CancelWhileFinalizing {
    fn twist(step: &Step<String>, correct: Reply<String>, _: &mut World) -> Reply<String> {
        match step.request.action() {
            Action::CancelCopyImage if is_error(&correct, EcsError::SnapshotNotCopying) => {
                Reply::Done
            }
            _ => correct,
        }
    }
}

/// A failed cancel still moves the copies along.
#[derive(Debug)]
struct FailedCallChangesTheWorld;

impl Mistake for FailedCallChangesTheWorld {
    fn twist(step: &Step<String>, correct: Reply<String>, world: &mut World) -> Reply<String> {
        let cancel = step.request.action() == Action::CancelCopyImage;
        if cancel && matches!(correct, Reply::Error { .. }) {
            world.advance_copies(Percent::new(1).unwrap());
        }
        correct
    }
}

/// Another account's image is refused with a telling error.
#[derive(Debug)]
struct ForeignImageForbidden;

impl Mistake for ForeignImageForbidden {
    fn twist(step: &Step<String>, correct: Reply<String>, world: &mut World) -> Reply<String> {
        let Request::CancelCopyImage(cancel) = &step.request else {
            return correct;
        };
        let (account, Some(image)) = (&step.account, &cancel.image_id) else {
            return correct;
        };
        let owner = image
            .parse::<ImageId>()
            .ok()
            .and_then(|id| world.image(id))
            .map(|v| v.owner().to_owned());
        match owner {
            Some(owner) if owner != *account => Reply::Error {
                status: 403,
                code: "Forbidden.RAM".into(),
                message: "User not authorized to operate on the specified resource.".into(),
            },
            _ => correct,
        }
    }
}

/// The CancelCopyImage page's other wording for a completed copy
/// (`docs/reference/CancelCopyImage.md`).
#[derive(Debug)]
struct OtherCompletedMessage;

impl Mistake for OtherCompletedMessage {
    fn twist(_: &Step<String>, correct: Reply<String>, _: &mut World) -> Reply<String> {
        match correct {
            Reply::Error { status, code, .. }
                if is_error_code(&code, EcsError::CopyFinished) && status == 400 =>
            {
                Reply::Error {
                    status,
                    code,
                    message: "The image has completed copy.".into(),
                }
            }
            other => other,
        }
    }
}

fn is_error_code(code: &str, error: EcsError) -> bool {
    code == error.code().to_string()
}

/// Counts copy slots off by one: one copy too many runs at once.
#[derive(Debug)]
struct OneSlotTooMany;

impl Mistake for OneSlotTooMany {
    fn config(config: &Config) -> Config {
        let limit = config
            .regions()
            .next()
            .map_or(NonZeroU32::MIN, |(_, l)| l.saturating_add(1));
        config.clone().with_copy_limit(limit)
    }

    fn twist(_: &Step<String>, correct: Reply<String>, _: &mut World) -> Reply<String> {
        correct
    }
}

/// Runs the harness against `M` until it fails, and returns the shrunk run.
fn caught<M: CopyService + std::fmt::Debug, S: Setup>(longest: usize) -> Vec<Step> {
    // The deterministic runner makes a run that catches a mutant today catch
    // it every time; enough cases that chains of several actions come up.
    let config = ProptestConfig {
        cases: 4096,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let mut runner = TestRunner::new_with_rng(
        config.clone(),
        proptest::test_runner::TestRng::deterministic_rng(config.rng_algorithm),
    );
    let strategy = WorldMachine::<S>::sequential_strategy(1..longest);
    let outcome = runner.run(&strategy, |(state, steps, seen)| {
        Conformance::<M, S>::test_sequential(config.clone(), state, steps, seen);
        Ok(())
    });
    match outcome {
        Err(TestError::Fail(_, (_, steps, _))) => steps,
        other => panic!(
            "the harness did not catch {}: {other:?}",
            std::any::type_name::<M>()
        ),
    }
}

fn assert_caught_in_a_short_run<M: Mistake>() {
    assert_caught_within::<Mutant<M>, SmallWorld>(30, 6);
}

/// Asserts that the harness catches `M` in runs of fewer than `longest`
/// steps, with a run of at most `bound` steps once shrunk.
fn assert_caught_within<M: CopyService + std::fmt::Debug, S: Setup>(longest: usize, bound: usize) {
    let steps = caught::<M, S>(longest);
    assert!(
        steps.len() <= bound,
        "{} shrank to {} steps: {steps:#?}",
        std::any::type_name::<M>(),
        steps.len()
    );
}

#[test]
fn the_harness_catches_a_cancel_while_finalizing() {
    assert_caught_in_a_short_run::<CancelWhileFinalizing>();
}

#[test]
fn the_harness_catches_a_failed_call_that_changes_the_world() {
    assert_caught_in_a_short_run::<FailedCallChangesTheWorld>();
}

#[test]
fn the_harness_catches_a_telling_error_for_a_foreign_image() {
    assert_caught_in_a_short_run::<ForeignImageForbidden>();
}

#[test]
fn the_harness_catches_the_wrong_message_for_a_completed_copy() {
    assert_caught_in_a_short_run::<OtherCompletedMessage>();
}

#[test]
fn the_harness_catches_one_copy_slot_too_many() {
    assert_caught_in_a_short_run::<OneSlotTooMany>();
}

#[test]
fn the_setup_config_is_what_the_mutants_start_from() {
    assert_eq!(
        SmallWorld::config().regions().next().map(|(_, l)| l.get()),
        Some(2)
    );
}

/// Deletes a copy in progress instead of refusing: cancels it, as far as
/// the backend lets it.
#[derive(Debug)]
struct DeleteWhileCopying;

impl Mistake for DeleteWhileCopying {
    fn twist(step: &Step<String>, correct: Reply<String>, world: &mut World) -> Reply<String> {
        let Request::DeleteImage(delete) = &step.request else {
            return correct;
        };
        if !is_error(&correct, EcsError::ImageCopying) {
            return correct;
        }
        let (Some(region), Some(image)) = (&delete.region_id, &delete.image_id) else {
            return correct;
        };
        let _ = world.cancel_copy_image(&step.account, &CancelCopyImage::new(region, image));
        Reply::Done
    }
}

/// Counts copy slots per region only, as if every account shared them: a
/// running copy past the region's limit, counting every account's copies
/// in creation order, shows as waiting.
#[derive(Debug)]
struct SharedSlots {
    world: World,
    /// Every image issued, in creation order.
    issued: Vec<ImageId>,
}

impl CopyService for SharedSlots {
    fn start(config: &Config) -> SharedSlots {
        SharedSlots {
            world: World::new(config.clone()),
            issued: Vec::new(),
        }
    }

    fn send(&mut self, step: &Step<String>) -> Reply<String> {
        let reply = self.world.send(step);
        if let Reply::Image(id) = &reply
            && let Ok(id) = id.parse()
            && !self.issued.contains(&id)
        {
            self.issued.push(id);
        }
        match reply {
            Reply::Images { total, images } => {
                let held = self.held();
                let images = images
                    .into_iter()
                    .map(|seen| match held.contains(&seen.image) {
                        true => Seen {
                            status: "Waiting".into(),
                            progress: "0%".into(),
                            ..seen
                        },
                        false => seen,
                    });
                Reply::Images {
                    total,
                    images: images.collect(),
                }
            }
            other => other,
        }
    }
}

impl SharedSlots {
    /// The running copies that shared slots would still hold back.
    fn held(&self) -> Vec<String> {
        let mut running = HashMap::<&str, usize>::new();
        let mut held = Vec::new();
        for &id in &self.issued {
            let Some(view) = self.world.image(id) else {
                continue;
            };
            let phase = view.copy_task().map(|task| task.phase());
            if !matches!(phase, Some(CopyPhase::Copying | CopyPhase::Finalizing)) {
                continue;
            }
            let limit = (self.world.config().regions())
                .find(|(region, _)| *region == view.region())
                .map_or(0, |(_, limit)| limit.get() as usize);
            let count = running.entry(view.region()).or_default();
            *count += 1;
            if *count > limit {
                held.push(id.to_string());
            }
        }
        held
    }
}

/// Forgets to stop sharing: `RemoveAccount.N` is ignored, so a grantee
/// keeps seeing an image no longer shared with it.
#[derive(Debug)]
struct UnsharingIgnored;

impl Mistake for UnsharingIgnored {
    fn misread(step: &Step<String>) -> Step<String> {
        let mut step = step.clone();
        if let Request::ModifyImageSharePermission(share) = &mut step.request {
            share.remove_account.clear();
        }
        step
    }

    fn twist(_: &Step<String>, correct: Reply<String>, _: &mut World) -> Reply<String> {
        correct
    }
}

/// Shares a `Deprecated` image.
#[derive(Debug)]
struct ShareDeprecated;

impl Mistake for ShareDeprecated {
    fn twist(step: &Step<String>, correct: Reply<String>, world: &mut World) -> Reply<String> {
        if !is_error(&correct, EcsError::ShareDeprecated) {
            return correct;
        }
        let Request::ModifyImageSharePermission(share) = &step.request else {
            return correct;
        };
        // Make it available, share it, and deprecate it again, as a
        // backend without the check would leave it.
        let set_status = |status: &str| {
            let mut modify = ModifyImageAttribute::default();
            modify.region_id = share.region_id.clone();
            modify.image_id = share.image_id.clone();
            modify.status = Some(status.into());
            Step::new(step.account.clone(), modify)
        };
        let _ = world.send(&set_status("Available"));
        let shared = world.send(step);
        let _ = world.send(&set_status("Deprecated"));
        shared
    }
}

/// Lets an image carry more than 20 tags: accepts the call the quota
/// refuses (without tagging, which the world would refuse).
#[derive(Debug)]
struct TagQuotaIgnored;

impl Mistake for TagQuotaIgnored {
    fn twist(_: &Step<String>, correct: Reply<String>, _: &mut World) -> Reply<String> {
        match is_error(&correct, EcsError::TagQuotaExceeded) {
            true => Reply::Done,
            false => correct,
        }
    }
}

/// Deletes a snapshot an image still uses (answers success and keeps it).
#[derive(Debug)]
struct DeleteSnapshotInUse;

impl Mistake for DeleteSnapshotInUse {
    fn twist(_: &Step<String>, correct: Reply<String>, _: &mut World) -> Reply<String> {
        match is_error(&correct, EcsError::SnapshotInUse) {
            true => Reply::Done,
            false => correct,
        }
    }
}

#[test]
fn the_harness_catches_a_delete_while_copying() {
    assert_caught_in_a_short_run::<DeleteWhileCopying>();
}

/// One copy at once per account in one real region: with `SmallWorld`'s
/// two slots and two regions, few runs hold three running copies of two
/// accounts in one region, the least that shared slots show in; here two
/// do, and longer runs reach them.
#[derive(Debug)]
struct OneSlot;

impl Setup for OneSlot {
    fn config() -> Config {
        Config::default().with_copy_limit(NonZeroU32::MIN)
    }

    fn regions() -> &'static [&'static str] {
        &["cn-hangzhou", "nowhere"]
    }
}

#[test]
fn the_harness_catches_copy_slots_shared_between_accounts() {
    // Two images of two accounts, a copy of each: four steps at least.
    // Shrinking cannot drop an image that a later step names by its issue
    // order, so it may stop a few steps above that.
    assert_caught_within::<SharedSlots, OneSlot>(60, 8);
}

#[test]
fn the_harness_catches_a_grantee_that_still_sees_an_unshared_image() {
    assert_caught_in_a_short_run::<UnsharingIgnored>();
}

#[test]
fn the_harness_catches_sharing_a_deprecated_image() {
    assert_caught_in_a_short_run::<ShareDeprecated>();
}

#[test]
fn the_harness_catches_more_than_20_tags_on_an_image() {
    assert_caught_in_a_short_run::<TagQuotaIgnored>();
}

#[test]
fn the_harness_catches_deleting_a_snapshot_in_use() {
    assert_caught_within::<Mutant<DeleteSnapshotInUse>, SameIds>(30, 6);
}
