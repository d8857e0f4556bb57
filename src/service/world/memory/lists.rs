//! Lists that remove lazily: an account's images in creation order, counted
//! by status, and a region's queue of copies.

use std::collections::VecDeque;

use crate::service::ImageId;
use crate::service::world::store::Statuses;
use crate::task::ImageStatus;

// `Listing` and `Queue` remove lazily. A removed ID stays where it is and is
// only counted, so a removal neither searches, shifts nor touches memory
// beyond the count. Readers skip the IDs that are no longer listed or
// queued, as the image table tells: IDs are never reused, so a removed ID
// never comes back. Once the removed IDs are more than half of the
// entries, one pass sweeps them out: at most two entries' work per removal,
// and never more than twice the live entries in memory.
//
// A listing is also cut into blocks of `BLOCK` entries, each counted by
// status in a Fenwick tree, so that DescribeImages finds how many images
// have the statuses it asks for, and in which block the n-th of them is,
// in O(log n) steps rather than by a walk over the account's images. An
// image's slot of the image table keeps the index of its block (set by
// `push` and `sweep`), so an image that changes status or goes names its block
// without a search: a cancel is on the hot path. A block is also known by
// the creation number (`seq`) it starts at, which is how DescribeImages
// places an image that is not in the listing, such as a shared one.

/// Entries per block: a block is scanned whole at most once per page and
/// per block the page touches, and costs a few bytes of counts.
pub(super) const BLOCK: usize = 64;

/// Counts by status, indexed by `ImageStatus as usize`.
pub(super) type Counts = [u32; ImageStatus::ALL.len()];

/// Image IDs in creation order, with lazy removal, counted by status.
#[derive(Clone, Debug, Default)]
pub(super) struct Listing {
    entries: Vec<ImageId>,
    /// How many of `entries` are no longer images.
    removed: usize,
    /// The `seq` of each block's first entry, as it was when the block was
    /// made: the blocks cut the creation numbers into ranges.
    starts: Vec<u64>,
    /// The live images of each block by status, as a Fenwick tree: node
    /// `i` (from 1) counts the blocks `i - lowbit(i)` to `i - 1`.
    tree: Vec<Counts>,
    /// The live images by status.
    totals: Counts,
}

impl Listing {
    /// Adds `id`, the newest image, with creation number `seq` and `status`,
    /// to the [next block](Listing::next_block); answers that block, which
    /// the image keeps.
    pub(super) fn push(&mut self, id: ImageId, seq: u64, status: ImageStatus) -> u32 {
        let block = self.next_block();
        if self.entries.len().is_multiple_of(BLOCK) {
            self.starts.push(seq);
            self.grow_tree();
        }
        self.entries.push(id);
        self.add(block as usize, status, 1);
        block
    }

    /// The block the next [`push`](Listing::push) puts its image in.
    pub(super) fn next_block(&self) -> u32 {
        // At most twice as many entries as images, and images are at most
        // `u32::MAX` (the image table's slots): the index fits.
        u32::try_from(self.entries.len() / BLOCK).unwrap_or(u32::MAX)
    }

    /// Notes that an image of `block` with `status` is gone; true when it is
    /// time to [`sweep`](Listing::sweep).
    pub(super) fn remove(&mut self, block: u32, status: ImageStatus) -> bool {
        self.sub(block as usize, status);
        self.removed += 1;
        self.removed * 2 > self.entries.len()
    }

    /// Notes that an image of `block` went from status `was` to `now`.
    pub(super) fn restatus(&mut self, block: u32, was: ImageStatus, now: ImageStatus) {
        if was != now {
            self.sub(block as usize, was);
            self.add(block as usize, now, 1);
        }
    }

    /// Drops every ID that is no longer an image, and counts the rest
    /// again. `relist` is told each ID and the block it goes to; for an
    /// image, it notes the block in it and answers its creation number and
    /// status.
    pub(super) fn sweep(
        &mut self,
        mut relist: impl FnMut(ImageId, u32) -> Option<(u64, ImageStatus)>,
    ) {
        let entries = std::mem::take(&mut self.entries);
        *self = Listing::default();
        self.entries.reserve(entries.len());
        for id in entries {
            if let Some((seq, status)) = relist(id, self.next_block()) {
                self.push(id, seq, status);
            }
        }
    }

    /// Every ID in the order added, removed ones included: the caller
    /// skips IDs that are no longer images.
    pub(super) fn all(&self) -> &[ImageId] {
        &self.entries
    }

    /// How many live images have one of `statuses`.
    pub(super) fn count(&self, statuses: &Statuses) -> usize {
        masked(&self.totals, statuses)
    }

