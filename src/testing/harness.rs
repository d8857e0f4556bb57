//! The conformance harness: a system under test, step by step against the
//! reference.

use std::fmt::{self, Debug};
use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;

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

impl<S: CopyService> Harness<S> {
    /// A fresh system of `config`, before any step.
    pub(crate) fn start(config: &crate::service::Config) -> Harness<S> {
        Harness {
            system: S::start(config),
            ids: IssuedIds::default(),
            steps: 0,
        }
    }

    /// Sends `step` to the system and names the images of its answer.
    fn send(&mut self, step: &Step) -> Reply {
        let resolved = step.clone().map_images(|image| self.ids.resolve(&image));
        let system = &mut self.system;
        let reply = std::panic::catch_unwind(AssertUnwindSafe(|| system.send(&resolved)));
        self.ids
            .normalize(reply.unwrap_or_else(|panic| panicked(&*panic)))
    }

    /// Sends `step`, which the reference has just answered from
    /// `reference`, and compares the system's answer, then what the
    /// accounts see where the step acted.
    pub(crate) fn check<C: Setup>(
        &mut self,
        reference: &ReferenceState,
        step: &Step,
    ) -> Result<(), Box<Difference>> {
        self.steps += 1;
        let answered = self.send(step);
        if reference.last.as_ref() != Some(&answered) {
            return Err(Box::new(Difference {
                at: self.steps,
                step: step.clone(),
                view: None,
                reference: reference.last.clone(),
                system: answered,
            }));
        }
        for (account, region) in observed(step, C::accounts(), C::regions()) {
            let seen = self.send(&visible_step(account, region));
            let expected = reference.visible(account, region);
            if seen != expected {
                return Err(Box::new(Difference {
                    at: self.steps,
                    step: step.clone(),
                    view: Some((account.to_owned(), region.to_owned())),
                    reference: Some(expected),
                    system: seen,
                }));
            }
        }
        Ok(())
    }
}

/// The first answer in which a system differs from the reference: the
/// step's own answer, or what an account sees in a region after it.
///
/// Its `Display` names the step and puts both answers side by side:
///
/// ```text
/// at step 4, alice: CancelCopyImage RegionId=cn-hangzhou ImageId=#1
///   reference: 400 IncorrectImageStatus: The specified snapshot is not coping.
///   system:    success
/// ```
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct Difference {
    /// The step's position in its run, from 1.
    pub at: usize,
    /// The step.
    pub step: Step,
    /// `None` when the step's own answer differs; else the account and
    /// region whose images (DescribeImages of every status) differ after it.
    pub view: Option<(String, String)>,
    /// The reference's answer (`None` only if it gave none).
    pub reference: Option<Reply>,
    /// The system's answer.
    pub system: Reply,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.view {
            None => writeln!(f, "at step {}, {}", self.at, self.step)?,
            Some((account, region)) => writeln!(
                f,
                "after step {} ({}), {account} sees in {region}",
                self.at, self.step
            )?,
        }
        match &self.reference {
            Some(reply) => writeln!(f, "  reference: {reply}")?,
            None => writeln!(f, "  reference: no answer")?,
        }
        write!(f, "  system:    {}", self.system)
    }
}

impl<S: CopyService + Debug, C: Setup> StateMachineTest for Conformance<S, C> {
    type SystemUnderTest = Harness<S>;
    type Reference = WorldMachine<C>;

    fn init_test(_: &ReferenceState) -> Harness<S> {
        Harness::start(&C::config())
    }

    /// Panics with the [`Difference`] on the first one.
    fn apply(mut harness: Harness<S>, reference: &ReferenceState, step: Step) -> Harness<S> {
        if let Err(difference) = harness.check::<C>(reference, &step) {
            panic!("the system differs from the reference {difference}");
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

/// A system that panicked answers this: status 0, code `<panicked>`, and
/// the panic's message, so that the run stops at its step as at any other
/// difference.
fn panicked(panic: &(dyn std::any::Any + Send)) -> Reply<String> {
    let message = (panic.downcast_ref::<&str>().map(|text| (*text).to_owned()))
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned());
    Reply::Error {
        status: 0,
        code: "<panicked>".to_owned(),
        message,
    }
}
