//! Signature V3, `ACS3-HMAC-SHA256`, as the `alibabacloud-*` Tea SDKs send it.
//!
//! Checked against the public SDK sources, aliyun/darabonba-openapi-util
//! (`getAuthorization` in java/.../openapiutil/Client.java, golang/service/
//! service.go, ts/src/client.ts, python/alibabacloud_openapi_util/client.py)
//! and aliyun/darabonba-openapi python/alibabacloud_tea_openapi/utils.py:
//! - the canonical request is METHOD, URI, query, headers, SignedHeaders and
//!   payload hash joined by `\n`; the header block ends in its own `\n`, so
//!   a blank line precedes SignedHeaders;
//! - an empty pathname becomes `/` (Java, newer Python; the Go SDK's own test
//!   vector only reproduces with `/`);
//! - query: `encode(k)=encode(v)`, `k=` for an empty value (Java, Go, newer
//!   Python; older Python/TS wrote a bare `k`), `%20` for space, `%2A` for `*`,
//!   `~` kept;
//! - headers: names lowercased, values trimmed, a repeated header's values
//!   sorted and joined with `,` (Go, TS, Python); the SDKs sign `host`,
//!   `content-type` and every `x-acs-*` (Go, TS, Java; newer Python signs all);
//! - StringToSign = `ACS3-HMAC-SHA256\n` + hex(SHA-256(canonical request));
//!   signature = lowercase hex(HMAC-SHA256(secret, StringToSign)), keyed with
//!   the bare secret (no `&`, unlike V1);
//! - header: `ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<a;b>,Signature=<hex>`.

use core::fmt;
use core::str::FromStr;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::{keyed_mac, push_encoded, sorted};

/// The `Authorization` scheme of signature V3.
pub const ACS3_HMAC_SHA256: &str = "ACS3-HMAC-SHA256";

/// The header carrying the hex SHA-256 of the body, which V3 signs in its
/// place.
pub(super) const CONTENT_SHA256: &str = "x-acs-content-sha256";

/// `k=v&...` over the percent-encoded pairs, sorted by encoded name.
///
/// Ties (a repeated name) are broken by encoded value so that the result
/// does not depend on the order the caller listed the pairs in.
fn canonical_query<'a>(params: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut query = String::with_capacity(256);
    for (i, (name, value)) in sorted(params).into_iter().enumerate() {
        if i > 0 {
            query.push('&');
        }
        push_encoded(&mut query, name);
        query.push('=');
        push_encoded(&mut query, value);
    }
    query
}

/// The parts of an HTTP request that signature V3 covers, borrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct V3Request<'a> {
    /// The HTTP method as sent, e.g. `POST`.
    pub method: &'a str,
    /// The path as sent on the wire (already percent-encoded); empty means `/`.
    pub path: &'a str,
    /// The query parameters, decoded; order does not matter.
    pub query: &'a [(&'a str, &'a str)],
    /// The headers; names match case-insensitively and may repeat.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body, whose hash is signed when `x-acs-content-sha256` is absent.
    pub body: &'a [u8],
}

impl<'a> V3Request<'a> {
    /// The values of every header called `name`, in any case.
    fn header_values(&self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        let headers = self.headers;
        headers
            .iter()
            .filter(move |(candidate, _)| candidate.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.trim())
    }

    /// Whether a header called `name`, in any case, is present.
    fn has_header(&self, name: &str) -> bool {
        self.headers
            .iter()
            .any(|(candidate, _)| candidate.eq_ignore_ascii_case(name))
    }

    /// The lowercased names of all headers present, sorted, without repeats.
    fn header_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .headers
            .iter()
            .map(|(name, _)| name.to_ascii_lowercase())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Hex SHA-256 of the body.
    fn body_sha256(&self) -> String {
        hex::encode(Sha256::digest(self.body))
    }

    /// The last line of the canonical request: the client's claimed body hash
    /// if it sent one, else the hash of the body.
    fn hashed_payload(&self) -> String {
        self.header_values(CONTENT_SHA256)
            .next()
            .map_or_else(|| self.body_sha256(), str::to_owned)
    }
}

/// Headers the service insists be signed whenever present.
///
/// The V3 docs (help.aliyun.com, "ROA风格请求体&签名机制", the V3 request
/// structure page) say of SignedHeaders: "除Authorization外的所有公共请求头，
/// 只要存在必须被加入签名" (every common request header but Authorization must
/// be signed if present); the common headers are `host` and `x-acs-*`.
fn must_be_signed(lowercase_name: &str) -> bool {
    lowercase_name == "host" || lowercase_name.starts_with("x-acs-")
}

