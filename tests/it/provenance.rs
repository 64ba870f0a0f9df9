//! Provenance in the prose: each figure links to its row, says its kind, formula with input
//! values and source in a tooltip, and an estimate is marked in the text itself.

use crate::support::SiteTest;

/// The markup of the first figure in `html` that links to `name`'s row, whole.
fn figure_markup<'h>(html: &'h str, name: &str) -> &'h str {
    let link = format!("href=\"../figures/#fig-{name}\"");
    let at = html
        .find(&link)
        .unwrap_or_else(|| panic!("no link to {name}"));
    let start = html[..at].rfind("<span class=\"fig ").unwrap();
    // The figure's span ends where its tooltip's closing tags do.
    let end = at + html[at..].find("</span></span>").unwrap() + "</span></span>".len();
    &html[start..end]
}

#[test]
fn each_kind_of_figure_carries_its_provenance() {
    let html = SiteTest::from_dir("figures")
        .build()
        .file("lease/index.html");

    let reported = figure_markup(&html, "payment");
    assert!(
        reported.starts_with(
            "<span class=\"fig fig-reported\" data-fig=\"payment\" data-show=\"display\">"
        ),
        "{reported}"
    );
    assert!(
        reported.contains("<span class=\"fig-tip-kind\">Reported</span> Monthly payment"),
        "{reported}"
    );
    assert!(
        reported.contains("Source: A lease report, Example News, 2026-05 (as of 2026-06-01)"),
        "{reported}"
    );
    assert!(
        reported.contains("“pays two million a month”"),
        "{reported}"
    );
    assert!(
        !reported.contains("fig-mark"),
        "a reported figure is no estimate"
    );

    let assumption = figure_markup(&html, "start");
    assert!(
        assumption.starts_with(
            "<span class=\"fig fig-assumption\" data-fig=\"start\" data-show=\"display\">"
        ),
        "{assumption}"
    );
    assert!(
        assumption.contains(">Assumption</span> Start of term"),
        "{assumption}"
    );
    assert!(
        assumption.contains("No start date is given."),
        "{assumption}"
    );
    assert!(
        assumption.contains("Range: October 2025 to March 2026"),
        "{assumption}"
    );

    let derived = figure_markup(&html, "annual");
    assert!(
        derived.starts_with(
            "<span class=\"fig fig-derived\" data-fig=\"annual\" data-show=\"display\">"
        ),
        "{derived}"
    );
    assert!(derived.contains(">Derived</span> Annual rate"), "{derived}");
    assert!(derived.contains("= <code>payment</code>"), "{derived}");
    assert!(
        derived.contains("payment = $2 million a month"),
        "{derived}"
    );
    assert!(!derived.contains("fig-mark"), "{derived}");

    let estimate = figure_markup(&html, "months");
    assert!(
        estimate.starts_with("<span class=\"fig fig-derived fig-estimate\" data-fig=\"months\" data-show=\"display\">"),
        "{estimate}"
    );
    assert!(
        estimate.contains(">Estimate</span> Length of term"),
        "{estimate}"
    );
    assert!(
        estimate.contains("= <code>months_between(start, end) + 1 month</code>"),
        "{estimate}"
    );
    assert!(
        estimate.contains("start = January 2026; end = December 2027"),
        "{estimate}"
    );
    assert!(
        estimate.contains("Rests on the assumption: Start of term (January 2026)"),
        "{estimate}"
    );

    for markup in [reported, assumption, derived, estimate] {
        // The link works without JavaScript, and the tooltip is tied to it for screen readers.
        let described = markup.split("aria-describedby=\"").nth(1).unwrap();
        let id = &described[..described.find('"').unwrap()];
        assert!(markup.contains(&format!(
            "<span class=\"fig-tip\" role=\"tooltip\" id=\"{id}\">"
        )));
        assert!(markup.contains(" title=\""), "{markup}");
    }
}

