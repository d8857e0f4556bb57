//! The wire protocol: requests as bytes in, statuses and bodies out.
#![cfg(feature = "rpc")]

use ecs_image_copy::rpc::signature::{
    V3Request, authorization_v3, percent_encode, sign_v1, string_to_sign_v1,
};
use ecs_image_copy::rpc::{
    Endpoint, EndpointConfig, HttpRequest, HttpResponse, JSON_CONTENT_TYPE, Parameters, RequestId,
    XML_CONTENT_TYPE,
};
use ecs_image_copy::{Action, Command, EcsError, ImageId, Timestamp, World};
use serde_json::{Value, json};

const NOW: Timestamp = Timestamp::from_unix_seconds(1_795_780_800);
const NOW_TEXT: &str = "2026-11-27T12:00:00Z";

fn endpoint(config: EndpointConfig) -> Endpoint {
    Endpoint::new(World::default(), config.with_mock_actions(true))
}

fn call(endpoint: &mut Endpoint, query: &str) -> HttpResponse {
    send(endpoint, "GET", query, &[], b"")
}

fn send(
    endpoint: &mut Endpoint,
    method: &str,
    query: &str,
    headers: &[(&str, &[u8])],
    body: &[u8],
) -> HttpResponse {
    let request = HttpRequest {
        method,
        path: "/",
        query: query.as_bytes(),
        headers,
        body,
    };
    endpoint.handle(&request, NOW)
}

fn json_of(response: &HttpResponse) -> Value {
    serde_json::from_slice(&response.body).expect("a JSON body")
}

fn text_of(response: &HttpResponse) -> &str {
    std::str::from_utf8(&response.body).expect("a UTF-8 body")
}

/// `Action=...&Version=...&Format=JSON&AccessKeyId=alice` and `rest`.
fn as_alice(action: &str, rest: &str) -> String {
    format!("Action={action}&Version=2014-05-26&Format=JSON&AccessKeyId=alice&{rest}")
}

fn create_image(endpoint: &mut Endpoint, region: &str, name: &str) -> String {
    let response = call(
        endpoint,
        &as_alice(
            "MockCreateImage",
            &format!("RegionId={region}&ImageName={name}"),
        ),
    );
    assert_eq!(response.status, 200, "{}", text_of(&response));
    json_of(&response)["ImageId"].as_str().unwrap().to_owned()
}

fn copy_to_beijing(endpoint: &mut Endpoint, source: &str) -> String {
    let query = as_alice(
        "CopyImage",
        &format!("RegionId=cn-hangzhou&ImageId={source}&DestinationRegionId=cn-beijing"),
    );
    let response = call(endpoint, &query);
    assert_eq!(response.status, 200, "{}", text_of(&response));
    json_of(&response)["ImageId"].as_str().unwrap().to_owned()
}

fn assert_error(response: &HttpResponse, status: u16, code: &str, message: &str) {
    let body = json_of(response);
    assert_eq!(
        (
            response.status,
            body["Code"].as_str(),
            body["Message"].as_str()
        ),
        (status, Some(code), Some(message)),
        "{body}"
    );
}

#[test]
fn cancel_answers_the_seed_bodies_in_json_and_xml() {
    let mut e = endpoint(EndpointConfig::default());
    let source = create_image(&mut e, "cn-hangzhou", "web");
    let copy = copy_to_beijing(&mut e, &source);
    let query = format!(
        "Action=CancelCopyImage&Version=2014-05-26&AccessKeyId=alice&RegionId=cn-beijing&ImageId={copy}"
    );
    let response = call(&mut e, &query);
    let id = &response.summary.request_id;
    assert_eq!(response.status, 200);
    assert_eq!(response.content_type, "text/xml;charset=utf-8");
    assert_eq!(
        text_of(&response),
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><CancelCopyImageResponse><RequestId>{id}</RequestId></CancelCopyImageResponse>"
        )
    );
    let again = call(&mut e, &format!("{query}&Format=JSON"));
    assert_eq!(again.content_type, "application/json;charset=utf-8");
    assert_eq!(
        (response.content_type, again.content_type),
        (XML_CONTENT_TYPE, JSON_CONTENT_TYPE)
    );
    let id = &again.summary.request_id;
    assert_eq!(
        json_of(&again),
        json!({
            "RequestId": id.as_str(),
            "HostId": "ecs.aliyuncs.com",
            "Code": "InvalidImageId.NotFound",
            "Message": "The specified ImageId does not exist.",
            "Recommend": format!("https://api.aliyun.com/troubleshoot?q=InvalidImageId.NotFound&product=Ecs&requestId={id}"),
        })
    );
    let xml = call(&mut e, &query);
    let id = &xml.summary.request_id;
    assert_eq!(
        text_of(&xml),
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><RequestId>{id}</RequestId><HostId>ecs.aliyuncs.com</HostId>\
         <Code>InvalidImageId.NotFound</Code><Message>The specified ImageId does not exist.</Message>\
         <Recommend>https://api.aliyun.com/troubleshoot?q=InvalidImageId.NotFound&amp;product=Ecs&amp;requestId={id}</Recommend></Error>"
        )
    );
}

#[test]
fn request_ids_look_like_the_services() {
    let mut e = endpoint(EndpointConfig::default());
    let ids: Vec<RequestId> = (0..3)
        .map(|_| call(&mut e, "Action=Nope").summary.request_id)
        .collect();
    for id in &ids {
        let groups: Vec<usize> = id.as_str().split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12], "{id}");
        assert!(
            id.as_str()
                .chars()
                .all(|c| c == '-' || c.is_ascii_digit() || c.is_ascii_uppercase()),
            "{id}"
        );
    }
    assert!(ids[0] != ids[1] && ids[1] != ids[2]);
    let mut other = Endpoint::new(
        World::default(),
        EndpointConfig::default().with_request_id_seed(7),
    );
    assert_ne!(call(&mut other, "Action=Nope").summary.request_id, ids[0]);
}

