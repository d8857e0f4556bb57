//! Copy slots: an account runs at most its destination region's copy
//! limit at once there, and queues the rest, first in first out. Slots
//! belong to an (account, destination region) pair, as ECS counts them, so
//! no account's copies wait for, or learn of, another's.

use super::World;
use super::handles::{AccountHandle, RegionHandle};
use super::lists::{Listing, Queue};
use super::table::ImageTable;
use crate::service::ImageId;
use crate::task::CopyPhase;

/// One account's running and queued copies into one region.
#[derive(Clone, Debug, Default)]
pub(super) struct Slots {
    /// The copies holding a slot (copying or finalizing), in the order they
    /// started: at most the region's copy limit.
    pub(super) running: Vec<ImageId>,
    /// The queued copies, oldest first.
    pub(super) queued: Queue,
}

impl Slots {
    /// Takes a copy that was in phase `was` out of the queue or its slot,
    /// and refills the slots up to `limit`. A copy in any other phase held
    /// neither.
    pub(super) fn release(
        &mut self,
        images: &mut ImageTable,
        listing: &mut Listing,
        limit: usize,
        id: ImageId,
        was: CopyPhase,
    ) {
        match was {
            CopyPhase::Queued => {
                if self.queued.remove() {
                    self.queued.sweep(|id| is_queued(images, id));
                }
            }
            CopyPhase::Copying | CopyPhase::Finalizing => {
                if let Some(slot) = self.running.iter().position(|&r| r == id) {
                    self.running.remove(slot);
                }
            }
            CopyPhase::Completed | CopyPhase::Failed | CopyPhase::Cancelled => return,
        }
        self.fill(images, listing, limit);
    }

    /// Queues a new copy, and starts it at once if a slot is free.
    pub(super) fn queue(
        &mut self,
        images: &mut ImageTable,
        listing: &mut Listing,
        limit: usize,
        id: ImageId,
    ) {
        self.queued.push(id);
        self.fill(images, listing, limit);
    }

    /// Starts the oldest queued copies while fewer than `limit` run, and
    /// tells the listing of their new status.
    // Inline, as most calls find every slot taken and return at once: a
    // call would cost more than the check.
    #[inline]
    fn fill(&mut self, images: &mut ImageTable, listing: &mut Listing, limit: usize) {
        if self.running.len() < limit {
            self.start_queued(images, listing, limit);
        }
    }

    /// [`fill`](Slots::fill)'s work, once a slot is free.
    fn start_queued(&mut self, images: &mut ImageTable, listing: &mut Listing, limit: usize) {
        while self.running.len() < limit {
            let Some(id) = self.queued.pop_front(|id| is_queued(images, id)) else {
                break;
            };
            let Some(image) = images.get_mut(id) else {
                continue;
            };
            let (block, was) = (image.block, image.status());
            // The queue holds queued copies only (a copy that leaves the
            // phase otherwise is removed), so the start succeeds.
            if let Some(copy) = image.copy.as_mut()
                && let Ok(started) = copy.task.start()
            {
                copy.task = started;
                self.running.push(id);
                listing.restatus(block, was, image.status());
            }
        }
    }
}

impl World {
    /// Takes a copy of `owner`'s into `region` that was in phase `was` out
    /// of its queue or slot, and refills that account's slots there.
    pub(super) fn release_slot(
        &mut self,
        owner: AccountHandle,
        region: RegionHandle,
        id: ImageId,
        was: CopyPhase,
    ) {
        let limit = region.copy_limit(&self.config);
        let World {
            shelves, images, ..
        } = self;
        // A copy's shelf exists from its insertion on.
        let shelf = shelves
            .get_mut(&(owner, region))
            .expect("a copy's shelf exists");
        let (listing, slots) = (&mut shelf.listing, &mut shelf.slots);
        slots.release(images, listing, limit, id, was);
    }

    /// Every account's running copies, by the slots they hold.
    pub(super) fn running(&self) -> Vec<(AccountHandle, RegionHandle, Vec<ImageId>)> {
        let busy = self
            .shelves
            .iter()
            .filter(|(_, shelf)| !shelf.slots.running.is_empty());
        let running =
            busy.map(|(&(owner, region), shelf)| (owner, region, shelf.slots.running.clone()));
        running.collect()
    }
}

/// Whether `id` is a copy waiting for a slot.
fn is_queued(images: &ImageTable, id: ImageId) -> bool {
    let copy = images.get(id).and_then(|image| image.copy);
    copy.is_some_and(|copy| copy.task.phase() == CopyPhase::Queued)
}
