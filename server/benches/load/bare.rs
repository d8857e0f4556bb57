//! The floor of the load test: a bare hyper server set up as the mock
//! server is (tokio's multi-threaded runtime, HTTP/1 with a header timer,
//! `TCP_NODELAY`, graceful shutdown watching each connection), answering
//! every request with the same bytes, read from a file: what the mock
//! answers DescribeImages by ID with. The mock at its best costs this
//! plus its own work.
//!
//! `cargo run --release -p ecs-mock-server --example bare -- LISTEN BODY_FILE`

use std::convert::Infallible;
use std::error::Error;
use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [listen, body] = args.as_slice() else {
        return Err("usage: bare LISTEN BODY_FILE".into());
    };
    let listen: SocketAddr = listen.parse()?;
    let body = Bytes::from(std::fs::read(body)?);
    let listener = TcpListener::bind(listen).await?;
    eprintln!("listening on {listen}");
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30));
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(error) => {
                eprintln!("accept failed ({error}); retrying");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let body = body.clone();
        let service = service_fn(move |request| answer(request, body.clone()));
        let connection = http.serve_connection(TokioIo::new(stream), service);
        tokio::spawn(graceful.watch(connection));
    }
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
