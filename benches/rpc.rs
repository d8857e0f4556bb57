//! The wire protocol's cost: whole requests through `Endpoint::handle`,
//! against the parsing of their query alone; and the reading of the
//! largest request (`read_many_names`, what a server does before its
//! lock) against its parsing alone (`parse_many_names`).
//!
//! `cargo bench --bench rpc`

use std::hint::black_box;

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use ecs_image_copy::rpc::signature::{percent_encode, sign_v1, string_to_sign_v1};
use ecs_image_copy::rpc::{Endpoint, EndpointConfig, HttpRequest, Parameters};
use ecs_image_copy::{CopyImage, ImageId, Timestamp, World};

const NOW: Timestamp = Timestamp::from_unix_seconds(1_795_780_800);
const NOW_TEXT: &str = "2026-11-27T12:00:00Z";

/// An endpoint whose world has a thousand images, alice's source among them.
fn endpoint(config: EndpointConfig) -> (Endpoint, String) {
    let mut world = World::default();
    for i in 0..1000 {
        world
            .create_image("others", "cn-hangzhou", &format!("image-{i}"), NOW)
            .unwrap();
    }
    let source = world
        .create_image("alice", "cn-hangzhou", "web", NOW)
        .unwrap();
    (Endpoint::new(world, config), source.to_string())
}

/// A new running copy of `source`, to be cancelled.
fn new_copy(endpoint: &mut Endpoint, source: &str) -> ImageId {
    let mut request = CopyImage::new("cn-hangzhou", source);
    request.destination_region_id = Some("cn-beijing".into());
    let copy = endpoint
        .world_mut()
        .copy_image("alice", &request, NOW)
        .unwrap();
    // Keep the region's slots free, so that every copy starts running.
    endpoint
        .world_mut()
        .complete_copy("cn-beijing", copy)
        .unwrap();
    endpoint
        .world_mut()
        .copy_image("alice", &request, NOW)
        .unwrap()
}

fn unsigned_cancel(image: ImageId) -> String {
    format!(
        "Action=CancelCopyImage&Version=2014-05-26&Format=JSON&AccessKeyId=alice\
         &RegionId=cn-beijing&ImageId={image}"
    )
}

fn signed_cancel(image: ImageId, nonce: u64) -> String {
    let image = image.to_string();
    let nonce = nonce.to_string();
    let params = [
        ("Action", "CancelCopyImage"),
        ("Version", "2014-05-26"),
        ("Format", "JSON"),
        ("AccessKeyId", "ak-alice"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("SignatureNonce", nonce.as_str()),
        ("Timestamp", NOW_TEXT),
        ("RegionId", "cn-beijing"),
        ("ImageId", image.as_str()),
    ];
    let signature = sign_v1("s3cret", &string_to_sign_v1("GET", params));
    let mut query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", percent_encode(v)))
        .collect();
    query.push(format!("Signature={}", percent_encode(&signature)));
    query.join("&")
}

fn get(query: &str) -> HttpRequest<'_> {
    HttpRequest {
        method: "GET",
        path: "/",
        query: query.as_bytes(),
        headers: &[],
        body: b"",
    }
}

/// Times `handle` alone over `iterations` requests, each made by `setup`
/// outside the timing (it changes the endpoint, so it cannot be batched).
fn time_handle(
    endpoint: &mut Endpoint,
    iterations: u64,
    mut setup: impl FnMut(&mut Endpoint) -> String,
) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iterations {
        let query = setup(endpoint);
        let started = Instant::now();
        let response = endpoint.handle(&get(&query), NOW);
        total += started.elapsed();
        assert_eq!(
            response.status,
            200,
            "{}",
            String::from_utf8_lossy(&response.body)
        );
    }
    total
}

fn rpc(c: &mut Criterion) {
    let mut group = c.benchmark_group("rpc");

    let (mut open, source) = endpoint(EndpointConfig::default());
    let sample = unsigned_cancel(new_copy(&mut open, &source));
    group.bench_function("parse_only", |b| {
        b.iter(|| black_box(Parameters::parse(black_box(sample.as_bytes()), None)))
    });

    // The largest query the size limit lets through, every name distinct:
    // parsing must stay linear in it.
    let many = many_names();
    group.bench_function("parse_many_names", |b| {
        b.iter(|| black_box(Parameters::parse(black_box(many.as_bytes()), None)))
    });

    // The same names in a form body, read whole by the endpoint's reader,
    // as a server does before its lock: the floor is `parse_many_names`.
    let reader = open.reader().clone();
    let query = "Action=DescribeImages&Version=2014-05-26&Format=JSON&RegionId=cn-hangzhou";
    group.bench_function("read_many_names", |b| {
        let request = HttpRequest {
            method: "POST",
            path: "/",
            query: query.as_bytes(),
            headers: &[],
            body: many.as_bytes(),
        };
        b.iter(|| black_box(reader.read(black_box(&request), NOW)))
    });

    group.bench_function("cancel_json_unsigned", |b| {
        b.iter_custom(|iterations| {
            time_handle(&mut open, iterations, |e| {
                unsigned_cancel(new_copy(e, &source))
            })
        })
    });

    let (mut signed, source) =
        endpoint(EndpointConfig::default().with_key("ak-alice", "s3cret", "alice"));
    let mut nonce = 0;
    group.bench_function("cancel_json_signed_v1", |b| {
        b.iter_custom(|iterations| {
            time_handle(&mut signed, iterations, |e| {
                nonce += 1;
                signed_cancel(new_copy(e, &source), nonce)
            })
        })
    });

    let image = new_copy(&mut open, &source);
    let describe = format!(
        "Action=DescribeImages&Version=2014-05-26&Format=JSON&AccessKeyId=alice\
         &RegionId=cn-beijing&Status=Creating,Waiting,Available&ImageId={image}"
    );
    group.bench_function("describe_json", |b| {
        b.iter(|| {
            let response = open.handle(&get(black_box(&describe)), NOW);
            assert_eq!(response.status, 200);
            response
        })
    });
    group.finish();
}

criterion_group!(benches, rpc);
criterion_main!(benches);

/// `a=&b=&...`: distinct base-26 names, as many as 64 KiB holds.
fn many_names() -> String {
    let mut query = String::new();
    for n in 0.. {
        let mut name = String::new();
        let mut rest = n;
        loop {
            name.push(char::from(b'a' + (rest % 26) as u8));
            rest /= 26;
            if rest == 0 {
                break;
            }
        }
        if query.len() + name.len() + 2 > 64 * 1024 {
            break;
        }
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(&name);
        query.push('=');
    }
    query
}
