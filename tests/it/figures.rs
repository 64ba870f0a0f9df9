//! Figures as the build sees them: references, unit errors and cycles fail the build with positions.

use crate::support::SiteTest;

#[test]
fn key_figures_reach_the_templates() {
    let home = SiteTest::from_dir("basic").build().file("index.html");
    assert!(
        home.contains("<p class=\"card\">Monthly payment: $1.25 billion a month</p>"),
        "{home}"
    );
    assert!(home.contains("$15 billion a year"), "{home}");
}

#[test]
fn figures_page_lists_every_figure() {
    let page = SiteTest::from_dir("basic")
        .build()
        .file("figures/index.html");
    for name in ["monthly_payment", "capacity", "annual_run_rate"] {
        assert!(page.contains(&format!("id=\"fig-{name}\"")), "{name}");
    }
}

#[test]
fn unit_mismatch_fails_the_build() {
    let site = SiteTest::from_dir("basic");
    let figures = std::fs::read_to_string(site.path("data/figures.yaml")).unwrap();
    site.write(
        "data/figures.yaml",
        &format!(
            "{figures}  nonsense:\n    formula: monthly_payment + capacity\n    unit: USD/month\n"
        ),
    );
    let problem = &site.problems().0[0];
    assert!(problem.path.ends_with("data/figures.yaml"));
    assert_eq!(problem.line, 17, "{problem}");
    assert!(problem.message.contains("nonsense"), "{problem}");
}

#[test]
fn cycles_fail_the_build_naming_the_cycle() {
    let site = SiteTest::from_dir("basic");
    let figures = std::fs::read_to_string(site.path("data/figures.yaml")).unwrap();
    site.write(
        "data/figures.yaml",
        &format!("{figures}  a_fig:\n    formula: b_fig * 2\n    unit: MW\n  b_fig:\n    formula: a_fig / 2\n    unit: MW\n"),
    );
    let text = site.problems().to_string();
    assert!(
        text.contains("a_fig") && text.contains("b_fig") && text.contains("cycle"),
        "{text}"
    );
}

#[test]
fn broken_figures_yaml_names_its_line() {
    let site = SiteTest::from_dir("basic");
    site.write(
        "data/figures.yaml",
        "figures:\n  x:\n    value: 1\n   unit: MW\n",
    );
    let problem = &site.problems().0[0];
    assert!(problem.path.ends_with("data/figures.yaml"));
    assert!(problem.line == 3 || problem.line == 4, "{problem}");
}
