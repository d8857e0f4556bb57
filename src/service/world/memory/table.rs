//! The image table: every image of the world, found from its ID in one step.
//!
//! An image lives in a slot of one vector. Its ID is the bijection
//! `id::key_id` of the slot's index and the slot's generation, so a lookup
//! decodes the ID and reads one slot: no hashing, no probing, one cache
//! miss where a hash table takes two (control bytes, then the entry).
//! Removing an image bumps its slot's generation, so the next image in that
//! slot gets a new ID and IDs are never reused; the vector never grows past
//! the most images held at once.

use crate::service::ImageId;
use crate::service::id::key_id;
use crate::service::world::image::Image;

/// Images by ID, in reusable slots.
#[derive(Clone, Debug)]
pub(super) struct ImageTable {
    /// The world's ID seed.
    seed: u64,
    slots: Vec<Slot>,
    /// Vacant slots that will be reused, the last freed on top: a cancel
    /// frees a slot that is still in cache for the copy that follows.
    free: Vec<u32>,
    /// Occupied slots.
    len: usize,
    /// How many slots the table may have: `MAX_SLOTS`, smaller in tests.
    capacity: usize,
}

#[derive(Clone, Debug)]
struct Slot {
    generation: u32,
    /// The block of its owner's listing the image is in (see `lists`), in
    /// what would be the generation's padding.
    block: u32,
    image: Option<Image>,
}

// A slot is the image, its generation and its block in 80 bytes: the table is most of
// the world's memory (docs/performance.md), so growth must be deliberate.
const _: () = assert!(core::mem::size_of::<Slot>() <= 80);

/// The most slots a table addresses: slot indexes are 32 bits of the key.
/// At 80 bytes a slot that is over 300 GiB of images, so no world reaches
/// it by accident; one that does gets `QuotaExceed.Image`.
const MAX_SLOTS: usize = u32::MAX as usize;

/// A slot whose generation reached `u32::MAX` is retired once emptied:
/// a further generation would reuse an ID.
const LAST_GENERATION: u32 = u32::MAX;

/// The slot and generation an ID names.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct SlotKey {
    slot: u32,
    generation: u32,
}

impl SlotKey {
    fn of(id: ImageId, seed: u64) -> SlotKey {
        let key = id.key(seed);
        SlotKey {
            slot: key as u32,
            generation: (key >> 32) as u32,
        }
    }

    fn id(self, seed: u64) -> ImageId {
        key_id(
            seed,
            (u64::from(self.generation) << 32) | u64::from(self.slot),
        )
    }
}

impl ImageTable {
    /// An empty table for the IDs of a world seeded with `seed`.
    pub(super) fn new(seed: u64) -> ImageTable {
        ImageTable {
            seed,
            slots: Vec::new(),
            free: Vec::new(),
            len: 0,
            capacity: MAX_SLOTS,
        }
    }

    /// An empty table of at most `capacity` slots, to test a full table.
    #[cfg(test)]
    pub(super) fn with_capacity_limit(seed: u64, capacity: usize) -> ImageTable {
        ImageTable {
            capacity,
            ..ImageTable::new(seed)
        }
    }

    /// How many images the table holds.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Whether an insert has no slot left to take.
    pub(super) fn is_full(&self) -> bool {
        self.free.is_empty() && self.slots.len() >= self.capacity
    }

    fn slot(&self, id: ImageId) -> Option<&Slot> {
        let key = SlotKey::of(id, self.seed);
        let slot = self.slots.get(key.slot as usize)?;
        (slot.generation == key.generation).then_some(slot)
    }

    /// The image `id`, if it exists.
    pub(super) fn get(&self, id: ImageId) -> Option<&Image> {
        self.slot(id)?.image.as_ref()
    }

    /// The image `id`, if it exists, to change, and its listing block.
    pub(super) fn get_mut(&mut self, id: ImageId) -> Option<(&mut Image, &mut u32)> {
        let key = SlotKey::of(id, self.seed);
        let slot = self.slots.get_mut(key.slot as usize)?;
        if slot.generation != key.generation {
            return None;
        }
        Some((slot.image.as_mut()?, &mut slot.block))
    }

