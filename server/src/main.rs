//! A mock ECS endpoint for image copies that the Alibaba Cloud SDKs, the
//! CLI, Terraform and Packer can talk to. See docs/mock-server.md.
//!
//! `ecs-mock-server --listen 127.0.0.1:8080`, or from a checkout
//! `cargo run -p ecs-mock-server -- --listen 127.0.0.1:8080`.

use std::error::Error;
use std::io;
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
///
/// Serves CopyImage, CancelCopyImage, DescribeImages and the other image
/// actions over plain HTTP, as the real service answers them, for the
/// Alibaba Cloud SDKs, aliyun-cli, Terraform and Packer. Point a client at
/// the address with protocol `http`; without --auth any secret will do and
/// the access key ID names the account.
#[derive(Parser, Debug)]
#[command(version, after_long_help = AFTER_HELP)]
struct Args {
    /// The address to listen on; port 0 picks a free one. Once the world is
    /// loaded and the socket bound, the server prints `listening on ADDR`
    /// (the bound address) on standard error, and answers from then on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Copies move only through the Mock* control actions, never by
    /// themselves: what a test that steps a copy through its phases wants.
    #[arg(long)]
    manual: bool,
    /// Copies each account runs at once into each region (default 5); more
    /// are queued (`Waiting`). For a new world: a world restored from --state
    /// keeps its own limit.
    #[arg(long, value_name = "N")]
    copy_limit: Option<NonZeroU32>,
    /// Check request signatures (V1 and V3), timestamps and nonces against
    /// the --key access keys; needs at least one --key.
    #[arg(long)]
    auth: bool,
    /// An access key for --auth (repeatable): the account defaults to the
    /// ID. Without --auth, keys are not checked and any key ID names its
    /// account.
    #[arg(long = "key", value_name = "ID:SECRET[:ACCOUNT]")]
    keys: Vec<server::AccessKeyArg>,
    /// Persist the world in FILE (a snapshot) and FILE.journal-<generation>
    /// (every answered change since, written before its answer), and restore
    /// it at start. Without it the world lives in memory only.
    #[arg(long, value_name = "FILE", conflicts_with = "store")]
    state: Option<PathBuf>,
    /// Keep the world in this PostgreSQL database instead of in memory
    /// (`postgres://USER@HOST:PORT/DB`): every request is one transaction,
    /// and any number of servers may share the database as replicas. The
    /// schema is made at start. Without it, the world lives in memory.
    #[arg(long, value_name = "URL")]
    store: Option<String>,
    /// Connections to the --store database at most (default 16).
    #[arg(long, value_name = "N", default_value_t = 16, requires = "store")]
    connections: u32,
    /// Do not serve the Mock* control actions (MockCreateImage,
    /// MockSetCopyProgress, ...): they then answer InvalidAction.NotFound.
    #[arg(long)]
    no_mock_actions: bool,
    /// Milliseconds between two automatic steps of every running copy
    /// (ignored with --manual).
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    tick_ms: u64,
    /// Percent a running copy gains per automatic step, 1 to 100; a copy at
    /// 100% is finalizing and completes at the next step.
    #[arg(
        long,
        value_name = "PERCENT",
        default_value_t = server::DEFAULT_STEP.get(),
        value_parser = clap::value_parser!(u8).range(1..=100)
    )]
    step: u8,
    /// Do not log one line per request on standard error.
    #[arg(long)]
    quiet: bool,
    /// Stop as Ctrl-C does when standard input ends: a parent that holds a
    /// pipe to it stops the server by closing it, or by dying, however it
    /// dies, so that no server outlives its test run.
    #[arg(long)]
    stop_on_stdin_close: bool,
    /// Milliseconds a client may take to send a request's headers, or to
    /// start its next request on a kept-alive connection; then it is closed.
    #[arg(long, value_name = "MS", default_value_t = server::DEFAULT_HEADER_TIMEOUT.as_millis() as u64)]
    header_timeout_ms: u64,
    /// Milliseconds a client may take to send a request's body; then it is
    /// closed.
    #[arg(long, value_name = "MS", default_value_t = server::DEFAULT_BODY_TIMEOUT.as_millis() as u64)]
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

const AFTER_HELP: &str = "\
Output:
  Standard error only: `listening on ADDR` first (after any line about the
  state file's repair), then one line per request: peer, action, account,
  status, error code (- on success), time taken, RequestId. Standard output
  stays empty. Ctrl-C (SIGINT) logs `shutting down`, finishes the requests
  in flight, writes a final snapshot and exits 0. A bad flag exits 2; an
  error at start (the address, the state file, the database) exits 1 with `error: ...`.

Examples:
  ecs-mock-server --manual --listen 127.0.0.1:0
  ecs-mock-server --auth --key alice-key:alice-secret:alice --key bob-key:bob-secret:bob
  ecs-mock-server --state world.json --tick-ms 100
  ecs-mock-server --store postgres://postgres@127.0.0.1:5432/ecs --listen 127.0.0.1:8081

The control actions, the protocol and the persistence are described in
docs/mock-server.md of the ecs-image-copy repository; its Python package
(server/pyproject.toml) starts the server from pytest.";

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
        database: args.store,
        connections: args.connections,
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
    let stdin_closed = stdin_closed(args.stop_on_stdin_close);
    let shutdown = async {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = stdin_closed => {}
        }
        eprintln!("shutting down");
    };
    server::serve(server, listener, shutdown).await?;
    Ok(())
}

/// Resolves when standard input ends, if asked to watch it; else never.
fn stdin_closed(watch: bool) -> impl Future<Output = ()> {
    let (closed, on_close) = tokio::sync::oneshot::channel::<()>();
    if watch {
        // A thread of its own: a blocking read cannot be cancelled, and the
        // runtime's blocking pool would wait for it at exit.
        std::thread::spawn(move || {
            let _ = io::copy(&mut io::stdin().lock(), &mut io::sink());
            let _ = closed.send(());
        });
    }
    async move {
        if on_close.await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