#[test]
fn estimate_marking_propagates_through_two_levels_of_derivation() {
    let built = SiteTest::from_dir("figures").build();
    let html = built.file("lease/index.html");
    // start (assumption) -> months -> full_value; and -> projected -> average_per_mw_year.
    for (name, text) in [
        ("months", "24 months"),
        ("full_value", "$48 million"),
        ("average_per_mw_year", "about $2.3 million per MW a year"),
    ] {
        let markup = figure_markup(&html, name);
        assert!(markup.contains("fig-estimate"), "{markup}");
        assert!(
            markup.contains(&format!("{text}</a><span class=\"fig-mark\">est.</span>")),
            "the mark is text beside the number, not only in the tooltip: {markup}"
        );
        assert!(markup.contains("Start of term (January 2026)"), "{markup}");
    }
    let average = figure_markup(&html, "average_per_mw_year");
    assert!(
        average.contains("Rests on the assumptions: Ramp length (3 months), First share (40%), Start of term (January 2026)"),
        "{average}"
    );

    let page = built.file("figures/index.html");
    let row = &page[page.find("id=\"fig-average_per_mw_year\"").unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("fig-row-estimate"), "{row}");
    assert!(
        row.contains("<span class=\"badge badge-estimate\">estimate</span>"),
        "{row}"
    );
    for assumption in ["ramp", "ramp_share", "start"] {
        assert!(
            row.contains(&format!("<a href=\"#fig-{assumption}\">")),
            "{row}"
        );
    }
    assert!(row.contains("range October 2025 to March 2026"), "{row}");
}

#[test]
fn ranges_show_low_to_high_in_the_prose() {
    let html = SiteTest::from_dir("figures")
        .build()
        .file("lease/index.html");
    assert!(html.contains(">$44 to $54 million</a>"), "{html}");
}

#[test]
fn a_range_of_a_figure_without_one_is_an_error() {
    let site = SiteTest::from_dir("figures");
    site.write(
        "content/lease.md",
        "---\ntitle: Lease\n---\nIt is {{ annual | range }}.\n",
    );
    let problem = &site.problems().0[0];
    assert_eq!(problem.location(), "content/lease.md:4:7");
    assert!(
        problem.message.contains("figure `annual` has no range"),
        "{problem}"
    );
    assert!(
        problem
            .help
            .as_deref()
            .unwrap()
            .contains("range: [low, high]")
    );
}

#[test]
fn headings_with_figures_keep_a_clean_table_of_contents() {
    let site = SiteTest::from_dir("figures");
    let html = site.build().file("lease/index.html");
    // The id names the figure, the text shows its value.
    assert!(
        html.contains("<a href=\"#a-term-of-months\">A term of 24 months</a>"),
        "{html}"
    );
    assert!(html.contains("<h2 id=\"a-term-of-months\">A term of <span class=\"fig "));
    // A link to the heading survives a change of the figure.
    let figures = std::fs::read_to_string(site.path("data/figures.yaml")).unwrap();
    site.write(
        "data/figures.yaml",
        &figures.replace("value: \"2027-12\"", "value: \"2028-12\""),
    );
    let html = site.build().file("lease/index.html");
    assert!(
        html.contains("<a href=\"#a-term-of-months\">A term of 36 months</a>"),
        "{html}"
    );
}

#[test]
fn figures_page_lists_sources_with_the_figures_citing_them_and_the_checks() {
    let page = SiteTest::from_dir("figures")
        .build()
        .file("figures/index.html");
    let report = &page[page.find("id=\"src-report\"").unwrap()..];
    let report = &report[..report.find("</li>").unwrap()];
    assert!(
        report.contains("<a href=\"https://example.org/report\">A lease report</a>"),
        "{report}"
    );
    assert!(
        report.contains("Read as of <time datetime=\"2026-06-01\">"),
        "{report}"
    );
    assert!(
        report.contains("The tenant pays two million a month for ten megawatts."),
        "{report}"
    );
    for name in ["payment", "capacity", "floor", "end"] {
        assert!(
            report.contains(&format!("<a href=\"#fig-{name}\">")),
            "{name}: {report}"
        );
    }
    let background = &page[page.find("id=\"src-background\"").unwrap()..];
    assert!(
        background[..background.find("</li>").unwrap()].contains("No figure cites this source.")
    );

    let check = &page[page.find("id=\"check-full_value_covers_floor\"").unwrap()..];
    let check = &check[..check.find("</li>").unwrap()];
    assert!(
        check.contains("The full-rate value is at least the reported floor."),
        "{check}"
    );
    assert!(
        check.contains("$48 million &gt;= more than $40 million"),
        "{check}"
    );
    assert!(
        check.contains("<a href=\"#fig-start\">Start of term</a>"),
        "{check}"
    );
}

