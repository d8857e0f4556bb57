//! The floor of the PostgreSQL load test: the bare hyper server of
//! `bare.rs` (same runtime, same HTTP/1 settings), whose every request runs
//! one single-row `UPDATE floor SET n = n + 1 WHERE id = $1`, autocommit,
//! with the id from the request's query (`/?id=123`), inside
//! `spawn_blocking`, through the sync `postgres` client and an `r2d2` pool:
//! what a request of a store over PostgreSQL costs at the least. It answers
//! a small fixed body; a request it cannot serve gets a 4xx or 5xx, which
//! wrk counts as "Non-2xx".
//!
//! Each connection prepares the statement once, when the pool opens it,
//! and the pool does not test a connection when lending it (r2d2 would
//! otherwise send an empty query first): one round trip per request.
//!
//! `cargo run --release -p ecs-mock-server --example bare_pg -- LISTEN DATABASE_URL [--pool N]`

#[path = "floor.rs"]
mod floor;

use std::convert::Infallible;
use std::error::Error;
use std::net::SocketAddr;

use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use postgres::{Client, NoTls, Statement};
use r2d2::{ManageConnection, Pool};
use r2d2_postgres::PostgresConnectionManager;

const UPDATE: &str = "UPDATE floor SET n = n + 1 WHERE id = $1";
const BODY: &[u8] = br#"{"RequestId":"0"}"#;

/// The floor of the PostgreSQL load test (server/benches/load/pg.sh).
#[derive(Parser)]
struct Args {
    /// Address to listen on, e.g. 127.0.0.1:18183.
    listen: SocketAddr,
    /// The database holding `floor(id bigint primary key, n bigint)`.
    database: String,
    /// Connections in the pool.
    #[arg(long, default_value_t = 16)]
    pool: u32,
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let args = Args::parse();
    let manager = Prepared(PostgresConnectionManager::new(
        args.database.parse()?,
        NoTls,
    ));
    let pool = tokio::task::spawn_blocking(move || {
        Pool::builder()
            .max_size(args.pool)
            .test_on_check_out(false)
            .build(manager)
    })
    .await??;
    floor::serve(args.listen, move |request| answer(request, pool.clone())).await?;
    Ok(())
}

/// Reads the request's body, as the mock does, runs the update for the
/// query's `id`, and answers [`BODY`].
async fn answer(
    request: Request<Incoming>,
    pool: Pool<Prepared>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let id = id_of(request.uri().query().unwrap_or(""));
    let mut incoming = request.into_body();
    while let Some(Ok(_)) = incoming.frame().await {}
    let Some(id) = id else {
        return Ok(reply(StatusCode::BAD_REQUEST, "no ?id=INTEGER"));
    };
    let updated = tokio::task::spawn_blocking(move || -> Result<u64, String> {
        let mut connection = pool.get().map_err(|e| e.to_string())?;
        let PreparedClient { client, update } = &mut *connection;
        client
            .execute(&*update, &[&id])
            .map_err(|e| with_sources(&e))
    })
    .await;
    Ok(match updated {
        Ok(Ok(1)) => reply(StatusCode::OK, ""),
        Ok(Ok(rows)) => reply(StatusCode::NOT_FOUND, &format!("{rows} rows with id {id}")),
        Ok(Err(error)) => reply(StatusCode::SERVICE_UNAVAILABLE, &error),
        Err(error) => reply(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string()),
    })
}

/// `error` and its causes: the `postgres` crate's own text is "db error".
fn with_sources(error: &dyn Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(error) = cause {
        text += &format!(": {error}");
        cause = error.source();
    }
    text
}

/// The `id` parameter of a query string.
fn id_of(query: &str) -> Option<i64> {
    let (_, value) = query
        .split('&')
        .find_map(|pair| pair.split_once('=').filter(|(k, _)| *k == "id"))?;
    value.parse().ok()
}

/// [`BODY`] when `status` is OK, else the error in plain text.
fn reply(status: StatusCode, error: &str) -> Response<Full<Bytes>> {
    let (body, content_type) = match status {
        StatusCode::OK => (Bytes::from_static(BODY), "application/json;charset=utf-8"),
        _ => (Bytes::from(error.to_owned()), "text/plain;charset=utf-8"),
    };
    let mut reply = Response::new(Full::new(body));
    *reply.status_mut() = status;
    reply.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(content_type),
    );
    reply
}

/// A pooled connection with the update prepared on it.
struct PreparedClient {
    client: Client,
    update: Statement,
}

/// `r2d2_postgres`'s manager, preparing the update on every connection it
/// opens: a prepared statement belongs to its connection.
struct Prepared(PostgresConnectionManager<NoTls>);

impl ManageConnection for Prepared {
    type Connection = PreparedClient;
    type Error = postgres::Error;

    fn connect(&self) -> Result<PreparedClient, postgres::Error> {
        let mut client = self.0.connect()?;
        let update = client.prepare(UPDATE)?;
        Ok(PreparedClient { client, update })
    }

    fn is_valid(&self, connection: &mut PreparedClient) -> Result<(), postgres::Error> {
        self.0.is_valid(&mut connection.client)
    }

    fn has_broken(&self, connection: &mut PreparedClient) -> bool {
        self.0.has_broken(&mut connection.client)
    }
}
