//! The highlight cache every site of a user shares: a fresh clone, or another site with the
//! same code, builds without highlighting anything; builds at once and damage never change
//! a byte of the output.

use std::path::Path;

use briefing::LoadOptions;

use crate::support::{SiteTest, copy_tree, snapshot_tree};

/// A site with `blocks` code blocks in three languages, all different.
fn code_site(blocks: u32) -> SiteTest {
    let site = SiteTest::from_dir("basic");
    for n in 0..blocks {
        site.write(
            &format!("content/code{n}.md"),
            &format!(
                "---\ntitle: Code {n}\n---\nSome code.\n\n```rust\nfn cost() -> u32 {{ {n} }}\n```\n\n\
                 ```python\ndef f():\n    return {n}\n```\n\n```yaml\nkey: {n}\n```\n"
            ),
        );
    }
    site
}

fn build(root: &Path, shared: &Path) -> briefing::publish::BuildSummary {
    let options = LoadOptions {
        shared_cache: Some(shared.to_path_buf()),
        ..LoadOptions::default()
    };
    briefing::build(root, &root.join("public"), &options).unwrap()
}

/// The output of a `--no-cache` build of the same site, into another folder.
fn cold_tree(site: &SiteTest) -> std::collections::BTreeMap<std::path::PathBuf, Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    site.cli_ok(&["build", "--no-cache", "--output", out.to_str().unwrap()]);
    snapshot_tree(&out)
}

/// `briefing build` in `root` with the shared cache in `cache`, and its default size bound
/// whatever the environment says, so no entry is evicted under a test.
fn build_command(root: &Path, cache: &Path) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_briefing"));
    command
        .args(["build", "--cache-dir"])
        .arg(cache)
        .env_remove("BRIEFING_CACHE_LIMIT_MB")
        .current_dir(root);
    command
}

/// A copy of the site's sources alone, as a fresh clone has them.
fn fresh_clone(site: &SiteTest) -> tempfile::TempDir {
    fresh_clone_of(site.root())
}

fn fresh_clone_of(root: &Path) -> tempfile::TempDir {
    let clone = tempfile::tempdir().unwrap();
    for folder in ["content", "data", "templates", "static"] {
        let from = root.join(folder);
        if from.is_dir() {
            copy_tree(&from, &clone.path().join(folder));
        }
    }
    std::fs::copy(
        root.join("briefing.yaml"),
        clone.path().join("briefing.yaml"),
    )
    .unwrap();
    clone
}

#[test]
fn a_fresh_clone_with_the_shared_cache_highlights_nothing() {
    let shared = tempfile::tempdir().unwrap();
    let site = code_site(4);
    let first = build(site.root(), shared.path());
    assert_eq!(
        first.highlighted, 14,
        "4 pages of 3 blocks, and alpha.md's 2"
    );

    let clone = fresh_clone(&site);
    assert!(!clone.path().join(".briefing-cache").exists());
    let second = build(clone.path(), shared.path());
    assert_eq!(
        second.highlighted, 0,
        "every block came from the shared cache"
    );
    assert_eq!(
        (second.rendered, second.restored),
        (0, second.pages),
        "every page too: the same sources, built by the same binary"
    );
    assert_eq!(
        snapshot_tree(&clone.path().join("public")),
        cold_tree(&site)
    );
    // The clone's own cache now holds them: its next build keeps every page.
    let next = build(clone.path(), shared.path());
    assert_eq!((next.rendered, next.restored), (0, 0));

    // A page changed in a clone is rendered; its code still comes from the shared cache.
    let alpha = std::fs::read_to_string(clone.path().join("content/alpha.md")).unwrap();
    std::fs::write(
        clone.path().join("content/alpha.md"),
        alpha.replace("Alpha pays", "Alpha now pays"),
    )
    .unwrap();
    let fresh = fresh_clone_of(clone.path());
    let edited = build(fresh.path(), shared.path());
    assert!(edited.rendered >= 1, "{edited:?}");
    assert_eq!(edited.highlighted, 0);
    assert!(edited.restored > 0, "{edited:?}");

    // Another site that shares one block with the first highlights only the others.
    let other = SiteTest::from_dir("basic");
    other.write(
        "content/mixed.md",
        "---\ntitle: Mixed\n---\nText.\n\n```rust\nfn cost() -> u32 { 2 }\n```\n\n```rust\nfn other() {}\n```\n",
    );
    let third = build(other.root(), shared.path());
    assert_eq!(
        third.highlighted, 1,
        "alpha.md's blocks and one of the two are shared"
    );

    // Without the shared cache, the same clone highlights every block again.
    let lone = fresh_clone(&site);
    let summary = briefing::build(
        lone.path(),
        &lone.path().join("public"),
        &LoadOptions::default(),
    )
    .unwrap();
    assert_eq!(summary.highlighted, 14);
}

