use super::v3::{CONTENT_SHA256, sdk_signed_headers, v3_mac};
use super::*;
use proptest::prelude::*;

// ----- percentEncode -----------------------------------------------------

#[test]
fn percent_encode_keeps_only_unreserved() {
    let unreserved = "ABCXYZabcxyz0189-_.~";
    assert_eq!(percent_encode(unreserved), unreserved);
    assert_eq!(percent_encode(" "), "%20");
    assert_eq!(percent_encode("*"), "%2A");
    assert_eq!(percent_encode("+/=&:%"), "%2B%2F%3D%26%3A%25");
    assert_eq!(percent_encode("a b*c~d/é"), "a%20b%2Ac~d%2F%C3%A9");
}

// ----- V1 ----------------------------------------------------------------

/// The documented V1 vector (ecs-facts.md section 5), deliberately unsorted.
const V1_PARAMS: &[(&str, &str)] = &[
    ("Timestamp", "2016-02-23T12:46:24Z"),
    ("Format", "XML"),
    ("AccessKeyId", "testid"),
    ("Action", "DescribeRegions"),
    ("SignatureMethod", "HMAC-SHA1"),
    ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
    ("Version", "2014-05-26"),
    ("SignatureVersion", "1.0"),
];

const V1_STRING_TO_SIGN: &str = "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions\
    %26Format%3DXML%26SignatureMethod%3DHMAC-SHA1\
    %26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0\
    %26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26";

const V1_SIGNATURE: &str = "OLeaidS1JvxuMvnyHOwuJ+uX5qY=";

#[test]
fn v1_string_to_sign_matches_the_vector() {
    assert_eq!(
        string_to_sign_v1("GET", V1_PARAMS.iter().copied()),
        V1_STRING_TO_SIGN
    );
}

#[test]
fn v1_signature_matches_the_vector() {
    assert_eq!(sign_v1("testsecret", V1_STRING_TO_SIGN), V1_SIGNATURE);
}

#[test]
fn v1_leaves_the_signature_parameter_out() {
    let with_signature = V1_PARAMS
        .iter()
        .copied()
        .chain([("Signature", V1_SIGNATURE)]);
    assert_eq!(string_to_sign_v1("GET", with_signature), V1_STRING_TO_SIGN);
}

#[test]
fn v1_verifies_the_vector_and_its_round_trip() {
    assert!(verify_v1(
        "testsecret",
        "GET",
        V1_PARAMS.iter().copied(),
        V1_SIGNATURE
    ));
    let post = string_to_sign_v1("POST", V1_PARAMS.iter().copied());
    let signature = sign_v1("testsecret", &post);
    assert!(verify_v1(
        "testsecret",
        "POST",
        V1_PARAMS.iter().copied(),
        &signature
    ));
}

#[test]
fn v1_refuses_a_wrong_secret() {
    assert!(!verify_v1(
        "wrongsecret",
        "GET",
        V1_PARAMS.iter().copied(),
        V1_SIGNATURE
    ));
}

#[test]
fn v1_refuses_a_tampered_parameter_or_method() {
    let tampered = V1_PARAMS.iter().map(|&(name, value)| {
        if name == "Action" {
            (name, "CancelCopyImage")
        } else {
            (name, value)
        }
    });
    assert!(!verify_v1("testsecret", "GET", tampered, V1_SIGNATURE));
    let added = V1_PARAMS.iter().copied().chain([("ImageId", "m-1")]);
    assert!(!verify_v1("testsecret", "GET", added, V1_SIGNATURE));
    assert!(!verify_v1(
        "testsecret",
        "POST",
        V1_PARAMS.iter().copied(),
        V1_SIGNATURE
    ));
}

#[test]
fn v1_refuses_malformed_signatures() {
    for signature in [
        "",
        "not base64!",
        "OLeaidS1JvxuMvnyHOwuJ+uX5q",
        "OLeaidS1JvxuMvnyHOwuJ+uX5qY=AA==",
    ] {
        assert!(
            !verify_v1("testsecret", "GET", V1_PARAMS.iter().copied(), signature),
            "{signature}"
        );
    }
}

// ----- V3 ----------------------------------------------------------------

const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

const QUERY: &[(&str, &str)] = &[
    ("RegionId", "cn-hangzhou"),
    ("ImageId", "m-bp67acfmxazb4p****"),
    ("Note", "copy 1/2 ~ok"),
    ("DryRun", ""),
];

