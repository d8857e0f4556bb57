//! The task layer: one image copy task, a three-byte value that the
//! transition table moves, and the error catalog every layer answers from.
//!
//! Nothing here knows of accounts, regions or the wire.

mod catalog;
mod event;
mod percent;
mod phase;
mod transition;

pub use self::catalog::{EcsError, ErrorCode, Layer, Provenance};
pub use self::event::{CopyEvent, EventKind};
pub use self::percent::{Percent, PercentError};
pub use self::phase::{CopyPhase, ImageStatus};
pub use self::transition::{Guard, Outcome, Transition};

use self::transition::{CANCEL, LOOKUP};
use strum::EnumCount;

/// One image copy task: the lifecycle of the copy's destination image.
///
/// A small `Copy` value: its phase, its progress and whether the copy may be
/// cancelled. Every method returns a new task, or an error and no change.
///
/// ```
/// use ecs_image_copy::{CopyPhase, CopyTask, EcsError, ImageStatus, Percent};
///
/// let task = CopyTask::new().start()?.progress_to(Percent::new(40).unwrap())?;
/// assert_eq!(task.status(), Some(ImageStatus::Creating));
/// assert_eq!(task.progress().to_string(), "40%");
///
/// // CancelCopyImage: allowed while the data is still being copied.
/// let cancelled = task.cancel()?;
/// assert_eq!(cancelled.phase(), CopyPhase::Cancelled);
/// assert_eq!(cancelled.status(), None);
///
/// // Once all data is copied, the API refuses, and says why.
/// let finalizing = task.progress_to(Percent::FULL)?;
/// assert_eq!(finalizing.cancel(), Err(EcsError::SnapshotNotCopying));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "TaskFields", into = "TaskFields")
)]
pub struct CopyTask {
    phase: CopyPhase,
    progress: Percent,
    cancellable: bool,
}

impl Default for CopyTask {
    /// A queued, cancellable copy.
    fn default() -> CopyTask {
        CopyTask::new()
    }
}

impl CopyTask {
    /// A new copy, queued and cancellable (CopyImage's default).
    pub const fn new() -> CopyTask {
        CopyTask {
            phase: CopyPhase::Queued,
            progress: Percent::ZERO,
            cancellable: true,
        }
    }

    /// The same task, with whether it may be cancelled set to `cancellable`.
    pub const fn with_cancellable(self, cancellable: bool) -> CopyTask {
        CopyTask {
            cancellable,
            ..self
        }
    }

    /// The phase the task is in.
    pub const fn phase(self) -> CopyPhase {
        self.phase
    }

    /// How much data has been copied: 0% while queued, 100% once finalizing,
    /// and where the copy stopped once failed or cancelled.
    pub const fn progress(self) -> Percent {
        self.progress
    }

    /// Whether CancelCopyImage may cancel this copy while it runs.
    pub const fn is_cancellable(self) -> bool {
        self.cancellable
    }

    /// The `Status` DescribeImages shows, or `None` once cancelled, when the
    /// destination image no longer exists.
    pub const fn status(self) -> Option<ImageStatus> {
        self.phase.status()
    }

    /// CancelCopyImage on this task's destination image: the cancelled task,
    /// or the exact error the API answers.
    ///
    /// The hot path of every cancel, so it is a plain `match` rather than a
    /// table load; the build fails if it ever disagrees with
    /// [`Transition::ALL`].
    #[inline]
    pub const fn cancel(self) -> Result<CopyTask, EcsError> {
        let refusal = match self.phase {
            CopyPhase::Queued | CopyPhase::Copying if self.cancellable => {
                return Ok(CopyTask {
                    phase: CopyPhase::Cancelled,
                    ..self
                });
            }
            CopyPhase::Queued | CopyPhase::Copying => EcsError::CancelNotSupported,
            CopyPhase::Finalizing => EcsError::SnapshotNotCopying,
            CopyPhase::Completed => EcsError::CopyFinished,
            CopyPhase::Failed => EcsError::CopyFailed,
            CopyPhase::Cancelled => EcsError::ImageNotFound,
        };
        Err(refusal)
    }

    /// A copy slot freed up: a queued copy starts copying at 0%.
    pub const fn start(self) -> Result<CopyTask, TransitionError> {
        self.lifecycle(CopyEvent::Start)
    }

    /// The transfer reached `percent`; at 100% the copy is finalizing.
    pub const fn progress_to(self, percent: Percent) -> Result<CopyTask, TransitionError> {
        self.lifecycle(CopyEvent::Progress(percent))
    }

    /// The image is registered: a finalizing copy completes.
    pub const fn complete(self) -> Result<CopyTask, TransitionError> {
        self.lifecycle(CopyEvent::Complete)
    }

    /// The copy failed; its progress stays where it stopped.
    pub const fn fail(self) -> Result<CopyTask, TransitionError> {
        self.lifecycle(CopyEvent::Fail)
    }

    /// Applies any event: the new task, or why the event was refused.
    pub const fn apply(self, event: CopyEvent) -> Result<CopyTask, EventError> {
        match event {
            CopyEvent::Cancel => match self.cancel() {
                Ok(task) => Ok(task),
                Err(error) => Err(EventError::Refused(error)),
            },
            lifecycle => match self.lifecycle(lifecycle) {
                Ok(task) => Ok(task),
                Err(error) => Err(EventError::Invalid(error)),
            },
        }
    }

