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

mod v1;
mod v3;

#[cfg(test)]
mod tests;

use hmac::Mac;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

pub use self::v1::{sign_v1, string_to_sign_v1, verify_v1};
pub use self::v3::{
    ACS3_HMAC_SHA256, V3AuthError, V3Authorization, V3Request, authorization_v3,
    canonical_request_v3, sign_v3, string_to_sign_v3, verify_v3,
};

/// Every ASCII byte but RFC 3986's unreserved `A-Z a-z 0-9 - _ . ~`; bytes
/// outside ASCII are always encoded by `percent-encoding`.
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

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
