//! Content: front matter, titles, ordering, drafts, URLs.

use crate::support::SiteTest;

#[test]
fn front_matter_and_first_heading_give_titles() {
    let built = SiteTest::from_dir("basic").build();
    assert!(built.file("alpha/index.html").contains("<h1>Alpha</h1>"));
    let beta = built.file("beta/index.html");
    assert!(beta.contains("<h1>Beta heading</h1>"));
    assert!(
        !beta.contains("<h1 id=\"beta-heading\""),
        "the heading used as title is not repeated"
    );
    assert!(beta.contains("<title>Beta heading | Fixture briefing</title>"));
}

#[test]
fn pages_are_ordered_by_weight_then_title() {
    let built = SiteTest::from_dir("basic").build();
    let home = built.file("index.html");
    let nav = &home[home.find("<nav>").unwrap()..home.find("</nav>").unwrap()];
    let order: Vec<&str> = nav
        .split("\">")
        .skip(1)
        .map(|s| s.split('<').next().unwrap())
        .collect();
    assert_eq!(
        order,
        ["Beta heading", "Alpha", "Gamma"],
        "weight 0, then weight 10 by title"
    );
}

#[test]
fn drafts_are_left_out_unless_asked() {
    let site = SiteTest::from_dir("basic");
    assert!(!site.build().has("draft/index.html"));
    let site = site.drafts();
    let built = site.build();
    assert!(built.has("draft/index.html"));
    assert!(built.file("index.html").contains("Draft section"));
}

#[test]
fn two_pages_with_one_url_are_an_error() {
    let site = SiteTest::from_dir("basic");
    site.write("content/alpha/_index.md", "---\ntitle: Other alpha\n---\n");
    let problems = site.problems();
    assert!(
        problems.to_string().contains("same URL `/alpha/`"),
        "{problems}"
    );
}

#[test]
fn nested_pages_get_nested_urls_and_relative_roots() {
    let site = SiteTest::from_dir("basic");
    site.write(
        "content/markets/asia.md",
        "---\ntitle: Asia\n---\nBack to [alpha](../alpha.md).\n",
    );
    let built = site.build();
    let asia = built.file("markets/asia/index.html");
    assert!(asia.contains("href=\"../../style.css\""), "{asia}");
    assert!(asia.contains("href=\"../../alpha/\""), "{asia}");
}

#[test]
fn previous_and_next_follow_reading_order() {
    let built = SiteTest::from_dir("basic").build();
    let alpha = built.file("alpha/index.html");
    assert!(
        alpha.contains("<a rel=\"prev\" href=\"../beta/\">Beta heading</a>"),
        "{alpha}"
    );
    assert!(
        alpha.contains("<a rel=\"next\" href=\"../gamma/\">Gamma</a>"),
        "{alpha}"
    );
    let beta = built.file("beta/index.html");
    assert!(
        beta.contains("<a rel=\"prev\" href=\"../\">Home</a>"),
        "{beta}"
    );
    assert!(!built.file("gamma/index.html").contains("rel=\"next\""));
}

#[test]
fn navigation_lists_top_level_pages_only() {
    let site = SiteTest::from_dir("basic");
    site.write(
        "content/archive/old.md",
        "---\ntitle: Old note\n---\nText\n",
    );
    let built = site.build();
    let home = built.file("index.html");
    let nav = &home[home.find("<nav>").unwrap()..home.find("</nav>").unwrap()];
    assert!(!nav.contains("Old note"), "{nav}");
    assert!(built.file("archive/old/index.html").contains("Old note"));
}
