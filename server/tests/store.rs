//! The semantics over the PostgreSQL store conform to the reference: the
//! same harness that checks the default store (the library's
//! `tests/conformance.rs`) drives a world over a real database, one
//! transaction per step, as the server runs it.

mod support;

use ecs_image_copy::rpc::{Endpoint, EndpointConfig};
use ecs_image_copy::testing::{Conformance, CopyService, Reply, Runs, Step, send_to};
use ecs_image_copy::{Config, World};
use ecs_mock_server::pg::Database;

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
        let endpoint = Endpoint::new(World::new(config.clone()), EndpointConfig::default());
        let (reader, responder) = (endpoint.reader().clone(), endpoint.responder().clone());
        let database = Database::open(&url, 2, config.clone(), reader, responder, 1)
            .expect("the test database opens");
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
    let runs = Runs::default().cases(8).max_steps(30).seed(14);
    if let Err(counterexample) = Conformance::<Postgres>::run(runs) {
        panic!("{counterexample}");
    }
}
