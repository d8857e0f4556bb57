//! Copy slots: an account runs at most its destination region's copy
//! limit at once there, and queues the rest, first in first out. Slots
//! belong to an (account, destination region) pair, as ECS counts them, so
//! no account's copies wait for, or learn of, another's.

use super::World;
use super::handles::{AccountHandle, RegionHandle};
use super::store::Store;

impl<S: Store> World<S> {
    /// Starts `owner`'s oldest queued copies into `region` while fewer
    /// than the region's limit run: after a copy queues, and after one
    /// that held a slot ends or goes. (A copy queues only while every slot
    /// is taken, so one that leaves the queue frees nothing.)
    pub(super) fn fill_slots(&mut self, owner: AccountHandle, region: RegionHandle) {
        let limit = region.copy_limit(&self.config);
        let mut running = self.store.running_count(owner, region);
        while running < limit && self.store.start_next_queued(owner, region).is_some() {
            running += 1;
        }
    }
}
