//! The world in PostgreSQL (`--store postgres://...`): each request is one
//! transaction, over which the crate's semantics run unchanged, so that
//! any number of replicas can share one database.
//!
//! Concurrency is PostgreSQL's default, READ COMMITTED, with row locks: a
//! call that may change the world locks every image row it reads, and the
//! account and region row before it starts or queues a copy (see
//! `ecs_image_copy::store::Store`). A call that loses a race (a deadlock, a
//! unique name or token taken first, a row gone since it was read) is
//! rolled back and run again, up to [`ATTEMPTS`] times. A database that
//! cannot be reached answers `ServiceUnavailable` and changes nothing; the
//! pool connects again when it is back.

mod store;

pub use self::store::Transaction;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ecs_image_copy::mock::MockAdvanceCopies;
use ecs_image_copy::rpc::{
    HttpRequest, HttpResponse, ReadRequest, RequestId, RequestReader, Responder,
    TIMESTAMP_WINDOW_SECONDS, request_id,
};
use ecs_image_copy::{Config, EcsError, ImageId, Percent, Request, Timestamp, World};
use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{NoTls, Row, Statement};

use self::store::Accounts;

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

    pub(crate) fn batch(&mut self, sql: &str) -> Result<(), postgres::Error> {
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
#[non_exhaustive]
pub enum Failure {
    /// It lost a race: run it again.
    #[error("lost a race to another call")]
    Conflict,
    /// Its connection had closed (the database restarted since the pool
    /// opened it): run it again on another.
    #[error("its connection had closed")]
    Closed,
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
            _ if error.is_closed() || ended_the_connection(error.code()) => Failure::Closed,
            _ => Failure::Unavailable(error.to_string()),
        }
    }

    /// The error a request that failed so answers.
    pub fn error(&self) -> EcsError {
        match self {
            Failure::Conflict | Failure::Closed | Failure::Unavailable(_) => {
                EcsError::ServiceUnavailable
            }
            Failure::Corrupt(_) => EcsError::InternalError,
        }
    }
}

