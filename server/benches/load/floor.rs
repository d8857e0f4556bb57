//! What the floors of the load tests (`bare.rs`, `bare_pg.rs`) share: the
//! mock server's way of serving HTTP, with nothing of the mock.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

/// Serves `answer` on `listen`, set up as the mock server is (HTTP/1 with
/// a header timer, `TCP_NODELAY`, graceful shutdown watching each
/// connection, an accept that fails retried), until the process ends.
pub async fn serve<A, F>(listen: SocketAddr, answer: A) -> std::io::Result<()>
where
    A: Fn(Request<Incoming>) -> F + Clone + Send + 'static,
    F: Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send + 'static,
{
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
        let connection = http.serve_connection(TokioIo::new(stream), service_fn(answer.clone()));
        tokio::spawn(graceful.watch(connection));
    }
}
