//! Sensitivity: named scenarios, sensitivity tables and tornado charts, computed by running
//! the model again with other values of its assumptions; every check is tested in each.

use briefing::{LoadOptions, Site};

use crate::support::SiteTest;

const FIGURES: &str = "data/figures.yaml";

fn replace(site: &SiteTest, from: &str, to: &str) {
    let text = std::fs::read_to_string(site.path(FIGURES)).unwrap();
    assert!(text.contains(from), "{from}");
    site.write(FIGURES, &text.replacen(from, to, 1));
}

fn first_problem(site: &SiteTest) -> (String, String, String) {
    let problems = site.problems();
    let p = &problems.0[0];
    (
        p.location(),
        p.message.clone(),
        p.help.clone().unwrap_or_default(),
    )
}

/// The HTML of the `<figure>` with this id.
fn block(html: &str, id: &str) -> String {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no {id}"));
    let start = html[..start].rfind("<figure").unwrap();
    let end = start + html[start..].find("</figure>").unwrap() + "</figure>".len();
    html[start..end].to_string()
}

#[test]
fn sensitivity_tables_snapshot() {
    let built = SiteTest::from_dir("sensitivity").build();
    let html = built.file("index.html");
    insta::assert_snapshot!("table_one_side", block(&html, "table-by_start"));
    insta::assert_snapshot!("table_two_sides", block(&html, "table-by_ramp"));
}

#[test]
fn a_table_marks_the_base_cell_and_each_cell_where_a_check_fails() {
    let html = SiteTest::from_dir("sensitivity").build().file("index.html");
    let table = block(&html, "table-by_start");
    assert!(table.contains("<caption>Projected payments by start of term</caption>"));
    assert!(table.contains("<th scope=\"col\">Start of term</th>"));
    assert_eq!(table.matches("<th scope=\"row\"").count(), 6, "steps: 6");
    assert!(table.contains("<td class=\"sens-base\"><strong>about $46 million</strong></td>"));
    // A 25-month term only when the term starts in December 2025, inside the range.
    assert!(table.contains(
        "<tr><th scope=\"row\">December 2025</th><td class=\"sens-fails\">about $48 million<sup class=\"sens-mark\">†</sup></td></tr>"
    ));
    assert_eq!(table.matches("sens-fails").count(), 1);
    assert!(table.contains("the check <code>not_25_months</code>"));
    assert!(table.contains("The term is never 25 months"));
    let two = block(&html, "table-by_ramp");
    assert!(two.contains("<th scope=\"colgroup\" colspan=\"3\">First share</th>"));
    assert!(!two.contains("sens-fails"));
}

#[test]
fn tornado_chart_snapshot() {
    let site = Site::load(
        SiteTest::from_dir("sensitivity").root(),
        &LoadOptions::default(),
    )
    .unwrap();
    let chart = site.figures.chart("moves").unwrap();
    let svg = briefing::render::charts::svg(&site.figures, chart);
    insta::assert_snapshot!(svg);
}

