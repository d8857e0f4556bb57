//! Request IDs: one per answer, shaped like the service's, held in their
//! 36 bytes rather than in a `String` (an allocation per request).

use core::fmt;

use crate::service::id;

/// A response's `RequestId`, shaped like the service's:
/// `473469C7-AA6F-4DC5-B3DB-A3DC0DE3C83E`, uppercase hexadecimal digits in
/// groups of 8, 4, 4, 4 and 12. Made by [`request_id`]; the default is
/// all zeros.
///
/// ```
/// use ecs_image_copy::rpc::request_id;
///
/// let id = request_id(7, 0);
/// assert_eq!(id.as_str().len(), 36);
/// assert_eq!(id.to_string(), id.as_str());
/// assert_ne!(request_id(7, 1), id);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestId([u8; 36]);

impl RequestId {
    /// The ID as text.
    pub fn as_str(&self) -> &str {
        // Hexadecimal digits and dashes are ASCII: never the default.
        core::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The ID's 36 ASCII bytes.
    pub fn as_bytes(&self) -> &[u8; 36] {
        &self.0
    }
}

impl Default for RequestId {
    /// `00000000-0000-0000-0000-000000000000`.
    fn default() -> RequestId {
        RequestId(with_dashes([b'0'; 32]))
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl AsRef<str> for RequestId {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq<str> for RequestId {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for RequestId {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// The request IDs of an endpoint seeded with `seed`, one after the other.
#[derive(Clone, Debug)]
pub(super) struct RequestIds {
    pub(super) seed: u64,
    pub(super) next: u64,
}

impl RequestIds {
    pub(super) fn next_id(&mut self) -> RequestId {
        let count = self.next;
        self.next = self.next.wrapping_add(1);
        request_id(self.seed, count)
    }
}

/// The `count`-th request ID (from 0) of an endpoint seeded with `seed`.
/// Distinct counts of one seed give distinct IDs.
pub fn request_id(seed: u64, count: u64) -> RequestId {
    let high = id::mix((count ^ seed).wrapping_add(id::GOLDEN_GAMMA));
    let low = id::mix(high ^ 0x5265_7175_6573_7449);
    let mut digits = [0u8; 32];
    let (high_digits, low_digits) = digits.split_at_mut(16);
    hex(high, high_digits);
    hex(low, low_digits);
    RequestId(with_dashes(digits))
}

/// `number`'s 16 hexadecimal digits, most significant first.
fn hex(number: u64, digits: &mut [u8]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for (at, digit) in digits.iter_mut().enumerate() {
        let nibble = (number >> (60 - 4 * at)) & 0xF;
        *digit = HEX[nibble as usize];
    }
}

/// 32 digits in groups of 8, 4, 4, 4 and 12.
fn with_dashes(digits: [u8; 32]) -> [u8; 36] {
    let mut text = [b'-'; 36];
    text[..8].copy_from_slice(&digits[..8]);
    text[9..13].copy_from_slice(&digits[8..12]);
    text[14..18].copy_from_slice(&digits[12..16]);
    text[19..23].copy_from_slice(&digits[16..20]);
    text[24..].copy_from_slice(&digits[20..]);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The IDs as `format!` first wrote them: writing them faster must not
    /// change one.
    #[test]
    fn request_ids_are_written_as_format_wrote_them() {
        for seed in [0, 7, u64::MAX, 0x0123_4567_89AB_CDEF] {
            let mut ids = RequestIds { seed, next: 0 };
            for count in 0..1_000u64 {
                let high = id::mix((count ^ seed).wrapping_add(id::GOLDEN_GAMMA));
                let low = id::mix(high ^ 0x5265_7175_6573_7449);
                let formatted = format!(
                    "{:08X}-{:04X}-{:04X}-{:04X}-{:012X}",
                    high >> 32,
                    (high >> 16) & 0xFFFF,
                    high & 0xFFFF,
                    low >> 48,
                    low & 0xFFFF_FFFF_FFFF
                );
                assert_eq!(
                    ids.next_id().as_str(),
                    formatted,
                    "seed {seed}, count {count}"
                );
            }
        }
    }

    #[test]
    fn the_default_is_all_zeros_and_an_id_shows_as_its_text() {
        let nil = RequestId::default();
        assert_eq!(nil.as_str(), "00000000-0000-0000-0000-000000000000");
        let id = request_id(0, 0);
        assert_eq!(format!("{id}"), id.as_str());
        assert_eq!(format!("{id:?}"), format!("{:?}", id.as_str()));
        assert!(id == id.as_str() && id.as_bytes() == id.as_str().as_bytes());
    }
}
