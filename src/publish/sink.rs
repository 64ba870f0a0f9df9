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

/// Outputs in memory: the preview server's site and the tests'. `previous` is the last
/// build's files, which kept outputs are taken from.
#[derive(Default)]
pub struct MemorySink {
    previous: HashMap<String, Arc<[u8]>>,
    files: Mutex<HashMap<String, Arc<[u8]>>>,
}

impl MemorySink {
    pub fn with_previous(previous: HashMap<String, Arc<[u8]>>) -> MemorySink {
        MemorySink {
            previous,
            files: Mutex::default(),
        }
    }

    pub fn into_files(self) -> HashMap<String, Arc<[u8]>> {
        self.files.into_inner().unwrap_or_default()
    }

    /// The outputs, sorted by path.
    pub fn into_outputs(self) -> Vec<Output> {
        let mut outputs: Vec<Output> = self
            .into_files()
            .into_iter()
            .map(|(path, bytes)| Output {
                path,
                bytes: bytes.to_vec(),
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
        let Some(bytes) = self.previous.get(path) else {
            return false;
        };
        if bytes.len() as u64 != stamp.len {
            return false;
        }
        if let Ok(mut files) = self.files.lock() {
            files.insert(path.to_string(), bytes.clone());
        }
        true
    }

    fn put(&self, path: &str, bytes: Vec<u8>) -> anyhow::Result<OutputStamp> {
        let stamp = OutputStamp {
            len: bytes.len() as u64,
            modified_ns: 0,
            inode: 0,
        };
        self.files
            .lock()
            .map_err(|_| anyhow::anyhow!("a rendering thread panicked"))?
            .insert(path.to_string(), bytes.into());
        Ok(stamp)
    }

    fn read(&self, path: &str) -> Option<Vec<u8>> {
        self.files.lock().ok()?.get(path).map(|b| b.to_vec())
    }
}