    const fn lifecycle(self, event: CopyEvent) -> Result<CopyTask, TransitionError> {
        let (progress, reaches_full) = match event {
            CopyEvent::Progress(to) if to.get() < self.progress.get() => {
                return Err(TransitionError::ProgressBackwards {
                    phase: self.phase,
                    current: self.progress,
                    requested: to,
                });
            }
            CopyEvent::Progress(to) => (to, to.is_full()),
            _ => (self.progress, false),
        };
        match LOOKUP[self.phase as usize][event.kind() as usize][reaches_full as usize] {
            Outcome::Enter(phase) => Ok(CopyTask {
                phase,
                progress,
                ..self
            }),
            _ => Err(TransitionError::NotAllowed {
                phase: self.phase,
                event,
            }),
        }
    }
}

/// `CopyTask::cancel` answers, in every phase and for either
/// cancellability, what the transition table says.
const _: () = {
    let mut phase = 0;
    while phase < CopyPhase::COUNT {
        let mut bit = 0;
        while bit < 2 {
            let task = CopyTask {
                phase: CopyPhase::ALL[phase],
                progress: Percent::ZERO,
                cancellable: bit == 1,
            };
            let agree = match (task.cancel(), CANCEL[phase][bit]) {
                (Ok(cancelled), Ok(to)) => cancelled.phase as u8 == to as u8,
                (Err(answered), Err(listed)) => answered as u8 == listed as u8,
                _ => false,
            };
            assert!(CopyPhase::ALL[phase] as usize == phase);
            assert!(agree, "CopyTask::cancel disagrees with Transition::ALL");
            bit += 1;
        }
        phase += 1;
    }
};

/// A lifecycle event the task's phase cannot take: a mistake of the embedder
/// that feeds the backend's events, not an answer of the ECS API.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransitionError {
    /// The event does not apply in this phase.
    #[error("`{event}` is not allowed while the copy is {phase}")]
    NotAllowed {
        /// The phase the task was in.
        phase: CopyPhase,
        /// The event that was refused.
        event: CopyEvent,
    },
    /// A progress below the progress already reached.
    #[error(
        "`progress to {requested}` is not allowed while the copy is {phase} at {current}: progress never goes backwards"
    )]
    ProgressBackwards {
        /// The phase the task was in.
        phase: CopyPhase,
        /// The progress already reached.
        current: Percent,
        /// The lower progress that was asked for.
        requested: Percent,
    },
}

impl TransitionError {
    /// The phase the task was in.
    pub const fn phase(&self) -> CopyPhase {
        match *self {
            TransitionError::NotAllowed { phase, .. }
            | TransitionError::ProgressBackwards { phase, .. } => phase,
        }
    }

    /// The event that was refused.
    pub const fn event(&self) -> CopyEvent {
        match *self {
            TransitionError::NotAllowed { event, .. } => event,
            TransitionError::ProgressBackwards { requested, .. } => CopyEvent::Progress(requested),
        }
    }
}

/// Why [`CopyTask::apply`] refused an event.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    /// The API refused the cancel, with this ECS error.
    #[error(transparent)]
    Refused(EcsError),
    /// The phase cannot take this lifecycle event.
    #[error(transparent)]
    Invalid(TransitionError),
}

/// `CopyTask` must stay small enough to keep millions of copies in memory.
const _: () = assert!(core::mem::size_of::<CopyTask>() <= 4);

/// The serialized form of a [`CopyTask`], checked on the way in.
#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskFields {
    phase: CopyPhase,
    progress: Percent,
    cancellable: bool,
}

#[cfg(feature = "serde")]
impl From<CopyTask> for TaskFields {
    fn from(task: CopyTask) -> TaskFields {
        TaskFields {
            phase: task.phase,
            progress: task.progress,
            cancellable: task.cancellable,
        }
    }
}

/// Serialized task fields that no sequence of events can produce.
#[cfg(feature = "serde")]
#[derive(Debug, thiserror::Error)]
#[error("a {phase} copy cannot be at {progress}")]
struct InconsistentTask {
    phase: CopyPhase,
    progress: Percent,
}

#[cfg(feature = "serde")]
impl TryFrom<TaskFields> for CopyTask {
    type Error = InconsistentTask;

    fn try_from(fields: TaskFields) -> Result<CopyTask, InconsistentTask> {
        let TaskFields {
            phase,
            progress,
            cancellable,
        } = fields;
        let consistent = match phase {
            CopyPhase::Queued => progress.get() == 0,
            CopyPhase::Copying => !progress.is_full(),
            CopyPhase::Finalizing | CopyPhase::Completed => progress.is_full(),
            CopyPhase::Cancelled => !progress.is_full(),
            CopyPhase::Failed => true,
        };
        match consistent {
            true => Ok(CopyTask {
                phase,
                progress,
                cancellable,
            }),
            false => Err(InconsistentTask { phase, progress }),
        }
    }
}