/// Headers the Tea SDKs sign: `host`, `content-type` and every `x-acs-*`.
fn sdk_signs(lowercase_name: &str) -> bool {
    must_be_signed(lowercase_name) || lowercase_name == "content-type"
}

/// One `name:value\n` line of CanonicalHeaders; repeated headers' trimmed
/// values are sorted and joined with `,`, as the SDKs do.
fn canonical_header_line(request: &V3Request<'_>, lowercase_name: &str) -> String {
    let mut values: Vec<&str> = request.header_values(lowercase_name).collect();
    values.sort_unstable();
    format!("{lowercase_name}:{}\n", values.join(","))
}

/// The canonical request over `signed` (lowercase names, in the order the
/// client listed them), whether or not the headers are present.
fn build_canonical_request(request: &V3Request<'_>, signed: &[String]) -> String {
    let path = if request.path.is_empty() {
        "/"
    } else {
        request.path
    };
    let query = canonical_query(request.query.iter().copied());
    let mut sorted: Vec<&str> = signed.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let headers: String = sorted
        .into_iter()
        .map(|name| canonical_header_line(request, name))
        .collect();
    // SignedHeaders keeps the client's order: the Java SDK joins the names
    // before sorting them, so only the verbatim list reproduces its signature.
    let signed_line = signed.join(";");
    let payload = request.hashed_payload();
    format!(
        "{}\n{path}\n{query}\n{headers}\n{signed_line}\n{payload}",
        request.method
    )
}

/// The V3 canonical request of `request`, signing `signed_headers`, or `None`
/// when one of those headers is absent from the request.
///
/// ```text
/// HTTPMethod \n CanonicalURI \n CanonicalQueryString \n
/// CanonicalHeaders \n SignedHeaders \n HashedRequestPayload
/// ```
///
/// CanonicalURI is the path, `/` when empty. CanonicalQueryString is
/// `encode(k)=encode(v)` joined by `&`, sorted by encoded name, `k=` for an
/// empty value. CanonicalHeaders has one `name:value\n` line per signed
/// header (lowercase name, trimmed value), sorted by name. SignedHeaders is
/// the lowercased `signed_headers` joined by `;`, in the order given.
/// HashedRequestPayload is the `x-acs-content-sha256` header, or the hex
/// SHA-256 of the body when that header is absent.
pub fn canonical_request_v3(
    request: &V3Request<'_>,
    signed_headers: &[impl AsRef<str>],
) -> Option<String> {
    let signed: Vec<String> = signed_headers
        .iter()
        .map(|name| name.as_ref().to_ascii_lowercase())
        .collect();
    let all_present = signed.iter().all(|name| request.has_header(name));
    all_present.then(|| build_canonical_request(request, &signed))
}

/// The V3 string to sign: `ACS3-HMAC-SHA256\n` + hex SHA-256 of the canonical
/// request.
pub fn string_to_sign_v3(canonical_request: &str) -> String {
    let digest = hex::encode(Sha256::digest(canonical_request.as_bytes()));
    format!("{ACS3_HMAC_SHA256}\n{digest}")
}

/// The MAC of a V3 string to sign, keyed with the bare secret.
pub(super) fn v3_mac(secret: &str, string_to_sign: &str) -> Hmac<Sha256> {
    let mut mac: Hmac<Sha256> = keyed_mac(secret.as_bytes());
    mac.update(string_to_sign.as_bytes());
    mac
}

/// The lowercase names the SDKs would sign for `request`, sorted.
pub(super) fn sdk_signed_headers(request: &V3Request<'_>) -> Vec<String> {
    request
        .header_names()
        .into_iter()
        .filter(|name| sdk_signs(name))
        .collect()
}

/// The V3 signature of `request`, as the Tea SDKs compute it:
/// `hex(HMAC-SHA256(secret, StringToSign))`, signing the headers they sign
/// (`host`, `content-type` and every `x-acs-*` present).
pub fn sign_v3(secret: &str, request: &V3Request<'_>) -> String {
    let canonical = build_canonical_request(request, &sdk_signed_headers(request));
    let tag = v3_mac(secret, &string_to_sign_v3(&canonical))
        .finalize()
        .into_bytes();
    hex::encode(tag)
}

