//! The output folder is the build's alone: what it refuses, what it never touches,
//! and that nothing is written outside it.

use crate::support::{SiteTest, snapshot_tree};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_site_folder_and_its_sources_are_refused_as_output() {
    let site = SiteTest::from_dir("basic");
    std::fs::create_dir_all(site.path(".git")).unwrap();
    std::fs::write(site.path(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    let before = snapshot_tree(site.root());
    for output in [
        ".",
        "..",
        "content",
        "content/out",
        "static",
        "templates/x",
        "data",
    ] {
        let out = site.cli(&["build", "-o", output]);
        assert_eq!(out.status.code(), Some(1), "-o {output}");
        assert!(
            stderr(&out).contains("refusing to build into"),
            "-o {output}: {}",
            stderr(&out)
        );
        assert_eq!(
            snapshot_tree(site.root()),
            before,
            "-o {output} changed the site"
        );
    }
    // The same through --root: `--root s -o s`.
    let parent = site.root().parent().unwrap();
    let name = site.root().file_name().unwrap().to_str().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_briefing"))
        .env("BRIEFING_CACHE_DIR", "off")
        .args(["build", "--root", name, "-o", name])
        .current_dir(parent)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(snapshot_tree(site.root()), before);
}

#[test]
fn files_the_build_did_not_write_are_kept() {
    let site = SiteTest::from_dir("basic");
    site.cli_ok(&["build"]);
    site.write("public/CNAME", "briefing.example.org\n");
    site.write("public/.nojekyll", "");
    site.write("public/.git", "gitdir: ../.git/worktrees/gh-pages\n");
    site.write("public/gamma/notes.txt", "mine\n");
    // A page goes: its file goes, the user's file in its folder stays.
    site.remove("content/gamma.md");
    site.cli_ok(&["build"]);
    assert!(!site.path("public/gamma/index.html").exists());
    for kept in ["CNAME", ".nojekyll", ".git", "gamma/notes.txt"] {
        assert!(
            site.path("public").join(kept).is_file(),
            "{kept} was removed"
        );
    }
    site.cli_ok(&["build", "--no-cache"]);
    assert!(site.path("public/CNAME").is_file());
}

#[test]
fn a_filled_folder_without_a_manifest_needs_force() {
    let site = SiteTest::from_dir("basic");
    site.write("www/index.html", "<p>the old site, by hand</p>");
    site.write("www/photo.jpg", "jpeg");
    let out = site.cli(&["build", "-o", "www"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(site.path("www/index.html")).unwrap(),
        "<p>the old site, by hand</p>"
    );
    site.cli_ok(&["build", "-o", "www", "--force"]);
    assert!(
        std::fs::read_to_string(site.path("www/index.html"))
            .unwrap()
            .contains("<html")
    );
    assert!(
        site.path("www/photo.jpg").is_file(),
        "--force writes, it never removes"
    );
    site.cli_ok(&["build", "-o", "www"]);
    assert!(site.path("www/photo.jpg").is_file());
}

#[test]
fn a_slug_cannot_lead_out_of_the_output_folder() {
    let site = SiteTest::from_dir("basic");
    site.write(
        "content/escape.md",
        "---\ntitle: Out\nslug: ../../escaped\n---\nText.\n",
    );
    let out = site.cli(&["build"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out)
            .contains("content/escape.md:3:1: `slug: ../../escaped` holds a folder separator"),
        "{}",
        stderr(&out)
    );
    let above = site.root().parent().unwrap();
    assert!(!above.join("escaped").exists());
    assert!(!site.path("escaped").exists());
    assert!(
        !site.path("public").exists(),
        "a failed first build leaves no folder"
    );
}

#[test]
fn a_link_to_a_file_outside_the_site_is_refused() {
    let site = SiteTest::from_dir("basic");
    let secret = tempfile::tempdir().unwrap();
    std::fs::write(secret.path().join("id_ed25519"), "PRIVATE KEY").unwrap();
    std::fs::create_dir_all(site.path("static")).unwrap();
    std::os::unix::fs::symlink(
        secret.path().join("id_ed25519"),
        site.path("static/id_ed25519"),
    )
    .unwrap();
    let out = site.cli(&["build"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("static/id_ed25519: is a symbolic link to"),
        "{}",
        stderr(&out)
    );
    assert!(!site.path("public").exists());
    // A link that stays inside the site is followed.
    std::fs::remove_file(site.path("static/id_ed25519")).unwrap();
    site.write(
        "assets/logo.svg",
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    );
    std::os::unix::fs::symlink(site.path("assets/logo.svg"), site.path("static/logo.svg")).unwrap();
    site.cli_ok(&["build"]);
    assert!(site.path("public/logo.svg").is_file());
}
