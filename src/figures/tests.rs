//! Figures: tests of the whole step, from the text of `data/figures.yaml` to formatted figures.

use std::path::Path;

use super::*;
use crate::error::{Problem, Problems};

const BRIEFING: &str = r#"sources:
  article:
    title: "Anthropic to pay xAI $1.25 billion a month for Colossus 1 compute"
    publisher: Industry news
    date: "2026-11-20"
    url: https://example.com/x
  filing:
    title: SpaceX S-1
figures:
  monthly_payment:
    label: Monthly payment
    value: 1.25 billion
    unit: USD/month
    source: article
  capacity:
    value: 300
    unit: MW
    source: article
    note: The whole output of Colossus 1.
  term_start:
    value: "2026-06"
    unit: date
    why: The article gives no start date; assumed to be the month after the filing.
  term_end:
    value: "2029-05"
    unit: date
    source: article
  reported_total:
    value: 40 billion
    qualifier: more than
    unit: USD
    source: article
  annual_run_rate:
    formula: monthly_payment           # unit conversion does the x12
    unit: USD/year
  term_months:
    formula: months_between(term_start, term_end) + 1 month
    unit: month
  full_rate_value:
    formula: monthly_payment * term_months
    unit: USD
  cost_per_mw_month:
    formula: monthly_payment / capacity
    unit: USD/MW/month
  cost_per_mw_year:
    formula: monthly_payment / capacity
    unit: USD/MW/year
  price_per_kwh:
    formula: monthly_payment / capacity
    unit: USD/kWh
    qualifier: about
  ramp_discount:
    formula: full_rate_value - reported_total
    unit: USD
  discount_share:
    formula: ramp_discount / full_rate_value
    unit: "%"
"#;

const PATH: &str = "data/figures.yaml";

fn ok(text: &str) -> Figures {
    match load(Path::new(PATH), text) {
        Ok(figures) => figures,
        Err(problems) => panic!("{problems}"),
    }
}

fn problems(text: &str) -> Problems {
    match load(Path::new(PATH), text) {
        Ok(figures) => panic!("loaded {} figures without a problem", figures.len()),
        Err(problems) => problems,
    }
}

/// The only problem in `text`, checked to be the only one.
fn problem(text: &str) -> Problem {
    let Problems(mut list) = problems(text);
    assert_eq!(list.len(), 1, "{}", Problems(list.clone()));
    list.remove(0)
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.trim_start().starts_with(needle))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("{needle} not in text"))
}

fn figure<'a>(figures: &'a Figures, name: &str) -> &'a Figure {
    figures
        .get(name)
        .unwrap_or_else(|| panic!("no figure {name}"))
}

/// A `sources:` section with `article`, and `figures:` with the given YAML indented under it.
fn with_figures(figures: &str) -> String {
    let mut text = "sources:\n  article:\n    title: An article\nfigures:\n".to_string();
    for line in figures.lines() {
        text.push_str("  ");
        text.push_str(line);
        text.push('\n');
    }
    text
}

