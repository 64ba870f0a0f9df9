//! Loading and saving: the persistent build cache in `.briefing-cache/`, read with the site and written after a build.
//!
//! It holds two things, both tied to the `briefing` binary that wrote them (which fixes
//! the syntect version, its themes and every rendering rule), so a new binary starts
//! from an empty cache:
//! - highlighted code blocks keyed by a hash of the language and the code, in a data
//!   file read block by block on demand (so a build never holds them all in memory) and
//!   an index;
//! - one record per page: the keys of what its output was made from, what other pages
//!   need of it (summary, word count) and what the link check needs (ids, references),
//!   so a page whose inputs did not change is neither rendered nor rewritten.
//!
//! Deleting the folder, or building with `--no-cache`, only costs time: output never
//! depends on it. Every file and every block carries a CRC-32 and every length is checked
//! against the file's size before anything is allocated, so damage (a crash, a full disk,
//! a stray edit) costs a cold build or a miss and one line on stderr, never wrong output
//! or a failure. A cache written by another binary is dropped without a word.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{Read as _, Write as _};
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::render::highlight::{Block, HighlightCache};

/// The cache folder, inside the site's root.
pub const DIR_NAME: &str = ".briefing-cache";
const INDEX_FILE: &str = "highlight-v3.idx";
const DATA_FILE: &str = "highlight-v3.dat";
const PAGES_FILE: &str = "pages-v2.bin";
/// Files of earlier layouts, which nothing reads any more: removed when the cache is saved.
const OLD_FILES: &[&str] = &[
    "highlight-v1.bin",
    "highlight-v2.idx",
    "highlight-v2.dat",
    "pages-v1.bin",
];
/// Every block in the data file starts with its key, length and the CRC-32 of its HTML,
/// checked on every read, so damage, or an index that does not match the data (two builds
/// at once), only costs a miss.
const HEADER: usize = 16 + 4 + 4;

/// Where a highlighted block sits in the data file.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Entry {
    offset: u64,
    len: u32,
    /// Whether syntect knew the language (the block gets a `language-…` class).
    known: bool,
}

/// The index of the data file (the binary that wrote it is in the file's header).
#[derive(Serialize, Deserialize)]
struct Index {
    entries: Vec<(u128, Entry)>,
}

/// A block highlighted this build: where it was appended, or (kept in memory) its HTML
/// LZ4-compressed (a twelfth of its size: a preview of 10,000 pages without a cache to
/// leave code to held 200 MB of it).
type Fresh = (Entry, Option<Box<[u8]>>);

/// Highlighted code blocks: the ones of earlier builds (read from disk when asked for),
/// and the ones highlighted this build (appended to the data file as they are made).
#[derive(Default)]
pub struct Highlights {
    dir: Option<PathBuf>,
    known: HashMap<u128, Entry>,
    /// The data file of earlier builds and its size when opened (no read goes past it).
    data: Option<(File, u64)>,
    /// Appends go to the data file; without one (`--no-cache`, a read-only preview),
    /// fresh blocks are kept in memory when `keep_fresh` says so.
    append: Mutex<Option<(File, u64)>>,
    keep_fresh: bool,
    fresh: Mutex<HashMap<u128, Fresh>>,
    used: Mutex<HashSet<u128>>,
    /// A damaged block was found: said once, not once per block.
    damage_reported: AtomicBool,
    /// The index is damaged: it is rewritten even if nothing else changed, so the
    /// warning is not repeated by every build.
    index_damaged: bool,
    /// The highlight cache every site of the user shares, asked after this one.
    shared: Option<std::sync::Arc<dyn HighlightCache + Send>>,
    /// Blocks highlighted this build (found in neither cache).
    highlighted: std::sync::atomic::AtomicUsize,
}

impl HighlightCache for Highlights {
    fn lookup(&self, key: u128) -> Option<Block> {
        self.find(key)
    }

    fn store(&self, key: u128, known: bool, html: &str) {
        self.highlighted.fetch_add(1, Ordering::Relaxed);
        if !self.leaves_to_shared() {
            self.put(key, known, html);
        }
        if let Some(shared) = &self.shared {
            shared.store(key, known, html);
        }
    }

