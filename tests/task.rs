//! `CopyTask` against a hand-written expectation.
//!
//! The expectation below ([`expected`]) is written from the decision tables of
//! `docs/semantics.md` and the CancelCopyImage page
//! (`docs/reference/CancelCopyImage.md`), not from `Transition::ALL`: a wrong row in the table fails these
//! tests instead of being copied into them. Tasks are built only through the
//! public lifecycle methods, as an embedder would.

use ecs_image_copy::{
    CopyEvent, CopyPhase, CopyTask, EcsError, EventError, EventKind, Guard, ImageStatus, Outcome,
    Percent, PercentError, Transition, TransitionError,
};
use proptest::prelude::*;

fn pct(value: u8) -> Percent {
    Percent::new(value).expect("a test percentage is at most 100")
}

/// Every phase, written out here rather than taken from the crate.
const PHASES: [CopyPhase; 6] = [
    CopyPhase::Queued,
    CopyPhase::Copying,
    CopyPhase::Finalizing,
    CopyPhase::Completed,
    CopyPhase::Failed,
    CopyPhase::Cancelled,
];

/// A task in `phase`, reached only through public methods.
///
/// `progress` is where the copy stands for the phases whose progress varies:
/// `Copying` (below 100), `Failed` (any) and `Cancelled` (below 100). The
/// other phases have a fixed progress and ignore it.
fn task_in(phase: CopyPhase, cancellable: bool, progress: u8) -> CopyTask {
    let queued = CopyTask::new().with_cancellable(cancellable);
    let copying_at = |at: u8| {
        assert!(at < 100, "a copying task is below 100%");
        let copying = queued.start().unwrap();
        match at {
            0 => copying,
            at => copying.progress_to(pct(at)).unwrap(),
        }
    };
    let finalizing = || queued.start().unwrap().progress_to(Percent::FULL).unwrap();
    let task = match phase {
        CopyPhase::Queued => queued,
        CopyPhase::Copying => copying_at(progress),
        CopyPhase::Finalizing => finalizing(),
        CopyPhase::Completed => finalizing().complete().unwrap(),
        CopyPhase::Failed => match progress {
            0 => queued.fail().unwrap(),
            100 => finalizing().fail().unwrap(),
            at => copying_at(at).fail().unwrap(),
        },
        // Only a cancellable copy can be cancelled; the flag is set back
        // afterwards so that both values exist in `Cancelled` too.
        CopyPhase::Cancelled => copying_at(progress)
            .with_cancellable(true)
            .cancel()
            .unwrap()
            .with_cancellable(cancellable),
        other => panic!("a phase this test does not know: {other:?}"),
    };
    assert_eq!(task.phase(), phase);
    assert_eq!(task.is_cancellable(), cancellable);
    task
}

/// Tasks in every phase, both cancellabilities, and the interesting
/// progresses of each phase.
fn samples() -> Vec<CopyTask> {
    let mut tasks = Vec::new();
    for cancellable in [true, false] {
        tasks.push(task_in(CopyPhase::Queued, cancellable, 0));
        for at in [0, 1, 37, 98, 99] {
            tasks.push(task_in(CopyPhase::Copying, cancellable, at));
        }
        tasks.push(task_in(CopyPhase::Finalizing, cancellable, 100));
        tasks.push(task_in(CopyPhase::Completed, cancellable, 100));
        for at in [0, 1, 37, 99, 100] {
            tasks.push(task_in(CopyPhase::Failed, cancellable, at));
        }
        for at in [0, 37, 99] {
            tasks.push(task_in(CopyPhase::Cancelled, cancellable, at));
        }
    }
    tasks
}

/// Every event: the four without data, and a progress to each of 0..=100%
/// (for any task, values below, equal to and above its progress, and 100%).
fn all_events() -> Vec<CopyEvent> {
    let mut events = vec![
        CopyEvent::Start,
        CopyEvent::Complete,
        CopyEvent::Fail,
        CopyEvent::Cancel,
    ];
    events.extend((0..=100).map(|n| CopyEvent::Progress(pct(n))));
    events
}

/// What an event must do, from the decision tables of `docs/semantics.md`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Expected {
    /// The task moves to this phase, at this progress.
    Enters(CopyPhase, u8),
    /// CancelCopyImage answers this error.
    Refused {
        status: u16,
        code: &'static str,
        message: &'static str,
    },
    /// `TransitionError::NotAllowed`.
    NotAllowed,
    /// `TransitionError::ProgressBackwards`.
    Backwards,
}

const CANCEL_NOT_SUPPORTED: Expected = Expected::Refused {
    status: 400,
    code: "CancelNotSupported",
    message: "The specified image copying can not be cancelled.",
};
const SNAPSHOT_NOT_COPING: Expected = Expected::Refused {
    status: 400,
    code: "IncorrectImageStatus",
    message: "The specified snapshot is not coping.",
};
const COPIED_FINISHED: Expected = Expected::Refused {
    status: 400,
    code: "IncorrectImageStatus",
    message: "The image is copied finished.",
};
const COPY_FAILED: Expected = Expected::Refused {
    status: 400,
    code: "IncorrectImageStatus",
    message: "The Image copy has been failed.",
};
const IMAGE_NOT_FOUND: Expected = Expected::Refused {
    status: 404,
    code: "InvalidImageId.NotFound",
    message: "The specified ImageId does not exist.",
};