#[test]
fn describe_images_answers_the_documented_shape() {
    let mut e = endpoint(EndpointConfig::default());
    let source = create_image(&mut e, "cn-hangzhou", "web");
    let query = as_alice(
        "CopyImage",
        &format!(
            "RegionId=cn-hangzhou&ImageId={source}&DestinationRegionId=cn-beijing&DestinationImageName=web-copy\
         &DestinationDescription=nightly%20backup&Tag.1.Key=team&Tag.1.Value=web&Tag.2.Key=tier"
        ),
    );
    let copy = json_of(&call(&mut e, &query))["ImageId"]
        .as_str()
        .unwrap()
        .to_owned();
    let progress = as_alice(
        "MockSetCopyProgress",
        &format!("RegionId=cn-beijing&ImageId={copy}&Progress=32"),
    );
    assert_eq!(call(&mut e, &progress).status, 200);
    let describe = as_alice(
        "DescribeImages",
        &format!("RegionId=cn-beijing&Status=Creating,Waiting&ImageId={copy}"),
    );
    let response = call(&mut e, &describe);
    assert_eq!(
        json_of(&response),
        json!({
            "RequestId": response.summary.request_id.as_str(),
            "RegionId": "cn-beijing",
            "TotalCount": 1,
            "PageNumber": 1,
            "PageSize": 10,
            "Images": {"Image": [{
                "ImageId": copy,
                "ImageName": "web-copy",
                "Description": "nightly backup",
                "Status": "Creating",
                "Progress": "32%",
                "IsCopied": true,
                "CreationTime": NOW_TEXT,
                "ImageOwnerAlias": "self",
                "Size": 40,
                "Tags": {"Tag": [{"TagKey": "team", "TagValue": "web"}, {"TagKey": "tier", "TagValue": ""}]},
                "DiskDeviceMappings": {"DiskDeviceMapping": [{
                    "SnapshotId": copy.parse::<ImageId>().unwrap().snapshot().to_string(),
                    "Size": "40",
                    "Device": "/dev/xvda",
                    "Type": "system",
                    "Format": "",
                    "Progress": "32%",
                }]},
            }]},
        })
    );
    let xml = call(&mut e, &describe.replace("Format=JSON", "Format=XML"));
    let body = text_of(&xml);
    assert!(body.contains("<Images><Image><ImageId>"), "{body}");
    assert!(body.contains("<Tags><Tag><TagKey>team</TagKey><TagValue>web</TagValue></Tag><Tag><TagKey>tier</TagKey><TagValue></TagValue></Tag></Tags>"), "{body}");
    let none = call(&mut e, &as_alice("DescribeImages", "RegionId=cn-shanghai"));
    assert_eq!(json_of(&none)["Images"], json!({"Image": []}));
    let xml = call(
        &mut e,
        "Action=DescribeImages&Version=2014-05-26&AccessKeyId=alice&RegionId=cn-shanghai",
    );
    assert!(
        text_of(&xml).contains("<PageSize>10</PageSize><Images></Images></DescribeImagesResponse>"),
        "{}",
        text_of(&xml)
    );
}

#[test]
fn newer_sdks_send_the_action_in_headers_and_ask_for_json() {
    let mut e = endpoint(EndpointConfig::default());
    let headers: [(&str, &[u8]); 3] = [
        ("x-acs-action", b"DescribeImages"),
        ("x-acs-version", b"2014-05-26"),
        ("Accept", b"application/json"),
    ];
    let response = send(&mut e, "POST", "RegionId=cn-hangzhou", &headers, b"");
    assert_eq!(response.status, 200, "{}", text_of(&response));
    assert_eq!(json_of(&response)["TotalCount"], 0);
    // A POST form body carries parameters too.
    let form: [(&str, &[u8]); 1] = [("Content-Type", b"application/x-www-form-urlencoded")];
    let response = send(
        &mut e,
        "POST",
        "",
        &form,
        b"Action=DescribeImages&Version=2014-05-26&RegionId=cn-hangzhou",
    );
    assert_eq!(response.status, 200, "{}", text_of(&response));
    assert_eq!(response.summary.action, Some(Action::DescribeImages));
    // Parameter and header that disagree make an ambiguous request.
    let response = send(
        &mut e,
        "POST",
        "Action=CopyImage&Format=JSON",
        &headers,
        b"",
    );
    assert_error(
        &response,
        400,
        "InvalidParameter",
        "The specified parameter is not valid.",
    );
}