const HEADERS: &[(&str, &str)] = &[
    ("Host", "ecs.cn-hangzhou.aliyuncs.com"),
    ("x-acs-action", "CancelCopyImage"),
    ("x-acs-version", "2014-05-26"),
    ("X-Acs-Date", "2016-02-23T12:46:24Z"),
    (
        "x-acs-signature-nonce",
        "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
    ),
    ("Content-Type", "  application/json "),
    ("User-Agent", "AlibabaCloud (Linux) Tea/1"),
    ("x-acs-content-sha256", EMPTY_SHA256),
];

fn request<'a>(
    headers: &'a [(&'a str, &'a str)],
    query: &'a [(&'a str, &'a str)],
) -> V3Request<'a> {
    V3Request {
        method: "POST",
        path: "/",
        query,
        headers,
        body: b"",
    }
}

/// `headers` with the value of `name` replaced, or without `name` when
/// `value` is `None`.
fn edit<'a>(
    headers: &[(&'a str, &'a str)],
    name: &str,
    value: Option<&'a str>,
) -> Vec<(&'a str, &'a str)> {
    headers
        .iter()
        .filter_map(|&(n, v)| {
            if n.eq_ignore_ascii_case(name) {
                value.map(|value| (n, value))
            } else {
                Some((n, v))
            }
        })
        .collect()
}

// Computed independently of this crate with Python 3's stdlib, following
// the SDK rules (request = `request(HEADERS, QUERY)`):
//
//   enc = lambda s: urllib.parse.quote(s, safe="~")
//   cq = "&".join(f"{k}={enc(v)}" for k, v in sorted((enc(k), v) for k, v in QUERY))
//   signed = sorted({k.lower() for k, _ in HEADERS
//                    if k.lower() in ("host", "content-type") or k.lower().startswith("x-acs-")})
//   ch = "".join(f"{n}:{','.join(sorted(v.strip() for k, v in HEADERS if k.lower() == n))}\n"
//                for n in signed)
//   cr = f"POST\n/\n{cq}\n{ch}\n{';'.join(signed)}\n{hashlib.sha256(b'').hexdigest()}"
//   sts = "ACS3-HMAC-SHA256\n" + hashlib.sha256(cr.encode()).hexdigest()
//   hmac.new(b"testsecret", sts.encode(), hashlib.sha256).hexdigest()
const V3_CANONICAL_REQUEST: &str = "POST\n/\n\
    DryRun=&ImageId=m-bp67acfmxazb4p%2A%2A%2A%2A&Note=copy%201%2F2%20~ok&RegionId=cn-hangzhou\n\
    content-type:application/json\n\
    host:ecs.cn-hangzhou.aliyuncs.com\n\
    x-acs-action:CancelCopyImage\n\
    x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\
    x-acs-date:2016-02-23T12:46:24Z\n\
    x-acs-signature-nonce:3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf\n\
    x-acs-version:2014-05-26\n\
    \n\
    content-type;host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version\n\
    e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const V3_STRING_TO_SIGN: &str =
    "ACS3-HMAC-SHA256\n5724d6cbd870ace2d73ada3ccce7e2c03c2dd3b1645db4d7434300faa4e9096b";
const V3_SIGNATURE: &str = "21c97be7ce46907b0678c82dc59c2f516a8a12e55ffd2217244701f234dde49d";
const V3_AUTHORIZATION: &str = "ACS3-HMAC-SHA256 Credential=testid,\
    SignedHeaders=content-type;host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,\
    Signature=21c97be7ce46907b0678c82dc59c2f516a8a12e55ffd2217244701f234dde49d";

#[test]
fn v3_matches_the_independent_python_vector() {
    let request = request(HEADERS, QUERY);
    let signed = sdk_signed_headers(&request);
    assert_eq!(
        canonical_request_v3(&request, &signed).as_deref(),
        Some(V3_CANONICAL_REQUEST)
    );
    assert_eq!(string_to_sign_v3(V3_CANONICAL_REQUEST), V3_STRING_TO_SIGN);
    assert_eq!(sign_v3("testsecret", &request), V3_SIGNATURE);
    assert_eq!(
        authorization_v3("testid", "testsecret", &request),
        V3_AUTHORIZATION
    );
}