/// The hand-written expectation: the cancel table and lifecycle of
/// `docs/semantics.md`.
fn expected(phase: CopyPhase, progress: u8, cancellable: bool, event: CopyEvent) -> Expected {
    use CopyPhase::{Cancelled, Completed, Copying, Failed, Finalizing, Queued};
    use Expected::{Backwards, Enters, NotAllowed};
    match event {
        CopyEvent::Cancel => match phase {
            Queued | Copying if cancellable => Enters(Cancelled, progress),
            Queued | Copying => CANCEL_NOT_SUPPORTED,
            Finalizing => SNAPSHOT_NOT_COPING,
            Completed => COPIED_FINISHED,
            Failed => COPY_FAILED,
            Cancelled => IMAGE_NOT_FOUND,
            other => panic!("a phase this test does not know: {other:?}"),
        },
        CopyEvent::Start => match phase {
            Queued => Enters(Copying, 0),
            _ => NotAllowed,
        },
        // Progress never goes backwards, in any phase; that is checked
        // before whether the phase takes progress at all.
        CopyEvent::Progress(to) if to.get() < progress => Backwards,
        CopyEvent::Progress(to) => match (phase, to.get()) {
            (Copying, 100) => Enters(Finalizing, 100),
            (Copying, n) => Enters(Copying, n),
            _ => NotAllowed,
        },
        CopyEvent::Complete => match phase {
            Finalizing => Enters(Completed, 100),
            _ => NotAllowed,
        },
        CopyEvent::Fail => match phase {
            Queued | Copying | Finalizing => Enters(Failed, progress),
            _ => NotAllowed,
        },
        other => panic!("an event this test does not know: {other:?}"),
    }
}

/// The phase's name as errors write it.
fn phase_name(phase: CopyPhase) -> &'static str {
    match phase {
        CopyPhase::Queued => "Queued",
        CopyPhase::Copying => "Copying",
        CopyPhase::Finalizing => "Finalizing",
        CopyPhase::Completed => "Completed",
        CopyPhase::Failed => "Failed",
        CopyPhase::Cancelled => "Cancelled",
        other => panic!("a phase this test does not know: {other:?}"),
    }
}

/// The event's name as errors write it.
fn event_text(event: CopyEvent) -> String {
    match event {
        CopyEvent::Start => "start".to_owned(),
        CopyEvent::Progress(to) => format!("progress to {}%", to.get()),
        CopyEvent::Complete => "complete".to_owned(),
        CopyEvent::Fail => "fail".to_owned(),
        CopyEvent::Cancel => "cancel".to_owned(),
        other => panic!("an event this test does not know: {other:?}"),
    }
}

/// The same event through the named method instead of `apply`.
fn by_method(task: CopyTask, event: CopyEvent) -> Result<CopyTask, EventError> {
    match event {
        CopyEvent::Start => task.start().map_err(EventError::Invalid),
        CopyEvent::Progress(to) => task.progress_to(to).map_err(EventError::Invalid),
        CopyEvent::Complete => task.complete().map_err(EventError::Invalid),
        CopyEvent::Fail => task.fail().map_err(EventError::Invalid),
        CopyEvent::Cancel => task.cancel().map_err(EventError::Refused),
        other => panic!("an event this test does not know: {other:?}"),
    }
}

/// Applies `event` to `task` and checks the answer against [`expected`].
fn check(task: CopyTask, event: CopyEvent) -> Expected {
    let want = expected(
        task.phase(),
        task.progress().get(),
        task.is_cancellable(),
        event,
    );
    let got = task.apply(event);
    let context = format!("{task:?} + {event:?}: expected {want:?}, got {got:?}");
    assert_eq!(
        got,
        by_method(task, event),
        "apply and the method differ: {context}"
    );
    // The same call on the same value gives the same answer.
    assert_eq!(got, task.apply(event), "{context}");
    match want {
        Expected::Enters(phase, progress) => {
            let next = got.unwrap_or_else(|_| panic!("{context}"));
            assert_eq!(next.phase(), phase, "{context}");
            assert_eq!(next.progress().get(), progress, "{context}");
            assert_eq!(next.is_cancellable(), task.is_cancellable(), "{context}");
        }
        Expected::Refused {
            status,
            code,
            message,
        } => {
            let Err(EventError::Refused(error)) = got else {
                panic!("{context}");
            };
            assert_eq!(error.status(), status, "{context}");
            assert_eq!(error.code().to_string(), code, "{context}");
            assert_eq!(error.message(), message, "{context}");
            assert_eq!(error.to_string(), format!("{code}: {message}"), "{context}");
            assert_eq!(got.unwrap_err().to_string(), format!("{code}: {message}"));
        }
        Expected::NotAllowed => {
            let error = TransitionError::NotAllowed {
                phase: task.phase(),
                event,
            };
            assert_eq!(got, Err(EventError::Invalid(error)), "{context}");
            let text = format!(
                "`{}` is not allowed while the copy is {}",
                event_text(event),
                phase_name(task.phase())
            );
            assert_eq!(error.to_string(), text);
            assert_eq!(got.unwrap_err().to_string(), text);
            assert_eq!(error.phase(), task.phase());
            assert_eq!(error.event(), event);
        }
        Expected::Backwards => {
            let CopyEvent::Progress(requested) = event else {
                panic!("{context}");
            };
            let error = TransitionError::ProgressBackwards {
                phase: task.phase(),
                current: task.progress(),
                requested,
            };
            assert_eq!(got, Err(EventError::Invalid(error)), "{context}");
            let text = format!(
                "`progress to {}%` is not allowed while the copy is {} at {}%: progress never goes backwards",
                requested.get(),
                phase_name(task.phase()),
                task.progress().get()
            );
            assert_eq!(error.to_string(), text);
            assert_eq!(got.unwrap_err().to_string(), text);
            assert_eq!(error.phase(), task.phase());
            assert_eq!(error.event(), event);
        }
    }
    want
}

