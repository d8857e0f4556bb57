//! The transition table: for every phase and event, what happens.
//!
//! [`Transition::ALL`] is the single source of truth. The lookup tables that
//! [`CopyTask`](crate::CopyTask) runs on are built from it at compile time,
//! and the build fails if a (phase, event) pair is missing, listed twice, or
//! given an outcome its kind of event cannot have. The docs render it too.

use strum::EnumCount;

use crate::task::{CopyPhase, EcsError, EventKind};

/// When a row of the table applies, beyond its phase and event.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum Guard {
    /// Always.
    Always,
    /// The copy was created as cancellable (`Cancel` only).
    Cancellable,
    /// The copy was created as not cancellable (`Cancel` only).
    NotCancellable,
    /// The new progress is below 100% (`Progress` only).
    Below100,
    /// The new progress is 100% (`Progress` only).
    At100,
}

/// What an event does to a task in a phase.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum Outcome {
    /// The task moves to this phase (possibly the one it is in).
    Enter(CopyPhase),
    /// The API refuses the cancel with this error; the task is unchanged.
    Refuse(EcsError),
    /// A lifecycle event that cannot happen in this phase: the embedder's
    /// mistake, reported as a [`TransitionError`](crate::TransitionError).
    Reject,
}

/// One row of the transition table.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub struct Transition {
    /// The phase the task is in.
    pub from: CopyPhase,
    /// The event that happens.
    pub event: EventKind,
    /// The extra condition under which this row applies.
    pub guard: Guard,
    /// What happens.
    pub outcome: Outcome,
}

const fn row(from: CopyPhase, event: EventKind, guard: Guard, outcome: Outcome) -> Transition {
    Transition {
        from,
        event,
        guard,
        outcome,
    }
}

use CopyPhase::{Cancelled, Completed, Copying, Failed, Finalizing, Queued};
use EventKind::{Cancel, Complete, Fail, Progress, Start};
use Guard::{Always, At100, Below100, Cancellable, NotCancellable};
use Outcome::{Enter, Refuse, Reject};

impl Transition {
    /// Every (phase, event) pair and its outcome. Progress never goes
    /// backwards, whatever the row: a `Progress` below the task's current
    /// progress is rejected before the table is consulted.
    pub const ALL: &'static [Transition] = TABLE;
}

const TABLE: &[Transition] = &[
    row(Queued, Start, Always, Enter(Copying)),
    row(Queued, Progress, Always, Reject),
    row(Queued, Complete, Always, Reject),
    row(Queued, Fail, Always, Enter(Failed)),
    row(Queued, Cancel, Cancellable, Enter(Cancelled)),
    row(
        Queued,
        Cancel,
        NotCancellable,
        Refuse(EcsError::CancelNotSupported),
    ),
    row(Copying, Start, Always, Reject),
    row(Copying, Progress, Below100, Enter(Copying)),
    row(Copying, Progress, At100, Enter(Finalizing)),
    row(Copying, Complete, Always, Reject),
    row(Copying, Fail, Always, Enter(Failed)),
    row(Copying, Cancel, Cancellable, Enter(Cancelled)),
    row(
        Copying,
        Cancel,
        NotCancellable,
        Refuse(EcsError::CancelNotSupported),
    ),
    row(Finalizing, Start, Always, Reject),
    row(Finalizing, Progress, Always, Reject),
    row(Finalizing, Complete, Always, Enter(Completed)),
    row(Finalizing, Fail, Always, Enter(Failed)),
    row(
        Finalizing,
        Cancel,
        Always,
        Refuse(EcsError::SnapshotNotCopying),
    ),
    row(Completed, Start, Always, Reject),
    row(Completed, Progress, Always, Reject),
    row(Completed, Complete, Always, Reject),
    row(Completed, Fail, Always, Reject),
    row(Completed, Cancel, Always, Refuse(EcsError::CopyFinished)),
    row(Failed, Start, Always, Reject),
    row(Failed, Progress, Always, Reject),
    row(Failed, Complete, Always, Reject),
    row(Failed, Fail, Always, Reject),
    row(Failed, Cancel, Always, Refuse(EcsError::CopyFailed)),
    row(Cancelled, Start, Always, Reject),
    row(Cancelled, Progress, Always, Reject),
    row(Cancelled, Complete, Always, Reject),
    row(Cancelled, Fail, Always, Reject),
    row(Cancelled, Cancel, Always, Refuse(EcsError::ImageNotFound)),
];

