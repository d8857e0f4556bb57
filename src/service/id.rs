//! Image and snapshot IDs: `m-` or `s-` and 20 lowercase letters and
//! digits, never reused.

use core::fmt;
use core::str::FromStr;

/// The ID of an image, such as `m-7yzo1ofl3jf0xga5hq4m`.
///
/// An ID is a 64-bit number written as 20 base-36 characters: 7 that check
/// the number, then the 13 of the number itself, so that IDs look as random
/// as the service's and a mistyped ID is recognised as no ID at all.
///
/// ```
/// use ecs_image_copy::ImageId;
///
/// let id = ImageId::from_number(42);
/// assert_eq!(id.to_string().len(), 22);
/// assert_eq!(id.to_string().parse(), Ok(id));
/// assert!("m-imageid1".parse::<ImageId>().is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(into = "String", try_from = "String")
)]
pub struct ImageId(u64);

const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
const NUMBER_CHARS: usize = 13;
const CHECK_CHARS: usize = 7;
const ID_CHARS: usize = 2 + CHECK_CHARS + NUMBER_CHARS;

/// How one kind of ID is written: its prefix, and the salt of its check
/// characters, so that an image's ID and its snapshot's never look alike.
#[derive(Clone, Copy)]
struct Scheme {
    prefix: &'static str,
    salt: u64,
}

const IMAGE: Scheme = Scheme {
    prefix: "m-",
    salt: 0x6d2d_6563_735f_6964,
};

const SNAPSHOT: Scheme = Scheme {
    prefix: "s-",
    salt: 0x732d_6563_735f_6964,
};

impl Scheme {
    fn check(self, number: u64) -> u64 {
        mix(number ^ self.salt) % 36u64.pow(CHECK_CHARS as u32)
    }

    /// The whole ID's bytes, without `core::fmt`: what `Display` writes,
    /// and what a response body copies, once or twice per image.
    fn ascii(self, number: u64) -> [u8; ID_CHARS] {
        let mut text = [0u8; ID_CHARS];
        let (prefix, digits) = text.split_at_mut(self.prefix.len());
        prefix.copy_from_slice(self.prefix.as_bytes());
        let (check, digits) = digits.split_at_mut(CHECK_CHARS);
        write_base36(check, self.check(number));
        write_base36(digits, number);
        text
    }

    /// The number `text` writes, if it is an ID of this scheme.
    fn parse(self, text: &str) -> Option<u64> {
        // Two bytes compared as a number, not by a call to `memcmp`.
        let (prefix, body) = text.as_bytes().split_first_chunk::<2>()?;
        if prefix != self.prefix.as_bytes() {
            return None;
        }
        let (check, digits) = body.split_first_chunk::<CHECK_CHARS>()?;
        let number = parse_base36::<NUMBER_CHARS>(digits.try_into().ok()?)?;
        (parse_base36(check)? == self.check(number)).then_some(number)
    }
}

impl ImageId {
    /// The ID whose number is `number`.
    pub const fn from_number(number: u64) -> ImageId {
        ImageId(number)
    }

    /// The number this ID writes.
    pub const fn number(self) -> u64 {
        self.0
    }

    /// The ID `text` writes, if it is one: [`parse`](str::parse) without
    /// its error, which a lookup that answers "not found" either way would
    /// build only to drop.
    pub(crate) fn read(text: &str) -> Option<ImageId> {
        IMAGE.parse(text).map(ImageId)
    }

    /// The ID of the image's system disk snapshot: the same number, so an
    /// image's snapshot costs no memory while the image exists, and is
    /// never any other image's.
    pub const fn snapshot(self) -> SnapshotId {
        SnapshotId(self.0)
    }
}

/// The ID of a snapshot, such as `s-0g6dy1ooz9jy7bwd9pqd`: written as an
/// [`ImageId`] is, after `s-`.
///
/// Every image has a system disk snapshot, which DescribeImages lists in
/// `DiskDeviceMappings`; DeleteImage leaves it, and DeleteSnapshot deletes
/// it once no image uses it.
///
/// ```
/// use ecs_image_copy::{ImageId, SnapshotId};
///
/// let snapshot = ImageId::from_number(42).snapshot();
/// assert!(snapshot.to_string().starts_with("s-"));
/// assert_eq!(snapshot.to_string().parse::<SnapshotId>(), Ok(snapshot));
/// assert_eq!(snapshot.image(), ImageId::from_number(42));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(into = "String", try_from = "String")
)]
pub struct SnapshotId(u64);

