//! Which rules a batch of runs reached: each row of each action's checks
//! ([`Action::checks`]) and each row of the phase table
//! ([`Transition::ALL`]).
//!
//! The reference decides every step; the report reads the decision off
//! the reference's answer and its world before and after the step:
//! - an error is the row of the action's checks that lists it (an action
//!   never lists one error twice; a test holds this), so the first check
//!   that failed;
//! - a success, a `DryRunOperation` and a refusal of the copy task's own
//!   (CancelCopyImage's `IncorrectImageStatus`, ...) passed every check;
//! - the phase table's rows are the events the step put to copies: the
//!   target copy's event (cancel, progress, complete, fail) when the step
//!   passed its checks or the table refused it, each tick of
//!   MockAdvanceCopies on each running copy, and the start of every copy
//!   that left its queue.

use std::collections::BTreeMap;
use std::fmt;

use super::reference::ReferenceState;
use super::step::{ImageRef, Reply, Step};
use crate::service::{Action, ImageId, Request};
use crate::task::{CopyEvent, CopyPhase, CopyTask, EcsError, Guard, Percent, Transition};

/// One rule a step can reach.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
#[non_exhaustive]
pub enum Rule {
    /// The check at this position (from 0) of the action's
    /// [`Action::checks`] failed: it decided the answer.
    Check(Action, usize),
    /// The action passed every check: it succeeded, answered
    /// `DryRunOperation`, or the copy's phase refused it.
    Passed(Action),
    /// The row at this position (from 0) of [`Transition::ALL`] applied.
    Transition(usize),
}

impl Rule {
    /// Every rule, actions in [`Action::ALL`]'s order (each check, then
    /// passing them), then the phase table's rows.
    pub fn all() -> impl Iterator<Item = Rule> {
        let checks = Action::ALL.iter().flat_map(|&action| {
            let rows = (0..action.checks().len()).map(move |row| Rule::Check(action, row));
            rows.chain([Rule::Passed(action)])
        });
        checks.chain((0..Transition::ALL.len()).map(Rule::Transition))
    }
}

/// `CancelCopyImage check 3 (InvalidImageId.NotFound)`, `CopyImage passed
/// every check`, `phase row 17 (Finalizing, Cancel, Always)`.
impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Rule::Check(action, row) => {
                let error = action.checks().get(row).map(|check| check.error.code());
                match error {
                    Some(code) => write!(f, "{action} check {row} ({code})"),
                    None => write!(f, "{action} check {row}"),
                }
            }
            Rule::Passed(action) => write!(f, "{action} passed every check"),
            Rule::Transition(row) => match Transition::ALL.get(row) {
                Some(t) => write!(
                    f,
                    "phase row {row} ({}, {:?}, {:?})",
                    t.from, t.event, t.guard
                ),
                None => write!(f, "phase row {row}"),
            },
        }
    }
}

/// How often a batch of runs reached each [`Rule`]: what
/// [`Conformance::run`](super::Conformance::run) answers when the system
/// conforms. Its `Display` is a table of every rule and its count.
///
/// ```
/// use ecs_image_copy::World;
/// use ecs_image_copy::testing::{Conformance, Rule, Runs};
/// use ecs_image_copy::{Action, Transition};
///
/// let coverage = Conformance::<World>::run(Runs::default().cases(16)).unwrap();
/// assert_eq!(coverage.runs(), 16);
/// assert!(coverage.count(Rule::Passed(Action::CopyImage)) > 0);
/// assert!(Rule::all().any(|rule| coverage.count(rule) == 0)); // 16 runs reach not every rule
/// ```
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Coverage {
    runs: u32,
    steps: u64,
    reached: BTreeMap<Rule, u64>,
    unlisted: BTreeMap<(Action, String), u64>,
}

impl Coverage {
    /// How many runs were observed.
    pub fn runs(&self) -> u32 {
        self.runs
    }

    /// How many steps they had.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// How often `rule` was reached.
    pub fn count(&self, rule: Rule) -> u64 {
        self.reached.get(&rule).copied().unwrap_or_default()
    }

    /// The rules reached fewer than `times` times, in [`Rule::all`]'s order.
    pub fn below(&self, times: u64) -> Vec<Rule> {
        Rule::all()
            .filter(|&rule| self.count(rule) < times)
            .collect()
    }

