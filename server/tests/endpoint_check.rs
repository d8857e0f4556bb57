//! `ecs-conformance`, the check of any endpoint against the reference:
//! it passes against the mock server, and it fails with a short
//! counterexample against a server with a planted bug.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use ecs_image_copy::rpc::{Endpoint, EndpointConfig, HttpRequest};
use ecs_image_copy::{Config, Timestamp, World};

fn check(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ecs-conformance"))
        .args(args)
        .output()
        .expect("ecs-conformance runs")
}

/// A port no one listens on now, for a server started later.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn the_mock_server_passes_the_check_with_signed_requests() {
    let port = free_port();
    let start = format!(
        "exec '{}' --manual --quiet --copy-limit 2 --listen 127.0.0.1:{port} \
         --auth --key ak-alice:alice-secret:alice --key ak-bob:bob-secret:bob",
        env!("CARGO_BIN_EXE_ecs-mock-server")
    );
    let endpoint = format!("http://127.0.0.1:{port}/");
    let output = check(&[
        "--endpoint",
        &endpoint,
        "--start",
        &start,
        "--key",
        "ak-alice:alice-secret:alice",
        "--key",
        "ak-bob:bob-secret:bob",
        "--cases",
        "12",
        "--seed",
        "3",
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.starts_with("the endpoint conforms: 12 runs, "),
        "{stdout}"
    );
}

/// The mock's endpoint over a tiny HTTP server, with one planted bug:
/// MockAdvanceCopies reports that no copy moved, whatever moved. `POST
/// /reset` gives it an empty world.
struct WrongServer {
    address: String,
}

impl WrongServer {
    fn start() -> WrongServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let endpoint = Arc::new(Mutex::new(fresh_endpoint()));
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                serve(stream, &endpoint);
            }
        });
        WrongServer { address }
    }
}

fn fresh_endpoint() -> Endpoint {
    let two = std::num::NonZeroU32::MIN.saturating_add(1);
    let world = World::new(Config::default().with_copy_limit(two));
    Endpoint::new(world, EndpointConfig::default().with_mock_actions(true))
}

/// Answers one request and closes the connection.
fn serve(stream: TcpStream, endpoint: &Mutex<Endpoint>) {
    let mut reader = BufReader::new(&stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // The head ends at an empty line; no request here has a body.
    let mut header = String::new();
    while reader.read_line(&mut header).is_ok_and(|read| read > 2) {
        header.clear();
    }
    let target = request_line.split(' ').nth(1).unwrap_or("/");
    let mut endpoint = endpoint.lock().unwrap();
    let (status, body) = match target.split_once('?') {
        None if request_line.starts_with("POST /reset ") => {
            *endpoint = fresh_endpoint();
            (200, b"{}".to_vec())
        }
        None => (404, b"{}".to_vec()),
        Some((path, query)) => {
            let request = HttpRequest {
                method: "GET",
                path,
                query: query.as_bytes(),
                headers: &[],
                body: b"",
            };
            let now = Timestamp::from_unix_seconds(1_795_780_800);
            let response = endpoint.handle(&request, now);
            (response.status, planted_bug(query, response.body))
        }
    };
    let head = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut stream = &stream;
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
}

/// MockAdvanceCopies answers `Moved: 0`.
fn planted_bug(query: &str, body: Vec<u8>) -> Vec<u8> {
    if !query.contains("Action=MockAdvanceCopies") {
        return body;
    }
    let mut answer: serde_json::Value = serde_json::from_slice(&body).unwrap();
    if answer.get("Moved").is_some() {
        answer["Moved"] = 0.into();
    }
    serde_json::to_vec(&answer).unwrap()
}

#[test]
fn a_server_with_a_planted_bug_fails_the_check_with_a_short_counterexample() {
    let server = WrongServer::start();
    let endpoint = format!("http://{}/", server.address);
    let reset = format!("http://{}/reset", server.address);
    let output = check(&[
        "--endpoint",
        &endpoint,
        "--reset-url",
        &reset,
        "--cases",
        "64",
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let steps: usize = (stdout.strip_prefix("the system differs from the reference in "))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|count| count.parse().ok())
        .unwrap_or_else(|| panic!("no counterexample: {stdout}"));
    assert!(steps <= 6, "{steps} steps: {stdout}");
    assert!(stdout.contains("MockAdvanceCopies"), "{stdout}");
    assert!(stdout.contains("system:    Moved 0"), "{stdout}");
}

#[test]
fn an_endpoint_that_cannot_start_is_a_usage_error() {
    let output = check(&["--endpoint", "http://127.0.0.1:9/", "--start", "exit 3"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with(
            "error: `exit 3` exited (exit status: 3) before 127.0.0.1:9 accepted connections"
        ),
        "{stderr}"
    );
}

#[test]
fn an_endpoint_that_is_not_http_is_a_usage_error() {
    let output = check(&[
        "--endpoint",
        "https://127.0.0.1:9/",
        "--reset-url",
        "http://127.0.0.1:9/",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "error: --endpoint https://127.0.0.1:9/: only http:// URLs are supported\n"
    );
}