impl SnapshotId {
    /// The image whose system disk this is a snapshot of (which may since
    /// have been deleted).
    pub const fn image(self) -> ImageId {
        ImageId(self.0)
    }
}

/// The ID of the image at `key` (a slot of the image table and its
/// generation, see `table`) in a world seeded with `seed`: distinct keys
/// give distinct IDs, and [`ImageId::key`] gives the key back.
pub(crate) const fn key_id(seed: u64, key: u64) -> ImageId {
    ImageId(mix((key ^ seed).wrapping_add(GOLDEN_GAMMA)))
}

impl ImageId {
    /// The ID that a store of a world seeded with `seed` issues for the
    /// key `key`, say the next value of a database sequence: distinct keys
    /// give distinct IDs, shaped like the service's. (The default store's
    /// keys are slots of its image table.)
    pub const fn keyed(seed: u64, key: u64) -> ImageId {
        key_id(seed, key)
    }

    /// The key that [`key_id`] made this ID from, for the same seed. Every
    /// ID decodes to some key; whether an image lives there is the table's
    /// question.
    pub(crate) const fn key(self, seed: u64) -> u64 {
        unmix(self.0).wrapping_sub(GOLDEN_GAMMA) ^ seed
    }
}

/// Splitmix64's increment, which keeps `mix` away from its fixed point 0.
pub(crate) const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

const MIX_1: u64 = 0xbf58_476d_1ce4_e5b9;
const MIX_2: u64 = 0x94d0_49bb_1331_11eb;

/// A bijection of `u64` (the splitmix64 finalizer): distinct inputs give
/// distinct outputs, which is what makes IDs from distinct keys distinct.
pub(crate) const fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(MIX_1);
    x = (x ^ (x >> 27)).wrapping_mul(MIX_2);
    x ^ (x >> 31)
}

/// The inverse of [`mix`], step by step backwards.
const fn unmix(mut x: u64) -> u64 {
    x = unshift(x, 31).wrapping_mul(inverse(MIX_2));
    x = unshift(x, 27).wrapping_mul(inverse(MIX_1));
    unshift(x, 30)
}

/// The inverse of `x ^ (x >> shift)`: each pass recovers `shift` more of
/// the high bits.
const fn unshift(x: u64, shift: u32) -> u64 {
    let mut y = x;
    let mut known = shift;
    while known < u64::BITS {
        y = x ^ (y >> shift);
        known += shift;
    }
    y
}

/// The multiplicative inverse of an odd `a` modulo 2^64, by Newton's
/// iteration: `a` is its own inverse modulo 8, and each step doubles the
/// correct low bits (3, 6, 12, 24, 48, 96).
const fn inverse(a: u64) -> u64 {
    let mut x = a;
    let mut step = 0;
    while step < 5 {
        x = x.wrapping_mul(2u64.wrapping_sub(a.wrapping_mul(x)));
        step += 1;
    }
    x
}

const _: () = assert!(MIX_1.wrapping_mul(inverse(MIX_1)) == 1);
const _: () = assert!(MIX_2.wrapping_mul(inverse(MIX_2)) == 1);

/// Writes `value`'s last `digits.len()` base-36 digits into `digits`, two
/// at a time from [`DIGIT_PAIRS`]: half the divisions, as itoa does for
/// decimal.
fn write_base36(digits: &mut [u8], mut value: u64) {
    const PAIR: u64 = 36 * 36;
    let mut pairs = digits.rchunks_exact_mut(2);
    for pair in &mut pairs {
        pair.copy_from_slice(&DIGIT_PAIRS[(value % PAIR) as usize]);
        value /= PAIR;
    }
    for digit in pairs.into_remainder() {
        *digit = DIGITS[(value % 36) as usize];
    }
}

/// Every number below 36 x 36 as its two base-36 digits.
const DIGIT_PAIRS: [[u8; 2]; 36 * 36] = {
    let mut pairs = [[0; 2]; 36 * 36];
    let mut n = 0;
    while n < pairs.len() {
        pairs[n] = [DIGITS[n / 36], DIGITS[n % 36]];
        n += 1;
    }
    pairs
};

