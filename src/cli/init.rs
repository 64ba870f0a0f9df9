//! Starting: `briefing init DIR` writes a new, working briefing site from the starter
//! compiled into the binary, so someone who has only the binary can begin.

use std::path::{Path, PathBuf};

use crate::load::site::BUILT_IN_STATIC;
use crate::load::templates::BUILT_IN;
use crate::util::error::{Problem, Problems};

/// The starter's own files; the templates and the stylesheet are the built-in ones.
const STARTER: &[(&str, &str)] = &[
    ("briefing.yaml", include_str!("starter/briefing.yaml")),
    (
        "data/figures.yaml",
        include_str!("starter/data/figures.yaml"),
    ),
    (
        "content/_index.md",
        include_str!("starter/content/_index.md"),
    ),
    (
        "content/contract.md",
        include_str!("starter/content/contract.md"),
    ),
    (
        "content/method.md",
        include_str!("starter/content/method.md"),
    ),
    (".gitignore", "/public\n/.briefing-cache\n"),
];

/// Every file of a new site: path inside the site folder and contents.
pub fn starter_files() -> Vec<(String, &'static [u8])> {
    let mut files: Vec<(String, &'static [u8])> = STARTER
        .iter()
        .map(|(path, text)| (path.to_string(), text.as_bytes()))
        .collect();
    files.extend(
        BUILT_IN
            .iter()
            .map(|(name, text)| (format!("templates/{name}"), text.as_bytes())),
    );
    files.extend(
        BUILT_IN_STATIC
            .iter()
            .map(|(name, bytes)| (format!("static/{name}"), *bytes)),
    );
    files
}

/// Write a new site into `dir` (created if needed). A folder that already holds
/// anything is refused unless `force`, which replaces the starter's files in it and
/// leaves every other file alone. Returns the files written.
pub fn init(dir: &Path, force: bool) -> Result<Vec<PathBuf>, Problems> {
    if dir.exists() && !dir.is_dir() {
        return Err(Problem::new(dir, "this is a file, not a folder")
            .help("name a new or an empty folder for the site")
            .into());
    }
    if dir.is_dir() && !force {
        let mut entries = std::fs::read_dir(dir)
            .map_err(|err| Problem::new(dir, format!("cannot read the folder: {err}")))?;
        if entries.next().is_some() {
            return Err(Problem::new(dir, "the folder is not empty")
                .help("choose a new or empty folder, or pass --force to write the starter into it (files of the same names are replaced, others are kept)")
                .into());
        }
    }
    let mut written = Vec::new();
    let mut problems = Vec::new();
    for (rel, bytes) in starter_files() {
        let path = dir.join(&rel);
        let result = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&path, bytes));
        match result {
            Ok(()) => written.push(path),
            Err(err) => problems.push(Problem::new(&path, format!("cannot write: {err}"))),
        }
    }
    if problems.is_empty() {
        Ok(written)
    } else {
        Err(Problems(problems))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_folder_with_files_unless_forced() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        let err = init(dir.path(), false).unwrap_err();
        assert!(err.0[0].message.contains("not empty"), "{err}");
        assert!(!dir.path().join("briefing.yaml").exists());
        init(dir.path(), true).unwrap();
        assert!(dir.path().join("briefing.yaml").is_file());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(),
            "mine"
        );
    }

    #[test]
    fn creates_a_missing_folder_with_templates_and_styles() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("a/new/site");
        let written = init(&site, false).unwrap();
        for rel in [
            "templates/base.html",
            "templates/404.html",
            "static/style.css",
            "content/_index.md",
        ] {
            assert!(written.contains(&site.join(rel)), "{rel}");
        }
    }
}
