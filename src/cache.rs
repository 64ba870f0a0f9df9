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
//! depends on it. A damaged or foreign cache is dropped, never reported.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::Write as _;
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::highlight;

/// The cache folder, inside the site's root.
pub const DIR_NAME: &str = ".briefing-cache";
const INDEX_FILE: &str = "highlight-v2.idx";
const DATA_FILE: &str = "highlight-v2.dat";
const PAGES_FILE: &str = "pages-v1.bin";
/// Every block in the data file starts with its key and length, checked on every read,
/// so an index that does not match the data (two builds at once) only costs a miss.
const HEADER: usize = 16 + 4;

/// Where a highlighted block sits in the data file.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Entry {
    offset: u64,
    len: u32,
    /// Whether syntect knew the language (the block gets a `language-…` class).
    known: bool,
}

#[derive(Serialize, Deserialize)]
struct Index {
    stamp: String,
    entries: Vec<(u128, Entry)>,
}

/// Highlighted code blocks: the ones of earlier builds (read from disk when asked for),
/// and the ones highlighted this build (appended to the data file as they are made).
#[derive(Default)]
pub struct Highlights {
    dir: Option<PathBuf>,
    known: HashMap<u128, Entry>,
    data: Option<File>,
    /// Appends go to the data file; without one (`--no-cache`, a read-only preview),
    /// fresh blocks are kept in memory when `keep_fresh` says so.
    append: Mutex<Option<(File, u64)>>,
    keep_fresh: bool,
    fresh: Mutex<HashMap<u128, (Entry, Option<String>)>>,
    used: Mutex<HashSet<u128>>,
}

/// A highlighted block: whether its language is known, and the inner HTML of its `<code>`.
pub struct Block {
    pub key: u128,
    pub known: bool,
    pub html: String,
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

    /// The cache in `dir`, never written: fresh blocks stay in memory for the life of
    /// this value (a preview server, which runs beside builds that write the cache).
    pub fn read_only(dir: &Path) -> Highlights {
        let known = std::fs::read(dir.join(INDEX_FILE))
            .ok()
            .and_then(|bytes| postcard::from_bytes::<Index>(&bytes).ok())
            .filter(|index| index.stamp == binary_stamp())
            .map(|index| index.entries.into_iter().collect())
            .unwrap_or_default();
        Highlights {
            known,
            data: File::open(dir.join(DATA_FILE)).ok(),
            keep_fresh: true,
            ..Highlights::default()
        }
    }

    /// `code` in `language` highlighted, from the cache when it was highlighted before.
    pub fn highlight(&self, code: &str, language: &str) -> Block {
        let key = key(code, language);
        if let Some(block) = self.lookup(key) {
            return block;
        }
        let known = highlight::is_known(language);
        let html = highlight::highlight(code, language);
        self.store(key, known, &html);
        Block { key, known, html }
    }

    fn lookup(&self, key: u128) -> Option<Block> {
        if let Some(entry) = self.known.get(&key) {
            if let Some(html) = self.data.as_ref().and_then(|f| read_block(f, key, entry)) {
                self.used.lock().ok()?.insert(key);
                return Some(Block {
                    key,
                    known: entry.known,
                    html,
                });
            }
        }
        let fresh = self.fresh.lock().ok()?;
        let (entry, html) = fresh.get(&key)?;
        let html = match html {
            Some(html) => html.clone(),
            None => {
                let append = self.append.lock().ok()?;
                read_block(&append.as_ref()?.0, key, entry)?
            }
        };
        Some(Block {
            key,
            known: entry.known,
            html,
        })
    }

    fn store(&self, key: u128, known: bool, html: &str) {
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
                fresh.insert(key, (entry, Some(html.to_string())));
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
        bytes.extend_from_slice(&key.to_le_bytes());
        bytes.extend_from_slice(&len.to_le_bytes());
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
    pub fn keep(&self, keys: &[u128]) {
        if let Ok(mut used) = self.used.lock() {
            used.extend(keys.iter().filter(|k| self.known.contains_key(k)));
        }
    }

    /// Write the index of the blocks this build used (read, kept or made). When most of
    /// the data file is blocks no page uses any more, it is rewritten without them.
    pub fn save(&self) -> std::io::Result<()> {
        let Some(dir) = &self.dir else { return Ok(()) };
        let used = self.used.lock().map_err(poisoned)?;
        let fresh = self.fresh.lock().map_err(poisoned)?;
        if fresh.is_empty() && used.len() == self.known.len() {
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
        let index = Index {
            stamp: binary_stamp(),
            entries,
        };
        write_replacing(&dir.join(INDEX_FILE), &index)
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
    let temporary = path.with_extension(format!("dat.{}.tmp", std::process::id()));
    let mut new = std::io::BufWriter::new(File::create(&temporary)?);
    let mut kept = Vec::with_capacity(entries.len());
    let mut offset = 0u64;
    for (key, entry) in entries {
        let Some(html) = read_block(&old, key, &entry) else {
            continue;
        };
        new.write_all(&key.to_le_bytes())?;
        new.write_all(&entry.len.to_le_bytes())?;
        new.write_all(html.as_bytes())?;
        kept.push((key, Entry { offset, ..entry }));
        offset += HEADER as u64 + u64::from(entry.len);
    }
    new.flush()?;
    drop(new);
    std::fs::rename(&temporary, path)?;
    Ok(kept)
}

fn read_block(file: &File, key: u128, entry: &Entry) -> Option<String> {
    let mut bytes = vec![0u8; HEADER + entry.len as usize];
    file.read_exact_at(&mut bytes, entry.offset).ok()?;
    let (header, html) = bytes.split_at(HEADER);
    let stored_key = u128::from_le_bytes(header[..16].try_into().ok()?);
    let stored_len = u32::from_le_bytes(header[16..].try_into().ok()?);
    if stored_key != key || stored_len != entry.len {
        return None;
    }
    String::from_utf8(html.to_vec()).ok()
}

/// Write `value` to `path` whole: streamed into a temporary file (a large site's records
/// are never a second time in memory), which then replaces the file.
fn write_replacing<T: Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let temporary = path.with_extension(format!("{}.tmp", std::process::id()));
    let writer = std::io::BufWriter::new(File::create(&temporary)?);
    let written = postcard::to_io(value, writer)
        .map_err(std::io::Error::other)
        .and_then(|mut writer| writer.flush());
    if let Err(err) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(err);
    }
    std::fs::rename(&temporary, path)
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
    pub links: crate::links::FileLinks,
}

/// The written output file as the build left it, to tell whether it is still there
/// untouched (for outputs kept in memory, only the length is known).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
    stamp: String,
    records: HashMap<String, Arc<PageRecord>>,
    check: crate::links::CheckMemo,
}

