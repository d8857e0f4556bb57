//! The conformance harness: a system under test, step by step against the
//! reference.

use std::fmt::Debug;
use std::marker::PhantomData;

use proptest_state_machine::StateMachineTest;

use super::reference::{ReferenceState, Setup, SmallWorld, WorldMachine, visible_step};
use super::service::CopyService;
use super::step::{IssuedIds, Reply, Step};
use crate::service::Request;

/// A [`StateMachineTest`] that runs a [`CopyService`] against the
/// reference [`WorldMachine`]. After every step it compares the system's
/// answer (success fields, or HTTP status, code and message) and what the
/// caller then sees through DescribeImages, and panics with a report of the
/// first difference, which proptest shrinks to a short run.
///
/// ```
/// use ecs_image_copy::World;
/// use ecs_image_copy::testing::{Conformance, prop_state_machine};
///
/// prop_state_machine! {
///     #![proptest_config(proptest::test_runner::Config { cases: 8, ..Default::default() })]
///     // In a test file, put `#[test]` here.
///     fn the_model_conforms(sequential 1..20 => Conformance<World>);
/// }
/// # fn main() { the_model_conforms(); }
/// ```
pub struct Conformance<S, C = SmallWorld>(PhantomData<(S, C)>);

/// The system under test, and the IDs it issued.
#[derive(Debug)]
pub struct Harness<S> {
    /// The system.
    pub system: S,
    /// Its own image IDs, in the order it issued them.
    pub ids: IssuedIds,
    steps: usize,
}

impl<S> Harness<S> {
    /// Sends `step` to the system and names the images of its answer.
    fn send(&mut self, step: &Step) -> Reply
    where
        S: CopyService,
    {
        let resolved = step.clone().map_images(|image| self.ids.resolve(&image));
        let reply = self.system.send(&resolved);
        self.ids.normalize(reply)
    }
}

impl<S: CopyService + Debug, C: Setup> StateMachineTest for Conformance<S, C> {
    type SystemUnderTest = Harness<S>;
    type Reference = WorldMachine<C>;

    fn init_test(_: &ReferenceState) -> Harness<S> {
        Harness {
            system: S::start(&C::config()),
            ids: IssuedIds::default(),
            steps: 0,
        }
    }

    fn apply(mut harness: Harness<S>, reference: &ReferenceState, step: Step) -> Harness<S> {
        harness.steps += 1;
        let answered = harness.send(&step);
        let expected = reference.last.as_ref();
        if expected != Some(&answered) {
            panic!(
                "the system differs from the reference at step {}:\n  step:      {step:?}\n  reference: {}\n  system:    {answered:?}",
                harness.steps,
                expected.map_or_else(|| "no answer".to_owned(), |reply| format!("{reply:?}")),
            );
        }
        for (account, region) in observed(&step, C::accounts(), C::regions()) {
            let seen = harness.send(&visible_step(account, region));
            let expected = reference.visible(account, region);
            if seen != expected {
                panic!(
                    "after step {} ({step:?}), {account} sees in {region}:\n  reference: {expected:?}\n  system:    {seen:?}",
                    harness.steps,
                );
            }
        }
        harness
    }
}

/// Where to look after `step`: each real region the step names, by the
/// caller after a read, by every account after a write (a shared image
/// shows its changes to its grantees, and no write may show in another
/// account's images otherwise), and everywhere after time passes.
fn observed<'a>(
    step: &'a Step,
    accounts: &'static [&'static str],
    regions: &'static [&'static str],
) -> Vec<(&'a str, &'static str)> {
    let named: Vec<&str> = match &step.request {
        Request::CopyImage(copy) => [&copy.region_id, &copy.destination_region_id]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect(),
        Request::MockAdvanceCopies(_) => regions.to_vec(),
        other => region_of(other).into_iter().collect(),
    };
    let real = regions
        .iter()
        .copied()
        .filter(|r| named.contains(r) && *r != "nowhere");
    let real: Vec<&'static str> = real.collect();
    let lookers: Vec<&str> = match step.request.action().is_read_only() {
        true => vec![step.account.as_str()],
        false => accounts.to_vec(),
    };
    (lookers.iter())
        .flat_map(|account| real.iter().map(move |region| (*account, *region)))
        .collect()
}

/// The `RegionId` of a request that names one region.
fn region_of<I>(request: &Request<I>) -> Option<&str> {
    let region = match request {
        Request::CancelCopyImage(r) => &r.region_id,
        Request::DescribeImages(r) => &r.region_id,
        Request::MockCreateImage(r) => &r.region_id,
        Request::MockSetCopyProgress(r) => &r.region_id,
        Request::MockCompleteCopy(r) => &r.region_id,
        Request::MockFailCopy(r) => &r.region_id,
        Request::MockSetCancellable(r) => &r.region_id,
        Request::DeleteImage(r) => &r.region_id,
        Request::ModifyImageAttribute(r) => &r.region_id,
        Request::ModifyImageSharePermission(r) => &r.region_id,
        Request::DescribeImageSharePermission(r) => &r.region_id,
        Request::TagResources(r) => &r.region_id,
        Request::UntagResources(r) => &r.region_id,
        Request::ListTagResources(r) => &r.region_id,
        Request::CopyImage(_)
        | Request::MockAdvanceCopies(_)
        | Request::DescribeRegions(_)
        | Request::DeleteSnapshot(_) => return None,
    };
    region.as_deref()
}
