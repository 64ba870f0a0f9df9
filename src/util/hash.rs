//! Shared: hashing: 128-bit keys of everything an output is made from, for the build
//! cache, the shared cache and the preview's memos.

use std::hash::{Hash, Hasher};

/// A 128-bit hash of everything fed to it, for cache keys: XXH3, whose output is fixed by
/// its specification (so a key names the same thing in every binary, which the shared
/// cache relies on) and which reads the sources of a large site many times faster than
/// SipHash: a preview rebuild hashes every page's source and key.
pub struct Key(Xxh3);

struct Xxh3(twox_hash::XxHash3_128);

impl Hasher for Xxh3 {
    fn write(&mut self, bytes: &[u8]) {
        self.0.write(bytes);
    }

    /// Never used for keys ([`Key::finish`] takes all 128 bits).
    fn finish(&self) -> u64 {
        self.0.finish_128() as u64
    }
}

impl Default for Key {
    fn default() -> Self {
        Key(Xxh3(twox_hash::XxHash3_128::new()))
    }
}

impl Key {
    pub fn new() -> Key {
        Key::default()
    }

    /// Feed a value (with its length, for strings, so `("ab", "c")` and `("a", "bc")` differ).
    pub fn add<T: Hash + ?Sized>(&mut self, value: &T) -> &mut Self {
        value.hash(&mut self.0);
        self
    }

    pub fn finish(&self) -> u128 {
        self.0.0.finish_128()
    }
}

/// Bytes written to a key are hashed (to hash a serialization without building it).
impl std::io::Write for Key {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.write(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_separate_what_they_are_fed_and_are_the_same_in_every_binary() {
        let key = |parts: &[&str]| {
            let mut key = Key::new();
            for part in parts {
                key.add(part);
            }
            key.finish()
        };
        assert_ne!(key(&["ab", "c"]), key(&["a", "bc"]));
        assert_eq!(key(&["ab", "c"]), key(&["ab", "c"]));
        // XXH3-128 is specified: the key of nothing is the algorithm's, in every binary.
        assert_eq!(Key::new().finish(), twox_hash::XxHash3_128::oneshot(b""));
    }
}
