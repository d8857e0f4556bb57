//! Typed handles for what the model interns: accounts and regions. A
//! handle is only ever made by the world, so indexing with one cannot miss.

use std::collections::HashMap;
use std::ops::Index;

use super::hash::Fixed;
use crate::service::Config;

/// An account, interned: the index of its name.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub(super) struct AccountHandle(u32);

impl AccountHandle {
    /// The handle a snapshot recorded, if the world has that account.
    #[cfg(feature = "serde")]
    pub(super) fn restore(index: u32, accounts: &Accounts) -> Option<AccountHandle> {
        ((index as usize) < accounts.names.len()).then_some(AccountHandle(index))
    }

    /// The number a snapshot records.
    #[cfg(feature = "serde")]
    pub(super) fn number(self) -> u32 {
        self.0
    }
}

/// A region of the world's config: the index of its entry.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub(super) struct RegionHandle(u32);

impl RegionHandle {
    /// The region called `name` in `config`.
    pub(super) fn find(config: &Config, name: &str) -> Option<RegionHandle> {
        let position = config.regions.iter().position(|(id, _)| id == name);
        position.map(|index| RegionHandle(index as u32))
    }

    /// The handle a snapshot recorded, if `config` has that region.
    #[cfg(feature = "serde")]
    pub(super) fn restore(index: u32, config: &Config) -> Option<RegionHandle> {
        ((index as usize) < config.regions.len()).then_some(RegionHandle(index))
    }

    /// The number a snapshot records.
    #[cfg(feature = "serde")]
    pub(super) fn number(self) -> u32 {
        self.0
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
