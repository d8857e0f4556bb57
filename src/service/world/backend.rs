//! Backend operations: what the embedder's simulated backend does to the
//! world. These are not ECS actions; they move copies along their lifecycle.

use super::World;
use super::handles::RegionHandle;
use super::image::Image;
use crate::service::request::rules;
use crate::service::{Config, ImageId, Timestamp};
use crate::task::{CopyPhase, CopyTask, EcsError, Percent, TransitionError};

/// Why the world refused a backend operation, a mock control action or a
/// [`Command`](crate::Command).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorldError {
    /// The same condition an ECS action would answer with this error: an
    /// unknown region or image, an image that is no copy, a bad or taken
    /// name.
    #[error(transparent)]
    Refused(EcsError),
    /// The copy's phase cannot take this event.
    #[error(transparent)]
    Transition(TransitionError),
}

impl WorldError {
    /// The ECS error an endpoint answers: the refusal itself, or
    /// [`EcsError::CopyPhaseMismatch`] for a phase that cannot take the
    /// event.
    pub fn ecs_error(&self) -> EcsError {
        match *self {
            WorldError::Refused(error) => error,
            WorldError::Transition(_) => EcsError::CopyPhaseMismatch,
        }
    }
}

impl From<EcsError> for WorldError {
    fn from(error: EcsError) -> WorldError {
        WorldError::Refused(error)
    }
}

impl From<TransitionError> for WorldError {
    fn from(error: TransitionError) -> WorldError {
        WorldError::Transition(error)
    }
}

impl World {
    /// Creates an ordinary, `Available` image named `name`, owned by `owner`,
    /// in `region`, as if the account had made it from an instance.
    pub fn create_image(
        &mut self,
        owner: &str,
        region: &str,
        name: &str,
        now: Timestamp,
    ) -> Result<ImageId, WorldError> {
        let region = self.region(region).ok_or(EcsError::RegionNotFound)?;
        if !rules::image_name(name) {
            return Err(EcsError::ImageNameMalformed.into());
        }
        let taken = self
            .accounts
            .find(owner)
            .is_some_and(|account| self.name_taken(account, region, name));
        if taken {
            return Err(EcsError::ImageNameDuplicated.into());
        }
        if self.images.is_full() {
            return Err(EcsError::ImageQuotaExceeded.into());
        }
        let image = Image {
            seq: 0,
            block: 0,
            owner: self.accounts.intern(owner),
            region,
            created: now,
            size_gib: Config::DEFAULT_IMAGE_SIZE_GIB,
            name: name.into(),
            details: None,
            copy: None,
        };
        Ok(self.insert_image(image)?)
    }

    /// The copy's transfer reached `progress`; at 100% it is finalizing.
    pub fn set_copy_progress(
        &mut self,
        region: &str,
        image: ImageId,
        progress: Percent,
    ) -> Result<CopyTask, WorldError> {
        self.update_task(region, image, |task| task.progress_to(progress))
    }

    /// The copy completes. A copy still copying first reaches 100%, as a
    /// real backend reports it, so that it passes through finalizing.
    pub fn complete_copy(&mut self, region: &str, image: ImageId) -> Result<CopyTask, WorldError> {
        self.update_task(region, image, complete)
    }

    /// The copy fails, keeping its progress; a queued copy fails too.
    pub fn fail_copy(&mut self, region: &str, image: ImageId) -> Result<CopyTask, WorldError> {
        self.update_task(region, image, CopyTask::fail)
    }

    /// Sets whether CancelCopyImage may cancel the copy while it runs.
    pub fn set_cancellable(
        &mut self,
        region: &str,
        image: ImageId,
        cancellable: bool,
    ) -> Result<CopyTask, WorldError> {
        self.update_task(region, image, |task| Ok(task.with_cancellable(cancellable)))
    }

    /// One tick of simulated time: every running copy's progress goes up by
    /// `step` (capped at 100%, which makes it finalizing), and every copy
    /// that was finalizing completes. Copies that a completion starts wait
    /// for the next tick. Returns how many copies changed.
    pub fn advance_copies(&mut self, step: Percent) -> usize {
        let tick = |task: CopyTask| match task.phase() {
            CopyPhase::Finalizing => task.complete(),
            _ => {
                let reached = task.progress().get().saturating_add(step.get());
                task.progress_to(Percent::new(reached).unwrap_or(Percent::FULL))
            }
        };
        let mut changed = 0;
        // Each account's slots are its own, so the order they tick in does
        // not matter.
        for (_, region, running) in self.running() {
            for id in running {
                let before = self.images.get(id).and_then(|image| image.copy);
                let after = self.update_task_at(region, id, tick);
                if after.is_ok_and(|task| before.is_some_and(|copy| copy.task != task)) {
                    changed += 1;
                }
            }
        }
        changed
    }

    fn update_task(
        &mut self,
        region: &str,
        image: ImageId,
        event: impl FnOnce(CopyTask) -> Result<CopyTask, TransitionError>,
    ) -> Result<CopyTask, WorldError> {
        let region = self.region(region).ok_or(EcsError::RegionNotFound)?;
        self.update_task_at(region, image, event)
    }

    /// Applies `event` to the copy `image` in `region`, then moves it out of
    /// its queue or slot if it ended.
    pub(super) fn update_task_at(
        &mut self,
        region: RegionHandle,
        image: ImageId,
        event: impl FnOnce(CopyTask) -> Result<CopyTask, TransitionError>,
    ) -> Result<CopyTask, WorldError> {
        let found = self.images.get_mut(image).filter(|i| i.region == region);
        let found = found.ok_or(EcsError::ImageNotFound)?;
        let (owner, block, status) = (found.owner, found.block, found.status());
        let copy = found.copy.as_mut().ok_or(EcsError::ImageNotCopying)?;
        let was = copy.task.phase();
        let task = event(copy.task)?;
        copy.task = task;
        let now = found.status();
        self.restatus(owner, region, block, status, now);
        if task.phase().is_terminal() {
            // A copy that was already over held no slot: `release_slot`
            // frees one only for a copy that was queued or running.
            self.release_slot(owner, region, image, was);
        }
        Ok(task)
    }
}

/// A copy completes; one still copying first reaches 100%, as a real
/// backend reports it, so that it passes through finalizing.
pub(super) fn complete(task: CopyTask) -> Result<CopyTask, TransitionError> {
    match task.phase() {
        CopyPhase::Copying => task.progress_to(Percent::FULL)?.complete(),
        _ => task.complete(),
    }
}
