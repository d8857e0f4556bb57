//! The mock server's shell around the sans-I/O `Endpoint`: sockets, the
//! clock, the state file and the ticker. All answers come from the crate.

use std::future::Future;
use std::io::{self, Cursor, Write};
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ecs_image_copy::mock::MockAdvanceCopies;
use ecs_image_copy::rpc::{
    Endpoint, EndpointConfig, HttpRequest, HttpResponse, JSON_CONTENT_TYPE, MAX_REQUEST_BYTES,
    RequestReader, XML_CONTENT_TYPE,
};
use ecs_image_copy::{Answer, Command, Config, EcsError, Percent, Timestamp, World};
use http_body_util::{BodyExt, Full};
use hyper::body::{Body as _, Incoming};
use hyper::header::HeaderValue;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::pg::Database;
use crate::store::{Compaction, Recovery, Store};

/// How far a running copy advances per automatic step, unless told: 0, 15,
/// ..., 90, 100 (finalizing), completed: eight steps.
pub const DEFAULT_STEP: Percent = match Percent::new(15) {
    Some(step) => step,
    None => Percent::FULL,
};

/// The `HostId` of error bodies for a request without a `Host` header, the
/// endpoint's and the server's own alike.
const HOST_ID: &str = "ecs.aliyuncs.com";

/// An access key the server accepts, given as `ID:SECRET[:ACCOUNT]`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AccessKeyArg {
    /// The access key ID, as clients send it.
    pub id: String,
    /// The secret both sides sign with.
    pub secret: String,
    /// The account the key acts as: the ID, unless given.
    pub account: String,
}

impl FromStr for AccessKeyArg {
    type Err = String;

    fn from_str(text: &str) -> Result<AccessKeyArg, String> {
        let mut parts = text.splitn(3, ':');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(id), Some(secret), account) if !id.is_empty() && !secret.is_empty() => {
                Ok(AccessKeyArg {
                    id: id.to_owned(),
                    secret: secret.to_owned(),
                    account: account.unwrap_or(id).to_owned(),
                })
            }
            _ => Err("expected ID:SECRET[:ACCOUNT]".to_owned()),
        }
    }
}

/// How the server runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// Copies move only through the Mock* actions.
    pub manual: bool,
    /// Copies at once per region, for a new world.
    pub copy_limit: Option<NonZeroU32>,
    /// Access keys; any key turns authentication on.
    pub keys: Vec<AccessKeyArg>,
    /// Serve the Mock* control actions.
    pub mock_actions: bool,
    /// Where the world is persisted: a snapshot at this path, and beside it
    /// `<state>.journal-<generation>`, the changes since.
    pub state: Option<PathBuf>,
    /// The PostgreSQL database that keeps the world instead, if any.
    pub database: Option<String>,
    /// Connections to the database at most.
    pub connections: u32,
    /// How often running copies advance.
    pub tick: Duration,
    /// How far they advance each tick.
    pub step: Percent,
    /// Print one line per request.
    pub log: bool,
    /// How long a client may take to send a request's headers, or to
    /// start the next request on a kept-alive connection; then it is closed.
    pub header_timeout: Duration,
    /// How long a client may take to send a request's body.
    pub body_timeout: Duration,
    /// When the journal is compacted.
    pub compaction: Compaction,
    /// What a start does with journals that do not replay whole.
    pub recovery: Recovery,
}

/// The default of [`Options::header_timeout`]: slow clients hold a
/// descriptor each, and a server out of descriptors serves nobody.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(30);

/// The default of [`Options::body_timeout`].
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// How long the server waits before accepting again after an accept failed
/// (out of descriptors, say): long enough not to spin, short enough that a
/// freed descriptor is soon used.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

impl Default for Options {
    fn default() -> Options {
        Options {
            manual: false,
            copy_limit: None,
            keys: Vec::new(),
            mock_actions: true,
            state: None,
            database: None,
            connections: 16,
            tick: Duration::from_secs(1),
            step: DEFAULT_STEP,
            log: true,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            compaction: Compaction::Amortised,
            recovery: Recovery::Strict,
        }
    }
}

