//! Writing: the output folder, which belongs to the build alone. Outputs are staged
//! inside it and moved into place only once the whole site is made; a manifest of what
//! the build wrote is the only licence to delete anything there.
//!
//! What is guaranteed (the README repeats it):
//! - the build refuses an output folder that is the site's folder, holds it, or lies
//!   inside `content/`, `data/`, `templates/`, `static/` or `.briefing-cache/`;
//! - a folder that holds anything but dot-files and has no manifest is refused unless
//!   `--force`; dot-files and dot-folders in it (`.git`, `.nojekyll`, `.well-known`) are
//!   never read, written or removed, other than the build's own `.briefing-*` entries;
//! - only files named in the last build's manifest are ever removed or replaced by a
//!   folder; every path written is a plain relative path inside the folder, never
//!   through a symbolic link;
//! - a failed build changes nothing; on success, new and changed files are moved in first
//!   (each move is one `rename`, so no reader ever sees half a file), stale files are
//!   removed after, and the manifest lists at every moment every file the build may have
//!   written, so an interrupted commit is finished by the next build. Where the staging
//!   folder and a target sit on different file systems, a file is copied next to its
//!   target and renamed there.

use std::collections::{BTreeSet, HashMap};
use std::io::Write as _;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context as _, bail};

use crate::publish::cache::OutputStamp;
use crate::publish::sink::Sink;

/// The list of files the last build wrote, inside the output folder.
pub const MANIFEST: &str = ".briefing-manifest";
const MANIFEST_HEADER: &str =
    "# briefing: the files the last build wrote into this folder, the only ones a build may remove";
/// Prefix of the build's own dot-entries (manifest, staging folders, temporary files).
const OWN_PREFIX: &str = ".briefing-";

/// Refuse an output folder that would let the build overwrite or delete the site itself:
/// the site's folder, a folder that holds it, or one inside its source folders.
pub fn check_output_dir(root: &Path, output: &Path) -> anyhow::Result<()> {
    let root = std::fs::canonicalize(root)
        .with_context(|| format!("cannot open the site's folder {}", root.display()))?;
    let out = resolve(output)
        .with_context(|| format!("cannot resolve the output folder {}", output.display()))?;
    let refuse = |why: String| -> anyhow::Result<()> {
        bail!(
            "refusing to build into {}: {why}\n  help: choose an output folder of its own, e.g. `--output public` (the default), which the build may empty and fill",
            output.display()
        )
    };
    if out == root {
        return refuse("it is the site's own folder, whose files a build would replace".into());
    }
    if root.starts_with(&out) {
        return refuse(format!(
            "it holds the site's folder {}, whose files a build would replace",
            root.display()
        ));
    }
    for part in [
        "content",
        "data",
        "templates",
        "static",
        crate::publish::cache::DIR_NAME,
    ] {
        if out.starts_with(root.join(part)) {
            return refuse(format!("it is inside the site's `{part}/` folder"));
        }
    }
    Ok(())
}

/// The absolute form of `path` with links resolved, for a path that may not exist yet:
/// its longest existing ancestor canonicalized, the rest added component by component.
fn resolve(path: &Path) -> std::io::Result<PathBuf> {
    let absolute = std::path::absolute(path)?;
    let mut existing = absolute.as_path();
    let mut rest: Vec<&std::ffi::OsStr> = Vec::new();
    loop {
        match std::fs::canonicalize(existing) {
            Ok(mut resolved) => {
                for part in rest.iter().rev() {
                    match Path::new(part).components().next() {
                        Some(Component::ParentDir) => {
                            resolved.pop();
                        }
                        Some(Component::CurDir) | None => {}
                        Some(_) => resolved.push(part),
                    }
                }
                return Ok(resolved);
            }
            Err(err) => match (existing.parent(), existing.file_name()) {
                (Some(parent), Some(name)) => {
                    rest.push(name);
                    existing = parent;
                }
                // `..` as the last component has no file name: resolve what is above it.
                (Some(parent), None) if existing.ends_with("..") => {
                    rest.push(std::ffi::OsStr::new(".."));
                    existing = parent;
                }
                _ => return Err(err),
            },
        }
    }
}

