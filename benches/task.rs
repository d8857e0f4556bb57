//! `cancel_step`: `CopyTask::cancel` against a hand-written `match`.
//!
//! Both functions cancel the same twelve tasks, one per (phase, cancellable),
//! and pass every answer through `black_box`. `baseline_match` is the
//! physical floor: a `match` over a plain struct that gives the same answers,
//! with no table and no abstraction. `docs/performance.md` records the run.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ecs_image_copy::{CopyPhase, CopyTask, EcsError, Percent};

/// The benchmark's own phase, mirroring `CopyPhase`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum MirrorPhase {
    Queued,
    Copying,
    Finalizing,
    Completed,
    Failed,
    Cancelled,
}

/// The physical floor's task: the same three bytes as `CopyTask`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Mirror {
    phase: MirrorPhase,
    progress: u8,
    cancellable: bool,
}

/// CancelCopyImage written as a plain `match`, with the crate's errors.
#[inline]
fn mirror_cancel(task: Mirror) -> Result<Mirror, EcsError> {
    match task.phase {
        MirrorPhase::Queued | MirrorPhase::Copying if task.cancellable => Ok(Mirror {
            phase: MirrorPhase::Cancelled,
            ..task
        }),
        MirrorPhase::Queued | MirrorPhase::Copying => Err(EcsError::CancelNotSupported),
        MirrorPhase::Finalizing => Err(EcsError::SnapshotNotCopying),
        MirrorPhase::Completed => Err(EcsError::CopyFinished),
        MirrorPhase::Failed => Err(EcsError::CopyFailed),
        MirrorPhase::Cancelled => Err(EcsError::ImageNotFound),
    }
}

fn mirror_of(task: CopyTask) -> Mirror {
    let phase = match task.phase() {
        CopyPhase::Queued => MirrorPhase::Queued,
        CopyPhase::Copying => MirrorPhase::Copying,
        CopyPhase::Finalizing => MirrorPhase::Finalizing,
        CopyPhase::Completed => MirrorPhase::Completed,
        CopyPhase::Failed => MirrorPhase::Failed,
        CopyPhase::Cancelled => MirrorPhase::Cancelled,
        other => panic!("a phase the benchmark does not know: {other:?}"),
    };
    Mirror {
        phase,
        progress: task.progress().get(),
        cancellable: task.is_cancellable(),
    }
}

/// Twelve tasks: every phase, cancellable and not, built through the
/// lifecycle as an embedder would.
fn tasks() -> [CopyTask; 12] {
    let at = |n| Percent::new(n).expect("at most 100");
    let mut tasks = [CopyTask::new(); 12];
    for (i, cancellable) in [true, false].into_iter().enumerate() {
        let queued = CopyTask::new().with_cancellable(cancellable);
        let copying = queued
            .start()
            .and_then(|task| task.progress_to(at(40)))
            .expect("a queued copy starts and progresses");
        let finalizing = copying
            .progress_to(Percent::FULL)
            .expect("a copying copy reaches 100%");
        let completed = finalizing.complete().expect("a finalizing copy completes");
        let failed = copying.fail().expect("a copying copy can fail");
        let cancelled = copying
            .with_cancellable(true)
            .cancel()
            .expect("a cancellable copying copy cancels")
            .with_cancellable(cancellable);
        let row = [queued, copying, finalizing, completed, failed, cancelled];
        tasks[i * 6..i * 6 + 6].copy_from_slice(&row);
    }
    tasks
}

fn cancel_step(c: &mut Criterion) {
    let tasks = tasks();
    let mirrors = tasks.map(mirror_of);
    // The floor is only a floor if it answers the same.
    for (task, mirror) in tasks.iter().zip(&mirrors) {
        let model = task.cancel().map(mirror_of);
        assert_eq!(model, mirror_cancel(*mirror), "{task:?}");
    }

    let mut group = c.benchmark_group("cancel_step");
    group.bench_function("model", |b| {
        b.iter(|| {
            for &task in black_box(&tasks) {
                let _ = black_box(task.cancel());
            }
        })
    });
    group.bench_function("baseline_match", |b| {
        b.iter(|| {
            for &mirror in black_box(&mirrors) {
                let _ = black_box(mirror_cancel(mirror));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, cancel_step);
criterion_main!(benches);
