//! Any bytes at all: the endpoint answers, never panics, and a request that
//! fails changes nothing.
#![cfg(feature = "rpc")]

mod support;

use ecs_image_copy::rpc::{Endpoint, EndpointConfig, HttpRequest};
use ecs_image_copy::{Timestamp, World};
use proptest::prelude::*;

const NOW: Timestamp = Timestamp::from_unix_seconds(1_795_780_800);

/// Query pieces that reach deep into the actions, mixed with noise.
fn piece() -> impl Strategy<Value = Vec<u8>> {
    let names = prop::sample::select(vec![
        "Action",
        "Version",
        "Format",
        "RegionId",
        "ImageId",
        "DestinationRegionId",
        "DestinationImageName",
        "DestinationDescription",
        "Encrypted",
        "KMSKeyId",
        "ClientToken",
        "DryRun",
        "Tag.1.Key",
        "Tag.1.Value",
        "Tag.21.Key",
        "Status",
        "PageSize",
        "PageNumber",
        "ImageOwnerAlias",
        "Progress",
        "Cancellable",
        "ImageName",
        "AccessKeyId",
        "Signature",
        "SignatureNonce",
        "Timestamp",
        "Step",
    ]);
    let values = prop::sample::select(vec![
        "CopyImage",
        "CancelCopyImage",
        "DescribeImages",
        "MockCreateImage",
        "MockSetCopyProgress",
        "MockCompleteCopy",
        "MockFailCopy",
        "MockSetCancellable",
        "MockAdvanceCopies",
        "2014-05-26",
        "JSON",
        "XML",
        "cn-hangzhou",
        "cn-beijing",
        "nowhere",
        "web",
        "true",
        "false",
        "50",
        "100",
        "abc",
        "Creating,Waiting",
        "%zz",
        "%E2%28",
        "",
        "m-imageid1",
        "alice",
        "bob",
    ]);
    prop_oneof![
        4 => (names, values).prop_map(|(n, v)| format!("{n}={v}").into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..40),
    ]
}

fn query() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(piece(), 0..12).prop_map(|pieces| pieces.join(&b'&'))
}

fn headers() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    let name = prop::sample::select(vec![
        "Accept",
        "x-acs-action",
        "x-acs-version",
        "Authorization",
        "Content-Type",
        "Host",
        "x-acs-date",
        "x-acs-signature-nonce",
    ]);
    let value = prop_oneof![
        prop::sample::select(vec![
            "application/json",
            "DescribeImages",
            "2014-05-26",
            "ACS3-HMAC-SHA256 Credential=ak,SignedHeaders=host,Signature=00",
            "application/x-www-form-urlencoded",
        ])
        .prop_map(|v| v.as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 0..30),
    ];
    prop::collection::vec((name.prop_map(str::to_owned), value), 0..4)
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => query(),
        1 => (0..3usize).prop_map(|extra| vec![b'a'; 64 * 1024 - 1 + extra]),
    ]
}

/// An endpoint with an image and a copy, so that requests find things.
fn seeded(config: EndpointConfig) -> Endpoint {
    let mut world = World::default();
    let source = world
        .create_image("alice", "cn-hangzhou", "web", NOW)
        .unwrap()
        .to_string();
    let copy = ecs_image_copy::CopyImage::new("cn-hangzhou", &source);
    world.copy_image("alice", &copy, NOW).unwrap();
    Endpoint::new(world, config.with_mock_actions(true))
}

proptest! {
    #![proptest_config(support::cases(512))]

    #[test]
    fn any_request_gets_an_answer_and_a_failure_changes_nothing(
        method in prop::sample::select(vec!["GET", "POST", "PUT", "", "get"]),
        query in query(),
        headers in headers(),
        body in body(),
        signed in any::<bool>(),
    ) {
        let config = if signed { EndpointConfig::default().with_key("ak", "secret", "alice") } else { EndpointConfig::default() };
        let mut endpoint = seeded(config);
        let before = format!("{:?}", endpoint.world());
        let headers: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (n.as_str(), v.as_slice())).collect();
        let request = HttpRequest { method, path: "/", query: &query, headers: &headers, body: &body };
        let response = endpoint.handle(&request, NOW);
        prop_assert!((200..600).contains(&response.status));
        prop_assert!(!response.body.is_empty());
        if response.status != 200 {
            prop_assert_eq!(format!("{:?}", endpoint.world()), before);
            prop_assert!(response.applied.is_none());
            prop_assert!(response.summary.code.is_some());
        }
        if response.content_type.starts_with("application/json") {
            prop_assert!(serde_json::from_slice::<serde_json::Value>(&response.body).is_ok());
        }
    }
}