    /// Stores `image`, listed in `block`, under a new ID: in the slot freed
    /// last, if any. `None` if the table [is full](ImageTable::is_full).
    pub(super) fn insert(&mut self, image: Image, block: u32) -> Option<ImageId> {
        let key = match self.free.pop() {
            Some(slot) => {
                let entry = self.slots.get_mut(slot as usize)?;
                entry.image = Some(image);
                entry.block = block;
                SlotKey {
                    slot,
                    generation: entry.generation,
                }
            }
            None if self.slots.len() < self.capacity => {
                let slot = self.slots.len() as u32;
                self.slots.push(Slot {
                    generation: 0,
                    block,
                    image: Some(image),
                });
                SlotKey {
                    slot,
                    generation: 0,
                }
            }
            None => return None,
        };
        self.len += 1;
        Some(key.id(self.seed))
    }

    /// Takes the image `id` out, with its listing block; its ID is never
    /// issued again.
    #[inline]
    pub(super) fn remove(&mut self, id: ImageId) -> Option<(Image, u32)> {
        let key = SlotKey::of(id, self.seed);
        let slot = self.slots.get_mut(key.slot as usize)?;
        if slot.generation != key.generation {
            return None;
        }
        let image = slot.image.take()?;
        self.len -= 1;
        if slot.generation != LAST_GENERATION {
            slot.generation += 1;
            self.free.push(key.slot);
        }
        Some((image, slot.block))
    }

    /// Every image with its ID, in slot order.
    #[cfg(any(test, feature = "serde"))]
    pub(super) fn iter(&self) -> impl Iterator<Item = (ImageId, &Image)> {
        let seed = self.seed;
        self.slots
            .iter()
            .zip(0u32..)
            .filter_map(move |(entry, slot)| {
                let image = entry.image.as_ref()?;
                let generation = entry.generation;
                Some((SlotKey { slot, generation }.id(seed), image))
            })
    }
}

/// A table's vacant slots, as a snapshot stores them: what makes a restored
/// table issue the same IDs next.
#[cfg(feature = "serde")]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Vacancies {
    /// The slots to reuse, `(slot, generation)`, the next one last.
    pub(super) free: Vec<(u32, u32)>,
    /// The slots never to reuse.
    pub(super) retired: Vec<u32>,
}

#[cfg(feature = "serde")]
impl ImageTable {
    /// The vacant slots, in the order they will be reused.
    pub(super) fn vacancies(&self) -> Vacancies {
        let mut reusable = vec![false; self.slots.len()];
        let free = (self.free.iter())
            .filter_map(|&slot| {
                *reusable.get_mut(slot as usize)? = true;
                Some((slot, self.slots.get(slot as usize)?.generation))
            })
            .collect();
        let retired = (self.slots.iter().zip(0u32..))
            .filter(|&(entry, slot)| entry.image.is_none() && !reusable[slot as usize])
            .map(|(_, slot)| slot)
            .collect();
        Vacancies { free, retired }
    }
}

/// A table being restored from a snapshot: each slot claimed once, by an
/// image or a vacancy, before the images go in.
#[cfg(feature = "serde")]
#[derive(Debug)]
pub(super) struct Rebuild {
    table: ImageTable,
    claimed: Vec<bool>,
}

#[cfg(feature = "serde")]
impl Rebuild {
    /// A table of exactly `slots` slots, none claimed yet; `None` if that is
    /// more than a table addresses. The snapshot names every slot once, so
    /// `slots` is its count of images and vacancies, never more than it
    /// holds.
    pub(super) fn new(seed: u64, slots: usize) -> Option<Rebuild> {
        if slots > MAX_SLOTS {
            return None;
        }
        let mut table = ImageTable::new(seed);
        let vacant = Slot {
            generation: LAST_GENERATION,
            block: 0,
            image: None,
        };
        table.slots = vec![vacant; slots];
        Some(Rebuild {
            table,
            claimed: vec![false; slots],
        })
    }

    /// Claims `slot` for `generation`; false if it is past the table or
    /// already claimed.
    fn claim(&mut self, slot: u32, generation: u32) -> bool {
        let Some(claimed) = self.claimed.get_mut(slot as usize) else {
            return false;
        };
        if std::mem::replace(claimed, true) {
            return false;
        }
        if let Some(entry) = self.table.slots.get_mut(slot as usize) {
            entry.generation = generation;
        }
        true
    }

    /// Claims the slot the ID `id` names, for the image [`put`](Rebuild::put)
    /// will place; false if it is past the table or already claimed.
    pub(super) fn claim_image(&mut self, id: ImageId) -> bool {
        let key = SlotKey::of(id, self.table.seed);
        self.claim(key.slot, key.generation)
    }

