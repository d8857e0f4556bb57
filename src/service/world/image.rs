//! One image of the world, as the image table stores it.

use super::handles::{AccountHandle, RegionHandle};
use crate::service::{ImageId, Timestamp};
use crate::task::{CopyTask, ImageStatus};

/// One image of the world.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(super) struct Image {
    /// Creation order: the `next_seq` the image was made with.
    pub(super) seq: u64,
    /// The block of its listing it is in (see `lists`): where the listing
    /// counts it, found without a search when it changes status or goes.
    /// It fills what was padding, so images stay the same size.
    pub(super) block: u32,
    pub(super) owner: AccountHandle,
    pub(super) region: RegionHandle,
    pub(super) created: Timestamp,
    pub(super) size_gib: u32,
    pub(super) name: Box<str>,
    /// What most images do not have, kept out of line to keep images small.
    pub(super) details: Option<Box<Details>>,
    pub(super) copy: Option<CopyOf>,
}

/// An image's optional attributes: most images have none, so they cost a
/// pointer.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub(super) struct Details {
    pub(super) description: Box<str>,
    pub(super) tags: Vec<(Box<str>, Box<str>)>,
    pub(super) encrypted: bool,
    pub(super) kms_key_id: Box<str>,
    /// Set by ModifyImageAttribute: shown as `Deprecated`, copied and
    /// shared no more.
    pub(super) deprecated: bool,
    /// The accounts the image is shared with, and since when, in the order
    /// they were added.
    pub(super) shares: Vec<(AccountHandle, Timestamp)>,
}

impl Details {
    /// `None` for an image without any: most images, built for nothing.
    pub(super) fn boxed(self) -> Option<Box<Details>> {
        (self != Details::default()).then(|| Box::new(self))
    }
}

impl Image {
    /// `Status`, as DescribeImages shows and filters it.
    pub(super) fn status(&self) -> ImageStatus {
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

    /// Whether the image is a copy that failed.
    pub(super) fn is_failed_copy(&self) -> bool {
        let phase = self.copy.map(|copy| copy.task.phase());
        phase == Some(crate::task::CopyPhase::Failed)
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
pub(super) struct CopyOf {
    pub(super) source: ImageId,
    pub(super) task: CopyTask,
}

/// A CopyImage call remembered for its ClientToken.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(super) struct Replay {
    /// Every parameter but the token and DryRun, destination resolved.
    pub(super) parameters: Vec<Box<str>>,
    pub(super) image: ImageId,
}
