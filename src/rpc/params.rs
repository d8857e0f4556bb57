//! Request parameters: the query string and a form body, percent-decoded.

use std::borrow::Cow;

use percent_encoding::percent_decode;

use crate::service::request::Source;
use crate::task::EcsError;

/// Most bytes a query string, or a body, may have.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// As many parameters as most requests have, or more: one allocation.
const USUAL_PARAMETERS: usize = 16;

/// The bytes that end a pair or a name, or start an escape.
const SPECIAL: [bool; 256] = {
    let mut special = [false; 256];
    special[b'&' as usize] = true;
    special[b'=' as usize] = true;
    special[b'%' as usize] = true;
    special[b'+' as usize] = true;
    special
};

/// A request's parameters, percent-decoded, each name once: the query
/// string's, then a form body's.
///
/// Public, but hidden, for the benches' floor.
///
/// ```
/// use ecs_image_copy::rpc::Parameters;
///
/// let params = Parameters::parse(b"Action=DescribeImages&Status=Creating%2CWaiting", None)?;
/// assert_eq!(params.get("Status"), Some("Creating,Waiting"));
/// assert!(Parameters::parse(b"A=1&A=2", None).is_err());
/// # Ok::<(), ecs_image_copy::EcsError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Parameters<'a> {
    pairs: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    /// How many of `pairs`, from the start, came from the query string.
    from_query: usize,
}

impl<'a> Parameters<'a> {
    /// The parameters of a query string and, for a form, of a body. A name
    /// given twice, or a malformed escape or UTF-8, is `InvalidParameter`:
    /// the request is ambiguous or broken, and guessing would hide it.
    pub fn parse(query: &'a [u8], form: Option<&'a [u8]>) -> Result<Parameters<'a>, EcsError> {
        let mut params = Parameters {
            pairs: Vec::with_capacity(USUAL_PARAMETERS),
            from_query: 0,
        };
        params.add_all(query)?;
        params.check_unique()?;
        params.from_query = params.pairs.len();
        if let Some(form) = form {
            params.add_all(form)?;
            params.check_unique()?;
        }
        Ok(params)
    }

    /// `InvalidParameter` if a name comes twice. Linear-logarithmic in the
    /// number of parameters, so that a request of many thousands costs no
    /// more than reading it; a few are compared pairwise, as fast.
    fn check_unique(&self) -> Result<(), EcsError> {
        let pairs = &self.pairs;
        let repeated = match pairs.len() {
            0..=32 => (1..pairs.len())
                .any(|i| (pairs[..i].iter()).any(|(name, _)| same_name(name, &pairs[i].0))),
            _ => {
                let mut names: Vec<&str> = pairs.iter().map(|(name, _)| &**name).collect();
                names.sort_unstable();
                names.windows(2).any(|pair| pair[0] == pair[1])
            }
        };
        match repeated {
            true => Err(EcsError::InvalidParameter),
            false => Ok(()),
        }
    }

    fn add_all(&mut self, source: &'a [u8]) -> Result<(), EcsError> {
        if source.len() > MAX_REQUEST_BYTES {
            return Err(EcsError::RequestTooLarge);
        }
        // Checked whole, once: the pieces between `&` and `=` (ASCII) of
        // UTF-8 are UTF-8 too.
        let source = std::str::from_utf8(source).map_err(|_| EcsError::InvalidParameter)?;
        // One pass over the bytes finds each pair's end, its `=` and
        // whether it holds an escape: reading parameters is most of the
        // work of reading a small request.
        let bytes = source.as_bytes();
        let mut start = 0;
        while start <= bytes.len() {
            let (mut end, mut equals, mut escaped) = (start, None, false);
            while let Some(&byte) = bytes.get(end) {
                // Most bytes are none of the four: one look in a table
                // tells, where a `match` compares with each.
                if SPECIAL[usize::from(byte)] {
                    match byte {
                        b'&' => break,
                        b'=' if equals.is_none() => equals = Some(end),
                        b'%' | b'+' => escaped = true,
                        _ => {}
                    }
                }
                end += 1;
            }
            if end > start {
                let (name, value) = match equals {
                    Some(equals) => (&source[start..equals], &source[equals + 1..end]),
                    None => (&source[start..end], ""),
                };
                self.add(name, value, escaped)?;
            }
            start = end + 1;
        }
        Ok(())
    }

    /// The pair `name=value`, percent-decoded if `escaped`.
    fn add(&mut self, name: &'a str, value: &'a str, escaped: bool) -> Result<(), EcsError> {
        let decoded = |raw| match escaped {
            true => decode(raw),
            false => Ok(Cow::Borrowed(raw)),
        };
        let name = decoded(name)?;
        if name.is_empty() {
            return Err(EcsError::InvalidParameter);
        }
        self.pairs.push((name, decoded(value)?));
        Ok(())
    }

    /// The value of parameter `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        let found = self
            .pairs
            .iter()
            .find(|(candidate, _)| same_name(candidate, name));
        found.map(|(_, value)| &**value)
    }

    /// The parameters of the query string, which signature V3 signs.
    pub(crate) fn query_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs().take(self.from_query)
    }

    /// Every parameter, in the order given.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(name, value)| (&**name, &**value))
    }
}

