//! The store a [`World`](super::World) decides against: what it must keep
//! and answer, and nothing it decides.

use super::handles::{AccountHandle, RegionHandle};
use super::image::{Image, Orphan, Replay};
use crate::service::{ImageId, SnapshotId};
use crate::task::ImageStatus;

/// Which statuses a listing query admits, indexed by `ImageStatus as
/// usize`.
pub type Statuses = [bool; ImageStatus::ALL.len()];

/// Where a [`World`](super::World) keeps its state: accounts, images, and
/// the indexes its actions ask for. The world makes every decision (which
/// check fails first, which queued copy starts when a slot frees, what a
/// retried ClientToken answers); the store keeps what it is told and
/// answers these questions, and nothing else.
///
/// [`Memory`](super::Memory), the default, keeps everything in memory. An
/// embedder with a database implements this trait over one transaction
/// (`docs/embedding.md` has the worked example, PostgreSQL), makes a
/// [`World::with_store`](super::World::with_store) for one call, and
/// commits after it. The methods are synchronous and infallible: a store
/// that cannot answer (a lost connection) answers as if empty, remembers
/// the failure, and its embedder rolls the transaction back and answers an
/// error rather than what the world decided.
///
/// What a store must guarantee:
/// - **Isolation.** The world's calls on one store see one consistent
///   state and no other writer's partial work: one call, one transaction.
/// - **Copy slots.** [`running_count`](Store::running_count) and
///   [`next_queued`](Store::next_queued) must not let two concurrent calls
///   both start a copy into the last free slot of one account and region:
///   a database store locks the account and region's row for the rest of
///   the transaction the first time either is asked, and before
///   [`insert`](Store::insert) gives a copy its creation number, so that
///   creation order is commit order within an account and region.
/// - **Uniqueness.** Names within an account and region, client tokens
///   within an account, and IDs: a store that finds a concurrent call took
///   one first fails the transaction, and its embedder runs the call again.
/// - **Never again.** An ID, once issued, is never issued again, even after
///   its image is gone.
pub trait Store {
    /// The account called `name`, if it ever had an image or a share.
    fn account(&self, name: &str) -> Option<AccountHandle>;

    /// The account called `name`, made now if it is new.
    fn intern(&mut self, name: &str) -> AccountHandle;

    /// The name of `account`, which this store made.
    fn account_name(&self, account: AccountHandle) -> &str;

    /// The image `id`, if it exists.
    fn image(&self, id: ImageId) -> Option<&Image>;

    /// How many images there are.
    fn image_count(&self) -> usize;

    /// Whether no new image fits.
    fn is_full(&self) -> bool;

    /// `owner`'s image named `name` in `region`.
    fn named(&self, owner: AccountHandle, region: RegionHandle, name: &str) -> Option<ImageId>;

    /// Adds `image` as the newest image, under an ID never issued before,
    /// with the next creation number ([`Image::seq`]); `None`, changing
    /// nothing, if the store is full.
    fn insert(&mut self, image: Image) -> Option<ImageId>;

    /// Changes the image `id` by `change`, which leaves its name alone
    /// (see [`rename`](Store::rename)); `None` if there is no such image.
    fn update<R>(&mut self, id: ImageId, change: impl FnOnce(&mut Image) -> R) -> Option<R>;

    /// Renames the image `id`: its old name is free again.
    fn rename(&mut self, id: ImageId, name: &str);

    /// Deletes the image `id`; its ID is never issued again.
    fn remove(&mut self, id: ImageId) -> Option<Image>;

    /// How many of `owner`'s images in `region` have one of `statuses`.
    fn count(&self, owner: AccountHandle, region: RegionHandle, statuses: &Statuses) -> usize;

    /// How many of `owner`'s images in `region` with one of `statuses` are
    /// newer than the image of creation number `seq`, which is not one of
    /// them.
    fn newer_than(
        &self,
        owner: AccountHandle,
        region: RegionHandle,
        statuses: &Statuses,
        seq: u64,
    ) -> usize;

    /// Up to `size` of `owner`'s images in `region` with one of `statuses`,
    /// newest first, after the `skip` newest.
    fn newest(
        &self,
        owner: AccountHandle,
        region: RegionHandle,
        statuses: &Statuses,
        skip: usize,
        size: usize,
    ) -> Vec<(ImageId, &Image)>;

    /// Every image of `owner` in `region`, oldest first.
    fn images_of(&self, owner: AccountHandle, region: RegionHandle) -> Vec<(ImageId, &Image)>;

    /// How many of `owner`'s copies into `region` are copying or
    /// finalizing.
    fn running_count(&mut self, owner: AccountHandle, region: RegionHandle) -> usize;

    /// `owner`'s oldest queued copy into `region`, by creation number.
    fn next_queued(&mut self, owner: AccountHandle, region: RegionHandle) -> Option<ImageId>;

    /// Starts `owner`'s oldest queued copy into `region`
    /// ([`CopyTask::start`](crate::CopyTask::start)), as
    /// [`update`](Store::update) would, and names it; `None`, changing
    /// nothing, if none is queued. The world calls it while a slot is
    /// free; a store may override it to do the same in one step.
    fn start_next_queued(&mut self, owner: AccountHandle, region: RegionHandle) -> Option<ImageId> {
        let id = self.next_queued(owner, region)?;
        let started = self.update(id, |image| {
            let copy = image.copy.as_mut()?;
            copy.task = copy.task.start().ok()?;
            Some(())
        });
        started.flatten().map(|()| id)
    }

    /// Every copy that is copying or finalizing, by account and region.
    fn all_running(&self) -> Vec<(AccountHandle, RegionHandle, Vec<ImageId>)>;

    /// The CopyImage call `owner` made with `token`.
    fn replay(&self, owner: AccountHandle, token: &str) -> Option<&Replay>;

    /// Remembers the CopyImage call `owner` made with `token`.
    fn remember(&mut self, owner: AccountHandle, token: &str, replay: Replay);

    /// The images in `region` shared with `grantee`, in the order shared.
    fn granted(&self, grantee: AccountHandle, region: RegionHandle) -> Vec<ImageId>;

    /// Notes that `id`, in `region`, is now shared with `grantee`.
    fn grant(&mut self, grantee: AccountHandle, region: RegionHandle, id: ImageId);

    /// Notes that `id`, in `region`, is no longer shared with `grantee`.
    fn revoke(&mut self, grantee: AccountHandle, region: RegionHandle, id: ImageId);

    /// The snapshot `id` of a deleted image.
    fn orphan(&self, id: SnapshotId) -> Option<Orphan>;

    /// Keeps the snapshot `id` of a deleted image.
    fn keep_orphan(&mut self, id: SnapshotId, orphan: Orphan);

    /// Deletes the snapshot `id` of a deleted image.
    fn drop_orphan(&mut self, id: SnapshotId);
}
