//! The hashers of the world's maps: none reads a random source, so the
//! model behaves the same on every run.

use std::collections::hash_map::DefaultHasher;
use std::hash::{BuildHasherDefault, Hasher};

/// SipHash with fixed keys: unlike `RandomState` it reads no random source.
/// For keys that come from callers: account names, image names, client
/// tokens.
pub(super) type Fixed = BuildHasherDefault<DefaultHasher>;

/// A cheap hasher for keys the model issues itself: account and region
/// handles. (Image IDs are not hashed at all: an ID names its slot of the
/// image table, see `table`.)
pub(super) type Issued = BuildHasherDefault<IssuedHasher>;

/// One 64-bit multiply, folded: the hash of [`Issued`] maps.
///
/// SipHash buys nothing here: every key these maps hold is one the model
/// made, small counters that no caller chooses, so no caller can fill a
/// table with colliding keys. The folded multiply spreads the counters'
/// low bits into the high bits hashbrown tags with.
#[derive(Clone, Copy, Default, Debug)]
pub(super) struct IssuedHasher(u64);

impl Hasher for IssuedHasher {
    fn write(&mut self, bytes: &[u8]) {
        // Not used by the keys above (integers only); correct for any key.
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
            self.0 = fold(self.0);
        }
    }

    fn write_u32(&mut self, n: u32) {
        // (owner, region): both halves kept apart, so pairs do not collide.
        self.0 = self.0.rotate_left(32) ^ u64::from(n);
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = self.0.rotate_left(32) ^ n;
    }

    fn finish(&self) -> u64 {
        fold(self.0)
    }
}

/// The high and low halves of `x` times an odd constant, XORed.
fn fold(x: u64) -> u64 {
    let product = u128::from(x) * 0x9e37_79b9_7f4a_7c15;
    (product as u64) ^ ((product >> 64) as u64)
}
