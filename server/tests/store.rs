//! The semantics over the PostgreSQL store conform to the reference: the
//! same harness that checks the default store (the library's
//! `tests/conformance.rs`) drives a world over a real database, one
//! transaction per step, as the server runs it.

mod support;

use ecs_image_copy::rpc::{Endpoint, EndpointConfig};
use ecs_image_copy::testing::{Conformance, CopyService, Reply, Runs, Step, send_to};
use ecs_image_copy::{Config, ImageId, World};
use ecs_mock_server::pg::Database;

/// The database at `url` for worlds of `config`, as a replica seeded with
/// `seed` opens it.
fn open(url: &str, config: &Config, seed: u64) -> Database {
    let endpoint = Endpoint::new(World::new(config.clone()), EndpointConfig::default());
    let (reader, responder) = (endpoint.reader().clone(), endpoint.responder().clone());
    Database::open(url, 2, config.clone(), reader, responder, seed)
        .expect("the test database opens")
}

/// When the directed tests' images are made.
const NOW: ecs_image_copy::Timestamp = ecs_image_copy::Timestamp::from_unix_seconds(1_795_780_800);

/// Alice's source image in Hangzhou.
fn source(database: &Database) -> ImageId {
    let made = database.transact(true, |world| {
        world.create_image("alice", "cn-hangzhou", "web", NOW)
    });
    made.expect("the database answers").expect("a source")
}

/// A copy of `source` into Beijing, named `name` if given.
fn copy(database: &Database, source: ImageId, name: Option<&str>) -> ImageId {
    let mut request = ecs_image_copy::CopyImage::new("cn-hangzhou", source.to_string());
    request.destination_region_id = Some("cn-beijing".into());
    request.destination_image_name = name.map(Into::into);
    let copied = database.transact(true, |world| world.copy_image("alice", &request, NOW));
    copied.expect("the database answers").expect("a copy")
}

/// The copy `id`'s task, as a reading call sees it; `None` once it is gone.
fn task(database: &Database, id: ImageId) -> Option<ecs_image_copy::CopyTask> {
    let task = database.transact(false, |world| world.image(id)?.copy_task());
    task.expect("the database answers")
}

/// A fresh database per run, each step one transaction.
struct Postgres {
    database: Database,
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the PostgreSQL store")
    }
}

impl CopyService for Postgres {
    fn start(config: &Config) -> Postgres {
        // The test checked that PostgreSQL is there before the runs began.
        let url = support::postgres::database().expect("PostgreSQL, as at the start");
        let database = open(&url, config, 1);
        Postgres { database }
    }

    fn send(&mut self, step: &Step<String>) -> Reply<String> {
        let answered = self.database.transact(true, |world| send_to(world, step));
        answered.expect("the database answers")
    }
}

#[test]
fn the_postgres_store_conforms_to_the_reference() {
    // Skipped, loudly, only where no PostgreSQL can be had (never in CI).
    if support::postgres::database().is_none() {
        return;
    }
    let runs = Runs::default().cases(24).max_steps(40).seed(14);
    if let Err(counterexample) = Conformance::<Postgres>::run(runs) {
        panic!("{counterexample}");
    }
}

/// Queues are first in, first out over the database as in memory: the
/// oldest queued copy takes the slot a cancel frees. (The harness reaches
/// this rarely: a slot must free while two copies wait.)
#[test]
fn the_postgres_store_starts_the_oldest_queued_copy() {
    let Some(url) = support::postgres::database() else {
        return;
    };
    let config = Config::default().with_copy_limit(std::num::NonZeroU32::MIN.saturating_add(1));
    let database = open(&url, &config, 1);
    let source = source(&database);
    let copies =
        ["first", "second", "third", "fourth"].map(|name| copy(&database, source, Some(name)));
    let phases = || copies.map(|id| task(&database, id).map(|task| task.phase()));
    use ecs_image_copy::CopyPhase::{Copying, Queued};
    assert_eq!(
        phases(),
        [Some(Copying), Some(Copying), Some(Queued), Some(Queued)]
    );
    let cancel = ecs_image_copy::CancelCopyImage::new("cn-beijing", copies[0].to_string());
    let cancelled = database.transact(true, |world| world.cancel_copy_image("alice", &cancel));
    assert_eq!(cancelled.expect("the database answers"), Ok(()));
    assert_eq!(phases(), [None, Some(Copying), Some(Copying), Some(Queued)]);
}

/// Automatic progress is one replica's at a time, whichever ticks: a tick
/// by a replica that does not hold the lease moves nothing, and once the
/// holder stops ticking for three periods the other takes over. Time is
/// the ticks' argument, so nothing here sleeps.
#[test]
fn one_replica_at_a_time_advances_the_copies() {
    let Some(url) = support::postgres::database() else {
        return;
    };
    let config = Config::default();
    let (first, second) = (open(&url, &config, 1), open(&url, &config, 2));
    let copy = copy(&first, source(&first), None);
    let progress = || task(&first, copy).map(|task| task.progress().get());
    let step = ecs_image_copy::Percent::new(10).expect("10%");
    let period = std::time::Duration::from_secs(1);
    let start_ms = 1_795_780_800_000;
    first.tick(step, start_ms, period);
    assert_eq!(
        progress(),
        Some(10),
        "the first tick takes the lease and moves the copy"
    );
    second.tick(step, start_ms + 500, period);
    assert_eq!(
        progress(),
        Some(10),
        "the other replica holds no lease: nothing moves"
    );
    first.tick(step, start_ms + 1_000, period);
    assert_eq!(progress(), Some(20), "the holder ticks on");
    second.tick(step, start_ms + 3_500, period);
    assert_eq!(
        progress(),
        Some(20),
        "three periods have not passed since the holder's tick"
    );
    second.tick(step, start_ms + 4_001, period);
    assert_eq!(
        progress(),
        Some(30),
        "the lease lapsed: the other replica took over"
    );
    first.tick(step, start_ms + 4_500, period);
    assert_eq!(
        progress(),
        Some(30),
        "and the first one is now the one that waits"
    );
}
