//! Typed handles for what the model interns: accounts and regions. A
//! region handle is only ever made from the world's config, so indexing
//! with one cannot miss; an account handle is its store's.

use std::collections::HashMap;
use std::ops::Index;

use super::hash::Fixed;
use crate::service::Config;

/// An account, as its [`Store`](super::Store) numbers it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct AccountHandle(u32);

impl AccountHandle {
    /// The account its store numbers `number`: for a store's own use.
    pub const fn from_number(number: u32) -> AccountHandle {
        AccountHandle(number)
    }

    /// The number its store gave it.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// The handle a snapshot recorded, if the world has that account.
    #[cfg(feature = "serde")]
    pub(super) fn restore(index: u32, accounts: &Accounts) -> Option<AccountHandle> {
        ((index as usize) < accounts.names.len()).then_some(AccountHandle(index))
    }
}

/// A region of the world's config: the index of its entry.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct RegionHandle(u32);

impl RegionHandle {
    /// The region at `index` of `config`'s regions, if there is one: for
    /// a store reading back a handle it keeps as [`get`](RegionHandle::get).
    pub fn from_index(index: u32, config: &Config) -> Option<RegionHandle> {
        ((index as usize) < config.regions.len()).then_some(RegionHandle(index))
    }

    /// Its index in the config's regions.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// The region called `name` in `config`, found by comparing names:
    /// [`RegionNames::find`] is the fast way.
    pub(super) fn find(config: &Config, name: &str) -> Option<RegionHandle> {
        let position = config.regions.iter().position(|(id, _)| id == name);
        position.map(|index| RegionHandle(index as u32))
    }

    /// Its position in the config's regions, and in every list by region.
    pub(super) fn index(self) -> usize {
        self.0 as usize
    }

    /// The region's name.
    pub(super) fn name(self, config: &Config) -> &str {
        &config.regions[self.index()].0
    }

    /// How many copies the region runs at once.
    pub(super) fn copy_limit(self, config: &Config) -> usize {
        config.regions[self.index()].1.get() as usize
    }
}

/// The config's regions by name. Every request names a region, and most
/// region names are 8 to 16 bytes long, so that their length and first and
/// last eight bytes (their glance) are the whole name. Those regions sit
/// in a table where no two share a slot (a perfect hash, chosen once from
/// the config), so finding one is a multiply and one compare of numbers;
/// the rest are found by comparing names.
#[derive(Clone, Debug)]
pub(super) struct RegionNames {
    slots: Vec<Option<(Glance, RegionHandle)>>,
    /// The odd multiplier that spreads glances over `slots` without a
    /// collision.
    multiplier: u64,
    /// 64 less the number of bits of a slot's index.
    shift: u32,
}

/// A name's length and its first and last eight bytes (none if shorter):
/// equal names have equal glances, and names of 8 to 16 bytes with equal
/// glances are equal.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Glance {
    first: u64,
    last: u64,
    len: u64,
}

impl Glance {
    /// `name`'s glance, if it is the whole name.
    fn whole(name: &str) -> Option<Glance> {
        let bytes = name.as_bytes();
        let word = |chunk: &[u8; 8]| u64::from_ne_bytes(*chunk);
        let glance = Glance {
            first: word(bytes.first_chunk()?),
            last: word(bytes.last_chunk()?),
            len: bytes.len() as u64,
        };
        (glance.len <= 16).then_some(glance)
    }

    fn folded(self) -> u64 {
        self.first ^ self.last.rotate_left(32) ^ self.len
    }
}

impl RegionNames {
    /// The regions of `config` whose glance is their whole name, each in
    /// a slot of its own: multipliers are tried in a fixed order (the IDs'
    /// mixer of 1, 2, ...), with four times as many slots as regions (where
    /// a few tries spread the 13 default regions apart), then eight times,
    /// up to 64 times. Names made to collide could defeat them all: then every
    /// region is found by comparing names. (A world is made for every call
    /// of a database store, so this is cheap.)
    pub(super) fn new(config: &Config) -> RegionNames {
        let regions: Vec<(Glance, RegionHandle)> = (config.regions.iter().zip(0u32..))
            .filter_map(|((name, _), index)| Some((Glance::whole(name)?, RegionHandle(index))))
            .collect();
        let fewest = (4 * regions.len())
            .next_power_of_two()
            .trailing_zeros()
            .max(1);
        for bits in fewest..fewest + 5 {
            let mut names = RegionNames {
                slots: vec![None; 1 << bits],
                multiplier: 0,
                shift: 64 - bits,
            };
            for attempt in 1..=64 {
                names.slots.fill(None);
                names.multiplier = crate::service::id::mix(attempt) | 1;
                if regions.iter().all(|&region| names.place(region)) {
                    return names;
                }
            }
        }
        RegionNames {
            slots: Vec::new(),
            multiplier: 1,
            shift: 63,
        }
    }

