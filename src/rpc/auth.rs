//! Who is calling: the account of a request, checked by its signature when
//! the endpoint has access keys.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use super::failure::Failure;
use super::params::Parameters;
use super::signature::{V3Authorization, V3Request, string_to_sign_v1, verify_v1, verify_v3};
use crate::service::Timestamp;
use crate::task::EcsError;

/// How far a request's `Timestamp` may be from the endpoint's time.
pub const TIMESTAMP_WINDOW_SECONDS: u64 = 15 * 60;

/// The account a request acts as when authentication is off and it names
/// no access key.
pub const DEFAULT_ACCOUNT: &str = "default";

/// An access key the endpoint accepts: its secret, and the account it acts as.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct AccessKey {
    /// The secret both signatures are keyed with.
    pub(crate) secret: String,
    /// The account whose images the key's requests act on.
    pub(crate) account: String,
}

/// The parts of a request that authentication reads.
pub(crate) struct Credentials<'r> {
    pub(crate) method: &'r str,
    pub(crate) path: &'r str,
    /// The request's headers, every value checked as UTF-8.
    pub(crate) headers: &'r [(&'r str, &'r [u8])],
    pub(crate) body: &'r [u8],
}

/// The value of header `name`, names in any case.
pub(super) fn header<'h>(headers: &[(&str, &'h [u8])], name: &str) -> Option<&'h [u8]> {
    let found = headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name));
    found.map(|(_, value)| *value)
}

/// The value of header `name`, trimmed, if it is text.
pub(super) fn header_text<'h>(headers: &[(&str, &'h [u8])], name: &str) -> Option<&'h str> {
    let value = header(headers, name).and_then(|value| std::str::from_utf8(value).ok());
    value.map(str::trim)
}

impl<'r> Credentials<'r> {
    fn header(&self, name: &str) -> Option<&'r str> {
        header_text(self.headers, name)
    }

    /// The headers as text, for signature V3, which signs them.
    fn text_headers(&self) -> Vec<(&'r str, &'r str)> {
        let text =
            |&(name, value): &(&'r str, &'r [u8])| Some((name, std::str::from_utf8(value).ok()?));
        self.headers.iter().filter_map(text).collect()
    }
}

/// Most nonces remembered at once. Beyond it the oldest is forgotten early:
/// memory stays bounded under any load, at the price of accepting a replay
/// of a request more than a million signed requests old.
pub const MAX_REMEMBERED_NONCES: usize = 1 << 20;

/// The nonces of recent signed requests, as `key\nnonce`, forgotten once a
/// replay would be refused for its timestamp anyway.
#[derive(Clone, Debug, Default)]
pub(crate) struct Nonces {
    seen: HashSet<Arc<str>>,
    arrivals: VecDeque<(Timestamp, Arc<str>)>,
}

impl Nonces {
    fn forget_before(&mut self, now: Timestamp) {
        // A request with a nonce seen at `t` had a timestamp within the
        // window of `t`, so its replay after `t` + 2 windows is refused.
        let horizon = now
            .unix_seconds()
            .saturating_sub(2 * TIMESTAMP_WINDOW_SECONDS);
        while let Some((arrival, _)) = self.arrivals.front() {
            let full = self.arrivals.len() >= MAX_REMEMBERED_NONCES;
            if arrival.unix_seconds() >= horizon && !full {
                break;
            }
            if let Some((_, nonce)) = self.arrivals.pop_front() {
                self.seen.remove(&nonce);
            }
        }
    }

    /// Records a nonce, as [`Caller::nonce`] names it, at `now`; `false`
    /// if it was seen before.
    pub(crate) fn spend(&mut self, nonce: &str, now: Timestamp) -> bool {
        self.forget_before(now);
        let entry: Arc<str> = Arc::from(nonce);
        if !self.seen.insert(entry.clone()) {
            return false;
        }
        self.arrivals.push_back((now, entry));
        true
    }
}

/// Access keys by ID. It never changes once made, so it checks requests
/// without the endpoint's lock; the nonces they spend are the endpoint's
/// ([`Nonces`]).
#[derive(Clone, Debug, Default)]
pub(crate) struct Authenticator {
    keys: Arc<HashMap<String, AccessKey>>,
    enabled: bool,
}

/// Who a request acts as, once its signature and timestamp are checked.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct Caller {
    pub(crate) account: String,
    /// The nonce a signed request spends, as `key\nnonce`: the endpoint
    /// spends it when it answers the request.
    pub(crate) nonce: Option<String>,
}

impl Authenticator {
    /// Checks signatures with `keys`; with none, authentication is off.
    pub(crate) fn new(keys: HashMap<String, AccessKey>) -> Authenticator {
        Authenticator {
            enabled: !keys.is_empty(),
            keys: Arc::new(keys),
        }
    }

