//! Shared: hashing: 128-bit keys of everything an output is made from, for the build
//! cache and the preview's memos.

use std::hash::{Hash, Hasher as _};

/// A 128-bit hash of everything fed to it, for cache keys. Two SipHash states with
/// different keys: std's SipHash is fixed within one binary, and every cache is tied to
/// the binary that wrote it, so the keys need be stable only that far.
pub struct Key(std::hash::DefaultHasher, std::hash::DefaultHasher);

impl Default for Key {
    fn default() -> Self {
        let mut second = std::hash::DefaultHasher::new();
        0x9E37_79B9_7F4A_7C15u64.hash(&mut second);
        Key(std::hash::DefaultHasher::new(), second)
    }
}

impl Key {
    pub fn new() -> Key {
        Key::default()
    }

    /// Feed a value (with its length, for strings, so `("ab", "c")` and `("a", "bc")` differ).
    pub fn add<T: Hash + ?Sized>(&mut self, value: &T) -> &mut Self {
        value.hash(&mut self.0);
        value.hash(&mut self.1);
        self
    }

    pub fn finish(&self) -> u128 {
        (u128::from(self.0.finish()) << 64) | u128::from(self.1.finish())
    }
}

/// Bytes written to a key are hashed (to hash a serialization without building it).
impl std::io::Write for Key {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.write(bytes);
        self.1.write(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
