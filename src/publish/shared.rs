//! Loading and saving: the highlight cache every site of a user shares, in the platform's
//! cache folder, so that a fresh clone or a second site with the same code builds warm.
//!
//! A block's file is named by a hash of what its HTML is made from — the format of this
//! cache, syntect's version (which fixes its grammars) and the language and code — never by
//! the binary or the site, so any build of any site may use it. Each entry is one file,
//! written to a temporary name and renamed into place, so two builds at once never see a
//! torn or mixed entry; each carries a CRC-32 of its HTML, so damage is a miss with one
//! warning. Reading an entry refreshes its time, and a build that added entries evicts the
//! least recently used ones once the folder is over its size bound.

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use crate::render::highlight::Block;

/// The environment variable that moves the shared cache (`off` turns it off).
pub const DIR_VAR: &str = "BRIEFING_CACHE_DIR";
/// The environment variable that bounds its size, in MiB.
pub const LIMIT_VAR: &str = "BRIEFING_CACHE_LIMIT_MB";
const DEFAULT_LIMIT_MB: u64 = 1024;
/// Bumped whenever the HTML made from the same code changes for a reason other than
/// syntect's version (the class prefix, escaping, merging of spans).
const FORMAT: &str = "briefing-highlight-1";
/// syntect's version, part of every key; `tests` keeps it equal to Cargo.lock's.
const SYNTECT_VERSION: &str = "5.3.0";
const MAGIC: &[u8; 4] = b"BHC1";
const HEADER: usize = 4 + 1 + 4 + 4;
/// An entry read is given a new time only when its time is older than this, so a warm
/// build does not write the time of every block it reads.
const TOUCH_AFTER: Duration = Duration::from_secs(3600);
/// A temporary file older than this was left by a build that stopped.
const STALE_TEMP: Duration = Duration::from_secs(3600);

/// Where the shared cache is: `flag` (`--cache-dir`), else the environment variable, else
/// the platform's cache folder (`~/.cache/briefing` on Linux). None when turned off
/// (`off` in either) or when the platform has no cache folder.
pub fn locate(flag: Option<&Path>) -> Option<PathBuf> {
    let chosen = flag
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os(DIR_VAR).map(PathBuf::from))
        .or_else(|| dirs::cache_dir().map(|d| d.join("briefing")))?;
    (chosen.as_os_str() != "off" && !chosen.as_os_str().is_empty()).then_some(chosen)
}

/// The size bound: the environment variable in MiB, or 1 GiB.
fn limit() -> u64 {
    std::env::var(LIMIT_VAR)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(DEFAULT_LIMIT_MB)
        .saturating_mul(1024 * 1024)
}

/// The shared highlight cache of one build.
pub struct Shared {
    dir: PathBuf,
    limit: u64,
    stored: AtomicUsize,
    hits: AtomicUsize,
    /// A counter for temporary names, unique within the process (the pid makes them
    /// unique across processes).
    next_temp: AtomicU64,
    damage_reported: AtomicBool,
    write_reported: AtomicBool,
    /// Never written (`check`, which writes nothing).
    read_only: bool,
}

impl Shared {
    /// The cache in `dir` (created when the first entry is written).
    pub fn open(dir: &Path) -> Shared {
        Shared {
            dir: dir.join("highlight-v1"),
            limit: limit(),
            stored: AtomicUsize::new(0),
            hits: AtomicUsize::new(0),
            next_temp: AtomicU64::new(0),
            damage_reported: AtomicBool::new(false),
            write_reported: AtomicBool::new(false),
            read_only: false,
        }
    }

    /// The cache in `dir`, read but never written.
    pub fn read_only(dir: &Path) -> Shared {
        Shared {
            read_only: true,
            ..Shared::open(dir)
        }
    }

    /// Blocks found here this build.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::Relaxed)
    }

    fn path(&self, key: u128) -> PathBuf {
        let name = format!("{:032x}", shared_key(key));
        self.dir.join(&name[..2]).join(&name[2..])
    }

    /// The block of `key` (a [`crate::render::highlight::block_key`]), if an earlier build
    /// of any site stored it.
    pub fn get(&self, key: u128) -> Option<Block> {
        let path = self.path(key);
        let mut file = File::open(&path).ok()?;
        let mut bytes = Vec::new();
        // An entry is small; one bigger than a block could be is damage.
        if std::io::Read::take(&mut file, u64::from(u32::MAX))
            .read_to_end(&mut bytes)
            .is_err()
        {
            return None;
        }
        match decode(&bytes) {
            Ok((known, html)) => {
                self.hits.fetch_add(1, Ordering::Relaxed);
                touch(&file);
                Some(Block {
                    key,
                    known,
                    html: html.to_string(),
                })
            }
            Err(reason) => {
                if !self.damage_reported.swap(true, Ordering::Relaxed) {
                    eprintln!(
                        "warning: {}: a shared cached code block {reason}; it is highlighted again",
                        path.display()
                    );
                }
                // Replaced by the block highlighted now.
                if !self.read_only {
                    let _ = std::fs::remove_file(&path);
                }
                None
            }
        }
    }

    /// Store a block just highlighted. A failure costs a later build time only, and is
    /// said once.
    pub fn put(&self, key: u128, known: bool, html: &str) {
        if self.read_only {
            return;
        }
        let path = self.path(key);
        if let Err(err) = self.write(&path, &encode(known, html)) {
            if !self.write_reported.swap(true, Ordering::Relaxed) {
                eprintln!(
                    "warning: cannot write the shared highlight cache in {}: {err}; code is highlighted without it",
                    self.dir.display()
                );
            }
            return;
        }
        self.stored.fetch_add(1, Ordering::Relaxed);
    }

    fn write(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        let parent = path.parent().unwrap_or(&self.dir);
        std::fs::create_dir_all(parent)?;
        let temp = parent.join(format!(
            ".tmp-{}-{}",
            std::process::id(),
            self.next_temp.fetch_add(1, Ordering::Relaxed)
        ));
        let written = File::create(&temp).and_then(|mut file| file.write_all(bytes));
        // The rename is atomic: a reader sees the old entry, no entry, or the new one.
        match written.and_then(|()| std::fs::rename(&temp, path)) {
            Ok(()) => Ok(()),
            Err(err) => {
                let _ = std::fs::remove_file(&temp);
                Err(err)
            }
        }
    }

    /// After a build that stored blocks: when the folder is over its bound, remove the
    /// least recently used entries until it is under nine tenths of it.
    pub fn evict(&self) {
        if self.stored.load(Ordering::Relaxed) == 0 {
            return;
        }
        let mut entries = Vec::new();
        let mut total = 0u64;
        let now = SystemTime::now();
        for entry in walkdir::WalkDir::new(&self.dir)
            .min_depth(2)
            .max_depth(2)
            .into_iter()
            .filter_map(Result::ok)
        {
            let Ok(meta) = entry.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            if entry.file_name().to_string_lossy().starts_with(".tmp-") {
                if now.duration_since(modified).unwrap_or_default() > STALE_TEMP {
                    let _ = std::fs::remove_file(entry.path());
                }
                continue;
            }
            total += meta.len();
            entries.push((modified, meta.len(), entry.into_path()));
        }
        if total <= self.limit {
            return;
        }
        entries.sort();
        let target = self.limit / 10 * 9;
        for (_, len, path) in entries {
            if total <= target {
                break;
            }
            if std::fs::remove_file(&path).is_ok() {
                total -= len;
            }
        }
    }
}

