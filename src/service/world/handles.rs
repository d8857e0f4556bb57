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

    /// The region called `name` in `config`.
    #[inline]
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

/// Account names, interned to handles.
#[derive(Clone, Debug, Default)]
pub(super) struct Accounts {
    names: Vec<Box<str>>,
    index: HashMap<Box<str>, AccountHandle, Fixed>,
}

impl Accounts {
    /// The account called `name`, if it ever made an image.
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
