//! The reference semantics of Alibaba Cloud ECS image copy tasks and of the
//! CancelCopyImage API: a pure model with the exact error of every refusal.
//!
//! ```
//! use ecs_image_copy::{CopyPhase, CopyTask, EcsError, ErrorCode, Percent};
//!
//! // CopyImage queued a copy; the backend starts it and reports progress.
//! let task = CopyTask::new().start()?.progress_to(Percent::new(60).unwrap())?;
//!
//! // A copy created as not cancellable is refused with the API's own error.
//! let pinned = task.with_cancellable(false);
//! let error = pinned.cancel().unwrap_err();
//! assert_eq!(error.status(), 400);
//! assert_eq!(error.code(), ErrorCode::CancelNotSupported);
//! assert_eq!(error.message(), "The specified image copying can not be cancelled.");
//!
//! // A cancellable one is cancelled; cancelling again finds no image.
//! let cancelled = task.cancel()?;
//! assert_eq!(cancelled.phase(), CopyPhase::Cancelled);
//! assert_eq!(cancelled.cancel(), Err(EcsError::ImageNotFound));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Layers
//!
//! Four layers, each a module using only the ones before it
//! (`docs/architecture.md` says where everything is):
//!
//! 1. **One copy task.** [`CopyTask`]: phase, progress and cancellability in
//!    three bytes, moved by the backend's lifecycle events
//!    ([`start`](CopyTask::start), [`progress_to`](CopyTask::progress_to),
//!    [`complete`](CopyTask::complete), [`fail`](CopyTask::fail)) and the
//!    API's [`cancel`](CopyTask::cancel). [`Transition::ALL`] is the
//!    transition table as data, checked for completeness at compile time;
//!    [`EcsError`] is the error catalog, code, HTTP status and message byte
//!    for byte as the service words them, with [`EcsError::from_wire`] to
//!    read them back. The catalog names every layer's errors, each row
//!    with the [`Layer`] that raises it, so that any code read off the wire
//!    is known whatever the features.
//! 2. **The service.** [`World`]: regions, accounts, images and copy queues.
//!    Every [`Action`] has one owned request type ([`CopyImage`],
//!    [`CancelCopyImage`], [`DescribeImages`], and the [`mock`] control
//!    actions), its wire parameter names and its checks in order
//!    ([`Action::checks`]), all in one table; [`World::handle`] answers any
//!    [`Request`]. [`Command`] is a request that changed the world, for
//!    journals and replays.
//! 3. **The wire** (feature `rpc`). [`rpc::Endpoint`]: the ECS RPC protocol
//!    sans I/O, an HTTP request's parts in and a status and body out, with
//!    signatures V1 and V3 ([`rpc::signature`]) and JSON and XML bodies.
//!    the `ecs-mock-server` package is the thin shell that serves it.
//! 4. **Testing** (feature `proptest`). `testing`: strategies, reference
//!    state machines and a harness that checks any system against the
//!    reference.
//!
//! Nothing here reads a clock, a random source, the environment, a file or
//! a socket: time and new IDs come from the caller, and the same calls give
//! the same answers. A refused call returns an error and changes nothing.
//! API refusals are [`EcsError`]s; a lifecycle event in the wrong phase is
//! the embedder's mistake and a [`TransitionError`] naming the phase and the
//! event.
//!
//! # Features
//!
//! - `rpc` (default): the wire protocol, [`rpc`].
//! - `serde`: `Serialize` and `Deserialize` for the model's values, its
//!   requests and the whole [`World`]; deserializing checks that the world
//!   is one the model could have reached.
//! - `proptest`: the `testing` module.
//!
//! Without default features the crate depends on `thiserror` and `strum`
//! only.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[doc(hidden)]
pub mod render;
#[cfg(feature = "rpc")]
pub mod rpc;
mod service;
mod task;
#[cfg(feature = "proptest")]
pub mod testing;

pub use crate::service::{
    Action, Answer, CancelCopyImage, Check, Command, Config, CopyImage, DeleteImage,
    DeleteSnapshot, DescribeImageSharePermission, DescribeImages, DescribeRegions, ImageId,
    ImageIdError, ImagePage, ImageView, LifeStep, ListTagResources, ModifyImageAttribute,
    ModifyImageSharePermission, RegionView, Request, SharePage, SnapshotId, Tag, TagPage,
    TagResources, Timestamp, UntagResources, World, WorldError,
};
pub use crate::task::{
    CopyEvent, CopyPhase, CopyTask, EcsError, ErrorCode, EventError, EventKind, Guard, ImageStatus,
    Layer, Outcome, Percent, PercentError, Provenance, Transition, TransitionError,
};

/// The requests of the mock control actions, which only a mock serves:
/// they make images and move copies as a real backend would.
pub mod mock {
    pub use crate::service::{
        MockAdvanceCopies, MockCompleteCopy, MockCreateImage, MockFailCopy, MockSetCancellable,
        MockSetCopyProgress,
    };
}

/// Where a [`World`] keeps its state: the [`Store`](store::Store) trait a
/// database implements to carry the semantics, the records it keeps, and
/// [`Memory`](store::Memory), the default.
pub mod store {
    pub use crate::service::{
        AccountHandle, CopyOf, Details, Image, Memory, Orphan, RegionHandle, Replay, Statuses,
        Store,
    };
}

/// The README's examples run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
