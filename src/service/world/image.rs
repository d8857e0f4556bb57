//! One image of the world, as the image table stores it.

use super::handles::{AccountHandle, RegionHandle};
use crate::service::{ImageId, Timestamp};
use crate::task::CopyTask;

/// One image of the world.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(super) struct Image {
    /// Creation order: the `next_seq` the image was made with.
    pub(super) seq: u64,
    pub(super) owner: AccountHandle,
    pub(super) region: RegionHandle,
    pub(super) created: Timestamp,
    pub(super) size_gib: u32,
    pub(super) name: Box<str>,
    /// What most images do not have, kept out of line to keep images small.
    pub(super) details: Option<Box<Details>>,
    pub(super) copy: Option<CopyOf>,
}

/// An image's optional attributes.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub(super) struct Details {
    pub(super) description: Box<str>,
    pub(super) tags: Box<[(Box<str>, Box<str>)]>,
    pub(super) encrypted: bool,
    pub(super) kms_key_id: Box<str>,
}

impl Details {
    /// `None` for an image without any: most images, built for nothing.
    pub(super) fn boxed(self) -> Option<Box<Details>> {
        (self != Details::default()).then(|| Box::new(self))
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