/// Whether `path` is a plain relative path the build may write: `/`-separated parts, none
/// empty, `.` or `..`, none starting with a dot (those are the user's), no backslash,
/// colon or control character.
pub fn is_safe_output_path(path: &str) -> bool {
    !path.is_empty()
        && path.split('/').all(|part| {
            !part.is_empty()
                && !part.starts_with('.')
                && !part
                    .chars()
                    .any(|c| c == '\\' || c == ':' || c.is_control())
        })
}

fn check_path(path: &str) -> anyhow::Result<()> {
    if is_safe_output_path(path) {
        Ok(())
    } else {
        bail!(
            "refusing to write `{path}`: an output must be a plain relative path inside the output folder\n  help: this is a bug in briefing or in a template; please report it with the command you ran"
        )
    }
}

/// The files the last build wrote, as its manifest lists them. Lines that are not safe
/// paths (a hand-edited manifest) are ignored, so they can never lead outside the folder.
fn read_manifest(output_dir: &Path) -> Option<BTreeSet<String>> {
    let text = std::fs::read_to_string(output_dir.join(MANIFEST)).ok()?;
    let mut lines = text.lines();
    if lines.next() != Some(MANIFEST_HEADER) {
        return None;
    }
    Some(
        lines
            .filter(|line| is_safe_output_path(line))
            .map(str::to_string)
            .collect(),
    )
}

/// Replace the manifest in one rename, so it is never seen half-written.
fn write_manifest<'a>(
    output_dir: &Path,
    paths: impl IntoIterator<Item = &'a String>,
) -> anyhow::Result<()> {
    let temporary = output_dir.join(format!("{OWN_PREFIX}manifest.tmp-{}", std::process::id()));
    let mut text = String::from(MANIFEST_HEADER);
    text.push('\n');
    for path in paths {
        text.push_str(path);
        text.push('\n');
    }
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temporary, output_dir.join(MANIFEST))
    };
    write().with_context(|| {
        let _ = std::fs::remove_file(&temporary);
        format!("cannot write {}", output_dir.join(MANIFEST).display())
    })
}

/// Whether the folder holds anything besides dot-files and dot-folders.
fn has_visible_entries(dir: &Path) -> anyhow::Result<bool> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let entry = entry.with_context(|| format!("cannot read {}", dir.display()))?;
        if !entry.file_name().to_string_lossy().starts_with('.') {
            return Ok(true);
        }
    }
    Ok(false)
}

/// How to treat an output folder that another program, or a person, has filled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteOptions {
    /// Write into a folder that holds files but no manifest (none of them is removed).
    pub force: bool,
}

/// Outputs written into `output_dir`, all or nothing: every new or changed file goes to
/// a staging folder inside it; only [`DiskSink::commit`], after the whole site is
/// rendered and checked, moves them into place and removes the files of the last build
/// that the new one no longer has. Unchanged files are never rewritten, so they keep
/// their modification times. Dropping the sink without committing (a failed build)
/// removes the staging folder and leaves `output_dir` exactly as it was.
pub struct DiskSink {
    output_dir: PathBuf,
    staging: PathBuf,
    /// Held for the sink's life, so two builds never commit into one folder at once.
    _lock: Option<std::fs::File>,
    /// Whether files of someone else's may be replaced by outputs of the same name.
    force: bool,
    /// Whether this sink made `output_dir`, so a failed first build leaves no folder behind.
    created: bool,
    /// What the last build wrote: the only files this one may remove or replace.
    previous: BTreeSet<String>,
    /// Paths of this build's outputs, and which of them were written to staging.
    outputs: Mutex<HashMap<String, bool>>,
    committed: bool,
}