#[test]
fn the_briefing_example_evaluates_and_formats() {
    let figures = ok(BRIEFING);
    let table: Vec<(&str, &str, Kind, bool)> = figures
        .iter()
        .map(|f| (f.name.as_str(), f.display.as_str(), f.kind, f.estimate))
        .collect();
    assert_eq!(
        table,
        [
            (
                "monthly_payment",
                "$1.25 billion a month",
                Kind::Reported,
                false
            ),
            ("capacity", "300 MW", Kind::Reported, false),
            ("term_start", "June 2026", Kind::Assumption, false),
            ("term_end", "May 2029", Kind::Reported, false),
            (
                "reported_total",
                "more than $40 billion",
                Kind::Reported,
                false
            ),
            (
                "annual_run_rate",
                "$15 billion a year",
                Kind::Derived,
                false
            ),
            ("term_months", "36 months", Kind::Derived, true),
            ("full_rate_value", "$45 billion", Kind::Derived, true),
            (
                "cost_per_mw_month",
                "$4.17 million per MW a month",
                Kind::Derived,
                false
            ),
            (
                "cost_per_mw_year",
                "$50 million per MW a year",
                Kind::Derived,
                false
            ),
            ("price_per_kwh", "about $5.70 per kWh", Kind::Derived, false),
            ("ramp_discount", "$5 billion", Kind::Derived, true),
            ("discount_share", "11.1%", Kind::Derived, true),
        ]
    );
    let run_rate = figure(&figures, "annual_run_rate");
    assert_eq!(run_rate.value, 15_000_000_000.0);
    assert_eq!(run_rate.unit, "USD/year");
    assert_eq!(run_rate.number, "$15 billion");
    assert_eq!(run_rate.label, "Annual run rate");
    assert_eq!(run_rate.formula.as_deref(), Some("monthly_payment"));
    assert_eq!(run_rate.inputs, ["monthly_payment"]);
    assert_eq!(run_rate.line, line_of(BRIEFING, "annual_run_rate:"));
    assert_eq!(figure(&figures, "full_rate_value").value, 45e9);
    assert_eq!(figure(&figures, "term_months").value, 36.0);
    assert_eq!(figure(&figures, "term_months").number, "36");
    assert_eq!(figure(&figures, "term_end").value, 2029.0 * 12.0 + 4.0);
    assert_eq!(figure(&figures, "term_end").number, "May 2029");
    let per_year = figure(&figures, "cost_per_mw_year").value;
    assert!((per_year - 50e6).abs() < 1e-6, "{per_year}");
    let share = figure(&figures, "discount_share").value;
    assert!((share - 100.0 / 9.0).abs() < 1e-9, "{share}");

    let payment = figure(&figures, "monthly_payment");
    assert_eq!(payment.label, "Monthly payment");
    assert_eq!(payment.value, 1.25e9);
    assert_eq!(payment.number, "$1.25 billion");
    assert_eq!(payment.source.as_deref(), Some("article"));
    assert_eq!(payment.formula, None);
    assert!(payment.inputs.is_empty());
    let total = figure(&figures, "reported_total");
    assert_eq!(total.qualifier.as_deref(), Some("more than"));
    assert_eq!(total.number, "more than $40 billion");
    assert_eq!(
        figure(&figures, "capacity").note.as_deref(),
        Some("The whole output of Colossus 1.")
    );
    let start = figure(&figures, "term_start");
    assert!(
        start
            .why
            .as_deref()
            .unwrap_or("")
            .starts_with("The article gives")
    );
    assert_eq!(start.source, None);
}

#[test]
fn assumptions_and_estimates_propagate_through_formulas() {
    let figures = ok(BRIEFING);
    let rests_on = |name: &str| figure(&figures, name).assumptions.clone();
    assert_eq!(rests_on("term_start"), ["term_start"]);
    assert!(rests_on("term_end").is_empty());
    assert!(rests_on("annual_run_rate").is_empty());
    assert_eq!(rests_on("term_months"), ["term_start"]);
    // Two levels down: term_months -> full_rate_value -> ramp_discount -> discount_share.
    assert_eq!(rests_on("ramp_discount"), ["term_start"]);
    assert_eq!(rests_on("discount_share"), ["term_start"]);
    assert!(figure(&figures, "discount_share").estimate);
    // An assumption is labelled by its kind, not as an estimate.
    assert!(!figure(&figures, "term_start").estimate);

    let two = ok(&with_figures(
        "a:\n  value: 2\n  unit: count\n  why: guess\nb:\n  value: 3\n  unit: count\n  why: guess\n\
         c:\n  formula: b * a\n  unit: count\nd:\n  formula: c + a\n  unit: count\n",
    ));
    assert_eq!(figure(&two, "c").assumptions, ["a", "b"]);
    assert_eq!(figure(&two, "d").assumptions, ["a", "b"]);
    assert_eq!(figure(&two, "d").inputs, ["c", "a"]);
    assert_eq!(figure(&two, "d").value, 8.0);
}