/// The whole `Authorization` header value an SDK would send for `request`:
/// `ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<names>,Signature=<hex>`.
pub fn authorization_v3(access_key_id: &str, secret: &str, request: &V3Request<'_>) -> String {
    let signed = sdk_signed_headers(request).join(";");
    let signature = sign_v3(secret, request);
    format!(
        "{ACS3_HMAC_SHA256} Credential={access_key_id},SignedHeaders={signed},Signature={signature}"
    )
}

/// Whether the client's `x-acs-content-sha256`, if it sent one, is the hash
/// of the body actually received; otherwise the signature would vouch for a
/// body nobody checked.
fn payload_matches_body(request: &V3Request<'_>) -> bool {
    let actual = request.body_sha256();
    request
        .header_values(CONTENT_SHA256)
        .all(|claimed| claimed.eq_ignore_ascii_case(&actual))
}

/// Whether every header that must be signed is among `signed`.
fn required_headers_signed(request: &V3Request<'_>, signed: &[String]) -> bool {
    request
        .header_names()
        .iter()
        .filter(|name| must_be_signed(name))
        .all(|name| signed.contains(name))
}

/// Whether `authorization` is a valid V3 signature of `request` under
/// `secret`.
///
/// Beyond the MAC itself (compared in constant time), the request is refused
/// when a header named in SignedHeaders is absent, when a `host` or `x-acs-*`
/// header is present but unsigned, or when `x-acs-content-sha256` does not
/// match the body. The `Authorization` header itself may be among
/// `request.headers`; it is never signed.
pub fn verify_v3(secret: &str, request: &V3Request<'_>, authorization: &V3Authorization) -> bool {
    let signed = authorization.signed_headers();
    if !required_headers_signed(request, signed) || !payload_matches_body(request) {
        return false;
    }
    let Some(canonical) = canonical_request_v3(request, signed) else {
        return false;
    };
    let Ok(claimed) = hex::decode(authorization.signature()) else {
        return false;
    };
    v3_mac(secret, &string_to_sign_v3(&canonical))
        .verify_slice(&claimed)
        .is_ok()
}

/// A parsed V3 `Authorization` header:
/// `ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=<h1;h2;...>,Signature=<hex>`.
///
/// Parsing ([`FromStr`]) checks the shape only; [`verify_v3`] checks the
/// signature. [`Display`](fmt::Display) writes the header back.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct V3Authorization {
    access_key_id: String,
    signed_headers: Vec<String>,
    signature: String,
}

impl V3Authorization {
    /// The AccessKeyId of the `Credential` field, whose secret signs the
    /// request.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The signed header names, lowercased, in the order the client listed
    /// them.
    pub fn signed_headers(&self) -> &[String] {
        &self.signed_headers
    }

    /// The signature: 64 hex digits, as sent.
    pub fn signature(&self) -> &str {
        &self.signature
    }
}

impl fmt::Display for V3Authorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{ACS3_HMAC_SHA256} Credential={},SignedHeaders={},Signature={}",
            self.access_key_id,
            self.signed_headers.join(";"),
            self.signature
        )
    }
}

/// Why an `Authorization` header is not a well-formed V3 one.
///
/// Opaque, in the manner of `semver::Error`: callers only refuse the request
/// or report the message, so the kinds stay private and can grow or split
/// without a breaking release. [`Display`](fmt::Display) names what is wrong.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[error("{kind}")]
pub struct V3AuthError {
    kind: ErrorKind,
}

