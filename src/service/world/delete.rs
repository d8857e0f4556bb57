//! DeleteImage and DeleteSnapshot.

use super::store::Store;
use super::{Snapshot, World};
use crate::service::request::given;
use crate::service::{DeleteImage, DeleteSnapshot, SnapshotId};
use crate::task::EcsError;

impl<S: Store> World<S> {
    /// DeleteImage as `caller`: the image is gone, its snapshot stays; or
    /// the first error in the documented order. A copy in progress must be
    /// cancelled instead, and a shared image unshared first. Copies of the
    /// image that are still running go on: they read its snapshot, which
    /// DeleteImage leaves.
    pub fn delete_image(&mut self, caller: &str, request: &DeleteImage) -> Result<(), EcsError> {
        let region = request.region_id.as_deref();
        let (id, image) = self.caller_image(caller, region, request.image_id.as_deref())?;
        if image.is_copy_in_progress() {
            return Err(EcsError::ImageCopying);
        }
        if image.is_shared() {
            return Err(EcsError::ImageShared);
        }
        if request.dry_run {
            return Err(EcsError::DryRunOperation);
        }
        self.remove_image(id, Snapshot::Keep);
        Ok(())
    }

    /// DeleteSnapshot as `caller`: the snapshot of a deleted image of
    /// theirs is gone; or the first error in the documented order.
    pub fn delete_snapshot(
        &mut self,
        caller: &str,
        request: &DeleteSnapshot,
    ) -> Result<(), EcsError> {
        let text = given(request.snapshot_id.as_deref()).ok_or(EcsError::MissingSnapshotId)?;
        let id: SnapshotId = text.parse().map_err(|_| EcsError::SnapshotNotFound)?;
        let owner = (self.store.account(caller)).ok_or(EcsError::SnapshotNotFound)?;
        if let Some(image) = self.store.image(id.image()) {
            return Err(match image.owner == owner {
                true => EcsError::SnapshotInUse,
                false => EcsError::SnapshotNotFound,
            });
        }
        match self.store.orphan(id) {
            Some(orphan) if orphan.owner == owner => {
                self.store.drop_orphan(id);
                Ok(())
            }
            _ => Err(EcsError::SnapshotNotFound),
        }
    }
}
