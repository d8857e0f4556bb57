//! The world in PostgreSQL (`--store postgres://...`): each request is one
//! transaction, over which the crate's semantics run unchanged, so that
//! any number of replicas can share one database.
//!
//! Concurrency is PostgreSQL's default, READ COMMITTED, with row locks: a
//! call that may change the world locks every image row it reads, and the
//! account and region row before it starts or queues a copy (see
//! `ecs_image_copy::store::Store`). A call that loses a race (a deadlock, a
//! unique name or token taken first, a row gone since it was read) is
//! rolled back and run again, up to [`ATTEMPTS`] times. A call that only
//! reads runs in REPEATABLE READ instead: it takes no locks, and its
//! several statements (DescribeImages counts, then reads a page) must see
//! one state of the database, as READ COMMITTED's statement-by-statement
//! snapshots do not. A database that
//! cannot be reached answers `ServiceUnavailable` and changes nothing; the
//! pool connects again when it is back.

mod store;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ecs_image_copy::mock::MockAdvanceCopies;
use ecs_image_copy::rpc::{
    HttpRequest, HttpResponse, ReadRequest, RequestReader, Responder, TIMESTAMP_WINDOW_SECONDS,
    request_id,
};
use ecs_image_copy::{Config, EcsError, Percent, Request, Timestamp, World};
use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{NoTls, Row, Statement};

use self::store::Transaction;

/// How many times a call that lost a race runs again before it answers
/// `ServiceUnavailable`.
pub const ATTEMPTS: usize = 20;

/// The statements that create the schema; each is idempotent.
const SCHEMA: &str = include_str!("schema.sql");

/// How long a request waits for a free connection of the pool.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(2);

/// One pooled connection, with the statements it has prepared.
pub(crate) struct Connection {
    /// Taken only by `drop`.
    client: Option<postgres::Client>,
    statements: HashMap<&'static str, Statement>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        // `postgres` closes a connection by blocking on a runtime of its
        // own, which panics on a thread that drives tokio's: a pool
        // dropped there hands its connections to a thread that may block.
        if let Some(client) = self.client.take()
            && tokio::runtime::Handle::try_current().is_ok()
        {
            std::thread::spawn(move || drop(client));
        }
    }
}

impl Connection {
    fn client(&mut self) -> &mut postgres::Client {
        // Some until dropped.
        self.client
            .as_mut()
            .expect("a connection's client lives as long as it")
    }

    fn batch(&mut self, sql: &str) -> Result<(), postgres::Error> {
        self.client().batch_execute(sql)
    }

    fn statement(&mut self, sql: &'static str) -> Result<Statement, postgres::Error> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client().prepare(sql)?;
        self.statements.insert(sql, statement.clone());
        Ok(statement)
    }

