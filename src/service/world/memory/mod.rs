//! The default store: every image, and the indexes the world asks for, in
//! memory, each answer in a hash lookup or O(log n).

mod lists;
#[cfg(feature = "serde")]
mod snapshot;
mod table;

use std::collections::HashMap;

use self::lists::{Listing, Queue};
use self::table::ImageTable;
use super::handles::{AccountHandle, Accounts, RegionHandle};
use super::hash::{Fixed, Issued};
use super::image::{Image, Orphan, Replay};
use super::store::{Statuses, Store};
use crate::service::{ImageId, SnapshotId};
use crate::task::CopyPhase;

/// The default [`Store`]: every image and its indexes, in memory.
///
/// An image costs about 150 bytes with its indexes. An ID names the slot
/// of the image table its image lives in, so finding an image hashes
/// nothing; DescribeImages' pages are found through counts by status, in
/// time proportional to the page.
#[derive(Clone, Debug)]
pub struct Memory {
    accounts: Accounts,
    images: ImageTable,
    /// Each account's images in each region: their names, their listing,
    /// their copies' slots.
    shelves: HashMap<(AccountHandle, RegionHandle), Shelf, Issued>,
    /// Successful CopyImage calls by account and ClientToken.
    tokens: HashMap<AccountHandle, HashMap<Box<str>, Replay, Fixed>, Issued>,
    /// The images shared with each account in each region, by grantee.
    grants: HashMap<(AccountHandle, RegionHandle), Vec<ImageId>, Issued>,
    /// The snapshots of deleted images, which DeleteImage leaves. An
    /// image's own snapshot is not stored: its ID is the image's number.
    orphans: HashMap<SnapshotId, Orphan, Issued>,
    /// The creation number of the next image: listings, queues and
    /// DescribeImages order images by it.
    next_seq: u64,
}

/// One account's images in one region.
#[derive(Clone, Debug, Default)]
struct Shelf {
    /// The images that have a name, by name: names are unique in a shelf.
    names: HashMap<Box<str>, ImageId, Fixed>,
    /// Every image, by creation order, counted by status.
    listing: Listing,
    /// The copies holding a slot (copying or finalizing), in the order
    /// they started.
    running: Vec<ImageId>,
    /// The queued copies, oldest first.
    queued: Queue,
}

/// Where a copy's phase puts it in its shelf.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Queued,
    Running,
    Elsewhere,
}

fn place(image: &Image) -> Place {
    match image.copy.map(|copy| copy.task.phase()) {
        Some(CopyPhase::Queued) => Place::Queued,
        Some(CopyPhase::Copying | CopyPhase::Finalizing) => Place::Running,
        _ => Place::Elsewhere,
    }
}

impl Memory {
    /// An empty store issuing the IDs of a world seeded with `seed`.
    pub(super) fn new(seed: u64) -> Memory {
        Memory::with_table(ImageTable::new(seed))
    }

    /// An empty store of at most `capacity` images, to test a full table.
    #[cfg(test)]
    pub(super) fn with_capacity_limit(seed: u64, capacity: usize) -> Memory {
        Memory::with_table(ImageTable::with_capacity_limit(seed, capacity))
    }

    fn with_table(images: ImageTable) -> Memory {
        Memory {
            accounts: Accounts::default(),
            images,
            shelves: HashMap::default(),
            tokens: HashMap::default(),
            grants: HashMap::default(),
            orphans: HashMap::default(),
            next_seq: 0,
        }
    }

    fn listing(&self, owner: AccountHandle, region: RegionHandle) -> Option<&Listing> {
        Some(&self.shelves.get(&(owner, region))?.listing)
    }

    /// The live images of `block` with `statuses`, oldest first.
    fn block<'s>(
        &'s self,
        listing: &'s Listing,
        statuses: &Statuses,
        block: usize,
    ) -> impl Iterator<Item = (ImageId, &'s Image)> {
        let statuses = *statuses;
        (listing.block(block).iter())
            .filter_map(|&id| Some((id, self.images.get(id)?)))
            .filter(move |(_, image)| statuses[image.status() as usize])
    }
}

impl Store for Memory {
    #[inline]
    fn account(&self, name: &str) -> Option<AccountHandle> {
        self.accounts.find(name)
    }

    fn intern(&mut self, name: &str) -> AccountHandle {
        self.accounts.intern(name)
    }

    #[inline]
    fn account_name(&self, account: AccountHandle) -> &str {
        &self.accounts[account]
    }

    #[inline]
    fn image(&self, id: ImageId) -> Option<&Image> {
        self.images.get(id)
    }

