//! Claim checks, sources and ranges in data/: a failing claim or a bad source fails `build` and
//! `check` with the file, the line and both sides' values.

use crate::support::{SiteTest, snapshot_tree};

const FIGURES: &str = "data/figures.yaml";

fn replace(site: &SiteTest, from: &str, to: &str) {
    let text = std::fs::read_to_string(site.path(FIGURES)).unwrap();
    assert!(text.contains(from), "{from}");
    site.write(FIGURES, &text.replacen(from, to, 1));
}

#[test]
fn a_failing_check_fails_build_and_check_with_both_values_and_its_line() {
    let site = SiteTest::from_dir("figures");
    site.cli_ok(&["build"]);
    let before = snapshot_tree(&site.path("public"));
    replace(&site, "value: 40 million", "value: 50 million");

    for command in ["build", "check"] {
        let out = site.cli(&[command]);
        assert_eq!(out.status.code(), Some(1), "{command}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(
                "error: data/figures.yaml:74:3: check `full_value_covers_floor`: fails: \
                 `full_value >= floor` is false: `full_value` is $48 million (48000000 USD) \
                 and `floor` is more than $50 million (50000000 USD)"
            ),
            "{command}: {stderr}"
        );
        assert!(
            stderr.contains(
                "help: it protects: \"The full-rate value is at least the reported floor.\""
            ),
            "{stderr}"
        );
    }
    assert_eq!(
        snapshot_tree(&site.path("public")),
        before,
        "public/ is untouched"
    );
}

#[test]
fn a_check_must_hold_at_every_end_of_every_range() {
    let site = SiteTest::from_dir("figures");
    // $48 million at the base start, $44 million when the term starts in March 2026.
    replace(&site, "value: 40 million", "value: 45 million");
    let problems = site.problems();
    let problem = &problems.0[0];
    assert_eq!(problem.location(), "data/figures.yaml:74:3");
    assert_eq!(
        problem.message,
        "check `full_value_covers_floor`: fails with `start` at the high end of its range \
         (March 2026): `full_value >= floor` is false: `full_value` is $44 million \
         (44000000 USD) and `floor` is more than $45 million (45000000 USD)"
    );
    assert!(
        problem
            .help
            .as_deref()
            .unwrap()
            .contains("narrow the range")
    );
}

#[test]
fn checks_compare_like_with_like() {
    let site = SiteTest::from_dir("figures");
    replace(
        &site,
        "formula: projected <= full_value",
        "formula: projected <= capacity",
    );
    let problem = &site.problems().0[0];
    assert_eq!(problem.line, 77, "{problem}");
    assert!(
        problem.message.contains("cannot compare USD with MW"),
        "{problem}"
    );
}

#[test]
fn a_check_needs_one_comparison_and_known_figures() {
    let site = SiteTest::from_dir("figures");
    replace(
        &site,
        "formula: projected <= full_value",
        "formula: projected = full_vlaue",
    );
    let problem = &site.problems().0[0];
    assert_eq!(
        problem.message,
        "check `projected_below_full`: formula `projected = full_vlaue`, character 11: `=` is not a comparison"
    );
    replace(
        &site,
        "formula: projected = full_vlaue",
        "formula: projected <= full_vlaue",
    );
    let problem = &site.problems().0[0];
    assert!(
        problem.message.contains("unknown figure `full_vlaue`"),
        "{problem}"
    );
    assert_eq!(problem.help.as_deref(), Some("did you mean `full_value`?"));
}

#[test]
fn an_unknown_source_is_an_error_with_a_suggestion() {
    let site = SiteTest::from_dir("figures");
    replace(
        &site,
        "    source: report\n    quote:",
        "    source: reprot\n    quote:",
    );
    let problems = site.problems();
    assert_eq!(problems.0.len(), 1, "{problems}");
    let problem = &problems.0[0];
    assert_eq!(problem.location(), "data/figures.yaml:12:3");
    assert_eq!(problem.message, "figure `payment`: unknown source `reprot`");
    assert_eq!(problem.help.as_deref(), Some("did you mean `report`?"));
    let out = site.cli(&["check"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn source_dates_must_be_dates() {
    let site = SiteTest::from_dir("figures");
    replace(&site, "as_of: \"2026-06-01\"", "as_of: last June");
    let problem = &site.problems().0[0];
    assert_eq!(problem.location(), "data/figures.yaml:2:3");
    assert!(
        problem.message.contains("`as_of: last June` is not a date"),
        "{problem}"
    );
}

#[test]
fn ranges_belong_to_assumptions_and_hold_their_value() {
    let site = SiteTest::from_dir("figures");
    replace(
        &site,
        "    value: 10\n",
        "    value: 10\n    range: [8, 12]\n",
    );
    let problem = &site.problems().0[0];
    assert!(
        problem
            .message
            .contains("figure `capacity`: has `range:`, but only an assumption can have one"),
        "{problem}"
    );

    let site = SiteTest::from_dir("figures");
    replace(
        &site,
        "[\"2025-10\", \"2026-03\"]",
        "[\"2026-02\", \"2026-03\"]",
    );
    let problem = &site.problems().0[0];
    assert_eq!(
        problem.message,
        "figure `start`: `value:` is outside its own `range:`"
    );

    let site = SiteTest::from_dir("figures");
    replace(
        &site,
        "[\"2025-10\", \"2026-03\"]",
        "[\"2026-03\", \"2025-10\"]",
    );
    assert!(site.problems().0[0].message.contains("from low to high"));
}