#[test]
fn the_test_phase_list_is_every_phase() {
    assert_eq!(CopyPhase::ALL, PHASES);
}

#[test]
fn every_phase_cancellable_and_event_matches_the_issue() {
    let mut seen = std::collections::HashSet::new();
    let mut kinds = [0usize; 4];
    for task in samples() {
        for event in all_events() {
            let outcome = check(task, event);
            seen.insert((task.phase(), task.is_cancellable(), event.kind()));
            kinds[match outcome {
                Expected::Enters(..) => 0,
                Expected::Refused { .. } => 1,
                Expected::NotAllowed => 2,
                Expected::Backwards => 3,
            }] += 1;
        }
    }
    // Every (phase, cancellable, event) combination was checked, and every
    // kind of answer occurred.
    assert_eq!(seen.len(), PHASES.len() * 2 * EventKind::ALL.len());
    assert!(kinds.iter().all(|&count| count > 0), "{kinds:?}");
}

#[test]
fn progress_below_equal_between_and_at_100_in_every_phase() {
    // (phase, progress of the task) -> answers to progress below, equal,
    // between it and 100, and 100.
    use Expected::{Backwards, Enters, NotAllowed};
    let cases: &[(CopyPhase, u8, [Option<Expected>; 4])] = &[
        (
            CopyPhase::Queued,
            0,
            [None, Some(NotAllowed), Some(NotAllowed), Some(NotAllowed)],
        ),
        (
            CopyPhase::Copying,
            40,
            [
                Some(Backwards),
                Some(Enters(CopyPhase::Copying, 40)),
                Some(Enters(CopyPhase::Copying, 70)),
                Some(Enters(CopyPhase::Finalizing, 100)),
            ],
        ),
        (
            CopyPhase::Finalizing,
            100,
            [Some(Backwards), Some(NotAllowed), None, Some(NotAllowed)],
        ),
        (
            CopyPhase::Completed,
            100,
            [Some(Backwards), Some(NotAllowed), None, Some(NotAllowed)],
        ),
        (
            CopyPhase::Failed,
            40,
            [
                Some(Backwards),
                Some(NotAllowed),
                Some(NotAllowed),
                Some(NotAllowed),
            ],
        ),
        (
            CopyPhase::Cancelled,
            40,
            [
                Some(Backwards),
                Some(NotAllowed),
                Some(NotAllowed),
                Some(NotAllowed),
            ],
        ),
    ];
    for &(phase, at, answers) in cases {
        for cancellable in [true, false] {
            let task = task_in(phase, cancellable, at);
            assert_eq!(task.progress().get(), at);
            let targets = [
                at.checked_sub(10),
                Some(at),
                (at < 100).then_some(70),
                Some(100),
            ];
            for (target, answer) in targets.into_iter().zip(answers) {
                assert_eq!(target.is_some(), answer.is_some(), "{phase:?} at {at}");
                if let (Some(to), Some(answer)) = (target, answer) {
                    assert_eq!(check(task, CopyEvent::Progress(pct(to))), answer);
                }
            }
        }
    }
}