/// Whether the database ended the session with this error: a pooled
/// connection that outlived a restart of the database gets the
/// shutdown's notice (`57P01` and its kin) on its first use, not a
/// closed socket, and must be dropped like a closed one.
fn ended_the_connection(code: Option<&SqlState>) -> bool {
    let ended = [
        SqlState::ADMIN_SHUTDOWN,
        SqlState::CRASH_SHUTDOWN,
        SqlState::CANNOT_CONNECT_NOW,
    ];
    code.is_some_and(|code| ended.contains(code) || code.code().starts_with("08"))
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
    /// The accounts any call of this replica read.
    accounts: Arc<Accounts>,
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
    /// The database's world was made with another config (regions, copy
    /// limits, ID seed): its replicas would decide differently.
    #[error(
        "--store: the database's world was made with other regions, copy limits or accounts; \
         start with the same --copy-limit and --key accounts, or use another database"
    )]
    Config,
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
            // No round trip to test a connection before each call: one that
            // closed fails its call's first statement, which runs again.
            .test_on_check_out(false)
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
            accounts: Arc::default(),
        };
        database.apply_schema()?;
        database.agree_on_config()?;
        Ok(database)
    }

    /// Records this replica's config in the database if it is the first,
    /// else checks that it is the one recorded.
    fn agree_on_config(&self) -> Result<(), OpenError> {
        let failed = |e: &dyn std::fmt::Display| OpenError::Schema(e.to_string());
        let ours = serde_json::to_string(&*self.config).map_err(|e| failed(&e))?;
        let mut connection = self.pool.get().map_err(|e| failed(&e))?;
        let record = "INSERT INTO ecs_meta (key, value) VALUES ('config', $1) \
                      ON CONFLICT (key) DO NOTHING";
        connection
            .execute(record, &[&ours])
            .map_err(|e| failed(&e))?;
        let rows = connection.query("SELECT value FROM ecs_meta WHERE key = 'config'", &[]);
        let recorded: String = rows
            .map_err(|e| failed(&e))?
            .first()
            .and_then(|row| row.try_get(0).ok())
            .unwrap_or_default();
        let recorded: Config = serde_json::from_str(&recorded).map_err(|e| failed(&e))?;
        match recorded == *self.config {
            true => Ok(()),
            false => Err(OpenError::Config),
        }
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
        let read = self.reader.read(request, now);
        if read.is_refused() {
            // Its refusal, without the database: the right 4xx even while
            // the database is out of reach.
            return self.answer_without_store(read, now, id);
        }
        let writing = read.may_change();
        let answered = self.transact(writing, |world| {
            let read = self.reader.read(request, now);
            // Spent first, in the same transaction: the world holds the
            // store while it answers.
            let store = world.store();
            let fresh = read
                .nonce()
                .is_none_or(|nonce| store.spend_nonce(nonce, now));
            (self.responder).answer(world, read, now, id, |_| fresh)
        });
        answered.unwrap_or_else(|failure| {
            note!("a request failed: {failure}");
            // The refusal in the shape the request's answer has.
            let read = self.reader.read(request, now);
            let mut response = self.answer_without_store(read, now, id);
            self.responder.fail(request, &mut response, failure.error());
            response
        })
    }

    /// `read`'s answer from an empty world in memory, spending no nonce:
    /// the whole answer of a request the reader refused, and the shape of
    /// one the database failed.
    fn answer_without_store(
        &self,
        read: ReadRequest<'_>,
        now: Timestamp,
        id: RequestId,
    ) -> HttpResponse {
        let mut world = World::new((*self.config).clone());
        (self.responder).answer(&mut world, read, now, id, |_| true)
    }

    /// Runs `call` on a world over a transaction of its own, and commits
    /// it; runs it again, up to [`ATTEMPTS`] times, while it loses races.
    /// `writing` says whether `call` may change the world: its reads then
    /// lock what they read. A failed call changed nothing.
    pub fn transact<R>(
        &self,
        writing: bool,
        mut call: impl FnMut(&mut World<Transaction<'_>>) -> R,
    ) -> Result<R, Failure> {
        for _ in 0..ATTEMPTS {
            match self.attempt(writing, &mut call) {
                // The pool drops a closed connection when it comes back, so
                // the next attempt connects afresh, or fails to.
                Err(Failure::Conflict | Failure::Closed) => continue,
                done => return done,
            }
        }
        Err(Failure::Conflict)
    }

    fn attempt<R>(
        &self,
        writing: bool,
        call: &mut impl FnMut(&mut World<Transaction<'_>>) -> R,
    ) -> Result<R, Failure> {
        let mut connection = (self.pool.get()).map_err(|e| Failure::Unavailable(e.to_string()))?;
        // A reading call sees one snapshot (a page and its `TotalCount`
        // agree) and never waits for, nor fails, a writer. Not READ ONLY:
        // a signed read spends its nonce, an INSERT, in it.
        let begin = match writing {
            true => "BEGIN",
            false => "BEGIN ISOLATION LEVEL REPEATABLE READ",
        };
        connection.batch(begin).map_err(|e| Failure::of(&e))?;
        let store = Transaction::new(&mut connection, &self.config, &self.accounts, writing);
        let mut world = World::with_store((*self.config).clone(), store);
        let answer = call(&mut world);
        let store = world.into_store();
        if let Some(failure) = store.failure() {
            let _ = store.end("ROLLBACK");
            return Err(failure);
        }
        if let Err(error) = store.end("COMMIT") {
            // A conflict the database reports at commit rolled the call
            // back: it runs again. A commit that got no answer may have
            // been kept: running the call again could make a second copy
            // nobody was told of, so its caller is told the service failed.
            return Err(match Failure::of(&error) {
                Failure::Conflict => Failure::Conflict,
                _ => Failure::Unavailable(format!("the commit's outcome is unknown: {error}")),
            });
        }
        store.committed();
        Ok(answer)
    }

    /// Writes `count` more copies like the queued copy `like`, queued
    /// after it, in one `COPY`: the load test's million images in seconds.
    /// Their IDs, in queue order.
    #[doc(hidden)]
    pub fn bulk_queued_copies(&self, like: ImageId, count: usize) -> Result<Vec<ImageId>, String> {
        let mut connection = self.pool.get().map_err(|e| e.to_string())?;
        let client = connection.client();
        let sql = "SELECT owner, region, created, size_gib, status, phase, source, task                    FROM ecs_images WHERE id = $1";
        let row = client
            .query_one(sql, &[&(like.number() as i64)])
            .map_err(|e| e.to_string())?;
        let text = |i: usize| -> Result<String, String> {
            let value: Option<String> = row.try_get(i).map_err(|e| e.to_string())?;
            Ok(value.unwrap_or_default())
        };
        let number = |i: usize| -> Result<i64, String> {
            let value: Result<i64, _> = row.try_get(i);
            value
                .or_else(|_| row.try_get::<_, i32>(i).map(i64::from))
                .or_else(|_| row.try_get::<_, i16>(i).map(i64::from))
                .map_err(|e| e.to_string())
        };
        let fixed = format!(
            "{}\t{}\t{}\t{}\t\\N\t{}\t{}\t{}\t{}\t\\N\n",
            number(0)?,
            number(1)?,
            number(2)?,
            number(3)?,
            number(4)?,
            number(5)?,
            number(6)?,
            text(7)?.replace('\\', "\\\\"),
        );
        let count_sql = "SELECT nextval('ecs_image_keys'), nextval('ecs_image_seqs')";
        let first = client
            .query_one(count_sql, &[])
            .map_err(|e| e.to_string())?;
        let (key, seq): (i64, i64) = (first.get(0), first.get(1));
        let last = (key + count as i64, seq + count as i64);
        let set = "SELECT setval('ecs_image_keys', $1), setval('ecs_image_seqs', $2)";
        client
            .query_one(set, &[&last.0, &last.1])
            .map_err(|e| e.to_string())?;
        let copy = "COPY ecs_images (id, seq, owner, region, created, size_gib, name, status, \
                    phase, source, task, details) FROM STDIN";
        let mut writer = client.copy_in(copy).map_err(|e| e.to_string())?;
        let mut ids = Vec::with_capacity(count);
        for n in 0..count as i64 {
            let id = ImageId::keyed(self.config.id_seed(), (key + n) as u64);
            let line = format!("{}\t{}\t{fixed}", id.number() as i64, seq + n);
            std::io::Write::write_all(&mut writer, line.as_bytes()).map_err(|e| e.to_string())?;
            ids.push(id);
        }
        writer.finish().map_err(|e| e.to_string())?;
        client
            .batch_execute("VACUUM ANALYZE ecs_images")
            .map_err(|e| e.to_string())?;
        Ok(ids)
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
        let mut advance = MockAdvanceCopies::default();
        advance.step = Some(step.get().to_string());
        let advance = Request::from(advance);
        let ticked = self.transact(true, |world| world.handle("", &advance, now).is_ok());
        if let Err(failure) = ticked {
            note!("a tick failed: {failure}");
        }
        // Nonces older than any timestamp still accepted.
        let horizon = (now_ms / 1000).saturating_sub(2 * TIMESTAMP_WINDOW_SECONDS);
        let _ = connection.execute(
            "DELETE FROM ecs_nonces WHERE spent < $1",
            &[&(horizon as i64)],
        );
    }
}
