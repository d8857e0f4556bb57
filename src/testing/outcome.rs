//! The harness as a function: runs from a seed, and either the coverage
//! they reached or the shortest counterexample found.

use std::cell::RefCell;
use std::fmt::{self, Debug};
use std::sync::atomic::Ordering;

use proptest::test_runner::{
    Config as ProptestConfig, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner,
};
use proptest_state_machine::ReferenceStateMachine;

use super::coverage::{Coverage, tasks};
use super::harness::{Conformance, Difference, Harness};
use super::reference::{ReferenceState, Setup, WorldMachine};
use super::service::CopyService;
use super::step::{ImageRef, Step};
use crate::service::Request;

/// How [`Conformance::run`] runs: how many runs, from which seed, of at
/// most how many steps. The default is proptest's default of 256 runs,
/// seed 0, up to 50 steps.
///
/// The same `Runs` gives the same runs, and so the same outcome, every
/// time: the seed is all the randomness there is.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub struct Runs {
    /// How many runs pass before the system is said to conform.
    pub cases: u32,
    /// The seed of the runs' generator.
    pub seed: u64,
    /// The most steps a run has (each has 1 to this many).
    pub max_steps: usize,
}

impl Default for Runs {
    fn default() -> Runs {
        Runs {
            cases: 256,
            seed: 0,
            max_steps: 50,
        }
    }
}

impl Runs {
    /// These runs, `cases` of them.
    pub fn cases(self, cases: u32) -> Runs {
        Runs { cases, ..self }
    }

    /// These runs, from `seed`.
    pub fn seed(self, seed: u64) -> Runs {
        Runs { seed, ..self }
    }

    /// These runs, of at most `max_steps` steps each.
    pub fn max_steps(self, max_steps: usize) -> Runs {
        Runs { max_steps, ..self }
    }

    fn rng(self) -> TestRng {
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&self.seed.to_le_bytes());
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed)
    }

    /// proptest's config for these runs. `Config::default()` reads
    /// proptest's `PROPTEST_*` variables; every field the outcome depends
    /// on is set here instead, and nothing is written to files.
    fn proptest(self) -> ProptestConfig {
        ProptestConfig {
            cases: self.cases,
            failure_persistence: None,
            max_shrink_iters: 10_000,
            max_shrink_time: 0,
            max_local_rejects: 65_536,
            max_global_rejects: 65_536,
            verbose: 0,
            rng_algorithm: RngAlgorithm::ChaCha,
            ..ProptestConfig::default()
        }
    }
}

/// A run on which the system differs from the reference, shrunk: what
/// [`Conformance::run`] answers when the system does not conform.
///
/// Its `Display` reads as a report: the seed that found it, the steps one
/// a line, and the first answer that differs, the reference's and the
/// system's side by side.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct Counterexample {
    /// The runs that found it: [`Conformance::run`] with these finds it
    /// again.
    pub runs: Runs,
    /// The steps, from an empty world of the setup's config.
    pub steps: Vec<Step>,
    /// The first answer that differs, at the last step.
    pub difference: Box<Difference>,
    /// How many steps the failing run had as generated.
    pub generated_steps: usize,
    /// How many steps it had after proptest's shrinking, before this
    /// crate's (which removes a step and renames the images after it).
    pub proptest_steps: usize,
}

impl fmt::Display for Counterexample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Runs {
            cases,
            seed,
            max_steps,
        } = self.runs;
        writeln!(
            f,
            "the system differs from the reference in {} steps (seed {seed}: \
             `Runs::default().seed({seed}).cases({cases}).max_steps({max_steps})` finds it again; \
             shrunk from {} steps)",
            self.steps.len(),
            self.generated_steps,
        )?;
        writeln!(f, "#n is the n-th image the run issued, from 0.")?;
        for (n, step) in self.steps.iter().enumerate() {
            writeln!(f, "{:>4}. {step}", n + 1)?;
        }
        write!(f, "{}", self.difference)
    }
}

