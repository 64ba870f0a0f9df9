//! `briefing init`: a new site from the starter in the binary builds and checks at once.

use std::path::Path;
use std::process::{Command, Output};

/// Run `briefing ARGS` in `dir`, cut off from the network when this machine allows it
/// (`unshare -n`), so a command that tried to fetch anything would fail.
fn offline(dir: &Path, args: &[&str]) -> Output {
    let isolated = Command::new("unshare")
        .args(["-n", "true"])
        .output()
        .is_ok_and(|o| o.status.success());
    let mut command = if isolated {
        let mut c = Command::new("unshare");
        c.arg("-n").arg(env!("CARGO_BIN_EXE_briefing"));
        c
    } else {
        eprintln!("note: cannot drop the network here (unshare -n); running as is");
        Command::new(env!("CARGO_BIN_EXE_briefing"))
    };
    command
        .env("BRIEFING_CACHE_DIR", "off")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run briefing")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn init_then_build_then_check_work_offline_without_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let out = offline(dir.path(), &["init", "my-briefing"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let site = dir.path().join("my-briefing");
    for file in [
        "briefing.yaml",
        "data/figures.yaml",
        "content/_index.md",
        "templates/base.html",
        "templates/404.html",
        "static/style.css",
    ] {
        assert!(site.join(file).is_file(), "missing {file}");
    }
    let sections = std::fs::read_dir(site.join("content")).unwrap().count() - 1;
    assert_eq!(sections, 2, "two sample sections besides the home page");
    let figures = std::fs::read_to_string(site.join("data/figures.yaml")).unwrap();
    for kind in ["source:", "why:", "formula:"] {
        assert!(
            figures.contains(kind),
            "a reported, an assumed and a derived figure"
        );
    }

    let out = offline(&site, &["build"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "", "no warnings");
    assert!(
        text(&out.stdout).contains("Built 3 pages"),
        "{}",
        text(&out.stdout)
    );
    let home = std::fs::read_to_string(site.join("public/index.html")).unwrap();
    assert!(home.contains("class=\"fig fig-"), "figures are rendered");
    assert!(site.join("public/sitemap.xml").is_file());

    let out = offline(&site, &["check"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "", "no warnings");
    assert!(text(&out.stdout).starts_with("No problems found"));
}

#[test]
fn init_refuses_a_folder_that_is_not_empty_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.md"), "mine").unwrap();
    let out = offline(dir.path(), &["init", "."]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("the folder is not empty"), "{stderr}");
    assert!(stderr.contains("--force"), "{stderr}");
    assert!(!dir.path().join("briefing.yaml").exists());

    let out = offline(dir.path(), &["init", ".", "--force"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(dir.path().join("briefing.yaml").is_file());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("notes.md")).unwrap(),
        "mine"
    );
}