#[test]
fn two_builds_at_once_sharing_the_cache_write_the_same_bytes_as_no_cache() {
    let shared = tempfile::tempdir().unwrap();
    let site = code_site(40);
    let expected = cold_tree(&site);
    let clones = [fresh_clone(&site), fresh_clone(&site)];
    let cache = shared.path().to_str().unwrap().to_string();
    let children: Vec<_> = clones
        .iter()
        .map(|clone| {
            build_command(clone.path(), Path::new(&cache))
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for clone in &clones {
        assert_eq!(snapshot_tree(&clone.path().join("public")), expected);
    }
    // And a third build, reading what both wrote, highlights nothing.
    let third = fresh_clone(&site);
    assert_eq!(build(third.path(), shared.path()).highlighted, 0);
    assert_eq!(snapshot_tree(&third.path().join("public")), expected);
}

#[test]
fn a_damaged_shared_cache_warns_once_and_changes_no_byte() {
    let shared = tempfile::tempdir().unwrap();
    let site = code_site(3);
    // By the binary the damaged build runs: pages are shared between builds of one binary.
    site.cli_ok(&["build", "--cache-dir", shared.path().to_str().unwrap()]);
    let expected = cold_tree(&site);
    // Flip a byte in every entry (code blocks and pages), and cut one of each short.
    let mut entries = 0;
    for kind in ["highlight-v1", "pages-v1"] {
        let files: Vec<_> = walkdir::WalkDir::new(shared.path().join(kind))
            .min_depth(2)
            .into_iter()
            .map(Result::unwrap)
            .filter(|e| e.file_type().is_file())
            .collect();
        for (i, entry) in files.iter().enumerate() {
            let mut bytes = std::fs::read(entry.path()).unwrap();
            let at = bytes.len() / 2;
            bytes[at] ^= 0x20;
            if i == 0 {
                bytes.truncate(3);
            }
            std::fs::write(entry.path(), &bytes).unwrap();
            entries += 1;
        }
    }
    assert_eq!(entries, 11 + 7, "11 blocks, 7 pages");
    let clone = fresh_clone(&site);
    let out = build_command(clone.path(), shared.path()).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.lines().count(),
        2,
        "one warning of each kind: {stderr}"
    );
    assert!(
        stderr.lines().all(|l| l.starts_with("warning: ")),
        "{stderr}"
    );
    assert!(stderr.contains("shared cached code block"), "{stderr}");
    assert!(stderr.contains("shared cached page"), "{stderr}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("11 code blocks highlighted"),
        "every damaged block is highlighted again"
    );
    assert_eq!(snapshot_tree(&clone.path().join("public")), expected);
    // The damaged entries were replaced: the next fresh clone highlights and renders nothing.
    let again = fresh_clone(&site);
    let out = build_command(again.path(), shared.path()).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("(0 rendered, 7 from the shared cache"),
        "{stdout}"
    );
    assert!(stdout.contains("0 code blocks highlighted"), "{stdout}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn no_cache_leaves_the_shared_cache_alone() {
    let shared = tempfile::tempdir().unwrap();
    let site = code_site(1);
    let out = site.cli(&[
        "build",
        "--no-cache",
        "--cache-dir",
        shared.path().to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert_eq!(std::fs::read_dir(shared.path()).unwrap().count(), 0);
    // `check` reads the shared cache but writes nothing to it.
    let out = site.cli(&["check", "--cache-dir", shared.path().to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_dir(shared.path()).unwrap().count(), 0);
}