impl std::error::Error for Counterexample {}

impl<S: CopyService + Debug, C: Setup> Conformance<S, C> {
    /// Runs the harness `runs.cases` times from `runs.seed`, and answers the
    /// coverage of the runs if the system conformed on all of them, or the
    /// shortest counterexample found. Unlike
    /// [`prop_state_machine!`](super::prop_state_machine), it neither
    /// panics nor writes a regressions file, and the same `runs` give the
    /// same outcome.
    ///
    /// ```
    /// use ecs_image_copy::World;
    /// use ecs_image_copy::testing::{Conformance, Runs};
    ///
    /// match Conformance::<World>::run(Runs::default().cases(32).seed(7)) {
    ///     Ok(coverage) => assert_eq!(coverage.runs(), 32),
    ///     Err(counterexample) => panic!("{counterexample}"),
    /// }
    /// ```
    pub fn run(runs: Runs) -> Result<Coverage, Counterexample> {
        let strategy = WorldMachine::<C>::sequential_strategy(1..=runs.max_steps.max(1));
        let mut runner = TestRunner::new_with_rng(runs.proptest(), runs.rng());
        let coverage = RefCell::new(Coverage::default());
        let generated = RefCell::new(None);
        let outcome = runner.run(&strategy, |(start, steps, seen)| {
            let mut coverage = coverage.borrow_mut();
            let counter = |_: usize| {
                if let Some(seen) = &seen {
                    seen.fetch_add(1, Ordering::SeqCst);
                }
            };
            match replay::<S, C>(start, &steps, Some(&mut coverage), counter) {
                Ok(()) => Ok(()),
                Err(difference) => {
                    generated.borrow_mut().get_or_insert(steps.len());
                    Err(TestCaseError::fail(difference.to_string()))
                }
            }
        });
        let steps = match outcome {
            Ok(()) => return Ok(coverage.into_inner()),
            Err(TestError::Fail(_, (_, steps, _))) => steps,
            Err(TestError::Abort(reason)) => {
                panic!("the runs' generator gave up (the testkit's bug): {reason}")
            }
        };
        let proptest_steps = steps.len();
        let (steps, difference) = shrink::<S, C>(steps);
        Err(Counterexample {
            runs,
            generated_steps: generated.into_inner().unwrap_or(proptest_steps),
            proptest_steps,
            steps,
            difference,
        })
    }
}

/// Runs `steps` from `start` against a fresh system, to the first
/// difference. A step that names an image no earlier step issued (which
/// generation never makes) ends the run as conforming.
fn replay<S: CopyService, C: Setup>(
    start: ReferenceState,
    steps: &[Step],
    mut coverage: Option<&mut Coverage>,
    mut seen: impl FnMut(usize),
) -> Result<(), Box<Difference>> {
    let mut reference = start;
    let mut harness = Harness::<S>::start(&C::config());
    for (n, step) in steps.iter().enumerate() {
        if !WorldMachine::<C>::preconditions(&reference, step) {
            return Ok(());
        }
        seen(n);
        let before = coverage.as_ref().map(|_| tasks(&reference));
        reference = WorldMachine::<C>::apply(reference, step);
        if let (Some(coverage), Some(before)) = (coverage.as_deref_mut(), before) {
            coverage.observe(&before, step, &reference);
        }
        harness.check::<C>(&reference, step)?;
    }
    if let Some(coverage) = coverage {
        coverage.end_run();
    }
    Ok(())
}

fn differs<S: CopyService, C: Setup>(steps: &[Step]) -> Option<Box<Difference>> {
    let start = ReferenceState::new(C::config());
    replay::<S, C>(start, steps, None, |_| ()).err()
}

