//! A mock ECS endpoint for image copies that the Alibaba Cloud SDKs, the
//! CLI, Terraform and Packer can talk to. See docs/mock-server.md.
//!
//! `ecs-mock-server --listen 127.0.0.1:8080`, or from a checkout
//! `cargo run -p ecs-mock-server -- --listen 127.0.0.1:8080`.

use std::error::Error;
use std::net::SocketAddr;
use std::num::{NonZeroU32, NonZeroUsize};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use ecs_image_copy::Percent;
use ecs_mock_server::server;
use ecs_mock_server::store::{Compaction, Recovery};

/// A mock Alibaba Cloud ECS endpoint for image copies.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// The address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Copies move only through the Mock* actions, never by themselves.
    #[arg(long)]
    manual: bool,
    /// Copies each account runs at once into each region (for a new world).
    #[arg(long)]
    copy_limit: Option<NonZeroU32>,
    /// Check request signatures; needs at least one --key.
    #[arg(long)]
    auth: bool,
    /// An access key, ID:SECRET[:ACCOUNT] (the account defaults to the ID).
    #[arg(long = "key", value_name = "ID:SECRET[:ACCOUNT]")]
    keys: Vec<server::AccessKeyArg>,
    /// Persist the world in FILE (a snapshot) and FILE.journal-<generation>
    /// (the changes since), and restore it at start.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Do not serve the Mock* control actions.
    #[arg(long)]
    no_mock_actions: bool,
    /// Milliseconds between two automatic progress steps.
    #[arg(long, default_value_t = 1000)]
    tick_ms: u64,
    /// Percent a running copy gains per step.
    #[arg(
        long,
        default_value_t = server::DEFAULT_STEP.get(),
        value_parser = clap::value_parser!(u8).range(1..=100)
    )]
    step: u8,
    /// Do not log one line per request.
    #[arg(long)]
    quiet: bool,
    /// Milliseconds a client may take to send a request's headers, or to
    /// start its next request on a kept-alive connection; then it is closed.
    #[arg(long, default_value_t = server::DEFAULT_HEADER_TIMEOUT.as_millis() as u64)]
    header_timeout_ms: u64,
    /// Milliseconds a client may take to send a request's body; then it is
    /// closed.
    #[arg(long, default_value_t = server::DEFAULT_BODY_TIMEOUT.as_millis() as u64)]
    body_timeout_ms: u64,
    /// Compact the journal after this many changes, whatever their size
    /// (by default, after 10,000 once it is as large as the last snapshot).
    #[arg(long, value_name = "CHANGES")]
    compact_every: Option<NonZeroUsize>,
    /// At start, a journal's bad line or a missing journal drops what
    /// follows it (set aside in JOURNAL.dropped, and logged) instead of
    /// refusing to start.
    #[arg(long)]
    start_from_valid: bool,
}

/// Errors in their own words: `main` returning one would print its `Debug`.
fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn run() -> Result<(), Box<dyn Error>> {
    let args = Args::parse();
    if args.auth && args.keys.is_empty() {
        return Err("--auth needs at least one --key ID:SECRET[:ACCOUNT]".into());
    }
    let options = server::Options {
        manual: args.manual,
        copy_limit: args.copy_limit,
        keys: if args.auth { args.keys } else { Vec::new() },
        mock_actions: !args.no_mock_actions,
        state: args.state,
        tick: Duration::from_millis(args.tick_ms.max(1)),
        step: Percent::new(args.step).ok_or("--step must be 1 to 100")?,
        log: !args.quiet,
        header_timeout: Duration::from_millis(args.header_timeout_ms.max(1)),
        body_timeout: Duration::from_millis(args.body_timeout_ms.max(1)),
        compaction: args.compact_every.map_or(Compaction::Amortised, |every| {
            Compaction::Every(every.get())
        }),
        recovery: match args.start_from_valid {
            true => Recovery::FromValid,
            false => Recovery::Strict,
        },
    };
    let server = server::open(options)?;
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    eprintln!("listening on {}", listener.local_addr()?);
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
        eprintln!("shutting down");
    };
    server::serve(server, listener, shutdown).await?;
    Ok(())
}
