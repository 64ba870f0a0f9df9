//! Loading and saving: the persistent build cache in `.briefing-cache/`, read with the site and written after a build.
//!
//! It holds highlighted code blocks keyed by a hash of the language and the code. Every
//! entry is also tied to the `briefing` binary that wrote it (which fixes the syntect
//! version and its themes), so a new binary starts from an empty cache. Deleting the
//! folder, or building with `--no-cache`, only costs time: output never depends on it.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Mutex;

use crate::highlight;

/// The cache folder, inside the site's root.
pub const DIR_NAME: &str = ".briefing-cache";
const HIGHLIGHT_FILE: &str = "highlight-v1.bin";

/// Highlighted code blocks: the ones read from disk, and the ones highlighted this build.
#[derive(Default)]
pub struct Highlights {
    known: HashMap<u128, String>,
    /// Keys of the known entries this build used: what [`Highlights::save`] keeps of them.
    used: Mutex<HashSet<u128>>,
    /// Entries highlighted this build.
    fresh: Mutex<HashMap<u128, String>>,
}

impl Highlights {
    /// The cache in `dir`, or an empty one when there is none or it is from another binary
    /// or unreadable: a bad cache is dropped, never reported.
    pub fn load(dir: &Path) -> Highlights {
        let known = std::fs::read(dir.join(HIGHLIGHT_FILE))
            .ok()
            .and_then(|bytes| parse(&bytes, &binary_stamp()))
            .unwrap_or_default();
        Highlights {
            known,
            ..Highlights::default()
        }
    }

    /// [`highlight::highlight`], from the cache when this code was highlighted before.
    pub fn highlight(&self, code: &str, language: &str) -> String {
        let key = key(code, language);
        if let Some(html) = self.known.get(&key) {
            if let Ok(mut used) = self.used.lock() {
                used.insert(key);
            }
            return html.clone();
        }
        let html = highlight::highlight(code, language);
        if let Ok(mut fresh) = self.fresh.lock() {
            fresh.insert(key, html.clone());
        }
        html
    }

    /// Write the entries this build used to `dir`, replacing the previous cache file whole.
    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        let used = self.used.lock().map_err(poisoned)?;
        let fresh = self.fresh.lock().map_err(poisoned)?;
        let mut bytes = binary_stamp().into_bytes();
        bytes.push(b'\n');
        let mut entries: Vec<(&u128, &String)> = used
            .iter()
            .filter_map(|key| self.known.get_key_value(key))
            .chain(fresh.iter())
            .collect();
        entries.sort_by_key(|(key, _)| **key);
        for (key, html) in entries {
            bytes.extend_from_slice(&key.to_le_bytes());
            bytes.extend_from_slice(&(html.len() as u64).to_le_bytes());
            bytes.extend_from_slice(html.as_bytes());
        }
        std::fs::create_dir_all(dir)?;
        let temporary = dir.join(format!("{HIGHLIGHT_FILE}.{}.tmp", std::process::id()));
        std::fs::write(&temporary, bytes)?;
        std::fs::rename(&temporary, dir.join(HIGHLIGHT_FILE))
    }
}

fn poisoned<T>(_: T) -> std::io::Error {
    std::io::Error::other("a highlighting thread panicked")
}

fn parse(bytes: &[u8], stamp: &str) -> Option<HashMap<u128, String>> {
    let rest = bytes.strip_prefix(stamp.as_bytes())?.strip_prefix(b"\n")?;
    let mut known = HashMap::new();
    let mut at = 0;
    while at < rest.len() {
        let key = u128::from_le_bytes(rest.get(at..at + 16)?.try_into().ok()?);
        let len = u64::from_le_bytes(rest.get(at + 16..at + 24)?.try_into().ok()?);
        let start = at + 24;
        let end = start.checked_add(usize::try_from(len).ok()?)?;
        let html = std::str::from_utf8(rest.get(start..end)?).ok()?;
        known.insert(key, html.to_string());
        at = end;
    }
    Some(known)
}

/// Which binary wrote a cache: its version, size and modification time, so a rebuilt
/// binary (a new syntect, a changed highlighter) never reads an old cache.
fn binary_stamp() -> String {
    let exe = std::env::current_exe()
        .and_then(std::fs::metadata)
        .map(|meta| {
            let modified = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            format!("{} {modified}", meta.len())
        })
        .unwrap_or_default();
    format!(
        "briefing {} highlight cache, binary {exe}",
        env!("CARGO_PKG_VERSION")
    )
}

/// Two 64-bit FNV-1a hashes with different seeds: a stable 128-bit key, so a collision
/// between two code blocks is not a practical concern. The language is hashed with its
/// length so `("ab", "c")` and `("a", "bc")` differ.
fn key(code: &str, language: &str) -> u128 {
    let hash = |seed: u64| {
        let mut h = seed;
        let mut eat = |bytes: &[u8]| {
            for b in bytes {
                h ^= u64::from(*b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        };
        eat(&(language.len() as u64).to_le_bytes());
        eat(language.as_bytes());
        eat(code.as_bytes());
        h
    };
    (u128::from(hash(0xcbf2_9ce4_8422_2325)) << 64) | u128::from(hash(0x8422_2325_cbf2_9ce4))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_cache_gives_the_same_html() {
        let dir = tempfile::tempdir().unwrap();
        let first = Highlights::load(dir.path());
        let html = first.highlight("fn main() {}\n", "rust");
        first.save(dir.path()).unwrap();
        let second = Highlights::load(dir.path());
        assert_eq!(second.known.len(), 1);
        assert_eq!(second.highlight("fn main() {}\n", "rust"), html);
        assert_eq!(html, highlight::highlight("fn main() {}\n", "rust"));
    }

    #[test]
    fn a_damaged_or_foreign_cache_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Highlights::load(dir.path());
        cache.highlight("x = 1\n", "python");
        cache.save(dir.path()).unwrap();
        let path = dir.path().join(HIGHLIGHT_FILE);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.truncate(bytes.len() - 3);
        std::fs::write(&path, &bytes).unwrap();
        assert!(Highlights::load(dir.path()).known.is_empty());
        std::fs::write(&path, b"briefing 0.0.0 highlight cache, binary 1 2\n").unwrap();
        assert!(Highlights::load(dir.path()).known.is_empty());
    }

    #[test]
    fn keys_tell_language_and_code_apart() {
        assert_ne!(key("c", "ab"), key("bc", "a"));
        assert_ne!(key("x", "rust"), key("x", "python"));
    }
}
