//! Any request at all: the endpoint answers without panicking, and a
//! request that fails leaves the world as it was.
#![no_main]

use arbitrary::Arbitrary;
use ecs_image_copy::{CopyImage, Timestamp, World};
use ecs_image_copy::rpc::{Endpoint, EndpointConfig, HttpRequest};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    method: &'a str,
    path: &'a str,
    query: &'a [u8],
    headers: Vec<(&'a str, &'a [u8])>,
    body: &'a [u8],
    signed: bool,
    now: u64,
}

fuzz_target!(|input: Input<'_>| {
    let now = Timestamp::from_unix_seconds(1_795_780_800);
    let mut world = World::default();
    if let Ok(source) = world.create_image("alice", "cn-hangzhou", "web", now) {
        let source = source.to_string();
        let _ = world.copy_image("alice", &CopyImage::new("cn-hangzhou", &source), now);
    }
    let mut config = EndpointConfig::default().with_mock_actions(true);
    if input.signed {
        config = config.with_key("ak", "secret", "alice");
    }
    let mut endpoint = Endpoint::new(world, config);
    let before = format!("{:?}", endpoint.world());
    let request = HttpRequest {
        method: input.method,
        path: input.path,
        query: input.query,
        headers: &input.headers,
        body: input.body,
    };
    let response = endpoint.handle(&request, Timestamp::from_unix_seconds(input.now));
    assert!((200..600).contains(&response.status));
    if response.status != 200 {
        assert_eq!(format!("{:?}", endpoint.world()), before);
    }
});