    /// The block holding the `rank`-th live image (from 0, oldest first)
    /// of those with one of `statuses`, and that image's rank among them
    /// within the block; `None` past the last.
    pub(super) fn find(&self, statuses: &Statuses, rank: usize) -> Option<(usize, usize)> {
        if rank >= self.count(statuses) {
            return None;
        }
        // The Fenwick descent: the most blocks whose count is at most rank.
        let (mut blocks, mut rest) = (0, rank);
        let mut step = self.tree.len().checked_ilog2().map_or(0, |log| 1 << log);
        while step > 0 {
            if let Some(node) = self.tree.get(blocks + step - 1) {
                let counted = masked(node, statuses);
                if counted <= rest {
                    blocks += step;
                    rest -= counted;
                }
            }
            step /= 2;
        }
        Some((blocks, rest))
    }

    /// How many live images with one of `statuses` the blocks before
    /// `block` hold.
    pub(super) fn count_before(&self, statuses: &Statuses, block: usize) -> usize {
        let mut node = block.min(self.tree.len());
        let mut sum = 0;
        while node > 0 {
            sum += masked(&self.tree[node - 1], statuses);
            node &= node - 1;
        }
        sum
    }

    /// The block whose range of creation numbers holds `seq`.
    pub(super) fn block_of(&self, seq: u64) -> usize {
        self.starts
            .partition_point(|&start| start <= seq)
            .saturating_sub(1)
    }

    /// The entries of `block`, removed ones included.
    pub(super) fn block(&self, block: usize) -> &[ImageId] {
        let start = block.saturating_mul(BLOCK).min(self.entries.len());
        let end = start.saturating_add(BLOCK).min(self.entries.len());
        &self.entries[start..end]
    }

    /// Adds a node for a new, empty last block: it holds the sum of the
    /// nodes it covers.
    fn grow_tree(&mut self) {
        let node = self.tree.len() + 1;
        let mut counts = Counts::default();
        let covered = node - lowbit(node);
        let mut child = node - 1;
        while child > covered {
            for (sum, part) in counts.iter_mut().zip(&self.tree[child - 1]) {
                *sum += part;
            }
            child -= lowbit(child);
        }
        self.tree.push(counts);
    }

    fn add(&mut self, block: usize, status: ImageStatus, count: u32) {
        let mut node = block + 1;
        while let Some(counts) = self.tree.get_mut(node - 1) {
            counts[status as usize] += count;
            node += lowbit(node);
        }
        self.totals[status as usize] += count;
    }

    fn sub(&mut self, block: usize, status: ImageStatus) {
        let mut node = block + 1;
        while let Some(counts) = self.tree.get_mut(node - 1) {
            counts[status as usize] = counts[status as usize].saturating_sub(1);
            node += lowbit(node);
        }
        let total = &mut self.totals[status as usize];
        *total = total.saturating_sub(1);
    }
}

fn lowbit(node: usize) -> usize {
    node & node.wrapping_neg()
}