    /// Errors the reference answered that are not in their action's
    /// checks, by action and code, with their counts: none, unless the
    /// checks lists and the model disagree.
    pub fn unlisted(&self) -> impl Iterator<Item = (Action, &str, u64)> {
        (self.unlisted.iter()).map(|((action, code), count)| (*action, code.as_str(), *count))
    }

    /// Adds `other`'s counts to these.
    pub fn merge(&mut self, other: &Coverage) {
        self.runs += other.runs;
        self.steps += other.steps;
        for (rule, count) in &other.reached {
            *self.reached.entry(*rule).or_default() += count;
        }
        for (key, count) in &other.unlisted {
            *self.unlisted.entry(key.clone()).or_default() += count;
        }
    }

    /// Counts one more run.
    pub(crate) fn end_run(&mut self) {
        self.runs += 1;
    }

    fn reach(&mut self, rule: Rule) {
        *self.reached.entry(rule).or_default() += 1;
    }

    /// Records what `step` reached: `before` is the reference before it
    /// (its copies' tasks, as [`tasks`] reads them), `after` the reference
    /// after it, with its answer.
    pub(crate) fn observe(
        &mut self,
        before: &[Option<CopyTask>],
        step: &Step,
        after: &ReferenceState,
    ) {
        self.steps += 1;
        let action = step.request.action();
        let Some(answer) = &after.last else {
            return;
        };
        let passed = match decided_by(action, answer) {
            Decided::Rule(rule) => {
                self.reach(rule);
                rule == Rule::Passed(action)
            }
            Decided::Unlisted(code) => {
                *self.unlisted.entry((action, code)).or_default() += 1;
                false
            }
        };
        let tabled = passed || is_error(answer, EcsError::CopyPhaseMismatch);
        let target = target(step).filter(|_| tabled);
        if let Some((image, events)) = &target
            && let Some(Some(task)) = before.get(*image)
        {
            for row in path(*task, events) {
                self.reach(Rule::Transition(row));
            }
        }
        let targeted = target.map(|(image, _)| image);
        let after_tasks = tasks(after);
        let advanced = match (&step.request, answer) {
            (Request::MockAdvanceCopies(tick), Reply::Moved(_)) => tick_step(tick),
            _ => None,
        };
        for (image, task) in after_tasks.iter().enumerate() {
            if Some(image) == targeted {
                continue;
            }
            let was = before.get(image).copied().flatten();
            let was_queued = was.is_none_or(|task| task.phase() == CopyPhase::Queued);
            let started = task.is_some_and(|task| task.phase() != CopyPhase::Queued);
            if was_queued && started {
                self.reach(Rule::Transition(row(CopyTask::new(), CopyEvent::Start)));
            }
            let running = was
                .filter(|task| matches!(task.phase(), CopyPhase::Copying | CopyPhase::Finalizing));
            if let (Some(step), Some(was)) = (advanced, running) {
                for row in path(was, &[tick(was, step)]) {
                    self.reach(Rule::Transition(row));
                }
            }
        }
    }
}

/// The tasks of the copies among the images the run issued, by issue
/// order: `None` for an image that is no copy or is gone.
pub(crate) fn tasks(state: &ReferenceState) -> Vec<Option<CopyTask>> {
    let task = |n| {
        let id: ImageId = state.ids.resolve(&ImageRef::Issued(n)).parse().ok()?;
        state.world.image(id)?.copy_task()
    };
    (0..state.ids.len()).map(task).collect()
}

/// What decided an answer.
enum Decided {
    Rule(Rule),
    /// An error the action's checks do not list.
    Unlisted(String),
}

fn is_error(reply: &Reply, error: EcsError) -> bool {
    matches!(reply, Reply::Error { code, message, .. }
        if *code == error.code().to_string() && message == error.message())
}

