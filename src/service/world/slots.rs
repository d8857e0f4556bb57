//! A region's copy slots: the copies running, at most the region's limit,
//! and the copies queued for a slot, first in first out.

use std::ops::{Index, IndexMut};

use super::World;
use super::handles::RegionHandle;
use super::lists::Queue;
use super::table::ImageTable;
use crate::service::ImageId;
use crate::task::CopyPhase;

/// A region's running and queued copies.
#[derive(Clone, Debug, Default)]
pub(super) struct Slots {
    /// The copies holding a slot (copying or finalizing), in the order they
    /// started: at most the region's copy limit.
    pub(super) running: Vec<ImageId>,
    /// The queued copies, oldest first.
    pub(super) queued: Queue,
}

impl World {
    /// Takes a copy that was in phase `was` out of its region's queue or
    /// slots, and refills the slots. A copy in any other phase held neither.
    pub(super) fn release_slot(&mut self, region: RegionHandle, id: ImageId, was: CopyPhase) {
        let slots = &mut self.slots[region];
        match was {
            CopyPhase::Queued => {
                if slots.queued.remove() {
                    let images = &self.images;
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
        self.fill_slots(region);
    }

    /// Starts the oldest queued copies while the region has free slots.
    pub(super) fn fill_slots(&mut self, region: RegionHandle) {
        let limit = region.copy_limit(&self.config);
        let slots = &mut self.slots[region];
        while slots.running.len() < limit {
            let images = &self.images;
            let Some(id) = slots.queued.pop_front(|id| is_queued(images, id)) else {
                break;
            };
            let copy = self
                .images
                .get_mut(id)
                .and_then(|image| image.copy.as_mut());
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
}

impl Index<RegionHandle> for Vec<Slots> {
    type Output = Slots;

    fn index(&self, region: RegionHandle) -> &Slots {
        &self[region.index()]
    }
}

impl IndexMut<RegionHandle> for Vec<Slots> {
    fn index_mut(&mut self, region: RegionHandle) -> &mut Slots {
        &mut self[region.index()]
    }
}

/// Whether `id` is a copy waiting for a slot.
fn is_queued(images: &ImageTable, id: ImageId) -> bool {
    let copy = images.get(id).and_then(|image| image.copy);
    copy.is_some_and(|copy| copy.task.phase() == CopyPhase::Queued)
}