/// The endpoint and its journal, behind one lock, so that the journal's
/// order is the order in which changes were applied.
struct Core {
    endpoint: Endpoint,
    store: Option<Store>,
}

impl Core {
    /// Journals `command`, which the endpoint applied, and tells whether it
    /// may be acknowledged. One that cannot be journalled (a full disk,
    /// say) is taken back: the world becomes the store's replica again,
    /// which holds every journalled change and nothing else. The next
    /// change tries the journal again: the server recovers by itself once
    /// the disk does.
    /// Whether a change would be journalled (always, without a state
    /// file).
    fn writable(&mut self) -> bool {
        self.store.as_mut().is_none_or(Store::writable)
    }

    fn keep(&mut self, command: Command) -> bool {
        let Some(store) = &mut self.store else {
            return true;
        };
        if store.append(command).is_ok() {
            return true;
        }
        let refused = std::mem::replace(self.endpoint.world_mut(), store.replica());
        store.discard(refused);
        false
    }
}

struct Shared {
    core: Mutex<Core>,
    /// Reads requests before the lock is taken: all the work that needs no
    /// world, however large the request.
    reader: RequestReader,
    /// The database that keeps the world instead of `core`, if any.
    database: Option<Database>,
}

fn lock<T>(core: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave the endpoint half-changed
    // (its calls are atomic), nor the log (a line at most is cut short), so
    // a poisoned lock is still good to use.
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
    shared: Arc<Shared>,
    options: Options,
}

/// Loads the world the options name, before anything listens, so that a
/// client that can connect gets answers.
pub fn open(options: Options) -> io::Result<Server> {
    let core = start(&options)?;
    let database = match &options.database {
        Some(url) => Some(open_database(url, &options, &core.endpoint)?),
        None => None,
    };
    let shared = Arc::new(Shared {
        reader: core.endpoint.reader().clone(),
        core: Mutex::new(core),
        database,
    });
    Ok(Server { shared, options })
}

fn open_database(url: &str, options: &Options, endpoint: &Endpoint) -> io::Result<Database> {
    let config = endpoint.world().config().clone();
    let (reader, responder) = (endpoint.reader().clone(), endpoint.responder().clone());
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos() as u64
        ^ u64::from(std::process::id()).rotate_left(32);
    let (url, connections) = (url.to_owned(), options.connections);
    // `postgres` blocks on a runtime of its own: not on tokio's threads.
    let open = move || Database::open(&url, connections, config, reader, responder, seed);
    let opened = std::thread::spawn(open).join();
    let opened = opened.map_err(|_| io::Error::other("--store: opening the database panicked"))?;
    opened.map_err(io::Error::other)
}

