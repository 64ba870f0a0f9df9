//! Charts: SVG drawn at build time from the figures, placed by Markdown or by templates, with
//! a title, axis labels, units and a text alternative; the same data gives the same bytes.

use briefing::{LoadOptions, Site};

use crate::support::SiteTest;

fn svg(site: &SiteTest, name: &str) -> String {
    let site = Site::load(site.root(), &LoadOptions::default()).unwrap();
    let chart = site.figures.chart(name).unwrap();
    briefing::render::charts::svg(&site.figures, chart)
}

#[test]
fn schedule_chart_snapshot() {
    insta::assert_snapshot!(svg(&SiteTest::from_dir("figures"), "payments"));
}

#[test]
fn bar_chart_snapshot() {
    insta::assert_snapshot!(svg(&SiteTest::from_dir("figures"), "costs"));
}

#[test]
fn charts_have_a_title_axis_labels_units_and_a_text_alternative() {
    let site = SiteTest::from_dir("figures");
    let schedule = svg(&site, "payments");
    assert!(
        schedule
            .contains("role=\"img\" aria-labelledby=\"chart-payments-title chart-payments-desc\"")
    );
    assert!(schedule.contains("<title id=\"chart-payments-title\">Payments over the term</title>"));
    assert!(schedule.contains(">Cumulative payments (US dollars)</text>"));
    assert!(schedule.contains(">Month of the term, January 2026 to December 2027</text>"));
    assert!(schedule.contains(
        "Payments start at 40% of the full rate of $2 million a month and rise in equal steps to it over 3 months. \
         The payments add up to about $46 million"
    ));
    assert!(
        schedule.contains("<rect class=\"chart-ramp\""),
        "the ramp is drawn"
    );
    assert!(schedule.contains(">Ramp (assumption): 3 months from 40% of the full rate</text>"));
    // Colours come from the stylesheet only, so dark mode and print can change them.
    for attribute in ["fill=\"#", "stroke=\"#", "style="] {
        assert!(!schedule.contains(attribute), "{attribute}");
    }

    let bars = svg(&site, "costs");
    assert!(bars.contains(">US dollars per MW a year (USD/MW/year)</text>"));
    // A bar is labelled as the prose shows its figure: an estimate rounded, "about".
    assert!(
        bars.contains(
            ">Average cost per MW-year: about $2.3 million per MW a year (estimate)</text>"
        )
    );
    assert!(bars.contains("class=\"chart-bar chart-bar-derived chart-bar-estimate\""));
    assert!(
        bars.contains("<g class=\"chart-whisker\">"),
        "the estimate's range"
    );
}

#[test]
fn markdown_places_a_chart_with_caption_and_numbers() {
    let html = SiteTest::from_dir("figures")
        .build()
        .file("lease/index.html");
    let chart = &html[html
        .find("<figure class=\"chart chart-schedule\" id=\"chart-payments\">")
        .expect("placed")..];
    let chart = &chart[..chart.find("</figure>").unwrap()];
    assert!(chart.contains("<figcaption><strong class=\"chart-title\">Payments over the term.</strong> The shaded months are the assumed ramp."));
    assert!(
        chart.contains("href=\"../figures/#fig-ramp\""),
        "the ramp's figures link to their rows"
    );
    assert!(chart.contains("(both assumptions)"));
    assert!(
        chart.contains(
            "<tr><th scope=\"row\">January 2026</th><td>$800,000</td><td>$800,000</td></tr>"
        ),
        "{chart}"
    );
    assert!(chart.contains(
        "<tr><th scope=\"row\">December 2027</th><td>$2 million</td><td>$45.6 million</td></tr>"
    ));
    assert!(
        !html.contains("<p><figure"),
        "a chart is a block, not inside a paragraph"
    );
}

#[test]
fn templates_place_charts_by_name() {
    let html = SiteTest::from_dir("figures")
        .build()
        .file("board/index.html");
    assert!(html.contains(
        "<div class=\"from-template\"><figure class=\"chart chart-bars\" id=\"chart-costs\">"
    ));
    assert!(html.contains("href=\"../figures/#fig-per_mw_year\""));
}

#[test]
fn chart_references_are_checked() {
    let site = SiteTest::from_dir("figures");
    site.write(
        "content/lease.md",
        "---\ntitle: Lease\n---\nText.\n\n{{ chart: paymnets }}\n",
    );
    let problem = &site.problems().0[0];
    assert_eq!(problem.location(), "content/lease.md:6:1");
    assert_eq!(problem.message, "unknown chart `paymnets`");
    assert_eq!(problem.help.as_deref(), Some("did you mean `payments`?"));

    site.write(
        "content/lease.md",
        "---\ntitle: Lease\n---\nSee {{ chart: payments }} here.\n",
    );
    let problem = &site.problems().0[0];
    assert!(problem.message.contains("inside a sentence"), "{problem}");

    site.write(
        "content/lease.md",
        "---\ntitle: Lease\n---\n{{ chart: costs }}\n\n{{ chart: costs }}\n",
    );
    let problem = &site.problems().0[0];
    assert_eq!(problem.line, 6, "{problem}");
    assert!(problem.message.contains("placed twice"), "{problem}");
}

#[test]
fn a_chart_total_must_match_its_figure() {
    let site = SiteTest::from_dir("figures");
    let text = std::fs::read_to_string(site.path("data/figures.yaml")).unwrap();
    site.write(
        "data/figures.yaml",
        &text.replace("(ramp + 1 month) / 2)", "ramp / 2)"),
    );
    let problem = &site.problems().0[0];
    assert_eq!(problem.location(), "data/figures.yaml:81:3");
    assert_eq!(
        problem.message,
        "chart `payments`: the payments of the schedule add up to $45.6 million, but `total: projected` is $46.2 million"
    );
}

#[test]
fn the_same_data_builds_byte_identical_output() {
    let first = SiteTest::from_dir("figures").build();
    let second = SiteTest::from_dir("figures").build();
    assert_eq!(first.files, second.files);
    let shipped = SiteTest::shipped();
    assert_eq!(shipped.build().files, shipped.build().files);
}