#[test]
fn the_protocol_checks_come_in_the_documented_order() {
    let mut e = Endpoint::new(
        World::default(),
        EndpointConfig::default().with_key("ak", "secret", "alice"),
    );
    let big = vec![b'a'; 64 * 1024 + 1];
    let json: [(&str, &[u8]); 1] = [("Accept", b"application/json")];
    /// Method, query and body, then the status, code and message answered.
    type Case<'a> = (&'a str, &'a str, &'a [u8], u16, &'a str, &'a str);
    let cases: Vec<Case<'_>> = vec![
        (
            "PUT",
            "Action=%zz",
            &big,
            400,
            "UnsupportedHTTPMethod",
            "This http method is not supported.",
        ),
        (
            "POST",
            "Action=%zz",
            &big,
            413,
            "RequestEntityTooLarge",
            "The request is larger than 64 KiB.",
        ),
        (
            "GET",
            "Action=%zz&Format=YAML",
            b"",
            400,
            "InvalidParameter",
            "The specified parameter is not valid.",
        ),
        (
            "GET",
            "Format=YAML",
            b"",
            400,
            "InvalidParameter",
            "The specified parameter is not valid.",
        ),
        (
            "GET",
            "Format=JSON&Version=1",
            b"",
            400,
            "MissingParameter",
            "The input parameter \"Action\" that is mandatory for processing this request is not supplied.",
        ),
        (
            "GET",
            "Action=Nope",
            b"",
            400,
            "MissingParameter",
            "The input parameter \"Version\" that is mandatory for processing this request is not supplied.",
        ),
        (
            "GET",
            "Action=Nope&Version=2016-11-11",
            b"",
            400,
            "InvalidVersion",
            "Specified parameter Version is not valid.",
        ),
        (
            "GET",
            "Action=Nope&Version=2014-05-26",
            b"",
            400,
            "IncompleteSignature",
            "The request signature does not conform to Aliyun standards.",
        ),
    ];
    for (method, query, body, status, code, message) in cases {
        let response = send(&mut e, method, query, &json, body);
        assert_error(&response, status, code, message);
    }
    let mut open = endpoint(EndpointConfig::default());
    let response = send(
        &mut open,
        "GET",
        "Action=Nope&Version=2014-05-26",
        &json,
        b"",
    );
    assert_error(
        &response,
        400,
        "InvalidAction.NotFound",
        "Specified api is not found, please check your url and method.",
    );
    let mut plain = Endpoint::new(World::default(), EndpointConfig::default());
    let response = send(
        &mut plain,
        "GET",
        "Action=MockCreateImage&Version=2014-05-26",
        &json,
        b"",
    );
    assert_error(
        &response,
        400,
        "InvalidAction.NotFound",
        "Specified api is not found, please check your url and method.",
    );
}

#[test]
fn malformed_parameters_are_invalid_and_change_nothing() {
    let mut e = endpoint(EndpointConfig::default());
    let source = create_image(&mut e, "cn-hangzhou", "web");
    let before = format!("{:?}", e.world());
    let copy = |rest: &str| {
        as_alice(
            "CopyImage",
            &format!("RegionId=cn-hangzhou&ImageId={source}&{rest}"),
        )
    };
    let queries = [
        copy("DestinationImageName=%E2%28"), // not UTF-8
        copy("DestinationImageName=a%2"),    // broken escape
        copy("DestinationImageName=a%G1"),   // not hex
        copy("ImageId=again"),               // repeated
        copy("=value"),                      // no name
        copy("Encrypted=maybe"),
        copy("DryRun=1"),
        copy("Tag.101.Key=k"),
        copy("Tag.0.Key=k"),
        copy("Tag.01.Key=k"),
        copy("Tag.x.Key=k"),
        copy("Tag.1.Colour=k"),
        copy("Tag.1.Value=v"),
        as_alice("DescribeImages", "RegionId=cn-hangzhou&PageSize=abc"),
        as_alice("DescribeImages", "RegionId=cn-hangzhou&PageNumber=-1"),
        as_alice("DescribeImages", "RegionId=cn-hangzhou&PageSize=4294967296"),
        as_alice(
            "MockSetCopyProgress",
            "RegionId=cn-hangzhou&ImageId=m-x&Progress=101",
        ),
        as_alice(
            "MockSetCancellable",
            "RegionId=cn-hangzhou&ImageId=m-x&Cancellable=yes",
        ),
    ];
    let json: [(&str, &[u8]); 1] = [("Accept", b"application/json")];
    for query in queries {
        let response = send(&mut e, "GET", &query, &json, b"");
        assert_error(
            &response,
            400,
            "InvalidParameter",
            "The specified parameter is not valid.",
        );
        assert_eq!(response.applied, None);
        assert_eq!(
            format!("{:?}", e.world()),
            before,
            "{query} changed the world"
        );
    }
    let header: [(&str, &[u8]); 2] = [("x-acs-action", b"\xff"), ("Accept", b"application/json")];
    let response = send(&mut e, "GET", "Format=JSON", &header, b"");
    assert_error(
        &response,
        400,
        "InvalidParameter",
        "The specified parameter is not valid.",
    );
}

#[test]
fn plus_and_escapes_decode_as_in_a_form() {
    let mut e = endpoint(EndpointConfig::default());
    let source = create_image(&mut e, "cn-hangzhou", "web");
    let query = as_alice(
        "CopyImage",
        &format!(
            "RegionId=cn-hangzhou&ImageId={source}&DestinationDescription=a+b%2Bc%20%E9%95%9C&DestinationImageName=%E9%95%9C%E5%83%8F"
        ),
    );
    let copy = json_of(&call(&mut e, &query))["ImageId"]
        .as_str()
        .unwrap()
        .to_owned();
    let describe = call(
        &mut e,
        &as_alice(
            "DescribeImages",
            &format!("RegionId=cn-hangzhou&Status=Creating&ImageId={copy}"),
        ),
    );
    let image = &json_of(&describe)["Images"]["Image"][0];
    assert_eq!(
        (image["Description"].as_str(), image["ImageName"].as_str()),
        (Some("a b+c 镜"), Some("镜像"))
    );
}

#[test]
fn the_account_is_the_access_key_without_authentication() {
    let mut e = endpoint(EndpointConfig::default());
    let source = create_image(&mut e, "cn-hangzhou", "web");
    let describe = |key: &str| {
        format!("Action=DescribeImages&Version=2014-05-26&Format=JSON&RegionId=cn-hangzhou{key}")
    };
    let seen = |e: &mut Endpoint, query: &str, headers: &[(&str, &[u8])]| {
        let response = send(e, "GET", query, headers, b"");
        (
            response.summary.account.clone().unwrap(),
            json_of(&response)["TotalCount"].as_u64().unwrap(),
        )
    };
    assert_eq!(
        seen(&mut e, &describe("&AccessKeyId=alice"), &[]),
        ("alice".to_owned(), 1)
    );
    assert_eq!(
        seen(&mut e, &describe("&AccessKeyId=bob"), &[]),
        ("bob".to_owned(), 0)
    );
    assert_eq!(seen(&mut e, &describe(""), &[]), ("default".to_owned(), 0));
    let v3: [(&str, &[u8]); 1] = [(
        "Authorization",
        b"ACS3-HMAC-SHA256 Credential=alice,SignedHeaders=host,Signature=00",
    )];
    assert_eq!(seen(&mut e, &describe(""), &v3), ("alice".to_owned(), 1));
    // Bob cannot tell alice's image from one that never existed.
    let cancel = |id: &str| {
        format!(
            "Action=CancelCopyImage&Version=2014-05-26&Format=JSON&AccessKeyId=bob&RegionId=cn-hangzhou&ImageId={id}"
        )
    };
    let foreign = json_of(&call(&mut e, &cancel(&source)));
    let unknown = json_of(&call(&mut e, &cancel("m-0000000000000000000a")));
    assert_eq!(
        (&foreign["Code"], &foreign["Message"]),
        (&unknown["Code"], &unknown["Message"])
    );
}