    pub(crate) fn query(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, postgres::Error> {
        let statement = self.statement(sql)?;
        self.client().query(&statement, params)
    }

    pub(crate) fn execute(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, postgres::Error> {
        let statement = self.statement(sql)?;
        self.client().execute(&statement, params)
    }
}

/// Makes the pool's connections.
pub(crate) struct Manager {
    config: postgres::Config,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Connection;
    type Error = postgres::Error;

    fn connect(&self) -> Result<Connection, postgres::Error> {
        Ok(Connection {
            client: Some(self.config.connect(NoTls)?),
            statements: HashMap::new(),
        })
    }

    fn is_valid(&self, connection: &mut Connection) -> Result<(), postgres::Error> {
        connection.client().simple_query("").map(|_| ())
    }

    fn has_broken(&self, connection: &mut Connection) -> bool {
        connection
            .client
            .as_ref()
            .is_none_or(postgres::Client::is_closed)
    }
}

/// Why a call's transaction was not kept.
#[derive(Clone, Debug, thiserror::Error)]
pub(crate) enum Failure {
    /// It lost a race: run it again.
    #[error("lost a race to another call")]
    Conflict,
    /// The database is not there, or refused: answer `ServiceUnavailable`.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// A row no server of this schema writes: answer `InternalError`.
    #[error("the database holds what no server wrote: {0}")]
    Corrupt(String),
}

impl Failure {
    fn of(error: &postgres::Error) -> Failure {
        let conflict = [
            SqlState::T_R_SERIALIZATION_FAILURE,
            SqlState::T_R_DEADLOCK_DETECTED,
            SqlState::UNIQUE_VIOLATION,
        ];
        match error.code() {
            Some(code) if conflict.contains(code) => Failure::Conflict,
            _ => Failure::Unavailable(error.to_string()),
        }
    }

    fn error(&self) -> EcsError {
        match self {
            Failure::Conflict | Failure::Unavailable(_) => EcsError::ServiceUnavailable,
            Failure::Corrupt(_) => EcsError::InternalError,
        }
    }
}

/// The database the replicas share, and what this replica needs to
/// answer from it.
#[derive(Clone)]
pub struct Database {
    pool: r2d2::Pool<Manager>,
    config: Arc<Config>,
    reader: RequestReader,
    responder: Responder,
    /// This replica's request IDs: a seed of its own and a count.
    request_seed: u64,
    requests: Arc<AtomicU64>,
    /// Names this replica as the ticker's holder.
    replica: Arc<str>,
}

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The URL is not one `postgres` reads.
    #[error("--store: {0}")]
    Url(postgres::Error),
    /// The pool could not be made.
    #[error("--store: {0}")]
    Pool(r2d2::Error),
    /// The schema could not be applied.
    #[error("--store: applying the schema: {0}")]
    Schema(String),
}

impl Database {
    /// Connects to `url`, applies the schema, and answers with `reader`
    /// and `responder` over worlds of `config`. `seed` tells this
    /// replica's request IDs, and its ticker, apart from the others'.
    pub fn open(
        url: &str,
        connections: u32,
        config: Config,
        reader: RequestReader,
        responder: Responder,
        seed: u64,
    ) -> Result<Database, OpenError> {
        let config_of_url: postgres::Config = url.parse().map_err(OpenError::Url)?;
        let pool = r2d2::Pool::builder()
            .max_size(connections.max(1))
            .connection_timeout(CONNECTION_TIMEOUT)
            .build(Manager {
                config: config_of_url,
            })
            .map_err(OpenError::Pool)?;
        let database = Database {
            pool,
            config: Arc::new(config),
            reader,
            responder,
            request_seed: seed,
            requests: Arc::new(AtomicU64::new(0)),
            replica: format!("{seed:016x}").into(),
        };
        database.apply_schema()?;
        Ok(database)
    }

    fn apply_schema(&self) -> Result<(), OpenError> {
        let schema = |why: String| OpenError::Schema(why);
        let mut connection = self.pool.get().map_err(|e| schema(e.to_string()))?;
        // Two replicas starting together may race on a `CREATE ... IF NOT
        // EXISTS`; the loser tries again, and then finds it made.
        let mut last = String::new();
        for _ in 0..3 {
            match connection.batch(SCHEMA) {
                Ok(()) => return Ok(()),
                Err(error) => last = error.to_string(),
            }
        }
        Err(schema(last))
    }

    /// Answers `request` at `now` in a transaction of its own, run again
    /// while it loses races.
    pub fn respond(&self, request: &HttpRequest<'_>, now: Timestamp) -> HttpResponse {
        let count = self.requests.fetch_add(1, Ordering::Relaxed);
        let id = request_id(self.request_seed, count);
        for _ in 0..ATTEMPTS {
            let read = self.reader.read(request, now);
            match self.attempt(read, now, &id) {
                Ok(response) => return response,
                Err((Failure::Conflict, _)) => continue,
                Err((failure, mut response)) => {
                    note!("a request failed: {failure}");
                    self.responder.fail(request, &mut response, failure.error());
                    return response;
                }
            }
        }
        let read = self.reader.read(request, now);
        let mut response = self.fallback(read, now, &id);
        note!("a request lost {ATTEMPTS} races in a row");
        let unavailable = Failure::Conflict.error();
        self.responder.fail(request, &mut response, unavailable);
        response
    }