/// An API error as the page's table writes it: status, code, message.
type WireError = (u16, ecs_image_copy::ErrorCode, &'static str);

#[test]
fn cancel_follows_the_issue_table() {
    use ecs_image_copy::ErrorCode;
    let cases: &[(CopyPhase, bool, Result<CopyPhase, WireError>)] = &[
        (CopyPhase::Queued, true, Ok(CopyPhase::Cancelled)),
        (CopyPhase::Copying, true, Ok(CopyPhase::Cancelled)),
        (
            CopyPhase::Queued,
            false,
            Err((
                400,
                ErrorCode::CancelNotSupported,
                "The specified image copying can not be cancelled.",
            )),
        ),
        (
            CopyPhase::Copying,
            false,
            Err((
                400,
                ErrorCode::CancelNotSupported,
                "The specified image copying can not be cancelled.",
            )),
        ),
    ];
    let either_way: &[(CopyPhase, WireError)] = &[
        (
            CopyPhase::Finalizing,
            (
                400,
                ErrorCode::IncorrectImageStatus,
                "The specified snapshot is not coping.",
            ),
        ),
        (
            CopyPhase::Completed,
            (
                400,
                ErrorCode::IncorrectImageStatus,
                "The image is copied finished.",
            ),
        ),
        (
            CopyPhase::Failed,
            (
                400,
                ErrorCode::IncorrectImageStatus,
                "The Image copy has been failed.",
            ),
        ),
        (
            CopyPhase::Cancelled,
            (
                404,
                ErrorCode::InvalidImageIdNotFound,
                "The specified ImageId does not exist.",
            ),
        ),
    ];
    let all = cases.iter().copied().chain(
        either_way
            .iter()
            .flat_map(|&(phase, error)| [(phase, true, Err(error)), (phase, false, Err(error))]),
    );
    for (phase, cancellable, want) in all {
        let task = task_in(phase, cancellable, 30);
        match (task.cancel(), want) {
            (Ok(cancelled), Ok(want)) => {
                assert_eq!(cancelled.phase(), want);
                assert_eq!(cancelled.progress(), task.progress());
                assert_eq!(cancelled.status(), None);
            }
            (Err(error), Err((status, code, message))) => {
                assert_eq!(
                    (error.status(), error.code(), error.message()),
                    (status, code, message)
                );
            }
            (got, want) => {
                panic!("{phase:?} cancellable={cancellable}: got {got:?}, want {want:?}")
            }
        }
    }
}

#[test]
fn cancel_answers_named_catalog_errors() {
    let error = |phase, cancellable| task_in(phase, cancellable, 50).cancel().unwrap_err();
    assert_eq!(
        error(CopyPhase::Queued, false),
        EcsError::CancelNotSupported
    );
    assert_eq!(
        error(CopyPhase::Copying, false),
        EcsError::CancelNotSupported
    );
    for cancellable in [true, false] {
        assert_eq!(
            error(CopyPhase::Finalizing, cancellable),
            EcsError::SnapshotNotCopying
        );
        assert_eq!(
            error(CopyPhase::Completed, cancellable),
            EcsError::CopyFinished
        );
        assert_eq!(error(CopyPhase::Failed, cancellable), EcsError::CopyFailed);
        assert_eq!(
            error(CopyPhase::Cancelled, cancellable),
            EcsError::ImageNotFound
        );
    }
}

#[test]
fn status_and_progress_of_every_phase() {
    for cancellable in [true, false] {
        let queued = task_in(CopyPhase::Queued, cancellable, 0);
        assert_eq!(queued.status(), Some(ImageStatus::Waiting));
        assert_eq!(queued.progress().to_string(), "0%");
        for at in 0..100 {
            let copying = task_in(CopyPhase::Copying, cancellable, at);
            assert_eq!(copying.status(), Some(ImageStatus::Creating));
            assert_eq!(copying.progress().to_string(), format!("{at}%"));
        }
        let finalizing = task_in(CopyPhase::Finalizing, cancellable, 100);
        assert_eq!(finalizing.status(), Some(ImageStatus::Creating));
        assert_eq!(finalizing.progress().to_string(), "100%");
        let completed = task_in(CopyPhase::Completed, cancellable, 100);
        assert_eq!(completed.status(), Some(ImageStatus::Available));
        assert_eq!(completed.progress().to_string(), "100%");
        for at in 0..=100 {
            let failed = task_in(CopyPhase::Failed, cancellable, at);
            assert_eq!(failed.status(), Some(ImageStatus::CreateFailed));
            assert_eq!(failed.progress().to_string(), format!("{at}%"));
        }
        for at in 0..100 {
            let cancelled = task_in(CopyPhase::Cancelled, cancellable, at);
            assert_eq!(cancelled.status(), None);
            assert_eq!(cancelled.phase().status(), None);
        }
    }
    assert_eq!(ImageStatus::Waiting.to_string(), "Waiting");
    assert_eq!(ImageStatus::Creating.to_string(), "Creating");
    assert_eq!(ImageStatus::Available.to_string(), "Available");
    assert_eq!(ImageStatus::CreateFailed.to_string(), "CreateFailed");
}

#[test]
fn a_new_task_is_queued_cancellable_at_zero() {
    for task in [CopyTask::new(), CopyTask::default()] {
        assert_eq!(task.phase(), CopyPhase::Queued);
        assert_eq!(task.progress(), Percent::ZERO);
        assert!(task.is_cancellable());
        assert_eq!(task.status(), Some(ImageStatus::Waiting));
    }
    assert!(!CopyTask::new().with_cancellable(false).is_cancellable());
}

#[test]
fn lifecycle_of_a_successful_copy() {
    let queued = CopyTask::new().with_cancellable(false);
    let copying = queued.start().unwrap();
    assert_eq!(
        (copying.phase(), copying.progress()),
        (CopyPhase::Copying, pct(0))
    );
    let mut task = copying;
    for at in [0, 1, 30, 30, 99] {
        task = task.progress_to(pct(at)).unwrap();
        assert_eq!(
            (task.phase(), task.progress()),
            (CopyPhase::Copying, pct(at))
        );
    }
    let finalizing = task.progress_to(Percent::FULL).unwrap();
    assert_eq!(
        (finalizing.phase(), finalizing.progress()),
        (CopyPhase::Finalizing, Percent::FULL)
    );
    let completed = finalizing.complete().unwrap();
    assert_eq!(
        (completed.phase(), completed.progress()),
        (CopyPhase::Completed, Percent::FULL)
    );
    assert!(!completed.is_cancellable());
    // Progress may jump straight from 0% to 100%.
    let jumped = copying.progress_to(Percent::FULL).unwrap();
    assert_eq!(jumped.phase(), CopyPhase::Finalizing);
}

#[test]
fn fail_keeps_the_progress_reached() {
    let queued = CopyTask::new();
    let failed = queued.fail().unwrap();
    assert_eq!(
        (failed.phase(), failed.progress()),
        (CopyPhase::Failed, pct(0))
    );
    let copying = queued.start().unwrap().progress_to(pct(63)).unwrap();
    let failed = copying.fail().unwrap();
    assert_eq!(
        (failed.phase(), failed.progress()),
        (CopyPhase::Failed, pct(63))
    );
    let finalizing = copying.progress_to(Percent::FULL).unwrap();
    let failed = finalizing.fail().unwrap();
    assert_eq!(
        (failed.phase(), failed.progress()),
        (CopyPhase::Failed, Percent::FULL)
    );
}

#[test]
fn transition_errors_say_phase_and_event() {
    let queued = CopyTask::new();
    let copying = queued.start().unwrap().progress_to(pct(40)).unwrap();
    let cases: Vec<(Result<CopyTask, TransitionError>, &str)> = vec![
        (
            queued.complete(),
            "`complete` is not allowed while the copy is Queued",
        ),
        (
            queued.progress_to(pct(30)),
            "`progress to 30%` is not allowed while the copy is Queued",
        ),
        (
            copying.start(),
            "`start` is not allowed while the copy is Copying",
        ),
        (
            copying.complete(),
            "`complete` is not allowed while the copy is Copying",
        ),
        (
            copying.progress_to(pct(20)),
            "`progress to 20%` is not allowed while the copy is Copying at 40%: progress never goes backwards",
        ),
        (
            copying
                .progress_to(Percent::FULL)
                .unwrap()
                .progress_to(Percent::FULL),
            "`progress to 100%` is not allowed while the copy is Finalizing",
        ),
        (
            copying
                .progress_to(Percent::FULL)
                .unwrap()
                .complete()
                .unwrap()
                .fail(),
            "`fail` is not allowed while the copy is Completed",
        ),
        (
            copying.fail().unwrap().fail(),
            "`fail` is not allowed while the copy is Failed",
        ),
        (
            copying.fail().unwrap().progress_to(pct(0)),
            "`progress to 0%` is not allowed while the copy is Failed at 40%: progress never goes backwards",
        ),
        (
            copying.cancel().unwrap().start(),
            "`start` is not allowed while the copy is Cancelled",
        ),
    ];
    for (result, text) in cases {
        assert_eq!(result.unwrap_err().to_string(), text);
    }
    let error = queued.complete().unwrap_err();
    assert_eq!(
        error,
        TransitionError::NotAllowed {
            phase: CopyPhase::Queued,
            event: CopyEvent::Complete
        }
    );
    assert_eq!(
        (error.phase(), error.event()),
        (CopyPhase::Queued, CopyEvent::Complete)
    );
    let backwards = copying.progress_to(pct(20)).unwrap_err();
    assert_eq!(
        backwards,
        TransitionError::ProgressBackwards {
            phase: CopyPhase::Copying,
            current: pct(40),
            requested: pct(20),
        }
    );
    assert_eq!(backwards.event(), CopyEvent::Progress(pct(20)));
}

#[test]
fn event_error_displays_its_cause() {
    let refused = CopyTask::new()
        .with_cancellable(false)
        .apply(CopyEvent::Cancel);
    assert_eq!(
        refused,
        Err(EventError::Refused(EcsError::CancelNotSupported))
    );
    assert_eq!(
        refused.unwrap_err().to_string(),
        "CancelNotSupported: The specified image copying can not be cancelled."
    );
    let invalid = CopyTask::new()
        .apply(CopyEvent::Fail)
        .unwrap()
        .apply(CopyEvent::Start);
    assert_eq!(
        invalid.unwrap_err().to_string(),
        "`start` is not allowed while the copy is Failed"
    );
}

#[test]
fn event_display_and_kind() {
    let cases = [
        (CopyEvent::Start, EventKind::Start, "start"),
        (
            CopyEvent::Progress(pct(30)),
            EventKind::Progress,
            "progress to 30%",
        ),
        (CopyEvent::Complete, EventKind::Complete, "complete"),
        (CopyEvent::Fail, EventKind::Fail, "fail"),
        (CopyEvent::Cancel, EventKind::Cancel, "cancel"),
    ];
    for (event, kind, text) in cases {
        assert_eq!(event.kind(), kind);
        assert_eq!(event.to_string(), text);
        assert_eq!(kind.is_lifecycle(), kind != EventKind::Cancel);
    }
}

/// The guard bit values under which a row applies: `cancellable` for
/// `Cancel`, "reaches 100%" for `Progress`.
fn guard_values(guard: Guard) -> &'static [bool] {
    match guard {
        Guard::Always => &[false, true],
        Guard::Cancellable | Guard::At100 => &[true],
        Guard::NotCancellable | Guard::Below100 => &[false],
        other => panic!("a guard this test does not know: {other:?}"),
    }
}