    /// Claims the vacancies, free slots in reuse order; false if one is
    /// past the table or already claimed.
    pub(super) fn claim_vacancies(&mut self, vacancies: &Vacancies) -> bool {
        let free = vacancies.free.iter().all(|&(slot, generation)| {
            self.table.free.push(slot);
            self.claim(slot, generation)
        });
        free && (vacancies.retired.iter()).all(|&slot| self.claim(slot, LAST_GENERATION))
    }

    /// Places an image whose ID [`claim_image`](Rebuild::claim_image)
    /// claimed, in block `block` of its listing.
    pub(super) fn put(&mut self, id: ImageId, image: Image, block: u32) {
        let key = SlotKey::of(id, self.table.seed);
        if let Some(entry) = self.table.slots.get_mut(key.slot as usize) {
            self.table.len += usize::from(entry.image.is_none());
            entry.image = Some(image);
            entry.block = block;
        }
    }

    /// The table. Every slot was claimed: the snapshot named as many
    /// distinct slots as the table has.
    pub(super) fn finish(self) -> ImageTable {
        self.table
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::world::handles::{Accounts, RegionHandle};
    use crate::service::{Config, Timestamp};

    fn image(seq: u64) -> Image {
        let config = Config::default();
        Image {
            seq,
            owner: Accounts::default().intern("alice"),
            region: RegionHandle::find(&config, "cn-hangzhou").expect("a default region"),
            created: Timestamp::from_unix_seconds(seq),
            size_gib: 1,
            name: "".into(),
            details: None,
            copy: None,
        }
    }

    fn issued(table: &mut ImageTable, seq: u64) -> ImageId {
        let id = table.insert(image(seq), 0);
        id.unwrap_or_else(|| panic!("the table is full at {seq}"))
    }

    #[test]
    fn ids_of_a_growing_table_are_the_ids_of_a_counter() {
        // With no removal, slot n has generation 0: the key is n.
        let mut table = ImageTable::new(9);
        for n in 0..100 {
            assert_eq!(issued(&mut table, n), key_id(9, n));
        }
    }

    #[test]
    fn a_freed_slot_is_reused_under_a_new_id_and_the_old_id_finds_nothing() {
        let mut table = ImageTable::new(0);
        let first = issued(&mut table, 0);
        let second = issued(&mut table, 1);
        assert_eq!(table.remove(first).map(|(i, _)| i.seq), Some(0));
        assert_eq!(table.remove(first), None);
        let third = issued(&mut table, 2);
        assert_eq!(SlotKey::of(third, 0).slot, SlotKey::of(first, 0).slot);
        assert_ne!(third, first);
        assert_eq!(table.get(first), None);
        assert!(table.get_mut(first).is_none());
        assert_eq!(table.get(third).map(|i| i.seq), Some(2));
        assert_eq!(table.get(second).map(|i| i.seq), Some(1));
        assert_eq!(table.len(), 2);
        let listed: Vec<_> = table.iter().map(|(id, i)| (id, i.seq)).collect();
        assert_eq!(listed, [(third, 2), (second, 1)]);
    }

    #[test]
    fn a_slot_whose_generations_ran_out_is_retired() {
        let mut table = ImageTable::with_capacity_limit(0, 1);
        table.slots.push(Slot {
            generation: LAST_GENERATION,
            block: 0,
            image: Some(image(0)),
        });
        table.len = 1;
        let last = SlotKey {
            slot: 0,
            generation: LAST_GENERATION,
        };
        assert!(table.is_full());
        assert_eq!(table.remove(last.id(0)).map(|(i, _)| i.seq), Some(0));
        assert!(table.is_full(), "the retired slot is not reused");
        assert_eq!(table.insert(image(1), 0), None);
        assert_eq!(table.len(), 0);
    }

    #[test]
    fn ids_naming_no_slot_find_nothing() {
        let mut table = ImageTable::new(0);
        let id = issued(&mut table, 0);
        let past_the_end = SlotKey {
            slot: 7,
            generation: 0,
        };
        let later = SlotKey {
            slot: 0,
            generation: 3,
        };
        for other in [past_the_end.id(0), later.id(0), ImageId::from_number(0)] {
            assert_eq!(table.get(other), None, "{other}");
            assert_eq!(table.remove(other), None, "{other}");
        }
        assert!(table.get(id).is_some());
    }
}
