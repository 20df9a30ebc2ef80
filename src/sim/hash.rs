//! A fast, deterministic hash for the engine's integer-keyed lookup tables,
//! and the SplitMix64 finalizer it is built on.
//!
//! Maps using it are only ever looked up, never iterated, so their hash
//! order cannot reach an output.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// The SplitMix64 finalizer: every input bit affects every output bit.
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Hashes integers by mixing them in, 64 bits at a time.
#[derive(Clone, Copy, Debug, Default)]
pub struct MixHasher(u64);

impl Hasher for MixHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = mix(self.0 ^ v);
    }

    fn write_u128(&mut self, v: u128) {
        self.write_u64(v as u64);
        self.write_u64((v >> 64) as u64);
    }
}

/// A `HashMap` with `MixHasher`: for lookups by integer key, never iterated.
pub type LookupMap<K, V> = HashMap<K, V, BuildHasherDefault<MixHasher>>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::Hash;

    fn hash_of(v: impl Hash) -> u64 {
        let mut h = MixHasher::default();
        v.hash(&mut h);
        h.finish()
    }

    #[test]
    fn neighbouring_keys_spread() {
        let a = hash_of(1u128);
        let b = hash_of(2u128);
        assert_ne!(a, b);
        assert!((a ^ b).count_ones() > 16, "{a:x} {b:x}");
        assert_eq!(hash_of(7u32), hash_of(7u32));
    }
}