impl DiskSink {
    pub fn new(output_dir: &Path, options: WriteOptions) -> anyhow::Result<DiskSink> {
        let existed = match std::fs::symlink_metadata(output_dir) {
            Ok(meta) if meta.is_dir() => true,
            Ok(meta) if meta.file_type().is_symlink() && output_dir.is_dir() => true,
            Ok(_) => bail!(
                "cannot build into {}: it is a file, not a folder\n  help: remove it or choose another folder with --output",
                output_dir.display()
            ),
            Err(_) => false,
        };
        let previous = if existed {
            match read_manifest(output_dir) {
                Some(previous) => previous,
                None if options.force || !has_visible_entries(output_dir)? => BTreeSet::new(),
                None => bail!(
                    "refusing to build into {}: it holds files that no build of briefing wrote (there is no {MANIFEST} in it)\n  help: choose an empty or new folder with --output, or pass --force to write into it anyway (its other files are kept, never removed)",
                    output_dir.display()
                ),
            }
        } else {
            std::fs::create_dir_all(output_dir)
                .with_context(|| format!("cannot create {}", output_dir.display()))?;
            BTreeSet::new()
        };
        let lock = lock(output_dir)?;
        remove_stale_staging(output_dir);
        let staging = output_dir.join(format!("{OWN_PREFIX}staging-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&staging);
        std::fs::create_dir(&staging)
            .with_context(|| format!("cannot create {}", staging.display()))?;
        Ok(DiskSink {
            output_dir: output_dir.to_path_buf(),
            staging,
            _lock: lock,
            force: options.force,
            created: !existed,
            previous,
            outputs: Mutex::default(),
            committed: false,
        })
    }

    fn record(&self, path: &str, written: bool) {
        if let Ok(mut outputs) = self.outputs.lock() {
            outputs.insert(path.to_string(), written);
        }
    }

    /// Make the new site the content of `output_dir` (see the module's guarantees).
    pub fn commit(mut self) -> anyhow::Result<()> {
        self.committed = true;
        let outputs = std::mem::take(
            &mut *self
                .outputs
                .lock()
                .map_err(|_| anyhow::anyhow!("a rendering thread panicked"))?,
        );
        let new: BTreeSet<String> = outputs.keys().cloned().collect();
        let written: BTreeSet<&String> = outputs
            .iter()
            .filter(|(_, written)| **written)
            .map(|(path, _)| path)
            .collect();
        // Everything that could stop the commit half-way is looked for before the first move.
        let obstacles: Vec<String> = written.iter().filter_map(|p| self.obstacle(p)).collect();
        if let Some(first) = obstacles.first() {
            bail!(
                "cannot write into {}: {first}{}\n  help: move what is in the way out of the output folder, or choose another with --output",
                self.output_dir.display(),
                match obstacles.len() {
                    1 => String::new(),
                    n => format!(" (and {} more like it)", n - 1),
                }
            );
        }
        // From the first move on, the manifest must name every file that may be in place.
        let union: BTreeSet<&String> = self.previous.iter().chain(&new).collect();
        write_manifest(&self.output_dir, union)?;
        let whole = self.move_new_folders(&written);
        for path in written {
            if path
                .split_once('/')
                .is_some_and(|(top, _)| whole.contains(top))
            {
                continue;
            }
            let target = self.output_dir.join(path);
            self.make_room(path)?;
            move_file(&self.staging.join(path), &target)
                .with_context(|| format!("cannot write {}", target.display()))?;
        }
        let mut emptied: BTreeSet<PathBuf> = BTreeSet::new();
        for stale in self.previous.difference(&new) {
            let target = self.output_dir.join(stale);
            if !self.is_plain_inside(stale) {
                continue;
            }
            if let Ok(meta) = std::fs::symlink_metadata(&target)
                && !meta.is_dir()
            {
                std::fs::remove_file(&target)
                    .with_context(|| format!("cannot remove {}", target.display()))?;
            }
            let mut dir = Path::new(stale.as_str()).parent();
            while let Some(parent) = dir.filter(|d| !d.as_os_str().is_empty()) {
                emptied.insert(parent.to_path_buf());
                dir = parent.parent();
            }
        }
        // Deepest first; a folder that still holds anything (the user's files) stays.
        for dir in emptied.iter().rev() {
            let _ = std::fs::remove_dir(self.output_dir.join(dir));
        }
        write_manifest(&self.output_dir, &new)?;
        let _ = std::fs::remove_dir_all(&self.staging);
        Ok(())
    }

    /// Move each top folder of `written` that the output folder has nothing of yet from
    /// staging in one rename (what staging holds is only what was written), instead of a
    /// rename per file: a first build of 10,000 pages in 100 folders makes 100 renames,
    /// not 10,000. A reader sees such a folder not at all or whole. The folders moved.
    fn move_new_folders<'p>(&self, written: &BTreeSet<&'p String>) -> BTreeSet<&'p str> {
        let mut moved = BTreeSet::new();
        let mut tried = None;
        // In sorted order, the paths under one folder come one after another.
        for path in written {
            let Some((top, _)) = path.split_once('/') else {
                continue;
            };
            if tried == Some(top) {
                continue;
            }
            tried = Some(top);
            let target = self.output_dir.join(top);
            let absent = matches!(std::fs::symlink_metadata(&target),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound);
            if absent && std::fs::rename(self.staging.join(top), &target).is_ok() {
                moved.insert(top);
            }
        }
        moved
    }

