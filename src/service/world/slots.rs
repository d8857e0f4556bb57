//! Copy slots: an account runs at most its destination region's copy
//! limit at once there, and queues the rest, first in first out. Slots
//! belong to an (account, destination region) pair, as ECS counts them, so
//! no account's copies wait for, or learn of, another's.

use super::handles::{AccountHandle, RegionHandle};
use super::lists::Queue;
use super::table::ImageTable;
use super::{Shelves, World};
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

/// The slots of `owner`'s copies into `region`. A copy's shelf exists from
/// its insertion on, so a copy's slots always do. (A function of the
/// shelves alone, so that callers keep reading the image table.)
fn slots_of(shelves: &mut Shelves, owner: AccountHandle, region: RegionHandle) -> &mut Slots {
    let shelf = shelves.get_mut(&(owner, region));
    &mut shelf.expect("a copy's shelf exists").slots
}

impl World {
    /// Takes a copy that was in phase `was` out of its queue or slot, and
    /// refills the slots. A copy in any other phase held neither.
    pub(super) fn release_slot(
        &mut self,
        owner: AccountHandle,
        region: RegionHandle,
        id: ImageId,
        was: CopyPhase,
    ) {
        let images = &self.images;
        let slots = slots_of(&mut self.shelves, owner, region);
        match was {
            CopyPhase::Queued => {
                if slots.queued.remove() {
                    slots.queued.sweep(|id| is_queued(images, id));
                }
            }
            CopyPhase::Copying | CopyPhase::Finalizing => {
                if let Some(slot) = slots.running.iter().position(|&r| r == id) {
                    slots.running.remove(slot);
                }
            }
            CopyPhase::Completed | CopyPhase::Failed | CopyPhase::Cancelled => return,
        }
        self.fill_slots(owner, region);
    }

    /// Starts `owner`'s oldest queued copies into `region` while it has free
    /// slots there.
    pub(super) fn fill_slots(&mut self, owner: AccountHandle, region: RegionHandle) {
        let limit = region.copy_limit(&self.config);
        let World {
            shelves, images, ..
        } = self;
        let slots = slots_of(shelves, owner, region);
        while slots.running.len() < limit {
            let Some(id) = slots.queued.pop_front(|id| is_queued(images, id)) else {
                break;
            };
            let copy = images.get_mut(id).and_then(|image| image.copy.as_mut());
            // The queue holds queued copies only (a copy that leaves the
            // phase otherwise is removed), so the start succeeds.
            if let Some(copy) = copy
                && let Ok(started) = copy.task.start()
            {
                copy.task = started;
                slots.running.push(id);
            }
        }
    }

    /// Queues a new copy of `owner` into `region`.
    pub(super) fn queue_copy(&mut self, owner: AccountHandle, region: RegionHandle, id: ImageId) {
        slots_of(&mut self.shelves, owner, region).queued.push(id);
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
