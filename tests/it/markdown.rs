//! Markdown: headings and slugs, highlighting, figure references in text and not in code, links.

use crate::support::SiteTest;

#[test]
fn alpha_page_snapshot() {
    let built = SiteTest::from_dir("basic").build();
    insta::assert_snapshot!(built.file("alpha/index.html"));
}

#[test]
fn repeated_headings_get_unique_slugs_in_the_toc() {
    let html = SiteTest::from_dir("basic").build().file("alpha/index.html");
    assert!(html.contains("<h2 id=\"costs\">"));
    assert!(html.contains("<h2 id=\"costs-1\">"));
    assert!(
        html.contains("<a href=\"#costs-1\">Costs</a>"),
        "the TOC links the second heading"
    );
}

#[test]
fn known_languages_are_highlighted_with_classes() {
    let html = SiteTest::from_dir("basic").build().file("alpha/index.html");
    let rust = &html[html.find("data-lang=\"rust\"").expect("rust block")..];
    let rust = &rust[..rust.find("</pre>").unwrap()];
    assert!(rust.contains("<span class=\"hl-"), "{rust}");
}

#[test]
fn unknown_language_is_plain_escaped_text() {
    let html = SiteTest::from_dir("basic").build().file("alpha/index.html");
    assert!(html.contains("<pre class=\"code\" data-lang=\"nosuchlang\"><code>&lt;raw&gt; &amp; {{ capacity }}\n</code></pre>"));
}

#[test]
fn figures_resolve_in_text_but_not_in_code() {
    let html = SiteTest::from_dir("basic").build().file("alpha/index.html");
    assert!(html.contains(">$15 billion a year</a>"), "{html}");
    assert!(html.contains(">300 MW</a>"));
    assert!(
        html.contains("<code>{{ capacity }}</code>"),
        "code span untouched"
    );
    assert!(html.contains("{{ capacity }}"), "code block untouched");
    assert!(
        html.contains(">$1.25 billion</a>"),
        "the number filter drops the unit words"
    );
}

#[test]
fn links_to_markdown_files_point_at_pages() {
    let html = SiteTest::from_dir("basic").build().file("alpha/index.html");
    assert!(
        html.contains("<a href=\"../beta/#beta-details\">beta</a>"),
        "{html}"
    );
}

#[test]
fn tables_footnotes_tasks_strikethrough_and_smart_punctuation() {
    let built = SiteTest::from_dir("basic").build();
    let alpha = built.file("alpha/index.html");
    assert!(alpha.contains("<table>"));
    assert!(alpha.contains("<del>old</del>"));
    assert!(alpha.contains("<input disabled=\"\" type=\"checkbox\" checked=\"\"/>"));
    assert!(alpha.contains("class=\"footnotes\""));
    let beta = built.file("beta/index.html");
    assert!(beta.contains("“Quoted” text – with"), "{beta}");
}

#[test]
fn code_stylesheet_has_light_and_dark_themes() {
    let css = SiteTest::from_dir("basic").build().file("highlight.css");
    assert!(css.contains(".hl-"));
    assert!(css.contains("@media (prefers-color-scheme: dark)"));
}
