//! Loading and saving: the cache every site of a user shares, in the platform's cache
//! folder, so that a fresh clone or a second site with the same code builds warm: the
//! highlighted code blocks ([`Shared`]) and the pages built by this binary ([`SharedPages`]).
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
const FORMAT: &str = "briefing-highlight-2";
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

/// `shared` as the second cache a site's own highlight cache asks.
pub fn as_highlight_cache(
    shared: &Option<std::sync::Arc<Shared>>,
) -> Option<std::sync::Arc<dyn crate::render::highlight::HighlightCache + Send>> {
    shared
        .clone()
        .map(|s| s as std::sync::Arc<dyn crate::render::highlight::HighlightCache + Send>)
}

/// The shared highlight cache of one build.
pub struct Shared {
    root: PathBuf,
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
            root: dir.to_path_buf(),
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
        let temp = path.with_file_name(format!(
            ".tmp-{}-{}",
            std::process::id(),
            self.next_temp.fetch_add(1, Ordering::Relaxed)
        ));
        write_atomically(path, temp, bytes)
    }

    /// After a build that stored blocks: see [`evict`].
    pub fn evict(&self) {
        if self.stored.load(Ordering::Relaxed) > 0 {
            evict(&self.root, self.limit);
        }
    }
}

impl crate::render::highlight::HighlightCache for Shared {
    fn lookup(&self, key: u128) -> Option<Block> {
        self.get(key)
    }

    fn store(&self, key: u128, known: bool, html: &str) {
        self.put(key, known, html);
    }
}