/// A V1-signed query for `params`, with the common parameters added.
fn signed_v1(
    params: &[(&str, &str)],
    key: &str,
    secret: &str,
    nonce: &str,
    timestamp: &str,
) -> String {
    let mut all: Vec<(&str, &str)> = vec![
        ("Version", "2014-05-26"),
        ("Format", "JSON"),
        ("AccessKeyId", key),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("SignatureNonce", nonce),
        ("Timestamp", timestamp),
        ("SignatureType", ""),
    ];
    all.extend_from_slice(params);
    let signature = sign_v1(secret, &string_to_sign_v1("GET", all.iter().copied()));
    let mut query: Vec<String> = all
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect();
    query.push(format!("Signature={}", percent_encode(&signature)));
    query.join("&")
}

#[test]
fn signature_v1_is_checked_when_keys_are_configured() {
    let config = EndpointConfig::default()
        .with_key("ak-alice", "s3cret", "alice")
        .with_mock_actions(true);
    let mut e = Endpoint::new(World::default(), config);
    let create = [
        ("Action", "MockCreateImage"),
        ("RegionId", "cn-hangzhou"),
        ("ImageName", "web"),
        ("OwnerId", "123"),
    ];
    let response = call(
        &mut e,
        &signed_v1(&create, "ak-alice", "s3cret", "n-1", NOW_TEXT),
    );
    assert_eq!(response.status, 200, "{}", text_of(&response));
    assert_eq!(response.summary.account.as_deref(), Some("alice"));
    let before = format!("{:?}", e.world());
    let describe = [("Action", "DescribeImages"), ("RegionId", "cn-hangzhou")];
    // The service appends its string to sign, which the classic SDKs
    // compare with their own to tell a wrong secret from a wrong request.
    let wrong = signed_v1(&describe, "ak-alice", "wrong", "n-2", NOW_TEXT);
    let params = Parameters::parse(wrong.as_bytes(), None).unwrap();
    let mismatch = format!(
        "Specified signature is not matched with our calculation. server string to sign is:{}",
        string_to_sign_v1("GET", params.pairs())
    );
    assert!(mismatch.contains("GET&%2F&AccessKeyId%3Dak-alice%26Action%3DDescribeImages"));
    assert_error(
        &call(&mut e, &wrong),
        400,
        "SignatureDoesNotMatch",
        &mismatch,
    );
    let cases = [
        (
            signed_v1(&describe, "ak-nobody", "s3cret", "n-3", NOW_TEXT),
            404,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        ),
        (
            signed_v1(
                &describe,
                "ak-alice",
                "s3cret",
                "n-4",
                "2026-11-27T11:44:59Z",
            ),
            400,
            "IllegalTimestamp",
            "Specified time stamp or date value is expired.",
        ),
        (
            signed_v1(&describe, "ak-alice", "s3cret", "n-5", "yesterday"),
            400,
            "IllegalTimestamp",
            "Specified time stamp or date value is expired.",
        ),
        (
            signed_v1(&create, "ak-alice", "s3cret", "n-1", NOW_TEXT),
            400,
            "SignatureNonceUsed",
            "Specified signature nonce was used already.",
        ),
    ];
    for (query, status, code, message) in cases {
        assert_error(&call(&mut e, &query), status, code, message);
    }
    assert_eq!(format!("{:?}", e.world()), before);
    // Within the 15 minutes either side, the timestamp is good.
    let early = call(
        &mut e,
        &signed_v1(
            &describe,
            "ak-alice",
            "s3cret",
            "n-6",
            "2026-11-27T11:45:00Z",
        ),
    );
    assert_eq!(early.status, 200, "{}", text_of(&early));
    let tampered = signed_v1(&describe, "ak-alice", "s3cret", "n-7", NOW_TEXT)
        .replace("cn-hangzhou", "cn-beijing");
    let response = call(&mut e, &tampered);
    assert_eq!(json_of(&response)["Code"], "SignatureDoesNotMatch");
    let unsigned = signed_v1(&describe, "ak-alice", "s3cret", "n-8", NOW_TEXT)
        .replace("SignatureMethod=HMAC-SHA1", "SignatureMethod=HMAC-MD5");
    assert_error(
        &call(&mut e, &unsigned),
        400,
        "IncompleteSignature",
        "The request signature does not conform to Aliyun standards.",
    );
}