fn decided_by(action: Action, answer: &Reply) -> Decided {
    let Reply::Error { code, .. } = answer else {
        return Decided::Rule(Rule::Passed(action));
    };
    let listed = (action.checks().iter()).position(|check| is_error(answer, check.error));
    if let Some(row) = listed {
        return Decided::Rule(Rule::Check(action, row));
    }
    let refused_by_phase = action == Action::CancelCopyImage
        && (Transition::ALL.iter())
            .any(|t| matches!(t.outcome, crate::task::Outcome::Refuse(e) if is_error(answer, e)));
    match refused_by_phase || is_error(answer, EcsError::DryRunOperation) {
        true => Decided::Rule(Rule::Passed(action)),
        false => Decided::Unlisted(code.clone()),
    }
}

/// The copy a step acts on, by issue order, and the events it puts to it.
fn target(step: &Step) -> Option<(usize, Vec<CopyEvent>)> {
    let (image, events) = match &step.request {
        Request::CancelCopyImage(r) => (&r.image_id, vec![CopyEvent::Cancel]),
        Request::MockSetCopyProgress(r) => {
            let percent = r
                .progress
                .as_deref()
                .and_then(|p| p.parse::<Percent>().ok());
            (&r.image_id, vec![CopyEvent::Progress(percent?)])
        }
        Request::MockCompleteCopy(r) => (&r.image_id, vec![CopyEvent::Complete]),
        Request::MockFailCopy(r) => (&r.image_id, vec![CopyEvent::Fail]),
        _ => return None,
    };
    match image {
        Some(ImageRef::Issued(n)) => Some((*n, events)),
        _ => None,
    }
}

/// The rows that `events` go through from `task`, as the world applies
/// them: a copy still copying completes through 100% first, and a
/// progress below the copy's own is refused before the table.
fn path(task: CopyTask, events: &[CopyEvent]) -> Vec<usize> {
    let mut rows = Vec::new();
    let mut task = task;
    for &event in events {
        let events = match (task.phase(), event) {
            (CopyPhase::Copying, CopyEvent::Complete) => {
                vec![CopyEvent::Progress(Percent::FULL), CopyEvent::Complete]
            }
            (CopyPhase::Copying, CopyEvent::Progress(p)) if p < task.progress() => return rows,
            _ => vec![event],
        };
        for event in events {
            rows.push(row(task, event));
            match task.apply(event) {
                Ok(next) => task = next,
                Err(_) => return rows,
            }
        }
    }
    rows
}

/// The event one tick of `step` puts to a running copy.
fn tick(task: CopyTask, step: Percent) -> CopyEvent {
    match task.phase() {
        CopyPhase::Finalizing => CopyEvent::Complete,
        CopyPhase::Copying => {
            let reached = task.progress().get().saturating_add(step.get());
            CopyEvent::Progress(Percent::new(reached).unwrap_or(Percent::FULL))
        }
        // Only running copies tick: `observe` asks for no other.
        _ => CopyEvent::Start,
    }
}

/// MockAdvanceCopies' step, as the world reads it.
fn tick_step(tick: &crate::service::MockAdvanceCopies<ImageRef>) -> Option<Percent> {
    match tick.step.as_deref() {
        None => Some(crate::service::MockAdvanceCopies::DEFAULT_STEP),
        Some(text) => text.parse().ok(),
    }
}

/// The row of the phase table that `event` hits in `task`'s phase.
fn row(task: CopyTask, event: CopyEvent) -> usize {
    let kind = event.kind();
    let fits = |t: &&Transition| {
        let guarded = match t.guard {
            Guard::Cancellable => task.is_cancellable(),
            Guard::NotCancellable => !task.is_cancellable(),
            Guard::Below100 => matches!(event, CopyEvent::Progress(p) if p < Percent::FULL),
            Guard::At100 => matches!(event, CopyEvent::Progress(p) if p == Percent::FULL),
            _ => true,
        };
        t.from == task.phase() && t.event == kind && guarded
    };
    let found = Transition::ALL.iter().position(|t| fits(&t));
    // The table covers every (phase, event, guard bit): its build checks it.
    found.unwrap_or(usize::MAX)
}

/// Every rule and how often it was reached, one a line.
impl fmt::Display for Coverage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} runs, {} steps", self.runs, self.steps)?;
        for rule in Rule::all() {
            writeln!(f, "{:>8}  {rule}", self.count(rule))?;
        }
        for (action, code, count) in self.unlisted() {
            writeln!(
                f,
                "{count:>8}  {action} answered {code}, which its checks do not list"
            )?;
        }
        Ok(())
    }
}
