//! Loading: the files of a site folder (content/, templates/, static/), listed in a stable order.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::util::error::Problem;

/// One file found below a folder.
pub struct Found {
    pub path: PathBuf,
    /// Path inside the folder, with `/` separators whatever the platform.
    pub rel: String,
}

/// Every file below `dir` (none if it does not exist), sorted by path, following links
/// that stay inside the site's folder `root`. Hidden files and folders (`.git`,
/// `.DS_Store`, an editor's `.#draft.md`) are left out. A link to anything outside the
/// site's folder is refused with a problem, never followed: a link in `static/` to
/// `~/.ssh/id_ed25519` must not publish the key. Unreadable entries become problems
/// named relative to `root`.
pub fn list(root: &Path, dir: &Path) -> (Vec<Found>, Vec<Problem>) {
    let mut found = Vec::new();
    let mut problems = Vec::new();
    if !dir.is_dir() {
        return (found, problems);
    }
    let site = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let mut walk = WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter();
    while let Some(entry) = walk.next() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                let path = err.path().unwrap_or(dir).to_path_buf();
                problems.push(cannot_read(root, &path, &err));
                continue;
            }
        };
        let hidden = entry.depth() > 0 && entry.file_name().to_string_lossy().starts_with('.');
        if entry.path_is_symlink() && !hidden {
            let target = std::fs::canonicalize(entry.path());
            if !target
                .as_ref()
                .is_ok_and(|target| target.starts_with(&site))
            {
                let shown = target.map_or_else(|_| "?".into(), |t| t.display().to_string());
                problems.push(
                    Problem::new(
                        display_path(root, entry.path()),
                        format!("is a symbolic link to {shown}, outside the site's folder"),
                    )
                    .help("links that leave the site are refused, so a private file is never published by mistake: copy the file into the site instead"),
                );
                if entry.file_type().is_dir() {
                    walk.skip_current_dir();
                }
                continue;
            }
        }
        if hidden {
            if entry.file_type().is_dir() {
                walk.skip_current_dir();
            }
            continue;
        }
        if entry.file_type().is_file() {
            let rel = entry
                .path()
                .strip_prefix(dir)
                .unwrap_or(entry.path())
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            found.push(Found {
                path: entry.into_path(),
                rel,
            });
        }
    }
    (found, problems)
}

/// The path relative to the site root when it is inside it, so messages read `content/x.md`.
pub fn display_path(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}

pub fn cannot_read(root: &Path, path: &Path, err: &dyn std::fmt::Display) -> Problem {
    Problem::new(display_path(root, path), format!("cannot read: {err}"))
}

/// The text of the file at `path` (named `shown` in messages), which must be UTF-8.
pub fn read_text(path: &Path, shown: &Path) -> Result<String, Problem> {
    let bytes =
        std::fs::read(path).map_err(|err| Problem::new(shown, format!("cannot read: {err}")))?;
    decode(shown, bytes)
}

/// `bytes` as text, or a problem at the line and column of the first byte that is not UTF-8.
pub fn decode(shown: &Path, bytes: Vec<u8>) -> Result<String, Problem> {
    String::from_utf8(bytes).map_err(|err| {
        let bytes = err.as_bytes();
        let valid = err.utf8_error().valid_up_to();
        // The prefix up to the first bad byte is UTF-8 by definition.
        let before = std::str::from_utf8(&bytes[..valid]).unwrap_or_default();
        let (line, column) = crate::util::error::line_col(before, valid);
        let utf16 = bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]);
        let message = if utf16 {
            "the file is UTF-16 text, not UTF-8".to_string()
        } else {
            format!(
                "the file is not UTF-8 text: byte 0x{:02X} here is not part of a UTF-8 character",
                bytes.get(valid).copied().unwrap_or_default()
            )
        };
        Problem::new(shown, message).at(line, column).help(
            "save the file as UTF-8 (editors offer the encoding under \"Save as\" or \"Reopen with encoding\")",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_nested_files_in_order_without_hidden_ones() {
        let dir = tempfile::tempdir().unwrap();
        for file in ["b.md", "a/c.md", ".hidden.md", ".git/x", "a/.#c.md"] {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x").unwrap();
        }
        let (found, problems) = list(dir.path(), dir.path());
        let rels: Vec<&str> = found.iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(rels, ["a/c.md", "b.md"]);
        assert!(problems.is_empty());
        assert!(list(dir.path(), &dir.path().join("missing")).0.is_empty());
    }

    #[test]
    fn links_out_of_the_site_are_refused_links_inside_are_followed() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("id_ed25519"), "secret").unwrap();
        std::fs::create_dir_all(outside.path().join("folder")).unwrap();
        std::fs::write(outside.path().join("folder/x.css"), "x").unwrap();
        let site = tempfile::tempdir().unwrap();
        let stat = site.path().join("static");
        std::fs::create_dir_all(stat.join("img")).unwrap();
        std::fs::write(stat.join("img/a.png"), "png").unwrap();
        std::os::unix::fs::symlink(outside.path().join("id_ed25519"), stat.join("key")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("folder"), stat.join("shared")).unwrap();
        std::os::unix::fs::symlink(stat.join("img/a.png"), stat.join("b.png")).unwrap();
        std::os::unix::fs::symlink(stat.join("gone"), stat.join("dangling")).unwrap();
        let (found, problems) = list(site.path(), &stat);
        let rels: Vec<&str> = found.iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(rels, ["b.png", "img/a.png"]);
        let paths: Vec<String> = problems
            .iter()
            .map(|p| p.path.display().to_string())
            .collect();
        assert_eq!(
            paths,
            ["static/dangling", "static/key", "static/shared"],
            "{problems:?}"
        );
        assert!(
            problems[1].message.contains("outside the site"),
            "{}",
            problems[1]
        );
    }

    #[test]
    fn text_that_is_not_utf8_is_placed_at_its_first_bad_byte() {
        let shown = Path::new("a.md");
        assert_eq!(decode(shown, b"ok\n".to_vec()).unwrap(), "ok\n");
        let bad = decode(shown, b"one\nt\xc3\xa9 \xe9\n".to_vec()).unwrap_err();
        assert_eq!(bad.location(), "a.md:2:4");
        assert!(bad.message.contains("0xE9"), "{bad}");
        // A character cut short at the end of the file.
        assert_eq!(
            decode(shown, b"ab\xe5\xae".to_vec())
                .unwrap_err()
                .location(),
            "a.md:1:3"
        );
        let utf16 = decode(shown, b"\xff\xfet\x00".to_vec()).unwrap_err();
        assert!(utf16.message.contains("UTF-16"), "{utf16}");
    }
}