/// The file name's hash: the format, syntect's version and the block's own key.
fn shared_key(key: u128) -> u128 {
    crate::util::hash::Key::new()
        .add(FORMAT)
        .add(SYNTECT_VERSION)
        .add(&key)
        .finish()
}

fn encode(known: bool, html: &str) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(HEADER + html.len());
    bytes.extend_from_slice(MAGIC);
    bytes.push(u8::from(known));
    bytes.extend_from_slice(&crc32fast::hash(html.as_bytes()).to_le_bytes());
    bytes.extend_from_slice(&u32::try_from(html.len()).unwrap_or(u32::MAX).to_le_bytes());
    bytes.extend_from_slice(html.as_bytes());
    bytes
}

fn decode(bytes: &[u8]) -> Result<(bool, &str), &'static str> {
    let (header, html) = bytes.split_at_checked(HEADER).ok_or("is cut short")?;
    if header.get(..4) != Some(MAGIC.as_slice()) {
        return Err("is not an entry of this cache");
    }
    let word = |at: usize| {
        header
            .get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_le_bytes)
    };
    let (Some(crc), Some(len)) = (word(5), word(9)) else {
        return Err("is cut short");
    };
    if usize::try_from(len).ok() != Some(html.len()) {
        return Err("has the wrong length");
    }
    if crc32fast::hash(html) != crc {
        return Err("fails its checksum");
    }
    let known = match header.get(4) {
        Some(0) => false,
        Some(1) => true,
        _ => return Err("is not an entry of this cache"),
    };
    std::str::from_utf8(html)
        .map(|html| (known, html))
        .map_err(|_| "is not text")
}

/// Refresh an entry's time when it is old, for the least-recently-used eviction.
fn touch(file: &File) {
    let now = SystemTime::now();
    let old = file
        .metadata()
        .and_then(|m| m.modified())
        .map(|m| now.duration_since(m).unwrap_or_default() > TOUCH_AFTER)
        .unwrap_or(false);
    if old {
        let _ = file.set_modified(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntect_version_is_the_locked_one() {
        let lock = include_str!("../../Cargo.lock");
        let locked = lock
            .split("[[package]]")
            .find(|p| p.contains("\nname = \"syntect\"\n"))
            .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = \"")))
            .map(|v| v.trim_end_matches('"'));
        assert_eq!(
            locked,
            Some(SYNTECT_VERSION),
            "update SYNTECT_VERSION so shared cache entries of the old grammars are not used"
        );
    }

    #[test]
    fn entries_round_trip_and_damage_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let shared = Shared::open(dir.path());
        assert!(shared.get(7).is_none());
        shared.put(7, true, "<span class=\"hl-k\">fn</span>");
        let block = shared.get(7).unwrap();
        assert!(block.known);
        assert_eq!(block.html, "<span class=\"hl-k\">fn</span>");
        assert_eq!(shared.hits(), 1);

        let path = shared.path(7);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert!(shared.get(7).is_none(), "a flipped byte");
        std::fs::write(&path, &bytes[..5]).unwrap();
        assert!(shared.get(7).is_none(), "cut short");
    }

    #[test]
    fn eviction_keeps_the_most_recently_used_under_the_bound() {
        let dir = tempfile::tempdir().unwrap();
        let mut shared = Shared::open(dir.path());
        shared.limit = 10 * 1024;
        let html = "x".repeat(1000);
        for key in 0..20u128 {
            shared.put(key, false, &html);
            let old = SystemTime::now() - Duration::from_secs(1000 - key as u64);
            File::options()
                .write(true)
                .open(shared.path(key))
                .unwrap()
                .set_modified(old)
                .unwrap();
        }
        shared.evict();
        let kept: Vec<u128> = (0..20).filter(|&k| shared.path(k).exists()).collect();
        assert_eq!(
            kept,
            (11..20).collect::<Vec<_>>(),
            "the newest, under 9 KiB"
        );
    }
}
