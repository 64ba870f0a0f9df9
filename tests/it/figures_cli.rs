//! `briefing figures`: every figure with its value in its own unit, as a table, JSON or CSV.

use briefing::cli::figure_table::{FigureTable, Value};

use crate::support::SiteTest;

fn run(site: &SiteTest, args: &[&str]) -> String {
    let out = site.cli(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn json_round_trips_through_serde() {
    let site = SiteTest::from_dir("figures");
    let json = run(&site, &["figures", "--format", "json"]);
    let table: FigureTable = serde_json::from_str(&json).unwrap();
    let again = serde_json::to_string_pretty(&table).unwrap() + "\n";
    assert_eq!(again, json, "parsing and writing again gives the same text");
    assert_eq!(serde_json::from_str::<FigureTable>(&again).unwrap(), table);

    let annual = table.figures.iter().find(|f| f.name == "annual").unwrap();
    assert_eq!(annual.value, Value::Number(24_000_000.0));
    assert_eq!(annual.unit, "USD/year");
    assert_eq!(annual.display, "$24 million a year");
    assert_eq!(annual.kind, "derived");
    assert_eq!(annual.formula.as_deref(), Some("payment"));
    assert_eq!(annual.inputs, ["payment"]);
    assert!(
        json.contains("\"value\": 24000000,"),
        "whole numbers have no decimal point"
    );

    let start = table.figures.iter().find(|f| f.name == "start").unwrap();
    assert_eq!(start.value, Value::Date("2026-01".into()));
    assert_eq!(start.low, Some(Value::Date("2025-10".into())));
    let full = table
        .figures
        .iter()
        .find(|f| f.name == "full_value")
        .unwrap();
    assert_eq!(full.kind, "estimate");
    assert_eq!(
        (full.low.clone(), full.high.clone()),
        (Some(Value::Number(44e6)), Some(Value::Number(54e6)))
    );
    assert_eq!(full.assumptions, ["start"]);
    assert_eq!(
        table.sources[0].cited_by,
        ["payment", "capacity", "floor", "end"]
    );
    assert_eq!(table.checks.len(), 2);
}

#[test]
fn output_is_stable() {
    let site = SiteTest::from_dir("figures");
    for format in ["table", "json", "csv"] {
        let args = ["figures", "--format", format];
        assert_eq!(run(&site, &args), run(&site, &args), "{format}");
    }
}

#[test]
fn csv_has_a_header_and_a_row_per_figure() {
    let site = SiteTest::from_dir("figures");
    let csv = run(&site, &["figures", "--format", "csv"]);
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "name,label,kind,value,unit,display,low,high,formula,inputs,assumptions,source,why,\
         estimate,qualifier,range,quote,note,number"
    );
    assert_eq!(
        lines.len(),
        13 + 2,
        "header, 13 figures, and the final line break"
    );
    assert!(lines.contains(
        &"annual,Annual rate,derived,24000000,USD/year,$24 million a year,,,payment,payment,,,,false,,,,,$24 million"
    ));
    assert!(lines.contains(&"months,Length of term,estimate,24,month,24 months,22,27,\"months_between(start, end) + 1 month\",start end,start,,,true,,22 to 27 months,,,24 months"));
}

#[test]
fn table_shows_value_unit_display_kind_and_where_it_comes_from() {
    let site = SiteTest::from_dir("figures");
    let table = run(&site, &["figures"]);
    let annual = table.lines().find(|l| l.starts_with("annual ")).unwrap();
    let cells: Vec<&str> = annual
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        cells,
        [
            "annual",
            "24000000",
            "USD/year",
            "$24 million a year",
            "derived",
            "= payment"
        ]
    );
    assert!(table.contains("2 checks hold:"), "{table}");
}

#[test]
fn a_broken_figures_file_fails_the_command() {
    let site = SiteTest::from_dir("figures");
    site.write("data/figures.yaml", "figures:\n  x:\n    value: 1\n");
    let out = site.cli(&["figures"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("data/figures.yaml:2:3"));
}