#[test]
fn shipped_figures_expose_provenance_and_link_in_chromium() {
    let Some(browser) = crate::browser::launch() else {
        return;
    };
    let site = SiteTest::shipped();
    site.cli_ok(&["build"]);
    let tab = browser.new_tab().unwrap();

    // Every row a figure links to exists on the figures page.
    let figures_url = format!(
        "file://{}",
        site.path("public/figures/index.html").display()
    );
    tab.navigate_to(&figures_url)
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    let rows = tab
        .evaluate(
            "JSON.stringify([...document.querySelectorAll('tr[id^=fig-]')].map(r => r.id))",
            false,
        )
        .unwrap()
        .value
        .unwrap();
    let rows: Vec<String> = serde_json::from_str(rows.as_str().unwrap()).unwrap();

    let url = format!("file://{}", site.path("public/deal/index.html").display());
    tab.navigate_to(&url)
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    let count = tab
        .evaluate("document.querySelectorAll('.fig').length", false)
        .unwrap()
        .value
        .unwrap()
        .as_u64()
        .unwrap();
    assert!(count > 20, "{count} figures");
    let hidden = tab
        .evaluate(
            "getComputedStyle(document.querySelector('.fig-tip')).display",
            false,
        )
        .unwrap()
        .value
        .unwrap();
    assert_eq!(
        hidden.as_str(),
        Some("none"),
        "tooltips are closed until asked for"
    );

    // One figure through the DevTools protocol's own focus, as a keyboard user's would be;
    // then every figure by focusing its link from the page, which is much faster.
    tab.find_element(".fig > .fig-link")
        .unwrap()
        .focus()
        .unwrap();
    let first = tab
        .evaluate(
            "getComputedStyle(document.querySelector('.fig-tip')).display",
            false,
        )
        .unwrap()
        .value
        .unwrap();
    assert_eq!(first.as_str(), Some("block"), "focus opens the tooltip");
    let mut estimates = 0;
    for i in 0..count {
        let probe = format!(
            "(() => {{ const f = document.querySelectorAll('.fig')[{i}];
               const a = f.querySelector(':scope > .fig-link');
               a.focus();
               const tip = document.getElementById(a.getAttribute('aria-describedby'));
               const style = getComputedStyle(tip);
               const mark = f.querySelector(':scope > .fig-mark');
               return JSON.stringify({{
                 focused: document.activeElement === a,
                 display: style.display, visibility: style.visibility,
                 height: tip.getBoundingClientRect().height,
                 inside: f.contains(tip),
                 text: tip.innerText, href: a.getAttribute('href'), title: a.title,
                 classes: f.className,
                 mark: mark ? getComputedStyle(mark).display + ':' + mark.innerText : null
               }}); }})()"
        );
        let value = tab.evaluate(&probe, false).unwrap().value.unwrap();
        let seen: serde_json::Value = serde_json::from_str(value.as_str().unwrap()).unwrap();
        let text = seen["text"].as_str().unwrap().to_lowercase();
        assert_eq!(seen["focused"], true, "{seen}");
        assert_eq!(seen["display"], "block", "{seen}");
        assert_eq!(seen["visibility"], "visible", "{seen}");
        assert!(seen["height"].as_f64().unwrap() > 10.0, "{seen}");
        assert_eq!(seen["inside"], true, "{seen}");
        let classes = seen["classes"].as_str().unwrap();
        let kind = if classes.contains("fig-estimate") {
            "estimate"
        } else if classes.contains("fig-assumption") {
            "assumption"
        } else if classes.contains("fig-derived") {
            "derived"
        } else {
            "reported"
        };
        assert!(
            text.starts_with(kind),
            "tooltip names the kind {kind}: {seen}"
        );
        match kind {
            "reported" => assert!(
                text.contains("source: untitled industry news article"),
                "{seen}"
            ),
            // Every assumption of the shipped data says first what the article leaves out.
            "assumption" => assert!(text.contains("the article"), "{seen}"),
            _ => assert!(
                text.contains("= ") && text.contains(" = "),
                "formula and inputs: {seen}"
            ),
        }
        if kind == "estimate" {
            estimates += 1;
            assert!(text.contains("rests on the assumption"), "{seen}");
            assert_eq!(seen["mark"], "inline:est.", "visible estimate mark: {seen}");
        } else {
            assert!(seen["mark"].is_null(), "{seen}");
        }
        let href = seen["href"].as_str().unwrap();
        let row = href
            .strip_prefix("../figures/#")
            .unwrap_or_else(|| panic!("{href}"));
        assert!(
            rows.iter().any(|r| r == row),
            "no row {row} on the figures page"
        );
        assert!(!seen["title"].as_str().unwrap().is_empty(), "{seen}");
    }
    assert!(estimates > 5, "{estimates} estimates");

    // Hover opens a tooltip as focus does.
    tab.evaluate("document.activeElement.blur()", false)
        .unwrap();
    let first = tab.find_element(".fig > .fig-link").unwrap();
    first.move_mouse_over().unwrap();
    let hovered = tab
        .evaluate(
            "getComputedStyle(document.querySelector('.fig-tip')).display",
            false,
        )
        .unwrap()
        .value
        .unwrap();
    assert_eq!(hovered.as_str(), Some("block"));
}