    /// The account the request acts as. With authentication off it is the
    /// request's access key ID, unchecked, or [`DEFAULT_ACCOUNT`]. With it
    /// on, the signature (V3 when an `ACS3-HMAC-SHA256` `Authorization`
    /// header is present, else V1), then the timestamp are checked; the
    /// nonce is left to [`Nonces::spend`].
    pub(crate) fn caller(
        &self,
        request: &Credentials<'_>,
        params: &Parameters<'_>,
        now: Timestamp,
    ) -> Result<Caller, Failure> {
        let v3 = request
            .header("authorization")
            .filter(|h| h.starts_with("ACS3-"));
        if !self.enabled {
            // Unchecked, so read leniently: only the key ID matters.
            let v3_key = v3.and_then(|header| {
                let mut fields = header.split([' ', ',']);
                fields.find_map(|field| field.trim().strip_prefix("Credential="))
            });
            let key = v3_key
                .or(params.get("AccessKeyId"))
                .filter(|k| !k.is_empty());
            let account = key.unwrap_or(DEFAULT_ACCOUNT).to_owned();
            return Ok(Caller {
                account,
                nonce: None,
            });
        }
        let signed = match v3 {
            Some(header) => check_v3(&self.keys, request, params, header)?,
            None => check_v1(&self.keys, request, params)?,
        };
        let in_window = humantime::parse_rfc3339(signed.timestamp)
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .is_some_and(|t| t.as_secs().abs_diff(now.unix_seconds()) <= TIMESTAMP_WINDOW_SECONDS);
        if !in_window {
            return Err(EcsError::IllegalTimestamp.into());
        }
        Ok(Caller {
            account: signed.account.to_owned(),
            nonce: Some(format!("{}\n{}", signed.key_id, signed.nonce)),
        })
    }
}

/// Checks a V1 signature.
fn check_v1<'s>(
    keys: &'s HashMap<String, AccessKey>,
    request: &Credentials<'_>,
    params: &'s Parameters<'_>,
) -> Result<Signed<'s>, Failure> {
    let field = |name| params.get(name).filter(|v| !v.is_empty());
    let (Some(key_id), Some(signature), Some(nonce), Some(timestamp)) = (
        field("AccessKeyId"),
        field("Signature"),
        field("SignatureNonce"),
        field("Timestamp"),
    ) else {
        return Err(EcsError::IncompleteSignature.into());
    };
    let method_known = params.get("SignatureMethod") == Some("HMAC-SHA1")
        && params.get("SignatureVersion") == Some("1.0");
    if !method_known {
        return Err(EcsError::IncompleteSignature.into());
    }
    let key = keys.get(key_id).ok_or(EcsError::AccessKeyNotFound)?;
    if !verify_v1(&key.secret, request.method, params.pairs(), signature) {
        let string_to_sign = string_to_sign_v1(request.method, params.pairs());
        return Err(Failure {
            message_suffix: Some(format!(" server string to sign is:{string_to_sign}")),
            ..Failure::from(EcsError::SignatureDoesNotMatch)
        });
    }
    Ok(Signed {
        key_id,
        account: &key.account,
        nonce,
        timestamp,
    })
}

/// Checks a V3 signature.
fn check_v3<'s>(
    keys: &'s HashMap<String, AccessKey>,
    request: &'s Credentials<'_>,
    params: &Parameters<'_>,
    header: &str,
) -> Result<Signed<'s>, Failure> {
    let auth: V3Authorization = header.parse().map_err(|_| EcsError::IncompleteSignature)?;
    let (Some(nonce), Some(timestamp)) = (
        request.header("x-acs-signature-nonce"),
        request.header("x-acs-date"),
    ) else {
        return Err(EcsError::IncompleteSignature.into());
    };
    let (key_id, key) = keys
        .get_key_value(auth.access_key_id())
        .ok_or(EcsError::AccessKeyNotFound)?;
    let query: Vec<(&str, &str)> = params.query_pairs().collect();
    let headers = request.text_headers();
    let signed = V3Request {
        method: request.method,
        path: request.path,
        query: &query,
        headers: &headers,
        body: request.body,
    };
    if !verify_v3(&key.secret, &signed, &auth) {
        return Err(EcsError::SignatureDoesNotMatch.into());
    }
    Ok(Signed {
        key_id,
        account: &key.account,
        nonce,
        timestamp,
    })
}

/// A request whose signature is good, before its time and nonce are checked.
struct Signed<'s> {
    key_id: &'s str,
    account: &'s str,
    nonce: &'s str,
    timestamp: &'s str,
}
