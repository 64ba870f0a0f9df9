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
const FORMAT: &str = "briefing-highlight-3";
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

/// The shared highlight cache in `dir` as the second cache a site's own asks, for the
/// commands that do not evict (`check`, which only reads it; `report`; `serve`).
pub fn highlight_cache(
    dir: Option<&Path>,
    write: bool,
) -> Option<std::sync::Arc<dyn crate::render::highlight::HighlightCache + Send>> {
    let dir = dir?;
    let shared = if write {
        Shared::open(dir)
    } else {
        Shared::read_only(dir)
    };
    Some(std::sync::Arc::new(shared))
}

/// The folders of entries this cache owns inside its root: the only places eviction looks,
/// so a `--cache-dir` pointed at a folder holding other files never loses one of them.
const FOLDERS: [&str; 2] = ["highlight-v1", "pages-v1"];

/// The largest entry read: a page of several megabytes is rare; more is damage.
const MAX_ENTRY: u64 = 256 * 1024 * 1024;

/// One kind of entry: a folder of files named by a 128-bit hash (`ab/cdef…`), each written
/// under a temporary name and renamed into place.
struct Store {
    dir: PathBuf,
    /// What an entry is, for warnings: "code block", "page".
    what: &'static str,
    /// Never written (`check`, which writes nothing).
    read_only: bool,
    stored: AtomicUsize,
    /// A counter for temporary names, unique within the process (the pid makes them
    /// unique across processes).
    next_temp: AtomicU64,
    damage_reported: AtomicBool,
    write_reported: AtomicBool,
}

impl Store {
    fn new(root: &Path, folder: &'static str, what: &'static str, read_only: bool) -> Store {
        Store {
            dir: root.join(folder),
            what,
            read_only,
            stored: AtomicUsize::new(0),
            next_temp: AtomicU64::new(0),
            damage_reported: AtomicBool::new(false),
            write_reported: AtomicBool::new(false),
        }
    }

    fn path(&self, name: u128) -> PathBuf {
        let name = format!("{name:032x}");
        self.dir.join(&name[..2]).join(&name[2..])
    }

    /// The entry at `path`, open, and its size; None when there is none (or it is too
    /// large to be one, which is damage).
    fn open(&self, path: &Path) -> Option<(File, u64)> {
        let file = File::open(path).ok()?;
        let size = file.metadata().ok()?.len();
        if size > MAX_ENTRY {
            self.damaged(path, "is larger than any entry");
            return None;
        }
        Some((file, size))
    }

    /// Write an entry, atomically. A failure costs a later build time only, and is said once.
    fn write(&self, path: &Path, bytes: &[u8]) {
        if self.read_only {
            return;
        }
        let temp = path.with_file_name(format!(
            ".tmp-{}-{}",
            std::process::id(),
            self.next_temp.fetch_add(1, Ordering::Relaxed)
        ));
        match write_atomically(path, temp, bytes) {
            Ok(()) => {
                self.stored.fetch_add(1, Ordering::Relaxed);
            }
            Err(err) => {
                if !self.write_reported.swap(true, Ordering::Relaxed) {
                    eprintln!(
                        "warning: cannot write the shared cache in {}: {err}; the build goes on without it",
                        self.dir.display()
                    );
                }
            }
        }
    }

    /// A damaged entry: said once, and removed (the build writes it again).
    fn damaged(&self, path: &Path, reason: &str) {
        if !self.damage_reported.swap(true, Ordering::Relaxed) {
            eprintln!(
                "warning: {}: a shared cached {} {reason}; it is made again",
                path.display(),
                self.what
            );
        }
        if !self.read_only {
            let _ = std::fs::remove_file(path);
        }
    }

    fn grew(&self) -> bool {
        self.stored.load(Ordering::Relaxed) > 0
    }
}

/// The shared highlight cache of one build.
pub struct Shared {
    store: Store,
}

impl Shared {
    /// The cache in `dir` (created when the first entry is written).
    pub fn open(dir: &Path) -> Shared {
        Shared {
            store: Store::new(dir, FOLDERS[0], "code block", false),
        }
    }

    /// The cache in `dir`, read but never written.
    pub fn read_only(dir: &Path) -> Shared {
        Shared {
            store: Store::new(dir, FOLDERS[0], "code block", true),
        }
    }

    fn path(&self, key: u128) -> PathBuf {
        self.store.path(shared_key(key))
    }

    /// The block of `key` (a [`crate::render::highlight::block_key`]), if an earlier build
    /// of any site stored it.
    pub fn get(&self, key: u128) -> Option<Block> {
        let path = self.path(key);
        let (mut file, size) = self.store.open(&path)?;
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        file.read_to_end(&mut bytes).ok()?;
        match decode(&bytes) {
            Ok((known, html)) => {
                touch(&file);
                Some(Block {
                    key,
                    known,
                    html: html.to_string(),
                })
            }
            Err(reason) => {
                self.store.damaged(&path, reason);
                None
            }
        }
    }