/// The page records of the previous build, keyed by the page's path inside `content/`,
/// and what its link check found.
#[derive(Default, Clone)]
pub struct PageRecords {
    pub records: HashMap<String, Arc<PageRecord>>,
    pub check: crate::links::CheckMemo,
    /// Pages as listings show them, kept in memory by the preview between builds (a build
    /// that runs once gains nothing from keeping a second copy of every listed page).
    pub listed: Option<Arc<crate::build::ListedMemo>>,
}

impl PageRecords {
    pub fn load(dir: &Path) -> PageRecords {
        std::fs::read(dir.join(PAGES_FILE))
            .ok()
            .and_then(|bytes| postcard::from_bytes::<PagesFile>(&bytes).ok())
            .filter(|file| file.stamp == binary_stamp())
            .map(|file| PageRecords {
                records: file.records,
                check: file.check,
                listed: None,
            })
            .unwrap_or_default()
    }

    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        #[derive(Serialize)]
        struct PagesFileRef<'a> {
            stamp: String,
            records: &'a HashMap<String, Arc<PageRecord>>,
            check: &'a crate::links::CheckMemo,
        }
        let file = PagesFileRef {
            stamp: binary_stamp(),
            records: &self.records,
            check: &self.check,
        };
        write_replacing(&dir.join(PAGES_FILE), &file)
    }
}

/// Which binary wrote a cache: its version, size and modification time, so a rebuilt
/// binary (a new syntect, a changed renderer) never reads an old cache.
fn binary_stamp() -> String {
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

/// The key of a code block: its language and its code.
fn key(code: &str, language: &str) -> u128 {
    Key::new().add(language).add(code).finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_cache_gives_the_same_html() {
        let dir = tempfile::tempdir().unwrap();
        let first = Highlights::open(dir.path());
        let block = first.highlight("fn main() {}\n", "rust");
        first.save().unwrap();
        let second = Highlights::open(dir.path());
        assert_eq!(second.known.len(), 1);
        let again = second.highlight("fn main() {}\n", "rust");
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
        cache.highlight("x = 1\n", "python");
        cache.save().unwrap();
        // Data that does not match the index is a miss, not wrong output.
        std::fs::write(dir.path().join(DATA_FILE), b"garbage of the wrong size").unwrap();
        let damaged = Highlights::open(dir.path());
        let block = damaged.highlight("x = 1\n", "python");
        assert_eq!(block.html, highlight::highlight("x = 1\n", "python"));
        std::fs::write(dir.path().join(INDEX_FILE), b"not an index").unwrap();
        assert!(Highlights::open(dir.path()).known.is_empty());
    }

    #[test]
    fn unused_blocks_are_dropped_and_the_data_compacted() {
        let dir = tempfile::tempdir().unwrap();
        let first = Highlights::open(dir.path());
        for n in 0..200 {
            first.highlight(
                &format!("x = {n}\n{}\n", "# padding ".repeat(800)),
                "python",
            );
        }
        first.save().unwrap();
        let size = std::fs::metadata(dir.path().join(DATA_FILE)).unwrap().len();
        let second = Highlights::open(dir.path());
        second.highlight("x = 0\n", "python");
        second.save().unwrap();
        let third = Highlights::open(dir.path());
        assert_eq!(third.known.len(), 1, "only the block the last build used");
        assert!(std::fs::metadata(dir.path().join(DATA_FILE)).unwrap().len() < size / 10);
        assert_eq!(
            third.highlight("x = 0\n", "python").html,
            highlight::highlight("x = 0\n", "python")
        );
    }

    #[test]
    fn keys_tell_language_and_code_apart() {
        assert_ne!(key("c", "ab"), key("bc", "a"));
        assert_ne!(key("x", "rust"), key("x", "python"));
    }
}