#[test]
fn figures_in_titles_descriptions_and_summaries_are_plain_text_everywhere() {
    let site = SiteTest::from_dir("figures");
    site.write(
        "content/price.md",
        "---\ntitle: \"A term of {{ months }}\"\ndescription: \"Paid over {{ months | plain }}\"\nsummary: \"Summary with {{ months }}.\"\ndate: 2026-11-20\n---\nBody.\n",
    );
    let built = site.publish();
    let page = built.file("price/index.html");
    assert!(page.contains("<title>A term of 24 months"), "{page}");
    assert!(
        page.contains("<meta name=\"description\" content=\"Paid over 24 months\">"),
        "{page}"
    );
    assert!(
        page.contains("\"headline\":\"A term of 24 months\""),
        "{page}"
    );
    let feed = built.file("atom.xml");
    assert!(
        feed.contains("<title>A term of 24 months</title>"),
        "{feed}"
    );
    assert!(
        feed.contains("<summary>Paid over 24 months</summary>"),
        "{feed}"
    );
    for (path, html) in built.html() {
        assert!(
            !html.contains("{{ months"),
            "a reference is published literally in {path}"
        );
    }
    // Listings show summaries (from the front matter or the first paragraph) with
    // their figures as text, without the figure's link and tooltip.
    site.write(
        "templates/index.html",
        "<ul>{% for p in pages %}<li>{{ p.summary }}</li>{% endfor %}</ul>",
    );
    let home = site.publish().file("index.html");
    assert!(home.contains("<li>Summary with 24 months.</li>"), "{home}");
    assert!(
        home.contains("<li><p>The tenant pays $2 million a month for 10 MW"),
        "{home}"
    );
    assert!(!home.contains("fig-link"), "{home}");
    site.cli_ok(&["report", "-o", "report.html"]);
    let report = std::fs::read_to_string(site.path("report.html")).unwrap();
    assert!(report.contains("A term of 24 months"), "{report}");
    assert!(!report.contains("{{ months"), "{report}");
    // A bad reference in the front matter is an error at its line.
    site.write(
        "content/price.md",
        "---\ndate: 2026-11-20\ntitle: \"A term of {{ monhts }}\"\n---\nBody.\n",
    );
    let problems = site.problems();
    let problem = &problems.0[0];
    assert_eq!((problem.line, problem.column), (3, 1), "{problem}");
    assert!(
        problem.message.contains("unknown figure `monhts`"),
        "{problem}"
    );
}

#[test]
fn a_figure_reference_inside_raw_html_is_an_error_at_its_place() {
    let site = SiteTest::from_dir("figures");
    site.write(
        "content/boxed.md",
        "---\ntitle: Boxed\n---\nText.\n\n<div class=\"note\">The term is {{ months }}.</div>\n",
    );
    let problems = site.problems();
    let problem = &problems.0[0];
    assert_eq!(problem.path, std::path::Path::new("content/boxed.md"));
    assert_eq!((problem.line, problem.column), (6, 31), "{problem}");
    assert!(problem.message.contains("inside raw HTML"), "{problem}");
}
