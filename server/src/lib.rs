//! The mock ECS server's shell around the sans-I/O
//! [`ecs_image_copy::rpc::Endpoint`]: sockets, the clock, the state files
//! and the ticker. The binary `ecs-mock-server` is its command line; this
//! library exists so that the server's own tests can reach its parts.
//!
//! See `docs/mock-server.md` in the repository for the flags, the control
//! actions and how to point SDKs and tools at it.

pub mod server;
pub mod store;