    /// Whether every folder on the way to `path` is a real folder inside the output
    /// folder (not a link to somewhere else).
    fn is_plain_inside(&self, path: &str) -> bool {
        let mut at = self.output_dir.clone();
        let parts: Vec<&str> = path.split('/').collect();
        for part in &parts[..parts.len() - 1] {
            at.push(part);
            match std::fs::symlink_metadata(&at) {
                Ok(meta) if meta.is_dir() => {}
                _ => return false,
            }
        }
        true
    }

    /// Why `path` cannot be moved into place without touching what is not the build's:
    /// a link on the way, a file or folder of someone else's where it must go.
    fn obstacle(&self, path: &str) -> Option<String> {
        let parts: Vec<&str> = path.split('/').collect();
        let mut at = self.output_dir.clone();
        let mut rel = String::new();
        for (i, part) in parts.iter().enumerate() {
            at.push(part);
            if !rel.is_empty() {
                rel.push('/');
            }
            rel.push_str(part);
            let last = i + 1 == parts.len();
            let Ok(meta) = std::fs::symlink_metadata(&at) else {
                return None;
            };
            let ours = self.previous.contains(&rel);
            if meta.file_type().is_symlink() && !ours {
                return Some(format!(
                    "{} is a symbolic link that no build wrote, and the build never writes through links",
                    at.display()
                ));
            }
            if meta.is_dir() && last {
                return self.foreign_file_in(&at, &rel).map(|inner| {
                    format!(
                        "the folder {} must become a file, but it holds {}, which no build wrote",
                        at.display(),
                        inner.display()
                    )
                });
            }
            if !(meta.is_dir() || ours || last && self.force) {
                return Some(format!(
                    "{} is in the way and no build wrote it (pass --force to replace files of the same name)",
                    at.display()
                ));
            }
            if !meta.is_dir() {
                return None;
            }
        }
        None
    }

    /// A file below `dir` that the last build did not write, if there is one.
    fn foreign_file_in(&self, dir: &Path, rel: &str) -> Option<PathBuf> {
        for entry in walkdir::WalkDir::new(dir).min_depth(1) {
            let Ok(entry) = entry else {
                return Some(dir.to_path_buf());
            };
            if entry.file_type().is_dir() {
                continue;
            }
            let inner = entry
                .path()
                .strip_prefix(dir)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            if !self.previous.contains(&format!("{rel}/{inner}")) {
                return Some(entry.into_path());
            }
        }
        None
    }

    /// Make every folder on the way to `path` and clear its place of the last build's
    /// file or folder ([`DiskSink::obstacle`] has made sure nothing else is in the way).
    fn make_room(&self, path: &str) -> anyhow::Result<()> {
        let parts: Vec<&str> = path.split('/').collect();
        let mut at = self.output_dir.clone();
        for (i, part) in parts.iter().enumerate() {
            at.push(part);
            let last = i + 1 == parts.len();
            match std::fs::symlink_metadata(&at) {
                Err(_) if last => {}
                Err(_) => std::fs::create_dir(&at)
                    .with_context(|| format!("cannot create {}", at.display()))?,
                Ok(meta) if meta.is_dir() && last => std::fs::remove_dir_all(&at)
                    .with_context(|| format!("cannot remove {}", at.display()))?,
                Ok(meta) if meta.is_dir() => {}
                Ok(_) if last => {}
                Ok(_) => {
                    std::fs::remove_file(&at)
                        .with_context(|| format!("cannot remove {}", at.display()))?;
                    std::fs::create_dir(&at)
                        .with_context(|| format!("cannot create {}", at.display()))?;
                }
            }
        }
        Ok(())
    }
}