#[test]
fn signature_v3_is_checked_when_keys_are_configured() {
    let config = EndpointConfig::default().with_key("ak-alice", "s3cret", "alice");
    let mut e = Endpoint::new(World::default(), config);
    let query = "RegionId=cn-hangzhou";
    let headers = |nonce: &'static str, date: &'static str| -> Vec<(&'static str, String)> {
        vec![
            ("host", "ecs.aliyuncs.com".into()),
            ("x-acs-action", "DescribeImages".into()),
            ("x-acs-version", "2014-05-26".into()),
            ("x-acs-date", date.into()),
            ("x-acs-signature-nonce", nonce.into()),
            (
                "x-acs-content-sha256",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".into(),
            ),
            ("accept", "application/json".into()),
        ]
    };
    let signed = |secret: &str, nonce: &'static str, date: &'static str| {
        let mut headers = headers(nonce, date);
        let borrowed: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let request = V3Request {
            method: "POST",
            path: "/",
            query: &[("RegionId", "cn-hangzhou")],
            headers: &borrowed,
            body: b"",
        };
        let authorization = authorization_v3("ak-alice", secret, &request);
        headers.push(("authorization", authorization));
        headers
    };
    let run = |e: &mut Endpoint, headers: Vec<(&'static str, String)>| {
        let borrowed: Vec<(&str, &[u8])> =
            headers.iter().map(|(k, v)| (*k, v.as_bytes())).collect();
        send(e, "POST", query, &borrowed, b"")
    };
    let good = run(&mut e, signed("s3cret", "v3-1", NOW_TEXT));
    assert_eq!(good.status, 200, "{}", text_of(&good));
    assert_eq!(good.summary.account.as_deref(), Some("alice"));
    assert_error(
        &run(&mut e, signed("wrong", "v3-2", NOW_TEXT)),
        400,
        "SignatureDoesNotMatch",
        "Specified signature is not matched with our calculation.",
    );
    assert_error(
        &run(&mut e, signed("s3cret", "v3-1", NOW_TEXT)),
        400,
        "SignatureNonceUsed",
        "Specified signature nonce was used already.",
    );
    assert_error(
        &run(&mut e, signed("s3cret", "v3-3", "2026-11-27T12:15:01Z")),
        400,
        "IllegalTimestamp",
        "Specified time stamp or date value is expired.",
    );
    let mut broken = headers("v3-4", NOW_TEXT);
    broken.push((
        "authorization",
        "ACS3-HMAC-SHA256 Credential=ak-alice".into(),
    ));
    assert_error(
        &run(&mut e, broken),
        400,
        "IncompleteSignature",
        "The request signature does not conform to Aliyun standards.",
    );
}

#[test]
fn mock_actions_drive_a_copy_through_its_life() {
    let mut e = endpoint(EndpointConfig::default());
    let source = create_image(&mut e, "cn-hangzhou", "web");
    let copy = copy_to_beijing(&mut e, &source);
    let act = |e: &mut Endpoint, action: &str, rest: &str| {
        call(
            e,
            &as_alice(
                action,
                &format!("RegionId=cn-beijing&ImageId={copy}&{rest}"),
            ),
        )
    };
    let status = |response: &HttpResponse| {
        let body = json_of(response);
        (
            response.status,
            body["Status"].as_str().map(str::to_owned),
            body["Progress"].as_str().map(str::to_owned),
        )
    };
    let s = |t: &str| Some(t.to_owned());
    assert_eq!(
        status(&act(&mut e, "MockSetCopyProgress", "Progress=40")),
        (200, s("Creating"), s("40%"))
    );
    let backwards = act(&mut e, "MockSetCopyProgress", "Progress=10");
    assert_error(
        &backwards,
        400,
        "InvalidOperation.CopyPhase",
        "The copy is not in a phase that allows this operation.",
    );
    assert_eq!(
        json_of(&backwards)["Recommend"],
        "`progress to 10%` is not allowed while the copy is Copying at 40%: progress never goes backwards"
    );
    assert_eq!(
        status(&act(&mut e, "MockSetCancellable", "Cancellable=false")),
        (200, s("Creating"), s("40%"))
    );
    let refused = act(&mut e, "CancelCopyImage", "");
    assert_error(
        &refused,
        400,
        "CancelNotSupported",
        "The specified image copying can not be cancelled.",
    );
    assert_eq!(
        status(&act(&mut e, "MockCompleteCopy", "")),
        (200, s("Available"), s("100%"))
    );
    let finished = act(&mut e, "CancelCopyImage", "");
    assert_error(
        &finished,
        400,
        "IncorrectImageStatus",
        "The image is copied finished.",
    );
    assert_error(
        &act(&mut e, "MockFailCopy", ""),
        400,
        "InvalidOperation.CopyPhase",
        "The copy is not in a phase that allows this operation.",
    );
    // Mock actions see only the caller's images.
    let bob = call(
        &mut e,
        &format!(
            "Action=MockFailCopy&Version=2014-05-26&Format=JSON&AccessKeyId=bob&RegionId=cn-beijing&ImageId={copy}"
        ),
    );
    assert_error(
        &bob,
        404,
        "InvalidImageId.NotFound",
        "The specified ImageId does not exist.",
    );
    let nowhere = call(
        &mut e,
        &as_alice("MockFailCopy", &format!("RegionId=nowhere&ImageId={copy}")),
    );
    assert_error(
        &nowhere,
        404,
        "InvalidRegionId.NotFound",
        "The specified RegionId does not exist.",
    );
    let missing = call(
        &mut e,
        &as_alice(
            "MockSetCopyProgress",
            &format!("RegionId=cn-beijing&ImageId={copy}"),
        ),
    );
    assert_error(
        &missing,
        400,
        "MissingParameter",
        "The input parameter \"Progress\" that is mandatory for processing this request is not supplied.",
    );
}

#[test]
fn applied_commands_replay_into_the_same_world() {
    let mut e = endpoint(EndpointConfig::default());
    let mut journal: Vec<Command> = Vec::new();
    let mut run = |e: &mut Endpoint, query: &str| {
        let response = call(e, query);
        journal.extend(response.applied.clone());
        response
    };
    let source = json_of(&run(
        &mut e,
        &as_alice("MockCreateImage", "RegionId=cn-hangzhou&ImageName=web"),
    ))["ImageId"]
        .as_str()
        .unwrap()
        .to_owned();
    let copy = |rest: &str| {
        as_alice(
            "CopyImage",
            &format!("RegionId=cn-hangzhou&ImageId={source}&{rest}"),
        )
    };
    run(&mut e, &copy("DestinationRegionId=cn-beijing"));
    run(&mut e, &copy("DestinationRegionId=cn-beijing&DryRun=true"));
    run(&mut e, &copy("DestinationRegionId=nowhere"));
    run(&mut e, &as_alice("MockAdvanceCopies", "Step=50"));
    run(&mut e, &as_alice("DescribeImages", "RegionId=cn-beijing"));
    assert_eq!(
        journal.len(),
        3,
        "failures, dry runs and reads apply nothing: {journal:?}"
    );
    let mut replayed = World::default();
    for command in &journal {
        command.apply(&mut replayed).unwrap();
    }
    assert_eq!(format!("{replayed:?}"), format!("{:?}", e.world()));
}

