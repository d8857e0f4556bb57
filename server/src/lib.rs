//! The mock ECS server's shell around the sans-I/O
//! [`ecs_image_copy::rpc::Endpoint`]: sockets, the clock, the state files
//! and the ticker. The binary `ecs-mock-server` is its command line; this
//! library exists so that the server's own tests can reach its parts.
//!
//! See `docs/mock-server.md` in the repository for the flags, the control
//! actions and how to point SDKs and tools at it.

#![warn(missing_docs)]

/// A line on standard error that never panics: `eprintln!` does when
/// standard error cannot be written (a log file on the full disk the
/// journal is on), and the server must outlive its log.
macro_rules! note {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

pub mod pg;
pub mod server;
pub mod store;
