//! Image IDs: `m-` and 20 lowercase letters and digits, never reused.

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
const PREFIX: &str = "m-";

impl ImageId {
    /// The ID whose number is `number`.
    pub const fn from_number(number: u64) -> ImageId {
        ImageId(number)
    }

    /// The number this ID writes.
    pub const fn number(self) -> u64 {
        self.0
    }

    fn check(self) -> u64 {
        mix(self.0 ^ 0x6d2d_6563_735f_6964) % 36u64.pow(CHECK_CHARS as u32)
    }
}

/// The ID of the `seq`-th image of a world seeded with `seed`: distinct for
/// distinct `seq`, and never zero-looking for the first.
pub(crate) const fn nth_image_id(seed: u64, seq: u64) -> ImageId {
    ImageId(mix((seq ^ seed).wrapping_add(GOLDEN_GAMMA)))
}

/// Splitmix64's increment, which keeps `mix` away from its fixed point 0.
pub(crate) const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// A bijection of `u64` (the splitmix64 finalizer): distinct inputs give
/// distinct outputs, which is what makes IDs from a sequence unique.
pub(crate) const fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn write_base36(f: &mut fmt::Formatter<'_>, mut value: u64, width: usize) -> fmt::Result {
    let mut chars = [b'0'; NUMBER_CHARS];
    for slot in chars[..width].iter_mut().rev() {
        *slot = DIGITS[(value % 36) as usize];
        value /= 36;
    }
    // Base-36 digits are ASCII, so this never fails.
    f.write_str(core::str::from_utf8(&chars[..width]).map_err(|_| fmt::Error)?)
}

impl fmt::Display for ImageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(PREFIX)?;
        write_base36(f, self.check(), CHECK_CHARS)?;
        write_base36(f, self.0, NUMBER_CHARS)
    }
}

/// Text that is not an image ID this crate could have issued.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[error("`{0}` is not an image ID of the form m-xxxxxxxxxxxxxxxxxxxx")]
pub struct ImageIdError(String);

fn parse_base36(text: &[u8]) -> Option<u64> {
    text.iter().try_fold(0u64, |acc, &c| {
        let digit = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'z' => c - b'a' + 10,
            _ => return None,
        };
        acc.checked_mul(36)?.checked_add(u64::from(digit))
    })
}

impl FromStr for ImageId {
    type Err = ImageIdError;

    fn from_str(text: &str) -> Result<ImageId, ImageIdError> {
        let parse = || {
            let body = text.strip_prefix(PREFIX)?.as_bytes();
            if body.len() != CHECK_CHARS + NUMBER_CHARS {
                return None;
            }
            let (check, number) = body.split_at(CHECK_CHARS);
            let id = ImageId(parse_base36(number)?);
            (parse_base36(check)? == id.check()).then_some(id)
        };
        parse().ok_or_else(|| ImageIdError(text.to_owned()))
    }
}

impl From<ImageId> for String {
    fn from(id: ImageId) -> String {
        id.to_string()
    }
}

impl TryFrom<String> for ImageId {
    type Error = ImageIdError;

    fn try_from(text: String) -> Result<ImageId, ImageIdError> {
        text.parse()
    }
}
