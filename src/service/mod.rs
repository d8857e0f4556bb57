//! The service layer: regions, accounts, images and copy queues, the
//! actions and backend operations on them, each action's checks in order
//! as data. Pure: time and new IDs come from the caller.

pub(crate) mod checks;
mod command;
mod config;
pub(crate) mod id;
mod life;
pub(crate) mod request;
mod time;
mod world;

pub use self::checks::Check;
pub use self::command::Command;
pub use self::config::Config;
pub use self::id::{ImageId, ImageIdError, SnapshotId};
pub use self::life::LifeStep;
pub use self::request::{
    Action, CancelCopyImage, CopyImage, DeleteImage, DeleteSnapshot, DescribeImageSharePermission,
    DescribeImages, DescribeRegions, ListTagResources, MockAdvanceCopies, MockCompleteCopy,
    MockCreateImage, MockFailCopy, MockSetCancellable, MockSetCopyProgress, ModifyImageAttribute,
    ModifyImageSharePermission, Request, Tag, TagResources, UntagResources,
};
pub use self::time::Timestamp;
pub use self::world::{
    AccountHandle, Answer, CopyOf, Details, Image, ImagePage, ImageView, Memory, Orphan,
    RegionHandle, RegionView, Replay, SharePage, Statuses, Store, TagPage, World, WorldError,
};