/// An exclusive lock on the output folder for the build's life (Unix `flock` on the
/// folder itself, so no lock file is left behind).
fn lock(output_dir: &Path) -> anyhow::Result<Option<std::fs::File>> {
    let Ok(dir) = std::fs::File::open(output_dir) else {
        return Ok(None);
    };
    match dir.try_lock() {
        Ok(()) => Ok(Some(dir)),
        Err(std::fs::TryLockError::WouldBlock) => bail!(
            "another build is writing into {} right now\n  help: wait for it to finish, or build into another folder with --output",
            output_dir.display()
        ),
        // A file system without locks: build without one, as before.
        Err(std::fs::TryLockError::Error(_)) => Ok(None),
    }
}

/// Staging folders of builds that were killed before they could clean up.
fn remove_stale_staging(output_dir: &Path) {
    let Ok(entries) = std::fs::read_dir(output_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(&format!("{OWN_PREFIX}staging-")) {
            let _ = std::fs::remove_dir_all(entry.path());
        } else if name.starts_with(&format!("{OWN_PREFIX}manifest.tmp-")) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Move a file into place in one rename; across file systems (a folder inside the output
/// that is a mount point), copy it next to its target first and rename it there.
fn move_file(from: &Path, to: &Path) -> std::io::Result<()> {
    match std::fs::rename(from, to) {
        Err(err) if err.kind() == std::io::ErrorKind::CrossesDevices => {
            copy_then_rename(from, to)?;
            std::fs::remove_file(from)
        }
        other => other,
    }
}

fn copy_then_rename(from: &Path, to: &Path) -> std::io::Result<()> {
    let name = to
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = to.with_file_name(format!("{OWN_PREFIX}{name}.tmp-{}", std::process::id()));
    let copied = std::fs::copy(from, &temporary).and_then(|_| std::fs::rename(&temporary, to));
    if copied.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    copied
}

impl Drop for DiskSink {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
            if self.created {
                // Empty unless something else wrote into it meanwhile: then it stays.
                let _ = std::fs::remove_dir(&self.output_dir);
            }
        }
    }
}

impl Sink for DiskSink {
    fn keep(&self, path: &str, stamp: &OutputStamp) -> bool {
        if !is_safe_output_path(path)
            || !self.previous.contains(path)
            || !self.is_plain_inside(path)
        {
            return false;
        }
        let ok = OutputStamp::of_file(&self.output_dir.join(path)).as_ref() == Some(stamp);
        if ok {
            self.record(path, false);
        }
        ok
    }

    fn put(&self, path: &str, bytes: Vec<u8>) -> anyhow::Result<OutputStamp> {
        check_path(path)?;
        if self.previous.contains(path) && self.is_plain_inside(path) {
            let old = self.output_dir.join(path);
            if unchanged(&old, &bytes)
                && let Some(stamp) = OutputStamp::of_file(&old)
            {
                self.record(path, false);
                return Ok(stamp);
            }
        }
        let target = self.staging.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&target, &bytes).with_context(|| {
            format!(
                "cannot write {}\n  help: check that the output folder is writable and its disk has space, or choose another with --output",
                self.output_dir.join(path).display()
            )
        })?;
        self.record(path, true);
        // The file keeps its inode and time when it is moved into place.
        OutputStamp::of_file(&target)
            .with_context(|| format!("cannot read back {}", target.display()))
    }

    fn read(&self, path: &str) -> Option<Vec<u8>> {
        let written = *self.outputs.lock().ok()?.get(path)?;
        let dir = if written {
            &self.staging
        } else {
            &self.output_dir
        };
        std::fs::read(dir.join(path)).ok()
    }
}

/// Whether the file at `path` holds exactly `bytes`; the size is compared first, so a
/// changed file is usually told apart without reading it.
fn unchanged(path: &Path, bytes: &[u8]) -> bool {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() && meta.len() == bytes.len() as u64 => {
            std::fs::read(path).is_ok_and(|old| old == bytes)
        }
        _ => false,
    }
}

