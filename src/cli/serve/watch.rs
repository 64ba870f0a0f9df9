//! Preview, watching: which saves in the site's folder call for a rebuild.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use notify_debouncer_full::file_id::{FileId, get_file_id};
use notify_debouncer_full::notify::{EventKind, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

/// The folders a site is read from, watched with everything below them.
pub const WATCHED_DIRS: [&str; 4] = ["content", "data", "templates", "static"];
/// The site settings, watched through the root folder so that an editor replacing the file
/// (write a temporary file, rename it over) is seen as well.
pub const WATCHED_FILE: &str = crate::load::config::FILE_NAME;

/// How long the debouncer holds events to pair renames and drop duplicates. It delays each
/// event by this much, but does not wait for a file to go quiet: [`next_burst`] does that.
const STITCH: Duration = Duration::from_millis(5);
/// A burst of saves (an editor's temp file and rename, a formatter, a `git checkout`) ends
/// when nothing changed for this long.
const QUIET: Duration = Duration::from_millis(20);
/// A burst that never goes quiet (a tool writing a file over and over) is still shown this often.
const LONGEST_BURST: Duration = Duration::from_secs(1);

/// The watches on one site's folder. Dropping it stops watching.
pub struct SiteWatcher {
    root: PathBuf,
    debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
    /// Each watched folder with its identity, so a folder deleted and created again is watched again.
    watched: HashMap<&'static str, FileId>,
}

impl SiteWatcher {
    /// Watch `root`; every batch of relevant changed paths (relative to `root`) goes to `changes`.
    pub fn start(
        root: &Path,
        changes: UnboundedSender<Vec<PathBuf>>,
    ) -> anyhow::Result<SiteWatcher> {
        let filter_root = root.to_path_buf();
        let mut debouncer = new_debouncer(STITCH, None, move |result: DebounceEventResult| {
            match result {
                Ok(events) => {
                    let mut paths: Vec<PathBuf> = events
                        .iter()
                        // Opening and closing files is what a rebuild does itself; only changes count.
                        .filter(|e| !matches!(e.event.kind, EventKind::Access(_)))
                        .flat_map(|e| e.event.paths.iter())
                        .filter_map(|p| p.strip_prefix(&filter_root).ok())
                        .filter(|rel| is_site_input(rel))
                        .map(Path::to_path_buf)
                        .collect();
                    paths.sort();
                    paths.dedup();
                    if !paths.is_empty() {
                        let _ = changes.send(paths);
                    }
                }
                Err(errors) => {
                    for error in errors {
                        eprintln!("warning: watching for changes: {error}");
                    }
                }
            }
        })?;
        debouncer
            .watch(root, RecursiveMode::NonRecursive)
            .map_err(|err| anyhow::anyhow!("cannot watch {}: {err}", root.display()))?;
        let mut watcher = SiteWatcher {
            root: root.to_path_buf(),
            debouncer,
            watched: HashMap::new(),
        };
        watcher.refresh();
        Ok(watcher)
    }

    /// Watch the site's folders that exist now and were not watched before (created since,
    /// or replaced by a new folder of the same name).
    pub fn refresh(&mut self) {
        for dir in WATCHED_DIRS {
            let path = self.root.join(dir);
            let id = path.is_dir().then(|| get_file_id(&path).ok()).flatten();
            let known = self.watched.get(dir);
            if id.is_some() && known == id.as_ref() {
                continue;
            }
            if known.is_some() {
                let _ = self.debouncer.unwatch(&path);
                self.watched.remove(dir);
            }
            let Some(id) = id else { continue };
            match self.debouncer.watch(&path, RecursiveMode::Recursive) {
                Ok(()) => {
                    self.watched.insert(dir, id);
                }
                Err(err) => eprintln!("warning: cannot watch {}: {err}", path.display()),
            }
        }
    }
}

/// Every path changed in the next burst of saves, sorted; `None` once the watcher is gone.
pub async fn next_burst(changes: &mut UnboundedReceiver<Vec<PathBuf>>) -> Option<Vec<PathBuf>> {
    let mut changed = changes.recv().await?;
    let started = Instant::now();
    loop {
        let left = LONGEST_BURST.saturating_sub(started.elapsed());
        if left.is_zero() {
            break;
        }
        match tokio::time::timeout(QUIET.min(left), changes.recv()).await {
            Ok(Some(more)) => changed.extend(more),
            Ok(None) | Err(_) => break,
        }
    }
    changed.sort();
    changed.dedup();
    Some(changed)
}

/// Whether a change to `rel` (relative to the site's root) can change the site: the
/// settings file, or a file in one of the watched folders that is not an editor's
/// swap, lock or backup file.
pub fn is_site_input(rel: &Path) -> bool {
    let mut parts = rel.components();
    let Some(first) = parts.next() else {
        return false;
    };
    let first = first.as_os_str();
    let top_level_file = parts.next().is_none();
    let inside = WATCHED_DIRS.iter().any(|dir| first == *dir);
    if !(inside || (top_level_file && first == WATCHED_FILE)) {
        return false;
    }
    match rel.file_name().and_then(|n| n.to_str()) {
        Some(name) => !is_editor_scratch(name),
        None => true,
    }
}

/// Files editors write beside the one being edited, which are never part of a site:
/// Emacs locks and autosaves (`.#x`, `#x#`), backups (`x~`), Vim swap files (`.x.swp`)
/// and the probe files Vim writes to test a folder (`4913`, `5036`, …), Kate swap files,
/// JetBrains safe-write copies.
pub fn is_editor_scratch(name: &str) -> bool {
    name.starts_with(".#")
        || (name.starts_with('#') && name.ends_with('#') && name.len() > 1)
        || name.ends_with('~')
        || (name.starts_with('.')
            && [".swp", ".swo", ".swx", ".kate-swp"]
                .iter()
                .any(|ext| name.ends_with(ext)))
        || name.ends_with("___jb_tmp___")
        || name.ends_with("___jb_old___")
        || is_vim_probe(name)
}

/// Vim checks it may write in a folder by creating `4913`, or `4913 + 123 k` when that exists.
fn is_vim_probe(name: &str) -> bool {
    name.bytes().all(|b| b.is_ascii_digit())
        && name
            .parse::<u64>()
            .is_ok_and(|n| n >= 4913 && (n - 4913) % 123 == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_inputs_are_the_watched_folders_and_the_settings() {
        for rel in [
            "briefing.yaml",
            "content/deal.md",
            "content/a/b.md",
            "data/figures.yaml",
            "templates/page.html",
            "static/img/logo.svg",
            "content",
        ] {
            assert!(is_site_input(Path::new(rel)), "{rel}");
        }
        for rel in [
            "public/index.html",
            "target/debug/briefing",
            "README.md",
            "contents/x.md",
            "sub/briefing.yaml",
            "",
        ] {
            assert!(!is_site_input(Path::new(rel)), "{rel}");
        }
    }

    #[test]
    fn editor_scratch_files_are_ignored() {
        for name in [
            ".#deal.md",
            "#deal.md#",
            "deal.md~",
            ".deal.md.swp",
            ".deal.md.swo",
            "4913",
            "5036",
            ".deal.md.kate-swp",
            "deal.md___jb_tmp___",
        ] {
            assert!(is_editor_scratch(name), "{name}");
            assert!(
                !is_site_input(&Path::new("content").join(name)),
                "content/{name}"
            );
        }
        for name in ["deal.md", "4914", "2026.md", "#", "swp.md", "a.swp.md"] {
            assert!(!is_editor_scratch(name), "{name}");
        }
    }
}
