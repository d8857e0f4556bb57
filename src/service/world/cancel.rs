//! CancelCopyImage.

use super::World;
use super::store::Store;
use crate::service::CancelCopyImage;
use crate::task::EcsError;

impl<S: Store> World<S> {
    /// CancelCopyImage as `caller`: `Ok` once the copy is cancelled and its
    /// destination image deleted, or the first error in the documented order.
    pub fn cancel_copy_image(
        &mut self,
        caller: &str,
        request: &CancelCopyImage,
    ) -> Result<(), EcsError> {
        let region = request.region_id.as_deref();
        let (id, image) = self.caller_image(caller, region, request.image_id.as_deref())?;
        let copy = image.copy.ok_or(EcsError::ImageNotCopying)?;
        copy.task.cancel()?;
        self.remove_image(id, super::Snapshot::Drop);
        Ok(())
    }
}