#[test]
fn every_transition_row_is_what_the_task_does() {
    let mut covered = std::collections::HashSet::new();
    for row in Transition::ALL {
        for &bit in guard_values(row.guard) {
            assert!(
                covered.insert((row.from, row.event, bit)),
                "{row:?} overlaps another row"
            );
            // Tasks in `from`, both cancellabilities where the guard allows,
            // and every event of the row's kind that the guard selects.
            let cancellabilities: &[bool] = match row.event {
                EventKind::Cancel => &[bit][..],
                _ => &[true, false][..],
            };
            for &cancellable in cancellabilities {
                // Progress 0 where the phase allows it, so that no progress
                // event is backwards.
                let task = task_in(row.from, cancellable, 0);
                let events: Vec<CopyEvent> = match row.event {
                    EventKind::Start => vec![CopyEvent::Start],
                    EventKind::Complete => vec![CopyEvent::Complete],
                    EventKind::Fail => vec![CopyEvent::Fail],
                    EventKind::Cancel => vec![CopyEvent::Cancel],
                    EventKind::Progress => (task.progress().get()..=100)
                        .filter(|&n| (n == 100) == bit)
                        .map(|n| CopyEvent::Progress(pct(n)))
                        .collect(),
                    other => panic!("an event this test does not know: {other:?}"),
                };
                for event in events {
                    let got = task.apply(event);
                    let context = format!("{row:?}: {task:?} + {event:?} gave {got:?}");
                    match row.outcome {
                        Outcome::Enter(phase) => {
                            assert_eq!(got.map(CopyTask::phase), Ok(phase), "{context}")
                        }
                        Outcome::Refuse(error) => {
                            assert_eq!(got, Err(EventError::Refused(error)), "{context}")
                        }
                        Outcome::Reject => assert_eq!(
                            got,
                            Err(EventError::Invalid(TransitionError::NotAllowed {
                                phase: row.from,
                                event
                            })),
                            "{context}"
                        ),
                        other => panic!("an outcome this test does not know: {other:?}"),
                    }
                    // And the row agrees with the hand-written expectation.
                    check(task, event);
                }
            }
        }
    }
    // The table covers every (phase, event, guard bit) exactly once.
    assert_eq!(covered.len(), PHASES.len() * EventKind::ALL.len() * 2);
}

