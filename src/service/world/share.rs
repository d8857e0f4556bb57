//! ModifyImageSharePermission and DescribeImageSharePermission: the
//! accounts an image is shared with, who then see it in DescribeImages
//! with `ImageOwnerAlias` `others`.

use super::World;
use super::describe::Paging;
use super::handles::{AccountHandle, RegionHandle};
use super::store::Store;
use crate::service::{
    DescribeImageSharePermission, ImageId, ModifyImageSharePermission, Timestamp,
};
use crate::task::EcsError;

/// Most accounts one call adds or removes (`AddAccount.1` to `.10`).
const MAX_ACCOUNTS_PER_CALL: usize = 10;

/// Most accounts an image is shared with.
const MAX_SHARES: usize = 50;

/// One page of DescribeImageSharePermission's answer.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SharePage<'w> {
    /// The image.
    pub image: ImageId,
    /// How many accounts the image is shared with.
    pub total_count: usize,
    /// The page this is, from 1.
    pub page_number: u32,
    /// The page size asked for.
    pub page_size: u32,
    /// The accounts of this page (`AliyunId`) and since when each has the
    /// image (`SharedTime`), in the order they were added.
    pub accounts: Vec<(&'w str, Timestamp)>,
}

impl<S: Store> World<S> {
    /// ModifyImageSharePermission as `caller` at `now`: `RemoveAccount.N`
    /// stop seeing the image, then `AddAccount.N` start; or the first error
    /// in the documented order. Both lists empty is a success that changes
    /// nothing; removing an account the image is not shared with too.
    pub fn modify_image_share_permission(
        &mut self,
        caller: &str,
        request: &ModifyImageSharePermission,
        now: Timestamp,
    ) -> Result<(), EcsError> {
        let located = self.located(request.region_id.as_deref(), request.image_id.as_deref());
        let (region, image) = located?;
        let (add, remove) = (&request.add_account, &request.remove_account);
        let too_many = add.len().max(remove.len()) > MAX_ACCOUNTS_PER_CALL;
        let empty = add.iter().chain(remove).any(String::is_empty);
        if too_many || empty || request.is_public == Some(true) {
            return Err(EcsError::InvalidParameter);
        }
        let (id, found) = self
            .visible(caller, region, image)
            .ok_or(EcsError::ImageNotFound)?;
        if add.iter().any(|account| account == caller) {
            return Err(EcsError::ShareWithSelf);
        }
        if !add.iter().all(|account| self.config.has_account(account)) {
            return Err(EcsError::AccountNotFound);
        }
        if !add.is_empty() && found.is_deprecated() {
            return Err(EcsError::ShareDeprecated);
        }
        if self.shares_after(id, add, remove) > MAX_SHARES {
            return Err(EcsError::ShareQuotaExceeded);
        }
        if request.dry_run {
            return Err(EcsError::DryRunOperation);
        }
        for account in remove {
            if let Some(account) = self.store.account(account) {
                self.unshare(id, region, account);
            }
        }
        for account in add {
            let account = self.store.intern(account);
            self.share(id, region, account, now);
        }
        Ok(())
    }

    /// How many accounts `id` would be shared with once `remove` and then
    /// `add` are applied.
    fn shares_after(&self, id: ImageId, add: &[String], remove: &[String]) -> usize {
        let image = self.store.image(id);
        let shares = image.and_then(|image| image.details());
        let mut names: Vec<&str> = (shares.map_or(&[][..], |d| &d.shares[..]))
            .iter()
            .map(|&(account, _)| self.store.account_name(account))
            .filter(|name| !remove.iter().any(|removed| removed == name))
            .collect();
        for account in add {
            if !names.contains(&account.as_str()) {
                names.push(account);
            }
        }
        names.len()
    }

    fn share(&mut self, id: ImageId, region: RegionHandle, account: AccountHandle, now: Timestamp) {
        let shared = self.store.update(id, |image| {
            let new = !image.is_shared_with(account);
            if new {
                image.details_mut().shares.push((account, now));
            }
            new
        });
        if shared == Some(true) {
            self.store.grant(account, region, id);
        }
    }

    fn unshare(&mut self, id: ImageId, region: RegionHandle, account: AccountHandle) {
        let unshared = self.store.update(id, |image| {
            let shared = image.is_shared_with(account);
            if shared {
                let details = image.details_mut();
                details.shares.retain(|&(shared, _)| shared != account);
                image.tidy();
            }
            shared
        });
        if unshared == Some(true) {
            self.store.revoke(account, region, id);
        }
    }

    /// DescribeImageSharePermission as `caller`: a page of the accounts one
    /// of their images is shared with.
    pub fn describe_image_share_permission(
        &self,
        caller: &str,
        request: &DescribeImageSharePermission,
    ) -> Result<SharePage<'_>, EcsError> {
        let located = self.located(request.region_id.as_deref(), request.image_id.as_deref());
        let (region, image) = located?;
        let paging = Paging::of(request.page_number, request.page_size);
        let paging = paging.ok_or(EcsError::InvalidParameter)?;
        let (id, found) = self
            .visible(caller, region, image)
            .ok_or(EcsError::ImageNotFound)?;
        let shares = found
            .details()
            .map_or(&[][..], |details| &details.shares[..]);
        let accounts = (shares.iter().skip(paging.skip()).take(paging.size as usize))
            .map(|&(account, since)| (self.store.account_name(account), since))
            .collect();
        Ok(SharePage {
            image: id,
            total_count: shares.len(),
            page_number: paging.number,
            page_size: paging.size,
            accounts,
        })
    }
}
