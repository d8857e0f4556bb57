//! Request signatures of the ECS RPC API: V1 (HMAC-SHA1) and V3 (ACS3-HMAC-SHA256).
//!
//! Both sides of a signature live here: what a client signs and what the
//! service checks. Everything is a pure function of its arguments; the caller
//! supplies the secret that belongs to the request's AccessKeyId, and checks
//! timestamps and nonces itself.
//!
//! - **V1**, the classic RPC signature: every parameter, `Signature` aside,
//!   goes into the string to sign, and the signature travels as the
//!   `Signature` parameter. See [`string_to_sign_v1`], [`sign_v1`],
//!   [`verify_v1`].
//! - **V3**, `ACS3-HMAC-SHA256`, as the `alibabacloud-*` Tea SDKs send it: the
//!   signature travels in the `Authorization` header ([`V3Authorization`]) and
//!   covers the method, path, query, the signed headers and the body's hash.
//!   See [`canonical_request_v3`], [`sign_v3`], [`verify_v3`].
//!
//! Verification compares MACs in constant time (`hmac`'s `verify_slice`), so
//! timing does not tell a forger how many bytes of a guess were right.

use core::fmt;
use core::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// Every ASCII byte but RFC 3986's unreserved `A-Z a-z 0-9 - _ . ~`; bytes
/// outside ASCII are always encoded by `percent-encoding`.
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The `Authorization` scheme of signature V3.
pub const ACS3_HMAC_SHA256: &str = "ACS3-HMAC-SHA256";

/// The header carrying the hex SHA-256 of the body, which V3 signs in its
/// place.
const CONTENT_SHA256: &str = "x-acs-content-sha256";

/// ECS's `percentEncode`: RFC 3986 percent-encoding of the UTF-8 bytes.
///
/// The unreserved `A-Z a-z 0-9 - _ . ~` stay as they are; every other byte
/// becomes `%XX` in uppercase hex, so a space is `%20` (never `+`) and `*`
/// is `%2A`: `a b*c~d/é` becomes `a%20b%2Ac~d%2F%C3%A9`.
pub fn percent_encode(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    push_encoded(&mut out, input);
    out
}

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

/// The pairs in the order of their encoded names, then encoded values.
fn sorted<'a>(params: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<(&'a str, &'a str)> {
    let mut pairs: Vec<(&str, &str)> = params.collect();
    if pairs
        .iter()
        .all(|(name, _)| name.bytes().all(is_unreserved))
    {
        // Unreserved names encode as themselves, so they compare as they
        // are; values only break ties, which are rare.
        pairs.sort_unstable_by(|a, b| a.0.cmp(b.0).then_with(|| encoded_cmp(a.1, b.1)));
    } else {
        pairs.sort_by_cached_key(|&(name, value)| (percent_encode(name), percent_encode(value)));
    }
    pairs
}

/// Orders two texts as their percent-encodings would sort.
fn encoded_cmp(a: &str, b: &str) -> core::cmp::Ordering {
    let bytes = |text| utf8_percent_encode(text, NOT_UNRESERVED).flat_map(str::bytes);
    bytes(a).cmp(bytes(b))
}

/// RFC 3986's unreserved characters, which `percentEncode` keeps.
fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~')
}

/// Appends `text` encoded twice, as the V1 string to sign holds values:
/// `%XX` becomes `%25XX`, all else stays.
fn push_encoded_twice(out: &mut String, text: &str) {
    if text.bytes().all(is_unreserved) {
        return out.push_str(text);
    }
    for chunk in utf8_percent_encode(text, NOT_UNRESERVED) {
        match chunk.strip_prefix('%') {
            Some(hex) => {
                out.push_str("%25");
                out.push_str(hex);
            }
            None => out.push_str(chunk),
        }
    }
}

/// Appends the percent-encoding of `text` to `out`.
fn push_encoded(out: &mut String, text: &str) {
    if text.bytes().all(is_unreserved) {
        return out.push_str(text);
    }
    // Iterating the chunks avoids the formatting machinery of `Display`.
    for chunk in utf8_percent_encode(text, NOT_UNRESERVED) {
        out.push_str(chunk);
    }
}

/// An HMAC keyed with `key`.
fn keyed_mac<M: Mac + hmac::digest::KeyInit>(key: &[u8]) -> M {
    // HMAC takes keys of any length (RFC 2104 hashes long keys and pads short
    // ones), so `new_from_slice` has no error to return for it.
    <M as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length")
}

// ---------------------------------------------------------------------------
// Signature V1
// ---------------------------------------------------------------------------

