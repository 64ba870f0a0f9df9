//! Publishing: where outputs go. A [`Sink`] receives each output as it is made: the
//! output folder (`DiskSink`) or memory ([`MemorySink`], for the
//! preview server, `check` and the tests).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::publish::cache::OutputStamp;
use crate::render::Output;

/// Where a build puts its outputs. Every output is either put (new bytes) or kept (the
/// previous build's file, known unchanged), so the sink knows the whole new site.
pub trait Sink: Sync {
    /// Keep the previous build's `path`, if it is still exactly as `stamp` says.
    fn keep(&self, path: &str, stamp: &OutputStamp) -> bool;
    /// Put `bytes` at `path`.
    fn put(&self, path: &str, bytes: Vec<u8>) -> anyhow::Result<OutputStamp>;
    /// The bytes this build gave `path` (put or kept), to place a problem in them.
    fn read(&self, path: &str) -> Option<Vec<u8>>;
}

/// An output held in memory: its bytes as made, or compressed (LZ4, its length first)
/// where that makes it smaller. The preview holds every file of the site: compressed,
/// 341 MB of HTML of a 10,000-page site take about a sixth of that.
#[derive(Clone, PartialEq, Eq)]
pub struct Stored {
    bytes: Arc<[u8]>,
    compressed: bool,
}

impl Stored {
    /// `bytes` as they are.
    pub fn plain(bytes: Vec<u8>) -> Stored {
        Stored {
            bytes: bytes.into(),
            compressed: false,
        }
    }

    /// `bytes` compressed, unless compression would not make them smaller (images).
    pub fn compressed(bytes: Vec<u8>) -> Stored {
        let packed = lz4_flex::block::compress_prepend_size(&bytes);
        if packed.len() < bytes.len() {
            Stored {
                bytes: packed.into(),
                compressed: true,
            }
        } else {
            Stored::plain(bytes)
        }
    }

    /// The bytes as made.
    pub fn bytes(&self) -> std::borrow::Cow<'_, [u8]> {
        if !self.compressed {
            return std::borrow::Cow::Borrowed(&self.bytes);
        }
        // Only this process compressed them: they cannot be damaged short of a bug.
        std::borrow::Cow::Owned(
            lz4_flex::block::decompress_size_prepended(&self.bytes).unwrap_or_default(),
        )
    }

    /// The length of the bytes as made.
    pub fn len(&self) -> usize {
        if self.compressed {
            lz4_flex::block::uncompressed_size(&self.bytes).map_or(0, |(len, _)| len)
        } else {
            self.bytes.len()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The same allocation (a file kept from the last build), told without reading it.
    pub fn same_as(&self, other: &Stored) -> bool {
        Arc::ptr_eq(&self.bytes, &other.bytes) || self == other
    }
}

/// Output path -> bytes, as a [`MemorySink`] holds them.
pub type Files = HashMap<String, Stored>;

/// Outputs in memory: the preview server's site and the tests'. `previous` is the last
/// build's files, which kept outputs are taken from.
#[derive(Default)]
pub struct MemorySink {
    previous: Arc<Files>,
    files: Mutex<Files>,
    compress: bool,
}

impl MemorySink {
    /// A sink that keeps unchanged files of `previous` and compresses what it is given
    /// (the preview, which holds a whole site for as long as it runs).
    pub fn compressing(previous: Arc<Files>) -> MemorySink {
        MemorySink {
            previous,
            files: Mutex::default(),
            compress: true,
        }
    }

    pub fn into_files(self) -> Files {
        self.files.into_inner().unwrap_or_default()
    }

    /// The outputs, sorted by path.
    pub fn into_outputs(self) -> Vec<Output> {
        let mut outputs: Vec<Output> = self
            .into_files()
            .into_iter()
            .map(|(path, stored)| Output {
                path,
                bytes: stored.bytes().into_owned(),
            })
            .collect();
        outputs.sort_by(|a, b| a.path.cmp(&b.path));
        outputs
    }
}

impl Sink for MemorySink {
    fn keep(&self, path: &str, stamp: &OutputStamp) -> bool {
        // The previous files and the records come from the same earlier build in this
        // process (a failed build changes neither), so the length is check enough.
        let Some(stored) = self.previous.get(path) else {
            return false;
        };
        if stored.len() as u64 != stamp.len {
            return false;
        }
        if let Ok(mut files) = self.files.lock() {
            files.insert(path.to_string(), stored.clone());
        }
        true
    }

    fn put(&self, path: &str, bytes: Vec<u8>) -> anyhow::Result<OutputStamp> {
        let stamp = OutputStamp {
            len: bytes.len() as u64,
            modified_ns: 0,
            inode: 0,
        };
        // Compressed on the rendering thread, outside the lock.
        let stored = if self.compress {
            Stored::compressed(bytes)
        } else {
            Stored::plain(bytes)
        };
        self.files
            .lock()
            .map_err(|_| anyhow::anyhow!("a rendering thread panicked"))?
            .insert(path.to_string(), stored);
        Ok(stamp)
    }

    fn read(&self, path: &str) -> Option<Vec<u8>> {
        self.files
            .lock()
            .ok()?
            .get(path)
            .map(|stored| stored.bytes().into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compressed_files_come_back_as_made_and_images_stay_as_they_are() {
        let html = b"<p>the same words again and again</p>".repeat(200);
        let stored = Stored::compressed(html.clone());
        assert!(
            stored.bytes.len() * 4 < html.len(),
            "{}",
            stored.bytes.len()
        );
        assert_eq!(stored.len(), html.len());
        assert_eq!(&*stored.bytes(), html.as_slice());
        // Bytes that do not compress are held as they are.
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 56) as u8
            })
            .collect();
        let stored = Stored::compressed(noise.clone());
        assert_eq!(stored.bytes.len(), noise.len());
        assert_eq!(&*stored.bytes(), noise.as_slice());
        assert!(Stored::compressed(Vec::new()).is_empty());
    }

    #[test]
    fn a_compressing_sink_keeps_unchanged_files_by_their_length_as_made() {
        let page = b"<html>a page of a preview</html>".repeat(50);
        let first = MemorySink::compressing(Arc::default());
        let stamp = first.put("a/index.html", page.clone()).unwrap();
        assert_eq!(stamp.len, page.len() as u64);
        let second = MemorySink::compressing(Arc::new(first.into_files()));
        assert!(second.keep("a/index.html", &stamp));
        assert!(!second.keep("b/index.html", &stamp));
        assert_eq!(second.read("a/index.html").unwrap(), page);
        assert_eq!(second.into_outputs()[0].bytes, page);
    }
}
