//! The ECS RPC wire protocol, sans I/O: request parsing, signatures V1 and
//! V3, and JSON and XML bodies, around the [`World`](crate::World).

mod auth;
mod body;
mod endpoint;
mod failure;
mod params;
pub(crate) mod signature;

pub use self::auth::{AccessKey, DEFAULT_ACCOUNT, MAX_REMEMBERED_NONCES, TIMESTAMP_WINDOW_SECONDS};
pub use self::body::Format;
pub use self::endpoint::{
    API_VERSION, Endpoint, EndpointConfig, HttpRequest, HttpResponse, Summary,
};
pub use self::params::{MAX_REQUEST_BYTES, Parameters};