/// The V1 string to sign for a request made with `method` (`GET` or `POST`).
///
/// All `params` but `Signature` are percent-encoded, sorted by encoded name
/// (byte order) and joined as `k=v&...`; the result is
/// `METHOD&%2F&percentEncode(joined)`.
///
/// The Tea SDKs sort the raw names instead; the two orders differ only for
/// names with reserved characters, which no ECS parameter has.
pub fn string_to_sign_v1<'a>(
    method: &str,
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> String {
    let signed = params.into_iter().filter(|(name, _)| *name != "Signature");
    let mut string_to_sign = String::with_capacity(320);
    string_to_sign.push_str(method);
    string_to_sign.push_str("&%2F&");
    // `percentEncode` of the canonical query, written in one pass: its `&`
    // and `=` encode as `%26` and `%3D`, its escapes once more.
    for (i, (name, value)) in sorted(signed).into_iter().enumerate() {
        if i > 0 {
            string_to_sign.push_str("%26");
        }
        push_encoded_twice(&mut string_to_sign, name);
        string_to_sign.push_str("%3D");
        push_encoded_twice(&mut string_to_sign, value);
    }
    string_to_sign
}

/// The MAC of a V1 string to sign: the key is the secret followed by `&`.
fn v1_mac(secret: &str, string_to_sign: &str) -> Hmac<Sha1> {
    let mut mac: Hmac<Sha1> = keyed_mac(format!("{secret}&").as_bytes());
    mac.update(string_to_sign.as_bytes());
    mac
}

/// The V1 signature: `Base64(HMAC-SHA1(secret + "&", string_to_sign))`.
pub fn sign_v1(secret: &str, string_to_sign: &str) -> String {
    BASE64.encode(v1_mac(secret, string_to_sign).finalize().into_bytes())
}

/// Whether `signature` is the V1 signature of `params` sent with `method`.
///
/// `params` may include the `Signature` parameter itself; it is left out of
/// the string to sign. A signature that is not Base64 is simply wrong.
pub fn verify_v1<'a>(
    secret: &str,
    method: &str,
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
    signature: &str,
) -> bool {
    let Ok(claimed) = BASE64.decode(signature) else {
        return false;
    };
    let string_to_sign = string_to_sign_v1(method, params);
    v1_mac(secret, &string_to_sign)
        .verify_slice(&claimed)
        .is_ok()
}

// ---------------------------------------------------------------------------
// Signature V3
//
// Checked against the public SDK sources, aliyun/darabonba-openapi-util
// (`getAuthorization` in java/.../openapiutil/Client.java, golang/service/
// service.go, ts/src/client.ts, python/alibabacloud_openapi_util/client.py)
// and aliyun/darabonba-openapi python/alibabacloud_tea_openapi/utils.py:
// - the canonical request is METHOD, URI, query, headers, SignedHeaders and
//   payload hash joined by `\n`; the header block ends in its own `\n`, so
//   a blank line precedes SignedHeaders;
// - an empty pathname becomes `/` (Java, newer Python; the Go SDK's own test
//   vector only reproduces with `/`);
// - query: `encode(k)=encode(v)`, `k=` for an empty value (Java, Go, newer
//   Python; older Python/TS wrote a bare `k`), `%20` for space, `%2A` for `*`,
//   `~` kept;
// - headers: names lowercased, values trimmed, a repeated header's values
//   sorted and joined with `,` (Go, TS, Python); the SDKs sign `host`,
//   `content-type` and every `x-acs-*` (Go, TS, Java; newer Python signs all);
// - StringToSign = `ACS3-HMAC-SHA256\n` + hex(SHA-256(canonical request));
//   signature = lowercase hex(HMAC-SHA256(secret, StringToSign)), keyed with
//   the bare secret (no `&`, unlike V1);
// - header: `ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<a;b>,Signature=<hex>`.
// ---------------------------------------------------------------------------

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
fn v3_mac(secret: &str, string_to_sign: &str) -> Hmac<Sha256> {
    let mut mac: Hmac<Sha256> = keyed_mac(secret.as_bytes());
    mac.update(string_to_sign.as_bytes());
    mac
}

