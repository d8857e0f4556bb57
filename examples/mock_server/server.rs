//! The mock server's shell around the sans-I/O `Endpoint`: sockets, the
//! clock, the state file and the ticker. All answers come from the crate.

use std::future::Future;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, mpsc};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ecs_image_copy::mock::MockAdvanceCopies;
use ecs_image_copy::rpc::{Endpoint, EndpointConfig, HttpRequest, HttpResponse, MAX_REQUEST_BYTES};
use ecs_image_copy::{Answer, Command, Config, Percent, Timestamp, World};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::store::Store;

/// How the server runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// Copies move only through the Mock* actions.
    pub manual: bool,
    /// Copies at once per region, for a new world.
    pub copy_limit: Option<NonZeroU32>,
    /// Access keys (ID, secret, account); any key turns authentication on.
    pub keys: Vec<(String, String, String)>,
    /// Serve the Mock* control actions.
    pub mock_actions: bool,
    /// Where the world is persisted: a snapshot and `<state>.journal`.
    pub state: Option<PathBuf>,
    /// How often running copies advance.
    pub tick: Duration,
    /// How far they advance each tick.
    pub step: Percent,
    /// Print one line per request.
    pub log: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            manual: false,
            copy_limit: None,
            keys: Vec::new(),
            mock_actions: true,
            state: None,
            tick: Duration::from_secs(1),
            // 0, 15, ..., 90, 100 (finalizing), completed: eight ticks.
            step: Percent::new(15).unwrap_or(Percent::FULL),
            log: true,
        }
    }
}

/// The endpoint and its journal, behind one lock, so that the journal's
/// order is the order in which changes were applied.
struct Core {
    endpoint: Endpoint,
    store: Option<Store>,
}

type Shared = Arc<Mutex<Core>>;

fn lock(core: &Shared) -> MutexGuard<'_, Core> {
    // A panic while holding the lock cannot leave the endpoint half-changed
    // (its calls are atomic), so a poisoned lock is still good to use.
    core.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn now() -> Timestamp {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::from_unix_seconds(since_epoch.as_secs())
}

/// A server ready to serve: its world loaded (and its journal replayed).
pub struct Server {
    core: Shared,
    options: Options,
}

/// Loads the world the options name, before anything listens, so that a
/// client that can connect gets answers.
pub fn open(options: Options) -> io::Result<Server> {
    let core = Arc::new(Mutex::new(start(&options)?));
    Ok(Server { core, options })
}

/// Serves on `listener` until `shutdown` resolves, then finishes the
/// requests in flight and writes a final snapshot.
pub async fn serve(
    server: Server,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let Server { core, options } = server;
    let log = options.log.then(Log::start);
    let ticker = (!options.manual).then(|| tokio::spawn(tick(core.clone(), options.clone())));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => accepted?,
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let core = core.clone();
        let log = log.clone();
        let service = service_fn(move |request| answer(core.clone(), request, peer, log.clone()));
        let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
        tokio::spawn(graceful.watch(connection));
    }
    if let Some(ticker) = ticker {
        ticker.abort();
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await;
    let mut core = lock(&core);
    match core.store.take() {
        Some(store) => store.close(core.endpoint.world()),
        None => Ok(()),
    }
}

fn start(options: &Options) -> io::Result<Core> {
    let mut config = Config::default();
    if let Some(limit) = options.copy_limit {
        config = config.with_copy_limit(limit);
    }
    let fresh = || World::new(config);
    let (store, world) = match &options.state {
        Some(path) => {
            let (store, world) = Store::open(path, fresh)?;
            (Some(store), world)
        }
        None => (None, fresh()),
    };
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let mut endpoint_config = EndpointConfig::default()
        .with_mock_actions(options.mock_actions)
        .with_request_id_seed(seed.as_nanos() as u64);
    for (id, secret, account) in &options.keys {
        endpoint_config = endpoint_config.with_key(id, secret, account);
    }
    Ok(Core {
        endpoint: Endpoint::new(world, endpoint_config),
        store,
    })
}

/// Journals `command`, applied under the same lock; a journal that cannot
/// be written ends the server, since its answers would no longer survive.
fn journal(core: &mut Core, command: &Command) {
    let Core { endpoint, store } = core;
    let Some(store) = store else { return };
    if let Err(error) = store.append(command, endpoint.world()) {
        eprintln!("state: cannot write the journal ({error}); stopping");
        std::process::exit(1);
    }
}

/// Advances running copies every tick, as a real backend would.
async fn tick(core: Shared, options: Options) {
    let mut interval = tokio::time::interval(options.tick);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let mut core = lock(&core);
        let mut advance = MockAdvanceCopies::default();
        advance.step = Some(options.step.get().to_string());
        // A tick is the backend's, no account's.
        let command = Command::new("", advance, now());
        let moved = command.apply(core.endpoint.world_mut());
        if matches!(moved, Ok(Answer::Advanced(moved)) if moved > 0) {
            journal(&mut core, &command);
        }
    }
}

async fn answer(
    core: Shared,
    request: Request<Incoming>,
    peer: SocketAddr,
    log: Option<Log>,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let body = read_body(body).await?;
    let headers: Vec<(&str, &[u8])> = parts
        .headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_bytes()))
        .collect();
    let request = HttpRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or("").as_bytes(),
        headers: &headers,
        body: &body,
    };
    let response = {
        let mut core = lock(&core);
        let response = core.endpoint.handle(&request, now());
        if let Some(command) = &response.applied {
            journal(&mut core, command);
        }
        response
    };
    if let Some(log) = log {
        log.line(&response, peer, started.elapsed());
    }
    let HttpResponse {
        status,
        content_type,
        body,
        ..
    } = response;
    let mut reply = Response::new(Full::new(Bytes::from(body)));
    *reply.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    reply.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(content_type),
    );
    Ok(reply)
}

/// The body, or its first `MAX_REQUEST_BYTES + 1` bytes, which is enough
/// for the endpoint to refuse it as too large.
async fn read_body(mut body: Incoming) -> Result<Vec<u8>, hyper::Error> {
    let mut bytes = Vec::new();
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            bytes.extend_from_slice(&data);
        }
        if bytes.len() > MAX_REQUEST_BYTES {
            bytes.truncate(MAX_REQUEST_BYTES + 1);
            break;
        }
    }
    Ok(bytes)
}

/// One line per request on standard error, written by a thread of its
/// own: requests hand it their line and go on, and it flushes whenever it
/// has caught up, so lines are prompt when idle and batched under load.
#[derive(Clone)]
struct Log(mpsc::Sender<String>);

impl Log {
    fn start() -> Log {
        let (sender, lines) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            let mut out = io::BufWriter::new(io::stderr());
            while let Ok(line) = lines.recv() {
                let _ = writeln!(out, "{line}");
                while let Ok(line) = lines.try_recv() {
                    let _ = writeln!(out, "{line}");
                }
                let _ = out.flush();
            }
        });
        Log(sender)
    }

    fn line(&self, response: &HttpResponse, peer: SocketAddr, took: Duration) {
        let summary = &response.summary;
        let code = summary.code.map_or("-", |code| code.into());
        let line = format!(
            "{peer} {} {} {} {code} {}us {}",
            summary.action.map_or("-", <&str>::from),
            summary.account.as_deref().unwrap_or("-"),
            response.status,
            took.as_micros(),
            summary.request_id,
        );
        // The logger thread lives as long as the process.
        let _ = self.0.send(line);
    }
}