#[test]
fn a_tornado_has_a_bar_per_ranged_assumption_widest_swing_first() {
    let site = Site::load(
        SiteTest::from_dir("sensitivity").root(),
        &LoadOptions::default(),
    )
    .unwrap();
    let briefing::figures::ChartData::Tornado(t) = &site.figures.chart("moves").unwrap().data
    else {
        panic!("a tornado")
    };
    let order: Vec<&str> = t.bars.iter().map(|b| b.assumption.as_str()).collect();
    assert_eq!(order, ["start", "ramp", "ramp_share"]);
    let swing = |b: &briefing::figures::TornadoBar| (b.at_high - b.at_low).abs();
    assert!(t.bars.windows(2).all(|w| swing(&w[0]) >= swing(&w[1])));
    let start = &t.bars[0];
    assert_eq!(
        (start.low_input.as_str(), start.high_input.as_str()),
        ("October 2025", "March 2026")
    );
    // The estimate with one assumption moved equals the model run with that value.
    let moved = site.figures.evaluate(&[("ramp".to_string(), 6.0)]).unwrap();
    let ramp = t.bars.iter().find(|b| b.assumption == "ramp").unwrap();
    assert_eq!(moved.get("projected").unwrap().value, ramp.at_high);
    assert_eq!(t.base, site.figures.get("projected").unwrap().value);

    // Placed inline by figure name, with a generated title.
    let html = SiteTest::from_dir("sensitivity").build().file("index.html");
    assert!(html.contains("id=\"chart-tornado(full_value)\""));
    assert!(html.contains("What moves it: Full-rate value"));
    let svg = block(&html, "chart-moves");
    for class in [
        "chart-tornado-low",
        "chart-tornado-high",
        "chart-tornado-base",
    ] {
        assert!(svg.contains(class), "{class}");
    }
    for attribute in ["fill=\"#", "stroke=\"#", "style="] {
        assert!(!svg.contains(attribute), "{attribute}");
    }
}