/// The lowercase names the SDKs would sign for `request`, sorted.
fn sdk_signed_headers(request: &V3Request<'_>) -> Vec<String> {
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
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum V3AuthError {
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
    fn parse(text: &'a str) -> Result<Fields<'a>, V3AuthError> {
        let mut fields = Fields::default();
        for part in text.split(',').map(str::trim) {
            let (name, value) = part
                .split_once('=')
                .ok_or_else(|| V3AuthError::MalformedField(part.to_owned()))?;
            fields.set(name, value)?;
        }
        Ok(fields)
    }

    fn set(&mut self, name: &str, value: &'a str) -> Result<(), V3AuthError> {
        let (slot, name) = match name {
            "Credential" => (&mut self.credential, "Credential"),
            "SignedHeaders" => (&mut self.signed_headers, "SignedHeaders"),
            "Signature" => (&mut self.signature, "Signature"),
            other => return Err(V3AuthError::UnknownField(other.to_owned())),
        };
        match slot.replace(value) {
            Some(_) => Err(V3AuthError::DuplicateField(name)),
            None => Ok(()),
        }
    }
}

/// A field's value, which must be present and non-empty.
fn required<'a>(value: Option<&'a str>, name: &'static str) -> Result<&'a str, V3AuthError> {
    match value {
        None => Err(V3AuthError::MissingField(name)),
        Some("") => Err(V3AuthError::EmptyField(name)),
        Some(value) => Ok(value),
    }
}

/// `h1;h2;...` as lowercase names, refusing empty and repeated ones.
fn parse_signed_headers(list: &str) -> Result<Vec<String>, V3AuthError> {
    let mut names: Vec<String> = Vec::new();
    for name in list.split(';').map(str::to_ascii_lowercase) {
        if name.is_empty() {
            return Err(V3AuthError::EmptySignedHeader);
        }
        if names.contains(&name) {
            return Err(V3AuthError::DuplicateSignedHeader(name));
        }
        names.push(name);
    }
    Ok(names)
}

/// The signature, checked to be a hex HMAC-SHA256.
fn parse_signature(signature: &str) -> Result<String, V3AuthError> {
    let is_hex_sha256 = signature.len() == 64 && signature.bytes().all(|b| b.is_ascii_hexdigit());
    if is_hex_sha256 {
        Ok(signature.to_owned())
    } else {
        Err(V3AuthError::MalformedSignature)
    }
}

impl FromStr for V3Authorization {
    type Err = V3AuthError;

    fn from_str(header: &str) -> Result<V3Authorization, V3AuthError> {
        let header = header.trim();
        if header.is_empty() {
            return Err(V3AuthError::Empty);
        }
        let (algorithm, rest) = header.split_once(' ').unwrap_or((header, ""));
        if algorithm != ACS3_HMAC_SHA256 {
            return Err(V3AuthError::UnsupportedAlgorithm(algorithm.to_owned()));
        }
        let rest = rest.trim();
        if rest.is_empty() {
            return Err(V3AuthError::MissingField("Credential"));
        }
        let fields = Fields::parse(rest)?;
        Ok(V3Authorization {
            access_key_id: required(fields.credential, "Credential")?.to_owned(),
            signed_headers: parse_signed_headers(required(
                fields.signed_headers,
                "SignedHeaders",
            )?)?,
            signature: parse_signature(required(fields.signature, "Signature")?)?,
        })
    }
}

#[cfg(test)]
mod tests {
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
        let expected =
            format!("\n/\nempty=&test=ok\nx-acs-test:http,https\n\nx-acs-test\n{payload}");
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

    #[test]
    fn parse_errors_name_what_is_wrong() {
        let sig = V3_SIGNATURE;
        let cases: &[(&str, V3AuthError)] = &[
            ("", V3AuthError::Empty),
            ("   ", V3AuthError::Empty),
            (
                "ACS3-HMAC-SM3 Credential=a,SignedHeaders=host,Signature=00",
                V3AuthError::UnsupportedAlgorithm("ACS3-HMAC-SM3".into()),
            ),
            (
                "acs3-hmac-sha256 Credential=a",
                V3AuthError::UnsupportedAlgorithm("acs3-hmac-sha256".into()),
            ),
            ("ACS3-HMAC-SHA256", V3AuthError::MissingField("Credential")),
            (
                "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host",
                V3AuthError::MissingField("Signature"),
            ),
            (
                "ACS3-HMAC-SHA256 Credential=a,Signature=x",
                V3AuthError::MissingField("SignedHeaders"),
            ),
            (
                "ACS3-HMAC-SHA256 Credential=,SignedHeaders=host,Signature=x",
                V3AuthError::EmptyField("Credential"),
            ),
            (
                "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=,Signature=x",
                V3AuthError::EmptyField("SignedHeaders"),
            ),
            (
                "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=",
                V3AuthError::EmptyField("Signature"),
            ),
            (
                "ACS3-HMAC-SHA256 Credential=a,,Signature=x",
                V3AuthError::MalformedField(String::new()),
            ),
            (
                "ACS3-HMAC-SHA256 Credential",
                V3AuthError::MalformedField("Credential".into()),
            ),
            (
                "ACS3-HMAC-SHA256 Credential=a,Region=cn",
                V3AuthError::UnknownField("Region".into()),
            ),
            (
                "ACS3-HMAC-SHA256 Credential=a,Credential=b",
                V3AuthError::DuplicateField("Credential"),
            ),
            (
                "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host;;x-acs-date,Signature=x",
                V3AuthError::EmptySignedHeader,
            ),
            (
                "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host;HOST,Signature=x",
                V3AuthError::DuplicateSignedHeader("host".into()),
            ),
            (
                "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=abc",
                V3AuthError::MalformedSignature,
            ),
        ];
        for (header, expected) in cases {
            assert_eq!(
                header.parse::<V3Authorization>().as_ref(),
                Err(expected),
                "{header}"
            );
        }
        let not_hex = format!(
            "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature={}",
            sig.replace('2', "g")
        );
        assert_eq!(
            not_hex.parse::<V3Authorization>(),
            Err(V3AuthError::MalformedSignature)
        );
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
}
