//! Figures: tests of the whole step, from the text of `data/figures.yaml` to formatted figures.

use std::path::Path;

use super::*;
use crate::util::error::{Problem, Problems};

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
            ("discount_share", "about 11%", Kind::Derived, true),
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
    assert_eq!(figure(&figures, "term_months").number, "36 months");
    assert_eq!(figure(&figures, "capacity").number, "300 MW");
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
    // Rests on the assumed start: an estimate, rounded to two digits.
    assert_eq!(figure(&figures, "span").display, "about 2.9 years");
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

/// `a` is 10 MW (8 to 12), `b` 500 kW (400 to 600), `t` 2 h (1 to 3) and `p` 4 USD/kWh
/// (3 to 5): each result is shown in a unit other than its inputs', so the ends are converted.
const RANGED: &str = "a:\n  value: 10\n  range: [8, 12]\n  unit: MW\n  why: guess\n\
b:\n  value: 500\n  range: [400, 600]\n  unit: kW\n  why: guess\n\
t:\n  value: 2\n  range: [1, 3]\n  unit: h\n  why: guess\n\
p:\n  value: 4\n  range: [3, 5]\n  unit: USD/kWh\n  why: guess\n\
sum:\n  formula: a + b\n  unit: kW\n\
difference:\n  formula: a - b\n  unit: MW\n\
product:\n  formula: a * t\n  unit: MWh\n\
quotient:\n  formula: a / b\n  unit: count\n\
cost:\n  formula: p * a * t\n  unit: USD\n\
share:\n  formula: b / (a + b)\n  unit: \"%\"\n";

fn range_of(figures: &Figures, name: &str) -> (f64, f64) {
    let range = figure(figures, name)
        .range
        .as_ref()
        .unwrap_or_else(|| panic!("{name} has no range"));
    (range.low, range.high)
}

fn close(actual: (f64, f64), expected: (f64, f64)) -> bool {
    let near = |x: f64, y: f64| (x - y).abs() <= 1e-9 * y.abs().max(1.0);
    near(actual.0, expected.0) && near(actual.1, expected.1)
}

#[test]
fn ranges_follow_add_subtract_multiply_and_divide_with_units() {
    let figures = ok(&with_figures(RANGED));
    // a + b in kW: the two low ends, the two high ends.
    assert!(close(range_of(&figures, "sum"), (8_400.0, 12_600.0)));
    assert_eq!(figure(&figures, "sum").value, 10_500.0);
    // a - b in MW: the low end of a less the high end of b, and the other way round.
    assert!(close(range_of(&figures, "difference"), (7.4, 11.6)));
    // a * t in MWh.
    assert!(close(range_of(&figures, "product"), (8.0, 36.0)));
    // a / b as a count: the smallest a over the largest b, and the other way round.
    assert!(close(
        range_of(&figures, "quotient"),
        (8.0 / 0.6, 12.0 / 0.4)
    ));
    // Three ranged inputs, USD/kWh x MW x h in USD.
    assert!(close(range_of(&figures, "cost"), (24_000.0, 180_000.0)));
    // b appears twice: the ends are combined, not the intervals, so the range is the real one
    // (interval arithmetic would give 400/1200 to 600/8400 = 3.3% to 75%).
    assert!(close(
        range_of(&figures, "share"),
        (400.0 / 12_400.0 * 100.0, 600.0 / 8_600.0 * 100.0)
    ));

    let sum = figure(&figures, "sum").range.clone().unwrap();
    // An estimate's ends are rounded to the same place, the unit said once.
    assert_eq!(sum.display, "8,000 to 13,000 kW");
    assert_eq!(sum.over, ["a", "b"]);
    assert_eq!(
        figure(&figures, "a").range.as_ref().unwrap().display,
        "8 to 12 MW"
    );
    assert_eq!(
        figure(&figures, "cost").range.as_ref().unwrap().over,
        ["a", "p", "t"]
    );
}

#[test]
fn ranges_of_dates_and_figures_that_do_not_move() {
    let figures = ok(&with_figures(
        "start:\n  value: \"2026-06\"\n  range: [\"2026-01\", \"2026-08\"]\n  unit: date\n  why: guess\n\
         end:\n  value: \"2029-05\"\n  unit: date\n  source: article\n\
         months:\n  formula: months_between(start, end) + 1 month\n  unit: month\n\
         moved:\n  formula: start + 1 year\n  unit: date\n\
         same:\n  formula: months - months_between(start, end)\n  unit: month\n\
         fixed:\n  formula: months_between(end, end)\n  unit: month\n",
    ));
    assert_eq!(range_of(&figures, "months"), (34.0, 41.0));
    let moved = figure(&figures, "moved").range.clone().unwrap();
    assert_eq!(moved.display, "January 2027 to August 2027");
    // Rests on the start date, but the start cancels out: a value, not a range.
    assert!(figure(&figures, "same").range.is_none());
    assert!(figure(&figures, "same").estimate);
    assert!(figure(&figures, "fixed").range.is_none());
}

#[test]
fn a_formula_that_breaks_at_an_end_of_a_range_says_which() {
    let problem = problem(&with_figures(
        "a:\n  value: 2\n  range: [0, 4]\n  unit: MW\n  why: guess\n\
         b:\n  formula: 10 MW / a\n  unit: count\n",
    ));
    assert!(
        problem.message.starts_with(
            "figure `b`: with `a` at the low end of its range (0 MW): division by zero"
        ),
        "{problem}"
    );
}

