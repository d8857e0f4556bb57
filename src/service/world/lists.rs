//! Lists that remove lazily: an account's images in creation order, and a
//! region's queue of copies.

use std::collections::VecDeque;

use crate::service::ImageId;

// `Listing` and `Queue` remove lazily. A removed ID stays where it is and is
// only counted, so a removal neither searches, shifts nor touches memory
// beyond the count. Readers skip the IDs that are no longer listed or
// queued, as the image table tells: IDs are never reused, so a removed ID
// never comes back. Once the removed IDs are more than half of the
// entries, one pass sweeps them out: at most two entries' work per removal,
// and never more than twice the live entries in memory.

/// Image IDs in the order they were added, with lazy removal.
#[derive(Clone, Debug, Default)]
pub(super) struct Listing {
    entries: Vec<ImageId>,
    /// How many of `entries` are no longer images.
    removed: usize,
}

impl Listing {
    /// Adds `id` at the end.
    pub(super) fn push(&mut self, id: ImageId) {
        self.entries.push(id);
    }

    /// Notes that an image of the listing is gone; true when it is time to
    /// [`sweep`](Listing::sweep).
    pub(super) fn remove(&mut self) -> bool {
        self.removed += 1;
        self.removed * 2 > self.entries.len()
    }

    /// Drops every ID that is not `present`.
    pub(super) fn sweep(&mut self, present: impl Fn(ImageId) -> bool) {
        self.entries.retain(|&id| present(id));
        self.removed = 0;
    }

    /// Every ID in the order added, removed ones included: the caller
    /// skips IDs that are no longer images.
    pub(super) fn all(&self) -> &[ImageId] {
        &self.entries
    }
}

/// Image IDs, first in first out, with lazy removal.
#[derive(Clone, Debug, Default)]
pub(super) struct Queue {
    entries: VecDeque<ImageId>,
    /// How many of `entries` are no longer queued copies.
    removed: usize,
}

impl Queue {
    /// How many IDs are in the queue, not counting removed ones.
    #[cfg(any(test, feature = "serde"))] // A restored snapshot's check counts them.
    pub(super) fn len(&self) -> usize {
        self.entries.len() - self.removed
    }

    /// Whether every ID in the queue has been removed or taken.
    #[cfg(any(test, feature = "serde"))]
    pub(super) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds `id` at the end.
    pub(super) fn push(&mut self, id: ImageId) {
        self.entries.push_back(id);
    }

    /// Notes that a copy of the queue left it; true when it is time to
    /// [`sweep`](Queue::sweep).
    pub(super) fn remove(&mut self) -> bool {
        self.removed += 1;
        self.removed * 2 > self.entries.len()
    }

    /// Drops every ID that is not `queued`.
    pub(super) fn sweep(&mut self, queued: impl Fn(ImageId) -> bool) {
        self.entries.retain(|&id| queued(id));
        self.removed = 0;
    }

    /// Takes the first ID that is still `queued` out.
    pub(super) fn pop_front(&mut self, queued: impl Fn(ImageId) -> bool) -> Option<ImageId> {
        while let Some(id) = self.entries.pop_front() {
            if queued(id) {
                return Some(id);
            }
            self.removed = self.removed.saturating_sub(1);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lazy_lists_sweep_once_removed_ids_are_over_half_and_keep_order() {
        let ids: Vec<ImageId> = (0..6).map(ImageId::from_number).collect();
        let alive = |id: ImageId| id.number().is_multiple_of(3);
        let mut queue = Queue::default();
        let mut listing = Listing::default();
        for &id in &ids {
            queue.push(id);
            listing.push(id);
        }
        // IDs 1, 2, 4 and 5 go; the fourth removal is over half of six.
        let due: Vec<bool> = (0..4).map(|_| queue.remove()).collect();
        assert_eq!(due, [false, false, false, true]);
        let due: Vec<bool> = (0..4).map(|_| listing.remove()).collect();
        assert_eq!(due, [false, false, false, true]);
        listing.sweep(alive);
        assert_eq!(listing.all(), [ids[0], ids[3]]);
        assert_eq!(queue.len(), 2);
        assert_eq!(queue.pop_front(alive), Some(ids[0]));
        assert_eq!(queue.len(), 1, "a popped ID is no longer counted");
        queue.sweep(alive);
        assert_eq!(queue.entries, [ids[3]]);
        assert_eq!(
            (queue.pop_front(alive), queue.pop_front(alive)),
            (Some(ids[3]), None)
        );
        assert!(queue.is_empty());
    }
}
