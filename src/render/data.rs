//! Rendering: the figures as published data — `figures.json` (figures, sources, checks,
//! scenarios, and the compiled model a what-if script runs) and `figures.csv` (a row per
//! figure) — in the one format `briefing figures --format json|csv` prints too. The same
//! figures always give the same bytes: declaration order, no timestamps.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value as Json;

use crate::figures::{Figure, Figures};
use crate::render::provenance::kind_name;

/// Where the build writes the data, beside the site's root.
pub const JSON_FILE: &str = "figures.json";
pub const CSV_FILE: &str = "figures.csv";

/// Everything `figures.json` holds. Field order and names are part of the format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FigureTable {
    pub figures: Vec<FigureRow>,
    pub sources: Vec<SourceRow>,
    pub checks: Vec<CheckRow>,
    #[serde(default)]
    pub scenarios: Vec<ScenarioRow>,
    /// The model compiled for a script to run again ([`crate::figures::Plan`]).
    #[serde(default)]
    pub model: Option<Json>,
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
    #[serde(default)]
    pub estimate: bool,
    /// The display without the rate words of money, as key-figure cards show it.
    #[serde(default)]
    pub number: String,
    #[serde(default)]
    pub range: Option<RangeRow>,
    /// Its value in each scenario, in declaration order.
    #[serde(default)]
    pub scenarios: Vec<InScenario>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RangeRow {
    pub low: Value,
    pub high: Value,
    pub low_display: String,
    pub high_display: String,
    pub display: String,
    pub over: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InScenario {
    pub scenario: String,
    pub value: Value,
    pub display: String,
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioRow {
    pub name: String,
    pub label: String,
    pub description: String,
    pub outside_range: bool,
    pub assumptions: Vec<SettingRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingRow {
    pub figure: String,
    pub value: Value,
    pub display: String,
    pub outside_range: bool,
}

/// A figure's value: a number in its unit, or a date as `YYYY-MM`.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Number(f64),
    Date(String),
}

impl Value {
    pub fn of(value: f64, unit: &str) -> Value {
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
    pub fn text(&self) -> String {
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

/// The figures, sources, checks and scenarios as rows, with the compiled model.
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
        scenarios: scenario_rows(figures),
        model: figures
            .plan()
            .and_then(|plan| serde_json::to_value(plan).ok()),
    }
}

fn scenario_rows(figures: &Figures) -> Vec<ScenarioRow> {
    let unit = |name: &str| figures.get(name).map_or("", |f| f.unit.as_str());
    figures
        .scenarios()
        .map(|s| ScenarioRow {
            name: s.name.clone(),
            label: s.label.clone(),
            description: s.description.clone(),
            outside_range: s.outside_range,
            assumptions: s
                .assumptions
                .iter()
                .map(|a| SettingRow {
                    figure: a.figure.clone(),
                    value: Value::of(a.value, unit(&a.figure)),
                    display: a.display.clone(),
                    outside_range: a.outside_range,
                })
                .collect(),
        })
        .collect()
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
        estimate: f.estimate,
        number: f.number.clone(),
        range: f.range.as_ref().map(|r| RangeRow {
            low: Value::of(r.low, &f.unit),
            high: Value::of(r.high, &f.unit),
            low_display: r.low_display.clone(),
            high_display: r.high_display.clone(),
            display: r.display.clone(),
            over: r.over.clone(),
        }),
        scenarios: f
            .scenarios
            .iter()
            .map(|s| InScenario {
                scenario: s.scenario.clone(),
                value: Value::of(s.outcome.value, &f.unit),
                display: s.outcome.display.clone(),
            })
            .collect(),
    }
}

/// `figures.json`: the table as pretty JSON, ending in a newline.
pub fn json(figures: &Figures) -> String {
    // Serialising plain structs of strings and finite numbers cannot fail.
    let mut text = serde_json::to_string_pretty(&table(figures)).unwrap_or_default();
    text.push('\n');
    text
}

/// The columns every row of `figures.csv` has, before two per scenario.
pub const CSV_HEADER: [&str; 19] = [
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
    "estimate",
    "qualifier",
    "range",
    "quote",
    "note",
    "number",
];

/// `figures.csv`: a row per figure (RFC 4180), then for each scenario its value and display.
pub fn csv(figures: &Figures) -> String {
    let table = table(figures);
    let mut header: Vec<String> = CSV_HEADER.iter().map(|h| h.to_string()).collect();
    for s in &table.scenarios {
        header.push(format!("{} value", s.name));
        header.push(format!("{} display", s.name));
    }
    let mut out = csv_line(&header);
    for f in &table.figures {
        let mut cells = vec![
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
            f.estimate.to_string(),
            f.qualifier.clone().unwrap_or_default(),
            f.range
                .as_ref()
                .map(|r| r.display.clone())
                .unwrap_or_default(),
            f.quote.clone().unwrap_or_default(),
            f.note.clone().unwrap_or_default(),
            f.number.clone(),
        ];
        for s in &table.scenarios {
            let shown = f.scenarios.iter().find(|v| v.scenario == s.name);
            cells.push(shown.map(|v| v.value.text()).unwrap_or_default());
            cells.push(shown.map(|v| v.display.clone()).unwrap_or_default());
        }
        out.push_str(&csv_line(&cells));
    }
    out
}

fn csv_line(cells: &[String]) -> String {
    let mut line = cells
        .iter()
        .map(|c| csv_cell(c))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

fn csv_cell(cell: &str) -> String {
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_string()
    }
}

/// The compiled model as the text of a `<script type="application/json">`: `<` escaped,
/// so no `</script>` inside a label can end the element. None without figures.
pub fn page_model(figures: &Figures) -> Option<String> {
    let plan = figures.plan()?;
    let text = serde_json::to_string(&plan).ok()?;
    Some(text.replace('<', "\\u003c"))
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
