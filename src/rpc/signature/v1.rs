//! Signature V1, the classic RPC one: HMAC-SHA1 over every parameter but
//! `Signature`, keyed with the secret followed by `&`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use percent_encoding::utf8_percent_encode;
use sha1::Sha1;

use super::{NOT_UNRESERVED, is_unreserved, keyed_mac, sorted};

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
