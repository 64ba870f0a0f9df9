//! Building to disk: the CLI, the output folder, and all-or-nothing writes.

use crate::support::{SiteTest, snapshot_tree};

#[test]
fn build_writes_every_page_and_asset() {
    let site = SiteTest::from_dir("basic");
    let out = site.cli_ok(&["build"]);
    for file in [
        "index.html",
        "alpha/index.html",
        "beta/index.html",
        "gamma/index.html",
        "figures/index.html",
    ] {
        assert!(site.path("public").join(file).is_file(), "missing {file}");
    }
    // The stylesheet the pages link is published under a content-hashed name
    // (`style.3f2a9c1b.css`); the fixture's templates never link highlight.css, so it
    // keeps its name.
    let styles: Vec<String> = std::fs::read_dir(site.path("public"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("style.") && n.ends_with(".css"))
        .collect();
    assert_eq!(styles.len(), 1, "one hashed stylesheet: {styles:?}");
    assert_ne!(styles[0], "style.css");
    assert!(site.path("public/highlight.css").is_file());
    assert!(!site.path("public/draft").exists());
    assert!(String::from_utf8_lossy(&out.stdout).contains("Built 4 pages"));
}

#[test]
fn failed_build_leaves_public_byte_for_byte() {
    let site = SiteTest::from_dir("basic");
    site.cli_ok(&["build"]);
    let before = snapshot_tree(&site.path("public"));
    site.write(
        "content/alpha.md",
        "---\ntitle: Alpha\n---\nNow {{ broken_name }}.\n",
    );
    site.write(
        "content/gamma.md",
        "---\ntitle: Gamma changed\n---\nChanged.\n",
    );
    let out = site.cli(&["build"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: content/alpha.md:4:5: unknown figure `broken_name`"),
        "{stderr}"
    );
    assert_eq!(snapshot_tree(&site.path("public")), before);
    let leftovers: Vec<_> = std::fs::read_dir(site.root())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with(".public"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn output_and_root_flags() {
    let site = SiteTest::from_dir("basic");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_briefing"))
        .env("BRIEFING_CACHE_DIR", "off")
        .args(["build", "--root"])
        .arg(site.root())
        .arg("--output")
        .arg(site.path("elsewhere/site"))
        .arg("--base-url")
        .arg("https://staging.example.org/")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(site.path("elsewhere/site/index.html").is_file());
}

#[test]
fn missing_config_is_a_clear_error() {
    let site = SiteTest::from_dir("basic");
    site.remove("briefing.yaml");
    let out = site.cli(&["build"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("briefing.yaml: cannot read the site settings"),
        "{stderr}"
    );
    assert!(stderr.contains("help:"), "{stderr}");
}

#[test]
fn check_reports_without_writing() {
    let site = SiteTest::from_dir("basic");
    site.cli_ok(&["check"]);
    assert!(!site.path("public").exists());
    site.write("content/beta.md", "{{ nope }}\n");
    assert_eq!(site.cli(&["check"]).status.code(), Some(1));
}

#[test]
fn help_and_version() {
    let site = SiteTest::from_dir("basic");
    let help = site.cli(&["--help"]);
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("build"));
    let version = site.cli(&["--version"]);
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("briefing "));
}

/// `briefing build` run in a pseudo-terminal (util-linux `script`), as a user at a
/// terminal runs it; None where `script` is missing, which CI must not be.
fn build_on_a_terminal(site: &SiteTest, extra: &str) -> Option<String> {
    let command = format!("'{}' build {extra}", env!("CARGO_BIN_EXE_briefing"));
    let Ok(out) = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("BRIEFING_CACHE_DIR", "off")
        .env("BRIEFING_PROGRESS_AFTER_MS", "0")
        .current_dir(site.root())
        .output()
    else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have util-linux `script` (.ci/run installs bsdutils)"
        );
        return None;
    };
    assert!(out.status.success(), "{out:?}");
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn progress_shows_on_a_terminal_only() {
    let site = SiteTest::from_dir("basic");
    // Piped, as in CI or `briefing build > log`: the summary line alone.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_briefing"))
        .arg("build")
        .env("BRIEFING_CACHE_DIR", "off")
        .env("BRIEFING_PROGRESS_AFTER_MS", "0")
        .current_dir(site.root())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout:?}");
    assert!(
        !stdout.contains('\r') && !stdout.contains('\x1b'),
        "{stdout:?}"
    );

    let Some(terminal) = build_on_a_terminal(&site, "") else {
        eprintln!("note: no `script` here to make a terminal; the terminal half is skipped");
        return;
    };
    // Shown from the start (the one-second wait is set to zero), then cleared.
    assert!(terminal.contains("\r\x1b[2K"), "{terminal:?}");
    assert!(terminal.contains("Loading"), "{terminal:?}");
    assert!(terminal.contains("Built 4 pages"), "{terminal:?}");

    let quiet = build_on_a_terminal(&site, "--quiet").unwrap();
    assert!(quiet.trim().is_empty(), "nothing at all: {quiet:?}");
}