/// A V1 signature over `params` sent with `method`, as the Go SDK under
/// Terraform, Packer and aliyun-cli signs: every parameter, wherever it
/// travels, with the common ones added.
fn signed_pairs<'a>(
    method: &str,
    params: &[(&'a str, &'a str)],
    nonce: &'a str,
) -> Vec<(String, String)> {
    let mut all: Vec<(&str, &str)> = vec![
        ("Version", "2014-05-26"),
        ("AccessKeyId", "ak-alice"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("SignatureNonce", nonce),
        ("Timestamp", NOW_TEXT),
    ];
    all.extend_from_slice(params);
    let signature = sign_v1("s3cret", &string_to_sign_v1(method, all.iter().copied()));
    let mut pairs: Vec<(String, String)> = all
        .iter()
        .map(|&(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    pairs.push(("Signature".to_owned(), signature));
    pairs
}

/// `k=v&...`, percent-encoded, of the pairs `keep` selects.
fn encoded(pairs: &[(String, String)], keep: impl Fn(&str) -> bool) -> String {
    let kept = pairs.iter().filter(|(name, _)| keep(name));
    let each = kept.map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)));
    each.collect::<Vec<_>>().join("&")
}

fn signing_endpoint() -> Endpoint {
    let config = EndpointConfig::default()
        .with_key("ak-alice", "s3cret", "alice")
        .with_mock_actions(true);
    Endpoint::new(World::default(), config)
}

const FORM: [(&str, &[u8]); 1] = [(
    "Content-Type",
    b"application/x-www-form-urlencoded; charset=UTF-8",
)];

#[test]
fn format_json_in_lowercase_answers_json() {
    // Terraform's second client (ListTagResources) sends `Format=json`.
    let mut e = endpoint(EndpointConfig::default());
    let ok = call(
        &mut e,
        "Action=DescribeRegions&Version=2014-05-26&Format=json&AccessKeyId=alice",
    );
    assert_eq!(ok.status, 200, "{}", text_of(&ok));
    assert_eq!(ok.content_type, "application/json;charset=utf-8");
    assert!(json_of(&ok)["Regions"]["Region"].as_array().is_some());
    let refused = call(
        &mut e,
        "Action=ListTagResources&Version=2014-05-26&Format=json&RegionId=cn-hangzhou",
    );
    assert_eq!(refused.content_type, "application/json;charset=utf-8");
    assert_error(
        &refused,
        400,
        "MissingParameter",
        "The input parameter \"ResourceType\" that is mandatory for processing this request is not supplied.",
    );
}

#[test]
fn signed_parameters_may_travel_in_the_query_the_form_body_or_both() {
    let mut e = signing_endpoint();
    let create = [
        ("Action", "MockCreateImage"),
        ("Format", "json"),
        ("RegionId", "cn-hangzhou"),
        ("ImageName", "web"),
    ];
    let pairs = signed_pairs("POST", &create, "n-create");
    let response = send(&mut e, "POST", &encoded(&pairs, |_| true), &[], b"");
    assert_eq!(response.status, 200, "{}", text_of(&response));
    let image = json_of(&response)["ImageId"].as_str().unwrap().to_owned();
    let describe = [
        ("Action", "DescribeImages"),
        ("Format", "json"),
        ("RegionId", "cn-hangzhou"),
        ("ImageId", image.as_str()),
    ];
    type Split = fn(&str) -> bool;
    let in_the_query: [(&str, Split); 4] = [
        ("all in the body", |_| false),
        ("all in the query", |_| true),
        ("the signature in the query", |name| {
            name.starts_with("Signature") || name == "Timestamp" || name == "AccessKeyId"
        }),
        ("the API's own in the body", |name| {
            !matches!(name, "RegionId" | "ImageId")
        }),
    ];
    for (i, (case, query_has)) in in_the_query.into_iter().enumerate() {
        let nonce = format!("n-split-{i}");
        let pairs = signed_pairs("POST", &describe, &nonce);
        let query = encoded(&pairs, query_has);
        let body = encoded(&pairs, |name| !query_has(name));
        let response = send(&mut e, "POST", &query, &FORM, body.as_bytes());
        assert_eq!(response.status, 200, "{case}: {}", text_of(&response));
        let listed = json_of(&response);
        assert_eq!(
            listed["Images"]["Image"][0]["ImageId"],
            image.as_str(),
            "{case}"
        );
    }
    // A body that is not a form carries no parameters: what it holds is
    // not signed, and the request lacks them.
    let pairs = signed_pairs("POST", &describe, "n-json");
    let json: [(&str, &[u8]); 2] = [
        ("Content-Type", b"application/json"),
        ("Accept", b"application/json"),
    ];
    let body = encoded(&pairs, |_| true);
    let response = send(&mut e, "POST", "", &json, body.as_bytes());
    assert_error(
        &response,
        400,
        "MissingParameter",
        "The input parameter \"Action\" that is mandatory for processing this request is not supplied.",
    );
}

