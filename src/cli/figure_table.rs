//! `briefing figures`: every figure of `data/figures.yaml` with its value in its own unit,
//! kind, formula and source, as a table for people or as stable JSON or CSV for tools.

use std::path::Path;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::figures::{self, Figure, Figures};
use crate::load::site::FIGURES_FILE;
use crate::render::provenance::kind_name;
use crate::util::error::{Problem, Problems};
use crate::util::files::display_path;

/// How `briefing figures` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for reading in a terminal
    #[default]
    Table,
    /// One JSON document: figures, sources and checks
    Json,
    /// One row per figure, RFC 4180
    Csv,
}

/// Everything `--format json` prints. Field order and names are part of the format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FigureTable {
    pub figures: Vec<FigureRow>,
    pub sources: Vec<SourceRow>,
    pub checks: Vec<CheckRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FigureRow {
    pub name: String,
    pub label: String,
    /// `reported`, `assumption`, `derived` or `estimate` (derived, resting on an assumption).
    pub kind: String,
    /// In the figure's own unit: 15000000000 for an annual run rate in USD/year; `"2029-05"`
    /// for a date.
    pub value: Value,
    pub unit: String,
    /// As the prose shows it: "$15 billion a year".
    pub display: String,
    pub qualifier: Option<String>,
    /// Ends of the range, where the figure has one.
    pub low: Option<Value>,
    pub high: Option<Value>,
    pub formula: Option<String>,
    pub inputs: Vec<String>,
    pub assumptions: Vec<String>,
    pub source: Option<String>,
    pub quote: Option<String>,
    pub why: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceRow {
    pub id: String,
    pub title: String,
    pub publisher: Option<String>,
    pub date: Option<String>,
    pub url: Option<String>,
    pub as_of: Option<String>,
    pub quote: Option<String>,
    pub cited_by: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckRow {
    pub id: String,
    pub formula: String,
    pub protects: String,
    pub left: String,
    pub right: String,
    pub tested_over: Vec<String>,
}

/// A figure's value: a number in its unit, or a date as `YYYY-MM`.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Number(f64),
    Date(String),
}

impl Value {
    fn of(value: f64, unit: &str) -> Value {
        if unit.trim() == "date" {
            let months = value.round() as i64;
            Value::Date(
                crate::util::dates::month_text(months, "%Y-%m")
                    .unwrap_or_else(|| months.to_string()),
            )
        } else {
            Value::Number(value)
        }
    }

    /// A whole number without a decimal point (15000000000, not 15000000000.0); anything
    /// else in the shortest form that reads back to the same number.
    fn text(&self) -> String {
        match self {
            Value::Number(v) => match whole(*v) {
                Some(i) => i.to_string(),
                None => v.to_string(),
            },
            Value::Date(d) => d.clone(),
        }
    }
}

/// `v` as an integer when that is exact.
fn whole(v: f64) -> Option<i64> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    (v.fract() == 0.0 && v.abs() < EXACT).then_some(v as i64)
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Number(v) => match whole(*v) {
                Some(i) => serializer.serialize_i64(i),
                None => serializer.serialize_f64(*v),
            },
            Value::Date(d) => serializer.serialize_str(d),
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(f64),
            Date(String),
        }
        Ok(match Raw::deserialize(deserializer)? {
            Raw::Number(v) => Value::Number(v),
            Raw::Date(d) => Value::Date(d),
        })
    }
}

/// Load `ROOT/data/figures.yaml` alone: the figures do not depend on the pages, so a
/// problem in a page does not hide them.
pub fn load(root: &Path) -> Result<Figures, Problems> {
    let path = root.join(FIGURES_FILE);
    let shown = display_path(root, &path);
    match std::fs::read(&path) {
        Ok(bytes) => figures::load(&shown, &crate::util::files::decode(&shown, bytes)?),
        Err(err) => Err(Problem::new(shown, format!("cannot read: {err}"))
            .help("run `briefing figures` in a site's folder, or pass `--root DIR`")
            .into()),
    }
}