/// The `Test_GetAuthorization` vector of aliyun/darabonba-openapi-util
/// golang/service/service_test.go: empty method and path, an empty query
/// value, and one header sent twice in two cases. The SDK passed its
/// payload hash separately, so it goes in an unsigned
/// x-acs-content-sha256 header here.
#[test]
fn v3_matches_the_go_sdk_vector() {
    let payload = "55e12e91650d2fec56ec74e1d3e4ddbfce2ef3a65890c2a19ecf88a307e76a23";
    let headers = [
        ("x-acs-test", "http"),
        ("x-acs-TEST", "https"),
        (CONTENT_SHA256, payload),
    ];
    let query = [("test", "ok"), ("empty", "")];
    let request = V3Request {
        method: "",
        path: "",
        query: &query,
        headers: &headers,
        body: b"",
    };
    let canonical = canonical_request_v3(&request, &["x-acs-test"]);
    let expected = format!("\n/\nempty=&test=ok\nx-acs-test:http,https\n\nx-acs-test\n{payload}");
    assert_eq!(canonical.as_deref(), Some(expected.as_str()));
    let tag = v3_mac("secret", &string_to_sign_v3(&expected))
        .finalize()
        .into_bytes();
    assert_eq!(
        hex::encode(tag),
        "4ab59fffe3c5738ff8a2729f90cc04fe18b02a4b15b2102cbaf92f9ff3df2ea3"
    );
}

fn parsed(header: &str) -> V3Authorization {
    match header.parse() {
        Ok(authorization) => authorization,
        Err(error) => panic!("{header}: {error}"),
    }
}

#[test]
fn v3_verifies_the_vector() {
    assert!(verify_v3(
        "testsecret",
        &request(HEADERS, QUERY),
        &parsed(V3_AUTHORIZATION)
    ));
}

#[test]
fn v3_round_trips_with_a_body_and_no_content_hash_header() {
    let headers = edit(HEADERS, CONTENT_SHA256, None);
    let request = V3Request {
        body: b"ImageId=m-1&RegionId=cn-hangzhou",
        ..request(&headers, QUERY)
    };
    let authorization = parsed(&authorization_v3("testid", "testsecret", &request));
    assert!(verify_v3("testsecret", &request, &authorization));
    let tampered = V3Request {
        body: b"ImageId=m-2&RegionId=cn-hangzhou",
        ..request
    };
    assert!(!verify_v3("testsecret", &tampered, &authorization));
}

#[test]
fn v3_matches_header_names_in_any_case() {
    let authorization = parsed(V3_AUTHORIZATION);
    let shouted: Vec<(String, &str)> = HEADERS
        .iter()
        .map(|&(n, v)| (n.to_ascii_uppercase(), v))
        .collect();
    let shouted: Vec<(&str, &str)> = shouted.iter().map(|(n, v)| (n.as_str(), *v)).collect();
    assert!(verify_v3(
        "testsecret",
        &request(&shouted, QUERY),
        &authorization
    ));
}

#[test]
fn v3_ignores_query_order_and_the_authorization_header() {
    let reversed: Vec<(&str, &str)> = QUERY.iter().rev().copied().collect();
    let mut headers = HEADERS.to_vec();
    headers.push(("Authorization", V3_AUTHORIZATION));
    assert!(verify_v3(
        "testsecret",
        &request(&headers, &reversed),
        &parsed(V3_AUTHORIZATION)
    ));
}

#[test]
fn v3_refuses_a_wrong_secret() {
    assert!(!verify_v3(
        "wrongsecret",
        &request(HEADERS, QUERY),
        &parsed(V3_AUTHORIZATION)
    ));
}

#[test]
fn v3_refuses_a_tampered_query_parameter() {
    let authorization = parsed(V3_AUTHORIZATION);
    let tampered = [
        ("RegionId", "cn-beijing"),
        ("ImageId", "m-bp67acfmxazb4p****"),
        ("Note", "copy 1/2 ~ok"),
        ("DryRun", ""),
    ];
    assert!(!verify_v3(
        "testsecret",
        &request(HEADERS, &tampered),
        &authorization
    ));
    let dropped = &QUERY[..3];
    assert!(!verify_v3(
        "testsecret",
        &request(HEADERS, dropped),
        &authorization
    ));
}

#[test]
fn v3_refuses_a_tampered_signed_header() {
    let authorization = parsed(V3_AUTHORIZATION);
    let headers = edit(HEADERS, "x-acs-action", Some("DeleteImage"));
    assert!(!verify_v3(
        "testsecret",
        &request(&headers, QUERY),
        &authorization
    ));
}

#[test]
fn v3_refuses_a_missing_signed_header() {
    let authorization = parsed(V3_AUTHORIZATION);
    let headers = edit(HEADERS, "content-type", None);
    assert!(!verify_v3(
        "testsecret",
        &request(&headers, QUERY),
        &authorization
    ));
    assert_eq!(
        canonical_request_v3(&request(&headers, QUERY), authorization.signed_headers()),
        None
    );
}

#[test]
fn v3_refuses_an_unsigned_acs_header() {
    let mut headers = HEADERS.to_vec();
    headers.push(("x-acs-security-token", "injected"));
    assert!(!verify_v3(
        "testsecret",
        &request(&headers, QUERY),
        &parsed(V3_AUTHORIZATION)
    ));
}