    fn image_count(&self) -> usize {
        self.images.len()
    }

    #[inline]
    fn is_full(&self) -> bool {
        self.images.is_full()
    }

    #[inline]
    fn named(&self, owner: AccountHandle, region: RegionHandle, name: &str) -> Option<ImageId> {
        let shelf = self.shelves.get(&(owner, region))?;
        shelf.names.get(name).copied()
    }

    fn insert(&mut self, mut image: Image) -> Option<ImageId> {
        image.seq = self.next_seq;
        let (seq, status, place) = (image.seq, image.status(), place(&image));
        let (owner, region) = (image.owner, image.region);
        let name = (!image.name.is_empty()).then(|| image.name.clone());
        if self.images.is_full() {
            return None;
        }
        let shelf = self.shelves.entry((owner, region)).or_default();
        // The block is known before the ID, so the table takes both at once.
        let id = self.images.insert(image, shelf.listing.next_block())?;
        self.next_seq += 1;
        if let Some(name) = name {
            shelf.names.insert(name, id);
        }
        shelf.listing.push(id, seq, status);
        match place {
            Place::Queued => shelf.queued.push(id),
            Place::Running => shelf.running.push(id),
            Place::Elsewhere => {}
        }
        Some(id)
    }

    fn update<R>(&mut self, id: ImageId, change: impl FnOnce(&mut Image) -> R) -> Option<R> {
        let (image, &mut block) = self.images.get_mut(id)?;
        let (status, was) = (image.status(), place(image));
        let answer = change(image);
        let (now, moved) = (image.status(), place(image));
        let (owner, region) = (image.owner, image.region);
        if now == status && moved == was {
            return Some(answer);
        }
        let Memory {
            images, shelves, ..
        } = self;
        // Every image has a shelf: `insert` made it.
        let shelf = shelves.get_mut(&(owner, region))?;
        shelf.listing.restatus(block, status, now);
        if moved != was {
            shelf.leave(images, id, was);
            if moved == Place::Running {
                shelf.running.push(id);
            }
        }
        Some(answer)
    }

    fn rename(&mut self, id: ImageId, name: &str) {
        let Some((image, _)) = self.images.get_mut(id) else {
            return;
        };
        let old = core::mem::replace(&mut image.name, name.into());
        if let Some(shelf) = self.shelves.get_mut(&(image.owner, image.region)) {
            shelf.names.remove(&old);
            if !name.is_empty() {
                shelf.names.insert(name.into(), id);
            }
        }
    }

    // Inlined into the world's removal, so that the image moves out of its
    // slot once, not again through a return value.
    #[inline]
    fn remove(&mut self, id: ImageId) -> Option<Image> {
        let (image, block) = self.images.remove(id)?;
        let Memory {
            images, shelves, ..
        } = self;
        if let Some(shelf) = shelves.get_mut(&(image.owner, image.region)) {
            // An unnamed image put no name in the set.
            if !image.name.is_empty() {
                shelf.names.remove(&image.name);
            }
            if shelf.listing.remove(block, image.status()) {
                shelf.listing.sweep(|id, block| {
                    let (image, listed) = images.get_mut(id)?;
                    let kept = (image.seq, image.status());
                    *listed = block;
                    Some(kept)
                });
            }
            shelf.leave(images, id, place(&image));
        }
        Some(image)
    }

    fn count(&self, owner: AccountHandle, region: RegionHandle, statuses: &Statuses) -> usize {
        self.listing(owner, region)
            .map_or(0, |listing| listing.count(statuses))
    }

    fn newer_than(
        &self,
        owner: AccountHandle,
        region: RegionHandle,
        statuses: &Statuses,
        seq: u64,
    ) -> usize {
        self.listing(owner, region).map_or(0, |listing| {
            let block = listing.block_of(seq);
            let in_block = self.block(listing, statuses, block);
            let in_block = in_block.filter(|(_, image)| image.seq <= seq).count();
            let older = listing.count_before(statuses, block) + in_block;
            listing.count(statuses).saturating_sub(older)
        })
    }