#[test]
fn percent_displays_as_describe_images_does() {
    for n in 0..=100u8 {
        let p = pct(n);
        assert_eq!(p.get(), n);
        assert_eq!(u8::from(p), n);
        assert_eq!(Percent::try_from(n), Ok(p));
        assert_eq!(p.to_string(), format!("{n}%"));
        assert_eq!(p.to_string().parse::<Percent>(), Ok(p));
        assert_eq!(p.is_full(), n == 100);
    }
    for n in 101..=u8::MAX {
        assert_eq!(Percent::new(n), None);
        assert_eq!(
            Percent::try_from(n).unwrap_err().to_string(),
            format!("`{n}` is not a progress between 0% and 100%")
        );
    }
    assert_eq!(Percent::ZERO, pct(0));
    assert_eq!(Percent::FULL, pct(100));
    assert_eq!(Percent::default(), Percent::ZERO);
}

#[test]
fn percent_parses_describe_images_strings() {
    let good = [
        ("32%", 32),
        ("100%", 100),
        ("0%", 0),
        ("32", 32),
        ("100", 100),
    ];
    for (text, n) in good {
        assert_eq!(text.parse::<Percent>(), Ok(pct(n)), "{text:?}");
    }
    let bad = [
        "101%",
        "+5%",
        "",
        "%",
        "-1%",
        "abc",
        "256%",
        "1000%",
        "99999999999999999999%",
        " 5%",
        "5% ",
        "5%%",
        "%5",
        "5.0%",
        "0x10%",
        "٣%",
        "5 %",
    ];
    for text in bad {
        let error: PercentError = text.parse::<Percent>().unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("`{text}` is not a progress between 0% and 100%"),
            "{text:?}"
        );
    }
}

// Properties over arbitrary sequences of events.

/// Events, weighted so that runs often get through the whole lifecycle.
fn arb_event() -> impl Strategy<Value = CopyEvent> {
    let percent = prop_oneof![3 => 0u8..=100, 1 => Just(100u8)];
    prop_oneof![
        2 => Just(CopyEvent::Start),
        4 => percent.prop_map(|n| CopyEvent::Progress(pct(n))),
        2 => Just(CopyEvent::Complete),
        1 => Just(CopyEvent::Fail),
        2 => Just(CopyEvent::Cancel),
    ]
}

/// A starting cancellability and the events applied to a new task.
fn arb_run() -> impl Strategy<Value = (bool, Vec<CopyEvent>)> {
    (any::<bool>(), prop::collection::vec(arb_event(), 0..40))
}

/// One event applied: the task before, the event, the answer, and the task
/// kept afterwards (the new one, or the old one on an error).
struct Step {
    before: CopyTask,
    event: CopyEvent,
    result: Result<CopyTask, EventError>,
    after: CopyTask,
}

fn run(cancellable: bool, events: &[CopyEvent]) -> Vec<Step> {
    let mut task = CopyTask::new().with_cancellable(cancellable);
    let mut steps = Vec::with_capacity(events.len());
    for &event in events {
        let before = task;
        let result = task.apply(event);
        if let Ok(next) = result {
            task = next;
        }
        steps.push(Step {
            before,
            event,
            result,
            after: task,
        });
    }
    steps
}

fn is_terminal(phase: CopyPhase) -> bool {
    matches!(
        phase,
        CopyPhase::Completed | CopyPhase::Failed | CopyPhase::Cancelled
    )
}

#[test]
fn the_event_strategy_reaches_every_phase() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut reached = std::collections::HashSet::new();
    for _ in 0..256 {
        let (cancellable, events) = arb_run().new_tree(&mut runner).unwrap().current();
        reached.extend(
            run(cancellable, &events)
                .iter()
                .map(|step| step.after.phase()),
        );
    }
    assert_eq!(reached.len(), PHASES.len(), "{reached:?}");
}

