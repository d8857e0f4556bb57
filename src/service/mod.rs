//! The service layer: regions, accounts, images and copy queues, the
//! actions and backend operations on them, each action's checks in order
//! as data. Pure: time and new IDs come from the caller.

pub(crate) mod checks;
mod command;
mod config;
pub(crate) mod id;
pub(crate) mod request;
mod time;
mod world;

pub use self::checks::Check;
pub use self::command::Command;
pub use self::config::Config;
pub use self::id::{ImageId, ImageIdError};
pub use self::request::{
    Action, CancelCopyImage, CopyImage, DescribeImages, MockAdvanceCopies, MockCompleteCopy,
    MockCreateImage, MockFailCopy, MockSetCancellable, MockSetCopyProgress, Request, Tag,
};
pub use self::time::Timestamp;
pub use self::world::{Answer, ImagePage, ImageView, World, WorldError};