/// Serves on `listener` until `shutdown` resolves, then finishes the
/// requests in flight and writes a final snapshot.
pub async fn serve(
    server: Server,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let Server { shared, options } = server;
    // A write past the file size limit (`ulimit -f`) then fails with EFBIG,
    // which the journal survives, instead of the signal ending the process.
    #[cfg(unix)]
    let _file_size_limit = {
        use tokio::signal::unix::{SignalKind, signal};
        signal(SignalKind::from_raw(libc::SIGXFSZ))?
    };
    let log = options.log.then(Log::start);
    let ticker = (!options.manual).then(|| match &shared.database {
        Some(database) => tokio::spawn(tick_database(database.clone(), options.clone())),
        None => tokio::spawn(tick(shared.clone(), options.clone())),
    });
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(options.header_timeout);
    let body_timeout = options.body_timeout;
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            // Out of descriptors, most often: the connection waits in the
            // backlog until one is freed; the server goes on serving.
            Err(error) => {
                note!("accept failed ({error}); retrying");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let connection = Arc::new(Connection {
            shared: shared.clone(),
            // Written once per connection rather than in every request's line.
            peer: peer.to_string().into(),
            log: log.clone(),
            body_timeout,
        });
        let service = service_fn(move |request| answer(connection.clone(), request));
        let connection = http.serve_connection(TokioIo::new(stream), service);
        tokio::spawn(graceful.watch(connection));
    }
    // Refused at once rather than queued for a server that will not serve.
    drop(listener);
    if let Some(ticker) = ticker {
        ticker.abort();
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await;
    let store = lock(&shared.core).store.take();
    store.map_or(Ok(()), Store::close)
}

fn start(options: &Options) -> io::Result<Core> {
    let mut config = Config::default();
    if let Some(limit) = options.copy_limit {
        config = config.with_copy_limit(limit);
    }
    let fresh = || World::new(config);
    let (opened, world) = match &options.state {
        Some(path) => {
            let (opened, world) = Store::open(path, fresh, options.recovery)?;
            (Some(opened), world)
        }
        None => (None, fresh()),
    };
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let mut endpoint_config = EndpointConfig::default()
        .with_mock_actions(options.mock_actions)
        .with_request_id_seed(seed.as_nanos() as u64)
        .with_host_id(HOST_ID);
    for key in &options.keys {
        endpoint_config = endpoint_config.with_key(&key.id, &key.secret, &key.account);
    }
    let endpoint = Endpoint::new(world, endpoint_config);
    // The replica starts from the world as the endpoint serves it (its
    // accounts closed to the keys' ones).
    let store = opened.map(|opened| opened.start(endpoint.world().clone(), options.compaction));
    Ok(Core { endpoint, store })
}

/// Advances running copies every tick, as a real backend would.
async fn tick(shared: Arc<Shared>, options: Options) {
    let mut interval = tokio::time::interval(options.tick);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let mut core = lock(&shared.core);
        if !core.writable() {
            continue;
        }
        let mut advance = MockAdvanceCopies::default();
        advance.step = Some(options.step.get().to_string());
        // A tick is the backend's, no account's.
        let command = Command::new("", advance, now());
        let moved = command.apply(core.endpoint.world_mut());
        if matches!(moved, Ok(Answer::Advanced(moved)) if moved > 0) {
            // Nobody awaits the answer: a tick the journal refused is
            // taken back, and the next one tries again.
            core.keep(command);
        }
    }
}

/// Advances running copies every tick, when this replica holds the
/// database's ticker.
async fn tick_database(database: Database, options: Options) {
    let mut interval = tokio::time::interval(options.tick);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let database = database.clone();
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis() as u64;
        let (step, period) = (options.step, options.tick);
        let ticked = tokio::task::spawn_blocking(move || database.tick(step, now_ms, period));
        let _ = ticked.await;
    }
}

/// What a connection's requests share. A request clones the connection's
/// `Arc`, which one worker at a time touches, rather than the server's
/// (its count, written by every request on both workers, would move
/// between their caches on every request).
struct Connection {
    shared: Arc<Shared>,
    peer: Box<str>,
    log: Option<Log>,
    body_timeout: Duration,
}

async fn answer(
    connection: Arc<Connection>,
    request: Request<Incoming>,
) -> Result<Response<Full<Cursor<Vec<u8>>>>, BodyError> {
    let Connection {
        shared,
        peer,
        log,
        body_timeout,
    } = &*connection;
    // Only a logged request is timed: a clock read is a call.
    let started = log.is_some().then(Instant::now);
    let (parts, body) = request.into_parts();
    // Most requests (a GET) have no body: nothing to wait for, no timer.
    let body = match body.is_end_stream() {
        true => Vec::new(),
        false => tokio::time::timeout(*body_timeout, read_body(body))
            .await
            .map_err(|_| BodyError::TimedOut)??,
    };
    let response = match &shared.database {
        None => with_request(&parts, &body, |request| respond(shared, request)),
        Some(database) => {
            let database = database.clone();
            let answered = tokio::task::spawn_blocking(move || {
                with_request(&parts, &body, |request| database.respond(request, now()))
            });
            answered.await.map_err(|_| BodyError::Crashed)?
        }
    };
    if let (Some(log), Some(started)) = (log, started) {
        log.line(&response, peer, started.elapsed());
    }
    let HttpResponse {
        status,
        content_type,
        body,
        ..
    } = response;
    // Sent as it is: `Bytes::from` would allocate for a vector with room
    // to spare, as a body written into a reservation has.
    let mut reply = Response::new(Full::new(Cursor::new(body)));
    *reply.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let content_type = content_type_header(content_type);
    reply
        .headers_mut()
        .insert(hyper::header::CONTENT_TYPE, content_type);
    Ok(reply)
}

