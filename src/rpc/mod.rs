//! The ECS RPC wire protocol, sans I/O (feature `rpc`): request parsing,
//! signatures V1 and V3, and JSON and XML bodies, around the
//! [`World`](crate::World).
//!
//! [`Endpoint`] is the entry point: an HTTP request's parts in, a status and
//! a body out, and the [`Command`](crate::Command) to journal when the
//! request changed the world. Sockets, clocks and files stay with the
//! server that embeds it.

mod auth;
mod body;
mod endpoint;
mod failure;
mod params;
mod request_id;
pub mod signature;

pub use self::auth::{DEFAULT_ACCOUNT, MAX_REMEMBERED_NONCES, TIMESTAMP_WINDOW_SECONDS};
pub use self::body::{JSON_CONTENT_TYPE, XML_CONTENT_TYPE};
pub use self::endpoint::{
    API_VERSION, Endpoint, EndpointConfig, HttpRequest, HttpResponse, ReadRequest, RequestReader,
    Responder, Summary,
};
pub use self::params::MAX_REQUEST_BYTES;
#[doc(hidden)]
pub use self::params::Parameters;
pub use self::request_id::{RequestId, request_id};