    fn keep(&self, keys: &[u128]) {
        self.mark_used(keys);
    }
}

impl Highlights {
    /// No cache: every block is highlighted, nothing is kept (`--no-cache`).
    pub fn none() -> Highlights {
        Highlights::default()
    }

    /// The cache in `dir`; blocks highlighted this build are appended to it.
    pub fn open(dir: &Path) -> Highlights {
        let mut highlights = Highlights::read_only(dir);
        highlights.keep_fresh = false;
        highlights.dir = Some(dir.to_path_buf());
        highlights
    }

    /// This cache, backed by the shared one: a block missing here is looked for there, and
    /// a block highlighted is stored in both.
    pub fn with_shared(
        mut self,
        shared: Option<std::sync::Arc<dyn HighlightCache + Send>>,
    ) -> Highlights {
        self.shared = shared;
        self
    }

    /// Code blocks highlighted this build, because neither cache had them.
    pub fn highlighted(&self) -> usize {
        self.highlighted.load(Ordering::Relaxed)
    }

    /// The cache in `dir`, never written: fresh blocks stay in memory for the life of
    /// this value (a preview server, which runs beside builds that write the cache).
    pub fn read_only(dir: &Path) -> Highlights {
        let (index, index_damaged) = read_records::<Index>(&dir.join(INDEX_FILE));
        let known: HashMap<u128, Entry> = index
            .map(|index| index.entries.into_iter().collect())
            .unwrap_or_default();
        // Without an index no block can be found: the data file is not even opened.
        let data = (!known.is_empty())
            .then(|| File::open(dir.join(DATA_FILE)).ok())
            .flatten()
            .and_then(|file| {
                let size = file.metadata().ok()?.len();
                Some((file, size))
            });
        Highlights {
            dir: Some(dir.to_path_buf()),
            known,
            data,
            keep_fresh: true,
            index_damaged,
            ..Highlights::default()
        }
    }

    fn find(&self, key: u128) -> Option<Block> {
        if let Some(entry) = self.known.get(&key) {
            let read = match &self.data {
                Some((file, size)) => read_block(file, *size, key, entry),
                None => Err("is missing: the data file cannot be opened"),
            };
            match read {
                Ok(html) => {
                    self.used.lock().ok()?.insert(key);
                    return Some(Block {
                        key,
                        known: entry.known,
                        html,
                    });
                }
                Err(reason) => self.report_damage(reason),
            }
        }
        if let Some(block) = self.find_fresh(key) {
            return Some(block);
        }
        let block = self.shared.as_ref()?.lookup(key)?;
        // Kept here too, so this site's next build finds it without the shared cache.
        if !self.leaves_to_shared() {
            self.put(key, block.known, &block.html);
        }
        Some(block)
    }

    /// A cache that is never written (the preview) keeps the blocks it did not have in
    /// memory, unless the shared cache, which it reads as well, keeps them: else the
    /// preview of a site without a build cache would hold all of its code for as long as
    /// it runs (10,000 pages: 200 MB of HTML, held compressed).
    fn leaves_to_shared(&self) -> bool {
        self.keep_fresh && self.shared.is_some()
    }

    fn find_fresh(&self, key: u128) -> Option<Block> {
        let (entry, packed) = {
            let fresh = self.fresh.lock().ok()?;
            let (entry, packed) = fresh.get(&key)?;
            (*entry, packed.clone())
        };
        let html = match packed {
            // Unpacked outside the lock: the build's threads look blocks up at once.
            Some(packed) => {
                String::from_utf8(lz4_flex::block::decompress_size_prepended(&packed).ok()?).ok()?
            }
            None => {
                let append = self.append.lock().ok()?;
                let (file, end) = append.as_ref()?;
                read_block(file, *end, key, &entry).ok()?
            }
        };
        Some(Block {
            key,
            known: entry.known,
            html,
        })
    }

