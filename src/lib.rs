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
//! # Scope
//!
//! Four layers, each using only the ones before it:
//!
//! 1. **One copy task.** [`CopyTask`]: phase, progress and cancellability in
//!    three bytes, moved by the backend's lifecycle events
//!    ([`start`](CopyTask::start), [`progress_to`](CopyTask::progress_to),
//!    [`complete`](CopyTask::complete), [`fail`](CopyTask::fail)) and the
//!    API's [`cancel`](CopyTask::cancel). [`TRANSITIONS`] is the transition
//!    table as data, checked for completeness at compile time; [`EcsError`]
//!    is the error catalog, code, HTTP status and message byte for byte as
//!    the service words them, with [`EcsError::from_wire`] to read them back.
//! 2. **The service.** [`World`]: regions, accounts, images and copy queues;
//!    [`World::copy_image`], [`World::cancel_copy_image`],
//!    [`World::describe_images`] with every error in its documented order
//!    ([`COPY_IMAGE_CHECKS`], ...), and backend operations. [`Command`] is
//!    one call as a value, for journals and replays.
//! 3. **The wire** (feature `rpc`). [`Endpoint`]: the ECS RPC protocol sans
//!    I/O, an HTTP request's parts in and a status and body out, with
//!    signatures V1 and V3 ([`signature`]) and JSON and XML bodies.
//!    `examples/mock_server` is the thin shell that serves it.
//! 4. **Testing** (feature `proptest`). `testing`: strategies, reference
//!    state machines and a harness that checks any system against the
//!    reference.
//!
//! Nothing here reads a clock, a random source, the environment, a file or
//! a socket: time and new IDs come from the caller, and the same calls give
//! the same answers. A refused call returns an error and changes nothing.
//! API refusals are [`EcsError`]s; a lifecycle event in the wrong phase is
//! the embedder's mistake and a [`TransitionError`] naming the phase and the
//! event. [`render`] turns the tables into the docs' Markdown.
//!
//! # Features
//!
//! - `rpc` (default): the wire protocol, [`Endpoint`] and [`signature`].
//! - `serde`: `Serialize` and `Deserialize` for the model's values and the
//!   whole [`World`]; deserializing checks that the world is one the model
//!   could have reached.
//! - `proptest`: the `testing` module.
//!
//! Without default features the crate depends on `thiserror` and `strum`
//! only.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod backend;
mod catalog;
mod command;
mod config;
mod describe;
mod event;
mod id;
mod percent;
mod phase;
mod precedence;
pub mod render;
mod request;
#[cfg(feature = "rpc")]
mod rpc;
#[cfg(feature = "serde")]
mod snapshot;
mod table;
mod task;
#[cfg(feature = "proptest")]
pub mod testing;
mod time;
mod transition;
mod world;

pub use crate::backend::WorldError;
pub use crate::catalog::{EcsError, ErrorCode, Provenance, WIRE_ALIASES};
pub use crate::command::{Applied, Command, CopyImageParams};
pub use crate::config::{Config, DEFAULT_COPY_LIMIT, DEFAULT_IMAGE_SIZE_GIB, DEFAULT_REGIONS};
pub use crate::describe::{ImagePage, ImageView, MAX_DESCRIBED_IDS};
pub use crate::event::{CopyEvent, EventKind};
pub use crate::id::{ImageId, ImageIdError};
pub use crate::percent::{Percent, PercentError};
pub use crate::phase::{CopyPhase, ImageStatus};
pub use crate::precedence::{
    CANCEL_COPY_IMAGE_CHECKS, COPY_IMAGE_CHECKS, Check, DESCRIBE_IMAGES_CHECKS,
};
pub use crate::request::{CancelCopyImage, CopyImage, DescribeImages, Tag};
#[cfg(feature = "rpc")]
pub use crate::rpc::{
    API_VERSION, AccessKey, DEFAULT_ACCOUNT, Endpoint, EndpointConfig, Format, HttpRequest,
    HttpResponse, MAX_REMEMBERED_NONCES, MAX_REQUEST_BYTES, Parameters, Summary,
    TIMESTAMP_WINDOW_SECONDS,
};
pub use crate::task::{CopyTask, EventError, TransitionError};
pub use crate::time::Timestamp;
pub use crate::transition::{Guard, Outcome, TRANSITIONS, Transition};
pub use crate::world::World;

/// Signatures V1 (HMAC-SHA1) and V3 (ACS3-HMAC-SHA256): both what a client
/// signs and what the endpoint checks.
#[cfg(feature = "rpc")]
pub mod signature {
    pub use crate::rpc::signature::{
        ACS3_HMAC_SHA256, V3AuthError, V3Authorization, V3Request, authorization_v3,
        canonical_request_v3, percent_encode, sign_v1, sign_v3, string_to_sign_v1,
        string_to_sign_v3, verify_v1, verify_v3,
    };
}

/// `CopyTask` must stay small enough to keep millions of copies in memory.
const _: () = assert!(core::mem::size_of::<CopyTask>() <= 4);

/// The README's examples run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