#[test]
fn checks_hold_or_fail_with_both_values() {
    let text = |formula: &str| {
        format!(
            "{}checks:\n  claim:\n    formula: {formula}\n    protects: A sentence.\n",
            with_figures(
                "x:\n  value: 3\n  unit: MW\n  source: article\n\
                 y:\n  value: 2500\n  range: [2000, 3000]\n  unit: kW\n  why: guess\n\
                 d:\n  value: \"2026-06\"\n  unit: date\n  source: article\n"
            )
        )
    };
    let figures = ok(&text("x >= y"));
    let check = figures.checks().next().unwrap();
    assert_eq!(
        (check.left.display.as_str(), check.right.display.as_str()),
        ("3 MW", "2,500 kW")
    );
    assert_eq!(check.tested_over, ["y"]);
    assert!(ok(&text("x == 3000 kW")).checks().count() == 1);
    assert!(ok(&text("d < d + 1 month")).checks().count() == 1);
    assert!(ok(&text("(x + y) * 2 > 9 MW")).checks().count() == 1);

    let failed = problem(&text("x > y"));
    assert_eq!(failed.line, line_of(&text("x > y"), "claim:"));
    assert_eq!(
        failed.message,
        "check `claim`: fails with `y` at the high end of its range (3,000 kW): `x > y` is false: \
         `x` is 3 MW (3 MW) and `y` is 3,000 kW (3000 kW)"
    );
    let base = problem(&text("x * 2 <= y"));
    assert_eq!(
        base.message,
        "check `claim`: fails: `x * 2 <= y` is false: `x * 2` is 6 MW (6 MW) and `y` is 2,500 kW (2500 kW)"
    );
    assert!(
        base.help
            .as_deref()
            .unwrap()
            .starts_with("it protects: \"A sentence.\"")
    );

    for (formula, message) in [
        ("x", "has no comparison"),
        ("x > y > 1 MW", "character 7: has more than one comparison"),
        ("x => y", "character 3: `=>` is not a comparison"),
        ("x = y", "character 3: `=` is not a comparison"),
        ("x >= ", "the formula is empty"),
        ("x >= sqrt(y)", "character 6: unknown function `sqrt`"),
    ] {
        let p = problem(&text(formula));
        assert!(p.message.contains(message), "{formula}: {p}");
    }
    let missing = problem(&format!(
        "{}checks:\n  claim:\n    formula: x >= y\n",
        with_figures(
            "x:\n  value: 1\n  unit: MW\n  source: article\ny:\n  value: 1\n  unit: MW\n  source: article\n"
        )
    ));
    assert!(missing.message.contains("has no `protects:`"), "{missing}");
}

#[test]
fn sources_take_dates_and_quotes_and_know_who_cites_them() {
    let figures = ok(
        "sources:\n  a:\n    title: A\n    date: \"2026\"\n    as_of: \"2026-11-27\"\n    quote: The words.\n  b:\n    title: B\n\
         figures:\n  x:\n    value: 1\n    unit: MW\n    source: a\n    quote: one MW\n",
    );
    let a = figures.source("a").unwrap();
    assert_eq!(
        (a.date.as_deref(), a.as_of.as_deref()),
        (Some("2026"), Some("2026-11-27"))
    );
    assert_eq!(a.quote.as_deref(), Some("The words."));
    assert_eq!(a.cited_by, ["x"]);
    assert!(figures.source("b").unwrap().cited_by.is_empty());
    assert_eq!(figure(&figures, "x").quote.as_deref(), Some("one MW"));

    let p = problem(&with_figures(
        "x:\n  value: 1\n  unit: MW\n  why: guess\n  quote: words\n",
    ));
    assert!(p.message.contains("has `quote:` but no `source:`"), "{p}");
}

#[test]
fn charts_are_checked_against_the_figures() {
    let base = "rate:\n  value: 1 million\n  unit: USD/month\n  source: article\n\
                start:\n  value: \"2026-01\"\n  unit: date\n  source: article\n\
                end:\n  value: \"2026-12\"\n  unit: date\n  source: article\n\
                ramp:\n  value: 2\n  unit: month\n  why: guess\n\
                share:\n  value: 50\n  unit: \"%\"\n  why: guess\n\
                total:\n  formula: rate * (12 month - (1 - share) * (ramp + 1 month) / 2)\n  unit: USD\n";
    let chart = |fields: &str| {
        format!(
            "{}charts:\n  c:\n    title: C\n{fields}",
            with_figures(base)
        )
    };
    let schedule = "    kind: schedule\n    rate: rate\n    start: start\n    end: end\n    ramp_months: ramp\n    ramp_start: share\n    total: total\n";
    let figures = ok(&chart(schedule));
    let ChartData::Schedule(s) = &figures.chart("c").unwrap().data else {
        panic!("not a schedule");
    };
    assert_eq!(s.payments.len(), 12);
    assert_eq!(&s.payments[..3], &[500_000.0, 750_000.0, 1_000_000.0]);
    assert_eq!(s.cumulative().last().copied(), Some(11_250_000.0));

    let p = problem(&chart(&schedule.replace("rate: rate", "rate: start")));
    assert_eq!(
        p.message,
        "chart `c`: `rate: start` is in date, but `rate:` needs money per time"
    );
    let p = problem(&chart(&schedule.replace("    ramp_start: share\n", "")));
    assert!(
        p.message
            .contains("has one of `ramp_months:` and `ramp_start:`"),
        "{p}"
    );
    let p = problem(&chart("    kind: pie\n"));
    assert!(p.message.contains("unknown chart kind `pie`"), "{p}");
    let p = problem(&chart(
        "    kind: bars\n    unit: USD/month\n    bars: [rate, start]\n",
    ));
    assert!(p.message.contains("`bars: start` is in date"), "{p}");
    let p = problem(&chart(
        "    kind: bars\n    unit: USD/month\n    bars: [rate]\n    start: start\n",
    ));
    assert!(
        p.message
            .contains("`start:` does not apply to a chart of kind `bars`"),
        "{p}"
    );
}