/// Shrinks a failing run further than proptest can: proptest removes a
/// step only if every later step still names the same images by issue
/// order, so a step that issued an image stays. Here a step goes with the
/// images after it renamed, alone or with every step that names its image,
/// or two steps go at once, until no step can go; the run ends at its
/// first difference.
fn shrink<S: CopyService, C: Setup>(mut steps: Vec<Step>) -> (Vec<Step>, Box<Difference>) {
    let Some(mut difference) = differs::<S, C>(&steps) else {
        // proptest's run failed but does not fail again: a system that is
        // not deterministic. Report the run as it is.
        let unrepeatable = Box::new(unrepeatable(&steps));
        return (steps, unrepeatable);
    };
    steps.truncate(difference.at);
    while let Some((shorter, found)) = shorter::<S, C>(&steps) {
        steps = shorter;
        steps.truncate(found.at);
        difference = found;
    }
    (steps, difference)
}

/// A shorter run that still fails: without one step if one can go, else
/// without two (two steps may be needed only by each other).
fn shorter<S: CopyService, C: Setup>(steps: &[Step]) -> Option<(Vec<Step>, Box<Difference>)> {
    let (issued, homes) = issuers::<C>(steps);
    let fails = |candidate: Vec<Step>| {
        let found = differs::<S, C>(&candidate)?;
        Some((candidate, found))
    };
    let singles = (0..steps.len())
        .rev()
        .flat_map(|at| without(steps, at, &issued, &homes));
    if let Some(found) = singles.into_iter().find_map(fails) {
        return Some(found);
    }
    for last in (1..steps.len()).rev() {
        for first_gone in without(steps, last, &issued, &homes) {
            let (issued, homes) = issuers::<C>(&first_gone);
            // Steps before `last` keep their places and their images.
            for first in (0..last).rev() {
                for candidate in without(&first_gone, first, &issued, &homes) {
                    if let Some(found) = fails(candidate) {
                        return Some(found);
                    }
                }
            }
        }
    }
    None
}

fn unrepeatable(steps: &[Step]) -> Difference {
    let last = steps.last().cloned();
    let step = last.unwrap_or_else(|| Step::new("", crate::service::DescribeRegions::default()));
    Difference {
        at: steps.len(),
        step,
        view: None,
        reference: None,
        system: super::step::Reply::Error {
            status: 0,
            code: "<not repeated>".to_owned(),
            message: "the run failed once and passed when run again".to_owned(),
        },
    }
}

/// For each step, the image it issued (by issue order), in the reference;
/// and for each image, its region and owner.
fn issuers<C: Setup>(steps: &[Step]) -> (Vec<Option<usize>>, Vec<Home>) {
    let mut reference = ReferenceState::new(C::config());
    let mut homes = Vec::new();
    let mut issue = |step: &Step| {
        let before = reference.ids.len();
        reference.perform(step);
        for n in before..reference.ids.len() {
            let id = reference.ids.resolve(&ImageRef::Issued(n)).parse().ok();
            let view = id.and_then(|id| reference.world.image(id));
            homes.push(view.map(|view| (view.region().to_owned(), view.owner().to_owned())));
        }
        (reference.ids.len() > before).then_some(before)
    };
    let issued = steps.iter().map(&mut issue).collect();
    (issued, homes)
}

/// Where an image was issued: its region and owner.
type Home = Option<(String, String)>;

/// The runs without step `at`: if it issued image `issued`, with the
/// images after it renamed, and either every step that names the image
/// gone too, or each earlier image named in its place (a copy of a copy
/// may do as a copy of the first image), by its owner in its region where
/// a step named the removed one by its owner in its region; else just
/// without it.
fn without(steps: &[Step], at: usize, issued: &[Option<usize>], homes: &[Home]) -> Vec<Vec<Step>> {
    let Some(image) = issued[at] else {
        let mut candidate = steps.to_vec();
        candidate.remove(at);
        return vec![candidate];
    };
    let names = |step: &Step| names_image(step, image);
    // `instead`: the earlier image named in its place, or none to drop
    // every step that names it.
    let chain = |instead: Option<usize>| -> Vec<Step> {
        let moved =
            instead.map_or_else(Vec::new, |earlier| moves(steps, at, issued, homes, earlier));
        let kept = steps
            .iter()
            .enumerate()
            .filter(|(n, step)| *n != at && (instead.is_some() || !names(step)));
        let renamed = kept.map(|(_, step)| {
            let mut step = step.clone();
            if let Some((from, to)) = (moved.iter()).find(|(m, _)| names_image(&step, *m)) {
                rehome(&mut step, homes.get(*from), Some(to));
            }
            step.map_images(|r| match r {
                ImageRef::Issued(n) if n == image => ImageRef::Issued(instead.unwrap_or(n)),
                ImageRef::Issued(n) if n > image => ImageRef::Issued(n - 1),
                other => other,
            })
        });
        renamed.collect()
    };
    let mut candidates = vec![chain(None)];
    if steps[at + 1..].iter().any(names) {
        candidates.extend((0..image).map(|earlier| chain(Some(earlier))));
    }
    candidates
}