#[test]
fn an_empty_security_token_is_signed_like_any_parameter() {
    // Packer sends `SecurityToken=` on every call and signs it.
    let mut e = signing_endpoint();
    let describe = [
        ("Action", "DescribeImages"),
        ("Format", "JSON"),
        ("RegionId", "cn-hangzhou"),
        ("SecurityToken", ""),
    ];
    let pairs = signed_pairs("POST", &describe, "n-token");
    let query = encoded(&pairs, |_| true);
    assert!(query.contains("&SecurityToken=&"), "{query}");
    let signed = send(&mut e, "POST", &query, &[], b"");
    assert_eq!(signed.status, 200, "{}", text_of(&signed));
    // The same signature, the empty parameter dropped: it was signed, so
    // the signature no longer matches.
    let pairs = signed_pairs("POST", &describe, "n-dropped");
    let dropped = encoded(&pairs, |name| name != "SecurityToken");
    let refused = send(&mut e, "POST", &dropped, &[], b"");
    assert_eq!(
        json_of(&refused)["Code"],
        "SignatureDoesNotMatch",
        "{}",
        text_of(&refused)
    );
    // And the other way: signed without it, sent with it.
    let unsigned = [
        ("Action", "DescribeImages"),
        ("Format", "JSON"),
        ("RegionId", "cn-hangzhou"),
    ];
    let pairs = signed_pairs("POST", &unsigned, "n-added");
    let added = format!("{}&SecurityToken=", encoded(&pairs, |_| true));
    let refused = send(&mut e, "POST", &added, &[], b"");
    assert_eq!(json_of(&refused)["Code"], "SignatureDoesNotMatch");
}

#[test]
fn the_action_header_may_differ_from_the_parameter_only_in_case() {
    let mut e = endpoint(EndpointConfig::default());
    // The Node `@alicloud/pop-core` client's pair.
    let camel: [(&str, &[u8]); 1] = [("x-acs-action", b"describeImages")];
    let query = as_alice("DescribeImages", "RegionId=cn-hangzhou");
    let response = send(&mut e, "POST", &query, &camel, b"");
    assert_eq!(response.status, 200, "{}", text_of(&response));
    assert_eq!(response.summary.action, Some(Action::DescribeImages));
    assert_eq!(json_of(&response)["TotalCount"], 0);
    for other in [&b"DescribeImage"[..], b"CopyImage", b"Describe_Images"] {
        let header: [(&str, &[u8]); 1] = [("x-acs-action", other)];
        let response = send(&mut e, "POST", &query, &header, b"");
        assert_error(
            &response,
            400,
            "InvalidParameter",
            "The specified parameter is not valid.",
        );
    }
}

/// The new actions' answers in XML, the API's default format: lists as
/// `<List><Item>..</Item></List>`, as DescribeImages writes its images.
#[test]
fn the_lifecycle_answers_are_written_in_xml_too() {
    let mut e = endpoint(EndpointConfig::default());
    let web = create_image(&mut e, "cn-hangzhou", "web");
    let xml = |e: &mut Endpoint, action: &str, rest: &str| {
        let query = as_alice(action, rest).replace("Format=JSON", "Format=XML");
        let response = call(e, &query);
        assert_eq!(response.status, 200, "{}", text_of(&response));
        text_of(&response).to_string()
    };
    let tagged = xml(
        &mut e,
        "TagResources",
        &format!(
            "RegionId=cn-hangzhou&ResourceType=image&ResourceId.1={web}&Tag.1.Key=team&Tag.1.Value=web"
        ),
    );
    assert!(
        tagged.contains("<TagResourcesResponse><RequestId>"),
        "{tagged}"
    );
    let listed = xml(
        &mut e,
        "ListTagResources",
        &format!("RegionId=cn-hangzhou&ResourceType=image&ResourceId.1={web}"),
    );
    let resource = format!(
        "<TagResources><TagResource><ResourceId>{web}</ResourceId><ResourceType>image</ResourceType><TagKey>team</TagKey><TagValue>web</TagValue></TagResource></TagResources>"
    );
    assert!(listed.contains(&resource), "{listed}");
    xml(
        &mut e,
        "ModifyImageSharePermission",
        &format!("RegionId=cn-hangzhou&ImageId={web}&AddAccount.1=bob"),
    );
    let shares = xml(
        &mut e,
        "DescribeImageSharePermission",
        &format!("RegionId=cn-hangzhou&ImageId={web}"),
    );
    assert!(
        shares.contains("<Accounts><Account><AliyunId>bob</AliyunId><SharedTime>"),
        "{shares}"
    );
    assert!(shares.contains("<ShareGroups></ShareGroups>"), "{shares}");
    let regions = xml(&mut e, "DescribeRegions", "AcceptLanguage=en-US");
    assert!(
        regions.contains("<Region><RegionId>cn-hangzhou</RegionId><LocalName>China (Hangzhou)</LocalName><RegionEndpoint>ecs.cn-hangzhou.aliyuncs.com</RegionEndpoint><Status>available</Status></Region>"),
        "{regions}"
    );
    let snapshot = web.parse::<ImageId>().unwrap().snapshot().to_string();
    let described = xml(
        &mut e,
        "DescribeImages",
        &format!("RegionId=cn-hangzhou&ImageId={web}"),
    );
    assert!(
        described.contains(&format!(
            "<DiskDeviceMappings><DiskDeviceMapping><SnapshotId>{snapshot}</SnapshotId>"
        )),
        "{described}"
    );
}

/// `count` distinct parameter names without values, from the `first`-th
/// on, joined by `&`: three characters each, a digit then two letters or
/// digits, so that 12,000 of them fit the size limit and none is a name
/// an action reads.
fn many_names(first: usize, count: usize) -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let name = |n: usize| {
        let (high, rest) = (n / (62 * 62), n % (62 * 62));
        let bytes = [b'0' + high as u8, CHARS[rest / 62], CHARS[rest % 62]];
        String::from_utf8_lossy(&bytes).into_owned()
    };
    let names: Vec<String> = (first..first + count).map(name).collect();
    names.join("&")
}

