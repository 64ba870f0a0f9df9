//! `SiteTest`: a fixture site copied to a temporary folder, built in memory or by the binary.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use briefing::{LoadOptions, Problems, Site};

pub struct SiteTest {
    dir: tempfile::TempDir,
    pub options: LoadOptions,
}

impl SiteTest {
    /// A private copy of `tests/fixtures/NAME`, so a test can change it freely.
    pub fn from_dir(name: &str) -> SiteTest {
        let source = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        let dir = tempfile::tempdir().expect("temp dir");
        copy_tree(&source, dir.path());
        SiteTest {
            dir,
            options: LoadOptions::default(),
        }
    }

    /// The repository's own briefing.
    pub fn shipped() -> SiteTest {
        let source = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = tempfile::tempdir().expect("temp dir");
        for part in ["briefing.yaml", "content", "data", "templates", "static"] {
            let from = source.join(part);
            if from.is_dir() {
                copy_tree(&from, &dir.path().join(part));
            } else {
                std::fs::copy(&from, dir.path().join(part)).expect("copy");
            }
        }
        SiteTest {
            dir,
            options: LoadOptions::default(),
        }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Replace (or create) a file of the site.
    pub fn write(&self, rel: &str, text: &str) -> &Self {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        self
    }

    pub fn remove(&self, rel: &str) -> &Self {
        std::fs::remove_file(self.path(rel)).unwrap();
        self
    }

    pub fn drafts(mut self) -> Self {
        self.options.drafts = true;
        self
    }

    /// Load and render in memory; panics with the problems if the build fails.
    pub fn build(&self) -> Built {
        match self.try_build() {
            Ok(built) => built,
            Err(problems) => panic!("build failed:\n{problems}"),
        }
    }

    pub fn try_build(&self) -> Result<Built, Problems> {
        let site = Site::load(self.root(), &self.options)?;
        let outputs = briefing::publish::render(&site)?;
        Ok(Built {
            files: outputs.into_iter().map(|o| (o.path, o.bytes)).collect(),
        })
    }

    /// Load, render, fingerprint and check links, as `briefing build` does before writing.
    pub fn try_publish(&self) -> Result<briefing::publish::Published, Problems> {
        let site = Site::load(self.root(), &self.options)?;
        briefing::publish::prepare(&site, &briefing::publish::Options::default())
    }

    /// [`SiteTest::try_publish`] that must succeed, as outputs.
    pub fn publish(&self) -> Built {
        match self.try_publish() {
            Ok(published) => Built {
                files: published
                    .outputs
                    .into_iter()
                    .map(|o| (o.path, o.bytes))
                    .collect(),
            },
            Err(problems) => panic!("publish failed:\n{problems}"),
        }
    }

    /// The problems of a build that must fail.
    pub fn problems(&self) -> Problems {
        match self.try_build() {
            Ok(_) => panic!("the build succeeded but was expected to fail"),
            Err(problems) => problems,
        }
    }

    /// Run the `briefing` binary with `args`, which must succeed (else the test fails with its stderr).
    pub fn cli_ok(&self, args: &[&str]) -> std::process::Output {
        let out = self.cli(args);
        assert!(
            out.status.success(),
            "briefing {} failed:\n{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Run the `briefing` binary with `args` in the site's folder. The shared highlight
    /// cache is off unless `args` name one, so no test reads or fills the user's.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_briefing"))
            .args(args)
            .env("BRIEFING_CACHE_DIR", "off")
            .env_remove("BRIEFING_CACHE_LIMIT_MB")
            .current_dir(self.root())
            .output()
            .expect("run briefing")
    }
}

pub struct Built {
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Built {
    pub fn file(&self, path: &str) -> String {
        let bytes = self.files.get(path).unwrap_or_else(|| {
            panic!(
                "no output {path}; outputs: {:?}",
                self.files.keys().collect::<Vec<_>>()
            )
        });
        String::from_utf8(bytes.clone()).expect("utf-8 output")
    }

    pub fn has(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    /// The one output whose path starts with `prefix` and ends with `suffix`
    /// (a fingerprinted asset: `style.` + `.css`).
    pub fn find(&self, prefix: &str, suffix: &str) -> String {
        let found: Vec<&String> = self
            .files
            .keys()
            .filter(|p| p.starts_with(prefix) && p.ends_with(suffix))
            .collect();
        assert_eq!(found.len(), 1, "outputs {prefix}*{suffix}: {found:?}");
        found[0].clone()
    }

    /// Every HTML output with its text.
    pub fn html(&self) -> Vec<(String, String)> {
        self.files
            .iter()
            .filter(|(p, _)| p.ends_with(".html"))
            .map(|(p, b)| (p.clone(), String::from_utf8(b.clone()).unwrap()))
            .collect()
    }
}

/// A new tab of `browser` showing the file at `path` (a built page), loaded.
pub fn open_page(
    browser: &headless_chrome::Browser,
    path: &Path,
) -> std::sync::Arc<headless_chrome::Tab> {
    let tab = browser.new_tab().expect("a tab");
    tab.navigate_to(&format!("file://{}", path.display()))
        .expect("navigate")
        .wait_until_navigated()
        .expect("loaded");
    tab
}

pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every file below `dir` with its bytes, to compare a folder before and after.
pub fn snapshot_tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().strip_prefix(dir).unwrap().to_path_buf(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}