/// Whether `step` names the `image`-th image issued.
fn names_image(step: &Step, image: usize) -> bool {
    let mut named = false;
    let _ = step.request.clone().map_images(|r| {
        named |= r == ImageRef::Issued(image);
    });
    named
}

/// The images that move home when the image step `at` issued is replaced
/// by `earlier`: it, to `earlier`'s home, and each later copy of a moved
/// image into the same region (no `DestinationRegionId`), to its source's
/// new home.
fn moves(
    steps: &[Step],
    at: usize,
    issued: &[Option<usize>],
    homes: &[Home],
    earlier: usize,
) -> Vec<(usize, Home)> {
    let Some(image) = issued[at] else {
        return Vec::new();
    };
    let mut moved = vec![(image, homes.get(earlier).cloned().flatten())];
    for (k, step) in steps.iter().enumerate().skip(at + 1) {
        let Request::CopyImage(copy) = &step.request else {
            continue;
        };
        let to = (moved.iter())
            .find(|(m, _)| names_image(step, *m))
            .map(|(_, to)| to.clone());
        if let (Some(to), Some(copied), None) = (to, issued[k], &copy.destination_region_id) {
            moved.push((copied, to));
        }
    }
    moved
}

/// Moves `step`, which names an image that lived at `from`, to `to`: its
/// region and caller each where they were the image's.
fn rehome(step: &mut Step, from: Option<&Home>, to: Option<&Home>) {
    let (Some(Some((from_region, from_owner))), Some(Some((to_region, to_owner)))) = (from, to)
    else {
        return;
    };
    if step.account == *from_owner {
        step.account.clone_from(to_owner);
    }
    if let Some(region) = region_mut(&mut step.request)
        && region.as_deref() == Some(from_region.as_str())
    {
        *region = Some(to_region.clone());
    }
}

/// The `RegionId` of a request that names one (CopyImage's source region).
fn region_mut<I>(request: &mut Request<I>) -> Option<&mut Option<String>> {
    Some(match request {
        Request::CopyImage(r) => &mut r.region_id,
        Request::CancelCopyImage(r) => &mut r.region_id,
        Request::DescribeImages(r) => &mut r.region_id,
        Request::MockCreateImage(r) => &mut r.region_id,
        Request::MockSetCopyProgress(r) => &mut r.region_id,
        Request::MockCompleteCopy(r) => &mut r.region_id,
        Request::MockFailCopy(r) => &mut r.region_id,
        Request::MockSetCancellable(r) => &mut r.region_id,
        Request::DeleteImage(r) => &mut r.region_id,
        Request::ModifyImageAttribute(r) => &mut r.region_id,
        Request::ModifyImageSharePermission(r) => &mut r.region_id,
        Request::DescribeImageSharePermission(r) => &mut r.region_id,
        Request::TagResources(r) => &mut r.region_id,
        Request::UntagResources(r) => &mut r.region_id,
        Request::ListTagResources(r) => &mut r.region_id,
        Request::MockAdvanceCopies(_)
        | Request::DescribeRegions(_)
        | Request::DeleteSnapshot(_) => {
            return None;
        }
    })
}