#[test]
fn lookups_names_sources_and_suggestions() {
    let figures = ok(BRIEFING);
    assert_eq!(figures.len(), 13);
    assert!(!figures.is_empty());
    assert_eq!(figures.names().next(), Some("monthly_payment"));
    assert_eq!(figures.names().last(), Some("discount_share"));
    assert_eq!(figures.suggest("montly_payment"), Some("monthly_payment"));
    assert_eq!(figures.suggest("zzz"), None);
    assert!(figures.get("nope").is_none());
    let ids: Vec<&str> = figures.sources().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["article", "filing"]);
    let article = figures.source("article").unwrap();
    assert_eq!(article.publisher.as_deref(), Some("Industry news"));
    assert_eq!(article.date.as_deref(), Some("2026-11-20"));
    assert_eq!(article.url.as_deref(), Some("https://example.com/x"));
    assert_eq!(article.line, 2);
    assert_eq!(figures.source("filing").unwrap().publisher, None);
    assert!(Figures::empty().is_empty());
    assert_eq!(Figures::empty().iter().count(), 0);
}

#[test]
fn serialises_for_templates_in_declaration_order() {
    let figures = ok(BRIEFING);
    let json = serde_json::to_value(&figures).unwrap();
    assert_eq!(json["monthly_payment"]["kind"], "reported");
    assert_eq!(json["term_start"]["kind"], "assumption");
    assert_eq!(json["discount_share"]["kind"], "derived");
    assert_eq!(json["discount_share"]["estimate"], true);
    assert_eq!(json["annual_run_rate"]["display"], "$15 billion a year");
    let text = serde_json::to_string(&figures).unwrap();
    let first = text.find("\"monthly_payment\"").unwrap();
    let last = text.find("\"discount_share\"").unwrap();
    assert!(first < last);
}

#[test]
fn empty_files_and_sections_give_no_figures() {
    assert!(ok("").is_empty());
    assert!(ok("# nothing yet\n").is_empty());
    assert!(ok("sources:\nfigures:\n").is_empty());
}

#[test]
fn kind_comes_from_exactly_one_of_source_why_formula() {
    let text = with_figures(
        "none:\n  value: 1\n  unit: MW\n\
         both:\n  value: 1\n  unit: MW\n  source: article\n  why: guess\n\
         no_value:\n  unit: MW\n  source: article\n\
         valued_formula:\n  value: 2\n  formula: both * 2\n  unit: MW\n",
    );
    let Problems(list) = problems(&text);
    let messages: Vec<String> = list.iter().map(|p| p.message.clone()).collect();
    assert_eq!(
        messages,
        [
            "figure `none`: needs one of `source:`, `why:` or `formula:`",
            "figure `both`: has `source:` and `why:`; a figure takes exactly one",
            "figure `no_value`: has `source:` but no `value:`",
            "figure `valued_formula`: has both `formula:` and `value:`",
        ]
    );
    assert!(list[0].help.as_deref().unwrap().contains("`why: <reason>`"));
    assert!(
        list[2]
            .help
            .as_deref()
            .unwrap()
            .contains("value: 1.25 billion")
    );
    assert_eq!(list[0].line, line_of(&text, "none:"));
    assert_eq!(list[0].column, 3);
    assert_eq!(list[3].line, line_of(&text, "valued_formula:"));
}

#[test]
fn unknown_source_suggests_the_nearest() {
    let text = with_figures("x:\n  value: 1\n  unit: MW\n  source: artcle\n");
    let p = problem(&text);
    assert_eq!(
        p.to_string(),
        format!(
            "{PATH}:{}:3: figure `x`: unknown source `artcle`\n  help: did you mean `article`?",
            line_of(&text, "x:")
        )
    );
    let p = problem(&with_figures("x:\n  value: 1\n  unit: MW\n  source: zzz\n"));
    assert_eq!(
        p.help.as_deref(),
        Some("declare `zzz:` under `sources:` with a `title:`")
    );
}