    fn report_damage(&self, reason: &str) {
        if !self.damage_reported.swap(true, Ordering::Relaxed) {
            let path = self.dir.as_deref().unwrap_or(Path::new(DIR_NAME));
            eprintln!(
                "warning: {}: a cached code block {reason} (the cache is damaged, or another build changed it); it is highlighted again",
                path.join(DATA_FILE).display()
            );
        }
    }

    fn put(&self, key: u128, known: bool, html: &str) {
        let Ok(len) = u32::try_from(html.len()) else {
            return;
        };
        let mut entry = Entry {
            offset: 0,
            len,
            known,
        };
        if self.keep_fresh {
            if let Ok(mut fresh) = self.fresh.lock() {
                let packed = lz4_flex::block::compress_prepend_size(html.as_bytes());
                fresh.insert(key, (entry, Some(packed.into_boxed_slice())));
            }
            return;
        }
        let Some(dir) = &self.dir else { return };
        let Ok(mut append) = self.append.lock() else {
            return;
        };
        if append.is_none() {
            let _ = std::fs::create_dir_all(dir);
            let opened = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(dir.join(DATA_FILE))
                .and_then(|file| {
                    let end = file.metadata()?.len();
                    Ok((file, end))
                });
            match opened {
                Ok(opened) => *append = Some(opened),
                Err(_) => return,
            }
        }
        let Some((file, end)) = append.as_mut() else {
            return;
        };
        let mut bytes = Vec::with_capacity(HEADER + html.len());
        bytes.extend_from_slice(&block_header(key, html));
        bytes.extend_from_slice(html.as_bytes());
        if file.write_all(&bytes).is_ok() {
            entry.offset = *end;
            *end += bytes.len() as u64;
            drop(append);
            if let Ok(mut fresh) = self.fresh.lock() {
                fresh.insert(key, (entry, None));
            }
        } else {
            // A failed append leaves the end unknown: stop appending this build.
            *append = None;
        }
    }

    /// Mark blocks that pages rendered from the page cache still show, so they are kept.
    fn mark_used(&self, keys: &[u128]) {
        if let Ok(mut used) = self.used.lock() {
            used.extend(keys.iter().filter(|k| self.known.contains_key(k)));
        }
    }

    /// Write the index of the blocks this build used (read, kept or made). When most of
    /// the data file is blocks no page uses any more, it is rewritten without them.
    pub fn save(&self) -> std::io::Result<()> {
        if self.keep_fresh {
            return Ok(());
        }
        let Some(dir) = &self.dir else { return Ok(()) };
        for old in OLD_FILES {
            let _ = std::fs::remove_file(dir.join(old));
        }
        let used = self.used.lock().map_err(poisoned)?;
        let fresh = self.fresh.lock().map_err(poisoned)?;
        if fresh.is_empty() && used.len() == self.known.len() && !self.index_damaged {
            // The index would be the same.
            return Ok(());
        }
        // No fsync: a block lost in a crash fails its header check and is a miss.
        let mut entries: Vec<(u128, Entry)> = used
            .iter()
            .filter_map(|key| self.known.get(key).map(|e| (*key, *e)))
            .chain(fresh.iter().map(|(key, (entry, _))| (*key, *entry)))
            .collect();
        entries.sort_by_key(|(key, _)| *key);
        entries.dedup_by_key(|(key, _)| *key);
        let live: u64 = entries
            .iter()
            .map(|(_, e)| HEADER as u64 + u64::from(e.len))
            .sum();
        let data_path = dir.join(DATA_FILE);
        let size = std::fs::metadata(&data_path).map_or(0, |m| m.len());
        if size > 2 * live + (1 << 20) {
            entries = compact(&data_path, entries)?;
        }
        write_records(&dir.join(INDEX_FILE), &Index { entries })
    }

    /// The keys of blocks stored this build.
    #[cfg(test)]
    fn fresh_keys(&self) -> HashSet<u128> {
        self.fresh
            .lock()
            .map(|fresh| fresh.keys().copied().collect())
            .unwrap_or_default()
    }
}