    /// The answer a request would get from an empty world: the shape of a
    /// refusal, which the caller then turns into the failure.
    fn fallback(&self, read: ReadRequest<'_>, now: Timestamp, id: &str) -> HttpResponse {
        let mut world = World::new((*self.config).clone());
        (self.responder).answer(&mut world, read, now, id.to_owned(), |_| true)
    }

    /// One try: the answer, kept; or why not, with the answer to turn
    /// into the refusal.
    fn attempt(
        &self,
        read: ReadRequest<'_>,
        now: Timestamp,
        id: &str,
    ) -> Result<HttpResponse, (Failure, HttpResponse)> {
        let writing = read.may_change();
        let mut connection = match self.pool.get() {
            Ok(connection) => connection,
            Err(error) => {
                let response = self.fallback(read, now, id);
                return Err((Failure::Unavailable(error.to_string()), response));
            }
        };
        let begin = match writing {
            true => "BEGIN",
            false => "BEGIN ISOLATION LEVEL REPEATABLE READ",
        };
        if let Err(error) = connection.batch(begin) {
            let response = self.fallback(read, now, id);
            return Err((Failure::of(&error), response));
        }
        let (response, failure) = {
            let store = Transaction::new(&mut connection, &self.config, writing);
            // Spent first, in the same transaction: the world holds the
            // store while it answers.
            let fresh = read
                .nonce()
                .is_none_or(|nonce| store.spend_nonce(nonce, now));
            let mut world = World::with_store((*self.config).clone(), store);
            let response = (self.responder).answer(&mut world, read, now, id.to_owned(), |_| fresh);
            (response, world.store().failure())
        };
        let end = match failure {
            None => "COMMIT",
            Some(_) => "ROLLBACK",
        };
        let ended = connection.batch(end);
        match (failure, ended) {
            (None, Ok(())) => Ok(response),
            (Some(failure), _) => Err((failure, response)),
            (None, Err(error)) => Err((Failure::of(&error), response)),
        }
    }

    /// One tick of the backend, by whichever replica holds the ticker:
    /// every running copy advances by `step`, once, however many replicas
    /// run. `period` is how long the holder keeps the ticker without
    /// ticking again.
    pub fn tick(&self, step: Percent, now_ms: u64, period: Duration) {
        let Ok(mut connection) = self.pool.get() else {
            return;
        };
        let until = now_ms + 3 * period.as_millis() as u64;
        let sql = "UPDATE ecs_ticker SET holder = $1, until_ms = $2 \
                   WHERE id = 1 AND (holder = $1 OR until_ms < $3)";
        let replica: &str = &self.replica;
        let held = connection.execute(sql, &[&replica, &(until as i64), &(now_ms as i64)]);
        if !matches!(held, Ok(1)) {
            return;
        }
        let now = Timestamp::from_unix_seconds(now_ms / 1000);
        for _ in 0..ATTEMPTS {
            if connection.batch("BEGIN").is_err() {
                return;
            }
            let failure = {
                let store = Transaction::new(&mut connection, &self.config, true);
                let mut world = World::with_store((*self.config).clone(), store);
                let mut advance = MockAdvanceCopies::default();
                advance.step = Some(step.get().to_string());
                let _ = world.handle("", &Request::from(advance), now);
                world.store().failure()
            };
            match failure {
                None => {
                    let _ = connection.batch("COMMIT");
                    break;
                }
                Some(failure) => {
                    let _ = connection.batch("ROLLBACK");
                    if !matches!(failure, Failure::Conflict) {
                        return;
                    }
                }
            }
        }
        // Nonces older than any timestamp still accepted.
        let horizon = (now_ms / 1000).saturating_sub(2 * TIMESTAMP_WINDOW_SECONDS);
        let _ = connection.execute(
            "DELETE FROM ecs_nonces WHERE spent < $1",
            &[&(horizon as i64)],
        );
    }
}