#[test]
fn typos_in_field_names_are_all_reported() {
    let text = with_figures(
        "a:\n  vlaue: 1\n  unit: MW\n  source: article\n  nte: x\nb:\n  value: 2\n  unitt: MW\n  source: article\n",
    );
    let Problems(list) = problems(&text);
    let messages: Vec<&str> = list.iter().map(|p| p.message.as_str()).collect();
    // Only the typos: no "missing `value:`" or "missing `unit:`" on top of them.
    assert_eq!(
        messages,
        [
            "figure `a`: unknown field `nte`",
            "figure `a`: unknown field `vlaue`",
            "figure `b`: unknown field `unitt`",
        ]
    );
    let vlaue = list.iter().find(|p| p.message.contains("vlaue")).unwrap();
    assert!(
        vlaue
            .help
            .as_deref()
            .unwrap()
            .starts_with("did you mean `value`?")
    );
    let source = problem("sources:\n  a:\n    titel: x\n");
    assert_eq!(source.message, "source `a`: unknown field `titel`");
    let derived = problem(&with_figures(
        "d:\n  formula: 1 + 1\n  vlaue: 2\n  unit: count\n",
    ));
    assert_eq!(derived.message, "figure `d`: unknown field `vlaue`");
    let top = problem("figure:\n  a: {}\n");
    assert_eq!(top.line, 1);
    assert!(top.message.contains("unknown field `figure`"), "{top}");
}

#[test]
fn values_read_numbers_scale_words_and_dates() {
    let figures = ok(&with_figures(
        "a:\n  value: 1.25e9\n  unit: USD\n  source: article\n\
         b:\n  value: 1,250,000\n  unit: USD\n  source: article\n\
         c:\n  value: 2 trillion\n  unit: USD\n  source: article\n\
         d:\n  value: 2029-05-17\n  unit: date\n  source: article\n\
         e:\n  value: 214000\n  unit: count\n  source: article\n  precision: 2\n",
    ));
    assert_eq!(figure(&figures, "a").value, 1.25e9);
    assert_eq!(figure(&figures, "b").display, "$1.25 million");
    assert_eq!(figure(&figures, "c").display, "$2 trillion");
    assert_eq!(figure(&figures, "d").display, "May 2029");
    assert_eq!(figure(&figures, "e").display, "210,000");
}

#[test]
fn bad_values_units_and_names_point_at_the_figure() {
    let text = with_figures(
        "a:\n  value: lots\n  unit: USD\n  source: article\n\
         b:\n  value: 2029\n  unit: date\n  source: article\n\
         c:\n  value: 1\n  source: article\n\
         d:\n  value: 1\n  unit: usd\n  source: article\n\
         e-f:\n  value: 1\n  unit: MW\n  source: article\n\
         g:\n  value: 1\n  unit: MW\n  source: article\n  precision: 40\n",
    );
    let Problems(list) = problems(&text);
    let found: Vec<(usize, &str)> = list.iter().map(|p| (p.line, p.message.as_str())).collect();
    assert_eq!(
        found,
        [
            (
                line_of(&text, "a:"),
                "figure `a`: cannot read `lots` as a number"
            ),
            (
                line_of(&text, "b:"),
                "figure `b`: `value: 2029` is not a date"
            ),
            (line_of(&text, "c:"), "figure `c`: has no `unit:`"),
            (line_of(&text, "d:"), "figure `d`: unknown unit `usd`"),
            (line_of(&text, "e-f:"), "figure `e-f`: is not a usable name"),
            (
                line_of(&text, "g:"),
                "figure `g`: `precision: 40` is not a number of significant digits"
            ),
        ]
    );
    assert!(
        list[3]
            .help
            .as_deref()
            .unwrap()
            .starts_with("did you mean `USD`?")
    );
}