/// Copy the live blocks into a new data file, which then replaces the old one.
fn compact(path: &Path, entries: Vec<(u128, Entry)>) -> std::io::Result<Vec<(u128, Entry)>> {
    let old = File::open(path)?;
    let size = old.metadata()?.len();
    let temporary = path.with_extension(format!("dat.{}.tmp", std::process::id()));
    let mut new = std::io::BufWriter::new(File::create(&temporary)?);
    let mut kept = Vec::with_capacity(entries.len());
    let mut offset = 0u64;
    for (key, entry) in entries {
        let Ok(html) = read_block(&old, size, key, &entry) else {
            continue;
        };
        new.write_all(&block_header(key, &html))?;
        new.write_all(html.as_bytes())?;
        kept.push((key, Entry { offset, ..entry }));
        offset += HEADER as u64 + u64::from(entry.len);
    }
    new.flush()?;
    drop(new);
    std::fs::rename(&temporary, path)?;
    Ok(kept)
}

/// What precedes a block's HTML in the data file: its key, length and CRC-32.
fn block_header(key: u128, html: &str) -> [u8; HEADER] {
    let mut header = [0u8; HEADER];
    header[..16].copy_from_slice(&key.to_le_bytes());
    header[16..20].copy_from_slice(&(html.len() as u32).to_le_bytes());
    header[20..].copy_from_slice(&crc32fast::hash(html.as_bytes()).to_le_bytes());
    header
}

/// The HTML of the block `entry` names, in a file of `size` bytes, or why it cannot be
/// used. The span is checked against the size first: a damaged length never sizes an
/// allocation.
fn read_block(file: &File, size: u64, key: u128, entry: &Entry) -> Result<String, &'static str> {
    let end = entry
        .offset
        .checked_add(HEADER as u64 + u64::from(entry.len))
        .filter(|&end| end <= size)
        .ok_or("lies past the end of the data file")?;
    let mut bytes = vec![0u8; (end - entry.offset) as usize];
    file.read_exact_at(&mut bytes, entry.offset)
        .map_err(|_| "cannot be read")?;
    let (header, html) = bytes.split_at(HEADER);
    if header[..16] != key.to_le_bytes() || header[16..20] != entry.len.to_le_bytes() {
        return Err("is not the block the index names");
    }
    if header[20..] != crc32fast::hash(html).to_le_bytes() {
        return Err("fails its checksum");
    }
    String::from_utf8(html.to_vec()).map_err(|_| "is not UTF-8")
}

/// Files of records (the index, the page records) start with this, then the layout, the
/// binary's stamp, the body's length and CRC-32 and the header's own CRC-32; the body is
/// postcard.
const MAGIC: &[u8; 8] = b"briefing";
const LAYOUT: u32 = 1;
/// A binary's stamp is one short line: a longer one is damage, not something to allocate.
const MAX_STAMP: usize = 1024;

fn record_header(stamp: &str, body_len: u64, body_crc: u32) -> Vec<u8> {
    let mut header = Vec::with_capacity(16 + stamp.len() + 16);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&LAYOUT.to_le_bytes());
    header.extend_from_slice(&(stamp.len() as u32).to_le_bytes());
    header.extend_from_slice(stamp.as_bytes());
    header.extend_from_slice(&body_len.to_le_bytes());
    header.extend_from_slice(&body_crc.to_le_bytes());
    let crc = crc32fast::hash(&header);
    header.extend_from_slice(&crc.to_le_bytes());
    header
}

/// Write `value` to `path` whole, as this binary's: streamed into a temporary file (a
/// large site's records are never a second time in memory), which then replaces the file.
fn write_records<T: Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    write_records_stamped(path, &binary_stamp(), value)
}

fn write_records_stamped<T: Serialize>(path: &Path, stamp: &str, value: &T) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let temporary = path.with_extension(format!("{}.tmp", std::process::id()));
    let written = (|| {
        let file = File::create(&temporary)?;
        // The header's place, filled in once the body's length and CRC are known.
        let header_len = record_header(stamp, 0, 0).len();
        let mut body = Checksummed {
            inner: std::io::BufWriter::new(&file),
            len: 0,
            crc: crc32fast::Hasher::new(),
        };
        body.inner.write_all(&vec![0; header_len])?;
        let mut body = postcard::to_io(value, body).map_err(std::io::Error::other)?;
        body.flush()?;
        let Checksummed { inner, len, crc } = body;
        drop(inner);
        file.write_all_at(&record_header(stamp, len, crc.finalize()), 0)
    })();
    if let Err(err) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(err);
    }
    std::fs::rename(&temporary, path)
}