/// The one bit of the task or event that a guard reads: for `Cancel`
/// whether the task is cancellable, for `Progress` whether it reaches 100%.
/// `Always` rows fill both values of the bit.
const fn guard_bits(guard: Guard) -> [bool; 2] {
    match guard {
        Always => [true, true],
        Cancellable | At100 => [false, true],
        NotCancellable | Below100 => [true, false],
    }
}

const fn guard_fits(guard: Guard, event: EventKind) -> bool {
    match guard {
        Always => true,
        Cancellable | NotCancellable => matches!(event, Cancel),
        Below100 | At100 => matches!(event, Progress),
    }
}

/// The table as a dense array: `[phase][event][guard bit]`.
pub(crate) type Lookup = [[[Outcome; 2]; EventKind::COUNT]; CopyPhase::COUNT];

/// Builds the dense lookup, failing the build on a table that does not cover
/// every (phase, event, guard bit) exactly once with a fitting outcome.
const fn build(table: &[Transition]) -> Lookup {
    let mut cells: [[[Option<Outcome>; 2]; EventKind::COUNT]; CopyPhase::COUNT] =
        [[[None; 2]; EventKind::COUNT]; CopyPhase::COUNT];
    let mut i = 0;
    while i < table.len() {
        let t = table[i];
        assert!(guard_fits(t.guard, t.event), "a guard on the wrong event");
        let fits = match t.outcome {
            Refuse(_) => matches!(t.event, Cancel),
            Reject => t.event.is_lifecycle(),
            Enter(_) => true,
        };
        assert!(
            fits,
            "refusals are for Cancel, rejections for lifecycle events"
        );
        let bits = guard_bits(t.guard);
        let mut bit = 0;
        while bit < 2 {
            if bits[bit] {
                let cell = &mut cells[t.from as usize][t.event as usize][bit];
                assert!(cell.is_none(), "a (phase, event) pair listed twice");
                *cell = Some(t.outcome);
            }
            bit += 1;
        }
        i += 1;
    }
    let mut lookup = [[[Reject; 2]; EventKind::COUNT]; CopyPhase::COUNT];
    let mut phase = 0;
    while phase < CopyPhase::COUNT {
        let mut event = 0;
        while event < EventKind::COUNT {
            let mut bit = 0;
            while bit < 2 {
                match cells[phase][event][bit] {
                    Some(outcome) => lookup[phase][event][bit] = outcome,
                    None => panic!("a (phase, event) pair missing from the table"),
                }
                bit += 1;
            }
            event += 1;
        }
        phase += 1;
    }
    lookup
}

pub(crate) const LOOKUP: Lookup = build(TABLE);

/// The `Cancel` column of the lookup as plain results, `[phase][cancellable]`,
/// which `CopyTask::cancel` is checked against at compile time.
pub(crate) const CANCEL: [[Result<CopyPhase, EcsError>; 2]; CopyPhase::COUNT] = {
    let mut cancel = [[Ok(CopyPhase::Cancelled); 2]; CopyPhase::COUNT];
    let mut phase = 0;
    while phase < CopyPhase::COUNT {
        let mut bit = 0;
        while bit < 2 {
            cancel[phase][bit] = match LOOKUP[phase][Cancel as usize][bit] {
                Enter(to) => Ok(to),
                Refuse(error) => Err(error),
                Reject => panic!("`build` refuses a `Reject` on `Cancel`"),
            };
            bit += 1;
        }
        phase += 1;
    }
    cancel
};
