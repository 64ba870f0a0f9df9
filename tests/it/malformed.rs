//! Malformed input: whatever a user writes, the build reports a problem at its place, never panics.

use crate::support::SiteTest;

#[test]
fn a_non_ascii_font_name_in_static_css_builds() {
    let site = SiteTest::from_dir("basic");
    site.write(
        "static/style.css",
        "body { font-family: Ubuntu, 微软雅黑, sans-serif; }\n@import \"x.css\"; a { b: url(y.png) }\n",
    );
    site.write("static/x.css", "p { font-family: \"Noto ünï\", 宋体; }\n");
    site.write("static/y.png", "png");
    let built = site.publish();
    let css = built.find("style.", ".css");
    assert!(built.file(&css).contains("微软雅黑"));
}

#[test]
fn extra_keys_that_are_not_text_reach_templates_as_text() {
    let site = SiteTest::from_dir("basic");
    site.write(
        "content/gamma.md",
        "---\ntitle: Gamma\ntemplate: notes.html\nextra:\n  notes: {~: tilde, 1: one, true: yes, 2.50: half}\n---\nText\n",
    );
    site.write(
        "templates/notes.html",
        "{% for k, v in page.extra.notes %}[{{ k }}={{ v }}]{% endfor %}",
    );
    let built = site.build();
    let html = built.file("gamma/index.html");
    for pair in ["[~=tilde]", "[1=one]", "[true=yes]", "[2.50=half]"] {
        assert!(html.contains(pair), "{pair} in {html}");
    }
}

#[test]
fn extra_keys_in_site_settings_reach_templates_as_text() {
    let site = SiteTest::from_dir("basic");
    let settings = std::fs::read_to_string(site.path("briefing.yaml")).unwrap();
    site.write(
        "briefing.yaml",
        &format!("{settings}\nextra:\n  years: {{2025: ten, ~: none}}\n"),
    );
    site.write(
        "templates/page.html",
        "{% for k, v in site.extra.years %}[{{ k }}={{ v }}]{% endfor %}",
    );
    let html = site.build().file("gamma/index.html");
    assert!(
        html.contains("[2025=ten]") && html.contains("[~=none]"),
        "{html}"
    );
}

#[test]
fn an_extra_key_that_is_a_list_or_mapping_is_a_problem_at_its_line() {
    let site = SiteTest::from_dir("basic");
    site.write(
        "content/gamma.md",
        "---\ntitle: Gamma\nextra:\n  notes:\n    [1, 2]: x\n---\nText\n",
    );
    let problems = site.problems();
    let problem = &problems.0[0];
    assert!(problem.path.ends_with("content/gamma.md"), "{problem}");
    assert_eq!(problem.line, 5, "{problem}");
    assert!(
        problem
            .help
            .as_deref()
            .unwrap_or("")
            .contains("key of `extra:`"),
        "{problem}"
    );
}