    fn newest<'s>(
        &'s self,
        owner: AccountHandle,
        region: RegionHandle,
        statuses: &Statuses,
        skip: usize,
        size: usize,
    ) -> Vec<(ImageId, &'s Image)> {
        let mut page = Vec::with_capacity(size);
        let Some(listing) = self.listing(owner, region) else {
            return page;
        };
        let Some(mut rank) = listing.count(statuses).checked_sub(skip + 1) else {
            return page;
        };
        // `rank` is the next image's rank, oldest first: each step finds
        // its block and takes the block's images from it down.
        while let Some((block, within)) = listing.find(statuses, rank) {
            let found: Vec<_> = self
                .block(listing, statuses, block)
                .take(within + 1)
                .collect();
            for image in found.into_iter().rev() {
                if page.len() == size {
                    return page;
                }
                page.push(image);
            }
            match rank.checked_sub(within + 1) {
                Some(next) if page.len() < size => rank = next,
                _ => break,
            }
        }
        page
    }

    fn images_of(&self, owner: AccountHandle, region: RegionHandle) -> Vec<(ImageId, &Image)> {
        let listed = self.listing(owner, region).map_or(&[][..], Listing::all);
        // The listing still holds some removed images' IDs, which are
        // skipped: IDs are never reused.
        let live = listed
            .iter()
            .filter_map(|&id| Some((id, self.images.get(id)?)));
        live.collect()
    }

    #[inline]
    fn running_count(&mut self, owner: AccountHandle, region: RegionHandle) -> usize {
        let shelf = self.shelves.get(&(owner, region));
        shelf.map_or(0, |shelf| shelf.running.len())
    }

    fn next_queued(&mut self, owner: AccountHandle, region: RegionHandle) -> Option<ImageId> {
        let Memory {
            images, shelves, ..
        } = self;
        let shelf = shelves.get_mut(&(owner, region))?;
        shelf.queued.front(|id| is_queued(images, id))
    }

    fn start_next_queued(&mut self, owner: AccountHandle, region: RegionHandle) -> Option<ImageId> {
        let Memory {
            images, shelves, ..
        } = self;
        let shelf = shelves.get_mut(&(owner, region))?;
        let id = shelf.queued.front(|id| is_queued(images, id))?;
        let (image, &mut block) = images.get_mut(id)?;
        let was = image.status();
        let copy = image.copy.as_mut()?;
        copy.task = copy.task.start().ok()?;
        shelf.listing.restatus(block, was, image.status());
        shelf.queued.take_first(id);
        shelf.running.push(id);
        Some(id)
    }

    fn all_running(&self) -> Vec<(AccountHandle, RegionHandle, Vec<ImageId>)> {
        let busy = self
            .shelves
            .iter()
            .filter(|(_, shelf)| !shelf.running.is_empty());
        let running = busy.map(|(&(owner, region), shelf)| (owner, region, shelf.running.clone()));
        running.collect()
    }

    fn replay(&self, owner: AccountHandle, token: &str) -> Option<&Replay> {
        self.tokens.get(&owner)?.get(token)
    }

    fn remember(&mut self, owner: AccountHandle, token: &str, replay: Replay) {
        let tokens = self.tokens.entry(owner).or_default();
        tokens.insert(token.into(), replay);
    }

    fn granted(&self, grantee: AccountHandle, region: RegionHandle) -> Vec<ImageId> {
        let granted = self.grants.get(&(grantee, region));
        granted.map_or_else(Vec::new, Clone::clone)
    }

    fn grant(&mut self, grantee: AccountHandle, region: RegionHandle, id: ImageId) {
        self.grants.entry((grantee, region)).or_default().push(id);
    }

    fn revoke(&mut self, grantee: AccountHandle, region: RegionHandle, id: ImageId) {
        if let Some(granted) = self.grants.get_mut(&(grantee, region)) {
            granted.retain(|&granted| granted != id);
            if granted.is_empty() {
                self.grants.remove(&(grantee, region));
            }
        }
    }

    fn orphan(&self, id: SnapshotId) -> Option<Orphan> {
        self.orphans.get(&id).copied()
    }

    fn keep_orphan(&mut self, id: SnapshotId, orphan: Orphan) {
        self.orphans.insert(id, orphan);
    }

    fn drop_orphan(&mut self, id: SnapshotId) {
        self.orphans.remove(&id);
    }
}

impl Shelf {
    /// Takes the copy `id`, which was at `place`, out of the queue or its
    /// slot.
    fn leave(&mut self, images: &ImageTable, id: ImageId, place: Place) {
        match place {
            Place::Queued => {
                if !self.queued.take_first(id) && self.queued.remove() {
                    self.queued.sweep(|id| is_queued(images, id));
                }
            }
            Place::Running => {
                if let Some(slot) = self.running.iter().position(|&r| r == id) {
                    self.running.remove(slot);
                }
            }
            Place::Elsewhere => {}
        }
    }
}

/// Whether `id` is a copy waiting for a slot.
fn is_queued(images: &ImageTable, id: ImageId) -> bool {
    images
        .get(id)
        .is_some_and(|image| place(image) == Place::Queued)
}