    /// Puts `region` in its slot: false if the slot is taken.
    fn place(&mut self, region: (Glance, RegionHandle)) -> bool {
        let slot = self.slot(region.0);
        let free = self.slots[slot].is_none();
        if free {
            self.slots[slot] = Some(region);
        }
        free
    }

    fn slot(&self, glance: Glance) -> usize {
        (glance.folded().wrapping_mul(self.multiplier) >> self.shift) as usize
    }

    /// The region called `name` in `config`, the config these names were
    /// taken from.
    #[inline]
    pub(super) fn find(&self, config: &Config, name: &str) -> Option<RegionHandle> {
        let glance = Glance::whole(name).filter(|_| !self.slots.is_empty());
        let Some(glance) = glance else {
            return RegionHandle::find(config, name);
        };
        match self.slots.get(self.slot(glance))? {
            Some((found, region)) if *found == glance => Some(*region),
            _ => None,
        }
    }
}

/// Account names, interned to handles.
#[derive(Clone, Debug, Default)]
pub(super) struct Accounts {
    names: Vec<Box<str>>,
    index: HashMap<Box<str>, AccountHandle, Fixed>,
}

impl Accounts {
    /// The account called `name`, if it ever made an image.
    #[inline]
    pub(super) fn find(&self, name: &str) -> Option<AccountHandle> {
        self.index.get(name).copied()
    }

    /// The account called `name`, interned now if it is new.
    pub(super) fn intern(&mut self, name: &str) -> AccountHandle {
        if let Some(account) = self.find(name) {
            return account;
        }
        let account = AccountHandle(self.names.len() as u32);
        self.names.push(name.into());
        self.index.insert(name.into(), account);
        account
    }

    /// Every account's name, in handle order.
    #[cfg(feature = "serde")]
    pub(super) fn names(&self) -> &[Box<str>] {
        &self.names
    }
}

impl Index<AccountHandle> for Accounts {
    type Output = str;

    fn index(&self, account: AccountHandle) -> &str {
        &self.names[account.0 as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two names of 16 bytes whose glances fold to one number, so that no
    /// multiplier puts them apart: `a` becomes `` ` `` at the start and
    /// `b` becomes `c` four bytes into the last eight, where the fold's
    /// rotation brings it onto the first byte.
    #[test]
    fn region_names_that_no_table_spreads_are_found_by_name() {
        let names = ["aaaaaaaabbbbbbbb", "`aaaaaaabbbbcbbb", "cn-hangzhou"];
        let folded = |name| Glance::whole(name).map(Glance::folded);
        assert_eq!(folded(names[0]), folded(names[1]));
        let config = Config::new(names);
        let regions = RegionNames::new(&config);
        assert!(regions.slots.is_empty());
        for name in names {
            assert_eq!(
                regions.find(&config, name),
                RegionHandle::find(&config, name)
            );
        }
        assert_eq!(regions.find(&config, "aaaaaaaabbbbbbbc"), None);
    }

    #[test]
    fn region_names_find_each_region_and_nothing_else() {
        let names = [
            "cn-hangzhou",
            "cn-hongkong",
            "ap-southeast-1",
            "ap-northeast-1",
            "ap-southeast-2",
            "a",
            "b",
            "",
            "eu-1",
            "eu-2",
            "cn-hangzhou-and-more-than-sixteen",
            "cn-hangzhou-but-more-than-sixteen",
        ];
        let config = Config::new(names);
        let regions = RegionNames::new(&config);
        assert!(!regions.slots.is_empty(), "found by the table");
        for name in names {
            let found = regions.find(&config, name);
            assert!(found.is_some(), "{name}");
            assert_eq!(found, RegionHandle::find(&config, name), "{name}");
        }
        let unknown = [
            "cn-hangzho",
            "cn-hangzhou ",
            "CN-HANGZHOU",
            "ap-southeast-3",
            "c",
            "eu-3",
            "cn-hangzhou-and-more-than-16",
        ];
        for name in unknown {
            assert_eq!(regions.find(&config, name), None, "{name}");
        }
    }
}