/// A writer that counts and checksums what passes through it.
struct Checksummed<W> {
    inner: W,
    len: u64,
    crc: crc32fast::Hasher,
}

impl<W: std::io::Write> std::io::Write for Checksummed<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(bytes)?;
        self.crc.update(&bytes[..written]);
        self.len += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The records in `path`: None when there are none, when another binary wrote them, or
/// when the file is damaged (said on stderr, in one line; then the flag is true).
fn read_records<T: DeserializeOwned>(path: &Path) -> (Option<T>, bool) {
    match read_records_stamped(path, &binary_stamp()) {
        Ok(records) => (records, false),
        Err(reason) => {
            eprintln!(
                "warning: the build cache file {} {reason}; it is ignored, and rewritten by this build",
                path.display()
            );
            (None, true)
        }
    }
}

fn read_records_stamped<T: DeserializeOwned>(
    path: &Path,
    stamp: &str,
) -> Result<Option<T>, String> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(format!("cannot be read ({err})")),
    };
    let size = file
        .metadata()
        .map_err(|err| format!("cannot be read ({err})"))?
        .len();
    let cut_short = |_| format!("is cut short ({size} bytes)");
    let too_short = || format!("is cut short ({size} bytes)");
    let mut fixed = [0u8; 16];
    file.read_exact(&mut fixed).map_err(cut_short)?;
    if fixed[..8] != MAGIC[..] {
        return Err("is not a briefing cache file".to_string());
    }
    let word = |bytes: &[u8]| u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    let stamp_len = word(&fixed[12..]) as usize;
    let header_len = 16 + stamp_len + 16;
    if stamp_len > MAX_STAMP {
        return Err("has a damaged header".to_string());
    }
    if header_len as u64 > size {
        return Err(too_short());
    }
    let mut rest = vec![0u8; stamp_len + 16];
    file.read_exact(&mut rest).map_err(cut_short)?;
    let (stored_stamp, tail) = rest.split_at(stamp_len);
    let body_len = u64::from_le_bytes(tail[..8].try_into().unwrap_or_default());
    let header_crc = {
        let mut crc = crc32fast::Hasher::new();
        crc.update(&fixed);
        crc.update(stored_stamp);
        crc.update(&tail[..12]);
        crc.finalize()
    };
    if header_crc != word(&tail[12..]) {
        return Err("has a damaged header".to_string());
    }
    if word(&fixed[8..]) != LAYOUT || stored_stamp != stamp.as_bytes() {
        return Ok(None);
    }
    if body_len != size - header_len as u64 {
        return Err(format!(
            "is {size} bytes long instead of {}",
            header_len as u64 + body_len
        ));
    }
    // The length is the file's own, checked above: no larger allocation than the file.
    let mut body = vec![0u8; body_len as usize];
    file.read_exact(&mut body).map_err(cut_short)?;
    if crc32fast::hash(&body) != word(&tail[8..]) {
        return Err("fails its checksum".to_string());
    }
    postcard::from_bytes(&body)
        .map(Some)
        .map_err(|err| format!("cannot be decoded ({err})"))
}

fn poisoned<T>(_: T) -> std::io::Error {
    std::io::Error::other("a rendering thread panicked")
}

/// What the previous build knew of one page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PageRecord {
    /// Hash of everything the page's Markdown was rendered from.
    pub markdown_key: u128,
    /// Shared with the build's own copy: a large site holds every summary at once.
    pub summary: Arc<str>,
    pub listed_summary: Arc<str>,
    pub word_count: usize,
    pub figures_used: Vec<String>,
    pub charts_used: Vec<String>,
    /// The `.md` files its links name (paths inside `content/`).
    pub md_links: Vec<String>,
    /// Highlighted blocks the page shows.
    pub blocks: Vec<u128>,
    /// Hash of everything the page's output was made from.
    pub output_key: u128,
    pub output: OutputStamp,
    pub links: crate::publish::links::FileLinks,
}