/// When the shared cache in `root` is over `limit` bytes, remove the least recently used
/// entries (of every kind) until it is under nine tenths of it.
fn evict(root: &Path, limit: u64) {
    {
        let mut entries = Vec::new();
        let mut total = 0u64;
        let now = SystemTime::now();
        for entry in walkdir::WalkDir::new(root)
            .min_depth(3)
            .max_depth(3)
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
        if total <= limit {
            return;
        }
        entries.sort();
        let target = limit / 10 * 9;
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

/// Pages this binary built, for any site: a page whose source is the same is found by
/// that, then checked like a record of the site's own cache (its Markdown key, then its
/// output key), and its bytes are written instead of rendering it again.
pub struct SharedPages {
    root: PathBuf,
    dir: PathBuf,
    stamp: String,
    limit: u64,
    read_only: bool,
    stored: AtomicUsize,
    next_temp: AtomicU64,
    damage_reported: AtomicBool,
}

/// An entry: magic, the lengths and CRC-32s of the record and of the output, the output key
/// it was made with, then the record (postcard) and the output.
const PAGE_MAGIC: &[u8; 4] = b"BPC1";
const PAGE_HEADER: usize = 4 + 8 + 4 + 8 + 4 + 16;

impl SharedPages {
    pub fn open(dir: &Path) -> SharedPages {
        SharedPages {
            root: dir.to_path_buf(),
            dir: dir.join("pages-v1"),
            stamp: super::cache::binary_stamp(),
            limit: limit(),
            read_only: false,
            stored: AtomicUsize::new(0),
            next_temp: AtomicU64::new(0),
            damage_reported: AtomicBool::new(false),
        }
    }

    /// Where the entry of `page` is: named by this binary and the page's source.
    fn path(&self, page: &crate::load::content::Page) -> PathBuf {
        let key = crate::util::hash::Key::new()
            .add(&self.stamp)
            .add(&page.rel)
            .add(&page.url)
            .add(&page.body)
            .add(&page.front_key)
            .finish();
        let name = format!("{key:032x}");
        self.dir.join(&name[..2]).join(&name[2..])
    }

    /// The record of an earlier build of a page with this source, if there is one.
    pub fn record(&self, page: &crate::load::content::Page) -> Option<super::cache::PageRecord> {
        let path = self.path(page);
        let mut file = File::open(&path).ok()?;
        let mut header = [0u8; PAGE_HEADER];
        file.read_exact(&mut header).ok()?;
        let (record_len, record_crc, ..) = self.header(&path, &header)?;
        let size = file.metadata().ok()?.len();
        if record_len > size {
            self.damaged(&path);
            return None;
        }
        let mut record = vec![0u8; usize::try_from(record_len).ok()?];
        file.read_exact(&mut record).ok()?;
        if crc32fast::hash(&record) != record_crc {
            self.damaged(&path);
            return None;
        }
        touch(&file);
        postcard::from_bytes(&record).ok()
    }

    /// The bytes of the page built with `output_key`, if the entry holds them.
    pub fn output(&self, page: &crate::load::content::Page, output_key: u128) -> Option<Vec<u8>> {
        let path = self.path(page);
        let file = File::open(&path).ok()?;
        let mut header = [0u8; PAGE_HEADER];
        std::os::unix::fs::FileExt::read_exact_at(&file, &mut header, 0).ok()?;
        let (record_len, _, output_len, output_crc, key) = self.header(&path, &header)?;
        if key != output_key {
            return None;
        }
        let size = file.metadata().ok()?.len();
        if PAGE_HEADER as u64 + record_len + output_len != size {
            self.damaged(&path);
            return None;
        }
        let mut output = vec![0u8; usize::try_from(output_len).ok()?];
        std::os::unix::fs::FileExt::read_exact_at(
            &file,
            &mut output,
            PAGE_HEADER as u64 + record_len,
        )
        .ok()?;
        if crc32fast::hash(&output) != output_crc {
            self.damaged(&path);
            return None;
        }
        Some(output)
    }

    fn header(
        &self,
        path: &Path,
        header: &[u8; PAGE_HEADER],
    ) -> Option<(u64, u32, u64, u32, u128)> {
        let u64_at = |at: usize| Some(u64::from_le_bytes(header.get(at..at + 8)?.try_into().ok()?));
        let u32_at = |at: usize| Some(u32::from_le_bytes(header.get(at..at + 4)?.try_into().ok()?));
        let key = u128::from_le_bytes(header.get(28..44)?.try_into().ok()?);
        if header.get(..4) != Some(PAGE_MAGIC.as_slice()) {
            self.damaged(path);
            return None;
        }
        Some((u64_at(4)?, u32_at(12)?, u64_at(16)?, u32_at(24)?, key))
    }

    fn damaged(&self, path: &Path) {
        if !self.damage_reported.swap(true, Ordering::Relaxed) {
            eprintln!(
                "warning: {}: a shared cached page is damaged; it is rendered again",
                path.display()
            );
        }
        if !self.read_only {
            let _ = std::fs::remove_file(path);
        }
    }

    /// Keep a page just rendered, for the next build of a page with the same source.
    pub fn store(
        &self,
        page: &crate::load::content::Page,
        record: &super::cache::PageRecord,
        output: &[u8],
    ) {
        if self.read_only {
            return;
        }
        let Ok(record_bytes) = postcard::to_stdvec(record) else {
            return;
        };
        let mut bytes = Vec::with_capacity(PAGE_HEADER + record_bytes.len() + output.len());
        bytes.extend_from_slice(PAGE_MAGIC);
        bytes.extend_from_slice(&(record_bytes.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&crc32fast::hash(&record_bytes).to_le_bytes());
        bytes.extend_from_slice(&(output.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&crc32fast::hash(output).to_le_bytes());
        bytes.extend_from_slice(&record.output_key.to_le_bytes());
        bytes.extend_from_slice(&record_bytes);
        bytes.extend_from_slice(output);
        let path = self.path(page);
        let temp = || {
            path.with_file_name(format!(
                ".tmp-{}-{}",
                std::process::id(),
                self.next_temp.fetch_add(1, Ordering::Relaxed)
            ))
        };
        if write_atomically(&path, temp(), &bytes).is_ok() {
            self.stored.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// After a build that stored pages: see [`evict`].
    pub fn evict(&self) {
        if self.stored.load(Ordering::Relaxed) > 0 {
            evict(&self.root, self.limit);
        }
    }
}

impl std::fmt::Debug for SharedPages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedPages")
            .field("dir", &self.dir)
            .finish()
    }
}

/// Write `bytes` to `temp`, then rename it to `path`: a reader sees the old entry, none,
/// or the new one, never a part.
fn write_atomically(path: &Path, temp: PathBuf, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let written = File::create(&temp).and_then(|mut file| file.write_all(bytes));
    match written.and_then(|()| std::fs::rename(&temp, path)) {
        Ok(()) => Ok(()),
        Err(err) => {
            let _ = std::fs::remove_file(&temp);
            Err(err)
        }
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