#[test]
fn adding_money_and_power_names_both_units() {
    let text = with_figures(
        "payment:\n  value: 1.25 billion\n  unit: USD/month\n  source: article\n\
         capacity:\n  value: 300\n  unit: MW\n  source: article\n\
         annual_run_rate:\n  formula: payment + capacity\n  unit: USD/year\n",
    );
    let p = problem(&text);
    assert_eq!(
        p.to_string().lines().next().unwrap(),
        format!(
            "{PATH}:{}:3: figure `annual_run_rate`: cannot add USD/month and MW",
            line_of(&text, "annual_run_rate:")
        )
    );
    assert!(p.help.unwrap().contains("money per time"));
}

#[test]
fn formula_unit_must_match_the_declared_unit() {
    let p = problem(&with_figures(
        "payment:\n  value: 1\n  unit: USD/month\n  source: article\nx:\n  formula: payment\n  unit: MW\n",
    ));
    assert_eq!(
        p.message,
        "figure `x`: formula gives USD/month but unit is MW"
    );
}

#[test]
fn syntax_errors_say_where_and_what_was_expected() {
    let p = problem(&with_figures(
        "a:\n  value: 1\n  unit: MW\n  source: article\nb:\n  formula: a + * 2\n  unit: MW\n",
    ));
    assert_eq!(
        p.message,
        "figure `b`: formula `a + * 2`, character 5: expected a number, a figure name or `(`, found `*`"
    );
    assert!(p.help.is_some());
}

#[test]
fn unknown_names_and_functions_suggest_the_nearest() {
    let text = with_figures(
        "monthly_payment:\n  value: 1\n  unit: USD/month\n  source: article\n\
         x:\n  formula: montly_payment * 12 month\n  unit: USD\n\
         y:\n  formula: maxx(monthly_payment, 2 (USD/month))\n  unit: USD/month\n",
    );
    let Problems(list) = problems(&text);
    assert_eq!(list.len(), 2, "{}", Problems(list.clone()));
    assert_eq!(
        list[0].message,
        "figure `x`: formula `montly_payment * 12 month`, character 1: unknown figure `montly_payment`"
    );
    assert_eq!(
        list[0].help.as_deref(),
        Some("did you mean `monthly_payment`?")
    );
    assert!(
        list[1].message.ends_with("unknown function `maxx`"),
        "{}",
        list[1]
    );
    assert!(
        list[1]
            .help
            .as_deref()
            .unwrap()
            .starts_with("did you mean `max`?")
    );
}

#[test]
fn cycles_are_named_whole_and_reported_once() {
    let text = with_figures(
        "a:\n  formula: b + 1 MW\n  unit: MW\n\
         b:\n  formula: c\n  unit: MW\n\
         c:\n  formula: a * 2\n  unit: MW\n\
         after:\n  formula: c + 1 MW\n  unit: MW\n\
         me:\n  formula: me\n  unit: MW\n",
    );
    let Problems(list) = problems(&text);
    let messages: Vec<&str> = list.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "figure `a`: formulas depend on each other in a cycle: a -> b -> c -> a",
            "figure `me`: formulas depend on each other in a cycle: me -> me",
        ]
    );
    assert_eq!(list[0].line, line_of(&text, "a:"));
}

#[test]
fn division_by_zero_names_the_divisor() {
    let p = problem(&with_figures(
        "a:\n  value: 1\n  unit: MW\n  source: article\nz:\n  value: 0\n  unit: MW\n  why: none yet\n\
         r:\n  formula: a / (z * 2)\n  unit: count\n",
    ));
    assert_eq!(p.message, "figure `r`: division by zero: `(z * 2)` is 0");
}

#[test]
fn dates_move_and_measure_by_months() {
    let figures = ok(&with_figures(
        "start:\n  value: \"2026-06\"\n  unit: date\n  why: guess\n\
         end:\n  formula: start + 35 month\n  unit: date\n\
         next:\n  formula: end + 1 month\n  unit: date\n\
         span:\n  formula: months_between(start, end)\n  unit: year\n",
    ));
    assert_eq!(figure(&figures, "end").display, "May 2029");
    assert_eq!(figure(&figures, "next").display, "June 2029");
    assert_eq!(figure(&figures, "span").display, "2.92 years");
    assert!(figure(&figures, "end").estimate);
}

