//! Dates: every date a user writes is checked where it is written, and every date the
//! site publishes (Atom, sitemap, JSON-LD) is RFC 3339.

use crate::support::SiteTest;

/// The shipped site (built-in templates) with `content/deal.md` dated `date`; the
/// `date:` key is on line 4 of the file.
fn shipped_with_deal_date(date: &str) -> SiteTest {
    let site = SiteTest::shipped();
    let deal = std::fs::read_to_string(site.path("content/deal.md")).unwrap();
    assert_eq!(deal.lines().nth(3), Some("date: \"2026-11-27\""));
    site.write(
        "content/deal.md",
        &deal.replacen("date: \"2026-11-27\"", &format!("date: {date}"), 1),
    );
    site
}

/// `briefing build` must fail with one problem at `location`, naming `text`, and write nothing.
fn assert_build_fails_at(site: &SiteTest, location: &str, text: &str) {
    let out = site.cli(&["build"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let first = stderr.lines().next().unwrap_or_default();
    let first = first.trim_start_matches("error: ").trim_start_matches("./");
    assert!(
        first.starts_with(&format!("{location}: ")) && first.contains(text),
        "expected a problem at {location} about {text:?}, got:\n{stderr}"
    );
    assert!(!stderr.contains(".html:"), "no template error: {stderr}");
    assert!(!site.path("public").exists(), "nothing was published");
}

#[test]
fn an_impossible_page_date_or_time_is_an_error_at_its_front_matter_line() {
    for date in [
        "2026-02-31",
        "2026-03-01T25:99:00+99:99",
        "2026-03-01T10:00:00+99:99",
        "2026-11-27 noon",
    ] {
        let site = shipped_with_deal_date(date);
        assert_build_fails_at(&site, "content/deal.md:4:1", date);
    }
}

#[test]
fn an_impossible_briefing_date_is_an_error_at_its_line() {
    let site = SiteTest::from_dir("basic");
    let config = std::fs::read_to_string(site.path("briefing.yaml")).unwrap();
    site.write("briefing.yaml", &format!("{config}date: 2026-02-31\n"));
    let line = config.lines().count() + 1;
    assert_build_fails_at(&site, &format!("briefing.yaml:{line}:1"), "2026-02-31");
}

#[test]
fn impossible_source_and_figure_dates_are_errors_in_figures_yaml() {
    let site = SiteTest::from_dir("basic");
    let figures = std::fs::read_to_string(site.path("data/figures.yaml")).unwrap();
    // Line 2 is the source `article`; the new figure goes at the end.
    assert_eq!(figures.lines().nth(1), Some("  article:"));
    let with_as_of = figures.replacen(
        "    title: A news report\n",
        "    title: A news report\n    as_of: \"2026-02-30\"\n",
        1,
    );
    let line = with_as_of.lines().count() + 1;
    site.write(
        "data/figures.yaml",
        &format!(
            "{with_as_of}  start:\n    value: \"2026-02-31\"\n    unit: date\n    source: article\n"
        ),
    );
    let problems = site.problems();
    let found: Vec<(String, usize, String)> = problems
        .0
        .iter()
        .map(|p| {
            let path = p.path.to_string_lossy().replace('\\', "/");
            (path, p.line, p.message.clone())
        })
        .collect();
    let at = |line: usize, text: &str| {
        found.iter().any(|(path, l, message)| {
            path.ends_with("data/figures.yaml") && *l == line && message.contains(text)
        })
    };
    assert!(at(2, "`as_of: 2026-02-30` is not a date"), "{found:?}");
    assert!(at(line, "`2026-02-31` is not a valid date"), "{found:?}");
}

/// The text of every `<tag>` in `xml`.
fn elements<'x>(xml: &'x str, tag: &str) -> Vec<&'x str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    xml.split(open.as_str())
        .skip(1)
        .filter_map(|rest| rest.split(close.as_str()).next())
        .collect()
}

/// Parse `text` as RFC 3339 with jiff, or fail the test saying where it came from.
fn rfc3339(text: &str, from: &str) -> jiff::Timestamp {
    text.parse()
        .unwrap_or_else(|err| panic!("{from}: `{text}` is not RFC 3339: {err}"))
}

#[test]
fn published_dates_are_rfc3339_whatever_form_the_page_gives() {
    let site = SiteTest::shipped();
    let dates = [
        (
            "content/deal.md",
            "2026-11-27 09:30:15+0200",
            "2026-11-27T07:30:15Z",
        ),
        (
            "content/competition.md",
            "2026-11-28T09:30",
            "2026-11-28T09:30:00Z",
        ),
        ("content/_index.md", "2026-11-26", "2026-11-26T00:00:00Z"),
    ];
    for (rel, date, _) in dates {
        let text = std::fs::read_to_string(site.path(rel)).unwrap();
        site.write(
            rel,
            &text.replacen("date: \"2026-11-27\"", &format!("date: {date}"), 1),
        );
    }
    let built = site.publish();

    let feed = built.file("atom.xml");
    let stamps: Vec<&str> = ["updated", "published"]
        .iter()
        .flat_map(|tag| elements(&feed, tag))
        .collect();
    assert!(stamps.len() >= 5, "{feed}");
    for stamp in &stamps {
        rfc3339(stamp, "atom.xml");
    }
    let newest = rfc3339(elements(&feed, "updated")[0], "the feed's <updated>");
    assert_eq!(
        newest,
        rfc3339("2026-11-28T09:30:00Z", "test"),
        "the newest page"
    );

    let sitemap = built.file("sitemap.xml");
    let lastmods = elements(&sitemap, "lastmod");
    assert!(lastmods.len() >= 3, "{sitemap}");
    for lastmod in lastmods {
        rfc3339(lastmod, "sitemap.xml");
    }

    for (rel, _, moment) in dates {
        let page = match rel {
            "content/_index.md" => "index.html".to_string(),
            _ => format!(
                "{}/index.html",
                rel.trim_start_matches("content/").trim_end_matches(".md")
            ),
        };
        let html = built.file(&page);
        let open = "<script type=\"application/ld+json\">";
        let start = html
            .find(open)
            .unwrap_or_else(|| panic!("{page}: no JSON-LD"))
            + open.len();
        let end = start + html[start..].find("</script>").unwrap();
        let json: serde_json::Value = serde_json::from_str(&html[start..end]).unwrap();
        for key in ["datePublished", "dateModified"] {
            let value = json[key]
                .as_str()
                .unwrap_or_else(|| panic!("{page}: no {key}"));
            assert_eq!(
                rfc3339(value, &format!("{page} {key}")),
                rfc3339(moment, "test"),
                "{page} {key}"
            );
        }
        // The built-in page template shows the day in words, whatever the form.
        if page != "index.html" {
            assert!(html.contains("November 2026</time>"), "{page}");
        }
    }
}