#[test]
fn v3_ignores_unsigned_ordinary_headers() {
    let headers = edit(HEADERS, "user-agent", Some("curl/8"));
    assert!(verify_v3(
        "testsecret",
        &request(&headers, QUERY),
        &parsed(V3_AUTHORIZATION)
    ));
}

#[test]
fn v3_refuses_a_body_that_does_not_match_its_hash_header() {
    let request = V3Request {
        body: b"smuggled",
        ..request(HEADERS, QUERY)
    };
    assert!(!verify_v3(
        "testsecret",
        &request,
        &parsed(V3_AUTHORIZATION)
    ));
}

#[test]
fn v3_signs_signed_headers_in_the_clients_order() {
    // Reordering SignedHeaders changes the canonical request, so the
    // vector's signature no longer matches...
    let reordered = V3_AUTHORIZATION.replace("content-type;host;", "host;content-type;");
    assert!(!verify_v3(
        "testsecret",
        &request(HEADERS, QUERY),
        &parsed(&reordered)
    ));
    // ...but a client that signed in that order verifies.
    let names = [
        "host",
        "content-type",
        "x-acs-action",
        "x-acs-content-sha256",
        "x-acs-date",
        "x-acs-signature-nonce",
        "x-acs-version",
    ];
    let canonical = canonical_request_v3(&request(HEADERS, QUERY), &names).unwrap_or_default();
    let tag = hex::encode(
        v3_mac("testsecret", &string_to_sign_v3(&canonical))
            .finalize()
            .into_bytes(),
    );
    let header = format!(
        "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders={},Signature={tag}",
        names.join(";")
    );
    assert!(verify_v3(
        "testsecret",
        &request(HEADERS, QUERY),
        &parsed(&header)
    ));
}

// ----- Authorization header parsing ---------------------------------------

#[test]
fn parses_and_writes_back_the_header() {
    let authorization = parsed(V3_AUTHORIZATION);
    assert_eq!(authorization.access_key_id(), "testid");
    assert_eq!(authorization.signed_headers().len(), 7);
    assert_eq!(authorization.signature(), V3_SIGNATURE);
    assert_eq!(authorization.to_string(), V3_AUTHORIZATION);
}

#[test]
fn parsing_tolerates_blanks_and_field_order_and_lowercases_names() {
    let header = format!(
        "  ACS3-HMAC-SHA256   Signature={V3_SIGNATURE} , SignedHeaders=Host;X-Acs-Date, Credential=testid "
    );
    let authorization = parsed(&header);
    assert_eq!(authorization.signed_headers(), ["host", "x-acs-date"]);
    assert_eq!(authorization.access_key_id(), "testid");
}

/// The message of the error parsing `header`, if it fails; the message is
/// all `V3AuthError` exposes.
fn parse_error(header: &str) -> Option<String> {
    header
        .parse::<V3Authorization>()
        .err()
        .map(|e| e.to_string())
}

#[test]
fn parse_errors_name_what_is_wrong() {
    let sig = V3_SIGNATURE;
    let cases: &[(&str, &str)] = &[
        ("", "the Authorization header is empty"),
        ("   ", "the Authorization header is empty"),
        (
            "ACS3-HMAC-SM3 Credential=a,SignedHeaders=host,Signature=00",
            "unsupported signature algorithm `ACS3-HMAC-SM3`; expected ACS3-HMAC-SHA256",
        ),
        (
            "acs3-hmac-sha256 Credential=a",
            "unsupported signature algorithm `acs3-hmac-sha256`; expected ACS3-HMAC-SHA256",
        ),
        ("ACS3-HMAC-SHA256", "field `Credential` is missing"),
        (
            "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host",
            "field `Signature` is missing",
        ),
        (
            "ACS3-HMAC-SHA256 Credential=a,Signature=x",
            "field `SignedHeaders` is missing",
        ),
        (
            "ACS3-HMAC-SHA256 Credential=,SignedHeaders=host,Signature=x",
            "field `Credential` is empty",
        ),
        (
            "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=,Signature=x",
            "field `SignedHeaders` is empty",
        ),
        (
            "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=",
            "field `Signature` is empty",
        ),
        (
            "ACS3-HMAC-SHA256 Credential=a,,Signature=x",
            "`` is not a `Name=value` field",
        ),
        (
            "ACS3-HMAC-SHA256 Credential",
            "`Credential` is not a `Name=value` field",
        ),
        (
            "ACS3-HMAC-SHA256 Credential=a,Region=cn",
            "unknown field `Region`",
        ),
        (
            "ACS3-HMAC-SHA256 Credential=a,Credential=b",
            "field `Credential` appears more than once",
        ),
        (
            "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host;;x-acs-date,Signature=x",
            "SignedHeaders lists an empty header name",
        ),
        (
            "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host;HOST,Signature=x",
            "SignedHeaders lists `host` more than once",
        ),
        (
            "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=abc",
            "the signature is not 64 hexadecimal digits",
        ),
    ];
    for (header, expected) in cases {
        assert_eq!(parse_error(header).as_deref(), Some(*expected), "{header}");
    }
    let not_hex = format!(
        "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature={}",
        sig.replace('2', "g")
    );
    assert_eq!(
        parse_error(&not_hex).as_deref(),
        Some("the signature is not 64 hexadecimal digits")
    );
}

