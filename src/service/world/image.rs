//! One image of the world, as a store keeps it, and the other records a
//! store keeps.

use super::handles::{AccountHandle, RegionHandle};
use crate::service::{ImageId, Timestamp};
use crate::task::{CopyPhase, CopyTask, ImageStatus};

/// One image of the world, as a [`Store`](super::Store) keeps it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Image {
    /// Creation number: images are listed, and copies queued, in its
    /// order. The store sets it when it inserts the image.
    pub seq: u64,
    /// Its owner.
    pub owner: AccountHandle,
    /// Its region.
    pub region: RegionHandle,
    /// `CreationTime`.
    pub created: Timestamp,
    /// `Size`, in GiB.
    pub size_gib: u32,
    /// `ImageName`; empty for a copy made without one.
    pub name: Box<str>,
    /// What most images do not have, kept out of line to keep images small.
    pub details: Option<Box<Details>>,
    /// What makes it a copy, if it is one.
    pub copy: Option<CopyOf>,
}

/// An image's optional attributes: most images have none, so they cost a
/// pointer.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Details {
    /// `Description`.
    pub description: Box<str>,
    /// `Tags`, `(key, value)`, in the order set.
    pub tags: Vec<(Box<str>, Box<str>)>,
    /// `Encrypted`.
    pub encrypted: bool,
    /// `KMSKeyId`.
    pub kms_key_id: Box<str>,
    /// Set by ModifyImageAttribute: shown as `Deprecated`, copied and
    /// shared no more.
    pub deprecated: bool,
    /// The accounts the image is shared with, and since when, in the order
    /// they were added.
    pub shares: Vec<(AccountHandle, Timestamp)>,
}

impl Details {
    /// `None` for an image without any: most images, built for nothing.
    pub fn boxed(self) -> Option<Box<Details>> {
        (self != Details::default()).then(|| Box::new(self))
    }
}

impl Image {
    /// `Status`, as DescribeImages shows and filters it.
    pub fn status(&self) -> ImageStatus {
        if self.is_deprecated() {
            return ImageStatus::Deprecated;
        }
        match self.copy {
            // A cancelled copy is deleted from the world, so it has a status.
            Some(copy) => copy.task.status().unwrap_or(ImageStatus::UnAvailable),
            None => ImageStatus::Available,
        }
    }

    /// Whether the image is a copy that is queued, copying or finalizing.
    pub(super) fn is_copy_in_progress(&self) -> bool {
        let phase = self.copy.map(|copy| copy.task.phase());
        phase.is_some_and(|phase| !phase.is_terminal())
    }

    /// Whether the image is a copy that holds one of its account's copy
    /// slots in its region: copying or finalizing. Only such a copy frees
    /// a slot when it ends or goes; a queued one waits because none is free.
    pub(super) fn holds_slot(&self) -> bool {
        let phase = self.copy.map(|copy| copy.task.phase());
        matches!(phase, Some(CopyPhase::Copying | CopyPhase::Finalizing))
    }

    /// Whether the image is a copy that failed.
    pub(super) fn is_failed_copy(&self) -> bool {
        let phase = self.copy.map(|copy| copy.task.phase());
        phase == Some(CopyPhase::Failed)
    }

    /// The image's attributes, to change: made when the first one is set,
    /// dropped when the last one is cleared (see [`Image::tidy`]).
    pub(super) fn details_mut(&mut self) -> &mut Details {
        self.details.get_or_insert_default()
    }

    /// Drops details that hold nothing, so that the image costs a pointer.
    pub(super) fn tidy(&mut self) {
        if let Some(details) = self.details.take() {
            self.details = details.boxed_again();
        }
    }

    pub(super) fn details(&self) -> Option<&Details> {
        self.details.as_deref()
    }

    /// Whether ModifyImageAttribute deprecated it.
    pub(super) fn is_deprecated(&self) -> bool {
        self.details().is_some_and(|details| details.deprecated)
    }

    /// Whether it is shared with any account.
    pub(super) fn is_shared(&self) -> bool {
        self.details()
            .is_some_and(|details| !details.shares.is_empty())
    }

    /// Whether it is shared with `account`.
    pub(super) fn is_shared_with(&self, account: AccountHandle) -> bool {
        let shares = self.details().map_or(&[][..], |details| &details.shares);
        shares.iter().any(|&(shared, _)| shared == account)
    }
}

impl Details {
    fn boxed_again(self: Box<Details>) -> Option<Box<Details>> {
        (*self != Details::default()).then_some(self)
    }
}

/// What makes an image a copy: its source and its task.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct CopyOf {
    /// The image it copies.
    pub source: ImageId,
    /// Where the copy is.
    pub task: CopyTask,
}

/// A CopyImage call remembered for its ClientToken.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Replay {
    /// Every parameter but the token and DryRun, destination resolved: a
    /// retry with other parameters is refused.
    pub parameters: Vec<Box<str>>,
    /// The copy the call made.
    pub image: ImageId,
}

/// The snapshot of a deleted image, which DeleteImage leaves.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Orphan {
    /// The deleted image's owner.
    pub owner: AccountHandle,
    /// The deleted image's region.
    pub region: RegionHandle,
}