/// The figures as they are in the scenario `name`; an unknown name is a problem with the
/// closest declared one.
pub fn in_scenario(root: &Path, figures: &Figures, name: &str) -> Result<Figures, Problems> {
    figures.in_scenario(name).ok_or_else(|| {
        let path = display_path(root, &root.join(FIGURES_FILE));
        let help = match figures.suggest_scenario(name) {
            Some(s) => format!("did you mean `{s}`?"),
            None if figures.scenarios().next().is_none() => {
                "declare scenarios under `scenarios:` in data/figures.yaml".to_string()
            }
            None => format!(
                "the scenarios are: {}",
                figures
                    .scenarios()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        Problem::new(path, format!("unknown scenario `{name}`"))
            .help(help)
            .into()
    })
}

/// The figures, sources and checks as rows.
pub fn table(figures: &Figures) -> FigureTable {
    FigureTable {
        figures: figures.iter().map(row).collect(),
        sources: figures
            .sources()
            .map(|s| SourceRow {
                id: s.id.clone(),
                title: s.title.clone(),
                publisher: s.publisher.clone(),
                date: s.date.clone(),
                url: s.url.clone(),
                as_of: s.as_of.clone(),
                quote: s.quote.clone(),
                cited_by: s.cited_by.clone(),
            })
            .collect(),
        checks: figures
            .checks()
            .map(|c| CheckRow {
                id: c.id.clone(),
                formula: c.formula.clone(),
                protects: c.protects.clone(),
                left: c.left.display.clone(),
                right: c.right.display.clone(),
                tested_over: c.tested_over.clone(),
            })
            .collect(),
    }
}

fn row(f: &Figure) -> FigureRow {
    FigureRow {
        name: f.name.clone(),
        label: f.label.clone(),
        kind: kind_name(f).to_string(),
        value: Value::of(f.value, &f.unit),
        unit: f.unit.clone(),
        display: f.display.clone(),
        qualifier: f.qualifier.clone(),
        low: f.range.as_ref().map(|r| Value::of(r.low, &f.unit)),
        high: f.range.as_ref().map(|r| Value::of(r.high, &f.unit)),
        formula: f.formula.clone(),
        inputs: f.inputs.clone(),
        assumptions: f.assumptions.clone(),
        source: f.source.clone(),
        quote: f.quote.clone(),
        why: f.why.clone(),
        note: f.note.clone(),
    }
}

/// The whole output of `briefing figures --format FORMAT`, ending in a newline.
pub fn render(figures: &Figures, format: Format) -> String {
    let table = table(figures);
    match format {
        Format::Json => {
            // Serialising plain structs of strings and numbers cannot fail.
            let mut text = serde_json::to_string_pretty(&table).unwrap_or_default();
            text.push('\n');
            text
        }
        Format::Csv => csv(&table),
        Format::Table => text_table(&table),
    }
}

const CSV_HEADER: [&str; 13] = [
    "name",
    "label",
    "kind",
    "value",
    "unit",
    "display",
    "low",
    "high",
    "formula",
    "inputs",
    "assumptions",
    "source",
    "why",
];

fn csv(table: &FigureTable) -> String {
    let mut out = CSV_HEADER.join(",");
    out.push_str("\r\n");
    for f in &table.figures {
        let cells = [
            f.name.clone(),
            f.label.clone(),
            f.kind.clone(),
            f.value.text(),
            f.unit.clone(),
            f.display.clone(),
            f.low.as_ref().map(Value::text).unwrap_or_default(),
            f.high.as_ref().map(Value::text).unwrap_or_default(),
            f.formula.clone().unwrap_or_default(),
            f.inputs.join(" "),
            f.assumptions.join(" "),
            f.source.clone().unwrap_or_default(),
            f.why.clone().unwrap_or_default(),
        ];
        let quoted: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&quoted.join(","));
        out.push_str("\r\n");
    }
    out
}

fn csv_cell(cell: &str) -> String {
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_string()
    }
}

fn text_table(table: &FigureTable) -> String {
    let header = [
        "FIGURE", "VALUE", "UNIT", "DISPLAY", "KIND", "RANGE", "FROM",
    ];
    let rows: Vec<[String; 7]> = table
        .figures
        .iter()
        .map(|f| {
            let range = match (&f.low, &f.high) {
                (Some(low), Some(high)) => format!("{} .. {}", low.text(), high.text()),
                _ => String::new(),
            };
            let from = match (&f.formula, &f.source) {
                (Some(formula), _) => format!("= {formula}"),
                (None, Some(source)) => format!("source: {source}"),
                (None, None) => "assumed".to_string(),
            };
            [
                f.name.clone(),
                f.value.text(),
                f.unit.clone(),
                f.display.clone(),
                f.kind.clone(),
                range,
                from,
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut push_row = |cells: &[String]| {
        let mut line = String::new();
        for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}  "));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    };
    push_row(&header.map(String::from));
    for row in &rows {
        push_row(row);
    }
    if !table.checks.is_empty() {
        out.push_str(&format!("\n{} checks hold:\n", table.checks.len()));
        for check in &table.checks {
            let over = if check.tested_over.is_empty() {
                String::new()
            } else {
                format!(", and across the range of {}", check.tested_over.join(", "))
            };
            out.push_str(&format!(
                "  {}: {} ({} vs {}{over})\n",
                check.id, check.formula, check.left, check.right
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_print_without_a_decimal_point() {
        assert_eq!(Value::Number(15e9).text(), "15000000000");
        assert_eq!(Value::Number(0.1).text(), "0.1");
        assert_eq!(Value::of(2029.0 * 12.0 + 4.0, "date").text(), "2029-05");
        assert_eq!(
            serde_json::to_string(&Value::Number(15e9)).unwrap(),
            "15000000000"
        );
        assert_eq!(serde_json::to_string(&Value::Number(2.5)).unwrap(), "2.5");
    }

    #[test]
    fn csv_cells_are_quoted_when_needed() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a, b"), "\"a, b\"");
        assert_eq!(csv_cell("say \"x\""), "\"say \"\"x\"\"\"");
    }
}