/// The `Content-Type` header of an answer. The endpoint's two are checked
/// once: `HeaderValue::from_static` checks every byte when it runs.
fn content_type_header(content_type: &'static str) -> HeaderValue {
    static JSON: HeaderValue = HeaderValue::from_static(JSON_CONTENT_TYPE);
    static XML: HeaderValue = HeaderValue::from_static(XML_CONTENT_TYPE);
    match content_type {
        JSON_CONTENT_TYPE => JSON.clone(),
        XML_CONTENT_TYPE => XML.clone(),
        other => HeaderValue::from_static(other),
    }
}

/// Calls `answer` with the request's parts as the endpoint reads them.
fn with_request<R>(
    parts: &hyper::http::request::Parts,
    body: &[u8],
    answer: impl FnOnce(&HttpRequest<'_>) -> R,
) -> R {
    // A request sent through a proxy names its origin in the target
    // (`POST http://ecs.cn-beijing.aliyuncs.com/?...`); the target's host
    // then wins over a `Host` header, as RFC 9112 (3.2.2) has it, and is
    // the host the error bodies' `HostId` and signature V3 see.
    let authority = parts.uri.authority().map(|authority| authority.as_str());
    let headers = parts
        .headers
        .iter()
        .filter(|(name, _)| authority.is_none() || *name != hyper::header::HOST)
        .map(|(name, value)| (name.as_str(), value.as_bytes()))
        .chain(authority.map(|host| ("host", host.as_bytes())));
    // Most requests have a few headers: kept on the stack, not allocated.
    // Every one fits: the filter only takes away, the chain adds one.
    let mut few = [("", &[][..]); FEW_HEADERS];
    let many: Vec<(&str, &[u8])>;
    let headers = match parts.headers.len() < FEW_HEADERS {
        true => {
            let slots = few.iter_mut().zip(headers);
            let count = slots.map(|(slot, header)| *slot = header).count();
            &few[..count]
        }
        false => {
            many = headers.collect();
            &many[..]
        }
    };
    answer(&HttpRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or("").as_bytes(),
        headers,
        body,
    })
}

/// One more than the headers a request may have and still be read
/// without an allocation.
const FEW_HEADERS: usize = 16;

/// The endpoint's answer once its change is journalled, else a
/// `ServiceUnavailable` that changed nothing. Reads need no journal, and
/// are answered whatever the disk does.
fn respond(shared: &Shared, request: &HttpRequest<'_>) -> HttpResponse {
    // One clock read for both steps: they are microseconds apart, and
    // times are whole seconds.
    let now = now();
    let mut read = shared.reader.read(request, now);
    let mut core = lock(&shared.core);
    if read.may_change() && !core.writable() {
        read.refuse_change(EcsError::ServiceUnavailable);
    }
    let mut response = core.endpoint.answer(read, now);
    if let Some(command) = response.applied.take()
        && !core.keep(command)
    {
        let unavailable = EcsError::ServiceUnavailable;
        core.endpoint.fail(request, &mut response, unavailable);
    }
    response
}

