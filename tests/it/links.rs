//! Links: `check` and `build` find broken links, anchors and images, each at its source line.

use crate::support::{SiteTest, snapshot_tree};

#[test]
fn check_reports_a_broken_link_anchor_and_image_at_their_lines_in_one_run() {
    let site = SiteTest::from_dir("links");
    let out = site.cli(&["check"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(
        errors,
        [
            "error: content/report.md:12:3: broken link `../nowhere/`: there is nothing at `/brief/nowhere/`",
            "error: content/report.md:14:3: broken anchor `#no-such-heading`: /brief/report/ has no element with id `no-such-heading`",
            "error: content/report.md:16:1: missing image `../img/missing.png`: there is nothing at `/brief/img/missing.png`",
        ],
        "{stderr}"
    );
    assert!(stderr.contains("3 problems found"), "{stderr}");
    assert!(
        stderr.contains("help: put the file at static/img/missing.png"),
        "{stderr}"
    );
    assert!(!site.path("public").exists(), "check writes nothing");
}

#[test]
fn build_fails_on_broken_links_and_keeps_public_unless_allowed() {
    let site = SiteTest::from_dir("links");
    site.write(
        "content/report.md",
        "---\ntitle: Report\n---\n## Terms\n\nFine.\n",
    );
    site.cli_ok(&["build"]);
    let before = snapshot_tree(&site.path("public"));

    crate::support::copy_tree(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/links/content"),
        &site.path("content"),
    );
    let out = site.cli(&["build"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken anchor"));
    assert_eq!(snapshot_tree(&site.path("public")), before);

    let out = site.cli(&["build", "--allow-broken-links"]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("warning:")).count(),
        3,
        "{stderr}"
    );
    assert!(
        stderr.contains("warning: content/report.md:14:3: broken anchor"),
        "{stderr}"
    );
    assert!(site.path("public/report/index.html").is_file());
}

#[test]
fn working_links_pass_and_external_links_are_listed_not_fetched() {
    let site = SiteTest::from_dir("links");
    let text = std::fs::read_to_string(site.path("content/report.md")).unwrap();
    // Keep the lines before the broken ones, so line numbers stay.
    let fixed: String = text.lines().take(11).map(|l| format!("{l}\n")).collect();
    site.write("content/report.md", &fixed);
    let out = site.cli(&["check"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("1 external link listed, not fetched (show them with --external)"),
        "{stdout}"
    );
    let out = site.cli(&["check", "--external"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("content/report.md:10:46: https://example.com/elsewhere"),
        "{stdout}"
    );
}

#[test]
fn root_relative_links_follow_the_base_url() {
    // `/brief/figures/` is inside the site only while it is published under /brief.
    let site = SiteTest::from_dir("links");
    site.write(
        "content/report.md",
        "---\ntitle: Report\n---\nSee [figures](/brief/figures/).\n\n## Terms\n",
    );
    site.cli_ok(&["check"]);
    let out = site.cli(&["check", "--base-url", "https://other.example.org/elsewhere"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("content/report.md:4:5: broken link `/brief/figures/` leads outside the site, which is published under `/elsewhere/`"),
        "{stderr}"
    );
}

#[test]
fn a_broken_link_in_a_template_is_reported_once_at_the_page_it_appears_on() {
    let site = SiteTest::from_dir("basic");
    site.write(
        "templates/page.html",
        "{% extends \"base.html\" %}\n{% block content %}<main>\n<a href=\"{{ root }}about/\">About</a>\n{{ page.content }}</main>{% endblock content %}\n",
    );
    let problems = site.try_publish().unwrap_err();
    let broken: Vec<_> = problems
        .0
        .iter()
        .filter(|p| p.message.contains("about/"))
        .collect();
    assert_eq!(broken.len(), 1, "{problems}");
    let problem = broken[0];
    assert_eq!(
        problem.path,
        std::path::Path::new("public/alpha/index.html")
    );
    assert_eq!(problem.line, 6, "{problem}");
    assert!(
        problem.message.ends_with("(and on 2 other pages)"),
        "{problem}"
    );
    assert!(
        problem
            .help
            .as_deref()
            .unwrap()
            .contains("written by the template page.html"),
        "{problem}"
    );
}

#[test]
fn links_to_headings_of_other_pages_are_checked() {
    let site = SiteTest::from_dir("basic");
    site.write(
        "content/gamma.md",
        "---\ntitle: Gamma\nweight: 10\n---\nSee [beta](beta.md#beta-detail) and [costs](../alpha/#costs-1).\n",
    );
    let problems = site.try_publish().unwrap_err();
    assert_eq!(problems.0.len(), 1, "{problems}");
    let problem = &problems.0[0];
    assert_eq!((problem.line, problem.column), (5, 5), "{problem}");
    assert!(
        problem
            .message
            .contains("broken anchor `../beta/#beta-detail`"),
        "{problem}"
    );
    assert_eq!(
        problem.help.as_deref(),
        Some("did you mean `#beta-details`?")
    );
}

#[test]
fn relative_links_in_a_404_page_are_reported() {
    let site = SiteTest::from_dir("basic");
    site.write(
        "templates/404.html",
        "<!doctype html><title>Not found</title><a href=\"{{ root }}\">Home</a> <a href=\"alpha/\">Alpha</a>\n",
    );
    let problems = site.try_publish().unwrap_err();
    assert_eq!(problems.0.len(), 1, "{problems}");
    assert!(
        problems.0[0]
            .message
            .contains("relative link `alpha/` in 404.html"),
        "{problems}"
    );
}

#[test]
fn a_missing_file_named_in_a_stylesheet_is_reported_at_its_line() {
    let site = SiteTest::from_dir("basic");
    site.write(
        "static/style.css",
        "body { margin: 0 }\n@font-face { src: url(\"fonts/missing.woff2\") }\n",
    );
    let problems = site.try_publish().unwrap_err();
    assert_eq!(problems.0.len(), 1, "{problems}");
    assert_eq!(
        problems.0[0].to_string().lines().next().unwrap(),
        "static/style.css:2:24: missing file `fonts/missing.woff2`: there is nothing at `/brief/fonts/missing.woff2`"
    );
}

#[test]
fn a_broken_target_written_three_times_is_three_problems_not_nine() {
    let site = SiteTest::from_dir("links");
    site.write(
        "content/report.md",
        "---\ntitle: Report\n---\n## Terms\n\n[a](#gone) and [b](#gone).\n\nAgain [c](#gone), and [d](../nowhere/).\n",
    );
    let out = site.cli(&["check"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(
        errors,
        [
            "error: content/report.md:6:1: broken anchor `#gone`: /brief/report/ has no element with id `gone`",
            "error: content/report.md:6:16: broken anchor `#gone`: /brief/report/ has no element with id `gone`",
            "error: content/report.md:8:7: broken anchor `#gone`: /brief/report/ has no element with id `gone`",
            "error: content/report.md:8:23: broken link `../nowhere/`: there is nothing at `/brief/nowhere/`",
        ],
        "{stderr}"
    );
    assert!(stderr.contains("4 problems found"), "{stderr}");
}

#[test]
fn a_link_to_markdown_that_is_no_page_is_a_link_problem() {
    let site = SiteTest::from_dir("links");
    site.write(
        "content/report.md",
        "---\ntitle: Report\n---\n## Terms\n\nSee [the old notes](notes.md#terms) and [the report](reprot.md).\n",
    );
    let out = site.cli(&["build"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "error: content/report.md:6:5: broken link: `notes.md` is not a page of this site"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `report.md`?"), "{stderr}");
    // A real corpus with one stale link can still be built.
    let out = site.cli(&["build", "--allow-broken-links"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr
            .lines()
            .filter(|l| l.starts_with("warning:") && l.contains("is not a page"))
            .count(),
        2,
        "{stderr}"
    );
    let html = std::fs::read_to_string(site.path("public/report/index.html")).unwrap();
    assert!(
        html.contains("href=\"notes.md#terms\""),
        "the link stays as written"
    );
}

/// The link scan skips highlighted code (see `scan_html_skipping`): what follows a long
/// block is still found at its own line, and renamed assets land in place.
#[test]
fn links_after_highlighted_code_keep_their_lines_and_assets_are_renamed_in_place() {
    let site = SiteTest::from_dir("basic");
    let code: String = (0..40)
        .map(|i| format!("let x{i} = \"<a href='in-code/'>\"; // {i}\n"))
        .collect();
    site.write(
        "content/delta.md",
        &format!("---\ntitle: Delta\nweight: 20\n---\n## Code\n\n```rust\n{code}```\n\n![dot](../img/dot.png)\n"),
    );
    site.write(
        "templates/page.html",
        "{% extends \"base.html\" %}\n{% block content %}<main>\n{{ page.content }}\n\
         {% if page.title == \"Delta\" %}<img src=\"{{ root }}img/dot.png\">\n<a href=\"{{ root }}about/\">About</a>{% endif %}\n\
         </main>{% endblock content %}\n",
    );
    let problems = site.try_publish().unwrap_err();
    assert_eq!(problems.0.len(), 1, "{problems}");
    let problem = &problems.0[0];
    assert!(problem.message.contains("about/"), "{problem}");
    assert_eq!(
        problem.path,
        std::path::Path::new("public/delta/index.html")
    );

    site.cli_ok(&["build", "--allow-broken-links"]);
    let page = std::fs::read_to_string(site.path("public/delta/index.html")).unwrap();
    let line = 1 + page.lines().position(|l| l.contains("about/")).unwrap();
    assert!(line > 40, "the link is after the code");
    assert_eq!(problem.line, line, "{problem}");
    let dots: Vec<&str> = page
        .split("src=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|src| src.contains("dot"))
        .collect();
    assert_eq!(dots.len(), 2, "{page}");
    for src in dots {
        assert!(
            src.starts_with("../img/dot.") && src.ends_with(".png") && src != "../img/dot.png",
            "renamed in place: {src}"
        );
    }
    assert!(page.contains("in-code/"), "the code is whole");
    assert_eq!(
        page.matches("</span>").count(),
        page.matches("<span").count()
    );
}