impl ImageId {
    /// The ID's 22 bytes, as `Display` writes them, for a response body to
    /// copy without `core::fmt`.
    pub(crate) fn ascii(self) -> [u8; ID_CHARS] {
        IMAGE.ascii(self.0)
    }
}

impl SnapshotId {
    /// The ID's 22 bytes, as `Display` writes them.
    pub(crate) fn ascii(self) -> [u8; ID_CHARS] {
        SNAPSHOT.ascii(self.0)
    }
}

/// An ID in one write: each `write_str` is a call through `f`.
fn write_id(text: &[u8; ID_CHARS], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    // Base-36 digits are ASCII, so this never fails.
    f.write_str(core::str::from_utf8(text).map_err(|_| fmt::Error)?)
}

impl fmt::Display for ImageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_id(&self.ascii(), f)
    }
}

impl fmt::Display for SnapshotId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_id(&self.ascii(), f)
    }
}

/// Text that is not an image or snapshot ID this crate could have issued.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[error("`{text}` is not an ID of the form {prefix}xxxxxxxxxxxxxxxxxxxx")]
pub struct ImageIdError {
    text: String,
    prefix: &'static str,
}

/// Each byte's value as a base-36 digit; [`NO_DIGIT`] for any other byte.
const DIGIT_VALUES: [u8; 256] = {
    let mut values = [NO_DIGIT; 256];
    let mut digit = 0;
    while digit < DIGITS.len() {
        values[DIGITS[digit] as usize] = digit as u8;
        digit += 1;
    }
    values
};
const NO_DIGIT: u8 = u8::MAX;

/// The number `digits` writes in base 36, 13 digits at most, of which the
/// first 12 cannot overflow `u64` (36^12 < 2^63), so only the last step
/// is checked and the loop has no branch. The length is a constant, so
/// the loop unrolls.
fn parse_base36<const N: usize>(digits: &[u8; N]) -> Option<u64> {
    const { assert!(N <= NUMBER_CHARS) };
    let (&last, head) = digits.split_last()?;
    let mut value: u64 = 0;
    // Every digit is below 36 and `NO_DIGIT` has its high bit set, so one
    // test of the bytes' union finds any byte that is not a digit.
    let mut union = digit_value(last);
    for &c in head {
        let digit = digit_value(c);
        union |= digit;
        value = value.wrapping_mul(36).wrapping_add(u64::from(digit));
    }
    if union & 0x80 != 0 {
        return None;
    }
    value
        .checked_mul(36)?
        .checked_add(u64::from(digit_value(last)))
}

fn digit_value(byte: u8) -> u8 {
    DIGIT_VALUES[usize::from(byte)]
}

impl FromStr for ImageId {
    type Err = ImageIdError;

    fn from_str(text: &str) -> Result<ImageId, ImageIdError> {
        ImageId::read(text).ok_or_else(|| IMAGE.error(text))
    }
}

impl FromStr for SnapshotId {
    type Err = ImageIdError;

    fn from_str(text: &str) -> Result<SnapshotId, ImageIdError> {
        SNAPSHOT
            .parse(text)
            .map(SnapshotId)
            .ok_or_else(|| SNAPSHOT.error(text))
    }
}

impl Scheme {
    fn error(self, text: &str) -> ImageIdError {
        ImageIdError {
            text: text.to_owned(),
            prefix: self.prefix,
        }
    }
}

/// IDs travel as text, in snapshots and journals.
macro_rules! text_conversions {
    ($($id:ident),+) => {$(
        impl From<$id> for String {
            fn from(id: $id) -> String {
                id.to_string()
            }
        }

        impl TryFrom<String> for $id {
            type Error = ImageIdError;

            fn try_from(text: String) -> Result<$id, ImageIdError> {
                text.parse()
            }
        }
    )+};
}