/// Write `outputs` into `output_dir` as one change (see [`DiskSink`]).
pub fn write(
    outputs: &[crate::render::Output],
    output_dir: &Path,
    options: WriteOptions,
) -> anyhow::Result<()> {
    use rayon::prelude::*;
    let sink = DiskSink::new(output_dir, options)?;
    outputs
        .par_iter()
        .try_for_each(|output| sink.put(&output.path, output.bytes.clone()).map(|_| ()))?;
    sink.commit()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::Output;

    fn write(outputs: &[Output], dir: &Path) -> anyhow::Result<()> {
        super::write(outputs, dir, WriteOptions::default())
    }

    fn one(path: &str, bytes: &[u8]) -> Vec<Output> {
        vec![Output {
            path: path.into(),
            bytes: bytes.to_vec(),
        }]
    }

    /// Entries of `dir` other than the build's own, sorted, with `/` after folders.
    fn listing(dir: &Path) -> Vec<String> {
        let mut found: Vec<String> = walkdir::WalkDir::new(dir)
            .min_depth(1)
            .into_iter()
            .map(|e| e.unwrap())
            .filter(|e| !e.file_name().to_string_lossy().starts_with(OWN_PREFIX))
            .map(|e| {
                let rel = e
                    .path()
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                if e.file_type().is_dir() {
                    format!("{rel}/")
                } else {
                    rel
                }
            })
            .collect();
        found.sort();
        found
    }

    #[test]
    fn stale_files_of_the_last_build_go_and_nothing_else_does() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        write(&one("old/stale.html", b"x"), &out).unwrap();
        // What the user put there: a CNAME, dot-files, a file in a folder of the build's.
        std::fs::write(out.join("CNAME"), "example.org").unwrap();
        std::fs::write(out.join(".nojekyll"), "").unwrap();
        std::fs::create_dir_all(out.join(".git/objects")).unwrap();
        std::fs::write(out.join(".git/HEAD"), "ref").unwrap();
        std::fs::write(out.join("old/notes.txt"), "mine").unwrap();
        write(&one("a/index.html", b"new"), &out).unwrap();
        assert_eq!(
            listing(&out),
            [
                ".git/",
                ".git/HEAD",
                ".git/objects/",
                ".nojekyll",
                "CNAME",
                "a/",
                "a/index.html",
                "old/",
                "old/notes.txt"
            ]
        );
        // The folder the stale file leaves empty goes too.
        write(&one("b.html", b"x"), &out).unwrap();
        std::fs::remove_file(out.join("old/notes.txt")).unwrap();
        write(&one("b.html", b"x"), &out).unwrap();
        assert!(!out.join("a").exists());
        assert!(
            out.join("old").exists(),
            "a folder the build did not make empty stays"
        );
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(
            leftovers.len(),
            1,
            "nothing is written beside the output folder"
        );
        let own: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(OWN_PREFIX))
            .collect();
        assert_eq!(own, [MANIFEST], "staging folders are cleaned up");
    }

    #[test]
    fn a_filled_folder_without_a_manifest_is_refused_unless_forced() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("site");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("index.html"), "theirs").unwrap();
        std::fs::write(out.join("notes.txt"), "theirs").unwrap();
        let err = write(&one("index.html", b"ours"), &out)
            .unwrap_err()
            .to_string();
        assert!(err.contains("refusing to build into"), "{err}");
        assert!(err.contains("--force"), "{err}");
        assert_eq!(std::fs::read(out.join("index.html")).unwrap(), b"theirs");
        super::write(
            &one("index.html", b"ours"),
            &out,
            WriteOptions { force: true },
        )
        .unwrap();
        assert_eq!(std::fs::read(out.join("index.html")).unwrap(), b"ours");
        // Forced once, the folder has a manifest: the next build needs no force and
        // still never removes the file it did not write.
        write(&one("other.html", b"ours"), &out).unwrap();
        assert_eq!(listing(&out), ["notes.txt", "other.html"]);
        // Only dot-files: nothing to lose, no force needed.
        let dotted = dir.path().join("worktree");
        std::fs::create_dir_all(&dotted).unwrap();
        std::fs::write(dotted.join(".git"), "gitdir: x").unwrap();
        write(&one("index.html", b"ours"), &dotted).unwrap();
        assert_eq!(std::fs::read(dotted.join(".git")).unwrap(), b"gitdir: x");
    }

    #[test]
    fn a_file_of_someone_elses_in_the_way_stops_the_commit_before_any_move() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        write(&one("a.html", b"one"), &out).unwrap();
        std::fs::write(out.join("b.html"), "theirs").unwrap();
        std::fs::create_dir_all(out.join("c")).unwrap();
        std::fs::write(out.join("c/keep.txt"), "theirs").unwrap();
        let outputs = vec![
            Output {
                path: "a.html".into(),
                bytes: b"two".to_vec(),
            },
            Output {
                path: "b.html".into(),
                bytes: b"ours".to_vec(),
            },
            Output {
                path: "c".into(),
                bytes: b"ours".to_vec(),
            },
        ];
        let err = format!("{:#}", write(&outputs, &out).unwrap_err());
        assert!(err.contains("b.html is in the way"), "{err}");
        assert!(err.contains("1 more"), "{err}");
        assert_eq!(
            std::fs::read(out.join("a.html")).unwrap(),
            b"one",
            "nothing moved"
        );
        assert_eq!(std::fs::read(out.join("b.html")).unwrap(), b"theirs");
        assert!(out.join("c/keep.txt").is_file());
    }

    #[test]
    fn links_in_the_output_folder_are_never_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let elsewhere = dir.path().join("elsewhere");
        std::fs::create_dir_all(&elsewhere).unwrap();
        write(&one("x.html", b"x"), &out).unwrap();
        std::os::unix::fs::symlink(&elsewhere, out.join("deal")).unwrap();
        let err = format!(
            "{:#}",
            write(&one("deal/index.html", b"x"), &out).unwrap_err()
        );
        assert!(err.contains("symbolic link"), "{err}");
        assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
    }

    #[test]
    fn unsafe_paths_are_refused_whatever_made_them() {
        for path in [
            "../x.html",
            "/etc/x",
            "a/../../x",
            "a//b",
            ".git/config",
            "a/.env",
            "",
            "a\\b",
            "c:x",
        ] {
            assert!(!is_safe_output_path(path), "{path}");
        }
        for path in [
            "index.html",
            "deal/index.html",
            "style.3f2a.css",
            "a b/é.html",
        ] {
            assert!(is_safe_output_path(path), "{path}");
        }
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let sink = DiskSink::new(&out, WriteOptions::default()).unwrap();
        assert!(sink.put("../escaped.html", b"x".to_vec()).is_err());
        drop(sink);
        assert!(!dir.path().join("escaped.html").exists());
        assert!(!out.exists(), "a failed first build leaves no folder");
    }

    #[test]
    fn the_output_folder_may_not_be_or_hold_the_site() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("site");
        std::fs::create_dir_all(root.join("content")).unwrap();
        for bad in [
            ".",
            "..",
            "content",
            "content/out",
            "static/x",
            "data",
            ".briefing-cache/x",
        ] {
            let err = check_output_dir(&root, &root.join(bad))
                .unwrap_err()
                .to_string();
            assert!(err.contains("refusing to build into"), "{bad}: {err}");
        }
        assert!(check_output_dir(&root, &root.join("public")).is_ok());
        assert!(check_output_dir(&root, &dir.path().join("elsewhere/public")).is_ok());
        // Through a link to the site's folder.
        std::os::unix::fs::symlink(&root, dir.path().join("link")).unwrap();
        assert!(check_output_dir(&root, &dir.path().join("link")).is_err());
        assert!(check_output_dir(&root, &dir.path().join("link/public/../content")).is_err());
    }

    #[test]
    fn a_folder_new_to_the_output_folder_comes_over_whole() {
        use std::os::unix::fs::MetadataExt as _;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        write(&one("a/x.html", b"old"), &out).unwrap();
        std::fs::write(out.join("a/user.txt"), "mine").unwrap();
        let sink = DiskSink::new(&out, WriteOptions::default()).unwrap();
        for (path, bytes) in [("a/x.html", "new"), ("b/c/y.html", "y"), ("b/z.html", "z")] {
            sink.put(path, bytes.as_bytes().to_vec()).unwrap();
        }
        let staged = std::fs::metadata(sink.staging.join("b")).unwrap().ino();
        sink.commit().unwrap();
        assert_eq!(
            std::fs::metadata(out.join("b")).unwrap().ino(),
            staged,
            "moved in one rename"
        );
        assert_eq!(
            listing(&out),
            [
                "a/",
                "a/user.txt",
                "a/x.html",
                "b/",
                "b/c/",
                "b/c/y.html",
                "b/z.html"
            ]
        );
        assert_eq!(std::fs::read(out.join("a/x.html")).unwrap(), b"new");
        assert_eq!(std::fs::read(out.join("b/c/y.html")).unwrap(), b"y");
        let manifest: Vec<String> = read_manifest(&out).unwrap().into_iter().collect();
        assert_eq!(manifest, ["a/x.html", "b/c/y.html", "b/z.html"]);
    }

    #[test]
    fn a_file_may_become_a_folder_and_back() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        write(&one("notes", b"x"), &out).unwrap();
        write(&one("notes/index.html", b"x"), &out).unwrap();
        assert!(out.join("notes/index.html").is_file());
        write(&one("notes", b"x"), &out).unwrap();
        assert!(out.join("notes").is_file());
    }

    #[test]
    fn a_sink_dropped_without_commit_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        write(&one("a.html", b"old"), &out).unwrap();
        let before = listing(&out);
        let sink = DiskSink::new(&out, WriteOptions::default()).unwrap();
        sink.put("a.html", b"new".to_vec()).unwrap();
        sink.put("b.html", b"new".to_vec()).unwrap();
        drop(sink);
        assert_eq!(std::fs::read(out.join("a.html")).unwrap(), b"old");
        assert_eq!(listing(&out), before);
        assert_eq!(
            std::fs::read_dir(&out).unwrap().count(),
            2,
            "a.html and the manifest"
        );
    }

    #[test]
    fn an_interrupted_commit_is_finished_by_the_next_build() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        write(&one("old.html", b"x"), &out).unwrap();
        // A commit killed after the new files were moved in: the manifest names both.
        std::fs::write(out.join("new.html"), "y").unwrap();
        write_manifest(&out, &["new.html".to_string(), "old.html".to_string()]).unwrap();
        std::fs::create_dir_all(out.join(".briefing-staging-999999/x")).unwrap();
        write(&one("new.html", b"y"), &out).unwrap();
        assert_eq!(listing(&out), ["new.html"]);
        assert_eq!(
            std::fs::read_dir(&out).unwrap().count(),
            2,
            "new.html and the manifest"
        );
    }

    #[test]
    fn a_copy_across_file_systems_lands_whole() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("from"), "bytes").unwrap();
        copy_then_rename(&dir.path().join("from"), &dir.path().join("to")).unwrap();
        assert_eq!(std::fs::read(dir.path().join("to")).unwrap(), b"bytes");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            2,
            "no temporary left"
        );
    }

    #[test]
    fn unchanged_files_are_not_rewritten() {
        use std::os::unix::fs::MetadataExt as _;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let files = |same: &[u8], changed: &[u8]| {
            vec![
                Output {
                    path: "same.html".into(),
                    bytes: same.to_vec(),
                },
                Output {
                    path: "a/changed.html".into(),
                    bytes: changed.to_vec(),
                },
            ]
        };
        write(&files(b"same", b"one"), &out).unwrap();
        let inode = |p: &str| std::fs::metadata(out.join(p)).unwrap().ino();
        let (same, changed) = (inode("same.html"), inode("a/changed.html"));
        write(&files(b"same", b"two"), &out).unwrap();
        assert_eq!(inode("same.html"), same, "an unchanged file is kept");
        assert_ne!(inode("a/changed.html"), changed);
        assert_eq!(std::fs::read(out.join("a/changed.html")).unwrap(), b"two");
        // Same size, other bytes: still rewritten.
        write(&files(b"SAME", b"two"), &out).unwrap();
        assert_eq!(std::fs::read(out.join("same.html")).unwrap(), b"SAME");
    }
}