    /// Store a block just highlighted.
    pub fn put(&self, key: u128, known: bool, html: &str) {
        self.store.write(&self.path(key), &encode(known, html));
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

/// After a build: when it added entries to the shared cache in `dir`, and the cache is
/// over its bound, remove the least recently used entries (of every kind) until it is
/// under nine tenths of it.
pub fn evict_after(dir: &Path, blocks: Option<&Shared>, pages: Option<&SharedPages>) {
    let grew = blocks.is_some_and(|b| b.store.grew()) || pages.is_some_and(|p| p.store.grew());
    if grew {
        evict(dir, limit());
    }
}

fn evict(root: &Path, limit: u64) {
    let mut entries = Vec::new();
    let mut total = 0u64;
    let now = SystemTime::now();
    let walked = FOLDERS.iter().flat_map(|folder| {
        walkdir::WalkDir::new(root.join(folder))
            .min_depth(2)
            .max_depth(2)
            .into_iter()
            .filter_map(Result::ok)
    });
    for entry in walked {
        let name = entry.file_name().to_string_lossy();
        let temp = name.starts_with(".tmp-");
        let ours = temp || (name.len() == 30 && name.bytes().all(|b| b.is_ascii_hexdigit()));
        let Ok(meta) = entry.metadata() else { continue };
        if !ours || !meta.is_file() {
            continue;
        }
        let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        if temp {
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
    store: Store,
    stamp: String,
}

/// An entry: magic, the lengths and CRC-32s of the record and of the output, the output key
/// it was made with, then the record (postcard) and the output.
const PAGE_MAGIC: &[u8; 4] = b"BPC1";
const PAGE_HEADER: usize = 4 + 8 + 4 + 8 + 4 + 16;

/// A page entry's header, read.
struct PageHeader {
    record_len: u64,
    record_crc: u32,
    output_len: u64,
    output_crc: u32,
    output_key: u128,
}

impl SharedPages {
    pub fn open(dir: &Path) -> SharedPages {
        SharedPages {
            store: Store::new(dir, FOLDERS[1], "page", false),
            stamp: super::cache::binary_stamp(),
        }
    }

    /// Where the entry of `page` is: named by this binary and the page's source.
    fn path(&self, page: &crate::load::content::Page) -> PathBuf {
        self.store.path(
            crate::util::hash::Key::new()
                .add(&self.stamp)
                .add(&page.rel)
                .add(&page.url)
                .add(&page.body_key)
                .add(&page.front_key)
                .finish(),
        )
    }

    /// The entry of `page`, open, with its header; damage is reported.
    fn entry(&self, page: &crate::load::content::Page) -> Option<(File, PathBuf, PageHeader)> {
        let path = self.path(page);
        let (file, size) = self.store.open(&path)?;
        let mut bytes = [0u8; PAGE_HEADER];
        let header = std::os::unix::fs::FileExt::read_exact_at(&file, &mut bytes, 0)
            .ok()
            .and_then(|()| read_header(&bytes));
        match header {
            Some(h) if PAGE_HEADER as u64 + h.record_len + h.output_len == size => {
                Some((file, path, h))
            }
            _ => {
                self.store
                    .damaged(&path, "is cut short or not an entry of this cache");
                None
            }
        }
    }

    /// The record of an earlier build of a page with this source, if there is one.
    pub fn record(&self, page: &crate::load::content::Page) -> Option<super::cache::PageRecord> {
        let (file, path, header) = self.entry(page)?;
        let record = self.part(
            &file,
            &path,
            PAGE_HEADER as u64,
            header.record_len,
            header.record_crc,
        )?;
        touch(&file);
        postcard::from_bytes(&record).ok()
    }

    /// The bytes of the page built with `output_key`, if the entry holds them.
    pub fn output(&self, page: &crate::load::content::Page, output_key: u128) -> Option<Vec<u8>> {
        let (file, path, header) = self.entry(page)?;
        if header.output_key != output_key {
            return None;
        }
        let at = PAGE_HEADER as u64 + header.record_len;
        self.part(&file, &path, at, header.output_len, header.output_crc)
    }

    /// `len` bytes of the entry from `at`, checked against `crc`.
    fn part(&self, file: &File, path: &Path, at: u64, len: u64, crc: u32) -> Option<Vec<u8>> {
        let mut bytes = vec![0u8; usize::try_from(len).ok()?];
        std::os::unix::fs::FileExt::read_exact_at(file, &mut bytes, at).ok()?;
        if crc32fast::hash(&bytes) != crc {
            self.store.damaged(path, "fails its checksum");
            return None;
        }
        Some(bytes)
    }

    /// Keep a page just rendered, for the next build of a page with the same source.
    pub fn store(
        &self,
        page: &crate::load::content::Page,
        record: &super::cache::PageRecord,
        output: &[u8],
    ) {
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
        self.store.write(&self.path(page), &bytes);
    }
}

fn read_header(bytes: &[u8; PAGE_HEADER]) -> Option<PageHeader> {
    let u64_at = |at: usize| Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?));
    let u32_at = |at: usize| Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?));
    if bytes.get(..4) != Some(PAGE_MAGIC.as_slice()) {
        return None;
    }
    Some(PageHeader {
        record_len: u64_at(4)?,
        record_crc: u32_at(12)?,
        output_len: u64_at(16)?,
        output_crc: u32_at(24)?,
        output_key: u128::from_le_bytes(bytes.get(28..44)?.try_into().ok()?),
    })
}

impl std::fmt::Debug for SharedPages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedPages")
            .field("dir", &self.store.dir)
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
    fn eviction_keeps_the_most_recently_used_under_the_bound_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let shared = Shared::open(dir.path());
        // Files that are not entries of this cache, old and large, are never removed.
        let other = [
            dir.path().join("notes/a/b.txt"),
            dir.path().join("highlight-v1/ab/not-an-entry"),
        ];
        for path in &other {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "y".repeat(50_000)).unwrap();
            File::options()
                .write(true)
                .open(path)
                .unwrap()
                .set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1))
                .unwrap();
        }
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
        evict(dir.path(), 10 * 1024);
        for path in &other {
            assert!(path.exists(), "{}", path.display());
        }
        let kept: Vec<u128> = (0..20).filter(|&k| shared.path(k).exists()).collect();
        assert_eq!(
            kept,
            (11..20).collect::<Vec<_>>(),
            "the newest, under 9 KiB"
        );
    }
}