/// The written output file as the build left it, to tell whether it is still there
/// untouched (for outputs kept in memory, only the length is known).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputStamp {
    pub len: u64,
    pub modified_ns: u128,
    pub inode: u64,
}

impl OutputStamp {
    /// The stamp of the file at `path` as it is now.
    pub fn of_file(path: &Path) -> Option<OutputStamp> {
        use std::os::unix::fs::MetadataExt as _;
        let meta = std::fs::symlink_metadata(path).ok()?;
        if !meta.is_file() {
            return None;
        }
        Some(OutputStamp {
            len: meta.len(),
            modified_ns: meta
                .modified()
                .ok()?
                .duration_since(std::time::UNIX_EPOCH)
                .ok()?
                .as_nanos(),
            inode: meta.ino(),
        })
    }
}

#[derive(Serialize, Deserialize)]
struct PagesFile {
    records: HashMap<String, Arc<PageRecord>>,
    check: crate::publish::links::CheckMemo,
    others: Vec<OtherGroup>,
}

/// The page records of the previous build, keyed by the page's path inside `content/`,
/// and what its link check found.
#[derive(Default, Clone)]
pub struct PageRecords {
    pub records: HashMap<String, Arc<PageRecord>>,
    pub check: crate::publish::links::CheckMemo,
    /// Pages as listings show them, kept in memory by the preview between builds (a build
    /// that runs once gains nothing from keeping a second copy of every listed page).
    pub listed: Option<Arc<crate::render::page::ListedMemo>>,
    /// The outputs besides the pages (the figures page; the 404 page, sitemap, feed and
    /// published data), each group with the key of what it was made from.
    pub others: Vec<OtherGroup>,
}

/// Outputs made together from one key: kept, like a page, while the key and the files hold.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OtherGroup {
    pub name: String,
    pub key: u128,
    /// Each file: its path, its stamp and its links (for the link check).
    pub files: Vec<(String, OutputStamp, crate::publish::links::FileLinks)>,
}

impl PageRecords {
    pub fn load(dir: &Path) -> PageRecords {
        read_records::<PagesFile>(&dir.join(PAGES_FILE))
            .0
            .map(|file| PageRecords {
                records: file.records,
                check: file.check,
                listed: None,
                others: file.others,
            })
            .unwrap_or_default()
    }

    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        #[derive(Serialize)]
        struct PagesFileRef<'a> {
            records: &'a HashMap<String, Arc<PageRecord>>,
            check: &'a crate::publish::links::CheckMemo,
            others: &'a [OtherGroup],
        }
        let file = PagesFileRef {
            records: &self.records,
            check: &self.check,
            others: &self.others,
        };
        write_records(&dir.join(PAGES_FILE), &file)
    }
}