#[test]
fn several_problems_are_collected_and_dependents_stay_quiet() {
    let text = with_figures(
        "bad:\n  value: lots\n  unit: MW\n  source: article\n\
         uses_bad:\n  formula: bad * 2\n  unit: MW\n\
         fine:\n  value: 2\n  unit: MW\n  source: article\n  nte: typo\n\
         uses_fine:\n  formula: fine + 1 USD\n  unit: MW\n\
         syntax:\n  formula: (fine\n  unit: MW\n",
    );
    let Problems(list) = problems(&text);
    let messages: Vec<&str> = list.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(messages.len(), 4, "{messages:?}");
    assert_eq!(messages[0], "figure `bad`: cannot read `lots` as a number");
    assert_eq!(messages[1], "figure `fine`: unknown field `nte`");
    // A typo in a note does not stop the figures built on `fine` from being checked.
    assert_eq!(messages[2], "figure `uses_fine`: cannot add MW and USD");
    assert!(messages[3].starts_with("figure `syntax`: formula `(fine`, character 6: expected `)`"));
    let lines: Vec<usize> = list.iter().map(|p| p.line).collect();
    let mut sorted = lines.clone();
    sorted.sort_unstable();
    assert_eq!(lines, sorted);
}

#[test]
fn duplicates_are_reported() {
    let p = problem(&with_figures(
        "a:\n  value: 1\n  unit: MW\n  source: article\na:\n  value: 2\n  unit: MW\n  source: article\n",
    ));
    assert_eq!(p.message, "figure `a`: is declared more than once");
}

#[test]
fn yaml_syntax_errors_keep_their_own_line() {
    let text = "figures:\n  a:\n    value: 1\n    unit: [MW\n";
    let p = problem(text);
    assert!(p.message.starts_with("invalid YAML"), "{p}");
    assert!(p.line >= 4, "{p}");
    assert_eq!(p.path, Path::new(PATH));
}

#[test]
fn deep_nesting_is_a_problem_not_a_stack_overflow() {
    let deep = "(".repeat(10_000);
    let p = problem(&with_figures(&format!(
        "a:\n  formula: \"{deep}\"\n  unit: MW\n"
    )));
    assert!(p.message.contains("nests more than 64 levels"), "{p}");
    // Past serde_yaml's own limit of 128 levels (libyaml's scanner is slow on far deeper input).
    let yaml = format!(
        "figures:\n  a: {}{}\n",
        "[".repeat(1_000),
        "]".repeat(1_000)
    );
    assert!(problem(&yaml).message.starts_with("invalid YAML"));
    let long_sum = vec!["a"; 5_000].join(" + ");
    let figures = ok(&with_figures(&format!(
        "a:\n  value: 1\n  unit: MW\n  source: article\nsum:\n  formula: {long_sum}\n  unit: MW\n"
    )));
    assert_eq!(figure(&figures, "sum").value, 5_000.0);
}

#[test]
fn figures_evaluate_in_dependency_order_not_file_order() {
    // Declared last-first, so each formula names a figure further down the file.
    let mut yaml = String::new();
    for i in (1..300).rev() {
        yaml.push_str(&format!(
            "f{i}:\n  formula: f{} + 1\n  unit: count\n",
            i - 1
        ));
    }
    yaml.push_str("f0:\n  value: 1\n  unit: count\n  why: seed\n");
    let figures = ok(&with_figures(&yaml));
    assert_eq!(figure(&figures, "f299").value, 300.0);
    assert_eq!(figure(&figures, "f299").assumptions, ["f0"]);
    assert!(figure(&figures, "f299").estimate);
    assert_eq!(figures.names().next(), Some("f299"));
}