proptest! {
    #[test]
    fn every_step_matches_the_hand_written_expectation((cancellable, events) in arb_run()) {
        for step in run(cancellable, &events) {
            check(step.before, step.event);
        }
    }

    #[test]
    fn progress_never_decreases((cancellable, events) in arb_run()) {
        for step in run(cancellable, &events) {
            prop_assert!(step.after.progress() >= step.before.progress());
            if let CopyEvent::Progress(to) = step.event
                && to < step.before.progress()
            {
                let is_backwards = matches!(
                    step.result,
                    Err(EventError::Invalid(TransitionError::ProgressBackwards { .. }))
                );
                prop_assert!(is_backwards);
            }
        }
    }

    #[test]
    fn terminal_phases_absorb_every_lifecycle_event((cancellable, events) in arb_run()) {
        let mut ended: Option<CopyTask> = None;
        for step in run(cancellable, &events) {
            if let Some(end) = ended {
                prop_assert_eq!(step.after, end);
            }
            if is_terminal(step.before.phase()) {
                prop_assert!(step.before.phase().is_terminal());
                match step.event {
                    CopyEvent::Cancel => {
                        let refused = matches!(step.result, Err(EventError::Refused(_)));
                        prop_assert!(refused);
                    }
                    _ => {
                        let invalid = matches!(step.result, Err(EventError::Invalid(_)));
                        prop_assert!(invalid);
                    }
                }
                prop_assert_eq!(step.after, step.before);
            } else {
                prop_assert!(!step.before.phase().is_terminal());
            }
            if is_terminal(step.after.phase()) && ended.is_none() {
                ended = Some(step.after);
            }
        }
    }

    #[test]
    fn cancel_succeeds_exactly_when_queued_or_copying_and_cancellable(
        (cancellable, events) in arb_run()
    ) {
        for step in run(cancellable, &events) {
            if step.event != CopyEvent::Cancel {
                continue;
            }
            let running = matches!(step.before.phase(), CopyPhase::Queued | CopyPhase::Copying);
            prop_assert_eq!(step.result.is_ok(), running && cancellable);
            match step.result {
                Ok(cancelled) => {
                    prop_assert_eq!(cancelled.phase(), CopyPhase::Cancelled);
                    prop_assert_eq!(cancelled.progress(), step.before.progress());
                }
                Err(error) => prop_assert!(matches!(error, EventError::Refused(_))),
            }
        }
    }

    #[test]
    fn rejected_event_leaves_task_unchanged((cancellable, events) in arb_run()) {
        for step in run(cancellable, &events) {
            let Err(error) = step.result else { continue };
            // The task kept is the old value, which still answers the same.
            prop_assert_eq!(step.after, step.before);
            prop_assert_eq!(step.before.apply(step.event), Err(error));
            prop_assert_eq!(step.after.apply(step.event), Err(error));
            if let EventError::Invalid(invalid) = error {
                prop_assert_eq!(invalid.phase(), step.before.phase());
                prop_assert_eq!(invalid.event(), step.event);
            }
        }
    }

    #[test]
    fn cancellability_never_changes((cancellable, events) in arb_run()) {
        for step in run(cancellable, &events) {
            prop_assert_eq!(step.after.is_cancellable(), cancellable);
        }
    }

    #[test]
    fn status_and_progress_follow_phase((cancellable, events) in arb_run()) {
        for step in run(cancellable, &events) {
            let task = step.after;
            let progress = task.progress().get();
            match task.phase() {
                CopyPhase::Queued => {
                    prop_assert_eq!(task.status(), Some(ImageStatus::Waiting));
                    prop_assert_eq!(progress, 0);
                }
                CopyPhase::Copying => {
                    prop_assert_eq!(task.status(), Some(ImageStatus::Creating));
                    prop_assert!(progress < 100);
                }
                CopyPhase::Finalizing => {
                    prop_assert_eq!(task.status(), Some(ImageStatus::Creating));
                    prop_assert_eq!(progress, 100);
                }
                CopyPhase::Completed => {
                    prop_assert_eq!(task.status(), Some(ImageStatus::Available));
                    prop_assert_eq!(progress, 100);
                }
                CopyPhase::Failed => {
                    prop_assert_eq!(task.status(), Some(ImageStatus::CreateFailed));
                    // The last progress: what the task had when it failed.
                    prop_assert_eq!(task.progress(), step.before.progress());
                }
                CopyPhase::Cancelled => {
                    prop_assert_eq!(task.status(), None);
                    prop_assert!(progress < 100);
                }
                other => panic!("a phase this test does not know: {other:?}"),
            }
        }
    }
}

#[cfg(feature = "serde")]
mod serde_json_form {
    use super::*;

    fn round_trip<T>(value: T) -> String
    where
        T: ::serde::Serialize + ::serde::de::DeserializeOwned + PartialEq + core::fmt::Debug,
    {
        let json = serde_json::to_string(&value).unwrap();
        let back: T = serde_json::from_str(&json).unwrap();
        assert_eq!(back, value, "{json}");
        json
    }