#[test]
fn parse_errors_are_std_errors_that_compare_by_kind() {
    let empty = "".parse::<V3Authorization>().err();
    let boxed: Option<Box<dyn std::error::Error + Send + Sync>> = empty.clone().map(Into::into);
    assert!(boxed.is_some_and(|error| error.source().is_none()));
    assert_eq!(empty, "   ".parse::<V3Authorization>().err());
    assert_ne!(empty, "ACS3-HMAC-SHA256".parse::<V3Authorization>().err());
}

proptest! {
    #[test]
    fn parsing_any_string_never_panics(header in any::<String>()) {
        let _ = header.parse::<V3Authorization>();
    }

    #[test]
    fn parsing_near_misses_never_panics(rest in "[A-Za-z0-9=,; \\-é]{0,80}") {
        let _ = format!("{ACS3_HMAC_SHA256} {rest}").parse::<V3Authorization>();
    }

    #[test]
    fn written_headers_parse_back(
        id in "[A-Za-z0-9.]{1,24}",
        names in proptest::collection::btree_set("[a-z][a-z0-9-]{0,15}", 1..6),
        signature in "[0-9a-f]{64}",
    ) {
        let names: Vec<String> = names.into_iter().collect();
        let header = format!("{ACS3_HMAC_SHA256} Credential={id},SignedHeaders={},Signature={signature}", names.join(";"));
        let authorization = header.parse::<V3Authorization>();
        prop_assert_eq!(authorization.as_ref().map(ToString::to_string), Ok(header.clone()));
        prop_assert_eq!(authorization.map(|a| a.signed_headers().to_vec()), Ok(names));
    }

    #[test]
    fn percent_encoding_is_reversible_and_unreserved(input in any::<String>()) {
        let encoded = percent_encode(&input);
        prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~%".contains(&b)));
        let uppercase_hex = |b: u8| b.is_ascii_digit() || (b'A'..=b'F').contains(&b);
        let escapes_are_uppercase = encoded
            .split('%')
            .skip(1)
            .all(|escape| escape.len() >= 2 && escape.bytes().take(2).all(uppercase_hex));
        prop_assert!(escapes_are_uppercase);
        let decoded = percent_encoding::percent_decode_str(&encoded).decode_utf8();
        prop_assert_eq!(decoded.as_deref(), Ok(input.as_str()));
    }

    #[test]
    fn v1_signatures_verify_only_with_their_secret(
        params in proptest::collection::vec((any::<String>(), any::<String>()), 0..6),
        secret in any::<String>(),
        other in any::<String>(),
    ) {
        let pairs = || params.iter().map(|(n, v)| (n.as_str(), v.as_str()));
        let signature = sign_v1(&secret, &string_to_sign_v1("POST", pairs()));
        prop_assert!(verify_v1(&secret, "POST", pairs(), &signature));
        prop_assert_eq!(verify_v1(&other, "POST", pairs(), &signature), other == secret);
    }

    #[test]
    fn v3_signatures_verify_only_with_their_secret(
        query in proptest::collection::vec((any::<String>(), any::<String>()), 0..6),
        body in proptest::collection::vec(any::<u8>(), 0..64),
        secret in any::<String>(),
        other in any::<String>(),
    ) {
        let query: Vec<(&str, &str)> = query.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let headers = edit(HEADERS, CONTENT_SHA256, None);
        let request = V3Request { method: "POST", path: "/", query: &query, headers: &headers, body: &body };
        let authorization = authorization_v3("testid", &secret, &request).parse::<V3Authorization>();
        prop_assert!(authorization.is_ok());
        if let Ok(authorization) = authorization {
            prop_assert!(verify_v3(&secret, &request, &authorization));
            prop_assert_eq!(verify_v3(&other, &request, &authorization), other == secret);
        }
    }
}
