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

/// Write `bytes` (not UTF-8) to a file of the site.
fn write_bytes(site: &SiteTest, rel: &str, bytes: &[u8]) {
    let path = site.path(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// The one problem of a build that must fail, as `path:line:col` and its help.
fn only_problem(site: &SiteTest) -> (String, String) {
    let problems = site.problems();
    assert_eq!(problems.0.len(), 1, "{problems}");
    let problem = &problems.0[0];
    (problem.location(), problem.help.clone().unwrap_or_default())
}

#[test]
fn a_page_that_is_not_utf8_is_reported_at_its_first_bad_byte() {
    let site = SiteTest::from_dir("basic");
    // Latin-1 `é` (0xE9) on line 5, after four characters (one of them a UTF-8 `ü`).
    write_bytes(
        &site,
        "content/gamma.md",
        b"---\ntitle: Gamma\n---\nFine.\nM\xc3\xbcd \xe9t\xe9\n",
    );
    let (location, help) = only_problem(&site);
    assert_eq!(location, "content/gamma.md:5:5");
    assert!(help.contains("save the file as UTF-8"), "{help}");
}

#[test]
fn settings_figures_templates_and_css_that_are_not_utf8_are_reported_with_line_and_column() {
    for (rel, bytes, at) in [
        (
            "briefing.yaml",
            &b"title: Fixture\ndescription: caf\xe9\n"[..],
            "briefing.yaml:2:17",
        ),
        (
            "data/figures.yaml",
            &b"figures:\n  x:\n    value: 1\n    unit: MW\n    why: \xff\n"[..],
            "data/figures.yaml:5:10",
        ),
        (
            "templates/page.html",
            &b"<p>\n\xfe{{ page.title }}</p>\n"[..],
            "templates/page.html:2:1",
        ),
        (
            "static/style.css",
            &b"body {\n  font-family: \"Caf\xe9\";\n}\n"[..],
            "static/style.css:2:20",
        ),
    ] {
        let site = SiteTest::from_dir("basic");
        write_bytes(&site, rel, bytes);
        let (location, help) = only_problem(&site);
        assert!(location.ends_with(at), "{location} should be {at}");
        assert!(help.contains("save the file as UTF-8"), "{help}");
    }
}

/// A "billion laughs": nine levels of nine aliases, 9^9 values once expanded.
fn alias_bomb(indent: &str) -> String {
    let mut text = format!("{indent}a0: &a0 [lol]\n");
    for level in 1..10 {
        let previous = format!("*a{}", level - 1);
        let items = [previous.as_str(); 9].join(", ");
        text.push_str(&format!("{indent}a{level}: &a{level} [{items}]\n"));
    }
    text
}

#[test]
fn an_alias_bomb_in_front_matter_is_reported_at_its_first_alias_quickly() {
    let site = SiteTest::from_dir("basic");
    site.write(
        "content/gamma.md",
        &format!("---\ntitle: Gamma\nextra:\n{}---\nText\n", alias_bomb("  ")),
    );
    let started = std::time::Instant::now();
    let problems = site.problems();
    assert!(
        started.elapsed().as_secs() < 5,
        "took {:?}",
        started.elapsed()
    );
    let problem = &problems.0[0];
    // `*a0` is first used on line 5 of the file, column 12.
    assert_eq!(problem.location(), "content/gamma.md:5:12", "{problem}");
    assert!(problem.message.contains("alias"), "{problem}");
}

#[test]
fn an_alias_bomb_in_the_figures_file_is_reported_at_its_first_alias_quickly() {
    let site = SiteTest::from_dir("basic");
    site.write(
        "data/figures.yaml",
        &format!("sources:\n{}", alias_bomb("  ")),
    );
    let started = std::time::Instant::now();
    let problems = site.problems();
    assert!(
        started.elapsed().as_secs() < 5,
        "took {:?}",
        started.elapsed()
    );
    let problem = &problems.0[0];
    assert_eq!(problem.location(), "data/figures.yaml:3:12", "{problem}");
    assert!(problem.message.contains("alias"), "{problem}");
}

#[test]
fn aliases_that_expand_to_a_million_values_are_refused() {
    // Within serde_yaml's own limit of alias jumps, but a million values in memory.
    let items = |name: &str| vec![name; 100].join(", ");
    let site = SiteTest::from_dir("basic");
    site.write(
        "content/gamma.md",
        &format!(
            "---\ntitle: Gamma\nextra:\n  a: &a [{}]\n  b: &b [{}]\n  c: [{}]\n---\nText\n",
            items("x"),
            items("*a"),
            items("*b")
        ),
    );
    let problem = &site.problems().0[0];
    assert_eq!(problem.location(), "content/gamma.md:5:10", "{problem}");
    assert!(problem.message.contains("`*a`"), "{problem}");
    assert!(
        problem.help.as_deref().unwrap().contains("alias"),
        "{problem}"
    );
}

#[test]
fn a_few_aliases_are_fine() {
    let site = SiteTest::from_dir("basic");
    site.write(
        "content/gamma.md",
        "---\ntitle: Gamma\ntemplate: notes.html\nextra:\n  who: &who {name: Ann}\n  by: [*who, *who]\n---\n*Text* & more\n",
    );
    site.write(
        "templates/notes.html",
        "{% for p in page.extra.by %}[{{ p.name }}]{% endfor %}",
    );
    assert!(site.build().file("gamma/index.html").contains("[Ann][Ann]"));
}

#[test]
fn a_figure_problem_has_a_line_where_its_key_is_hard_to_find() {
    // Found by the property tests: the anchor hides the section from the key finder.
    let site = SiteTest::from_dir("basic");
    site.write("data/figures.yaml", "&a figures:\n    value: x\n");
    let problems = site.problems();
    let problem = &problems.0[0];
    assert_eq!(problem.location(), "data/figures.yaml:2:5", "{problem}");
}

#[test]
fn deeply_nested_yaml_is_reported_quickly() {
    // libyaml takes time quadratic in the depth of flow brackets: 50,000 took half a minute.
    let site = SiteTest::from_dir("basic");
    site.write(
        "content/gamma.md",
        &format!(
            "---\ntitle: Gamma\nextra: {}\n---\nText\n",
            "[".repeat(50_000)
        ),
    );
    let started = std::time::Instant::now();
    let problems = site.problems();
    assert!(
        started.elapsed().as_secs() < 5,
        "took {:?}",
        started.elapsed()
    );
    let problem = &problems.0[0];
    // The 129th `[` is on line 3, after `extra: ` and 128 others.
    assert_eq!(problem.location(), "content/gamma.md:3:136", "{problem}");
    assert!(problem.message.contains("128 levels"), "{problem}");
}