#[test]
fn a_request_is_read_without_the_endpoint_and_answered_as_handle_answers_it() {
    let mut e = endpoint(EndpointConfig::default());
    let made = call(
        &mut e,
        "Action=MockCreateImage&Version=2014-05-26&RegionId=cn-hangzhou&ImageName=web",
    );
    assert_eq!(made.status, 200, "{}", text_of(&made));
    // 24,000 distinct names, half in the query and half in the form body,
    // each within the size limit: all of it is read before the world.
    let query = format!(
        "Action=DescribeImages&Version=2014-05-26&Format=JSON&RegionId=cn-hangzhou&{}",
        many_names(0, 12_000)
    );
    let body = many_names(12_000, 12_000);
    let request = HttpRequest {
        method: "POST",
        path: "/",
        query: query.as_bytes(),
        headers: &[],
        body: body.as_bytes(),
    };
    let mut twin = e.clone();
    let reader = e.reader().clone();
    // The endpoint is borrowed mutably, as a server's lock would hold it,
    // while the clone of its reader reads the request.
    let busy = &mut e;
    let read = reader.read(&request, NOW);
    let answered = busy.answer(read, NOW);
    assert_eq!(answered.status, 200, "{}", text_of(&answered));
    assert_eq!(json_of(&answered)["TotalCount"], 1);
    assert_eq!(answered, twin.handle(&request, NOW));
    // A name given twice among them is refused, as `handle` refuses it.
    let twice = format!("{body}&{}=2", many_names(10, 1));
    let request = HttpRequest {
        body: twice.as_bytes(),
        ..request
    };
    let refused = e.answer(reader.read(&request, NOW), NOW);
    // Refused before `Format` is read: in XML, the default.
    let code = refused.summary.code.map(|code| code.to_string());
    assert_eq!(
        (refused.status, code.as_deref()),
        (400, Some("InvalidParameter"))
    );
    assert!(text_of(&refused).contains("<Code>InvalidParameter</Code>"));
    assert_eq!(refused, twin.handle(&request, NOW));
}

#[test]
fn a_signed_request_spends_its_nonce_when_answered_not_when_read() {
    let config = EndpointConfig::default().with_key("ak-alice", "s3cret", "alice");
    let mut e = endpoint(config);
    let reader = e.reader().clone();
    let describe = [("Action", "DescribeImages"), ("RegionId", "cn-hangzhou")];
    let query = signed_v1(&describe, "ak-alice", "s3cret", "n-1", NOW_TEXT);
    // Read twice, and once more for nothing: reading spends no nonce.
    let read = || read_request(&reader, &query);
    let (first, again) = (read(), read());
    drop(read());
    let answered = e.answer(first, NOW);
    assert_eq!(answered.status, 200, "{}", text_of(&answered));
    assert_eq!(answered.summary.account.as_deref(), Some("alice"));
    let replayed = e.answer(again, NOW);
    assert_error(
        &replayed,
        400,
        "SignatureNonceUsed",
        "Specified signature nonce was used already.",
    );
    assert_eq!(
        replayed.summary.account, None,
        "as `handle` answers a replay"
    );
}

#[test]
fn a_refused_change_is_refused_after_the_readers_checks_and_the_nonce() {
    let config = EndpointConfig::default().with_key("ak-alice", "s3cret", "alice");
    let mut e = endpoint(config);
    let reader = e.reader().clone();
    let create = [
        ("Action", "MockCreateImage"),
        ("RegionId", "cn-hangzhou"),
        ("ImageName", "web"),
    ];
    let describe = [("Action", "DescribeImages"), ("RegionId", "cn-hangzhou")];
    let get = |pairs: &[(&str, &str)], nonce, secret| {
        signed_v1(pairs, "ak-alice", secret, nonce, NOW_TEXT)
    };
    // A change is refused with the server's error, and spends its nonce.
    let query = get(&create, "n-1", "s3cret");
    let mut change = read_request(&reader, &query);
    assert!(change.may_change());
    change.refuse_change(EcsError::ServiceUnavailable);
    let refused = e.answer(change, NOW);
    assert_error(
        &refused,
        503,
        "ServiceUnavailable",
        "The request has failed due to a temporary failure of the server.",
    );
    assert_eq!(refused.applied, None);
    let mut again = read_request(&reader, &query);
    again.refuse_change(EcsError::ServiceUnavailable);
    assert_error(
        &e.answer(again, NOW),
        400,
        "SignatureNonceUsed",
        "Specified signature nonce was used already.",
    );
    // A read, and a request the reader refused, keep their own answers.
    let list_query = get(&describe, "n-2", "s3cret");
    let mut list = read_request(&reader, &list_query);
    assert!(!list.may_change());
    list.refuse_change(EcsError::ServiceUnavailable);
    assert_eq!(e.answer(list, NOW).status, 200);
    let forged_query = get(&create, "n-3", "wrong");
    let mut forged = read_request(&reader, &forged_query);
    assert!(!forged.may_change());
    forged.refuse_change(EcsError::ServiceUnavailable);
    assert_eq!(
        e.answer(forged, NOW)
            .summary
            .code
            .map(|c| c.to_string())
            .as_deref(),
        Some("SignatureDoesNotMatch")
    );
    // Nothing was created.
    let shown_query = get(&describe, "n-4", "s3cret");
    let shown = e.answer(read_request(&reader, &shown_query), NOW);
    assert_eq!(json_of(&shown)["TotalCount"], 0, "{}", text_of(&shown));
}

fn read_request<'q>(
    reader: &ecs_image_copy::rpc::RequestReader,
    query: &'q str,
) -> ecs_image_copy::rpc::ReadRequest<'q> {
    let request = HttpRequest {
        method: "GET",
        path: "/",
        query: query.as_bytes(),
        headers: &[],
        body: b"",
    };
    reader.read(&request, NOW)
}