/// Whether two names are the same. Names of one length mostly differ in
/// their first byte (`Action`, `Format`, `Status`): compared first, it
/// spares most calls to `memcmp`.
fn same_name(one: &str, other: &str) -> bool {
    one.len() == other.len() && one.as_bytes().first() == other.as_bytes().first() && one == other
}

/// Form decoding: `+` is a space and `%XX` a byte; the bytes must be UTF-8.
fn decode(raw: &str) -> Result<Cow<'_, str>, EcsError> {
    if !raw.bytes().any(|b| b == b'%' || b == b'+') {
        return Ok(Cow::Borrowed(raw));
    }
    let raw = raw.as_bytes();
    if !escapes_well_formed(raw) {
        return Err(EcsError::InvalidParameter);
    }
    let bytes: Cow<'_, [u8]> = if raw.contains(&b'+') {
        let spaced: Vec<u8> = raw
            .iter()
            .map(|&b| if b == b'+' { b' ' } else { b })
            .collect();
        Cow::Owned(percent_decode(&spaced).collect())
    } else {
        percent_decode(raw).into()
    };
    let text = match bytes {
        Cow::Borrowed(bytes) => std::str::from_utf8(bytes).map(Cow::Borrowed).ok(),
        Cow::Owned(bytes) => String::from_utf8(bytes).map(Cow::Owned).ok(),
    };
    text.ok_or(EcsError::InvalidParameter)
}

/// Every `%` starts `%XX` with two hex digits; `percent_decode` would keep
/// a broken one as it is, silently.
fn escapes_well_formed(raw: &[u8]) -> bool {
    let mut rest = raw;
    while let Some(at) = rest.iter().position(|&b| b == b'%') {
        match rest.get(at + 1..at + 3) {
            Some([high, low]) if high.is_ascii_hexdigit() && low.is_ascii_hexdigit() => {
                rest = &rest[at + 3..];
            }
            _ => return false,
        }
    }
    true
}

impl Source for Parameters<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        Parameters::get(self, name)
    }

    fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        Parameters::pairs(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` distinct parameters, `P0=0&P1=1&...`.
    fn many(n: usize) -> String {
        (0..n)
            .map(|i| format!("P{i}={i}"))
            .collect::<Vec<_>>()
            .join("&")
    }

    #[test]
    fn a_name_given_twice_is_refused_among_few_or_many() {
        for n in [2, 32, 33, 5_000] {
            let distinct = many(n);
            let parsed = Parameters::parse(distinct.as_bytes(), None);
            assert_eq!(parsed.map(|p| p.pairs().count()).ok(), Some(n));
            let twice = format!("{distinct}&P{}=again", n / 2);
            assert!(Parameters::parse(twice.as_bytes(), None).is_err(), "{n}");
            let across = Parameters::parse(distinct.as_bytes(), Some(b"P1=body"));
            assert_eq!(across.map(|_| ()), Err(EcsError::InvalidParameter), "{n}");
        }
    }

    /// The pairs as `str::split` finds them: `None` for an empty name.
    fn split_plainly(query: &str) -> Option<Vec<(&str, &str)>> {
        let pieces = query.split('&').filter(|piece| !piece.is_empty());
        let pairs = pieces.map(|piece| piece.split_once('=').unwrap_or((piece, "")));
        pairs
            .map(|pair| (!pair.0.is_empty()).then_some(pair))
            .collect()
    }

    proptest::proptest! {
        /// The byte loop splits as `str::split` does, whatever the bytes
        /// around `&` and `=` (non-ASCII ones included).
        #[test]
        fn pairs_are_split_as_str_split_splits_them(query in "[a&=é]{0,40}") {
            let expected = split_plainly(&query).filter(|pairs| {
                let mut names: Vec<&str> = pairs.iter().map(|(name, _)| *name).collect();
                names.sort_unstable();
                names.windows(2).all(|pair| pair[0] != pair[1])
            });
            let parsed = Parameters::parse(query.as_bytes(), None);
            let pairs = parsed.as_ref().ok().map(|params| params.pairs().collect::<Vec<_>>());
            proptest::prop_assert_eq!(pairs, expected);
        }
    }

    #[test]
    fn names_alike_in_length_and_first_byte_are_told_apart() {
        let params = Parameters::parse(b"Action=1&Actiox=2&Bction=3&action=4", None);
        let params = params.expect("four distinct names");
        let values =
            ["Action", "Actiox", "Bction", "action", "Actio", "ActionX"].map(|n| params.get(n));
        assert_eq!(
            values,
            [Some("1"), Some("2"), Some("3"), Some("4"), None, None]
        );
        let twice = Parameters::parse(b"Actiox=1&Action=2&Actiox=3", None);
        assert_eq!(twice.map(|_| ()), Err(EcsError::InvalidParameter));
    }

    #[test]
    fn the_query_is_checked_before_the_body_is_read() {
        let body = vec![b'a'; MAX_REQUEST_BYTES + 1];
        let parsed = Parameters::parse(b"A=1&A=2", Some(&body));
        assert_eq!(parsed.map(|_| ()), Err(EcsError::InvalidParameter));
        let parsed = Parameters::parse(b"A=1", Some(&body));
        assert_eq!(parsed.map(|_| ()), Err(EcsError::RequestTooLarge));
    }
}