/// Which binary wrote a cache: its version, size and modification time, so a rebuilt
/// binary (a new syntect, a changed renderer) never reads an old cache.
pub(crate) fn binary_stamp() -> String {
    static STAMP: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
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
        format!("briefing {} cache, binary {exe}", env!("CARGO_PKG_VERSION"))
    });
    STAMP.clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::highlight::{self, block_key};

    fn hl(cache: &Highlights, code: &str, language: &str) -> Block {
        highlight::highlight_cached(cache, code, language)
    }

    #[test]
    fn the_preview_leaves_new_blocks_to_the_shared_cache_when_it_has_one() {
        let dir = tempfile::tempdir().unwrap();
        // Any cache will do as the shared one: a read-only one keeps its blocks in memory.
        let other = tempfile::tempdir().unwrap();
        let shared = Arc::new(Highlights::read_only(other.path()));
        let preview = Highlights::read_only(dir.path()).with_shared(Some(shared.clone()));
        let block = hl(&preview, "fn main() {}\n", "rust");
        assert!(preview.fresh.lock().unwrap().is_empty(), "nothing held");
        assert_eq!(shared.fresh_keys().len(), 1);
        assert_eq!(hl(&preview, "fn main() {}\n", "rust").html, block.html);
        assert_eq!(preview.highlighted(), 1, "found again in the shared cache");
        // Without a shared cache the preview keeps what it highlighted.
        let alone = Highlights::read_only(dir.path());
        hl(&alone, "fn main() {}\n", "rust");
        assert_eq!(alone.fresh.lock().unwrap().len(), 1);
        assert_eq!(hl(&alone, "fn main() {}\n", "rust").html, block.html);
        assert_eq!(alone.highlighted(), 1);
        // A build's cache keeps blocks in its own files as well as in the shared cache.
        let build = Highlights::open(dir.path()).with_shared(Some(shared.clone()));
        hl(&build, "x = 1\n", "python");
        assert_eq!(build.fresh_keys().len(), 1);
        assert_eq!(shared.fresh_keys().len(), 2);
    }

    #[test]
    fn blocks_held_in_memory_are_held_compressed_and_given_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let preview = Highlights::read_only(dir.path());
        let code: String = (0..200)
            .map(|i| {
                format!(
                    "    let total_{i} = payments.iter().map(|p| p.amount * {i}).sum::<f64>();\n"
                )
            })
            .collect();
        let block = hl(&preview, &code, "rust");
        assert_eq!(block.html, highlight::highlight(&code, "rust"));
        let held: usize = preview
            .fresh
            .lock()
            .unwrap()
            .values()
            .map(|(_, packed)| packed.as_ref().map_or(0, |p| p.len()))
            .sum();
        assert!(
            held > 0 && held * 4 < block.html.len(),
            "{held} bytes held for {}",
            block.html.len()
        );
        let again = hl(&preview, &code, "rust");
        assert_eq!(again.html, block.html);
        assert_eq!(preview.highlighted(), 1, "the second time, found in memory");
    }

    #[test]
    fn a_saved_cache_gives_the_same_html() {
        let dir = tempfile::tempdir().unwrap();
        let first = Highlights::open(dir.path());
        let block = hl(&first, "fn main() {}\n", "rust");
        first.save().unwrap();
        let second = Highlights::open(dir.path());
        assert_eq!(second.known.len(), 1);
        let again = hl(&second, "fn main() {}\n", "rust");
        assert_eq!(again.html, block.html);
        assert!(again.known);
        assert_eq!(block.html, highlight::highlight("fn main() {}\n", "rust"));
        assert!(
            second.fresh_keys().is_empty(),
            "the second build highlighted nothing"
        );
    }

    #[test]
    fn a_damaged_or_foreign_cache_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Highlights::open(dir.path());
        hl(&cache, "x = 1\n", "python");
        cache.save().unwrap();
        // Data that does not match the index is a miss, not wrong output.
        let data = std::fs::read(dir.path().join(DATA_FILE)).unwrap();
        let mut flipped = data.clone();
        *flipped.last_mut().unwrap() ^= 1;
        for damaged in [flipped, b"garbage of the wrong size".to_vec()] {
            std::fs::write(dir.path().join(DATA_FILE), &damaged).unwrap();
            let cache = Highlights::open(dir.path());
            assert_eq!(cache.known.len(), 1);
            let block = hl(&cache, "x = 1\n", "python");
            assert_eq!(block.html, highlight::highlight("x = 1\n", "python"));
            assert!(cache.damage_reported.load(Ordering::Relaxed));
        }
        let index = dir.path().join(INDEX_FILE);
        std::fs::write(&index, b"not an index").unwrap();
        let damaged = Highlights::open(dir.path());
        assert!(damaged.known.is_empty());
        // Even with nothing highlighted, so that the next build does not warn again.
        damaged.save().unwrap();
        assert!(matches!(
            read_records_stamped::<Index>(&index, &binary_stamp()),
            Ok(Some(_))
        ));
        let written = |stamp: &str| {
            let entries = vec![(
                1u128,
                Entry {
                    offset: 0,
                    len: 1,
                    known: true,
                },
            )];
            write_records_stamped(&index, stamp, &Index { entries }).unwrap();
            read_records_stamped::<Index>(&index, &binary_stamp())
        };
        assert!(matches!(written(&binary_stamp()), Ok(Some(_))));
        // Another binary's cache is dropped, and is not damage.
        assert!(matches!(written("briefing 0.0.1 cache"), Ok(None)));
    }

    /// Records the largest allocation this test binary makes, so a test can show that a
    /// damaged length never sizes one.
    struct Largest;

    static LARGEST: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

    // SAFETY: every call goes to the system allocator unchanged.
    unsafe impl std::alloc::GlobalAlloc for Largest {
        unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
            LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
            // SAFETY: the caller's contract is passed on.
            unsafe { std::alloc::System.alloc(layout) }
        }

        unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
            LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
            // SAFETY: the caller's contract is passed on.
            unsafe { std::alloc::System.alloc_zeroed(layout) }
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
            // SAFETY: the caller's contract is passed on.
            unsafe { std::alloc::System.dealloc(ptr, layout) }
        }

        unsafe fn realloc(
            &self,
            ptr: *mut u8,
            layout: std::alloc::Layout,
            new_size: usize,
        ) -> *mut u8 {
            LARGEST.fetch_max(new_size, Ordering::Relaxed);
            // SAFETY: the caller's contract is passed on.
            unsafe { std::alloc::System.realloc(ptr, layout, new_size) }
        }
    }

    #[global_allocator]
    static ALLOCATOR: Largest = Largest;

    #[test]
    fn damaged_lengths_never_size_an_allocation() {
        const GIB: usize = 1 << 30;
        let dir = tempfile::tempdir().unwrap();
        let cache = Highlights::open(dir.path());
        hl(&cache, "x = 1\n", "python");
        cache.save().unwrap();
        // An index whose entry claims a 4 GiB block at the start of a small data file.
        let (key, entry) = read_records::<Index>(&dir.path().join(INDEX_FILE))
            .0
            .unwrap()
            .entries[0];
        let entries = vec![(
            key,
            Entry {
                len: u32::MAX - 64,
                ..entry
            },
        )];
        write_records(&dir.path().join(INDEX_FILE), &Index { entries }).unwrap();
        let cache = Highlights::open(dir.path());
        let block = hl(&cache, "x = 1\n", "python");
        assert_eq!(block.html, highlight::highlight("x = 1\n", "python"));
        assert!(
            LARGEST.load(Ordering::Relaxed) < GIB,
            "a block's length was allocated"
        );
        // Record files whose stamp and body claim gigabytes.
        let path = dir.path().join(PAGES_FILE);
        let header = record_header(&binary_stamp(), u64::MAX / 2, 0);
        let mut huge_stamp = header.clone();
        huge_stamp[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        for bytes in [header, huge_stamp] {
            std::fs::write(&path, &bytes).unwrap();
            assert!(read_records_stamped::<PagesFile>(&path, &binary_stamp()).is_err());
        }
        assert!(
            LARGEST.load(Ordering::Relaxed) < GIB,
            "a record length was allocated"
        );
    }

    #[test]
    fn unused_blocks_are_dropped_and_the_data_compacted() {
        let dir = tempfile::tempdir().unwrap();
        let first = Highlights::open(dir.path());
        for n in 0..200 {
            hl(
                &first,
                &format!("x = {n}\n{}\n", "# padding ".repeat(800)),
                "python",
            );
        }
        first.save().unwrap();
        let size = std::fs::metadata(dir.path().join(DATA_FILE)).unwrap().len();
        let second = Highlights::open(dir.path());
        hl(&second, "x = 0\n", "python");
        second.save().unwrap();
        let third = Highlights::open(dir.path());
        assert_eq!(third.known.len(), 1, "only the block the last build used");
        assert!(std::fs::metadata(dir.path().join(DATA_FILE)).unwrap().len() < size / 10);
        assert_eq!(
            hl(&third, "x = 0\n", "python").html,
            highlight::highlight("x = 0\n", "python")
        );
    }

    #[test]
    fn keys_tell_language_and_code_apart() {
        assert_ne!(block_key("c", "ab"), block_key("bc", "a"));
        assert_ne!(block_key("x", "rust"), block_key("x", "python"));
    }
}