/// Why a request's body could not be read: the connection is then closed,
/// as no answer could be framed for a request never received whole.
#[derive(Debug, thiserror::Error)]
enum BodyError {
    #[error(transparent)]
    Read(#[from] hyper::Error),
    #[error("the body did not arrive in time")]
    TimedOut,
    #[error("the request's worker stopped before it answered")]
    Crashed,
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
/// own. A request writes its line into a shared buffer and goes on; the
/// thread takes the buffer every `LOG_BATCH` and writes it whole, and
/// sleeps while nothing comes. So lines are at most that late, and under
/// load a request neither allocates for its line nor wakes the thread (a
/// wake is a system call on the request's path).
#[derive(Clone)]
struct Log(Arc<LogBuffer>);

struct LogBuffer {
    pending: Mutex<Pending>,
    /// Signalled by the first line after the thread found nothing.
    arrived: Condvar,
}

#[derive(Default)]
struct Pending {
    lines: Vec<u8>,
    /// The thread waits for `arrived`.
    idle: bool,
}

/// How long the log thread gathers lines before it writes them.
const LOG_BATCH: Duration = Duration::from_millis(5);

impl Log {
    fn start() -> Log {
        let buffer = Arc::new(LogBuffer {
            pending: Mutex::new(Pending::default()),
            arrived: Condvar::new(),
        });
        let shared = buffer.clone();
        std::thread::spawn(move || {
            let mut taken = Vec::new();
            loop {
                std::thread::sleep(LOG_BATCH);
                let mut pending = lock(&shared.pending);
                while pending.lines.is_empty() {
                    pending.idle = true;
                    pending = (shared.arrived.wait(pending))
                        .unwrap_or_else(|poisoned| poisoned.into_inner());
                }
                std::mem::swap(&mut pending.lines, &mut taken);
                drop(pending);
                let _ = io::stderr().write_all(&taken);
                taken.clear();
            }
        });
        Log(buffer)
    }

    /// `peer action account status code micros"us" request-id`, each `-`
    /// when unknown, copied piece by piece: `core::fmt` would cost more
    /// than the rest of the line.
    fn line(&self, response: &HttpResponse, peer: &str, took: Duration) {
        let summary = &response.summary;
        let (mut status, mut micros) = (itoa::Buffer::new(), itoa::Buffer::new());
        let line = [
            peer,
            " ",
            summary.action.map_or("-", <&str>::from),
            " ",
            summary.account.as_deref().unwrap_or("-"),
            " ",
            status.format(response.status),
            " ",
            summary.code.map_or("-", <&str>::from),
            " ",
            micros.format(took.as_micros()),
            "us ",
            summary.request_id.as_str(),
            "\n",
        ];
        let mut pending = lock(&self.0.pending);
        for piece in line {
            pending.lines.extend_from_slice(piece.as_bytes());
        }
        if std::mem::take(&mut pending.idle) {
            self.0.arrived.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoints_content_types_are_the_headers_they_name() {
        let json = Endpoint::new(World::default(), EndpointConfig::default()).handle(
            &HttpRequest {
                method: "GET",
                path: "/",
                query: b"Action=Nope&Version=2014-05-26&Format=JSON",
                headers: &[],
                body: b"",
            },
            now(),
        );
        for content_type in [json.content_type, "text/xml;charset=utf-8", "text/plain"] {
            let header = content_type_header(content_type);
            assert_eq!(header, HeaderValue::from_static(content_type));
        }
        assert_eq!(json.content_type, "application/json;charset=utf-8");
    }

    #[test]
    fn an_internal_error_is_written_as_the_endpoint_writes_its_errors() {
        let config = EndpointConfig::default().with_host_id(HOST_ID);
        let mut endpoint = Endpoint::new(World::default(), config);
        let found = EcsError::ActionNotFound;
        let internal = EcsError::InternalError;
        for format in ["JSON", "XML"] {
            for host in [None, Some(r#"mock<&>"'"#)] {
                let query = format!("Action=Nope&Version=2014-05-26&Format={format}");
                let headers: Vec<(&str, &[u8])> =
                    host.iter().map(|h| ("host", h.as_bytes())).collect();
                let request = HttpRequest {
                    method: "GET",
                    path: "/",
                    query: query.as_bytes(),
                    headers: &headers,
                    body: b"",
                };
                let refused = endpoint.handle(&request, now());
                let mut failed = refused.clone();
                endpoint.fail(&request, &mut failed, internal);
                let expected = String::from_utf8_lossy(&refused.body)
                    .replace(found.code().as_ref(), internal.code().as_ref())
                    .replace(found.message(), internal.message());
                assert_eq!(String::from_utf8_lossy(&failed.body), expected);
                assert_eq!(failed.status, 500);
                assert_eq!(failed.content_type, refused.content_type);
                assert_eq!(failed.summary.code, Some(internal.code()));
            }
        }
    }
}
