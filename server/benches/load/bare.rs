//! The floor of the load test: a bare hyper server set up as the mock
//! server is (tokio's multi-threaded runtime, HTTP/1 with a header timer,
//! `TCP_NODELAY`, graceful shutdown watching each connection), answering
//! every request with the same bytes, read from a file: what the mock
//! answers DescribeImages by ID with. The mock at its best costs this
//! plus its own work.
//!
//! `cargo run --release -p ecs-mock-server --example bare -- LISTEN BODY_FILE`

#[path = "floor.rs"]
mod floor;

use std::convert::Infallible;
use std::error::Error;
use std::net::SocketAddr;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [listen, body] = args.as_slice() else {
        return Err("usage: bare LISTEN BODY_FILE".into());
    };
    let listen: SocketAddr = listen.parse()?;
    let body = Bytes::from(std::fs::read(body)?);
    floor::serve(listen, move |request| answer(request, body.clone())).await?;
    Ok(())
}

/// Reads the request's body, as the mock does, and answers `body`.
async fn answer(
    request: Request<Incoming>,
    body: Bytes,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let mut incoming = request.into_body();
    while let Some(Ok(_)) = incoming.frame().await {}
    let mut reply = Response::new(Full::new(body));
    reply.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json;charset=utf-8"),
    );
    Ok(reply)
}