/// The kinds of [`V3AuthError`], each with its message.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
enum ErrorKind {
    /// The header is empty or blank.
    #[error("the Authorization header is empty")]
    Empty,
    /// The scheme is not `ACS3-HMAC-SHA256` (e.g. `ACS3-HMAC-SM3`, which this
    /// model does not implement).
    #[error("unsupported signature algorithm `{0}`; expected ACS3-HMAC-SHA256")]
    UnsupportedAlgorithm(String),
    /// A comma-separated part has no `=`.
    #[error("`{0}` is not a `Name=value` field")]
    MalformedField(String),
    /// A field other than `Credential`, `SignedHeaders`, `Signature`.
    #[error("unknown field `{0}`")]
    UnknownField(String),
    /// A field given twice, which would make the header ambiguous.
    #[error("field `{0}` appears more than once")]
    DuplicateField(&'static str),
    /// A required field is absent.
    #[error("field `{0}` is missing")]
    MissingField(&'static str),
    /// A required field has an empty value.
    #[error("field `{0}` is empty")]
    EmptyField(&'static str),
    /// `SignedHeaders` has an empty name (`host;;x-acs-date`).
    #[error("SignedHeaders lists an empty header name")]
    EmptySignedHeader,
    /// `SignedHeaders` lists a name twice (in any case).
    #[error("SignedHeaders lists `{0}` more than once")]
    DuplicateSignedHeader(String),
    /// `Signature` is not 64 hex digits (a hex HMAC-SHA256).
    #[error("the signature is not 64 hexadecimal digits")]
    MalformedSignature,
}

/// The three fields of the header, each at most once.
#[derive(Default)]
struct Fields<'a> {
    credential: Option<&'a str>,
    signed_headers: Option<&'a str>,
    signature: Option<&'a str>,
}

impl<'a> Fields<'a> {
    /// Reads `Name=value` parts separated by commas (blanks around them
    /// ignored), in any order.
    fn parse(text: &'a str) -> Result<Fields<'a>, ErrorKind> {
        let mut fields = Fields::default();
        for part in text.split(',').map(str::trim) {
            let (name, value) = part
                .split_once('=')
                .ok_or_else(|| ErrorKind::MalformedField(part.to_owned()))?;
            fields.set(name, value)?;
        }
        Ok(fields)
    }

    fn set(&mut self, name: &str, value: &'a str) -> Result<(), ErrorKind> {
        let (slot, name) = match name {
            "Credential" => (&mut self.credential, "Credential"),
            "SignedHeaders" => (&mut self.signed_headers, "SignedHeaders"),
            "Signature" => (&mut self.signature, "Signature"),
            other => return Err(ErrorKind::UnknownField(other.to_owned())),
        };
        match slot.replace(value) {
            Some(_) => Err(ErrorKind::DuplicateField(name)),
            None => Ok(()),
        }
    }
}

/// A field's value, which must be present and non-empty.
fn required<'a>(value: Option<&'a str>, name: &'static str) -> Result<&'a str, ErrorKind> {
    match value {
        None => Err(ErrorKind::MissingField(name)),
        Some("") => Err(ErrorKind::EmptyField(name)),
        Some(value) => Ok(value),
    }
}

/// `h1;h2;...` as lowercase names, refusing empty and repeated ones.
fn parse_signed_headers(list: &str) -> Result<Vec<String>, ErrorKind> {
    let mut names: Vec<String> = Vec::new();
    for name in list.split(';').map(str::to_ascii_lowercase) {
        if name.is_empty() {
            return Err(ErrorKind::EmptySignedHeader);
        }
        if names.contains(&name) {
            return Err(ErrorKind::DuplicateSignedHeader(name));
        }
        names.push(name);
    }
    Ok(names)
}

/// The signature, checked to be a hex HMAC-SHA256.
fn parse_signature(signature: &str) -> Result<String, ErrorKind> {
    let is_hex_sha256 = signature.len() == 64 && signature.bytes().all(|b| b.is_ascii_hexdigit());
    if is_hex_sha256 {
        Ok(signature.to_owned())
    } else {
        Err(ErrorKind::MalformedSignature)
    }
}

/// The header parsed, or the first thing wrong with it.
fn parse_authorization(header: &str) -> Result<V3Authorization, ErrorKind> {
    let header = header.trim();
    if header.is_empty() {
        return Err(ErrorKind::Empty);
    }
    let (algorithm, rest) = header.split_once(' ').unwrap_or((header, ""));
    if algorithm != ACS3_HMAC_SHA256 {
        return Err(ErrorKind::UnsupportedAlgorithm(algorithm.to_owned()));
    }
    let rest = rest.trim();
    if rest.is_empty() {
        return Err(ErrorKind::MissingField("Credential"));
    }
    let fields = Fields::parse(rest)?;
    Ok(V3Authorization {
        access_key_id: required(fields.credential, "Credential")?.to_owned(),
        signed_headers: parse_signed_headers(required(fields.signed_headers, "SignedHeaders")?)?,
        signature: parse_signature(required(fields.signature, "Signature")?)?,
    })
}

impl FromStr for V3Authorization {
    type Err = V3AuthError;

    fn from_str(header: &str) -> Result<V3Authorization, V3AuthError> {
        parse_authorization(header).map_err(|kind| V3AuthError { kind })
    }
}