    #[test]
    fn tasks_round_trip() {
        for task in samples() {
            let json = round_trip(task);
            assert_eq!(
                json,
                format!(
                    r#"{{"phase":"{}","progress":{},"cancellable":{}}}"#,
                    phase_name(task.phase()),
                    task.progress().get(),
                    task.is_cancellable()
                )
            );
        }
    }

    #[test]
    fn phases_percents_events_and_errors_round_trip() {
        for phase in PHASES {
            assert_eq!(round_trip(phase), format!("\"{}\"", phase_name(phase)));
        }
        for n in 0..=100 {
            assert_eq!(round_trip(pct(n)), n.to_string());
        }
        for event in all_events() {
            round_trip(event);
        }
        assert_eq!(
            round_trip(CopyEvent::Progress(pct(30))),
            r#"{"Progress":30}"#
        );
        assert_eq!(round_trip(CopyEvent::Cancel), r#""Cancel""#);
        for &error in EcsError::ALL {
            round_trip(error);
        }
    }

    #[test]
    fn inconsistent_tasks_are_rejected() {
        let bad = [
            r#"{"phase":"Queued","progress":50,"cancellable":true}"#,
            r#"{"phase":"Queued","progress":100,"cancellable":false}"#,
            r#"{"phase":"Copying","progress":100,"cancellable":true}"#,
            r#"{"phase":"Finalizing","progress":40,"cancellable":true}"#,
            r#"{"phase":"Completed","progress":99,"cancellable":true}"#,
            r#"{"phase":"Cancelled","progress":100,"cancellable":true}"#,
            r#"{"phase":"Copying","progress":101,"cancellable":true}"#,
            r#"{"phase":"Failed","progress":255,"cancellable":true}"#,
            r#"{"phase":"Failed","progress":256,"cancellable":true}"#,
            r#"{"phase":"Copying","progress":-1,"cancellable":true}"#,
            r#"{"phase":"Copying","progress":"50%","cancellable":true}"#,
            r#"{"phase":"Copying","progress":50.5,"cancellable":true}"#,
            r#"{"phase":"Copying","progress":50,"cancellable":true,"extra":1}"#,
            r#"{"phase":"Copying","progress":50}"#,
            r#"{"phase":"Paused","progress":50,"cancellable":true}"#,
            r#"{"phase":"copying","progress":50,"cancellable":true}"#,
            r#"{"phase":"Copying","progress":50,"cancellable":"yes"}"#,
            r#"["Copying",50,true,1]"#,
            r#"null"#,
            r#""#,
            r#"{"#,
        ];
        for json in bad {
            assert!(serde_json::from_str::<CopyTask>(json).is_err(), "{json}");
        }
        let error = serde_json::from_str::<CopyTask>(bad[3]).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("a Finalizing copy cannot be at 40%"),
            "{error}"
        );
        for json in ["101", "-1", "\"32%\"", "1.5"] {
            assert!(serde_json::from_str::<Percent>(json).is_err(), "{json}");
        }
        assert!(serde_json::from_str::<CopyEvent>(r#"{"Progress":101}"#).is_err());
        assert!(serde_json::from_str::<EcsError>(r#""NoSuchError""#).is_err());
    }

    /// Whether some sequence of public calls reaches `phase` at `progress`.
    fn reachable(phase: &str, progress: i64) -> bool {
        match phase {
            "Queued" => progress == 0,
            "Copying" | "Cancelled" => (0..100).contains(&progress),
            "Finalizing" | "Completed" => progress == 100,
            "Failed" => (0..=100).contains(&progress),
            _ => false,
        }
    }

    proptest! {
        #[test]
        fn deserialization_accepts_exactly_reachable_tasks(
            phase in prop::sample::select(vec![
                "Queued", "Copying", "Finalizing", "Completed", "Failed", "Cancelled", "Paused",
            ]),
            progress in prop_oneof![-5i64..=105, -300i64..=300],
            cancellable in any::<bool>(),
        ) {
            let json = format!(
                r#"{{"phase":"{phase}","progress":{progress},"cancellable":{cancellable}}}"#
            );
            let result = serde_json::from_str::<CopyTask>(&json);
            prop_assert_eq!(result.is_ok(), reachable(phase, progress), "{}", json);
            if let Ok(task) = result {
                let phase = PHASES.into_iter().find(|&p| phase_name(p) == phase).unwrap();
                let at = u8::try_from(progress).unwrap();
                prop_assert_eq!(task, task_in(phase, cancellable, at));
                prop_assert_eq!(serde_json::to_string(&task).unwrap(), json);
            }
        }

        #[test]
        fn deserializing_arbitrary_text_never_panics(
            text in prop_oneof![
                any::<String>(),
                r#"\{"phase":"[A-Za-z]{0,12}","progress":-?[0-9]{1,4},"cancellable":(true|false|0|1)\}"#,
            ]
        ) {
            // An answer, whichever it is; a panic fails the test.
            if let Ok(task) = serde_json::from_str::<CopyTask>(&text) {
                let json = serde_json::to_string(&task).unwrap();
                prop_assert_eq!(serde_json::from_str::<CopyTask>(&json).unwrap(), task);
            }
        }

        #[test]
        fn every_reached_task_round_trips((cancellable, events) in arb_run()) {
            for step in run(cancellable, &events) {
                let json = serde_json::to_string(&step.after).unwrap();
                let back: CopyTask = serde_json::from_str(&json).unwrap();
                prop_assert_eq!(back, step.after);
            }
        }
    }
}
