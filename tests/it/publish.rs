//! Publishing: sitemap, feed, robots.txt, 404 page, metadata and JSON-LD, hashed asset names.

use std::collections::BTreeSet;

use crate::support::{Built, SiteTest};

const ATOM: &str = "http://www.w3.org/2005/Atom";
const SITEMAP: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";

fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> roxmltree::Node<'a, 'i> {
    node.children()
        .find(|n| n.has_tag_name((ATOM, name)))
        .unwrap_or_else(|| panic!("no <{name}> in <{}>", node.tag_name().name()))
}

fn sitemap_urls(built: &Built) -> BTreeSet<String> {
    let xml = built.file("sitemap.xml");
    let doc = roxmltree::Document::parse(&xml).expect("sitemap.xml is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "urlset");
    assert_eq!(root.tag_name().namespace(), Some(SITEMAP));
    root.children()
        .filter(|n| n.has_tag_name((SITEMAP, "url")))
        .map(|url| {
            url.children()
                .find(|n| n.has_tag_name((SITEMAP, "loc")))
                .and_then(|loc| loc.text())
                .expect("every url has a loc")
                .to_string()
        })
        .collect()
}

#[test]
fn sitemap_lists_every_non_draft_page_with_absolute_urls() {
    // With --drafts the draft page is built, but a draft is never announced.
    let site = SiteTest::from_dir("basic").drafts();
    let built = site.publish();
    assert!(built.has("draft/index.html"));
    let expected: BTreeSet<String> = ["", "alpha/", "beta/", "gamma/", "figures/"]
        .iter()
        .map(|p| format!("https://example.org/brief/{p}"))
        .collect();
    assert_eq!(sitemap_urls(&built), expected);
    let xml = built.file("sitemap.xml");
    assert!(
        xml.contains("<lastmod>2026-11-27T00:00:00Z</lastmod>"),
        "alpha's date: {xml}"
    );
}

#[test]
fn feed_is_atom_with_every_non_draft_section() {
    let built = SiteTest::from_dir("basic").drafts().publish();
    let xml = built.file("atom.xml");
    let doc = roxmltree::Document::parse(&xml).expect("atom.xml is well-formed XML");
    let feed = doc.root_element();
    assert!(feed.has_tag_name((ATOM, "feed")));
    assert_eq!(child(feed, "title").text(), Some("Fixture briefing"));
    assert_eq!(child(feed, "id").text(), Some("https://example.org/brief/"));
    assert_eq!(child(feed, "updated").text(), Some("2026-11-27T00:00:00Z"));
    let self_link = feed
        .children()
        .find(|n| n.has_tag_name((ATOM, "link")) && n.attribute("rel") == Some("self"))
        .unwrap();
    assert_eq!(
        self_link.attribute("href"),
        Some("https://example.org/brief/atom.xml")
    );
    let mut links = BTreeSet::new();
    for entry in feed.children().filter(|n| n.has_tag_name((ATOM, "entry"))) {
        let link = child(entry, "link").attribute("href").unwrap().to_string();
        assert_eq!(child(entry, "id").text(), Some(link.as_str()));
        let updated = child(entry, "updated").text().unwrap();
        assert!(
            updated.len() == 20 && updated.ends_with('Z'),
            "RFC 3339: {updated}"
        );
        assert!(!child(entry, "title").text().unwrap().is_empty());
        links.insert(link);
    }
    let expected: BTreeSet<String> = ["alpha/", "beta/", "gamma/"]
        .iter()
        .map(|p| format!("https://example.org/brief/{p}"))
        .collect();
    assert_eq!(links, expected, "the sections, without home or the draft");
    // Beta has no description: its summary is the text of its first paragraph.
    assert!(xml.contains("<summary>Beta has no front matter, so its title comes from the heading above.</summary>"), "{xml}");
}

#[test]
fn base_url_flag_moves_every_absolute_url() {
    let mut site = SiteTest::shipped();
    site.options.base_url = Some("https://staging.example.net/preview/".to_string());
    let built = site.publish();
    for url in sitemap_urls(&built) {
        assert!(
            url.starts_with("https://staging.example.net/preview/"),
            "{url}"
        );
    }
    assert!(
        built
            .file("robots.txt")
            .contains("Sitemap: https://staging.example.net/preview/sitemap.xml")
    );
    let deal = built.file("deal/index.html");
    assert!(
        deal.contains(
            "<link rel=\"canonical\" href=\"https://staging.example.net/preview/deal/\">"
        ),
        "{deal}"
    );
    assert!(deal.contains(
        "<meta property=\"og:url\" content=\"https://staging.example.net/preview/deal/\">"
    ));
    assert!(!built.file("atom.xml").contains("example.com"));
    // The 404 page is served at any path, so its links start from the base path.
    let not_found = built.file("404.html");
    assert!(not_found.contains("href=\"/preview/deal/\""), "{not_found}");
    assert!(not_found.contains("<meta name=\"robots\" content=\"noindex\">"));
}

#[test]
fn every_page_has_description_canonical_social_tags_and_json_ld() {
    let built = SiteTest::shipped().publish();
    let pages: Vec<(String, String)> = built
        .html()
        .into_iter()
        .filter(|(p, _)| p != "404.html")
        .collect();
    assert_eq!(pages.len(), 7, "six pages and the figures page");
    for (path, html) in pages {
        let url = path.trim_end_matches("index.html");
        let permalink = format!("https://example.com/briefing/{url}");
        for tag in [
            format!("<link rel=\"canonical\" href=\"{permalink}\">"),
            format!("<meta property=\"og:url\" content=\"{permalink}\">"),
            "<meta name=\"description\" content=\"".to_string(),
            "<meta property=\"og:title\" content=\"".to_string(),
            "<meta property=\"og:description\" content=\"".to_string(),
            "<meta name=\"twitter:card\" content=\"summary\">".to_string(),
        ] {
            assert!(html.contains(&tag), "{path} lacks {tag}");
        }
        let json = json_ld(&html).unwrap_or_else(|| panic!("{path} has no JSON-LD"));
        let value: serde_json::Value =
            serde_json::from_str(json).unwrap_or_else(|e| panic!("{path}: {e}: {json}"));
        assert_eq!(value["@context"], "https://schema.org");
        let kind = value["@type"].as_str().unwrap();
        assert!(kind == "NewsArticle" || kind == "Report", "{path}: {kind}");
        assert_eq!(value["url"], permalink.as_str(), "{path}");
        assert!(value["headline"].as_str().is_some_and(|h| !h.is_empty()));
        if url.is_empty() {
            assert_eq!(kind, "Report", "the home page is the report");
        }
        if url == "deal/" {
            assert_eq!(kind, "NewsArticle");
            assert_eq!(value["headline"], "The deal in detail");
            assert_eq!(value["datePublished"], "2026-11-27T00:00:00Z");
            assert_eq!(value["isPartOf"]["url"], "https://example.com/briefing/");
        }
    }
}

fn json_ld(html: &str) -> Option<&str> {
    let open = "<script type=\"application/ld+json\">";
    let start = html.find(open)? + open.len();
    let end = html[start..].find("</script>")? + start;
    Some(&html[start..end])
}

#[test]
fn json_ld_survives_a_hostile_title() {
    let site = SiteTest::from_dir("basic");
    for name in ["base.html", "page.html", "index.html", "figures.html"] {
        site.remove(&format!("templates/{name}"));
    }
    let title = "</script><script>alert(1)</script> & \"quotes\"";
    site.write(
        "content/gamma.md",
        &format!("---\ntitle: '{title}'\ndescription: 'a <!-- b'\n---\nText\n"),
    );
    let html = site.publish().file("gamma/index.html");
    assert!(!html.contains("<script>alert"), "{html}");
    let json = json_ld(&html).unwrap();
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(value["headline"], title);
    assert_eq!(value["description"], "a <!-- b");
}

#[test]
fn hashed_asset_names_follow_the_content_and_every_reference_follows() {
    let site = SiteTest::from_dir("basic");
    site.write(
        "static/img/logo.svg",
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n",
    );
    site.write(
        "content/gamma.md",
        "---\ntitle: Gamma\nweight: 10\n---\n![Logo](../img/logo.svg)\n",
    );
    let before = site.publish();
    let style = before.find("style.", ".css");
    let logo = before.find("img/logo.", ".svg");
    assert_ne!(logo, "img/logo.svg");
    assert!(
        before
            .file("gamma/index.html")
            .contains(&format!("<img src=\"../{logo}\" alt=\"Logo\" />")),
        "{}",
        before.file("gamma/index.html")
    );
    assert_ne!(style, "style.css");
    assert!(!before.has("style.css"));
    let check_references = |built: &Built, style: &str| {
        for (path, html) in built.html() {
            assert!(
                !html.contains("style.css"),
                "{path} still names the unhashed style.css"
            );
            if path != "404.html" {
                let depth = path.matches('/').count();
                let href = format!("href=\"{}{style}\"", "../".repeat(depth));
                assert!(html.contains(&href), "{path} lacks {href}");
            }
        }
    };
    check_references(&before, &style);

    site.write(
        "static/style.css",
        "body { font-family: sans-serif; color: #123; }\n",
    );
    let after = site.publish();
    let new_style = after.find("style.", ".css");
    assert_ne!(new_style, style, "a changed file gets a new name");
    assert_eq!(
        after.find("img/logo.", ".svg"),
        logo,
        "an unchanged file keeps its name"
    );
    assert!(
        after.has("highlight.css"),
        "a file no page refers to keeps its plain name"
    );
    check_references(&after, &new_style);
    assert!(
        after
            .file("404.html")
            .contains(&format!("href=\"/brief/{new_style}\""))
    );
}

#[test]
fn a_static_file_replaces_a_generated_document() {
    let site = SiteTest::from_dir("basic");
    site.write("static/robots.txt", "User-agent: *\nDisallow: /\n");
    let built = site.publish();
    assert_eq!(built.file("robots.txt"), "User-agent: *\nDisallow: /\n");
}

#[test]
fn without_base_url_there_is_no_sitemap_or_feed_and_a_warning_says_why() {
    let site = SiteTest::from_dir("basic");
    site.write(
        "briefing.yaml",
        "title: Fixture briefing\nkey_figures: [monthly_payment]\n",
    );
    let published = site.try_publish().unwrap();
    let paths: Vec<&str> = published.outputs.iter().map(|o| o.path.as_str()).collect();
    assert!(!paths.contains(&"sitemap.xml") && !paths.contains(&"atom.xml"));
    assert!(paths.contains(&"404.html"));
    assert_eq!(published.warnings.len(), 1);
    assert!(
        published.warnings[0]
            .message
            .contains("`base_url` is not set"),
        "{}",
        published.warnings[0]
    );
}