#[test]
fn scenarios_show_in_prose_on_the_figures_page_and_in_the_cli() {
    let site = SiteTest::from_dir("sensitivity");
    let built = site.build();
    let slow = {
        let s = Site::load(site.root(), &LoadOptions::default()).unwrap();
        s.figures
            .get("projected")
            .unwrap()
            .in_scenario("slow")
            .unwrap()
            .clone()
    };
    assert_eq!(slow.display, "about $42 million");
    let index = built.file("index.html");
    assert!(
        index.contains("with a slow ramp, <span class=\"fig"),
        "{index}"
    );
    assert!(index.contains(">about $42 million</a>"));

    let page = built.file("figures/index.html");
    assert!(page.contains("<h2 id=\"scenarios-heading\">Scenarios</h2>"));
    for label in ["Desk", "Slow ramp", "Late start"] {
        assert!(page.contains(&format!(">{label}</a></th>")), "{label}");
    }
    assert!(page.contains("<td class=\"scenario-differs\">about $42 million</td>"));

    let out = site.cli_ok(&["figures", "--scenario", "slow", "--format", "csv"]);
    let csv = String::from_utf8(out.stdout).unwrap();
    let row = csv.lines().find(|l| l.starts_with("projected,")).unwrap();
    assert!(row.contains(",about $42 million,"), "{row}");
    let ramp = csv.lines().find(|l| l.starts_with("ramp,")).unwrap();
    assert!(ramp.contains(",6,month,6 months,"), "{ramp}");

    let out = site.cli(&["figures", "--scenario", "slwo"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown scenario `slwo`"), "{stderr}");
    assert!(stderr.contains("did you mean `slow`?"), "{stderr}");
}

#[test]
fn a_check_that_fails_in_one_scenario_names_it() {
    let site = SiteTest::from_dir("sensitivity");
    // December 2025 makes the term 25 months: within the range, but the check fails there.
    replace(&site, "start: \"2026-03\"", "start: \"2025-12\"");
    let (location, message, help) = first_problem(&site);
    assert_eq!(location, "data/figures.yaml:73:3");
    assert_eq!(
        message,
        "scenario `late`: check `not_25_months` fails in this scenario: \
         `abs(months - 25 month) >= 1 month` is false"
    );
    assert!(help.contains("The term is never 25 months"), "{help}");
}

#[test]
fn a_scenario_outside_a_range_must_say_so() {
    let site = SiteTest::from_dir("sensitivity");
    replace(&site, "ramp: 6\n", "ramp: 9\n");
    let (location, message, help) = first_problem(&site);
    assert_eq!(location, "data/figures.yaml:67:3");
    assert_eq!(
        message,
        "scenario `slow`: sets `ramp` to 9 months, outside its range (1 month to 6 months)"
    );
    assert!(help.contains("outside_range: true"), "{help}");

    replace(
        &site,
        "description: A long ramp from a low share.",
        "description: A long ramp from a low share.\n    outside_range: true",
    );
    let page = site.build().file("figures/index.html");
    assert!(page.contains("beyond our ranges"), "shown to the reader");
    assert!(page.contains("to 9 months (outside its range)"));
}

#[test]
fn scenarios_set_assumptions_only_with_a_did_you_mean() {
    let site = SiteTest::from_dir("sensitivity");
    replace(&site, "ramp: 6\n", "rmp: 6\n");
    let (location, message, help) = first_problem(&site);
    assert_eq!(location, "data/figures.yaml:67:3");
    assert_eq!(
        message,
        "scenario `slow`: `assumptions:` sets unknown assumption `rmp`"
    );
    assert_eq!(help, "did you mean `ramp`?");

    let site = SiteTest::from_dir("sensitivity");
    replace(&site, "ramp: 6\n", "payment: 3 million\n");
    let (_, message, _) = first_problem(&site);
    assert_eq!(
        message,
        "scenario `slow`: `assumptions:` sets `payment` is a reported figure, not an assumption"
    );
}

#[test]
fn unknown_figures_and_assumptions_in_tables_and_charts_are_placed_errors() {
    let site = SiteTest::from_dir("sensitivity");
    replace(
        &site,
        "figure: projected\n    rows: start",
        "figure: projectd\n    rows: start",
    );
    let (location, message, help) = first_problem(&site);
    assert_eq!(location, "data/figures.yaml:79:3");
    assert_eq!(
        message,
        "table `by_start`: `figure:` names an unknown figure `projectd`"
    );
    assert_eq!(help, "did you mean `projected`?");

    let site = SiteTest::from_dir("sensitivity");
    replace(&site, "rows: ramp\n", "rows: rampp\n");
    let (location, message, help) = first_problem(&site);
    assert_eq!(location, "data/figures.yaml:83:3");
    assert_eq!(
        message,
        "table `by_ramp`: `rows:` names unknown assumption `rampp`"
    );
    assert_eq!(help, "did you mean `ramp`?");

    let site = SiteTest::from_dir("sensitivity");
    replace(
        &site,
        "title: What moves the projected payments\n    figure: projected",
        "title: What moves the projected payments\n    figure: projeted",
    );
    let (location, message, help) = first_problem(&site);
    assert_eq!(location, "data/figures.yaml:59:3");
    assert_eq!(
        message,
        "chart `moves`: `figure:` names an unknown figure `projeted`"
    );
    assert_eq!(help, "did you mean `projected`?");

    let site = SiteTest::from_dir("sensitivity");
    site.write(
        "content/extra.md",
        "---\ntitle: Extra\n---\nText.\n\n{{ chart: tornado(projectd) }}\n\n{{ table: by_strat }}\n\nAlso {{ projected | scenario: slwo }}.\n",
    );
    let problems = site.problems();
    let shown: Vec<String> = problems
        .0
        .iter()
        .map(|p| {
            format!(
                "{}: {} ({})",
                p.location(),
                p.message,
                p.help.clone().unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            "content/extra.md:6:1: chart `tornado(projectd)`: unknown figure `projectd` (did you mean `projected`?)",
            "content/extra.md:8:1: unknown table `by_strat` (did you mean `by_start`?)",
            "content/extra.md:10:6: unknown scenario `slwo` (did you mean `slow`?)",
        ]
    );
}

#[test]
fn a_table_side_must_move_its_figure() {
    let site = SiteTest::from_dir("sensitivity");
    replace(
        &site,
        "figure: projected\n    rows: start",
        "figure: full_value\n    rows: ramp",
    );
    let (_, message, help) = first_problem(&site);
    assert_eq!(
        message,
        "table `by_start`: `full_value` does not rest on `ramp`: every cell of that side would be the same"
    );
    assert_eq!(
        help,
        "choose an assumption that `full_value` rests on: start"
    );
}