text_conversions!(ImageId, SnapshotId);

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys of every shape: small counters, slot and generation pairs, and
    /// the spread a mixer gives.
    fn keys() -> impl Iterator<Item = u64> {
        let counters = 0..1_000u64;
        let slots = (0..64u64).flat_map(|g| [g << 32, (g << 32) | 0xffff_ffff, u64::MAX - g]);
        let spread = (0..10_000u64).map(|n| mix(n.wrapping_mul(GOLDEN_GAMMA)));
        counters.chain(slots).chain(spread)
    }

    #[test]
    fn key_recovers_what_key_id_encoded_for_any_seed() {
        for seed in [0, 7, u64::MAX, 0x6d2d_6563_735f_6964] {
            for key in keys() {
                assert_eq!(key_id(seed, key).key(seed), key, "seed {seed}, key {key}");
            }
        }
    }

    #[test]
    fn unmix_inverts_mix_both_ways() {
        for x in keys() {
            assert_eq!(unmix(mix(x)), x);
            assert_eq!(mix(unmix(x)), x);
        }
    }

    #[test]
    fn image_and_snapshot_ids_of_one_number_never_read_as_each_other() {
        for key in keys() {
            let image = key_id(3, key);
            let snapshot = image.snapshot().to_string();
            assert_eq!(snapshot.parse(), Ok(image.snapshot()));
            assert!(snapshot.parse::<ImageId>().is_err(), "{snapshot}");
            let swapped = format!("m-{}", &snapshot[2..]);
            assert!(swapped.parse::<ImageId>().is_err(), "{swapped}");
        }
        let error = "m-imageid1".parse::<SnapshotId>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "`m-imageid1` is not an ID of the form s-xxxxxxxxxxxxxxxxxxxx"
        );
    }

    /// Base 36 one digit at a time, as IDs were first written.
    fn base36_digit_by_digit(digits: &mut [u8], mut value: u64) {
        for digit in digits.iter_mut().rev() {
            *digit = DIGITS[(value % 36) as usize];
            value /= 36;
        }
    }

    #[test]
    fn digits_written_in_pairs_are_the_digits_written_one_by_one() {
        let values = keys().chain([36u64.pow(7) - 1, 36u64.pow(12), u64::MAX]);
        for value in values {
            for width in [1, 2, 7, 13] {
                let (mut pairs, mut singles) = ([0u8; 13], [0u8; 13]);
                write_base36(&mut pairs[..width], value);
                base36_digit_by_digit(&mut singles[..width], value);
                assert_eq!(pairs, singles, "{value} in {width} digits");
            }
        }
        let id = ImageId::from_number(u64::MAX);
        assert_eq!(id.to_string().as_bytes(), id.ascii());
        assert_eq!(id.snapshot().to_string().as_bytes(), id.snapshot().ascii());
    }

    #[test]
    fn parse_reads_back_every_written_id_and_refuses_overflow() {
        for key in keys() {
            let id = key_id(3, key);
            assert_eq!(id.to_string().parse(), Ok(id));
        }
        // 13 `z`s are 36^13 - 1, past `u64::MAX`: no number, no ID.
        assert_eq!(parse_base36(b"zzzzzzzzzzzzz"), None);
        assert_eq!(parse_base36(b"3w5e11264sgsf"), Some(u64::MAX));
        assert_eq!(parse_base36(b"3w5e11264sgsg"), None);
        assert_eq!(parse_base36(b"00000000000A0"), None);
        assert_eq!(parse_base36(b"0000000000-00"), None);
    }

    /// What `parse_base36` must compute, a digit at a time.
    fn parse_slowly(text: &[u8]) -> Option<u64> {
        text.iter().try_fold(0u64, |value, &byte| {
            let lower = byte.is_ascii_digit() || byte.is_ascii_lowercase();
            let digit = char::from(byte).to_digit(36).filter(|_| lower)?;
            value.checked_mul(36)?.checked_add(u64::from(digit))
        })
    }

    /// `parse_base36` of `text`, and of `text` with any one byte changed
    /// to any value, agrees with `parse_slowly`.
    fn agrees_for_every_byte_in_every_place<const N: usize>(text: &[u8; N]) {
        assert_eq!(parse_base36(text), parse_slowly(text));
        for place in 0..N {
            for byte in 0..=u8::MAX {
                let mut changed = *text;
                changed[place] = byte;
                assert_eq!(
                    parse_base36(&changed),
                    parse_slowly(&changed),
                    "{changed:?}"
                );
            }
        }
    }

    #[test]
    fn parse_base36_agrees_with_a_digit_at_a_time_for_every_byte_in_every_place() {
        agrees_for_every_byte_in_every_place(b"3w5e11264sgsf");
        agrees_for_every_byte_in_every_place(b"zzzzzzzzzzzzz");
        agrees_for_every_byte_in_every_place(b"0000000");
        agrees_for_every_byte_in_every_place(b"a9");
    }
}