/// The sum of `counts` over `statuses`.
fn masked(counts: &Counts, statuses: &Statuses) -> usize {
    let admitted = counts
        .iter()
        .zip(statuses)
        .filter(|(_, admitted)| **admitted);
    admitted.map(|(count, _)| *count as usize).sum()
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

    /// Takes `id` out if it is first, as the copy that starts next is:
    /// then nothing is left behind to sweep. False if it is not first.
    pub(super) fn take_first(&mut self, id: ImageId) -> bool {
        let first = self.entries.front() == Some(&id);
        if first {
            self.entries.pop_front();
        }
        first
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

    /// The first ID that is still `queued`, dropping those before it that
    /// are not.
    pub(super) fn front(&mut self, queued: impl Fn(ImageId) -> bool) -> Option<ImageId> {
        while let Some(&id) = self.entries.front() {
            if queued(id) {
                return Some(id);
            }
            self.entries.pop_front();
            self.removed = self.removed.saturating_sub(1);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn lazy_lists_sweep_once_removed_ids_are_over_half_and_keep_order() {
        let ids: [ImageId; 6] = core::array::from_fn(|n| ImageId::from_number(n as u64));
        let alive = |id: ImageId| id.number().is_multiple_of(3);
        let available = ImageStatus::Available;
        let mut queue = Queue::default();
        let mut listing = Listing::default();
        for &id in &ids {
            queue.push(id);
            listing.push(id, id.number(), available);
        }
        // IDs 1, 2, 4 and 5 go; the fourth removal is over half of six.
        let due: Vec<bool> = (0..4).map(|_| queue.remove()).collect();
        assert_eq!(due, [false, false, false, true]);
        // Six IDs fill part of the first block.
        let gone = [1, 2, 4, 5].map(|_| listing.remove(0, available));
        assert_eq!(gone, [false, false, false, true]);
        let mut told = Vec::new();
        listing.sweep(|id, block| {
            told.push((id, block));
            alive(id).then_some((id.number(), available))
        });
        assert_eq!(told, ids.map(|id| (id, 0)));
        assert_eq!(listing.all(), [ids[0], ids[3]]);
        assert_eq!(listing.count(&[true; 6]), 2);
        assert_eq!(queue.len(), 2);
        assert_eq!(queue.front(alive), Some(ids[0]));
        assert_eq!(queue.len(), 2, "the front stays until it leaves");
        // The first copy starts: only ID 3 is still queued.
        let alive = |id: ImageId| id == ids[3];
        queue.remove();
        assert_eq!(queue.front(alive), Some(ids[3]));
        assert_eq!(queue.len(), 1, "the IDs dropped on the way are not counted");
        queue.sweep(alive);
        assert_eq!(queue.entries, [ids[3]]);
        assert!(queue.remove(), "the last one leaving is over half");
        assert_eq!(queue.front(|_| false), None);
        assert!(queue.is_empty());
    }

    #[test]
    fn the_first_copy_is_taken_at_once_and_any_other_left_to_sweep() {
        let ids: [ImageId; 3] = core::array::from_fn(|n| ImageId::from_number(n as u64));
        let mut queue = Queue::default();
        ids.iter().for_each(|&id| queue.push(id));
        assert!(!queue.take_first(ids[1]), "not first");
        assert!(queue.take_first(ids[0]));
        assert_eq!(queue.entries, [ids[1], ids[2]]);
        assert_eq!(queue.len(), 2, "nothing left to count as removed");
    }

    #[test]
    fn a_sweep_tells_each_kept_image_its_new_block() {
        let available = ImageStatus::Available;
        let every = [true; ImageStatus::ALL.len()];
        let mut listing = Listing::default();
        let ids: Vec<ImageId> = (0..6 * BLOCK as u64).map(ImageId::from_number).collect();
        let blocks: Vec<u32> = (ids.iter())
            .map(|&id| listing.push(id, id.number(), available))
            .collect();
        // Two of every three go, from six blocks into two.
        let alive = |id: ImageId| id.number().is_multiple_of(3);
        let gone = (ids.iter().zip(&blocks)).filter(|(id, _)| !alive(**id));
        let due = gone.map(|(_, &block)| listing.remove(block, available));
        // Due from the removal that makes them over half on: the last BLOCK.
        assert_eq!(due.filter(|&due| due).count(), BLOCK);
        let mut told = HashMap::new();
        listing.sweep(|id, block| {
            told.insert(id, block);
            alive(id).then_some((id.number(), available))
        });
        let kept = listing.all().to_vec();
        assert_eq!(kept.len(), 2 * BLOCK);
        for (position, id) in kept.iter().enumerate() {
            assert_eq!(told[id] as usize, position / BLOCK, "{id}");
        }
        // The block told is where the listing counts the image.
        let last = kept[2 * BLOCK - 1];
        assert!(!listing.remove(told[&last], available));
        assert_eq!(listing.count(&every), 2 * BLOCK - 1);
        assert_eq!(listing.count_before(&every, 1), BLOCK);
        assert_eq!(listing.find(&every, 2 * BLOCK - 2), Some((1, BLOCK - 2)));
    }

    /// What `find` and `count_before` answer, by a walk over per-entry
    /// statuses.
    fn walk(statuses: &[ImageStatus], mask: &Statuses, rank: usize) -> Option<(usize, usize)> {
        let admitted = statuses
            .iter()
            .enumerate()
            .filter(|(_, s)| mask[**s as usize]);
        let (at, _) = admitted.clone().nth(rank)?;
        let block = at / BLOCK;
        let before = admitted.filter(|(i, _)| *i < block * BLOCK).count();
        Some((block, rank - before))
    }

    #[test]
    fn counts_by_status_find_the_block_of_every_rank_as_a_walk_does() {
        let mut listing = Listing::default();
        // Statuses in a pattern that leaves some blocks without some.
        let mut statuses: Vec<ImageStatus> = (0..1_000)
            .map(|n: usize| ImageStatus::ALL[(n * n / 7) % 6])
            .collect();
        let blocks: Vec<u32> = (statuses.iter().enumerate())
            .map(|(seq, status)| {
                listing.push(ImageId::from_number(seq as u64), seq as u64, *status)
            })
            .collect();
        assert_eq!(blocks[BLOCK - 1..=BLOCK], [0, 1], "a block holds BLOCK");
        for seq in (0..1_000).step_by(3) {
            let now = ImageStatus::ALL[(seq / 5) % 6];
            listing.restatus(blocks[seq], statuses[seq], now);
            statuses[seq] = now;
        }
        let masks: [Statuses; 3] = [
            [true; 6],
            [false, false, true, false, false, false],
            [true, false, false, false, true, true],
        ];
        for mask in &masks {
            let count = statuses.iter().filter(|s| mask[**s as usize]).count();
            assert_eq!(listing.count(mask), count);
            for rank in 0..=count {
                assert_eq!(
                    listing.find(mask, rank),
                    walk(&statuses, mask, rank),
                    "{rank}"
                );
            }
            for block in 0..=statuses.len() / BLOCK + 1 {
                let before = statuses.iter().take(block * BLOCK);
                let before = before.filter(|s| mask[**s as usize]).count();
                assert_eq!(listing.count_before(mask, block), before, "{block}");
            }
        }
        assert_eq!(listing.block_of(0), 0);
        assert_eq!(listing.block_of(BLOCK as u64), 1);
        assert_eq!(listing.block_of(u64::MAX), (1_000 - 1) / BLOCK);
    }
}
